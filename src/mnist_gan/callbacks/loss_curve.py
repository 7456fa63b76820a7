"""Record D and G losses while training and plot them to a PNG at the end."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.utilities import rank_zero_only

from mnist_gan.training.losses import MAIN_LOSSES

log = logging.getLogger(__name__)


class LossCurve(L.Callback):
    """Sample the step losses every ``every_n_batches`` batches and at each epoch's end (one
    host sync each time); write ``path`` when training ends. The history is saved in
    checkpoints, so a resumed run plots its whole history."""

    def __init__(self, path: str, every_n_batches: int = 50) -> None:
        super().__init__()
        self.path = Path(path)
        self.every_n_batches = every_n_batches
        self.history: dict[str, list[tuple[int, float]]] = {name: [] for name in MAIN_LOSSES}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        last_of_epoch = batch_idx + 1 == trainer.num_training_batches
        if (batch_idx + 1) % self.every_n_batches and not last_of_epoch:
            return
        batches_done = trainer.current_epoch * trainer.num_training_batches + batch_idx + 1
        for name in MAIN_LOSSES:
            value = trainer.callback_metrics.get(f"{name}_step")
            if value is not None:
                self.history[name].append((batches_done, float(value)))

    @rank_zero_only
    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not any(self.history.values()):
            return
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 4.5))
        for name, points in self.history.items():
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, label=name.split("/")[-1], linewidth=1)
        ax.set_xlabel("batches")
        ax.set_ylabel("loss")
        ax.set_title("GAN losses")
        ax.legend()
        ax.grid(alpha=0.3)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fig.tight_layout()
        fig.savefig(self.path, dpi=100)
        plt.close(fig)
        log.info("wrote %s", self.path)

    def state_dict(self) -> dict[str, Any]:
        return {"history": {k: list(v) for k, v in self.history.items()}}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.history = {
            name: [tuple(p) for p in state_dict["history"].get(name, [])] for name in MAIN_LOSSES
        }

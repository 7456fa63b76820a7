"""Training wall time as a scalar, and each epoch's progress in ``run.json``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import lightning as L
import torch

from mnist_gan.runs.hparams import TRAIN_SECONDS
from mnist_gan.runs.record import update_record


def logged_metrics(trainer: L.Trainer) -> dict[str, float]:
    """The scalar ``eval/*`` and ``time/*`` values Lightning holds now, as floats."""
    return {
        name: float(value)
        for name, value in trainer.callback_metrics.items()
        if name.startswith(("eval/", "time/"))
        and isinstance(value, torch.Tensor)
        and value.numel() == 1
    }


class RunProgress(L.Callback):
    """After every epoch, log ``time/train_seconds`` (wall seconds since training started,
    evaluation and checkpoints included, summed across resumes) and write the epochs done,
    that time and the latest evaluation into ``<run_dir>/run.json`` (rank 0).

    Place it after the evaluation callback so the epoch's metrics are already logged.

    Args:
        run_dir: the run directory, where run.json is written.
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.previous_seconds = 0.0  # from earlier sessions of a resumed run
        self._started: float | None = None

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._started = time.perf_counter()

    @property
    def train_seconds(self) -> float:
        running = time.perf_counter() - self._started if self._started is not None else 0.0
        return self.previous_seconds + running

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        pl_module.log(TRAIN_SECONDS, self.train_seconds, on_step=False, on_epoch=True)
        if trainer.is_global_zero and not trainer.sanity_checking:
            update_record(
                self.run_dir,
                status="running",
                epochs=trainer.current_epoch + 1,
                train_seconds=round(self.train_seconds, 3),
                metrics=logged_metrics(trainer),
            )

    def state_dict(self) -> dict[str, Any]:
        return {"train_seconds": self.train_seconds}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.previous_seconds = float(state_dict.get("train_seconds", 0.0))

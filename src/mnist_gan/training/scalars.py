"""The training step's scalars: step values, epoch means and the NaN guard, cheaply.

``self.log`` costs about as much as a small GAN step's arithmetic (Lightning walks its
result collection), and Lightning writes step values only every ``log_every_n_steps``
batches. So step values are handed to ``log`` only on the batches Lightning writes, epoch
means are summed on the device and logged once per epoch (``<name>_step`` and
``<name>_epoch``, as Lightning names them), and the guard against non-finite losses
records the first bad batch on the device and reads it only on those batches and on each
epoch's last, before that epoch's checkpoints: no per-step host sync.
"""

from __future__ import annotations

import lightning as L
import torch

from mnist_gan.errors import NonFiniteLossError
from mnist_gan.training.losses import MAIN_LOSSES


def lightning_writes_this_batch(trainer: L.Trainer, batch_idx: int) -> bool:
    """Whether Lightning sends this training batch's step values to the loggers: on every
    ``log_every_n_steps``-th batch of the fit, when stopping, and in a fast dev run."""
    if trainer.fast_dev_run or trainer.should_stop:
        return True
    every = trainer.log_every_n_steps
    done = trainer.current_epoch * trainer.num_training_batches + batch_idx
    return every > 0 and (done + 1) % every == 0


class TrainingScalars:
    """Per-epoch state of the step scalars of one LightningModule."""

    def __init__(self) -> None:
        self.start_epoch()

    def start_epoch(self) -> None:
        # this batch's detached scalars, for callbacks that read every step (the loss curve)
        self.latest: dict[str, torch.Tensor] = {}
        self.sums: dict[str, torch.Tensor] = {}
        self.counts: dict[str, int] = {}
        # the first non-finite batch of each watched loss (-1 = none) and its value
        self.first_bad: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def record(
        self, module: L.LightningModule, metrics: dict[str, torch.Tensor], batch_idx: int
    ) -> None:
        """Add one batch's detached scalars; log them when Lightning writes this batch."""
        trainer = module.trainer
        self.latest = metrics
        self._watch(metrics, batch_idx)
        writes = lightning_writes_this_batch(trainer, batch_idx)
        if writes or batch_idx + 1 >= trainer.num_training_batches:
            self._raise_if_diverged(module.current_epoch)
        for name, value in metrics.items():
            total = self.sums.get(name)
            self.sums[name] = value.float() if total is None else total + value
            self.counts[name] = self.counts.get(name, 0) + 1
        if writes:
            steps = {f"{name}_step": value for name, value in metrics.items()}
            module.log_dict(steps, on_step=True, on_epoch=False, batch_size=1)
            shown = {name.split("/")[-1]: metrics[name] for name in MAIN_LOSSES if name in metrics}
            module.log_dict(
                shown, on_step=True, on_epoch=False, prog_bar=True, logger=False, batch_size=1
            )

    def end_epoch(self, module: L.LightningModule) -> None:
        means = {f"{name}_epoch": total / self.counts[name] for name, total in self.sums.items()}
        module.log_dict(means, on_step=False, on_epoch=True, batch_size=1)

    def _watch(self, metrics: dict[str, torch.Tensor], batch_idx: int) -> None:
        for name in MAIN_LOSSES:
            if name not in metrics:
                continue
            value = metrics[name]
            first, first_value = self.first_bad.get(
                name,
                (torch.full((), -1, device=value.device), torch.zeros((), device=value.device)),
            )
            new = ~torch.isfinite(value) & (first < 0)
            self.first_bad[name] = (
                torch.where(new, batch_idx, first),
                torch.where(new, value.float(), first_value),
            )

    def _raise_if_diverged(self, epoch: int) -> None:
        for name, (first, value) in self.first_bad.items():
            batch = int(first)
            if batch >= 0:
                raise NonFiniteLossError(
                    f"{name} became {float(value)} at epoch {epoch}, batch {batch}: "
                    "training stopped and the checkpoints saved before it are intact; lower "
                    "model.lr_g/model.lr_d or set model.gradient_clip_val (e.g. 1.0)"
                )

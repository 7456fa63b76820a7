"""``checkpoints/best.ckpt``: Lightning's ``ModelCheckpoint`` on epochs that were evaluated."""

from __future__ import annotations

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint


class BestCheckpoint(ModelCheckpoint):
    """A monitored ``ModelCheckpoint`` that skips epochs without the monitored metric.

    The metric (FID by default) exists only on the epochs the evaluation callback runs;
    on the others Lightning's callback would warn that the key is missing. Skipping them
    is the intended behaviour here, so it is silent.
    """

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.monitor is None or self.monitor in trainer.callback_metrics:
            super().on_train_epoch_end(trainer, pl_module)

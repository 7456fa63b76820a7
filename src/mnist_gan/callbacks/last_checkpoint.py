"""``checkpoints/last.ckpt`` after every epoch, and ``interrupted.ckpt`` on Ctrl-C."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Checkpoint


class LastCheckpoint(Checkpoint):
    """Save the resume point after every training epoch.

    Lightning's ``ModelCheckpoint(save_last=True)`` writes ``last.ckpt`` only when it also
    saves a periodic checkpoint; a killed run needs a resume point from every epoch, so
    this callback writes ``last.ckpt`` at the end of each (through the trainer's checkpoint
    I/O, atomic here). Being a ``Checkpoint`` it runs after the
    LightningModule's and the other callbacks' epoch-end hooks (the evaluation included).

    On Ctrl-C it also saves ``interrupted.ckpt``: the weights at the moment of the
    interrupt, mid-epoch, for ``eval.py``/``generate.py``. Resume from ``last.ckpt``.

    Args:
        dirpath: folder of the checkpoints.
        filename: name of the per-epoch checkpoint.
        interrupted_filename: name of the Ctrl-C checkpoint (``None`` = none).
    """

    def __init__(
        self,
        dirpath: str | Path,
        filename: str = "last.ckpt",
        interrupted_filename: str | None = "interrupted.ckpt",
    ) -> None:
        self.dirpath = Path(dirpath)
        self.filename = filename
        self.interrupted_filename = interrupted_filename

    @property
    def path(self) -> Path:
        return self.dirpath / self.filename

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.sanity_checking and not trainer.fast_dev_run:
            trainer.save_checkpoint(self.path, weights_only=False)  # the full resume point

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        if isinstance(exception, KeyboardInterrupt) and self.interrupted_filename:
            trainer.save_checkpoint(self.dirpath / self.interrupted_filename, weights_only=False)

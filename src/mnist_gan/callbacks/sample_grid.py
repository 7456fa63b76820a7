"""Save a grid of samples from the fixed latent batch: PNG on disk and an image in TensorBoard."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only
from torchvision.utils import make_grid, save_image


class SampleGrid(L.Callback):
    """Every ``every_n_epochs`` epochs write ``<dirpath>/epoch_XXXX.png`` (0-based epoch, as
    Lightning counts) and log the grid to TensorBoard as ``samples``.

    The grid comes from the module's fixed latent batch with G in eval mode, so epochs
    compare like for like.
    """

    def __init__(self, dirpath: str, every_n_epochs: int = 1, nrow: int = 8) -> None:
        super().__init__()
        self.dirpath = Path(dirpath)
        self.every_n_epochs = every_n_epochs
        self.nrow = nrow

    @rank_zero_only
    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.every_n_epochs <= 0 or (trainer.current_epoch + 1) % self.every_n_epochs:
            return
        images = pl_module.sample(pl_module.sample_z).cpu()
        grid = make_grid(images, nrow=self.nrow, padding=2, pad_value=1.0)
        self.dirpath.mkdir(parents=True, exist_ok=True)
        save_image(grid, self.dirpath / f"epoch_{trainer.current_epoch:04d}.png")
        for logger in trainer.loggers:
            if isinstance(logger, TensorBoardLogger):
                logger.experiment.add_image("samples", grid, global_step=trainer.current_epoch)

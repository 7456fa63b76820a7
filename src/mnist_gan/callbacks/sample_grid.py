"""Save a grid of samples from the fixed latent batch: a PNG on disk and an image in every
logger that shows images (TensorBoard, W&B, MLflow)."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.utilities import rank_zero_only
from torchvision.utils import save_image

from mnist_gan.grids import DEFAULT_SCALE, image_grid
from mnist_gan.runs.trackers import log_image


class SampleGrid(L.Callback):
    """Every ``every_n_epochs`` epochs write ``<dirpath>/epoch_XXXX.png`` (0-based epoch, as
    Lightning counts) and log the grid as ``samples`` to the loggers.

    The grid comes from the module's fixed latent batch with G in eval mode, so epochs
    compare like for like; each pixel is shown as a ``scale``×``scale`` block (see
    ``mnist_gan.grids``).
    """

    def __init__(
        self, dirpath: str, every_n_epochs: int = 1, nrow: int = 8, scale: int = DEFAULT_SCALE
    ) -> None:
        super().__init__()
        self.dirpath = Path(dirpath)
        self.every_n_epochs = every_n_epochs
        self.nrow = nrow
        self.scale = scale

    @rank_zero_only
    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.every_n_epochs <= 0 or (trainer.current_epoch + 1) % self.every_n_epochs:
            return
        images = pl_module.sample(pl_module.sample_z).cpu()
        grid = image_grid(images, self.nrow, self.scale)
        self.dirpath.mkdir(parents=True, exist_ok=True)
        save_image(grid, self.dirpath / f"epoch_{trainer.current_epoch:04d}.png")
        log_image(trainer.loggers, "samples", grid, trainer.current_epoch, trainer.global_step)

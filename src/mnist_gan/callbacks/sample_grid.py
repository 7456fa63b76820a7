"""Save a grid of samples from the fixed latent batch: a PNG on disk and an image in every
logger that shows images (TensorBoard, W&B, MLflow)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import lightning as L
from lightning.pytorch.utilities import rank_zero_only
from pydantic import Field, NonNegativeInt, PositiveInt
from torchvision.utils import save_image

from mnist_gan.grids import DEFAULT_SCALE, image_grid
from mnist_gan.runs.trackers import log_image


class SampleGrid(L.Callback):
    """Every ``every_n_epochs`` epochs write ``<dirpath>/epoch_XXXX.png`` (0-based epoch, as
    Lightning counts) and log the grid as ``samples`` to the loggers.

    The grid comes from the module's fixed latent batch with G in eval mode, so epochs
    compare like for like; each pixel is shown as a ``scale``×``scale`` block (see
    ``mnist_gan.grids``).

    Args:
        dirpath: where the PNGs go.
        every_n_epochs: a grid every n epochs (0 = none).
        nrow: images per row.
        scale: each pixel drawn as a scale×scale block.
    """

    def __init__(
        self,
        dirpath: str,
        every_n_epochs: NonNegativeInt = 1,
        nrow: PositiveInt = 8,
        scale: Annotated[int, Field(ge=1, le=16)] = DEFAULT_SCALE,
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

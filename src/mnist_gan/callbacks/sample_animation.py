"""At the end of training, animate the saved sample grids into one GIF."""

from __future__ import annotations

import logging
from pathlib import Path

import lightning as L
from lightning.pytorch.utilities import rank_zero_only
from PIL import Image
from pydantic import PositiveInt

log = logging.getLogger(__name__)


class SampleAnimation(L.Callback):
    """Write ``<dirpath>/<filename>`` from the ``epoch_*.png`` grids in ``dirpath``.

    Args:
        dirpath: where the grids are and the GIF goes.
        filename: the GIF's name.
        frame_ms: milliseconds per frame.
    """

    def __init__(
        self, dirpath: str, filename: str = "progress.gif", frame_ms: PositiveInt = 200
    ) -> None:
        super().__init__()
        self.dirpath = Path(dirpath)
        self.filename = filename
        self.frame_ms = frame_ms

    @rank_zero_only
    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        frames = sorted(self.dirpath.glob("epoch_*.png"))
        if not frames:
            return
        images = [Image.open(path).convert("P") for path in frames]
        target = self.dirpath / self.filename
        images[0].save(
            target, save_all=True, append_images=images[1:], duration=self.frame_ms, loop=0
        )
        log.info("wrote %s (%d frames)", target, len(images))

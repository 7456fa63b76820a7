"""Lightning checkpoint I/O that never leaves a half-written ``last.ckpt``.

Lightning's own local save goes through a temporary file in the system temp folder and a
``shutil.move``, which is a plain copy (not atomic) when that folder is on another
filesystem, and is not flushed to disk. Here the checkpoint is serialised in memory and
written beside its target with fsync + atomic rename.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from mnist_gan.atomic import write_atomic


class AtomicCheckpointIO(TorchCheckpointIO):
    """``TorchCheckpointIO`` whose saves are atomic on local paths."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None
    ) -> None:
        if "://" in str(path):  # remote storage: Lightning's own transactional upload
            super().save_checkpoint(checkpoint, path, storage_options)
            return
        buffer = io.BytesIO()
        torch.save(checkpoint, buffer)
        write_atomic(Path(path), buffer.getvalue())

"""This project's checkpoint files: written atomically, loaded safely.

Saving: Lightning's own local save goes through a temporary file in the system temp folder
and a ``shutil.move``, which is a plain copy (not atomic) when that folder is on another
filesystem, and is not flushed to disk. ``AtomicCheckpointIO`` (the trainer's plugin)
serialises the checkpoint in memory and writes it beside its target with fsync + atomic
rename, so a crash while saving never leaves a half-written ``last.ckpt``.

Loading: ``weights_only=True``, so no code runs on load, and only this project's
checkpoints are accepted.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from mnist_gan.atomic import write_atomic
from mnist_gan.config.validate import check_checkpoint_path
from mnist_gan.errors import CheckpointError
from mnist_gan.training.gan import GAN

# Keys every checkpoint of this project holds.
_REQUIRED_HPARAMS = ("generator", "discriminator", "latent_dim")


def read_checkpoint(path: str | os.PathLike, map_location: Any = "cpu") -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True`` and check that it is one of ours."""
    check_checkpoint_path("ckpt_path", path)
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise CheckpointError(
            f"{path} is not a checkpoint file (not torch's zip format, perhaps truncated); "
            "pass a .ckpt written by mnist-gan's training"
        )
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"{path} holds objects other than tensors and plain data, so it is refused "
            "(loading it could run code); pass a .ckpt written by mnist-gan's training"
        ) from exc
    except (RuntimeError, EOFError, zipfile.BadZipFile) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"{path} is not a loadable checkpoint ({first[:200]}); pass a .ckpt written by "
            "mnist-gan's training"
        ) from exc
    hparams = ckpt.get("hyper_parameters") if isinstance(ckpt, dict) else None
    if (
        not isinstance(hparams, dict)
        or any(key not in hparams for key in _REQUIRED_HPARAMS)
        or "state_dict" not in ckpt
    ):
        raise CheckpointError(
            f"{path} is not an mnist-gan checkpoint (no GAN hyperparameters); pass a .ckpt "
            "written by mnist-gan's training"
        )
    return ckpt


def load_gan(path: str | os.PathLike, map_location: Any = "cpu") -> GAN:
    """Rebuild the ``GAN`` of a checkpoint (in eval mode) from its hyperparameters and weights."""
    ckpt = read_checkpoint(path, map_location=map_location)
    model = GAN(**ckpt["hyper_parameters"])
    model.load_state_dict(ckpt["state_dict"])
    return model.eval()


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

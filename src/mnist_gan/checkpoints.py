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

import hashlib
import io
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from mnist_gan.atomic import write_atomic
from mnist_gan.errors import CheckpointError, one_line
from mnist_gan.training.gan import GAN

# The SHA-256 of a checkpoint's content, saved in it: a flipped byte in a tensor (weights,
# Adam's moments) still loads, so only a checksum tells a damaged file from a trained one.
DIGEST_KEY = "content_sha256"


def content_digest(checkpoint: dict[str, Any]) -> str:
    """SHA-256 over everything in ``checkpoint`` but the digest itself: every tensor's
    dtype, shape and bytes, every other value's repr, in key order."""
    digest = hashlib.sha256()

    def feed(value: Any) -> None:
        if isinstance(value, torch.Tensor):
            flat = value.detach().cpu().contiguous().reshape(-1)
            digest.update(f"T{flat.dtype}{tuple(value.shape)}".encode())
            digest.update(flat.view(torch.uint8).numpy().tobytes())
        elif isinstance(value, dict):
            for key in sorted(value, key=repr):
                digest.update(f"K{key!r}".encode())
                feed(value[key])
        elif isinstance(value, list | tuple):
            digest.update(f"L{len(value)}".encode())
            for item in value:
                feed(item)
        else:
            digest.update(f"V{value!r}".encode())

    feed({k: v for k, v in checkpoint.items() if k != DIGEST_KEY})
    return digest.hexdigest()


# Keys every checkpoint of this project holds.
_REQUIRED_HPARAMS = ("generator", "discriminator", "latent_dim")


def read_checkpoint(path: str | os.PathLike, map_location: Any = "cpu") -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True`` and check that it is one of ours."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"ckpt_path={path} does not exist; pass a .ckpt file")
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
    except Exception as exc:  # noqa: BLE001 (a damaged file fails in many ways, all one fix)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"{path} is not a loadable checkpoint ({first[:200]}); pass a .ckpt written by "
            "mnist-gan's training"
        ) from exc
    stored = ckpt.get(DIGEST_KEY) if isinstance(ckpt, dict) else None
    if stored is not None and content_digest(ckpt) != stored:
        raise CheckpointError(
            f"{path} is damaged: its content no longer matches the checksum saved in it; "
            "use another checkpoint (e.g. best.ckpt) or retrain"
        )
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
    try:
        model = GAN(**ckpt["hyper_parameters"])
    except Exception as exc:  # noqa: BLE001 (settings this version cannot build, however)
        raise CheckpointError(
            f"{path} holds GAN settings this version cannot build ({one_line(exc)[:200]}); "
            "pass a .ckpt written by mnist-gan's training"
        ) from None
    check_weights_fit(model, ckpt, path)
    model.load_state_dict(ckpt["state_dict"])
    return model.eval()


def check_weights_fit(model: torch.nn.Module, ckpt: dict[str, Any], path: Any) -> None:
    """Refuse, by name, a checkpoint whose weights do not fit ``model`` (missing, extra or
    differently shaped tensors), instead of ``load_state_dict``'s traceback."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    stored = ckpt["state_dict"]
    found = {k: tuple(v.shape) if isinstance(v, torch.Tensor) else None for k, v in stored.items()}
    problems = [f"{k} is missing" for k in expected if k not in found]
    problems += [f"{k} is not expected" for k in found if k not in expected]
    problems += [
        f"{k} has shape {found[k]}, expected {shape}"
        for k, shape in expected.items()
        if k in found and found[k] != shape
    ]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise CheckpointError(
            f"{path} does not fit these networks: {'; '.join(problems[:3])}{more}; resume or "
            "load it with the model settings it was trained with"
        )


class AtomicCheckpointIO(TorchCheckpointIO):
    """``TorchCheckpointIO`` whose saves are atomic on local paths."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None
    ) -> None:
        if "://" in str(path):  # remote storage: Lightning's own transactional upload
            super().save_checkpoint(checkpoint, path, storage_options)
            return
        checkpoint[DIGEST_KEY] = content_digest(checkpoint)
        buffer = io.BytesIO()
        torch.save(checkpoint, buffer)
        write_atomic(Path(path), buffer.getvalue())

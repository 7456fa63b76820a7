"""Knob types shared by several declarations (``config/knobs.py``); torch-free."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, get_args

from pydantic import AfterValidator, Field

from mnist_gan.runs.record import AUTO_RESUME

Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]
Fraction = Annotated[float, Field(gt=0, le=1)]  # (0, 1]
Unit = Annotated[float, Field(ge=0, lt=1)]  # [0, 1)
Device = Annotated[str, Field(pattern=r"^(auto|cpu|mps|cuda(:\d+)?)$")]
TaskName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


class Where:
    """Marks a knob that says where something is, not what is trained: runs are not
    compared by it."""

    def __repr__(self) -> str:
        return "Where()"


def is_place(kind: Any) -> bool:
    """Whether a knob's type says it is a path (``Place``)."""
    kinds = (kind, *get_args(kind))
    return any(isinstance(m, Where) for k in kinds for m in getattr(k, "__metadata__", ()))


def existing_file(path: str) -> str:
    if not Path(path).expanduser().is_file():
        raise ValueError("does not exist; pass ckpt_path=<run dir>/checkpoints/last.ckpt")
    return path


def existing_or_auto(path: str) -> str:
    return path if path == AUTO_RESUME else existing_file(path)


Place = Annotated[str, Where()]
Checkpoint = Annotated[str, Where(), AfterValidator(existing_file)]
# train.py's ckpt_path: also AUTO_RESUME (the run directory's own last.ckpt, if any)
Resumable = Annotated[str, Where(), AfterValidator(existing_or_auto)]

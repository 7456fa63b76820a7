"""Corrupt files: every damaged checkpoint, MNIST file or CSV is either
still usable or refused in one line that names the file; never a traceback."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from pathlib import Path

import pytest
import torch

from mnist_gan.checkpoints import load_gan
from mnist_gan.data.csv_source import load_csv
from mnist_gan.data.idx import MNIST_FILES, check_idx_bytes
from mnist_gan.errors import USER_ERRORS
from mnist_gan.train import train

SEED = 13


def judged(action, path: Path) -> str:
    """``ok``, or ``refused`` when a user error names ``path``; anything else fails."""
    try:
        action(path)
    except USER_ERRORS as exc:
        assert str(path) in str(exc) and "\n" not in str(exc), str(exc)
        return "refused"
    return "ok"


def damaged_copies(original: bytes, tmp_path: Path, count: int = 50):
    """(kind, bytes): bytes flipped at ``count`` seeded positions, truncated at ``count``
    lengths, and zeroed ranges."""
    rng = random.Random(SEED)
    for _ in range(count):
        data = bytearray(original)
        data[rng.randrange(len(data))] ^= 0xFF
        yield "flipped", bytes(data)
    for _ in range(count):
        yield "truncated", original[: rng.randrange(len(original))]
    for _ in range(count // 2):
        data = bytearray(original)
        start = rng.randrange(len(data))
        end = min(len(data), start + rng.randrange(1, 4096))
        data[start:end] = bytes(end - start)
        yield "zeroed", bytes(data)


@pytest.mark.slow
def test_damaged_checkpoints_load_or_are_refused_by_name(tiny_checkpoint, tmp_path):
    original = tiny_checkpoint.read_bytes()
    outcomes: Counter[tuple[str, str]] = Counter()
    for i, (kind, data) in enumerate(damaged_copies(original, tmp_path)):
        path = tmp_path / f"{kind}-{i}.ckpt"
        path.write_bytes(data)
        outcomes[kind, judged(load_gan, path)] += 1
        path.unlink()
    assert sum(outcomes.values()) == 125
    assert outcomes["truncated", "refused"] == 50  # a cut file never loads
    # the weights' checksum catches flips in tensor data; a flip may still land in bytes
    # nothing reads (zip padding, a record's unused field) and load unchanged weights
    assert outcomes["flipped", "refused"] >= 45, outcomes
    assert outcomes["zeroed", "refused"] >= 20, outcomes


def test_a_checkpoint_of_other_shapes_is_refused_by_name_when_resumed(
    tiny_checkpoint, make_cfg, tmp_path
):
    """It parses, but its weights fit a G with another latent size: refused before fit."""
    with pytest.raises(USER_ERRORS) as refused:
        train(make_cfg(f"ckpt_path={tiny_checkpoint}", "model.latent_dim=32"))
    message = str(refused.value)
    assert str(tiny_checkpoint) in message and "has shape" in message
    assert "model settings it was trained with" in message


def test_damaged_mnist_files_are_refused_by_name(mnist_dir, tmp_path):
    spec = next(f for f in MNIST_FILES if f.name == "t10k-labels-idx1-ubyte")
    original = (mnist_dir / "MNIST" / "raw" / spec.name).read_bytes()
    kinds = Counter()
    for kind, data in damaged_copies(original, tmp_path):
        with pytest.raises(USER_ERRORS) as refused:
            check_idx_bytes(data, spec, f"/data/{spec.name}")
        assert f"/data/{spec.name}" in str(refused.value)
        kinds[kind] += 1
    assert kinds == {"flipped": 50, "truncated": 50, "zeroed": 25}


def test_a_damaged_mnist_file_stops_a_run_in_one_line(mnist_dir, make_cfg, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(mnist_dir / "MNIST", data_dir / "MNIST")
    images = data_dir / "MNIST" / "raw" / "train-images-idx3-ubyte"
    data = bytearray(images.read_bytes())
    data[len(data) // 2] ^= 0xFF
    images.write_bytes(bytes(data))
    with pytest.raises(USER_ERRORS) as refused:
        train(make_cfg(f"data.data_dir={data_dir}", "data.download=false"))
    assert "train-images-idx3-ubyte" in str(refused.value)


ROW = "5," + ",".join(["0"] * 784)
HEADER = "label," + ",".join(f"p{i}" for i in range(784))


@pytest.mark.parametrize(
    ("name", "content", "outcome"),
    [
        ("plain", f"{HEADER}\n{ROW}\n", "ok"),
        ("bom", "\ufeff" + f"{HEADER}\n{ROW}\n", "ok"),
        ("windows line ends", f"{HEADER}\r\n{ROW}\r\n{ROW}\r\n", "ok"),
        ("empty", "", "refused"),
        ("header only", f"{HEADER}\n", "refused"),
        ("junk row", f"{HEADER}\n{ROW}\nhello,world\n", "refused"),
        ("text pixel", f"{HEADER}\n{ROW[:-1]}x\n", "refused"),
        ("pixel 256", f"{HEADER}\n{ROW[:-1]}256\n", "refused"),
        ("label 10", f"{HEADER}\n1{ROW}\n", "refused"),
        ("huge number", f"{HEADER}\n{ROW[:-1]}99999999999999999999999\n", "refused"),
        ("short row", f"{HEADER}\n5,1,2,3\n", "refused"),
    ],
)
def test_csv_variants_load_or_are_refused_by_name(tmp_path, name, content, outcome):
    path = tmp_path / "mnist.csv"
    path.write_text(content, encoding="utf-8", newline="")
    assert judged(load_csv, path) == outcome


def test_a_csv_that_is_not_text_is_refused_by_name(tmp_path):
    path = tmp_path / "mnist.csv"
    path.write_bytes(HEADER.encode() + b"\n\xff\xfe\x00junk\n")
    assert judged(load_csv, path) == "refused"


def test_csv_rows_read_back_as_written(tmp_path):
    path = tmp_path / "mnist.csv"
    path.write_text(f"\ufeff{HEADER}\r\n{ROW}\r\n", encoding="utf-8", newline="")
    images, labels = load_csv(path)
    assert labels.tolist() == [5] and images.shape == (1, 28, 28)
    assert torch.as_tensor(images).sum() == 0

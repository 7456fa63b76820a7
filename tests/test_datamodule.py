"""The data module: normalisation from the model, CSV input, the resident fast path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mnist_gan.data import MNISTDataError, MNISTDataModule
from mnist_gan.data.csv_source import load_csv
from mnist_gan.data.resident_loader import ResidentBatches


def write_csv(path: Path, rows: list[list[int]], header: bool = True) -> Path:
    lines = []
    if header:
        lines.append("label," + ",".join(f"p{i}" for i in range(784)))
    lines += [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def good_rows(n: int, seed: int = 0) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    return [[int(rng.integers(0, 10)), *rng.integers(0, 256, 784).tolist()] for _ in range(n)]


@pytest.mark.parametrize(("value_range", "low", "high"), [((-1, 1), -1, 1), ((0, 1), 0, 1)])
def test_idx_batches_span_the_configured_range(mnist_dir, value_range, low, high):
    dm = MNISTDataModule(data_dir=str(mnist_dir), batch_size=256, value_range=value_range)
    dm.setup("fit")
    images, labels = next(iter(dm.train_dataloader()))
    assert images.shape == (256, 1, 28, 28) and images.dtype == torch.float32
    assert images.min().item() == pytest.approx(low) and images.max().item() == pytest.approx(high)
    assert labels.dtype == torch.int64 and labels.min() >= 0 and labels.max() <= 9
    assert len(dm.train_images) == 60000


def test_csv_source_reads_rows(tmp_path):
    rows = good_rows(5)
    path = write_csv(tmp_path / "mnist_train.csv", rows)
    dm = MNISTDataModule(source="csv", csv_path=str(path), batch_size=2, value_range=(0, 1))
    dm.setup("fit")
    assert dm.train_images.shape == (5, 28, 28)
    assert dm.train_labels.tolist() == [r[0] for r in rows]
    assert dm.train_images[3].flatten().tolist() == rows[3][1:]
    batches = list(dm.train_dataloader())
    assert [len(b[0]) for b in batches] == [2, 2, 1]


def test_csv_wrong_column_count_names_the_row(tmp_path):
    rows = good_rows(4)
    rows[2] = rows[2][:-1]
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(MNISTDataError, match="row 4 has 784 columns"):
        load_csv(path)


def test_csv_pixel_out_of_range_names_the_row(tmp_path):
    rows = good_rows(4)
    rows[1][100] = 256
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(MNISTDataError, match="row 3 has pixel values outside 0..255"):
        load_csv(path)


def test_csv_missing_file_and_missing_path(tmp_path):
    with pytest.raises(MNISTDataError, match="does not exist"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(MNISTDataError, match="data.csv_path"):
        MNISTDataModule(source="csv")


def test_batch_larger_than_dataset_is_refused(tmp_path):
    path = write_csv(tmp_path / "small.csv", good_rows(3))
    dm = MNISTDataModule(source="csv", csv_path=str(path), batch_size=8)
    with pytest.raises(MNISTDataError, match="exceeds the 3 training images"):
        dm.setup("fit")


def _order(loader: ResidentBatches) -> list[int]:
    return torch.cat([labels for _, labels in loader]).tolist()


def test_resident_loader_shuffles_per_epoch_repeatably():
    n = 50
    images = torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1)
    ids = torch.arange(n)
    loader = ResidentBatches(images, ids, batch_size=8, seed=3)
    first = _order(loader)
    assert sorted(first) == list(range(n)) and first != list(range(n))
    loader.sampler.set_epoch(1)
    second = _order(loader)
    assert second != first and sorted(second) == list(range(n))
    # a new loader (e.g. after resuming) at the same epoch gives the same order
    again = ResidentBatches(images, ids, batch_size=8, seed=3)
    again.sampler.set_epoch(1)
    assert _order(again) == second
    # the images move with their labels
    batch_images, batch_ids = next(iter(loader))
    assert batch_images.flatten().long().tolist() == batch_ids.tolist()


def test_resident_loader_length_and_drop_last():
    images, ids = torch.zeros(50, 1, 1, 1), torch.arange(50)
    keep = ResidentBatches(images, ids, batch_size=8)
    drop = ResidentBatches(images, ids, batch_size=8, drop_last=True)
    assert len(keep) == 7 and len(list(keep)) == 7
    assert len(drop) == 6 and all(len(b[1]) == 8 for b in drop)
    ordered = ResidentBatches(images, ids, batch_size=8, shuffle=False)
    assert _order(ordered) == list(range(50))


def test_resident_loader_shards_disjointly_across_ranks():
    images, ids = torch.zeros(50, 1, 1, 1), torch.arange(50)
    shards = [
        _order(ResidentBatches(images, ids, batch_size=4, seed=1, rank=r, world_size=2))
        for r in range(2)
    ]
    assert len(shards[0]) == len(shards[1]) == 25
    assert not set(shards[0]) & set(shards[1])


def test_dataloader_path_matches_the_resident_path(mnist_dir):
    fast = MNISTDataModule(data_dir=str(mnist_dir), batch_size=64, shuffle=False)
    slow = MNISTDataModule(data_dir=str(mnist_dir), batch_size=64, shuffle=False, resident=False)
    for dm in (fast, slow):
        dm.setup("fit")
    a, b = next(iter(fast.train_dataloader())), next(iter(slow.train_dataloader()))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert len(fast.train_dataloader()) == len(slow.train_dataloader()) == 938


def test_resident_path_keeps_uint8_and_maps_each_batch(mnist_dir):
    """MNIST stays resident as uint8 (47 MB, not 188 MB as float32); batches come out as
    float32 N×1×28×28 in the value range."""
    dm = MNISTDataModule(data_dir=str(mnist_dir), batch_size=32, value_range=[-1.0, 1.0])
    dm.setup("fit")
    loader = dm.train_dataloader()
    assert loader.images.dtype == torch.uint8
    images, _ = next(iter(loader))
    assert images.dtype == torch.float32 and images.shape == (32, 1, 28, 28)
    assert images.min() == -1.0 and images.max() == 1.0

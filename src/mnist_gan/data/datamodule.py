"""``MNISTDataModule``: finds MNIST, normalises it to the generator's range, serves batches."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import Annotated, Literal

import lightning as L
import torch
from pydantic import Field
from torch.utils.data import DataLoader, TensorDataset

from mnist_gan.config.types import Place, Seed
from mnist_gan.data.csv_source import load_csv
from mnist_gan.data.idx import TRAIN_IMAGES, DataDir
from mnist_gan.data.resident_loader import ResidentBatches
from mnist_gan.data.sources import ensure_mnist
from mnist_gan.errors import MNISTDataError

log = logging.getLogger(__name__)

SOURCES = ("idx", "csv")


def to_range(images_uint8: torch.Tensor, value_range: Sequence[float]) -> torch.Tensor:
    """Map uint8 pixels (N×28×28) to float32 N×1×28×28 in ``value_range``."""
    low, high = float(value_range[0]), float(value_range[1])
    x = images_uint8.to(torch.float32).div_(255.0).unsqueeze(1)
    return x.mul_(high - low).add_(low)


class MNISTDataModule(L.LightningDataModule):
    """MNIST for GAN training.

    Args:
        data_dir: where MNIST lives (torchvision layout ``MNIST/raw``) or will be cached.
        batch_size: images per step (per process under DDP); MNIST has 60,000.
        value_range: ``[low, high]`` the pixels are mapped to; it follows the generator's
            output activation (tanh → [-1, 1], sigmoid → [0, 1]): drop the override.
        source: ``idx`` (the official files, found or fetched) or ``csv``.
        csv_path: the CSV file when ``source=csv`` (``label,p0..p783`` rows, a header).
        download: allow fetching (torchvision, then the package index) when not local.
        resident: keep the whole set as one tensor on the training device (fast path);
            ``False`` uses a ``DataLoader`` with ``num_workers``/``pin_memory``.
        shuffle: reshuffle every epoch.
        drop_last: drop the last incomplete batch.
        num_workers: DataLoader worker processes (``resident=false`` only).
        pin_memory: DataLoader's pinned memory (``resident=false`` only).
        seed: base seed of the per-epoch permutation (resident path); None = random.
    """

    def __init__(
        self,
        data_dir: DataDir = "data",
        batch_size: Annotated[int, Field(gt=0, le=TRAIN_IMAGES)] = 64,
        value_range: Annotated[Sequence[float], Field(min_length=2, max_length=2)] = (-1.0, 1.0),
        source: Literal[SOURCES] = "idx",
        csv_path: Place | None = None,
        download: bool = True,
        resident: bool = True,
        shuffle: bool = True,
        drop_last: bool = False,
        num_workers: Annotated[int, Field(ge=0, le=1024)] = 0,
        pin_memory: bool = False,
        seed: Seed | None = 0,
    ) -> None:
        super().__init__()
        if source == "csv" and not csv_path:
            raise MNISTDataError("data.source=csv needs data.csv_path=<file.csv>")
        self.data_dir = data_dir
        self.batch_size = batch_size
        self.value_range = (float(value_range[0]), float(value_range[1]))
        self.source = source
        self.csv_path = csv_path
        self.download = download
        self.resident = resident
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        # no seed: a different data order each run (as with an unseeded DataLoader)
        self.seed = int(torch.randint(0, 2**31 - 1, ()).item()) if seed is None else int(seed)
        self.train_images: torch.Tensor | None = None  # uint8 N×28×28
        self.train_labels: torch.Tensor | None = None
        self.route: str | None = None  # which source served MNIST, once found

    def prepare_data(self) -> None:
        if self.source == "idx":
            self._ensure_files()

    def _ensure_files(self) -> None:
        if self.route is None:
            self.route = ensure_mnist(self.data_dir, download=self.download)

    def setup(self, stage: str | None = None) -> None:
        if self.train_images is not None:
            return
        if self.source == "csv":
            images, labels = load_csv(self.csv_path)
            self.train_images = torch.from_numpy(images)
            self.train_labels = torch.from_numpy(labels)
            log.info("MNIST: %d training images from CSV %s", len(images), self.csv_path)
        else:
            self.train_images, self.train_labels = self.read_split(train=True)
        if self.batch_size > len(self.train_images):
            raise MNISTDataError(
                f"data.batch_size={self.batch_size} exceeds the {len(self.train_images)} "
                "training images; choose a smaller batch size"
            )

    def read_split(self, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Read the verified IDX training or test split with torchvision's ``MNIST`` class."""
        from torchvision.datasets import MNIST

        self._ensure_files()
        dataset = MNIST(self.data_dir, train=train, download=False)
        return dataset.data, dataset.targets.to(torch.int64)

    def reference_images(self, n: int = 10000) -> torch.Tensor:
        """Real images the metrics compare against, uint8 N×1×28×28.

        The MNIST test set for the IDX source (held out from training); for a CSV source,
        which has no test split, the first ``n`` training images.
        """
        if self.source == "csv":
            if self.train_images is None:
                self.setup("fit")
            log.warning("metrics: CSV source has no test split; comparing with training images")
            return self.train_images[:n].unsqueeze(1)
        images, _ = self.read_split(train=False)
        return images[:n].unsqueeze(1)

    def _device(self) -> torch.device:
        trainer = getattr(self, "trainer", None)
        return trainer.strategy.root_device if trainer is not None else torch.device("cpu")

    def train_dataloader(self):
        if self.train_images is None:
            self.setup("fit")
        trainer = getattr(self, "trainer", None)
        if self.resident:
            device = self._device()
            # uint8 stays resident; each batch is mapped to floats as it is sliced
            return ResidentBatches(
                self.train_images.to(device),
                self.train_labels.to(device),
                transform=functools.partial(to_range, value_range=self.value_range),
                batch_size=self.batch_size,
                shuffle=self.shuffle,
                drop_last=self.drop_last,
                seed=self.seed,
                rank=trainer.global_rank if trainer is not None else 0,
                world_size=trainer.world_size if trainer is not None else 1,
            )
        dataset = TensorDataset(to_range(self.train_images, self.value_range), self.train_labels)
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            shuffle=self.shuffle,
            drop_last=self.drop_last,
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            persistent_workers=self.num_workers > 0,
        )

"""The fast path: the whole training set as one tensor on the training device.

Each epoch draws one random permutation (seeded by ``seed + epoch``, so a resumed run sees
the same order as an uninterrupted one) and slices batches from it: no per-sample Python,
no PIL, no worker processes, no host-to-device copy per step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch


class EpochShuffle:
    """Holds the epoch number; Lightning calls ``set_epoch`` on ``loader.sampler`` each epoch."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def permutation(self, n: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return torch.randperm(n, generator=generator)


class ResidentBatches:
    """An iterable of ``(images, labels)`` batches sliced from device-resident tensors.

    Under data parallelism each rank takes a disjoint stride of the same permutation.
    ``transform`` maps each sliced image batch (e.g. uint8 pixels to floats), so the
    resident copy can stay compact: MNIST as uint8 is 47 MB, as float32 188 MB.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        self.images = images
        self.transform = transform
        self.labels = labels
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.rank = rank
        self.world_size = world_size
        self.sampler = EpochShuffle(seed)

    def _per_rank(self) -> int:
        return len(self.images) // self.world_size

    def __len__(self) -> int:
        n = self._per_rank()
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.images)
        order = self.sampler.permutation(n) if self.shuffle else torch.arange(n)
        order = order[: self._per_rank() * self.world_size][self.rank :: self.world_size]
        order = order.to(self.images.device)
        stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            index = order[start : start + self.batch_size]
            images = self.images.index_select(0, index)
            if self.transform is not None:
                images = self.transform(images)
            yield images, self.labels.index_select(0, index)

"""Shared by the benchmark scripts: wall time of each training epoch, by a Lightning callback."""

from __future__ import annotations

import time

import lightning as L


class EpochTimer(L.Callback):
    """Records each epoch's wall time (epoch start to epoch end) and the batches it ran."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.batches = 0

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._start = time.perf_counter()

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self.times.append(time.perf_counter() - self._start)
        self.batches = trainer.num_training_batches

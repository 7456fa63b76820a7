"""A callback that subprocess tests load by ``_target_`` (the tests folder on PYTHONPATH)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import lightning as L


class BatchProbe(L.Callback):
    """Writes a digest of every training batch this rank saw to ``<dirpath>/rank<r>.json``,
    with the number of samples this rank generated and judged at the last evaluation."""

    def __init__(self, dirpath: str) -> None:
        self.dirpath = Path(dirpath)
        self.digests: list[str] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        images = batch[0].detach().cpu().contiguous()
        self.digests.append(hashlib.sha1(images.numpy().tobytes()).hexdigest())

    def on_train_end(self, trainer, pl_module) -> None:
        from mnist_gan.callbacks import Evaluation

        shares = [cb.last_share for cb in trainer.callbacks if isinstance(cb, Evaluation)]
        self.dirpath.mkdir(parents=True, exist_ok=True)
        out = self.dirpath / f"rank{trainer.global_rank}.json"
        out.write_text(
            json.dumps(
                {
                    "world_size": trainer.world_size,
                    "batches": self.digests,
                    "eval_share": shares[0] if shares else None,
                }
            )
        )

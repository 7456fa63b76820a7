"""torch's random state across checkpoints and ranks.

The noise G trains on comes from torch's global generator. Its state is saved with every
checkpoint and restored on resume, so a resumed run draws exactly the noise the unbroken
run would have drawn. Under DDP each rank then folds its rank in, so the ranks train on
different noise.
"""

from __future__ import annotations

from typing import Any

import torch


def rng_state() -> dict[str, Any]:
    """torch's CPU generator state, and CUDA's when CUDA is in use."""
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Put back a state saved by ``rng_state``."""
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def fold_in_rank(rank: int) -> None:
    """Reseed from the shared state plus ``rank``: the same seed, different noise per rank."""
    torch.manual_seed(int(torch.randint(0, 2**62, ())) + rank)

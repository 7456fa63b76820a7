"""Pick a torch device by name for the stand-alone commands (training lets Lightning pick)."""

from __future__ import annotations

import torch


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` → CUDA, else Apple MPS, else CPU; or an explicit ``cpu``/``cuda``/``mps``."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(name)

"""Grids of digits for people to look at: the sample grids of training and generate.py.

A 28-pixel digit is hard to read in a PNG viewer or TensorBoard's image card, so grids are
enlarged by whole-pixel (nearest-neighbour) upscaling: every pixel becomes a ``scale`` ×
``scale`` block, nothing is smoothed or invented. Only the pictures are enlarged; sampled
tensors and ``samples.npz`` stay 28×28.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torchvision.utils import make_grid, save_image

# The display enlargement of every grid (callbacks.sample_grid.scale, generate.py scale).
DEFAULT_SCALE = 3


def image_grid(images: torch.Tensor, nrow: int, scale: int = DEFAULT_SCALE) -> torch.Tensor:
    """``images`` (N×1×H×W in [0, 1]) as one 3×H'×W' grid, 2-pixel white gaps, each pixel
    repeated ``scale`` times along both axes."""
    grid = make_grid(images, nrow=nrow, padding=2, pad_value=1.0)
    if scale > 1:
        grid = grid.repeat_interleave(scale, dim=1).repeat_interleave(scale, dim=2)
    return grid


def save_grid(images: torch.Tensor, path: Path, nrow: int, scale: int = DEFAULT_SCALE) -> None:
    """Write :func:`image_grid` of ``images`` as a PNG."""
    save_image(image_grid(images, nrow, scale), path)

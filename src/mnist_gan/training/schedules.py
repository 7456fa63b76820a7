"""Instance noise: its schedule, a pure function of training progress, and its application."""

from __future__ import annotations

import torch


def instance_noise_std(std: float, anneal_epochs: float | None, progress: float) -> float:
    """Instance noise (Sønderby et al. 2017; Arjovsky & Bottou 2017) after ``progress``
    epochs: ``std`` throughout when ``anneal_epochs`` is None, else falling linearly from
    ``std`` to 0 over ``anneal_epochs`` epochs and 0 after."""
    if not std or not anneal_epochs:
        return std
    return std * max(0.0, 1.0 - progress / anneal_epochs)


def with_instance_noise(images: torch.Tensor, std: float) -> torch.Tensor:
    """``images`` as D sees them: plus Gaussian noise of ``std`` (unchanged when 0)."""
    if not std:
        return images
    return images + std * torch.randn_like(images)

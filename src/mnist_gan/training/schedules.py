"""Schedules as pure functions of training progress (in epochs, fractional): instance noise
and its application, and the learning-rate decay."""

from __future__ import annotations

import math

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


# The learning-rate decays by name (model.lr_decay): the rate's multiple when ``done`` of
# the decay span has passed.
LR_DECAYS = {
    "linear": lambda done: 1.0 - done,
    "cosine": lambda done: 0.5 * (1.0 + math.cos(math.pi * done)),
}


def lr_factor(
    schedule: str | None, decay_epochs: float | None, total_epochs: float, progress: float
) -> float:
    """The multiple of the base learning rate after ``progress`` of ``total_epochs`` epochs.

    ``None``: 1 throughout. A ``LR_DECAYS`` name: 1 until the last ``decay_epochs`` epochs
    (all of them when None), then falling to 0 at ``total_epochs``: the "constant, then
    decay" schedule of Isola/Zhu et al.'s GANs, which lets the last epochs settle instead
    of ending on one of Adam's large steps.
    """
    if schedule is None:
        return 1.0
    span = total_epochs if decay_epochs is None else min(decay_epochs, total_epochs)
    done = min(1.0, max(0.0, (progress - (total_epochs - span)) / span))
    return LR_DECAYS[schedule](done)

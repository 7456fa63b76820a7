"""An exponential moving average of a network's weights (Karras et al. 2018; Yazıcı et al.
2019): samples from the average are smoother and less prone to the last step's swings."""

from __future__ import annotations

import copy

import torch
from torch import nn


def copy_for_ema(network: nn.Module) -> nn.Module:
    """A frozen copy of ``network`` to hold the average (starts equal to it)."""
    average = copy.deepcopy(network)
    average.requires_grad_(False)
    return average


def warmed_up_decay(decay: float, updates: int) -> float:
    """The decay for update number ``updates`` (from 0): ``min(decay, (1 + n) / (10 + n))``.

    Without the warm-up a 0.999 average still holds a third of the random initial weights
    after 1,000 steps; with it the average tracks G closely early on and settles to
    ``decay`` after about 10/(1 - decay) updates.
    """
    return min(decay, (1 + updates) / (10 + updates))


@torch.no_grad()
def update_ema(average: nn.Module, network: nn.Module, decay: float) -> None:
    """average ← decay·average + (1 - decay)·network for every parameter; buffers (batch-norm
    running statistics) are copied, as they are averages already."""
    targets = list(average.parameters())
    sources = [p.detach() for p in network.parameters()]
    if decay == 0:
        torch._foreach_copy_(targets, sources)
    else:
        torch._foreach_lerp_(targets, sources, 1.0 - decay)
    for target, source in zip(average.buffers(), network.buffers(), strict=True):
        target.copy_(source)

"""Fully connected generators and discriminators, configurable enough for all three tutorials.

Plain ``nn.Module``s: nothing here knows about Lightning, files or devices.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from mnist_gan.choices import ACTIVATIONS, OUTPUT_ACTIVATIONS

IMAGE_SHAPE = (1, 28, 28)
IMAGE_PIXELS = 28 * 28


def hidden_activation(name: str, negative_slope: float = 0.2) -> nn.Module:
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(negative_slope)
    raise ValueError(f"unknown activation {name!r}; use one of {ACTIVATIONS}")


def make_output_activation(name: str) -> nn.Module:
    if name == "tanh":
        return nn.Tanh()
    if name == "sigmoid":
        return nn.Sigmoid()
    raise ValueError(f"unknown output activation {name!r}; use one of {OUTPUT_ACTIVATIONS}")


class MLPGenerator(nn.Module):
    """``z → hidden[0] → … → hidden[-1] → 784`` with an output activation, as N×1×28×28.

    Args:
        latent_dim: size of z.
        hidden: widths of the hidden layers.
        activation: ``relu`` or ``leaky_relu``.
        negative_slope: LeakyReLU slope.
        batch_norm: BatchNorm1d after each hidden Linear except the first (PyTorch-GAN's
            ``normalize=False`` on its first block).
        batch_norm_eps: BatchNorm's ``eps``. PyTorch-GAN writes ``BatchNorm1d(n, 0.8)``,
            whose second positional argument is ``eps`` (not momentum); 0.8 reproduces it.
        batch_norm_momentum: BatchNorm's running-stat momentum.
        output_activation: ``tanh`` (data in [-1, 1]) or ``sigmoid`` (data in [0, 1]).
    """

    def __init__(
        self,
        latent_dim: int,
        hidden: Sequence[int],
        activation: str = "relu",
        negative_slope: float = 0.2,
        batch_norm: bool = False,
        batch_norm_eps: float = 1e-5,
        batch_norm_momentum: float = 0.1,
        output_activation: str = "tanh",
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        layers: list[nn.Module] = []
        width = latent_dim
        for i, out in enumerate(hidden):
            layers.append(nn.Linear(width, out))
            if batch_norm and i > 0:
                layers.append(nn.BatchNorm1d(out, eps=batch_norm_eps, momentum=batch_norm_momentum))
            layers.append(hidden_activation(activation, negative_slope))
            width = out
        layers.append(nn.Linear(width, IMAGE_PIXELS))
        layers.append(make_output_activation(output_activation))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *IMAGE_SHAPE)


class MLPDiscriminator(nn.Module):
    """``784 → hidden[0] → … → hidden[-1] → 1``, ending in a logit (no sigmoid).

    Returns a vector of N logits; losses apply the sigmoid inside ``*_with_logits``.
    """

    def __init__(
        self,
        hidden: Sequence[int],
        activation: str = "relu",
        negative_slope: float = 0.2,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = IMAGE_PIXELS
        for out in hidden:
            layers += [nn.Linear(width, out), hidden_activation(activation, negative_slope)]
            width = out
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)

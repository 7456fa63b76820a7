"""Fully connected generators and discriminators, configurable enough for all three tutorials
and the anti-collapse remedies (packing, minibatch stddev, spectral norm, conditioning).

Plain ``nn.Module``s: nothing here knows about Lightning, files or devices.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import torch
from pydantic import NonNegativeFloat, PositiveFloat, PositiveInt
from torch import nn

from mnist_gan.config.types import Fraction
from mnist_gan.models.blocks import (
    condition_latent,
    discriminator_output,
    pack,
    with_spectral_norm,
)
from mnist_gan.models.contract import (
    IMAGE_PIXELS,
    IMAGE_SHAPE,
    Discriminator,
    Generator,
    OutputActivation,
    output_layer,
)

# The hidden activations by knob name (the knob's choices are this table's keys).
HIDDEN_ACTIVATIONS = {
    "relu": lambda negative_slope: nn.ReLU(),
    "leaky_relu": nn.LeakyReLU,
}
Activation = Literal[tuple(HIDDEN_ACTIVATIONS)]


class MLPGenerator(Generator):
    """``z → hidden[0] → … → hidden[-1] → 784`` with an output activation, as N×1×28×28.

    Args:
        hidden: widths of the hidden layers.
        activation: the hidden layers' activation.
        negative_slope: LeakyReLU's slope.
        batch_norm: BatchNorm1d after each hidden Linear except the first (PyTorch-GAN's
            ``normalize=False`` on its first block).
        batch_norm_eps: BatchNorm's ``eps``. PyTorch-GAN writes ``BatchNorm1d(n, 0.8)``,
            whose second positional argument is ``eps`` (not momentum); 0.8 reproduces it.
        batch_norm_momentum: BatchNorm's running-statistics momentum.
    """

    def __init__(
        self,
        latent_dim: int,
        hidden: Sequence[PositiveInt],
        activation: Activation = "relu",
        negative_slope: NonNegativeFloat = 0.2,
        batch_norm: bool = False,
        batch_norm_eps: PositiveFloat = 1e-5,
        batch_norm_momentum: Fraction = 0.1,
        output_activation: OutputActivation = "tanh",
        num_classes: int | None = None,
    ) -> None:
        super().__init__(latent_dim, output_activation, num_classes)
        layers: list[nn.Module] = []
        width = latent_dim + (num_classes or 0)
        for i, out in enumerate(hidden):
            layers.append(nn.Linear(width, out))
            if batch_norm and i > 0:
                layers.append(nn.BatchNorm1d(out, eps=batch_norm_eps, momentum=batch_norm_momentum))
            layers.append(HIDDEN_ACTIVATIONS[activation](negative_slope))
            width = out
        layers.append(nn.Linear(width, IMAGE_PIXELS))
        layers.append(output_layer(output_activation))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = condition_latent(z, labels, self.num_classes)
        return self.net(z).view(z.shape[0], *IMAGE_SHAPE)


class MLPDiscriminator(Discriminator):
    """``784·pack → hidden[0] → … → hidden[-1] → 1``, ending in a logit (no sigmoid).

    A conditional D adds the projection ⟨embed(y), h⟩ of its last hidden features h
    (Miyato & Koyama 2018); the AC-GAN head is a classifier on h.

    Args:
        hidden: widths of the hidden layers.
        activation: the hidden layers' activation.
        negative_slope: LeakyReLU's slope.
    """

    def __init__(
        self,
        hidden: Sequence[PositiveInt],
        activation: Activation = "relu",
        negative_slope: NonNegativeFloat = 0.2,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        layers: list[nn.Module] = [nn.Flatten()]
        width = IMAGE_PIXELS * self.pack
        for out in hidden:
            layers += [nn.Linear(width, out), HIDDEN_ACTIVATIONS[activation](negative_slope)]
            width = out
        width += 1 if self.minibatch_std is not None else 0
        layers.append(nn.Linear(width, 1))
        # One Sequential, so an unconditional D without extras keeps the tutorial's keys.
        self.net = nn.Sequential(*layers)
        self.embed = nn.Embedding(self.num_classes, width) if self.num_classes else None
        self.classifier = nn.Linear(width, self.aux_classes) if self.aux_classes else None
        if self.spectral_norm:
            with_spectral_norm(self.net)

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, segments: int = 1
    ) -> torch.Tensor:
        x = pack(x, self.pack)
        if self.minibatch_std is None and self.embed is None and self.classifier is None:
            return self.net(x).squeeze(1)
        h = self.net[:-1](x)
        return discriminator_output(
            h, self.net[-1], self.minibatch_std, self.embed, labels, segments, self.classifier
        )

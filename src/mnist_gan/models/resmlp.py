"""Residual MLPs (``model=resmlp``): G and D built from pre-norm residual blocks
``x + Linear(LeakyReLU(LayerNorm(x)))`` at one width, between an input and an output layer.

LayerNorm normalises each sample on its own, so unlike batch-norm it never couples the
samples of a batch: R1, WGAN-GP and the joint real+fake forward stay valid.
"""

from __future__ import annotations

from typing import Any

import torch
from pydantic import NonNegativeFloat, NonNegativeInt, PositiveInt
from torch import nn

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


def residual_stack(
    width: int, num_blocks: int, layer_norm: bool, negative_slope: float
) -> nn.Sequential:
    """``num_blocks`` residual blocks at ``width``, then the activation of the last one."""
    return nn.Sequential(
        *(ResidualBlock(width, layer_norm, negative_slope) for _ in range(num_blocks)),
        nn.LeakyReLU(negative_slope),
    )


class ResidualBlock(nn.Module):
    """``x + Linear(LeakyReLU(LayerNorm(x)))``."""

    def __init__(self, width: int, layer_norm: bool, negative_slope: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width) if layer_norm else nn.Identity()
        self.act = nn.LeakyReLU(negative_slope)
        self.linear = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.linear(self.act(self.norm(x)))


class ResMLPGenerator(Generator):
    """``z → Linear → width → num_blocks residual blocks → 784`` with an output activation.

    Args:
        width: units of every residual block.
        num_blocks: residual blocks (0: one hidden layer).
        layer_norm: LayerNorm at the start of every block.
        negative_slope: LeakyReLU's slope.
    """

    def __init__(
        self,
        latent_dim: int,
        width: PositiveInt = 256,
        num_blocks: NonNegativeInt = 2,
        layer_norm: bool = True,
        negative_slope: NonNegativeFloat = 0.2,
        output_activation: OutputActivation = "tanh",
        num_classes: int | None = None,
    ) -> None:
        super().__init__(latent_dim, output_activation, num_classes)
        self.net = nn.Sequential(
            nn.Linear(latent_dim + (num_classes or 0), width),
            residual_stack(width, num_blocks, layer_norm, negative_slope),
            nn.Linear(width, IMAGE_PIXELS),
            output_layer(output_activation),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = condition_latent(z, labels, self.num_classes)
        return self.net(z).view(z.shape[0], *IMAGE_SHAPE)


class ResMLPDiscriminator(Discriminator):
    """``784·pack → Linear → width → num_blocks residual blocks → 1``, ending in a logit.

    Args:
        width: units of every residual block.
        num_blocks: residual blocks (0: one hidden layer).
        layer_norm: LayerNorm at the start of every block.
        negative_slope: LeakyReLU's slope.
    """

    def __init__(
        self,
        width: PositiveInt = 256,
        num_blocks: NonNegativeInt = 2,
        layer_norm: bool = True,
        negative_slope: NonNegativeFloat = 0.2,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.body = nn.Sequential(
            nn.Flatten(),
            nn.Linear(IMAGE_PIXELS * self.pack, width),
            residual_stack(width, num_blocks, layer_norm, negative_slope),
        )
        width += 1 if self.minibatch_std is not None else 0
        self.out = nn.Linear(width, 1)
        self.embed = nn.Embedding(self.num_classes, width) if self.num_classes else None
        self.classifier = nn.Linear(width, self.aux_classes) if self.aux_classes else None
        if self.spectral_norm:
            with_spectral_norm(self)

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, segments: int = 1
    ) -> torch.Tensor:
        h = self.body(pack(x, self.pack))
        return discriminator_output(
            h, self.out, self.minibatch_std, self.embed, labels, segments, self.classifier
        )

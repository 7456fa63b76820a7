"""A DCGAN pair sized for 28×28 (Radford et al. 2016): transposed convolutions up from 7×7
in G, strided convolutions down to 7×7 in D. The same remedies as the MLP D (packing,
minibatch stddev, spectral norm, projection conditioning) are available."""

from __future__ import annotations

from typing import Annotated, Any

import torch
from pydantic import Field, NonNegativeFloat, PositiveInt
from torch import nn

from mnist_gan.models.blocks import condition_latent, discriminator_output, pack, with_spectral_norm
from mnist_gan.models.contract import (
    IMAGE_SHAPE,
    Discriminator,
    Generator,
    OutputActivation,
    output_layer,
)

Channels = Annotated[list[PositiveInt], Field(min_length=2, max_length=2)]


class ConvGenerator(Generator):
    """``z → Linear → channels[0]×7×7 → ConvT ↑14×14 → … → ConvT ↑28×28 → 1 channel``.

    Args:
        channels: feature maps at 7×7 and at 14×14.
        batch_norm: BatchNorm after the projection and each hidden transposed conv (DCGAN).
    """

    def __init__(
        self,
        latent_dim: int,
        channels: Channels = (128, 64),
        batch_norm: bool = True,
        output_activation: OutputActivation = "tanh",
        num_classes: int | None = None,
    ) -> None:
        super().__init__(latent_dim, output_activation, num_classes)
        c7, c14 = channels

        def norm(c: int, dims: int) -> nn.Module:
            if not batch_norm:
                return nn.Identity()
            return nn.BatchNorm1d(c) if dims == 1 else nn.BatchNorm2d(c)

        self.project = nn.Sequential(
            nn.Linear(latent_dim + (num_classes or 0), c7 * 7 * 7),
            norm(c7 * 7 * 7, 1),
            nn.ReLU(),
        )
        self.c7 = c7
        self.net = nn.Sequential(
            nn.ConvTranspose2d(c7, c14, 4, stride=2, padding=1),
            norm(c14, 2),
            nn.ReLU(),
            nn.ConvTranspose2d(c14, IMAGE_SHAPE[0], 4, stride=2, padding=1),
            output_layer(output_activation),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = condition_latent(z, labels, self.num_classes)
        return self.net(self.project(z).view(z.shape[0], self.c7, 7, 7))


class ConvDiscriminator(Discriminator):
    """``28×28 → Conv ↓14×14 → Conv ↓7×7 → Linear → 1`` with LeakyReLU, ending in a logit;
    the minibatch-stddev feature is one extra 7×7 channel.

    Args:
        channels: feature maps at 14×14 and at 7×7.
        negative_slope: LeakyReLU's slope.
        batch_norm: BatchNorm after the second conv (DCGAN's D). It couples the samples of
            a batch, which WGAN-GP and R1 assume they are not; off by default.
    """

    def __init__(
        self,
        channels: Channels = (64, 128),
        negative_slope: NonNegativeFloat = 0.2,
        batch_norm: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        c14, c7 = channels
        self.batch_norm = batch_norm
        self.features = nn.Sequential(
            nn.Conv2d(IMAGE_SHAPE[0] * self.pack, c14, 4, stride=2, padding=1),
            nn.LeakyReLU(negative_slope),
            nn.Conv2d(c14, c7, 4, stride=2, padding=1),
            nn.BatchNorm2d(c7) if batch_norm else nn.Identity(),
            nn.LeakyReLU(negative_slope),
        )
        width = (c7 + (1 if self.minibatch_std is not None else 0)) * 7 * 7
        self.out = nn.Linear(width, 1)
        self.embed = nn.Embedding(self.num_classes, width) if self.num_classes else None
        self.classifier = nn.Linear(width, self.aux_classes) if self.aux_classes else None
        if self.spectral_norm:
            with_spectral_norm(self)

    @property
    def mixes_samples(self) -> bool:
        return super().mixes_samples or self.batch_norm

    @property
    def splits_segments(self) -> bool:
        return super().splits_segments and not self.batch_norm

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, segments: int = 1
    ) -> torch.Tensor:
        h = self.features(pack(x, self.pack))
        return discriminator_output(
            h, self.out, self.minibatch_std, self.embed, labels, segments, self.classifier
        )

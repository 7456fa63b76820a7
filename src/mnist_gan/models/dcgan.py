"""A DCGAN pair sized for 28×28 (Radford et al. 2016): transposed convolutions up from 7×7
in G, strided convolutions down to 7×7 in D. The same remedies as the MLP D (packing,
minibatch stddev, spectral norm, projection conditioning) are available."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from mnist_gan.models.blocks import (
    MinibatchStd,
    condition_latent,
    discriminator_output,
    pack,
    with_spectral_norm,
)
from mnist_gan.models.mlp import IMAGE_SHAPE, OUTPUT_ACTIVATIONS


class ConvGenerator(nn.Module):
    """``z → Linear → channels[0]×7×7 → ConvT ↑14×14 → … → ConvT ↑28×28 → 1 channel``.

    Args:
        latent_dim: size of z.
        channels: feature maps at 7×7 and at 14×14 (two entries).
        batch_norm: BatchNorm after the projection and each hidden transposed conv (DCGAN).
        output_activation: ``tanh`` or ``sigmoid``.
        num_classes: conditional G: the one-hot label is concatenated to z (None = off).
    """

    def __init__(
        self,
        latent_dim: int,
        channels: Sequence[int] = (128, 64),
        batch_norm: bool = True,
        output_activation: str = "tanh",
        num_classes: int | None = None,
    ) -> None:
        super().__init__()
        if len(channels) != 2:
            raise ValueError(f"channels={list(channels)}: give the widths at 7×7 and 14×14")
        c7, c14 = channels
        self.latent_dim = latent_dim
        self.num_classes = num_classes

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
            OUTPUT_ACTIVATIONS[output_activation](),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = condition_latent(z, labels, self.num_classes)
        return self.net(self.project(z).view(z.shape[0], self.c7, 7, 7))


class ConvDiscriminator(nn.Module):
    """``28×28 → Conv ↓14×14 → Conv ↓7×7 → Linear → 1`` with LeakyReLU, ending in a logit.

    Args:
        channels: feature maps at 14×14 and at 7×7 (two entries).
        negative_slope: LeakyReLU slope.
        batch_norm: BatchNorm after the second conv (DCGAN's D). It couples the samples of
            a batch, which WGAN-GP and R1 assume they are not; off by default.
        pack, minibatch_std, minibatch_std_group, spectral_norm, num_classes, aux_classes:
            as in ``MLPDiscriminator`` (the stddev feature is one extra 7×7 channel).
    """

    def __init__(
        self,
        channels: Sequence[int] = (64, 128),
        negative_slope: float = 0.2,
        batch_norm: bool = False,
        pack: int = 1,
        minibatch_std: bool = False,
        minibatch_std_group: int = 4,
        spectral_norm: bool = False,
        num_classes: int | None = None,
        aux_classes: int | None = None,
    ) -> None:
        super().__init__()
        if len(channels) != 2:
            raise ValueError(f"channels={list(channels)}: give the widths at 14×14 and 7×7")
        c14, c7 = channels
        self.pack = pack
        self.num_classes = num_classes
        self.batch_norm = batch_norm
        self.features = nn.Sequential(
            nn.Conv2d(IMAGE_SHAPE[0] * pack, c14, 4, stride=2, padding=1),
            nn.LeakyReLU(negative_slope),
            nn.Conv2d(c14, c7, 4, stride=2, padding=1),
            nn.BatchNorm2d(c7) if batch_norm else nn.Identity(),
            nn.LeakyReLU(negative_slope),
        )
        self.minibatch_std = MinibatchStd(minibatch_std_group) if minibatch_std else None
        width = (c7 + (1 if minibatch_std else 0)) * 7 * 7
        self.out = nn.Linear(width, 1)
        self.embed = nn.Embedding(num_classes, width) if num_classes else None
        self.classifier = nn.Linear(width, aux_classes) if aux_classes else None
        if spectral_norm:
            with_spectral_norm(self)

    @property
    def mixes_samples(self) -> bool:
        """True when one sample's output depends on others in the batch."""
        return self.pack > 1 or self.minibatch_std is not None or self.batch_norm

    @property
    def splits_segments(self) -> bool:
        """True when ``forward(x, segments=s)`` judges s consecutive parts of ``x`` as
        separate batches (the stddev feature alone mixes samples: no packing, no BN)."""
        return self.pack == 1 and not self.batch_norm

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, segments: int = 1
    ) -> torch.Tensor:
        h = self.features(pack(x, self.pack))
        return discriminator_output(
            h, self.out, self.minibatch_std, self.embed, labels, segments, self.classifier
        )

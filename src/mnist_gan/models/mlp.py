"""Fully connected generators and discriminators, configurable enough for all three tutorials
and the anti-collapse remedies (packing, minibatch stddev, spectral norm, conditioning).

Plain ``nn.Module``s: nothing here knows about Lightning, files or devices.
"""

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

IMAGE_SHAPE = (1, 28, 28)
IMAGE_PIXELS = 28 * 28


# The networks' activations by config name (the names are checked once, in
# config/validate.py against config/choices.py; a test keeps these tables to them).
HIDDEN_ACTIVATIONS = {
    "relu": lambda negative_slope: nn.ReLU(),
    "leaky_relu": nn.LeakyReLU,
}
OUTPUT_ACTIVATIONS = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


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
        num_classes: conditional G: the one-hot label is concatenated to z (None = off).
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
        num_classes: int | None = None,
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        layers: list[nn.Module] = []
        width = latent_dim + (num_classes or 0)
        for i, out in enumerate(hidden):
            layers.append(nn.Linear(width, out))
            if batch_norm and i > 0:
                layers.append(nn.BatchNorm1d(out, eps=batch_norm_eps, momentum=batch_norm_momentum))
            layers.append(HIDDEN_ACTIVATIONS[activation](negative_slope))
            width = out
        layers.append(nn.Linear(width, IMAGE_PIXELS))
        layers.append(OUTPUT_ACTIVATIONS[output_activation]())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = condition_latent(z, labels, self.num_classes)
        return self.net(z).view(z.shape[0], *IMAGE_SHAPE)


class MLPDiscriminator(nn.Module):
    """``784·pack → hidden[0] → … → hidden[-1] → 1``, ending in a logit (no sigmoid).

    Args:
        hidden: widths of the hidden layers.
        activation: ``relu`` or ``leaky_relu``.
        negative_slope: LeakyReLU slope.
        pack: PacGAN's m: D judges m samples at once (input width 784·m, N/m outputs).
        minibatch_std: append the minibatch-stddev feature before the output layer.
        minibatch_std_group: group size of that feature.
        spectral_norm: spectral normalisation on every Linear.
        num_classes: conditional D, by projection (Miyato & Koyama 2018): the output gains
            ⟨embed(y), h⟩ for the last hidden features h (None = off).
        aux_classes: AC-GAN (Odena et al. 2017): a classifier head on h, whose logits
            follow the output, N×(1 + aux_classes) (None = off).

    Returns one output per sample (per pack); losses apply the sigmoid where they need it.
    """

    def __init__(
        self,
        hidden: Sequence[int],
        activation: str = "relu",
        negative_slope: float = 0.2,
        pack: int = 1,
        minibatch_std: bool = False,
        minibatch_std_group: int = 4,
        spectral_norm: bool = False,
        num_classes: int | None = None,
        aux_classes: int | None = None,
    ) -> None:
        super().__init__()
        self.pack = pack
        self.num_classes = num_classes
        layers: list[nn.Module] = [nn.Flatten()]
        width = IMAGE_PIXELS * pack
        for out in hidden:
            layers += [nn.Linear(width, out), HIDDEN_ACTIVATIONS[activation](negative_slope)]
            width = out
        self.minibatch_std = MinibatchStd(minibatch_std_group) if minibatch_std else None
        width += 1 if minibatch_std else 0
        layers.append(nn.Linear(width, 1))
        # One Sequential, so an unconditional D without extras keeps the tutorial's keys.
        self.net = nn.Sequential(*layers)
        self.embed = nn.Embedding(num_classes, width) if num_classes else None
        self.classifier = nn.Linear(width, aux_classes) if aux_classes else None
        if spectral_norm:
            with_spectral_norm(self.net)

    @property
    def mixes_samples(self) -> bool:
        """True when one sample's output depends on others in the batch (packing, stddev)."""
        return self.pack > 1 or self.minibatch_std is not None

    @property
    def splits_segments(self) -> bool:
        """True when ``forward(x, segments=s)`` judges s consecutive parts of ``x`` as
        separate batches (what mixes them is the stddev feature alone, not packing)."""
        return self.pack == 1

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

"""What the GAN module asks of its two networks: subclass these to plug in your own.

A generator is built as ``cls(latent_dim=..., **knobs)``, with ``num_classes=10`` when the run
is conditional, and maps ``z`` (N×latent_dim) and, when conditional, ``labels`` (N digits) to
images N×1×28×28 in the range of its ``output_activation`` (tanh → [-1, 1], sigmoid → [0, 1];
the data is mapped to the same range).

A discriminator is built as ``cls(**knobs)``, with ``num_classes=10`` when conditional and
``aux_classes=10`` with the AC-GAN head, and maps images (and labels) to one logit per sample,
or per pack of ``pack`` samples, followed by ``aux_classes`` class logits when it has the head.
Its options against mode collapse are declared here once; a subclass that mixes the samples of
a batch in other ways (batch-norm) says so through ``mixes_samples``/``splits_segments``.

Each knob is a typed constructor parameter documented under ``Args:`` (``config/knobs.py``
reads and checks them before anything is built).
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import PositiveInt
from torch import nn

from mnist_gan.config.resolvers import ACTIVATION_RANGES
from mnist_gan.models.blocks import MinibatchStd

IMAGE_SHAPE = (1, 28, 28)
IMAGE_PIXELS = 28 * 28
OutputActivation = Literal[tuple(ACTIVATION_RANGES)]


def output_layer(name: str) -> nn.Module:
    """The output activation by its knob name: ``tanh`` → ``nn.Tanh()``."""
    return getattr(nn, name.title())()


class Generator(nn.Module):
    """A generator of 28×28 digits.

    Args:
        output_activation: ``tanh`` (data in [-1, 1]) or ``sigmoid`` (data in [0, 1]).
    """

    def __init__(
        self,
        latent_dim: int,
        output_activation: OutputActivation = "tanh",
        num_classes: int | None = None,
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.output_activation = output_activation


class Discriminator(nn.Module):
    """A discriminator ending in logits (the losses apply a sigmoid where they need one).

    Args:
        pack: PacGAN's m: D judges m samples at once (1 = off; the paper uses 2-4).
        minibatch_std: append the minibatch standard deviation feature before the output
            layer (ProGAN): a batch without variety is easy to reject.
        minibatch_std_group: group size of that feature.
        spectral_norm: spectral normalisation on every layer (SNGAN).
    """

    def __init__(
        self,
        pack: PositiveInt = 1,
        minibatch_std: bool = False,
        minibatch_std_group: PositiveInt = 4,
        spectral_norm: bool = False,
        num_classes: int | None = None,
        aux_classes: int | None = None,
    ) -> None:
        super().__init__()
        self.pack = pack
        self.minibatch_std = MinibatchStd(minibatch_std_group) if minibatch_std else None
        self.spectral_norm = spectral_norm
        self.num_classes = num_classes
        self.aux_classes = aux_classes

    @property
    def mixes_samples(self) -> bool:
        """True when one sample's output depends on others in the batch."""
        return self.pack > 1 or self.minibatch_std is not None

    @property
    def splits_segments(self) -> bool:
        """True when ``forward(x, labels, segments=s)`` judges s consecutive equal parts of
        ``x`` as separate batches (what mixes samples is the stddev feature alone)."""
        return self.pack == 1

    def judge(
        self,
        real: torch.Tensor,
        fake: torch.Tensor,
        labels: torch.Tensor | None = None,
        joint: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """D's outputs on a real and a fake batch. ``joint``: one forward over both (D's
        matmuls at twice the batch) where that changes nothing, i.e. where the samples do
        not interact or interact only within their own segment; else two forwards."""
        if joint and (not self.mixes_samples or self.splits_segments):
            both = None if labels is None else torch.cat([labels, labels])
            segments = {"segments": 2} if self.mixes_samples else {}
            return self(torch.cat([real, fake]), both, **segments).chunk(2)
        return self(real, labels), self(fake, labels)

    def split(self, out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(the adversarial logits, the AC-GAN class logits or None)."""
        if not self.aux_classes:
            return out, None
        return out[:, 0], out[:, 1:]

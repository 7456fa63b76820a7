"""Pieces the discriminators and generators share: packing, minibatch standard deviation,
spectral normalisation, label conditioning."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def pack(x: torch.Tensor, m: int) -> torch.Tensor:
    """PacGAN (Lin et al. 2018): N images → N/m packs of m images stacked as channels.

    A trailing N mod m images are dropped (both the real and the fake batch lose the same
    count). ``m == 1`` returns ``x`` unchanged.
    """
    if m == 1:
        return x
    n = x.shape[0] - x.shape[0] % m
    if n == 0:
        raise ValueError(f"a batch of {x.shape[0]} images cannot fill one pack of {m}")
    return x[:n].reshape(n // m, m * x.shape[1], *x.shape[2:])


class MinibatchStd(nn.Module):
    """Appends one feature: the standard deviation of each feature across a group of
    samples, averaged (ProGAN/StyleGAN, Karras et al. 2018). A collapsed generator makes
    near-identical samples, so the feature is near 0 for its batches and D can tell.

    Works on N×C and N×C×H×W. A group is ``g`` samples N/g apart, g the largest divisor of
    N not above ``group_size`` (so any batch size works). ``segments`` > 1: the batch is
    that many equal consecutive parts, each grouped as a batch of its own (so real and
    fake images can share one forward without sharing a statistic).
    """

    def __init__(self, group_size: int = 4) -> None:
        super().__init__()
        if group_size < 1:
            raise ValueError(f"minibatch_std group size {group_size} must be >= 1")
        self.group_size = group_size

    def forward(self, x: torch.Tensor, segments: int = 1) -> torch.Tensor:
        n = x.shape[0] // segments
        g = min(self.group_size, n)
        while n % g:
            g -= 1
        grouped = x.reshape(segments, g, n // g, *x.shape[1:])
        # the variance written out: torch's var over a leading dimension is ~40x slower on
        # the CPU, and it was a third of a training step
        centred = grouped - grouped.mean(dim=1, keepdim=True)
        std = centred.square().mean(dim=1).add(1e-8).sqrt()
        stat = std.flatten(2).mean(dim=2)  # one value per segment and group position
        stat = stat.repeat(1, g).reshape(x.shape[0], 1, *([1] * (x.ndim - 2)))
        return torch.cat([x, stat.expand(x.shape[0], 1, *x.shape[2:])], dim=1)


def with_spectral_norm(module: nn.Module) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018) on every Linear and Conv layer inside."""
    for name, child in module.named_children():
        if isinstance(child, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            setattr(module, name, nn.utils.parametrizations.spectral_norm(child))
        else:
            with_spectral_norm(child)
    return module


def one_hot(labels: torch.Tensor, num_classes: int, dtype: torch.dtype) -> torch.Tensor:
    return F.one_hot(labels.long(), num_classes).to(dtype)


def require_labels(labels: torch.Tensor | None, num_classes: int | None) -> None:
    if num_classes and labels is None:
        raise ValueError("this network is conditional: pass the digit labels")


def condition_latent(
    z: torch.Tensor, labels: torch.Tensor | None, num_classes: int | None
) -> torch.Tensor:
    """A conditional generator's input: z with the one-hot digit beside it (z unchanged for
    an unconditional one)."""
    if not num_classes:
        return z
    require_labels(labels, num_classes)
    return torch.cat([z, one_hot(labels, num_classes, z.dtype)], dim=1)


def discriminator_output(
    features: torch.Tensor,
    output: nn.Module,
    minibatch_std: MinibatchStd | None,
    embed: nn.Embedding | None,
    labels: torch.Tensor | None,
    segments: int = 1,
    classifier: nn.Module | None = None,
) -> torch.Tensor:
    """D's last stage, shared by the MLP and conv discriminators: the minibatch-stddev
    feature (if any, over ``segments`` separate parts of the batch), the output layer, and
    the projection ⟨embed(y), h⟩ of a conditional D (Miyato & Koyama 2018). Returns one
    output per sample (or pack); with an AC-GAN ``classifier`` on the same features, N×(1 +
    classes): the output, then the class logits."""
    if minibatch_std is not None:
        features = minibatch_std(features, segments)
    h = features.flatten(1)
    out = output(h).squeeze(1)
    if embed is not None:
        require_labels(labels, embed.num_embeddings)
        out = out + (embed(labels.long()) * h).sum(dim=1)
    if classifier is not None:
        return torch.cat([out.unsqueeze(1), classifier(h)], dim=1)
    return out

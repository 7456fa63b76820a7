"""The GAN loss forms as small pure functions of discriminator logits.

Everything goes through ``binary_cross_entropy_with_logits``/``softplus``: numerically
stable and safe under autocast (mixed precision).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mnist_gan.choices import GENERATOR_LOSSES, REDUCTIONS


def discriminator_loss(
    real_logits: torch.Tensor,
    fake_logits: torch.Tensor,
    real_label: float = 1.0,
    reduction: str = "mean",
) -> torch.Tensor:
    """BCE of D on real (target ``real_label``; <1 is one-sided label smoothing) and fake (0).

    ``reduction`` combines the two terms: ``mean`` = (real + fake) / 2 (PyTorch-GAN, the
    Pytorch MNIST tutorial), ``sum`` = real + fake (the TensorFlow minimal GAN).
    """
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, real_label))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    if reduction == "mean":
        return (real + fake) / 2
    if reduction == "sum":
        return real + fake
    raise ValueError(f"unknown reduction {reduction!r}; use one of {REDUCTIONS}")


def generator_loss(fake_logits: torch.Tensor, kind: str = "non_saturating") -> torch.Tensor:
    """G's loss on D's logits for generated images.

    ``non_saturating``: minimise -log D(G(z)) (what practitioners use).
    ``minimax``: minimise log(1 - D(G(z))), the saturating form of the original objective,
    whose gradient vanishes when D confidently rejects the fakes.
    """
    if kind == "non_saturating":
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    if kind == "minimax":
        # log(1 - sigmoid(l)) = -softplus(l)
        return -F.softplus(fake_logits).mean()
    raise ValueError(f"unknown generator loss {kind!r}; use one of {GENERATOR_LOSSES}")

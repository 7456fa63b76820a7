"""The GAN loss forms as small pure functions of discriminator outputs.

- ``bce``: the original GAN's cross-entropy, through ``*_with_logits``/``softplus``
  (numerically stable and safe under autocast);
- ``hinge``: D minimises relu(1 - D(x)) + relu(1 + D(G(z))), G minimises -D(G(z))
  (Lim & Ye 2017; SNGAN, BigGAN);
- ``least_squares``: LSGAN's 0/1 targets, D minimises ½(D(x)-1)² + ½D(G(z))²,
  G minimises ½(D(G(z))-1)² (Mao et al. 2017);
- ``wasserstein``: the critic minimises D(G(z)) - D(x), G minimises -D(G(z)) (Arjovsky et
  al. 2017); it needs a Lipschitz constraint: ``model.gp_weight`` (WGAN-GP) or spectral norm.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mnist_gan.config.choices import GENERATOR_LOSSES, LOSSES, REDUCTIONS

# The two losses every run reports: progress bar, NaN guard and loss curve.
MAIN_LOSSES = ("train/d_loss", "train/g_loss")


def _combine(real: torch.Tensor, fake: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return (real + fake) / 2
    if reduction == "sum":
        return real + fake
    raise ValueError(f"unknown reduction {reduction!r}; use one of {REDUCTIONS}")


def discriminator_loss(
    real_logits: torch.Tensor,
    fake_logits: torch.Tensor,
    real_label: float = 1.0,
    reduction: str = "mean",
    kind: str = "bce",
) -> torch.Tensor:
    """D's loss on its outputs for real and generated images.

    For ``bce``, ``real_label`` is the target for real images (<1 is one-sided label
    smoothing) and ``reduction`` combines the real and fake terms: ``mean`` = (real + fake)
    / 2 (PyTorch-GAN, the PyTorch MNIST tutorial), ``sum`` = real + fake (the TensorFlow
    minimal GAN). The other forms are defined as sums of their two terms.
    """
    if kind == "bce":
        real = F.binary_cross_entropy_with_logits(
            real_logits, torch.full_like(real_logits, real_label)
        )
        fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        return _combine(real, fake, reduction)
    if kind == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    if kind == "least_squares":
        return 0.5 * ((real_logits - 1) ** 2).mean() + 0.5 * (fake_logits**2).mean()
    if kind == "wasserstein":
        return fake_logits.mean() - real_logits.mean()
    raise ValueError(f"unknown loss {kind!r}; use one of {LOSSES}")


def generator_loss(
    fake_logits: torch.Tensor, form: str = "non_saturating", kind: str = "bce"
) -> torch.Tensor:
    """G's loss on D's outputs for generated images.

    For ``bce``, ``form`` picks ``non_saturating`` (minimise -log D(G(z)), what
    practitioners use) or ``minimax`` (minimise log(1 - D(G(z))), the saturating form of
    the original objective, whose gradient vanishes when D confidently rejects the fakes).
    """
    if kind == "bce":
        if form == "non_saturating":
            return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
        if form == "minimax":
            # log(1 - sigmoid(l)) = -softplus(l)
            return -F.softplus(fake_logits).mean()
        raise ValueError(f"unknown generator loss {form!r}; use one of {GENERATOR_LOSSES}")
    if kind in ("hinge", "wasserstein"):
        return -fake_logits.mean()
    if kind == "least_squares":
        return 0.5 * ((fake_logits - 1) ** 2).mean()
    raise ValueError(f"unknown loss {kind!r}; use one of {LOSSES}")

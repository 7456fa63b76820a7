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

# The two losses every run reports: progress bar, NaN guard and loss curve.
MAIN_LOSSES = ("train/d_loss", "train/g_loss")


# How D's real and fake BCE terms combine (model.d_loss_reduction).
COMBINE = {
    "mean": lambda real, fake: (real + fake) / 2,
    "sum": lambda real, fake: real + fake,
}


def _bce_d(real_logits, fake_logits, real_label: float, reduction: str) -> torch.Tensor:
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, real_label))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return COMBINE[reduction](real, fake)


# D's loss per model.loss, on (real_logits, fake_logits, real_label, reduction); the last
# two are BCE's options. The option names live in config/choices.py, which the early
# config check uses; a test keeps these tables to the same names.
D_LOSSES = {
    "bce": _bce_d,
    "hinge": lambda r, f, *_: F.relu(1 - r).mean() + F.relu(1 + f).mean(),
    "least_squares": lambda r, f, *_: 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f**2).mean(),
    "wasserstein": lambda r, f, *_: f.mean() - r.mean(),
}

# G's loss per model.loss on fake_logits; for bce, per model.g_loss: non_saturating
# minimises -log D(G(z)) (what practitioners use), minimax log(1 - D(G(z))) =
# -softplus(logit), the saturating form of the original objective, whose gradient
# vanishes when D confidently rejects the fakes.
BCE_G_LOSSES = {
    "non_saturating": lambda f: F.binary_cross_entropy_with_logits(f, torch.ones_like(f)),
    "minimax": lambda f: -F.softplus(f).mean(),
}
G_LOSSES = {
    "hinge": lambda f: -f.mean(),
    "least_squares": lambda f: 0.5 * ((f - 1) ** 2).mean(),
    "wasserstein": lambda f: -f.mean(),
}


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
    return D_LOSSES[kind](real_logits, fake_logits, real_label, reduction)


def generator_loss(
    fake_logits: torch.Tensor, form: str = "non_saturating", kind: str = "bce"
) -> torch.Tensor:
    """G's loss on D's outputs for generated images; ``form`` is BCE's G loss."""
    if kind == "bce":
        return BCE_G_LOSSES[form](fake_logits)
    return G_LOSSES[kind](fake_logits)


def d_verdicts(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, kind: str
) -> dict[str, torch.Tensor]:
    """D's mean verdict on real and on fake images: probabilities for ``bce``, raw scores
    for the other forms (which have no sigmoid)."""
    score = torch.sigmoid if kind == "bce" else (lambda logits: logits)
    return {
        "train/d_real": score(real_logits.detach()).mean(),
        "train/d_fake": score(fake_logits.detach()).mean(),
    }

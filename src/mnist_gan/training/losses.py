"""The GAN losses: one class each, registered in ``LOSSES`` under the name ``model.loss`` takes.

Every loss turns D's outputs on a real batch and on a fake batch (logits, or a critic's raw
scores) into D's objective and G's. To add one, write a ``GANLoss`` subclass here and add it
to ``LOSSES``: its name is written nowhere else (the config check and its messages read the
registry), and its constructor's parameters are the ``model.*`` knobs it takes.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F

from mnist_gan.config.types import Fraction

# The two losses every run reports: progress bar, NaN guard and loss curve.
MAIN_LOSSES = ("train/d_loss", "train/g_loss")


class GANLoss:
    """D's and G's objectives from D's outputs on real images (``real``) and fakes (``fake``).

    G's step passes ``real=None`` unless ``g_needs_real``: judging the real batch costs G's
    step another forward through D, which only relativistic losses need.
    """

    g_needs_real: ClassVar[bool] = False

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def g_loss(self, real: torch.Tensor | None, fake: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def verdicts(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """D's mean verdict on real and on fake images (logged as train/d_real, d_fake)."""
        return {"train/d_real": real.detach().mean(), "train/d_fake": fake.detach().mean()}


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


# How BCE's D loss combines its real and fake terms.
COMBINE = {"mean": lambda real, fake: (real + fake) / 2, "sum": lambda real, fake: real + fake}
# BCE's G loss: non_saturating minimises -log D(G(z)) (what practitioners use); minimax
# log(1 - D(G(z))) = -softplus(logit), the original objective, whose gradient vanishes when
# D confidently rejects the fakes.
G_FORMS = {
    "non_saturating": lambda fake: _bce(fake, 1.0),
    "minimax": lambda fake: -F.softplus(fake).mean(),
}
GForm = Literal[tuple(G_FORMS)]
Reduction = Literal[tuple(COMBINE)]


class BCE(GANLoss):
    """The original GAN's cross-entropy, through ``*_with_logits`` (stable under autocast).

    Args:
        g_loss: G's form: ``non_saturating`` (-log D(G(z))) or ``minimax`` (log(1 -
            D(G(z))), the saturating original).
        d_loss_reduction: how D's real and fake terms combine: ``mean`` (PyTorch-GAN, the
            PyTorch tutorial) or ``sum`` (the TensorFlow minimal GAN).
        real_label: D's target for real images; < 1 is one-sided label smoothing (e.g. 0.9).
    """

    def __init__(
        self,
        g_loss: GForm = "non_saturating",
        d_loss_reduction: Reduction = "mean",
        real_label: Fraction = 1.0,
    ) -> None:
        self.form, self.combine, self.real_label = (
            G_FORMS[g_loss],
            COMBINE[d_loss_reduction],
            real_label,
        )

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return self.combine(_bce(real, self.real_label), _bce(fake, 0.0))

    def g_loss(self, real: torch.Tensor | None, fake: torch.Tensor) -> torch.Tensor:
        return self.form(fake)

    def verdicts(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        return super().verdicts(torch.sigmoid(real.detach()), torch.sigmoid(fake.detach()))


class Hinge(GANLoss):
    """D minimises relu(1 - D(x)) + relu(1 + D(G(z))), G minimises -D(G(z)) (Lim & Ye 2017;
    SNGAN, BigGAN)."""

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()

    def g_loss(self, real: torch.Tensor | None, fake: torch.Tensor) -> torch.Tensor:
        return -fake.mean()


class LeastSquares(GANLoss):
    """LSGAN's 0/1 targets: D minimises ½(D(x)-1)² + ½D(G(z))², G ½(D(G(z))-1)² (Mao et
    al. 2017)."""

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()

    def g_loss(self, real: torch.Tensor | None, fake: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((fake - 1) ** 2).mean()


class Wasserstein(GANLoss):
    """The critic minimises D(G(z)) - D(x), G minimises -D(G(z)) (Arjovsky et al. 2017); it
    needs a Lipschitz constraint: ``model.gp_weight`` (WGAN-GP) or spectral norm."""

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return fake.mean() - real.mean()

    def g_loss(self, real: torch.Tensor | None, fake: torch.Tensor) -> torch.Tensor:
        return -fake.mean()


class RaGAN(GANLoss):
    """Relativistic average GAN (Jolicoeur-Martineau 2018): D estimates how much more real a
    real image is than the average fake, and the reverse; G plays the same game with the
    labels swapped, so it also pulls on D's view of the real images."""

    g_needs_real = True

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return _bce(real - fake.mean(), 1.0) + _bce(fake - real.mean(), 0.0)

    def g_loss(self, real: torch.Tensor | None, fake: torch.Tensor) -> torch.Tensor:
        return _bce(fake - real.mean(), 1.0) + _bce(real - fake.mean(), 0.0)

    def verdicts(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        real, fake = real.detach(), fake.detach()
        return super().verdicts(
            torch.sigmoid(real - fake.mean()), torch.sigmoid(fake - real.mean())
        )


LOSSES = {
    "bce": BCE,
    "hinge": Hinge,
    "least_squares": LeastSquares,
    "wasserstein": Wasserstein,
    "ragan": RaGAN,
}
LossName = Literal[tuple(LOSSES)]


def make_loss(name: str, **options: Any) -> GANLoss:
    """The loss ``name`` built with the ``options`` its constructor takes (the rest are
    other losses' options, held at their neutral values by the config check)."""
    cls = LOSSES[name]
    return cls(**{k: v for k, v in options.items() if k in inspect.signature(cls).parameters})

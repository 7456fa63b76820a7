"""training/losses.py: every registered loss against values computed by hand, and the one
interface (both sides see D's outputs on real and on fake images)."""

from __future__ import annotations

import math

import pytest
import torch

from mnist_gan.config.compose import compose_config
from mnist_gan.config.validate import validate_train
from mnist_gan.errors import ConfigError
from mnist_gan.training.losses import BCE, LOSSES, GANLoss, Hinge, LeastSquares, RaGAN, Wasserstein


def bce(p: float, target: float) -> float:
    return -(target * math.log(p) + (1 - target) * math.log(1 - p))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


REAL, FAKE = [2.0, 0.5], [-3.0, 0.25]


def tensors() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.tensor(REAL), torch.tensor(FAKE)


def test_bce_by_hand():
    real, fake = torch.tensor([2.0, 0.0]), torch.tensor([-1.0, 1.0])
    real_term = (bce(sigmoid(2.0), 1) + bce(sigmoid(0.0), 1)) / 2
    fake_term = (bce(sigmoid(-1.0), 0) + bce(sigmoid(1.0), 0)) / 2
    assert BCE().d_loss(real, fake).item() == pytest.approx((real_term + fake_term) / 2)
    summed = BCE(d_loss_reduction="sum").d_loss(real, fake).item()
    assert summed == pytest.approx(real_term + fake_term)
    smoothed = (bce(sigmoid(2.0), 0.9) + bce(sigmoid(0.0), 0.9)) / 2
    label_smoothed = BCE(real_label=0.9, d_loss_reduction="sum").d_loss(real, fake).item()
    assert label_smoothed == pytest.approx(smoothed + fake_term)
    logits = torch.tensor([-2.0, 0.5])
    ns = (-math.log(sigmoid(-2.0)) - math.log(sigmoid(0.5))) / 2
    mm = (math.log(1 - sigmoid(-2.0)) + math.log(1 - sigmoid(0.5))) / 2
    assert BCE().g_loss(None, logits).item() == pytest.approx(ns)
    assert BCE(g_loss="minimax").g_loss(None, logits).item() == pytest.approx(mm)


def test_minimax_gradient_vanishes_where_non_saturating_does_not():
    """The reason the non-saturating form exists: D confidently rejects the fake."""
    logit = torch.tensor([-8.0], requires_grad=True)
    (g_mm,) = torch.autograd.grad(BCE(g_loss="minimax").g_loss(None, logit), logit)
    (g_ns,) = torch.autograd.grad(BCE().g_loss(None, logit), logit)
    assert abs(g_mm.item()) < 1e-3 < abs(g_ns.item())


def test_hinge_least_squares_and_wasserstein_by_hand():
    real, fake = tensors()
    assert Hinge().d_loss(real, fake).item() == pytest.approx((0 + 0.5) / 2 + (0 + 1.25) / 2)
    assert Hinge().g_loss(None, fake).item() == pytest.approx(-(-3.0 + 0.25) / 2)
    assert LeastSquares().d_loss(real, fake).item() == pytest.approx(
        0.5 * (1.0 + 0.25) / 2 + 0.5 * (9.0 + 0.0625) / 2
    )
    assert LeastSquares().g_loss(None, fake).item() == pytest.approx(0.5 * (16.0 + 0.5625) / 2)
    wasserstein = Wasserstein().d_loss(real, fake).item()
    assert wasserstein == pytest.approx((-3.0 + 0.25) / 2 - (2.0 + 0.5) / 2)


def test_ragan_by_hand():
    """Relativistic average GAN: D pushes real logits above the mean fake logit and fake
    logits below the mean real one; G the reverse (Jolicoeur-Martineau 2018, eq. 12)."""
    real, fake = tensors()
    mean_real, mean_fake = mean(REAL), mean(FAKE)
    d = mean([bce(sigmoid(r - mean_fake), 1) for r in REAL]) + mean(
        [bce(sigmoid(f - mean_real), 0) for f in FAKE]
    )
    g = mean([bce(sigmoid(f - mean_real), 1) for f in FAKE]) + mean(
        [bce(sigmoid(r - mean_fake), 0) for r in REAL]
    )
    assert RaGAN().d_loss(real, fake).item() == pytest.approx(d)
    assert RaGAN().g_loss(real, fake).item() == pytest.approx(g)
    assert RaGAN.g_needs_real and not BCE.g_needs_real
    verdicts = RaGAN().verdicts(real, fake)
    assert verdicts["train/d_real"].item() == pytest.approx(
        mean([sigmoid(r - mean_fake) for r in REAL])
    )


def test_every_loss_takes_d_outputs_on_real_and_fake_and_is_differentiable():
    real = torch.tensor(REAL, requires_grad=True)
    fake = torch.tensor(FAKE, requires_grad=True)
    for name, cls in LOSSES.items():
        loss = cls()
        assert isinstance(loss, GANLoss), name
        (grad,) = torch.autograd.grad(loss.d_loss(real, fake), fake)
        assert torch.isfinite(grad).all() and grad.abs().sum() > 0, name
        g = loss.g_loss(real if cls.g_needs_real else None, fake)
        assert g.ndim == 0 and torch.isfinite(g), name
        assert set(loss.verdicts(real, fake)) == {"train/d_real", "train/d_fake"}, name


def test_the_registry_is_the_only_list_of_loss_names(tmp_path):
    """The config check reads the names from LOSSES: every one composes and validates, and
    an unknown one is refused listing exactly them."""
    for name in LOSSES:
        validate_train(compose_config("train", [f"model.loss={name}"], tmp_path))
    with pytest.raises(ConfigError) as caught:
        validate_train(compose_config("train", ["model.loss=huber"], tmp_path))
    assert f"use one of {', '.join(LOSSES)}" in str(caught.value)


def test_a_loss_option_is_refused_with_a_loss_that_does_not_take_it(tmp_path):
    """BCE's options (its constructor's parameters) mean nothing to the other losses."""
    for option in ("model.g_loss=minimax", "model.real_label=0.9", "model.d_loss_reduction=sum"):
        cfg = compose_config("train", ["model.loss=ragan", option], tmp_path)
        with pytest.raises(ConfigError, match=r"applies to model.loss=bce only, not .*=ragan"):
            validate_train(cfg)

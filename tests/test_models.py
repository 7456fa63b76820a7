"""The networks have the tutorials' shapes; the loss forms match hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from mnist_gan.config import choices
from mnist_gan.models import MLPDiscriminator, MLPGenerator
from mnist_gan.models.mlp import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from mnist_gan.training.losses import discriminator_loss, generator_loss


def linear_widths(module: nn.Module) -> list[tuple[int, int]]:
    return [(m.in_features, m.out_features) for m in module.modules() if isinstance(m, nn.Linear)]


def test_batchnorm_generator_follows_pytorch_gan():
    g = MLPGenerator(
        100,
        [128, 256, 512, 1024],
        activation="leaky_relu",
        batch_norm=True,
        batch_norm_eps=0.8,
        output_activation="tanh",
    )
    assert linear_widths(g) == [(100, 128), (128, 256), (256, 512), (512, 1024), (1024, 784)]
    norms = [m for m in g.modules() if isinstance(m, nn.BatchNorm1d)]
    assert [n.num_features for n in norms] == [256, 512, 1024]  # none after the first block
    assert all(n.eps == 0.8 and n.momentum == 0.1 for n in norms)
    assert any(isinstance(m, nn.LeakyReLU) and m.negative_slope == 0.2 for m in g.modules())
    out = g(torch.randn(5, 100))
    assert out.shape == (5, 1, 28, 28) and out.abs().max() <= 1


def test_minimal_generator_and_discriminators():
    g = MLPGenerator(10, [64], output_activation="sigmoid")
    assert linear_widths(g) == [(10, 64), (64, 784)]
    out = g(torch.rand(3, 10) * 2 - 1)
    assert out.min() >= 0 and out.max() <= 1
    d = MLPDiscriminator([512])
    assert linear_widths(d) == [(784, 512), (512, 1)]
    assert d(out).shape == (3,)
    plain = MLPDiscriminator([512, 1024])
    assert linear_widths(plain) == [(784, 512), (512, 1024), (1024, 1)]
    assert not any(isinstance(m, nn.Sigmoid) for m in plain.modules())  # ends in logits


def test_activation_tables_offer_exactly_the_checked_options():
    """validate.py checks the names against choices.py; the networks look them up here."""
    assert set(HIDDEN_ACTIVATIONS) == set(choices.ACTIVATIONS)
    assert set(OUTPUT_ACTIVATIONS) == set(choices.OUTPUT_ACTIVATIONS)


def bce(p: float, target: float) -> float:
    return -(target * math.log(p) + (1 - target) * math.log(1 - p))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_discriminator_loss_by_hand():
    real, fake = torch.tensor([2.0, 0.0]), torch.tensor([-1.0, 1.0])
    real_term = (bce(sigmoid(2.0), 1) + bce(sigmoid(0.0), 1)) / 2
    fake_term = (bce(sigmoid(-1.0), 0) + bce(sigmoid(1.0), 0)) / 2
    assert discriminator_loss(real, fake).item() == pytest.approx((real_term + fake_term) / 2)
    assert discriminator_loss(real, fake, reduction="sum").item() == pytest.approx(
        real_term + fake_term
    )
    smoothed = (bce(sigmoid(2.0), 0.9) + bce(sigmoid(0.0), 0.9)) / 2
    assert discriminator_loss(real, fake, real_label=0.9, reduction="sum").item() == (
        pytest.approx(smoothed + fake_term)
    )


def test_generator_losses_by_hand():
    logits = torch.tensor([-2.0, 0.5])
    ns = (-math.log(sigmoid(-2.0)) - math.log(sigmoid(0.5))) / 2
    mm = (math.log(1 - sigmoid(-2.0)) + math.log(1 - sigmoid(0.5))) / 2
    assert generator_loss(logits, "non_saturating").item() == pytest.approx(ns)
    assert generator_loss(logits, "minimax").item() == pytest.approx(mm)


def test_minimax_gradient_vanishes_where_non_saturating_does_not():
    """The reason the non-saturating form exists: D confidently rejects the fake."""
    logit = torch.tensor([-8.0], requires_grad=True)
    (g_mm,) = torch.autograd.grad(generator_loss(logit, "minimax"), logit)
    (g_ns,) = torch.autograd.grad(generator_loss(logit, "non_saturating"), logit)
    assert abs(g_mm.item()) < 1e-3 < abs(g_ns.item())

"""The networks have the tutorials' shapes."""

from __future__ import annotations

import torch
from torch import nn

from mnist_gan.models import MLPDiscriminator, MLPGenerator


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

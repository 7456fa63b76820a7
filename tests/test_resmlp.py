"""model=resmlp (models/resmlp.py + conf/model/resmlp.yaml): residual Linear+LayerNorm+
LeakyReLU blocks, checked and trained like the shipped variants."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import torch
from torch import nn

from mnist_gan.models.resmlp import ResidualBlock, ResMLPDiscriminator, ResMLPGenerator
from mnist_gan.train import train

from conftest import REPO


def test_shapes_and_residual_blocks():
    g = ResMLPGenerator(latent_dim=16, width=32, num_blocks=3)
    blocks = [m for m in g.modules() if isinstance(m, ResidualBlock)]
    assert len(blocks) == 3 and all(isinstance(b.norm, nn.LayerNorm) for b in blocks)
    images = g(torch.randn(5, 16))
    assert images.shape == (5, 1, 28, 28) and images.abs().max() <= 1
    d = ResMLPDiscriminator(width=32, num_blocks=0, layer_norm=False)
    assert not any(isinstance(m, ResidualBlock) for m in d.modules())
    assert d(images).shape == (5,)
    block = ResidualBlock(8, layer_norm=True, negative_slope=0.2)
    nn.init.zeros_(block.linear.weight)
    nn.init.zeros_(block.linear.bias)
    x = torch.randn(4, 8)
    assert torch.equal(block(x), x)  # a block adds to its input


def test_layer_norm_keeps_samples_apart_so_d_judges_real_and_fake_in_one_forward():
    d = ResMLPDiscriminator(width=16, num_blocks=2)
    assert not d.mixes_samples
    real, fake = torch.randn(6, 1, 28, 28), torch.randn(6, 1, 28, 28)
    torch.testing.assert_close(d.judge(real, fake), (d(real), d(fake)))


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param([], marks=pytest.mark.slow),
        pytest.param(
            [
                "model.conditional=true",
                "model.aux_weight=1",
                "model.discriminator.minibatch_std=true",
            ],
            marks=pytest.mark.slow,
        ),
        ["model.loss=ragan", "model.r1_weight=1"],
    ],
    ids=["plain", "conditional+ac_gan+stddev", "ragan+r1"],
)
def test_resmlp_trains(make_cfg, tmp_path, extra):
    metrics = train(make_cfg("model=resmlp", *extra, "eval.every_n_epochs=0"))
    assert all(math.isfinite(v) for k, v in metrics.items() if k.startswith("train/"))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model.generator.width=0", "model.generator.width=0 must be > 0"),
        ("model.generator.num_blocks=-1", "model.generator.num_blocks=-1 must be >= 0"),
        ("model.generator.layer_norm=maybe", "model.generator.layer_norm='maybe' is not a flag"),
        ("model.discriminator.width=100000000", "these networks need about"),
    ],
)
def test_bad_resmlp_knobs_are_refused_in_one_line(tmp_path, override, message):
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "train.py"),
            "model=resmlp",
            override,
            f"hydra.run.dir={tmp_path}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    output = done.stdout + done.stderr
    errors = [line for line in output.splitlines() if "ERROR" in line]
    assert done.returncode == 2 and len(errors) == 1, output[-2000:]
    assert message in errors[0] and "Traceback" not in output

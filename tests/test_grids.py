"""Sample grids are enlarged for display by whole pixels, the samples themselves untouched."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.utils import make_grid

from mnist_gan.config.compose import compose_config
from mnist_gan.generate import generate
from mnist_gan.grids import image_grid, save_grid
from mnist_gan.train import train


def test_each_pixel_becomes_a_scale_by_scale_block(tmp_path):
    images = torch.rand(6, 1, 28, 28)
    plain = make_grid(images, nrow=3, padding=2, pad_value=1.0)
    big = image_grid(images, nrow=3, scale=3)
    assert big.shape == (3, plain.shape[1] * 3, plain.shape[2] * 3)
    for dy in range(3):
        for dx in range(3):
            assert torch.equal(big[:, dy::3, dx::3], plain)
    assert torch.equal(image_grid(images, nrow=3, scale=1), plain)
    save_grid(images, tmp_path / "g.png", nrow=3, scale=2)
    assert Image.open(tmp_path / "g.png").size == (plain.shape[2] * 2, plain.shape[1] * 2)


@pytest.mark.slow
def test_training_grids_are_enlarged_and_generated_samples_stay_28_pixels(make_cfg, tmp_path):
    run = tmp_path / "run"
    train(make_cfg("callbacks.sample_grid.scale=2", "eval.every_n_epochs=0", output_dir=run))
    side = (8 * (28 + 2) + 2) * 2  # 8×8 digits with 2-pixel gaps, doubled
    assert Image.open(run / "samples" / "epoch_0000.png").size == (side, side)
    gif = Image.open(run / "samples" / "progress.gif")
    assert gif.size == (side, side)

    out = tmp_path / "generated"
    cfg = compose_config(
        "generate",
        [f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}", "num_samples=16", "device=cpu"],
        out,
    )
    paths = generate(cfg)
    assert Image.open(paths["grid"]).size == ((4 * 30 + 2) * 3,) * 2  # square, scale 3
    assert np.load(paths["npz"])["images"].shape == (16, 28, 28)

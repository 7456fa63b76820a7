"""The truncation trick (training/sampler.py, sampling.py) and the precision/recall curve over ψ
(metrics/pr_curve.py, eval.py pr_curve=true, eval.pr_curve during training)."""

from __future__ import annotations

import json

import pytest
import torch
from hydra.utils import instantiate
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from mnist_gan.checkpoints import load_gan
from mnist_gan.config.compose import compose_config
from mnist_gan.config.validate import validate_sampling
from mnist_gan.errors import ConfigError
from mnist_gan.evaluate import evaluate
from mnist_gan.metrics.pr_curve import PSI_GRID, first_precise
from mnist_gan.sampling import sample_images
from mnist_gan.train import train


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
def test_psi_scales_each_latent_towards_the_mean_and_one_leaves_it_alone(make_cfg, distribution):
    gan = instantiate(
        make_cfg(f"model.latent_distribution={distribution}").model, _recursive_=False
    )

    def draw(psi: float) -> torch.Tensor:
        return gan.draw_latent(500, torch.Generator().manual_seed(3), truncation=psi)

    assert torch.equal(draw(1.0), gan.draw_latent(500, torch.Generator().manual_seed(3)))
    assert torch.equal(draw(0.5), draw(1.0) * 0.5)
    if distribution == "uniform":  # U(-1, 1) shrinks to U(-ψ, ψ)
        assert draw(0.3).abs().max() <= 0.3


def test_samples_at_psi_come_from_the_scaled_latents(tiny_checkpoint):
    model = load_gan(tiny_checkpoint)
    z = model.draw_latent(16, torch.Generator().manual_seed(0))
    assert torch.equal(sample_images(model, 16, 0, truncation=0.6), model.sample(z * 0.6).cpu())
    assert torch.equal(sample_images(model, 16, 0, truncation=1.0), model.sample(z).cpu())


def test_eval_pr_curve_writes_each_psi_and_the_figure(tiny_checkpoint, mnist_dir, tmp_path):
    overrides = [
        f"ckpt_path={tiny_checkpoint}",
        f"data.data_dir={mnist_dir}",
        "num_samples=200",
        "eval.num_real=500",
        "eval.kid_subsets=5",
        "eval.kid_subset_size=100",
        "pr_curve=true",
        "device=cpu",
    ]
    out = tmp_path / "not_yet_made"
    payload = evaluate(compose_config("eval", overrides, out))
    curve = payload["pr_curve"]
    assert [p["truncation"] for p in curve] == list(PSI_GRID)
    for key in ("precision", "recall", "fid"):  # ψ = 1 is the plain evaluation
        assert curve[0][key] == pytest.approx(payload["generated"][key])
    assert json.loads((out / "metrics.json").read_text())["pr_curve"] == curve
    with Image.open(out / "pr_curve.png") as image:
        assert image.size[0] > 400 and image.size[1] > 300
    best = first_precise(curve, 0.0)
    assert best is not None and best["truncation"] == 1.0
    assert first_precise(curve, 1.01) is None


@pytest.mark.parametrize(
    ("entry", "override", "message"),
    [
        ("generate", "truncation=0", "truncation=0 must be > 0"),
        ("generate", "truncation=1.5", "truncation=1.5 must be <= 1"),
        ("eval", "truncation=abc", "truncation='abc' must be a number"),
        ("eval", "eval.truncation=-1", "eval.truncation=-1 must be > 0"),
        ("eval", "pr_curve=maybe", "pr_curve='maybe' is not a flag"),
        ("eval", "num_samples=3", "eval.k=3 needs more than k samples"),
    ],
)
def test_bad_truncations_are_refused_in_one_line(tiny_checkpoint, entry, override, message):
    extra = ["pr_curve=true"] if override.startswith("num_samples") else []
    cfg = compose_config(entry, [f"ckpt_path={tiny_checkpoint}", override, *extra], "/tmp/unused")
    with pytest.raises(ConfigError, match=None) as caught:
        validate_sampling(cfg, entry)
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.slow
def test_training_sends_the_pr_curve_to_the_loggers(make_cfg, tmp_path):
    run = tmp_path / "run"
    train(make_cfg("eval.every_n_epochs=1", "eval.pr_curve=true", output_dir=run))
    acc = EventAccumulator(str(run / "tensorboard"), size_guidance={"images": 0})
    acc.Reload()
    assert "eval/pr_curve" in acc.Tags()["images"]

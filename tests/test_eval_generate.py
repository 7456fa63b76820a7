"""eval.py and generate.py on a checkpoint trained for a few batches."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from mnist_gan.checkpoints import load_gan
from mnist_gan.config.compose import compose_config
from mnist_gan.evaluate import evaluate
from mnist_gan.generate import generate
from mnist_gan.metrics.names import SCALARS
from mnist_gan.metrics.parzen import SIGMAS
from mnist_gan.sampling import sample_images

from conftest import REPO


@pytest.fixture
def checkpoint(tiny_checkpoint: Path) -> Path:
    return tiny_checkpoint


def test_eval_writes_metrics_and_the_real_floor(checkpoint, mnist_dir, tmp_path, capsys):
    overrides = [
        f"ckpt_path={checkpoint}",
        f"data.data_dir={mnist_dir}",
        "num_samples=300",
        "eval.num_real=600",
        "eval.kid_subsets=5",
        "eval.kid_subset_size=100",
        "device=cpu",
    ]
    cfg = compose_config("eval", overrides, tmp_path)
    result = evaluate(cfg)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["num_samples"] == 300
    for key in SCALARS:
        assert np.isfinite(saved["generated"][key]) and np.isfinite(saved["real_reference"][key])
    # an untrained generator is far from the real floor
    assert saved["generated"]["fid"] > 5 * saved["real_reference"]["fid"]
    assert result["real_reference"]["classes_covered"] == 10
    table = capsys.readouterr().out
    assert "| last.ckpt |" in table and "real train images (floor)" in table


def test_eval_reports_the_papers_parzen_estimate_on_request(
    checkpoint, mnist_dir, tmp_path, capsys, caplog
):
    overrides = [
        f"ckpt_path={checkpoint}",
        f"data.data_dir={mnist_dir}",
        "num_samples=300",
        "eval.num_real=600",
        "eval.kid_subset_size=100",
        "device=cpu",
        "parzen=true",
    ]
    evaluate(compose_config("eval", overrides, tmp_path))
    saved = json.loads((tmp_path / "metrics.json").read_text())
    for row in ("generated", "real_reference"):
        assert np.isfinite(saved[row]["parzen_ll"]) and saved[row]["parzen_se"] > 0
        assert saved[row]["parzen_sigma"] in SIGMAS
    # an untrained generator's samples explain the test digits worse than real digits do
    assert saved["generated"]["parzen_ll"] < saved["real_reference"]["parzen_ll"]
    assert "Parzen LL (nats)" in capsys.readouterr().out
    assert "departs from it" in caplog.text  # 300 samples, not the paper's 10,000


def test_generate_writes_grid_interpolation_and_npz(checkpoint, tmp_path):
    overrides = [f"ckpt_path={checkpoint}", "num_samples=50", "device=cpu", "seed=3"]
    cfg = compose_config("generate", overrides, tmp_path)
    paths = generate(cfg)
    assert paths["grid"].stat().st_size > 0 and paths["interpolation"].stat().st_size > 0
    with np.load(paths["npz"]) as npz:
        images = npz["images"]
    assert images.shape == (50, 28, 28) and images.dtype == np.uint8
    # round trip: the same seed regenerates the same images
    again = sample_images(load_gan(checkpoint), 50, seed=3)
    expected = again.squeeze(1).mul(255).round().to(torch.uint8).numpy()
    assert np.array_equal(images, expected)


@pytest.mark.slow
@pytest.mark.parametrize("script", ["eval.py", "generate.py"])
def test_scripts_refuse_bad_sample_counts(checkpoint, tmp_path, script):
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / script),
            f"ckpt_path={checkpoint}",
            "num_samples=0",
            f"hydra.run.dir={tmp_path}",
            "device=cpu",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode != 0
    assert "num_samples=0" in proc.stderr + proc.stdout

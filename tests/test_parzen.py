"""The Parzen-window log-likelihood of Goodfellow et al. 2014."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mnist_gan.data.datamodule import MNISTDataModule
from mnist_gan.metrics.parzen import SIGMAS, VALIDATION, log_likelihoods, parzen_score


def direct(x: np.ndarray, centres: np.ndarray, sigma: float) -> float:
    """One image's log-density, written out term by term in float64."""
    d = x.size
    exponents = [-float(((x - mu) ** 2).sum()) / (2 * sigma**2) for mu in centres]
    top = max(exponents)
    lse = top + math.log(sum(math.exp(e - top) for e in exponents))
    return lse - math.log(len(centres)) - d * math.log(sigma * math.sqrt(2 * math.pi))


def test_chunked_computation_equals_the_direct_formula():
    rng = np.random.default_rng(0)
    images, centres = rng.random((7, 12)), rng.random((13, 12))
    sigmas = [0.1, 0.3, 1.0]
    got = log_likelihoods(torch.from_numpy(images), torch.from_numpy(centres), sigmas, chunk=3)
    want = [[direct(x, centres, s) for x in images] for s in sigmas]
    np.testing.assert_allclose(got.numpy(), np.array(want), rtol=1e-10, atol=1e-8)


def test_sigma_is_the_best_of_the_grid_on_the_validation_images():
    rng = np.random.default_rng(1)
    centres = torch.from_numpy(rng.random((40, 6)))
    validation = centres[:10] + 0.05 * torch.from_numpy(rng.standard_normal((10, 6)))
    test = centres[10:20] + 0.05 * torch.from_numpy(rng.standard_normal((10, 6)))
    score = parzen_score(centres, validation, test, SIGMAS)
    per_sigma = [
        np.mean([direct(v, centres.numpy(), s) for v in validation.numpy()]) for s in SIGMAS
    ]
    assert score.sigma == pytest.approx(SIGMAS[int(np.argmax(per_sigma))])
    test_ll = [direct(t, centres.numpy(), score.sigma) for t in test.numpy()]
    assert score.ll == pytest.approx(np.mean(test_ll))
    assert score.se == pytest.approx(np.std(test_ll, ddof=1) / math.sqrt(len(test_ll)))


def test_non_finite_samples_are_refused_by_name():
    samples = torch.rand(5, 784)
    samples[3, 7] = float("nan")
    with pytest.raises(ValueError, match="1 of 5 samples hold NaN or inf"):
        parzen_score(samples, torch.rand(2, 784), torch.rand(2, 784))


def test_the_real_images_row_is_deterministic(mnist_dir):
    """Real training images as samples (a subset of the protocol's sizes, for time)."""
    dm = MNISTDataModule(data_dir=str(mnist_dir), download=False)
    dm.setup("fit")
    train = dm.train_images.float() / 255
    samples, validation = train[:2000], train[VALIDATION][:200]
    test = dm.reference_images(500).float() / 255
    first = parzen_score(samples, validation, test)
    second = parzen_score(samples, validation, test)
    assert first == second
    assert first.sigma in SIGMAS and math.isfinite(first.ll) and first.se > 0


@pytest.mark.slow
def test_training_logs_the_estimate_when_asked(make_cfg, tmp_path):
    from mnist_gan.train import train

    metrics = train(make_cfg("eval.parzen=true", "eval.every_n_epochs=1"))
    assert math.isfinite(metrics["eval/parzen_ll"])
    assert metrics["eval/parzen_sigma"] == pytest.approx(
        min(SIGMAS, key=lambda s: abs(s - metrics["eval/parzen_sigma"]))
    )
    plain = make_cfg("eval.every_n_epochs=1", output_dir=tmp_path / "plain")
    assert "eval/parzen_ll" not in train(plain)  # off by default

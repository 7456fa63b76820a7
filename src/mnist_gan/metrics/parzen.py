"""The Parzen-window log-likelihood of Goodfellow et al. 2014 (Table 1).

A Gaussian of width σ on each of N generated samples μ_i (pixels in [0, 1], d = 784); the
log-density of an image x is

    log p(x) = logsumexp_i(-‖x − μ_i‖² / 2σ²) − log N − d·log(σ√(2π)).

The protocol: N = 10,000 samples; σ from ``logspace(-1, 0, 10)`` chosen by the mean
log-likelihood of 1,000 held-out training images (indices 50,000–50,999); the score is the
mean log-likelihood of the 10,000 test images, ± its standard error. Theis et al. (2016)
show such estimates reward memorised, blurred or merely nearby samples and rank models
poorly: a historical comparison, not a quality measure.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

# The paper's protocol.
SIGMAS: tuple[float, ...] = tuple(torch.logspace(-1, 0, 10, dtype=torch.float64).tolist())
PAPER_SAMPLES = 10_000
VALIDATION = slice(50_000, 51_000)

log = logging.getLogger(__name__)


def protocol_images(data: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """(the 1,000 held-out training images σ is chosen on, the 10,000 test images), in
    [0, 1], from an ``MNISTDataModule``."""
    if data.train_images is None:
        data.setup("fit")
    return (
        data.train_images[VALIDATION].float() / 255,
        data.reference_images(PAPER_SAMPLES).float() / 255,
    )


def warn_if_departing(num_samples: int, where: str) -> None:
    """Say so when a score will not use the paper's sample count (it still runs)."""
    if num_samples != PAPER_SAMPLES:
        log.warning(
            "%s: %d samples; the paper's protocol uses %d, so the figure departs from it",
            where,
            num_samples,
            PAPER_SAMPLES,
        )


def log_likelihoods(
    images: torch.Tensor, centres: torch.Tensor, sigmas: Sequence[float], chunk: int = 500
) -> torch.Tensor:
    """log p(x) of each image under the window on ``centres``, for each σ: (len(sigmas), N).

    In float64, ``chunk`` images at a time (memory ``chunk × len(centres)``); the squared
    distances come from one matrix product per chunk and serve every σ.
    """
    x = images.reshape(len(images), -1).double()
    mu = centres.reshape(len(centres), -1).double()
    sigma = torch.as_tensor(sigmas, dtype=torch.float64)
    dims = x.shape[1]
    constant = -math.log(len(mu)) - dims * torch.log(sigma * math.sqrt(2 * math.pi))
    centre_norms = (mu * mu).sum(1)
    out = torch.empty(len(sigma), len(x), dtype=torch.float64)
    for start in range(0, len(x), chunk):
        part = x[start : start + chunk]
        squared = ((part * part).sum(1, keepdim=True) + centre_norms - 2 * part @ mu.T).clamp_(0)
        for j, s in enumerate(sigma.tolist()):
            out[j, start : start + len(part)] = torch.logsumexp(squared / (-2 * s * s), dim=1)
    return out + constant[:, None]


@dataclass(frozen=True)
class ParzenScore:
    """The test log-likelihood (nats), its standard error, and the σ chosen for it."""

    ll: float
    se: float
    sigma: float


def parzen_score(
    samples: torch.Tensor,
    validation: torch.Tensor,
    test: torch.Tensor,
    sigmas: Sequence[float] = SIGMAS,
) -> ParzenScore:
    """Choose σ by the validation images' mean log-likelihood, then score the test images.

    All three sets in [0, 1]; raises ``ValueError`` on samples that are not finite.
    """
    if not torch.isfinite(samples).all():
        bad = int((~torch.isfinite(samples.reshape(len(samples), -1))).any(1).sum())
        raise ValueError(f"{bad} of {len(samples)} samples hold NaN or inf pixels")
    per_sigma = log_likelihoods(validation, samples, sigmas).mean(1)
    sigma = float(sigmas[int(per_sigma.argmax())])
    scores = log_likelihoods(test, samples, [sigma])[0]
    se = float(scores.std(unbiased=True) / math.sqrt(len(scores))) if len(scores) > 1 else 0.0
    return ParzenScore(ll=float(scores.mean()), se=se, sigma=sigma)

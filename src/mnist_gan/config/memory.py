"""Memory estimates of absurd but valid sizes, refused before anything is allocated.

The networks' sizes are read from the networks themselves, built on torch's meta device
(shapes without storage, so a width of 10^8 costs nothing). The estimate is deliberately
rough (float32; weights, gradients and Adam's two moments; each layer's outputs for the
real and the fake batch, twice for the backward pass): it turns an absurd size into one line
naming the fix instead of an
allocator's crash minutes later, not a prediction of a run's peak to the megabyte.
"""

from __future__ import annotations

import os

from omegaconf import DictConfig, OmegaConf

from mnist_gan.errors import ConfigError
from mnist_gan.runs.identity import overrides_of

FLOAT32 = 4
IMAGE_PIXELS = 28 * 28
COPIES_PER_TRAINED_WEIGHT = 4  # weights, gradients and Adam's two moments
SAMPLE_COPIES = 4  # sample images at a task's peak: chunks, their concatenation, [0, 1], file
USABLE_SHARE = 0.8  # of the available memory a task may plan to use (the rest is its own)


def available_bytes() -> int:
    """Memory this machine can still give (MemAvailable, else physical memory)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2**63


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB"


def network_sizes(model: DictConfig) -> tuple[int, int, int]:
    """(G's parameters, D's parameters, the floats one sample's activations take through
    both), from the networks built on the meta device: each layer's outputs per sample, a
    convolution's at most 28×28 per channel (a meta forward would import torch's compiler)."""
    import torch

    from mnist_gan.config.compose import build

    with torch.device("meta"):
        networks = [
            build(model.generator, "model.generator", latent_dim=model.latent_dim),
            build(model.discriminator, "model.discriminator"),
        ]
    weights = [[p for p in network.parameters()] for network in networks]
    outputs = sum(
        w.shape[0] * (IMAGE_PIXELS if w.ndim > 2 else 1)
        for ws in weights
        for w in ws
        if w.ndim >= 1
    )
    g, d = (sum(w.numel() for w in ws) for ws in weights)
    return g, d, outputs


def check_training_memory(model: DictConfig, batch: int) -> None:
    """Refuse networks whose weights and one batch cannot fit in this machine's memory."""
    g, d, per_sample = network_sizes(model)
    copies = COPIES_PER_TRAINED_WEIGHT + (1 if model.get("ema_decay") is not None else 0)
    # activations kept for the backward pass, of the real and the fake batch
    need = (g * copies + d * COPIES_PER_TRAINED_WEIGHT + 4 * batch * per_sample) * FLOAT32
    if need > (have := available_bytes()):
        bigger = "model.generator" if g >= d else "model.discriminator"
        suspects = overrides_of(bigger, "model", "data.batch_size")
        raise ConfigError(
            f"these networks need about {_gb(need)} (G {g:,} and D {d:,} weights with Adam, "
            f"batch {batch}), more than the {_gb(have)} available; make {bigger} smaller"
            + (f" (set by {' '.join(suspects)})" if suspects else "")
        )


def check_sample_memory(cfg: DictConfig, keys: tuple[str, ...]) -> None:
    """Refuse a sample count whose images cannot be held in this machine's memory."""
    per_sample = SAMPLE_COPIES * IMAGE_PIXELS * FLOAT32
    have = int(available_bytes() * USABLE_SHARE)
    for key in keys:
        count = OmegaConf.select(cfg, key, default=None)
        if isinstance(count, int) and count * per_sample > have:
            raise ConfigError(
                f"{key}={count} needs about {_gb(count * per_sample)} for its images, more than "
                f"the {_gb(have)} this machine can spare; use {key}<={max(1, have // per_sample):,}"
            )

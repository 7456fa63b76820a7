"""Memory estimates of absurd but valid sizes, refused before anything is allocated.

The estimates are deliberately rough (float32 weights, their gradients and Adam's two
moments, one batch of the widest activations; images as float32): they exist to turn a
latent width of 10^8 or 10^9 samples into one line naming the fix instead of an
allocator's crash minutes later, not to predict a run's peak to the megabyte.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from mnist_gan.errors import ConfigError

FLOAT32 = 4
IMAGE_PIXELS = 28 * 28
# weights, gradients and Adam's two moments
COPIES_PER_TRAINED_WEIGHT = 4


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


def _mlp_weights(widths: Sequence[int]) -> int:
    return sum(a * b + b for a, b in zip(widths, widths[1:], strict=False))


def network_weights(net: Any, latent_dim: int, generator: bool) -> tuple[int, int]:
    """(weights, widest layer) of a network config, MLP or convolutional."""
    hidden = [int(w) for w in (net.get("hidden") or [])]
    if hidden:
        widths = [latent_dim, *hidden, IMAGE_PIXELS] if generator else [IMAGE_PIXELS, *hidden, 1]
        return _mlp_weights(widths), max(widths)
    channels = [int(c) for c in (net.get("channels") or [64, 128])]
    if generator:  # z -> c7 x 7 x 7, then 4x4 transposed convolutions
        projected = channels[0] * 49
        return latent_dim * projected + 16 * (channels[0] * channels[-1] + channels[-1]), max(
            projected, channels[-1] * 196
        )
    return 16 * (channels[0] + channels[0] * channels[-1]) + channels[-1] * 49, channels[0] * 196


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB"


def check_training_memory(model: Any, batch_size: int) -> None:
    """Refuse networks whose weights and one batch cannot fit in this machine's memory."""
    latent = int(model.latent_dim)
    g, g_widest = network_weights(model.generator, latent, generator=True)
    d, d_widest = network_weights(model.discriminator, latent, generator=False)
    copies = COPIES_PER_TRAINED_WEIGHT + (1 if model.get("ema_decay") is not None else 0)
    weights = (g * copies + d * COPIES_PER_TRAINED_WEIGHT) * FLOAT32
    activations = 6 * batch_size * max(g_widest, d_widest) * FLOAT32
    need, have = weights + activations, available_bytes()
    if need > have:
        raise ConfigError(
            f"these networks need about {_gb(need)} (G {g:,} and D {d:,} weights with Adam, "
            f"batch {batch_size}), more than the {_gb(have)} available; use smaller "
            "model.latent_dim / model.generator.hidden / model.discriminator.hidden"
        )


# Copies of the sample images a task holds at its peak: the chunks and their concatenation,
# the [0, 1] images, and the bytes of the file written.
SAMPLE_COPIES = 4
# The share of the available memory a task may plan to use (the rest is the process's own).
USABLE_SHARE = 0.8


def check_sample_memory(key: str, num_samples: int) -> None:
    """Refuse a sample count whose images cannot be held in this machine's memory."""
    per_sample = SAMPLE_COPIES * IMAGE_PIXELS * FLOAT32
    need, have = num_samples * per_sample, int(available_bytes() * USABLE_SHARE)
    if need > have:
        fits = max(1, have // per_sample)
        raise ConfigError(
            f"{key}={num_samples} needs about {_gb(need)} for its images, more than the "
            f"{_gb(have)} this machine can spare; use {key}<={fits:,}"
        )

"""Samples from a trained GAN for scoring and for files: a seeded latent bank, and the
digits a conditional generator is asked for."""

from __future__ import annotations

import torch

from mnist_gan.errors import ConfigError
from mnist_gan.training.gan import GAN


def requested_labels(model: GAN, num_samples: int, digit: int | None = None) -> torch.Tensor | None:
    """The digits a conditional G is asked for: all ``digit``, or 0..9 in turn. None for an
    unconditional G, which cannot be asked for a ``digit`` (that raises, naming the fix)."""
    if digit is None:
        return model.sample_labels(num_samples)
    if not model.hparams.conditional:
        raise ConfigError(
            f"digit={digit} needs a conditional generator; this checkpoint is "
            "unconditional (train one with model.conditional=true)"
        )
    return torch.full((num_samples,), int(digit), dtype=torch.long)


def sample_images(
    model: GAN,
    num_samples: int,
    seed: int,
    batch_size: int = 2000,
    labels: torch.Tensor | None = None,
    truncation: float = 1.0,
) -> torch.Tensor:
    """Images in [0, 1] (N×1×28×28) from a seeded latent bank, truncated by ``truncation``
    (ψ, see ``Sampler.draw_latent``); a conditional G makes ``labels`` (default:
    ``requested_labels``)."""
    if num_samples <= 0:
        raise ValueError(f"num_samples={num_samples}; ask for at least one sample")
    seeded = torch.Generator().manual_seed(seed)
    latents = model.draw_latent(num_samples, seeded, truncation=truncation)
    if labels is None:
        labels = requested_labels(model, num_samples)
    return sample_in_chunks(model, latents, labels, batch_size).cpu()


@torch.no_grad()
def sample_in_chunks(
    model: GAN, z: torch.Tensor, labels: torch.Tensor | None = None, chunk: int = 2000
) -> torch.Tensor:
    """``model.sample`` over many latents, ``chunk`` at a time (bounded memory)."""
    z_chunks = z.split(chunk)
    label_chunks = labels.split(chunk) if labels is not None else [None] * len(z_chunks)
    return torch.cat(
        [model.sample(z, labels=y) for z, y in zip(z_chunks, label_chunks, strict=True)]
    )

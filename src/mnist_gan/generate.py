"""``generate(cfg)``: samples from a checkpoint as a PNG grid, an interpolation grid and an .npz."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import torch
from omegaconf import DictConfig
from pydantic import Field, PositiveInt

from mnist_gan.checkpoints import load_gan
from mnist_gan.config.types import Checkpoint, Device, Fraction, Seed, TaskName
from mnist_gan.config.validate import validate_sampling
from mnist_gan.data.idx import NUM_CLASSES
from mnist_gan.devices import pick_device
from mnist_gan.grids import save_grid
from mnist_gan.sampling import requested_labels, sample_images

log = logging.getLogger(__name__)
Count = Annotated[int, Field(ge=1, le=10**6)]


@dataclass(frozen=True)
class GenerateJob:
    """generate.py's knobs (conf/generate.yaml).

    Attributes:
        task_name: short name of the run; part of its output directory.
        ckpt_path: the checkpoint whose generator samples.
        num_samples: samples to make.
        seed: seed of their latents.
        digit: a conditional checkpoint makes this digit only (null = 0..9 in turn).
        nrow: grid columns (null = square).
        grid_max: the most images the grid shows.
        scale: each pixel drawn as a scale×scale block in the PNGs.
        truncation: ψ of the truncation trick (1 = none; smaller: more typical samples, less
            variety).
        device: ``auto`` (CUDA, else MPS, else the CPU), ``cpu``, ``mps`` or ``cuda[:N]``.
    """

    task_name: TaskName
    ckpt_path: Checkpoint
    num_samples: PositiveInt
    seed: Seed
    digit: Annotated[int, Field(ge=0, lt=NUM_CLASSES)] | None
    nrow: Count | None
    grid_max: Count
    scale: Annotated[int, Field(ge=1, le=16)]
    truncation: Fraction
    device: Device


@dataclass(frozen=True)
class Interpolation:
    """generate.py's walks between latent pairs (interpolation.png).

    Attributes:
        rows: walks, one per row.
        steps: points along each walk.
    """

    rows: Count
    steps: Annotated[int, Field(ge=2, le=10**6)]


def interpolation_latents(
    model, rows: int, steps: int, seed: int, truncation: float = 1.0
) -> torch.Tensor:
    """``rows`` straight lines between random latent pairs, ``steps`` points each."""
    ends = model.draw_latent(
        2 * rows, torch.Generator().manual_seed(seed + 1), truncation=truncation
    )
    start, end = ends[:rows].unsqueeze(1), ends[rows:].unsqueeze(1)
    t = torch.linspace(0, 1, steps).view(1, steps, 1)
    return (start * (1 - t) + end * t).reshape(rows * steps, -1)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """[0, 1] N×1×28×28 → uint8 N×28×28 (0..255)."""
    return images.squeeze(1).mul(255).round().clamp(0, 255).to(torch.uint8).numpy()


def generate(cfg: DictConfig) -> dict[str, Path]:
    validate_sampling(cfg, "generate")
    device = pick_device(cfg.device)
    model = load_gan(cfg.ckpt_path, map_location=device).to(device)
    digit = cfg.get("digit")
    labels = requested_labels(model, cfg.num_samples, digit)
    images = sample_images(
        model, cfg.num_samples, cfg.seed, labels=labels, truncation=cfg.truncation
    )
    out = Path(cfg.paths.output_dir)
    out.mkdir(parents=True, exist_ok=True)

    paths = {
        "grid": out / "samples.png",
        "interpolation": out / "interpolation.png",
        "npz": out / "samples.npz",
    }
    shown = images[: cfg.grid_max]
    save_grid(shown, paths["grid"], cfg.nrow or math.ceil(math.sqrt(len(shown))), cfg.scale)
    rows, steps = cfg.interpolation.rows, cfg.interpolation.steps
    walk = interpolation_latents(model, rows, steps, cfg.seed, cfg.truncation)
    row_labels = requested_labels(model, cfg.interpolation.rows, digit)  # one digit per row
    walk_labels = (
        None if row_labels is None else row_labels.repeat_interleave(cfg.interpolation.steps)
    )
    walked = model.sample(walk.to(device), labels=walk_labels).cpu()
    save_grid(walked, paths["interpolation"], cfg.interpolation.steps, cfg.scale)
    np.savez_compressed(paths["npz"], images=to_uint8(images))
    for name, path in paths.items():
        log.info("wrote %s: %s", name, path)
    return paths

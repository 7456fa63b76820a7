"""Shared by the benchmark scripts: train a config, then score its final generator."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import torch

from mnist_gan.checkpoints import load_gan
from mnist_gan.config.compose import compose_config
from mnist_gan.data import MNISTDataModule
from mnist_gan.evaluate import make_evaluator
from mnist_gan.sampling import requested_labels, sample_images
from mnist_gan.train import train

from timing import EpochTimer


def train_and_score(
    overrides: Sequence[str], data_dir: str, run_dir: Path
) -> tuple[float, int, dict, object]:
    """Train with evaluation off, then score ``last.ckpt`` on the configured evaluation
    (10,000 samples from the fixed bank; a conditional G is asked for 0..9 in turn).

    Returns (training wall seconds, epochs run, metrics, composed config).
    """
    cfg = compose_config(
        "train",
        [
            *overrides,
            f"data.data_dir={data_dir}",
            "eval.every_n_epochs=0",
            "callbacks.progress_bar=null",
        ],
        run_dir,
    )
    timer = EpochTimer()
    start = time.perf_counter()
    train(cfg, extra_callbacks=[timer])
    wall = time.perf_counter() - start
    gan = load_gan(run_dir / "checkpoints" / "last.ckpt")
    evaluator = make_evaluator(cfg.eval, torch.device("cpu"))
    evaluator.set_real(MNISTDataModule(data_dir=data_dir).reference_images(cfg.eval.num_real))
    labels = requested_labels(gan, cfg.eval.num_samples)
    images = sample_images(gan, cfg.eval.num_samples, cfg.eval.seed, cfg.eval.batch_size, labels)
    return wall, len(timer.times), evaluator.evaluate(images, labels), cfg

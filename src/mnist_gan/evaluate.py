"""``evaluate(cfg)``: score a checkpoint's generator with the judge; print a table, write JSON."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import torch
from omegaconf import DictConfig
from pydantic import Field

from mnist_gan.checkpoints import load_gan
from mnist_gan.config.types import Checkpoint, Device, Fraction, Seed, TaskName
from mnist_gan.config.validate import validate_sampling
from mnist_gan.data.datamodule import MNISTDataModule
from mnist_gan.devices import pick_device
from mnist_gan.errors import CheckpointError
from mnist_gan.metrics.evaluator import GanEvaluator
from mnist_gan.metrics.parzen import parzen_score, protocol_images, warn_if_departing
from mnist_gan.metrics.pr_curve import curve_table, pr_curve_figure, truncation_curve
from mnist_gan.metrics.report import markdown_table, write_json
from mnist_gan.sampling import requested_labels, sample_images

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalJob:
    """eval.py's own knobs (conf/eval.yaml); the judge's are the eval group's.

    Attributes:
        task_name: short name of the run; part of its output directory.
        ckpt_path: the checkpoint whose generator is scored.
        num_samples: samples to score.
        seed: seed of the latent bank the samples come from.
        reference: also score real training images the same way: the floor.
        parzen: also the paper's Parzen-window log-likelihood.
        truncation: ψ of the truncation trick (1 = none; smaller: more precision, less recall).
        pr_curve: also score ψ = 1.0, 0.9, …, 0.3: precision, recall and FID per ψ in
            metrics.json and pr_curve.png.
        device: ``auto`` (CUDA, else MPS, else the CPU), ``cpu``, ``mps`` or ``cuda[:N]``.
    """

    task_name: TaskName
    ckpt_path: Checkpoint
    num_samples: Annotated[int, Field(ge=2, le=10**9)]
    seed: Seed
    reference: bool
    parzen: bool
    truncation: Fraction
    pr_curve: bool
    device: Device


def make_evaluator(eval_cfg: DictConfig, device: torch.device) -> GanEvaluator:
    return GanEvaluator(
        kid_subsets=eval_cfg.kid_subsets,
        kid_subset_size=eval_cfg.kid_subset_size,
        is_splits=eval_cfg.is_splits,
        k=eval_cfg.k,
        batch_size=eval_cfg.batch_size,
        seed=eval_cfg.seed,
    ).to(device)


def real_train_sample(dm: MNISTDataModule, n: int, seed: int) -> torch.Tensor:
    """``n`` random real training images (uint8 N×1×28×28), seeded."""
    if dm.train_images is None:
        dm.setup("fit")
    pick = torch.randperm(len(dm.train_images), generator=torch.Generator().manual_seed(seed))
    return dm.train_images[pick[:n]].unsqueeze(1)


def real_reference(dm: MNISTDataModule, evaluator: GanEvaluator, n: int, seed: int) -> dict:
    """The floor: ``n`` real training images scored like a generator against the test set."""
    return evaluator.evaluate(real_train_sample(dm, n, seed))


def add_parzen(rows: dict[str, dict], dm: MNISTDataModule, images: torch.Tensor, name: str) -> None:
    """The paper's Parzen log-likelihood of the generated images (and of as many real
    training images, indices 0.., for the floor row), printed with its σ."""
    warn_if_departing(len(images), "parzen")
    validation, test = protocol_images(dm)
    samples = {name: images}
    if "real train images (floor)" in rows:
        samples["real train images (floor)"] = dm.train_images[: len(images)].float() / 255
    for row, pixels in samples.items():
        try:
            score = parzen_score(pixels.cpu(), validation, test)
        except ValueError as exc:  # samples that are not finite: the checkpoint is broken
            raise CheckpointError(
                f"{name}: {exc}; the Parzen estimate needs finite samples"
            ) from None
        rows[row].update(parzen_ll=score.ll, parzen_se=score.se, parzen_sigma=score.sigma)
        log.info("%s: Parzen log-likelihood %.1f ± %.1f nats", row, score.ll, score.se)


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    """Score ``cfg.ckpt_path``; return (and write to ``metrics.json``) all the numbers."""
    validate_sampling(cfg, "eval")
    device = pick_device(cfg.device)
    model = load_gan(cfg.ckpt_path, map_location=device).to(device)
    dm = MNISTDataModule(data_dir=cfg.data.data_dir, download=cfg.data.download)
    evaluator = make_evaluator(cfg.eval, device)
    evaluator.set_real(dm.reference_images(cfg.eval.num_real))

    labels = requested_labels(model, cfg.num_samples)

    def generated(truncation: float) -> torch.Tensor:
        n, batch = cfg.num_samples, cfg.eval.batch_size
        return sample_images(model, n, cfg.seed, batch, labels, truncation)

    images = generated(cfg.truncation)
    rows = {Path(cfg.ckpt_path).name: evaluator.evaluate(images, labels)}
    if cfg.reference:
        rows["real train images (floor)"] = real_reference(dm, evaluator, cfg.num_samples, cfg.seed)
    if cfg.get("parzen"):
        add_parzen(rows, dm, images, Path(cfg.ckpt_path).name)
    print(markdown_table(rows))
    per_digit = rows[Path(cfg.ckpt_path).name].get("label_accuracy_per_class")
    if per_digit:
        print(
            "judge accuracy per requested digit: "
            + ", ".join(f"{digit}: {accuracy:.3f}" for digit, accuracy in enumerate(per_digit))
        )

    payload = {
        "checkpoint": str(cfg.ckpt_path),
        "num_samples": int(cfg.num_samples),
        "seed": int(cfg.seed),
        "generated": rows[Path(cfg.ckpt_path).name],
        "real_reference": rows.get("real train images (floor)"),
    }
    if cfg.truncation != 1.0:
        payload["truncation"] = float(cfg.truncation)
    out_dir = Path(cfg.paths.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if cfg.pr_curve:

        def at(psi: float) -> dict:  # the samples scored above are the point at their ψ
            if psi == cfg.truncation:
                return payload["generated"]
            return evaluator.evaluate(generated(psi), labels)

        curve = truncation_curve(at)
        payload["pr_curve"] = curve
        print(curve_table(curve))
        figure = pr_curve_figure(curve, payload["real_reference"])
        figure.savefig(out_dir / "pr_curve.png", dpi=120)
        log.info("wrote %s", out_dir / "pr_curve.png")
    out = out_dir / "metrics.json"
    write_json(out, payload)
    log.info("wrote %s", out)
    return payload

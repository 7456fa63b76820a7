"""Score the generator during training: FID, KID, IS, coverage, precision/recall."""

from __future__ import annotations

import logging
from typing import Annotated

import lightning as L
import torch
from pydantic import Field

from mnist_gan.config.types import Fraction
from mnist_gan.metrics.evaluator import GanEvaluator
from mnist_gan.metrics.names import CONDITIONAL_SCALARS, PARZEN_SCALARS, SCALARS
from mnist_gan.metrics.parzen import parzen_score, protocol_images, warn_if_departing
from mnist_gan.metrics.pr_curve import curve_table, pr_curve_figure, truncation_curve
from mnist_gan.runs.trackers import figure_pixels, log_image
from mnist_gan.sampling import sample_in_chunks

log = logging.getLogger(__name__)


class Evaluation(L.Callback):
    """Every ``every_n_epochs`` epochs, and after the last one, score ``num_samples`` images
    from a fixed latent bank (so epochs compare like for like) against the real reference
    set, whose features are computed once per run.

    Logs ``eval/<metric>`` scalars, a class-histogram image to the loggers, and
    ``hp_metric`` (the ``optimized_metric``), which sweeps and the best checkpoint use.
    Its knobs are the ``eval`` group's (conf/eval/), which eval.py reads too.

    Under DDP each rank generates and judges its own contiguous share of the bank; the
    judge's outputs are gathered in bank order and rank 0 alone computes the metrics (from
    the reference features it alone holds) and sends them to the other ranks, so every
    rank logs the same numbers as one process would.

    Args:
        every_n_epochs: evaluate every n epochs and after the last one; 0 = off.
        num_samples: samples per evaluation, from a fixed latent bank (evaluation off:
            eval.every_n_epochs=0).
        num_real: real reference images (the MNIST test set).
        seed: seed of the latent bank and of KID's and IS's random subsets.
        optimized_metric: the metric logged as hp_metric (train.yaml's optimized_metric).
        kid_subsets: KID's random subsets.
        kid_subset_size: KID's subset size (capped at the set sizes).
        is_splits: splits of the Inception-Score analogue.
        k: neighbourhood size of the precision/recall manifolds.
        batch_size: images per judge forward pass.
        parzen: also the Parzen-window log-likelihood of Goodfellow et al. 2014 (off: it
            ranks models poorly, Theis et al. 2016).
        truncation: ψ of the truncation trick for the scored samples (1 = none; smaller:
            more precision, less recall).
        pr_curve: at the last evaluation also score ψ = 1.0, 0.9, …, 0.3 and send the
            precision/recall curve to the loggers (eval.py pr_curve=true writes it to files).
    """

    def __init__(
        self,
        every_n_epochs: Annotated[int, Field(ge=0, le=10**9)] = 5,
        num_samples: Annotated[int, Field(ge=2, le=10**9)] = 10000,
        num_real: Annotated[int, Field(ge=2, le=10**9)] = 10000,
        seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 1234,
        optimized_metric: str | None = "eval/fid",
        kid_subsets: Annotated[int, Field(ge=1, le=10**6)] = 100,
        kid_subset_size: Annotated[int, Field(ge=2, le=10**9)] = 1000,
        is_splits: Annotated[int, Field(ge=1, le=10**6)] = 10,
        k: Annotated[int, Field(ge=1, le=10**6)] = 3,
        batch_size: Annotated[int, Field(ge=1, le=10**9)] = 2000,
        parzen: bool = False,
        truncation: Fraction = 1.0,
        pr_curve: bool = False,
    ) -> None:
        super().__init__()
        self.parzen = parzen
        self.truncation = truncation
        self.pr_curve = pr_curve
        self.parzen_sets: tuple[torch.Tensor, torch.Tensor] | None = None
        self.every_n_epochs = every_n_epochs
        self.num_samples = num_samples
        self.num_real = num_real
        self.seed = seed
        self.optimized_metric = optimized_metric
        self.evaluator_kwargs = dict(
            kid_subsets=kid_subsets,
            kid_subset_size=kid_subset_size,
            is_splits=is_splits,
            k=k,
            batch_size=batch_size,
            seed=seed,
        )
        self.evaluator: GanEvaluator | None = None
        self.latents: torch.Tensor | None = None
        self.labels: torch.Tensor | None = None
        self.last: dict[str, float | list[float]] = {}
        self.last_share = 0  # samples this rank generated and judged at the last evaluation

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.every_n_epochs <= 0:
            return
        self.evaluator = GanEvaluator(**self.evaluator_kwargs).to(pl_module.device)
        if trainer.is_global_zero:  # the only rank that scores
            self.evaluator.set_real(trainer.datamodule.reference_images(self.num_real))
        if self.parzen and trainer.world_size > 1:
            log.warning("eval.parzen: not computed under DDP (use eval.py parzen=true)")
            self.parzen = False
        if self.parzen:
            warn_if_departing(self.num_samples, "eval.parzen")
            self.parzen_sets = protocol_images(trainer.datamodule)
        self.latents = self._bank(pl_module, self.truncation)
        # A conditional G is asked for 0..9 in turn: even classes, and accuracy per digit.
        self.labels = pl_module.sample_labels(self.num_samples, pl_module.device)
        log.info(
            "evaluation: %d real reference images, %d samples every %d epochs",
            self.num_real,
            self.num_samples,
            self.every_n_epochs,
        )

    def _bank(self, pl_module: L.LightningModule, truncation: float) -> torch.Tensor:
        """The fixed latent bank (the same latents every time), truncated by ψ."""
        bank = torch.Generator().manual_seed(self.seed)
        return pl_module.draw_latent(self.num_samples, bank, truncation=truncation).to(
            pl_module.device
        )

    @staticmethod
    def _last(trainer: L.Trainer) -> bool:
        epoch = trainer.current_epoch + 1
        return (
            trainer.should_stop
            or (trainer.max_epochs is not None and 0 < trainer.max_epochs <= epoch)
            or (trainer.max_steps > 0 and trainer.global_step >= trainer.max_steps)
        )

    def _due(self, trainer: L.Trainer) -> bool:
        return self._last(trainer) or (trainer.current_epoch + 1) % self.every_n_epochs == 0

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.evaluator is None or not self._due(trainer):
            return
        self.last = self.score(trainer, pl_module)
        values = {
            f"eval/{name}": float(self.last[name])
            for name in SCALARS + CONDITIONAL_SCALARS + PARZEN_SCALARS
            if name in self.last
        }
        for digit, accuracy in enumerate(self.last.get("label_accuracy_per_class", [])):
            values[f"eval/label_accuracy_digit_{digit}"] = float(accuracy)
        if self.optimized_metric in values:
            values["hp_metric"] = values[self.optimized_metric]
        pl_module.log_dict(values, on_step=False, on_epoch=True, sync_dist=False)
        self._log_histogram(trainer)
        if self.pr_curve and self._last(trainer):
            self._log_pr_curve(trainer, pl_module)
        log.info(
            "epoch %d: %s",
            trainer.current_epoch,
            ", ".join(f"{k.split('/')[-1]} {v:.4g}" for k, v in values.items()),
        )

    def score(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        latents: torch.Tensor | None = None,
    ) -> dict:
        """The metrics of the generator as it is now, logged nowhere (every rank calls it
        under DDP); what each due epoch logs, and what a benchmark asks for between.
        ``latents`` replaces the fixed bank (the precision/recall curve's truncated ones)."""
        latents = self.latents if latents is None else latents
        world, rank = trainer.world_size, trainer.global_rank
        bounds = [self.num_samples * r // world for r in range(world + 1)]
        share = slice(bounds[rank], bounds[rank + 1])
        labels = self.labels[share] if self.labels is not None else None
        images = sample_in_chunks(pl_module, latents[share], labels, self.evaluator.batch_size)
        self.last_share = len(images)
        features, logits = self.evaluator.judge_outputs(images)
        if world > 1:
            sizes = [bounds[r + 1] - bounds[r] for r in range(world)]
            features, logits = (
                _gather_shares(pl_module, part, sizes) for part in (features, logits)
            )
        scores = (
            self.evaluator.score(features, logits, self.labels) if trainer.is_global_zero else None
        )
        if self.parzen_sets is not None:  # one process (see on_fit_start)
            parzen = parzen_score(images.reshape(len(images), -1).cpu(), *self.parzen_sets)
            scores.update(parzen_ll=parzen.ll, parzen_se=parzen.se, parzen_sigma=parzen.sigma)
        return trainer.strategy.broadcast(scores, src=0) if world > 1 else scores

    def _log_pr_curve(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Score the generator at each ψ of the grid and send the curve to the loggers."""
        if trainer.world_size > 1:
            log.warning("eval.pr_curve: not computed under DDP (use eval.py pr_curve=true)")
            return

        def at(psi: float) -> dict:  # this epoch's own scores are the point at its ψ
            if psi == self.truncation:
                return self.last
            return self.score(trainer, pl_module, self._bank(pl_module, psi))

        curve = truncation_curve(at)
        log.info("precision/recall by truncation:\n%s", curve_table(curve))
        if trainer.loggers:
            figure = pr_curve_figure(curve)
            log_image(
                trainer.loggers,
                "eval/pr_curve",
                figure_pixels(figure),
                trainer.current_epoch,
                trainer.global_step,
            )

    def _log_histogram(self, trainer: L.Trainer) -> None:
        if not trainer.loggers or trainer.global_rank != 0:
            return
        from mnist_gan.metrics.plots import class_histogram_figure

        pixels = figure_pixels(class_histogram_figure(self.last["histogram"]))
        log_image(
            trainer.loggers,
            "eval/class_histogram",
            pixels,
            trainer.current_epoch,
            trainer.global_step,
        )


def _gather_shares(
    pl_module: L.LightningModule, part: torch.Tensor, sizes: list[int]
) -> torch.Tensor:
    """Every rank's rows of ``part`` (rank r holds ``sizes[r]``), concatenated in rank order."""
    padded = part.new_zeros((max(sizes), *part.shape[1:]))
    padded[: len(part)] = part
    gathered = pl_module.all_gather(padded)  # world × max(sizes) × ...
    return torch.cat([gathered[r, :size] for r, size in enumerate(sizes)])

"""``train(cfg)``: check the config, instantiate data, model, callbacks, loggers and Trainer
from it, fit.

A plain function: ``train.py``'s Hydra entry calls it and tests call it directly with a
composed config. It also keeps the run's record (``run.json``: running, then ok, failed or
interrupted) and, with ``ckpt_path=auto``, resumes or skips a run directory that already
holds a run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import lightning as L
import torch
from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch.loggers import Logger, TensorBoardLogger
from omegaconf import DictConfig, OmegaConf
from pydantic import Field

from mnist_gan.callbacks.run_progress import logged_metrics
from mnist_gan.checkpoints import check_weights_fit, read_checkpoint
from mnist_gan.config.compose import build, instantiate_list
from mnist_gan.config.types import Resumable, Seed, TaskName
from mnist_gan.config.validate import validate_train
from mnist_gan.errors import ConfigError, one_line
from mnist_gan.hardware import resolve_precision, warn_if_emulated
from mnist_gan.metrics.names import OPTIMIZABLE
from mnist_gan.runs.hparams import (
    TRAIN_SECONDS,
    compared_metrics,
    knobs,
    overridden_knobs,
)
from mnist_gan.runs.identity import hydra_context, run_name
from mnist_gan.runs.record import (
    AUTO_RESUME,
    FINISHED,
    is_rank_zero,
    read_record,
    recorded,
    update_record,
)
from mnist_gan.runs.tensorboard import write_hparams

log = logging.getLogger(__name__)


def log_config(loggers: list[Logger], cfg: DictConfig) -> None:
    """Send the compared knobs to every logger, register them with TensorBoard's hparams
    plugin (with the compared metrics and the run's name), and the resolved config as text."""
    choices, overrides, _ = hydra_context()
    values = knobs(cfg, choices)
    name = run_name(cfg.get("task_name"), cfg.paths.output_dir)
    for logger in loggers:
        logger.log_hyperparams(values)
        if isinstance(logger, TensorBoardLogger) and is_rank_zero():  # others hold a dummy
            write_hparams(
                logger.experiment,
                values,
                compared_metrics(cfg.get("optimized_metric")),
                name,
                varied=overridden_knobs(overrides),
            )
            text = OmegaConf.to_yaml(cfg, resolve=True)
            logger.experiment.add_text("config", "```yaml\n" + text + "\n```", 0)


def last_checkpoint_path(cfg: DictConfig) -> Path:
    """Where this run's resume point is written (the ``last_checkpoint`` callback's file)."""
    last = OmegaConf.select(cfg, "callbacks.last_checkpoint", default=None)
    if last:
        return Path(last.dirpath) / last.filename
    return Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt"


def _close(loggers: Sequence[Logger]) -> None:
    """End the loggers' runs after a failure (Lightning does so only for one inside fit):
    an open W&B run would swallow the next job of a sweep run in the same process."""
    for logger in loggers:
        logger.finalize("failed")


def _start(loggers: Sequence[Logger], cfg: DictConfig) -> None:
    """Start each logger's run now, so that what its own start-up refuses (a W&B setting or
    environment variable, an unreachable MLflow store) is one line naming it."""
    entries = cfg.get("logger") or {}
    names = [name for name, entry in entries.items() if isinstance(entry, DictConfig)]
    for name, logger in zip(names, loggers, strict=False):
        try:
            logger.experiment  # noqa: B018 (the property starts the run)
        except Exception as exc:  # noqa: BLE001 (whatever the tracker raises)
            raise ConfigError(
                f"logger.{name} could not start: {one_line(exc)}; check the logger.{name}.* "
                "settings and the tracker's environment variables"
            ) from None


def _record(run_dir: Path, **fields: Any) -> None:
    if is_rank_zero():
        update_record(run_dir, **fields)


@dataclass(frozen=True)
class RunSettings:
    """The training config's own knobs (conf/train.yaml).

    Attributes:
        task_name: short name of the run; part of its output directory.
        seed: seed for Python, NumPy and torch (and the data order); null = random.
        intra_op_threads: torch's intra-op CPU threads (null = torch's default).
        ckpt_path: ``auto`` (resume this run directory's last.ckpt, skip a finished run),
            null (start fresh) or the checkpoint to resume.
        optimized_metric: the logged metric sweeps optimise and best.ckpt is chosen by.
        optimized_metric_mode: whether lower (``min``) or higher (``max``) is better.
    """

    task_name: TaskName
    seed: Seed | None
    intra_op_threads: Annotated[int, Field(gt=0, le=4096)] | None
    ckpt_path: Resumable | None
    optimized_metric: Literal[OPTIMIZABLE] | None
    optimized_metric_mode: Literal["min", "max"]


@dataclass(frozen=True)
class TrainerSettings:
    """The Trainer knobs the project relies on (conf/trainer/); Lightning checks the
    others when the Trainer is built.

    Attributes:
        max_epochs: epochs to train (null or -1: no limit but max_steps).
        max_steps: optimizer steps to train; a batch is two (D's and G's); -1 = no limit.
        precision: ``32-true``, ``bf16-mixed``, ``16-mixed`` (Lightning's names) or ``auto``:
            bf16 autocast where the device runs bf16 natively, else 32-true.
    """

    max_epochs: Annotated[int, Field(ge=-1, le=10**9)] | None
    max_steps: Annotated[int, Field(ge=-1, le=10**12)] | None
    precision: str | int


def train(cfg: DictConfig, extra_callbacks: Sequence[L.Callback] = ()) -> dict[str, float]:
    """Train a GAN as configured; return the final logged metrics as floats.

    ``extra_callbacks`` are added to the configured ones (for benchmarks and tests).
    Raises ``ConfigError``/``CheckpointError`` before anything is built when the config
    cannot work, and ``NonFiniteLossError`` if training diverges; either way ``run.json``
    says ``failed`` with the error's first line. With ``ckpt_path=auto`` a run directory
    that holds a run resumes it, or is skipped when that run finished.
    """
    run_dir = Path(cfg.paths.output_dir)
    with recorded(run_dir):
        validate_train(cfg)
        ckpt_path, finished = _resume_point(cfg, run_dir)
        if finished is not None:
            log.info(
                "%s already finished (%s epochs; run.json): skipped. Pass ckpt_path=%s to "
                "train it further or ckpt_path=null to start over",
                run_dir,
                finished.get("epochs"),
                last_checkpoint_path(cfg),
            )
            return dict(finished.get("metrics") or {})
        resume_from = read_checkpoint(ckpt_path) if ckpt_path else None  # refuse a broken file
        if cfg.get("intra_op_threads"):
            torch.set_num_threads(int(cfg.intra_op_threads))
        log.info("torch intra-op threads: %d", torch.get_num_threads())
        # resolved in the config itself, so the HPARAMS knobs and the run record say what ran
        precision, why = resolve_precision(cfg.trainer.precision, cfg.trainer.accelerator)
        cfg.trainer.precision = precision
        log.info("precision: %s (%s)", precision, why)
        warn_if_emulated(precision, cfg.trainer.accelerator)
        if cfg.get("seed") is not None:
            L.seed_everything(cfg.seed, workers=True)
        _record(
            run_dir,
            status="running",
            error=None,
            optimized_metric=cfg.get("optimized_metric"),
            optimized_metric_mode=cfg.get("optimized_metric_mode"),
        )
        datamodule: L.LightningDataModule = build(cfg.data, "data")
        model: L.LightningModule = build(cfg.model, "model", _recursive_=False)
        if resume_from is not None:
            check_weights_fit(model, resume_from, ckpt_path)  # before Lightning's traceback
            del resume_from
            log.info("resuming from %s", ckpt_path)
        callbacks = [*instantiate_list(cfg.get("callbacks")), *extra_callbacks]
        loggers = instantiate_list(cfg.get("logger"), "logger")
        trainer = build(cfg.trainer, "trainer", callbacks=callbacks, logger=loggers or False)
        try:
            _start(trainer.loggers, cfg)
            log_config(trainer.loggers, cfg)
            trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path)
        except MisconfigurationException as exc:  # Lightning's check of trainer.* at fit time
            _close(trainer.loggers)
            raise ConfigError(f"trainer: {one_line(exc)}; check the trainer.* values") from None
        except BaseException:
            _close(trainer.loggers)
            raise
        final = logged_metrics(trainer)
        _record(
            run_dir,
            status="interrupted" if trainer.interrupted else FINISHED,
            epochs=trainer.current_epoch,
            train_seconds=final.get(TRAIN_SECONDS),
            metrics=final,
        )
    metrics = {
        name: float(value)
        for name, value in trainer.callback_metrics.items()
        if isinstance(value, torch.Tensor) and value.numel() == 1
    }
    log.info("finished: %s", {k: round(v, 4) for k, v in sorted(metrics.items())})
    return metrics


def _resume_point(cfg: DictConfig, run_dir: Path) -> tuple[str | None, dict | None]:
    """(the checkpoint to resume, the record of a run that already finished here)."""
    ckpt_path = cfg.get("ckpt_path")
    if ckpt_path != AUTO_RESUME:
        return ckpt_path, None
    record = read_record(run_dir)
    if record and record.get("status") == FINISHED:
        return None, record
    last = last_checkpoint_path(cfg)
    return (str(last) if last.is_file() else None), None

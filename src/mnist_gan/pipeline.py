"""``train(cfg)``: instantiate data, model, callbacks, loggers and Trainer from the config, fit.

A plain function: ``train.py`` calls it under ``@hydra.main`` and tests call it directly
with a composed config.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import lightning as L
import torch
from hydra.utils import instantiate
from lightning.pytorch.loggers import Logger, TensorBoardLogger
from omegaconf import DictConfig, OmegaConf

from mnist_gan.checkpoint import read_checkpoint
from mnist_gan.validate import validate_train

log = logging.getLogger(__name__)


def instantiate_list(group: DictConfig | None) -> list[Any]:
    """Instantiate every entry of a config group that has a ``_target_`` (null entries skip)."""
    if not group:
        return []
    return [
        instantiate(entry)
        for entry in group.values()
        if isinstance(entry, DictConfig) and "_target_" in entry
    ]


def flatten(cfg: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a/b": 1}``; lists become strings (HPARAMS wants scalars)."""
    flat: dict[str, Any] = {}
    for key, value in cfg.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}/"))
        elif isinstance(value, (list, tuple)):
            flat[name] = str(value)
        else:
            flat[name] = value
    return flat


def log_config(loggers: list[Logger], cfg: DictConfig) -> None:
    """Send the resolved config to every logger (hparams) and to TensorBoard as text."""
    resolved = OmegaConf.to_container(cfg, resolve=True)
    for logger in loggers:
        logger.log_hyperparams(flatten(resolved))
        if isinstance(logger, TensorBoardLogger):
            text = OmegaConf.to_yaml(cfg, resolve=True)
            logger.experiment.add_text("config", "```yaml\n" + text + "\n```", 0)


def train(cfg: DictConfig, extra_callbacks: Sequence[L.Callback] = ()) -> dict[str, float]:
    """Train a GAN as configured; return the final logged metrics as floats.

    ``extra_callbacks`` are added to the configured ones (for benchmarks and tests).
    Raises ``ConfigError``/``CheckpointError`` before anything is built when the config
    cannot work, and ``NonFiniteLossError`` if training diverges.
    """
    validate_train(cfg)
    if cfg.get("ckpt_path"):
        read_checkpoint(cfg.ckpt_path)  # refuse a foreign or broken file before training
    if cfg.get("intra_op_threads"):
        torch.set_num_threads(int(cfg.intra_op_threads))
    if cfg.get("seed") is not None:
        L.seed_everything(cfg.seed, workers=True)

    log.info("data: %s", cfg.data._target_)
    datamodule: L.LightningDataModule = instantiate(cfg.data)
    model: L.LightningModule = instantiate(cfg.model, _recursive_=False)
    callbacks = [*instantiate_list(cfg.get("callbacks")), *extra_callbacks]
    loggers = instantiate_list(cfg.get("logger"))
    trainer: L.Trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)
    log_config(trainer.loggers, cfg)

    trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))

    metrics = {
        name: float(value)
        for name, value in trainer.callback_metrics.items()
        if isinstance(value, torch.Tensor) and value.numel() == 1
    }
    log.info("finished: %s", {k: round(v, 4) for k, v in sorted(metrics.items())})
    return metrics

"""Check a composed config once, before anything is built or trained.

Every check raises ``ConfigError`` with one line that names the offending key and the fix;
the entry points print that line and exit non-zero instead of a traceback. Kept free of
torch and Lightning so a bad config is refused within a second of starting.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from mnist_gan.config import choices
from mnist_gan.config.resolvers import range_for_activation
from mnist_gan.data.idx import MNIST_FILES, present_files
from mnist_gan.errors import CheckpointError, ConfigError

MNIST_TRAIN_IMAGES = MNIST_FILES[0].count
CHOICES = {
    "model.latent_distribution": choices.LATENT_DISTRIBUTIONS,
    "model.step_order": choices.STEP_ORDERS,
    "model.loss": choices.LOSSES,
    "model.g_loss": choices.GENERATOR_LOSSES,
    "model.d_loss_reduction": choices.REDUCTIONS,
    "model.adam_impl": choices.ADAM_IMPLS,
    "model.generator.activation": choices.ACTIVATIONS,
    "model.discriminator.activation": choices.ACTIVATIONS,
    "model.generator.output_activation": choices.OUTPUT_ACTIVATIONS,
}


def _get(cfg: DictConfig, key: str) -> Any:
    return OmegaConf.select(cfg, key, default=None)


def _positive(cfg: DictConfig, keys: Iterable[str], kind: type) -> None:
    for key in keys:
        value = _get(cfg, key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(
                f"{key}={value!r} is not a number; set {key}=<positive {kind.__name__}>"
            )
        if kind is int and value != int(value):
            raise ConfigError(
                f"{key}={value} must be a whole number; e.g. {key}={max(1, int(value))}"
            )
        if not value > 0:
            raise ConfigError(f"{key}={value} must be positive; set {key} to a number > 0")


def _choices(cfg: DictConfig) -> None:
    for key, allowed in CHOICES.items():
        value = _get(cfg, key)
        if value is not None and value not in allowed:
            raise ConfigError(f"{key}={value!r} is not an option; use one of {', '.join(allowed)}")
    mode = _get(cfg, "model.compile")
    if mode is not None and mode not in choices.COMPILE_MODES:
        raise ConfigError(
            f"model.compile={mode!r} is not an option; use null (eager) or one of "
            f"{', '.join(choices.COMPILE_MODES)}"
        )


def _betas(cfg: DictConfig) -> None:
    betas = _get(cfg, "model.betas")
    if betas is None:
        return
    if len(betas) != 2 or not all(0 <= float(b) < 1 for b in betas):
        raise ConfigError(
            f"model.betas={list(betas)} must be two numbers in [0, 1); e.g. model.betas=[0.5,0.999]"
        )


def _value_range(cfg: DictConfig) -> None:
    activation = _get(cfg, "model.generator.output_activation")
    value_range = _get(cfg, "data.value_range")
    if activation is None or value_range is None:
        return
    expected = range_for_activation(activation)
    if [float(v) for v in value_range] != expected:
        raise ConfigError(
            f"data.value_range={list(value_range)} does not match the generator's "
            f"{activation} output ({list(expected)}); drop the override (it follows "
            f"model.generator.output_activation) or set data.value_range={list(expected)}"
        )


def _batch_size(cfg: DictConfig) -> None:
    batch = _get(cfg, "data.batch_size")
    if batch is not None and batch > MNIST_TRAIN_IMAGES:
        raise ConfigError(
            f"data.batch_size={batch} is larger than MNIST's {MNIST_TRAIN_IMAGES} training "
            f"images; use data.batch_size<={MNIST_TRAIN_IMAGES}"
        )


def _non_negative(cfg: DictConfig, keys: Iterable[str]) -> None:
    for key in keys:
        value = _get(cfg, key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"{key}={value!r} must be a number >= 0 (0 = off)")


def _remedies(cfg: DictConfig) -> None:
    """The anti-collapse knobs: ranges, and the combinations that mean nothing."""
    _non_negative(cfg, ("model.gp_weight", "model.r1_weight", "model.instance_noise"))
    _positive(cfg, ("model.instance_noise_epochs",), float)
    _positive(cfg, ("model.discriminator.pack", "model.discriminator.minibatch_std_group"), int)
    decay = _get(cfg, "model.ema_decay")
    if decay is not None and (
        isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 <= decay < 1
    ):
        raise ConfigError(f"model.ema_decay={decay!r} must be in [0, 1) (e.g. 0.999) or null (off)")
    pack = _get(cfg, "model.discriminator.pack") or 1
    if pack > 1 and _get(cfg, "model.conditional"):
        raise ConfigError(
            f"model.discriminator.pack={pack} with model.conditional=true: a pack mixes "
            "digits, so D cannot be told one label; set model.discriminator.pack=1"
        )
    loss = _get(cfg, "model.loss")
    if loss is not None and loss != "bce":
        bce_only = {
            "model.g_loss": ("non_saturating", "non_saturating"),
            "model.d_loss_reduction": ("mean", "mean"),
            "model.real_label": (1.0, "1.0"),
        }
        for key, (neutral, shown) in bce_only.items():
            value = _get(cfg, key)
            if value is not None and value != neutral:
                raise ConfigError(
                    f"{key}={value} applies to model.loss=bce only, not model.loss={loss}; "
                    f"drop it or set {key}={shown}"
                )


def _has_mnist(folder: Path) -> bool:
    return len(present_files(folder)) == len(MNIST_FILES)


def check_data_dir(value: Any) -> None:
    """``data.data_dir`` must be a folder (or creatable) and writable unless MNIST is there."""
    if value is None:
        return
    path = Path(str(value)).expanduser()
    if path.exists() and not path.is_dir():
        raise ConfigError(
            f"data.data_dir={value} is a file, not a folder; point data.data_dir at a folder"
        )
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(
            f"data.data_dir={value} is inside a file ({existing}); point data.data_dir at a folder"
        )
    if not os.access(existing, os.W_OK | os.X_OK) and not (path.is_dir() and _has_mnist(path)):
        raise ConfigError(
            f"data.data_dir={value} is not writable and holds no MNIST; choose a writable "
            "folder (data.data_dir=...) or put MNIST/raw/*-ubyte files there"
        )


def check_checkpoint_path(key: str, value: Any) -> None:
    """The checkpoint named by ``key`` must exist (its content is checked on loading)."""
    if value is None:
        return
    path = Path(str(value)).expanduser()
    if not path.is_file():
        raise CheckpointError(
            f"{key}={value} does not exist; pass {key}=<run dir>/checkpoints/last.ckpt"
        )


def _intra_op_threads(cfg: DictConfig) -> None:
    _positive(cfg, ("intra_op_threads",), int)


def validate_train(cfg: DictConfig) -> None:
    """All checks on a training config; raises ``ConfigError`` on the first problem."""
    _positive(
        cfg,
        ("model.latent_dim", "data.batch_size", "model.d_steps", "model.num_sample_images"),
        int,
    )
    _positive(cfg, ("model.lr_g", "model.lr_d"), float)
    _positive(cfg, ("model.gradient_clip_val",), float)
    for key in ("model.generator.hidden", "model.discriminator.hidden"):
        widths = _get(cfg, key)
        if widths is not None and not all(isinstance(w, int) and w > 0 for w in widths):
            raise ConfigError(f"{key}={list(widths)} must be positive whole widths; e.g. [256,512]")
    _choices(cfg)
    _remedies(cfg)
    _betas(cfg)
    _batch_size(cfg)
    _value_range(cfg)
    check_data_dir(_get(cfg, "data.data_dir"))
    if _get(cfg, "ckpt_path") != choices.AUTO_RESUME:
        check_checkpoint_path("ckpt_path", _get(cfg, "ckpt_path"))
    _intra_op_threads(cfg)


def validate_sampling(cfg: DictConfig) -> None:
    """Checks shared by ``eval.py`` and ``generate.py``."""
    check_checkpoint_path("ckpt_path", _get(cfg, "ckpt_path"))
    _positive(cfg, ("num_samples",), int)
    digit = _get(cfg, "digit")
    last = choices.NUM_CLASSES - 1
    if digit is not None and (
        isinstance(digit, bool) or not isinstance(digit, int) or not 0 <= digit <= last
    ):
        raise ConfigError(f"digit={digit!r} is not a digit; use digit=0..{last} (or null for all)")

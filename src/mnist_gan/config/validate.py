"""Check a composed config once, before anything is built or trained.

Every check raises ``ConfigError`` with one line that names the offending key and the fix;
the entry points print that line and exit non-zero instead of a traceback. Kept free of
torch and Lightning so a bad config is refused within a second of starting.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

from mnist_gan.config import choices
from mnist_gan.config.memory import check_sample_memory, check_training_memory
from mnist_gan.config.resolvers import range_for_activation
from mnist_gan.data.idx import MNIST_FILES, present_files
from mnist_gan.errors import CheckpointError, ConfigError, one_line
from mnist_gan.metrics.names import optimizable_metrics
from mnist_gan.runs.record import AUTO_RESUME

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
    "optimized_metric_mode": choices.METRIC_MODES,
}


def _get(cfg: DictConfig, key: str) -> Any:
    return OmegaConf.select(cfg, key, default=None)


def _numbers(value: Any) -> bool:
    """A list of numbers (booleans are not numbers here)."""
    return isinstance(value, ListConfig | list | tuple) and all(
        _number(v) and math.isfinite(v) for v in value
    )


def _shown(value: Any) -> Any:
    return list(value) if isinstance(value, ListConfig) else value


def _positive(cfg: DictConfig, keys: Iterable[str], kind: type) -> None:
    for key in keys:
        value = _get(cfg, key)
        if value is None:
            continue
        if not _number(value):
            raise ConfigError(
                f"{key}={value!r} is not a number; set {key}=<positive {kind.__name__}>"
            )
        if not math.isfinite(value):
            raise ConfigError(f"{key}={value} is not a finite number; set {key} to a number > 0")
        if kind is int and not isinstance(value, int):
            example = max(1, int(value)) if abs(value) < 1e15 else 1000
            raise ConfigError(f"{key}={value} must be a whole number; e.g. {key}={example}")
        if not value > 0:
            raise ConfigError(f"{key}={value} must be positive; set {key} to a number > 0")


_ABSENT = object()
# The objects a training run builds, each named by its _target_.
TARGETS = (
    "data._target_",
    "model._target_",
    "model.generator._target_",
    "model.discriminator._target_",
    "trainer._target_",
)


def _choices(cfg: DictConfig) -> None:
    for key, allowed in CHOICES.items():
        if OmegaConf.select(cfg, key, default=_ABSENT) is _ABSENT:
            continue  # a network or config without this knob
        value = _get(cfg, key)
        if value not in allowed:
            raise ConfigError(f"{key}={value!r} is not an option; use one of {', '.join(allowed)}")
    for key in TARGETS:
        node = _get(cfg, key.rsplit(".", 1)[0]) if "." in key else None
        if (node is not None or "." not in key) and not _get(cfg, key):
            raise ConfigError(
                f"{key} is missing: it names the class to build; drop the override that removed it"
            )

    mode = _get(cfg, "model.compile")
    if mode is not None and mode not in choices.COMPILE_MODES:
        raise ConfigError(
            f"model.compile={mode!r} is not an option; use null (eager) or one of "
            f"{', '.join(choices.COMPILE_MODES)}"
        )
    decay = _get(cfg, "model.lr_decay")
    if decay is not None and decay not in choices.LR_DECAYS:
        raise ConfigError(
            f"model.lr_decay={decay!r} is not an option; use null (a constant rate) or one of "
            f"{', '.join(choices.LR_DECAYS)}"
        )
    epochs = _get(cfg, "trainer.max_epochs")
    if decay is not None and not (isinstance(epochs, int) and epochs > 0):
        raise ConfigError(
            f"model.lr_decay={decay} decays towards trainer.max_epochs, which is {epochs}; "
            "set trainer.max_epochs=N or model.lr_decay=null"
        )


def _betas(cfg: DictConfig) -> None:
    betas = _get(cfg, "model.betas")
    if betas is None:
        return
    if not (_numbers(betas) and len(betas) == 2 and all(0 <= b < 1 for b in betas)):
        raise ConfigError(
            f"model.betas={_shown(betas)} must be two numbers in [0, 1); "
            "e.g. model.betas=[0.5,0.999]"
        )


def _value_range(cfg: DictConfig) -> None:
    activation = _get(cfg, "model.generator.output_activation")
    value_range = _get(cfg, "data.value_range")
    if activation is None or value_range is None:
        return
    if not _numbers(value_range):
        raise ConfigError(
            f"data.value_range={_shown(value_range)} is not a list of numbers; drop the "
            "override (it follows model.generator.output_activation)"
        )
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
        if not _number(value) or not math.isfinite(value) or value < 0:
            raise ConfigError(f"{key}={value!r} must be a number >= 0 (0 = off)")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# Whole-number knobs outside the model's sizes, with their least and greatest values.
WHOLE_NUMBERS = {
    "seed": (0, 2**32 - 1),
    "trainer.max_epochs": (-1, 10**9),
    "trainer.max_steps": (-1, 10**12),
    "data.seed": (0, 2**32 - 1),
    "model.sample_seed": (0, 2**63 - 1),
    "data.num_workers": (0, 1024),
    "eval.every_n_epochs": (0, 10**9),
    "eval.num_samples": (2, 10**9),
    "eval.num_real": (2, 10**9),
    "eval.seed": (0, 2**63 - 1),
    "eval.kid_subsets": (1, 10**6),
    "eval.kid_subset_size": (2, 10**9),
    "eval.is_splits": (1, 10**6),
    "eval.k": (1, 10**6),
    "eval.batch_size": (1, 10**9),
    "grid_max": (1, 10**6),
    "nrow": (1, 10**6),
    "scale": (1, 16),
    "callbacks.sample_grid.scale": (1, 16),
    "interpolation.rows": (1, 10**6),
    "interpolation.steps": (2, 10**6),
}
# On/off knobs: true or false only.
FLAGS = (
    "parzen",
    "eval.parzen",
    "data.download",
    "data.resident",
    "data.shuffle",
    "data.drop_last",
    "data.pin_memory",
    "model.conditional",
    "model.d_joint_batch",
    "model.generator.batch_norm",
    "model.discriminator.batch_norm",
    "model.discriminator.minibatch_std",
    "model.discriminator.spectral_norm",
    "reference",
)
DEVICES = ("auto", "cpu", "cuda", "mps")


# Whole-number knobs where null means something (a random seed, an automatic layout, no
# limit); the others must hold a number.
NULLABLE = ("seed", "data.seed", "nrow", "trainer.max_epochs", "trainer.max_steps")


def _whole_numbers_and_flags(cfg: DictConfig) -> None:
    for key, (low, high) in WHOLE_NUMBERS.items():
        if OmegaConf.select(cfg, key, default=_ABSENT) is _ABSENT:
            continue
        value = _get(cfg, key)
        if value is None and key in NULLABLE:
            continue
        if not (isinstance(value, int) and not isinstance(value, bool) and low <= value <= high):
            raise ConfigError(f"{key}={value!r} must be a whole number in [{low}, {high}]")
    for key in FLAGS:
        value = _get(cfg, key)
        if value is not None and not isinstance(value, bool):
            raise ConfigError(f"{key}={value!r} is not a flag; set {key}=true or {key}=false")
    device = _get(cfg, "device")
    if device is not None and not (
        isinstance(device, str) and device.split(":")[0] in DEVICES and device.strip() == device
    ):
        raise ConfigError(f"device={device!r} is not a device; use one of {', '.join(DEVICES)}")


def _remedies(cfg: DictConfig) -> None:
    """The anti-collapse knobs: ranges, and the combinations that mean nothing."""
    _non_negative(
        cfg, ("model.gp_weight", "model.r1_weight", "model.instance_noise", "model.aux_weight")
    )
    _non_negative(cfg, ("model.generator.negative_slope", "model.discriminator.negative_slope"))
    _positive(cfg, ("model.generator.batch_norm_eps",), float)
    for key in ("model.real_label", "model.generator.batch_norm_momentum"):
        value = _get(cfg, key)
        if value is not None and not (_number(value) and 0 < value <= 1):
            raise ConfigError(f"{key}={value!r} must be a number in (0, 1]")
    _positive(cfg, ("model.instance_noise_epochs", "model.lr_decay_epochs"), float)
    _positive(cfg, ("model.discriminator.pack", "model.discriminator.minibatch_std_group"), int)
    decay = _get(cfg, "model.ema_decay")
    if decay is not None and (
        isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 <= decay < 1
    ):
        raise ConfigError(f"model.ema_decay={decay!r} must be in [0, 1) (e.g. 0.999) or null (off)")
    if (_get(cfg, "model.aux_weight") or 0) and not _get(cfg, "model.conditional"):
        raise ConfigError(
            f"model.aux_weight={_get(cfg, 'model.aux_weight')} needs the digit labels: set "
            "model.conditional=true, or model.aux_weight=0"
        )
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
    threads = _get(cfg, "intra_op_threads")
    if threads is not None and threads > 4096:
        raise ConfigError(f"intra_op_threads={threads} is absurd; use the cores you have or null")


def check_task_name(cfg: DictConfig) -> None:
    """``task_name`` names the run's folder and log file: a short name of safe characters."""
    name = _get(cfg, "task_name")
    if name is not None and not (isinstance(name, str) and TASK_NAME.fullmatch(name)):
        raise ConfigError(
            f"task_name={name!r} must be 1-64 letters, digits, '_', '-' or '.'; "
            "e.g. task_name=ablation"
        )


TASK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _evaluation_sizes(cfg: DictConfig, samples_key: str) -> None:
    """The neighbour count must fit the sample sets (KID's subsets shrink to fit)."""
    samples, real = _get(cfg, samples_key), _get(cfg, "eval.num_real")
    if not isinstance(samples, int) or not isinstance(real, int):
        return
    smallest = min(samples, real)
    k = _get(cfg, "eval.k")
    if isinstance(k, int) and k >= smallest:
        raise ConfigError(
            f"eval.k={k} needs more than k samples, but {samples_key}={samples} and "
            f"eval.num_real={real}; use eval.k<{smallest}"
        )


def unreadable(
    node: DictConfig | ListConfig, prefix: str = ""
) -> Iterator[tuple[str, Any, OmegaConfBaseException]]:
    """(key, raw value, error) for every value that cannot be read: left ``???``, or an
    interpolation that does not resolve."""
    # Hydra's own settings last: they interpolate the job's keys, which are named first
    keys = range(len(node)) if isinstance(node, ListConfig) else sorted(node, key=_hydra_last)
    for key in keys:
        child = node._get_node(key)
        path = f"{prefix}{key}"
        if isinstance(child, DictConfig | ListConfig) and not child._is_interpolation():
            if child._is_missing():
                yield path, "???", MissingMandatoryValue(f"Missing mandatory value: {path}")
            elif not child._is_none():
                yield from unreadable(child, f"{path}.")
            continue
        try:
            node[key]
        except OmegaConfBaseException as exc:
            yield path, child._value(), exc


def _hydra_last(key: Any) -> bool:
    return key == "hydra"


def _readable(cfg: DictConfig) -> None:
    """Every value can be read. (Outside ``@hydra.main`` the ``${hydra:...}`` paths cannot,
    and are left to the caller.)"""
    from hydra.core.hydra_config import HydraConfig

    for path, raw, exc in unreadable(cfg):
        if isinstance(raw, str) and raw.startswith("${hydra:") and not HydraConfig.initialized():
            continue
        raise ConfigError(problem_line(path, raw, exc))


def problem_line(path: str, raw: Any, exc: OmegaConfBaseException) -> str:
    """One line naming the key that cannot be read and the fix."""
    if isinstance(exc, MissingMandatoryValue):
        return f"{path} must be set; pass {path}=<value> on the command line"
    reason = one_line(exc, name_key=False)
    return f"{path}={raw} cannot be read ({reason}); fix or drop the override behind it"


def _sample_memory(cfg: DictConfig, keys: Iterable[str]) -> None:
    for key in keys:
        if _get(cfg, key) is not None:
            check_sample_memory(key, _get(cfg, key))


def _optimized_metric(cfg: DictConfig) -> None:
    metric = _get(cfg, "optimized_metric")
    if metric is None:
        return
    names = optimizable_metrics()
    if metric not in names:
        raise ConfigError(
            f"optimized_metric={metric!r} is never logged; use one of {', '.join(names)}"
        )


# The loggers that need an optional extra: their _target_ -> (package, extra).
TRACKER_PACKAGES = {
    "mnist_gan.runs.trackers.WandbTracker": ("wandb", "wandb"),
    "lightning.pytorch.loggers.WandbLogger": ("wandb", "wandb"),
    "mnist_gan.runs.trackers.MLflowTracker": ("mlflow", "mlflow"),
    "lightning.pytorch.loggers.MLFlowLogger": ("mlflow", "mlflow"),
}


def _trackers(cfg: DictConfig) -> None:
    """Each configured logger's package is installed (W&B and MLflow are extras)."""
    loggers = OmegaConf.select(cfg, "logger", default=None)
    if not isinstance(loggers, DictConfig):
        return
    for name, entry in loggers.items():
        target = entry.get("_target_") if isinstance(entry, DictConfig) else None
        package, extra = TRACKER_PACKAGES.get(target, (None, None))
        if package and importlib.util.find_spec(package) is None:
            raise ConfigError(
                f"logger.{name} needs the {package} package, which is not installed: "
                f'pip install -e ".[{extra}]" (or drop logger={name})'
            )


def validate_train(cfg: DictConfig) -> None:
    """All checks on a training config; raises ``ConfigError`` on the first problem."""
    _readable(cfg)
    check_task_name(cfg)
    _trackers(cfg)
    _optimized_metric(cfg)
    _whole_numbers_and_flags(cfg)
    _evaluation_sizes(cfg, "eval.num_samples")
    _positive(
        cfg,
        (
            "model.latent_dim",
            "data.batch_size",
            "model.d_steps",
            "model.num_sample_images",
            "model.r1_every",
        ),
        int,
    )
    _positive(cfg, ("model.lr_g", "model.lr_d"), float)
    _positive(cfg, ("model.gradient_clip_val",), float)
    for key in ("model.generator.hidden", "model.discriminator.hidden"):
        widths = _get(cfg, key)
        if widths is not None and not (
            _numbers(widths) and all(isinstance(w, int) and w > 0 for w in widths)
        ):
            raise ConfigError(
                f"{key}={_shown(widths)} must be positive whole widths; e.g. [256,512]"
            )
    _choices(cfg)
    _remedies(cfg)
    _betas(cfg)
    _batch_size(cfg)
    _value_range(cfg)
    if _get(cfg, "model.generator") is not None and _get(cfg, "model.discriminator") is not None:
        check_training_memory(cfg.model, int(_get(cfg, "data.batch_size") or 1))
    _sample_memory(cfg, ("eval.num_samples", "eval.num_real"))
    check_data_dir(_get(cfg, "data.data_dir"))
    if _get(cfg, "ckpt_path") != AUTO_RESUME:
        check_checkpoint_path("ckpt_path", _get(cfg, "ckpt_path"))
    _intra_op_threads(cfg)


def validate_sampling(cfg: DictConfig) -> None:
    """Checks shared by ``eval.py`` and ``generate.py``."""
    _readable(cfg)
    check_task_name(cfg)
    _whole_numbers_and_flags(cfg)
    _positive(cfg, ("num_samples",), int)
    _evaluation_sizes(cfg, "num_samples")
    _sample_memory(cfg, ("num_samples", "eval.num_real"))
    check_checkpoint_path("ckpt_path", _get(cfg, "ckpt_path"))
    digit = _get(cfg, "digit")
    last = choices.NUM_CLASSES - 1
    if digit is not None and (
        isinstance(digit, bool) or not isinstance(digit, int) or not 0 <= digit <= last
    ):
        raise ConfigError(f"digit={digit!r} is not a digit; use digit=0..{last} (or null for all)")

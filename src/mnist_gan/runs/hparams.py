"""What runs are compared by: the knobs a researcher varies and the metrics they are judged on.

One home for both lists: TensorBoard's HPARAMS table, the run record (``run.json``) and the
sweep summary read them from here. Torch-free.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from omegaconf import DictConfig, OmegaConf

from mnist_gan.metrics.names import TRAIN_SECONDS

# Config keys outside ``model`` that are knobs; paths, callbacks, loggers and hydra are not.
KNOB_KEYS = (
    "data.batch_size",
    "data.source",
    "seed",
    "trainer.max_epochs",
    "trainer.max_steps",
    "trainer.precision",
)
# The metrics every run is compared by, in the order tables show them.
COMPARED_METRICS = (
    "eval/fid",
    "eval/kid",
    "eval/is",
    "eval/classes_covered",
    "eval/kl_uniform",
    "eval/precision",
    "eval/recall",
    "eval/label_accuracy",
    TRAIN_SECONDS,
)
# Overrides that say where things are, not what was trained: never part of a run's label.
NOT_KNOBS = (
    "ckpt_path",
    "data.data_dir",
    "paths.root_dir",
    "paths.data_dir",
    "paths.log_dir",
    "optimized_metric",
    "hparams_search",
    "callbacks.progress_bar",
    "hydra",
)


def _leaves(value: Any, prefix: str) -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, child in value.items():
            if key != "_target_":
                yield from _leaves(child, f"{prefix}/{key}")
    elif isinstance(value, (list, tuple)):
        yield prefix, str(list(value))
    else:
        yield prefix, value


def knobs(cfg: DictConfig, choices: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """The compared hyperparameters of a composed train config, as ``group/key`` → scalar.

    The chosen ``model`` variant and ``experiment`` (Hydra's ``choices``, when known), every
    ``model.*`` leaf (no ``_target_``), and the data, seed and trainer knobs of
    ``KNOB_KEYS``. Lists become strings.
    """
    found: dict[str, Any] = {
        group: (choices or {}).get(group)
        for group in ("model", "experiment")
        if (choices or {}).get(group)
    }
    model = OmegaConf.to_container(cfg.model, resolve=True) if "model" in cfg else {}
    found.update(_leaves(model, "model"))
    for key in KNOB_KEYS:
        value = OmegaConf.select(cfg, key, default=None)
        if OmegaConf.is_config(value):
            value = str(OmegaConf.to_container(value, resolve=True))
        found[key.replace(".", "/")] = value
    return found


def overridden_knobs(overrides: Iterable[str]) -> set[str]:
    """The knob names (``model/latent_dim``, ``model``) that ``overrides`` set."""
    return {override_key(o).replace(".", "/") for o in overrides if is_knob_override(o)}


def compared_metrics(optimized_metric: str | None = None) -> tuple[str, ...]:
    """``COMPARED_METRICS`` plus the optimized metric when it is another one."""
    if optimized_metric and optimized_metric not in COMPARED_METRICS:
        return (*COMPARED_METRICS, optimized_metric)
    return COMPARED_METRICS


def override_key(override: str) -> str:
    """``+model.x=1`` → ``model.x``; ``~model.x`` → ``model.x``."""
    return override.split("=", 1)[0].lstrip("+~")


def is_knob_override(override: str) -> bool:
    key = override_key(override)
    return not any(
        key == name or key.startswith(f"{name}.") or key.startswith(f"{name}/")
        for name in NOT_KNOBS
    )


def run_label(overrides: Iterable[str], fallback: str) -> str:
    """A run's name as its knob overrides (``model=minimal model.latent_dim=16``), or
    ``fallback`` when it overrides none."""
    shown = [o for o in overrides if is_knob_override(o)]
    return " ".join(shown) if shown else fallback

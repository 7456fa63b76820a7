"""What runs are compared by: the knobs a researcher varies and the metrics they are judged on.

One home for both lists: TensorBoard's HPARAMS table, the run record (``run.json``) and the
sweep summary read them from here. Torch-free.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from omegaconf import DictConfig, OmegaConf

from mnist_gan.config.knobs import declared_nodes
from mnist_gan.config.types import is_place
from mnist_gan.metrics.names import TRAIN_SECONDS

# Where the compared knobs are declared: what is trained (model, data, trainer) and the seed.
# Paths (knobs typed ``Place``), callbacks, loggers and Hydra are not compared.
COMPARED_KNOBS = ("model", "data", "trainer", "seed")
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


def knobs(cfg: DictConfig, choices: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """The compared hyperparameters of a composed train config, as ``group/key`` → scalar.

    The chosen ``model`` variant and ``experiment`` (Hydra's ``choices``, when known), then
    every declared knob under ``COMPARED_KNOBS`` (``config/knobs.py``) but paths. Lists
    become strings.
    """
    found: dict[str, Any] = {
        group: (choices or {}).get(group)
        for group in ("model", "experiment")
        if (choices or {}).get(group)
    }
    for path, node, declared in declared_nodes(cfg, "train"):
        for key in node:
            name = f"{path}.{key}" if path else str(key)
            knob = declared.knobs.get(str(key))
            if knob is None or not name.startswith(COMPARED_KNOBS) or is_place(knob.type):
                continue
            value = node[key]
            if OmegaConf.is_config(value):
                value = str(OmegaConf.to_container(value, resolve=True))
            found[name.replace(".", "/")] = value
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

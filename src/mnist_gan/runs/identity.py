"""What a run is called wherever it is shown: TensorBoard's HPARAMS table, the W&B and
MLflow runs, and which sweep it belongs to. Read from Hydra's state; torch-free.
"""

from __future__ import annotations

from pathlib import Path

from mnist_gan.runs.hparams import run_label


def hydra_context() -> tuple[dict[str, str], list[str], str | None]:
    """(the config groups' choices, the task overrides, the job's place in its sweep) from
    Hydra; ({}, [], None) when the config was composed outside ``@hydra.main``."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized():
        return {}, [], None
    hydra_cfg = HydraConfig.get()
    place = None
    if hydra_cfg.mode == RunMode.MULTIRUN:
        place = f"{Path(hydra_cfg.sweep.dir).name} #{hydra_cfg.job.num}"
    choices = {k: v for k, v in hydra_cfg.runtime.choices.items() if isinstance(v, str)}
    return choices, list(hydra_cfg.overrides.task), place


def overrides_of(*keys: str) -> list[str]:
    """The command line's overrides of ``keys`` or of anything under them: the likely
    culprits when that part of the config cannot work."""
    _, overrides, _ = hydra_context()
    prefixes = tuple(f"{key}{sep}" for key in keys for sep in ".=")
    return [o for o in overrides if o.lstrip("+~").startswith(prefixes)]


def run_name(task_name: str | None, output_dir: str | Path) -> str:
    """The run's knob overrides (or its experiment, task name) and where it sits: its
    place in the sweep (``<sweep> #<job>``) or its directory's name."""
    choices, overrides, place = hydra_context()
    label = run_label(overrides, choices.get("experiment") or task_name or "defaults")
    return f"{label} · {place or Path(str(output_dir)).name}"


def sweep_name(task_name: str | None) -> str | None:
    """``<task_name> sweep <date_time>`` for a job of a ``-m`` sweep, else None: the W&B
    group and the MLflow experiment its jobs share."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.MULTIRUN:
        return None
    return f"{task_name or 'train'} sweep {Path(HydraConfig.get().sweep.dir).name}"

"""OmegaConf resolvers used by the YAML configs (light: imports only omegaconf)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from omegaconf import OmegaConf

# The pixel range each generator output activation produces: the data module maps real
# images into the same range (data.value_range) so D compares like with like, and samples
# are mapped from it to [0, 1].
ACTIVATION_RANGES: dict[str, tuple[float, float]] = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}


def range_for_activation(activation: str) -> list[float]:
    """The pixel range ``[low, high]`` of a generator output activation (its name is
    checked in ``validate.py``)."""
    return list(ACTIVATION_RANGES[activation])


def cores_per_job() -> int | None:
    """CPU cores ÷ the jobs a local parallel launcher runs at once (joblib's ``n_jobs``),
    so parallel jobs do not oversubscribe the cores; for submitit's local executor, which
    starts every job at once, its ``cpus_per_task`` (default 1); None (torch's default)
    otherwise, a SLURM job included (its allocation bounds torch's default)."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return None
    launcher = HydraConfig.get().launcher
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    target = str(launcher.get("_target_", ""))
    if "n_jobs" in launcher:  # joblib: -1 = one job per core, -2 = all but one, ...
        n_jobs = int(launcher.n_jobs)
        parallel = n_jobs if n_jobs > 0 else max(1, cores + 1 + n_jobs)
    elif target.endswith("submitit_launcher.LocalLauncher"):
        # submitit's local executor starts every job of the sweep at once
        return int(launcher.get("cpus_per_task") or 1)
    else:
        return None
    return max(1, cores // parallel) if parallel > 1 else None


# A file name may hold 255 bytes; a job directory named after many long overrides (an
# Optuna trial's sampled floats) must stay below that.
MAX_DIRNAME = 150


def short_dirname(text: str) -> str:
    """``text`` as a directory name of at most ``MAX_DIRNAME`` characters: longer ones are
    cut and end in a hash of the whole, so different jobs keep different names."""
    text = str(text)
    if len(text) <= MAX_DIRNAME:
        return text
    digest = hashlib.sha1(text.encode()).hexdigest()[:10]
    return f"{text[: MAX_DIRNAME - 11]}-{digest}"


def when(flag: bool, value: float, otherwise: float = 0.0) -> float:
    """``value`` when ``flag`` is true, else ``otherwise``: a knob that follows another
    (``${when:${model.conditional},1.0}``)."""
    return value if flag else otherwise


def dir_suffix(overrides: str) -> str:
    """``_<overrides>`` (shortened as by :func:`short_dirname`) for a single run's directory,
    so `tensorboard --logdir outputs` names it by what it varies; empty without overrides."""
    return f"_{short_dirname(overrides)}" if overrides else ""


def sqlite_uri(path: str) -> str:
    """``sqlite:////abs/path`` for a database file (made absolute: MLflow resolves a relative
    one against wherever it is later started from)."""
    return f"sqlite:///{os.path.abspath(path)}"


def file_uri(path: str) -> str:
    """``file:///abs/path`` for a folder."""
    return Path(os.path.abspath(path)).as_uri()


def register_resolvers() -> None:
    """Register the project's resolvers once (safe to call repeatedly)."""
    # Two scalar resolvers (a list-valued one cannot be resolved in place by OmegaConf).
    # An unknown activation resolves to null here: validate.py names it with the options.
    if not OmegaConf.has_resolver("range_low"):
        OmegaConf.register_new_resolver("range_low", lambda a: ACTIVATION_RANGES.get(a, [None])[0])
    if not OmegaConf.has_resolver("range_high"):
        OmegaConf.register_new_resolver(
            "range_high", lambda a: ACTIVATION_RANGES.get(a, [None])[-1]
        )
    if not OmegaConf.has_resolver("short_dirname"):
        OmegaConf.register_new_resolver("short_dirname", short_dirname)
    if not OmegaConf.has_resolver("not_knobs"):
        from mnist_gan.runs.hparams import NOT_KNOBS

        OmegaConf.register_new_resolver("not_knobs", lambda: list(NOT_KNOBS))
    if not OmegaConf.has_resolver("cores_per_job"):
        OmegaConf.register_new_resolver("cores_per_job", cores_per_job)
    from mnist_gan.runs import identity

    others = {
        "when": when,
        "dir_suffix": dir_suffix,
        "run_name": identity.run_name,
        "sweep_name": identity.sweep_name,
        # the sweep's name for its jobs, else the task name: an MLflow experiment
        "experiment_name": lambda task: identity.sweep_name(task) or task,
        "sqlite_uri": sqlite_uri,
        "file_uri": file_uri,
    }
    for name, function in others.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, function)

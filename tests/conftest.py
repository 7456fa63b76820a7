"""Shared fixtures: where MNIST is, and composing the project's configs into a tmp dir."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from omegaconf import DictConfig

from mnist_gan.config.compose import compose_config

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding MNIST in torchvision's layout.

    ``MNIST_GAN_TEST_DATA`` if set, else ``../shared/mnist`` beside the repo (CI), else the
    product's own routes fetch it into a session cache.
    """
    candidates = [os.environ.get("MNIST_GAN_TEST_DATA"), REPO.parent / "shared" / "mnist"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "MNIST" / "raw").is_dir():
            return Path(candidate)
    from mnist_gan.data.sources import ensure_mnist

    target = tmp_path_factory.mktemp("mnist")
    ensure_mnist(target)
    return target


# An optional extra's package, where its name is not the extra's own.
EXTRA_PACKAGES = {"optuna": "hydra_plugins.hydra_optuna_sweeper"}


def require_extras(*extras: str) -> None:
    """Skip the test, with the pip line that installs them, when optional extras are missing."""
    missing = [e for e in extras if importlib.util.find_spec(EXTRA_PACKAGES.get(e, e)) is None]
    if missing:
        pytest.skip(
            f'needs the {", ".join(missing)} extra: pip install -e ".[{",".join(missing)}]"'
        )


def quick_first(values: list, quick: int = 1) -> list:
    """Parametrize ``values``: the first ``quick`` in the quick tier (``-m "not slow"``), every
    one in the full tier. For the broad sweeps over config options, which compose a config
    each (about 0.2 s)."""
    return [
        v
        if i < quick
        else pytest.param(*(v if isinstance(v, tuple) else (v,)), marks=pytest.mark.slow)
        for i, v in enumerate(values)
    ]


# Overrides that make any composed run small and self-contained.
FAST = [
    "trainer.max_epochs=1",
    "trainer.limit_train_batches=3",
    "trainer.accelerator=cpu",
    "trainer.log_every_n_steps=1",
    "callbacks.progress_bar=null",
    # a small but complete evaluation
    "eval.num_samples=200",
    "eval.num_real=500",
    "eval.kid_subsets=10",
    "eval.kid_subset_size=100",
]


@pytest.fixture
def make_cfg(tmp_path: Path, mnist_dir: Path) -> Callable[..., DictConfig]:
    """Compose ``train.yaml`` with overrides, writing into ``tmp_path``."""

    def _make(*overrides: str, output_dir: Path | None = None, fast: bool = True) -> DictConfig:
        base = [f"data.data_dir={mnist_dir}", *(FAST if fast else [])]
        return compose_config("train", [*base, *overrides], output_dir or tmp_path / "run")

    return _make


@pytest.fixture(scope="session")
def two_job_sweep(
    mnist_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess, Path]:
    """``train.py -m model=plain_mlp,minimal`` (2 batches each) run once, in its own process,
    for the tests that read what a sweep leaves: its directories, its console and, with both
    tracker extras installed (``logger=many``, W&B offline), the trackers' runs. Returns the
    finished process and ``paths.log_dir``."""
    root = tmp_path_factory.mktemp("two_job_sweep")
    trackers = all(importlib.util.find_spec(name) for name in ("wandb", "mlflow"))
    cmd = [
        sys.executable,
        str(REPO / "train.py"),
        "-m",
        "model=plain_mlp,minimal",
        "logger=many" if trackers else "logger=tensorboard",
        f"data.data_dir={mnist_dir}",
        f"paths.log_dir={root}",
        *FAST,
        "eval.every_n_epochs=0",
        "trainer.limit_train_batches=2",
    ]
    # no HOME: W&B finds no credentials and stays offline
    env = {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=400, cwd=root, env=env)
    return proc, root


def train_tiny(data_dir: Path, run_dir: Path) -> Path:
    """Train 5 batches into ``run_dir``; its last.ckpt (for eval.py and generate.py)."""
    from mnist_gan.train import train

    overrides = [
        f"data.data_dir={data_dir}",
        "trainer.max_epochs=1",
        "trainer.limit_train_batches=5",
        "trainer.accelerator=cpu",
        "callbacks.progress_bar=null",
        "eval.every_n_epochs=0",
    ]
    train(compose_config("train", overrides, run_dir))
    return run_dir / "checkpoints" / "last.ckpt"


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory, mnist_dir: Path) -> Path:
    """The last.ckpt of a 5-batch training run."""
    return train_tiny(mnist_dir, tmp_path_factory.mktemp("trained"))


def train_unbroken(overrides: list[str], run_dir: Path) -> Path:
    """Train ``train.py`` with ``overrides`` into ``run_dir`` in one go; its last.ckpt."""
    done = subprocess.run(
        [sys.executable, str(REPO / "train.py"), *overrides, f"hydra.run.dir={run_dir}"],
        cwd=run_dir.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return run_dir / "checkpoints" / "last.ckpt"


def _states_equal(a: dict, b: dict) -> bool:
    return set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)


def assert_same_training_state(path_a: Path, path_b: Path, epoch: int) -> None:
    """Two checkpoints hold bit-for-bit the same epoch, weights (sample latents included)
    and optimizer states."""
    a = torch.load(path_a, weights_only=True)
    b = torch.load(path_b, weights_only=True)
    assert a["epoch"] == b["epoch"] == epoch
    assert _states_equal(a["state_dict"], b["state_dict"])
    for opt_a, opt_b in zip(a["optimizer_states"], b["optimizer_states"], strict=True):
        for key, state in opt_a["state"].items():
            assert _states_equal(state, opt_b["state"][key])

"""Two runs, one directory: the second is refused before it writes."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mnist_gan.runs.record import read_record

from conftest import REPO

pytestmark = pytest.mark.slow  # subprocesses and whole runs: the full tier

BUSY_RUN = [
    "trainer.max_epochs=2",
    "trainer.limit_train_batches=150",
    "trainer.accelerator=cpu",
    "eval.every_n_epochs=0",
    "callbacks.progress_bar=null",
]


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(REPO / "train.py"), *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(path: Path, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.exists(), f"{path} never appeared"


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "train.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_second_run_in_a_busy_directory_is_refused_and_a_killed_run_frees_it(mnist_dir, tmp_path):
    args = [*BUSY_RUN, f"data.data_dir={mnist_dir}", f"hydra.run.dir={tmp_path / 'run'}"]
    first = start(args, tmp_path)
    try:
        wait_for(tmp_path / "run" / "run.json", first)
        config = tmp_path / "run" / ".hydra" / "config.yaml"
        before = digest(config)
        second = run([*args, "seed=3"], tmp_path)
        output = second.stdout + second.stderr
        assert second.returncode == 2, output[-2000:]
        assert "is in use by another run" in output and "Traceback" not in output
        assert digest(config) == before  # the second run wrote nothing there
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # the kernel dropped the killed run's lock: the same command takes the directory again
    # (resuming last.ckpt when the killed run got that far) and finishes the run
    again = run(args, tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert read_record(tmp_path / "run")["status"] == "ok"


def test_second_sweep_into_a_busy_sweep_directory_is_refused(mnist_dir, tmp_path):
    sweep = tmp_path / "sweep"
    args = ["-m", *BUSY_RUN, f"data.data_dir={mnist_dir}", f"hydra.sweep.dir={sweep}"]
    first = start([*args, "seed=1,2"], tmp_path)
    try:
        wait_for(sweep / "multirun.yaml", first)
        second = run([*args, "seed=3,4"], tmp_path)
        output = second.stdout + second.stderr
        assert second.returncode == 2, output[-2000:]
        assert "is in use by another sweep" in output and "Traceback" not in output
        assert not list(sweep.glob("*seed=3*"))
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()

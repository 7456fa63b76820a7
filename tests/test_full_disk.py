"""A full disk: one line, the previous last.ckpt intact, resumable."""

from __future__ import annotations

import errno
import hashlib
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import lightning as L
import pytest
import torch

from mnist_gan import atomic, checkpoints
from mnist_gan.cli import _one_line_errors
from mnist_gan.config.compose import compose_config
from mnist_gan.runs.record import read_record
from mnist_gan.train import train

from conftest import REPO

SMALL_RUN = [
    "model=minimal",
    "trainer.max_epochs=3",
    "trainer.limit_train_batches=20",
    "trainer.accelerator=cpu",
    "eval.every_n_epochs=0",
    "callbacks.progress_bar=null",
]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_on_a_full_disk(path: Path, data: bytes) -> None:
    """The real atomic write, on a disk that fills up before the data is on it."""
    no_space = OSError(errno.ENOSPC, "No space left on device")
    with mock.patch.object(atomic.os, "fsync", side_effect=no_space):
        atomic.write_atomic(path, data)


class _CheckpointDiskFullFrom(L.Callback):
    """From ``epoch`` on, checkpoint writes fail as a full disk fails them."""

    def __init__(self, epoch: int, stack: ExitStack) -> None:
        self.epoch, self.stack = epoch, stack

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        if trainer.current_epoch == self.epoch:
            self.stack.enter_context(
                mock.patch.object(checkpoints, "write_atomic", _write_on_a_full_disk)
            )


@pytest.mark.slow
def test_a_full_disk_stops_in_one_line_and_the_same_command_resumes(mnist_dir, tmp_path, caplog):
    run = tmp_path / "run"
    cfg = compose_config("train", [f"data.data_dir={mnist_dir}", *SMALL_RUN], run)
    last = run / "checkpoints" / "last.ckpt"
    with ExitStack() as stack, pytest.raises(SystemExit) as ended, _one_line_errors():
        train(cfg, extra_callbacks=[_CheckpointDiskFullFrom(1, stack)])
    assert ended.value.code == 2
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "no space left on the device writing" in errors[0]
    assert str(last) in errors[0]
    assert torch.load(last, weights_only=True)["epoch"] == 0  # the previous one, loadable
    assert not list(last.parent.glob(".*.tmp"))  # no half-written file left behind
    # space again: the same command resumes from epoch 0's checkpoint and finishes
    train(compose_config("train", [f"data.data_dir={mnist_dir}", *SMALL_RUN], run))
    assert read_record(run)["status"] == "ok"
    assert torch.load(last, weights_only=True)["epoch"] == 2


@pytest.mark.slow
def test_a_real_small_filesystem(mnist_dir, tmp_path):
    """The same on a 9 MB tmpfs, through train.py (needs root to mount; skipped otherwise)."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=9m", "tmpfs", str(mount)])
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (the injected test above covers the code)")
    try:
        command = [
            sys.executable,
            str(REPO / "train.py"),
            *SMALL_RUN,
            f"data.data_dir={mnist_dir}",
            f"hydra.run.dir={mount / 'run'}",
        ]
        full = subprocess.run(command, capture_output=True, text=True, timeout=300)
        output = full.stdout + full.stderr
        assert full.returncode == 2, output[-2000:]
        assert "no space left on the device writing" in output and "Traceback" not in output
        last = mount / "run" / "checkpoints" / "last.ckpt"
        before = digest(last)
        assert torch.load(last, weights_only=True)["epoch"] == 0
        subprocess.run(["mount", "-o", "remount,size=40m", str(mount)], check=True)
        resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        assert "resuming from" in resumed.stdout + resumed.stderr
        assert digest(last) != before and read_record(mount / "run")["status"] == "ok"
    finally:
        subprocess.run(["umount", str(mount)])

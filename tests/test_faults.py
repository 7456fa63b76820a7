"""Faults lose nothing: divergence stops cleanly, saves are atomic, killed runs resume."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import lightning as L
import pytest
import torch

from mnist_gan.checkpoints import AtomicCheckpointIO
from mnist_gan.errors import NonFiniteLossError
from mnist_gan.train import train

from conftest import REPO, assert_same_training_state, train_unbroken


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _AbsurdLearningRateFrom(L.Callback):
    """From ``epoch`` on, both optimisers run at lr 1e30: the networks blow up to inf/NaN."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        if trainer.current_epoch == self.epoch:
            for optimizer in trainer.optimizers:
                for group in optimizer.param_groups:
                    group["lr"] = 1e30


def test_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint(make_cfg, tmp_path):
    run = tmp_path / "diverge"
    cfg = make_cfg(
        "trainer.max_epochs=3",
        "trainer.limit_train_batches=4",
        "trainer.log_every_n_steps=50",  # the guard must not depend on logging batches
        "eval.every_n_epochs=0",
        output_dir=run,
    )
    saved: dict[str, str] = {}

    class _Snapshot(L.Callback):
        def on_train_epoch_start(self, trainer, pl_module) -> None:
            last = run / "checkpoints" / "last.ckpt"
            if trainer.current_epoch == 1:
                saved["sha"] = sha256(last)

    with pytest.raises(NonFiniteLossError) as caught:
        train(cfg, extra_callbacks=[_AbsurdLearningRateFrom(1), _Snapshot()])
    message = str(caught.value)
    assert "at epoch 1, batch" in message and "model.gradient_clip_val" in message
    assert message.split()[0] in ("train/d_loss", "train/g_loss") and "\n" not in message
    last = run / "checkpoints" / "last.ckpt"
    assert sha256(last) == saved["sha"]  # untouched since the last good epoch
    ckpt = torch.load(last, weights_only=True)
    assert ckpt["epoch"] == 0  # saved at the end of epoch 0 (Lightning counts from 0)
    assert all(
        torch.isfinite(t).all() for t in ckpt["state_dict"].values() if t.is_floating_point()
    )


def test_checkpoint_saves_are_atomic(tmp_path):
    io = AtomicCheckpointIO()
    target = tmp_path / "checkpoints" / "last.ckpt"
    io.save_checkpoint({"state_dict": {"w": torch.ones(3)}, "epoch": 1}, target)
    before = sha256(target)

    class _Unpicklable:
        def __reduce__(self):
            raise RuntimeError("crash mid-save")

    payload = {"state_dict": {"w": torch.zeros(1000)}, "late": _Unpicklable()}
    with pytest.raises(RuntimeError, match="crash mid-save"):
        io.save_checkpoint(payload, target)
    assert sha256(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["last.ckpt"]  # no debris


def test_the_trainer_saves_through_the_atomic_io(make_cfg, tmp_path):
    from hydra.utils import instantiate

    trainer = instantiate(make_cfg().trainer, logger=False)
    assert isinstance(trainer.strategy.checkpoint_io, AtomicCheckpointIO)


KILL_RUN = [
    "trainer.max_epochs=3",
    "trainer.limit_train_batches=150",
    "trainer.accelerator=cpu",
    "eval.every_n_epochs=0",
    "callbacks.progress_bar=null",
    "seed=11",
]


@pytest.mark.slow
def test_sigkilled_run_resumes_from_the_last_epoch_as_if_never_stopped(mnist_dir, tmp_path):
    """A real training process is SIGKILLed after an epoch; resuming it with ckpt_path ends
    with bit-for-bit the weights, optimizer state and sample latents of an unbroken run."""
    common = [*KILL_RUN, f"data.data_dir={mnist_dir}"]
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "train.py"), *common, f"hydra.run.dir={killed}"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    last = killed / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + 240
    while not last.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    epoch = torch.load(last, weights_only=True)["epoch"]  # the last completed epoch
    assert 0 <= epoch < 2

    resumed = subprocess.run(
        [
            sys.executable,
            str(REPO / "train.py"),
            *common,
            f"ckpt_path={last}",
            f"hydra.run.dir={killed}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]

    unbroken = train_unbroken(common, tmp_path / "unbroken")
    assert_same_training_state(last, unbroken, epoch=2)


@pytest.mark.slow
def test_ctrl_c_ends_cleanly_with_a_checkpoint_and_flushed_logs(mnist_dir, tmp_path):
    run = tmp_path / "interrupted"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "train.py"),
            *KILL_RUN,
            "trainer.max_epochs=50",
            "trainer.log_every_n_steps=1",
            f"data.data_dir={mnist_dir}",
            f"hydra.run.dir={run}",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # A shell without job control starts background jobs with SIGINT ignored, and
        # Python keeps an ignored SIGINT: give the child the default, as a terminal would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    last = run / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + 240
    while not last.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)  # well into the next epoch
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert "Traceback" not in stderr
    assert proc.returncode != 0  # stopped early, not finished
    interrupted = torch.load(run / "checkpoints" / "interrupted.ckpt", weights_only=True)
    completed = torch.load(last, weights_only=True)
    assert interrupted["global_step"] > completed["global_step"]  # mid-epoch, after last.ckpt

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run / "tensorboard"))
    acc.Reload()
    logged_steps = len(acc.Scalars("train/d_loss_step"))
    assert logged_steps >= interrupted["global_step"] // 2 - 1  # two optimizer steps per batch

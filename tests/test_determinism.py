"""Same seed, same config: the same per-step losses and the same generator, bit for bit."""

from __future__ import annotations

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from mnist_gan.train import train


def step_losses(run) -> dict[str, list[float]]:
    acc = EventAccumulator(str(run / "tensorboard"))
    acc.Reload()
    return {
        tag: [event.value for event in acc.Scalars(tag)]
        for tag in ("train/d_loss_step", "train/g_loss_step")
    }


@pytest.mark.slow
def test_two_seeded_cpu_runs_agree_bit_for_bit(make_cfg, tmp_path):
    runs = [tmp_path / "a", tmp_path / "b"]
    for run in runs:
        train(
            make_cfg(
                "seed=7",
                "trainer.max_epochs=2",
                "trainer.limit_train_batches=16",
                "eval.every_n_epochs=0",
                output_dir=run,
            )
        )
    a, b = (step_losses(run) for run in runs)
    assert len(a["train/d_loss_step"]) == 32
    assert a == b
    state_a, state_b = (
        torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
        for run in runs
    )
    assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)


@pytest.mark.slow
def test_another_seed_gives_another_run(make_cfg, tmp_path):
    losses = []
    for seed in (1, 2):
        run = tmp_path / f"seed{seed}"
        train(make_cfg(f"seed={seed}", "eval.every_n_epochs=0", output_dir=run))
        losses.append(step_losses(run))
    assert losses[0] != losses[1]

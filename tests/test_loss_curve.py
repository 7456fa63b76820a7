"""loss_curve.png: every step's losses, smoothed, and the epoch means the loggers get."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from mnist_gan.callbacks.loss_curve import LossCurve, epoch_means, loss_axis, moving_average
from mnist_gan.checkpoints import read_checkpoint
from mnist_gan.train import train


def test_moving_average_is_the_trailing_mean():
    values = np.array([1.0, 3.0, 5.0, 7.0, 9.0])
    assert moving_average(values, 2) == pytest.approx([1, 2, 4, 6, 8])
    assert moving_average(values, 1) == pytest.approx(values)
    assert moving_average(values, 10) == pytest.approx(np.cumsum(values) / np.arange(1, 6))


def test_epoch_means_split_the_steps_at_each_epoch_end():
    steps = np.array([1, 2, 3, 4, 6])  # step 5 is missing (G steps every other batch)
    values = np.array([1.0, 2.0, 3.0, 4.0, 6.0])
    assert epoch_means(steps, values, [3, 6]) == pytest.approx([2.0, 5.0])


def test_the_axis_leaves_rare_spikes_out_and_keeps_every_smoothed_value():
    raw = np.r_[np.full(998, 1.0), 40.0, -30.0, np.nan]  # two spikes and a NaN step
    low, high = loss_axis(raw, np.array([0.9, 1.2]))
    assert low < 0.9 and 1.2 < high < 2  # the smoothed values inside, the spikes outside
    low, high = loss_axis(raw, np.array([0.9, 50.0]))
    assert high > 50  # a smoothed value is never cut off
    assert np.isfinite(loss_axis(np.array([np.nan]), np.array([]))).all()


def _curve_state(run) -> dict:
    callbacks = read_checkpoint(run / "checkpoints" / "last.ckpt")["callbacks"]
    return next(v for k, v in callbacks.items() if k.startswith(LossCurve.__name__))


@pytest.mark.slow
def test_every_step_is_kept_and_its_epoch_means_are_the_logged_ones(make_cfg, tmp_path):
    run = tmp_path / "run"
    common = ("trainer.limit_train_batches=6", "model.d_steps=2", "eval.every_n_epochs=0")
    metrics = train(make_cfg(*common, "trainer.max_epochs=2", output_dir=run))
    state = _curve_state(run)
    assert state["steps"]["train/d_loss"] == list(range(1, 13))
    assert state["steps"]["train/g_loss"] == [2, 4, 6, 8, 10, 12]  # G every 2nd batch
    assert state["epoch_ends"] == [6, 12]
    for name in ("train/d_loss", "train/g_loss"):
        means = epoch_means(
            np.array(state["steps"][name]), np.array(state["values"][name]), state["epoch_ends"]
        )
        assert means[-1] == pytest.approx(metrics[f"{name}_epoch"], rel=1e-5)
    image = Image.open(run / "loss_curve.png")
    assert image.size[0] > 600

    # resumed for a third epoch: the curve holds all three
    further = f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}"
    train(make_cfg(*common, "trainer.max_epochs=3", further, output_dir=run))
    state = _curve_state(run)
    assert state["steps"]["train/d_loss"] == list(range(1, 19))
    assert state["epoch_ends"] == [6, 12, 18]
    assert all(torch.isfinite(torch.tensor(state["values"]["train/d_loss"])))

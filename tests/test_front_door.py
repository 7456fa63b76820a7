"""Bad input gets one line naming the fix, before anything is trained, and a non-zero exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mnist_gan.config.validate import validate_sampling, validate_train
from mnist_gan.errors import CheckpointError, ConfigError
from mnist_gan.train import train

from conftest import REPO

# (override, text the message must contain)
BAD_TRAIN_VALUES = [
    ("model.latent_dim=0", "model.latent_dim=0 must be > 0 (size of z)"),
    ("model.latent_dim=-5", "model.latent_dim=-5 must be > 0"),
    ("data.batch_size=0", "data.batch_size=0 must be > 0"),
    ("data.batch_size=70000", "data.batch_size=70000 must be <= 60000"),
    ("model.lr_g=-0.1", "model.lr_g=-0.1 must be > 0"),
    ("model.lr_d=0", "model.lr_d=0 must be > 0"),
    ("model.d_steps=0", "model.d_steps=0 must be > 0"),
    ("model.d_steps=1.5", "model.d_steps=1.5 must be a whole number"),
    ("model.betas=[0.5,1.5]", "model.betas=[0.5, 1.5] item 2 must be < 1"),
    ("model.step_order=both", "use one of d_first, g_first"),
    ("model.generator.activation=gelu", "use one of relu, leaky_relu"),
    ("model.generator.hidden=[128,-1]", "model.generator.hidden=[128, -1] item 2 must be > 0"),
    ("model.compile=fast", "use one of default, reduce-overhead"),
    ("data.value_range=[0,1]", "does not match the generator's tanh output"),
    ("model.generator.output_activation=relu", "use one of tanh, sigmoid"),
    ("model.g_loss=hinge_typo", "use one of non_saturating, minimax"),
    ("model.d_loss_reduction=avg", "use one of mean, sum"),
    ("model.conditional=maybe", "model.conditional='maybe' is not a flag; use true or false"),
    ("eval.num_samples=0", "eval.num_samples=0 must be >= 2 (samples per evaluation"),
    ("eval.num_samples=0", "evaluation off: eval.every_n_epochs=0"),
    ("+model.generator.widht=3", "model.generator.widht is not a knob of MLPGenerator"),
    ("ckpt_path=/nonexistent/last.ckpt", "ckpt_path='/nonexistent/last.ckpt' does not exist"),
    ("~trainer._target_", "trainer._target_ is missing: it names the class to build"),
    ("optimized_metric=eval/fidd", "optimized_metric='eval/fidd' is not an option; use one of"),
]


# The quick tier checks one of each kind of refusal; the full tier every row.
QUICK = (
    "model.latent_dim=0",
    "model.step_order=both",
    "model.generator.hidden=[128,-1]",
    "data.value_range=[0,1]",
    "model.conditional=maybe",
    "+model.generator.widht=3",
    "ckpt_path=/nonexistent/last.ckpt",
    "~trainer._target_",
)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        row if row[0] in QUICK else pytest.param(*row, marks=pytest.mark.slow)
        for row in BAD_TRAIN_VALUES
    ],
)
def test_bad_training_values_are_refused_before_training(make_cfg, override, message):
    with pytest.raises(ConfigError, match=None) as caught:
        train(make_cfg(override))
    text = str(caught.value)
    assert message in text and "\n" not in text


@pytest.mark.slow
def test_a_deleted_knob_takes_its_class_default(make_cfg):
    """~data.batch_size leaves the data module's own default (found by fuzzing: the memory
    estimate once read the missing value)."""
    import math

    metrics = train(make_cfg("~data.batch_size", "eval.every_n_epochs=0"))
    assert math.isfinite(metrics["train/d_loss_epoch"])  # it trained


def test_packing_with_a_conditional_d_is_refused_by_the_one_check(make_cfg):
    with pytest.raises(ConfigError, match="a pack mixes digits"):
        validate_train(make_cfg("model.discriminator.pack=2", "model.conditional=true"))


def test_data_dir_that_is_a_file(make_cfg, tmp_path):
    a_file = tmp_path / "data.txt"
    a_file.write_text("not a folder")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        validate_train(make_cfg(f"data.data_dir={a_file}"))
    with pytest.raises(ConfigError, match="is inside a file"):
        validate_train(make_cfg(f"data.data_dir={a_file}/mnist"))


def test_unwritable_data_dir_is_refused_unless_it_holds_mnist(make_cfg, tmp_path, mnist_dir):
    """Root can write anywhere, so the permission check is simulated through ``os.access``."""
    from unittest import mock

    from mnist_gan.data import idx

    empty = tmp_path / "empty"
    empty.mkdir()
    with mock.patch.object(idx.os, "access", return_value=False):
        with pytest.raises(ConfigError, match="is not writable and holds no MNIST"):
            validate_train(make_cfg(f"data.data_dir={empty}"))
        with pytest.raises(ConfigError, match="is not writable and holds no MNIST"):
            validate_train(make_cfg(f"data.data_dir={empty}/not/yet/made"))
        validate_train(make_cfg(f"data.data_dir={mnist_dir}"))  # read-only MNIST is fine
    validate_train(make_cfg(f"data.data_dir={empty}"))  # writable: fine


def test_a_foreign_checkpoint_is_refused_before_training(make_cfg, tmp_path):
    foreign = tmp_path / "foreign.ckpt"
    foreign.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="is not a checkpoint file"):
        train(make_cfg(f"ckpt_path={foreign}"))


class _Payload:
    """Stands for any pickled object a checkpoint could smuggle in (it could run code)."""


def test_checkpoints_with_code_or_without_gan_hyperparameters_are_refused(tmp_path):
    import torch

    from mnist_gan.checkpoints import read_checkpoint

    smuggler = tmp_path / "smuggler.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": {"x": _Payload()}}, smuggler)
    with pytest.raises(CheckpointError, match="refused \\(loading it could run code\\)"):
        read_checkpoint(smuggler)
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {"w": torch.ones(2)}}, foreign)
    with pytest.raises(CheckpointError, match="is not an mnist-gan checkpoint"):
        read_checkpoint(foreign)


def test_non_positive_sample_counts(make_cfg):
    from omegaconf import OmegaConf

    for n in (0, -3):
        with pytest.raises(ConfigError, match=f"num_samples={n} must be > 0"):
            validate_sampling(OmegaConf.create({"num_samples": n}), "generate")


def run_script(script: str, *overrides: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / script), *overrides, f"hydra.run.dir={cwd}"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["model=nope"], "Available options in 'model'"),
        pytest.param(
            ["model.latent_dim=-1"], "model.latent_dim=-1 must be > 0", marks=pytest.mark.slow
        ),
        pytest.param(
            ["data.batch_size=0"], "data.batch_size=0 must be > 0", marks=pytest.mark.slow
        ),
        pytest.param(
            ["ckpt_path=missing.ckpt"],
            "ckpt_path='missing.ckpt' does not exist",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_train_script_answers_in_one_line_without_a_traceback(tmp_path, overrides, expected):
    proc = run_script("train.py", *overrides, cwd=tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert expected in output
    assert "Traceback" not in output
    assert not (tmp_path / "checkpoints").exists()

"""Every config group option composes, and its objects instantiate."""

from __future__ import annotations

import lightning as L
import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf

from mnist_gan.config.compose import CONF_DIR, instantiate_list
from mnist_gan.config.knobs import declaration
from mnist_gan.config.validate import TRACKER_PACKAGES
from mnist_gan.data import MNISTDataModule
from mnist_gan.training.gan import GAN

from conftest import quick_first, require_extras


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


@pytest.mark.parametrize("model", quick_first(options("model")))
def test_model_options_instantiate_with_matching_data_range(make_cfg, model):
    cfg = make_cfg(f"model={model}")
    gan = instantiate(cfg.model, _recursive_=False)
    assert isinstance(gan, GAN)
    data = instantiate(cfg.data)
    assert isinstance(data, MNISTDataModule)
    assert list(data.value_range) == list(gan.value_range)
    images = gan.sample(n=2)
    assert images.shape == (2, 1, 28, 28)


def test_tutorial_recipes(make_cfg):
    """The three configs carry their tutorials' recipes."""
    plain = make_cfg("model=plain_mlp")
    assert plain.model.generator.hidden == [512, 1024]
    assert plain.model.discriminator.hidden == [512, 1024]
    assert (plain.model.latent_dim, plain.model.lr_g, plain.data.batch_size) == (64, 3e-4, 64)
    assert plain.model.step_order == "d_first" and plain.model.d_loss_reduction == "mean"
    assert list(plain.model.betas) == [0.9, 0.999]

    bn = make_cfg("model=batchnorm_mlp")
    assert bn.model.generator.hidden == [128, 256, 512, 1024]
    assert bn.model.generator.batch_norm_eps == 0.8
    assert bn.model.discriminator.hidden == [512, 256]
    assert list(bn.model.betas) == [0.5, 0.999] and bn.model.lr_g == 2e-4
    assert bn.model.step_order == "g_first" and bn.data.batch_size == 64

    minimal = make_cfg("model=minimal")
    assert minimal.model.generator.hidden == [64]
    assert minimal.model.discriminator.hidden == [512]
    assert minimal.model.latent_dim == 10 and minimal.model.latent_distribution == "uniform"
    assert minimal.data.batch_size == 16 and minimal.model.d_loss_reduction == "sum"
    assert list(minimal.data.value_range) == [0.0, 1.0]
    assert minimal.model.generator.output_activation == "sigmoid"


@pytest.mark.parametrize("model", quick_first(options("model")))
def test_model_variants_hold_only_keys_their_networks_use(make_cfg, model):
    """Every network key is a knob its class declares (its own or its base's), and none sits
    unused (a slope without LeakyReLU, BatchNorm settings without BatchNorm)."""
    cfg = make_cfg(f"model={model}")
    for name in ("generator", "discriminator"):
        net = OmegaConf.to_container(cfg.model[name])
        accepted = declaration(net.pop("_target_")).knobs
        assert set(net) <= set(accepted), f"{model}.{name}: {set(net) - set(accepted)}"
        assert "latent_dim" not in net  # the module passes its own
        if "negative_slope" in net:
            assert net.get("activation", "leaky_relu") == "leaky_relu", f"{model}.{name}"
        if {"batch_norm_eps", "batch_norm_momentum"} & set(net):
            assert net["batch_norm"], f"{model}.{name}"


def test_data_range_follows_the_generator_activation(make_cfg):
    cfg = make_cfg("model=batchnorm_mlp", "model.generator.output_activation=sigmoid")
    assert list(cfg.data.value_range) == [0.0, 1.0]


@pytest.mark.parametrize("trainer", quick_first(options("trainer")))
def test_trainer_options_instantiate(make_cfg, trainer):
    cfg = make_cfg(f"trainer={trainer}", fast=False)
    if trainer in ("gpu", "mps"):
        # no such device here: check the config, not the hardware
        assert cfg.trainer.accelerator == trainer
        return
    overrides = {"accelerator": "cpu"}
    trainer_obj = instantiate(cfg.trainer, **overrides, logger=False, enable_progress_bar=False)
    assert isinstance(trainer_obj, L.Trainer)


@pytest.mark.parametrize("callbacks", options("callbacks"))
def test_callback_options_instantiate(make_cfg, callbacks):
    cfg = make_cfg(f"callbacks={callbacks}", fast=False)
    objs = instantiate_list(cfg.get("callbacks"))
    assert all(isinstance(c, L.Callback) for c in objs)
    if callbacks == "default":
        names = {type(c).__name__ for c in objs}
        assert {"ModelCheckpoint", "SampleGrid", "SampleAnimation", "LossCurve"} <= names


@pytest.mark.parametrize(
    "logger",
    [pytest.param(o, marks=pytest.mark.slow) if o == "many" else o for o in options("logger")],
)
def test_logger_options_instantiate(make_cfg, logger):
    cfg = make_cfg(f"logger={logger}")
    targets = [str(entry.get("_target_")) for entry in cfg.logger.values()]
    require_extras(
        *{
            TRACKER_PACKAGES[t.rpartition(".")[2]]
            for t in targets
            if t.rpartition(".")[2] in TRACKER_PACKAGES
        }
    )
    objs = instantiate_list(cfg.get("logger"))
    assert objs and all(isinstance(o, L.pytorch.loggers.Logger) for o in objs)


@pytest.mark.parametrize("name", quick_first(options("experiment")))
def test_experiments_compose(make_cfg, name):
    cfg = make_cfg(f"experiment={name}", fast=False)
    assert cfg.task_name == name
    assert OmegaConf.select(cfg, "model._target_") == "mnist_gan.training.gan.GAN"
    assert cfg.trainer.max_epochs > 0 or cfg.trainer.max_steps > 0


@pytest.mark.parametrize("name", quick_first(options("debug")))
def test_debug_presets_compose(make_cfg, name):
    cfg = make_cfg(f"debug={name}", fast=False)
    assert cfg.task_name == "debug"
    assert cfg.trainer.accelerator == "cpu"


def test_hparams_search_composes_when_the_optuna_extra_is_installed(make_cfg):
    require_extras("optuna")
    cfg = make_cfg("hparams_search=optuna", "optimized_metric=train/g_loss_epoch")
    assert cfg.optimized_metric == "train/g_loss_epoch"


@pytest.mark.parametrize("name", options("eval"))
def test_eval_options_compose_into_the_evaluation_callback(make_cfg, name):
    cfg = make_cfg(f"eval={name}", "eval.every_n_epochs=3", fast=False)
    callbacks = {type(c).__name__: c for c in instantiate_list(cfg.callbacks)}
    assert callbacks["Evaluation"].every_n_epochs == 3
    assert callbacks["Evaluation"].optimized_metric == cfg.optimized_metric


def test_every_option_is_covered():
    """A new config group gets a test here (keeps this file honest)."""
    groups = sorted(p.name for p in CONF_DIR.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert groups == sorted(
        [
            "callbacks",
            "data",
            "debug",
            "eval",
            "experiment",
            "hparams_search",
            "hydra",
            "logger",
            "model",
            "paths",
            "trainer",
        ]
    )

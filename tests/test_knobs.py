"""config/knobs.py: knobs declared once, as typed constructor parameters, read from the source
and checked before anything is built."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import textwrap
import typing

import pytest
from omegaconf import OmegaConf

from mnist_gan.config.compose import CONF_DIR, compose_config
from mnist_gan.config.knobs import SETTINGS, declaration, declared_nodes
from mnist_gan.config.validate import validate_train
from mnist_gan.errors import ConfigError

from conftest import quick_first

OUR_TARGETS = sorted(
    {
        target
        for path in CONF_DIR.rglob("*.yaml")
        for target in re.findall(r"_target_:\s*(mnist_gan[\w.]+)", path.read_text())
    }
    | {path for entry in SETTINGS.values() for path in entry.values()}
)


def runtime_class(path: str) -> type:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("target", OUR_TARGETS)
def test_the_source_reading_is_what_python_sees(target):
    """Each knob's type read from the source without importing it equals the annotation
    Python evaluates, and each has its line of doc."""
    found = declaration(target)
    assert found is not None, target
    cls = runtime_class(target)
    hints: dict = {}
    for klass in reversed(cls.__mro__):  # **kwargs reach the bases' parameters
        init = klass.__dict__.get("__init__")
        if init is not None and klass.__module__.startswith("mnist_gan"):
            hints |= typing.get_type_hints(init, include_extras=True)
    for name, knob in found.knobs.items():
        assert knob.type is not None, f"{target}.{name} is not readable from the source"
        assert repr(knob.type) == repr(hints[name]), f"{target}.{name}"


def shipped_train_configs() -> list[list[str]]:
    """near_real with conditioning first (it sets the most), then every model and recipe."""
    models = [[f"model={p.stem}"] for p in sorted((CONF_DIR / "model").glob("*.yaml"))]
    recipes = [[f"experiment={p.stem}"] for p in sorted((CONF_DIR / "experiment").glob("*.yaml"))]
    return [["experiment=near_real", "model.conditional=true"], *models, *recipes]


@pytest.mark.parametrize("overrides", quick_first(shipped_train_configs(), 2), ids=" ".join)
def test_every_shipped_config_passes_its_own_declarations(overrides, mnist_dir, tmp_path):
    cfg = compose_config("train", [f"data.data_dir={mnist_dir}", *overrides], tmp_path)
    validate_train(cfg)
    checked = {path for path, _, _ in declared_nodes(cfg, "train")}
    assert {"", "data", "model", "model.generator", "model.discriminator", "trainer"} <= checked


@pytest.mark.slow
def test_every_knob_a_shipped_config_sets_has_its_doc():
    configs = [("train", o) for o in shipped_train_configs()]
    configs += [
        ("train", ["logger=many"]),
        ("eval", ["ckpt_path=x"]),
        ("generate", ["ckpt_path=x"]),
    ]
    undocumented = set()
    for entry, overrides in configs:
        cfg = compose_config(entry, overrides)
        for path, node, found in declared_nodes(cfg, entry):
            for key in node:
                knob = found.knobs.get(str(key))
                if knob is not None and not knob.doc:
                    undocumented.add(f"{entry}: {path}.{key} ({found.owner})")
    assert not undocumented, sorted(undocumented)


def test_lightning_checks_its_own_trainer_keys(tmp_path):
    """The trainer node's declaration is partial: keys the project does not declare are
    Lightning's, passed through; the declared ones are checked."""
    validate_train(compose_config("train", ["+trainer.detect_anomaly=true"], tmp_path))
    with pytest.raises(ConfigError, match=r"trainer.max_epochs=1.5 must be a whole number"):
        validate_train(compose_config("train", ["trainer.max_epochs=1.5"], tmp_path))


THROWAWAY = '''
"""A researcher's own network, in a module of their own."""

from typing import Annotated, Literal

import torch
from pydantic import Field, PositiveInt
from torch import nn

from mnist_gan.models.contract import Generator, OutputActivation, output_layer

SHAPES = {"flat": 1, "wide": 2}


class TinyGenerator(Generator):
    """z → depth × Linear(width) → 784.

    Args:
        width: units per layer.
        depth: hidden layers.
        shape: how wide the first layer is, by name.
        dropout: dropout after each layer.
    """

    def __init__(
        self,
        latent_dim: int,
        width: PositiveInt = 32,
        depth: Annotated[int, Field(ge=1, le=8)] = 2,
        shape: Literal[tuple(SHAPES)] = "flat",
        dropout: Annotated[float, Field(ge=0, lt=1)] = 0.0,
        output_activation: OutputActivation = "tanh",
        num_classes: int | None = None,
    ) -> None:
        super().__init__(latent_dim, output_activation, num_classes)
        layers, size = [], latent_dim
        for _ in range(depth):
            layers += [nn.Linear(size, width * SHAPES[shape]), nn.ReLU(), nn.Dropout(dropout)]
            size = width * SHAPES[shape]
        self.net = nn.Sequential(*layers, nn.Linear(size, 784), output_layer(output_activation))

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z).view(-1, 1, 28, 28)
'''


@pytest.fixture
def throwaway(tmp_path, monkeypatch):
    """A network class written into a module of the test's own, the way a researcher adds
    one outside the package; returns a function composing a config that uses it."""
    (tmp_path / "my_nets.py").write_text(textwrap.dedent(THROWAWAY))
    monkeypatch.syspath_prepend(str(tmp_path))

    def compose(**knobs: object):
        cfg = compose_config("train", [], tmp_path / "run")
        node = {"_target_": "my_nets.TinyGenerator", "output_activation": "tanh", **knobs}
        OmegaConf.update(cfg, "model.generator", node, merge=False)
        return cfg

    return compose


@pytest.mark.parametrize(
    ("knobs", "message"),
    quick_first(
        [
            ({"width": 0}, "model.generator.width=0 must be > 0 (units per layer)"),
            ({"depth": 9}, "model.generator.depth=9 must be <= 8 (hidden layers)"),
            ({"depth": 1.5}, "model.generator.depth=1.5 must be a whole number"),
            (
                {"shape": "tall"},
                "model.generator.shape='tall' is not an option; use one of flat, wide",
            ),
            ({"dropout": 1}, "model.generator.dropout=1 must be < 1"),
            ({"dropuot": 0.1}, "model.generator.dropuot is not a knob of TinyGenerator"),
            ({"width": 10**9, "depth": 3}, "these networks need about"),
        ],
        3,
    ),
)
def test_a_new_network_is_checked_by_being_written(throwaway, knobs, message):
    with pytest.raises(ConfigError) as caught:
        validate_train(throwaway(**knobs))
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_new_network_with_good_knobs_passes(throwaway):
    validate_train(throwaway(width=16, depth=3, shape="wide", dropout=0.1))


BAD_WITHOUT_TORCH = """
import sys
from mnist_gan.config.compose import compose_config
from mnist_gan.config.validate import validate_train
from mnist_gan.errors import ConfigError
try:
    validate_train(compose_config("train", sys.argv[1:], "/tmp/unused"))
except ConfigError as exc:
    print(exc)
print("torch loaded:", "torch" in sys.modules)
"""


def test_a_bad_knob_is_refused_before_torch_loads():
    done = subprocess.run(
        [sys.executable, "-c", BAD_WITHOUT_TORCH, "model=resmlp", "model.generator.width=0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "model.generator.width=0 must be > 0" in done.stdout, done.stderr[-2000:]
    assert "torch loaded: False" in done.stdout

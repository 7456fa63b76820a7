"""Compose the project's configs outside ``@hydra.main`` (tests, benchmarks, notebooks)."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, open_dict

import mnist_gan  # noqa: F401  (registers the config resolvers)

CONF_DIR = Path(str(resources.files("mnist_gan.conf")))


def compose_config(
    name: str = "train",
    overrides: Sequence[str] = (),
    output_dir: str | Path | None = None,
    return_hydra_config: bool = False,
) -> DictConfig:
    """Compose ``conf/<name>.yaml`` with ``overrides``; ``output_dir`` stands in for the run
    directory Hydra would create (``paths.output_dir``); ``return_hydra_config`` keeps the
    ``hydra`` node (and allows ``hydra.*`` overrides)."""
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(name, overrides=list(overrides), return_hydra_config=return_hydra_config)
    if output_dir is not None:
        with open_dict(cfg):
            cfg.paths.output_dir = str(output_dir)
    return cfg

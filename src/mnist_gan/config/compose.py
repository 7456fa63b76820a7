"""Compose the project's configs outside ``@hydra.main`` (tests, benchmarks, notebooks), and
build objects from config nodes with one-line errors."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, open_dict

import mnist_gan  # noqa: F401  (registers the config resolvers)
from mnist_gan.errors import USER_ERRORS, ConfigError, one_line
from mnist_gan.runs.identity import overrides_of

CONF_DIR = Path(str(resources.files("mnist_gan.conf")))
log = logging.getLogger(__name__)


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


def build(node: DictConfig, key: str, **kwargs: Any) -> Any:
    """``instantiate(node)``; a config value the object refuses (Hydra wraps whatever its
    constructor raised) becomes one ``ConfigError`` line naming ``key``, and the project's
    own user errors come out unwrapped."""
    try:
        return instantiate(node, **kwargs)
    except InstantiationException as exc:
        cause: BaseException = exc
        while isinstance(cause, InstantiationException) and cause.__cause__ is not None:
            cause = cause.__cause__
        if isinstance(cause, USER_ERRORS):
            raise cause from None
        log.debug("building %s failed", key, exc_info=True)
        where = re.search(r"full_key: ([A-Za-z_][\w.]*)\s*$", str(exc), re.MULTILINE)
        key = where.group(1) if where else key
        suspects = overrides_of(key.split(".")[0])
        hint = f" (set by {' '.join(suspects)})" if suspects else ""
        raise ConfigError(f"{key}: {one_line(cause)}{hint}; check the {key}.* values") from None


def instantiate_list(group: DictConfig | None, key: str = "callbacks") -> list[Any]:
    """Instantiate every entry of a config group that has a ``_target_`` (null entries skip)."""
    if not group:
        return []
    return [
        build(entry, f"{key}.{name}")
        for name, entry in group.items()
        if isinstance(entry, DictConfig) and "_target_" in entry
    ]

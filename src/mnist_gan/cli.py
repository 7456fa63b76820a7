"""The entry points (``train.py``, ``eval.py``, ``generate.py`` and the ``mnist-gan-*``
console scripts): each a Hydra task behind the check of its command line.

They read the configs shipped in the package. The config is checked (``config/validate.py``)
before the heavy imports (torch, Lightning), so a mistyped value fails within a second.
A problem the user can fix (bad config or input, a missing or foreign checkpoint, bad
MNIST files, diverged training) ends the run with one line naming the fix and exit code 2,
not a traceback.
"""

from __future__ import annotations

import functools
import logging
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import hydra
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

import mnist_gan  # noqa: F401  (registers the config resolvers)
from mnist_gan.config.command_line import check_command_line
from mnist_gan.config.validate import validate_sampling, validate_train
from mnist_gan.errors import NO_SPACE, USER_ERRORS, ConfigError, OutputSpaceError, one_line
from mnist_gan.runs.console import route_library_logs_to_root
from mnist_gan.runs.record import record_failure

CONFIG_PATH = "pkg://mnist_gan.conf"
log = logging.getLogger(__name__)
T = TypeVar("T")


def _in_sweep() -> bool:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


@contextmanager
def _one_line_errors(record_in: str | None = None) -> Iterator[None]:
    """Turn a user's error into one line and exit code 2. ``record_in``: a training job's
    directory; in a sweep its failure (a user's error or a bug) is recorded there and the
    block ends without one, so the other jobs run."""
    try:
        try:
            yield
        except OmegaConfBaseException as exc:  # the config lacks or breaks a key the run reads
            raise ConfigError(f"{one_line(exc)}; fix or drop the override of that key") from None
        except OSError as exc:  # a full disk, wherever the write was
            if exc.errno not in NO_SPACE or isinstance(exc, OutputSpaceError):
                raise
            raise OutputSpaceError.from_os_error(exc) from None
    except USER_ERRORS as exc:
        if logging.getLogger().handlers:
            log.error("%s", exc)
        else:  # before Hydra has set up logging
            print(f"[{__name__}][ERROR] - {exc}", file=sys.stderr)
        if record_in is None or not _in_sweep():
            raise SystemExit(2) from None
        record_failure(record_in, exc)  # one failed job must not end the others of a sweep
    except Exception as exc:
        if record_in is None or not _in_sweep():
            raise
        # a bug, not a user error: its traceback goes to the job's log, the sweep goes on,
        # and run.json / the sweep summary name the job as failed
        log.exception("this job failed; the sweep continues with the next one")
        record_failure(record_in, exc)


def front_door(config_name: str) -> Callable[[Callable[[DictConfig], T]], Callable[[], T]]:
    """``@front_door("train")``: the task becomes the Hydra entry point of
    ``conf/<config_name>.yaml``, behind the one-line check of its command line."""

    def decorate(task: Callable[[DictConfig], T]) -> Callable[[], T]:
        hydra_task = hydra.main(
            version_base="1.3", config_path=CONFIG_PATH, config_name=config_name
        )(task)

        @functools.wraps(task)
        def entry() -> T:
            with _one_line_errors():
                check_command_line(config_name, sys.argv[1:])
            return hydra_task()

        return entry

    return decorate


@front_door("train")
def train_main(cfg: DictConfig) -> float | None:
    """Train; return the optimized metric, which Hydra's sweepers read (a job of a sweep
    that failed returns the worst value, and the sweep goes on)."""
    with _one_line_errors(record_in=cfg.paths.output_dir):
        validate_train(cfg)  # before torch and Lightning load: a bad value fails at once
        from mnist_gan.train import train

        route_library_logs_to_root()
        return train(cfg).get(cfg.get("optimized_metric") or "")
    return -math.inf if cfg.get("optimized_metric_mode") == "max" else math.inf


@front_door("eval")
def eval_main(cfg: DictConfig) -> None:
    """Score a checkpoint's generator (conf/eval.yaml)."""
    with _one_line_errors():
        validate_sampling(cfg, "eval")
        from mnist_gan.evaluate import evaluate

        route_library_logs_to_root()
        evaluate(cfg)


@front_door("generate")
def generate_main(cfg: DictConfig) -> None:
    """Sample a checkpoint's generator (conf/generate.yaml)."""
    with _one_line_errors():
        validate_sampling(cfg, "generate")
        from mnist_gan.generate import generate

        route_library_logs_to_root()
        generate(cfg)

"""Console-script entry points (``mnist-gan-train``, ``-eval``, ``-generate``).

They read the configs shipped in the package. The config is checked (``config/validate.py``)
before the heavy imports (torch, Lightning), so a mistyped value fails within a second.
A problem the user can fix (bad config or input, a missing or foreign checkpoint, bad
MNIST files, diverged training) ends the run with one line naming the fix and exit code 2,
not a traceback.
"""

from __future__ import annotations

import importlib
import logging
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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


def _in_sweep() -> bool:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


@contextmanager
def _one_line_errors(
    on_sweep_failure: Callable[[BaseException], None] | None = None,
) -> Iterator[None]:
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
        if on_sweep_failure is not None and _in_sweep():
            on_sweep_failure(exc)  # one failed job must not end the other jobs of a sweep
            return
        raise SystemExit(2) from None
    except Exception as exc:
        if on_sweep_failure is None or not _in_sweep():
            raise
        # a bug, not a user error: its traceback goes to the job's log, the sweep goes on,
        # and run.json / the sweep summary name the job as failed
        log.exception("this job failed; the sweep continues with the next one")
        on_sweep_failure(exc)


def _task(name: str) -> Callable[..., object]:
    """The task ``mnist_gan.<name>.<name>``, imported (torch, Lightning) only after the
    config check; Lightning's own console handlers then give way to Hydra's, so each of
    its messages prints once."""
    task = getattr(importlib.import_module(f"mnist_gan.{name}"), name)
    route_library_logs_to_root()
    return task


def _checked_first(config_name: str, app: Callable[[], object]) -> Callable[[], None]:
    """``app`` (a ``hydra.main`` task) behind the check of its command line."""

    def main() -> None:
        with _one_line_errors():
            check_command_line(config_name, sys.argv[1:])
        app()

    main.__doc__ = app.__doc__
    return main


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="train")
def _train_app(cfg: DictConfig) -> float | None:
    result: list[float | None] = [None]

    def worst(exc: BaseException) -> None:
        result[0] = -math.inf if cfg.get("optimized_metric_mode") == "max" else math.inf
        record_failure(cfg.paths.output_dir, exc)

    with _one_line_errors(on_sweep_failure=worst):
        validate_train(cfg)
        metrics = _task("train")(cfg, validated=True)
        result[0] = metrics.get(cfg.get("optimized_metric") or "", None)
    return result[0]


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="eval")
def _eval_app(cfg: DictConfig) -> None:
    with _one_line_errors():
        validate_sampling(cfg)
        _task("evaluate")(cfg, validated=True)


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="generate")
def _generate_app(cfg: DictConfig) -> None:
    with _one_line_errors():
        validate_sampling(cfg)
        _task("generate")(cfg, validated=True)


train_main = _checked_first("train", _train_app)
eval_main = _checked_first("eval", _eval_app)
generate_main = _checked_first("generate", _generate_app)

"""The command line checked before Hydra runs the task.

Hydra reports a command line it cannot compose (bad override syntax, an unknown key or
option, a sweep without ``-m``) with a multi-line message and exit code 1. Composing the
same command line first, with Hydra's own parser and config search path, turns each of
those into one ``ConfigError`` line (exit code 2, like every other user error) before
anything starts. A ``-m`` sweep is checked value by value: each value of each swept key is
composed once with the other keys at their first value (search spaces such as Optuna's
intervals are left to the sweeper).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from hydra._internal.utils import get_args_parser
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from mnist_gan.config.compose import compose_config
from mnist_gan.config.knobs import SETTINGS, check_node, declaration
from mnist_gan.config.validate import problem_line, unreadable
from mnist_gan.errors import ConfigError, one_line
from mnist_gan.runs.lock import hold_lock
from mnist_gan.runs.record import is_rank_zero

# Flags after which Hydra does something other than run the task, or reads other configs:
# those command lines go to Hydra unchecked.
_NOT_A_RUN = (
    "help",
    "hydra_help",
    "info",
    "shell_completion",
    "config_path",
    "config_name",
    "config_dir",
    "experimental_rerun",
)


def jobs(overrides: Sequence[str], multirun: bool) -> Iterator[list[str]]:
    if not multirun:
        yield list(overrides)
        return
    parsed = OverridesParser.create().parse_overrides(list(overrides))
    first: list[str] = []
    swept: list[tuple[int, list[str]]] = []
    for override in parsed:
        if not override.is_sweep_override():
            first.append(override.input_line)
            continue
        key = override.get_key_element()
        try:
            values = [f"{key}={value}" for value in override.sweep_string_iterator()]
        except Exception:  # noqa: BLE001 (an interval: a search space, the sweeper's to sample)
            continue
        swept.append((len(first), values))
        first.append(values[0])
    yield first
    for position, values in swept:
        for value in values[1:]:
            yield [*first[:position], value, *first[position + 1 :]]


def check_command_line(config_name: str, argv: Sequence[str]) -> None:
    """Raise ``ConfigError`` (one line) when Hydra could not compose ``argv``'s config."""
    args, unknown = get_args_parser().parse_known_args(list(argv))
    if unknown or any(getattr(args, flag, None) for flag in _NOT_A_RUN):
        return  # Hydra's own parser answers these
    for overrides in jobs(args.overrides, args.multirun):
        try:
            cfg = compose_config(config_name, overrides, return_hydra_config=True)
        except (HydraException, OmegaConfBaseException, ValueError, TypeError) as exc:
            raise ConfigError(one_line(exc)) from None
        _check_readable(cfg, config_name, args.multirun)
    if not args.cfg:  # --cfg only prints the config
        _lock_the_directory(cfg, args.multirun)


def _lock_the_directory(cfg: DictConfig, multirun: bool) -> None:
    """Take the run's (or the sweep's) directory before Hydra writes into it, when the
    command names it (a timestamped default is locked by ``train`` once Hydra made it)."""
    node = cfg.hydra.sweep if multirun else cfg.hydra.run
    if "${now:" in str(node._get_node("dir")._value()):
        return
    HydraConfig.instance().set_config(cfg)
    try:
        directory = node.dir
    finally:
        HydraConfig.instance().cfg = None
    if is_rank_zero():  # DDP's other ranks re-run the command in the same directory
        hold_lock(directory, "sweep" if multirun else "run")


# What Hydra sets when a job starts, as stand-ins, so every other value can be resolved.
_RUN_TIME = {
    "hydra.runtime.output_dir": "output_dir",
    "hydra.job.num": 0,
    "hydra.job.id": "0",
    "hydra.hydra_help.hydra_help": "",
}


def _check_readable(cfg: DictConfig, config_name: str, multirun: bool) -> None:
    """Every value Hydra and the task will read resolves (Hydra's own logging config reads
    job keys such as task_name before the task starts)."""
    for key, value in _RUN_TIME.items():
        if OmegaConf.select(cfg, key, throw_on_missing=False) is None:
            OmegaConf.update(cfg, key, value, force_add=True)
    HydraConfig.instance().set_config(cfg)
    try:
        for path, raw, exc in unreadable(cfg):
            if path.startswith("hydra.sweep.") and not multirun:
                continue  # a single run never reads the sweep's directories
            raise ConfigError(problem_line(path, raw, exc))
        # Hydra names the log file after it before the task starts
        task_name = OmegaConf.create({"task_name": cfg.get("task_name")})
        check_node("", task_name, declaration(SETTINGS[config_name][""]))
    finally:
        HydraConfig.instance().cfg = None

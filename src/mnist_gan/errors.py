"""The project's exceptions for problems a user can fix: each message names the fix.

Torch-free, so the entry points can catch them without importing torch first.
"""

from __future__ import annotations

import re


class ConfigError(ValueError):
    """A config value that cannot work. The message names the key and the fix."""


class CheckpointError(ConfigError):
    """The checkpoint a config names is missing or is not a checkpoint of this project."""


class MNISTDataError(RuntimeError):
    """MNIST could not be found, read or verified. The message says what to do."""


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite: training stopped, earlier checkpoints are intact."""


def one_line(exc: BaseException, name_key: bool = True) -> str:
    """An exception's message as one line (Hydra and OmegaConf write several): option lists
    joined by commas, without the config search path and OmegaConf's key/type lines."""
    text = str(exc).split("Config search path:")[0]
    text = re.sub(r"(Available options in '[^']*'):\s*((?:\s*\S+)+)", _options, text)
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith(_DETAIL_LINES)]
    message = re.sub(r"\s+", " ", " ".join(lines)) or type(exc).__name__
    # the override Hydra could not parse, or the key OmegaConf could not read
    where = getattr(exc, "override", None) or getattr(exc, "full_key", None)
    if name_key and where and str(where) not in message:
        return f"{where}: {message}"
    return message


# OmegaConf's lines about where in the config an error arose (the message names the key)
_DETAIL_LINES = ("full_key:", "object_type", "reference_type")


def _options(match: re.Match) -> str:
    return f"{match.group(1)}: " + ", ".join(match.group(2).split())


# CheckpointError is caught as the ConfigError it is.
USER_ERRORS = (ConfigError, MNISTDataError, NonFiniteLossError)

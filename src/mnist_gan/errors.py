"""The project's exceptions for problems a user can fix: each message names the fix.

Torch-free, so the entry points can catch them without importing torch first.
"""

from __future__ import annotations

import errno
import re


class ConfigError(ValueError):
    """A config value that cannot work. The message names the key and the fix."""


class CheckpointError(ConfigError):
    """The checkpoint a config names is missing or is not a checkpoint of this project."""


class MNISTDataError(RuntimeError):
    """MNIST could not be found, read or verified. The message says what to do."""


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite: training stopped, earlier checkpoints are intact."""


class OutputSpaceError(OSError):
    """A file could not be written for want of space: the run stopped, every file written
    before is intact (writes are atomic), and the same command resumes it."""

    @classmethod
    def from_os_error(cls, exc: OSError) -> OutputSpaceError:
        where = f" writing {exc.filename}" if exc.filename else ""
        return cls(
            exc.errno,
            f"no space left on the device{where}: training stopped and the files written "
            "before are intact (last.ckpt is the previous one); free some space and run the "
            "same command again: it resumes from the last checkpoint",
        )

    def __str__(self) -> str:
        return str(self.strerror)


# Out of space (or over quota): the errors a full disk raises wherever a file is written.
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


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
USER_ERRORS = (ConfigError, MNISTDataError, NonFiniteLossError, OutputSpaceError)

"""The project's exceptions for problems a user can fix: each message names the fix.

Torch-free, so the entry points can catch them without importing torch first.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A config value that cannot work. The message names the key and the fix."""


class CheckpointError(ConfigError):
    """The checkpoint a config names is missing or is not a checkpoint of this project."""


class MNISTDataError(RuntimeError):
    """MNIST could not be found, read or verified. The message says what to do."""


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite: training stopped, earlier checkpoints are intact."""


# CheckpointError is caught as the ConfigError it is.
USER_ERRORS = (ConfigError, MNISTDataError, NonFiniteLossError)

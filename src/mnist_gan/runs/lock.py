"""One process per run directory: an exclusive ``flock`` on the directory itself (no file
is written, so a finished run's bytes never change).

The kernel drops a ``flock`` when its process ends, however it ends, so a killed run
never leaves a stale lock behind, and the next run in that directory resumes it. A
process keeps its locks until it exits (a sweep run by Hydra's basic launcher holds each
finished job's directory until the sweep ends). Torch-free.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from mnist_gan.errors import ConfigError

_held: dict[Path, int] = {}


def hold_lock(directory: str | Path, what: str = "run") -> None:
    """Lock ``directory`` for this process (again is a no-op); ``ConfigError`` naming the
    holder when another process has it."""
    directory = Path(directory).resolve()
    if directory in _held:
        return
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ConfigError(
            f"{directory} is in use by another {what}; wait for it to end, or give this "
            f"{what} its own directory (hydra.run.dir=... or hydra.sweep.dir=...)"
        ) from None
    _held[directory] = fd


def release_locks() -> None:
    """Give up every lock this process holds (for a process that runs many short jobs)."""
    while _held:
        _, fd = _held.popitem()
        os.close(fd)

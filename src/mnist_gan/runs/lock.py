"""One process per run directory: an exclusive ``flock`` on ``<dir>/.lock``.

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

LOCK_FILE = ".lock"
_held: dict[Path, int] = {}


def hold_lock(directory: str | Path, what: str = "run") -> None:
    """Lock ``directory`` for this process (again is a no-op); ``ConfigError`` naming the
    holder when another process has it."""
    directory = Path(directory).resolve()
    if directory in _held:
        return
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise ConfigError(
            f"{directory} is in use by another {what} (pid {holder}); wait for it to end, "
            f"or give this {what} its own directory (hydra.run.dir=... or hydra.sweep.dir=...)"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _held[directory] = fd


def release_locks() -> None:
    """Give up every lock this process holds (for a process that runs many short jobs)."""
    while _held:
        _, fd = _held.popitem()
        os.close(fd)

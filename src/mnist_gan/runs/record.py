"""``run.json``: what became of a run, for the sweep summary and for resuming sweeps.

Written beside a run's checkpoints: ``status`` (``running`` while it trains, ``ok``,
``failed`` with its one-line ``error``, or ``interrupted`` after Ctrl-C), ``epochs``
done, ``train_seconds``, the latest ``eval/*`` ``metrics``, the ``optimized_metric`` and
its mode. A run killed outright stays ``running`` with its last completed epoch. Each
write replaces the whole file atomically. Torch-free.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mnist_gan.atomic import write_atomic
from mnist_gan.errors import USER_ERRORS
from mnist_gan.runs.lock import hold_lock

RECORD_FILE = "run.json"
FINISHED = "ok"
# ckpt_path's value that resumes the run directory's own last.ckpt, if any.
AUTO_RESUME = "auto"


def read_record(run_dir: str | Path) -> dict[str, Any] | None:
    """The run's record, or None when it has none (or an unreadable one)."""
    path = Path(run_dir) / RECORD_FILE
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def update_record(run_dir: str | Path, **fields: Any) -> dict[str, Any]:
    """Merge ``fields`` into the run's record and write it back whole."""
    record = read_record(run_dir) or {}
    record.update(fields)
    text = json.dumps(record, indent=2, sort_keys=True, allow_nan=True) + "\n"
    write_atomic(Path(run_dir) / RECORD_FILE, text.encode())
    return record


def one_line(exc: BaseException) -> str:
    """An error as the one line a summary shows: its message's first line."""
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else ""
    return first if isinstance(exc, USER_ERRORS) and first else f"{type(exc).__name__}: {first}"


def is_rank_zero() -> bool:
    """Whether this process writes the run's files: rank 0, read from the environment the
    way Lightning reads it (torchrun, SLURM, Lightning's own launcher), so it holds before
    any Trainer exists."""
    for key in ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK"):
        if key in os.environ:
            return os.environ[key] == "0"
    return True


def record_failure(run_dir: str | Path, exc: BaseException) -> None:
    """Mark the run ``failed`` with the error's one line (rank 0 of a multi-process run)."""
    if is_rank_zero():
        # on a full disk the record cannot be written: the error itself is what counts
        with contextlib.suppress(OSError):
            update_record(run_dir, status="failed", error=one_line(exc))


@contextlib.contextmanager
def recorded(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir`` for this run (rank 0) and record in run.json how the run ends
    when it does not finish: ``interrupted`` (Ctrl-C, which ``ckpt_path=auto`` resumes) or
    ``failed`` with the error's line. A finished run records its own figures."""
    if is_rank_zero():  # DDP's ranks share the directory; rank 0 writes the run's files
        hold_lock(run_dir)
    try:
        yield
    except (KeyboardInterrupt, SystemExit):  # Lightning ends a Ctrl-C fit with SystemExit
        if is_rank_zero():
            update_record(run_dir, status="interrupted")
        raise
    except Exception as exc:
        record_failure(run_dir, exc)
        raise

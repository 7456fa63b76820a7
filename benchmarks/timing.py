"""Shared by the benchmark scripts: wall time of each training epoch (a Lightning callback)
and of a whole ``train.py`` run in its own process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import lightning as L

REPO = Path(__file__).resolve().parents[1]


class EpochTimer(L.Callback):
    """Records each epoch's wall time (epoch start to epoch end) and the batches it ran."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.batches = 0

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._start = time.perf_counter()

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self.times.append(time.perf_counter() - self._start)
        self.batches = trainer.num_training_batches


_PEAK_RSS_WRAPPER = """
import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    status = open("/proc/self/status").read()
    peak = next(line for line in status.splitlines() if line.startswith("VmHWM"))
    print("PEAK", int(peak.split()[1]), file=sys.stderr)
"""


def run_entry_point(
    overrides: list[str], out: Path, report_peak_rss: bool = False
) -> tuple[float, int, str]:
    """Run ``train.py`` in its own process: (seconds, return code, stderr)."""
    wrapper = ["-c", _PEAK_RSS_WRAPPER] if report_peak_rss else []
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *wrapper, str(REPO / "train.py"), *overrides, f"hydra.run.dir={out}"],
        cwd=out.parent,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - start, done.returncode, done.stderr

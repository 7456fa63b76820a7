"""Sequential against parallel sweeps on this machine: the same jobs, timed in one run.

    python benchmarks/sweep.py --data-dir ../shared/mnist            # 4 jobs x 2 epochs
    python benchmarks/sweep.py --data-dir ../shared/mnist --jobs 2 --epochs 1 --batches 100

Runs ``train.py -m model=batchnorm_mlp seed=1..N trainer.max_epochs=E`` twice, as a user
would (one process per sweep, evaluation at the end of each job): with Hydra's basic
launcher (one job after another, torch's default threads) and with
``hydra/launcher=joblib hydra.launcher.n_jobs=P`` (each job cores ÷ P threads). Prints
each sweep's wall time, the jobs per minute, the parallel ÷ sequential throughput, and
checks that both sweeps' summaries list every job as finished.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_page import measured_on, publish

REPO = Path(__file__).resolve().parents[1]


def run_sweep(overrides: list[str], sweep_dir: Path) -> float:
    command = [sys.executable, str(REPO / "train.py"), "-m", *overrides]
    command.append(f"hydra.sweep.dir={sweep_dir}")
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, cwd=sweep_dir.parent)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"sweep failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return seconds


def finished_jobs(sweep_dir: Path) -> tuple[int, float]:
    """(jobs the summary lists as finished, their mean training seconds)."""
    with (sweep_dir / "summary.csv").open() as fh:
        done = [row for row in csv.DictReader(fh) if row["status"] == "ok"]
    return len(done), sum(float(row["train s"]) for row in done) / max(1, len(done))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batches", default="1.0", help="trainer.limit_train_batches")
    parser.add_argument("--parallel", type=int, default=2, help="hydra.launcher.n_jobs")
    parser.add_argument("--publish", action="store_true", help="write docs/results.md")
    args = parser.parse_args()

    common = [
        "model=batchnorm_mlp",
        "seed=" + ",".join(str(s) for s in range(1, args.jobs + 1)),
        f"trainer.max_epochs={args.epochs}",
        f"trainer.limit_train_batches={args.batches}",
        f"data.data_dir={Path(args.data_dir).resolve()}",
        "callbacks.progress_bar=null",
    ]
    cores = len(os.sched_getaffinity(0))
    print(f"{args.jobs} jobs of batchnorm_mlp x {args.epochs} epochs; {cores} cores")
    with tempfile.TemporaryDirectory() as tmp:
        sequential = run_sweep(common, Path(tmp) / "sequential")
        parallel = run_sweep(
            [*common, "hydra/launcher=joblib", f"hydra.launcher.n_jobs={args.parallel}"],
            Path(tmp) / "parallel",
        )
        done = (finished_jobs(Path(tmp) / "sequential"), finished_jobs(Path(tmp) / "parallel"))
    rate = args.jobs * 60 / sequential, args.jobs * 60 / parallel
    ratio = sequential / parallel
    verdict = "met" if ratio >= 1.5 else "missed"
    table = "\n".join(
        [
            f"{args.jobs} jobs of batchnorm_mlp × {args.epochs} epochs, each evaluated at its end.",
            "",
            "| launcher | sweep wall s | jobs/min | jobs finished | mean train s per job |",
            "|---|---|---|---|---|",
            f"| basic (sequential) | {sequential:.1f} | {rate[0]:.2f} | {done[0][0]}/{args.jobs} "
            f"| {done[0][1]:.1f} |",
            f"| joblib, n_jobs={args.parallel} | {parallel:.1f} | {rate[1]:.2f} | "
            f"{done[1][0]}/{args.jobs} | {done[1][1]:.1f} |",
            "",
            f"- parallel ÷ sequential throughput: {ratio:.2f}× (target ≥ 1.5×: {verdict})",
        ]
    )
    print(f"{measured_on()}\n\n{table}")
    if args.publish:
        publish("sweep", "Sweeps: one job after another against parallel jobs", table)


if __name__ == "__main__":
    main()

"""experiment=near_real against its targets: the command as a user runs it, timed whole.

    python benchmarks/near_real.py --data-dir ../shared/mnist            # seeds 42, 1, 2
    python benchmarks/near_real.py --data-dir ../shared/mnist --seeds 42 --no-conditional

Runs ``python train.py experiment=near_real`` in its own process for each seed (wall time
from start to exit: imports, data, training, the final evaluation of 10,000 samples), then
the same recipe with ``model.conditional=true`` (seed 42), and prints one markdown row per
run, the spread over the seeds, and each target met or missed. Measure on an idle machine:
the other core busy doubles the time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from mnist_gan.metrics.report import markdown_table

from timing import run_entry_point

MINUTES = 5.0
# (metric, comparison, target) for the unconditional recipe, then the conditional one
TARGETS = (
    ("fid", "<=", 2.0),
    ("precision", ">=", 0.85),
    ("recall", ">=", 0.85),
    ("classes_covered", ">=", 10),
    ("kl_uniform", "<=", 0.005),
)
CONDITIONAL_TARGETS = (("label_accuracy", ">=", 0.99), ("fid", "<=", 0.5))


def run(overrides: list[str], data_dir: Path, out: Path) -> dict[str, float]:
    seconds, code, stderr = run_entry_point(
        [
            "experiment=near_real",
            f"data.data_dir={data_dir}",
            "callbacks.progress_bar=null",
            "ckpt_path=null",
            *overrides,
        ],
        out,
    )
    if code != 0:
        raise SystemExit(f"train.py {' '.join(overrides)} failed: {stderr.strip()[-800:]}")
    record = json.loads((out / "run.json").read_text())
    metrics = {k.removeprefix("eval/"): v for k, v in record["metrics"].items()}
    return metrics | {"wall": seconds, "train": record["train_seconds"], "epochs": record["epochs"]}


def verdicts(metrics: dict[str, float], targets, label: str) -> list[str]:
    lines = []
    for key, how, goal in targets:
        value = metrics[key]
        met = value <= goal if how == "<=" else value >= goal
        lines.append(f"- {label} {key} {how} {goal}: {value:.4g} ({'met' if met else 'missed'})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="where MNIST is")
    parser.add_argument("--seeds", default="42,1,2")
    parser.add_argument("--no-conditional", action="store_true")
    parser.add_argument("--override", action="append", default=[], help="key=value, any run")
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    seeds = [int(s) for s in args.seeds.split(",")]
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            label = f"near_real seed {seed}"
            rows[label] = run([f"seed={seed}", *args.override], data_dir, Path(tmp) / label)
            print(f"{label}: {rows[label]['wall']:.0f} s, FID {rows[label]['fid']:.3f}", flush=True)
        if not args.no_conditional:
            label = f"near_real model.conditional=true seed {seeds[0]}"
            overrides = [f"seed={seeds[0]}", "model.conditional=true", *args.override]
            rows[label] = run(overrides, data_dir, Path(tmp) / "conditional")
    print()
    print(markdown_table(rows, "run"))
    print()
    print("| run | epochs | train.py wall s | training s (evaluation included) |")
    print("|---|---|---|---|")
    for label, m in rows.items():
        print(f"| {label} | {m['epochs']} | {m['wall']:.0f} | {m['train']:.0f} |")
    unconditional = [m for label, m in rows.items() if "conditional" not in label]
    if len(unconditional) > 1:
        print()
        for key in ("fid", "precision", "recall", "kl_uniform", "wall"):
            values = [m[key] for m in unconditional]
            print(
                f"- {key} over {len(values)} seeds: mean {statistics.mean(values):.4g}, "
                f"sd {statistics.stdev(values):.2g}, range {min(values):.4g}-{max(values):.4g}"
            )
    print()
    first = rows[f"near_real seed {seeds[0]}"]
    lines = [
        f"- wall time of train.py <= {MINUTES:g} min: {first['wall']:.0f} s "
        f"({'met' if first['wall'] <= 60 * MINUTES else 'missed'})"
    ]
    lines += verdicts(first, TARGETS, "unconditional")
    if not args.no_conditional:
        conditional = rows[f"near_real model.conditional=true seed {seeds[0]}"]
        lines += verdicts(conditional, CONDITIONAL_TARGETS, "conditional")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""experiment=near_real against its targets on the machine at hand.

    python benchmarks/near_real.py --data-dir ../shared/mnist --publish     # the full set
    python benchmarks/near_real.py --data-dir ../shared/mnist --seeds 42 --no-conditional

1. Step cost, in this process, the contenders interleaved over ``--rounds``: seconds per
   training batch of no_collapse (float32), near_real in float32 and near_real in bf16
   autocast; ``trainer.precision=auto`` picks one of the last two, and its step must cost
   at most STEP_FACTOR times no_collapse's.
2. Whole runs, each ``python train.py experiment=near_real`` in its own process (wall time
   from start to exit: imports, data, training, the final evaluation of 10,000 samples),
   for each seed, then ``model.conditional=true`` (first seed), then ``experiment=no_collapse``
   (its 30 epochs, the baseline the recipe's time is judged against).

Prints the CPU's capabilities with every table, each target met or missed; ``--publish``
writes the tables to docs/results.md. Measure on an idle machine: the other core busy
doubles the time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from results_page import measured_on, publish

from mnist_gan.config.compose import compose_config
from mnist_gan.hardware import resolve_precision
from mnist_gan.metrics.report import markdown_table
from mnist_gan.train import train

from timing import EpochTimer, run_entry_point

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
# near_real under trainer.precision=auto against no_collapse, on any machine
STEP_FACTOR = 1.5  # seconds per batch
RUN_FACTOR = 2.0  # whole train.py run, near_real's 42 epochs against no_collapse's 30
AUTO_FID = 2.5
STEP_CONTENDERS = {
    "no_collapse": ["experiment=no_collapse"],
    "near_real, float32": ["experiment=near_real", "trainer.precision=32-true"],
    "near_real, bf16 autocast": ["experiment=near_real", "trainer.precision=bf16-mixed"],
}


def run(overrides: list[str], data_dir: Path, out: Path) -> dict[str, float]:
    seconds, code, stderr = run_entry_point(
        [f"data.data_dir={data_dir}", "callbacks.progress_bar=null", "ckpt_path=null", *overrides],
        out,
    )
    if code != 0:
        raise SystemExit(f"train.py {' '.join(overrides)} failed: {stderr.strip()[-800:]}")
    record = json.loads((out / "run.json").read_text())
    metrics = {k.removeprefix("eval/"): v for k, v in record["metrics"].items()}
    return metrics | {"wall": seconds, "train": record["train_seconds"], "epochs": record["epochs"]}


def step_seconds(overrides: list[str], data_dir: Path, batches: int, out: Path) -> float:
    """Seconds per training batch over one epoch of ``batches`` (evaluation off)."""
    cfg = compose_config(
        "train",
        [
            *overrides,
            f"data.data_dir={data_dir}",
            "trainer.max_epochs=1",
            f"trainer.limit_train_batches={batches}",
            "eval.every_n_epochs=0",
            "callbacks.progress_bar=null",
            "ckpt_path=null",
        ],
        out,
    )
    timer = EpochTimer()
    train(cfg, extra_callbacks=[timer])
    return timer.times[-1] / timer.batches


def step_costs(data_dir: Path, batches: int, rounds: int, out: Path) -> dict[str, float]:
    """Median seconds per batch of each contender, interleaved round by round."""
    times: dict[str, list[float]] = {name: [] for name in STEP_CONTENDERS}
    for r in range(rounds):
        for name, overrides in STEP_CONTENDERS.items():
            run_dir = out / f"step_{r}_{name.replace(' ', '_').replace(',', '')}"
            times[name].append(step_seconds(overrides, data_dir, batches, run_dir))
            print(f"step cost {name}, round {r}: {times[name][-1] * 1e3:.1f} ms", flush=True)
    return {name: statistics.median(values) for name, values in times.items()}


def verdict(label: str, value: float, how: str, goal: float) -> str:
    met = value <= goal if how == "<=" else value >= goal
    return f"- {label} {how} {goal:g}: {value:.4g} ({'met' if met else 'missed'})"


def step_table(costs: dict[str, float], batches: int, rounds: int) -> str:
    auto, _ = resolve_precision("auto", "cpu")
    chosen = "near_real, bf16 autocast" if auto == "bf16-mixed" else "near_real, float32"
    base = costs["no_collapse"]
    lines = [
        f"Seconds per training batch (batch 256), the median of {rounds} interleaved rounds of "
        f"{batches} batches; `trainer.precision=auto` picks **{auto}** here.",
        "",
        "| run | ms per batch | ÷ no_collapse |",
        "|---|---|---|",
        *(
            f"| {name}{' (auto)' if name == chosen else ''} | {s * 1e3:.1f} | {s / base:.2f}× |"
            for name, s in costs.items()
        ),
        "",
        verdict(
            "near_real (auto) step ÷ no_collapse step", costs[chosen] / base, "<=", STEP_FACTOR
        ),
    ]
    return "\n".join(lines)


def run_tables(rows: dict[str, dict[str, float]], seeds: list[int], conditional: bool) -> str:
    lines = [markdown_table(rows, "run"), ""]
    lines += ["| run | epochs | train.py wall s | training s (evaluation included) |"]
    lines += ["|---|---|---|---|"]
    lines += [
        f"| {k} | {m['epochs']} | {m['wall']:.0f} | {m['train']:.0f} |" for k, m in rows.items()
    ]
    near = {k: m for k, m in rows.items() if k.startswith("near_real seed")}
    if len(near) > 1:
        lines.append("")
        for key in ("fid", "precision", "recall", "kl_uniform", "wall"):
            values = [m[key] for m in near.values()]
            lines.append(
                f"- {key} over {len(values)} seeds: mean {statistics.mean(values):.4g}, "
                f"sd {statistics.stdev(values):.2g}, range {min(values):.4g}-{max(values):.4g}"
            )
    first = rows[f"near_real seed {seeds[0]}"]
    lines += ["", verdict("near_real train.py wall s", first["wall"], "<=", 60 * MINUTES)]
    lines += [verdict(f"near_real {key}", first[key], how, goal) for key, how, goal in TARGETS]
    if conditional:
        cond = rows[f"near_real model.conditional=true seed {seeds[0]}"]
        lines += [verdict("conditional train.py wall s", cond["wall"], "<=", 60 * MINUTES)]
        lines += [
            verdict(f"conditional {key}", cond[key], how, goal)
            for key, how, goal in CONDITIONAL_TARGETS
        ]
    if "no_collapse seed 42" in rows:
        ratio = first["wall"] / rows["no_collapse seed 42"]["wall"]
        lines.append(verdict("near_real wall ÷ no_collapse wall", ratio, "<=", RUN_FACTOR))
        lines.append(verdict("near_real FID (any precision)", first["fid"], "<=", AUTO_FID))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="where MNIST is")
    parser.add_argument("--seeds", default="42,1,2")
    parser.add_argument("--no-conditional", action="store_true")
    parser.add_argument("--no-baseline", action="store_true", help="skip no_collapse's run")
    parser.add_argument("--step-batches", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--override", action="append", default=[], help="key=value, any run")
    parser.add_argument("--publish", action="store_true", help="write docs/results.md")
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    seeds = [int(s) for s in args.seeds.split(",")]
    print(measured_on(), flush=True)
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        costs = step_costs(data_dir, args.step_batches, args.rounds, Path(tmp))
        for seed in seeds:
            label = f"near_real seed {seed}"
            overrides = ["experiment=near_real", f"seed={seed}", *args.override]
            rows[label] = run(overrides, data_dir, Path(tmp) / label.replace(" ", "_"))
            print(f"{label}: {rows[label]['wall']:.0f} s, FID {rows[label]['fid']:.3f}", flush=True)
        if not args.no_conditional:
            label = f"near_real model.conditional=true seed {seeds[0]}"
            overrides = ["experiment=near_real", f"seed={seeds[0]}", "model.conditional=true"]
            rows[label] = run([*overrides, *args.override], data_dir, Path(tmp) / "conditional")
        if not args.no_baseline:
            overrides = ["experiment=no_collapse", "seed=42", *args.override]
            rows["no_collapse seed 42"] = run(overrides, data_dir, Path(tmp) / "no_collapse")
    steps = step_table(costs, args.step_batches, args.rounds)
    runs = run_tables(rows, seeds, not args.no_conditional)
    print(f"\n{measured_on()}\n\n{steps}\n\n{runs}")
    if args.publish:
        publish(
            "near_real",
            "near_real: step cost and the recipe against its targets",
            f"{steps}\n\n{runs}",
        )


if __name__ == "__main__":
    main()

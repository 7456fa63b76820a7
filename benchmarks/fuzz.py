"""Override fuzzing at scale: thousands of command lines, each judged by the property.

    python benchmarks/fuzz.py --data-dir ../shared/mnist --examples 2000
    python benchmarks/fuzz.py --data-dir ../shared/mnist --examples 300 --entry eval --dry

Command lines are drawn from the composed configs (``tests/fuzzing.py``, the strategies
the test suite uses). Each runs in this process as its console script would; without
``--dry`` a command the checks accept trains for 2 batches (eval.py and generate.py run in
full on 16 samples). Prints the count tried per entry point, how many were refused, ran,
or broke the property, and for each kind of break the shortest command seen.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from results_page import measured_on, publish

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from fuzzing import (  # noqa: E402
    base_argv,
    run_command,
    sampling_commands,
    train_commands,
)

from conftest import train_tiny  # noqa: E402


def fuzz(entry: str, examples: int, data_dir: Path, sandbox: Path, ckpt: Path, dry: bool):
    counts: collections.Counter[str] = collections.Counter()
    breaks: dict[str, list[str]] = {}
    strategy = train_commands() if entry == "train" else sampling_commands(entry)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(overrides=strategy)
    def one(overrides: list[str]) -> None:
        run_dir = sandbox / f"{entry}-{sum(counts.values())}"
        argv = [*base_argv(entry, run_dir, data_dir, ckpt), *overrides]
        outcome = run_command(entry, argv, dry=dry, timeout=120)
        problem = outcome.problem(overrides)
        if problem is None:
            counts["ran" if outcome.code == 0 else "refused in one line"] += 1
            return
        counts["broke the property"] += 1
        kind = f"{problem}: {_last_words(outcome.output)}"
        shortest = breaks.get(kind)
        if shortest is None or len(" ".join(overrides)) < len(" ".join(shortest)):
            breaks[kind] = overrides

    one()
    return counts, breaks


def _last_words(output: str) -> str:
    """The line that says what went wrong (not Hydra's HYDRA_FULL_ERROR hint)."""
    lines = [
        line.strip()
        for line in output.splitlines()
        if line.strip() and "HYDRA_FULL_ERROR" not in line and not line.startswith("full_key")
    ]
    return lines[-1][:200] if lines else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="where MNIST is")
    parser.add_argument("--examples", type=int, default=1000, help="per entry point")
    parser.add_argument("--entry", choices=["train", "eval", "generate", "all"], default="all")
    parser.add_argument("--dry", action="store_true", help="stop at Trainer.fit")
    parser.add_argument("--publish", action="store_true", help="write docs/results.md")
    args = parser.parse_args()
    entries = ["train", "eval", "generate"] if args.entry == "all" else [args.entry]
    ran = (
        "stopped at Trainer.fit" if args.dry else "accepted train.py commands trained for 2 batches"
    )
    lines = [
        f"Command lines drawn from the configs ({ran}). The property: exit 0, or exit 2 with "
        "one ERROR line naming a key of the command line; never a traceback or a hang.",
        "",
        "| entry point | tried | seconds | outcomes | broke the property |",
        "|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = Path(tmp)
        ckpt = train_tiny(args.data_dir.resolve(), sandbox / "trained")
        for entry in entries:
            start = time.perf_counter()
            counts, breaks = fuzz(
                entry, args.examples, args.data_dir.resolve(), sandbox, ckpt, args.dry
            )
            seconds = time.perf_counter() - start
            outcomes = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
            broken = "; ".join(
                f"{k}: `{entry}.py {' '.join(o)}`" for k, o in sorted(breaks.items())
            )
            tried = sum(counts.values())
            lines.append(f"| `{entry}.py` | {tried} | {seconds:.0f} | {outcomes} | {broken or 0} |")
            print(lines[-1], flush=True)
    table = "\n".join(lines)
    print(f"\n{measured_on()}\n\n{table}")
    if args.publish:
        publish("fuzz", "The front door, fuzzed", table)


if __name__ == "__main__":
    main()

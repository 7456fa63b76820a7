"""The test suite's two tiers, timed as a contributor runs them.

    python benchmarks/suite_time.py --publish
    python benchmarks/suite_time.py --tiers quick

Runs ``python -m pytest -m "not slow"`` (the quick tier, the loop while editing) and
``python -m pytest`` (everything: the README's test command, what CI runs), each in its own
process from the repo root, and, with pytest-xdist installed, the full tier again on
``-n 2`` workers. Prints the wall time and the pytest summary line of each. Measure on an
idle machine: the tests train small models and take both cores.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import time

from results_page import REPO, measured_on, publish

# name (as --tiers takes it, so no commas) -> pytest's arguments
TIERS = {
    "quick": ["-m", "not slow"],
    "full": [],
    "full-xdist": ["-n", "2"],
}


def run(args: list[str]) -> tuple[float, str]:
    """(wall seconds, pytest's last summary line) of one pytest process."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    lines = [line for line in done.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    return time.perf_counter() - start, (lines[-1] if lines else done.stdout[-300:]).strip("= ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiers", default=",".join(TIERS), help="comma-separated: quick,full,…")
    parser.add_argument("--publish", action="store_true", help="write docs/results.md")
    args = parser.parse_args()
    xdist = importlib.util.find_spec("xdist") is not None
    lines = ["| tier | command | wall s | pytest's summary |", "|---|---|---|---|"]
    names = args.tiers.split(",")
    unknown = sorted(set(names) - set(TIERS))
    if unknown:
        parser.error(f"unknown tier {', '.join(unknown)}; use some of {', '.join(TIERS)}")
    for name in names:
        if "xdist" in name and not xdist:
            lines.append(f"| {name} | (pytest-xdist not installed) | | |")
            continue
        seconds, summary = run(TIERS[name])
        shown = (f'"{a}"' if " " in a else a for a in TIERS[name])
        command = " ".join(["python -m pytest", *shown])
        lines.append(f"| {name} | `{command}` | {seconds:.0f} | {summary} |")
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    print(f"\n{measured_on()}\n\n{table}")
    if args.publish:
        publish("test_suite", "Test suite", table)


if __name__ == "__main__":
    main()

"""docs/results.md is written by the benchmarks, never by hand: each benchmark run with
``--publish`` replaces its own section (between two marker comments) with its tables, under
the exact command that regenerates them and once the date, CPU, torch and threads."""

from __future__ import annotations

import re
import shlex
import sys
from datetime import date
from pathlib import Path

import torch

from mnist_gan.hardware import cpu

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "docs" / "results.md"
HEADER = """# Measured results

Every section below is written by the benchmark whose command heads it (run with
`--publish`); none is edited by hand. Each says once when and on which CPU it was measured:
seconds hold for that machine only (compare them as ratios within one section), quality
figures (FID, precision, …) repeat to the last digit wherever the same seed runs.
"""


def measured_on() -> str:
    """The date, the CPU and what ran the figures, in one line."""
    return (
        f"Measured {date.today():%Y-%m-%d} on {cpu().describe()}; torch {torch.__version__}, "
        f"{torch.get_num_threads()} intra-op threads."
    )


def this_command() -> str:
    """The command line that ran this benchmark, as a user retypes it from the repo root."""
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(REPO) if script.is_relative_to(REPO) else script
    return " ".join(["python", str(shown), *map(shlex.quote, sys.argv[1:])])


def section(key: str, title: str, body: str) -> str:
    return (
        f"<!-- {key}: written by {this_command().split()[1]} --publish; do not edit -->\n"
        f"## {title}\n\n```bash\n{this_command()}\n```\n\n{measured_on()}\n\n"
        f"{body.strip()}\n<!-- /{key} -->\n"
    )


def publish(key: str, title: str, body: str, page: Path = PAGE) -> None:
    """Write ``body`` as section ``key`` of ``page``: in place when it is there, else at
    the end."""
    text = page.read_text(encoding="utf-8") if page.exists() else HEADER
    new = section(key, title, body)
    pattern = re.compile(rf"<!-- {re.escape(key)}: .*?<!-- /{re.escape(key)} -->\n", re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: new, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + new
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(text, encoding="utf-8")
    print(f"wrote section {key!r} of {page.relative_to(REPO)}")

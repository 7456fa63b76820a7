"""Print and save metric results."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

COLUMNS = (
    ("fid", "FID", "{:.3f}"),
    ("kid", "KID", "{:.5f}"),
    ("is", "IS", "{:.3f}"),
    ("classes_covered", "classes", "{:.0f}"),
    ("kl_uniform", "KL(‖U)", "{:.4f}"),
    ("max_class_share", "max share", "{:.3f}"),
    ("min_class_share", "min share", "{:.3f}"),
    ("confident_share", "confident", "{:.3f}"),
    ("precision", "precision", "{:.3f}"),
    ("recall", "recall", "{:.3f}"),
)
# Shown when any row has it (conditional generators).
OPTIONAL_COLUMNS = (
    ("label_accuracy", "label acc.", "{:.3f}"),
    ("parzen_ll", "Parzen LL (nats)", "{:.1f}"),
    ("parzen_sigma", "Parzen σ", "{:.3f}"),
)


def markdown_table(rows: Mapping[str, Mapping[str, Any]], first: str = "samples") -> str:
    """One row per named result, the metric columns in a fixed order."""
    columns = COLUMNS + tuple(
        column for column in OPTIONAL_COLUMNS if any(column[0] in m for m in rows.values())
    )
    head = f"| {first} | " + " | ".join(title for _, title, _ in columns) + " |"
    rule = "|---" * (len(columns) + 1) + "|"
    lines = [head, rule]
    for name, metrics in rows.items():
        cells = [fmt.format(metrics[key]) if key in metrics else "–" for key, _, fmt in columns]
        if "kid_std" in metrics:
            cells[1] += f" ± {metrics['kid_std']:.5f}"
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_json(path: str | Path, payload: Mapping[str, Any]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")

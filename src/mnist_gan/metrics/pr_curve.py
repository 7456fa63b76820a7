"""The precision/recall trade of the truncation trick: one generator scored at each ψ."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

# ψ from the untouched latents down to strong truncation
PSI_GRID = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3)
CURVE_METRICS = ("precision", "recall", "fid", "classes_covered", "label_accuracy")


def truncation_curve(
    score: Callable[[float], Mapping[str, Any]], grid: Sequence[float] = PSI_GRID
) -> list[dict[str, float]]:
    """``score(ψ)``'s precision, recall and FID (and classes, label accuracy) at each ψ."""
    curve = []
    for psi in grid:
        metrics = score(psi)
        curve.append(
            {"truncation": psi} | {k: float(metrics[k]) for k in CURVE_METRICS if k in metrics}
        )
    return curve


def first_precise(curve: Sequence[Mapping[str, float]], precision: float) -> dict | None:
    """The point of largest ψ whose precision reaches ``precision`` (None: no ψ does)."""
    reached = [p for p in curve if p["precision"] >= precision]
    return dict(max(reached, key=lambda p: p["truncation"])) if reached else None


def curve_table(curve: Sequence[Mapping[str, float]]) -> str:
    """The curve as a markdown table, one row per ψ."""
    columns = [k for k in CURVE_METRICS if k in curve[0]]
    lines = ["| ψ | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for point in curve:
        cells = [f"{point[k]:.4g}" for k in columns]
        lines.append(f"| {point['truncation']:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def pr_curve_figure(curve: Sequence[Mapping[str, float]], real: Mapping[str, Any] | None = None):
    """Precision against recall, one point per ψ (labelled), and the real images' point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    recall, precision = [p["recall"] for p in curve], [p["precision"] for p in curve]
    ax.plot(recall, precision, "o-", color="#4c72b0", label="generator, ψ marked")
    for point in curve:
        ax.annotate(
            f"ψ={point['truncation']:g}",
            (point["recall"], point["precision"]),
            textcoords="offset points",
            xytext=(5, 4),
            fontsize=8,
        )
    if real is not None:
        ax.plot(
            real["recall"],
            real["precision"],
            "*",
            color="#c44e52",
            markersize=14,
            label="real training images",
        )
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("recall (real variety covered)")
    ax.set_ylabel("precision (samples that look real)")
    ax.set_title("The truncation trick's trade")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    fig.tight_layout()
    return fig

"""Figures of the metrics (matplotlib, headless)."""

from __future__ import annotations

from collections.abc import Sequence

from mnist_gan.data.idx import NUM_CLASSES


def class_histogram_figure(histogram: Sequence[float]):
    """A bar chart of the share of samples the judge assigns to each digit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(range(NUM_CLASSES), histogram, color="#4c72b0")
    ax.axhline(1 / NUM_CLASSES, color="gray", linestyle="--", linewidth=1, label="uniform")
    ax.set_xticks(range(NUM_CLASSES))
    ax.set_xlabel("digit (judge's prediction)")
    ax.set_ylabel("share of samples")
    ax.legend()
    fig.tight_layout()
    return fig

"""Record D's and G's loss at every step and plot them to a PNG at the end."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_only

from mnist_gan.config.types import Fraction
from mnist_gan.training.losses import MAIN_LOSSES

log = logging.getLogger(__name__)

# The most raw points drawn per loss (a 200-epoch run has ~190,000 steps): evenly thinned.
MAX_RAW_POINTS = 20_000


class LossCurve(L.Callback):
    """Keep every step's D and G loss and write ``path`` when training ends: the raw values
    faint, a moving average over ``smoothing`` of an epoch's steps on top, and each
    epoch's mean as a marker at its end.

    The step values stay on the device during an epoch and are read once at its end (one
    host sync per epoch). The history is saved in checkpoints, so a resumed run plots its
    whole history.

    Args:
        path: the PNG to write.
        smoothing: the moving average's window, as a share of an epoch's steps.
    """

    def __init__(self, path: str, smoothing: Fraction = 0.1) -> None:
        super().__init__()
        self.path = Path(path)
        self.smoothing = smoothing
        self.steps: dict[str, list[int]] = {name: [] for name in MAIN_LOSSES}
        self.values: dict[str, list[float]] = {name: [] for name in MAIN_LOSSES}
        self.epoch_ends: list[int] = []
        self._pending: dict[str, list[tuple[int, torch.Tensor]]] = {}

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._pending = {name: [] for name in MAIN_LOSSES}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        latest = getattr(getattr(pl_module, "scalars", None), "latest", {})
        step = trainer.current_epoch * trainer.num_training_batches + batch_idx + 1
        for name in MAIN_LOSSES:
            if name in latest:
                self._pending.setdefault(name, []).append((step, latest[name]))

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        for name, points in self._pending.items():
            if points:
                self.steps[name].extend(step for step, _ in points)
                self.values[name].extend(torch.stack([v for _, v in points]).float().tolist())
        self._pending = {name: [] for name in MAIN_LOSSES}
        self.epoch_ends.append((trainer.current_epoch + 1) * trainer.num_training_batches)

    @rank_zero_only
    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not any(self.values.values()):
            return
        batches_per_epoch = max(1, trainer.num_training_batches)
        plot_losses(
            self.steps, self.values, self.epoch_ends, batches_per_epoch, self.path, self.smoothing
        )
        log.info("wrote %s", self.path)

    def state_dict(self) -> dict[str, Any]:
        return {
            "steps": {k: list(v) for k, v in self.steps.items()},
            "values": {k: list(v) for k, v in self.values.items()},
            "epoch_ends": list(self.epoch_ends),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if "values" not in state_dict:  # a checkpoint of the sampled curve: start afresh
            return
        self.steps = {name: list(state_dict["steps"].get(name, [])) for name in MAIN_LOSSES}
        self.values = {name: list(state_dict["values"].get(name, [])) for name in MAIN_LOSSES}
        self.epoch_ends = list(state_dict.get("epoch_ends", []))


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """The trailing mean over ``window`` values (fewer at the start), same length."""
    if window <= 1 or len(values) == 0:
        return values.astype(float)
    sums = np.cumsum(np.insert(values.astype(float), 0, 0.0))
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(0, ends - window)
    return (sums[ends] - sums[starts]) / (ends - starts)


def epoch_means(steps: np.ndarray, values: np.ndarray, epoch_ends: list[int]) -> np.ndarray:
    """The mean of ``values`` within each epoch, the epochs ending at ``epoch_ends``."""
    edges = np.searchsorted(steps, np.asarray(epoch_ends), side="right")
    starts = np.concatenate([[0], edges[:-1]])
    return np.array(
        [values[a:b].mean() if b > a else np.nan for a, b in zip(starts, edges, strict=True)]
    )


def loss_axis(raw: np.ndarray, shown: np.ndarray, tail: float = 0.5) -> tuple[float, float]:
    """The y-range: the raw steps' middle ``100 - 2·tail`` percent and every smoothed value
    and epoch mean, padded by a twentieth. Early steps of a GAN spike to many times the
    typical loss, and an axis stretched to them flattens the trend the plot is for."""
    finite = raw[np.isfinite(raw)]
    kept = shown[np.isfinite(shown)]
    low, high = 0.0, 1.0
    if finite.size:
        low = min(np.percentile(finite, tail), kept.min(initial=np.inf))
        high = max(np.percentile(finite, 100 - tail), kept.max(initial=-np.inf))
    pad = max(high - low, 1e-6) / 20
    return float(low - pad), float(high + pad)


def plot_losses(
    steps: dict[str, list[int]],
    values: dict[str, list[float]],
    epoch_ends: list[int],
    batches_per_epoch: int,
    path: Path,
    smoothing: float = 0.1,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.8))
    window = max(1, round(smoothing * batches_per_epoch))
    raw: list[np.ndarray] = []
    shown: list[np.ndarray] = []  # the smoothed lines and epoch means stay inside the axis
    for (name, xs), color in zip(steps.items(), ("tab:blue", "tab:orange"), strict=False):
        if not xs:
            continue
        x, y = np.asarray(xs), np.asarray(values[name], dtype=float)
        label = name.split("/")[-1]
        thin = max(1, len(x) // MAX_RAW_POINTS)
        ax.plot(x[::thin], y[::thin], color=color, alpha=0.2, linewidth=0.5)
        smooth = moving_average(y, window)
        raw.append(y)
        shown.append(smooth)
        ax.plot(
            x,
            smooth,
            color=color,
            linewidth=1.4,
            label=f"{label} (mean of {window} steps)",
        )
        means = epoch_means(x, y, epoch_ends)
        shown.append(np.asarray(means, dtype=float))
        ax.plot(
            epoch_ends,
            means,
            color=color,
            linestyle="none",
            marker="o",
            markersize=3.5,
            markeredgecolor="black",
            markeredgewidth=0.4,
            label=f"{label}, epoch mean",
        )
    if raw:
        ax.set_ylim(*loss_axis(np.concatenate(raw), np.concatenate(shown)))
    ax.set_xlabel(f"batches ({batches_per_epoch} per epoch)")
    ax.set_ylabel("loss (the axis spans 99% of the steps)")
    ax.set_title("GAN losses: every step (faint), smoothed, and per epoch")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

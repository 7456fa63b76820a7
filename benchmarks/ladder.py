"""The time-to-quality ladder: how many training seconds each recipe needs to reach each FID.

    python benchmarks/ladder.py --data-dir ../shared/mnist --minutes 10
    python benchmarks/ladder.py --data-dir ../shared/mnist --minutes 1 --recipes speedrun,minimal

Trains each recipe (``experiment=<name>``: the three tutorial recipes, ``speedrun``,
``no_collapse``, and ``near_real`` once it exists) in this process, one after another,
for ``--minutes`` of training each, scoring 10,000 samples after every epoch. Training
seconds exclude those per-epoch evaluations (they exist only for this measurement).
Prints, per recipe, the training seconds at which FID first fell to 100, 50, 20, 10, 5
and 2 (— when it never did), with the classes covered and the recall at that point; writes
``ladder.csv`` (every evaluation) and ``ladder.png`` (FID against training seconds, log
scales, one line per recipe) into ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

import lightning as L

from mnist_gan.config.compose import CONF_DIR, compose_config
from mnist_gan.train import train

RECIPES = ("plain_mlp", "batchnorm_mlp", "minimal", "speedrun", "no_collapse", "near_real")
RUNGS = (100, 50, 20, 10, 5, 2)


class Ladder(L.Callback):
    """Training seconds (evaluation excluded) and the metrics after every epoch; stops the
    run once its training seconds reach ``budget``."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.seconds = 0.0
        self.points: list[dict[str, float]] = []

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.started = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        if batch_idx + 1 == trainer.num_training_batches:  # before the epoch's evaluation
            self.seconds += time.perf_counter() - self.started

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        metrics = trainer.callback_metrics  # the Evaluation callback has just logged
        if "eval/fid" in metrics:
            self.points.append(
                {
                    "epoch": trainer.current_epoch + 1,
                    "seconds": self.seconds,
                    "fid": float(metrics["eval/fid"]),
                    "classes": float(metrics["eval/classes_covered"]),
                    "recall": float(metrics["eval/recall"]),
                }
            )
        if self.seconds >= self.budget:
            trainer.should_stop = True


def climb(recipe: str, data_dir: Path, minutes: float, where: Path) -> list[dict[str, float]]:
    ladder = Ladder(budget=60 * minutes)
    overrides = [
        f"experiment={recipe}",
        f"data.data_dir={data_dir}",
        "trainer.max_epochs=10000",
        "eval.every_n_epochs=1",
        "callbacks.progress_bar=null",
        "ckpt_path=null",
    ]
    train(compose_config("train", overrides, where / recipe), extra_callbacks=[ladder])
    return ladder.points


def first_reach(points: list[dict[str, float]], rung: float) -> dict[str, float] | None:
    return next((p for p in points if p["fid"] <= rung), None)


def plot(curves: dict[str, list[dict[str, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for recipe, points in curves.items():
        ax.plot(
            [p["seconds"] for p in points], [p["fid"] for p in points], marker=".", label=recipe
        )
    for rung in RUNGS:
        ax.axhline(rung, color="grey", linewidth=0.5, linestyle=":")
    ax.set(xscale="log", yscale="log", xlabel="training seconds (evaluation excluded)")
    ax.set(ylabel="FID (project judge, 10,000 samples)", title="Time to quality on this CPU")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="where MNIST is")
    parser.add_argument("--minutes", type=float, default=10, help="training budget per recipe")
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--out", type=Path, default=Path("."), help="for ladder.csv/.png")
    args = parser.parse_args()
    recipes = [
        r for r in args.recipes.split(",") if (CONF_DIR / "experiment" / f"{r}.yaml").is_file()
    ]
    curves: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for recipe in recipes:
            curves[recipe] = climb(recipe, args.data_dir.resolve(), args.minutes, Path(tmp))
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "ladder.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["recipe", "epoch", "seconds", "fid", "classes", "recall"])
        for recipe, points in curves.items():
            for p in points:
                writer.writerow(
                    [recipe, p["epoch"], f"{p['seconds']:.1f}", p["fid"], p["classes"], p["recall"]]
                )
    plot(curves, args.out / "ladder.png")
    print(f"training budget {args.minutes:g} min per recipe; seconds to first reach FID <= x")
    print("| recipe | " + " | ".join(f"FID ≤ {r}" for r in RUNGS) + " | best FID |")
    print("|---" * (len(RUNGS) + 2) + "|")
    for recipe, points in curves.items():
        cells = []
        for rung in RUNGS:
            hit = first_reach(points, rung)
            cells.append(
                "—"
                if hit is None
                else f"{hit['seconds']:.0f} s ({hit['classes']:.0f} cl., rec. {hit['recall']:.2f})"
            )
        best = min((p["fid"] for p in points), default=float("nan"))
        print(f"| {recipe} | " + " | ".join(cells) + f" | {best:.2f} |", flush=True)


if __name__ == "__main__":
    main()

"""The time-to-quality ladder: how many training seconds each recipe needs to reach each FID.

    python benchmarks/ladder.py --data-dir ../shared/mnist --minutes 8 --keep ladder_runs
    python benchmarks/ladder.py --data-dir ../shared/mnist --minutes 1 --recipes speedrun,minimal

Trains each recipe (``experiment=<name>``: the three tutorial recipes, ``speedrun``,
``no_collapse``, ``near_real``) in this process, one after another, for ``--minutes`` of
training each, and scores 10,000 samples (the run's own evaluation, from its fixed latent
bank) whenever the training clock passes a mark of ``MARKS`` (mid-epoch if need be) and at
the end. The clock counts everything training does (steps, checkpoints, sample grids) and
stops while the ladder's evaluations run, which exist only for this measurement. A recipe
that ends sooner (``near_real`` after its 42 epochs) is scored at its end.

Prints, per recipe, the training seconds at which FID first fell to 100, 50, 20, 10, 5 and
2 (— when it never did) with the classes covered and the recall there; writes
``ladder.csv`` (every evaluation) and ``ladder.png`` (FID against training seconds, log
scales, one line per recipe) into ``--out``. ``--keep DIR`` keeps each recipe's run
directory (``DIR/<recipe>``; its ``checkpoints/last.ckpt`` serves paper_table.py).
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

import lightning as L
from results_page import measured_on, publish

from mnist_gan.callbacks.evaluation import Evaluation
from mnist_gan.config.compose import CONF_DIR, compose_config
from mnist_gan.train import train

RECIPES = ("plain_mlp", "batchnorm_mlp", "minimal", "speedrun", "no_collapse", "near_real")
RUNGS = (100, 50, 20, 10, 5, 2)
# training seconds at which the ladder scores the generator
MARKS = (
    3,
    6,
    10,
    15,
    20,
    30,
    45,
    60,
    90,
    120,
    150,
    180,
    210,
    240,
    270,
    300,
    360,
    420,
    480,
    540,
    600,
    720,
    900,
    1200,
)


class Ladder(L.Callback):
    """Counts training seconds (its own evaluations excluded), scores the generator at each
    mark and at the end, and stops the run once the clock reaches ``budget``."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.seconds = 0.0
        self.points: list[dict[str, float]] = []
        self.marks = [m for m in MARKS if m < budget]

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.evaluation = next(c for c in trainer.callbacks if isinstance(c, Evaluation))

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.tick = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        if trainer.should_stop:  # stopping after this batch (the budget, or the recipe)
            return
        self.seconds += time.perf_counter() - self.tick
        if self.seconds >= self.budget:
            self._score(trainer, pl_module)
            trainer.should_stop = True
        elif self.marks and self.seconds >= self.marks[0]:
            while self.marks and self.seconds >= self.marks[0]:
                self.marks.pop(0)
            self._score(trainer, pl_module)
        self.tick = time.perf_counter()

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not self.points or self.points[-1]["seconds"] < self.seconds:
            self._score(trainer, pl_module)  # the recipe ended before the budget

    def _score(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        metrics = self.evaluation.score(trainer, pl_module)
        # batches across epochs: current_epoch has already moved on when training ends
        batches = trainer.fit_loop.epoch_loop.total_batch_idx + 1
        self.points.append(
            {
                "epochs": round(batches / max(1, trainer.num_training_batches), 3),
                "seconds": self.seconds,
                "fid": float(metrics["fid"]),
                "classes": float(metrics["classes_covered"]),
                "recall": float(metrics["recall"]),
                "precision": float(metrics["precision"]),
            }
        )


def climb(recipe: str, data_dir: Path, minutes: float, where: Path) -> list[dict[str, float]]:
    ladder = Ladder(budget=60 * minutes)
    overrides = [
        f"experiment={recipe}",
        f"data.data_dir={data_dir}",
        "eval.every_n_epochs=1000000",  # the ladder asks the evaluation itself
        "callbacks.progress_bar=null",
        "+trainer.enable_progress_bar=false",
        "trainer.min_epochs=0",  # a budget may end inside the first epoch
        "ckpt_path=null",
    ]
    if recipe != "near_real":  # the others would stop at their epoch counts
        overrides.append("trainer.max_epochs=100000")
    train(compose_config("train", overrides, where / recipe), extra_callbacks=[ladder])
    return ladder.points


def first_reach(points: list[dict[str, float]], rung: float) -> dict[str, float] | None:
    return next((p for p in points if p["fid"] <= rung), None)


def plot(curves: dict[str, list[dict[str, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.5))
    for recipe, points in curves.items():
        ax.plot(
            [p["seconds"] for p in points], [p["fid"] for p in points], marker=".", label=recipe
        )
    for rung in RUNGS:
        ax.axhline(rung, color="grey", linewidth=0.5, linestyle=":")
    ax.axvline(300, color="grey", linewidth=0.8, linestyle="--")
    ax.text(300, ax.get_ylim()[1], " 5 min", va="top", fontsize=8, color="grey")
    ax.set(
        xscale="log", yscale="log", xlabel="training seconds (the ladder's evaluations excluded)"
    )
    ax.set(ylabel="FID (project judge, 10,000 samples)", title="Time to quality on this CPU")
    ax.legend()
    ax.grid(alpha=0.2, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="where MNIST is")
    parser.add_argument("--minutes", type=float, default=8, help="training budget per recipe")
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--out", type=Path, default=Path("."), help="for ladder.csv/.png")
    parser.add_argument("--keep", type=Path, default=None, help="keep the run directories here")
    parser.add_argument("--publish", action="store_true", help="write docs/results.md")
    args = parser.parse_args()
    recipes = args.recipes.split(",")
    unknown = [r for r in recipes if not (CONF_DIR / "experiment" / f"{r}.yaml").is_file()]
    if unknown:
        raise SystemExit(f"no such experiment: {', '.join(unknown)}")
    curves: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep.resolve() if args.keep else Path(tmp)
        for recipe in recipes:
            curves[recipe] = climb(recipe, args.data_dir.resolve(), args.minutes, where)
            print(f"{recipe}: best FID {min(p['fid'] for p in curves[recipe]):.2f}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    fields = ["recipe", "epochs", "seconds", "fid", "classes", "recall", "precision"]
    with open(args.out / "ladder.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(fields)
        for recipe, points in curves.items():
            for p in points:
                writer.writerow([recipe, *(f"{p[f]:.4g}" for f in fields[1:])])
    plot(curves, args.out / "ladder.png")
    lines = [
        f"Each recipe trained for {args.minutes:g} minutes (or to its own end), scored on "
        "10,000 samples at fixed marks of training time (the clock stops while it scores). "
        "Seconds to first reach each FID, with the classes covered and the recall there "
        "(— where never); every point is in [ladder.csv](ladder.csv).",
        "",
        "| recipe | " + " | ".join(f"FID ≤ {r}" for r in RUNGS) + " | best FID (at s) |",
        "|---" * (len(RUNGS) + 2) + "|",
    ]
    for recipe, points in curves.items():
        cells = []
        for rung in RUNGS:
            hit = first_reach(points, rung)
            cells.append(
                "—"
                if hit is None
                else f"{hit['seconds']:.0f} s ({hit['classes']:.0f} cl., rec. {hit['recall']:.2f})"
            )
        best = min(points, key=lambda p: p["fid"])
        lines.append(
            f"| {recipe} | "
            + " | ".join(cells)
            + f" | {best['fid']:.2f} ({best['seconds']:.0f} s) |"
        )
    lines += ["", "![FID against training seconds, one line per recipe](ladder.png)"]
    table = "\n".join(lines)
    print(f"\n{measured_on()}\n\n{table}")
    if args.publish:
        publish("ladder", "The time-to-quality ladder", table)


if __name__ == "__main__":
    main()

"""Mode collapse, measured: each remedy alone on the tutorial recipe, and the recipe that
covers all ten digits against the tutorial recipe given the same wall time.

    python benchmarks/collapse.py remedies [--epochs 10] [--only hinge,r1] [--data-dir data]
    python benchmarks/collapse.py recipe [--data-dir data]
    (--override key=value, repeatable, is added to every run, e.g. intra_op_threads=1)

``remedies``: ``model=batchnorm_mlp`` (PyTorch-GAN's gan.py) with seed 42 for ``--epochs``
epochs, once as published and once with each remedy switched on alone; every final
generator is scored by the judge on 10,000 samples (a conditional one is asked for the
digits 0..9 in turn). One markdown row is printed per run as it finishes.

``recipe``: ``experiment=no_collapse`` is trained and timed; then ``model=batchnorm_mlp`` is
trained for the same wall time (``trainer.max_time``), and both are scored; then the recipe
with ``model.conditional=true``, for comparison. Prints each target, met or missed:
every class between 5% and 15% of samples, KL to uniform ≤ 0.02, recall ≥ 0.5, FID ≤ 1/5
of the tutorial recipe's in the same time, training under 20 minutes. Measure on an idle
machine.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from results_page import measured_on, publish
from scored_run import train_and_score

from mnist_gan.metrics.report import COLUMNS

# Each remedy as its paper (or the common default) sets it; all else is gan.py's recipe.
REMEDIES = {
    "tutorial recipe (batchnorm_mlp)": [],
    "hinge loss": ["model.loss=hinge"],
    "least-squares loss": ["model.loss=least_squares"],
    "WGAN-GP (λ 10, k 5, Adam 1e-4 (0, 0.9))": [
        "model.loss=wasserstein",
        "model.gp_weight=10",
        "model.d_steps=5",
        "model.lr_g=1e-4",
        "model.lr_d=1e-4",
        "model.betas=[0.0,0.9]",
    ],
    "R1 (γ 10)": ["model.r1_weight=10"],
    "spectral norm on D": ["model.discriminator.spectral_norm=true"],
    "instance noise (σ 0.2 → 0 over the run)": [
        "model.instance_noise=0.2",
        "model.instance_noise_epochs=${trainer.max_epochs}",
    ],
    "one-sided label smoothing (0.9)": ["model.real_label=0.9"],
    "PacGAN (m 2)": ["model.discriminator.pack=2"],
    "minibatch stddev": ["model.discriminator.minibatch_std=true"],
    "G EMA (0.999)": ["model.ema_decay=0.999"],
    "conditional G and D": ["model.conditional=true"],
}
TARGETS = "10 classes, each 5–15%; KL ≤ 0.02; recall ≥ 0.5; FID ≤ tutorial's / 5; < 20 min"
EXTRA = (("label_accuracy", "label acc.", "{:.3f}"),)


def header() -> str:
    titles = [title for _, title, _ in COLUMNS + EXTRA]
    return (
        "| run | epochs | train s | "
        + " | ".join(titles)
        + " |\n"
        + "|---" * (len(titles) + 3)
        + "|"
    )


def row(name: str, epochs: int, wall: float, metrics: dict) -> str:
    cells = [fmt.format(metrics[k]) if k in metrics else "–" for k, _, fmt in COLUMNS + EXTRA]
    return f"| {name} | {epochs} | {wall:.0f} | " + " | ".join(cells) + " |"


def remedies(args: argparse.Namespace, out: Path) -> tuple[str, str]:
    chosen = REMEDIES
    if args.only:
        wanted = args.only.split(",")
        chosen = {k: v for k, v in REMEDIES.items() if any(w in k for w in wanted)}
    lines = [
        f"`model=batchnorm_mlp`, seed 42, {args.epochs} epochs, with each remedy alone; "
        "the final generator scored on 10,000 samples.",
        "",
        header(),
    ]
    print(header(), flush=True)
    for i, (name, overrides) in enumerate(chosen.items()):
        base = [
            "model=batchnorm_mlp",
            "seed=42",
            f"trainer.max_epochs={args.epochs}",
            *args.override,
        ]
        wall, epochs, metrics, _ = train_and_score([*base, *overrides], args.data_dir, out / str(i))
        lines.append(row(name, epochs, wall, metrics))
        print(lines[-1], flush=True)
    return "Each remedy against mode collapse alone", "\n".join(lines)


def as_max_time(seconds: float) -> str:
    whole = int(round(seconds))
    return f"00:{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def recipe(args: argparse.Namespace, out: Path) -> tuple[str, str]:
    ours_overrides = ["experiment=no_collapse", *args.override]
    wall, epochs, ours, _ = train_and_score(ours_overrides, args.data_dir, out / "a")
    print(f"no_collapse: {wall:.0f} s", flush=True)
    budget = [
        "model=batchnorm_mlp",
        "trainer.max_epochs=10000",
        "trainer.min_epochs=0",
        f"trainer.max_time={as_max_time(wall)}",
    ]
    ref_wall, ref_epochs, ref, _ = train_and_score(budget, args.data_dir, out / "b")
    print(f"batchnorm_mlp in the same time: {ref_wall:.0f} s", flush=True)
    labelled = [*ours_overrides, "model.conditional=true"]
    c_wall, c_epochs, conditional, _ = train_and_score(labelled, args.data_dir, out / "c")

    shares = ours["histogram"]
    checks = {
        "every class 5–15%": all(0.05 <= s <= 0.15 for s in shares),
        "KL ≤ 0.02": ours["kl_uniform"] <= 0.02,
        "recall ≥ 0.5": ours["recall"] >= 0.5,
        "FID ≤ tutorial's / 5": ours["fid"] <= ref["fid"] / 5,
        "training < 20 min": wall < 20 * 60,
    }
    lines = [
        header(),
        row("experiment=no_collapse", epochs, wall, ours),
        row("batchnorm_mlp, same wall time", ref_epochs, ref_wall, ref),
        row("no_collapse model.conditional=true", c_epochs, c_wall, conditional),
        "",
        f"- class shares {min(shares):.3f}..{max(shares):.3f}; KL {ours['kl_uniform']:.4f}; "
        f"recall {ours['recall']:.3f}; FID {ours['fid']:.2f} vs {ref['fid']:.2f} "
        f"(ratio {ours['fid'] / ref['fid']:.3f}); {wall / 60:.1f} min",
        "- " + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in checks.items()),
    ]
    title = "no_collapse: all ten digits against the tutorial recipe in the same time"
    return title, "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["remedies", "recipe"])
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--only", default=None, help="comma-separated parts of remedy names")
    parser.add_argument(
        "--override", action="append", default=[], help="an extra override for every run"
    )
    parser.add_argument("--publish", action="store_true", help="write docs/results.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        title, table = (remedies if args.what == "remedies" else recipe)(args, Path(tmp))
    print(f"\n{measured_on()}\n\n{table}")
    if args.publish:
        publish(f"collapse_{args.what}", title, table)


if __name__ == "__main__":
    main()

"""The truncation trick's precision/recall trade for near_real and its conditional variant.

    python benchmarks/truncation.py --data-dir ../shared/mnist --publish
    python benchmarks/truncation.py --data-dir ../shared/mnist --ckpt near_real=<last.ckpt>

Trains ``python train.py experiment=near_real`` (seed 42) and the same with
``model.conditional=true``, each in its own process and timed whole (evaluation included),
unless ``--ckpt NAME=PATH`` names checkpoints; then ``eval.py pr_curve=true`` scores each on
10,000 samples at ψ = 1.0, 0.9, …, 0.3. Prints each curve, the largest ψ whose precision
reaches 0.85 with the recall and FID there, and the targets met or missed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from results_page import measured_on, publish

from mnist_gan.config.compose import compose_config
from mnist_gan.evaluate import evaluate
from mnist_gan.metrics.pr_curve import curve_table, first_precise

from timing import run_entry_point

PRECISION = 0.85
RECALL_AT_PRECISION = 0.6  # the unconditional recipe's target
MINUTES = 5.0
LABEL_ACCURACY = 0.99
RECIPES = {"near_real": [], "near_real model.conditional=true": ["model.conditional=true"]}


def trained(name: str, overrides: list[str], data_dir: Path, out: Path) -> tuple[Path, float]:
    seconds, code, stderr = run_entry_point(
        [
            "experiment=near_real",
            "seed=42",
            *overrides,
            f"data.data_dir={data_dir}",
            "callbacks.progress_bar=null",
            "ckpt_path=null",
        ],
        out,
    )
    if code != 0:
        raise SystemExit(f"train.py {name} failed: {stderr.strip()[-800:]}")
    return out / "checkpoints" / "last.ckpt", seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="where MNIST is")
    parser.add_argument("--ckpt", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--publish", action="store_true", help="write docs/results.md")
    args = parser.parse_args()
    given = dict(spec.split("=", 1) for spec in args.ckpt)
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, overrides in RECIPES.items():
            if given and name not in given:
                continue
            run_dir = Path(tmp) / name.replace(" ", "_").replace("=", "-")
            if name in given:
                ckpt, seconds = Path(given[name]), None
            else:
                ckpt, seconds = trained(name, overrides, args.data_dir.resolve(), run_dir)
            cfg = compose_config(
                "eval",
                [
                    f"ckpt_path={ckpt}",
                    f"data.data_dir={args.data_dir.resolve()}",
                    "pr_curve=true",
                    "device=cpu",
                ],
                Path(tmp) / f"eval_{run_dir.name}",
            )
            payload = evaluate(cfg)
            curve, real = payload["pr_curve"], payload["real_reference"]
            best = first_precise(curve, PRECISION)
            lines += [
                f"### `experiment=near_real{' ' + ' '.join(overrides) if overrides else ''}`",
                "",
            ]
            if seconds is not None:
                lines.append(f"- `train.py` wall time, evaluation included: {seconds:.0f} s")
            lines.append(
                f"- real training images: precision {real['precision']:.3f}, recall "
                f"{real['recall']:.3f}, FID {real['fid']:.3f}"
            )
            lines += ["", curve_table(curve), ""]
            if best is None:
                lines.append(f"- no ψ reaches precision {PRECISION}")
            else:
                lines.append(
                    f"- precision ≥ {PRECISION} first at ψ = {best['truncation']:g}: recall "
                    f"{best['recall']:.3f}, FID {best['fid']:.3f}"
                )
            if not overrides:
                met = any(
                    p["precision"] >= PRECISION and p["recall"] >= RECALL_AT_PRECISION
                    for p in curve
                )
                lines.append(
                    f"- target precision ≥ {PRECISION} with recall ≥ "
                    f"{RECALL_AT_PRECISION} at some ψ: {'met' if met else 'missed'}"
                )
            else:
                accuracy = curve[0].get("label_accuracy", 0.0)
                lines.append(
                    f"- label accuracy at ψ = 1: {accuracy:.3f} (target ≥ "
                    f"{LABEL_ACCURACY}: {'met' if accuracy >= LABEL_ACCURACY else 'missed'})"
                )
                if seconds is not None:
                    verdict = "met" if seconds <= 60 * MINUTES else "missed"
                    lines.append(f"- within {MINUTES:g} min, evaluation included: {verdict}")
            lines.append("")
            print("\n".join(lines[-12:]), flush=True)
            print(json.dumps(curve), flush=True)
    table = "\n".join(lines)
    print(f"\n{measured_on()}\n\n{table}")
    if args.publish:
        publish("truncation", "The truncation trick: precision against recall", table)


if __name__ == "__main__":
    main()

"""Goodfellow et al. 2014, Table 1, beside this template's generators: the Parzen-window
log-likelihood of the MNIST test set under 10,000 samples of each.

    python benchmarks/paper_table.py --data-dir ../shared/mnist \
        --ckpt no_collapse=outputs/no_collapse/<run>/checkpoints/last.ckpt \
        --ckpt batchnorm_mlp=outputs/batchnorm_mlp/<run>/checkpoints/last.ckpt

Prints the paper's four rows, then one row per ``--ckpt`` (10,000 samples from a seeded
latent bank) and one for 10,000 real training images (indices 0-9,999) used as samples,
each with its σ and the seconds it took. The protocol is in ``mnist_gan/metrics/parzen.py``.
Theis et al. (2016): such estimates reward memorised, blurred or nearby samples and rank
models poorly, so the table is a link to the paper, not a verdict.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from results_page import measured_on, publish

from mnist_gan.checkpoints import load_gan
from mnist_gan.data.datamodule import MNISTDataModule
from mnist_gan.metrics.parzen import PAPER_SAMPLES, parzen_score, protocol_images
from mnist_gan.sampling import sample_images

PAPER = (
    ("DBN (paper)", 138.0, 2.0),
    ("Stacked CAE (paper)", 121.0, 1.6),
    ("Deep GSN (paper)", 214.0, 1.1),
    ("Adversarial nets (paper)", 225.0, 2.0),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="where MNIST is")
    parser.add_argument("--ckpt", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--seed", type=int, default=0, help="of the latent bank")
    parser.add_argument("--publish", action="store_true", help="write docs/results.md")
    args = parser.parse_args()

    dm = MNISTDataModule(data_dir=str(args.data_dir), download=False)
    validation, test = protocol_images(dm)
    lines = [
        "The Parzen-window log-likelihood of the MNIST test set under 10,000 samples (the "
        "paper's rows first; higher is better, and it ranks models poorly: Theis et al. 2016).",
        "",
        "| model | Parzen log-likelihood (nats) | σ | seconds |",
        "|---|---|---|---|",
        *(f"| {name} | {ll:.0f} ± {se} | | |" for name, ll, se in PAPER),
    ]
    rows = [(spec.split("=", 1)[0], Path(spec.split("=", 1)[1])) for spec in args.ckpt]
    for name, path in [*rows, ("real training images 0-9,999", None)]:
        start = time.perf_counter()
        if path is None:
            samples = dm.train_images[:PAPER_SAMPLES].float() / 255
        else:
            samples = sample_images(load_gan(path), PAPER_SAMPLES, args.seed)
        score = parzen_score(samples.reshape(len(samples), -1), validation, test)
        seconds = time.perf_counter() - start
        lines.append(
            f"| {name} | {score.ll:.0f} ± {score.se:.1f} | {score.sigma:.3f} | {seconds:.0f} |"
        )
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    print(f"\n{measured_on()}\n\n{table}")
    if args.publish:
        publish("paper_table", "The original paper's table (Parzen-window log-likelihood)", table)


if __name__ == "__main__":
    main()

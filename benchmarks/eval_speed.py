"""Time scoring 10,000 images with every metric, and print the real-data floor row.

    python benchmarks/eval_speed.py [--data-dir data] [--num-samples 10000]

Reference features (the MNIST test set) are computed once, as during training; then 10,000
real training images are scored like a generator's samples (features, FID, KID, IS,
coverage, precision/recall). Measure on an idle machine.
"""

from __future__ import annotations

import argparse
import time

from results_page import measured_on, publish

from mnist_gan.data import MNISTDataModule
from mnist_gan.evaluate import real_train_sample
from mnist_gan.metrics.evaluator import GanEvaluator
from mnist_gan.metrics.report import markdown_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--num-samples", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--publish", action="store_true", help="write docs/results.md")
    args = parser.parse_args()
    dm = MNISTDataModule(data_dir=args.data_dir)
    evaluator = GanEvaluator()
    start = time.perf_counter()
    evaluator.set_real(dm.reference_images())
    setup = time.perf_counter() - start
    samples = real_train_sample(dm, args.num_samples, seed=0)
    times = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        result = evaluator.evaluate(samples)
        times.append(time.perf_counter() - start)
    table = "\n".join(
        [
            f"- real reference features (once per run): {setup:.1f} s",
            f"- scoring {args.num_samples} images with every metric: "
            + ", ".join(f"{t:.1f}" for t in times)
            + f" s (median {sorted(times)[len(times) // 2]:.1f} s)",
            "",
            markdown_table({f"{args.num_samples} real train images vs test set": result}),
        ]
    )
    print(f"{measured_on()}\n\n{table}")
    if args.publish:
        publish("eval_speed", "Evaluation: its cost, and the real-data floor", table)


if __name__ == "__main__":
    main()

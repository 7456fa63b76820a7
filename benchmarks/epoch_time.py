"""Seconds per epoch of each variant through the template's own training path.

    python benchmarks/epoch_time.py [--epochs 2] [--data-dir data] [--models plain_mlp,...]

Runs ``train(cfg)`` (Lightning ``Trainer.fit``, default data path and callbacks, the
batch size each model config sets) for ``--epochs`` epochs and reports the wall time of
each epoch, timed by a callback from epoch start to epoch end. Prints a markdown table.
Measure on an idle machine: another busy process on the cores distorts every figure.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch

from mnist_gan.config.compose import compose_config
from mnist_gan.train import train

from timing import EpochTimer


def time_variant(model: str, epochs: int, data_dir: str, out: Path) -> tuple[list[float], int, int]:
    overrides = [
        f"model={model}",
        f"data.data_dir={data_dir}",
        f"trainer.max_epochs={epochs}",
        "trainer.accelerator=cpu",
        "callbacks.progress_bar=null",
    ]
    cfg = compose_config("train", overrides, out / model)
    timer = EpochTimer()
    train(cfg, extra_callbacks=[timer])
    return timer.times, timer.batches, int(cfg.data.batch_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--models", default="plain_mlp,batchnorm_mlp,minimal")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            times, batches, batch_size = time_variant(model, args.epochs, args.data_dir, Path(tmp))
            rows.append((model, batch_size, batches, times))
    print(f"\ntorch {torch.__version__}, {torch.get_num_threads()} intra-op threads, CPU")
    print("| variant | batch | batches/epoch | s/epoch (each epoch) | images/s (last epoch) |")
    print("|---|---|---|---|---|")
    for model, batch_size, batches, times in rows:
        each = ", ".join(f"{t:.1f}" for t in times)
        print(f"| {model} | {batch_size} | {batches} | {each} | {60000 / times[-1]:,.0f} |")


if __name__ == "__main__":
    main()

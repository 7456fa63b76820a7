"""Speed of the template against the tutorial loop and this CPU's arithmetic floor.

    python benchmarks/speed.py [--data-dir data] [--rounds 3] [--models ...] [--batches N]
    python benchmarks/speed.py --speedrun [--data-dir data]

In one process, for each variant at its configured batch size, the contenders run
interleaved (tutorial, template, tutorial, template, …) and the median of the rounds is
reported:

- tutorial: the classic loop, written here as the reference competitor: torchvision's
  ``MNIST`` with ``ToTensor`` + ``Normalize``, ``DataLoader(shuffle=True)``, the same
  networks with a Sigmoid and ``nn.BCELoss``, Adam, the variant's step order;
- template: this project's ``train(cfg)`` (Lightning ``Trainer.fit``, default data path,
  callbacks and logging; evaluation off with ``eval.every_n_epochs=0``), timed by a
  callback from epoch start to epoch end;
- floor: the FLOPs one epoch needs (``callbacks.run_summary.step_flops``: the matmuls of
  every forward and backward pass the recipe requires, not the tutorial's extra D weight
  gradients during G's step) divided by the matmul rate measured in this run.

``--batches N`` times N batches per epoch and scales to a full epoch (a quick look);
without it every epoch is complete. After the table: the cost of one evaluation (which
training runs every ``eval.every_n_epochs``), the peak RSS of a real training run in its
own process, and how long a mistyped ``model=nope`` takes to fail.

``--speedrun`` trains the tutorial recipe (``model=batchnorm_mlp``, 30 epochs) and
``experiment=speedrun`` on the template, one after the other, and prints each one's training
wall time and the judge's metrics for its final generator (10,000 samples, same seeds).
Measure on an idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from hydra.utils import instantiate
from results_page import measured_on, publish
from scored_run import train_and_score
from torch import nn

from mnist_gan.callbacks.run_summary import step_flops
from mnist_gan.config.compose import compose_config
from mnist_gan.data import MNISTDataModule
from mnist_gan.data.idx import MNIST_FILES
from mnist_gan.evaluate import make_evaluator
from mnist_gan.metrics.report import COLUMNS
from mnist_gan.sampling import sample_images
from mnist_gan.train import train

from timing import EpochTimer, run_entry_point

MNIST_TRAIN = MNIST_FILES[0].count
SPEEDRUN_REFERENCE = ["model=batchnorm_mlp", "trainer.max_epochs=30"]


def matmul_rate(seconds: float = 2.0, dtype: torch.dtype = torch.float32) -> float:
    """FLOP/s of a matmul of the networks' size (64×1024 by 1024×784) in ``dtype``."""
    a, b = torch.randn(64, 1024, dtype=dtype), torch.randn(1024, 784, dtype=dtype)
    a @ b
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        n += 1
    return 2 * 64 * 1024 * 784 * n / (time.perf_counter() - start)


def model_cfg(model: str, data_dir: str):
    return compose_config("train", [f"model={model}", f"data.data_dir={data_dir}"])


def tutorial_epoch(cfg, data_dir: str, max_batches: int | None) -> tuple[float, int]:
    """The tutorial loop for one epoch (or ``max_batches``); returns (seconds, batches)."""
    from torchvision import datasets, transforms

    low, high = cfg.data.value_range
    to_range = [transforms.Normalize([0.5], [0.5])] if low < 0 else []
    dataset = datasets.MNIST(
        data_dir,
        train=True,
        download=False,
        transform=transforms.Compose([transforms.ToTensor(), *to_range]),
    )
    loader = torch.utils.data.DataLoader(dataset, batch_size=int(cfg.data.batch_size), shuffle=True)
    generator = instantiate(cfg.model.generator, latent_dim=int(cfg.model.latent_dim))
    discriminator = nn.Sequential(instantiate(cfg.model.discriminator), nn.Sigmoid())
    betas = tuple(cfg.model.betas)
    opt_g = torch.optim.Adam(generator.parameters(), lr=cfg.model.lr_g, betas=betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=cfg.model.lr_d, betas=betas)
    bce = nn.BCELoss()
    latent = int(cfg.model.latent_dim)
    uniform = cfg.model.latent_distribution == "uniform"

    def noise(n):
        return torch.rand(n, latent) * 2 - 1 if uniform else torch.randn(n, latent)

    start, batches = time.perf_counter(), 0
    for images, _ in loader:
        n = images.shape[0]
        ones, zeros = torch.ones(n), torch.zeros(n)
        if cfg.model.step_order == "g_first":
            opt_g.zero_grad()
            fake = generator(noise(n))
            g_loss = bce(discriminator(fake), ones)
            g_loss.backward()
            opt_g.step()
            opt_d.zero_grad()
            d_loss = (
                bce(discriminator(images), ones) + bce(discriminator(fake.detach()), zeros)
            ) / 2
            d_loss.backward()
            opt_d.step()
        else:
            opt_d.zero_grad()
            fake = generator(noise(n)).detach()
            d_loss = (bce(discriminator(images), ones) + bce(discriminator(fake), zeros)) / 2
            d_loss.backward()
            opt_d.step()
            opt_g.zero_grad()
            g_loss = bce(discriminator(generator(noise(n))), ones)
            g_loss.backward()
            opt_g.step()
        batches += 1
        if max_batches and batches >= max_batches:
            break
    return time.perf_counter() - start, batches


def template_epoch(model: str, data_dir: str, max_batches: int | None, out: Path):
    overrides = [
        f"model={model}",
        f"data.data_dir={data_dir}",
        "trainer.max_epochs=1",
        "eval.every_n_epochs=0",
    ]
    if max_batches:
        overrides.append(f"trainer.limit_train_batches={max_batches}")
    timer = EpochTimer()
    train(compose_config("train", overrides, out), extra_callbacks=[timer])
    return timer.times[-1], timer.batches


def evaluation_cost(data_dir: str) -> tuple[float, float]:
    """(seconds to score one generator's samples, seconds for the real features, once)."""
    cfg = model_cfg("batchnorm_mlp", data_dir)
    evaluator = make_evaluator(cfg.eval, torch.device("cpu"))
    dm = MNISTDataModule(data_dir=data_dir)
    start = time.perf_counter()
    evaluator.set_real(dm.reference_images(cfg.eval.num_real))
    setup = time.perf_counter() - start
    gan = instantiate(cfg.model, _recursive_=False)
    start = time.perf_counter()
    images = sample_images(gan, cfg.eval.num_samples, cfg.eval.seed, cfg.eval.batch_size)
    evaluator.evaluate(images)
    return time.perf_counter() - start, setup


# Runs train.py in this interpreter and reports the process's peak RSS from VmHWM (per
# address space: getrusage's ru_maxrss would also count the forking parent's pages).
def last_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[-1]


def training_run_rss(data_dir: str, out: Path) -> float:
    """Peak RSS (GB) of ``train.py model=batchnorm_mlp`` for one epoch and its evaluation."""
    _, code, stderr = run_entry_point(
        [
            "model=batchnorm_mlp",
            f"data.data_dir={Path(data_dir).resolve()}",
            "trainer.max_epochs=1",
            "callbacks.progress_bar=null",
        ],
        out,
        report_peak_rss=True,
    )
    peaks = [line for line in stderr.splitlines() if line.startswith("PEAK ")]
    if code != 0 or not peaks:
        raise SystemExit(f"the training run failed: {stderr.strip()[-500:]}")
    return int(peaks[-1].split()[1]) / 1024**2


def speedrun(data_dir: str, out: Path) -> str:
    """The tutorial recipe for 30 epochs against ``experiment=speedrun``: time and metrics."""
    runs = {"tutorial recipe, 30 epochs": SPEEDRUN_REFERENCE, "speedrun": ["experiment=speedrun"]}
    results = {}
    for name, overrides in runs.items():
        run_dir = out / name.split(",")[0].replace(" ", "_")
        wall, epochs, metrics, cfg = train_and_score(overrides, data_dir, run_dir)
        recipe = (
            f"batch {cfg.data.batch_size}, G {list(cfg.model.generator.hidden)}, "
            f"D {list(cfg.model.discriminator.hidden)}, lr {cfg.model.lr_g:g}/{cfg.model.lr_d:g}, "
            f"betas {list(cfg.model.betas)}, k {cfg.model.d_steps}, {epochs} epochs"
        )
        results[name] = (wall, recipe, metrics)
        print(f"{name}: {wall:.0f} s", flush=True)

    keys = [(key, title) for key, title, _ in COLUMNS]
    lines = ["| run | recipe | train wall s | " + " | ".join(t for _, t in keys) + " |"]
    lines.append("|---" * (len(keys) + 3) + "|")
    fmts = {key: fmt for key, _, fmt in COLUMNS}
    for name, (wall, recipe, metrics) in results.items():
        cells = " | ".join(fmts[key].format(metrics[key]) for key, _ in keys)
        lines.append(f"| {name} | {recipe} | {wall:.0f} | {cells} |")
    (ref_wall, *_, ref), (run_wall, *_, fast) = results.values()
    lines += [
        "",
        f"speedrun ÷ reference wall time: {run_wall / ref_wall:.3f} (target ≤ 0.2); "
        f"FID {fast['fid']:.1f} vs {ref['fid']:.1f} (target ≤); "
        f"classes {fast['classes_covered']:.0f} vs {ref['classes_covered']:.0f} (target ≥)",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--models", default="batchnorm_mlp,plain_mlp,minimal")
    parser.add_argument("--batches", type=int, default=None)
    parser.add_argument("--speedrun", action="store_true")
    parser.add_argument("--publish", action="store_true", help="write docs/results.md")
    args = parser.parse_args()
    print(measured_on(), flush=True)
    if args.speedrun:
        with tempfile.TemporaryDirectory() as tmp:
            table = speedrun(args.data_dir, Path(tmp))
        print(f"\n{measured_on()}\n\n{table}")
        if args.publish:
            publish(
                "speedrun", "Speedrun: the tutorial's 30 epochs against experiment=speedrun", table
            )
        return

    rate, bf16_rate = matmul_rate(), matmul_rate(dtype=torch.bfloat16)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            cfg = model_cfg(model, args.data_dir)
            per_epoch = -(-MNIST_TRAIN // int(cfg.data.batch_size))
            gan = instantiate(cfg.model, _recursive_=False)
            floor = step_flops(gan, int(cfg.data.batch_size)) * per_epoch / rate
            times = {"tutorial": [], "template": []}
            for r in range(args.rounds):
                seconds, batches = tutorial_epoch(cfg, args.data_dir, args.batches)
                times["tutorial"].append(seconds * per_epoch / batches)
                seconds, batches = template_epoch(
                    model, args.data_dir, args.batches, Path(tmp) / f"{model}_{r}"
                )
                times["template"].append(seconds * per_epoch / batches)
            rows.append(
                (
                    model,
                    int(cfg.data.batch_size),
                    floor,
                    statistics.median(times["tutorial"]),
                    statistics.median(times["template"]),
                    times,
                )
            )
        eval_seconds, reference_seconds = evaluation_cost(args.data_dir)
        rss_gb = training_run_rss(args.data_dir, Path(tmp) / "rss")
        nope_seconds, nope_code, nope_stderr = run_entry_point(["model=nope"], Path(tmp) / "nope")
        nope_message = last_line(nope_stderr)

    lines = [
        f"Matmul 64×1024·1024×784: float32 {rate / 1e9:.1f} GFLOP/s, bf16 "
        f"{bf16_rate / 1e9:.1f} GFLOP/s ({bf16_rate / rate:.2g}× float32)"
        + (f"; {args.batches} batches per epoch, scaled to an epoch" if args.batches else "")
        + ".",
        "",
        "| variant | batch | floor s/epoch | tutorial s/epoch | template s/epoch "
        "| template img/s | template ÷ tutorial | template ÷ floor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for model, batch, floor, tutorial, template, _ in rows:
        lines.append(
            f"| {model} | {batch} | {floor:.1f} | {tutorial:.1f} | {template:.1f} | "
            f"{MNIST_TRAIN / template:,.0f} | {tutorial / template:.2f}× | "
            f"{template / floor:.2f} |"
        )
    lines.append("")
    for model, *_, times in rows:
        lines.append(
            f"- rounds {model}: "
            + "; ".join(f"{k} " + ", ".join(f"{t:.1f}" for t in v) for k, v in times.items())
        )
    lines += [
        f"- evaluation (every eval.every_n_epochs epochs): {eval_seconds:.1f} s to sample and "
        f"score 10,000 images; real reference features, once per run: {reference_seconds:.1f} s",
        f"- peak RSS of a training run (train.py model=batchnorm_mlp, 1 epoch + its "
        f"evaluation, own process): {rss_gb:.2f} GB",
        f"- train.py model=nope: exit {nope_code} after {nope_seconds:.1f} s: {nope_message[:120]}",
    ]
    table = "\n".join(lines)
    print(f"\n{measured_on()}\n\n{table}")
    if args.publish:
        publish(
            "speed", "Speed: the template against the tutorial loop and the matmul floor", table
        )


if __name__ == "__main__":
    main()

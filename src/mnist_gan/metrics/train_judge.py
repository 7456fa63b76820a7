"""Retrain the judge: ``python -m mnist_gan.metrics.train_judge --data-dir data --out judge.pt``.

Seeded and deterministic on CPU: the same command on the same machine gives the same
weights. Prints the test accuracy, the file's size and its sha256 (the pin in judge.py).
Training uses random shifts of up to 2 pixels; evaluation uses the images as they are.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from mnist_gan.data.datamodule import MNISTDataModule
from mnist_gan.metrics.judge import JudgeNet


def random_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Shift each image by up to ``max_shift`` pixels in x and y (zero fill), vectorised."""
    n = x.shape[0]
    padded = F.pad(x, (max_shift,) * 4)
    dx = torch.randint(0, 2 * max_shift + 1, (n,), generator=generator)
    dy = torch.randint(0, 2 * max_shift + 1, (n,), generator=generator)
    rows = (dy.view(n, 1) + torch.arange(28).view(1, 28)).view(n, 28, 1)
    cols = (dx.view(n, 1) + torch.arange(28).view(1, 28)).view(n, 1, 28)
    return padded[:, 0][torch.arange(n).view(n, 1, 1), rows, cols].unsqueeze(1)


@torch.no_grad()
def accuracy(judge: JudgeNet, images: torch.Tensor, labels: torch.Tensor) -> float:
    judge.eval()
    correct = sum(
        (judge(images[i : i + 2000]).argmax(1) == labels[i : i + 2000]).sum().item()
        for i in range(0, len(images), 2000)
    )
    return correct / len(images)


@torch.no_grad()
def calibrate_feature_scale(judge: JudgeNet, images: torch.Tensor) -> float:
    """Set ``judge.feature_scale`` to the RMS per-dimension std of its raw features."""
    judge.eval()
    raw = torch.cat([judge.raw_features(x) for x in images.split(2000)]).double()
    scale = raw.var(dim=0).mean().sqrt()
    judge.feature_scale.fill_(scale.item())
    return float(scale)


def train_judge(
    data_dir: str, epochs: int = 12, batch_size: int = 128, lr: float = 2e-3, seed: int = 0
) -> tuple[JudgeNet, float]:
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    dm = MNISTDataModule(data_dir=data_dir, value_range=(0.0, 1.0))
    train_x, train_y = dm.read_split(train=True)
    test_x, test_y = dm.read_split(train=False)
    train_x = train_x.float().div(255).unsqueeze(1)
    test_x = test_x.float().div(255).unsqueeze(1)

    judge = JudgeNet()
    steps = epochs * (len(train_x) // batch_size)
    opt = torch.optim.Adam(judge.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    g = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        judge.train()
        start = time.perf_counter()
        order = torch.randperm(len(train_x), generator=g)
        for i in range(0, len(order) - batch_size + 1, batch_size):
            idx = order[i : i + batch_size]
            x = random_shift(train_x[idx], 2, g)
            loss = F.cross_entropy(judge(x), train_y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        acc = accuracy(judge, test_x, test_y)
        print(
            f"epoch {epoch + 1}/{epochs}: loss {loss.item():.4f}, test accuracy {acc:.4%} "
            f"({time.perf_counter() - start:.0f} s)",
            flush=True,
        )
    scale = calibrate_feature_scale(judge, train_x)
    print(f"feature scale (RMS per-dimension std on the training set): {scale:.6g}")
    return judge, accuracy(judge, test_x, test_y)


def main() -> None:
    parser = argparse.ArgumentParser(description="Retrain the MNIST judge used by the metrics.")
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--out", default="judge.pt")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    judge, acc = train_judge(args.data_dir, epochs=args.epochs, seed=args.seed)
    buffer = io.BytesIO()
    torch.save(judge.state_dict(), buffer)
    blob = buffer.getvalue()
    Path(args.out).write_bytes(blob)
    print(
        f"test accuracy {acc:.4%}; wrote {args.out}: {len(blob):,} bytes, "
        f"sha256 {hashlib.sha256(blob).hexdigest()}"
    )


if __name__ == "__main__":
    main()

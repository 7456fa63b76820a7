"""Console-script entry points (``mnist-gan-train``, ``-eval``, ``-generate``).

They read the configs shipped in the package. Heavy imports (torch, Lightning) happen only
after Hydra has composed the config, so a mistyped override fails fast.
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

import mnist_gan  # noqa: F401  (registers the config resolvers)

CONFIG_PATH = "pkg://mnist_gan.conf"


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="train")
def train_main(cfg: DictConfig) -> float | None:
    from mnist_gan.pipeline import train

    metrics = train(cfg)
    return metrics.get(cfg.get("optimized_metric") or "", None)


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="eval")
def eval_main(cfg: DictConfig) -> None:
    from mnist_gan.evaluate import evaluate

    evaluate(cfg)


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="generate")
def generate_main(cfg: DictConfig) -> None:
    from mnist_gan.generate import generate

    generate(cfg)

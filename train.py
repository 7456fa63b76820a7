"""Train a GAN on MNIST: ``python train.py model=batchnorm_mlp trainer.max_epochs=200``."""

import hydra
from omegaconf import DictConfig

import mnist_gan  # noqa: F401  (registers the config resolvers; imports no torch)


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg: DictConfig) -> float | None:
    from mnist_gan.pipeline import train

    metrics = train(cfg)
    return metrics.get(cfg.get("optimized_metric") or "", None)


if __name__ == "__main__":
    main()

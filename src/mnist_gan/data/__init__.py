"""MNIST for the GAN. ``MNISTDataModule`` (torch, Lightning) is imported on first use so
the torch-free parts (file checks, errors) load fast for early config validation."""

from typing import Any

from mnist_gan.errors import MNISTDataError

__all__ = ["MNISTDataError", "MNISTDataModule"]


def __getattr__(name: str) -> Any:
    if name == "MNISTDataModule":
        from mnist_gan.data.datamodule import MNISTDataModule

        return MNISTDataModule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

from mnist_gan.data.datamodule import MNISTDataModule
from mnist_gan.data.errors import MNISTDataError

__all__ = ["MNISTDataError", "MNISTDataModule"]

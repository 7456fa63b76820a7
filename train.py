"""Train a GAN on MNIST: ``python train.py model=batchnorm_mlp trainer.max_epochs=200``.

The same as the ``mnist-gan-train`` console script; the configs are in ``conf/``.
"""

from mnist_gan.cli import train_main

if __name__ == "__main__":
    train_main()

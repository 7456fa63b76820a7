"""Sample a checkpoint: ``python generate.py ckpt_path=... num_samples=1000``."""

from mnist_gan.cli import generate_main

if __name__ == "__main__":
    generate_main()

"""Score a checkpoint: ``python eval.py ckpt_path=outputs/<run>/checkpoints/last.ckpt``."""

from mnist_gan.cli import eval_main

if __name__ == "__main__":
    eval_main()

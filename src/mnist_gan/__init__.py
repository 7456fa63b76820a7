"""mnist-gan: train, measure and sample GANs on MNIST with Lightning + Hydra.

Importing the package is cheap (no torch): it only registers the OmegaConf resolvers the
configs use, so a mistyped config fails before any heavy import.
"""

import warnings

from mnist_gan.config.resolvers import register_resolvers

register_resolvers()
# conf/hydra/launcher/submitit_slurm.yaml sets this project's per-job resources on top of
# the submitit plugin's schema of the same name; Hydra 1.3 (pinned < 1.4) merges the two
# as documented but warns about it on every sweep.
warnings.filterwarnings(
    "ignore", message=r"\s*'hydra/launcher/submitit_slurm' is validated against ConfigStore"
)

__version__ = "0.1.0"

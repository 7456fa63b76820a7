"""mnist-gan: train, measure and sample GANs on MNIST with Lightning + Hydra.

Importing the package is cheap (no torch): it only registers the OmegaConf resolvers the
configs use, so a mistyped config fails before any heavy import.
"""

from mnist_gan.config_resolvers import register_resolvers

register_resolvers()

__version__ = "0.1.0"

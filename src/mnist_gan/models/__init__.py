from mnist_gan.models.dcgan import ConvDiscriminator, ConvGenerator
from mnist_gan.models.mlp import MLPDiscriminator, MLPGenerator

__all__ = ["ConvDiscriminator", "ConvGenerator", "MLPDiscriminator", "MLPGenerator"]

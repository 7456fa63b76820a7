from mnist_gan.callbacks.evaluation import Evaluation
from mnist_gan.callbacks.loss_curve import LossCurve
from mnist_gan.callbacks.sample_animation import SampleAnimation
from mnist_gan.callbacks.sample_grid import SampleGrid

__all__ = ["Evaluation", "LossCurve", "SampleAnimation", "SampleGrid"]

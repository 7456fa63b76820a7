from mnist_gan.callbacks.best_checkpoint import BestCheckpoint
from mnist_gan.callbacks.evaluation import Evaluation
from mnist_gan.callbacks.last_checkpoint import LastCheckpoint
from mnist_gan.callbacks.loss_curve import LossCurve
from mnist_gan.callbacks.run_progress import RunProgress
from mnist_gan.callbacks.run_summary import RunSummary
from mnist_gan.callbacks.sample_animation import SampleAnimation
from mnist_gan.callbacks.sample_grid import SampleGrid

__all__ = [
    "BestCheckpoint",
    "Evaluation",
    "LastCheckpoint",
    "LossCurve",
    "RunProgress",
    "RunSummary",
    "SampleAnimation",
    "SampleGrid",
]

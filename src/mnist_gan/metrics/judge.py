"""The judge: a small MNIST classifier whose features and logits score generated digits.

Inception weights cannot be downloaded offline, and Inception is a poor judge of 28×28
digits, so the project ships its own: a plain CNN (no dropout, no batch-norm, so eval mode
is the same function as train mode), trained by ``python -m mnist_gan.metrics.train_judge``.
Its weights are part of the package, pinned by sha256 and loaded with ``weights_only=True``.

Every image reaches the judge in one canonical form: float in [0, 1], shape N×1×28×28.
"""

from __future__ import annotations

import hashlib
from importlib import resources

import torch
from torch import nn

from mnist_gan.data.idx import NUM_CLASSES

WEIGHTS_FILE = "judge.pt"
WEIGHTS_SHA256 = "1c0ab05bcdef7d57c3a91f4544c89020c44540fd542bc8723ec4cb7928ccff33"
NUM_FEATURES = 128


class JudgeNet(nn.Module):
    """conv(16)-pool-conv(32)-pool-conv(64)-pool → 128 features (ReLU) → 10 logits.

    About 4 MFLOP per image, so a CPU scores 10,000 samples quickly; trained for 12 epochs
    with random 2-pixel shifts, seed 0 (its test accuracy is in the README).
    """

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 14×14
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 7×7
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 3×3
            nn.Flatten(),
            nn.Linear(64 * 3 * 3, NUM_FEATURES),
            nn.ReLU(),
        )
        self.head = nn.Linear(NUM_FEATURES, NUM_CLASSES)
        # FID and KID grow with the square of the feature scale; dividing by the RMS
        # per-dimension std of the training set's features (set by train_judge, saved with
        # the weights) puts the features on unit scale, like a standardised embedding.
        self.register_buffer("feature_scale", torch.ones(()))

    def raw_features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features before the unit scaling (N×128)."""
        return self.body(x.float() - 0.5)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features (N×128, unit scale) of canonical images in [0, 1]."""
        return self.raw_features(x) / self.feature_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits (N×10)."""
        return self.head(self.raw_features(x))


def shipped_weights() -> bytes:
    return resources.files("mnist_gan.metrics").joinpath(WEIGHTS_FILE).read_bytes()


def load_judge(map_location: str | torch.device = "cpu") -> JudgeNet:
    """The shipped judge in eval mode with gradients off; its bytes must match the pin."""
    blob = shipped_weights()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise RuntimeError(
            f"judge weights {WEIGHTS_FILE} have sha256 {digest}, expected {WEIGHTS_SHA256}; "
            "reinstall the package or retrain with python -m mnist_gan.metrics.train_judge"
        )
    import io

    state = torch.load(io.BytesIO(blob), map_location=map_location, weights_only=True)
    # built on the meta device: no random initialisation, so loading the judge never
    # moves the global RNG (training runs are the same with or without evaluation)
    with torch.device("meta"):
        judge = JudgeNet()
    judge.load_state_dict(state, assign=True)
    judge.eval().requires_grad_(False)
    return judge

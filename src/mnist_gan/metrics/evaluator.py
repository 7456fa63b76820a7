"""``GanEvaluator``: every number the project reports about a set of generated digits.

Real features are computed once (``set_real``) and kept across evaluations; each
``evaluate`` call scores one set of generated images against them:
FID and KID on the judge's penultimate features, the Inception-Score analogue on its
logits (all through torchmetrics), mode coverage from its predictions, and k-NN precision
and recall on its features.

Images come in canonical form: float in [0, 1], N×1×28×28.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

import torch
from torch import nn
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.inception import InceptionScore
from torchmetrics.image.kid import KernelInceptionDistance

from mnist_gan.data.idx import NUM_CLASSES
from mnist_gan.metrics.coverage import class_coverage, label_accuracy
from mnist_gan.metrics.judge import NUM_FEATURES, JudgeNet, load_judge
from mnist_gan.metrics.precision_recall import knn_radii, precision_recall


def check_canonical(images: torch.Tensor) -> None:
    if images.ndim != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        raise ValueError(f"expected images N×1×28×28, got {tuple(images.shape)}")
    if images.is_floating_point() and (images.min() < 0 or images.max() > 1):
        raise ValueError("expected images in [0, 1] (canonical form); rescale them first")


def _chunks(images: torch.Tensor, size: int) -> Iterator[torch.Tensor]:
    for start in range(0, len(images), size):
        yield images[start : start + size]


class _Precomputed(nn.Module):
    """Hands torchmetrics features the judge has already computed (its ``feature=``)."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class GanEvaluator(nn.Module):
    """Scores generated MNIST digits with the project's judge.

    Scoring has two halves, so that several processes can share the judging:
    ``judge_outputs`` runs the judge over images (the costly part, any share of the
    samples), ``score`` computes every metric from the judge's features and logits of the
    whole set. ``evaluate`` is both. torchmetrics never synchronises across processes
    here: whoever calls ``score`` holds the whole set.

    Args:
        judge: the classifier (default: the shipped, sha256-pinned weights).
        kid_subsets, kid_subset_size: KID's random subsets (size capped at the set sizes).
        is_splits: splits of the Inception-Score analogue.
        k: neighbourhood size of the precision/recall manifolds.
        batch_size: images per judge forward pass (and features per metric update).
        seed: seed of KID's and IS's random subsets (the global RNG is left untouched).
    """

    def __init__(
        self,
        judge: JudgeNet | None = None,
        kid_subsets: int = 100,
        kid_subset_size: int = 1000,
        is_splits: int = 10,
        k: int = 3,
        batch_size: int = 2000,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.judge = (judge or load_judge()).eval().requires_grad_(False)
        self.kid_subsets = kid_subsets
        self.kid_subset_size = kid_subset_size
        self.is_splits = is_splits
        self.k = k
        self.batch_size = batch_size
        self.seed = seed
        self.fid = FrechetInceptionDistance(
            feature=_Precomputed(NUM_FEATURES), reset_real_features=False, sync_on_compute=False
        )
        with warnings.catch_warnings():
            # IS and KID keep every feature vector: 10,000 × 128 floats, a few MB here
            warnings.filterwarnings("ignore", message="Metric `.*` will save all extracted")
            self.inception = InceptionScore(
                feature=_Precomputed(NUM_CLASSES),
                splits=is_splits,
                normalize=False,
                sync_on_compute=False,
            )
        self.kid: KernelInceptionDistance | None = None
        self.real_features: torch.Tensor | None = None
        self.real_radii: torch.Tensor | None = None

    def train(self, mode: bool = True) -> GanEvaluator:
        # the judge never leaves eval mode
        super().train(mode)
        self.judge.eval()
        return self

    @torch.no_grad()
    def judge_outputs(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The judge's (features at unit scale, logits) of canonical images, chunk by chunk."""
        images = self._device_images(images)
        features, logits = [], []
        for chunk in _chunks(images, self.batch_size):
            raw = self.judge.raw_features(chunk)
            features.append(raw / self.judge.feature_scale)
            logits.append(self.judge.head(raw))
        if not features:
            empty = images.new_zeros((0, NUM_FEATURES)), images.new_zeros((0, NUM_CLASSES))
            return empty
        return torch.cat(features), torch.cat(logits)

    def _feed(self, values: torch.Tensor, *updates: Callable[[torch.Tensor], None]) -> None:
        # the metrics take their inputs in the judge's chunks, as they would take images
        for chunk in _chunks(values, self.batch_size):
            for update in updates:
                update(chunk)

    def _device_images(self, images: torch.Tensor) -> torch.Tensor:
        check_canonical(images)
        device = next(self.judge.parameters()).device
        images = images.to(device)
        return images.float().div(255) if images.dtype == torch.uint8 else images.float()

    @torch.no_grad()
    def set_real(self, images: torch.Tensor) -> None:
        """Compute and keep the real reference set's features (once per run)."""
        self.fid.reset()
        self.fid.real_features_sum.zero_()
        self.fid.real_features_cov_sum.zero_()
        self.fid.real_features_num_samples.zero_()
        self.real_features, _ = self.judge_outputs(images)
        self.kid = self._new_kid(min(self.kid_subset_size, len(self.real_features)))
        self._feed(
            self.real_features,
            lambda chunk: self.fid.update(chunk, real=True),
            lambda chunk: self.kid.update(chunk, real=True),
        )
        self.real_radii = knn_radii(self.real_features, self.k)

    def _new_kid(self, subset_size: int) -> KernelInceptionDistance:
        return KernelInceptionDistance(
            feature=_Precomputed(NUM_FEATURES),
            subsets=self.kid_subsets,
            subset_size=subset_size,
            reset_real_features=False,
            sync_on_compute=False,
        ).to(self.real_features.device)

    def _kid_for(self, n_fake: int) -> KernelInceptionDistance:
        size = min(self.kid_subset_size, n_fake, len(self.real_features))
        if self.kid.subset_size != size:  # fewer samples than the subset size: rebuild
            self.kid = self._new_kid(size)
            self._feed(self.real_features, lambda chunk: self.kid.update(chunk, real=True))
        return self.kid

    @torch.no_grad()
    def evaluate(
        self, images: torch.Tensor, labels: torch.Tensor | None = None
    ) -> dict[str, float | list[float]]:
        """Score ``images`` (canonical form) against the real set given to ``set_real``.

        ``labels``: the digits a conditional generator was asked for, one per image; adds
        the judge's accuracy on them, overall and per requested digit.
        """
        if self.real_features is None:
            raise RuntimeError("call set_real(real_images) before evaluate()")
        return self.score(*self.judge_outputs(images), labels)

    @torch.no_grad()
    def score(
        self, features: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor | None = None
    ) -> dict[str, float | list[float]]:
        """Every metric from the judge's outputs on the whole generated set."""
        if self.real_features is None:
            raise RuntimeError("call set_real(real_images) before score()")
        if len(features) < max(self.k + 1, self.is_splits, 2):
            raise ValueError(
                f"need more than {self.k + 1} samples to evaluate, got {len(features)}"
            )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.fid.reset()
            self.inception.reset()
            kid = self._kid_for(len(features))
            kid.reset()
            for chunk, chunk_logits in zip(
                _chunks(features, self.batch_size), _chunks(logits, self.batch_size), strict=True
            ):
                self.fid.update(chunk, real=False)
                kid.update(chunk, real=False)
                self.inception.update(chunk_logits)
            fid = float(self.fid.compute())
            kid_mean, kid_std = (float(v) for v in kid.compute())
            is_mean, is_std = (float(v) for v in self.inception.compute())
        precision, recall = precision_recall(
            self.real_features, features, k=self.k, real_radii=self.real_radii
        )
        if labels is not None:
            labels = labels.to(logits.device)
        conditional = label_accuracy(logits, labels) if labels is not None else {}
        return {
            **conditional,
            "fid": fid,
            "kid": kid_mean,
            "kid_std": kid_std,
            "is": is_mean,
            "is_std": is_std,
            **class_coverage(logits),
            "precision": precision,
            "recall": recall,
        }

"""Mode coverage from the judge's logits: which digits a generator makes, and how evenly."""

from __future__ import annotations

import torch

from mnist_gan.data.idx import NUM_CLASSES


def class_coverage(
    logits: torch.Tensor, min_share: float = 0.01, confident: float = 0.9
) -> dict[str, float | list[float]]:
    """Summarise the predicted-class histogram of N samples (logits N×10).

    Returns ``histogram`` (share of each class), ``classes_covered`` (classes holding at
    least ``min_share`` of the samples), ``kl_uniform`` (KL(histogram ‖ uniform), 0 when
    even, ln 10 when all one class), ``max_class_share``, ``min_class_share`` and
    ``confident_share`` (samples whose top softmax probability is at least ``confident``).
    """
    if logits.ndim != 2 or logits.shape[1] != NUM_CLASSES or logits.shape[0] == 0:
        raise ValueError(
            f"expected logits of shape (N>0, {NUM_CLASSES}), got {tuple(logits.shape)}"
        )
    probs = logits.float().softmax(dim=1)
    counts = torch.bincount(probs.argmax(dim=1), minlength=NUM_CLASSES).double()
    hist = counts / counts.sum()
    nonzero = hist[hist > 0]
    kl = float((nonzero * (nonzero * NUM_CLASSES).log()).sum())
    return {
        "histogram": hist.tolist(),
        "classes_covered": float((hist >= min_share).sum()),
        "kl_uniform": max(kl, 0.0),
        "max_class_share": float(hist.max()),
        "min_class_share": float(hist.min()),
        "confident_share": float((probs.max(dim=1).values >= confident).double().mean()),
    }


def label_accuracy(logits: torch.Tensor, requested: torch.Tensor) -> dict[str, float | list[float]]:
    """How often the judge reads the digit a conditional G was asked for.

    Returns ``label_accuracy`` (over all samples; chance is 0.1) and
    ``label_accuracy_per_class`` (for each requested digit 0..9; NaN if never requested).
    """
    if requested.shape != logits.shape[:1]:
        raise ValueError(f"{len(requested)} labels for {len(logits)} samples")
    requested = requested.to(logits.device).long()
    hit = (logits.argmax(dim=1) == requested).double()
    per_class = torch.full((NUM_CLASSES,), float("nan"), dtype=torch.float64)
    for digit in range(NUM_CLASSES):
        chosen = requested == digit
        if chosen.any():
            per_class[digit] = hit[chosen].mean().cpu()
    return {"label_accuracy": float(hit.mean()), "label_accuracy_per_class": per_class.tolist()}

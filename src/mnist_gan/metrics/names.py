"""The names of everything a run logs, torch-free: the config check refuses an
``optimized_metric`` that no run logs before anything is built."""

from __future__ import annotations

# The evaluator's scalar metrics, in the order tables print them (logged as eval/<name>).
SCALARS = (
    "fid",
    "kid",
    "kid_std",
    "is",
    "is_std",
    "classes_covered",
    "kl_uniform",
    "max_class_share",
    "min_class_share",
    "confident_share",
    "precision",
    "recall",
)
# Reported in addition for a conditional generator (labels passed to ``evaluate``).
CONDITIONAL_SCALARS = ("label_accuracy",)
# Reported in addition with eval.parzen=true (Goodfellow et al. 2014's Parzen estimate).
PARZEN_SCALARS = ("parzen_ll", "parzen_se", "parzen_sigma")
# The training step's scalars; each is logged as <name>_step and <name>_epoch.
TRAIN_SCALARS = (
    "train/d_loss",
    "train/g_loss",
    "train/d_real",
    "train/d_fake",
    "train/gradient_penalty",
    "train/r1_penalty",
    "train/d_class_loss",
)
# Cumulative training wall time (evaluation included, start-up excluded), logged each epoch.
TRAIN_SECONDS = "time/train_seconds"


# Every logged scalar ``optimized_metric`` can name.
OPTIMIZABLE = (
    *(f"eval/{name}" for name in (*SCALARS, *CONDITIONAL_SCALARS, *PARZEN_SCALARS)),
    *(f"{name}_{when}" for name in TRAIN_SCALARS for when in ("epoch", "step")),
    TRAIN_SECONDS,
)

"""The options each string-valued knob accepts, torch-free, for the one early config check
in ``validate.py``; the model code looks each option up in a table of its own, and the
tests keep those tables to these names."""

from __future__ import annotations

LATENT_DISTRIBUTIONS = ("normal", "uniform")
STEP_ORDERS = ("d_first", "g_first")
ADAM_IMPLS = ("fused", "foreach", "loop")
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
GENERATOR_LOSSES = ("non_saturating", "minimax")
REDUCTIONS = ("mean", "sum")
ACTIVATIONS = ("relu", "leaky_relu")
# The pixel range each generator output activation produces: the data module maps real
# images into the same range (data.value_range) so D compares like with like, and samples
# are mapped from it to [0, 1].
ACTIVATION_RANGES: dict[str, tuple[float, float]] = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}
OUTPUT_ACTIVATIONS = tuple(ACTIVATION_RANGES)
METRIC_MODES = ("min", "max")
LR_DECAYS = ("linear", "cosine")
LOSSES = ("bce", "hinge", "least_squares", "wasserstein")
# MNIST's digits: the conditional networks' label count and the judge's classes.
NUM_CLASSES = 10
# ckpt_path's value that resumes the run directory's own last.ckpt, if any (see pipeline).
AUTO_RESUME = "auto"

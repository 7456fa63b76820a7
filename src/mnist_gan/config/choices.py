"""The options each string-valued knob accepts, torch-free, for the one early config check
in ``validate.py``; the model code looks each option up in a table of its own, and the
tests keep those tables to these names."""

from __future__ import annotations

from mnist_gan.config.resolvers import ACTIVATION_RANGES

LATENT_DISTRIBUTIONS = ("normal", "uniform")
STEP_ORDERS = ("d_first", "g_first")
ADAM_IMPLS = ("fused", "foreach", "loop")
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
GENERATOR_LOSSES = ("non_saturating", "minimax")
REDUCTIONS = ("mean", "sum")
ACTIVATIONS = ("relu", "leaky_relu")
OUTPUT_ACTIVATIONS = tuple(ACTIVATION_RANGES)
METRIC_MODES = ("min", "max")
LR_DECAYS = ("linear", "cosine")
LOSSES = ("bce", "hinge", "least_squares", "wasserstein")

"""The options each string-valued knob accepts: one torch-free source for the model code
(which raises on anything else) and for the early config check in ``validate.py``."""

from __future__ import annotations

LATENT_DISTRIBUTIONS = ("normal", "uniform")
STEP_ORDERS = ("d_first", "g_first")
ADAM_IMPLS = ("fused", "foreach", "loop")
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
GENERATOR_LOSSES = ("non_saturating", "minimax")
REDUCTIONS = ("mean", "sum")
ACTIVATIONS = ("relu", "leaky_relu")
OUTPUT_ACTIVATIONS = ("tanh", "sigmoid")
LOSSES = ("bce", "hinge", "least_squares", "wasserstein")
# MNIST's digits: the conditional networks' label count and the judge's classes.
NUM_CLASSES = 10
# ckpt_path's value that resumes the run directory's own last.ckpt, if any (see pipeline).
AUTO_RESUME = "auto"

"""OmegaConf resolvers used by the YAML configs (light: imports only omegaconf)."""

from __future__ import annotations

from omegaconf import OmegaConf

# The pixel range each generator output activation produces; the data module normalises
# real images into the same range so D compares like with like.
ACTIVATION_RANGES: dict[str, tuple[float, float]] = {
    "tanh": (-1.0, 1.0),
    "sigmoid": (0.0, 1.0),
}


def range_for_activation(activation: str) -> list[float]:
    """Return the data range ``[low, high]`` that matches a generator output activation."""
    if activation not in ACTIVATION_RANGES:
        valid = ", ".join(sorted(ACTIVATION_RANGES))
        raise ValueError(
            f"unknown output activation {activation!r}; use one of: {valid} "
            "(e.g. model.output_activation=tanh)"
        )
    low, high = ACTIVATION_RANGES[activation]
    return [low, high]


def register_resolvers() -> None:
    """Register the project's resolvers once (safe to call repeatedly)."""
    # Two scalar resolvers (a list-valued one cannot be resolved in place by OmegaConf).
    if not OmegaConf.has_resolver("range_low"):
        OmegaConf.register_new_resolver("range_low", lambda a: range_for_activation(a)[0])
    if not OmegaConf.has_resolver("range_high"):
        OmegaConf.register_new_resolver("range_high", lambda a: range_for_activation(a)[1])

"""Gradient penalties on the discriminator, as pure functions of D and its inputs.

Both build the gradient with ``create_graph=True`` so the penalty itself is trained on.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def _input_gradient(outputs: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    (grad,) = torch.autograd.grad(outputs.sum(), inputs, create_graph=True)
    return grad.flatten(1)


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): E[(‖∇D(x̂)‖₂ - 1)²] at x̂ = εx + (1-ε)G(z), ε ~ U(0, 1)
    drawn per sample. Multiply by the penalty weight λ (10 in the paper)."""
    eps = torch.rand(
        (real.shape[0],) + (1,) * (real.ndim - 1), generator=generator, device=real.device
    )
    mixed = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    grad = _input_gradient(critic(mixed), mixed)
    return ((grad.norm(dim=1) - 1) ** 2).mean()


def r1_penalty(real_outputs: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): ½ E[‖∇D(x)‖₂²] on real data. ``real`` must require grad
    and ``real_outputs`` be D's outputs on it. Multiply by γ."""
    grad = _input_gradient(real_outputs, real)
    return 0.5 * grad.pow(2).sum(dim=1).mean()


def lazy_r1_weight(gamma: float, every: int, d_step: int) -> float:
    """R1's weight on D step ``d_step`` under lazy regularisation (StyleGAN2): the penalty
    on every ``every``-th step only, weighted ``every`` times as much (0: no penalty)."""
    return gamma * every if d_step % every == 0 else 0.0

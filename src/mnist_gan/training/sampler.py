"""The sampling half of the GAN module: latents, the digits a conditional G makes, the G that
samples (the moving average when there is one), and images in [0, 1]. Callbacks, eval.py and
generate.py sample through it."""

from __future__ import annotations

import torch

from mnist_gan.data.idx import NUM_CLASSES
from mnist_gan.models.contract import Generator

LATENTS = {  # model.latent_distribution: z from a seeded torch.Generator (or the global RNG)
    "normal": lambda shape, rng, device: torch.randn(shape, generator=rng, device=device),
    "uniform": lambda shape, rng, device: (
        torch.rand(shape, generator=rng, device=device).mul_(2).sub_(1)
    ),
}


class Sampler:
    """Mixed into the GAN module, whose ``hparams``, ``generator``, ``generator_ema``,
    ``value_range`` and ``device`` it reads."""

    def draw_latent(
        self,
        n: int,
        generator: torch.Generator | None = None,
        device: torch.device | None = None,
        truncation: float = 1.0,
    ) -> torch.Tensor:
        """``n`` latent vectors from the configured distribution (seeded by ``generator``).

        ``truncation`` ψ < 1 is the truncation trick (Brock et al. 2019; Karras et al. 2019):
        each z scaled by ψ towards the distribution's mean, 0, which trades variety (recall)
        for typical samples (precision) without retraining. Scaling rather than resampling
        the tails: it is continuous in ψ, the same for the normal and the uniform latent, and
        ψ = 1 is the untouched draw. A conditional G's label enters beside z, so z's mean is
        0 for every digit and the same scaling truncates each class towards its own mean."""
        shape = (n, self.hparams.latent_dim)
        z = LATENTS[self.hparams.latent_distribution](shape, generator, device)
        return z if truncation == 1.0 else z.mul_(truncation)

    def sample_labels(self, n: int, device: torch.device | None = None) -> torch.Tensor | None:
        """Labels for ``n`` samples of a conditional G: 0, 1, …, 9, 0, 1, … (None otherwise)."""
        return torch.arange(n, device=device) % NUM_CLASSES if self.hparams.conditional else None

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.generator(z, labels)

    @property
    def sampling_generator(self) -> Generator:
        """The G that makes samples: the moving average when ``ema_decay`` is set."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    @torch.no_grad()
    def sample(
        self,
        z: torch.Tensor | None = None,
        n: int | None = None,
        labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Images in [0, 1] (N×1×28×28) from the sampling G in eval mode (its mode is
        restored after). A conditional G makes ``labels`` (default 0, 1, …, 9, 0, …)."""
        if z is None:
            n = self.hparams.num_sample_images if n is None else n
            z = self.draw_latent(n, device=self.device)
        z = z.to(self.device)
        if self.hparams.conditional:
            labels = (self.sample_labels(len(z)) if labels is None else labels).to(self.device)
        elif labels is not None:
            raise ValueError(
                "this generator is unconditional: it cannot make chosen digits "
                "(train with model.conditional=true)"
            )
        network = self.sampling_generator
        was_training = network.training
        network.eval()
        try:
            images = network(z, labels)
        finally:
            network.train(was_training)
        low, high = self.value_range
        return ((images.float() - low) / (high - low)).clamp_(0, 1)

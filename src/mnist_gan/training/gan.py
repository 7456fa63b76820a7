"""The GAN LightningModule: networks, optimizers and the D/G step schedule.

Manual optimisation with toggled optimisers (D's weights get no gradients during G's step
and vice versa). No file or device logic lives here: callbacks do the side effects and
Lightning places the module. Each knob is a typed parameter of ``GAN`` documented under its
``Args:``; the config is checked against them before anything is built (``config/knobs.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import lightning as L
import torch
import torch.nn.functional as F
from hydra.utils import instantiate
from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt

from mnist_gan.config.resolvers import range_for_activation
from mnist_gan.config.types import Fraction, Unit
from mnist_gan.data.idx import NUM_CLASSES
from mnist_gan.models.contract import Discriminator, Generator
from mnist_gan.training.ema import copy_for_ema, update_ema, warmed_up_decay
from mnist_gan.training.losses import GForm, LossName, Reduction, make_loss
from mnist_gan.training.penalties import gradient_penalty, lazy_r1_weight, r1_penalty
from mnist_gan.training.rng import fold_in_rank, restore_rng, rng_state
from mnist_gan.training.sampler import LATENTS, Sampler
from mnist_gan.training.scalars import TrainingScalars
from mnist_gan.training.schedules import LR_DECAYS, instance_noise_std, lr_factor
from mnist_gan.training.schedules import with_instance_noise as noisy

ADAM_KERNELS = {"fused": {"fused": True}, "foreach": {"foreach": True}, "loop": {"foreach": False}}
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
Betas = Annotated[list[Unit], Field(min_length=2, max_length=2)]


class GAN(Sampler, L.LightningModule):
    """A generator/discriminator pair trained by alternating steps. Hyperparameters are
    plain containers (Hydra's ``_convert_: all``), so checkpoints load ``weights_only``.

    Args:
        generator: G's config (``_target_`` + knobs), a ``models.contract.Generator``.
        discriminator: D's config, a ``models.contract.Discriminator``.
        latent_dim: size of z.
        latent_distribution: ``normal`` = N(0, 1), ``uniform`` = U(-1, 1).
        lr_g: G's Adam learning rate.
        lr_d: D's Adam learning rate.
        betas: Adam's two betas, e.g. [0.5, 0.999].
        lr_decay: both rates fall to 0 at trainer.max_epochs (null = constant).
        lr_decay_epochs: over the last this many epochs (null = all of them).
        d_steps: D steps per G step (Goodfellow's k): G steps on every k-th batch.
        step_order: ``g_first`` (D then judges G's fakes, detached) or ``d_first``.
        loss: the GAN loss, a name in ``training/losses.py``'s ``LOSSES``.
        g_loss: BCE's G loss: ``non_saturating`` (-log D(G(z))) or ``minimax`` (log(1 -
            D(G(z))), the saturating original).
        d_loss_reduction: BCE: D's real and fake terms combined by ``mean`` or ``sum``.
        real_label: BCE: D's target for real images; < 1 is one-sided label smoothing.
        gp_weight: WGAN-GP's lambda at real/fake interpolates (0 = off; paper: 10).
        r1_weight: R1's gamma, 0.5·‖∇D(x)‖² on real images (0 = off; e.g. 1-10).
        r1_every: lazy R1: the penalty on every k-th D step only, weighted k times.
        instance_noise: std of Gaussian noise on every image D sees (0 = off).
        instance_noise_epochs: anneal that noise linearly to 0 over this many epochs.
        ema_decay: moving average of G's weights for samples and evaluation (null = off).
        conditional: G and D see the digit label (then generate.py digit=7 makes sevens).
        aux_weight: AC-GAN: D also classifies real digits, G makes fakes D reads as the
            digit asked for; the weight of both cross-entropies (needs conditional).
        gradient_clip_val: clip each network's gradient norm (null = off).
        d_joint_batch: D judges real and fake in one forward where that changes nothing.
        adam_impl: Adam's kernel: ``fused``, ``foreach`` or ``loop`` (same mathematics).
        compile: torch.compile G and D with this mode (null = eager).
        num_sample_images: size of the fixed latent batch behind the sample grids.
        sample_seed: its seed.
    """

    def __init__(
        self,
        generator: Mapping[str, Any],
        discriminator: Mapping[str, Any],
        latent_dim: PositiveInt = 100,
        latent_distribution: Literal[tuple(LATENTS)] = "normal",
        lr_g: PositiveFloat = 2e-4,
        lr_d: PositiveFloat = 2e-4,
        betas: Betas = (0.5, 0.999),
        lr_decay: Literal[tuple(LR_DECAYS)] | None = None,
        lr_decay_epochs: PositiveFloat | None = None,
        d_steps: PositiveInt = 1,
        step_order: Literal["d_first", "g_first"] = "g_first",
        loss: LossName = "bce",
        g_loss: GForm = "non_saturating",
        d_loss_reduction: Reduction = "mean",
        real_label: Fraction = 1.0,
        gp_weight: NonNegativeFloat = 0.0,
        r1_weight: NonNegativeFloat = 0.0,
        r1_every: PositiveInt = 1,
        instance_noise: NonNegativeFloat = 0.0,
        instance_noise_epochs: PositiveFloat | None = None,
        ema_decay: Unit | None = None,
        conditional: bool = False,
        aux_weight: NonNegativeFloat = 0.0,
        gradient_clip_val: PositiveFloat | None = None,
        d_joint_batch: bool = True,
        adam_impl: Literal[tuple(ADAM_KERNELS)] = "fused",
        compile: Literal[COMPILE_MODES] | None = None,
        num_sample_images: PositiveInt = 64,
        sample_seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0,
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.save_hyperparameters(logger=False)
        classes = {"num_classes": NUM_CLASSES} if conditional else {}
        self.generator: Generator = instantiate(generator, latent_dim=latent_dim, **classes)
        aux = {"aux_classes": NUM_CLASSES} if aux_weight else {}
        self.discriminator: Discriminator = instantiate(discriminator, **classes, **aux)
        self.loss = make_loss(
            loss, g_loss=g_loss, d_loss_reduction=d_loss_reduction, real_label=real_label
        )
        # The averaged G is a frozen copy: no optimiser sees it, DDP ignores it, checkpoints
        # keep it (it is what samples and evaluation use).
        self.generator_ema = copy_for_ema(self.generator) if ema_decay is not None else None
        self._ema_updates = 0  # saved in checkpoints: the warm-up continues across resumes
        self.scalars = TrainingScalars()
        self.value_range = range_for_activation(self.generator.output_activation)
        fixed = self.draw_latent(num_sample_images, torch.Generator().manual_seed(sample_seed))
        # Saved in checkpoints so sample grids compare like with like across epochs/resumes.
        self.register_buffer("sample_z", fixed)

    # ----------------------------------------------------------------- training
    def configure_model(self) -> None:
        """Compile the networks (never the LightningModule) when ``compile`` asks for it."""
        for network in (self.generator, self.discriminator):
            if self.hparams.compile and getattr(network, "_compiled_call_impl", None) is None:
                network.compile(mode=self.hparams.compile)

    def configure_optimizers(self):
        hp = self.hparams
        kwargs = {"betas": tuple(hp.betas), **ADAM_KERNELS[hp.adam_impl]}
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=hp.lr_g, **kwargs)
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=hp.lr_d, **kwargs)
        return [opt_g, opt_d]

    def training_step(self, batch, batch_idx: int) -> None:
        hp = self.hparams
        real, labels = batch[0], batch[1] if hp.conditional else None
        opt_g, opt_d = self.optimizers()
        g_turn = (batch_idx + 1) % hp.d_steps == 0  # G steps on every d_steps-th batch
        progress = self.current_epoch + batch_idx / max(1, self.trainer.num_training_batches)
        noise = instance_noise_std(hp.instance_noise, hp.instance_noise_epochs, progress)
        if hp.lr_decay is not None:
            factor = lr_factor(hp.lr_decay, hp.lr_decay_epochs, self.trainer.max_epochs, progress)
            for optimizer, lr in ((opt_g, hp.lr_g), (opt_d, hp.lr_d)):
                for group in optimizer.param_groups:
                    group["lr"] = lr * factor
        metrics: dict[str, torch.Tensor] = {}
        fake = None  # g_first: D then judges G's fakes, detached; d_first: fresh ones
        if g_turn and hp.step_order == "g_first":
            fake, metrics["train/g_loss"] = self.generator_step(opt_g, real, labels, noise)
        metrics |= self.discriminator_step(opt_d, real, fake, labels, noise, batch_idx)
        if g_turn and hp.step_order == "d_first":
            _, metrics["train/g_loss"] = self.generator_step(opt_g, real, labels, noise)
        self.scalars.record(self, metrics, batch_idx)

    def generator_step(self, opt_g, real, labels, noise: float):
        """One G step on fresh fakes: (the fakes, detached; G's loss)."""
        hp, d = self.hparams, self.discriminator
        with self.toggled_optimizer(opt_g):
            fake = self.generator(self.draw_latent(len(real), device=self.device), labels)
            fake_logits, classes = d.split(d(noisy(fake, noise), labels))
            real_logits = None
            if self.loss.g_needs_real:  # a relativistic loss judges the real batch too
                with torch.no_grad():
                    real_logits, _ = d.split(d(noisy(real, noise), labels))
            loss = self.loss.g_loss(real_logits, fake_logits)
            if classes is not None:  # AC-GAN: fakes D classifies as the digit asked for
                loss = loss + hp.aux_weight * F.cross_entropy(classes, labels)
            self._step(opt_g, loss)
        if self.generator_ema is not None:
            update_ema(
                self.generator_ema, self.generator, warmed_up_decay(hp.ema_decay, self._ema_updates)
            )
            self._ema_updates += 1
        return fake.detach(), loss.detach()

    def discriminator_step(self, opt_d, real, fake, labels, noise: float, batch_idx: int):
        """One D step on the real batch and ``fake`` (fresh fakes when None): its metrics."""
        hp, d = self.hparams, self.discriminator
        r1 = lazy_r1_weight(hp.r1_weight, hp.r1_every, batch_idx)
        if fake is None:
            with torch.no_grad():
                fake = self.generator(self.draw_latent(len(real), device=self.device), labels)
        real, fake = noisy(real, noise), noisy(fake, noise)
        with self.toggled_optimizer(opt_d):
            if r1:
                real = real.detach().requires_grad_(True)
            real_out, fake_out = d.judge(real, fake, labels, joint=hp.d_joint_batch)
            (real_logits, real_classes), (fake_logits, _) = d.split(real_out), d.split(fake_out)
            loss = self.loss.d_loss(real_logits, fake_logits)
            metrics = {"train/d_loss": loss.detach()}
            if real_classes is not None:  # AC-GAN: D learns the digits of real images
                class_loss = F.cross_entropy(real_classes, labels)
                metrics["train/d_class_loss"] = class_loss.detach()
                loss = loss + hp.aux_weight * class_loss
            if hp.gp_weight:
                penalty = gradient_penalty(lambda x: d.split(d(x, labels))[0], real, fake)
                metrics["train/gradient_penalty"] = penalty.detach()
                loss = loss + hp.gp_weight * penalty
            if r1:
                penalty = r1_penalty(real_logits, real)
                metrics["train/r1_penalty"] = penalty.detach()
                loss = loss + r1 * penalty
            self._step(opt_d, loss)
        return metrics | self.loss.verdicts(real_logits, fake_logits)

    def _step(self, optimizer, loss: torch.Tensor) -> None:
        optimizer.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        if self.hparams.gradient_clip_val:
            self.clip_gradients(optimizer, self.hparams.gradient_clip_val, "norm")
        optimizer.step()

    # ----------------------------------------------------------------- state and scalars
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # a resumed run restores the RNG, so it draws the noise the unbroken run would have
        checkpoint["rng_state"] = rng_state()
        checkpoint["ema_updates"] = self._ema_updates

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._restored_rng = checkpoint.get("rng_state")
        self._ema_updates = int(checkpoint.get("ema_updates", 0))

    def on_fit_start(self) -> None:
        if getattr(self, "_restored_rng", None) is not None:
            restore_rng(self._restored_rng)
            self._restored_rng = None
        if self.trainer.world_size > 1:
            fold_in_rank(self.global_rank)

    def on_train_epoch_start(self) -> None:
        self.scalars.start_epoch()

    def on_train_epoch_end(self) -> None:
        self.scalars.end_epoch(self)

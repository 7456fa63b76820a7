"""The GAN LightningModule: networks, optimizers and the D/G step schedule.

Manual optimisation with toggled optimisers (D's weights get no gradients during G's step
and vice versa). No file or device logic lives here: callbacks do the side effects and
Lightning places the module. Options are checked once, before anything is built
(``config/validate.py``); each knob is documented beside its default in
``conf/model/base/gan.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from hydra.utils import instantiate
from torch import nn

from mnist_gan.config.resolvers import range_for_activation
from mnist_gan.data.idx import NUM_CLASSES
from mnist_gan.training.ema import copy_for_ema, update_ema, warmed_up_decay
from mnist_gan.training.losses import d_verdicts, discriminator_loss, generator_loss
from mnist_gan.training.penalties import gradient_penalty, r1_penalty
from mnist_gan.training.rng import fold_in_rank, restore_rng, rng_state
from mnist_gan.training.scalars import TrainingScalars
from mnist_gan.training.schedules import instance_noise_std, lr_factor, with_instance_noise

# Adam's kernel per model.adam_impl: the same mathematics at different speeds.
ADAM_KERNELS = {"fused": {"fused": True}, "foreach": {"foreach": True}, "loop": {"foreach": False}}


class GAN(L.LightningModule):
    """A generator/discriminator pair trained by alternating steps.

    ``generator`` and ``discriminator`` are configs (``_target_`` + arguments) of the two
    networks; D ends in logits. The other arguments are the training knobs of
    ``conf/model/``: the latent, Adam, the step schedule (``d_steps``, ``step_order``),
    the loss and its BCE options, the remedies against collapse (``gp_weight``,
    ``r1_weight``, ``instance_noise``, ``ema_decay``, ``conditional``), speed options
    (``d_joint_batch``, ``adam_impl``, ``compile``) and the fixed latent batch of the
    sample grids. Hyperparameters must be plain containers (Hydra's ``_convert_: all``),
    so checkpoints load with ``weights_only=True``.
    """

    def __init__(
        self,
        generator: Mapping[str, Any],
        discriminator: Mapping[str, Any],
        latent_dim: int = 100,
        latent_distribution: str = "normal",
        lr_g: float = 2e-4,
        lr_d: float = 2e-4,
        betas: Sequence[float] = (0.5, 0.999),
        lr_decay: str | None = None,
        lr_decay_epochs: float | None = None,
        d_steps: int = 1,
        step_order: str = "g_first",
        loss: str = "bce",
        g_loss: str = "non_saturating",
        d_loss_reduction: str = "mean",
        real_label: float = 1.0,
        gp_weight: float = 0.0,
        r1_weight: float = 0.0,
        r1_every: int = 1,
        instance_noise: float = 0.0,
        instance_noise_epochs: float | None = None,
        ema_decay: float | None = None,
        conditional: bool = False,
        aux_weight: float = 0.0,
        gradient_clip_val: float | None = None,
        d_joint_batch: bool = True,
        adam_impl: str = "fused",
        compile: str | None = None,
        num_sample_images: int = 64,
        sample_seed: int = 0,
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.save_hyperparameters(logger=False)
        classes = {"num_classes": NUM_CLASSES} if conditional else {}
        self.generator: nn.Module = instantiate(generator, latent_dim=latent_dim, **classes)
        aux = {"aux_classes": NUM_CLASSES} if aux_weight else {}
        self.discriminator: nn.Module = instantiate(discriminator, **classes, **aux)
        # The averaged G is a frozen copy: no optimiser sees it, DDP ignores it, checkpoints
        # keep it (it is what samples and evaluation use).
        self.generator_ema = copy_for_ema(self.generator) if ema_decay is not None else None
        self._ema_updates = 0  # saved in checkpoints: the warm-up continues across resumes
        self.scalars = TrainingScalars()
        self.value_range = range_for_activation(generator.get("output_activation", "tanh"))
        fixed = self.draw_latent(num_sample_images, torch.Generator().manual_seed(int(sample_seed)))
        # Saved in checkpoints so sample grids compare like with like across epochs/resumes.
        self.register_buffer("sample_z", fixed)

    # ----------------------------------------------------------------- sampling
    def draw_latent(
        self, n: int, generator: torch.Generator | None = None, device: torch.device | None = None
    ) -> torch.Tensor:
        """``n`` latent vectors from the configured distribution (seeded by ``generator``)."""
        shape = (n, self.hparams.latent_dim)
        if self.hparams.latent_distribution == "uniform":
            return torch.rand(shape, generator=generator, device=device).mul_(2).sub_(1)
        return torch.randn(shape, generator=generator, device=device)

    def sample_labels(self, n: int, device: torch.device | None = None) -> torch.Tensor | None:
        """Labels for ``n`` samples of a conditional G: 0, 1, …, 9, 0, 1, … (None otherwise)."""
        if not self.hparams.conditional:
            return None
        return torch.arange(n, device=device) % NUM_CLASSES

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self._run(self.generator, z, labels)

    def _run(self, network: nn.Module, x: torch.Tensor, labels: torch.Tensor | None, **kwargs: Any):
        # an unconditional network is called without labels, so any nn.Module taking one
        # tensor can be plugged in as G or D
        if self.hparams.conditional:
            return network(x, labels, **kwargs)
        return network(x, **kwargs)

    @property
    def sampling_generator(self) -> nn.Module:
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
            labels = self.sample_labels(len(z)) if labels is None else labels
            labels = labels.to(self.device)
        elif labels is not None:
            raise ValueError(
                "this generator is unconditional: it cannot make chosen digits "
                "(train with model.conditional=true)"
            )
        network = self.sampling_generator
        was_training = network.training
        network.eval()
        try:
            images = self._run(network, z, labels)
        finally:
            network.train(was_training)
        low, high = self.value_range
        return ((images.float() - low) / (high - low)).clamp_(0, 1)

    # ----------------------------------------------------------------- training
    def configure_model(self) -> None:
        """Compile the networks (never the LightningModule) when ``compile`` asks for it."""
        if self.hparams.compile is None:
            return
        for network in (self.generator, self.discriminator):
            if getattr(network, "_compiled_call_impl", None) is None:
                network.compile(mode=self.hparams.compile)

    def configure_optimizers(self):
        hp = self.hparams
        kwargs = {"betas": tuple(hp.betas), **ADAM_KERNELS[hp.adam_impl]}
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=hp.lr_g, **kwargs)
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=hp.lr_d, **kwargs)
        return [opt_g, opt_d]

    def training_step(self, batch, batch_idx: int) -> None:
        real = batch[0]
        labels = batch[1] if self.hparams.conditional else None
        opt_g, opt_d = self.optimizers()
        g_turn = (batch_idx + 1) % self.hparams.d_steps == 0  # G steps every d_steps-th batch
        noise = self._noise_std(batch_idx)
        if self.hparams.lr_decay is not None:
            self._decay_learning_rates(opt_g, opt_d, batch_idx)
        metrics: dict[str, torch.Tensor] = {}
        if self.hparams.step_order == "g_first":  # D then judges G's fakes, detached
            fake = None
            if g_turn:
                fake, metrics["train/g_loss"] = self._generator_step(
                    opt_g, len(real), labels, noise
                )
            metrics.update(self._discriminator_step(opt_d, real, fake, labels, noise, batch_idx))
        else:  # D judges fresh fakes, then G steps on fresh noise
            metrics.update(self._discriminator_step(opt_d, real, None, labels, noise, batch_idx))
            if g_turn:
                _, metrics["train/g_loss"] = self._generator_step(opt_g, len(real), labels, noise)
        self.scalars.record(self, metrics, batch_idx)

    def _generator_step(self, opt_g, n: int, labels, noise: float):
        hp = self.hparams
        with self.toggled_optimizer(opt_g):
            fake = self._fake(n, labels)
            logits, classes = self._split(self._d(with_instance_noise(fake, noise), labels))
            loss = generator_loss(logits, hp.g_loss, hp.loss)
            if classes is not None:  # AC-GAN: fakes D classifies as the digit asked for
                loss = loss + hp.aux_weight * F.cross_entropy(classes, labels)
            self._step(opt_g, loss)
        if self.generator_ema is not None:
            decay = warmed_up_decay(hp.ema_decay, self._ema_updates)
            update_ema(self.generator_ema, self.generator, decay)
            self._ema_updates += 1
        return fake.detach(), loss.detach()

    def _discriminator_step(self, opt_d, real, fake, labels, noise: float, batch_idx: int):
        hp = self.hparams
        # lazy R1 (StyleGAN2): every r1_every-th D step, weighted r1_every times as much
        r1 = hp.r1_weight * hp.r1_every if batch_idx % hp.r1_every == 0 else 0.0
        if fake is None:
            with torch.no_grad():
                fake = self._fake(len(real), labels)
        real, fake = with_instance_noise(real, noise), with_instance_noise(fake, noise)
        with self.toggled_optimizer(opt_d):
            if r1:
                real = real.detach().requires_grad_(True)
            joint = self._joint_d()
            if joint is not None:
                both = None if labels is None else torch.cat([labels, labels])
                logits = self._d(torch.cat([real, fake]), both, **joint)
                real_logits, fake_logits = logits.chunk(2)
            else:
                real_logits, fake_logits = self._d(real, labels), self._d(fake, labels)
            (real_logits, real_classes), (fake_logits, _) = map(
                self._split, (real_logits, fake_logits)
            )
            loss = discriminator_loss(
                real_logits, fake_logits, hp.real_label, hp.d_loss_reduction, hp.loss
            )
            metrics = {"train/d_loss": loss.detach()}
            if real_classes is not None:  # AC-GAN: D learns the digits of real images
                class_loss = F.cross_entropy(real_classes, labels)
                metrics["train/d_class_loss"] = class_loss.detach()
                loss = loss + hp.aux_weight * class_loss
            if hp.gp_weight:
                penalty = gradient_penalty(lambda x: self._split(self._d(x, labels))[0], real, fake)
                metrics["train/gradient_penalty"] = penalty.detach()
                loss = loss + hp.gp_weight * penalty
            if r1:
                penalty = r1_penalty(real_logits, real)
                metrics["train/r1_penalty"] = penalty.detach()
                loss = loss + r1 * penalty
            self._step(opt_d, loss)
        return metrics | d_verdicts(real_logits, fake_logits, hp.loss)

    def _fake(self, n: int, labels: torch.Tensor | None) -> torch.Tensor:
        return self._run(self.generator, self.draw_latent(n, device=self.device), labels)

    def _d(self, x: torch.Tensor, labels: torch.Tensor | None, **kwargs: Any) -> torch.Tensor:
        return self._run(self.discriminator, x, labels, **kwargs)

    def _split(self, out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """D's output and, with the AC-GAN head (``aux_weight``), its class logits."""
        if not self.hparams.aux_weight:
            return out, None
        return out[:, 0], out[:, 1:]

    def _joint_d(self) -> dict[str, int] | None:
        """How D's step judges cat([real, fake]) in one forward: plainly ({}), as two
        segments when D mixes samples only where it can keep them apart ({"segments": 2}),
        or not at all (None: two forwards)."""
        if not self.hparams.d_joint_batch:
            return None
        if not getattr(self.discriminator, "mixes_samples", False):
            return {}
        return {"segments": 2} if getattr(self.discriminator, "splits_segments", False) else None

    def _step(self, optimizer, loss: torch.Tensor) -> None:
        optimizer.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        if self.hparams.gradient_clip_val:
            self.clip_gradients(optimizer, self.hparams.gradient_clip_val, "norm")
        optimizer.step()

    def _progress(self, batch_idx: int) -> float:
        """Epochs done, fractional: what the schedules are functions of."""
        batches = max(1, self.trainer.num_training_batches) if self._trainer else 1
        return self.current_epoch + batch_idx / batches

    def _noise_std(self, batch_idx: int) -> float:
        if not self.hparams.instance_noise:
            return 0.0
        return instance_noise_std(
            self.hparams.instance_noise,
            self.hparams.instance_noise_epochs,
            self._progress(batch_idx),
        )

    def _decay_learning_rates(self, opt_g, opt_d, batch_idx: int) -> None:
        hp = self.hparams
        factor = lr_factor(
            hp.lr_decay, hp.lr_decay_epochs, self.trainer.max_epochs, self._progress(batch_idx)
        )
        for optimizer, lr in ((opt_g, hp.lr_g), (opt_d, hp.lr_d)):
            for group in optimizer.param_groups:
                group["lr"] = lr * factor

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

"""The GAN LightningModule: the D/G step schedule, the losses and what is logged.

Manual optimisation with toggled optimisers (D's weights get no gradients during G's step
and vice versa). No file or device logic lives here: callbacks do the side effects and
Lightning places the module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import lightning as L
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch import nn

from mnist_gan.config.choices import (
    ADAM_IMPLS,
    COMPILE_MODES,
    LATENT_DISTRIBUTIONS,
    LOSSES,
    NUM_CLASSES,
    STEP_ORDERS,
)
from mnist_gan.config.resolvers import range_for_activation
from mnist_gan.errors import NonFiniteLossError
from mnist_gan.training.ema import copy_for_ema, update_ema, warmed_up_decay
from mnist_gan.training.losses import MAIN_LOSSES, discriminator_loss, generator_loss
from mnist_gan.training.penalties import gradient_penalty, r1_penalty
from mnist_gan.training.schedules import instance_noise_std


def _plain(value: Any) -> Any:
    """Hyperparameters are kept as plain Python so checkpoints load with weights_only."""
    if isinstance(value, DictConfig):
        return OmegaConf.to_container(value, resolve=True)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or OmegaConf.is_list(value):
        return [_plain(v) for v in value]
    return value


class GAN(L.LightningModule):
    """A generator/discriminator pair trained by alternating steps.

    Args:
        generator: config of the generator network (``_target_`` + arguments).
        discriminator: config of the discriminator network (ends in logits).
        latent_dim: size of z.
        latent_distribution: ``normal`` (N(0, 1)) or ``uniform`` (U(-1, 1)).
        lr_g, lr_d: Adam learning rates.
        betas: Adam betas for both optimisers.
        d_steps: D steps per G step (Goodfellow's k): G steps on every k-th batch.
        step_order: ``d_first`` (D on fresh fakes, then G on fresh noise) or ``g_first``
            (G, then D on the same fakes, detached).
        loss: ``bce`` (the original GAN), ``hinge``, ``least_squares`` (LSGAN) or
            ``wasserstein`` (pair it with ``gp_weight`` or a spectral-norm D).
        g_loss: for ``bce``: ``non_saturating`` or ``minimax``.
        d_loss_reduction: for ``bce``: combine D's real and fake terms by ``mean`` or ``sum``.
        real_label: for ``bce``: D's target for real images (< 1 = one-sided label smoothing).
        gp_weight: WGAN-GP's λ on E[(‖∇D(x̂)‖ - 1)²] at real/fake interpolates (0 = off).
        r1_weight: R1's γ on ½E[‖∇D(x)‖²] at real images (0 = off).
        instance_noise: std of Gaussian noise added to every image D sees (0 = off)...
        instance_noise_epochs: ...annealed linearly to 0 over this many epochs (None = constant).
        ema_decay: keep an exponential moving average of G's weights with this decay
            (None = off), warmed up as min(decay, (1 + n)/(10 + n)) after n updates so the
            random initial weights fade fast. When on, samples, sample grids and evaluation
            use the average.
        conditional: feed the digit label to G (one-hot beside z) and D (projection); G's
            step and D's fakes use the real batch's labels.
        gradient_clip_val: clip each network's gradient norm (None = off).
        d_joint_batch: D's step runs one forward over ``cat([real, fake])`` instead of two:
            the same arithmetic for a D without batch-norm (the configured ones), with D's
            matmuls at twice the batch, which use the hardware better. Set ``false`` for a D
            whose batch-norm must see real and fake batches apart.
        adam_impl: Adam's kernel: ``fused`` (one kernel for all tensors; CPU and CUDA),
            ``foreach`` (batched ops) or ``loop`` (one tensor at a time). Same mathematics.
        compile: ``torch.compile`` mode for G and D (``None`` = eager). The networks are
            compiled in place, so checkpoints keep their keys and load either way;
            ``reduce-overhead`` adds CUDA graphs on a GPU and is plain ``default`` on a CPU.
        num_sample_images: size of the fixed latent batch that drives the sample grids.
        sample_seed: seed of that fixed batch (it is also saved in checkpoints).
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
        d_steps: int = 1,
        step_order: str = "g_first",
        loss: str = "bce",
        g_loss: str = "non_saturating",
        d_loss_reduction: str = "mean",
        real_label: float = 1.0,
        gp_weight: float = 0.0,
        r1_weight: float = 0.0,
        instance_noise: float = 0.0,
        instance_noise_epochs: float | None = None,
        ema_decay: float | None = None,
        conditional: bool = False,
        gradient_clip_val: float | None = None,
        d_joint_batch: bool = True,
        adam_impl: str = "fused",
        compile: str | None = None,
        num_sample_images: int = 64,
        sample_seed: int = 0,
    ) -> None:
        super().__init__()
        if latent_distribution not in LATENT_DISTRIBUTIONS:
            raise ValueError(
                f"model.latent_distribution={latent_distribution!r}; use one of "
                f"{LATENT_DISTRIBUTIONS}"
            )
        if adam_impl not in ADAM_IMPLS:
            raise ValueError(f"model.adam_impl={adam_impl!r}; use one of {ADAM_IMPLS}")
        if compile is not None and compile not in COMPILE_MODES:
            raise ValueError(
                f"model.compile={compile!r}; use null (eager) or one of {COMPILE_MODES}"
            )
        if loss not in LOSSES:
            raise ValueError(f"model.loss={loss!r}; use one of {LOSSES}")
        if ema_decay is not None and not 0 <= ema_decay < 1:
            raise ValueError(f"model.ema_decay={ema_decay}; use a number in [0, 1) or null")
        if step_order not in STEP_ORDERS:
            raise ValueError(f"model.step_order={step_order!r}; use one of {STEP_ORDERS}")
        self.automatic_optimization = False
        self.save_hyperparameters(
            {
                "generator": _plain(generator),
                "discriminator": _plain(discriminator),
                "latent_dim": int(latent_dim),
                "latent_distribution": latent_distribution,
                "lr_g": float(lr_g),
                "lr_d": float(lr_d),
                "betas": [float(b) for b in betas],
                "d_steps": int(d_steps),
                "step_order": step_order,
                "loss": loss,
                "g_loss": g_loss,
                "d_loss_reduction": d_loss_reduction,
                "real_label": float(real_label),
                "gp_weight": float(gp_weight),
                "r1_weight": float(r1_weight),
                "instance_noise": float(instance_noise),
                "instance_noise_epochs": instance_noise_epochs,
                "ema_decay": ema_decay,
                "conditional": bool(conditional),
                "gradient_clip_val": gradient_clip_val,
                "d_joint_batch": bool(d_joint_batch),
                "adam_impl": adam_impl,
                "compile": compile,
                "num_sample_images": int(num_sample_images),
                "sample_seed": int(sample_seed),
            },
            logger=False,
        )
        classes = {"num_classes": NUM_CLASSES} if conditional else {}
        self.generator: nn.Module = instantiate(self.hparams.generator, **classes)
        self.discriminator: nn.Module = instantiate(self.hparams.discriminator, **classes)
        # The averaged G is a frozen copy: no optimiser sees it, DDP ignores it, checkpoints
        # keep it (it is what samples and evaluation use).
        self.generator_ema: nn.Module | None = (
            copy_for_ema(self.generator) if ema_decay is not None else None
        )
        self._ema_updates = 0  # saved in checkpoints: the warm-up continues across resumes
        self.value_range = tuple(
            range_for_activation(self.hparams.generator.get("output_activation", "tanh"))
        )
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

    def sample_latent(self, n: int) -> torch.Tensor:
        """Fresh latent vectors on the module's device."""
        return self.draw_latent(n, device=self.device)

    def sample_labels(self, n: int, device: torch.device | None = None) -> torch.Tensor | None:
        """Labels for ``n`` samples of a conditional G: 0, 1, …, 9, 0, 1, … (None otherwise)."""
        if not self.hparams.conditional:
            return None
        return torch.arange(n, device=device) % NUM_CLASSES

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self._g(self.generator, z, labels)

    def _g(self, network: nn.Module, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        if self.hparams.conditional:
            return network(z, labels)
        return network(z)

    def _d(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        if self.hparams.conditional:
            return self.discriminator(x, labels)
        return self.discriminator(x)

    @property
    def sampling_generator(self) -> nn.Module:
        """The G that makes samples: the moving average when ``ema_decay`` is set."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    @torch.no_grad()
    def generate(
        self,
        z: torch.Tensor | None = None,
        n: int | None = None,
        labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Images in [0, 1] (N×1×28×28) from the sampling G in eval mode (its mode is
        restored after). A conditional G makes ``labels`` (default 0, 1, …, 9, 0, …)."""
        if z is None:
            z = self.sample_latent(n if n is not None else self.hparams.num_sample_images)
        z = z.to(self.device)
        if self.hparams.conditional:
            labels = self.sample_labels(len(z), self.device) if labels is None else labels
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
            images = self._g(network, z, labels)
        finally:
            network.train(was_training)
        low, high = self.value_range
        return ((images.float() - low) / (high - low)).clamp_(0, 1)

    @torch.no_grad()
    def generate_in_chunks(
        self, z: torch.Tensor, labels: torch.Tensor | None = None, chunk: int = 2000
    ) -> torch.Tensor:
        """``generate`` over many latents, ``chunk`` at a time (bounded memory)."""
        z_chunks = z.split(chunk)
        label_chunks = labels.split(chunk) if labels is not None else [None] * len(z_chunks)
        return torch.cat(
            [self.generate(z, labels=y) for z, y in zip(z_chunks, label_chunks, strict=True)]
        )

    # ----------------------------------------------------------------- training
    def configure_model(self) -> None:
        """Compile the networks (never the LightningModule) when ``compile`` asks for it."""
        mode = self.hparams.compile
        if mode is None:
            return
        for network in (self.generator, self.discriminator):
            if getattr(network, "_compiled_call_impl", None) is None:
                network.compile(mode=mode)

    def configure_optimizers(self):
        hp = self.hparams
        kernel = {
            "fused": {"fused": True},
            "foreach": {"foreach": True},
            "loop": {"foreach": False},
        }
        kwargs = {"betas": tuple(hp.betas), **kernel[hp.adam_impl]}
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=hp.lr_g, **kwargs)
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=hp.lr_d, **kwargs)
        return [opt_g, opt_d]

    def _step(self, optimizer, loss: torch.Tensor) -> None:
        optimizer.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        if self.hparams.gradient_clip_val:
            self.clip_gradients(
                optimizer,
                gradient_clip_val=self.hparams.gradient_clip_val,
                gradient_clip_algorithm="norm",
            )
        optimizer.step()

    def _noise_std(self, batch_idx: int) -> float:
        if not self.hparams.instance_noise:
            return 0.0
        batches = max(1, self.trainer.num_training_batches) if self._trainer else 1
        progress = self.current_epoch + batch_idx / batches
        return instance_noise_std(
            self.hparams.instance_noise, self.hparams.instance_noise_epochs, progress
        )

    def _seen_by_d(self, images: torch.Tensor, noise_std: float) -> torch.Tensor:
        if not noise_std:
            return images
        return images + noise_std * torch.randn_like(images)

    def _generator_step(
        self, opt_g, n: int, labels: torch.Tensor | None, noise_std: float
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hp = self.hparams
        with self.toggled_optimizer(opt_g):
            fake = self._g(self.generator, self.sample_latent(n), labels)
            logits = self._d(self._seen_by_d(fake, noise_std), labels)
            loss = generator_loss(logits, hp.g_loss, hp.loss)
            self._step(opt_g, loss)
        if self.generator_ema is not None:
            decay = warmed_up_decay(hp.ema_decay, self._ema_updates)
            update_ema(self.generator_ema, self.generator, decay)
            self._ema_updates += 1
        return fake.detach(), loss.detach()

    def _joint_d(self) -> bool:
        return self.hparams.d_joint_batch and not getattr(
            self.discriminator, "mixes_samples", False
        )

    def _discriminator_step(
        self,
        opt_d,
        real: torch.Tensor,
        fake: torch.Tensor | None,
        labels: torch.Tensor | None,
        noise_std: float,
    ) -> dict[str, torch.Tensor]:
        hp = self.hparams
        if fake is None:
            with torch.no_grad():
                fake = self._g(self.generator, self.sample_latent(real.shape[0]), labels)
        real = self._seen_by_d(real, noise_std)
        fake = self._seen_by_d(fake, noise_std)
        metrics: dict[str, torch.Tensor] = {}
        with self.toggled_optimizer(opt_d):
            if hp.r1_weight:
                real = real.detach().requires_grad_(True)
            if self._joint_d():
                both = None if labels is None else torch.cat([labels, labels])
                real_logits, fake_logits = self._d(torch.cat([real, fake]), both).chunk(2)
            else:
                real_logits = self._d(real, labels)
                fake_logits = self._d(fake, labels)
            loss = discriminator_loss(
                real_logits,
                fake_logits,
                real_label=hp.real_label,
                reduction=hp.d_loss_reduction,
                kind=hp.loss,
            )
            metrics["train/d_loss"] = loss.detach()
            if hp.gp_weight:
                penalty = gradient_penalty(lambda x: self._d(x, labels), real, fake)
                metrics["train/gradient_penalty"] = penalty.detach()
                loss = loss + hp.gp_weight * penalty
            if hp.r1_weight:
                penalty = r1_penalty(real_logits, real)
                metrics["train/r1_penalty"] = penalty.detach()
                loss = loss + hp.r1_weight * penalty
            self._step(opt_d, loss)
        if hp.loss == "bce":
            metrics["train/d_real"] = torch.sigmoid(real_logits.detach()).mean()
            metrics["train/d_fake"] = torch.sigmoid(fake_logits.detach()).mean()
        else:
            metrics["train/d_real"] = real_logits.detach().mean()
            metrics["train/d_fake"] = fake_logits.detach().mean()
        return metrics

    def training_step(self, batch, batch_idx: int) -> None:
        real = batch[0]
        labels = batch[1] if self.hparams.conditional else None
        opt_g, opt_d = self.optimizers()
        g_turn = (batch_idx + 1) % self.hparams.d_steps == 0
        noise_std = self._noise_std(batch_idx)
        metrics: dict[str, torch.Tensor] = {}
        if self.hparams.step_order == "g_first":
            fake = None
            if g_turn:
                fake, metrics["train/g_loss"] = self._generator_step(
                    opt_g, real.shape[0], labels, noise_std
                )
            metrics.update(self._discriminator_step(opt_d, real, fake, labels, noise_std))
        else:
            metrics.update(self._discriminator_step(opt_d, real, None, labels, noise_std))
            if g_turn:
                _, metrics["train/g_loss"] = self._generator_step(
                    opt_g, real.shape[0], labels, noise_std
                )
        self._record(metrics, batch_idx)

    # ----------------------------------------------------------------- RNG across resumes
    # The noise G trains on comes from torch's global generator. Its state is saved with
    # every checkpoint and restored on resume, so a resumed run draws exactly the noise the
    # uninterrupted run would have drawn. Under DDP each rank then folds its rank in, so
    # the ranks train on different noise.
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["rng_state"] = {"torch": torch.get_rng_state()}
        checkpoint["ema_updates"] = self._ema_updates
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            checkpoint["rng_state"]["cuda"] = torch.cuda.get_rng_state_all()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._restored_rng = checkpoint.get("rng_state")
        self._ema_updates = int(checkpoint.get("ema_updates", 0))

    def on_fit_start(self) -> None:
        state = getattr(self, "_restored_rng", None)
        if state is not None:
            torch.set_rng_state(state["torch"])
            if "cuda" in state and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(state["cuda"])
            self._restored_rng = None
        if self.trainer.world_size > 1:
            torch.manual_seed(int(torch.randint(0, 2**62, ())) + self.global_rank)

    # ----------------------------------------------------------------- logging
    # ``self.log`` costs about a millisecond per call (Lightning walks its result collection),
    # several times the arithmetic of a small GAN step. Lightning writes step scalars only
    # every ``log_every_n_steps`` batches anyway, so step values are logged only on those
    # batches, and epoch means are accumulated here as tensors (no host sync) and logged
    # once per epoch: ``train/<name>_step`` and ``train/<name>_epoch``, as Lightning names them.
    def on_train_epoch_start(self) -> None:
        self._epoch_sums: dict[str, torch.Tensor] = {}
        self._epoch_counts: dict[str, int] = {}
        # First non-finite batch of each loss (-1 = none) and its value, kept on the device
        # and read on the batches that log anyway and on the epoch's last batch, so the
        # guard adds no host sync while it still names the exact batch.
        self._first_bad: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def _watch_finite(self, metrics: dict[str, torch.Tensor], batch_idx: int) -> None:
        for name in MAIN_LOSSES:
            if name not in metrics:
                continue
            value = metrics[name]
            first, first_value = self._first_bad.get(
                name,
                (torch.full((), -1, device=value.device), torch.zeros((), device=value.device)),
            )
            new = ~torch.isfinite(value) & (first < 0)
            self._first_bad[name] = (
                torch.where(new, batch_idx, first),
                torch.where(new, value.float(), first_value),
            )

    def _raise_if_diverged(self) -> None:
        for name, (first, value) in self._first_bad.items():
            batch = int(first)
            if batch >= 0:
                raise NonFiniteLossError(
                    f"{name} became {float(value)} at epoch {self.current_epoch}, batch {batch}: "
                    "training stopped and the checkpoints saved before it are intact; lower "
                    "model.lr_g/model.lr_d or set model.gradient_clip_val (e.g. 1.0)"
                )

    def _logs_this_batch(self) -> bool:
        connector = getattr(self.trainer, "_logger_connector", None)
        return bool(getattr(connector, "should_update_logs", True)) or bool(
            self.trainer.fast_dev_run
        )

    def _record(self, metrics: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._watch_finite(metrics, batch_idx)
        logs = self._logs_this_batch()
        if logs or batch_idx + 1 >= self.trainer.num_training_batches:
            self._raise_if_diverged()
        for name, value in metrics.items():
            total = self._epoch_sums.get(name)
            self._epoch_sums[name] = value.float() if total is None else total + value
            self._epoch_counts[name] = self._epoch_counts.get(name, 0) + 1
        if logs:
            self.log_dict(
                {f"{k}_step": v for k, v in metrics.items()},
                on_step=True,
                on_epoch=False,
                batch_size=1,
            )
            self.log_dict(
                {name.split("/")[-1]: metrics[name] for name in MAIN_LOSSES if name in metrics},
                on_step=True,
                on_epoch=False,
                prog_bar=True,
                logger=False,
                batch_size=1,
            )

    def on_train_epoch_end(self) -> None:
        means = {
            f"{name}_epoch": total / self._epoch_counts[name]
            for name, total in self._epoch_sums.items()
        }
        self.log_dict(means, on_step=False, on_epoch=True, batch_size=1)

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

from mnist_gan.choices import ADAM_IMPLS, COMPILE_MODES, LATENT_DISTRIBUTIONS, STEP_ORDERS
from mnist_gan.config_resolvers import range_for_activation
from mnist_gan.errors import NonFiniteLossError
from mnist_gan.losses import discriminator_loss, generator_loss

PROGRESS_BAR = ("train/d_loss", "train/g_loss")
LOSSES = ("train/d_loss", "train/g_loss")


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
        g_loss: ``non_saturating`` or ``minimax``.
        d_loss_reduction: combine D's real and fake terms by ``mean`` or ``sum``.
        real_label: D's target for real images (< 1 = one-sided label smoothing).
        gradient_clip_val: clip each network's gradient norm (None = off).
        d_joint_batch: D's step runs one forward over ``cat([real, fake])`` instead of two:
            the same arithmetic for a D without batch-norm (the configured ones), with D's
            matmuls at twice the batch (about 10% of a step on a 2-core CPU). Set ``false``
            for a D whose batch-norm must see real and fake batches apart.
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
        g_loss: str = "non_saturating",
        d_loss_reduction: str = "mean",
        real_label: float = 1.0,
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
                "g_loss": g_loss,
                "d_loss_reduction": d_loss_reduction,
                "real_label": float(real_label),
                "gradient_clip_val": gradient_clip_val,
                "d_joint_batch": bool(d_joint_batch),
                "adam_impl": adam_impl,
                "compile": compile,
                "num_sample_images": int(num_sample_images),
                "sample_seed": int(sample_seed),
            },
            logger=False,
        )
        self.generator: nn.Module = instantiate(self.hparams.generator)
        self.discriminator: nn.Module = instantiate(self.hparams.discriminator)
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

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)

    @torch.no_grad()
    def generate(self, z: torch.Tensor | None = None, n: int | None = None) -> torch.Tensor:
        """Images in [0, 1] (N×1×28×28) from G in eval mode; G's mode is restored after."""
        if z is None:
            z = self.sample_latent(n if n is not None else self.hparams.num_sample_images)
        was_training = self.generator.training
        self.generator.eval()
        try:
            images = self.generator(z.to(self.device))
        finally:
            self.generator.train(was_training)
        low, high = self.value_range
        return ((images.float() - low) / (high - low)).clamp_(0, 1)

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

    def _generator_step(self, opt_g, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        with self.toggled_optimizer(opt_g):
            fake = self.generator(self.sample_latent(n))
            loss = generator_loss(self.discriminator(fake), self.hparams.g_loss)
            self._step(opt_g, loss)
        return fake.detach(), loss.detach()

    def _discriminator_step(
        self, opt_d, real: torch.Tensor, fake: torch.Tensor | None
    ) -> dict[str, torch.Tensor]:
        if fake is None:
            with torch.no_grad():
                fake = self.generator(self.sample_latent(real.shape[0]))
        with self.toggled_optimizer(opt_d):
            if self.hparams.d_joint_batch:
                logits = self.discriminator(torch.cat([real, fake]))
                real_logits, fake_logits = logits.split(real.shape[0])
            else:
                real_logits = self.discriminator(real)
                fake_logits = self.discriminator(fake)
            loss = discriminator_loss(
                real_logits,
                fake_logits,
                real_label=self.hparams.real_label,
                reduction=self.hparams.d_loss_reduction,
            )
            self._step(opt_d, loss)
        return {
            "train/d_loss": loss.detach(),
            "train/d_real": torch.sigmoid(real_logits.detach()).mean(),
            "train/d_fake": torch.sigmoid(fake_logits.detach()).mean(),
        }

    def training_step(self, batch, batch_idx: int) -> None:
        real = batch[0]
        opt_g, opt_d = self.optimizers()
        g_turn = (batch_idx + 1) % self.hparams.d_steps == 0
        metrics: dict[str, torch.Tensor] = {}
        if self.hparams.step_order == "g_first":
            fake = None
            if g_turn:
                fake, metrics["train/g_loss"] = self._generator_step(opt_g, real.shape[0])
            metrics.update(self._discriminator_step(opt_d, real, fake))
        else:
            metrics.update(self._discriminator_step(opt_d, real, None))
            if g_turn:
                _, metrics["train/g_loss"] = self._generator_step(opt_g, real.shape[0])
        self._record(metrics, batch_idx)

    # ----------------------------------------------------------------- RNG across resumes
    # The noise G trains on comes from torch's global generator. Its state is saved with
    # every checkpoint and restored on resume, so a resumed run draws exactly the noise the
    # uninterrupted run would have drawn. Under DDP each rank then folds its rank in, so
    # the ranks train on different noise.
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["rng_state"] = {"torch": torch.get_rng_state()}
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            checkpoint["rng_state"]["cuda"] = torch.cuda.get_rng_state_all()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._restored_rng = checkpoint.get("rng_state")

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
        for name in LOSSES:
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
                {name.split("/")[-1]: metrics[name] for name in PROGRESS_BAR if name in metrics},
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

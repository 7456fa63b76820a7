"""The run's summary at the start of training: each network's parameters, and the FLOPs one
training batch costs. It replaces Lightning's model summary, whose FLOPs column counts one
forward of the module (a GAN's forward samples; it is not its training step)."""

from __future__ import annotations

import copy
import logging

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_only
from torch.utils.flop_counter import FlopCounterMode

log = logging.getLogger(__name__)


def step_flops(gan: L.LightningModule, batch_size: int) -> int:
    """The FLOPs (matrix products and convolutions) of one training batch of ``batch_size``:
    G's step and D's step, forward and backward, as the module runs them (D's weights get
    no gradients in G's step; D judges real and fake jointly where it does). R1 and the
    gradient penalty are not counted. Copies of the networks run on zeros with the random
    generators forked, so the run itself is untouched."""
    g, d = copy.deepcopy(gan.generator), copy.deepcopy(gan.discriminator)
    hp, device = gan.hparams, gan.device
    real = torch.zeros(batch_size, 1, 28, 28, device=device)
    labels = gan.sample_labels(batch_size, device)
    with torch.random.fork_rng(devices=[]), FlopCounterMode(display=False) as counter:
        d.requires_grad_(False)
        fake = g(gan.draw_latent(batch_size, device=device), labels)
        d.split(d(fake, labels))[0].sum().backward()
        d.requires_grad_(True)
        fake = fake.detach()
        if hp.step_order == "d_first":  # D's step judges fresh fakes
            with torch.no_grad():
                fake = g(gan.draw_latent(batch_size, device=device), labels)
        real_out, fake_out = d.judge(real, fake, labels, joint=hp.d_joint_batch)
        (d.split(real_out)[0].sum() + d.split(fake_out)[0].sum()).backward()
    return counter.get_total_flops()


def readable_count(n: float) -> str:
    for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f}"


class RunSummary(L.Callback):
    """Logs each network's class and parameters, and the FLOPs of one training batch."""

    @rank_zero_only
    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        for name, network in pl_module.named_children():
            params = sum(p.numel() for p in network.parameters())
            if not params:
                continue
            frozen = "" if any(p.requires_grad for p in network.parameters()) else ", frozen"
            log.info(
                "%s: %s, %s parameters%s",
                name,
                type(network).__name__,
                readable_count(params),
                frozen,
            )
        batch = trainer.datamodule.batch_size if trainer.datamodule else 1
        log.info(
            "FLOPs per training batch of %d (G's and D's steps, forward and backward): %s",
            batch,
            readable_count(step_flops(pl_module, batch)),
        )

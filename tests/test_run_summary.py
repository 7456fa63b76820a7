"""callbacks/run_summary.py: the run's summary, with the FLOPs of one training batch."""

from __future__ import annotations

import logging

import torch
from hydra.utils import instantiate

from mnist_gan.callbacks.run_summary import readable_count, step_flops
from mnist_gan.train import train


def test_step_flops_by_hand(make_cfg):
    """G = Linear(2, 784), D = Linear(784, 1), batch n. G's step: G forward 2·n·2·784, D
    forward 2·n·784, D's input gradient 2·n·784 (no weight gradients: D is frozen), G's
    weight gradient 2·n·2·784. D's step on real and fake jointly: forward and weight
    gradient, 2·2n·784 each. In all 2n·7840."""
    cfg = make_cfg(
        "model.latent_dim=2", "model.generator.hidden=[]", "model.discriminator.hidden=[]"
    )
    gan = instantiate(cfg.model, _recursive_=False)
    before = {k: v.clone() for k, v in gan.state_dict().items()}
    rng = torch.get_rng_state()
    assert step_flops(gan, 4) == 2 * 4 * 7840
    assert step_flops(gan, 8) == 2 * step_flops(gan, 4)
    # the run is untouched: weights, batch-norm statistics, gradients and the RNG
    assert all(torch.equal(before[k], v) for k, v in gan.state_dict().items())
    assert all(p.grad is None for p in gan.parameters())
    assert torch.equal(torch.get_rng_state(), rng)


def test_a_run_logs_its_step_flops_and_not_lightnings_forward_count(make_cfg, caplog, capsys):
    with caplog.at_level(logging.INFO, logger="mnist_gan.callbacks.run_summary"):
        train(make_cfg("eval.every_n_epochs=0"))
    cfg = make_cfg()
    flops = step_flops(instantiate(cfg.model, _recursive_=False), cfg.data.batch_size)
    lines = [m for m in caplog.messages if m.startswith("FLOPs per training batch of 64")]
    assert len(lines) == 1 and lines[0].endswith(f": {readable_count(flops)}")
    assert any(
        m.startswith("discriminator: MLPDiscriminator, 533.5 K parameters") for m in caplog.messages
    )
    assert "Total FLOPs" not in capsys.readouterr().out

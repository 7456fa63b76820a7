"""train(cfg) end to end: each variant writes scalars, images and checkpoints; resume; sweep."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import pytest
import torch
from hydra.utils import instantiate
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from mnist_gan.train import train
from mnist_gan.training.gan import GAN

SCALARS = ("train/d_loss", "train/g_loss", "train/d_real", "train/d_fake")


def tensorboard_tags(run: Path) -> dict[str, list[str]]:
    acc = EventAccumulator(str(run / "tensorboard"), size_guidance={"images": 0})
    acc.Reload()
    return acc.Tags()


@pytest.mark.parametrize(
    "model",
    [
        "batchnorm_mlp",
        pytest.param("plain_mlp", marks=pytest.mark.slow),
        pytest.param("minimal", marks=pytest.mark.slow),
    ],
)
def test_each_variant_trains_and_writes_its_outputs(make_cfg, tmp_path, model):
    run = tmp_path / model
    metrics = train(make_cfg(f"model={model}", "trainer.max_epochs=2", output_dir=run))
    assert all(torch.isfinite(torch.tensor(metrics[f"{name}_epoch"])) for name in SCALARS)
    tags = tensorboard_tags(run)
    for name in SCALARS:
        assert f"{name}_step" in tags["scalars"] and f"{name}_epoch" in tags["scalars"]
    assert "samples" in tags["images"]
    assert any(tag.startswith("config") for tag in tags["tensors"])  # the resolved config
    assert (run / "samples" / "epoch_0000.png").is_file()
    assert (run / "samples" / "epoch_0001.png").is_file()
    assert (run / "samples" / "progress.gif").is_file()
    assert (run / "loss_curve.png").is_file()
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    # saved at the end of the last epoch; Lightning counts epochs from 0
    assert ckpt["epoch"] == 1 and ckpt["hyper_parameters"]["latent_dim"] > 0


def _count_generator_calls(model: GAN) -> list[str]:
    calls: list[str] = []
    model.generator.register_forward_hook(
        lambda m, i, o: calls.append("train" if m.training else "eval")
    )
    return calls


@pytest.mark.slow
@pytest.mark.parametrize(("order", "forwards_per_batch"), [("g_first", 1), ("d_first", 2)])
def test_step_order_reuses_or_redraws_fakes(make_cfg, tmp_path, order, forwards_per_batch):
    """g_first: D trains on G's fakes (one G forward per batch); d_first: G gets fresh noise."""
    cfg = make_cfg(f"model.step_order={order}", "callbacks=none", "logger=[]", fast=False)
    model = instantiate(cfg.model, _recursive_=False)
    calls = _count_generator_calls(model)
    trainer = L.Trainer(
        accelerator="cpu",
        max_epochs=1,
        limit_train_batches=4,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, datamodule=instantiate(cfg.data))
    assert calls.count("train") == 4 * forwards_per_batch


@pytest.mark.slow
def test_d_steps_per_g_step(make_cfg, tmp_path):
    run = tmp_path / "k2"
    train(make_cfg("model.d_steps=2", "trainer.limit_train_batches=6", output_dir=run))
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    opt_g, opt_d = ckpt["optimizer_states"]
    assert int(opt_g["state"][0]["step"]) == 3 and int(opt_d["state"][0]["step"]) == 6


@pytest.mark.slow
def test_resume_continues_epoch_optimizer_state_and_fixed_latents(make_cfg, tmp_path):
    run = tmp_path / "run"
    train(make_cfg(output_dir=run))
    first = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert first["epoch"] == 0 and first["global_step"] == 6

    train(
        make_cfg("trainer.max_epochs=2", f"ckpt_path={run}/checkpoints/last.ckpt", output_dir=run)
    )
    second = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert second["epoch"] == 1 and second["global_step"] == 12
    # Adam's step counters continued from the saved state (3 + 3 batches), not from zero
    assert [int(o["state"][0]["step"]) for o in second["optimizer_states"]] == [6, 6]
    assert torch.equal(first["state_dict"]["sample_z"], second["state_dict"]["sample_z"])
    assert (run / "samples" / "epoch_0001.png").is_file()


def test_fixed_latents_come_from_the_sample_seed():
    kwargs = dict(
        generator={"_target_": "mnist_gan.models.MLPGenerator", "latent_dim": 4, "hidden": [8]},
        discriminator={"_target_": "mnist_gan.models.MLPDiscriminator", "hidden": [8]},
        latent_dim=4,
    )
    a, b = GAN(**kwargs, sample_seed=1), GAN(**kwargs, sample_seed=1)
    c = GAN(**kwargs, sample_seed=2)
    assert torch.equal(a.sample_z, b.sample_z) and not torch.equal(a.sample_z, c.sample_z)
    u = GAN(**kwargs, latent_distribution="uniform")
    assert u.sample_z.min() >= -1 and u.sample_z.max() <= 1


@pytest.mark.slow
def test_multirun_sweep_makes_one_dir_per_job(two_job_sweep):
    proc, root = two_job_sweep
    assert proc.returncode == 0, proc.stderr[-2000:]
    # Lightning's messages print once per job, in the run's format; the checkpoint
    # connector's weights_only note and the known warnings not at all
    console = proc.stdout + proc.stderr
    assert console.count("`Trainer.fit` stopped") == 2, console[-3000:]
    assert "INFO: " not in console and "weights_only" not in console
    assert "UserWarning" not in console and "LeafSpec" not in console
    sweeps = list((root / "train" / "multirun").iterdir())
    assert len(sweeps) == 1
    jobs = sorted(p.name for p in sweeps[0].iterdir() if p.is_dir())
    assert len(jobs) == 2 and jobs[0].startswith("0_") and "model=plain_mlp" in jobs[0]
    for job in jobs:
        assert (sweeps[0] / job / "checkpoints" / "last.ckpt").is_file()
        assert list((sweeps[0] / job / "tensorboard").glob("events.out.tfevents.*"))


def _scalars(run: Path, tag: str) -> list[float]:
    acc = EventAccumulator(str(run / "tensorboard"))
    acc.Reload()
    return [event.value for event in acc.Scalars(tag)]


@pytest.mark.slow
def test_epoch_means_cover_every_batch_and_steps_follow_the_interval(make_cfg, tmp_path):
    every = tmp_path / "every"
    train(make_cfg("trainer.limit_train_batches=4", output_dir=every))
    steps = _scalars(every, "train/d_loss_step")
    assert len(steps) == 4
    assert _scalars(every, "train/d_loss_epoch") == pytest.approx([sum(steps) / 4], rel=1e-5)

    sparse = tmp_path / "sparse"
    train(
        make_cfg("trainer.limit_train_batches=4", "trainer.log_every_n_steps=2", output_dir=sparse)
    )
    assert len(_scalars(sparse, "train/d_loss_step")) == 2
    assert len(_scalars(sparse, "train/d_loss_epoch")) == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("impl", "flags"),
    [
        ("fused", {"fused": True}),
        ("foreach", {"foreach": True}),
        ("loop", {"foreach": False}),
    ],
)
def test_adam_kernel_choice_reaches_the_optimizers(make_cfg, impl, flags):
    model = instantiate(make_cfg(f"model.adam_impl={impl}").model, _recursive_=False)
    for optimizer in model.configure_optimizers():
        assert {k: optimizer.defaults[k] for k in flags} == flags


EVAL_SCALARS = (
    "eval/fid",
    "eval/kid",
    "eval/is",
    "eval/classes_covered",
    "eval/kl_uniform",
    "eval/precision",
    "eval/recall",
)


def test_evaluation_during_training_feeds_tensorboard_hp_metric_and_best_checkpoint(
    make_cfg, tmp_path
):
    run = tmp_path / "eval"
    metrics = train(make_cfg("trainer.max_epochs=3", "eval.every_n_epochs=2", output_dir=run))
    tags = tensorboard_tags(run)
    for name in (*EVAL_SCALARS, "hp_metric"):
        assert name in tags["scalars"], name
    assert "eval/class_histogram" in tags["images"]
    acc = EventAccumulator(str(run / "tensorboard"))
    acc.Reload()
    # epoch 2 (every 2 epochs) and epoch 3 (the last): two evaluations
    assert [e.step for e in acc.Scalars("eval/fid")] and len(acc.Scalars("eval/fid")) == 2
    fids = [e.value for e in acc.Scalars("eval/fid")]
    assert metrics["eval/fid"] == pytest.approx(fids[-1])
    assert [e.value for e in acc.Scalars("hp_metric")][-1] == pytest.approx(fids[-1])
    best = torch.load(run / "checkpoints" / "best.ckpt", weights_only=True)
    best_score = next(v for k, v in best["callbacks"].items() if "eval/fid" in k)[
        "best_model_score"
    ]
    assert float(best_score) == pytest.approx(min(fids))


@pytest.mark.slow
def test_evaluation_can_be_switched_off(make_cfg, tmp_path):
    run = tmp_path / "off"
    metrics = train(make_cfg("eval.every_n_epochs=0", output_dir=run))
    assert "eval/fid" not in metrics
    assert not [t for t in tensorboard_tags(run)["scalars"] if t.startswith("eval/")]


@pytest.mark.slow
def test_evaluation_does_not_change_training(make_cfg, tmp_path):
    """The metrics use their own RNG: the trained weights are the same with or without them."""
    common = (
        "trainer.max_epochs=2",
        "trainer.limit_train_batches=2",
        "seed=3",
        "trainer.deterministic=true",
    )
    train(make_cfg(*common, "eval.every_n_epochs=1", output_dir=tmp_path / "a"))
    train(make_cfg(*common, "eval.every_n_epochs=0", output_dir=tmp_path / "b"))
    a = torch.load(tmp_path / "a" / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "b" / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)


class _ThreadProbe(L.Callback):
    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.threads = torch.get_num_threads()


@pytest.mark.slow
def test_intra_op_threads_applies_to_training(make_cfg):
    before = torch.get_num_threads()
    probe = _ThreadProbe()
    try:
        train(make_cfg("intra_op_threads=1", "eval.every_n_epochs=0"), extra_callbacks=[probe])
        assert probe.threads == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("order", "d_option"),
    [
        ("g_first", "model.discriminator.spectral_norm=false"),
        ("d_first", "model.discriminator.spectral_norm=false"),
        ("g_first", "model.discriminator.minibatch_std=true"),  # joint as two segments
    ],
)
def test_joint_d_batch_is_the_same_arithmetic_as_two_forwards(make_cfg, tmp_path, order, d_option):
    common = ("trainer.limit_train_batches=3", "seed=5", f"model.step_order={order}", d_option)
    states = {}
    for joint in (True, False):
        run = tmp_path / f"joint_{joint}"
        train(make_cfg(*common, f"model.d_joint_batch={joint}", output_dir=run))
        states[joint] = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)[
            "state_dict"
        ]
    for name, tensor in states[True].items():
        torch.testing.assert_close(tensor, states[False][name], rtol=1e-4, atol=1e-5, msg=name)


@pytest.mark.slow
def test_compile_compiles_the_networks_in_place_and_checkpoints_keep_their_keys(make_cfg, tmp_path):
    run = tmp_path / "compiled"
    train(
        make_cfg(
            "model=minimal",
            "model.compile=default",
            "trainer.limit_train_batches=2",
            "eval.every_n_epochs=0",
            output_dir=run,
        )
    )
    state = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    eager = instantiate(make_cfg("model=minimal").model, _recursive_=False)
    assert set(state) == set(eager.state_dict())
    compiled = instantiate(
        make_cfg("model=minimal", "model.compile=default").model, _recursive_=False
    )
    compiled.configure_model()
    assert compiled.generator._compiled_call_impl is not None
    assert compiled.discriminator._compiled_call_impl is not None


@pytest.mark.slow
def test_step_values_reach_the_loggers_on_every_nth_batch_of_the_fit(make_cfg, tmp_path):
    """The module hands step values to Lightning only on the batches Lightning writes: with
    log_every_n_steps=4 over 2 epochs of 6 batches, batches 4, 8 and 12 of the fit."""
    run = tmp_path / "every4"
    overrides = ("trainer.max_epochs=2", "trainer.limit_train_batches=6")
    train(
        make_cfg(*overrides, "trainer.log_every_n_steps=4", "eval.every_n_epochs=0", output_dir=run)
    )
    acc = EventAccumulator(str(run / "tensorboard"))
    acc.Reload()
    for name in SCALARS:
        assert len(acc.Scalars(f"{name}_step")) == 3, name
        assert len(acc.Scalars(f"{name}_epoch")) == 2, name


@pytest.mark.slow
def test_mixed_precision_trains(make_cfg, tmp_path):
    """bf16 autocast (the CPU's mixed precision; 16-mixed is the CUDA twin) trains finitely."""
    metrics = train(
        make_cfg("trainer.precision=bf16-mixed", "eval.every_n_epochs=0", output_dir=tmp_path)
    )
    assert all(torch.isfinite(torch.tensor(metrics[f"{name}_epoch"])) for name in SCALARS)

"""The anti-collapse knobs: each composes and trains; penalties, EMA, packing, minibatch
stddev, spectral norm and conditioning do what their papers define."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra.utils import instantiate
from torch import nn

from mnist_gan.checkpoints import read_checkpoint
from mnist_gan.config.compose import compose_config
from mnist_gan.errors import ConfigError
from mnist_gan.evaluate import evaluate
from mnist_gan.generate import generate
from mnist_gan.metrics.judge import load_judge
from mnist_gan.models import ConvDiscriminator, ConvGenerator, MLPDiscriminator
from mnist_gan.models.blocks import MinibatchStd, pack
from mnist_gan.train import train
from mnist_gan.training.ema import copy_for_ema, update_ema, warmed_up_decay
from mnist_gan.training.losses import BCE
from mnist_gan.training.penalties import gradient_penalty, r1_penalty
from mnist_gan.training.schedules import instance_noise_std, lr_factor

from conftest import quick_first

OPTIONS = {
    "hinge": ["model.loss=hinge"],
    "least_squares": ["model.loss=least_squares"],
    "wgan_gp": ["model.loss=wasserstein", "model.gp_weight=10", "model.d_steps=2"],
    "r1": ["model.r1_weight=5"],
    "spectral_norm": ["model.discriminator.spectral_norm=true"],
    "instance_noise": ["model.instance_noise=0.2", "model.instance_noise_epochs=1"],
    "label_smoothing": ["model.real_label=0.9"],
    "pack": ["model.discriminator.pack=2"],
    "minibatch_std": ["model.discriminator.minibatch_std=true"],
    "ema": ["model.ema_decay=0.9"],
    "conditional": ["model.conditional=true"],
    "ac_gan": ["model.conditional=true", "model.aux_weight=1"],
    "dcgan": ["model=dcgan"],
    "dcgan_everything": [
        "model=dcgan",
        "model.conditional=true",
        "model.loss=hinge",
        "model.r1_weight=1",
        "model.discriminator.minibatch_std=true",
        "model.discriminator.spectral_norm=true",
        "model.ema_decay=0.99",
        "model.aux_weight=1",
    ],
}


# dcgan_everything, which combines most options, in the quick tier; each alone in the full one
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=[] if n == "dcgan_everything" else pytest.mark.slow)
        for n in sorted(OPTIONS)
    ],
)
def test_each_option_composes_and_trains_a_few_batches(make_cfg, tmp_path, name):
    run = tmp_path / name
    before = instantiate(make_cfg(*OPTIONS[name]).model, _recursive_=False)
    metrics = train(make_cfg(*OPTIONS[name], "eval.every_n_epochs=0", output_dir=run))
    assert all(math.isfinite(v) for k, v in metrics.items() if k.startswith("train/"))
    state = read_checkpoint(run / "checkpoints" / "last.ckpt")["state_dict"]
    start = before.state_dict()
    for prefix in ("generator.", "discriminator."):
        keys = [k for k in start if k.startswith(prefix) and k.endswith(("weight", "original"))]
        assert keys and any(not torch.equal(state[k], start[k]) for k in keys), prefix


# ------------------------------------------------------------------ penalties by hand
def test_gradient_penalty_matches_hand_computation():
    """D(x) = Σx²: ∇D(x̂) = 2x̂, so the penalty is mean((2‖x̂‖ - 1)²) at x̂ = εx + (1-ε)y."""
    real = torch.tensor([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    fake = torch.tensor([[0.0, 0.0], [1.0, 1.0], [-1.0, 2.0]])
    penalty = gradient_penalty(
        lambda x: (x**2).sum(dim=1), real, fake, generator=torch.Generator().manual_seed(5)
    )
    eps = torch.rand((3, 1), generator=torch.Generator().manual_seed(5))
    mixed = eps * real + (1 - eps) * fake
    expected = ((2 * mixed.norm(dim=1) - 1) ** 2).mean()
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-6)


def test_gradient_penalty_is_zero_for_a_unit_slope_critic_and_trains_through():
    """A linear critic with ‖w‖ = 1 has no penalty; with ‖w‖ = 3 it is (3 - 1)² = 4, and the
    penalty's own gradient reaches w (create_graph)."""
    w = torch.tensor([0.6, 0.8], requires_grad=True)
    real, fake = torch.randn(5, 2), torch.randn(5, 2)
    assert gradient_penalty(lambda x: x @ w, real, fake).item() == pytest.approx(0, abs=1e-10)
    penalty = gradient_penalty(lambda x: x @ (3 * w), real, fake)
    assert penalty.item() == pytest.approx(4.0)
    (grad,) = torch.autograd.grad(penalty, w)  # d/dw (3‖w‖ - 1)² = 2(3‖w‖-1)·3·w/‖w‖
    assert torch.allclose(grad, 2 * 2 * 3 * w.detach())


def test_r1_penalty_matches_hand_computation():
    """D(x) = (w·x)²: ∇D = 2(w·x)w, so R1 = ½ mean(4 (w·x)² ‖w‖²)."""
    w = torch.tensor([1.0, -2.0, 0.5])
    real = torch.tensor([[1.0, 1.0, 1.0], [0.0, 2.0, -4.0]], requires_grad=True)
    out = (real @ w) ** 2
    expected = 0.5 * (4 * (real.detach() @ w) ** 2 * w.dot(w)).mean()
    assert r1_penalty(out, real).item() == pytest.approx(expected.item())


def test_r1_in_training_equals_the_penalty_of_d_on_real_images(make_cfg):
    """The logged r1 term is the penalty of the model's own D at the real batch."""
    cfg = make_cfg("model.r1_weight=2")
    gan = instantiate(cfg.model, _recursive_=False)
    real = torch.randn(8, 1, 28, 28).requires_grad_(True)
    value = r1_penalty(gan.discriminator(real), real)
    one_at_a_time = [
        torch.autograd.grad(gan.discriminator(real[i : i + 1]).sum(), real)[0][i] for i in range(8)
    ]
    grads = torch.stack(one_at_a_time)
    assert value.item() == pytest.approx(0.5 * grads.pow(2).flatten(1).sum(1).mean().item(), 1e-5)


@pytest.mark.parametrize(
    ("batch_idx", "weight"), quick_first([(0, 2 * 3), (1, 0), (2, 0), (3, 2 * 3)], 2)
)
def test_lazy_r1_penalises_every_kth_d_step_k_times_as_much(make_cfg, batch_idx, weight):
    """model.r1_every=3: R1 on D steps 0, 3, 6, … weighted 3·γ; none on the others."""
    cfg = make_cfg("model.r1_weight=2", "model.r1_every=3")
    gan = instantiate(cfg.model, _recursive_=False)
    losses = []
    gan._step = lambda optimizer, loss: losses.append(loss)
    gan.toggled_optimizer = lambda optimizer: contextlib.nullcontext()
    real, fake = torch.randn(8, 1, 28, 28), torch.randn(8, 1, 28, 28)
    metrics = gan.discriminator_step(None, real, fake, None, 0.0, batch_idx)
    assert ("train/r1_penalty" in metrics) == bool(weight)
    x = real.clone().requires_grad_(True)
    real_logits, fake_logits = gan.discriminator(x), gan.discriminator(fake)
    expected = BCE().d_loss(real_logits, fake_logits)
    expected = expected + weight * r1_penalty(real_logits, x)
    assert losses[0].item() == pytest.approx(expected.item(), rel=1e-5)


def test_ac_gan_adds_the_class_cross_entropy_to_both_losses(make_cfg, monkeypatch):
    """model.aux_weight=w: D's output gains 10 class logits; D's loss adds w·CE on the real
    digits, G's adds w·CE of its fakes against the digits asked for."""
    gan = instantiate(
        make_cfg("model.conditional=true", "model.aux_weight=0.5").model, _recursive_=False
    )
    losses = []
    gan._step = lambda optimizer, loss: losses.append(loss)
    gan.toggled_optimizer = lambda optimizer: contextlib.nullcontext()
    real, fake = torch.randn(8, 1, 28, 28), torch.randn(8, 1, 28, 28)
    labels = torch.arange(8) % 10
    monkeypatch.setattr(gan.generator, "forward", lambda z, y=None: fake)
    assert gan.discriminator(real, labels).shape == (8, 11)
    gan.generator_step(None, real, labels, 0.0)
    out = gan.discriminator(fake, labels)
    expected = BCE().g_loss(None, out[:, 0])
    expected = expected + 0.5 * torch.nn.functional.cross_entropy(out[:, 1:], labels)
    assert losses[0].item() == pytest.approx(expected.item(), rel=1e-5)
    metrics = gan.discriminator_step(None, real, fake, labels, 0.0, 0)
    real_out, fake_out = gan.discriminator(real, labels), gan.discriminator(fake, labels)
    expected = BCE().d_loss(real_out[:, 0], fake_out[:, 0])
    class_loss = torch.nn.functional.cross_entropy(real_out[:, 1:], labels)
    assert losses[1].item() == pytest.approx((expected + 0.5 * class_loss).item(), rel=1e-5)
    assert metrics["train/d_class_loss"].item() == pytest.approx(class_loss.item(), rel=1e-5)
    with pytest.raises(ConfigError, match="model.conditional=true"):
        train(make_cfg("model.aux_weight=1"))


# ------------------------------------------------------------------ EMA
def test_ema_update_is_the_moving_average_and_decay_zero_copies():
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    average = copy_for_ema(net)
    assert not any(p.requires_grad for p in average.parameters())
    old = [p.clone() for p in average.parameters()]
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
    net(torch.randn(5, 3))  # moves the batch-norm running stats
    update_ema(average, net, 0.75)
    for a, o, p in zip(average.parameters(), old, net.parameters(), strict=True):
        assert torch.allclose(a, 0.75 * o + 0.25 * p)
    assert torch.equal(average[1].running_mean, net[1].running_mean)
    update_ema(average, net, 0.0)
    pairs = zip(average.parameters(), net.parameters(), strict=True)
    assert all(torch.equal(a, p) for a, p in pairs)
    assert warmed_up_decay(0.999, 0) == pytest.approx(0.1)
    assert warmed_up_decay(0.999, 10**6) == 0.999


@pytest.mark.slow
@pytest.mark.parametrize(("decay", "equal"), [(0.9, False), (0.0, True)])
def test_trained_ema_generator_differs_from_raw_unless_decay_is_zero(
    make_cfg, tmp_path, decay, equal
):
    run = tmp_path / f"ema{decay}"
    train(make_cfg(f"model.ema_decay={decay}", "eval.every_n_epochs=0", output_dir=run))
    state = read_checkpoint(run / "checkpoints" / "last.ckpt")["state_dict"]

    def network(prefix: str) -> dict[str, torch.Tensor]:
        return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}

    raw, ema = network("generator."), network("generator_ema.")
    assert raw.keys() == ema.keys()
    weights = [k for k in raw if k.endswith("weight")]
    assert all(torch.equal(raw[k], ema[k]) for k in weights) is equal


def test_samples_come_from_the_ema_generator(make_cfg):
    gan = instantiate(make_cfg("model.ema_decay=0.5").model, _recursive_=False)
    with torch.no_grad():
        for p in gan.generator_ema.parameters():
            p.zero_()
    # all-zero weights: tanh(0) = 0, the middle of [-1, 1], i.e. 0.5 in [0, 1]
    assert torch.all(gan.sample(n=4) == 0.5)


# ------------------------------------------------------------------ packing, stddev, SN
@pytest.mark.parametrize("m", [1, 2, 4])
def test_packing_widens_d_input_and_judges_m_samples_at_once(m):
    mlp = MLPDiscriminator(hidden=[32], pack=m)
    assert mlp.net[1].in_features == 784 * m
    assert mlp(torch.randn(12, 1, 28, 28)).shape == (12 // m,)
    conv = ConvDiscriminator(channels=[8, 16], pack=m)
    assert conv.features[0].in_channels == m
    assert conv(torch.randn(12, 1, 28, 28)).shape == (12 // m,)


def test_pack_stacks_consecutive_images_and_drops_the_remainder():
    x = torch.arange(5 * 4, dtype=torch.float).view(5, 1, 2, 2)
    packed = pack(x, 2)
    assert packed.shape == (2, 2, 2, 2)
    assert torch.equal(packed[1, 1], x[3, 0])
    with pytest.raises(ValueError, match="cannot fill one pack"):
        pack(x[:1], 2)


def forwards(d: nn.Module, real: torch.Tensor, fake: torch.Tensor, joint: bool = True) -> list:
    """The batch sizes of the forwards ``d.judge`` runs on a real and a fake batch."""
    sizes = []
    handle = d.register_forward_pre_hook(lambda module, args: sizes.append(len(args[0])))
    d.judge(real, fake, joint=joint)
    handle.remove()
    return sizes


def test_pack_changes_the_configured_d(make_cfg):
    gan = instantiate(make_cfg("model.discriminator.pack=3").model, _recursive_=False)
    assert gan.discriminator.net[1].in_features == 3 * 784
    real, fake = torch.randn(6, 1, 28, 28), torch.randn(6, 1, 28, 28)
    assert forwards(gan.discriminator, real, fake) == [6, 6]  # packs never mix real and fake


def test_minibatch_std_feature_is_zero_for_identical_samples_and_couples_the_batch():
    layer = MinibatchStd(group_size=4)
    same = torch.ones(8, 5)
    assert torch.allclose(layer(same)[:, -1], torch.full((8,), 1e-4))
    varied = torch.randn(8, 5)
    out = layer(varied)
    assert out.shape == (8, 6) and torch.all(out[:, -1] > 0.1)
    # a group is samples n/g apart: sample 0 shares its statistic with samples 2, 4, 6
    assert torch.equal(out[0, -1].expand(3), out[[2, 4, 6], -1])
    conv = layer(torch.randn(6, 3, 7, 7))  # 6 samples: groups of 3
    assert conv.shape == (6, 4, 7, 7)
    d = MLPDiscriminator(hidden=[16], minibatch_std=True)
    x = torch.randn(8, 1, 28, 28)
    y = x.clone()
    y[2] += 1
    assert d(x)[0] != d(y)[0]  # sample 0's output depends on sample 2 (its group)
    assert d.mixes_samples


def test_minibatch_std_segments_are_separate_batches_in_one_forward(make_cfg):
    layer = MinibatchStd(group_size=4)
    real, fake = torch.randn(12, 5), torch.randn(12, 5)
    joint = layer(torch.cat([real, fake]), segments=2)
    torch.testing.assert_close(joint, torch.cat([layer(real), layer(fake)]))
    images = torch.randn(8, 1, 28, 28), torch.randn(8, 1, 28, 28)
    for option, sizes in [
        ("model.discriminator.minibatch_std=true", [16]),  # one forward, two segments
        ("model.discriminator.spectral_norm=true", [16]),
        ("model.d_joint_batch=false", [8, 8]),
    ]:
        gan = instantiate(make_cfg(option).model, _recursive_=False)
        assert forwards(gan.discriminator, *images, gan.hparams.d_joint_batch) == sizes, option
        gan.discriminator.eval()  # spectral norm's power iteration advances in training mode
        joint = gan.discriminator.judge(*images, joint=gan.hparams.d_joint_batch)
        torch.testing.assert_close(joint, tuple(gan.discriminator(x) for x in images))
    d = ConvDiscriminator(channels=[4, 8], minibatch_std=True)
    x = torch.randn(16, 1, 28, 28)
    torch.testing.assert_close(d(x, segments=2), torch.cat([d(x[:8]), d(x[8:])]))
    assert d.splits_segments
    assert not ConvDiscriminator(
        channels=[4, 8], minibatch_std=True, batch_norm=True
    ).splits_segments


def test_spectral_norm_bounds_each_layer_to_unit_spectral_norm():
    d = MLPDiscriminator(hidden=[64, 32], spectral_norm=True)
    for _ in range(30):  # power iterations run in training-mode forwards
        d(torch.randn(4, 1, 28, 28))
    d.eval()
    linears = [m for m in d.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 3
    for layer in linears:
        assert torch.linalg.matrix_norm(layer.weight, ord=2).item() == pytest.approx(1.0, abs=0.02)


# ------------------------------------------------------------------ instance noise
def test_instance_noise_anneals_linearly_to_zero():
    assert [instance_noise_std(0.4, 2, t) for t in (0, 0.5, 1, 2, 5)] == pytest.approx(
        [0.4, 0.3, 0.2, 0.0, 0.0]
    )
    assert instance_noise_std(0.4, None, 7) == 0.4
    assert instance_noise_std(0.0, 2, 0) == 0.0


def test_instance_noise_reaches_d_with_the_configured_std(make_cfg, monkeypatch):
    """D's step sees the real and the fake batch with noise of the configured std."""
    gan = instantiate(make_cfg("model.instance_noise=0.3").model, _recursive_=False)
    gan.toggled_optimizer = lambda optimizer: contextlib.nullcontext()
    gan._step = lambda optimizer, loss: None
    seen = []

    def judge(real, fake, *args, **kwargs):
        seen.extend([real, fake])
        return torch.zeros(len(real)), torch.zeros(len(fake))

    monkeypatch.setattr(gan.discriminator, "judge", judge)
    std = instance_noise_std(gan.hparams.instance_noise, gan.hparams.instance_noise_epochs, 0)
    zeros = torch.zeros(1000, 1, 28, 28)
    gan.discriminator_step(None, zeros, zeros.clone(), None, std, 0)
    assert [x.std().item() for x in seen] == pytest.approx([0.3, 0.3], rel=0.02)


# ------------------------------------------------------------------ learning-rate decay
def test_lr_factor_holds_then_decays_to_zero_at_the_last_epoch():
    assert [lr_factor("linear", None, 4, t) for t in (0, 1, 2, 4, 9)] == pytest.approx(
        [1, 0.75, 0.5, 0, 0]
    )
    # only the last 2 of 10 epochs decay
    assert [lr_factor("linear", 2, 10, t) for t in (0, 7.9, 8, 9, 10)] == pytest.approx(
        [1, 1, 1, 0.5, 0]
    )
    assert [lr_factor("cosine", None, 2, t) for t in (0, 0.5, 1, 2)] == pytest.approx(
        [1, (1 + math.cos(math.pi / 4)) / 2, 0.5, 0]
    )
    assert lr_factor(None, None, 3, 2.5) == 1.0
    assert lr_factor("linear", 50, 4, 2) == pytest.approx(0.5)  # a span past the start


@pytest.mark.slow
def test_lr_decay_sets_both_optimizers_rate_from_training_progress(make_cfg, tmp_path):
    run = tmp_path / "decay"
    cfg = make_cfg(
        "model.lr_decay=linear",
        "trainer.max_epochs=2",
        "trainer.limit_train_batches=4",
        "model.lr_g=1e-3",
        "model.lr_d=4e-3",
        "eval.every_n_epochs=0",
        output_dir=run,
    )
    train(cfg)
    opt_g, opt_d = read_checkpoint(run / "checkpoints" / "last.ckpt")["optimizer_states"]
    # the last step ran at 1.75 of 2 epochs: 1/8 of the base rates
    assert opt_g["param_groups"][0]["lr"] == pytest.approx(1e-3 / 8)
    assert opt_d["param_groups"][0]["lr"] == pytest.approx(4e-3 / 8)


def test_lr_decay_needs_a_last_epoch_and_a_known_shape(make_cfg):
    with pytest.raises(ConfigError, match="trainer.max_epochs=N"):
        train(make_cfg("model.lr_decay=linear", "trainer.max_epochs=-1"))
    with pytest.raises(ConfigError, match="model.lr_decay='step' is not an option"):
        train(make_cfg("model.lr_decay=step"))
    with pytest.raises(ConfigError, match="model.lr_decay_epochs"):
        train(make_cfg("model.lr_decay=cosine", "model.lr_decay_epochs=0"))


# ------------------------------------------------------------------ conditional
def test_conditional_networks_read_the_label():
    g = ConvGenerator(latent_dim=8, channels=[16, 8], num_classes=10)
    z = torch.randn(1, 8).repeat(2, 1)
    g.eval()
    a, b = g(z, torch.tensor([3, 7]))
    assert not torch.equal(a, b)
    with pytest.raises(ValueError, match="pass the digit labels"):
        g(z)
    d = MLPDiscriminator(hidden=[16], num_classes=10)
    x = torch.randn(1, 1, 28, 28).repeat(2, 1, 1, 1)
    nn.init.normal_(d.embed.weight)
    out = d(x, torch.tensor([0, 9]))
    assert out[0] != out[1]


@pytest.fixture(scope="module")
def conditional_checkpoint(tmp_path_factory, mnist_dir) -> Path:
    """The speedrun recipe made conditional with the AC-GAN head, trained for 2 epochs
    (about 15 s; the head is what makes 2 epochs enough)."""
    run = tmp_path_factory.mktemp("conditional")
    overrides = [
        f"data.data_dir={mnist_dir}",
        "experiment=speedrun",
        "model.conditional=true",
        "model.aux_weight=1",
        "trainer.max_epochs=2",
        "callbacks.progress_bar=null",
        "eval.every_n_epochs=0",
        "logger=[]",
    ]
    train(compose_config("train", overrides, run))
    return run / "checkpoints" / "last.ckpt"


@pytest.mark.slow
def test_conditional_generator_honours_the_requested_labels(
    conditional_checkpoint, mnist_dir, tmp_path, capsys
):
    """eval.py asks for 0..9 in turn: the judge reads the requested digit far more often than
    chance (0.1), for every digit."""
    overrides = [
        f"ckpt_path={conditional_checkpoint}",
        f"data.data_dir={mnist_dir}",
        "num_samples=1000",
        "eval.num_real=1000",
        "eval.kid_subsets=5",
        "eval.kid_subset_size=100",
        "reference=false",
        "device=cpu",
    ]
    result = evaluate(compose_config("eval", overrides, tmp_path))["generated"]
    assert result["label_accuracy"] > 0.4, result
    assert min(result["label_accuracy_per_class"]) > 0.1, result["label_accuracy_per_class"]
    assert result["classes_covered"] == 10
    out = capsys.readouterr().out
    assert "label acc." in out and "judge accuracy per requested digit: 0: " in out


@pytest.mark.slow
def test_evaluation_during_training_reports_label_accuracy_per_digit(make_cfg, tmp_path):
    metrics = train(make_cfg("model.conditional=true", "eval.every_n_epochs=1"))
    assert 0 <= metrics["eval/label_accuracy"] <= 1
    digits = [metrics[f"eval/label_accuracy_digit_{d}"] for d in range(10)]
    # 200 samples asked for 0..9 in turn: 20 per digit, so the mean of the ten is the total
    assert sum(digits) / 10 == pytest.approx(metrics["eval/label_accuracy"])


@pytest.mark.slow
def test_generate_digit_makes_that_digit(conditional_checkpoint, tmp_path):
    overrides = [f"ckpt_path={conditional_checkpoint}", "num_samples=200", "digit=7", "device=cpu"]
    paths = generate(compose_config("generate", overrides, tmp_path))
    with np.load(paths["npz"]) as npz:
        images = torch.from_numpy(npz["images"]).float().div(255).unsqueeze(1)
    with torch.no_grad():
        predicted = load_judge()(images).argmax(dim=1)
    assert (predicted == 7).double().mean() > 0.5


@pytest.mark.slow
def test_generate_digit_needs_a_conditional_checkpoint(make_cfg, tmp_path):
    run = tmp_path / "plain"
    train(make_cfg("eval.every_n_epochs=0", output_dir=run))
    overrides = [f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}", "digit=7", "device=cpu"]
    with pytest.raises(ConfigError, match="model.conditional=true"):
        generate(compose_config("generate", overrides, tmp_path / "out"))
    with pytest.raises(ConfigError, match="digit=12 must be < 10"):
        generate(compose_config("generate", [*overrides[:1], "digit=12"], tmp_path / "out"))


def test_label_accuracy_overall_and_per_digit():
    from mnist_gan.metrics.coverage import label_accuracy

    logits = torch.eye(10)[[1, 1, 2, 3]]
    result = label_accuracy(logits, torch.tensor([1, 2, 2, 3]))
    assert result["label_accuracy"] == 0.75
    per = result["label_accuracy_per_class"]
    assert per[1] == 1.0 and per[2] == 0.5 and per[3] == 1.0 and math.isnan(per[0])

"""Metric code against hand-computed values, and the shipped judge against MNIST's test set."""

from __future__ import annotations

import hashlib
import math

import pytest
import torch

from mnist_gan.data import MNISTDataModule
from mnist_gan.metrics import judge as judge_module
from mnist_gan.metrics.coverage import class_coverage
from mnist_gan.metrics.evaluator import GanEvaluator
from mnist_gan.metrics.precision_recall import knn_radii, precision_recall


@pytest.fixture(scope="module")
def test_split(mnist_dir):
    images, labels = MNISTDataModule(data_dir=str(mnist_dir)).read_split(train=False)
    return images.unsqueeze(1), labels


@pytest.fixture(scope="module")
def evaluator(test_split):
    ev = GanEvaluator(kid_subsets=10, kid_subset_size=200)
    ev.set_real(test_split[0][:2000])
    return ev


def one_hot_logits(classes: list[int]) -> torch.Tensor:
    logits = torch.full((len(classes), 10), -10.0)
    logits[torch.arange(len(classes)), torch.tensor(classes)] = 10.0
    return logits


def test_coverage_of_one_class_is_one_class_and_ln10():
    stats = class_coverage(one_hot_logits([7] * 50))
    assert stats["classes_covered"] == 1
    assert stats["kl_uniform"] == pytest.approx(math.log(10))
    assert stats["max_class_share"] == 1 and stats["min_class_share"] == 0
    assert stats["histogram"][7] == 1 and stats["confident_share"] == 1


def test_coverage_of_an_even_set_and_of_unsure_predictions():
    stats = class_coverage(one_hot_logits(list(range(10)) * 3))
    assert stats["classes_covered"] == 10 and stats["kl_uniform"] == pytest.approx(0, abs=1e-12)
    two = class_coverage(one_hot_logits([0, 0, 0, 1]))
    assert two["kl_uniform"] == pytest.approx(0.75 * math.log(7.5) + 0.25 * math.log(2.5))
    assert class_coverage(torch.zeros(4, 10))["confident_share"] == 0  # all probabilities 0.1


def test_precision_recall_by_hand():
    real = torch.tensor([[0.0], [1.0], [2.0], [10.0]])
    fake = torch.tensor([[0.5], [5.0], [20.0]])
    # k=1 radii: real (1, 1, 1, 8), fake (4.5, 4.5, 15)
    assert knn_radii(real.double(), k=1).tolist() == [1, 1, 1, 8]
    precision, recall = precision_recall(real, fake, k=1)
    assert precision == pytest.approx(2 / 3)  # 20 lies outside every real ball
    assert recall == pytest.approx(1.0)  # 10 is inside the ball around 20 (radius 15)


def test_precision_recall_of_a_set_against_itself_is_one():
    points = torch.randn(300, 16, generator=torch.Generator().manual_seed(0))
    assert precision_recall(points, points, k=3) == (1.0, 1.0)


def test_shipped_judge_is_pinned_small_and_accurate(test_split):
    blob = judge_module.shipped_weights()
    assert len(blob) < 2 * 1024 * 1024
    assert hashlib.sha256(blob).hexdigest() == judge_module.WEIGHTS_SHA256
    judge = judge_module.load_judge()
    images, labels = test_split
    with torch.no_grad():
        predicted = torch.cat([judge(x.float() / 255).argmax(1) for x in images.split(2000)])
    assert (predicted == labels).double().mean().item() >= 0.993


def test_tampered_judge_weights_are_refused(monkeypatch):
    blob = judge_module.shipped_weights()
    tampered = blob[:-1] + bytes([blob[-1] ^ 0xFF])
    monkeypatch.setattr(judge_module, "shipped_weights", lambda: tampered)
    with pytest.raises(RuntimeError, match="sha256"):
        judge_module.load_judge()


def test_identical_sets_score_as_identical(evaluator, test_split):
    same = evaluator.evaluate(test_split[0][:2000])
    assert same["fid"] == pytest.approx(0, abs=1e-3)
    # KID is unbiased: zero in expectation, within a few standard errors over 10 subsets
    assert abs(same["kid"]) < 3 * same["kid_std"] / math.sqrt(10)
    assert same["precision"] == 1 and same["recall"] == 1
    assert same["classes_covered"] == 10 and same["kl_uniform"] < 0.01


def test_collapsed_set_scores_worse(evaluator, test_split):
    images, labels = test_split
    ones = images[labels == 1][:1000]
    collapsed = evaluator.evaluate(ones)
    real = evaluator.evaluate(images[2000:3000])
    assert collapsed["classes_covered"] == 1
    assert collapsed["kl_uniform"] > 2.0 and collapsed["recall"] < 0.2
    assert collapsed["fid"] > 10 * max(real["fid"], 0.1)
    assert collapsed["kid"] > 10 * max(real["kid"], collapsed["kid_std"])
    assert real["classes_covered"] == 10


def test_uint8_and_float_inputs_agree(evaluator, test_split):
    images = test_split[0][3000:3500]
    a = evaluator.evaluate(images)
    b = evaluator.evaluate(images.float() / 255)
    assert a["fid"] == pytest.approx(b["fid"], rel=1e-6)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        evaluator.evaluate(images.float())  # 0..255 floats are not canonical


def test_evaluation_leaves_the_global_rng_alone(evaluator, test_split):
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    evaluator.evaluate(test_split[0][:500])
    assert torch.equal(torch.rand(3), expected)


def test_the_judge_s_training_pieces():
    """metrics/train_judge.py: the random shift moves whole images by at most its bound with
    zeros filled in, and the feature scale is the RMS per-dimension std of the features."""
    from mnist_gan.metrics.judge import JudgeNet
    from mnist_gan.metrics.train_judge import calibrate_feature_scale, random_shift

    x = torch.zeros(50, 1, 28, 28)
    x[:, 0, 14, 14] = 1.0
    g = torch.Generator().manual_seed(0)
    assert torch.equal(random_shift(x, 0, g), x)
    shifted = random_shift(x, 2, g)
    assert torch.equal(shifted.sum(dim=(1, 2, 3)), torch.ones(50))  # nothing lost, nothing added
    where = shifted[:, 0].flatten(1).argmax(dim=1)
    rows, cols = where // 28, where % 28
    assert (rows - 14).abs().max() <= 2 and (cols - 14).abs().max() <= 2
    assert len(set(where.tolist())) > 1  # the shifts differ between images
    judge = JudgeNet()
    images = torch.rand(64, 1, 28, 28)
    scale = calibrate_feature_scale(judge, images)
    with torch.no_grad():
        raw = judge.raw_features(images).double()
    assert scale == pytest.approx(raw.var(dim=0).mean().sqrt().item(), rel=1e-6)
    assert judge.feature_scale.item() == pytest.approx(scale, rel=1e-6)

"""trainer=ddp: Lightning's DDP strategy, two CPU processes (gloo), a few batches."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from hydra.utils import instantiate

from mnist_gan.checkpoints import load_gan, read_checkpoint
from mnist_gan.data import MNISTDataModule
from mnist_gan.evaluate import make_evaluator
from mnist_gan.runs.record import read_record
from mnist_gan.sampling import sample_in_chunks

from conftest import REPO

pytestmark = pytest.mark.slow  # subprocesses and whole runs: the full tier


def test_two_process_ddp_trains_on_disjoint_data_evaluates_once_and_writes_the_usual_checkpoint(
    mnist_dir, tmp_path, make_cfg
):
    run = tmp_path / "ddp"
    probe = tmp_path / "probe"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "tests"), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "train.py"),
            "trainer=ddp",
            "trainer.accelerator=cpu",
            "trainer.devices=2",
            "trainer.max_epochs=2",
            "trainer.limit_train_batches=4",
            "intra_op_threads=1",
            "eval.every_n_epochs=2",
            "eval.num_samples=200",
            "eval.num_real=500",
            "eval.kid_subsets=10",
            "eval.kid_subset_size=100",
            "callbacks.progress_bar=null",
            f"data.data_dir={mnist_dir}",
            "+callbacks.probe._target_=probes.BatchProbe",
            f"+callbacks.probe.dirpath={probe}",
            f"hydra.run.dir={run}",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]

    seen = [json.loads((probe / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert all(s["world_size"] == 2 and len(s["batches"]) == 8 for s in seen)
    assert not set(seen[0]["batches"]) & set(seen[1]["batches"])  # each rank its own share

    ckpt = read_checkpoint(run / "checkpoints" / "last.ckpt")
    single = instantiate(make_cfg().model, _recursive_=False)
    assert set(ckpt["state_dict"]) == set(single.state_dict())
    assert ckpt["global_step"] == 2 * 2 * 4  # two optimizer steps per batch, 4 batches, 2 epochs
    assert all(
        torch.isfinite(t).all() for t in ckpt["state_dict"].values() if t.is_floating_point()
    )
    # logging and images come from rank 0 only: one event file, one set of samples
    assert len(list((run / "tensorboard").glob("events.out.tfevents.*"))) == 1
    assert sorted(p.name for p in (run / "samples").glob("epoch_*.png")) == [
        "epoch_0000.png",
        "epoch_0001.png",
    ]

    # evaluation: each rank judged half of the 200-sample bank, and the metrics both ranks
    # logged equal one process scoring the same weights on the whole bank
    assert [s["eval_share"] for s in seen] == [100, 100]
    logged = read_record(run)["metrics"]
    cfg = make_cfg("eval.num_samples=200", "eval.num_real=500")
    model = load_gan(run / "checkpoints" / "last.ckpt")
    evaluator = make_evaluator(cfg.eval, torch.device("cpu"))
    evaluator.set_real(MNISTDataModule(data_dir=mnist_dir).reference_images(cfg.eval.num_real))
    bank = model.draw_latent(cfg.eval.num_samples, torch.Generator().manual_seed(cfg.eval.seed))
    single = evaluator.evaluate(sample_in_chunks(model, bank, chunk=cfg.eval.batch_size))
    for name in ("fid", "kid", "is", "classes_covered", "kl_uniform", "precision", "recall"):
        assert logged[f"eval/{name}"] == pytest.approx(single[name], rel=1e-4, abs=1e-6), name

"""logger=wandb and logger=mlflow without a network: what each tracker's local store holds,
read back through the tracker's own API (MLflow's client; W&B's offline run file)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mnist_gan.config.compose import compose_config
from mnist_gan.config.validate import validate_train
from mnist_gan.errors import ConfigError
from mnist_gan.train import train

from conftest import FAST, REPO, require_extras

require_extras("wandb", "mlflow")
import mlflow  # noqa: E402
import wandb  # noqa: E402

import wandb_records  # noqa: E402

SHORT = ("trainer.limit_train_batches=3", "eval.every_n_epochs=1")


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")


def _cfg(mnist_dir: Path, root: Path, run: Path, *overrides: str):
    base = [f"data.data_dir={mnist_dir}", f"paths.log_dir={root}", *FAST, *SHORT]
    return compose_config("train", [*base, *overrides], run)


@pytest.mark.slow
def test_mlflow_run_holds_scalars_knobs_images_and_a_resume_continues_it(mnist_dir, tmp_path):
    run = tmp_path / "run"
    train(_cfg(mnist_dir, tmp_path, run, "logger=mlflow", "logger.mlflow.log_checkpoint=true"))
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("train")
    (found,) = client.search_runs([experiment.experiment_id])
    assert found.info.status == "FINISHED" and found.info.run_name.endswith("· run")
    assert found.data.params["model/latent_dim"] == "100"
    assert "eval/fid" in found.data.metrics
    assert len(client.get_metric_history(found.info.run_id, "train/d_loss_epoch")) == 1
    images = [a.path for a in client.list_artifacts(found.info.run_id, "images")]
    assert any(p.startswith("images/samples+step+0") and p.endswith(".png") for p in images)
    assert any(p.startswith("images/eval~class_histogram+step+0") for p in images)
    assert [a.path for a in client.list_artifacts(found.info.run_id, "checkpoints")] == [
        "checkpoints/last.ckpt"
    ]
    assert json.loads((run / "trackers.json").read_text())["mlflow"] == found.info.run_id

    further = f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}"  # a finished run: train on
    train(_cfg(mnist_dir, tmp_path, run, "logger=mlflow", "trainer.max_epochs=2", further))
    (resumed,) = client.search_runs([experiment.experiment_id])  # the same run, continued
    assert resumed.info.run_id == found.info.run_id
    assert len(client.get_metric_history(found.info.run_id, "train/d_loss_epoch")) == 2


@pytest.mark.slow
def test_wandb_offline_run_holds_scalars_knobs_images_and_a_resume_continues_it(
    mnist_dir, tmp_path
):
    run = tmp_path / "run"
    train(_cfg(mnist_dir, tmp_path, run, "logger=wandb"))
    run_id = json.loads((run / "trackers.json").read_text())["wandb"]
    (first,) = (run / "wandb").glob(f"offline-run-*-{run_id}/run-{run_id}.wandb")
    rows = wandb_records.history(first)
    assert any("train/d_loss_epoch" in row for row in rows)
    assert any("eval/fid" in row for row in rows)
    samples = [json.loads(row["samples/filenames"]) for row in rows if "samples/filenames" in row]
    assert len(samples) == 1 and (first.parent / "files" / samples[0][0]).is_file()
    assert any("eval/class_histogram/filenames" in row for row in rows)
    assert wandb_records.config(first)["model/latent_dim"] == "100"
    assert wandb.run is None  # finished with the fit: the next job gets a run of its own

    further = f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}"  # a finished run: train on
    train(_cfg(mnist_dir, tmp_path, run, "logger=wandb", "trainer.max_epochs=2", further))
    files = sorted((run / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(files) == 2 and all(f.name == f"run-{run_id}.wandb" for f in files)
    info = wandb_records.run_info(files[-1])
    assert info.run_id == run_id and info.resume


def test_a_tracker_without_its_extra_is_refused_with_the_install_line(make_cfg, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real(name, *a)
    )
    with pytest.raises(ConfigError, match=r'pip install -e "\.\[wandb\]"'):
        validate_train(make_cfg("logger=wandb"))
    validate_train(make_cfg("logger=mlflow"))  # the other one is installed


@pytest.mark.slow
@pytest.mark.parametrize(
    ("logger", "variable", "value"),
    [("wandb", "WANDB_MODE", ""), ("mlflow", "MLFLOW_TRACKING_URI", "nosuchscheme://x")],
)
def test_a_tracker_that_cannot_start_is_one_line_naming_it(
    mnist_dir, tmp_path, logger, variable, value
):
    """What the tracker refuses (here an environment variable), when it is built or when its
    run starts, ends train.py before training in one line naming the logger and its
    settings, exit 2; the run is recorded as failed. A fresh process, as W&B reads its
    environment once per process."""
    overrides = [f"logger={logger}", "eval.every_n_epochs=0", *FAST]
    if logger == "mlflow":
        overrides.append("logger.mlflow.tracking_uri=${oc.env:MLFLOW_TRACKING_URI}")
    env = {**os.environ, variable: value, "WANDB_SILENT": "true"}
    run = tmp_path / "run"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "train.py"),
            *overrides,
            f"data.data_dir={mnist_dir}",
            f"hydra.run.dir={run}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=env,
    )
    errors = [line for line in (done.stdout + done.stderr).splitlines() if "ERROR" in line]
    assert done.returncode == 2 and len(errors) == 1, (done.stdout + done.stderr)[-2000:]
    assert re.search(rf"ERROR\] - logger\.{logger}[: ].*logger\.{logger}\.\*", errors[0])
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "failed" and record["error"].startswith(f"logger.{logger}")


@pytest.mark.slow
def test_each_sweep_job_is_its_own_tracked_run_grouped_by_the_sweep(two_job_sweep):
    proc, root = two_job_sweep
    assert proc.returncode == 0, proc.stderr[-3000:]
    (sweep,) = (root / "train" / "multirun").iterdir()
    client = mlflow.MlflowClient(f"sqlite:///{root / 'mlflow.db'}")
    experiment = client.get_experiment_by_name(f"train sweep {sweep.name}")
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(r.data.params["model"] for r in runs) == ["minimal", "plain_mlp"]
    files = sorted(sweep.glob("*/wandb/offline-run-*/run-*.wandb"))
    infos = [wandb_records.run_info(f) for f in files]
    assert len({i.run_id for i in infos}) == 2
    assert {i.run_group for i in infos} == {f"train sweep {sweep.name}"}

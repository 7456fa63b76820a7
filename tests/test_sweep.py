"""Sweeps: HPARAMS that compare runs, the sweep summary, parallel and submitit launchers,
and resuming a killed sweep."""

from __future__ import annotations

import csv
import hashlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import metadata

from mnist_gan.config.compose import compose_config
from mnist_gan.runs.hparams import COMPARED_METRICS, knobs, run_label
from mnist_gan.runs.record import read_record
from mnist_gan.summary import main as summary_main

from conftest import REPO, assert_same_training_state, require_extras, train_unbroken

# Each job: a few batches and a small evaluation after its last epoch.
TINY = [
    "trainer.max_epochs=1",
    "trainer.limit_train_batches=3",
    "trainer.accelerator=cpu",
    "callbacks.progress_bar=null",
    "eval.num_samples=200",
    "eval.num_real=500",
    "eval.kid_subsets=10",
    "eval.kid_subset_size=100",
]


def sweep(sweep_dir: Path, *overrides: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "train.py"), "-m", *overrides, f"hydra.sweep.dir={sweep_dir}"],
        cwd=sweep_dir.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def job_dirs(sweep_dir: Path) -> list[Path]:
    return sorted(
        (p for p in sweep_dir.iterdir() if (p / ".hydra").is_dir()),
        key=lambda p: int(p.name.split("_")[0]),
    )


def summary_rows(sweep_dir: Path) -> list[dict[str, str]]:
    with (sweep_dir / "summary.csv").open() as fh:
        return list(csv.DictReader(fh))


def hparams_records(run: Path) -> tuple:
    acc = EventAccumulator(str(run / "tensorboard"))
    acc.Reload()
    content = acc.PluginTagToContent(metadata.PLUGIN_NAME)
    experiment = metadata.parse_experiment_plugin_data(content[metadata.EXPERIMENT_TAG])
    start = metadata.parse_session_start_info_plugin_data(content[metadata.SESSION_START_INFO_TAG])
    return experiment, start


def test_knobs_are_the_model_leaves_and_the_run_knobs_never_paths_or_callbacks():
    cfg = compose_config("train", ["experiment=no_collapse"], "/tmp/unused")
    found = knobs(cfg, {"experiment": "no_collapse", "model": "batchnorm_mlp"})
    assert found["model/latent_dim"] == cfg.model.latent_dim
    assert found["model/generator/hidden"] == "[256, 512]"  # lists as text
    assert found["experiment"] == "no_collapse" and found["model"] == "batchnorm_mlp"
    for key in (
        "data/batch_size",
        "data/source",
        "seed",
        "trainer/max_epochs",
        "trainer/max_steps",
        "trainer/precision",
    ):
        assert key in found
    assert not [k for k in found if k.startswith(("callbacks/", "paths/", "logger/", "hydra/"))]
    assert not [k for k in found if k.endswith("_target_")]
    assert run_label(["model=minimal", "data.data_dir=/x", "ckpt_path=auto"], "-") == (
        "model=minimal"
    )


@pytest.mark.slow
def test_sweep_registers_hparams_and_summarises_every_job_failed_ones_included(mnist_dir, tmp_path):
    """A 3-job sweep, one of whose jobs fails: TensorBoard's hparams protos hold the compared
    metrics and knobs of the two that ran; the summary ranks them and names the failure."""
    sweep_dir = tmp_path / "sweep"
    done = sweep(sweep_dir, "model.latent_dim=8,16,-1", *TINY, f"data.data_dir={mnist_dir}")
    assert done.returncode == 0, done.stderr[-3000:]
    jobs = job_dirs(sweep_dir)
    assert len(jobs) == 3

    names = set()
    for job in jobs[:2]:
        experiment, start = hparams_records(job)
        metrics = [info.name.tag for info in experiment.metric_infos]
        assert set(COMPARED_METRICS) <= set(metrics)
        assert "model/latent_dim" in start.hparams
        assert not [k for k in start.hparams if k.startswith(("callbacks/", "paths/"))]
        swept = {info.name for info in experiment.hparam_infos if info.differs}
        assert "model/latent_dim" in swept
        names.add(start.group_name)
    assert any(name.startswith("model.latent_dim=8") for name in names)
    assert any(name.startswith("model.latent_dim=16") for name in names)

    rows = summary_rows(sweep_dir)
    assert [row["model.latent_dim"] for row in rows[:2]] in (["8", "16"], ["16", "8"])
    fids = [float(row["eval/fid"]) for row in rows[:2]]
    assert fids == sorted(fids)  # best first by optimized_metric (min)
    assert all(row["status"] == "ok" and row["epochs"] == "1" for row in rows[:2])
    assert float(rows[0]["train s"]) > 0
    failed = rows[2]
    assert failed["model.latent_dim"] == "-1" and failed["status"].startswith("failed: ")
    assert "model.latent_dim=-1 must be > 0" in failed["status"]
    assert (sweep_dir / "summary.png").stat().st_size > 10_000
    markdown = (sweep_dir / "summary.md").read_text()
    assert "| model.latent_dim |" in markdown and "failed: model.latent_dim=-1" in markdown

    # the command rebuilds the same table for the sweep, or for any folder holding runs
    (sweep_dir / "summary.csv").unlink()
    assert summary_main([str(sweep_dir)]) == 0
    assert summary_rows(sweep_dir) == rows
    assert summary_main([str(tmp_path)]) == 0
    assert len(summary_rows(tmp_path)) == 3


@pytest.mark.slow
def test_summary_refuses_a_missing_or_empty_folder_in_one_line(tmp_path):
    for path in (tmp_path / "missing", tmp_path):
        proc = subprocess.run(
            [sys.executable, "-m", "mnist_gan.summary", str(path)],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 2
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert (
        "does not exist"
        in subprocess.run(
            [sys.executable, "-m", "mnist_gan.summary", str(tmp_path / "missing")],
            capture_output=True,
            text=True,
        ).stderr
    )


@pytest.mark.slow
def test_unknown_launcher_lists_the_options(tmp_path):
    proc = sweep(tmp_path / "s", "hydra/launcher=nope", "seed=1,2", timeout=60)
    assert proc.returncode != 0
    assert "Could not find 'hydra/launcher/nope'" in proc.stderr
    assert "joblib" in proc.stderr and "submitit_local" in proc.stderr


@pytest.mark.slow
def test_joblib_runs_jobs_in_parallel_with_one_thread_each(mnist_dir, tmp_path):
    sweep_dir = tmp_path / "joblib"
    done = sweep(
        sweep_dir,
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "seed=1,2",
        *TINY,
        f"data.data_dir={mnist_dir}",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert [row["status"] for row in summary_rows(sweep_dir)] == ["ok", "ok"]
    cores = len(__import__("os").sched_getaffinity(0))
    for job in job_dirs(sweep_dir):
        assert f"torch intra-op threads: {max(1, cores // 2)}" in (job / "train.log").read_text()


@pytest.mark.slow
def test_submitit_local_runs_each_job_in_its_own_process(mnist_dir, tmp_path):
    """The path a SLURM sweep takes, through submitit's real local executor."""
    sweep_dir = tmp_path / "submitit"
    done = sweep(
        sweep_dir,
        "hydra/launcher=submitit_local",
        "seed=1,2",
        *TINY,
        f"data.data_dir={mnist_dir}",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    jobs = job_dirs(sweep_dir)
    assert len(jobs) == 2
    for job in jobs:
        assert (job / "checkpoints" / "last.ckpt").is_file()
    assert list((sweep_dir / ".submitit").glob("*/*_result.pkl"))  # submitit's own job files
    assert [row["status"] for row in summary_rows(sweep_dir)] == ["ok", "ok"]


def _digests(job: Path) -> dict[str, str]:
    return {
        str(p.relative_to(job)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(job.rglob("*"))
        if p.is_file() and p.name != "train.log"
    }


@pytest.mark.slow
def test_killed_sweep_rerun_skips_finished_jobs_resumes_the_killed_one_and_runs_the_rest(
    mnist_dir, tmp_path
):
    common = [
        "seed=1,2,3",
        "trainer.max_epochs=3",
        "trainer.limit_train_batches=60",
        "trainer.accelerator=cpu",
        "callbacks.progress_bar=null",
        "eval.every_n_epochs=0",
        f"data.data_dir={mnist_dir}",
    ]
    sweep_dir = tmp_path / "sweep"
    sweep_dir.mkdir()
    command = [sys.executable, str(REPO / "train.py"), "-m", *common]
    proc = subprocess.Popen(
        [*command, f"hydra.sweep.dir={sweep_dir}"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        job1 = [p for p in sweep_dir.glob("1_*") if (p / "checkpoints" / "last.ckpt").exists()]
        if job1:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the sweep ended before it could be killed"
    job0, job1 = job_dirs(sweep_dir)[:2]
    assert read_record(job0)["status"] == "ok" and read_record(job1)["status"] == "running"
    assert torch.load(job1 / "checkpoints" / "last.ckpt", weights_only=True)["epoch"] < 2
    before = _digests(job0)
    log_before = (job0 / "train.log").read_text()

    rerun = sweep(sweep_dir, *common)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert _digests(job0) == before  # skipped: not one byte of its files changed
    log_after = (job0 / "train.log").read_text()
    assert log_after.startswith(log_before) and "already finished" in log_after
    jobs = job_dirs(sweep_dir)
    assert [read_record(job)["status"] for job in jobs] == ["ok", "ok", "ok"]
    assert "resuming from" in (jobs[1] / "train.log").read_text()
    assert len(summary_rows(sweep_dir)) == 3

    single = [c.replace("seed=1,2,3", "seed=2") for c in common]
    unbroken = train_unbroken(single, tmp_path / "unbroken")
    assert_same_training_state(jobs[1] / "checkpoints" / "last.ckpt", unbroken, epoch=2)


def _fake_run(folder: Path, name: str, overrides: list[str], record: dict | None) -> None:
    """A run directory as train.py leaves one, without training: Hydra's files, run.json
    and a sample grid."""
    import json

    from PIL import Image

    run = folder / name
    (run / ".hydra").mkdir(parents=True)
    (run / ".hydra" / "config.yaml").write_text(
        "model: {latent_dim: 8}\ntrainer: {max_epochs: 1}\noptimized_metric: eval/recall\n"
        "optimized_metric_mode: max\n"
    )
    (run / ".hydra" / "overrides.yaml").write_text(
        "".join(f"- {o}\n" for o in [*overrides, "data.data_dir=/somewhere"])
    )
    (run / "samples").mkdir()
    Image.new("L", (60, 60), 128).save(run / "samples" / "epoch_0000.png")
    if record is not None:
        (run / "run.json").write_text(json.dumps(record))


def test_summary_of_a_folder_of_single_runs_ranks_by_the_metric_mode_and_caps_the_grids(
    tmp_path,
):
    from mnist_gan.summary import MAX_GRIDS, collect, shown_in_grid, summarize

    folder = tmp_path / "runs"
    for i in range(MAX_GRIDS + 2):
        record = {
            "status": "ok",
            "epochs": 1,
            "train_seconds": 1.0,
            "metrics": {"eval/recall": i / 100, "eval/fid": 50.0 - i},
            "optimized_metric": "eval/recall",
            "optimized_metric_mode": "max",
        }
        _fake_run(folder, f"day1/run{i:02d}", [f"seed={i}", "model=minimal"], record)
    _fake_run(folder, "day2/killed", ["seed=99", "model=minimal"], {"status": "running"})
    _fake_run(folder, "day2/old", ["seed=98", "model=minimal"], None)

    runs = collect(folder)
    assert [run.name for run in runs[:2]] == [
        f"day1/run{MAX_GRIDS + 1:02d}",
        f"day1/run{MAX_GRIDS:02d}",
    ]  # highest recall first
    assert {runs[-2].status, runs[-1].status} == {"incomplete", "no record"}
    assert len(shown_in_grid(runs)) == MAX_GRIDS
    summarize(folder)
    rows = list(csv.DictReader((folder / "summary.csv").open()))
    assert len(rows) == MAX_GRIDS + 4
    assert list(rows[0])[:4] == ["rank", "job", "seed", "status"]  # model=minimal is common
    assert "data.data_dir" not in rows[0]  # where things are is not a knob
    assert [row["rank"] for row in rows[-2:]] == ["", ""]  # unfinished runs are not ranked
    markdown = (folder / "summary.md").read_text()
    assert "`model=minimal`" in markdown
    assert "Best first by `eval/recall` (max); the 2 without it follow in job order" in markdown


def test_a_summary_without_the_optimized_metric_ranks_nothing(tmp_path):
    """Evaluation off: no run has eval/fid, so none is ranked and the summary says so."""
    from mnist_gan.summary import summarize

    folder = tmp_path / "runs"
    for i in range(3):
        record = {"status": "ok", "epochs": 1, "metrics": {"time/train_seconds": 1.0 + i}}
        _fake_run(folder, f"run{i}", [f"seed={i}"], record | {"optimized_metric": "eval/fid"})
    summarize(folder)
    assert [row["rank"] for row in csv.DictReader((folder / "summary.csv").open())] == [""] * 3
    markdown = (folder / "summary.md").read_text()
    assert "No run has `eval/fid`" in markdown and "unranked" in markdown


@pytest.mark.slow
def test_optuna_search_gets_the_same_summary(mnist_dir, tmp_path):
    require_extras("optuna")
    sweep_dir = tmp_path / "optuna"
    done = sweep(
        sweep_dir,
        "hparams_search=optuna",
        "hydra.sweeper.n_trials=2",
        *TINY,
        f"data.data_dir={mnist_dir}",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = summary_rows(sweep_dir)
    assert [row["status"] for row in rows] == ["ok", "ok"]
    assert {"model.lr_g", "model.lr_d"} <= set(rows[0])  # the sampled knobs are the columns
    assert float(rows[0]["eval/fid"]) <= float(rows[1]["eval/fid"])


def test_long_overrides_make_a_short_unique_job_directory_name():
    from mnist_gan.config.resolvers import MAX_DIRNAME, short_dirname

    assert short_dirname("model=minimal") == "model=minimal"
    long_a, long_b = "x" * 300 + "a", "x" * 300 + "b"
    assert len(short_dirname(long_a)) == MAX_DIRNAME
    assert short_dirname(long_a) != short_dirname(long_b)


def test_a_single_run_directory_ends_in_its_overrides(tmp_path):
    from mnist_gan.config.compose import compose_config
    from mnist_gan.config.resolvers import MAX_DIRNAME, dir_suffix

    assert dir_suffix("") == ""
    assert dir_suffix("model=minimal") == "_model=minimal"
    assert len(dir_suffix("x" * 300)) == MAX_DIRNAME + 1
    # the run directory Hydra makes is hydra.run.dir as Hydra's config loader composes it
    overrides = ["debug=fdr", "model=minimal", f"data.data_dir={tmp_path}"]
    overrides.append(f"paths.log_dir={tmp_path}")
    cfg = compose_config("train", overrides, return_hydra_config=True)
    run = Path(cfg.hydra.run.dir)
    assert run.parent == tmp_path / "debug"
    assert run.name.endswith("_debug=fdr,model=minimal")  # data_dir and paths: not knobs
    plain = Path(compose_config("train", return_hydra_config=True).hydra.run.dir)
    assert "=" not in plain.name  # no overrides, no suffix: the time alone

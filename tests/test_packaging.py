"""The package ships its configs: conf/ at the top level, installed as mnist_gan.conf."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow  # subprocesses and whole runs: the full tier


def test_the_listed_packages_are_every_package_of_the_source_tree():
    tomllib = pytest.importorskip("tomllib")
    listed = set(
        tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    src = REPO / "src"
    found = {
        ".".join(init.parent.relative_to(src).parts)
        for init in src.rglob("__init__.py")
        if "egg-info" not in str(init)
    }
    groups = {
        ".".join(("mnist_gan", *folder.relative_to(REPO).parts))
        for folder in (REPO / "conf").rglob("*")
        if folder.is_dir() and folder.name != "__pycache__"
    }
    assert listed == found | {"mnist_gan.conf"} | groups
    assert (REPO / "conf" / "__init__.py").is_file()
    assert not (src / "mnist_gan" / "conf").exists()  # no link: conf/ is the one copy


@pytest.mark.slow
def test_a_regular_install_ships_the_configs_and_trains_from_an_empty_directory(
    mnist_dir, tmp_path
):
    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(site), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    shipped = site / "mnist_gan" / "conf"
    assert (shipped / "train.yaml").is_file() and (shipped / "model" / "minimal.yaml").is_file()
    assert not shipped.is_symlink()

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import mnist_gan; print(mnist_gan.__file__)"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(site)  # the installed copy, not the repo
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mnist_gan.cli import train_main; train_main()",
            "debug=fdr",
            "trainer.accelerator=cpu",
            "callbacks.progress_bar=null",
            f"data.data_dir={mnist_dir}",
        ],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    records = list((empty / "outputs").rglob("run.json"))  # the run wrote into the cwd
    assert len(records) == 1 and json.loads(records[0].read_text())["status"] == "ok"

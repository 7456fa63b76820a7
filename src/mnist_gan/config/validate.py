"""Check a composed config once, before anything is built: every value readable, every value
against its knob's declaration (``knobs.py``), the rules between knobs (each once, below),
then the memory estimate (``memory.py``). Each raises ``ConfigError``: one line naming the key
and the fix.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

from mnist_gan.config.knobs import check_knobs, declaration, registry
from mnist_gan.config.memory import check_sample_memory, check_training_memory
from mnist_gan.config.resolvers import range_for_activation
from mnist_gan.errors import ConfigError, one_line

# The nodes a training run builds: each must name its class.
BUILT = ("data", "model", "model.generator", "model.discriminator", "trainer")
# The loggers that need an optional extra (the extra is named after the package).
TRACKER_PACKAGES = {
    "WandbTracker": "wandb",
    "WandbLogger": "wandb",
    "MLflowTracker": "mlflow",
    "MLFlowLogger": "mlflow",
}


def _get(cfg: DictConfig, key: str) -> Any:
    return OmegaConf.select(cfg, key, default=None)


def unreadable(node: DictConfig | ListConfig, prefix: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(key, raw value, error) for every value that cannot be read: left ``???``, or an
    interpolation that does not resolve; Hydra's own settings last (they read the job's)."""
    keys = range(len(node)) if isinstance(node, ListConfig) else sorted(node, key="hydra".__eq__)
    for key in keys:
        child, path = node._get_node(key), f"{prefix}{key}"
        if isinstance(child, DictConfig | ListConfig) and not child._is_interpolation():
            if child._is_missing():
                yield path, "???", MissingMandatoryValue(path)
            elif not child._is_none():
                yield from unreadable(child, f"{path}.")
            continue
        try:
            node[key]
        except OmegaConfBaseException as exc:
            yield path, child._value(), exc


def problem_line(path: str, raw: Any, exc: Exception) -> str:
    """One line naming the key that cannot be read and the fix."""
    if isinstance(exc, MissingMandatoryValue):
        return f"{path} must be set; pass {path}=<value> on the command line"
    reason = one_line(exc, name_key=False)
    return f"{path}={raw} cannot be read ({reason}); fix or drop the override behind it"


def _readable(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig

    for path, raw, exc in unreadable(cfg):  # outside @hydra.main ${hydra:...} cannot resolve
        if not (isinstance(raw, str) and raw.startswith("${hydra:")) or HydraConfig.initialized():
            raise ConfigError(problem_line(path, raw, exc))


def _rule(failed: bool, message: str) -> None:
    if failed:
        raise ConfigError(message)


def _built(cfg: DictConfig) -> None:
    """Each node a training run builds names its class (before its knobs are read)."""
    for key in BUILT:
        parent = _get(cfg, key.rpartition(".")[0]) if "." in key else cfg
        _rule(
            parent is not None and not _get(cfg, f"{key}._target_"),
            f"{key}._target_ is missing: it names the class to build; drop the override that "
            "removed it",
        )


def _rules(cfg: DictConfig, samples_key: str) -> None:
    """The rules between knobs, each once."""
    activation, value_range = (
        _get(cfg, "model.generator.output_activation"),
        _get(cfg, "data.value_range"),
    )
    expected = range_for_activation(activation) if activation else None
    _rule(
        value_range is not None and expected is not None and list(value_range) != expected,
        f"data.value_range={_get(cfg, 'data.value_range')} does not match the generator's "
        f"{activation} output ({expected}); drop the override (it follows "
        f"model.generator.output_activation) or set data.value_range={expected}",
    )
    conditional, aux = _get(cfg, "model.conditional"), _get(cfg, "model.aux_weight")
    _rule(
        bool(aux) and not conditional,
        f"model.aux_weight={aux} needs the digit labels: set "
        "model.conditional=true, or model.aux_weight=0",
    )
    pack = _get(cfg, "model.discriminator.pack") or 1
    _rule(
        pack > 1 and bool(conditional),
        f"model.discriminator.pack={pack} with model."
        "conditional=true: a pack mixes digits, so D cannot be told one label; set "
        "model.discriminator.pack=1",
    )
    decay, epochs = _get(cfg, "model.lr_decay"), _get(cfg, "trainer.max_epochs")
    _rule(
        decay is not None and not (isinstance(epochs, int) and epochs > 0),
        f"model.lr_decay="
        f"{decay} decays towards trainer.max_epochs, which is {epochs}; set "
        "trainer.max_epochs=N or model.lr_decay=null",
    )
    samples, real, k = _get(cfg, samples_key), _get(cfg, "eval.num_real"), _get(cfg, "eval.k")
    _rule(
        all(isinstance(v, int) for v in (samples, real, k)) and k >= min(samples, real),
        f"eval.k={k} needs more than k samples, but {samples_key}={samples} and "
        f"eval.num_real={real}; use eval.k<{min(samples or 0, real or 0)}",
    )
    _loss_options(cfg)
    for name, entry in (_get(cfg, "logger") or {}).items():
        package = TRACKER_PACKAGES.get(str(entry and entry.get("_target_")).rpartition(".")[2])
        _rule(
            package is not None and importlib.util.find_spec(package) is None,
            f"logger.{name} needs the {package} package, which is not installed: "
            f'pip install -e ".[{package}]" (or drop logger={name})',
        )


def _loss_options(cfg: DictConfig) -> None:
    """A loss's own options (BCE's ``g_loss``, …) stay at their defaults under other losses."""
    loss, gan = _get(cfg, "model.loss"), declaration(str(_get(cfg, "model._target_")))
    if loss is None or gan is None:
        return
    losses = {name: declaration(cls).knobs for name, cls in registry(gan.knobs["loss"]).items()}
    for key, knob in gan.knobs.items():
        takers, value = (
            [name for name, options in losses.items() if key in options],
            _get(cfg, f"model.{key}"),
        )
        _rule(
            bool(takers) and loss not in takers and value != knob.default,
            f"model.{key}={value} applies to model.loss={' or '.join(takers)} only, not "
            f"model.loss={loss}; drop it or set model.{key}={knob.default}",
        )


def validate_train(cfg: DictConfig) -> None:
    """All checks on a training config; raises ``ConfigError`` on the first problem."""
    _readable(cfg)
    _built(cfg)
    check_knobs(cfg, "train")
    _rules(cfg, "eval.num_samples")
    check_sample_memory(cfg, ("eval.num_samples", "eval.num_real"))
    # a deleted batch size is the data module's default, whose memory is no concern
    check_training_memory(cfg.model, _get(cfg, "data.batch_size") or 1)


def validate_sampling(cfg: DictConfig, entry: str) -> None:
    """The checks of ``eval.py`` and ``generate.py`` (``entry``: ``eval`` or ``generate``)."""
    _readable(cfg)
    check_knobs(cfg, entry)
    _rules(cfg, "num_samples")
    check_sample_memory(cfg, ("num_samples", "eval.num_real"))

"""One line per message: the libraries' own console handlers give way to the run's.

Lightning hangs a console handler on its ``lightning`` logger when imported (and on
``lightning.pytorch``/``lightning.fabric`` when the root logger has none yet), while its
messages also propagate to the root logger, where Hydra's console and file handlers write
them again. When the root logger has handlers (under ``@hydra.main``) those library
handlers are removed, so each message is printed once, in the run's format, and reaches
the run's log file. Without root handlers (a bare ``train(cfg)`` call) nothing changes,
so Lightning's messages are not lost.

Two warnings every run printed are silenced: nobody can act on them (pytest's
``filterwarnings`` in pyproject.toml silences the same two for the tests).
"""

from __future__ import annotations

import logging
import warnings

LIBRARY_LOGGERS = ("lightning", "lightning.pytorch", "lightning.fabric")
# torchmetrics' note that KID keeps its features (10,000 judge features: a few MB), and
# torch's deprecation of a call inside Lightning's own code
KNOWN_WARNINGS = (
    r"Metric `Kernel Inception Distance` will save all extracted features",
    r".*isinstance\(treespec, LeafSpec\)",
)


def route_library_logs_to_root() -> None:
    """Remove the console handlers of ``LIBRARY_LOGGERS`` when the root logger has some,
    and silence ``KNOWN_WARNINGS``."""
    for message in KNOWN_WARNINGS:
        warnings.filterwarnings("ignore", message=message)
    if not logging.getLogger().handlers:
        return
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if isinstance(handler, logging.StreamHandler) and not isinstance(
                handler, logging.FileHandler
            ):
                logger.removeHandler(handler)
        logger.propagate = True

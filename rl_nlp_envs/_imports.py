"""Lazy imports of optional dependencies, with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingDependencyError(ImportError):
    """An optional dependency is not installed."""


def require(module: str, extra: str, purpose: str = "") -> ModuleType:
    """Import ``module`` or raise an error telling which ``rl_nlp_envs`` extra provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        what = f" (needed for {purpose})" if purpose else ""
        raise MissingDependencyError(
            f'{top} is not installed{what}; install it with: pip install "rl_nlp_envs[{extra}]"'
        ) from exc

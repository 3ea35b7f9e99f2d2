"""What the native batched environments share: checking the constructor's ``num_envs``,
``autoreset_mode`` and ``render_mode``, and reading ``reset``'s ``seed`` and ``options``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode


def autoreset_mode(value: AutoresetMode | str) -> AutoresetMode:
    """An ``AutoresetMode`` from itself, its value (``"NextStep"``) or its name
    (``"NEXT_STEP"``, any case)."""
    if isinstance(value, AutoresetMode):
        return value
    for mode in AutoresetMode:
        if isinstance(value, str) and value.lower() in (mode.value.lower(), mode.name.lower()):
            return mode
    allowed = ", ".join(f"{m.name} ({m.value!r})" for m in AutoresetMode)
    raise ValueError(f"unknown autoreset_mode {value!r}; choose one of: {allowed}")


def check_vector_args(
    num_envs: Any, mode: AutoresetMode | str, render_mode: str | None, render_modes: Sequence[str]
) -> AutoresetMode:
    """Check a native vector env's ``num_envs`` (a positive int) and ``render_mode`` (one of
    ``render_modes`` or None); returns its ``AutoresetMode``."""
    if isinstance(num_envs, (bool, np.bool_)) or not isinstance(num_envs, (int, np.integer)):
        raise ValueError(f"num_envs must be a positive int, got {num_envs!r}")
    if num_envs < 1:
        raise ValueError(f"num_envs must be a positive int, got {num_envs!r}")
    if render_mode is not None and render_mode not in render_modes:
        raise ValueError(
            f"unknown render_mode {render_mode!r} for the vector env; choose one of: "
            f"{', '.join(render_modes)} or None"
        )
    return autoreset_mode(mode)


def parse_reset(
    env_name: str,
    num_envs: int,
    seed: int | Sequence[int | None] | None,
    options: dict[str, Any] | None,
    more_options: bool = False,
) -> tuple[np.ndarray, list[int | None], int | None, dict[str, Any]]:
    """Check a vector ``reset``'s arguments.

    ``options`` may hold ``reset_mask`` (a bool array with at least one True, as in Gymnasium's
    vector envs) and, if ``more_options``, keys that the env checks itself. Returns the mask of
    sub-envs to reset (all when there is no ``reset_mask``), one seed per sub-env (``seed + i``
    for an int ``seed``, as Gymnasium's vector envs do), the int ``seed`` itself, with which
    the vector env reseeds its own generator (``None`` otherwise), and the other options.
    """
    n = num_envs
    options = dict(options or {})
    mask = options.pop("reset_mask", None)
    if options and not more_options:
        raise ValueError(
            f"{env_name} vector reset takes only the option 'reset_mask', got {sorted(options)}"
        )
    if mask is None:
        mask = np.ones(n, dtype=bool)
    else:
        mask = np.asarray(mask)
        if mask.shape != (n,) or mask.dtype != np.bool_ or not mask.any():
            raise ValueError(
                f"reset_mask must be a bool array of shape ({n},) with at least one True"
            )
    if seed is None:
        return mask, [None] * n, None, options
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
        return mask, [int(seed) + i for i in range(n)], int(seed), options
    if isinstance(seed, (Sequence, np.ndarray)) and not isinstance(seed, str):
        seeds = list(seed)
        if len(seeds) != n:
            raise ValueError(f"reset got {len(seeds)} seeds for {n} sub-environments")
        return mask, seeds, None, options
    raise ValueError(
        f"seed must be None, an int or a list of {n} ints/None, got {type(seed).__name__}"
    )

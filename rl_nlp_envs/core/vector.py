"""What the native batched environments share: reading ``reset``'s ``seed`` and ``options``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def parse_reset(
    env_name: str,
    num_envs: int,
    seed: int | Sequence[int | None] | None,
    options: dict[str, Any] | None,
) -> tuple[np.ndarray, list[int | None], int | None]:
    """Check a vector ``reset``'s arguments; ``options`` may hold only ``reset_mask``.

    Returns the bool mask of sub-envs to reset (all when there is no ``reset_mask``), one seed
    per sub-env (``seed + i`` for an int ``seed``, as Gymnasium's vector envs do), and the int
    ``seed`` itself, with which the vector env reseeds its own generator (``None`` otherwise).
    """
    n = num_envs
    options = dict(options or {})
    mask = options.pop("reset_mask", None)
    if options:
        raise ValueError(
            f"{env_name} vector reset takes only the option 'reset_mask', got {sorted(options)}"
        )
    if mask is None:
        mask = np.ones(n, dtype=bool)
    else:
        mask = np.asarray(mask)
        if mask.shape != (n,) or mask.dtype != np.bool_:
            raise ValueError(f"reset_mask must be a bool array of shape ({n},)")
    if isinstance(seed, (int, np.integer)):
        return mask, [int(seed) + i for i in range(n)], int(seed)
    if seed is None:
        return mask, [None] * n, None
    seeds = list(seed)
    if len(seeds) != n:
        raise ValueError(f"reset got {len(seeds)} seeds for {n} sub-environments")
    return mask, seeds, None

"""Space builders and the one place where actions are validated."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces


class InvalidActionError(ValueError):
    """An action outside the environment's action space."""


def describe_space(space: spaces.Space[Any]) -> str:
    """A short human description of what a space admits."""
    if isinstance(space, spaces.Discrete):
        low = int(space.start)
        return f"an integer in [{low}, {low + int(space.n) - 1}]"
    if isinstance(space, spaces.MultiDiscrete):
        return f"an integer array of shape {space.shape} with 0 <= a[i] < {space.nvec.tolist()}"
    if isinstance(space, spaces.Text):
        return f"a str of {space.min_length} to {space.max_length} characters from the charset"
    if isinstance(space, spaces.Box):
        return f"an array of shape {space.shape} within [{space.low.min()}, {space.high.max()}]"
    return repr(space)


def discrete_action(action: Any, space: spaces.Discrete) -> int:
    """Validate an action of a ``Discrete`` space and return it as a Python int."""
    if isinstance(action, (bool, np.bool_)):
        raise InvalidActionError(
            f"action {action!r} is a bool; {space} expects {describe_space(space)}"
        )
    if isinstance(action, np.ndarray):
        if action.shape not in ((), (1,)):
            raise InvalidActionError(
                f"action has shape {action.shape}; {space} expects {describe_space(space)}"
            )
        action = action.reshape(()).item()
    whole_float = isinstance(action, (float, np.floating)) and float(action).is_integer()
    if isinstance(action, (int, np.integer)) or whole_float:
        value = int(action)
    else:
        raise InvalidActionError(
            f"action {action!r} of type {type(action).__name__} is not valid for {space}; "
            f"expected {describe_space(space)}"
        )
    low = int(space.start)
    if not low <= value < low + int(space.n):
        raise InvalidActionError(
            f"action {value} is outside {space}; expected {describe_space(space)}"
        )
    return value


def batched_discrete_actions(actions: Any, num_envs: int, n: int) -> np.ndarray:
    """Validate one ``Discrete(n)`` action per sub-environment; returns an int64 array."""
    arr = np.asarray(actions)
    if arr.shape != (num_envs,):
        raise InvalidActionError(
            f"actions have shape {arr.shape}; expected ({num_envs},) with one integer in "
            f"[0, {n - 1}] per sub-environment"
        )
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise InvalidActionError(
                f"actions of dtype {arr.dtype} are not valid; expected integers in [0, {n - 1}]"
            )
    bad = (arr < 0) | (arr >= n)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidActionError(
            f"action {arr[i]} of sub-environment {i} is outside Discrete({n}); "
            f"expected integers in [0, {n - 1}]"
        )
    return arr.astype(np.int64, copy=False)


# Unicode blocks a text action or observation may use: ASCII and Latin scripts (umlauts,
# accents), general punctuation and currency signs, CJK punctuation, kana, the CJK unified
# ideographs and full-width forms. Enough for every bundled language and most user data.
_CHARSET_RANGES = (
    (0x20, 0x7E),
    (0xA0, 0x24F),
    (0x370, 0x3FF),
    (0x400, 0x4FF),
    (0x2000, 0x206F),
    (0x20A0, 0x20BF),
    (0x2100, 0x218F),
    (0x3000, 0x30FF),
    (0x4E00, 0x9FFF),
    (0xFF00, 0xFFEF),
)
_EXTRA_CHARS = "\n\t"


def text_charset(extra: str = "") -> frozenset[str]:
    """The default charset of ``Text`` spaces, plus any ``extra`` characters."""
    chars = {chr(c) for lo, hi in _CHARSET_RANGES for c in range(lo, hi + 1)}
    chars.update(_EXTRA_CHARS)
    chars.update(extra)
    return frozenset(chars)


_DEFAULT_CHARSET: frozenset[str] | None = None


def default_charset() -> frozenset[str]:
    """The default charset, built once."""
    global _DEFAULT_CHARSET
    if _DEFAULT_CHARSET is None:
        _DEFAULT_CHARSET = text_charset()
    return _DEFAULT_CHARSET


def text_action(action: Any, space: spaces.Text) -> str:
    """Validate a ``Text`` action; returns it."""
    if not isinstance(action, str):
        raise InvalidActionError(
            f"action of type {type(action).__name__} is not valid for a Text space; expected "
            f"{describe_space(space)}"
        )
    if not space.min_length <= len(action) <= space.max_length:
        raise InvalidActionError(
            f"action has {len(action)} characters; the Text space allows {space.min_length} "
            f"to {space.max_length}"
        )
    charset = space.character_set
    bad = sorted({c for c in action if c not in charset})
    if bad:
        shown = ", ".join(repr(c) for c in bad[:5])
        raise InvalidActionError(
            f"action contains characters outside the space's charset: {shown}"
            + (" ..." if len(bad) > 5 else "")
        )
    return action

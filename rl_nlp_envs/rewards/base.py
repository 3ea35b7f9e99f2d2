"""The shared reward API: the :class:`RewardFn` protocol and the :class:`Metric` base class.

A reward function maps ``(hypothesis, references)`` to a float. Metrics additionally split the
work into a reference side (:meth:`Metric.prepare`, done once per example) and a hypothesis side
(:meth:`Metric.score_prepared`), because a text environment with dense rewards scores every
prefix of a growing hypothesis against the same references.
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["Metric", "RewardFn", "check_hypothesis", "check_references"]


@runtime_checkable
class RewardFn(Protocol):
    """Any callable ``(hypothesis: str, references: Sequence[str]) -> float``."""

    def __call__(self, hypothesis: str, references: Sequence[str]) -> float: ...


def check_hypothesis(hypothesis: object, what: str = "hypothesis") -> str:
    """Return ``hypothesis`` if it is a ``str``, else raise a ``TypeError``."""
    if not isinstance(hypothesis, str):
        raise TypeError(f"{what} must be a str, got {type(hypothesis).__name__}")
    return hypothesis


def check_references(references: object, what: str = "references") -> tuple[str, ...]:
    """Validate ``references`` and return them as a tuple of strings.

    Allowed: a non-empty sequence (list, tuple, ...) of ``str``. A bare ``str`` is refused, since
    iterating it would silently score against single characters.
    """
    if isinstance(references, str | bytes) or not isinstance(references, Sequence):
        raise TypeError(
            f"{what} must be a non-empty sequence of str (e.g. a list of strings), "
            f"got {type(references).__name__}"
        )
    refs = tuple(references)
    if not refs:
        raise ValueError(
            f"{what} must contain at least one reference string, got an empty sequence"
        )
    for i, ref in enumerate(refs):
        if not isinstance(ref, str):
            raise TypeError(f"{what}[{i}] must be a str, got {type(ref).__name__}")
    return refs


class Metric(abc.ABC):
    """A reward metric with a cacheable reference side.

    Subclasses implement :meth:`score_prepared` and usually override :meth:`prepare` to do the
    reference-side work (tokenization, n-gram counting) once. Calling the metric directly,
    ``metric(hypothesis, references)``, validates the inputs and reuses the prepared references of
    recent calls (a small per-instance LRU cache of ``cache_size`` entries), so dense rewards stay
    cheap even through the plain :class:`RewardFn` interface.
    """

    name: str
    higher_is_better = True
    #: How many prepared reference sets ``__call__`` and ``batch`` keep per instance (0: none).
    cache_size = 256

    def prepare(self, references: Sequence[str]) -> Any:
        """Preprocess ``references`` once; the result is passed to :meth:`score_prepared`."""
        return check_references(references)

    @abc.abstractmethod
    def score_prepared(self, hypothesis: str, prepared: Any) -> float:
        """Score ``hypothesis`` against references already processed by :meth:`prepare`."""

    def __call__(self, hypothesis: str, references: Sequence[str]) -> float:
        """Score ``hypothesis`` against ``references`` (a non-empty sequence of strings)."""
        check_hypothesis(hypothesis)
        return self.score_prepared(hypothesis, self._prepare_cached(check_references(references)))

    def batch(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> np.ndarray:
        """Score ``hypotheses[i]`` against ``references[i]`` for every ``i``; a float64 array."""
        if isinstance(hypotheses, str) or not isinstance(hypotheses, Sequence):
            raise TypeError(
                f"hypotheses must be a sequence of str, got {type(hypotheses).__name__}"
            )
        if isinstance(references, str) or not isinstance(references, Sequence):
            raise TypeError(
                "references must be a sequence with one sequence of reference strings per "
                f"hypothesis, got {type(references).__name__}"
            )
        if len(hypotheses) != len(references):
            raise ValueError(
                f"hypotheses and references must have the same length, got {len(hypotheses)} "
                f"hypotheses and {len(references)} reference sets"
            )
        out = np.empty(len(hypotheses), dtype=np.float64)
        for i, (hyp, refs) in enumerate(zip(hypotheses, references, strict=True)):
            check_hypothesis(hyp, f"hypotheses[{i}]")
            prepared = self._prepare_cached(check_references(refs, f"references[{i}]"))
            out[i] = self.score_prepared(hyp, prepared)
        return out

    def _prepare_checked(self, refs: tuple[str, ...]) -> Any:
        """:meth:`prepare` for references already checked (``check_references``); metrics may
        skip the checks here."""
        return self.prepare(refs)

    def _prepare_cached(self, refs: tuple[str, ...]) -> Any:
        """:meth:`prepare` through the per-instance LRU cache keyed by the reference strings
        (already checked)."""
        cached: Callable[[tuple[str, ...]], Any] | None = self.__dict__.get("_prepare_lru")
        if cached is None:
            if self.cache_size <= 0:
                return self._prepare_checked(refs)
            cached = functools.lru_cache(maxsize=self.cache_size)(self._prepare_checked)
            self.__dict__["_prepare_lru"] = cached
        return cached(refs)

    def cache_clear(self) -> None:
        """Forget the prepared references cached by ``__call__`` and ``batch``."""
        self.__dict__.pop("_prepare_lru", None)

    def __getstate__(self) -> dict[str, Any]:
        # The cache holds a bound method of ``self``; drop it so metrics pickle (vector envs).
        state = self.__dict__.copy()
        state.pop("_prepare_lru", None)
        return state

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

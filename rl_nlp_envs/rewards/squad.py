"""SQuAD token F1 and exact match, as the official SQuAD evaluation scripts compute them.

Answers are normalised as the official v1.1 script's ``normalize_answer``: lower-case, delete
the characters of ``string.punctuation``, replace the articles matched by ``\\b(a|an|the)\\b``
with a space, collapse whitespace. F1 is the harmonic mean of token precision and recall (tokens
counted with multiplicity), exact match compares the normalised strings; both take the maximum
over the reference answers (``metric_max_over_ground_truths``).

Scale: the official scripts multiply by 100 only when averaging over a data set; these per-example
metrics return F1 in [0, 1] and exact match as 0.0 or 1.0.

Unanswerable questions (SQuAD v2.0): a reference list cannot be empty here, so an unanswerable
question has the reference ``""``. F1 follows the v2.0 script's ``compute_f1``: when the
prediction or the reference normalises to no tokens, F1 is 1.0 if both do and 0.0 otherwise.
This is v1.1's ``f1_score`` everywhere else (v1.1 returns 0 even when both sides are empty),
and it keeps F1 consistent with exact match. Unlike the v2.0 script, references that normalise
to nothing are not dropped from a list that also has real answers.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from typing import NamedTuple

from rl_nlp_envs.rewards.base import Metric, check_hypothesis, check_references

__all__ = ["ExactMatch", "SquadF1", "answer_tokens", "normalize_answer"]

_PUNCTUATION = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


_ARTICLE_WORDS = frozenset(("a", "an", "the"))


def answer_tokens(text: str) -> list[str]:
    """The tokens of the official ``normalize_answer(text)`` (its result is them joined)."""
    text = text.lower().translate(_PUNCTUATION)
    tokens = text.split()
    # The regex's \w is str.isalnum() plus "_" (deleted above as punctuation). If every
    # non-space character is alphanumeric, word boundaries fall exactly at the token edges, so
    # the regex removes exactly the tokens "a", "an" and "the".
    if "".join(tokens).isalnum():
        return [t for t in tokens if t not in _ARTICLE_WORDS]
    return _ARTICLES.sub(" ", text).split()


def normalize_answer(text: str) -> str:
    """The official SQuAD ``normalize_answer``: lower, no punctuation, no articles, one space."""
    return " ".join(answer_tokens(text))


def _count(tokens: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    get = counts.get
    for token in tokens:
        counts[token] = get(token, 0) + 1
    return counts


class SquadReferences(NamedTuple):
    """Reference answers prepared by :meth:`SquadF1.prepare`."""

    lengths: tuple[int, ...]
    """The number of normalised tokens of every answer."""
    keys: tuple[frozenset[str], ...]
    """The distinct tokens of every answer."""
    counts: tuple[dict[str, int], ...]
    """The token counts of every answer."""


def _check_prepared(metric: str, prepared: object, expected: type) -> None:
    if type(prepared) is not expected:
        raise TypeError(
            f"prepared must come from {metric}.prepare(references), got {type(prepared).__name__}"
        )


class SquadF1(Metric):
    """SQuAD token F1 in [0, 1], the maximum over the reference answers.

    Equal to the official v1.1 ``metric_max_over_ground_truths(f1_score, prediction,
    references)``, except that a prediction and a reference that both normalise to no tokens
    score 1.0 (v2.0's ``compute_f1``); use the reference ``""`` for unanswerable questions.
    """

    name = "f1"

    def prepare(self, references: Sequence[str]) -> SquadReferences:
        """Normalise and count the tokens of every reference answer."""
        tokens = [answer_tokens(ref) for ref in check_references(references)]
        counts = tuple(map(_count, tokens))
        return SquadReferences(tuple(map(len, tokens)), tuple(frozenset(c) for c in counts), counts)

    def score_prepared(self, hypothesis: str, prepared: SquadReferences) -> float:
        """F1 of ``hypothesis`` against answers from :meth:`prepare`, in [0, 1]."""
        if type(hypothesis) is not str:
            check_hypothesis(hypothesis)
        if type(prepared) is not SquadReferences:
            _check_prepared("SquadF1", prepared, SquadReferences)
        pred = answer_tokens(hypothesis)
        n_pred = len(pred)
        if not n_pred:
            # v2.0: an empty prediction matches only an empty reference
            return 1.0 if 0 in prepared.lengths else 0.0
        pred_set = set(pred)
        # without repeated prediction tokens, each common token counts once
        pred_counts = None if len(pred_set) == n_pred else _count(pred)
        best = 0.0
        for length, keys, ref_counts in zip(*prepared, strict=True):
            if pred_counts is None:
                num_same = len(pred_set & keys)
            else:
                common = pred_set & keys
                num_same = sum(
                    map(
                        min,
                        map(pred_counts.__getitem__, common),
                        map(ref_counts.__getitem__, common),
                    )
                )
            if num_same == 0:
                continue  # also every empty reference: 0.0 against a non-empty prediction
            # the official operations, in the same order, for the same float
            precision = 1.0 * num_same / n_pred
            recall = 1.0 * num_same / length
            f1 = (2 * precision * recall) / (precision + recall)
            if f1 > best:
                best = f1
        return best

    def __repr__(self) -> str:
        return "SquadF1()"


class ExactMatch(Metric):
    """SQuAD exact match: 1.0 if the normalised prediction equals a normalised reference."""

    name = "exact_match"

    def prepare(self, references: Sequence[str]) -> frozenset[str]:
        """The set of normalised reference answers."""
        return frozenset(map(normalize_answer, check_references(references)))

    def score_prepared(self, hypothesis: str, prepared: frozenset[str]) -> float:
        """1.0 if ``hypothesis`` matches an answer from :meth:`prepare` after normalisation."""
        if type(hypothesis) is not str:
            check_hypothesis(hypothesis)
        if type(prepared) is not frozenset:
            _check_prepared("ExactMatch", prepared, frozenset)
        return 1.0 if normalize_answer(hypothesis) in prepared else 0.0

    def __repr__(self) -> str:
        return "ExactMatch()"

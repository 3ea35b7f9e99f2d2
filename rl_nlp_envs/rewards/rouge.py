"""ROUGE-N, ROUGE-L and ROUGE-Lsum, equal to Google's ``rouge-score`` package, without it.

The values are those of ``rouge_scorer.RougeScorer([rouge_type], use_stemmer=...)``:
``score(reference, hypothesis)`` for one reference and ``score_multi(references, hypothesis)``
(the reference with the highest F-measure, the first one on ties) for several, down to the last
bit of the float. What is reproduced:

* the tokenizer: lower-case, every run of characters other than ``[a-z0-9]`` is a separator,
  tokens longer than 3 characters are Porter-stemmed (:mod:`rl_nlp_envs.rewards.porter`, equal
  to NLTK's stemmer), stems that are not ``[a-z0-9]+`` are dropped;
* ROUGE-N: clipped n-gram overlap; precision and recall divide by ``max(count, 1)``;
* ROUGE-L: the longest common subsequence, 0 when either side has no tokens;
* ROUGE-Lsum: sentences are the non-empty lines (``text.split("\\n")``); the summary-level LCS
  takes, for each reference sentence, the union of *one particular* LCS with each hypothesis
  sentence (the one rouge-score's backtracking picks) and counts each token at most as often as
  it occurs on both sides.

What is faster: the reference side (tokens, n-gram counts, LCS bit masks) is built once in
:meth:`ROUGE.prepare`; LCS lengths use a bit-parallel algorithm on Python integers (one
addition, subtraction and a few bit operations per hypothesis token, instead of a row of the
dynamic-programming table), and ROUGE-Lsum's backtracking reads the table's cells off the
stored bit vectors (a population count) instead of filling the table.
"""

from __future__ import annotations

import collections
import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from rl_nlp_envs.rewards import porter
from rl_nlp_envs.rewards.base import Metric, check_hypothesis, check_references

__all__ = ["MEASURES", "ROUGE", "ROUGE_TYPES", "ROUGEMix", "tokenize"]

#: The supported ROUGE types: n-gram overlap for n = 1..9, LCS, summary-level LCS.
ROUGE_TYPES: tuple[str, ...] = (*(f"rouge{n}" for n in range(1, 10)), "rougeL", "rougeLsum")
#: The fields of rouge-score's ``Score`` tuple, in its order.
MEASURES: tuple[str, ...] = ("precision", "recall", "fmeasure")

# After lower-casing, rouge-score replaces each run of non-[a-z0-9] characters by a space,
# splits on whitespace and drops empty tokens: exactly the runs of [a-z0-9] characters.
_TOKEN_RE = re.compile(r"[a-z0-9]+")
_VALID_TOKEN_RE = re.compile(r"^[a-z0-9]+$")


@functools.lru_cache(maxsize=1 << 16)
def _stem_token(token: str) -> str:
    """rouge-score's per-token stemming; "" for a stem its final validity check would drop."""
    if len(token) <= 3:
        return token
    stemmed = porter.stem_uncached(token)
    return stemmed if _VALID_TOKEN_RE.match(stemmed) else ""


def tokenize(text: str, use_stemmer: bool = True) -> list[str]:
    """rouge-score's ``DefaultTokenizer(use_stemmer).tokenize(text)``."""
    tokens = _TOKEN_RE.findall(text.lower())
    if not use_stemmer:
        return tokens
    tokens = list(map(_stem_token, tokens))
    if "" in tokens:
        tokens = [t for t in tokens if t]
    return tokens


def _sentence_tokens(text: str, use_stemmer: bool) -> list[list[str]]:
    """ROUGE-Lsum's sentences (non-empty lines, as rouge-score splits them), tokenized."""
    return [tokenize(line, use_stemmer) for line in text.split("\n") if line]


def _fmeasure(precision: float, recall: float) -> float:
    # rouge_score.scoring.fmeasure, same operations in the same order
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


Score = tuple[float, float, float]
_ZERO: Score = (0.0, 0.0, 0.0)


def _ngrams(tokens: list[str], n: int) -> Iterable[Any]:
    """The n-grams of ``tokens``: the tokens themselves for n = 1, tuples otherwise."""
    if n == 1:
        return tokens
    return zip(*(tokens[i:] for i in range(n)), strict=False)


_count_elements: Callable[[dict[Any, int], Iterable[Any]], None] | None = getattr(
    collections, "_count_elements", None
)


def _count(items: Iterable[Any]) -> dict[Any, int]:
    """Count ``items`` into a plain dict (``Counter``'s C helper, without ``Counter``)."""
    counts: dict[Any, int] = {}
    if _count_elements is not None:
        _count_elements(counts, items)
        return counts
    get = counts.get  # pragma: no cover - only on Pythons without the C helper
    for item in items:  # pragma: no cover
        counts[item] = get(item, 0) + 1
    return counts  # pragma: no cover


class _NgramRef(NamedTuple):
    counts: set[Any] | dict[Any, int]  # a set when no n-gram repeats (the usual case)
    total: int


class _LcsRef(NamedTuple):
    masks: dict[str, int]  # token -> bit i set for every position i where it occurs
    length: int
    full: int  # (1 << length) - 1


class _LsumRef(NamedTuple):
    sentences: tuple[tuple[list[str], _LcsRef], ...]
    length: int
    counts: dict[str, int]


def _prepare_ngrams(tokens: list[str], n: int) -> _NgramRef:
    total = max(len(tokens) - n + 1, 0)
    grams = list(_ngrams(tokens, n))
    distinct = set(grams)
    return _NgramRef(distinct if len(distinct) == total else _count(grams), total)


def _prepare_lcs(tokens: list[str]) -> _LcsRef:
    masks: dict[str, int] = {}
    get = masks.get
    for i, token in enumerate(tokens):
        masks[token] = get(token, 0) | (1 << i)
    return _LcsRef(masks, len(tokens), (1 << len(tokens)) - 1)


def _prepare_lsum(sentences: list[list[str]]) -> _LsumRef:
    counts = _count(t for sentence in sentences for t in sentence)
    return _LsumRef(
        tuple((s, _prepare_lcs(s)) for s in sentences), sum(map(len, sentences)), counts
    )


def _score_ngrams(tokens: list[str], ref: _NgramRef, n: int) -> Score:
    hyp_total = max(len(tokens) - n + 1, 0)
    counts = ref.counts
    if not hyp_total or not ref.total:
        hits = 0
    elif type(counts) is set:
        # every reference count is 1: each distinct hypothesis n-gram found matches once
        hits = len(counts.intersection(_ngrams(tokens, n)))
    else:
        hyp = _count(_ngrams(tokens, n))
        ref_counts: dict[Any, int] = counts  # type: ignore[assignment]
        common = hyp.keys() & ref_counts.keys()
        hits = sum(map(min, map(hyp.__getitem__, common), map(ref_counts.__getitem__, common)))
    precision = hits / max(hyp_total, 1)
    recall = hits / max(ref.total, 1)
    return precision, recall, _fmeasure(precision, recall)


def _lcs_length(tokens: list[str], ref: _LcsRef) -> int:
    """LCS length by the bit-parallel algorithm (Crochemore et al. 2001; Hyyrö 2004).

    Bit i of ``v`` is 0 iff the LCS table's column grows between reference rows i and i + 1,
    so the LCS is the number of zero bits. Carries past bit ``length - 1`` never reach the low
    bits, so masking once at the end is enough.
    """
    v = ref.full
    get = ref.masks.get
    for token in tokens:
        match = get(token)
        if match is not None:
            u = v & match
            v = (v + u) | (v - u)
    return ref.length - (v & ref.full).bit_count()


def _score_lcs(tokens: list[str], ref: _LcsRef) -> Score:
    if not tokens or not ref.length:
        return _ZERO
    lcs = _lcs_length(tokens, ref)
    precision = lcs / len(tokens)
    recall = lcs / ref.length
    return precision, recall, _fmeasure(precision, recall)


def _lcs_indices(ref_tokens: list[str], ref: _LcsRef, cand: list[str], into: set[int]) -> None:
    """Add to ``into`` the reference positions of the LCS that rouge-score's ``lcs_ind`` picks.

    rouge-score fills the table ``t`` (rows: reference, columns: candidate) and walks back from
    the corner: a diagonal step on equal tokens, else left if ``t[i][j-1] > t[i-1][j]``, else
    up. ``t[i][j]`` is ``i`` minus the number of one bits among the low ``i`` bits of the
    bit-parallel vector after ``j`` candidate tokens, so storing those vectors is enough.
    """
    full = ref.full
    v = full
    cols = [v]
    get = ref.masks.get
    for token in cand:
        match = get(token)
        if match is not None:
            u = v & match
            v = ((v + u) | (v - u)) & full
        cols.append(v)
    remaining = ref.length - v.bit_count()  # the LCS length
    i = ref.length
    j = len(cand)
    while remaining:
        if ref_tokens[i - 1] == cand[j - 1]:
            i -= 1
            j -= 1
            into.add(i)
            remaining -= 1
        else:
            low = (1 << (i - 1)) - 1
            # t[i][j-1] > t[i-1][j], both sides written as i minus a population count
            if (cols[j] & low).bit_count() + 1 > (cols[j - 1] & (low << 1 | 1)).bit_count():
                j -= 1
            else:
                i -= 1


def _score_lsum(sentences: list[list[str]], ref: _LsumRef) -> Score:
    n = sum(map(len, sentences))
    if not n or not ref.length:  # also covers no sentences on either side
        return _ZERO
    cand_counts = _count(t for sentence in sentences for t in sentence)
    ref_counts = ref.counts.copy()
    hits = 0
    union: set[int] = set()
    for ref_tokens, ref_lcs in ref.sentences:
        union.clear()
        masks = ref_lcs.masks
        for cand in sentences:
            if not masks.keys().isdisjoint(cand):
                _lcs_indices(ref_tokens, ref_lcs, cand, union)
        # rouge-score visits the union in index order; the order does not change the count
        for index in union:
            token = ref_tokens[index]
            if cand_counts[token] > 0 and ref_counts[token] > 0:
                hits += 1
                cand_counts[token] -= 1
                ref_counts[token] -= 1
    recall = hits / ref.length
    precision = hits / n
    return precision, recall, _fmeasure(precision, recall)


def _check_rouge_type(rouge_type: object) -> str:
    if not isinstance(rouge_type, str) or rouge_type not in ROUGE_TYPES:
        raise ValueError(
            f"unknown rouge_type {rouge_type!r}; choose one of: {', '.join(ROUGE_TYPES)}"
        )
    return rouge_type


def _check_measure(measure: object) -> int:
    if not isinstance(measure, str) or measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; choose one of: {', '.join(MEASURES)}")
    return MEASURES.index(measure)


class ROUGEReferences(NamedTuple):
    """References prepared by :meth:`ROUGE.prepare` or :meth:`ROUGEMix.prepare`."""

    config: tuple[Any, ...]
    """The preparing metric's ROUGE types and stemming (checked by ``score_prepared``)."""
    per_type: tuple[tuple[Any, ...], ...]
    """Per ROUGE type, the prepared data of every reference."""


class _RougeBase(Metric):
    """The machinery shared by :class:`ROUGE` and :class:`ROUGEMix`."""

    _types: tuple[str, ...]
    _config: tuple[Any, ...]
    use_stemmer: bool
    _measure_index: int

    def _setup(self, types: tuple[str, ...], use_stemmer: bool, measure: str) -> None:
        self._measure_index = _check_measure(measure)
        self.measure = measure
        self.use_stemmer = bool(use_stemmer)
        self._types = types
        self._orders = tuple(int(t[5:]) if t not in ("rougeL", "rougeLsum") else 0 for t in types)
        self._needs_tokens = any(t != "rougeLsum" for t in types)
        self._needs_sentences = "rougeLsum" in types
        self._config = ("rouge", types, self.use_stemmer)

    def prepare(self, references: Sequence[str]) -> ROUGEReferences:
        """Tokenize ``references`` once and build every ROUGE type's reference side."""
        refs = check_references(references)
        stemmer = self.use_stemmer
        tokens = [tokenize(r, stemmer) for r in refs] if self._needs_tokens else []
        sentences = [_sentence_tokens(r, stemmer) for r in refs] if self._needs_sentences else []
        per_type: list[tuple[Any, ...]] = []
        for rouge_type, n in zip(self._types, self._orders, strict=True):
            if rouge_type == "rougeLsum":
                per_type.append(tuple(map(_prepare_lsum, sentences)))
            elif rouge_type == "rougeL":
                per_type.append(tuple(map(_prepare_lcs, tokens)))
            else:
                per_type.append(tuple(_prepare_ngrams(t, n) for t in tokens))
        return ROUGEReferences(self._config, tuple(per_type))

    def _check_prepared(self, prepared: object) -> None:
        if type(prepared) is not ROUGEReferences:
            raise TypeError(
                f"prepared must come from {type(self).__name__}.prepare(references), "
                f"got {type(prepared).__name__}"
            )
        if prepared.config != self._config:
            raise ValueError(
                f"these references were prepared for ROUGE types {prepared.config[1]} with "
                f"use_stemmer={prepared.config[2]}, not with this metric's settings"
            )

    def _type_scores(self, hypothesis: str, prepared: ROUGEReferences) -> list[float]:
        """Per ROUGE type, the selected measure of the reference with the best F-measure."""
        if type(hypothesis) is not str:
            check_hypothesis(hypothesis)
        if type(prepared) is not ROUGEReferences or prepared.config != self._config:
            self._check_prepared(prepared)
        stemmer = self.use_stemmer
        tokens = tokenize(hypothesis, stemmer) if self._needs_tokens else []
        sentences = _sentence_tokens(hypothesis, stemmer) if self._needs_sentences else []
        index = self._measure_index
        out: list[float] = []
        for rouge_type, n, refs in zip(self._types, self._orders, prepared.per_type, strict=True):
            best = _ZERO
            best_f = -1.0
            for ref in refs:
                if rouge_type == "rougeLsum":
                    score = _score_lsum(sentences, ref)
                elif rouge_type == "rougeL":
                    score = _score_lcs(tokens, ref)
                else:
                    score = _score_ngrams(tokens, ref, n)
                # score_multi keeps the first reference with the maximal F-measure
                if score[2] > best_f:
                    best = score
                    best_f = score[2]
            out.append(best[index])
        return out


class ROUGE(_RougeBase):
    """One ROUGE score, equal (``==``) to Google's ``rouge-score`` on every input.

    :param rouge_type: ``"rouge1"`` ... ``"rouge9"`` (n-gram overlap), ``"rougeL"`` (longest
        common subsequence, default) or ``"rougeLsum"`` (summary-level LCS over the lines).
    :param use_stemmer: Porter-stem tokens longer than 3 characters (default ``True``).
    :param measure: ``"fmeasure"`` (default), ``"precision"`` or ``"recall"``.

    The value is ``RougeScorer([rouge_type], use_stemmer=use_stemmer).score_multi(references,
    hypothesis)[rouge_type].<measure>``, in [0, 1]: with several references, the measure of the
    reference with the highest F-measure. Use :meth:`prepare` once per example and
    :meth:`score_prepared` per hypothesis to score many hypotheses (e.g. all prefixes).
    """

    def __init__(
        self, rouge_type: str = "rougeL", use_stemmer: bool = True, measure: str = "fmeasure"
    ) -> None:
        self.rouge_type = _check_rouge_type(rouge_type)
        self.name = rouge_type
        self._setup((rouge_type,), use_stemmer, measure)

    def __repr__(self) -> str:
        return (
            f"ROUGE(rouge_type={self.rouge_type!r}, use_stemmer={self.use_stemmer}, "
            f"measure={self.measure!r})"
        )

    def score_prepared(self, hypothesis: str, prepared: ROUGEReferences) -> float:
        """ROUGE of ``hypothesis`` against references from :meth:`prepare`, in [0, 1]."""
        return self._type_scores(hypothesis, prepared)[0]


class ROUGEMix(_RougeBase):
    """A weighted sum of ROUGE scores, e.g. ``ROUGEMix({"rouge1": 0.3, "rougeL": 0.7})``.

    :param weights: ROUGE type -> non-negative weight (at least one positive). The weights are
        used as given, not normalised; with weights summing to 1 the value stays in [0, 1].
    :param use_stemmer: as :class:`ROUGE`, for every type.
    :param measure: as :class:`ROUGE`, for every type.

    The value is ``sum(weight * ROUGE(type)(hypothesis, references))`` over ``weights`` in its
    order; each type picks its own best reference. The references and the hypothesis are
    tokenized once for all types.
    """

    name = "rouge_mix"

    def __init__(
        self, weights: Mapping[str, float], use_stemmer: bool = True, measure: str = "fmeasure"
    ) -> None:
        if not isinstance(weights, Mapping):
            raise TypeError(
                "weights must be a mapping {rouge_type: weight}, e.g. "
                f'{{"rouge1": 0.5, "rougeL": 0.5}}, got {type(weights).__name__}'
            )
        if not weights:
            raise ValueError(
                f"weights must name at least one ROUGE type; choose from: {', '.join(ROUGE_TYPES)}"
            )
        clean: dict[str, float] = {}
        for rouge_type, weight in weights.items():
            _check_rouge_type(rouge_type)
            if isinstance(weight, bool) or not isinstance(weight, int | float):
                raise TypeError(
                    f"the weight of {rouge_type!r} must be a number, got {type(weight).__name__}"
                )
            if not math.isfinite(weight) or weight < 0:
                raise ValueError(
                    f"the weight of {rouge_type!r} must be a finite number >= 0, got {weight!r}"
                )
            clean[rouge_type] = float(weight)
        if not any(clean.values()):
            raise ValueError("at least one weight must be positive")
        self.weights = clean
        self._weights = tuple(clean.values())
        self._setup(tuple(clean), use_stemmer, measure)

    def __repr__(self) -> str:
        return (
            f"ROUGEMix({self.weights!r}, use_stemmer={self.use_stemmer}, measure={self.measure!r})"
        )

    def score_prepared(self, hypothesis: str, prepared: ROUGEReferences) -> float:
        """The weighted sum of the ROUGE scores against references from :meth:`prepare`."""
        total = 0.0
        for weight, value in zip(
            self._weights, self._type_scores(hypothesis, prepared), strict=True
        ):
            total += weight * value
        return total

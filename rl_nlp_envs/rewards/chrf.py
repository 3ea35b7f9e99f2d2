"""Sentence chrF and chrF++, equal to ``sacrebleu.sentence_chrf(...).score`` bit for bit.

The statistics (character and word n-gram counts and matches per order) are integers, so they can
be computed any way; the final F-score replicates sacreBLEU's float operations in the same order.
References are counted once in :meth:`CHRF.prepare`.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import add
from typing import Any, NamedTuple

from rl_nlp_envs.rewards.base import Metric, check_hypothesis, check_references
from rl_nlp_envs.rewards.bleu import _count

__all__ = ["CHRF"]

# string.punctuation, as in sacreBLEU's chrF++ word splitter
_PUNCTS = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _remove_punctuation(sent: str) -> list[str]:
    """sacreBLEU's chrF++ word splitter: split off one punctuation mark at a word's end or start."""
    words: list[str] = []
    for w in sent.split():
        if len(w) == 1:
            words.append(w)
        elif w[-1] in _PUNCTS:
            words += [w[:-1], w[-1]]
        elif w[0] in _PUNCTS:
            words += [w[0], w[1:]]
        else:
            words.append(w)
    return words


def _match(hyp: list[Any], ref: dict[Any, int]) -> int:
    """Size of the multiset intersection of the n-grams ``hyp`` with the counts ``ref``."""
    distinct = set(hyp)
    if len(distinct) == len(hyp):
        return len(distinct.intersection(ref))
    counts = _count(hyp)
    common = counts.keys() & ref.keys()
    return sum(map(min, map(counts.__getitem__, common), map(ref.__getitem__, common)))


def compute_f_score(
    statistics: Sequence[int], order: int, beta: float, eps_smoothing: bool
) -> float:
    """chrF from ``[hyp, ref, match] * order`` statistics, replicating sacreBLEU's arithmetic."""
    eps = 1e-16
    score = 0.0
    effective_order = 0
    factor = beta**2
    avg_prec, avg_rec = 0.0, 0.0

    for i in range(order):
        n_hyp, n_ref, n_match = statistics[3 * i : 3 * i + 3]
        prec = n_match / n_hyp if n_hyp > 0 else eps
        rec = n_match / n_ref if n_ref > 0 else eps
        denom = factor * prec + rec
        score += ((1 + factor) * prec * rec / denom) if denom > 0 else eps
        if n_hyp > 0 and n_ref > 0:
            avg_prec += prec
            avg_rec += rec
            effective_order += 1

    if eps_smoothing:
        return 100 * score / order

    if effective_order == 0:
        avg_prec = avg_rec = 0.0
    else:
        avg_prec /= effective_order
        avg_rec /= effective_order

    if avg_prec + avg_rec:
        score = (1 + factor) * avg_prec * avg_rec
        score /= (factor * avg_prec) + avg_rec
        return 100 * score
    return 0.0


class _Grams:
    """The hypothesis' n-grams per order, built lazily (later orders are often not needed)."""

    __slots__ = ("char_grams", "chars", "word_grams", "words")

    def __init__(self, chars: str, words: list[str] | None) -> None:
        self.chars = chars
        self.char_grams: list[list[str]] = [list(chars)]
        self.words = words
        self.word_grams: list[list[Any]] = [words] if words is not None else []

    def char(self, n: int) -> list[str]:
        grams = self.char_grams
        chars = self.chars
        while len(grams) < n:
            k = len(grams)
            # (k+1)-grams: each k-gram but the last, extended by the character after it
            grams.append(list(map(add, grams[-1][:-1], chars[k:])))
        return grams[n - 1]

    def word(self, n: int) -> list[Any]:
        grams = self.word_grams
        words = self.words
        assert words is not None
        while len(grams) < n:
            k = len(grams) + 1
            grams.append(list(zip(*(words[i:] for i in range(k)), strict=False)))
        return grams[n - 1]


class CHRFReferences(NamedTuple):
    """References prepared by :meth:`CHRF.prepare`."""

    config: tuple[Any, ...]
    """The preparing metric's settings (checked by :meth:`CHRF.score_prepared`)."""
    char_counts: tuple[tuple[dict[str, int], ...], ...]
    """Per reference, per character order 1..char_order: n-gram counts."""
    char_lens: tuple[int, ...]
    """Per reference: number of characters counted (whitespace removed unless kept)."""
    word_counts: tuple[tuple[dict[Any, int], ...], ...]
    """Per reference, per word order 1..word_order: n-gram counts (empty for plain chrF)."""
    word_lens: tuple[int, ...]
    """Per reference: number of words (0 for plain chrF)."""


class CHRF(Metric):
    """Sentence-level chrF (chrF++ with ``word_order=2``), equal to ``sacrebleu.sentence_chrf``.

    :param char_order: maximum character n-gram order (default 6).
    :param word_order: maximum word n-gram order (default 0; 2 gives chrF++).
    :param beta: weight of recall relative to precision (default 2).
    :param lowercase: lower-case hypothesis and references first.
    :param remove_whitespace: drop whitespace before extracting character n-grams (default).
    :param eps_smoothing: chrF++.py/NLTK/Moses-style epsilon smoothing instead of sacreBLEU's
        default effective-order averaging.

    Scores are in [0, 100]; with several references the best-scoring one counts.
    """

    name = "chrf"

    def __init__(
        self,
        char_order: int = 6,
        word_order: int = 0,
        beta: int = 2,
        lowercase: bool = False,
        remove_whitespace: bool = True,
        eps_smoothing: bool = False,
    ) -> None:
        for label, value, low in (("char_order", char_order, 1), ("word_order", word_order, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{label} must be an int >= {low}, got {value!r}")
        if isinstance(beta, bool) or not isinstance(beta, int | float) or beta < 0:
            raise ValueError(f"beta must be a non-negative number, got {beta!r}")
        self.char_order = char_order
        self.word_order = word_order
        self.beta = beta
        self.lowercase = bool(lowercase)
        self.remove_whitespace = bool(remove_whitespace)
        self.eps_smoothing = bool(eps_smoothing)
        self._config = ("chrf", char_order, word_order, self.lowercase, self.remove_whitespace)

    def __repr__(self) -> str:
        return (
            f"CHRF(char_order={self.char_order}, word_order={self.word_order}, beta={self.beta}, "
            f"lowercase={self.lowercase}, remove_whitespace={self.remove_whitespace}, "
            f"eps_smoothing={self.eps_smoothing})"
        )

    def _split(self, sentence: str) -> tuple[str, list[str] | None]:
        if self.lowercase:
            sentence = sentence.lower()
        chars = "".join(sentence.split()) if self.remove_whitespace else sentence
        words = _remove_punctuation(sentence) if self.word_order else None
        return chars, words

    def prepare(self, references: Sequence[str]) -> CHRFReferences:
        """Count the character (and word) n-grams of every reference once."""
        refs = check_references(references)
        char_counts, char_lens, word_counts, word_lens = [], [], [], []
        for ref in refs:
            chars, words = self._split(ref)
            grams = _Grams(chars, words)
            char_counts.append(
                tuple(
                    _count(grams.char(n)) if n <= len(chars) else {}
                    for n in range(1, self.char_order + 1)
                )
            )
            char_lens.append(len(chars))
            if words is None:
                word_counts.append(())
                word_lens.append(0)
            else:
                word_counts.append(
                    tuple(
                        _count(grams.word(n)) if n <= len(words) else {}
                        for n in range(1, self.word_order + 1)
                    )
                )
                word_lens.append(len(words))
        return CHRFReferences(
            self._config, tuple(char_counts), tuple(char_lens), tuple(word_counts), tuple(word_lens)
        )

    def statistics(self, hypothesis: str, prepared: CHRFReferences) -> list[list[int]]:
        """Per reference, sacreBLEU's ``[hyp, ref, match]`` statistics for every order."""
        if type(prepared) is not CHRFReferences:
            raise TypeError(
                f"prepared must come from CHRF.prepare(references), got {type(prepared).__name__}"
            )
        if prepared.config != self._config:
            raise ValueError("these references were prepared by a chrF with other settings")
        chars, words = self._split(hypothesis)
        grams = _Grams(chars, words)
        n_chars = len(chars)
        all_stats = []
        for r, ref_counts in enumerate(prepared.char_counts):
            stats = _order_stats(
                n_chars, prepared.char_lens[r], ref_counts, self.char_order, grams.char
            )
            if words is not None:
                stats += _order_stats(
                    len(words),
                    prepared.word_lens[r],
                    prepared.word_counts[r],
                    self.word_order,
                    grams.word,
                )
            all_stats.append(stats)
        return all_stats

    def score_prepared(self, hypothesis: str, prepared: CHRFReferences) -> float:
        """chrF of ``hypothesis`` against references from :meth:`prepare`, in [0, 100]."""
        check_hypothesis(hypothesis)
        order = self.char_order + self.word_order
        return max(
            compute_f_score(stats, order, self.beta, self.eps_smoothing)
            for stats in self.statistics(hypothesis, prepared)
        )


def _order_stats(
    hyp_len: int, ref_len: int, ref_counts: Sequence[dict[Any, int]], max_order: int, hyp_grams: Any
) -> list[int]:
    """``[hyp, ref, match]`` for orders 1..max_order of one n-gram kind against one reference."""
    stats: list[int] = []
    matching = True
    for n in range(1, max_order + 1):
        n_ref = max(ref_len - n + 1, 0)
        n_hyp = max(hyp_len - n + 1, 0) if n_ref else 0
        match = 0
        if matching and n_hyp:
            match = _match(hyp_grams(n), ref_counts[n - 1])
            # Every matching n-gram extends a matching (n-1)-gram: later orders match nothing.
            matching = match > 0
        stats += (n_hyp, n_ref, match)
    return stats

"""Sentence chrF and chrF++, equal to ``sacrebleu.sentence_chrf(...).score`` bit for bit.

chrF only needs integer statistics per n-gram order (hypothesis n-grams, reference n-grams,
matches), so they may be computed any way; the final F-score replicates sacreBLEU's float
operations in the same order. References are processed once in :meth:`CHRF.prepare`.

Character n-grams are matched in numpy: each character becomes a digit (its rank in the
references' alphabet; one extra digit for characters the references lack), an n-gram becomes
the integer with those digits in base ``len(alphabet) + 2``, and the clipped matches
``sum(min(hyp_count, ref_count))`` of all orders come from one binary search of the hypothesis
keys among the reference's sorted keys and a ``bincount``. Alphabets too large for 63-bit keys
(or a long ``char_order``) fall back to Python dictionaries.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from operator import add
from typing import Any, NamedTuple

import numpy as np

from rl_nlp_envs.rewards.base import Metric, check_hypothesis, check_references
from rl_nlp_envs.rewards.bleu import NgramCounts, matched, ngram_counts, word_ngrams

__all__ = ["CHRF", "CHRFReferences", "CharKeys", "ReferenceKeys", "compute_f_score"]

# string.punctuation, as in sacreBLEU's chrF++ word splitter
_PUNCTS = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

# UTF-32 of code point 0xFFFFFFFF (not a character): pads a line so that every position starts
# a full-width n-gram window; it gets the unknown digit.
_PAD_BYTES = b"\xff\xff\xff\xff"
_MAX_KEY = 2**63 - 1
_ZERO_ONE = np.array([0, 1], dtype=np.uint32)


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


_windows: dict[int, np.ndarray] = {}


def _window_index(length: int, width: int) -> np.ndarray:
    """``[[i, i+1, ..., i+width-1] for i in range(length)]`` as an array (cached, grown)."""
    index = _windows.get(width)
    if index is None or len(index) < length:
        rows = max(256, 2 * length)
        index = np.arange(rows)[:, None] + np.arange(width)[None, :]
        _windows[width] = index
    return index[:length]


@functools.lru_cache(maxsize=512)
def _digit_table(size: int) -> np.ndarray:
    """Digit by ``searchsorted(bounds, cp, "right")``: k+1 at 2k+1, the unknown digit elsewhere."""
    table = np.full(2 * size + 1, size + 1, dtype=np.int64)
    table[1::2] = np.arange(1, size + 1)
    table.flags.writeable = False
    return table


@functools.lru_cache(maxsize=512)
def _powers(radix: int, order: int) -> np.ndarray:
    """``powers[j, n-1] = radix ** (n-1-j)`` for j < n, else 0: ``window @ powers`` = keys."""
    exponents = np.arange(order)[None, :] - np.arange(order)[:, None]
    powers = np.where(exponents >= 0, radix ** np.maximum(exponents, 0), 0).astype(np.int64)
    powers.flags.writeable = False
    return powers


class ReferenceKeys(NamedTuple):
    """One reference's character n-gram keys, for counting matches by binary search."""

    keys: np.ndarray
    """The distinct keys, sorted, followed by a 0 sentinel (keys are >= 1)."""
    counts: np.ndarray
    """How often each key occurs (then a 0)."""
    starts: np.ndarray
    """Index in ``keys`` where the keys of each order 1..order begin."""


class CharKeys:
    """Exact integer keys for the character n-grams (orders 1..``order``) over an alphabet.

    A character's digit is its rank in ``alphabet`` plus one; characters outside it and the
    padding share the digit ``len(alphabet) + 1``, which no reference n-gram contains, so such
    n-grams never match. The leading digit is never 0, hence the keys of order n lie in
    ``[radix**(n-1), radix**n)`` with ``radix = len(alphabet) + 2``.
    """

    __slots__ = ("bounds", "digits", "order", "powers")

    def __init__(self, alphabet: set[str], order: int) -> None:
        cps = np.array(sorted(map(ord, alphabet)), dtype=np.uint32)
        # searchsorted(bounds, cp, "right") is odd (2k+1) exactly when cp is the k-th character
        self.bounds = (cps[:, None] + _ZERO_ONE).ravel()
        self.digits = _digit_table(len(cps))
        self.order = order
        self.powers = _powers(len(cps) + 2, order)

    @staticmethod
    def fits(alphabet_size: int, order: int) -> bool:
        """Whether every key fits in an int64."""
        return (alphabet_size + 2) ** order - 1 <= _MAX_KEY

    def keys(self, chars: str) -> np.ndarray:
        """``(len(chars), order)`` keys: row i holds the n-grams starting at i, n = 1..order.

        Windows running past the end are padded with the unknown digit.
        """
        cps = np.frombuffer(
            chars.encode("utf-32-le", "surrogatepass") + _PAD_BYTES * (self.order - 1),
            dtype="<u4",
        )
        digits = self.digits[self.bounds.searchsorted(cps, "right")]
        return digits[_window_index(len(chars), self.order)] @ self.powers

    def reference_keys(self, chars: str) -> ReferenceKeys:
        """The keys of all complete n-grams of ``chars``, prepared for :func:`_numpy_matches`."""
        keys = np.sort(self.keys(chars)[_window_index(len(chars), self.order) < len(chars)])
        n = len(keys)
        # run boundaries of equal keys (np.unique without its overhead)
        new_run = np.empty(n + 1, dtype=bool)
        new_run[0] = new_run[n] = True
        np.not_equal(keys[1:], keys[:-1], out=new_run[1:n])
        bounds = np.flatnonzero(new_run)
        distinct = keys[bounds[:-1]]
        starts = distinct.searchsorted(self.powers[0])  # radix ** (n-1): the first key of order n
        return ReferenceKeys(np.append(distinct, 0), np.append(np.diff(bounds), 0), starts)


class CHRFReferences(NamedTuple):
    """References prepared by :meth:`CHRF.prepare`."""

    config: tuple[Any, ...]
    """The preparing metric's settings (checked by :meth:`CHRF.score_prepared`)."""
    char_lens: tuple[int, ...]
    """Per reference: the number of characters counted (whitespace removed unless kept)."""
    char_index: CharKeys | None
    """Key encoder over the references' alphabet (None: Python dictionaries are used)."""
    char_keys: tuple[ReferenceKeys, ...]
    """Per reference: its n-gram keys under ``char_index`` (empty when that is None)."""
    char_counts: tuple[tuple[NgramCounts, ...], ...]
    """Per reference, per order: character n-gram counts (only when ``char_index`` is None)."""
    word_lens: tuple[int, ...]
    """Per reference: the number of words (0 for plain chrF)."""
    word_counts: tuple[tuple[NgramCounts, ...], ...]
    """Per reference, per word order: word n-gram counts (empty for plain chrF)."""


def _char_grams(chars: str, order: int) -> list[list[str]]:
    """The character n-grams of ``chars`` for n = 1..order (each (n+1)-gram extends an n-gram)."""
    grams = [list(chars)]
    for n in range(1, min(order, len(chars))):
        grams.append(list(map(add, grams[-1][:-1], chars[n:])))
    return grams


def _dict_stats(
    hyp_len: int,
    hyp_grams: Callable[[int], list[Any]],
    ref_len: int,
    ref_counts: Sequence[NgramCounts],
    order: int,
) -> list[int]:
    """``[hyp, ref, match]`` for orders 1..order against one reference's n-gram counts."""
    stats: list[int] = []
    matching = True
    for n in range(1, order + 1):
        n_ref = max(ref_len - n + 1, 0)
        # sacreBLEU counts no hypothesis n-grams when the reference has none of that order
        n_hyp = max(hyp_len - n + 1, 0) if n_ref else 0
        hits = 0
        if matching and n_hyp:
            hits = matched(hyp_grams(n), ref_counts[n - 1])
            # every matching n-gram extends a matching (n-1)-gram: later orders match nothing
            matching = hits > 0
        stats += (n_hyp, n_ref, hits)
    return stats


class CHRF(Metric):
    """Sentence-level chrF (chrF++ with ``word_order=2``), equal to ``sacrebleu.sentence_chrf``.

    :param char_order: maximum character n-gram order (default 6).
    :param word_order: maximum word n-gram order (default 0; 2 gives chrF++).
    :param beta: weight of recall relative to precision (default 2).
    :param lowercase: lower-case hypothesis and references first.
    :param remove_whitespace: drop whitespace before extracting character n-grams (default).
    :param eps_smoothing: chrF++.py/NLTK/Moses-style epsilon smoothing instead of sacreBLEU's
        default effective-order averaging.

    Scores are in [0, 100]; with several references the best-scoring one counts. Use
    :meth:`prepare` once per example and :meth:`score_prepared` per hypothesis when scoring many
    hypotheses (e.g. all prefixes) against the same references.
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

    def _split(self, sentence: str) -> tuple[str, list[str]]:
        """The characters chrF counts and, for chrF++, the words."""
        if self.lowercase:
            sentence = sentence.lower()
        chars = "".join(sentence.split()) if self.remove_whitespace else sentence
        return chars, _remove_punctuation(sentence) if self.word_order else []

    def prepare(self, references: Sequence[str]) -> CHRFReferences:
        """Count the character (and word) n-grams of every reference once."""
        refs = check_references(references)
        split = [self._split(ref) for ref in refs]
        order = self.char_order
        alphabet = set().union(*(chars for chars, _ in split))
        char_index = CharKeys(alphabet, order) if CharKeys.fits(len(alphabet), order) else None
        char_keys: tuple[ReferenceKeys, ...] = ()
        char_counts: tuple[tuple[NgramCounts, ...], ...] = ()
        if char_index is not None:
            char_keys = tuple(char_index.reference_keys(chars) for chars, _ in split)
        else:
            char_counts = tuple(
                _dict_counts(_char_grams(chars, order), order) for chars, _ in split
            )
        word_counts: tuple[tuple[NgramCounts, ...], ...] = ()
        if self.word_order:
            word_counts = tuple(
                _dict_counts(
                    [list(word_ngrams(words, n)) for n in range(1, self.word_order + 1)],
                    self.word_order,
                )
                for _, words in split
            )
        return CHRFReferences(
            config=self._config,
            char_lens=tuple(len(chars) for chars, _ in split),
            char_index=char_index,
            char_keys=char_keys,
            char_counts=char_counts,
            word_lens=tuple(len(words) for _, words in split),
            word_counts=word_counts,
        )

    def _check_prepared(self, prepared: object) -> None:
        if type(prepared) is not CHRFReferences:
            raise TypeError(
                f"prepared must come from CHRF.prepare(references), got {type(prepared).__name__}"
            )
        if prepared.config != self._config:
            raise ValueError("these references were prepared by a chrF with other settings")

    def statistics(self, hypothesis: str, prepared: CHRFReferences) -> list[list[int]]:
        """Per reference, sacreBLEU's ``[hyp, ref, match]`` statistics for every order."""
        check_hypothesis(hypothesis)
        self._check_prepared(prepared)
        return self._statistics(hypothesis, prepared)

    def _statistics(self, hypothesis: str, prepared: CHRFReferences) -> list[list[int]]:
        chars, words = self._split(hypothesis)
        n_chars = len(chars)
        order = self.char_order
        ref_lens = prepared.char_lens
        if prepared.char_index is not None:
            char_matches = _numpy_matches(chars, prepared.char_index, prepared.char_keys)
            all_stats = []
            for ref_len, hits in zip(ref_lens, char_matches, strict=True):
                stats: list[int] = []
                for n in range(1, order + 1):
                    n_ref = max(ref_len - n + 1, 0)
                    # sacreBLEU counts no hypothesis n-grams when the reference has none
                    n_hyp = max(n_chars - n + 1, 0) if n_ref else 0
                    stats += (n_hyp, n_ref, hits[n - 1] if n_hyp else 0)
                all_stats.append(stats)
        else:
            char_grams = _char_grams(chars, order)
            all_stats = [
                _dict_stats(n_chars, lambda n: char_grams[n - 1], ref_len, counts, order)
                for ref_len, counts in zip(ref_lens, prepared.char_counts, strict=True)
            ]
        if self.word_order:
            word_grams: dict[int, list[Any]] = {}

            def get_words(n: int) -> list[Any]:
                grams = word_grams.get(n)
                if grams is None:
                    grams = word_grams[n] = list(word_ngrams(words, n))
                return grams

            for stats, ref_len, counts in zip(
                all_stats, prepared.word_lens, prepared.word_counts, strict=True
            ):
                stats += _dict_stats(len(words), get_words, ref_len, counts, self.word_order)
        return all_stats

    def score_prepared(self, hypothesis: str, prepared: CHRFReferences) -> float:
        """chrF of ``hypothesis`` against references from :meth:`prepare`, in [0, 100]."""
        if type(hypothesis) is not str:
            check_hypothesis(hypothesis)
        if type(prepared) is not CHRFReferences or prepared.config != self._config:
            self._check_prepared(prepared)
        order = self.char_order + self.word_order
        return max(
            compute_f_score(stats, order, self.beta, self.eps_smoothing)
            for stats in self._statistics(hypothesis, prepared)
        )


def _dict_counts(grams: list[list[Any]], order: int) -> tuple[NgramCounts, ...]:
    """Per order 1..order, the counts of ``grams[n-1]`` (empty when there are none)."""
    return tuple(
        ngram_counts(grams[n - 1]) if n <= len(grams) else set() for n in range(1, order + 1)
    )


def _numpy_matches(
    chars: str, index: CharKeys, references: Sequence[ReferenceKeys]
) -> list[list[int]]:
    """Per reference, the clipped character n-gram matches ``sum(min(hyp, ref count))``."""
    hyp = index.keys(chars).ravel()
    out = []
    for ref in references:
        size = len(ref.keys)
        # where each hypothesis n-gram is (or would be) among the reference's distinct keys
        at = ref.keys[:-1].searchsorted(hyp)
        hyp_counts = np.bincount(at[ref.keys[at] == hyp], minlength=size)
        clipped = np.minimum(hyp_counts, ref.counts)
        # per order: sum over its block of keys; an order the reference lacks gets a junk sum,
        # which the caller ignores (its statistics are all 0)
        out.append(np.add.reduceat(clipped, ref.starts).tolist())
    return out

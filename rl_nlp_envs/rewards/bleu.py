"""Sentence BLEU, equal to ``sacrebleu.sentence_bleu(...).score`` bit for bit, without sacreBLEU.

sacreBLEU builds a metric object, a tokenizer and ``Counter`` objects of n-gram tuples on every
``sentence_bleu`` call. This module keeps the same arithmetic (down to the order of the float
operations) but

* tokenizes "13a" word by word through a cache and with one regex split per new word, and "zh"
  lines of CJK characters only with ``list(line)`` (:func:`tokenize_13a`, :func:`tokenize_zh`);
* counts the clipped n-gram matches of all four orders with a few big-integer bit operations
  instead of n-gram tuples (see the notes above :func:`_bitmask_statistics`);
* can do the reference side once (:meth:`BLEU.prepare`) for many hypotheses;
* with numba installed (the ``fast`` extra), numbers the tokens and counts the matches in a
  compiled kernel over token ids instead (:mod:`rl_nlp_envs.rewards.bleu_numba`).

See ``benchmarks/bench_rewards.py`` for the speed-up.

The tokenizers ("13a", "zh", "intl", "char", "none") are faithful re-implementations of
sacreBLEU's. The regex passes that split a pair of adjacent characters
(``([^0-9])([\\.,])`` and friends) are replaced by an exact simulation that only visits the few
candidate positions instead of scanning the whole line with the regex engine (:func:`_isolate`
explains why this is equivalent), and for "13a" and "zh" usually by a single regex split (see
the notes above :func:`tokenize_13a`).
"""

from __future__ import annotations

import collections
import importlib.util
import itertools
import math
import re
import sys
import unicodedata
from array import array
from collections.abc import Callable, Container, Iterable, Sequence
from typing import Any, NamedTuple

from rl_nlp_envs.rewards.base import Metric, check_hypothesis, check_references

__all__ = ["BACKENDS", "BLEU", "SMOOTH_METHODS", "TOKENIZERS"]

#: ``BLEU(backend=...)``: "numba" counts the matches in a compiled kernel over token ids,
#: "python" with the bit matrix over token strings, "auto" with the kernel when numba is
#: installed.
BACKENDS = ("auto", "python", "numba")

Tokenizer = Callable[[str], list[str]]

_DIGITS = "0123456789"

# mteval-v13a's punctuation and symbols that are always split off: ``[\{-\~\[-\` -\&\(-\+\:-\@\/]``
# in sacreBLEU. The space (part of the `` -\&`` range) is left out: it becomes "   ", which only
# lengthens a run of spaces and changes neither the later passes nor the final ``split()``.
_13A_SYMBOLS = re.compile(r"([\{-\~\[-\`!-\&\(-\+\:-\@\/])")
_PERIOD_COMMA = re.compile(r"[.,]")
# sacreBLEU's ``([0-9])(-)`` -> ``\1 \2 ``; a digit is never consumed as the dash, so matches
# cannot overlap and a lookbehind with a literal replacement gives the same string, faster.
_DIGIT_DASH = re.compile(r"(?<=[0-9])-")

# sacreBLEU's TokenizerZh compares one character against the *strings* in its range table with
# ``start <= char <= end``. Two of its entries are written as ``'\u20000'`` and ``'\u2f800'`` (and
# so on), i.e. a BMP character followed by a digit, which turns them into the ranges below
# (U+2001..U+2A6D and U+2F81..U+2FA1) instead of the intended supplementary-plane blocks. These
# are the effective, merged ranges; tests check them against sacreBLEU on every code point.
_ZH_RANGES = (
    (0x2001, 0x2A6D),
    (0x2E80, 0x2FDF),
    (0x2FF0, 0x303F),
    (0x3100, 0x312F),
    (0x31A0, 0x31EF),
    (0x3200, 0x4DB5),
    (0x4E00, 0x9FBB),
    (0xF900, 0xFA2D),
    (0xFA30, 0xFA6A),
    (0xFA70, 0xFAD9),
    (0xFE10, 0xFE1F),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
)


def _char_class(ranges: tuple[tuple[int, int], ...] | list[tuple[int, int]]) -> str:
    """A regex character class matching the inclusive code point ``ranges``."""
    return "[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]"


_ZH_CHARS = re.compile(f"({_char_class(_ZH_RANGES)})")


def _pad(chars: re.Pattern[str], line: str) -> str:
    """``chars.sub(r" \\g<0> ", line)`` up to the width of whitespace: a space around each match.

    ``chars`` must be a single-character class wrapped in a capturing group. Splitting and
    joining stays in C, whereas Python 3.11 expands a template with group references in Python
    for every match.
    """
    return " ".join(chars.split(line))


def _isolate(s: str, finder: re.Pattern[str], blockers: Container[str]) -> str:
    """Two sacreBLEU passes in one, up to the width of the whitespace they insert.

    The passes are ``re.sub(r"([^B])([F])", r"\\1 \\2 ", s)`` and then
    ``re.sub(r"([F])([^B])", r" \\1 \\2", s)``, with F ``finder``'s character class and B the
    ``blockers`` ("13a": F = ``[.,]``, B = digits; "intl": F = punctuation, B = numbers). Either
    pass puts spaces on both sides of the F character it matches, so only whether an F character
    ends up isolated matters for the tokens:

    * the first pass matches the F character at ``p`` iff ``p > 0``, ``s[p-1]`` is not in B and
      ``s[p-1]`` was not consumed, i.e. was not itself an F character matched by this pass (the
      regex engine resumes after the end of a match);
    * otherwise the second pass matches it iff ``s[p+1]`` exists and is not in B: its left
      neighbour is then a blocker, an inserted space or nothing, so never a consumed position.

    Tests compare this with sacreBLEU's regexes on every short string over an alphabet with one
    character of each class involved.
    """
    parts: list[str] = []
    last = 0
    end = len(s) - 1
    prev_first = -2  # position of the last F character matched by the first pass
    for m in finder.finditer(s):
        p = m.start()
        if p > 0 and prev_first != p - 1 and s[p - 1] not in blockers:
            prev_first = p
        elif p >= end or s[p + 1] in blockers:
            continue
        parts.append(s[last:p])
        parts.append(" ")
        parts.append(s[p])
        parts.append(" ")
        last = p + 1
    if not parts:
        return s
    parts.append(s[last:])
    return "".join(parts)


def _regexp_post(line: str) -> list[str]:
    """sacreBLEU's ``TokenizerRegexp`` (shared by "13a" and "zh"), returning the tokens.

    The faithful reference: :func:`tokenize_13a` and :func:`tokenize_zh` use it only for the rare
    lines their one-pass fast path is not proven for.
    """
    line = _pad(_13A_SYMBOLS, line)
    if "." in line or "," in line:
        line = _isolate(line, _PERIOD_COMMA, _DIGITS)
    if "-" in line:
        line = _DIGIT_DASH.sub(" - ", line)
    return line.split()


# One-pass fast path for "13a" and "zh".
#
# TokenizerRegexp makes four passes over the line (symbols, then two passes for periods and
# commas, then dashes), and every pass only puts a space on both sides of the characters it
# matches; spaces never make a digit, period, comma or dash appear next to another. So the
# tokens only depend on *which* characters end up isolated, and each of these characters' fate
# is decided by its original neighbours:
#
# * a symbol (``_13A_SYMBOLS``) always;
# * a dash iff it follows a digit;
# * a period or comma, in general, as :func:`_isolate` works out: it stays attached iff it is
#   followed by a digit and preceded by a digit, by nothing (start of a line not padded with a
#   space, as in "zh"), or by a period or comma that the first of the two passes consumed.
#   Unless the line contains ``[.,][.,][0-9]`` (a run of two or more periods/commas before a
#   digit), the last case cannot happen, and unless it starts with ``[.,][0-9]`` the second
#   cannot either, leaving the simple rule "kept iff between two digits";
# * in "zh", a CJK character (``_ZH_RANGES``) always.
#
# One ``re.split`` with a capturing group that matches exactly the isolated characters, joined
# with spaces, then gives sacreBLEU's tokens up to the width of whitespace, in one C-level scan
# instead of four ``re.sub`` passes plus Python-level template expansion. All alternatives share
# one leading character class so that the regex engine can skip ahead quickly to candidates;
# the lookarounds after it reject a period or comma between two digits and a dash that does not
# follow a digit (``(?<=[0-9]-)`` looks back over the dash itself). Lines for which the simple
# period/comma rule is not proven (``_13A_UNSURE``, ``_ZH_UNSURE``) take the faithful path.
_13A_CHARS = r"!-&(-+/:-@\[-`{-~.,\-"  # sacreBLEU's symbols without the space, ".,-"
_13A_CHECKS = r"(?!(?<=[0-9][.,])[0-9])(?:(?<=[0-9]-)|(?<!-))"
_13A_SPLIT = re.compile(f"([{_13A_CHARS}]{_13A_CHECKS})")
_13A_UNSURE = re.compile(r"[.,][.,][0-9]")


def _tokenize_13a_word(word: str) -> list[str]:
    """The "13a" tokens of one whitespace-free ``word`` (after the entity replacements)."""
    if _13A_UNSURE.search(word) is None:
        return " ".join(_13A_SPLIT.split(word)).split()
    return _regexp_post(f" {word} ")


class _WordTokens(dict[str, list[str]]):
    """``word -> its "13a" tokens``, filled on demand and emptied when it gets large.

    Whitespace is a neutral neighbour for every rule of TokenizerRegexp (not a digit, period,
    comma, dash or symbol, never consumed by a match), so a line's tokens are the concatenation
    of its whitespace-separated words' tokens. Words repeat a lot (Zipf), so most lines are
    tokenized by one ``str.split`` and a dict lookup per word, in C; ``__missing__`` (the regex
    work) runs only for words not seen recently. The cached lists are never handed out
    themselves, only copied into a line's token list.
    """

    max_size = 1 << 16

    def __missing__(self, word: str) -> list[str]:
        if len(self) >= self.max_size:
            self.clear()
        tokens = self[word] = _tokenize_13a_word(word)
        return tokens


_13A_WORDS = _WordTokens()


def _13a_words(line: str) -> list[str]:
    """The whitespace-separated words of ``line`` after 13a's replacements (tokenized further
    word by word)."""
    if "<skipped>" in line:
        line = line.replace("<skipped>", "")
    if "\n" in line:
        line = line.replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = (
            line.replace("&quot;", '"')
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
        )
    # sacreBLEU pads the line with a space on both sides, which a word boundary already is.
    return line.split()


def tokenize_13a(line: str) -> list[str]:
    """sacreBLEU's default "13a" tokenizer (mteval-v13a.pl)."""
    tokens: list[str] = []
    for word_tokens in map(_13A_WORDS.__getitem__, _13a_words(line)):
        tokens += word_tokens  # faster than list(itertools.chain.from_iterable(...))
    return tokens


# "zh" pads CJK characters and does *not* pad the line with spaces, so a period or comma at
# either end of the line can be kept attached to a digit next to it: such lines are unsure too.
_ZH_SPLIT = re.compile(f"([{_char_class(_ZH_RANGES)[1:-1]}{_13A_CHARS}]{_13A_CHECKS})")
_ZH_UNSURE = re.compile(r"[.,][.,][0-9]|\A[.,][0-9]|[0-9.,][.,]\Z")
_ZH_RUN = re.compile(f"{_char_class(_ZH_RANGES)}+")


def tokenize_zh(line: str) -> list[str]:
    """sacreBLEU's "zh" tokenizer: CJK characters (sacreBLEU's ranges) become tokens, then 13a."""
    line = line.strip()
    # Chinese text is mostly CJK characters only, each of which becomes a token by itself. The
    # ranges include a few whitespace characters (U+2001..U+200A, U+3000, ...), which sacreBLEU
    # drops instead; ``isprintable`` is False for all of them (categories Zs, Zl, Zp).
    if line.isprintable() and _ZH_RUN.fullmatch(line):
        return list(line)
    if _ZH_UNSURE.search(line) is None:
        return " ".join(_ZH_SPLIT.split(line)).split()
    return _regexp_post(_pad(_ZH_CHARS, line))


def tokenize_char(line: str) -> list[str]:
    """sacreBLEU's "char" tokenizer: every non-whitespace character is a token."""
    return " ".join(line).split()


def tokenize_none(line: str) -> list[str]:
    """sacreBLEU's "none" tokenizer: split on whitespace only."""
    return line.split()


class _IntlTables:
    """Unicode number/punctuation/symbol classes for "intl", built once on first use.

    sacreBLEU uses the third-party ``regex`` module's ``\\p{N}``, ``\\p{P}`` and ``\\p{S}``; these
    are the same general categories taken from :mod:`unicodedata`. They agree on every character
    assigned in this Python's Unicode version; characters assigned only in a newer Unicode version
    that ``regex`` already knows are unassigned (category Cn) here.
    """

    numbers: frozenset[str]
    punct: re.Pattern[str]
    symbols: re.Pattern[str]

    def __init__(self) -> None:
        numbers: list[str] = []
        punct: list[int] = []
        symbols: list[int] = []
        category = unicodedata.category
        for cp in range(sys.maxunicode + 1):
            major = category(chr(cp))[0]
            if major == "N":
                numbers.append(chr(cp))
            elif major == "P":
                punct.append(cp)
            elif major == "S":
                symbols.append(cp)
        self.numbers = frozenset(numbers)
        self.punct = re.compile(_char_class(_to_ranges(punct)))
        self.symbols = re.compile(f"({_char_class(_to_ranges(symbols))})")


def _to_ranges(cps: list[int]) -> list[tuple[int, int]]:
    """Merge sorted code points into inclusive ranges."""
    ranges: list[tuple[int, int]] = []
    for cp in cps:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return ranges


_intl_tables: _IntlTables | None = None


def _get_intl_tables() -> _IntlTables:
    global _intl_tables
    if _intl_tables is None:
        _intl_tables = _IntlTables()
    return _intl_tables


def tokenize_intl(line: str) -> list[str]:
    """sacreBLEU's "intl" tokenizer (mteval-v14 international tokenization)."""
    tables = _intl_tables or _get_intl_tables()
    line = _isolate(line, tables.punct, tables.numbers)
    return _pad(tables.symbols, line).split()


_TOKENIZERS: dict[str, Tokenizer] = {
    "13a": tokenize_13a,
    "none": tokenize_none,
    "zh": tokenize_zh,
    "intl": tokenize_intl,
    "char": tokenize_char,
}


TOKENIZERS: tuple[str, ...] = tuple(_TOKENIZERS)

#: Smoothing methods and their default ``smooth_value`` (as in ``sacrebleu.BLEU``).
SMOOTH_METHODS: dict[str, float | None] = {"none": None, "floor": 0.1, "add-k": 1, "exp": None}

MAX_NGRAM_ORDER = 4

_count_elements: Callable[[dict[Any, int], Iterable[Any]], None] | None = getattr(
    collections, "_count_elements", None
)


def _count(items: Iterable[Any]) -> dict[Any, int]:
    """Count ``items`` into a plain dict (``Counter`` without its per-call overhead)."""
    if _count_elements is None:  # pragma: no cover - only on Pythons without the C helper
        return dict(collections.Counter(items))
    counts: dict[Any, int] = {}
    _count_elements(counts, items)
    return counts


def word_ngrams(tokens: list[str], n: int) -> Iterable[Any]:
    """The n-grams of ``tokens``: the tokens themselves for n=1, tuples otherwise."""
    if n == 1:
        return tokens
    if n == 2:
        return itertools.pairwise(tokens)
    if n == 3:
        return zip(tokens, tokens[1:], tokens[2:], strict=False)
    if n == 4:
        return zip(tokens, tokens[1:], tokens[2:], tokens[3:], strict=False)
    return zip(*(tokens[i:] for i in range(n)), strict=False)


#: Clipped reference n-gram counts: a set when every count is 1 (the common case), else a dict.
NgramCounts = set[Any] | dict[Any, int]


def ngram_counts(grams: Iterable[Any]) -> NgramCounts:
    """The counts of ``grams``: a plain set of them if none repeats, else a dict."""
    if not isinstance(grams, list):
        grams = list(grams)
    distinct = set(grams)
    return distinct if len(distinct) == len(grams) else _count(grams)


def merge_max(counts: Sequence[NgramCounts]) -> NgramCounts:
    """Per n-gram, the maximum count over ``counts`` (multi-reference clipping)."""
    if len(counts) == 1:
        return counts[0]
    if all(type(c) is set for c in counts):
        return set().union(*counts)
    merged: dict[Any, int] = {}
    get = merged.get
    for c in counts:
        items = c.items() if isinstance(c, dict) else ((gram, 1) for gram in c)
        for gram, count in items:
            if count > get(gram, 0):
                merged[gram] = count
    return merged


def matched(grams: Iterable[Any], ref: NgramCounts) -> int:
    """Size of the multiset intersection of the n-grams ``grams`` with the counts ``ref``."""
    if isinstance(ref, set):
        # every reference count is 1: each distinct hypothesis n-gram found matches once
        return len(ref.intersection(grams))
    hyp = _count(grams)
    common = hyp.keys() & ref.keys()
    return sum(map(min, map(hyp.__getitem__, common), map(ref.__getitem__, common)))


def _set_statistics(hyp: list[str], refs: Sequence[list[str]]) -> list[int]:
    """Clipped n-gram matches per order with sets and dicts of n-gram tuples.

    The plain way, for hypotheses too long for :func:`_bitmask_statistics`' integers.
    """
    correct = [0] * MAX_NGRAM_ORDER
    for n in range(1, min(len(hyp), MAX_NGRAM_ORDER) + 1):
        ref_counts = merge_max([ngram_counts(word_ngrams(ref, n)) for ref in refs])
        hits = matched(word_ngrams(hyp, n), ref_counts)
        if not hits:
            # Every matching n-gram starts with a matching (n-1)-gram: the rest match 0.
            break
        correct[n - 1] = hits
    return correct


# N-gram matching with big-integer bit operations
# ===============================================
#
# Counting n-grams the usual way creates, hashes and looks up one tuple per n-gram and order:
# about 4 * (hypothesis + reference length) Python objects per call, which dominated the cost.
# Instead, all orders are derived from one bit matrix held in a single Python int, so that each
# order costs a handful of C-level big-integer operations whatever the sentence lengths:
#
# * the references are laid side by side, one bit position per token with an unused guard
#   position between references, and ``masks[token]`` is the set (bitmask) of positions that
#   hold ``token`` (:func:`_index_references`, the only loop over tokens in Python);
# * row ``i`` of the matrix is ``masks[hyp[i]]``; the rows are packed into one int, ``w`` bits
#   per row, ``w`` larger than the number of positions, so the top bit of every row is 0;
# * the hypothesis n-gram at ``i`` equals the reference n-gram at ``j`` iff bit ``j`` of row
#   ``i`` is set in ``D_n``, where ``D_1`` is the matrix and ``D_{n+1} = D_n & (D_n >> (w + 1))``:
#   the shift moves bit ``j + 1`` of row ``i + 1`` onto bit ``j`` of row ``i`` (a diagonal step);
#   zero bits (guards, unused top bits) stop n-grams from running across references or rows;
# * the hypothesis positions whose n-gram occurs in some reference are the non-zero rows of
#   ``D_n``. Adding ``2**(w-1) - 1`` to every row sets its (free) top bit iff the row is
#   non-zero, without carries into the next row, so one addition, one ``&`` and one
#   ``int.bit_count`` count them all.
#
# That count is sacreBLEU's clipped count ``sum(min(hyp count, max reference count))`` unless a
# matching n-gram occurs more than once in the hypothesis. Such repeats show up as two equal,
# non-zero rows (distinct n-grams never start at the same reference position), i.e. as rows that
# are not pairwise disjoint. Rows are pairwise disjoint iff adding them up produces no carry,
# i.e. iff ``popcount(sum of rows) == popcount(D_n)``. For unigrams ``sum(rows)`` adds them
# directly; for longer n-grams the sum of the rows is ``D_n`` modulo ``2**w - 1`` (as 2**w = 1
# modulo it), exactly, because ``w`` also leaves room for the carries (``w >= positions +
# hyp_len.bit_length()``). Only if they are not disjoint are the rows counted one by one
# (:func:`_clipped_rows`), typically for unigrams ("the", ",") alone: once an order is free of
# repeats, so are all longer ones.
#
# The carry test costs a big-integer division (``% (2**w - 1)``), so it is skipped for orders
# that provably have no repeats: if two hypothesis n-grams are equal and occur in a reference at
# positions ``j..j+n-1``, each of those tokens occurs at least twice in the hypothesis, so its
# unigram row is repeated and contains the position. With ``repeated`` the union of the repeated
# unigram rows, a repeated n-gram can only start at the set bits of ``repeated & (repeated >> 1)
# & ... & (repeated >> (n-1))``; where :func:`_clipped_rows` runs for a longer order, the union
# of its repeated rows (the start positions of the repeated n-grams) replaces that chain.

#: ``_BITS[j] == 1 << j``, for the reference positions of :func:`_index_references`.
_BITS = [1 << j for j in range(1024)]
#: Above this many matrix bits (hypothesis length times row width), use :func:`_set_statistics`.
_MAX_MATRIX_BITS = 1 << 16
#: ``array`` type codes of exactly 32 and 64 bits, to pack rows of that width in C.
_ROW_ARRAYS = {
    bits: code for bits, code in ((32, "I"), (64, "Q")) if array(code).itemsize * 8 == bits
}
_BIG_ENDIAN = sys.byteorder == "big"

#: References as bit positions (see the notes above): ``(masks, width, blocks)``, with
#: ``masks[token]`` the set of positions holding ``token``, ``width`` the number of positions
#: (including a guard position between references) and ``blocks`` the set of every reference's
#: positions (``None`` for a single reference). A plain tuple: it is built on every call.
ReferenceIndex = tuple[dict[str, int], int, "tuple[int, ...] | None"]


def _bits(n: int) -> list[int]:
    """A list starting ``[1 << 0, 1 << 1, ..., 1 << (n - 1)]``."""
    return _BITS if n <= len(_BITS) else [1 << j for j in range(n)]


def _index_references(refs: Sequence[list[str]]) -> ReferenceIndex:
    """Index the tokens of ``refs`` by position."""
    masks: dict[str, int] = {}
    if len(refs) == 1:
        width = len(refs[0])
        for token, bit in zip(refs[0], _bits(width), strict=False):
            if token in masks:  # faster than masks.get(token, 0) | bit for the common new token
                masks[token] |= bit
            else:
                masks[token] = bit
        return masks, width, None
    blocks = []
    start = 0
    for ref in refs:
        end = start + len(ref)
        for token, bit in zip(ref, _bits(end)[start:end], strict=True):
            if token in masks:
                masks[token] |= bit
            else:
                masks[token] = bit
        blocks.append((1 << end) - (1 << start))
        start = end + 1  # a guard position
    return masks, start - 1, tuple(blocks)


_row_constants_cache: dict[tuple[int, int], tuple[int, int, int]] = {}


def _row_constants(rows: int, w: int) -> tuple[int, int, int]:
    """For ``rows`` rows of ``w`` bits: ``2**(w-1) - 1`` and ``2**(w-1)`` in every row, and
    ``2**w - 1``."""
    key = (rows, w)
    constants = _row_constants_cache.get(key)
    if constants is None:
        if len(_row_constants_cache) >= 4096:
            _row_constants_cache.clear()
        ones = ((1 << (rows * w)) - 1) // ((1 << w) - 1)  # bit 0 of every row
        top = ones << (w - 1)
        constants = _row_constants_cache[key] = (top - ones, top, (1 << w) - 1)
    return constants


def _pack(rows: list[int], w: int) -> int:
    """``sum(row << (i * w))``: rows of ``w`` bits packed into one int, row 0 lowest."""
    code = _ROW_ARRAYS.get(w)
    if code is not None:
        packed = array(code, rows)  # converts every row in C
        if _BIG_ENDIAN:  # pragma: no cover - little-endian CI
            packed.byteswap()
        return int.from_bytes(packed, "little")
    size = w // 8
    to_bytes: Callable[..., bytes] = int.to_bytes
    chunks = map(to_bytes, rows, itertools.repeat(size), itertools.repeat("little"))
    return int.from_bytes(b"".join(chunks), "little")


def _unpack(matrix: int, rows: int, w: int) -> Sequence[int]:
    """The inverse of :func:`_pack`."""
    data = matrix.to_bytes(rows * w // 8, "little")
    code = _ROW_ARRAYS.get(w)
    if code is not None:
        unpacked = array(code, data)
        if _BIG_ENDIAN:  # pragma: no cover - little-endian CI
            unpacked.byteswap()
        return unpacked
    size = w // 8
    return [int.from_bytes(data[i : i + size], "little") for i in range(0, len(data), size)]


def _clipped_rows(
    rows: Iterable[int], found: int, blocks: tuple[int, ...] | None
) -> tuple[int, int]:
    """sacreBLEU's clipped count from the rows of ``D_n``, ``found`` of them non-zero, and the
    union of the rows that occur more than once.

    Equal non-zero rows are occurrences of the same n-gram; the row is the set of its
    reference positions, so its maximum count over the references is its popcount within
    each reference's block.
    """
    hits = found
    repeated = 0
    for row, count in _count(rows).items():
        if count > 1 and row:
            repeated |= row
            if blocks is None:
                most = row.bit_count()
            else:
                most = max([(row & block).bit_count() for block in blocks])
            if count > most:
                hits -= count - most
    return hits, repeated


def _bitmask_statistics(hyp: list[str], refs: ReferenceIndex) -> list[int] | None:
    """Clipped n-gram matches per order 1..4 of the tokens ``hyp`` (see the notes above);
    ``None`` if ``hyp`` is too long for the bit matrix."""
    masks, width, blocks = refs
    hyp_len = len(hyp)
    rows = list(map(masks.get, hyp, itertools.repeat(0)))
    found = hyp_len - rows.count(0)
    if not found:
        return [0, 0, 0, 0]
    # Row width: the positions plus headroom for the sums (see the notes), rounded up to 32 or
    # 64 bits (packed by ``array`` in C) or else to whole bytes.
    need = width + hyp_len.bit_length()
    w = 32 if need <= 32 else 64 if need <= 64 else (need + 7) // 8 * 8
    if hyp_len * w > _MAX_MATRIX_BITS:
        return None
    matrix = _pack(rows, w)
    if sum(rows).bit_count() == matrix.bit_count():
        hits, repeated = found, 0
    else:
        hits, repeated = _clipped_rows(rows, found, blocks)
    # reference positions where a repeated n-gram of the current order may start
    candidates = repeated
    correct = [hits, 0, 0, 0]
    if hyp_len == 1:
        return correct
    add, top, modulus = _row_constants(hyp_len, w)
    n = 1
    while True:
        matrix &= matrix >> (w + 1)
        found = ((matrix + add) & top).bit_count()
        if not found:
            return correct
        if candidates:
            candidates &= repeated >> n
            if candidates:
                if (matrix % modulus).bit_count() != matrix.bit_count():
                    found, candidates = _clipped_rows(_unpack(matrix, hyp_len, w), found, blocks)
                else:
                    candidates = 0  # free of repeats, and so are all longer orders
        correct[n] = found
        n += 1
        if n in (MAX_NGRAM_ORDER, hyp_len):
            return correct


# The compiled kernel
# ===================
#
# ``bleu_numba.clipped_matches`` takes token ids, as the bytes of int64 arrays. Ids come from
# one process-wide table filled on first sight of a token: ``map(table.__getitem__, tokens)``
# runs in C except for new tokens, and for "13a" a cache of every word's id bytes makes a line
# one ``bytes.join``, without token strings. A call reads the table once, so replacing a full
# table (instead of clearing it) never mixes two numberings within one call, also across
# threads; ``setdefault`` makes two threads that meet a new token at once agree on its id.

#: Above this many entries the token id table starts again empty.
_MAX_TOKEN_IDS = 1 << 20
#: Hypothesis tokens times reference tokens above which a call uses the bit matrix instead (the
#: kernel allocates a table of that many candidate positions).
_MAX_KERNEL_CELLS = 1 << 16


class _WordIds(dict[str, bytes]):
    """``word -> the ids of its "13a" tokens`` (int64 bytes) in one id table (see
    :class:`_WordTokens`)."""

    max_size = 1 << 16

    def __init__(self, table: _TokenIds) -> None:
        super().__init__()
        self.table = table

    def __missing__(self, word: str) -> bytes:
        if len(self) >= self.max_size:
            self.clear()
        ids = self[word] = self.table.ids(_13A_WORDS[word])
        return ids


class _TokenIds(dict[str, int]):
    """``token -> id``, consecutive ids assigned on first use."""

    def __init__(self) -> None:
        super().__init__()
        self._next = itertools.count()
        self.words_13a = _WordIds(self)

    def __missing__(self, token: str) -> int:
        return self.setdefault(token, next(self._next))

    def ids(self, tokens: Iterable[str]) -> bytes:
        """The ids of ``tokens`` (int64 bytes)."""
        return array("q", map(self.__getitem__, tokens)).tobytes()

    def ids_13a(self, line: str) -> bytes:
        """The ids of the "13a" tokens of ``line`` (int64 bytes)."""
        return b"".join(map(self.words_13a.__getitem__, _13a_words(line)))


_TOKEN_IDS = _TokenIds()
_KERNEL: list[Callable[..., tuple[int, int, int, int]]] = []  # loaded on first use


def _token_table() -> _TokenIds:
    global _TOKEN_IDS
    table = _TOKEN_IDS
    if len(table) > _MAX_TOKEN_IDS:
        table = _TOKEN_IDS = _TokenIds()
    return table


def _numba_available() -> bool:
    return importlib.util.find_spec("numba") is not None


def _uses_kernel(backend: str) -> bool:
    """Whether a metric with ``backend`` counts matches in the compiled kernel here."""
    return backend == "numba" or (backend == "auto" and _numba_available())


def _kernel_statistics(hyp: bytes, refs: bytes, bounds: array[int]) -> list[int]:
    """Clipped n-gram matches per order 1..4 of token ids (int64 bytes) against references
    laid one after the other (``bounds``), from the compiled kernel."""
    if not _KERNEL:
        from rl_nlp_envs.rewards.bleu_numba import clipped_matches

        _KERNEL.append(clipped_matches)
    return list(_KERNEL[0](hyp, refs, bounds))


def _closest_ref_len(hyp_len: int, ref_lens: Sequence[int]) -> int:
    """sacreBLEU's closest reference length: the smallest difference, ties to the shorter."""
    best = ref_lens[0]
    best_diff = abs(hyp_len - best)
    for ref_len in ref_lens[1:]:
        diff = abs(hyp_len - ref_len)
        if diff < best_diff or (diff == best_diff and ref_len < best):
            best, best_diff = ref_len, diff
    return best


def _my_log(num: float) -> float:
    # sacrebleu.utils.my_log, returning the same int floor so ``sum`` sees the same operands
    if num == 0.0:
        return -9999999999
    return math.log(num)


def compute_bleu(
    correct: list[Any],
    total: list[Any],
    sys_len: int,
    ref_len: int,
    smooth_method: str,
    smooth_value: float | None,
    effective_order: bool,
) -> float:
    """BLEU from its sufficient statistics, replicating ``sacrebleu.BLEU.compute_bleu``.

    The operations and their order are the same as sacreBLEU's so that the float result is
    identical. ``correct`` and ``total`` are modified in place (add-k smoothing).
    """
    if smooth_value is None:
        smooth_value = SMOOTH_METHODS[smooth_method]

    bp = 1.0
    if sys_len < ref_len:
        bp = math.exp(1 - ref_len / sys_len) if sys_len > 0 else 0.0

    if not any(correct):
        return 0.0

    precisions = [0.0] * MAX_NGRAM_ORDER
    smooth_mteval = 1.0
    eff_order = MAX_NGRAM_ORDER
    for n in range(1, MAX_NGRAM_ORDER + 1):
        if smooth_method == "add-k" and n > 1:
            correct[n - 1] += smooth_value
            total[n - 1] += smooth_value
        if total[n - 1] == 0:
            break
        if effective_order:
            eff_order = n
        if correct[n - 1] == 0:
            if smooth_method == "exp":
                smooth_mteval *= 2
                precisions[n - 1] = 100.0 / (smooth_mteval * total[n - 1])
            elif smooth_method == "floor":
                precisions[n - 1] = 100.0 * smooth_value / total[n - 1]  # type: ignore[operator]
        else:
            precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1]

    return bp * math.exp(sum([_my_log(p) for p in precisions[:eff_order]]) / eff_order)


def _exp_bleu(correct: list[int], sys_len: int, ref_len: int) -> float:
    """``compute_bleu(correct, _totals(sys_len), sys_len, ref_len, "exp", None, True)``.

    The default options, with the same float operations in the same order but without the
    option checks: with "exp" smoothing every precision is positive, so ``_my_log`` is
    ``math.log``, and the effective order is the number of orders with a non-zero total,
    ``min(sys_len, 4)``. Requires ``correct`` to be 0 from the first order without a match on
    (as produced here), so that ``any(correct)`` is ``correct[0]``.
    """
    hits = correct[0]
    if not hits:
        return 0.0
    # sys_len >= hits > 0
    bp = 1.0 if sys_len >= ref_len else math.exp(1 - ref_len / sys_len)
    log = math.log
    if sys_len >= MAX_NGRAM_ORDER:
        # Unrolled for the usual effective order 4. The matches are non-zero up to some order
        # and 0 from there on, and every 0 doubles ``smooth_mteval`` (1.0 -> 2.0 -> 4.0 -> 8.0).
        # ``sum`` of a tuple adds in the same order as sacreBLEU's ``sum`` of a list.
        _, c2, c3, c4 = correct
        first = log(100.0 * hits / sys_len)
        if c4:
            logs = (
                first,
                log(100.0 * c2 / (sys_len - 1)),
                log(100.0 * c3 / (sys_len - 2)),
                log(100.0 * c4 / (sys_len - 3)),
            )
        elif c3:
            logs = (
                first,
                log(100.0 * c2 / (sys_len - 1)),
                log(100.0 * c3 / (sys_len - 2)),
                log(100.0 / (2.0 * (sys_len - 3))),
            )
        elif c2:
            logs = (
                first,
                log(100.0 * c2 / (sys_len - 1)),
                log(100.0 / (2.0 * (sys_len - 2))),
                log(100.0 / (4.0 * (sys_len - 3))),
            )
        else:
            logs = (
                first,
                log(100.0 / (2.0 * (sys_len - 1))),
                log(100.0 / (4.0 * (sys_len - 2))),
                log(100.0 / (8.0 * (sys_len - 3))),
            )
        return bp * math.exp(sum(logs) / MAX_NGRAM_ORDER)
    terms = []
    smooth_mteval = 1.0
    count = sys_len
    for matches in correct[:sys_len]:
        if matches:
            terms.append(log(100.0 * matches / count))
        else:
            smooth_mteval *= 2
            terms.append(log(100.0 / (smooth_mteval * count)))
        count -= 1
    return bp * math.exp(sum(terms) / len(terms))


def _totals(hyp_len: int) -> list[int]:
    """The number of hypothesis n-grams per order 1..4."""
    if hyp_len >= MAX_NGRAM_ORDER:
        return [hyp_len, hyp_len - 1, hyp_len - 2, hyp_len - 3]
    return [max(hyp_len - n, 0) for n in range(MAX_NGRAM_ORDER)]


class BLEUReferences(NamedTuple):
    """References prepared by :meth:`BLEU.prepare`: their tokens, indexed by position."""

    config: tuple[Any, ...]
    """The preparing metric's tokenization settings (checked by :meth:`BLEU.score_prepared`)."""
    tokens: tuple[list[str], ...]
    """The tokens of every reference."""
    positions: ReferenceIndex
    """The token positions (for the bit-matrix n-gram matching)."""


class BLEUTokenIds(NamedTuple):
    """References prepared by :meth:`BLEU.prepare` for the compiled kernel (``backend="numba"``,
    or ``"auto"`` with numba installed): their token ids."""

    config: tuple[Any, ...]
    """The preparing metric's tokenization settings (checked by :meth:`BLEU.score_prepared`)."""
    references: tuple[str, ...]
    """The reference strings (lower-cased if the metric lower-cases)."""
    table: _TokenIds
    """The token id table the ids come from (hypotheses are numbered with it too)."""
    ids: bytes
    """The token ids of all references, one after the other (int64 bytes)."""
    bounds: array[int]
    """Reference ``k`` is tokens ``bounds[k]:bounds[k + 1]`` of ``ids``."""
    lengths: list[int]
    """The number of tokens of every reference."""


PreparedBLEU = BLEUReferences | BLEUTokenIds


class BLEU(Metric):
    """Sentence-level BLEU, equal to ``sacrebleu.sentence_bleu(...).score`` on every input.

    :param tokenize: one of ``"13a"`` (default), ``"none"``, ``"zh"``, ``"intl"``, ``"char"``.
    :param lowercase: lower-case hypothesis and references first.
    :param smooth_method: ``"exp"`` (default), ``"floor"``, ``"add-k"`` or ``"none"``.
    :param smooth_value: the value for ``"floor"`` (default 0.1) and ``"add-k"`` (default 1).
    :param use_effective_order: ignore n-gram orders longer than the hypothesis (recommended for
        sentence-level BLEU).
    :param backend: ``"auto"`` (default), ``"numba"`` or ``"python"``: whether matches are
        counted over token ids in the compiled kernel of the ``fast`` extra (``"auto"``: when
        numba is installed) or over token strings in pure Python. Results are the same.

    Scores are in [0, 100]. Use :meth:`prepare` once per example and :meth:`score_prepared` per
    hypothesis when scoring many hypotheses (e.g. all prefixes) against the same references.
    """

    name = "bleu"

    def __init__(
        self,
        tokenize: str = "13a",
        lowercase: bool = False,
        smooth_method: str = "exp",
        smooth_value: float | None = None,
        use_effective_order: bool = True,
        backend: str = "auto",
    ) -> None:
        if not isinstance(backend, str) or backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
        if backend == "numba" and not _numba_available():
            raise ImportError(
                'backend="numba" needs numba; install it with: pip install "rl_nlp_envs[fast]"'
            )
        if not isinstance(tokenize, str) or tokenize not in _TOKENIZERS:
            raise ValueError(
                f"unknown tokenize {tokenize!r}; choose one of: {', '.join(TOKENIZERS)}"
            )
        if not isinstance(smooth_method, str) or smooth_method not in SMOOTH_METHODS:
            raise ValueError(
                f"unknown smooth_method {smooth_method!r}; "
                f"choose one of: {', '.join(SMOOTH_METHODS)}"
            )
        if smooth_value is not None and (
            isinstance(smooth_value, bool) or not isinstance(smooth_value, int | float)
        ):
            raise TypeError(
                f"smooth_value must be a number or None, got {type(smooth_value).__name__}"
            )
        self.tokenize = tokenize
        self.lowercase = bool(lowercase)
        self.smooth_method = smooth_method
        self.smooth_value = smooth_value
        self.use_effective_order = bool(use_effective_order)
        self.backend = backend
        self._use_kernel = _uses_kernel(backend)
        self._tokenizer = _TOKENIZERS[tokenize]
        if tokenize == "intl":
            _get_intl_tables()
        self._config = ("bleu", tokenize, self.lowercase)
        # the defaults, scored by _exp_bleu (smooth_value plays no part in "exp" smoothing)
        self._default_smoothing = smooth_method == "exp" and self.use_effective_order

    def __repr__(self) -> str:
        return (
            f"BLEU(tokenize={self.tokenize!r}, lowercase={self.lowercase}, "
            f"smooth_method={self.smooth_method!r}, smooth_value={self.smooth_value!r}, "
            f"use_effective_order={self.use_effective_order}, backend={self.backend!r})"
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        # numba may be installed where the metric is unpickled and not where it was pickled
        self._use_kernel = _uses_kernel(self.backend)

    def tokens(self, sentence: str) -> list[str]:
        """The tokens BLEU counts for ``sentence`` (lower-cased and right-stripped first)."""
        if self.lowercase:
            sentence = sentence.lower()
        return self._tokenizer(sentence.rstrip())

    def prepare(self, references: Sequence[str]) -> PreparedBLEU:
        """Tokenize ``references`` once for many hypotheses: their token ids for the compiled
        kernel, or else their tokens indexed by position."""
        checked = check_references(references)
        if self._use_kernel:
            return self._prepare_ids(checked)
        refs = tuple([self.tokens(ref) for ref in checked])
        return BLEUReferences(self._config, refs, _index_references(refs))

    def _prepare_checked(self, refs: tuple[str, ...]) -> PreparedBLEU:
        if self._use_kernel:
            return self._prepare_ids(refs)
        return self.prepare(refs)

    def _prepare_ids(self, references: Sequence[str]) -> BLEUTokenIds:
        if self.lowercase:
            references = [ref.lower() for ref in references]
        table = _token_table()
        ids = list(map(self._line_ids(table), map(str.rstrip, references)))
        lengths = [len(i) >> 3 for i in ids]
        if len(ids) == 1:
            bounds = array("q", (0, lengths[0]))
        else:
            bounds = array("q", itertools.accumulate(lengths, initial=0))
        joined = ids[0] if len(ids) == 1 else b"".join(ids)
        return BLEUTokenIds(self._config, tuple(references), table, joined, bounds, lengths)

    def _line_ids(self, table: _TokenIds) -> Callable[[str], bytes]:
        """The token ids of a (lower-cased, right-stripped) line, numbered by ``table``."""
        if self.tokenize == "13a":
            return table.ids_13a
        tokenize = self._tokenizer

        def line_ids(line: str) -> bytes:
            return table.ids(tokenize(line))

        return line_ids

    def _check_prepared(self, prepared: object) -> None:
        if type(prepared) is not BLEUReferences and type(prepared) is not BLEUTokenIds:
            raise TypeError(
                f"prepared must come from BLEU.prepare(references), got {type(prepared).__name__}"
            )
        if prepared.config != self._config:
            raise ValueError(
                f"these references were prepared with tokenize={prepared.config[1]!r}, "
                f"lowercase={prepared.config[2]}, not with this metric's settings"
            )

    def statistics(self, hypothesis: str, prepared: PreparedBLEU) -> list[int]:
        """sacreBLEU's sufficient statistics: ``[hyp_len, ref_len, *correct, *total]``."""
        check_hypothesis(hypothesis)
        self._check_prepared(prepared)
        hyp = self.tokens(hypothesis)
        if type(prepared) is BLEUTokenIds:
            refs = [self._tokenizer(ref.rstrip()) for ref in prepared.references]
            positions = _index_references(refs)
        else:
            refs, positions = list(prepared.tokens), prepared.positions  # type: ignore[union-attr]
        correct = _bitmask_statistics(hyp, positions)
        if correct is None:
            correct = _set_statistics(hyp, refs)
        ref_len = _closest_ref_len(len(hyp), [len(ref) for ref in refs])
        return [len(hyp), ref_len, *correct, *_totals(len(hyp))]

    def _score(self, hyp: list[str], refs: Sequence[list[str]], positions: ReferenceIndex) -> float:
        """BLEU of the tokens ``hyp`` against the tokens ``refs`` and their ``positions``."""
        correct = _bitmask_statistics(hyp, positions)
        if correct is None:
            correct = _set_statistics(hyp, refs)
        return self._bleu(correct, len(hyp), [len(ref) for ref in refs])

    def _score_ids(self, hypothesis: str, prepared: BLEUTokenIds) -> float:
        """BLEU of ``hypothesis`` (lower-cased if the metric lower-cases) against references
        prepared for the kernel (the bit matrix for lines too long for it)."""
        hyp_ids = self._line_ids(prepared.table)(hypothesis.rstrip())
        hyp_len, ref_lens = len(hyp_ids) >> 3, prepared.lengths
        if hyp_len * (len(prepared.ids) >> 3) <= _MAX_KERNEL_CELLS:
            correct = _kernel_statistics(hyp_ids, prepared.ids, prepared.bounds)
            return self._bleu(correct, hyp_len, ref_lens)
        return self._score_lines(hypothesis, prepared.references)

    def _score_lines(self, hypothesis: str, references: Sequence[str]) -> float:
        """BLEU of lines (lower-cased already if the metric lower-cases) through their tokens
        and the bit matrix."""
        tokenize = self._tokenizer
        refs = list(map(tokenize, map(str.rstrip, references)))  # no list comprehension frame
        return self._score(tokenize(hypothesis.rstrip()), refs, _index_references(refs))

    def _bleu(self, correct: list[int], hyp_len: int, ref_lens: list[int]) -> float:
        """BLEU from the clipped matches ``correct`` and the token counts."""
        ref_len = ref_lens[0] if len(ref_lens) == 1 else _closest_ref_len(hyp_len, ref_lens)
        if self._default_smoothing:
            return _exp_bleu(correct, hyp_len, ref_len)
        return compute_bleu(
            correct,
            _totals(hyp_len),
            hyp_len,
            ref_len,
            self.smooth_method,
            self.smooth_value,
            self.use_effective_order,
        )

    def __call__(self, hypothesis: str, references: Sequence[str]) -> float:
        """BLEU of ``hypothesis`` against ``references`` (a non-empty sequence of strings)."""
        # Metric.__call__'s checks, cheaper for the usual argument types
        if type(hypothesis) is not str:
            check_hypothesis(hypothesis)
        if (type(references) is not list and type(references) is not tuple) or not references:
            references = check_references(references)
        for ref in references:
            if type(ref) is not str:
                references = check_references(references)
                break
        if self.cache_size > 0:
            # the prepared references of recent calls are reused (dense rewards)
            return self._score_prepared(hypothesis, self._prepare_cached(tuple(references)))
        if self._use_kernel:
            if self.lowercase:
                hypothesis = hypothesis.lower()
            return self._score_ids(hypothesis, self._prepare_ids(references))
        # No cache: prepare and score in one go, without building BLEUReferences.
        if self.lowercase:
            hypothesis = hypothesis.lower()
            references = [ref.lower() for ref in references]
        return self._score_lines(hypothesis, references)

    def score_prepared(self, hypothesis: str, prepared: PreparedBLEU) -> float:
        """BLEU of ``hypothesis`` against references from :meth:`prepare`, in [0, 100]."""
        if type(hypothesis) is not str:
            check_hypothesis(hypothesis)
        kind = type(prepared)
        if (kind is not BLEUTokenIds and kind is not BLEUReferences) or (
            prepared.config != self._config
        ):
            self._check_prepared(prepared)
        return self._score_prepared(hypothesis, prepared)

    def _score_prepared(self, hypothesis: str, prepared: PreparedBLEU) -> float:
        """:meth:`score_prepared` for arguments already checked."""
        if type(prepared) is BLEUTokenIds:
            if self.lowercase:
                hypothesis = hypothesis.lower()
            return self._score_ids(hypothesis, prepared)
        return self._score(self.tokens(hypothesis), prepared.tokens, prepared.positions)  # type: ignore[union-attr]

"""The Porter stemmer, equal to NLTK's ``PorterStemmer()`` (its default ``NLTK_EXTENSIONS`` mode).

``rouge-score`` stems with ``nltk.stem.porter.PorterStemmer()``; this is a line-by-line port of
that stemmer (NLTK 3.x), so that ROUGE needs no NLTK at run time. It keeps NLTK's rule lists,
their order and its quirks, e.g. that a rule whose suffix matches but whose condition fails
stops the step, and that step 1b's ``"*d"`` pseudo-suffix (double consonant) also matches a
word literally ending in ``"*d"``. Tests compare it with NLTK on large word lists and on
generated strings.

:func:`stem` caches its results (:func:`functools.lru_cache`); :func:`stem_uncached` does not.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

__all__ = ["stem", "stem_uncached"]

_VOWELS = frozenset("aeiou")

#: NLTK's table of irregular forms (word -> stem), consulted before any rule.
_POOL: dict[str, str] = {
    "sky": "sky",
    "skies": "sky",
    "dying": "die",
    "lying": "lie",
    "tying": "tie",
    "news": "news",
    "innings": "inning",
    "inning": "inning",
    "outings": "outing",
    "outing": "outing",
    "cannings": "canning",
    "canning": "canning",
    "howe": "howe",
    "proceed": "proceed",
    "exceed": "exceed",
    "succeed": "succeed",
}

Condition = Callable[[str], bool] | None
Rule = tuple[str, str, Condition]


def _is_consonant(word: str, i: int) -> bool:
    """Porter's consonant test for ``word[i]``: "y" is a consonant unless it follows one."""
    ch = word[i]
    if ch in _VOWELS:
        return False
    if ch == "y":
        negate = False
        while i > 0 and word[i] == "y":
            negate = not negate
            i -= 1
        return (word[i] not in _VOWELS) != negate
    return True


def _measure(stem: str) -> int:
    """Porter's measure m of ``stem``: the number of vowel-consonant transitions."""
    m = 0
    prev_cons = True  # at i == 0 no transition can be counted
    for i, ch in enumerate(stem):
        if ch in _VOWELS:
            cons = False
        elif ch == "y":
            cons = i == 0 or not prev_cons
        else:
            cons = True
        if cons and not prev_cons:
            m += 1
        prev_cons = cons
    return m


def _m_gt0(stem: str) -> bool:
    return _measure(stem) > 0


def _m_gt1(stem: str) -> bool:
    return _measure(stem) > 1


def _contains_vowel(stem: str) -> bool:
    """Whether ``stem`` has a vowel (condition *v*).

    Scanning from the left, every letter before the first vowel is a consonant, so the first
    vowel is either one of "aeiou" or a "y" that is not the first letter.
    """
    return not _VOWELS.isdisjoint(stem) or "y" in stem[1:]


def _ends_double_consonant(word: str) -> bool:
    """Condition *d: ``word`` ends with two equal consonants."""
    return len(word) >= 2 and word[-1] == word[-2] and _is_consonant(word, len(word) - 1)


def _ends_cvc(word: str) -> bool:
    """Condition *o (consonant-vowel-consonant, the last not w, x or y), NLTK's variant."""
    n = len(word)
    return (
        n >= 3
        and _is_consonant(word, n - 3)
        and not _is_consonant(word, n - 2)
        and _is_consonant(word, n - 1)
        and word[-1] not in ("w", "x", "y")
    ) or (n == 2 and not _is_consonant(word, 0) and _is_consonant(word, 1))


def _apply_rule_list(word: str, rules: Sequence[Rule]) -> str:
    """Apply the first rule whose suffix matches; if its condition fails, leave ``word``."""
    for suffix, replacement, condition in rules:
        if suffix == "*d" and _ends_double_consonant(word):
            stem = word[:-2]
            if condition is None or condition(stem):
                return stem + replacement
            return word
        if word.endswith(suffix):
            stem = word[: len(word) - len(suffix)]
            if condition is None or condition(stem):
                return stem + replacement
            return word
    return word


_STEP1A: tuple[Rule, ...] = (
    ("sses", "ss", None),
    ("ies", "i", None),
    ("ss", "ss", None),
    ("s", "", None),
)


def _step1a(word: str) -> str:
    if word.endswith("ies") and len(word) == 4:
        return word[:-3] + "ie"
    return _apply_rule_list(word, _STEP1A)


def _step1b(word: str) -> str:
    if word.endswith("ied"):
        return word[:-3] + ("ie" if len(word) == 4 else "i")
    if word.endswith("eed"):
        stem = word[:-3]
        return stem + "ee" if _measure(stem) > 0 else word
    for suffix in ("ed", "ing"):
        if word.endswith(suffix):
            intermediate = word[: -len(suffix)]
            if _contains_vowel(intermediate):
                break
    else:
        return word
    last = intermediate[-1]
    return _apply_rule_list(
        intermediate,
        (
            ("at", "ate", None),
            ("bl", "ble", None),
            ("iz", "ize", None),
            ("*d", last, lambda stem: last not in ("l", "s", "z")),
            ("", "e", lambda stem: _measure(stem) == 1 and _ends_cvc(stem)),
        ),
    )


def _step1c_condition(stem: str) -> bool:
    return len(stem) > 1 and _is_consonant(stem, len(stem) - 1)


_STEP1C: tuple[Rule, ...] = (("y", "i", _step1c_condition),)

_STEP2: tuple[Rule, ...] = (
    ("ational", "ate", _m_gt0),
    ("tional", "tion", _m_gt0),
    ("enci", "ence", _m_gt0),
    ("anci", "ance", _m_gt0),
    ("izer", "ize", _m_gt0),
    ("bli", "ble", _m_gt0),
    ("alli", "al", _m_gt0),
    ("entli", "ent", _m_gt0),
    ("eli", "e", _m_gt0),
    ("ousli", "ous", _m_gt0),
    ("ization", "ize", _m_gt0),
    ("ation", "ate", _m_gt0),
    ("ator", "ate", _m_gt0),
    ("alism", "al", _m_gt0),
    ("iveness", "ive", _m_gt0),
    ("fulness", "ful", _m_gt0),
    ("ousness", "ous", _m_gt0),
    ("aliti", "al", _m_gt0),
    ("iviti", "ive", _m_gt0),
    ("biliti", "ble", _m_gt0),
    ("fulli", "ful", _m_gt0),
    # NLTK tests the measure of the word minus "ogi", i.e. the stem plus its "l"
    ("logi", "log", lambda stem: _measure(stem + "l") > 0),
)


def _step2(word: str) -> str:
    if word.endswith("alli") and _measure(word[:-4]) > 0:
        return _step2(word[:-4] + "al")
    return _apply_rule_list(word, _STEP2)


_STEP3: tuple[Rule, ...] = (
    ("icate", "ic", _m_gt0),
    ("ative", "", _m_gt0),
    ("alize", "al", _m_gt0),
    ("iciti", "ic", _m_gt0),
    ("ical", "ic", _m_gt0),
    ("ful", "", _m_gt0),
    ("ness", "", _m_gt0),
)

_STEP4: tuple[Rule, ...] = (
    ("al", "", _m_gt1),
    ("ance", "", _m_gt1),
    ("ence", "", _m_gt1),
    ("er", "", _m_gt1),
    ("ic", "", _m_gt1),
    ("able", "", _m_gt1),
    ("ible", "", _m_gt1),
    ("ant", "", _m_gt1),
    ("ement", "", _m_gt1),
    ("ment", "", _m_gt1),
    ("ent", "", _m_gt1),
    ("ion", "", lambda stem: _measure(stem) > 1 and stem[-1] in ("s", "t")),
    ("ou", "", _m_gt1),
    ("ism", "", _m_gt1),
    ("ate", "", _m_gt1),
    ("iti", "", _m_gt1),
    ("ous", "", _m_gt1),
    ("ive", "", _m_gt1),
    ("ize", "", _m_gt1),
)


def _step5a(word: str) -> str:
    if word.endswith("e"):
        stem = word[:-1]
        m = _measure(stem)
        if m > 1 or (m == 1 and not _ends_cvc(stem)):
            return stem
    return word


# NLTK tests the measure of the word minus one "l", i.e. the stem plus an "l"
_STEP5B: tuple[Rule, ...] = (("ll", "l", lambda stem: _measure(stem + "l") > 1),)


def stem_uncached(word: str) -> str:
    """The Porter stem of ``word`` (lower-cased first), as NLTK's ``PorterStemmer().stem``."""
    lowered = word.lower()
    irregular = _POOL.get(lowered)
    if irregular is not None:
        return irregular
    if len(word) <= 2:  # NLTK tests the length before lower-casing
        return lowered
    s = _step1a(lowered)
    s = _step1b(s)
    s = _apply_rule_list(s, _STEP1C)
    s = _step2(s)
    s = _apply_rule_list(s, _STEP3)
    s = _apply_rule_list(s, _STEP4)
    s = _step5a(s)
    return _apply_rule_list(s, _STEP5B)


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """:func:`stem_uncached` through a cache of the 65536 most recently used words."""
    return stem_uncached(word)

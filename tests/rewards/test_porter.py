"""The Porter stemmer port must equal NLTK's ``PorterStemmer()`` (default mode) on every word."""

from __future__ import annotations

import glob
import itertools
import os
import random
import re

import pytest

nltk_porter = pytest.importorskip("nltk.stem.porter")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import rl_nlp_envs  # noqa: E402
from rl_nlp_envs.rewards.porter import stem, stem_uncached  # noqa: E402

NLTK = nltk_porter.PorterStemmer()
DATA = os.path.join(os.path.dirname(rl_nlp_envs.__file__), "data")
DICT_WORDS = "/usr/share/dict/words"

#: Every suffix that a rule of the algorithm tests, and then some.
SUFFIXES = [
    *["", "s", "ss", "sses", "ies", "ied", "ed", "eed", "ing", "y", "ly", "ely", "e", "ll"],
    *["ational", "tional", "enci", "anci", "izer", "bli", "abli", "alli", "entli", "eli"],
    *["ousli", "ization", "ation", "ator", "alism", "iveness", "fulness", "ousness", "aliti"],
    *["iviti", "biliti", "fulli", "logi", "icate", "ative", "alize", "iciti", "ical", "ful"],
    *["ness", "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent"],
    *["sion", "tion", "ion", "ou", "ism", "ate", "iti", "ous", "ive", "ize", "at", "bl", "iz"],
    *["*d", "*ding", "yed", "ying", "ying", "ally", "ities", "izations", "fulnesses"],
]
STEMS = [
    *["", "a", "e", "y", "b", "yy", "ay", "by", "ab", "ba", "tr", "ee", "tree", "oat", "ivy"],
    *["troubl", "privat", "oaten", "orrery", "hop", "fil", "fail", "siz", "conflat", "hiss"],
    *["fizz", "tann", "fall", "control", "rol", "fe", "agr", "plast", "sing", "motor", "happ"],
    *["sk", "d", "l", "t", "spi", "fl", "enjo", "relat", "condit", "valen", "digit", "radic"],
    *["differ", "vil", "analog", "vietnam", "predic", "oper", "feud", "decis", "hope"],
    *["call", "form", "sensi", "sensib", "geo", "theo", "archae", "phil", "tripl", "electr"],
    *["good", "reviv", "allow", "infer", "airlin", "gyroscop", "adjust", "defens", "irrit"],
    *["replac", "depend", "adopt", "homolog", "commun", "activ", "angular", "effect", "bowdler"],
    *["prob", "r", "ceas", "xyz", "syzyg", "toy", "wa", "bx", "1", "12", "1990", "x1y", "*"],
]


def _corpus_words() -> set[str]:
    words: set[str] = set()
    for path in glob.glob(os.path.join(DATA, "**", "parts", "*.json*"), recursive=True):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        words.update(text.split())  # as written, punctuation and case included
        words.update(re.findall(r"\w+", text))
        words.update(re.findall(r"[a-z0-9]+", text.lower()))  # as rouge-score stems them
    if os.path.exists(DICT_WORDS):
        with open(DICT_WORDS, encoding="utf-8", errors="replace") as f:
            words.update(f.read().split())
    return words


def assert_same(words: set[str] | list[str]) -> None:
    bad = [(w, stem_uncached(w), NLTK.stem(w)) for w in words if stem_uncached(w) != NLTK.stem(w)]
    assert not bad, bad[:20]


def test_corpus_words() -> None:
    words = _corpus_words()
    assert len(words) > 1000
    assert_same(words)


def test_every_suffix_after_every_stem() -> None:
    assert_same({s + x for s in STEMS for x in SUFFIXES})
    assert_same({s + x + y for s in STEMS[::3] for x in SUFFIXES for y in ("s", "ed", "ing")})


def test_all_short_strings_over_a_critical_alphabet() -> None:
    # vowels, "y" (a vowel or a consonant by position), the letters the rules single out
    alphabet = "aeiyslzdtc*"
    assert_same({"".join(p) for n in range(1, 6) for p in itertools.product(alphabet, repeat=n)})


def test_generated_strings() -> None:
    rng = random.Random(1234)
    alphabet = "abcdefghijklmnopqrstuvwxyz" * 2 + "aeiouy" * 4 + "0123456789*-'ÉİßK"
    words = {"".join(rng.choices(alphabet, k=rng.randint(0, 16))) for _ in range(40_000)}
    assert_same(words)


@settings(
    max_examples=2000,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    word=st.one_of(
        st.text(max_size=14),
        st.lists(st.sampled_from(STEMS + SUFFIXES), max_size=4).map("".join),
        st.text(alphabet="aeiouybcdlmnrstz", max_size=14),
    )
)
def test_property(word: str) -> None:
    assert stem_uncached(word) == NLTK.stem(word)


def test_irregular_forms_case_and_cache() -> None:
    for word in ("skies", "Dying", "NEWS", "innings", "proceed", "Succeed", "outings", "howe"):
        assert stem(word) == NLTK.stem(word)
    # the length check is made before lower-casing, as NLTK does ("İ".lower() has 2 characters)
    assert stem_uncached("İs") == NLTK.stem("İs")
    assert stem("Running") == "run" == stem("running")
    assert stem.cache_info().maxsize == 1 << 16
    assert stem("y" * 5000) == NLTK.stem("y" * 5000)  # no recursion on runs of "y"

"""ROUGE must equal Google's ``rouge-score`` exactly (``==``), for every type, measure and input."""

from __future__ import annotations

import functools
import glob
import json
import os
import pickle
from typing import Any

import numpy as np
import pytest

rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
rouge_tokenize = pytest.importorskip("rouge_score.tokenize")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from nltk.stem import porter as nltk_porter  # noqa: E402

import rl_nlp_envs  # noqa: E402
from rl_nlp_envs.rewards.rouge import (  # noqa: E402
    MEASURES,
    ROUGE,
    ROUGE_TYPES,
    ROUGEMix,
    tokenize,
)

DATA = os.path.join(os.path.dirname(rl_nlp_envs.__file__), "data")

MAIN_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
LONG = " ".join(f"word{i % 37} running{i % 5} the cats, {i}" for i in range(80))


@functools.cache
def scorer(types: tuple[str, ...], use_stemmer: bool) -> Any:
    return rouge_scorer.RougeScorer(list(types), use_stemmer=use_stemmer)


def oracle(
    hyp: str, refs: list[str], rouge_type: str, use_stemmer: bool = True
) -> tuple[float, float, float]:
    """rouge-score's (precision, recall, fmeasure) of ``hyp`` against ``refs``."""
    score = scorer((rouge_type,), use_stemmer).score_multi(refs, hyp)[rouge_type]
    return score.precision, score.recall, score.fmeasure


def check(
    hyp: str, refs: list[str], types: tuple[str, ...] = MAIN_TYPES, stem: bool = True
) -> None:
    """Every measure of every type in ``types`` equals the oracle, with one oracle call."""
    expected = scorer(types, stem).score_multi(refs, hyp)
    for rouge_type in types:
        for measure in MEASURES:
            got = metric(rouge_type, stem, measure)(hyp, refs)
            want = getattr(expected[rouge_type], measure)
            assert got == want, (rouge_type, stem, measure, hyp, refs, got, want)


@functools.cache
def metric(rouge_type: str, use_stemmer: bool = True, measure: str = "fmeasure") -> ROUGE:
    return ROUGE(rouge_type, use_stemmer=use_stemmer, measure=measure)


#: (hypothesis, references) pairs with the corner cases of the tokenizer and of each type.
TRICKY: list[tuple[str, list[str]]] = [
    ("", ["The cat sat on the mat."]),
    ("The cat sat on the mat.", [""]),
    ("", [""]),
    ("   \n\n \t", ["\n", " "]),
    ("...!!", ["?? --"]),
    ("a", ["a"]),
    ("a", ["b"]),
    ("the the the the the", ["the cat is on the mat", "there is a cat on the mat"]),
    ("The quick brown fox jumps over the lazy dog", ["The quick brown dog jumps on the log."]),
    ("running runs runner ran generously generalizations", ["run running generous general"]),
    ("skies dying lying news innings proceed exceeding", ["sky die lie news inning proceeds"]),
    ("1990s 10,000 3.14 4th 2020-01-02", ["1990 10 000 3 14 4th 2020 01 02"]),
    ("Straße naïve café Ǆemal İstanbul", ["strasse naive cafe džemal istanbul"]),
    ("\u212a kelvin ＡＢＣ ١٢٣ ½", ["k kelvin abc 123"]),
    ("caps LOCK MiXeD", ["Caps lock mixed"]),
    ("under_score hyphen-ated it's o'clock", ["under score hyphen ated it s o clock"]),
    # ties on the F-measure: score_multi keeps the first reference
    ("a b c d", ["a b", "a b c d e f g h"]),
    ("a b c d", ["a b c d e f g h", "a b"]),
    ("x y", ["z", "w"]),
    # multi-line text for rougeLsum (sentences are the non-empty lines)
    ("a b c\nd e f\n\ng h", ["a b\nc d e\nf g h"]),
    ("a b c d e f g h", ["a b c\nd e f\ng h"]),
    ("c b a\na b c", ["a b c\nc b a", "a"]),
    ("a a a\na a", ["a a\na a a a"]),
    ("a b a b a\nb a b", ["b a b a\na b\nb b a a"]),
    ("one\r\ntwo\rthree\n", ["one two\r\nthree"]),
    # only "\n" separates sentences, not the other line breaks of str.splitlines
    ("a b\rc d", ["c d a b"]),
    ("a b\u2028c d\x0bx\x1cy\x85z\x0cw", ["c d a b w z y x"]),
    ("\nfirst line\n\n\nsecond line\n", ["second line\nfirst line"]),
    ("police said the man was arrested\nthe man denied it", ["the man was arrested by police"]),
    (LONG, [LONG]),
    (LONG, [LONG[: len(LONG) // 3], LONG[::-1], "word1"]),
    (LONG.replace(",", "\n"), [LONG.replace(" the", "\n")]),
]


def test_oracle_single_reference_is_score() -> None:
    hyp, refs = TRICKY[8]
    for rouge_type in MAIN_TYPES:
        single = scorer((rouge_type,), True).score(refs[0], hyp)[rouge_type]
        assert oracle(hyp, refs, rouge_type) == tuple(single)


def test_known_values() -> None:
    # fixed values, so the suite also notices if rouge-score itself drifted
    hyp, ref = (
        "The quick brown fox jumps over the lazy dog",
        "The quick brown dog jumps on the log.",
    )
    assert ROUGE("rouge1")(hyp, [ref]) == 0.7058823529411765
    assert ROUGE("rougeL", measure="precision")(hyp, [ref]) == 0.5555555555555556
    assert ROUGE("rouge2", measure="recall")(hyp, [ref]) == 0.2857142857142857


@pytest.mark.parametrize("stem", [True, False], ids=["stem", "nostem"])
@pytest.mark.parametrize(("hyp", "refs"), TRICKY, ids=[str(i) for i in range(len(TRICKY))])
def test_tricky_cases_equal_rouge_score(hyp: str, refs: list[str], stem: bool) -> None:
    check(hyp, refs, ROUGE_TYPES, stem)
    for ref in refs:
        check(ref, [hyp], ROUGE_TYPES, stem)


def test_ties_keep_first_reference() -> None:
    # both references have F = 2/3; precision and recall come from the first one
    assert ROUGE("rouge1", measure="precision")("a b c d", ["a b", "a b c d e f g h"]) == 0.5
    assert ROUGE("rouge1", measure="precision")("a b c d", ["a b c d e f g h", "a b"]) == 1.0
    assert ROUGE("rouge1", measure="recall")("a b c d", ["a b", "a b c d e f g h"]) == 1.0


def test_tokenizer_equals_rouge_score() -> None:
    stemmer = nltk_porter.PorterStemmer()
    texts = [t for hyp, refs in TRICKY for t in (hyp, *refs)]
    texts += ["".join(chr(c) for c in range(0x10000)), "A\u0130\u212a\u017f\u1e9e\ufb01"]
    for text in texts:
        assert tokenize(text) == rouge_tokenize.tokenize(text, stemmer)
        assert tokenize(text, use_stemmer=False) == rouge_tokenize.tokenize(text, None)


# --------------------------------------------------------------------------- bundled data


def _summaries() -> list[dict[str, Any]]:
    rows = []
    for path in sorted(glob.glob(os.path.join(DATA, "summarize", "parts", "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            rows += [json.loads(line) for line in f if line.strip()]
    return rows


def _lines(text: str) -> str:
    """One sentence a line (roughly), so that rougeLsum has several sentences to align."""
    return text.replace(". ", ".\n").replace("? ", "?\n").replace("! ", "!\n")


def test_bundled_summaries_equal_rouge_score() -> None:
    rows = _summaries()
    if not rows:
        pytest.skip("no bundled summarization parts")
    cases = 0
    for i, row in enumerate(rows):
        summaries, document = row["summaries"], row["document"]
        sentences = [s for s in _lines(document).split("\n") if s.strip()]
        for k, summary in enumerate(summaries):
            # against the other summaries and the lead sentences (several lines, for rougeLsum)
            others = summaries[:k] + summaries[k + 1 :]
            check(_lines(summary), [*others, "\n".join(sentences[:4])])
            cases += 1
        if i % 4 == 0:
            # the lead sentences as separate references
            check(summaries[0], sentences[:3])
    assert cases >= len(rows)


def test_bundled_summary_against_whole_document() -> None:
    # long references (hundreds of tokens): multi-word integers in the bit-parallel LCS
    for row in _summaries()[::20]:
        check(_lines(row["summaries"][0]), [_lines(row["document"])])


def test_dense_prefixes_equal_rouge_score() -> None:
    rows = _summaries()[:3] or [{"summaries": [LONG], "document": LONG}]
    for row in rows:
        refs = [row["summaries"][0], " ".join(row["document"].split()[:80])]
        words = _lines(row["summaries"][-1]).split(" ")[:40]
        for rouge_type in MAIN_TYPES:
            m = metric(rouge_type)
            prepared = m.prepare(refs)
            for i in range(len(words) + 1):
                hyp = " ".join(words[:i])
                assert m.score_prepared(hyp, prepared) == oracle(hyp, refs, rouge_type)[2]


# --------------------------------------------------------------------------- property tests

WORDS = [
    *["the", "a", "cat", "cats", "sat", "sits", "sitting", "on", "mat", "mats", "dog", "run"],
    *["running", "runs", "happy", "happily", "relational", "conditional", "generalization"],
    *["x", "y", "z", "1", "42", "2020", "1990s", "Über", "naïve", "İ", "\u212a", "ＡＢ", "½"],
]
SEPARATORS = [" ", " ", " ", "  ", ", ", ". ", ".\n", "\n", "\n\n", "-", "'", "\t", "!"]

# a small alphabet: many repeated tokens, hence many LCS ties and multiple counts
small_text = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from([" ", " ", " ", "\n"])),
    max_size=30,
).map(lambda parts: "".join(w + s for w, s in parts))
word_text = st.lists(
    st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=40
).map(lambda parts: "".join(w + s for w, s in parts))
any_text = st.one_of(small_text, word_text, st.text(max_size=40))
references = st.lists(st.one_of(small_text, word_text), min_size=1, max_size=3)

PROPERTY = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY
@given(hyp=any_text, refs=references, stem=st.booleans())
def test_random_text_equals_rouge_score(hyp: str, refs: list[str], stem: bool) -> None:
    check(hyp, refs, MAIN_TYPES, stem)


@settings(PROPERTY, max_examples=600)
@given(hyp=small_text, refs=st.lists(small_text, min_size=1, max_size=3))
def test_lcs_ties_equal_rouge_score(hyp: str, refs: list[str]) -> None:
    # rougeLsum depends on which LCS rouge-score's backtracking picks: stress the ties
    check(hyp, refs, ("rougeL", "rougeLsum", "rouge3"), stem=False)


@settings(PROPERTY, max_examples=150)
@given(
    hyp=word_text,
    refs=references,
    rouge_type=st.sampled_from(ROUGE_TYPES),
    measure=st.sampled_from(MEASURES),
)
def test_every_type_and_measure_property(
    hyp: str, refs: list[str], rouge_type: str, measure: str
) -> None:
    got = ROUGE(rouge_type, measure=measure)(hyp, refs)
    assert got == oracle(hyp, refs, rouge_type)[MEASURES.index(measure)]


# --------------------------------------------------------------------------- ROUGEMix


def test_mix_is_weighted_sum() -> None:
    weights = {"rouge1": 0.3, "rouge2": 0.3, "rougeL": 0.4}
    mix = ROUGEMix(weights)
    assert mix.name == "rouge_mix"
    for hyp, refs in TRICKY:
        want = 0.0
        for rouge_type, weight in weights.items():
            want += weight * oracle(hyp, refs, rouge_type)[2]
        assert mix(hyp, refs) == want
    lsum = ROUGEMix({"rougeLsum": 2, "rouge3": 0.0}, use_stemmer=False, measure="recall")
    hyp, refs = TRICKY[19]
    assert lsum(hyp, refs) == 2 * oracle(hyp, refs, "rougeLsum", use_stemmer=False)[1]


@pytest.mark.parametrize(
    ("weights", "error", "match"),
    [
        ({}, ValueError, "at least one ROUGE type"),
        ({"rougeX": 1.0}, ValueError, "rouge1, rouge2"),
        ({"rouge10": 1.0}, ValueError, "rougeLsum"),
        ({"rouge1": -0.1}, ValueError, ">= 0"),
        ({"rouge1": float("nan")}, ValueError, "finite"),
        ({"rouge1": float("inf")}, ValueError, "finite"),
        ({"rouge1": 0.0, "rougeL": 0}, ValueError, "positive"),
        ({"rouge1": "0.5"}, TypeError, "number"),
        ({"rouge1": True}, TypeError, "number"),
        ([("rouge1", 1.0)], TypeError, "mapping"),
    ],
)
def test_mix_validation(weights: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        ROUGEMix(weights)


# --------------------------------------------------------------------------- API


def test_invalid_options_name_the_allowed_values() -> None:
    for bad in ("rouge0", "rougel", "rouge10", "rougeLSum", "", 1):
        with pytest.raises(ValueError, match=r"rouge1, rouge2, .*rougeL, rougeLsum"):
            ROUGE(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="precision, recall, fmeasure"):
        ROUGE("rouge1", measure="f1")
    with pytest.raises(ValueError, match="precision, recall, fmeasure"):
        ROUGEMix({"rouge1": 1.0}, measure="F")


def test_names_and_repr() -> None:
    for rouge_type in ROUGE_TYPES:
        assert ROUGE(rouge_type).name == rouge_type
    assert repr(ROUGE("rouge2", use_stemmer=False, measure="recall")) == (
        "ROUGE(rouge_type='rouge2', use_stemmer=False, measure='recall')"
    )
    assert "rouge1" in repr(ROUGEMix({"rouge1": 1}))


def test_prepared_references_are_checked() -> None:
    refs = ["the cat sat on the mat"]
    prepared = ROUGE("rouge1").prepare(refs)
    assert ROUGE("rouge1", measure="recall").score_prepared("the cat", prepared) == 1 / 3
    with pytest.raises(ValueError, match="prepared for ROUGE types"):
        ROUGE("rouge2").score_prepared("the cat", prepared)
    with pytest.raises(ValueError, match="use_stemmer"):
        ROUGE("rouge1", use_stemmer=False).score_prepared("the cat", prepared)
    with pytest.raises(TypeError, match="prepared must come from"):
        ROUGE("rouge1").score_prepared("the cat", tuple(refs))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="hypothesis must be a str"):
        ROUGE("rouge1").score_prepared(None, prepared)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="non-empty sequence of str"):
        ROUGE()("the cat", "the cat")
    with pytest.raises(ValueError, match="at least one reference"):
        ROUGE()("the cat", [])


def test_batch_and_pickle() -> None:
    m = ROUGE("rougeLsum")
    hyps = [hyp for hyp, _ in TRICKY]
    refs = [refs for _, refs in TRICKY]
    out = m.batch(hyps, refs)
    assert out.dtype == np.float64
    assert out.tolist() == [oracle(h, r, "rougeLsum")[2] for h, r in TRICKY]
    clone = pickle.loads(pickle.dumps(m))
    assert clone(hyps[8], refs[8]) == m(hyps[8], refs[8])
    mix = pickle.loads(pickle.dumps(ROUGEMix({"rouge1": 0.5, "rougeL": 0.5})))
    assert mix.weights == {"rouge1": 0.5, "rougeL": 0.5}


def test_registry() -> None:
    from rl_nlp_envs import rewards

    for name in MAIN_TYPES:
        assert isinstance(rewards.REWARDS[name], ROUGE)
        assert rewards.REWARDS[name].name == name
        assert rewards.get_reward(name) is rewards.REWARDS[name]
    configured = rewards.get_reward("rouge2", use_stemmer=False, measure="recall")
    assert isinstance(configured, ROUGE)
    assert (configured.rouge_type, configured.use_stemmer) == ("rouge2", False)
    assert rewards.ROUGEMix is ROUGEMix

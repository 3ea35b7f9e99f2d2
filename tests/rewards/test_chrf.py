"""chrF and chrF++ must equal ``sacrebleu``'s sentence scores exactly (``==``), on every input."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rl_nlp_envs.rewards import CHRF

sacrebleu = pytest.importorskip("sacrebleu")
SacreCHRF = sacrebleu.metrics.CHRF

LONG = " ".join(f"Wort{i % 41}, das {i}-te (von 600) über 中文{i % 7}" for i in range(100))

#: (hypothesis, references) pairs with the corner cases of character and word n-grams.
TRICKY: list[tuple[str, list[str]]] = [
    ("", ["The cat sat on the mat."]),
    ("The cat sat on the mat.", [""]),
    ("", [""]),
    ("   ", ["\t\n"]),
    ("a", ["a"]),
    ("a", ["b"]),
    ("ab", ["abc"]),
    ("...", ["!!! ???"]),
    ("(hi) [there] 'quoted' \"double\"", ["(hi) there quoted"]),
    ("The price is 1,000.50 dollars.", ["The price is 1,000.50 dollars ."]),
    ("well-known state-of-the-art 1990-2000", ["well known state of the art"]),
    ("don't won't it's", ["do not will not it is"]),
    ("Über Straße müssen Öl äöü", ["über strasse müssen öl"]),
    ("我爱北京天安门。", ["我 爱 北京 天安门 。"]),
    ("Beijing是中国的首都, population 21,540,000.", ["北京是中国的首都，人口2154万。"]),
    ("Great job 😀👍🏽 — really… “nice” €5 ½", ['Great job 😀 — really... "nice"']),
    ("the the the the the the the", ["the cat is on the mat", "there is a cat on the mat"]),
    ("aaaaaaaaaa", ["aaaa", "aaaaaaaaaaaaaaaa"]),
    ("abababab", ["babababa", "ab"]),
    (LONG, [LONG]),
    (LONG, [LONG[: len(LONG) // 3], LONG[::-1], "x"]),
    ("short", ["a much much longer reference sentence", "short", "shirt"]),
    ("  leading and trailing  ", [" leading  and   trailing "]),
    ("tabs\tand\nnewlines\r\nhere", ["tabs and newlines here"]),
    ("non\u00a0breaking\u2003em\u3000spaces", ["non breaking em spaces"]),
    ("A B C D", ["a b c d"]),
    ("Ǆ İstanbul ΣΑΣ", ["ǆ i̇stanbul σας"]),
    ("\ud800 lone surrogate \udfff", ["lone surrogate \ud800"]),
    ("\U0010ffff\x00\x01", ["\x00\U0010ffff"]),
]

CONFIGS: list[dict[str, object]] = [
    {},
    {"word_order": 2},
    {"word_order": 1},
    {"char_order": 3},
    {"char_order": 1},
    {"char_order": 9, "word_order": 3},
    {"beta": 1},
    {"beta": 3, "word_order": 2},
    {"eps_smoothing": True},
    {"eps_smoothing": True, "word_order": 2},
    {"lowercase": True},
    {"remove_whitespace": False},
    {"remove_whitespace": False, "word_order": 2, "lowercase": True},
]


def oracle(hyp: str, refs: list[str], **config: object) -> float:
    whitespace = not config.pop("remove_whitespace", True)
    metric = SacreCHRF(whitespace=whitespace, **config)
    return float(metric.sentence_score(hyp, refs).score)


def config_id(config: dict[str, object]) -> str:
    return ",".join(f"{k}={v}" for k, v in config.items()) or "default"


def test_oracle_is_sentence_chrf() -> None:
    hyp, refs = TRICKY[15]
    assert oracle(hyp, refs) == sacrebleu.sentence_chrf(hyp, refs).score
    assert oracle(hyp, refs, word_order=2) == sacrebleu.sentence_chrf(hyp, refs, word_order=2).score


def test_known_values() -> None:
    # fixed values (repr round-trips floats), so the suite also notices if sacreBLEU drifted
    assert CHRF()("the cat sat on the mat", ["the cat is on the mat"]) == 64.5779420625287
    chrf_pp = CHRF(word_order=2)
    assert chrf_pp("the cat sat on the mat", ["the cat is on the mat"]) == 66.36067072084818


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
@pytest.mark.parametrize(("hyp", "refs"), TRICKY)
def test_tricky_cases_equal_sacrebleu(hyp: str, refs: list[str], config: dict[str, object]) -> None:
    metric = CHRF(**config)  # type: ignore[arg-type]
    assert metric(hyp, refs) == oracle(hyp, refs, **config)
    for ref in refs:
        assert metric(ref, [hyp]) == oracle(ref, [hyp], **config)


def test_large_alphabet_uses_dict_path_and_stays_exact() -> None:
    # more distinct characters than base-(alphabet+2) keys of order 6 fit in int64
    cjk = "".join(chr(0x4E00 + i) for i in range(2000))
    hyp = cjk[::2] + cjk[:50]
    prepared = CHRF().prepare([cjk, "短"])
    assert prepared.char_index is None
    assert CHRF().score_prepared(hyp, prepared) == oracle(hyp, [cjk, "短"])
    # a long char_order overflows even a small alphabet
    metric = CHRF(char_order=40, word_order=2)
    assert metric.prepare(["abc abc"]).char_index is None
    assert metric("abc ab abc", ["abc abc"]) == oracle(
        "abc ab abc", ["abc abc"], char_order=40, word_order=2
    )


# --------------------------------------------------------------------------- property tests

CHUNKS = [
    *["the", "cat", "sat", "on", "mat", "a", "is", "Haus", "über", "Straße", "ÄÖÜ", "naïve"],
    *["1", "0", "42", "1,000", "3.14", "1,000.50", "2020", "-5", "½"],
    *list(".,;:!?'\"()[]{}<>/\\|-_&@#%$*+=~^`"),
    *["中", "国", "的", "是", "北京", "你好", "。", "，", "、", "《", "》"],
    *["😀", "👍🏽", "—", "…", "’", "€", "Ｆ"],
    *[" ", " ", " ", "  ", "\t", "\n", "\u3000", "\u00a0"],
]

chunk = st.sampled_from(CHUNKS)
text = st.lists(chunk, max_size=40).map("".join)
references = st.lists(text, min_size=1, max_size=4)


@st.composite
def perturbed(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A reference with words dropped, duplicated and/or shuffled, and the references."""
    refs = draw(references)
    words = draw(st.sampled_from(refs)).split()
    if words:
        keep = draw(st.lists(st.booleans(), min_size=len(words), max_size=len(words)))
        words = [w for w, k in zip(words, keep, strict=True) if k] or words
        for i in draw(st.lists(st.integers(0, len(words) - 1), max_size=3)):
            words.insert(i, words[i])
        if draw(st.booleans()):
            words = list(draw(st.permutations(words)))
    sep = draw(st.sampled_from([" ", " ", "  ", "\t", ""]))
    return sep.join(words), refs


PROPERTY = settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

MAIN_CONFIGS = [{}, {"word_order": 2}]


@pytest.mark.parametrize("config", MAIN_CONFIGS, ids=config_id)
@PROPERTY
@given(hyp=text, refs=references)
def test_random_text_equals_sacrebleu(hyp: str, refs: list[str], config: dict[str, object]) -> None:
    assert CHRF(**config)(hyp, refs) == oracle(hyp, refs, **config)  # type: ignore[arg-type]


@pytest.mark.parametrize("config", MAIN_CONFIGS, ids=config_id)
@PROPERTY
@given(pair=perturbed())
def test_perturbed_reference_equals_sacrebleu(
    pair: tuple[str, list[str]], config: dict[str, object]
) -> None:
    hyp, refs = pair
    assert CHRF(**config)(hyp, refs) == oracle(hyp, refs, **config)  # type: ignore[arg-type]


@settings(PROPERTY, max_examples=300)
@given(pair=st.one_of(perturbed(), st.tuples(text, references)), config=st.sampled_from(CONFIGS))
def test_options_property(pair: tuple[str, list[str]], config: dict[str, object]) -> None:
    hyp, refs = pair
    assert CHRF(**config)(hyp, refs) == oracle(hyp, refs, **config)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- API


def test_prepare_once_score_many_prefixes() -> None:
    for config in MAIN_CONFIGS:
        metric = CHRF(**config)  # type: ignore[arg-type]
        refs = ["The quick brown fox jumps over the lazy dog.", "Ein schneller Fuchs."]
        prepared = metric.prepare(refs)
        hyp = "The quick brown fox jumped over a lazy dog ."
        for i in range(len(hyp) + 1):
            assert metric.score_prepared(hyp[:i], prepared) == oracle(hyp[:i], refs, **config)


def test_statistics_equal_sacrebleu() -> None:
    for config in MAIN_CONFIGS:
        reference = SacreCHRF(**config)
        metric = CHRF(**config)  # type: ignore[arg-type]
        for hyp, refs in TRICKY:
            ref_info = reference._extract_reference_info(
                [reference._preprocess_segment(r) for r in refs]
            )
            best = reference._compute_segment_statistics(hyp, ref_info)
            ours = metric.statistics(hyp, metric.prepare(refs))
            assert best in ours


def test_batch_equals_per_item_calls() -> None:
    metric = CHRF(word_order=2)
    hyps = [hyp for hyp, _ in TRICKY]
    refs = [r for _, r in TRICKY]
    scores = metric.batch(hyps, refs)
    assert scores.dtype == np.float64
    assert scores.tolist() == [metric(h, r) for h, r in TRICKY]


def test_cache_and_pickle() -> None:
    metric = CHRF()
    metric.cache_size = 1
    for _ in range(2):
        for hyp, refs in TRICKY[:5]:
            assert metric(hyp, refs) == oracle(hyp, refs)
    clone = pickle.loads(pickle.dumps(metric))
    assert clone("abc", ["abd"]) == oracle("abc", ["abd"])


def test_invalid_options_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="char_order must be an int >= 1"):
        CHRF(char_order=0)
    with pytest.raises(ValueError, match="word_order must be an int >= 0"):
        CHRF(word_order=-1)
    with pytest.raises(ValueError, match="word_order must be an int >= 0"):
        CHRF(word_order=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="beta must be a non-negative number"):
        CHRF(beta=-1)
    with pytest.raises(ValueError, match="other settings"):
        CHRF().score_prepared("x", CHRF(word_order=2).prepare(["x"]))
    with pytest.raises(TypeError, match=r"CHRF\.prepare"):
        CHRF().score_prepared("x", ["x"])  # type: ignore[arg-type]

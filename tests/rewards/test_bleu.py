"""BLEU must equal ``sacrebleu.sentence_bleu(...).score`` exactly (``==``), on every input.

Also covers the shared reward API (``Metric`` validation, ``batch``, ``get_reward``).
"""

from __future__ import annotations

import itertools
import logging
import pickle
import subprocess
import sys
import unicodedata
from array import array
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rl_nlp_envs.rewards import BLEU, CHRF, REWARDS, Metric, RewardFn, get_reward
from rl_nlp_envs.rewards import bleu as bleu_module

sacrebleu = pytest.importorskip("sacrebleu")

# sacreBLEU warns on every call with use_effective_order=False
logging.getLogger("sacrebleu").setLevel(logging.ERROR)

TOKENIZERS = ["13a", "none", "zh", "intl", "char"]

LONG = " ".join(f"word{i % 37}, the {i}-th (of 600)" for i in range(130))  # 650+ words

#: (hypothesis, references) pairs that exercise the tokenizers' corner cases.
TRICKY: list[tuple[str, list[str]]] = [
    ("", ["The cat sat on the mat."]),
    ("The cat sat on the mat.", [""]),
    ("", [""]),
    ("   ", ["\t\n"]),
    ("...", ["!!! ???"]),
    ("?!;:", ["?!;:"]),
    ("The price is 1,000.50 dollars.", ["The price is 1,000.50 dollars ."]),
    ("1,000.50", ["1,000 .50", "1 , 000.50"]),
    ("3.14 and 2,5 and .5 and 5. and ,5", ["3.14 and 2,5 and .5 and 5 . and , 5"]),
    ("a.,b ,.5 1.,2 x..y 1..5", ["a . , b , .5 1 ., 2 x . . y"]),
    ("well-known state-of-the-art 1990-2000 -5 5- --", ["well - known 1990 - 2000"]),
    ("don't won't it's 'quoted' \"double\"", ["do n't won ' t it 's"]),
    ("Über Straße müssen Öl äöü ÄÖÜ ß", ["über strasse müssen öl"]),
    ("我爱北京天安门。", ["我 爱 北京 天安门 。"]),
    ("我 爱 北京 天安门 。", ["我爱北京天安门。"]),
    ("Beijing是中国的首都, population 21,540,000.", ["北京是中国的首都，人口2154万。"]),
    ("東京タワーは333メートルです", ["东京塔高333米"]),
    ("Great job 😀👍🏽 — really… “nice” ‘quotes’ €5 ½", ['Great job 😀 — really... "nice"']),
    ("the the the the the the the", ["the cat is on the mat", "there is a cat on the mat"]),
    ("a a a b b b a b a b", ["a b a b a b", "b b b", "a"]),
    (LONG, [LONG]),
    (LONG, [LONG[: len(LONG) // 2], LONG[::-1]]),
    ("short one", ["a much much longer reference sentence than the hypothesis", "short", "x"]),
    (
        "four word long hypothesis",
        ["one", "two words", "three words here", "five words in total here"],
    ),
    ("tie break test", ["a b", "a b c d"]),
    ("  leading and trailing spaces  ", [" leading  and   trailing spaces "]),
    ("tabs\tand\nnewlines\r\nhere", ["tabs and newlines here"]),
    ("hyphen at line end-\nwrapped", ["hyphen at line endwrapped"]),
    ("&quot;quoted&quot; &amp; &lt;tag&gt; &apos;", ['"quoted" & <tag>']),
    ("<skipped> text <SKIPPED>", ["text"]),
    ("(parenthesised) [bracketed] {braced} <angled>", ["( parenthesised ) [ bracketed ]"]),
    ("a/b\\c|d~e^f_g`h@i#j$k%l&m*n+o=p", ["a / b \\ c"]),
    ("U.S. e.g. i.e. Mr. Dr. etc.", ["U.S . e.g . i.e ."]),
    ("the year 2020.", ["the year 2020 ."]),
    ("non\u00a0breaking\u2003em\u3000ideographic\u2028spaces", ["non breaking em spaces"]),
    ("Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３", ["Fullwidth ABC 123"]),
    ("x", ["x"]),
    ("x y", ["x y"]),
    ("x y z", ["x y z w"]),
    ("A B C D", ["a b c d"]),
    ("Ǆ ǅ İstanbul ΣΑΣ", ["ǆ i̇stanbul σας"]),
    ("\ud800 lone surrogate", ["lone surrogate"]),
]

SMOOTHING = [
    {},
    {"smooth_method": "none"},
    {"smooth_method": "floor"},
    {"smooth_method": "floor", "smooth_value": 0.5},
    {"smooth_method": "add-k"},
    {"smooth_method": "add-k", "smooth_value": 2},
    {"smooth_method": "exp", "use_effective_order": False},
    {"smooth_method": "none", "use_effective_order": False},
    {"lowercase": True},
]


def oracle(hyp: str, refs: list[str], **kwargs: object) -> float:
    return float(sacrebleu.sentence_bleu(hyp, refs, **kwargs).score)


HAS_NUMBA = bleu_module._numba_available()
#: the backends of one-shot calls that this machine can run
BACKENDS = ["python", "numba"] if HAS_NUMBA else ["python"]


def uncached(**kwargs: object) -> BLEU:
    """A metric without the prepared-reference cache: ``metric(hyp, refs)`` takes its
    one-shot path, which prepares and scores in one go."""
    metric = BLEU(**kwargs)  # type: ignore[arg-type]
    metric.cache_size = 0
    return metric


def scores(hyp: str, refs: list[str], **kwargs: object) -> set[float]:
    """Our scores through every entry point (cached and one-shot calls, prepare + score,
    ``statistics``) on every backend (pure Python and the compiled kernel)."""
    out = set()
    for backend in BACKENDS:
        cached = BLEU(backend=backend, **kwargs)  # type: ignore[arg-type]
        prepared = cached.prepare(refs)
        stats = cached.statistics(hyp, prepared)
        assert stats == BLEU(backend="python", **kwargs).statistics(hyp, prepared)  # type: ignore[arg-type]
        out |= {cached(hyp, refs), cached.score_prepared(hyp, prepared)}
        out.add(uncached(backend=backend, **kwargs)(hyp, refs))
    return out


# --------------------------------------------------------------------------- hand-written cases


@pytest.mark.parametrize("tokenize", TOKENIZERS)
@pytest.mark.parametrize(("hyp", "refs"), TRICKY)
def test_tricky_cases_equal_sacrebleu(tokenize: str, hyp: str, refs: list[str]) -> None:
    assert scores(hyp, refs, tokenize=tokenize) == {oracle(hyp, refs, tokenize=tokenize)}
    # the reversed direction, too: each reference scored against the hypothesis
    for ref in refs:
        assert scores(ref, [hyp], tokenize=tokenize) == {oracle(ref, [hyp], tokenize=tokenize)}


@pytest.mark.parametrize("options", SMOOTHING, ids=lambda o: ",".join(map(str, o.values())))
@pytest.mark.parametrize("tokenize", TOKENIZERS)
def test_options_equal_sacrebleu(tokenize: str, options: dict[str, object]) -> None:
    metric = BLEU(tokenize=tokenize, **options)  # type: ignore[arg-type]
    one_shot = uncached(tokenize=tokenize, **options)
    for hyp, refs in TRICKY:
        expected = oracle(hyp, refs, tokenize=tokenize, **options)
        assert metric(hyp, refs) == one_shot(hyp, refs) == expected


@pytest.mark.parametrize("tokenize", TOKENIZERS)
@pytest.mark.parametrize("lowercase", [False, True])
def test_tokens_equal_sacrebleu_tokenizer(tokenize: str, lowercase: bool) -> None:
    reference = sacrebleu.BLEU(tokenize=tokenize, lowercase=lowercase)
    metric = BLEU(tokenize=tokenize, lowercase=lowercase)
    for text in itertools.chain.from_iterable([hyp, *refs] for hyp, refs in TRICKY):
        assert metric.tokens(text) == reference._preprocess_segment(text).split()


def test_statistics_equal_sacrebleu() -> None:
    reference = sacrebleu.BLEU(effective_order=True)
    metric = BLEU()
    for hyp, refs in TRICKY:
        expected = reference._extract_corpus_statistics([hyp], [[ref] for ref in refs])[0]
        assert metric.statistics(hyp, metric.prepare(refs)) == expected


def test_known_values() -> None:
    # fixed values (repr round-trips floats), so the suite also notices if sacreBLEU drifted
    assert BLEU()("the cat sat on the mat", ["the cat is on the mat"]) == 37.99178428257963
    # exp(log(100)) is not exactly 100, in sacreBLEU either
    assert BLEU()("same words", ["same words"]) == 100.00000000000004


# --------------------------------------------------------------------------- tokenizer internals


def test_13a_regex_passes_exhaustively() -> None:
    """The single-pass ``_isolate`` equals sacreBLEU's regex passes on all short strings."""
    from sacrebleu.tokenizers.tokenizer_re import TokenizerRegexp

    reference = TokenizerRegexp()
    regexp = TokenizerRegexp.__call__.__wrapped__
    # one character per class the regexes tell apart: other, digit, '.', ',', space, '-', symbol
    for length in range(1, 7):
        for chars in itertools.product("a1., -(", repeat=length):
            line = "".join(chars)
            assert bleu_module._regexp_post(line) == regexp(reference, line).split(), line


def test_13a_tokenizer_exhaustively() -> None:
    """The word-cached, one-split "13a" tokenizer equals sacreBLEU's on all short strings.

    The alphabet has one character per class the rules tell apart (other, digit, '.', ',', '-',
    symbol, space), so it covers both sides of the fast path's boundary: words with a run of
    periods/commas before a digit ("..5", ",.5") take the faithful path.
    """
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    reference = Tokenizer13a()
    tokenize = Tokenizer13a.__call__.__wrapped__
    for length in range(1, 7):
        for chars in itertools.product("a1.,-( ", repeat=length):
            line = "".join(chars)
            assert bleu_module.tokenize_13a(line) == tokenize(reference, line).split(), line
    # other whitespace, entities and line breaks are handled on the whole line first
    for length in range(1, 5):
        for chars in itertools.product(
            ["a", "1", ".", "-", "\t", "\n", "&amp;", "&lt;"], repeat=length
        ):
            line = "".join(chars)
            assert bleu_module.tokenize_13a(line) == tokenize(reference, line).split(), line


def test_13a_fast_path_boundary() -> None:
    unsure = bleu_module._13A_UNSURE.search
    for word in ["1..5", "a.,5", ",,1", "x,.0"]:
        assert unsure(word)
    for word in ["1.5", "1,000.50", "a.b", "U.S.", "5.,", "..", "-5"]:
        assert not unsure(word)
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    reference = Tokenizer13a()
    for line in ["a..5 b", "1..5", "x ,.5 y", "1.,2 3,.,4 5...6", "a.,b ,.5 1.,2 x..y 1..5"]:
        assert bleu_module.tokenize_13a(line) == reference(line).split(), line


def test_13a_word_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Results do not depend on what the word cache holds, and it stays bounded."""
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    reference = Tokenizer13a()
    monkeypatch.setattr(bleu_module._WordTokens, "max_size", 3)
    cache = bleu_module._13A_WORDS
    cache.clear()
    for _ in range(2):
        for hyp, refs in TRICKY:
            for line in [hyp, *refs]:
                tokens = bleu_module.tokenize_13a(line)
                assert tokens == reference(line).split()
                tokens.append("changed")  # the cached lists are copied, never handed out
                assert len(cache) <= 3
    assert bleu_module.tokenize_13a("the cat, sat.") == ["the", "cat", ",", "sat", "."]


def test_zh_tokenizer_exhaustively() -> None:
    """The "zh" fast paths (CJK-only lines, one split) and fallbacks equal sacreBLEU's."""
    from sacrebleu.tokenizers.tokenizer_zh import TokenizerZh

    reference = TokenizerZh()
    tokenize = TokenizerZh.__call__.__wrapped__
    # CJK, CJK punctuation, a whitespace character in sacreBLEU's CJK ranges (U+3000), other,
    # digit, '.', ',', '-', space: lines starting or ending with a period/comma next to a digit
    # take the faithful path
    for length in range(1, 6):
        for chars in itertools.product("中。\u3000a1.,- ", repeat=length):
            line = "".join(chars)
            assert bleu_module.tokenize_zh(line) == tokenize(reference, line).split(), line


def test_intl_regex_passes_exhaustively() -> None:
    from sacrebleu.tokenizers.tokenizer_intl import TokenizerV14International

    reference = TokenizerV14International()
    regexp = TokenizerV14International.__call__.__wrapped__
    # other, digit, punctuation (Po, Pd, CJK Po), space, symbol (Sc), number (No)
    for length in range(1, 6):
        for chars in itertools.product("a1.- $½、", repeat=length):
            line = "".join(chars)
            assert bleu_module.tokenize_intl(line) == regexp(reference, line).split(), line


def test_zh_ranges_match_sacrebleu_on_every_bmp_code_point() -> None:
    from sacrebleu.tokenizers.tokenizer_zh import TokenizerZh

    is_chinese = TokenizerZh._is_chinese_char.__wrapped__
    ours = bleu_module._ZH_CHARS.fullmatch
    code_points = itertools.chain(range(0x10000), range(0x10000, 0x110000, 251))
    for cp in code_points:
        assert bool(ours(chr(cp))) == is_chinese(chr(cp)), hex(cp)


def test_intl_unicode_classes_match_regex_module() -> None:
    """Our unicodedata classes equal the ``regex`` module's on every assigned code point.

    The only exactness caveat of this package: ``regex`` may know a newer Unicode version than
    this Python's :mod:`unicodedata`; characters assigned only in that newer version (category
    Cn here) can be classified differently, so BLEU with tokenize="intl" can differ from
    sacreBLEU on text containing them.
    """
    regex = pytest.importorskip("regex")
    tables = bleu_module._get_intl_tables()
    text = "".join(chr(cp) for cp in range(sys.maxunicode + 1) if not 0xD800 <= cp <= 0xDFFF)
    for prop, ours in (
        ("N", set(tables.numbers)),
        ("P", set(tables.punct.findall(text))),
        ("S", set(tables.symbols.findall(text))),
    ):
        theirs = set(regex.findall(rf"\p{{{prop}}}", text))
        assert all(unicodedata.category(ch) == "Cn" for ch in ours ^ theirs), prop


# --------------------------------------------------------------------------- property tests

CHUNKS = [
    *["the", "cat", "sat", "on", "mat", "a", "is", "Haus", "über", "Straße", "ÄÖÜ", "naïve"],
    *["1", "0", "42", "1,000", "3.14", "1,000.50", "2020", "-5", "½", "²"],
    *list(".,;:!?'\"()[]{}<>/\\|-_&@#%$*+=~^`"),
    *["&amp;", "&quot;", "&lt;", "&gt;", "<skipped>", "-\n", "...", "--", "U.S.", "e.g."],
    *["中", "国", "的", "是", "北京", "你好", "。", "，", "、", "《", "》", "！"],
    *["😀", "👍🏽", "—", "…", "’", "“", "€", "Ｆ", "１"],
    *[" ", " ", " ", "  ", "\t", "\n", "\r\n", "\u3000", "\u2003", "\u00a0"],
]

chunk = st.sampled_from(CHUNKS)
text = st.lists(chunk, max_size=40).map("".join)
references = st.lists(text, min_size=1, max_size=4)


@st.composite
def perturbed(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A reference with tokens dropped, duplicated and/or shuffled, and the references."""
    refs = draw(references)
    tokens = draw(st.sampled_from(refs)).split()
    if tokens:
        keep = draw(st.lists(st.booleans(), min_size=len(tokens), max_size=len(tokens)))
        tokens = [tok for tok, k in zip(tokens, keep, strict=True) if k] or tokens
        for i in draw(st.lists(st.integers(0, len(tokens) - 1), max_size=3)):
            tokens.insert(i, tokens[i])
        if draw(st.booleans()):
            tokens = list(draw(st.permutations(tokens)))
    sep = draw(st.sampled_from([" ", " ", "  ", "\t", ""]))
    return sep.join(tokens), refs


PROPERTY = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("tokenize", TOKENIZERS)
@PROPERTY
@given(hyp=text, refs=references)
def test_random_text_equals_sacrebleu(tokenize: str, hyp: str, refs: list[str]) -> None:
    assert scores(hyp, refs, tokenize=tokenize) == {oracle(hyp, refs, tokenize=tokenize)}


@pytest.mark.parametrize("tokenize", TOKENIZERS)
@PROPERTY
@given(pair=perturbed())
def test_perturbed_reference_equals_sacrebleu(tokenize: str, pair: tuple[str, list[str]]) -> None:
    hyp, refs = pair
    assert scores(hyp, refs, tokenize=tokenize) == {oracle(hyp, refs, tokenize=tokenize)}


@settings(PROPERTY, max_examples=300)
@given(
    pair=st.one_of(perturbed(), st.tuples(text, references)),
    tokenize=st.sampled_from(TOKENIZERS),
    options=st.sampled_from(SMOOTHING),
)
def test_options_property(
    pair: tuple[str, list[str]], tokenize: str, options: dict[str, object]
) -> None:
    hyp, refs = pair
    ours = scores(hyp, refs, tokenize=tokenize, **options)
    assert ours == {oracle(hyp, refs, tokenize=tokenize, **options)}


# --------------------------------------------------------------------------- n-gram matching

tokens = st.lists(st.sampled_from("abcde"), max_size=30)


@settings(PROPERTY, max_examples=400)
@given(
    hyp=st.one_of(tokens, st.lists(st.sampled_from("ab"), min_size=60, max_size=80)),
    refs=st.lists(st.lists(st.sampled_from("abcdef"), max_size=45), min_size=1, max_size=3),
)
def test_bitmask_statistics_equal_set_statistics(hyp: list[str], refs: list[list[str]]) -> None:
    """The bit-matrix counts equal plain n-gram tuple counting, including repeats on both sides,
    rows of 32, 64 and more bits and hypotheses of 64 tokens or more."""
    positions = bleu_module._index_references(refs)
    assert bleu_module._bitmask_statistics(hyp, positions) == bleu_module._set_statistics(hyp, refs)


@settings(PROPERTY, max_examples=200)
@given(hyp=tokens, refs=st.lists(tokens, min_size=1, max_size=3))
def test_statistics_equal_sacrebleu_on_repetitive_text(
    hyp: list[str], refs: list[list[str]]
) -> None:
    reference = sacrebleu.BLEU(effective_order=True, tokenize="none")
    metric = BLEU(tokenize="none")
    hyp_line, ref_lines = " ".join(hyp), [" ".join(ref) for ref in refs]
    expected = reference._extract_corpus_statistics([hyp_line], [[ref] for ref in ref_lines])[0]
    assert metric.statistics(hyp_line, metric.prepare(ref_lines)) == expected
    assert scores(hyp_line, ref_lines, tokenize="none") == {
        oracle(hyp_line, ref_lines, tokenize="none")
    }


@pytest.mark.parametrize(
    ("hyp", "refs"),
    [
        # repeated unigrams ("a", "b") never adjacent in the reference: no order-2 check at all
        ("a x b a y b", ["a z b"]),
        # repeated unigrams adjacent in the reference, but no repeated bigram in the hypothesis
        ("a b x b a", ["a b a"]),
        # a repeated bigram, clipped at order 2 only
        ("a b a b", ["a b c"]),
        # a repeated trigram clipped at orders 2 and 3, then a 4-gram that does not repeat
        ("a b c x a b c y", ["a b c y a", "q a b c"]),
        # repeats that the references allow: nothing to clip
        ("a b a b a b", ["a b a b a b"]),
        # repeated 4-grams across two references of different lengths
        ("a b c d a b c d a b c d", ["a b c d a b c d", "x a b c d"]),
    ],
)
def test_bitmask_repeat_checks(hyp: str, refs: list[str]) -> None:
    """Clipping of repeated n-grams, where the cheap ``repeated >> n`` filter skips the exact
    repeat check and where it does not."""
    hyp_tokens, ref_tokens = hyp.split(), [ref.split() for ref in refs]
    positions = bleu_module._index_references(ref_tokens)
    expected = bleu_module._set_statistics(hyp_tokens, ref_tokens)
    assert bleu_module._bitmask_statistics(hyp_tokens, positions) == expected
    assert scores(hyp, refs) == {oracle(hyp, refs)}


@pytest.mark.parametrize("limit", [0, 1 << 30], ids=["sets-only", "matrix-only"])
def test_matrix_size_limit(limit: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above ``_MAX_MATRIX_BITS`` the n-gram tuple counting takes over, with the same results."""
    monkeypatch.setattr(bleu_module, "_MAX_MATRIX_BITS", limit)
    for tokenize in ["13a", "zh"]:
        for hyp, refs in TRICKY:
            assert scores(hyp, refs, tokenize=tokenize) == {oracle(hyp, refs, tokenize=tokenize)}


def test_default_scoring_equals_compute_bleu() -> None:
    rng = np.random.default_rng(0)
    for i in range(4000):
        longest = 12 if i < 2000 else 80  # short ones, then mostly the unrolled order-4 path
        hyp_len = int(rng.integers(0, longest))
        ref_len = int(rng.integers(0, longest))
        total = bleu_module._totals(hyp_len)
        correct = [0] * 4
        for n in range(4):
            if not total[n]:
                break
            correct[n] = int(rng.integers(0, total[n] + 1))
            if not correct[n]:
                break  # as produced by the statistics: 0 from the first order without a match
        expected = bleu_module.compute_bleu(
            correct[:], total[:], hyp_len, ref_len, "exp", None, True
        )
        assert bleu_module._exp_bleu(correct, hyp_len, ref_len) == expected


def test_one_shot_call_accepts_str_subclasses_and_tuples() -> None:
    class Text(str):
        pass

    metric = uncached()
    expected = oracle("the cat sat", ["the cat sat down", "a cat"])
    assert metric(Text("the cat sat"), (Text("the cat sat down"), "a cat")) == expected
    assert uncached(lowercase=True)("The Cat", ["the cat"]) == oracle(
        "The Cat", ["the cat"], lowercase=True
    )


# --------------------------------------------------------------------------- API


def test_prepare_once_score_many_prefixes() -> None:
    metric = BLEU()
    refs = ["The quick brown fox jumps over the lazy dog.", "A fast brown fox leaps."]
    prepared = metric.prepare(refs)
    words = ["The", "quick", "brown", "fox", "jumped", "over", "a", "lazy", "dog", "."]
    for i in range(len(words) + 1):
        prefix = " ".join(words[:i])
        assert metric.score_prepared(prefix, prepared) == oracle(prefix, refs)


def test_batch_equals_per_item_calls() -> None:
    metric = BLEU()
    hyps = [hyp for hyp, _ in TRICKY]
    refs = [r for _, r in TRICKY]
    scores = metric.batch(hyps, refs)
    assert scores.dtype == np.float64
    assert scores.shape == (len(TRICKY),)
    assert scores.tolist() == [metric(h, r) for h, r in TRICKY]
    assert metric.batch([], []).shape == (0,)


needs_numba = pytest.mark.skipif(not HAS_NUMBA, reason="numba (the fast extra) is not installed")


def kernel_statistics(hyp: list[str], refs: list[list[str]]) -> list[int]:
    table = bleu_module._token_table()
    ids = [table.ids(ref) for ref in refs]
    bounds = array("q", itertools.accumulate([len(i) >> 3 for i in ids], initial=0))
    return bleu_module._kernel_statistics(table.ids(hyp), b"".join(ids), bounds)


@needs_numba
@settings(PROPERTY, max_examples=400)
@given(
    hyp=st.one_of(tokens, st.lists(st.sampled_from("ab"), min_size=60, max_size=80)),
    refs=st.lists(st.lists(st.sampled_from("abcdef"), max_size=45), min_size=1, max_size=3),
)
def test_kernel_statistics_equal_set_statistics(hyp: list[str], refs: list[list[str]]) -> None:
    """The compiled kernel's counts equal plain n-gram tuple counting, with repeats on both
    sides, empty references and several references."""
    assert kernel_statistics(hyp, refs) == bleu_module._set_statistics(hyp, refs)


@needs_numba
@pytest.mark.parametrize(
    ("hyp", "refs"),
    [
        ("a b a b", ["a b c"]),
        ("a b c x a b c y", ["a b c y a", "q a b c"]),
        ("a b c d a b c d a b c d", ["a b c d a b c d", "x a b c d"]),
        ("a a a a a", ["a a", "a a a"]),
        ("x a b y a b", ["a b", "", "a b a b"]),  # an empty reference between two others
        ("a b", ["b a"]),  # an n-gram must not run from one reference into the next
        ("a b", ["x a", "b y"]),
    ],
)
def test_kernel_repeats_and_reference_borders(hyp: str, refs: list[str]) -> None:
    hyp_tokens, ref_tokens = hyp.split(), [ref.split() for ref in refs]
    assert kernel_statistics(hyp_tokens, ref_tokens) == bleu_module._set_statistics(
        hyp_tokens, ref_tokens
    )
    assert scores(hyp, refs) == {oracle(hyp, refs)}


@needs_numba
def test_kernel_limits_and_token_table_renewal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above ``_MAX_KERNEL_CELLS`` one-shot calls fall back to the bit matrix; a token table
    over ``_MAX_TOKEN_IDS`` entries is replaced by a new one; results stay sacreBLEU's."""
    metrics = [uncached(backend="numba"), BLEU(backend="numba")]
    monkeypatch.setattr(bleu_module, "_MAX_KERNEL_CELLS", 0)
    for hyp, refs in TRICKY:
        assert {m(hyp, refs) for m in metrics} == {oracle(hyp, refs)}
    monkeypatch.undo()
    # references prepared before the table is replaced keep numbering hypotheses their way
    prepared = [(hyp, refs, metrics[1].prepare(refs)) for hyp, refs in TRICKY]
    monkeypatch.setattr(bleu_module, "_MAX_TOKEN_IDS", 3)
    first = bleu_module._token_table()
    for hyp, refs in TRICKY:
        assert metrics[0](hyp, refs) == oracle(hyp, refs)
    assert bleu_module._token_table() is not first
    for hyp, refs, ready in prepared:
        assert metrics[1].score_prepared(hyp, ready) == oracle(hyp, refs)


def test_backends() -> None:
    assert BLEU().backend == "auto"
    pair = ("the cat sat on the mat", ["the cat sat on a mat"])
    assert uncached(backend="python")(*pair) == oracle(*pair)
    with pytest.raises(
        ValueError, match="unknown backend 'gpu'; choose one of: auto, python, numba"
    ):
        BLEU(backend="gpu")
    clone = pickle.loads(pickle.dumps(uncached(backend="python")))
    assert clone.backend == "python"
    assert "backend='python'" in repr(clone)


def test_numba_backend_without_numba(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bleu_module, "_numba_available", lambda: False)
    with pytest.raises(ImportError, match=r"pip install \"rl_nlp_envs\[fast\]\""):
        BLEU(backend="numba")
    # "auto" then stays on the pure-Python path, also for a metric unpickled here
    metric = uncached()
    assert not metric._use_kernel
    assert metric("the cat", ["the cat"]) == oracle("the cat", ["the cat"])


def test_cache_does_not_change_results_and_pickles() -> None:
    metric = BLEU()
    metric.cache_size = 2
    for _ in range(3):
        for hyp, refs in TRICKY[:6]:
            assert metric(hyp, refs) == oracle(hyp, refs)
    clone = pickle.loads(pickle.dumps(metric))
    assert clone("the cat", ["the cat"]) == oracle("the cat", ["the cat"])
    metric.cache_clear()
    assert metric("the cat", ["the cat"]) == oracle("the cat", ["the cat"])


@pytest.mark.parametrize("metric", [BLEU(), uncached(), CHRF()], ids=["bleu", "one-shot", "chrf"])
def test_invalid_inputs_raise_clear_errors(metric: Metric) -> None:
    with pytest.raises(TypeError, match="hypothesis must be a str"):
        metric(None, ["x"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="hypothesis must be a str"):
        metric(b"bytes", ["x"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="references must be a non-empty sequence of str"):
        metric("x", "a bare string")
    with pytest.raises(TypeError, match="references must be a non-empty sequence of str"):
        metric("x", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="references must be a non-empty sequence of str"):
        metric("x", {"x"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one reference"):
        metric("x", [])
    with pytest.raises(TypeError, match=r"references\[1\] must be a str, got NoneType"):
        metric("x", ["ok", None])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="same length"):
        metric.batch(["a", "b"], [["a"]])
    with pytest.raises(TypeError, match=r"references\[0\] must be a non-empty sequence"):
        metric.batch(["a"], ["a"])
    with pytest.raises(TypeError, match=r"hypotheses\[1\] must be a str"):
        metric.batch(["a", 1], [["a"], ["b"]])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="hypotheses must be a sequence"):
        metric.batch("ab", [["a"], ["b"]])
    with pytest.raises(TypeError, match="prepare"):
        metric.score_prepared("x", ("x",))
    with pytest.raises(TypeError, match="hypothesis must be a str"):
        metric.score_prepared(3, metric.prepare(["x"]))  # type: ignore[arg-type]


def test_invalid_options_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown tokenize 'ja-mecab'; choose one of: 13a, none"):
        BLEU(tokenize="ja-mecab")
    with pytest.raises(ValueError, match="unknown smooth_method 'add-one'; choose one of: none"):
        BLEU(smooth_method="add-one")
    with pytest.raises(TypeError, match="smooth_value must be a number"):
        BLEU(smooth_value="0.1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="prepared with tokenize='zh'"):
        BLEU().score_prepared("x", BLEU(tokenize="zh").prepare(["x"]))


def test_get_reward_and_registry() -> None:
    assert set(REWARDS) >= {"bleu", "chrf"}
    assert isinstance(REWARDS["bleu"], BLEU)
    assert isinstance(REWARDS["chrf"], CHRF)
    assert get_reward("bleu") is REWARDS["bleu"]
    zh = get_reward("bleu", tokenize="zh")
    assert isinstance(zh, BLEU)
    assert zh.tokenize == "zh"
    assert isinstance(get_reward("chrf", word_order=2), CHRF)

    def exact(hypothesis: str, references: list[str]) -> float:
        return float(hypothesis in references)

    assert get_reward(exact) is exact
    assert isinstance(exact, RewardFn)
    assert isinstance(REWARDS["bleu"], RewardFn)
    with pytest.raises(ValueError, match="unknown reward 'x'; choose one of: bleu, chrf"):
        get_reward("x")
    with pytest.raises(TypeError, match="only be given with a reward name"):
        get_reward(exact, tokenize="zh")
    with pytest.raises(ValueError, match="unknown tokenize"):
        get_reward("bleu", tokenize="nope")


def test_import_is_light() -> None:
    code = (
        "import sys, rl_nlp_envs.rewards; "
        "heavy = {'sacrebleu', 'torch', 'transformers', 'pygame', 'regex'}; "
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    ).stdout
    assert out.strip() == "[]"

"""SQuAD F1 and exact match must equal the official evaluation scripts (``==``) on every input.

The oracle below is the official SQuAD v1.1 evaluation script's functions, verbatim, plus the
v2.0 script's ``get_tokens``/``compute_f1``/``compute_exact`` for empty answers.
"""

from __future__ import annotations

import glob
import json
import os
import pickle
import re
import string
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rl_nlp_envs
from rl_nlp_envs.rewards.squad import ExactMatch, SquadF1, answer_tokens, normalize_answer

# ------------------------------------------------ oracle: official SQuAD v1.1 evaluation script


def official_normalize_answer(s):
    """Lower text and remove punctuation, articles and extra whitespace."""

    def remove_articles(text):
        return re.sub(r"\b(a|an|the)\b", " ", text)

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    def lower(text):
        return text.lower()

    return white_space_fix(remove_articles(remove_punc(lower(s))))


def f1_score(prediction, ground_truth):
    prediction_tokens = official_normalize_answer(prediction).split()
    ground_truth_tokens = official_normalize_answer(ground_truth).split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    f1 = (2 * precision * recall) / (precision + recall)
    return f1


def exact_match_score(prediction, ground_truth):
    return official_normalize_answer(prediction) == official_normalize_answer(ground_truth)


def metric_max_over_ground_truths(metric_fn, prediction, ground_truths):
    scores_for_ground_truths = []
    for ground_truth in ground_truths:
        score = metric_fn(prediction, ground_truth)
        scores_for_ground_truths.append(score)
    return max(scores_for_ground_truths)


# ------------------------------------------------ oracle: official SQuAD v2.0 evaluation script


def get_tokens(s):
    if not s:
        return []
    return official_normalize_answer(s).split()


def compute_exact(a_gold, a_pred):
    return int(official_normalize_answer(a_gold) == official_normalize_answer(a_pred))


def compute_f1(a_gold, a_pred):
    gold_toks = get_tokens(a_gold)
    pred_toks = get_tokens(a_pred)
    common = Counter(gold_toks) & Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        # If either is no-answer, then F1 is 1 if they agree, 0 otherwise
        return int(gold_toks == pred_toks)
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_toks)
    recall = 1.0 * num_same / len(gold_toks)
    f1 = (2 * precision * recall) / (precision + recall)
    return f1


# ------------------------------------------------ helpers

F1 = SquadF1()
EM = ExactMatch()


def v2_f1(prediction: str, ground_truths: list[str]) -> float:
    return max(compute_f1(gold, prediction) for gold in ground_truths)


def check(prediction: str, ground_truths: list[str]) -> None:
    """Ours equals v1.1 (and v2.0 per reference); F1 differs from v1.1 only on empty vs empty."""
    f1 = F1(prediction, ground_truths)
    em = EM(prediction, ground_truths)
    assert type(f1) is float and type(em) is float
    assert em == metric_max_over_ground_truths(exact_match_score, prediction, ground_truths)
    assert em == max(compute_exact(gold, prediction) for gold in ground_truths)
    assert f1 == v2_f1(prediction, ground_truths)
    both_empty = not get_tokens(prediction) and any(not get_tokens(g) for g in ground_truths)
    if both_empty:
        assert f1 == 1.0
        assert metric_max_over_ground_truths(f1_score, prediction, ground_truths) == 0
    else:
        assert f1 == metric_max_over_ground_truths(f1_score, prediction, ground_truths)
    assert normalize_answer(prediction) == official_normalize_answer(prediction)
    assert answer_tokens(prediction) == official_normalize_answer(prediction).split()


TRICKY: list[tuple[str, list[str]]] = [
    ("Denver Broncos", ["Denver Broncos", "The Denver Broncos"]),
    ("the Broncos", ["Denver Broncos"]),
    ("Broncos Broncos Broncos", ["Denver Broncos"]),
    ("", ["Denver Broncos"]),
    ("Denver Broncos", [""]),
    ("", [""]),
    ("the", ["a"]),
    ("The an A", ["", "Paris"]),
    ("...!?", ["(--)"]),
    ("Paris", ["the", "Paris"]),
    ("", ["the", "Paris"]),
    ("anthem theatre another", ["an them the atre a nother"]),
    ("a-b the-end", ["ab theend"]),
    ("1,000", ["1000"]),
    ("3.14 m²", ["314 m²"]),
    ("«the» “the” the’s", ["the s"]),
    ("Æsop ĀN THE Éclair", ["æsop ān éclair"]),
    ("\u212a \u0130stanbul ǅ", ["k i̇stanbul ǆ"]),
    ("the\u00a0cat\u3000sat\tthe\nmat", ["cat sat mat"]),
    ("théa the_a the1", ["théa the_a the1"]),
    ("a\u0301 an\u0301", ["\u0301 \u0301"]),
    ("北京 the 首都", ["北京首都"]),
    ("x " * 50, ["x " * 30 + "y " * 20]),
]


@pytest.mark.parametrize(("prediction", "ground_truths"), TRICKY)
def test_tricky_cases_equal_official(prediction: str, ground_truths: list[str]) -> None:
    check(prediction, ground_truths)
    for gold in ground_truths:
        check(gold, [prediction])


def test_known_values() -> None:
    assert F1("the Broncos", ["Denver Broncos"]) == 2 / 3
    assert F1("Broncos Broncos", ["Denver Broncos", "Broncos"]) == 2 / 3
    assert EM("The Denver Broncos!", ["denver  broncos"]) == 1.0
    assert EM("Denver", ["Denver Broncos"]) == 0.0


def test_unanswerable_convention() -> None:
    # SQuAD v2.0: an unanswerable question has the reference ""; the empty answer is right
    assert F1("", [""]) == 1.0
    assert F1("something", [""]) == 0.0
    assert F1("the", [""]) == 1.0  # normalises to no tokens
    assert EM("", [""]) == 1.0
    assert EM("something", [""]) == 0.0
    assert compute_f1("", "") == 1 and f1_score("", "") == 0  # v2.0 vs v1.1


def test_bundled_qa_answers() -> None:
    paths = glob.glob(os.path.join(os.path.dirname(rl_nlp_envs.__file__), "data/qa/parts/*.json"))
    cases = 0
    for path in sorted(paths):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)["data"]
        for article in data:
            for paragraph in article["paragraphs"]:
                context = paragraph["context"]
                answers: list[str] = []
                for qa in paragraph["qas"]:
                    golds = [a["text"] for a in qa["answers"]] or [""]
                    answers += golds
                    check(golds[0], golds)
                    # the same answer with the neighbouring context words around it
                    start = context.find(golds[0])
                    if start >= 0 and golds[0]:
                        wider = context[max(start - 12, 0) : start + len(golds[0]) + 12]
                        check(wider, golds)
                    cases += 1
                for i, answer in enumerate(answers):
                    check(answer, answers[i + 1 : i + 4] or [""])
    if paths:
        assert cases > 50


# ------------------------------------------------ property tests

PIECES = [
    *["a", "an", "the", "A", "An", "THE", "The", "ana", "than", "theatre", "at", "in"],
    *["Paris", "paris", "Broncos", "Denver", "1", "1,000", "3.14", "2020", "x", "y"],
    *["Æsop", "é", "\u0301", "ß", "İ", "\u212a", "北京", "ǅ", "m²", "½"],
    *list(string.punctuation),
    *["«", "»", "“", "”", "’", "—", "…", "。"],
    *[" ", " ", " ", "  ", "\t", "\n", "\u00a0", "\u3000", "\u2028"],
]
piece_text = st.lists(st.sampled_from(PIECES), max_size=20).map("".join)
answer = st.one_of(piece_text, piece_text, st.text(max_size=20))
golds = st.lists(answer, min_size=1, max_size=4)

PROPERTY = settings(
    max_examples=1500,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY
@given(prediction=answer, ground_truths=golds)
def test_random_answers_equal_official(prediction: str, ground_truths: list[str]) -> None:
    check(prediction, ground_truths)


@settings(PROPERTY, max_examples=1000)
@given(ground_truths=golds, data=st.data())
def test_overlapping_answers_equal_official(ground_truths: list[str], data: st.DataObject) -> None:
    # a prediction made of pieces of a ground truth: the partial-overlap cases
    words = data.draw(st.sampled_from(ground_truths)).split()
    picked = data.draw(st.lists(st.sampled_from(words), max_size=6)) if words else []
    check(" ".join(picked), ground_truths)


# ------------------------------------------------ API


def test_names_prepare_and_errors() -> None:
    assert (F1.name, EM.name) == ("f1", "exact_match")
    assert (repr(F1), repr(EM)) == ("SquadF1()", "ExactMatch()")
    prepared = F1.prepare(["Denver Broncos", "the Broncos"])
    assert [F1.score_prepared(p, prepared) for p in ("Denver", "Broncos", "")] == [
        2 / 3,
        1.0,
        0.0,
    ]
    em_prepared = EM.prepare(["Denver Broncos"])
    assert EM.score_prepared("denver broncos.", em_prepared) == 1.0
    with pytest.raises(TypeError, match=r"SquadF1\.prepare"):
        F1.score_prepared("x", em_prepared)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"ExactMatch\.prepare"):
        EM.score_prepared("x", prepared)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="hypothesis must be a str"):
        F1.score_prepared(3, prepared)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one reference"):
        F1("x", [])
    with pytest.raises(TypeError, match="non-empty sequence of str"):
        EM("x", "x")
    assert F1.batch(["Denver", "x"], [["Denver"], [""]]).tolist() == [1.0, 0.0]
    assert pickle.loads(pickle.dumps(F1))("a b", ["b"]) == 1.0


def test_registry() -> None:
    from rl_nlp_envs import rewards

    assert isinstance(rewards.REWARDS["f1"], SquadF1)
    assert isinstance(rewards.REWARDS["exact_match"], ExactMatch)
    assert rewards.get_reward("f1") is rewards.REWARDS["f1"]
    assert rewards.SquadF1 is SquadF1 and rewards.ExactMatch is ExactMatch

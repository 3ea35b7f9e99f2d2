"""ROUGE and SQuAD F1/EM rewards: ``rl_nlp_envs.rewards`` against rouge-score and the official
SQuAD v1.1 functions, per call.

Run: ``python benchmarks/bench_rouge_squad.py [--repeat 3]`` (needs rouge-score and nltk).
Prints a markdown table; every number comes from this one run on this machine, on the bundled
data. Each result is also checked to be equal (``==``) to the reference implementation's; the
script exits with status 1 if any differs.

Rows:

* ROUGE per pair (``use_stemmer=True``, F-measure): for each bundled summarization example, the
  lead sentences scored against the reference summaries, and each summary against the other
  summaries (or the lead sentences), one sentence a line. References are never seen before by
  our metric (its cache is disabled), so ours includes preparing them. Our per-token stem cache
  is warm after the first run and the best run is kept; the "cold stem cache" row clears it
  before every run. rouge-score: ``RougeScorer([type], use_stemmer=True).score_multi``.
* ROUGE dense: every prefix (1..60 words) of a 60-word hypothesis (a summary continued with
  document words) against the same references, as a dense per-token reward does. Ours prepares
  the references once per example (included in the time) and calls ``score_prepared`` per
  prefix; rouge-score is called per prefix.
* SQuAD per answer: for each bundled answerable question, the first gold answer, the answer
  with context words around it and another question's answer, against the question's gold
  answers (those that normalise to nothing dropped, as the v2.0 script does). The official
  functions: ``metric_max_over_ground_truths(f1_score / exact_match_score, ...)``.
* SQuAD dense: every word prefix of the answer with context words around it, against the
  prepared gold answers (ours) or per prefix (official).
"""

from __future__ import annotations

import argparse
import gc
import glob
import json
import logging
import os
import platform
import re
import string
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from rouge_score import rouge_scorer

import rl_nlp_envs
from rl_nlp_envs.rewards import rouge as rouge_module
from rl_nlp_envs.rewards.rouge import ROUGE, ROUGEMix
from rl_nlp_envs.rewards.squad import ExactMatch, SquadF1

logging.getLogger("absl").setLevel(logging.ERROR)

DATA = os.path.join(os.path.dirname(rl_nlp_envs.__file__), "data")
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
DENSE_WORDS = 60


# ------------------------------------------------ the official SQuAD v1.1 evaluation functions


def normalize_answer(s):
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
    prediction_tokens = normalize_answer(prediction).split()
    ground_truth_tokens = normalize_answer(ground_truth).split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    f1 = (2 * precision * recall) / (precision + recall)
    return f1


def exact_match_score(prediction, ground_truth):
    return normalize_answer(prediction) == normalize_answer(ground_truth)


def metric_max_over_ground_truths(metric_fn, prediction, ground_truths):
    scores_for_ground_truths = []
    for ground_truth in ground_truths:
        score = metric_fn(prediction, ground_truth)
        scores_for_ground_truths.append(score)
    return max(scores_for_ground_truths)


# ------------------------------------------------ data


def _lines(text: str) -> str:
    """One sentence a line (roughly), so that rougeLsum has sentences to align."""
    return text.replace(". ", ".\n").replace("? ", "?\n").replace("! ", "!\n")


def summarization_data() -> tuple[list[tuple[str, list[str]]], list[tuple[list[str], list[str]]]]:
    """(hypothesis, references) pairs, and (prefixes, references) for the dense rows."""
    rows: list[dict[str, Any]] = []
    for path in sorted(glob.glob(os.path.join(DATA, "summarize", "parts", "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            rows += [json.loads(line) for line in f if line.strip()]
    pairs: list[tuple[str, list[str]]] = []
    dense: list[tuple[list[str], list[str]]] = []
    for row in rows:
        summaries = [_lines(s) for s in row["summaries"]]
        sentences = [s for s in _lines(row["document"]).split("\n") if s.strip()]
        lead = "\n".join(sentences[:3])
        pairs.append((lead, summaries))
        for k, summary in enumerate(summaries):
            pairs.append((summary, summaries[:k] + summaries[k + 1 :] or [lead]))
        words = (row["summaries"][0] + " " + row["document"]).split(" ")[:DENSE_WORDS]
        prefixes = [_lines(" ".join(words[:i])) for i in range(1, len(words) + 1)]
        dense.append((prefixes, summaries))
    return pairs, dense


def qa_data() -> list[tuple[str, list[str]]]:
    """(prediction, gold answers) triples of predictions per answerable bundled question."""
    questions: list[tuple[str, list[str]]] = []
    for path in sorted(glob.glob(os.path.join(DATA, "qa", "parts", "*.json"))):
        with open(path, encoding="utf-8") as f:
            for article in json.load(f)["data"]:
                for paragraph in article["paragraphs"]:
                    for qa in paragraph["qas"]:
                        # as the v2.0 script, drop gold answers that normalise to nothing
                        golds = [a["text"] for a in qa["answers"] if normalize_answer(a["text"])]
                        if golds:
                            questions.append((paragraph["context"], golds))
    cases: list[tuple[str, list[str]]] = []
    for i, (context, golds) in enumerate(questions):
        start = max(context.find(golds[0]), 0)
        wider = context[max(start - 15, 0) : start + len(golds[0]) + 15]
        other = questions[(i + 1) % len(questions)][1][0]
        cases += [(golds[0], golds), (wider, golds), (other, golds)]
    return cases


# ------------------------------------------------ timing


@dataclass
class Row:
    name: str
    ours_us: float
    theirs_us: float
    calls: int
    mismatches: int


def _best_time(
    run: Callable[[], list[float]], repeat: int, before: Callable[[], None] | None = None
) -> tuple[float, list[float]]:
    best, results = float("inf"), []
    for _ in range(repeat):
        if before is not None:
            before()
        gc.collect()
        start = time.perf_counter()
        results = run()
        best = min(best, time.perf_counter() - start)
    return best, results


def compare(
    name: str,
    ours: Callable[[], list[float]],
    theirs: Callable[[], list[float]],
    repeat: int,
    before: Callable[[], None] | None = None,
) -> Row:
    t_ours, a = _best_time(ours, repeat, before)
    t_theirs, b = _best_time(theirs, repeat)
    bad = sum(x != y for x, y in zip(a, b, strict=True))
    return Row(name, t_ours / len(a) * 1e6, t_theirs / len(b) * 1e6, len(a), bad)


def rouge_rows(
    pairs: list[tuple[str, list[str]]], dense: list[tuple[list[str], list[str]]], repeat: int
) -> list[Row]:
    rows = []
    for rouge_type in ROUGE_TYPES:
        metric = ROUGE(rouge_type)
        metric.cache_size = 0
        scorer = rouge_scorer.RougeScorer([rouge_type], use_stemmer=True)

        def ours(metric: ROUGE = metric) -> list[float]:
            return [metric(hyp, refs) for hyp, refs in pairs]

        def theirs(scorer: Any = scorer, rouge_type: str = rouge_type) -> list[float]:
            return [scorer.score_multi(refs, hyp)[rouge_type].fmeasure for hyp, refs in pairs]

        rows.append(compare(f"{rouge_type}, per pair", ours, theirs, repeat))
        if rouge_type == "rougeL":
            rows.append(
                compare(
                    "rougeL, per pair, cold stem cache",
                    ours,
                    theirs,
                    repeat,
                    before=rouge_module._stem_token.cache_clear,
                )
            )

        def ours_dense(metric: ROUGE = metric) -> list[float]:
            out = []
            for prefixes, refs in dense:
                prepared = metric.prepare(refs)
                out += [metric.score_prepared(p, prepared) for p in prefixes]
            return out

        def theirs_dense(scorer: Any = scorer, rouge_type: str = rouge_type) -> list[float]:
            return [
                scorer.score_multi(refs, p)[rouge_type].fmeasure
                for prefixes, refs in dense
                for p in prefixes
            ]

        rows.append(
            compare(
                f"{rouge_type}, dense ({DENSE_WORDS} prefixes)", ours_dense, theirs_dense, repeat
            )
        )

    weights = {"rouge1": 0.3, "rouge2": 0.3, "rougeL": 0.4}
    mix = ROUGEMix(weights)
    mix.cache_size = 0
    scorer = rouge_scorer.RougeScorer(list(weights), use_stemmer=True)

    def ours_mix() -> list[float]:
        return [mix(hyp, refs) for hyp, refs in pairs]

    def theirs_mix() -> list[float]:
        out = []
        for hyp, refs in pairs:
            scores = scorer.score_multi(refs, hyp)
            total = 0.0
            for rouge_type, weight in weights.items():
                total += weight * scores[rouge_type].fmeasure
            out.append(total)
        return out

    rows.append(
        compare("ROUGEMix 1/2/L (one scorer, 3 types), per pair", ours_mix, theirs_mix, repeat)
    )
    return rows


def squad_rows(cases: list[tuple[str, list[str]]], repeat: int) -> list[Row]:
    rows = []
    # every word prefix of each answer-in-context prediction, against the same gold answers
    words = [(pred.split(" "), golds) for pred, golds in cases[1::3]]
    dense = [([" ".join(w[:i]) for i in range(1, len(w) + 1)], g) for w, g in words]
    for name, metric, official in (
        ("SQuAD F1", SquadF1(), f1_score),
        ("SQuAD exact match", ExactMatch(), exact_match_score),
    ):
        metric.cache_size = 0

        def ours(metric: Any = metric) -> list[float]:
            return [metric(pred, golds) for pred, golds in cases]

        def theirs(official: Any = official) -> list[float]:
            return [metric_max_over_ground_truths(official, pred, golds) for pred, golds in cases]

        rows.append(compare(f"{name}, per answer", ours, theirs, repeat))

        def ours_dense(metric: Any = metric) -> list[float]:
            out = []
            for prefixes, golds in dense:
                prepared = metric.prepare(golds)
                out += [metric.score_prepared(p, prepared) for p in prefixes]
            return out

        def theirs_dense(official: Any = official) -> list[float]:
            return [
                metric_max_over_ground_truths(official, p, golds)
                for prefixes, golds in dense
                for p in prefixes
            ]

        rows.append(compare(f"{name}, dense (word prefixes)", ours_dense, theirs_dense, repeat))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timing runs; the best is kept")
    parser.add_argument(
        "--dense", type=int, default=60, help=f"dense examples ({DENSE_WORDS} prefixes each)"
    )
    args = parser.parse_args()

    pairs, dense = summarization_data()
    dense = dense[:: max(len(dense) // max(args.dense, 1), 1)][: args.dense]
    cases = qa_data()
    rows = rouge_rows(pairs, dense, args.repeat) + squad_rows(cases, args.repeat)

    print(
        f"Python {platform.python_version()}, rouge-score {version('rouge-score')}, "
        f"nltk {version('nltk')}, {os.cpu_count()} CPUs; {len(pairs)} summary pairs, "
        f"{len(dense)} dense examples, {len(cases)} QA answers; best of {args.repeat} runs\n"
    )
    print("| metric | ours µs/call | reference µs/call | speed-up | equal results |")
    print("|---|---:|---:|---:|---|")
    for row in rows:
        equal = "all" if not row.mismatches else f"{row.mismatches} differ"
        print(
            f"| {row.name} | {row.ours_us:.1f} | {row.theirs_us:.1f} | "
            f"{row.theirs_us / row.ours_us:.1f}x | {equal} ({row.calls} calls) |"
        )
    if any(row.mismatches for row in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()

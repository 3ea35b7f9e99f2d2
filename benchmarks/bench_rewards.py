"""Sentence BLEU and chrF rewards: ``rl_nlp_envs.rewards`` against sacreBLEU, per call.

Run: ``python benchmarks/bench_rewards.py [--pairs 3000] [--repeat 3]`` (needs sacrebleu).
Prints a markdown table; every number comes from this one run on this machine, on the same
generated English, German and Chinese sentence pairs (a perturbed copy of a reference as the
hypothesis; one or two references). Each result is also checked to be equal (``==``) to
sacreBLEU's; the script exits with status 1 if any differs.

Rows:

* per pair: one call per (hypothesis, references) pair with references never seen before, so
  ours includes preparing the references (its cache is disabled, or on and emptied first, as
  ``REWARDS["bleu"]`` is used). BLEU's default backend counts the matches in a compiled kernel
  when numba is installed (the ``fast`` extra); the ``backend="python"`` rows are the
  pure-Python path;
* dense: every prefix of a 30-token hypothesis scored against the same references, as a dense
  per-token reward does. Ours prepares the references once per example (included in the time)
  and calls ``score_prepared`` per prefix, or ("via metric(hyp, refs)") calls the metric per
  prefix and lets its cache of prepared references do that; sacreBLEU is called per prefix.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sacrebleu

from rl_nlp_envs.rewards import BLEU, CHRF, Metric

logging.getLogger("sacrebleu").setLevel(logging.ERROR)


def _words(text: str) -> list[str]:
    return text.split()


EN = _words(
    "the a an of to in and is was for on with that by at from as it this be are has have not "
    "but or which new first year government people city police report market company state "
    "president minister week official said says would could will after over more than about "
    "two three million percent world country time day don't it's can't U.S. well-known "
    "long-term follow-up children school health water energy data model study results"
)
DE = _words(
    "der die das und ist war für mit dem den von zu im auf nicht ein eine einer über nach "
    "wurde werden hat haben sind Jahr Regierung Menschen Stadt Polizei Bericht Markt "
    "Unternehmen Präsident Minister Woche sagte würde könnte größer Straße Müller Schüler "
    "Gebäude Behörde Öffentlichkeit Gesundheit Wasser Energie Daten Studie Ergebnisse "
    "gemäß außerdem täglich natürlich schließlich Mitte-Links zwölf Grüße"
)
ZH = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能"
    "下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量"
    "都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各"
    "重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代"
)
NUMBERS = ["1,000", "3.5", "2020", "42", "1,250.75", "-5", "10%", "$3"]


@dataclass
class Example:
    language: str
    hypothesis: str
    references: list[str]


def _sentence(rng: random.Random, language: str, length: int) -> list[str]:
    if language == "zh":
        return [rng.choice(ZH) for _ in range(length)]
    vocab = EN if language == "en" else DE
    words = [
        rng.choice(NUMBERS) if rng.random() < 0.05 else rng.choice(vocab) for _ in range(length)
    ]
    if language == "de":
        words[0] = words[0].capitalize()
    for i in range(2, length - 1, 7):
        words[i] += ","
    return words


def _perturb(rng: random.Random, language: str, tokens: list[str]) -> list[str]:
    out = []
    for tok in tokens:
        r = rng.random()
        if r < 0.1:
            continue  # dropped
        out.append(_sentence(rng, language, 1)[0] if r < 0.25 else tok)
    for i in range(len(out) - 1):
        if rng.random() < 0.05:
            out[i], out[i + 1] = out[i + 1], out[i]
    return out or tokens[:1]


def _join(language: str, tokens: Sequence[str]) -> str:
    if language == "zh":
        return "".join(tokens) + "。"
    return " ".join(tokens) + "."


def make_examples(n: int, seed: int, length: tuple[int, int] = (6, 35)) -> list[Example]:
    """``n`` (hypothesis, references) pairs, a third per language; 30% with two references."""
    rng = random.Random(seed)
    examples = []
    for i in range(n):
        language = ("en", "de", "zh")[i % 3]
        ref = _sentence(rng, language, rng.randint(*length))
        refs = [ref] + ([_perturb(rng, language, ref)] if rng.random() < 0.3 else [])
        hyp = _perturb(rng, language, ref)
        examples.append(Example(language, _join(language, hyp), [_join(language, r) for r in refs]))
    return examples


def _tokenize(language: str) -> str:
    return "zh" if language == "zh" else "13a"


@dataclass
class Row:
    name: str
    ours_us: float
    theirs_us: float
    calls: int
    mismatches: int


def _best_time(run: Callable[[], list[float]], repeat: int) -> tuple[float, list[float]]:
    best, results = float("inf"), []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        results = run()
        best = min(best, time.perf_counter() - start)
    return best, results


def per_pair(
    name: str,
    ours: Callable[[str], Metric],
    theirs: Callable[[str, str, list[str]], float],
    examples: list[Example],
    repeat: int,
    cache: bool = False,
) -> Row:
    """Each pair once, references never seen before by our metric: its prepared-reference cache
    off, or (``cache``) on as in ``REWARDS["bleu"]`` but emptied before each timed run."""
    metrics = {lang: ours(lang) for lang in ("en", "de", "zh")}
    for metric in metrics.values():
        if not cache:
            metric.cache_size = 0
    jobs = [(metrics[ex.language], ex) for ex in examples]

    def run_ours() -> list[float]:
        for metric in metrics.values():
            metric.cache_clear()
        return [metric(ex.hypothesis, ex.references) for metric, ex in jobs]

    def run_theirs() -> list[float]:
        return [theirs(ex.language, ex.hypothesis, ex.references) for ex in examples]

    t_ours, a = _best_time(run_ours, repeat)
    t_theirs, b = _best_time(run_theirs, repeat)
    bad = sum(x != y for x, y in zip(a, b, strict=True))
    n = len(examples)
    return Row(name, t_ours / n * 1e6, t_theirs / n * 1e6, n, bad)


def dense(
    name: str,
    ours: Callable[[str], Metric],
    theirs: Callable[[str, str, list[str]], float],
    examples: list[Example],
    repeat: int,
    tokens: int = 30,
    via_call: bool = False,
) -> Row:
    """Every prefix (1..tokens tokens) of each hypothesis against the same references.

    Ours prepares the references once per example, explicitly or (``via_call``) through the
    cache behind ``metric(hypothesis, references)``, the plain reward-function interface.
    """
    metrics = {lang: ours(lang) for lang in ("en", "de", "zh")}
    jobs = []
    for ex in examples:
        rng = random.Random(ex.hypothesis)
        ref = ex.references[0][:-1]
        words = _perturb(rng, ex.language, list(ref) if ex.language == "zh" else ref.split())
        words = (words + _sentence(rng, ex.language, tokens))[:tokens]
        prefixes = [_join(ex.language, words[:k])[:-1] for k in range(1, tokens + 1)]
        jobs.append((ex.language, prefixes, ex.references))

    def run_ours() -> list[float]:
        out = []
        for lang, prefixes, refs in jobs:
            metric = metrics[lang]
            if via_call:
                out += [metric(p, refs) for p in prefixes]
            else:
                prepared = metric.prepare(refs)
                out += [metric.score_prepared(p, prepared) for p in prefixes]
        return out

    def run_ours_cold() -> list[float]:
        for metric in metrics.values():
            metric.cache_clear()
        return run_ours()

    def run_theirs() -> list[float]:
        return [theirs(lang, p, refs) for lang, prefixes, refs in jobs for p in prefixes]

    t_ours, a = _best_time(run_ours_cold, repeat)
    t_theirs, b = _best_time(run_theirs, repeat)
    bad = sum(x != y for x, y in zip(a, b, strict=True))
    n = len(a)
    return Row(name, t_ours / n * 1e6, t_theirs / n * 1e6, n, bad)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=3000, help="sentence pairs (default 3000)")
    parser.add_argument("--dense", type=int, default=90, help="dense examples (30 prefixes each)")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs; the best is kept")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    examples = make_examples(args.pairs, args.seed)
    dense_examples = make_examples(args.dense, args.seed + 1)

    def sb_bleu(lang: str, hyp: str, refs: list[str]) -> float:
        return float(sacrebleu.sentence_bleu(hyp, refs, tokenize=_tokenize(lang)).score)

    def sb_chrf(lang: str, hyp: str, refs: list[str]) -> float:
        return float(sacrebleu.sentence_chrf(hyp, refs).score)

    def sb_chrfpp(lang: str, hyp: str, refs: list[str]) -> float:
        return float(sacrebleu.sentence_chrf(hyp, refs, word_order=2).score)

    def bleu(lang: str) -> Metric:
        return BLEU(tokenize=_tokenize(lang))

    def bleu_python(lang: str) -> Metric:
        return BLEU(tokenize=_tokenize(lang), backend="python")

    def chrf(lang: str) -> Metric:
        return CHRF()

    def chrfpp(lang: str) -> Metric:
        return CHRF(word_order=2)

    # BLEU is reported per tokenizer: "13a" for the English and German pairs, "zh" for Chinese
    def languages(examples: list[Example], *names: str) -> list[Example]:
        return [ex for ex in examples if ex.language in names]

    latin, chinese = languages(examples, "en", "de"), languages(examples, "zh")
    dense_latin, dense_chinese = (
        languages(dense_examples, "en", "de"),
        languages(dense_examples, "zh"),
    )
    rows = [
        per_pair("BLEU 13a (en/de), per pair", bleu, sb_bleu, latin, args.repeat),
        per_pair("BLEU zh, per pair", bleu, sb_bleu, chinese, args.repeat),
        per_pair(
            "BLEU 13a (en/de), per pair, cache on (as REWARDS['bleu'])",
            bleu,
            sb_bleu,
            latin,
            args.repeat,
            cache=True,
        ),
        per_pair(
            'BLEU 13a (en/de), per pair, backend="python"', bleu_python, sb_bleu, latin, args.repeat
        ),
        per_pair('BLEU zh, per pair, backend="python"', bleu_python, sb_bleu, chinese, args.repeat),
        per_pair("chrF, per pair", chrf, sb_chrf, examples, args.repeat),
        per_pair("chrF++, per pair", chrfpp, sb_chrfpp, examples, args.repeat),
        dense("BLEU 13a, dense (30 prefixes)", bleu, sb_bleu, dense_latin, args.repeat),
        dense("BLEU zh, dense (30 prefixes)", bleu, sb_bleu, dense_chinese, args.repeat),
        dense("chrF, dense (30 prefixes)", chrf, sb_chrf, dense_examples, args.repeat),
        dense("chrF++, dense (30 prefixes)", chrfpp, sb_chrfpp, dense_examples, args.repeat),
        dense(
            "BLEU 13a, dense via metric(hyp, refs)",
            bleu,
            sb_bleu,
            dense_latin,
            args.repeat,
            via_call=True,
        ),
        dense(
            "BLEU zh, dense via metric(hyp, refs)",
            bleu,
            sb_bleu,
            dense_chinese,
            args.repeat,
            via_call=True,
        ),
        dense(
            "chrF, dense via metric(hyp, refs)",
            chrf,
            sb_chrf,
            dense_examples,
            args.repeat,
            via_call=True,
        ),
    ]

    print(
        f"Python {platform.python_version()}, sacrebleu {sacrebleu.__version__}, "
        f"{os.cpu_count()} CPUs; {args.pairs} pairs (en/de: 13a, zh: zh tokenizer for BLEU), "
        f"best of {args.repeat} runs\n"
    )
    print("| metric | ours µs/call | sacrebleu µs/call | speed-up | equal results |")
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

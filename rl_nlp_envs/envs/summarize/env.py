"""``rlnlp/Summarize-v0``: summarise a document; reward ROUGE (rouge-score-exact)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from rl_nlp_envs.core.loaders import Pair, read_summaries
from rl_nlp_envs.core.task import Example, Task, task_from_source
from rl_nlp_envs.core.text_env import TextEnv

DEFAULT_TEMPLATE = "Summarize: {document}"
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
_WORDS = re.compile(r"[a-z0-9]+")


def bundled_path() -> Path:
    """The bundled document/summary corpus."""
    return Path(str(resources.files("rl_nlp_envs") / "data" / "summarize" / "summaries.jsonl.gz"))


def load_summarization_task(dataset: Any = None, prompt_template: str = DEFAULT_TEMPLATE) -> Task:
    """The bundled corpus, or the user's: a JSONL path, a ``datasets.Dataset``, or a mapping
    ``{split: source}``; rows with a ``split`` field keep it, others serve every split."""

    def make_example(pair: Pair, k: int) -> Example:
        meta = {"document": pair.source, "origin": pair.origin,
                **{key: v for key, v in pair.meta.items() if key != "split"}}  # fmt: skip
        example_id = str(pair.meta.get("id", f"doc-{k:05d}"))
        prompt = prompt_template.format(document=pair.source)
        return Example(example_id, prompt, tuple(pair.references), meta)

    source = bundled_path() if dataset is None else dataset
    return task_from_source("summarize", source, read_summaries, make_example)


def _tokens(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def repeated_ngram_rate(text: str, n: int = 3) -> float:
    """Share of the word n-grams of ``text`` that repeat an earlier one (0 when too short)."""
    tokens = _tokens(text)
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return 0.0 if not grams else 1.0 - len(set(grams)) / len(grams)


def copy_rate(text: str, document: str, n: int = 3) -> float:
    """Share of the word n-grams of ``text`` copied from ``document`` (extractiveness)."""
    tokens, doc = _tokens(text), _tokens(document)
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    if not grams:
        return 0.0
    source = {tuple(doc[i : i + n]) for i in range(len(doc) - n + 1)}
    return sum(g in source for g in grams) / len(grams)


class SummarizeEnv(TextEnv):
    """Summarise a document; the reward is ROUGE against the reference summaries.

    ## Description
    Each episode shows one document (news-like reports, product reviews, meeting notes, short
    stories, scientific abstracts and practical texts, written for this project; see
    ``rl_nlp_envs/data/DATA.md``) and the agent writes a summary, token by token or as text.

    ## Action Space
    As ``TextEnv``: ``Discrete(vocab_size)`` tokens (default) or ``Text`` in text mode.

    ## Observation Space
    As ``TextEnv``; documents are up to about 560 tokens, so ``max_prompt_tokens`` is 640.

    ## Rewards
    ROUGE-L F1 (0 to 1) exactly as Google's ``rouge-score`` computes it with
    ``use_stemmer=True``, the maximum over the references. ``reward_fn`` may name another
    ROUGE type (``"rouge1"``, ``"rouge2"``, ``"rougeLsum"``), give a weighted mix as a dict
    (``{"rouge1": 0.5, "rougeL": 0.5}``), or be any callable.

    ## Episode End
    As ``TextEnv``.

    ## Info
    As ``TextEnv``; ``metrics`` holds all four ROUGE F1 scores and ``diagnostics`` the
    reward-hacking signs: ``length_ratio`` (summary words over mean reference words),
    ``repeated_ngram_rate`` (share of repeated word trigrams) and ``copy_rate`` (share of
    trigrams copied from the document).

    ## Arguments
    ``dataset`` (None: bundled), ``reward_fn`` ("rougeL"), ``prompt_template``, plus every
    ``TextEnv`` argument (``max_prompt_tokens`` 640, ``max_response_tokens`` 96, ...).

    ## Version History
    - v0: initial release.
    """

    corpus_scale = 100.0  # ROUGE tables are usually printed x100

    def __init__(
        self,
        dataset: Any = None,
        reward_fn: Any = "rougeL",
        prompt_template: str = DEFAULT_TEMPLATE,
        max_prompt_tokens: int = 640,
        max_response_tokens: int = 96,
        **kwargs: Any,
    ) -> None:
        from rl_nlp_envs.rewards import ROUGEMix, get_reward

        metrics = {name: get_reward(name) for name in ROUGE_TYPES}
        if isinstance(reward_fn, Mapping):
            reward_fn = ROUGEMix(dict(reward_fn))
        super().__init__(
            load_summarization_task(dataset, prompt_template), reward_fn=reward_fn,
            metrics=metrics, max_prompt_tokens=max_prompt_tokens,
            max_response_tokens=max_response_tokens, title="Summarize-v0", **kwargs,
        )  # fmt: skip

    def diagnostics(self, hypothesis: str, references: list[str]) -> dict[str, float]:
        """Length ratio, repeated trigram rate and copy rate of a finished summary."""
        ref_words = sum(len(r.split()) for r in references) / len(references)
        return {
            "length_ratio": len(hypothesis.split()) / max(ref_words, 1.0),
            "repeated_ngram_rate": repeated_ngram_rate(hypothesis),
            "copy_rate": copy_rate(hypothesis, str(self.example.meta.get("document", ""))),
        }

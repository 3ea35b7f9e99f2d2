"""``rlnlp/Translate-v0``: translate a sentence; reward sentence BLEU (sacrebleu-exact)."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from rl_nlp_envs.core.loaders import Pair, read_parallel
from rl_nlp_envs.core.task import Example, Task, task_from_source
from rl_nlp_envs.core.text_env import TextEnv

LANGUAGES = {"en": "English", "de": "German", "zh": "Chinese"}
DIRECTIONS = ("en-de", "de-en", "en-zh", "zh-en")
BUNDLED_FILES = {
    frozenset({"en", "de"}): "en-de.jsonl.gz",
    frozenset({"en", "zh"}): "en-zh.jsonl.gz",
}
DEFAULT_TEMPLATE = "Translate {source_language} to {target_language}: {text}"


def parse_direction(direction: str) -> tuple[str, str]:
    """``"en-de"`` -> ``("en", "de")``; only the bundled directions are known by name."""
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}; choose one of: {', '.join(DIRECTIONS)}")
    src, tgt = direction.split("-")
    return src, tgt


def bundled_path(src: str, tgt: str) -> Path:
    """The bundled corpus file of a language pair."""
    name = BUNDLED_FILES[frozenset({src, tgt})]
    return Path(str(resources.files("rl_nlp_envs") / "data" / "translate" / name))


def load_translation_task(
    direction: str = "en-de",
    dataset: Any = None,
    prompt_template: str = DEFAULT_TEMPLATE,
    source_language: str | None = None,
    target_language: str | None = None,
) -> Task:
    """Build the task of a direction from the bundled corpus or the user's ``dataset``.

    ``dataset`` may be a path (TSV, JSONL, ``.po`` / ``.mo`` or a folder of catalogues), a
    ``datasets.Dataset``, or a mapping ``{"train": ..., "validation": ..., "test": ...}`` of
    those. Rows that carry a ``split`` field keep it; a single source without split fields
    serves every split.
    """
    if dataset is None:
        src, tgt = parse_direction(direction)
        dataset = bundled_path(src, tgt)
    elif source_language and target_language:
        src, tgt = source_language, target_language
    elif direction.count("-") == 1:
        src, tgt = direction.split("-")
    else:
        src, tgt = parse_direction(direction)
    names = {"source_language": LANGUAGES.get(src, src), "target_language": LANGUAGES.get(tgt, tgt)}

    def make_example(pair: Pair, k: int) -> Example:
        prompt = prompt_template.format(text=pair.source, **names)
        extra = {key: value for key, value in pair.meta.items() if key != "split"}
        meta = {"source": pair.source, "source_lang": src, "target_lang": tgt,
                "origin": pair.origin, **extra}  # fmt: skip
        example_id = str(pair.meta.get("id", f"{src}-{tgt}-{k:05d}"))
        return Example(example_id, prompt, tuple(pair.references), meta)

    return task_from_source(f"translate-{src}-{tgt}", dataset,
                            lambda source: read_parallel(source, src, tgt), make_example,
                            direction=f"{src}-{tgt}")  # fmt: skip


class TranslateEnv(TextEnv):
    """Translate a sentence; the reward is sentence BLEU against the reference translations.

    ## Description
    Each episode shows one source sentence (in the prompt ``"Translate English to German:
    ..."``) and the agent writes its translation, token by token or as text. The bundled data
    is an original corpus written for this project (``rl_nlp_envs/data/DATA.md``): English–German
    and English–Chinese sentence pairs in fixed train / validation / test splits, with a second
    reference translation for the test split. Users bring their own parallel data through
    ``dataset=``.

    ## Action Space
    As ``TextEnv``: ``Discrete(vocab_size)`` tokens (default) or ``Text`` in text mode.

    ## Observation Space
    As ``TextEnv``: prompt and response token ids with masks, or the prompt text.

    ## Rewards
    Sentence BLEU exactly as ``sacrebleu.sentence_bleu`` computes it (0 to 100), with the
    ``zh`` tokenizer when the target is Chinese and ``13a`` otherwise; ``reward_fn="chrf"``
    or any callable instead. ``reward_mode="dense"`` pays the BLEU change of each token.

    ## Episode End
    As ``TextEnv``: end-of-sequence or the response length cap (token mode); one step (text).

    ## Info
    As ``TextEnv``; ``metrics`` holds ``bleu`` and ``chrf``. The source sentence is in
    ``env.unwrapped.example.meta["source"]``.

    ## Arguments
    ``direction`` ("en-de", "de-en", "en-zh", "zh-en"), ``dataset`` (None: bundled),
    ``prompt_template``, ``source_language`` / ``target_language`` (codes for user data in
    other languages), plus every ``TextEnv`` argument (``action_mode``, ``reward_mode``,
    ``tokenizer``, ``max_prompt_tokens`` (64), ``max_response_tokens`` (64), ...).

    ## Version History
    - v0: initial release.
    """

    def __init__(
        self,
        direction: str = "en-de",
        dataset: Any = None,
        reward_fn: Any = "bleu",
        prompt_template: str = DEFAULT_TEMPLATE,
        source_language: str | None = None,
        target_language: str | None = None,
        max_prompt_tokens: int = 64,
        max_response_tokens: int = 64,
        **kwargs: Any,
    ) -> None:
        from rl_nlp_envs.rewards import get_reward

        task = load_translation_task(
            direction, dataset, prompt_template, source_language, target_language
        )
        self.direction = task.info["direction"]
        self.source_language, self.target_language = self.direction.split("-")
        bleu_tokenize = "zh" if self.target_language == "zh" else "13a"
        metrics = {"bleu": get_reward("bleu", tokenize=bleu_tokenize), "chrf": get_reward("chrf")}
        super().__init__(
            task,
            reward_fn=reward_fn,
            metrics=metrics,
            max_prompt_tokens=max_prompt_tokens,
            max_response_tokens=max_response_tokens,
            title=f"Translate-v0 {self.direction}",
            **kwargs,
        )
        self.bleu_tokenize = bleu_tokenize

    def corpus_metrics(
        self, hypotheses: Sequence[str], references: Sequence[Sequence[str]]
    ) -> dict[str, float]:
        """Corpus BLEU and chrF of a set of translations, by sacrebleu itself."""
        from rl_nlp_envs._imports import require

        sacrebleu = require("sacrebleu", "text", "corpus BLEU")
        width = max(len(r) for r in references)
        # sacrebleu takes reference streams; a missing second reference is None
        streams = [[r[i] if i < len(r) else None for r in references] for i in range(width)]
        bleu = sacrebleu.corpus_bleu(list(hypotheses), streams, tokenize=self.bleu_tokenize)
        chrf = sacrebleu.corpus_chrf(list(hypotheses), streams)
        return {"bleu": float(bleu.score), "chrf": float(chrf.score)}

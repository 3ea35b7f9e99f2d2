"""``rlnlp/QA-v0``: extractive question answering; reward SQuAD F1 (official-script exact)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, SupportsFloat

import numpy as np
from gymnasium import spaces

from rl_nlp_envs.core.loaders import Pair, read_squad
from rl_nlp_envs.core.spaces import InvalidActionError
from rl_nlp_envs.core.task import Example, Task, task_from_source
from rl_nlp_envs.core.text_env import TextEnv
from rl_nlp_envs.core.tokenizer import load_tokenizer

DEFAULT_TEMPLATE = "question: {question} context: {context}"
ANSWER_MODES = ("generate", "span")
VERSIONS = ("v1", "v2")


def bundled_path() -> Path:
    """The bundled QA set (SQuAD v2.0 layout with a ``split`` per article)."""
    return Path(str(resources.files("rl_nlp_envs") / "data" / "qa" / "qa.json.gz"))


def load_qa_task(
    dataset: Any = None, version: str = "v1", prompt_template: str = DEFAULT_TEMPLATE
) -> Task:
    """Questions of the bundled set or the user's (SQuAD JSON, JSONL, ``datasets``, or a
    mapping ``{split: source}``). ``version="v1"`` drops unanswerable questions; ``"v2"``
    keeps them with the reference ``""`` (answer nothing to score)."""
    if version not in VERSIONS:
        raise ValueError(f"unknown version {version!r}; choose one of: {', '.join(VERSIONS)}")

    def read(source: Any) -> Any:
        report = read_squad(source)
        if version == "v1":
            kept = [p for p in report.pairs if not p.meta["is_impossible"]]
            for _ in range(len(report.pairs) - len(kept)):
                report.skip("unanswerable (version v1)")
            report.pairs = kept
        return report

    def make_example(pair: Pair, k: int) -> Example:
        context = pair.meta["context"]
        prompt = prompt_template.format(question=pair.source, context=context)
        meta = {
            "question": pair.source,
            **{key: v for key, v in pair.meta.items() if key != "split"},
        }
        return Example(str(pair.meta.get("id", k)), prompt, tuple(pair.references), meta)

    return task_from_source(f"qa-{version}", bundled_path() if dataset is None else dataset, read,
                            make_example, version=version)  # fmt: skip


class QAEnv(TextEnv):
    """Answer a question about a passage; the reward is SQuAD token F1.

    ## Description
    Each episode shows a question and a passage (124 passages and about 1,270 questions written
    for this project, SQuAD v2.0 layout; see ``rl_nlp_envs/data/DATA.md``). With
    ``answer_mode="generate"`` the agent writes the answer like any ``TextEnv`` (tokens or
    text). With ``answer_mode="span"`` it is the classic extractive setting: one step that
    points at the start and end tokens of the answer in the passage.

    ## Action Space
    ``"generate"``: as ``TextEnv``. ``"span"``: ``MultiDiscrete([L + 1, L + 1])`` (start, end)
    over the ``L = max_passage_tokens`` passage tokens; ``(L, L)`` answers "no answer" (the
    empty string, right for unanswerable v2 questions).

    ## Observation Space
    ``"generate"``: as ``TextEnv`` (prompt ``"question: ... context: ..."``). ``"span"``:
    ``Dict(passage_ids, passage_mask, question_ids, question_mask)`` of int64 ids and int8
    masks (``max_passage_tokens``, ``max_question_tokens``).

    ## Rewards
    SQuAD v1.1 token F1 in [0, 1] (``reward_fn="f1"``, normalised as the official script does,
    maximum over the reference answers), or ``"exact_match"``, or any callable. An invalid span
    (end before start, past the passage, or only one of the two at ``L``) gets 0 and
    ``info["invalid_span"]``.

    ## Episode End
    ``"span"``: after one step. ``"generate"``: as ``TextEnv``.

    ## Info
    As ``TextEnv``; ``metrics`` holds ``f1`` and ``exact_match``; span mode adds
    ``invalid_span``.

    ## Arguments
    ``dataset`` (None: bundled), ``version`` ("v1" answerable only, "v2" with unanswerable),
    ``answer_mode`` ("generate", "span"), ``reward_fn`` ("f1"), ``prompt_template``,
    ``max_passage_tokens`` (320), ``max_question_tokens`` (48), plus every ``TextEnv`` argument
    (``max_prompt_tokens`` 384, ``max_response_tokens`` 32, ...).

    ## Version History
    - v0: initial release.
    """

    corpus_scale = 100.0  # SQuAD results are printed as percentages

    def __init__(
        self,
        dataset: Any = None,
        version: str = "v1",
        answer_mode: str = "generate",
        reward_fn: Any = "f1",
        prompt_template: str = DEFAULT_TEMPLATE,
        max_passage_tokens: int = 320,
        max_question_tokens: int = 48,
        max_prompt_tokens: int = 384,
        max_response_tokens: int = 32,
        **kwargs: Any,
    ) -> None:
        from rl_nlp_envs.rewards import get_reward

        if answer_mode not in ANSWER_MODES:
            raise ValueError(
                f"unknown answer_mode {answer_mode!r}; choose one of: {', '.join(ANSWER_MODES)}"
            )
        metrics = {"f1": get_reward("f1"), "exact_match": get_reward("exact_match")}
        self.answer_mode = answer_mode
        self.version = version
        task = load_qa_task(dataset, version, prompt_template)
        if answer_mode == "span":
            if kwargs.get("action_mode", "text") != "text":
                raise ValueError('answer_mode="span" sets its own spaces; leave action_mode unset')
            kwargs["action_mode"] = "text"
        super().__init__(
            task, reward_fn=reward_fn, metrics=metrics, max_prompt_tokens=max_prompt_tokens,
            max_response_tokens=max_response_tokens, title=f"QA-v0 {version}", **kwargs,
        )  # fmt: skip
        if answer_mode == "span":
            self.span_tokenizer = load_tokenizer(kwargs.get("tokenizer"))
            self.span_tokenizer.encode_with_offsets("")  # fails early without offsets
            vocab = self.span_tokenizer.vocab_size
            self.max_passage_tokens, self.max_question_tokens = (
                max_passage_tokens,
                max_question_tokens,
            )
            ids = lambda n: spaces.Box(0, vocab - 1, shape=(n,), dtype=np.int64)  # noqa: E731
            bits = lambda n: spaces.Box(0, 1, shape=(n,), dtype=np.int8)  # noqa: E731
            self.observation_space = spaces.Dict({
                "passage_ids": ids(max_passage_tokens), "passage_mask": bits(max_passage_tokens),
                "question_ids": ids(max_question_tokens),
                "question_mask": bits(max_question_tokens),
            })  # fmt: skip
            self.action_space = spaces.MultiDiscrete([max_passage_tokens + 1] * 2)
            self._span_cache: dict[str, tuple[dict[str, np.ndarray], list[tuple[int, int]]]] = {}

    # -- span mode -------------------------------------------------------------------------
    def _span_view(self) -> tuple[dict[str, np.ndarray], list[tuple[int, int]]]:
        """Observation arrays and passage token offsets of the current example (cached)."""
        example = self.example
        if example.id not in self._span_cache:
            tok = self.span_tokenizer
            ids, offsets = tok.encode_with_offsets(example.meta["context"])
            offsets = offsets[: self.max_passage_tokens]
            question = tok.encode(example.meta["question"])[: self.max_question_tokens]
            obs: dict[str, np.ndarray] = {}
            for name, seq, n in (("passage", ids[: self.max_passage_tokens],
                                  self.max_passage_tokens),
                                 ("question", question, self.max_question_tokens)):  # fmt: skip
                arr = np.full(n, tok.pad_id, dtype=np.int64)
                arr[: len(seq)] = seq
                mask = np.zeros(n, dtype=np.int8)
                mask[: len(seq)] = 1
                obs[f"{name}_ids"], obs[f"{name}_mask"] = arr, mask
            self._span_cache[example.id] = (obs, offsets)
        return self._span_cache[example.id]

    def _observation(self) -> Any:
        if self.answer_mode != "span":
            return super()._observation()
        obs, _ = self._span_view()
        return {k: v.copy() for k, v in obs.items()}

    def span_text(self, start: int, end: int) -> str | None:
        """The passage text of a token span, ``""`` for no-answer, None if the span is invalid."""
        _, offsets = self._span_view()
        none = self.max_passage_tokens
        if start == none and end == none:
            return ""
        if not (0 <= start <= end < len(offsets)):
            return None
        context = self.example.meta["context"]
        return context[offsets[start][0] : offsets[end][1]].strip()

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Generate mode: as ``TextEnv``. Span mode: score the (start, end) span."""
        if self.answer_mode != "span":
            return super().step(action)
        if self._example is None:
            raise RuntimeError(f"{self.title}: call reset() before step()")
        if self._done:
            raise RuntimeError(f"{self.title}: the episode has ended; call reset() before step()")
        arr = np.asarray(action)
        if (
            arr.shape != (2,)
            or arr.dtype.kind not in "iu"
            or not self.action_space.contains(arr.astype(np.int64))
        ):
            raise InvalidActionError(
                f"action {action!r} is not in {self.action_space}: expected two integers "
                f"(start, end) in [0, {self.max_passage_tokens}]"
            )
        text = self.span_text(int(arr[0]), int(arr[1]))
        invalid = text is None
        self._hypothesis = "" if text is None else text
        score = 0.0 if invalid else self.reward.score_prepared(self._hypothesis, self._prepared)
        result = self._finish(score, score, terminated=True, truncated=False, masked=False)
        self._final["invalid_span"] = invalid
        return result[0], result[1], result[2], result[3], self._info()

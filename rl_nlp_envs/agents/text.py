"""Baselines for text environments that need no torch: they decide an answer per example.

An ``AnswerAgent`` computes its answer string when an episode starts; in text mode it gives
the string, in token mode it emits the answer's tokens one by one and then end-of-sequence.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import gymnasium as gym
import numpy as np

from rl_nlp_envs.agents.base import Agent
from rl_nlp_envs.core.task import Example
from rl_nlp_envs.core.text_env import TextEnv

_WORD = re.compile(r"\w+", re.UNICODE)


class AnswerAgent(Agent):
    """Answers each example with ``answer(example)``, in either action mode."""

    def __init__(self, env: gym.Env[Any, Any], seed: int | None = None) -> None:
        unwrapped = env.unwrapped
        if not isinstance(unwrapped, TextEnv):
            raise TypeError(f"{type(self).__name__} needs a text environment, got {unwrapped}")
        self.env: TextEnv = unwrapped
        self._queue: list[int] = []
        self._example_id: str | None = None

    def answer(self, example: Example) -> str:
        """The answer to give for ``example``."""
        raise NotImplementedError

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        """The answer (text mode) or its next token (token mode)."""
        example = self.env.example
        if self.env.action_mode == "text":
            text = self.answer(example)
            return text[: self.env.action_space.max_length]  # type: ignore[attr-defined]
        tokenizer = self.env.tokenizer
        assert tokenizer is not None
        if self._example_id != info.get("example_id") or not np.any(observation["response_mask"]):
            self._example_id = info.get("example_id")
            self._queue = tokenizer.encode(self.answer(example))
            self._queue.append(tokenizer.eos_id)
            self._queue.reverse()
        return self._queue.pop() if self._queue else tokenizer.eos_id


class CopySourceAgent(AnswerAgent):
    """Answers with the source sentence itself (names and numbers often survive)."""

    name = "copy"

    def answer(self, example: Example) -> str:
        """The untranslated source."""
        return str(example.meta.get("source", example.prompt))


class TranslationMemoryAgent(AnswerAgent):
    """Nearest-neighbour translation memory: the target of the most similar training source.

    Similarity is the cosine of TF-IDF vectors of words and character 3-grams, so it also
    works for Chinese (no spaces).
    """

    name = "memory"

    def __init__(self, env: gym.Env[Any, Any], seed: int | None = None) -> None:
        super().__init__(env, seed)
        train = self.env.task.split("train")
        self.sources = [str(ex.meta.get("source", ex.prompt)) for ex in train]
        self.targets = [ex.references[0] for ex in train]
        docs = [_features(s) for s in self.sources]
        df = Counter(f for d in docs for f in set(d))
        n = len(docs)
        self.idf = {f: math.log((1 + n) / (1 + c)) + 1.0 for f, c in df.items()}
        self.index: dict[str, list[tuple[int, float]]] = {}
        for i, d in enumerate(docs):
            vec = self._vector(d)
            for f, w in vec.items():
                self.index.setdefault(f, []).append((i, w))

    def _vector(self, feats: Counter[str]) -> dict[str, float]:
        vec = {f: c * self.idf.get(f, 0.0) for f, c in feats.items() if f in self.idf}
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        return {f: w / norm for f, w in vec.items()}

    def answer(self, example: Example) -> str:
        """The target of the nearest training source."""
        query = self._vector(_features(str(example.meta.get("source", example.prompt))))
        scores: dict[int, float] = {}
        for f, w in query.items():
            for i, v in self.index.get(f, ()):
                scores[i] = scores.get(i, 0.0) + w * v
        if not scores:
            return self.targets[0]
        best = max(scores.items(), key=lambda kv: (kv[1], -kv[0]))[0]
        return self.targets[best]


def _features(text: str) -> Counter[str]:
    lowered = text.lower()
    feats: Counter[str] = Counter("w:" + w for w in _WORD.findall(lowered))
    padded = f" {lowered} "
    feats.update("c:" + padded[i : i + 3] for i in range(len(padded) - 2))
    return feats

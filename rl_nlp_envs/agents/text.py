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


# -- summarisation -------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[\"'(\[]?[A-Z0-9])")
_STOPWORDS = frozenset(
    (
        "a an and are as at be been by for from has have he her his i in is it its of on "
        "or our she that the their them they this to was we were what when where which "
        "who whom whose why will with you your how many much did does do not no yes than "
        "then there these those into about after before also can could would should may "
        "might over under between during"
    ).split()
)


def split_sentences(text: str) -> list[str]:
    """Sentences of a document: paragraph and line breaks, then sentence-final punctuation."""
    out: list[str] = []
    for block in re.split(r"\n+", text):
        block = block.strip()
        if block:
            out.extend(s.strip() for s in _SENTENCE_END.split(block) if s.strip())
    return out


def _content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


class LeadAgent(AnswerAgent):
    """The first ``k`` sentences of the document (the classic lead baseline)."""

    name = "lead"

    def __init__(self, env: gym.Env[Any, Any], seed: int | None = None, k: int = 2) -> None:
        super().__init__(env, seed)
        self.k = k

    def answer(self, example: Example) -> str:
        """The lead sentences."""
        return " ".join(split_sentences(str(example.meta.get("document", "")))[: self.k])


class TextRankAgent(AnswerAgent):
    """Extractive TextRank: sentences ranked by PageRank on their word-overlap graph; the top
    ``k`` are returned in document order."""

    name = "textrank"

    def __init__(
        self, env: gym.Env[Any, Any], seed: int | None = None, k: int = 2, damping: float = 0.85
    ) -> None:
        super().__init__(env, seed)
        self.k, self.damping = k, damping

    def answer(self, example: Example) -> str:
        """The top-ranked sentences."""
        sentences = split_sentences(str(example.meta.get("document", "")))
        if len(sentences) <= self.k:
            return " ".join(sentences)
        words = [set(_content_words(s)) for s in sentences]
        n = len(sentences)
        sim = np.zeros((n, n))
        for i in range(n):
            for j in range(i + 1, n):
                if len(words[i]) > 1 and len(words[j]) > 1:
                    overlap = len(words[i] & words[j])
                    sim[i, j] = sim[j, i] = overlap / (
                        math.log(len(words[i])) + math.log(len(words[j]))
                    )
        out_weight = sim.sum(axis=1)
        out_weight[out_weight == 0] = 1.0
        transition = sim / out_weight[:, None]
        rank = np.full(n, 1.0 / n)
        for _ in range(50):
            rank = (1 - self.damping) / n + self.damping * transition.T @ rank
        top = sorted(np.argsort(-rank, kind="stable")[: self.k])
        return " ".join(sentences[i] for i in top)


# -- question answering --------------------------------------------------------------------------


class RandomSpanAgent(Agent):
    """A random valid span of 1 to 4 tokens of the passage (``answer_mode="span"``)."""

    name = "random"

    def __init__(self, env: gym.Env[Any, Any], seed: int | None = None) -> None:
        self.env = env.unwrapped
        self.rng = np.random.default_rng(seed)

    def act(self, observation: Any, info: dict[str, Any]) -> np.ndarray:
        """(start, end) inside the passage."""
        length = int(np.asarray(observation["passage_mask"]).sum())
        start = int(self.rng.integers(length))
        end = min(length - 1, start + int(self.rng.integers(4)))
        return np.array([start, end], dtype=np.int64)


def _candidate_spans(context: str, max_words: int = 4) -> list[tuple[int, int, str]]:
    """Word n-gram spans (start char, end char, text) with punctuation trimmed."""
    tokens = [(m.start(), m.end()) for m in re.finditer(r"\S+", context)]
    out = []
    for i in range(len(tokens)):
        for j in range(i, min(len(tokens), i + max_words)):
            text = context[tokens[i][0] : tokens[j][1]].strip(".,;:!?\"'()")
            if text:
                out.append((i, j, text))
    return out


class SlidingWindowAgent(AnswerAgent):
    """The sliding-window baseline of MCTest and SQuAD: score every candidate span by the
    IDF-weighted overlap between the question words and a window of words around it, skip
    spans made of question words, return the best."""

    name = "window"

    def __init__(self, env: gym.Env[Any, Any], seed: int | None = None, window: int = 8) -> None:
        super().__init__(env, seed)
        self.window = window
        contexts = {ex.meta["context"] for ex in self.env.task.split("train")}
        df = Counter(w for c in contexts for w in set(_WORD.findall(c.lower())))
        self.idf = {w: math.log((1 + len(contexts)) / (1 + c)) + 1 for w, c in df.items()}

    def answer(self, example: Example) -> str:
        """The best-scoring candidate span."""
        context = str(example.meta["context"])
        question = set(_content_words(str(example.meta["question"])))
        words = [w.lower().strip(".,;:!?\"'()") for w in context.split()]
        best, best_score = "", -1.0
        for i, j, text in _candidate_spans(context):
            span_words = set(_WORD.findall(text.lower()))
            edges = _WORD.findall(text.lower())
            if (
                not span_words
                or span_words & question
                or edges[0] in _STOPWORDS
                or (edges[-1] in _STOPWORDS)
            ):
                continue
            lo, hi = max(0, i - self.window), min(len(words), j + 1 + self.window)
            around = set(words[lo:i]) | set(words[j + 1 : hi])
            score = sum(self.idf.get(w, 1.0) for w in question & around)
            score -= 0.1 * (j - i)  # prefer short spans on ties
            if score > best_score:
                best, best_score = text, score
        return best


_NUMBER = re.compile(r"\b\d[\d,.]*(?:\s?(?:%|per cent|percent))?")
_YEAR = re.compile(r"\b1\d{3}\b|\b20\d{2}\b")
_NAME = re.compile(r"\b[A-Z][a-z'-]+(?:\s+(?:of\s+|the\s+)?[A-Z][a-z'-]+)*")
_NUMBER_WORDS = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|hundred|thousand|million)(?:[\s-]\w+)?\b",
    re.IGNORECASE,
)


class RetrieverAgent(AnswerAgent):
    """TF-IDF sentence retrieval plus answer-type heuristics: find the sentence most similar to
    the question, then extract what the question word asks for (a year for *when*, a number
    for *how many / how much*, a capitalised name for *who / where / which*), avoiding words
    of the question; otherwise the sentence's longest run of non-question words."""

    name = "retriever"

    def __init__(self, env: gym.Env[Any, Any], seed: int | None = None) -> None:
        super().__init__(env, seed)
        contexts = {ex.meta["context"] for ex in self.env.task.split("train")}
        sentences = [s for c in contexts for s in split_sentences(c)]
        df = Counter(w for s in sentences for w in set(_content_words(s)))
        self.idf = {w: math.log((1 + len(sentences)) / (1 + c)) + 1 for w, c in df.items()}

    def _best_sentence(self, question: str, context: str) -> str:
        q = Counter(_content_words(question))
        best, best_score = "", -1.0
        for sentence in split_sentences(context):
            s = Counter(_content_words(sentence))
            score = sum(self.idf.get(w, 1.0) ** 2 * min(c, s[w]) for w, c in q.items())
            norm = math.sqrt(sum((self.idf.get(w, 1.0) * c) ** 2 for w, c in s.items())) or 1.0
            if score / norm > best_score:
                best, best_score = sentence, score / norm
        return best

    def answer(self, example: Example) -> str:
        """A typed span from the best sentence."""
        question = str(example.meta["question"])
        sentence = self._best_sentence(question, str(example.meta["context"]))
        q_lower = question.lower()
        q_words = set(_WORD.findall(q_lower))

        def fresh(candidates: list[str]) -> str | None:
            for cand in candidates:
                if not set(_WORD.findall(cand.lower())) <= q_words:
                    return cand.strip()
            return None

        found = None
        if q_lower.startswith("when") or "what year" in q_lower:
            found = fresh(_YEAR.findall(sentence))
        elif "how many" in q_lower or "how much" in q_lower or "how long" in q_lower:
            found = fresh(_NUMBER.findall(sentence) + _NUMBER_WORDS.findall(sentence))
        elif q_lower.startswith(("who", "where", "which", "whom", "whose")):
            found = fresh(_NAME.findall(sentence)[1:] + _NAME.findall(sentence)[:1])
        if found:
            return found
        runs, current = [], []
        for word in sentence.split():
            bare = word.strip(".,;:!?\"'()").lower()
            if bare and bare not in q_words and bare not in _STOPWORDS:
                current.append(word.strip(".,;:!?\"'()"))
            else:
                if current:
                    runs.append(" ".join(current))
                current = []
        if current:
            runs.append(" ".join(current))
        return max(runs, key=len) if runs else sentence

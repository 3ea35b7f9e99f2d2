"""Running an agent for scored episodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from rl_nlp_envs.agents.base import Agent
from rl_nlp_envs.agents.progress import Progress


@dataclass
class EvalResult:
    """Scores of evaluation episodes. ``score`` is each episode's final ``info["score"]``."""

    scores: list[float] = field(default_factory=list)
    returns: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    final_infos: list[dict[str, Any]] = field(default_factory=list)

    @property
    def mean(self) -> float:
        """Mean score."""
        return float(np.mean(self.scores)) if self.scores else float("nan")

    @property
    def std(self) -> float:
        """Standard deviation of the scores."""
        return float(np.std(self.scores)) if self.scores else float("nan")


def run_episode(
    env: gym.Env[Any, Any], agent: Agent, seed: int | None, options: dict[str, Any] | None = None
) -> tuple[float, float, int]:
    """Play one episode; returns (score, return, length)."""
    score, total, steps, _ = _play(env, agent, seed, options)
    return score, total, steps


def evaluate(
    agent: Agent,
    env: gym.Env[Any, Any],
    episodes: int,
    seed: int = 0,
    progress: bool = True,
    label: str = "eval",
) -> EvalResult:
    """Play ``episodes`` episodes with seeds ``seed, seed + 1, ...``."""
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    result = EvalResult()
    with Progress(episodes, label, enabled=progress) as bar:
        for k in range(episodes):
            score, ret, length, final = _play(env, agent, seed + k, None)
            result.scores.append(score)
            result.returns.append(ret)
            result.lengths.append(length)
            result.final_infos.append(final)
            bar.update(1, score=result.mean)
    return result


@dataclass
class SplitResult:
    """Every example of a split answered once: sentence scores and corpus-level metrics."""

    split: str
    hypotheses: list[str] = field(default_factory=list)
    references: list[list[str]] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    corpus: dict[str, float] = field(default_factory=dict)

    @property
    def mean(self) -> float:
        """Mean sentence-level score."""
        return float(np.mean(self.scores)) if self.scores else float("nan")


def evaluate_split(
    agent: Agent,
    env: gym.Env[Any, Any],
    split: str = "test",
    limit: int | None = None,
    progress: bool = True,
    label: str = "eval",
) -> SplitResult:
    """Answer every example of ``split`` of a text env once (``options={"split", "index"}``)
    and compute the env's corpus metrics (``corpus_metrics``) when it has them."""
    task = env.unwrapped.task  # type: ignore[attr-defined]
    count = len(task.split(split)) if limit is None else min(limit, len(task.split(split)))
    result = SplitResult(split)
    with Progress(count, label, enabled=progress) as bar:
        for index in range(count):
            agent.reset()
            obs, info = env.reset(seed=index, options={"split": split, "index": index})
            while True:
                obs, _, terminated, truncated, info = env.step(agent.act(obs, info))
                if terminated or truncated:
                    break
            result.hypotheses.append(info["hypothesis"])
            result.references.append(list(info["references"]))
            result.scores.append(float(info["score"]))
            bar.update(1, score=result.mean)
    corpus_metrics = getattr(env.unwrapped, "corpus_metrics", None)
    if corpus_metrics is not None:
        result.corpus = corpus_metrics(result.hypotheses, result.references)
    return result


@dataclass
class DialogueResult:
    """Goal-oriented dialogues: success, number of agent turns and return per episode."""

    successes: list[bool] = field(default_factory=list)
    turns: list[int] = field(default_factory=list)
    returns: list[float] = field(default_factory=list)

    @property
    def success_rate(self) -> float:
        """Fraction of successful dialogues."""
        return float(np.mean(self.successes)) if self.successes else float("nan")

    @property
    def mean_turns(self) -> float:
        """Mean number of agent turns."""
        return float(np.mean(self.turns)) if self.turns else float("nan")

    @property
    def mean_return(self) -> float:
        """Mean episode return."""
        return float(np.mean(self.returns)) if self.returns else float("nan")


def evaluate_dialogue(
    agent: Agent,
    env: gym.Env[Any, Any],
    episodes: int,
    seed: int = 0,
    split: str = "test",
    progress: bool = True,
    label: str = "eval",
) -> DialogueResult:
    """Play goals ``0 .. episodes - 1`` of ``split`` (seeds ``seed + k``) and collect each
    episode's ``info["success"]`` and ``info["turns"]``."""
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    result = DialogueResult()
    with Progress(episodes, label, enabled=progress) as bar:
        for k in range(episodes):
            _, ret, _, info = _play(env, agent, seed + k, {"split": split, "index": k})
            result.successes.append(bool(info["success"]))
            result.turns.append(int(info["turns"]))
            result.returns.append(ret)
            bar.update(1, success=result.success_rate)
    return result


def _play(
    env: gym.Env[Any, Any], agent: Agent, seed: int | None, options: dict[str, Any] | None
) -> tuple[float, float, int, dict[str, Any]]:
    agent.reset()
    obs, info = env.reset(seed=seed, options=options)
    total, steps = 0.0, 0
    while True:
        obs, reward, terminated, truncated, info = env.step(agent.act(obs, info))
        total += float(reward)
        steps += 1
        if terminated or truncated:
            return float(info.get("score", total)), total, steps, info

"""Which baseline agents exist for which environment, and how to build them."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from rl_nlp_envs.agents.base import Agent


@dataclass(frozen=True)
class Baseline:
    """One baseline: an agent class for an env id, the env settings it needs, its budget."""

    env_id: str
    name: str
    factory: str
    description: str
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    learns: bool = False
    cheap: bool = True
    train_steps: int = 0
    needs: str = ""
    evaluation: str = "episodes"
    metric: str = "score"
    max_minutes: float | None = None


BASELINES: tuple[Baseline, ...] = (
    Baseline("rlnlp/Snake-v0", "random", "rl_nlp_envs.agents.random_agent:RandomAgent",
             "uniform over legal moves"),
    Baseline("rlnlp/Snake-v0", "greedy", "rl_nlp_envs.agents.snake:GreedySnakeAgent",
             "BFS shortest safe path to food, else longest survivable move"),
    Baseline("rlnlp/Snake-v0", "qlearning", "rl_nlp_envs.agents.snake:QLearningAgent",
             "tabular Q-learning on the 11 features (the seed's update rule)",
             env_kwargs={"obs_mode": "features"}, learns=True, train_steps=2_000_000),
    Baseline("rlnlp/Snake-v0", "dqn", "rl_nlp_envs.agents.dqn:DQNAgent",
             "Double DQN with replay and target network on the board channels",
             env_kwargs={"obs_mode": "channels"}, learns=True, cheap=False,
             train_steps=3_000_000, needs="train", max_minutes=14.0),
    Baseline("rlnlp/Translate-v0", "random", "rl_nlp_envs.agents.random_agent:RandomAgent",
             "uniformly random legal tokens", evaluation="split", metric="bleu"),
    Baseline("rlnlp/Translate-v0", "copy", "rl_nlp_envs.agents.text:CopySourceAgent",
             "answers with the source sentence", env_kwargs={"action_mode": "text"},
             evaluation="split", metric="bleu"),
    Baseline("rlnlp/Translate-v0", "memory", "rl_nlp_envs.agents.text:TranslationMemoryAgent",
             "nearest-neighbour translation memory (TF-IDF over the train split)",
             env_kwargs={"action_mode": "text"}, evaluation="split", metric="bleu"),
    Baseline("rlnlp/Summarize-v0", "random", "rl_nlp_envs.agents.random_agent:RandomAgent",
             "uniformly random legal tokens", evaluation="split", metric="rougeL"),
    Baseline("rlnlp/Summarize-v0", "lead", "rl_nlp_envs.agents.text:LeadAgent",
             "the first two sentences", env_kwargs={"action_mode": "text"},
             evaluation="split", metric="rougeL"),
    Baseline("rlnlp/Summarize-v0", "textrank", "rl_nlp_envs.agents.text:TextRankAgent",
             "the two top sentences of TextRank", env_kwargs={"action_mode": "text"},
             evaluation="split", metric="rougeL"),
    Baseline("rlnlp/QA-v0", "random", "rl_nlp_envs.agents.text:RandomSpanAgent",
             "a random span of 1-4 passage tokens", env_kwargs={"answer_mode": "span"},
             evaluation="split", metric="f1"),
    Baseline("rlnlp/QA-v0", "window", "rl_nlp_envs.agents.text:SlidingWindowAgent",
             "sliding-window lexical overlap with the question", env_kwargs={"action_mode": "text"},
             evaluation="split", metric="f1"),
    Baseline("rlnlp/QA-v0", "retriever", "rl_nlp_envs.agents.text:RetrieverAgent",
             "TF-IDF sentence retrieval plus answer-type heuristics",
             env_kwargs={"action_mode": "text"}, evaluation="split", metric="f1"),
)  # fmt: skip


def baselines_for(env_id: str) -> dict[str, Baseline]:
    """The baselines of ``env_id`` by name (raises with the valid ids if it has none)."""
    found = {b.name: b for b in BASELINES if b.env_id == env_id}
    if not found:
        ids = sorted({b.env_id for b in BASELINES})
        raise ValueError(f"no baselines for {env_id!r}; environments with baselines: {ids}")
    return found


def get_baseline(env_id: str, name: str) -> Baseline:
    """Look a baseline up, with an error listing the valid agent names."""
    table = baselines_for(env_id)
    if name not in table:
        raise ValueError(f"unknown agent {name!r} for {env_id}; choose one of: {', '.join(table)}")
    return table[name]


@dataclass
class Score:
    """The headline result of a baseline: a metric, its value and a printable summary."""

    metric: str
    value: float
    text: str
    details: dict[str, Any] = field(default_factory=dict)


def score_agent(
    baseline: Baseline,
    agent: Agent,
    env: gym.Env[Any, Any],
    episodes: int,
    eval_seed: int,
    progress: bool = True,
) -> Score:
    """Evaluate as the baseline says: seeded episodes, or every example of the test split."""
    from rl_nlp_envs.agents.evaluate import evaluate, evaluate_split

    label = f"{baseline.env_id} {baseline.name}"
    if baseline.evaluation == "split":
        result = evaluate_split(agent, env, "test", progress=progress, label=label)
        value = result.corpus.get(baseline.metric, result.mean)
        others = ", ".join(f"{k} {v:.2f}" for k, v in result.corpus.items() if k != baseline.metric)
        text = (f"corpus {baseline.metric} {value:.2f} on {len(result.scores)} test examples"
                + (f" ({others})" if others else ""))  # fmt: skip
        return Score(baseline.metric, value, text, {"corpus": result.corpus})
    episodic = evaluate(agent, env, episodes, seed=eval_seed, progress=progress, label=label)
    text = f"score {episodic.mean:.2f} ± {episodic.std:.2f} over {episodes} episodes"
    return Score("score", episodic.mean, text, {"std": episodic.std, "scores": episodic.scores})


def make_agent(
    baseline: Baseline, env: gym.Env[Any, Any], seed: int | None = None, **kwargs: Any
) -> Agent:
    """Instantiate the agent of ``baseline`` for ``env``."""
    module_name, class_name = baseline.factory.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if baseline.learns:
        kwargs.setdefault("env_kwargs", dict(baseline.env_kwargs))
    agent: Agent = cls(env, seed=seed, **kwargs)
    return agent

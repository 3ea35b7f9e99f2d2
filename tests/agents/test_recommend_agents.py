"""Recommend-v0 baselines: valid slates, checkpoints, the choice model, and (slow) the
long-term agent beating the myopic one on return while losing on CTR."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from rl_nlp_envs.agents.evaluate import evaluate
from rl_nlp_envs.agents.recommend import (
    ChoiceModel,
    GreedyAgent,
    LinUCBAgent,
    PopularityAgent,
    RandomSlateAgent,
    SlateQAgent,
    best_slates,
)
from rl_nlp_envs.agents.registry import baselines_for, make_agent

AGENTS = [RandomSlateAgent, PopularityAgent, GreedyAgent, LinUCBAgent, SlateQAgent]


@pytest.fixture(scope="module")
def env() -> gym.Env:
    return gym.make("rlnlp/Recommend-v0")


@pytest.mark.parametrize("cls", AGENTS, ids=lambda c: c.name)
def test_agents_train_act_and_round_trip(cls: type, env: gym.Env, tmp_path: Path) -> None:
    agent = cls(env, seed=0, num_envs=32)
    if agent.learns:
        stats = agent.learn(3_000, seed=0, progress=False)
        assert stats["steps"] > 0
    result = evaluate(agent, env, 3, seed=100, progress=False)
    assert len(result.final_infos) == 3 and all("ctr" in i for i in result.final_infos)
    obs, info = env.reset(seed=5)
    action = agent.act(obs, info)
    assert env.action_space.contains(action)
    assert len(set(np.asarray(action).tolist())) == 2, "a slate of two distinct candidates"
    agent.save(tmp_path / "ckpt")
    clone = cls(env, seed=0, num_envs=32).load(tmp_path / "ckpt")
    for key, value in agent.tensors().items():
        assert np.array_equal(clone.tensors()[key], value)
    if cls is not LinUCBAgent:  # LinUCB keeps learning while it acts
        agent.reset()
        clone.reset()
        assert np.array_equal(agent.act(obs, info), clone.act(obs, info)) or cls is RandomSlateAgent


def test_registry_rows_and_slate_of_one() -> None:
    assert set(baselines_for("rlnlp/Recommend-v0")) == {
        "random", "popularity", "greedy", "linucb", "slateq"}  # fmt: skip
    single = gym.make("rlnlp/Recommend-v0", slate_size=1)
    baseline = baselines_for("rlnlp/Recommend-v0")["greedy"]
    agent = make_agent(baseline, single, seed=0, num_envs=16)
    agent.learn(1_000, seed=0, progress=False)
    obs, info = single.reset(seed=0)
    action = agent.act(obs, info)
    assert isinstance(action, int) and single.action_space.contains(action)


def test_choice_model_recovers_a_logit() -> None:
    rng = np.random.default_rng(0)
    theta = np.array([1.5, -1.0, 0.5])
    x = rng.normal(size=(20_000, 2, 3))
    u = x @ theta + np.array([0.0, -0.4])
    e = np.exp(u)
    p = np.concatenate([e, np.ones((20_000, 1))], axis=1)
    p /= p.sum(axis=1, keepdims=True)
    choice = (rng.random((20_000, 1)) > p.cumsum(axis=1)).sum(axis=1)
    clicked = np.where(choice < 2, choice, -1)
    model = ChoiceModel(3, 2, l2=0.1)
    model.add(x, np.ones((20_000, 2), dtype=bool), clicked, keep=1.0, rng=rng)
    model.fit()
    assert np.allclose(model.weights[:3], theta, atol=0.08)
    assert model.position_bias[1] == pytest.approx(-0.4, abs=0.08)


def test_best_slates_trades_click_probability_for_value() -> None:
    perms = np.array([[0, 1], [1, 0], [0, 2], [2, 0], [1, 2], [2, 1]])
    utility = np.array([[3.0, 0.0, 0.0]])
    bias = np.array([0.0, -0.5])
    assert best_slates(utility, np.array([[1.0, 1.0, 1.0]]), bias, perms)[0, 0] == 0
    slate = best_slates(utility, np.array([[0.0, 1.0, 1.0]]), bias, perms)[0]
    assert 0 not in slate.tolist()


@pytest.mark.slow
def test_long_term_agent_beats_greedy_on_return_but_not_on_ctr(env: gym.Env) -> None:
    greedy = GreedyAgent(env, seed=0)
    greedy.learn(100_000, seed=0, progress=False)
    slateq = SlateQAgent(env, seed=0)
    slateq.learn(200_000, seed=0, progress=False)
    g = evaluate(greedy, env, 200, seed=1000, progress=False)
    q = evaluate(slateq, env, 200, seed=1000, progress=False)
    g_ctr = np.mean([i["ctr"] for i in g.final_infos])
    q_ctr = np.mean([i["ctr"] for i in q.final_infos])
    assert q.mean > g.mean + 1.0
    assert g_ctr > q_ctr + 0.1

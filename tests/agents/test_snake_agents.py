"""Snake baselines: they play, learn, and round-trip through safetensors checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from rl_nlp_envs.agents.base import read_checkpoint_config
from rl_nlp_envs.agents.evaluate import evaluate
from rl_nlp_envs.agents.random_agent import RandomAgent
from rl_nlp_envs.agents.registry import get_baseline, make_agent
from rl_nlp_envs.agents.snake import GreedySnakeAgent, QLearningAgent, bfs, plan_move


def test_bfs_and_plan_move_basics() -> None:
    assert bfs(4, 0, 3, set()) == [1, 2, 3]
    assert bfs(4, 0, 3, {1, 5, 9, 13}) is None
    # head at 5 heading right, food at 7 straight ahead: go right
    assert plan_move(4, [5, 4], 7, 1) == 1


def test_greedy_scores_at_least_20_on_10x10() -> None:
    env = gym.make("rlnlp/Snake-v0")
    result = evaluate(GreedySnakeAgent(env), env, episodes=4, seed=1000, progress=False)
    assert result.mean >= 20, result.scores


def test_random_agent_respects_the_action_mask() -> None:
    env = gym.make("rlnlp/Snake-v0")
    agent = RandomAgent(env, seed=0)
    obs, info = env.reset(seed=0)
    for _ in range(200):
        action = agent.act(obs, info)
        assert info["action_mask"][action] == 1
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            obs, info = env.reset()


def test_qlearning_learns_and_round_trips(tmp_path: Path) -> None:
    agent = QLearningAgent(seed=0, num_envs=64)
    stats = agent.learn(300_000, progress=False, tensorboard_dir=tmp_path / "tb",
                        curve_path=tmp_path / "curve.png")  # fmt: skip
    assert stats["episodes"] > 100 and stats["history"]
    assert (tmp_path / "curve.png").stat().st_size > 1000 and any((tmp_path / "tb").iterdir())
    env = gym.make("rlnlp/Snake-v0", obs_mode="features")
    trained = evaluate(agent, env, episodes=20, seed=1000, progress=False)
    random = evaluate(RandomAgent(env, seed=0), env, episodes=20, seed=1000, progress=False)
    assert trained.mean > random.mean + 3, (trained.mean, random.mean)
    agent.save(tmp_path / "q")
    assert json.loads((tmp_path / "q" / "agent.json").read_text())["agent"] == "qlearning"
    loaded = QLearningAgent().load(tmp_path / "q")
    assert np.array_equal(loaded.q, agent.q)


def test_checkpoints_refuse_pickles_and_foreign_agents(tmp_path: Path) -> None:
    folder = tmp_path / "ckpt"
    QLearningAgent().save(folder)
    (folder / "model.pkl").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(ValueError, match="pickle"):
        read_checkpoint_config(folder)
    with pytest.raises(ValueError, match="is a file"):
        read_checkpoint_config(folder / "model.pkl")
    other = tmp_path / "other"
    RandomAgent(gym.make("rlnlp/Snake-v0")).save(other)
    with pytest.raises(ValueError, match="for agent 'random'"):
        QLearningAgent().load(other)
    with pytest.raises(FileNotFoundError, match=r"agent\.json"):
        QLearningAgent().load(tmp_path / "missing")


def test_registry_errors_list_valid_names() -> None:
    with pytest.raises(ValueError, match="choose one of: random, greedy, qlearning, dqn"):
        get_baseline("rlnlp/Snake-v0", "alphazero")
    with pytest.raises(ValueError, match="no baselines"):
        get_baseline("rlnlp/Nothing-v0", "random")
    baseline = get_baseline("rlnlp/Snake-v0", "greedy")
    env = gym.make("rlnlp/Snake-v0")
    assert isinstance(make_agent(baseline, env), GreedySnakeAgent)

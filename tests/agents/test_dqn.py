"""The DQN agent: a tiny training run, checkpoints, and (slow) the real result."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("torch")

from rl_nlp_envs.agents.dqn import DQNAgent
from rl_nlp_envs.agents.evaluate import evaluate


@pytest.mark.parametrize("obs_mode", ["features", "channels"])
def test_tiny_training_run_and_checkpoint(obs_mode: str, tmp_path: Path) -> None:
    agent = DQNAgent(seed=0, obs_mode=obs_mode, num_envs=8, learning_starts=64, batch_size=32,
                     buffer_size=2_000, target_update_every=10, hidden=32)  # fmt: skip
    stats = agent.learn(
        800, progress=False, tensorboard_dir=tmp_path / "tb", curve_path=tmp_path / "c.png"
    )
    assert stats["updates"] > 80 and stats["steps"] == 800
    assert (tmp_path / "c.png").stat().st_size > 1000
    assert any((tmp_path / "tb").iterdir())
    agent.save(tmp_path / "dqn")
    clone = DQNAgent(obs_mode=obs_mode, hidden=32).load(tmp_path / "dqn")
    obs = gym.make("rlnlp/Snake-v0", obs_mode=obs_mode).reset(seed=0)[0]
    assert np.allclose(agent.q_values(obs[None]), clone.q_values(obs[None]))
    with pytest.raises(ValueError, match=r"do not match|shape"):
        DQNAgent(obs_mode=obs_mode, hidden=16).load(tmp_path / "dqn")


@pytest.mark.slow
def test_dqn_beats_qlearning_on_10x10() -> None:
    from rl_nlp_envs.agents.snake import QLearningAgent

    dqn = DQNAgent(seed=0)
    dqn.learn(3_000_000, progress=False, max_seconds=14 * 60)
    q = QLearningAgent(seed=0)
    q.learn(2_000_000, progress=False)
    dqn_result = evaluate(dqn, gym.make("rlnlp/Snake-v0", obs_mode="channels"), 100, seed=1000,
                          progress=False)  # fmt: skip
    q_result = evaluate(q, gym.make("rlnlp/Snake-v0", obs_mode="features"), 100, seed=1000,
                        progress=False)  # fmt: skip
    # clearly above: the gap exceeds 2 standard errors of the difference of the means
    gap = dqn_result.mean - q_result.mean
    standard_error = np.sqrt((dqn_result.std**2 + q_result.std**2) / 100)
    assert gap > max(2.0, 2 * standard_error), (dqn_result.mean, q_result.mean)

"""Tianshou 2.x on Snake-v0: collectors over ``gym.make`` envs, DQN and PPO for a few hundred steps.

Tianshou 2.x pins ``pandas<3`` (and ``virtualenv``, hence ``filelock<4``), so it is not part
of the default CI install; the module is skipped when tianshou is missing. Run it in a
virtual environment that has it (docs/guides/tianshou.md):

    /work/venvs/tianshou/bin/python -m pytest tests/integrations/test_tianshou.py
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("torch", reason="tianshou needs torch (the `train` extra)")
pytest.importorskip(
    "tianshou",
    reason="tianshou is not installed; it pins pandas<3, so it lives in its own virtual "
    "environment (`pip install 'rl_nlp_envs[tianshou]'` there; see docs/guides/tianshou.md)",
)

import torch
from tianshou.algorithm import PPO
from tianshou.algorithm.modelfree.dqn import DiscreteQLearningPolicy
from tianshou.algorithm.modelfree.reinforce import ProbabilisticActorPolicy
from tianshou.algorithm.optim import AdamOptimizerFactory
from tianshou.data import Collector, CollectStats, VectorReplayBuffer
from tianshou.env import DummyVectorEnv
from tianshou.trainer import OnPolicyTrainerParams
from tianshou.utils.net.common import Net
from tianshou.utils.net.discrete import DiscreteActor, DiscreteCritic

SNAKE = "rlnlp/Snake-v0"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tianshou_snake_dqn.py"


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _features_env() -> gym.Env[Any, Any]:
    return gym.make(SNAKE, obs_mode="features")


def test_random_collect_fills_the_buffer_with_real_episodes() -> None:
    envs = DummyVectorEnv([_features_env for _ in range(4)])
    envs.seed(0)
    env = _features_env()
    net = Net(state_shape=(11,), action_shape=4, hidden_sizes=[16])
    policy = DiscreteQLearningPolicy(model=net, action_space=env.action_space)
    buffer = VectorReplayBuffer(1000, buffer_num=4)
    collector = Collector[CollectStats](policy, envs, buffer)
    collector.reset()
    stats = collector.collect(n_step=400, random=True)
    assert stats.n_collected_steps == 400
    assert stats.n_collected_episodes > 0
    assert len(buffer) == 400
    batch, _ = buffer.sample(0)  # everything, in order
    assert batch.obs.shape == (400, 11)
    assert set(np.unique(batch.act)) <= {0, 1, 2, 3}
    assert set(np.unique(batch.rew)) <= {-1.0, 0.0, 1.0}
    done = batch.terminated | batch.truncated
    assert int(done.sum()) == stats.n_collected_episodes
    # a game ends on a death (-1 on a terminated step) or a starvation truncation
    assert np.all(batch.rew[batch.terminated] == -1.0)
    envs.close()


def _load_example() -> Any:
    spec = importlib.util.spec_from_file_location(EXAMPLE.stem, EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dqn_example_trains_a_few_hundred_steps() -> None:
    example = _load_example()
    result = example.main(["--epochs", "2", "--epoch-steps", "200", "--train-envs", "4",
                           "--test-envs", "2", "--test-episodes", "2", "--batch-size", "32",
                           "--collect-steps", "8", "--eval-episodes", "3"])  # fmt: skip
    assert result["env_steps"] >= 400
    assert len(result["eval_scores"]) == 3
    assert all(score >= 0 and float(score).is_integer() for score in result["eval_scores"])


def test_ppo_on_snake_features_updates_the_policy() -> None:
    train_envs = DummyVectorEnv([_features_env for _ in range(4)])
    train_envs.seed(0)
    env = _features_env()
    assert isinstance(env.action_space, gym.spaces.Discrete)
    torso = Net(state_shape=(11,), hidden_sizes=[32])
    actor = DiscreteActor(preprocess_net=torso, action_shape=4)
    critic = DiscreteCritic(preprocess_net=Net(state_shape=(11,), hidden_sizes=[32]))
    policy = ProbabilisticActorPolicy(
        actor=actor,
        dist_fn=torch.distributions.Categorical,
        action_space=env.action_space,
        action_scaling=False,
        deterministic_eval=True,
    )
    algorithm = PPO(
        policy=policy,
        critic=critic,
        optim=AdamOptimizerFactory(lr=1e-3),
    )
    before = [p.detach().clone() for p in actor.parameters()]
    buffer = VectorReplayBuffer(512, buffer_num=4)
    collector = Collector[CollectStats](algorithm, train_envs, buffer)
    result = algorithm.run_training(
        OnPolicyTrainerParams(
            training_collector=collector,
            max_epochs=1,
            epoch_num_steps=256,
            collection_step_num_env_steps=128,
            batch_size=64,
            update_step_num_repetitions=2,
            test_in_training=False,
            show_progress=False,
        )
    )
    assert result.train_step >= 256
    assert any(not torch.equal(a, b) for a, b in zip(before, actor.parameters(), strict=True))
    obs, _ = env.reset(seed=0)
    action = policy.compute_action(obs)
    assert env.action_space.contains(int(action))
    train_envs.close()
    env.close()

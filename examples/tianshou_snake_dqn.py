"""Train Tianshou (2.x) DQN on ``rlnlp/Snake-v0`` (``features`` observation), then evaluate.

    python examples/tianshou_snake_dqn.py                       # 10 epochs x 20k steps
    python examples/tianshou_snake_dqn.py --epochs 2 --epoch-steps 500 --test-episodes 5

Tianshou steps its own vector envs (``DummyVectorEnv`` here, ``SubprocVectorEnv`` for
processes) over single Gymnasium envs made with ``gym.make("rlnlp/Snake-v0", ...)``; the
Snake-v0 native batched env is a Gymnasium ``VectorEnv`` and is not what Tianshou's collectors
drive. The algorithm is Double DQN with 3-step returns and a target network, epsilon-greedy
with epsilon decayed from 1 to 0.05 over the first ``--eps-decay-steps`` steps. Tianshou's
test collector reports the mean return of greedy (epsilon 0.01) episodes after every epoch;
at the end the policy plays ``--eval-episodes`` games with seeds ``--eval-seed``,
``--eval-seed + 1``, ... (1000-1099 in the README's baseline table) and prints the food eaten
(``info["score"]``). Needs ``tianshou`` (2.x), which pins ``pandas<3``: install it in its own
virtual environment if your main one has pandas 3 (see docs/guides/tianshou.md).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from tianshou.algorithm import DQN
from tianshou.algorithm.modelfree.dqn import DiscreteQLearningPolicy
from tianshou.algorithm.optim import AdamOptimizerFactory
from tianshou.data import Collector, CollectStats, VectorReplayBuffer
from tianshou.env import DummyVectorEnv
from tianshou.trainer import OffPolicyTrainerParams
from tianshou.utils.net.common import Net

ENV_ID = "rlnlp/Snake-v0"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line arguments."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--epoch-steps", type=int, default=20_000, help="env steps per epoch")
    p.add_argument("--train-envs", type=int, default=8)
    p.add_argument("--test-envs", type=int, default=4)
    p.add_argument("--test-episodes", type=int, default=20, help="per epoch")
    p.add_argument("--collect-steps", type=int, default=16, help="env steps per collect")
    p.add_argument("--updates-per-step", type=float, default=0.25)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--buffer-size", type=int, default=100_000)
    p.add_argument("--learning-rate", type=float, default=5e-4)
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--n-step", type=int, default=3)
    p.add_argument("--target-update", type=int, default=500, help="gradient steps")
    p.add_argument("--eps-decay-steps", type=int, default=50_000)
    p.add_argument("--hidden", type=int, nargs="+", default=[128, 128])
    p.add_argument("--eval-episodes", type=int, default=100)
    p.add_argument("--eval-seed", type=int, default=1000)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    return p.parse_args(argv)


def make_env() -> gym.Env[Any, Any]:
    """One Snake-v0 game with the 11-feature observation."""
    return gym.make(ENV_ID, obs_mode="features")


def build(args: argparse.Namespace) -> tuple[DQN, Collector, Collector]:
    """The DQN algorithm and its training and test collectors."""
    env = make_env()
    assert isinstance(env.action_space, gym.spaces.Discrete)
    assert env.observation_space.shape is not None
    train_envs = DummyVectorEnv([make_env for _ in range(args.train_envs)])
    test_envs = DummyVectorEnv([make_env for _ in range(args.test_envs)])
    train_envs.seed(args.seed)
    test_envs.seed(args.seed + 10_000)
    net = Net(
        state_shape=env.observation_space.shape,
        action_shape=int(env.action_space.n),
        hidden_sizes=args.hidden,
    )
    policy = DiscreteQLearningPolicy(
        model=net,
        action_space=env.action_space,
        observation_space=env.observation_space,
        eps_training=1.0,
        eps_inference=0.01,
    )
    algorithm = DQN(
        policy=policy,
        optim=AdamOptimizerFactory(lr=args.learning_rate),
        gamma=args.gamma,
        n_step_return_horizon=args.n_step,
        target_update_freq=args.target_update,
    )
    buffer = VectorReplayBuffer(args.buffer_size, buffer_num=args.train_envs)
    train_collector = Collector[CollectStats](algorithm, train_envs, buffer, exploration_noise=True)
    test_collector = Collector[CollectStats](algorithm, test_envs, exploration_noise=True)
    env.close()
    return algorithm, train_collector, test_collector


def evaluate(policy: DiscreteQLearningPolicy, episodes: int, seed: int) -> np.ndarray:
    """Greedy games with seeds ``seed, seed + 1, ...``; returns the food eaten in each."""
    env = make_env()
    scores = []
    policy.eval()
    with torch.no_grad():
        for episode in range(episodes):
            obs, info = env.reset(seed=seed + episode)
            while True:
                q_values, _ = policy.model(obs[None])
                obs, _, terminated, truncated, info = env.step(int(q_values.argmax(-1)[0]))
                if terminated or truncated:
                    scores.append(float(info["score"]))
                    break
    env.close()
    return np.array(scores)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train, evaluate, print; returns the numbers it printed."""
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    algorithm, train_collector, test_collector = build(args)
    policy = algorithm.policy
    assert isinstance(policy, DiscreteQLearningPolicy)

    def training_fn(epoch: int, env_step: int) -> None:
        # linear epsilon decay over the first eps_decay_steps env steps
        policy.set_eps_training(max(0.05, 1.0 - 0.95 * env_step / args.eps_decay_steps))

    start = time.time()
    train_collector.reset()
    train_collector.collect(n_step=args.batch_size * args.train_envs, random=True)
    result = algorithm.run_training(
        OffPolicyTrainerParams(
            training_collector=train_collector,
            test_collector=test_collector,
            max_epochs=args.epochs,
            epoch_num_steps=args.epoch_steps,
            collection_step_num_env_steps=args.collect_steps,
            test_step_num_episodes=args.test_episodes,
            batch_size=args.batch_size,
            update_step_num_gradient_steps_per_sample=args.updates_per_step,
            training_fn=training_fn,
            show_progress=False,
        )
    )
    train_seconds = time.time() - start
    best = result.best_reward
    print(f"tianshou: best test return {best:.2f}, {result.timing.total_time:.1f} s", flush=True)
    scores = evaluate(policy, args.eval_episodes, args.eval_seed)
    env_steps = int(result.train_step)
    print(
        f"trained {env_steps} steps in {train_seconds:.1f} s; "
        f"eval: score {scores.mean():.2f} +- {scores.std():.2f} over {len(scores)} episodes",
        flush=True,
    )
    return {
        "env_steps": env_steps,
        "best_test_return": float(best),
        "train_seconds": train_seconds,
        "eval_scores": scores.tolist(),
    }


if __name__ == "__main__":
    main()

"""Train Stable-Baselines3 DQN on ``rlnlp/Snake-v0``, evaluate it, save it.

    python examples/sb3_snake_dqn.py --timesteps 300000 --obs-mode features --out snake_dqn
    python examples/sb3_snake_dqn.py --timesteps 300000 --obs-mode channels

``features`` (the 11 classic booleans) uses SB3's ``MlpPolicy``; ``channels`` (3 binary planes
head / body / food) uses ``CnnPolicy`` with the small CNN defined here (SB3's NatureCNN needs
images of at least 36x36; the board is 10x10) and ``normalize_images=False`` (the planes are
0/1, not 0..255). DQN collects from ``--n-envs`` envs of SB3's ``DummyVecEnv``, replays from a
buffer of ``--buffer-size`` steps and explores epsilon-greedily, epsilon falling from 1 to 0.05
over the first ``--exploration-fraction`` of training. Evaluation plays ``--episodes`` games
with seeds ``--eval-seed``, ``--eval-seed + 1``, ... through ``rl_nlp_envs.agents.evaluate``
(the README's table uses seeds 1000-1099) and reports the food eaten (``info["score"]``).
Needs ``stable-baselines3``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import DQN
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

from rl_nlp_envs.agents.base import Agent
from rl_nlp_envs.agents.evaluate import evaluate

ENV_ID = "rlnlp/Snake-v0"


class SmallCNN(BaseFeaturesExtractor):
    """Two padded 3x3 convolutions and a linear layer for the (3, size, size) ``channels`` obs."""

    def __init__(self, observation_space: gym.spaces.Box, features_dim: int = 128) -> None:
        super().__init__(observation_space, features_dim)
        self.cnn = nn.Sequential(
            nn.Conv2d(observation_space.shape[0], 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            n_flat = self.cnn(torch.as_tensor(observation_space.sample()[None]).float()).shape[1]
        self.linear = nn.Sequential(nn.Linear(n_flat, features_dim), nn.ReLU())

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        """(batch, 3, S, S) planes in {0, 1} -> (batch, features_dim)."""
        return self.linear(self.cnn(observations))


def policy_for(obs_mode: str) -> tuple[str, dict[str, Any]]:
    """SB3 policy name and ``policy_kwargs`` for an observation mode."""
    if obs_mode == "features":
        return "MlpPolicy", {}
    if obs_mode == "channels":
        # the planes are 0/1 already: SB3's default division by 255 would squash them
        return "CnnPolicy", {"features_extractor_class": SmallCNN, "normalize_images": False}
    raise ValueError(f"obs_mode must be 'features' or 'channels', got {obs_mode!r}")


class SB3Agent(Agent):
    """An SB3 model as an ``rl_nlp_envs`` agent, so that ``evaluate`` can play it."""

    name = "sb3"

    def __init__(self, model: Any, deterministic: bool = True) -> None:
        self.model = model
        self.deterministic = deterministic

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        """The model's action for one observation."""
        action, _ = self.model.predict(observation, deterministic=self.deterministic)
        return int(action)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=300_000, help="training env steps")
    parser.add_argument("--obs-mode", choices=("features", "channels"), default="features")
    parser.add_argument("--seed", type=int, default=0, help="training seed")
    parser.add_argument("--out", type=Path, default=Path("sb3_snake_dqn"),
                        help="model file (SB3 adds .zip)")  # fmt: skip
    parser.add_argument("--n-envs", type=int, default=4, help="parallel training envs")
    parser.add_argument("--size", type=int, default=10, help="board side")
    parser.add_argument("--buffer-size", type=int, default=100_000, help="replay buffer steps")
    parser.add_argument("--learning-starts", type=int, default=5_000, help="random steps first")
    parser.add_argument("--exploration-fraction", type=float, default=0.2)
    parser.add_argument("--episodes", type=int, default=20, help="evaluation episodes")
    parser.add_argument("--eval-seed", type=int, default=1000, help="seed of the first eval game")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> float:
    """Train, evaluate and save; returns the mean evaluation score."""
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    env_kwargs = {"obs_mode": args.obs_mode, "size": args.size}
    policy, policy_kwargs = policy_for(args.obs_mode)
    venv = make_vec_env(ENV_ID, n_envs=args.n_envs, seed=args.seed, env_kwargs=env_kwargs)
    model = DQN(policy, venv, learning_rate=5e-4, buffer_size=args.buffer_size,
                learning_starts=min(args.learning_starts, args.timesteps // 2), batch_size=64,
                gamma=0.99, train_freq=4, gradient_steps=1, target_update_interval=2_000,
                exploration_fraction=args.exploration_fraction, exploration_final_eps=0.05,
                policy_kwargs=policy_kwargs, seed=args.seed, device="cpu", verbose=0)  # fmt: skip
    start = time.perf_counter()
    model.learn(args.timesteps)
    seconds = time.perf_counter() - start
    print(f"trained DQN ({policy}, obs_mode={args.obs_mode}) for {model.num_timesteps:,} steps "
          f"in {seconds:.1f} s")  # fmt: skip
    venv.close()

    env = gym.make(ENV_ID, **env_kwargs)
    result = evaluate(SB3Agent(model), env, args.episodes, seed=args.eval_seed, progress=False)
    env.close()
    last = args.eval_seed + args.episodes - 1
    print(f"score {result.mean:.2f} ± {result.std:.2f} over {args.episodes} episodes "
          f"(seeds {args.eval_seed}-{last}; max {max(result.scores):.0f}, "
          f"mean length {np.mean(result.lengths):.0f} steps)")  # fmt: skip
    out = args.out if args.out.suffix == ".zip" else args.out.with_name(args.out.name + ".zip")
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    print(f"saved {out} (DQN.load({str(out)!r}))")
    return result.mean


if __name__ == "__main__":
    main()

"""Train sb3-contrib MaskablePPO on ``rlnlp/Snake-v0`` with its action masks, evaluate, save.

    python examples/sb3_snake_maskable_ppo.py --timesteps 200000 --out snake_maskable_ppo
    python examples/sb3_snake_maskable_ppo.py --timesteps 200000 --obs-mode channels

Snake-v0 marks the reversal into the snake's neck as illegal: ``env.action_masks()`` returns
the legal moves as a bool array, which is the method MaskablePPO looks for (through
``VecEnv.env_method("action_masks")``), so no ``ActionMasker`` wrapper is needed. The policy
never samples the masked move, in training or in evaluation, where the mask comes from
``info["action_mask"]``. Otherwise as ``sb3_snake_ppo.py``: ``features`` uses ``MlpPolicy``,
``channels`` ``CnnPolicy`` with a small CNN; evaluation plays ``--episodes`` games with seeds
``--eval-seed``, ``--eval-seed + 1``, ... and reports the food eaten (``info["score"]``).
Needs ``stable-baselines3`` and ``sb3-contrib``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from sb3_contrib import MaskablePPO
from sb3_contrib.common.maskable.utils import is_masking_supported
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
    """sb3-contrib policy name and ``policy_kwargs`` for an observation mode."""
    if obs_mode == "features":
        return "MlpPolicy", {}
    if obs_mode == "channels":
        # the planes are 0/1 already: SB3's default division by 255 would squash them
        return "CnnPolicy", {"features_extractor_class": SmallCNN, "normalize_images": False}
    raise ValueError(f"obs_mode must be 'features' or 'channels', got {obs_mode!r}")


class MaskedSB3Agent(Agent):
    """A MaskablePPO model as an ``rl_nlp_envs`` agent; masks come from ``info["action_mask"]``."""

    name = "sb3-maskable"

    def __init__(self, model: MaskablePPO, deterministic: bool = True) -> None:
        self.model = model
        self.deterministic = deterministic
        self.masked_choices = 0

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        """The model's action among the legal moves."""
        mask = np.asarray(info["action_mask"], dtype=bool)
        action, _ = self.model.predict(
            observation, action_masks=mask, deterministic=self.deterministic
        )
        self.masked_choices += int(not mask[int(action)])
        return int(action)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=200_000, help="training env steps")
    parser.add_argument("--obs-mode", choices=("features", "channels"), default="features")
    parser.add_argument("--seed", type=int, default=0, help="training seed")
    parser.add_argument("--out", type=Path, default=Path("sb3_snake_maskable_ppo"),
                        help="model file (.zip is added)")  # fmt: skip
    parser.add_argument("--n-envs", type=int, default=8, help="parallel training envs")
    parser.add_argument("--size", type=int, default=10, help="board side")
    parser.add_argument("--episodes", type=int, default=20, help="evaluation episodes")
    parser.add_argument("--eval-seed", type=int, default=1000, help="seed of the first eval game")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> float:
    """Train, evaluate and save; returns the mean evaluation score."""
    args = parse_args(argv)
    env_kwargs = {"obs_mode": args.obs_mode, "size": args.size}
    policy, policy_kwargs = policy_for(args.obs_mode)
    venv = make_vec_env(ENV_ID, n_envs=args.n_envs, seed=args.seed, env_kwargs=env_kwargs)
    if not is_masking_supported(venv):
        raise SystemExit(f"{ENV_ID} does not expose action_masks(); MaskablePPO cannot mask")
    n_steps = 128 if args.timesteps >= 128 * args.n_envs else max(8, args.timesteps // args.n_envs)
    model = MaskablePPO(policy, venv, n_steps=n_steps,
                        batch_size=min(256, n_steps * args.n_envs), learning_rate=3e-4,
                        ent_coef=0.01, gamma=0.99, policy_kwargs=policy_kwargs, seed=args.seed,
                        device="cpu", verbose=0)  # fmt: skip
    start = time.perf_counter()
    model.learn(args.timesteps)
    seconds = time.perf_counter() - start
    print(f"trained MaskablePPO ({policy}, obs_mode={args.obs_mode}) for "
          f"{model.num_timesteps:,} steps in {seconds:.1f} s")  # fmt: skip
    venv.close()

    env = gym.make(ENV_ID, **env_kwargs)
    agent = MaskedSB3Agent(model)
    result = evaluate(agent, env, args.episodes, seed=args.eval_seed, progress=False)
    env.close()
    last = args.eval_seed + args.episodes - 1
    print(f"score {result.mean:.2f} ± {result.std:.2f} over {args.episodes} episodes "
          f"(seeds {args.eval_seed}-{last}; max {max(result.scores):.0f}, "
          f"mean length {np.mean(result.lengths):.0f} steps, "
          f"masked moves chosen {agent.masked_choices})")  # fmt: skip
    out = args.out if args.out.suffix == ".zip" else args.out.with_name(args.out.name + ".zip")
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    print(f"saved {out} (MaskablePPO.load({str(out)!r}))")
    return result.mean


if __name__ == "__main__":
    main()

"""Train Stable-Baselines3 PPO on ``rlnlp/Negotiate-v0`` through SuperSuit, by parameter sharing.

    python examples/supersuit_negotiate_sb3.py --timesteps 200000 --out negotiate_sb3

SuperSuit turns the PettingZoo parallel env into a vector env with one slot per agent
(``pettingzoo_env_to_vec_env_v1``) and stacks copies of it into an SB3 ``VecEnv``
(``concat_vec_envs_v1``), so one PPO policy plays both seats (self-play). Each parallel step is
one turn: the waiting agent's action is ignored and earns 0.

Action masking: SB3's PPO has no masks, so the env's default ``illegal_action="penalize"``
handles illegal moves (accepting with no offer on the table, keeping more items than exist):
they end the game with reward -1 for the offender, and the policy learns to avoid them. The
observation already holds what legality depends on (the counts and the "an offer from the
other side stands" flag). Evaluation plays ``--episodes`` games against each rule agent
through ``rl_nlp_envs.agents.negotiate.play_match``. Needs ``supersuit`` and
``stable-baselines3`` (``pip install "rl_nlp_envs[marl,dev]"``).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import supersuit as ss
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper, VecMonitor

from rl_nlp_envs.agents.base import Agent
from rl_nlp_envs.agents.negotiate import MatchResult, match_table
from rl_nlp_envs.envs import negotiate_v0


class SeedOnReset(VecEnvWrapper):
    """SuperSuit's SB3 wrapper has no working ``seed()`` (SB3 calls it when PPO gets a seed):
    keep the seed and pass it to the next reset of SuperSuit's vector env, which seeds copy
    ``i`` with ``seed + i``."""

    def __init__(self, venv: VecEnv, seed: int | None) -> None:
        super().__init__(venv)
        self._seed = seed

    def seed(self, seed: int | None = None) -> list[int | None]:
        """Seed the next reset."""
        self._seed = seed
        return [seed] * self.num_envs

    def reset(self) -> Any:
        """Reset, seeded once after ``seed()``."""
        if self._seed is None:
            return self.venv.reset()
        inner: Any = self.venv  # SuperSuit's SB3VecEnvWrapper around its ConcatVecEnv
        obs, inner.reset_infos = inner.venv.reset(seed=self._seed)
        self._seed = None
        return obs

    def step_wait(self) -> Any:
        """As the wrapped env."""
        return self.venv.step_wait()

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        """SuperSuit's wrapper cannot look ``render_mode`` up per env; it has one for all."""
        if attr_name == "render_mode":
            return [getattr(self.venv, "render_mode", None)] * self.num_envs
        return self.venv.get_attr(attr_name, indices)


def make_vec_env(copies: int, seed: int | None = None, **env_kwargs: Any) -> VecEnv:
    """``copies`` parallel Negotiate-v0 games as an SB3 VecEnv with ``2 * copies`` slots."""
    env = negotiate_v0.parallel_env(**env_kwargs)
    vec = ss.pettingzoo_env_to_vec_env_v1(env)
    vec = ss.concat_vec_envs_v1(vec, copies, num_cpus=0, base_class="stable_baselines3")
    return VecMonitor(SeedOnReset(vec, seed))


class SB3Negotiator(Agent):
    """A trained SB3 model as an ``Agent`` (deterministic actions)."""

    name = "sb3-ppo"

    def __init__(self, model: PPO) -> None:
        self.model = model

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        """The model's most likely action."""
        action, _ = self.model.predict(np.asarray(observation), deterministic=True)
        return action


def train(timesteps: int, copies: int, seed: int, n_steps: int = 128, verbose: int = 0) -> PPO:
    """PPO with a small MLP on ``copies`` games (both seats share the policy)."""
    vec = make_vec_env(copies, seed)
    model = PPO(
        "MlpPolicy",
        vec,
        n_steps=n_steps,
        batch_size=min(256, n_steps * vec.num_envs),
        n_epochs=4,
        learning_rate=3e-4,
        ent_coef=0.01,
        gamma=1.0,
        policy_kwargs={"net_arch": [128, 128]},
        seed=seed,
        verbose=verbose,
        device="cpu",
    )
    model.learn(total_timesteps=timesteps)
    vec.close()
    return model


def main(argv: list[str] | None = None) -> dict[str, MatchResult]:
    """Train, report and return the evaluation against each rule agent."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=200_000)
    parser.add_argument("--copies", type=int, default=8, help="parallel games (2 slots each)")
    parser.add_argument("--n-steps", type=int, default=128, help="PPO rollout length per slot")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--eval-seed", type=int, default=1000)
    parser.add_argument("--out", default=None, help="save the SB3 model here (.zip)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    model = train(args.timesteps, args.copies, args.seed, args.n_steps, verbose=1)
    print(f"trained {args.timesteps:,} steps in {time.perf_counter() - start:.0f}s")
    if args.out:
        model.save(args.out)
    table = match_table(SB3Negotiator(model), args.episodes, args.eval_seed)
    for name, result in table.items():
        print(f"vs {name:6}: points {result.mean_a:.2f} (opponent {result.mean_b:.2f}), "
              f"agreement {100 * result.agreement:.0f}%")  # fmt: skip
    return table


if __name__ == "__main__":
    main()

"""The uniform random baseline, for any environment."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from rl_nlp_envs.agents.base import Agent


class RandomAgent(Agent):
    """Samples uniformly from the action space, among legal actions when the env masks them."""

    name = "random"

    def __init__(self, env: gym.Env[Any, Any], seed: int | None = None) -> None:
        self.action_space = env.action_space
        self.rng = np.random.default_rng(seed)
        self.action_space.seed(None if seed is None else int(self.rng.integers(2**31)))

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        """A random (legal) action."""
        mask = info.get("action_mask")
        if mask is not None and isinstance(self.action_space, gym.spaces.Discrete):
            legal = np.flatnonzero(np.asarray(mask))
            if legal.size:
                return int(legal[self.rng.integers(legal.size)]) + int(self.action_space.start)
        return self.action_space.sample()

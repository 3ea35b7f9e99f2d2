"""Checks every environment registered by this package: present ones and any added later."""

from __future__ import annotations

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import rl_nlp_envs
from rl_nlp_envs.registration import NAMESPACE

OUR_IDS = sorted(
    env_id
    for env_id, spec in gym.registry.items()
    if spec.namespace == NAMESPACE
    and isinstance(spec.entry_point, str)
    and spec.entry_point.startswith("rl_nlp_envs.")
)


def test_registry_lists_our_envs() -> None:
    assert set(rl_nlp_envs.ENV_IDS) <= set(OUR_IDS)
    assert OUR_IDS, "no environment registered"


@pytest.mark.parametrize("env_id", OUR_IDS)
def test_check_env_without_unexpected_warnings(env_id: str) -> None:
    env = gym.make(env_id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    messages = [str(w.message) for w in caught]
    assert not messages, messages
    env.close()


def _rollout(env_id: str, seed: int, steps: int = 200) -> list[tuple]:
    env = gym.make(env_id)
    env.action_space.seed(seed)
    obs, info = env.reset(seed=seed)
    trace: list[tuple] = [("reset", obs, info)]
    for _ in range(steps):
        action = env.action_space.sample()
        obs, reward, terminated, truncated, info = env.step(action)
        trace.append((action, obs, reward, terminated, truncated, info))
        if terminated or truncated:
            obs, info = env.reset()
            trace.append(("reset", obs, info))
    env.close()
    return trace


def _equal(a: object, b: object) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))
    return a == b


@pytest.mark.parametrize("env_id", OUR_IDS)
def test_seeded_rollouts_are_identical(env_id: str) -> None:
    first, second = _rollout(env_id, seed=7), _rollout(env_id, seed=7)
    assert _equal(first, second)
    assert not _equal(first, _rollout(env_id, seed=8))


@pytest.mark.parametrize("env_id", OUR_IDS)
def test_pickle_round_trip(env_id: str) -> None:
    env = gym.make(env_id)
    env.reset(seed=3)
    clone = pickle.loads(pickle.dumps(env))
    action = env.action_space.sample()
    out_a = env.step(action)
    out_b = clone.step(action)
    assert _equal(out_a, out_b)
    env.close()
    clone.close()


@pytest.mark.parametrize("env_id", OUR_IDS)
def test_every_render_mode(env_id: str) -> None:
    modes = gym.spec(env_id).entry_point and gym.make(env_id).metadata["render_modes"]
    assert set(modes) >= {"rgb_array", "ansi"}
    for mode in modes:
        env = gym.make(env_id, render_mode=mode)
        env.reset(seed=0)
        env.step(env.action_space.sample())
        frame = env.render()
        if mode == "rgb_array":
            assert isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] == 3
            assert frame.dtype == np.uint8 and frame.std() > 0
        elif mode == "ansi":
            assert isinstance(frame, str) and frame.strip()
        env.close()
        env.close()

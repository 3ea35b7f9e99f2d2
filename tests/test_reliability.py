"""Hostile input, ordering errors, offline operation and cross-process seeding, for every env."""

from __future__ import annotations

import hashlib
import math
import pickle
import socket
import subprocess
import sys
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rl_nlp_envs.core.spaces import InvalidActionError
from tests.test_all_envs import OUR_IDS

# every registered id in its default mode, plus the other action modes of the text envs
VARIANTS: list[tuple[str, dict[str, Any]]] = [(env_id, {}) for env_id in OUR_IDS] + [
    ("rlnlp/Translate-v0", {"action_mode": "text"}),
    ("rlnlp/Summarize-v0", {"action_mode": "text"}),
    ("rlnlp/QA-v0", {"answer_mode": "span"}),
    ("rlnlp/QA-v0", {"action_mode": "text", "version": "v2"}),
    ("rlnlp/Snake-v0", {"obs_mode": "features"}),
    ("rlnlp/Dialogue-v0", {"action_mode": "text"}),
    ("rlnlp/Dialogue-v0", {"action_mode": "token"}),
    ("rlnlp/Recommend-v0", {"slate_size": 1}),
]
IDS = [f"{env_id}{kw or ''}" for env_id, kw in VARIANTS]
_ENVS: dict[str, gym.Env] = {}  # type: ignore[type-arg]


def _env(env_id: str, kwargs: dict[str, Any]) -> gym.Env:  # type: ignore[type-arg]
    key = f"{env_id}{sorted(kwargs.items())}"
    if key not in _ENVS:
        _ENVS[key] = gym.make(env_id, **kwargs)
    return _ENVS[key]


@pytest.mark.parametrize(("env_id", "kwargs"), VARIANTS, ids=IDS)
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(seed=st.integers(0, 2**31 - 1), steps=st.integers(1, 80))
def test_valid_action_sequences_stay_in_the_spaces(
    env_id: str, kwargs: dict[str, Any], seed: int, steps: int
) -> None:
    env = _env(env_id, kwargs)
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    assert env.observation_space.contains(obs)
    for _ in range(steps):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert env.observation_space.contains(obs)
        assert math.isfinite(float(reward))
        if terminated or truncated:
            obs, _ = env.reset()


def _invalid_actions(space: gym.Space) -> list[Any]:  # type: ignore[type-arg]
    if isinstance(space, gym.spaces.Discrete):
        n = int(space.n)
        return [-1, n, 1.5, float("nan"), "a", None, np.array([1, 2]), [0], True]
    if isinstance(space, gym.spaces.Text):
        return [3, None, b"bytes", "x" * (space.max_length + 1), ["a"]]
    if isinstance(space, gym.spaces.MultiDiscrete):
        top = int(space.nvec[0])
        return [np.array([0, top]), np.array([-1, 0]), np.array([0.5, 1.0]), "0 1", 3,
                np.array([0, 1, 2]), np.array([np.nan, 1.0])]  # fmt: skip
    raise AssertionError(f"no invalid actions defined for {space}")


@pytest.mark.parametrize(("env_id", "kwargs"), VARIANTS, ids=IDS)
def test_invalid_actions_raise_clear_errors(env_id: str, kwargs: dict[str, Any]) -> None:
    env = gym.make(env_id, **kwargs).unwrapped
    space_name = type(env.action_space).__name__
    for action in _invalid_actions(env.action_space):
        env.reset(seed=0)
        with pytest.raises(InvalidActionError) as caught:
            env.step(action)
        message = str(caught.value)
        assert space_name in message or "characters" in message, message


@pytest.mark.parametrize(("env_id", "kwargs"), VARIANTS, ids=IDS)
def test_ordering_errors_and_bad_reset_options(env_id: str, kwargs: dict[str, Any]) -> None:
    env = gym.make(env_id, **kwargs).unwrapped
    with pytest.raises(RuntimeError, match="reset"):
        env.step(env.action_space.sample())
    env.reset(seed=0)
    for _ in range(10_000):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            break
    with pytest.raises(RuntimeError, match="reset"):
        env.step(env.action_space.sample())
    with pytest.raises(ValueError, match="option"):
        env.reset(options={"no_such_option": 1})
    if env_id != "rlnlp/Snake-v0":
        with pytest.raises(ValueError, match="split"):
            env.reset(options={"split": "dev"})
        with pytest.raises(ValueError, match="out of range"):
            env.reset(options={"split": "test", "index": 10**6})
    env.close()
    env.close()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_every_env_and_cheap_baseline_runs_offline(no_network: None) -> None:
    from rl_nlp_envs.agents.evaluate import evaluate, evaluate_split
    from rl_nlp_envs.agents.registry import BASELINES, make_agent

    for env_id, kwargs in VARIANTS:
        env = gym.make(env_id, **kwargs)
        env.reset(seed=0)
        env.step(env.action_space.sample())
    for baseline in BASELINES:
        if not baseline.cheap:
            continue
        env = gym.make(baseline.env_id, **baseline.env_kwargs)
        agent = make_agent(baseline, env, seed=0)
        if baseline.learns:
            agent.learn(5_000, seed=0, progress=False)
        if baseline.evaluation == "split":
            evaluate_split(agent, env, "test", limit=3, progress=False)
        else:
            evaluate(agent, env, 2, progress=False)


def _rollout_digest(env_id: str, seed: int) -> str:
    env = gym.make(env_id)
    env.action_space.seed(seed)
    digest = hashlib.sha256()
    obs, _ = env.reset(seed=seed)
    for _ in range(100):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        digest.update(pickle.dumps((obs, float(reward), terminated, truncated)))
        if terminated or truncated:
            obs, _ = env.reset()
    return digest.hexdigest()


def test_same_seed_same_episode_across_processes() -> None:
    code = (
        "import sys; sys.path.insert(0, '.')\n"
        "from tests.test_reliability import _rollout_digest, OUR_IDS\n"
        "print(' '.join(_rollout_digest(i, 11) for i in OUR_IDS))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300).stdout.split()  # fmt: skip
    assert out == [_rollout_digest(env_id, 11) for env_id in OUR_IDS]


def _crashing_snake() -> gym.Env:  # type: ignore[type-arg]
    class Crash(gym.Wrapper):  # type: ignore[type-arg]
        def step(self, action: Any) -> Any:
            raise RuntimeError("boom in worker")

    return Crash(gym.make("rlnlp/Snake-v0"))


@pytest.mark.filterwarnings(
    "ignore:.*(Received the following error|Traceback|Raising the last exception).*:UserWarning"
)
def test_async_worker_crash_surfaces_and_close_twice() -> None:
    envs = gym.vector.AsyncVectorEnv(
        [lambda: gym.make("rlnlp/Snake-v0"), _crashing_snake], context="spawn"
    )
    envs.reset(seed=0)
    with pytest.raises(RuntimeError, match="boom in worker"):
        envs.step(np.array([0, 0]))
    envs.close()
    envs.close()


def test_sync_and_async_vectorisation_agree() -> None:
    sync = gym.make_vec("rlnlp/Snake-v0", num_envs=3, vectorization_mode="sync")
    asyn = gym.vector.AsyncVectorEnv([lambda: gym.make("rlnlp/Snake-v0")] * 3, context="spawn")
    native = gym.make_vec("rlnlp/Snake-v0", num_envs=3)
    outs = [v.reset(seed=4)[0] for v in (sync, asyn, native)]
    rng = np.random.default_rng(0)
    for _ in range(50):
        actions = rng.integers(0, 4, 3)
        results = [v.step(actions) for v in (sync, asyn, native)]
        for r in results[1:]:
            for a, b in zip(results[0][:4], r[:4], strict=True):
                assert np.array_equal(a, b)
    assert all(np.array_equal(outs[0], o) for o in outs)
    for v in (sync, asyn, native):
        v.close()

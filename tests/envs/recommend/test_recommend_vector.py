"""The batched Recommend-v0 reproduces N single envs exactly (SyncVectorEnv of RecommendEnv)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from rl_nlp_envs.core.spaces import InvalidActionError
from rl_nlp_envs.envs.recommend.env import RecommendEnv
from rl_nlp_envs.envs.recommend.vector import RecommendVectorEnv


def _compare(a: Any, b: Any, where: str = "") -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            _compare(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, np.ndarray) and a.dtype == object:
        for x, y in zip(a, b, strict=True):
            if x is None:
                assert y is None, where
            else:
                _compare(x, y, where)
    else:
        assert np.array_equal(a, b), where
        assert np.asarray(a).dtype == np.asarray(b).dtype, (where, a.dtype, b.dtype)


@pytest.mark.parametrize("autoreset", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize("slate_size", [1, 3])
def test_matches_sync_vector_of_single_envs(autoreset: AutoresetMode, slate_size: int) -> None:
    n = 6
    model = {"budget": 6.0, "budget_spread": 2.0}
    kwargs: dict[str, Any] = {"slate_size": slate_size, "n_candidates": 5, "user_model": model}
    native: Any = gym.make_vec("rlnlp/Recommend-v0", num_envs=n, autoreset_mode=autoreset, **kwargs)
    assert isinstance(native.unwrapped, RecommendVectorEnv)
    sync = SyncVectorEnv(
        [lambda: RecommendEnv(**kwargs) for _ in range(n)], autoreset_mode=autoreset
    )
    seeds: list[int | None] = [7 * k for k in range(n)]
    o1, i1 = native.reset(seed=seeds)
    o2, i2 = sync.reset(seed=seeds)
    _compare(o1, o2)
    _compare(i1, i2)
    rng = np.random.default_rng(0)
    ends = clicks = 0
    for _ in range(120):
        # repeated positions are allowed (empty slots): draw with replacement
        shape = (n,) if slate_size == 1 else (n, slate_size)
        actions = rng.integers(0, 5, shape)
        r1, r2 = native.step(actions), sync.step(actions)
        for x, y in zip(r1[:4], r2[:4], strict=True):
            _compare(x, y)
        _compare(r1[4], r2[4])
        ends += int((r1[2] | r1[3]).sum())
        clicks += int(r1[4]["click"].sum())
    assert ends > 10 and clicks > 50


def test_int_seed_gives_consecutive_seeds_and_disabled_mode() -> None:
    n = 3
    vec = RecommendVectorEnv(num_envs=n, autoreset_mode=AutoresetMode.DISABLED)
    obs, _ = vec.reset(seed=5)
    for i in range(n):
        single, _ = RecommendEnv().reset(seed=5 + i)
        for key in single:
            assert np.array_equal(obs[key][i], single[key])
    for _ in range(500):
        _, _, term, trunc, _ = vec.step(np.tile([0, 1], (n, 1)))
        done = term | trunc
        if done.any():
            with pytest.raises(RuntimeError, match="DISABLED"):
                vec.step(np.zeros((n, 2), dtype=int))
            obs, _ = vec.reset(options={"reset_mask": done})
            assert np.all(vec.state.steps[done] == 0)
            break
    else:
        pytest.fail("no episode ended")


def test_split_users_match_single_env_options() -> None:
    vec = RecommendVectorEnv(num_envs=2)
    obs = vec.reset_users("test", [3, 4])
    single, _ = RecommendEnv().reset(options={"split": "test", "index": 4})
    assert np.array_equal(obs["candidate_ids"][1], single["candidate_ids"])
    with pytest.raises(ValueError, match="out of range"):
        vec.reset_users("test", [0, 5000])


def test_invalid_vector_actions_and_arguments() -> None:
    vec = RecommendVectorEnv(num_envs=3)
    with pytest.raises(RuntimeError, match="reset"):
        vec.step(np.zeros((3, 2), dtype=int))
    vec.reset(seed=0)
    with pytest.raises(InvalidActionError, match="shape"):
        vec.step(np.zeros(3, dtype=int))
    with pytest.raises(InvalidActionError, match="sub-environment 1"):
        vec.step(np.array([[0, 1], [0, 10], [1, 2]]))
    with pytest.raises(InvalidActionError, match="dtype"):
        vec.step(np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="autoreset_mode"):
        RecommendVectorEnv(num_envs=2, autoreset_mode="sometimes")
    with pytest.raises(ValueError, match="reset_mask"):
        vec.reset(options={"reset_mask": [True]})
    with pytest.raises(ValueError, match="reset_mask"):
        vec.reset(options={"split": "test"})
    vec.close()
    vec.close()


def test_render_modes() -> None:
    vec = RecommendVectorEnv(num_envs=2, render_mode="ansi")
    vec.reset(seed=0)
    vec.step(np.array([[0, 1], [2, 2]]))
    frames = vec.render()
    assert isinstance(frames, tuple) and len(frames) == 2
    assert "Slate" in frames[0] and "empty slot" in frames[1]
    rgb = RecommendVectorEnv(num_envs=2, render_mode="rgb_array")
    rgb.reset(seed=0)
    frames = rgb.render()
    assert frames is not None
    frame = frames[0]
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.std() > 0
    rgb.close()

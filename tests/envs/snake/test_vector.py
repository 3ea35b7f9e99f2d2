"""The batched Snake reproduces N single games exactly, on both backends."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from rl_nlp_envs.core.spaces import InvalidActionError
from rl_nlp_envs.envs.snake.env import SnakeEnv
from rl_nlp_envs.envs.snake.vector import SnakeVectorEnv

BACKENDS = [
    "numpy",
    pytest.param(
        "numba",
        marks=pytest.mark.skipif(
            __import__("importlib").util.find_spec("numba") is None, reason="numba not installed"
        ),
    ),
]


def _food_seeking(features: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Move towards the food unless deadly; often enough to grow long and fill small boards."""
    n = features.shape[0]
    actions = rng.integers(0, 4, n)
    heading = np.argmax(features[:, 3:7], axis=1)
    for i in range(n):
        wants = [m for m, bit in zip((0, 1, 2, 3), features[i, 7:11], strict=True) if bit]
        safe = {heading[i]: not features[i, 0], (heading[i] + 1) % 4: not features[i, 1],
                (heading[i] + 3) % 4: not features[i, 2]}  # fmt: skip
        good = [m for m in wants if safe.get(m, False)]
        if good and rng.random() < 0.9:
            actions[i] = good[0]
        elif any(safe.values()):
            actions[i] = [m for m, ok in safe.items() if ok][rng.integers(sum(safe.values()))]
    return actions


def _compare_infos(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if key == "final_obs":
            for x, y in zip(a[key], b[key], strict=True):
                assert (x is None and y is None) or np.array_equal(x, y)
        elif isinstance(a[key], dict):
            _compare_infos(a[key], b[key])
        else:
            assert np.array_equal(a[key], b[key]), key


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("autoreset", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize(
    "obs_mode,size", [("features", 4), ("grid", 5), ("channels", 6), ("pixels", 4)]
)
def test_matches_sync_vector_of_single_envs(
    backend: str, autoreset: AutoresetMode, obs_mode: str, size: int
) -> None:
    n = 12
    kwargs = {"size": size, "obs_mode": obs_mode, "pixel_size": 2}
    native = gym.make_vec("rlnlp/Snake-v0", num_envs=n, autoreset_mode=autoreset,
                          backend=backend, **kwargs)  # fmt: skip
    assert isinstance(native.unwrapped, SnakeVectorEnv)
    sync = SyncVectorEnv([lambda: SnakeEnv(**kwargs) for _ in range(n)], autoreset_mode=autoreset)
    feat = SnakeVectorEnv(num_envs=n, size=size, obs_mode="features", backend="numpy",
                          autoreset_mode=autoreset)  # fmt: skip
    o1, i1 = native.reset(seed=[10 * k for k in range(n)])
    o2, i2 = sync.reset(seed=[10 * k for k in range(n)])
    f, _ = feat.reset(seed=[10 * k for k in range(n)])
    assert np.array_equal(o1, o2)
    _compare_infos(i1, i2)
    rng = np.random.default_rng(0)
    wins = eats = 0
    for _ in range(1500):
        actions = _food_seeking(f, rng)
        r1, r2 = native.step(actions), sync.step(actions)
        f = feat.step(actions)[0]
        for x, y in zip(r1[:4], r2[:4], strict=True):
            assert np.array_equal(x, y)
        _compare_infos(r1[4], r2[4])
        eats += int((r1[1] == 1).sum())
        wins += int((r1[2] & (r1[1] == 1)).sum())
    assert eats > 100
    if size == 4:
        assert wins > 0, "no game filled the board: the win path is untested"


@pytest.mark.parametrize("backend", BACKENDS)
def test_int_seed_gives_consecutive_seeds_and_disabled_mode(backend: str) -> None:
    n = 4
    vec = SnakeVectorEnv(num_envs=n, backend=backend, autoreset_mode=AutoresetMode.DISABLED)
    obs, _ = vec.reset(seed=5)
    for i in range(n):
        single, _ = SnakeEnv().reset(seed=5 + i)
        assert np.array_equal(obs[i], single)
    done = np.zeros(n, dtype=bool)
    for _ in range(400):
        _, _, term, trunc, _ = vec.step(np.where(done, 0, np.arange(n) % 4))
        done = term | trunc
        if done.any():
            with pytest.raises(RuntimeError, match="DISABLED"):
                vec.step(np.zeros(n, dtype=int))
            vec.reset(options={"reset_mask": done})
            done[:] = False
            break
    else:
        pytest.fail("no episode ended")


def test_invalid_vector_actions_and_arguments() -> None:
    vec = SnakeVectorEnv(num_envs=3, backend="numpy")
    with pytest.raises(RuntimeError, match="reset"):
        vec.step(np.zeros(3, dtype=int))
    vec.reset(seed=0)
    with pytest.raises(InvalidActionError, match="shape"):
        vec.step(np.zeros(4, dtype=int))
    with pytest.raises(InvalidActionError, match="sub-environment 1"):
        vec.step(np.array([0, 7, 1]))
    with pytest.raises(InvalidActionError, match="dtype"):
        vec.step(np.array([0.5, 1, 1]))
    with pytest.raises(ValueError, match="backend"):
        SnakeVectorEnv(num_envs=2, backend="cuda")
    with pytest.raises(ValueError, match="autoreset_mode"):
        SnakeVectorEnv(num_envs=2, autoreset_mode="sometimes")
    with pytest.raises(ValueError, match="reset_mask"):
        vec.reset(options={"reset_mask": [True]})
    vec.close()
    vec.close()


def test_action_masks_and_render() -> None:
    vec = SnakeVectorEnv(num_envs=2, render_mode="ansi", backend="numpy")
    vec.reset(seed=0)
    assert vec.action_masks().shape == (2, 4) and vec.action_masks().sum() == 6
    frames = vec.render()
    assert isinstance(frames, tuple) and len(frames) == 2 and "@" in frames[0]
    rgb = SnakeVectorEnv(num_envs=2, render_mode="rgb_array", backend="numpy")
    rgb.reset(seed=0)
    assert rgb.render()[0].shape[2] == 3

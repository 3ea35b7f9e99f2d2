"""The single-game env shell: spaces, modes, errors."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from rl_nlp_envs.core.spaces import InvalidActionError
from rl_nlp_envs.envs.snake.env import SnakeEnv
from rl_nlp_envs.envs.snake.logic import HEAD


@pytest.mark.parametrize("obs_mode", ["grid", "channels", "features", "pixels"])
def test_observation_modes_stay_in_their_space(obs_mode: str) -> None:
    env = gym.make("rlnlp/Snake-v0", obs_mode=obs_mode, size=8)
    obs, info = env.reset(seed=1)
    env.action_space.seed(1)
    for _ in range(300):
        assert env.observation_space.contains(obs)
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert reward in (-1.0, 0.0, 1.0)
        if terminated or truncated:
            obs, info = env.reset()
    assert set(info) == {"score", "length", "steps_since_food", "action_mask"}


def test_modes_describe_the_same_board() -> None:
    grid_env = SnakeEnv(obs_mode="grid")
    chan_env = SnakeEnv(obs_mode="channels")
    feat_env = SnakeEnv(obs_mode="features")
    grid, _ = grid_env.reset(seed=4)
    chans, _ = chan_env.reset(seed=4)
    feats, _ = feat_env.reset(seed=4)
    assert np.array_equal(chans[0], grid == HEAD)
    assert np.array_equal(chans[1], grid == 1)
    assert np.array_equal(chans[2], grid == 3)
    assert feats[3:7].sum() == 1  # exactly one heading


def test_action_mask_and_illegal_reverse() -> None:
    env = SnakeEnv()
    _, info = env.reset(seed=0)
    mask = env.action_masks()
    assert mask.dtype == bool and mask.sum() == 3
    assert np.array_equal(info["action_mask"].astype(bool), mask)
    reverse = int(np.flatnonzero(~mask)[0])
    heading = env.game.heading
    env.step(reverse)
    assert env.game.heading == heading


@pytest.mark.parametrize("action", [4, -1, 1.5, "up", None, np.array([1, 2]), True, float("nan")])
def test_invalid_actions_raise_clear_errors(action: object) -> None:
    env = SnakeEnv()
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match="Discrete"):
        env.step(action)


def test_numpy_integer_actions_are_accepted() -> None:
    env = SnakeEnv()
    env.reset(seed=0)
    for action in (np.int64(1), np.array(2), np.uint8(0), 3.0):
        env.step(action)
        if env.game.over:
            env.reset()


def test_step_order_errors() -> None:
    env = SnakeEnv(max_steps_without_food=1)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    _, _, terminated, truncated, _ = env.step(env.game.heading)
    assert terminated or truncated
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    with pytest.raises(ValueError, match="no reset options"):
        env.reset(options={"split": "test"})


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="obs_mode"):
        SnakeEnv(obs_mode="rgb")
    with pytest.raises(ValueError, match="render_mode"):
        SnakeEnv(render_mode="window")
    with pytest.raises(ValueError, match="size"):
        SnakeEnv(size=1)


def test_unseeded_resets_continue_the_seeded_stream() -> None:
    a, b = SnakeEnv(), SnakeEnv()
    a.reset(seed=11)
    b.reset(seed=11)
    for _ in range(5):
        oa, _ = a.reset()
        ob, _ = b.reset()
        assert np.array_equal(oa, ob)


def test_random_policy_episodes_end() -> None:
    env = SnakeEnv(size=5)
    env.reset(seed=0)
    env.action_space.seed(0)
    for _ in range(2000):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            break
    else:
        pytest.fail("a random episode never ended")


def test_ansi_render_shows_the_board() -> None:
    env = SnakeEnv(render_mode="ansi", size=5)
    env.reset(seed=0)
    text = env.render()
    assert isinstance(text, str)
    assert text.count("@") == 1 and text.count("*") == 1 and "score 0" in text

"""SuperSuit turns Negotiate-v0 into Stable-Baselines3 vector envs; the example trains on them.

A few hundred PPO steps through ``examples/supersuit_negotiate_sb3.py``: enough to run SB3's
rollout, update and ``predict`` paths on the real spaces, not a learning check. Skipped when
supersuit (the `marl` extra), stable-baselines3 (the `dev` extra) or torch is missing.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

pytest.importorskip("pettingzoo", reason="Negotiate-v0 needs pettingzoo (the `marl` extra)")
pytest.importorskip(
    "supersuit", reason='supersuit is not installed (pip install "rl_nlp_envs[marl]")'
)
pytest.importorskip("torch", reason="stable-baselines3 needs torch (the `train` extra)")
pytest.importorskip("stable_baselines3", reason="stable-baselines3 is not installed (`dev` extra)")

import torch

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "supersuit_negotiate_sb3.py"


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("supersuit_negotiate_sb3", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_vec_env_has_one_slot_per_agent_and_game(example: ModuleType) -> None:
    vec = example.make_vec_env(3, seed=0)
    assert vec.num_envs == 6
    assert vec.observation_space.shape == (22,)
    assert list(vec.action_space.nvec) == [3, 5, 5, 5]
    obs = vec.reset()
    assert obs.shape == (6, 22)
    vec.seed(0)
    again = vec.reset()
    vec.seed(0)
    np.testing.assert_array_equal(again, vec.reset())  # seeded resets repeat
    done_seen = False
    for _ in range(40):
        actions = np.stack([vec.action_space.sample() for _ in range(6)])
        obs, rewards, dones, _infos = vec.step(actions)
        assert obs.shape == (6, 22) and rewards.shape == (6,)
        done_seen = done_seen or bool(dones.any())
    assert done_seen  # games end and SuperSuit resets them
    vec.close()


def test_example_trains_and_evaluates_a_few_hundred_steps(example: ModuleType) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warnings from SuperSuit/SB3 on our spaces
        table = example.main(
            ["--timesteps", "256", "--copies", "2", "--n-steps", "64", "--episodes", "4"]
        )
    assert set(table) == {"random", "greedy", "fair", "self"}
    for result in table.values():
        assert len(result.outcomes) == 4
        assert all(-1.0 <= p <= 10.0 for p in result.points_a)

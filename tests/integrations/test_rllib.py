"""RLlib (new API stack) PPO on Snake-v0 through its native vector env, with 2 env runners.

Ray pins its own Gymnasium (ray 2.60: ``gymnasium==1.2.2``), which would replace the 1.4 of
the main environment, so Ray is not part of the default CI install and this module is skipped
without it. Run it in Ray's own virtual environment (docs/guides/rllib.md)::

    /work/venvs/ray/bin/python -m pytest tests/integrations/test_rllib.py -m "slow or not slow"

The config and connector checks take seconds; the training test starts a local Ray with two
env-runner actors (about a minute on 2 cores, mostly Ray's start-up) and is marked slow.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("torch", reason="RLlib's torch modules need torch (the `train` extra)")
pytest.importorskip(
    "ray.rllib",
    reason="ray[rllib] is not installed; it pins gymnasium==1.2.2, so it lives in its own "
    "virtual environment (see docs/guides/rllib.md)",
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rllib_snake_ppo.py"


def _example() -> Any:
    spec = importlib.util.spec_from_file_location(EXAMPLE.stem, EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_config_uses_the_vector_entry_point() -> None:
    example = _example()
    config = example.build_config(example.parse_args(["--env-runners", "2"]))
    config.validate()
    assert config.env == "rlnlp/Snake-v0"
    assert config.num_env_runners == 2
    assert gym.VectorizeMode(config.gym_env_vectorize_mode) is gym.VectorizeMode.VECTOR_ENTRY_POINT
    assert config.enable_rl_module_and_learner and config.enable_env_runner_and_connector_v2
    # RLlib's env runners call exactly this; the registry's vector_entry_point answers
    envs = gym.make_vec("rlnlp/Snake-v0", num_envs=3, vectorization_mode="vector_entry_point",
                        **config.env_config)  # fmt: skip
    assert type(envs).__name__ == "SnakeVectorEnv"
    envs.close()


@pytest.mark.parametrize("obs_mode", ["features", "channels"])
def test_float_observations_connector(obs_mode: str) -> None:
    example = _example()
    env = gym.make("rlnlp/Snake-v0", obs_mode=obs_mode)
    connector = example.FloatObservations()
    space = connector.recompute_output_observation_space(env.observation_space, env.action_space)
    obs, _ = env.reset(seed=0)
    out = connector.preprocess(obs, episode=None)
    assert out.dtype == np.float32 and space.contains(out)
    if obs_mode == "channels":
        assert out.shape == (10, 10, 3)
        np.testing.assert_array_equal(out[..., 0], obs[0])  # the head plane, now channel-last
    else:
        np.testing.assert_array_equal(out, obs)
    env.close()


@pytest.mark.slow
def test_ppo_two_env_runners_native_vector_env() -> None:
    import ray

    example = _example()
    args = example.parse_args(["--env-runners", "2", "--envs-per-runner", "4", "--batch", "512",
                               "--minibatch", "128", "--epochs", "2", "--num-cpus", "3",
                               "--eval-episodes", "5"])  # fmt: skip
    example.init_ray(args)
    algo = example.build_config(args).build_algo()
    try:
        kinds = algo.env_runner_group.foreach_env_runner(
            lambda runner: (type(runner.env.unwrapped).__name__, runner.env.num_envs),
            local_env_runner=False,
        )
        assert kinds == [("SnakeVectorEnv", 4), ("SnakeVectorEnv", 4)]
        results = [algo.train() for _ in range(2)]
        runners = results[-1]["env_runners"]
        assert runners["num_env_steps_sampled_lifetime"] >= 2 * 512
        assert runners["num_episodes_lifetime"] > 0
        assert np.isfinite(runners["episode_return_mean"])
        assert runners["snake_score"] >= 0.0
        scores = example.evaluate(algo, args)
        assert scores.shape == (5,) and np.all(scores >= 0)
    finally:
        algo.stop()
        ray.shutdown()

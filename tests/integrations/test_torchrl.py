"""TorchRL on Snake-v0: ``GymEnv`` / ``GymWrapper`` specs, both autoreset modes, a collector.

TorchRL wraps a single Gymnasium env with ``GymEnv(id, **kwargs)`` and a vector env with
``GymWrapper(vector_env)``; for vector envs it accepts ``AutoresetMode.SAME_STEP`` (it reads
``final_obs`` from the infos) and ``AutoresetMode.DISABLED`` (it resets done sub-envs itself
through ``reset(options={"reset_mask": ...})``), and refuses ``NEXT_STEP``. Both accepted modes
are checked here against the native batched env stepped directly with the same actions, so a
wrong final observation or a missed reset fails the test. The module is skipped when torchrl
is not installed (the ``integrations`` extra).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("torch", reason="torchrl needs torch (the `train` extra)")
pytest.importorskip(
    "torchrl", reason="torchrl is not installed (`pip install 'rl_nlp_envs[integrations]'`)"
)

import torch
from gymnasium.vector import AutoresetMode
from tensordict import TensorDict
from tensordict.nn import TensorDictModule
from torch import nn
from torchrl.collectors import Collector
from torchrl.envs import GymEnv, GymWrapper
from torchrl.envs.utils import check_env_specs
from torchrl.modules import ProbabilisticActor, ValueOperator
from torchrl.objectives import ClipPPOLoss
from torchrl.objectives.value import GAE

SNAKE = "rlnlp/Snake-v0"


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class FloatMLP(nn.Module):
    """A one-hidden-layer MLP over the int8 ``features`` observation (cast to float)."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_in, 32), nn.Tanh(), nn.Linear(32, n_out))

    def forward(self, observation: torch.Tensor) -> torch.Tensor:
        return self.net(observation.float())


@pytest.mark.parametrize("obs_mode", ["features", "channels", "grid"])
def test_gym_env_specs(obs_mode: str) -> None:
    env = GymEnv(SNAKE, obs_mode=obs_mode, categorical_action_encoding=True)
    check_env_specs(env, seed=0)
    single = gym.make(SNAKE, obs_mode=obs_mode)
    assert single.observation_space.shape is not None
    assert tuple(env.observation_spec["observation"].shape) == single.observation_space.shape
    assert env.action_spec.space.n == 4
    td = env.rollout(50, break_when_any_done=False)
    assert td.batch_size == torch.Size([50])
    assert td["next", "done"].any(), "50 random moves on a 10x10 board should end a game"
    env.close()


def test_gym_env_refuses_next_step_vector_env() -> None:
    venv = gym.make_vec(SNAKE, num_envs=2, autoreset_mode=AutoresetMode.NEXT_STEP)
    with pytest.raises(RuntimeError, match="SAME_STEP or DISABLED"):
        GymWrapper(venv)
    venv.close()


def _reference_rollout(
    mode: AutoresetMode, actions: np.ndarray, num_envs: int, obs_mode: str
) -> dict[str, np.ndarray]:
    """Step the native vector env directly with ``actions`` (T, N) as TorchRL should.

    Returns the observations before each step, and the next observations / rewards / dones,
    where a done sub-env's next observation is its final one (not the reset one).
    """
    venv = gym.make_vec(SNAKE, num_envs=num_envs, obs_mode=obs_mode, autoreset_mode=mode)
    obs, _ = venv.reset(seed=0)
    before, after, rewards, dones = [], [], [], []
    for action in actions:
        before.append(obs)
        obs, reward, terminated, truncated, info = venv.step(action)
        done = terminated | truncated
        final = obs.copy()
        if mode == AutoresetMode.SAME_STEP:
            for i in np.flatnonzero(done):
                final[i] = info["final_obs"][i]
        elif done.any():  # DISABLED: the caller resets what ended
            obs, _ = venv.reset(options={"reset_mask": done})
        after.append(final)
        rewards.append(reward)
        dones.append(done)
    venv.close()
    return {
        "obs": np.stack(before),
        "next_obs": np.stack(after),
        "reward": np.stack(rewards),
        "done": np.stack(dones),
    }


@pytest.mark.parametrize("mode", [AutoresetMode.SAME_STEP, AutoresetMode.DISABLED])
@pytest.mark.parametrize("obs_mode", ["features", "channels"])
def test_vector_env_autoreset_modes_match_direct_stepping(
    mode: AutoresetMode, obs_mode: str
) -> None:
    num_envs, steps = 4, 200
    venv = gym.make_vec(SNAKE, num_envs=num_envs, obs_mode=obs_mode, autoreset_mode=mode)
    env = GymWrapper(venv, categorical_action_encoding=True)
    assert env.batch_size == torch.Size([num_envs])
    check_env_specs(env, seed=0)

    torch.manual_seed(0)
    # an explicit all-True "_reset": after check_env_specs' rollout left some sub-envs done,
    # a bare reset() of TorchRL's SAME_STEP transform resets only those and continues the rest
    everyone = TensorDict({"_reset": torch.ones(num_envs, 1, dtype=torch.bool)}, [num_envs])
    td = env.reset(everyone, seed=0)
    rollout = env.rollout(steps, auto_reset=False, tensordict=td, break_when_any_done=False)
    assert rollout.batch_size == torch.Size([num_envs, steps])
    actions = rollout["action"].numpy().T  # (T, N)
    ref = _reference_rollout(mode, actions, num_envs, obs_mode)
    assert ref["done"].sum() >= 2, "random play should end several games in 200 steps"

    def time_major(key: Any) -> np.ndarray:
        return np.swapaxes(rollout[key].numpy(), 0, 1)

    np.testing.assert_array_equal(time_major("observation"), ref["obs"])
    np.testing.assert_array_equal(time_major(("next", "observation")), ref["next_obs"])
    np.testing.assert_array_equal(time_major(("next", "reward"))[..., 0], ref["reward"])
    np.testing.assert_array_equal(time_major(("next", "done"))[..., 0], ref["done"])
    env.close()


def test_sync_data_collector_and_one_ppo_update() -> None:
    """A few hundred frames from the native vector env through ``Collector`` (TorchRL >= 0.11's
    name for ``SyncDataCollector``), with a PPO update on each batch."""
    torch.manual_seed(0)
    num_envs, frames_per_batch, total_frames = 4, 128, 384
    venv = gym.make_vec(
        SNAKE, num_envs=num_envs, obs_mode="features", autoreset_mode=AutoresetMode.SAME_STEP
    )
    env = GymWrapper(venv, categorical_action_encoding=True)

    body = FloatMLP(11, 4)
    logits = TensorDictModule(body, in_keys=["observation"], out_keys=["logits"])
    policy = ProbabilisticActor(
        logits,
        in_keys=["logits"],
        distribution_class=torch.distributions.Categorical,
        spec=env.action_spec,
        return_log_prob=True,
    )
    critic = ValueOperator(FloatMLP(11, 1), in_keys=["observation"])
    advantage = GAE(gamma=0.99, lmbda=0.95, value_network=critic)
    loss_fn = ClipPPOLoss(policy, critic)
    optim = torch.optim.Adam(loss_fn.parameters(), lr=3e-4)
    before = [p.detach().clone() for p in body.parameters()]

    collector = Collector(
        env,
        policy,
        frames_per_batch=frames_per_batch,
        total_frames=total_frames,
        auto_register_policy_transforms=False,
    )
    frames, episodes = 0, 0
    for batch in collector:
        frames += batch.numel()
        episodes += int(batch["next", "done"].sum())
        assert set(batch["action"].unique().tolist()) <= {0, 1, 2, 3}
        with torch.no_grad():
            advantage(batch)
        losses = loss_fn(batch.reshape(-1))
        total = losses["loss_objective"] + losses["loss_critic"] + losses["loss_entropy"]
        assert torch.isfinite(total)
        optim.zero_grad()
        total.backward()
        optim.step()
    collector.shutdown()
    assert frames == total_frames
    assert episodes > 0
    assert any(not torch.equal(a, b) for a, b in zip(before, body.parameters(), strict=True))
    env.close()


@pytest.mark.parametrize("mode", ["same_step", "disabled"])
def test_ppo_example_runs_in_both_autoreset_modes(mode: str) -> None:
    path = Path(__file__).resolve().parents[2] / "examples" / "torchrl_snake_ppo.py"
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result = example.main(["--autoreset-mode", mode, "--total-frames", "512", "--num-envs", "4",
                           "--frames-per-batch", "256", "--minibatch", "128",
                           "--eval-episodes", "3"])  # fmt: skip
    assert result["frames"] == 512
    assert result["episodes"] > 0
    assert len(result["eval"]) == 3 and all(score >= 0 for score in result["eval"])

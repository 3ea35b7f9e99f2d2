"""Stable-Baselines3 and sb3-contrib on the registered envs: short smoke runs, not learning checks.

Every training run here is a few hundred steps, enough to go through SB3's rollout, update and
``predict`` paths with the env's real spaces. The module is skipped when stable-baselines3 (or
torch) is missing; the MaskablePPO tests are skipped on their own when sb3-contrib is missing.
"""

from __future__ import annotations

import importlib.util
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("torch", reason="stable-baselines3 needs torch (the `train` extra)")
pytest.importorskip("stable_baselines3", reason="stable-baselines3 is not installed (`dev` extra)")

import torch
from stable_baselines3 import DQN, PPO
from stable_baselines3.common.env_checker import check_env
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

SNAKE = "rlnlp/Snake-v0"
TRANSLATE = "rlnlp/Translate-v0"
# small token windows keep the Translate-v0 policy (a flat MLP over the ids) light
TRANSLATE_KWARGS: dict[str, Any] = {"max_prompt_tokens": 16, "max_response_tokens": 8}
# small PPO settings: one or two rollouts of a few hundred steps
PPO_KWARGS: dict[str, Any] = {"n_steps": 128, "batch_size": 64, "n_epochs": 2, "seed": 0}


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """Tiny networks gain nothing from threads on a shared 2-core machine; restore afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class SmallCNN(BaseFeaturesExtractor):
    """Two 3x3 convolutions (padding 1) for the 3 x size x size ``channels`` planes.

    SB3's NatureCNN needs images of at least 36x36; the board is 10x10.
    """

    def __init__(self, observation_space: gym.spaces.Box, features_dim: int = 64) -> None:
        super().__init__(observation_space, features_dim)
        channels = observation_space.shape[0]
        self.cnn = nn.Sequential(
            nn.Conv2d(channels, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            sample = torch.as_tensor(observation_space.sample()[None]).float()
            n_flat = self.cnn(sample).shape[1]
        self.linear = nn.Sequential(nn.Linear(n_flat, features_dim), nn.ReLU())

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        """(batch, C, S, S) floats in {0, 1} -> (batch, features_dim)."""
        return self.linear(self.cnn(observations))


def _assert_valid_prediction(model: Any, env: gym.Env[Any, Any], seed: int = 0) -> int:
    """``predict`` on a fresh reset observation gives an action inside the env's space."""
    obs, _ = env.reset(seed=seed)
    action, state = model.predict(obs, deterministic=True)
    assert state is None
    assert np.shape(action) == ()
    assert env.action_space.contains(int(action))
    return int(action)


# -- Snake-v0 ---------------------------------------------------------------------------------
def test_ppo_mlp_on_snake_features() -> None:
    env = gym.make(SNAKE, obs_mode="features")
    model = PPO("MlpPolicy", env, device="cpu", **PPO_KWARGS).learn(256)
    assert model.num_timesteps == 256
    _assert_valid_prediction(model, env)
    env.close()


def test_dqn_mlp_on_snake_features() -> None:
    env = gym.make(SNAKE, obs_mode="features")
    model = DQN("MlpPolicy", env, learning_starts=64, buffer_size=1_000, batch_size=32,
                train_freq=4, target_update_interval=100, seed=0, device="cpu")  # fmt: skip
    model.learn(300)
    assert model.num_timesteps == 300
    assert model._n_updates > 0
    _assert_valid_prediction(model, env)
    env.close()


def test_ppo_small_cnn_on_snake_channels() -> None:
    env = gym.make(SNAKE, obs_mode="channels")
    policy_kwargs = {
        "features_extractor_class": SmallCNN,
        "features_extractor_kwargs": {"features_dim": 64},
        # the planes are already 0/1: dividing by 255 would flatten them to ~0
        "normalize_images": False,
    }
    model = PPO("CnnPolicy", env, policy_kwargs=policy_kwargs, device="cpu", **PPO_KWARGS)
    model.learn(256)
    assert isinstance(model.policy.features_extractor, SmallCNN)
    # channel-first already: SB3 must not have wrapped the env in VecTransposeImage
    train_env = model.get_env()
    assert train_env is not None and train_env.observation_space.shape == (3, 10, 10)
    _assert_valid_prediction(model, env)
    env.close()


def test_dqn_small_cnn_on_snake_channels() -> None:
    env = gym.make(SNAKE, obs_mode="channels")
    policy_kwargs = {
        "features_extractor_class": SmallCNN,
        "features_extractor_kwargs": {"features_dim": 64},
        "normalize_images": False,
    }
    model = DQN("CnnPolicy", env, policy_kwargs=policy_kwargs, learning_starts=64,
                buffer_size=1_000, batch_size=32, train_freq=4, target_update_interval=100,
                seed=0, device="cpu")  # fmt: skip
    model.learn(300)
    assert model.num_timesteps == 300
    assert model._n_updates > 0
    assert isinstance(model.q_net.features_extractor, SmallCNN)
    assert isinstance(model.q_net_target.features_extractor, SmallCNN)
    train_env = model.get_env()
    assert train_env is not None and train_env.observation_space.shape == (3, 10, 10)
    _assert_valid_prediction(model, env)
    env.close()


@pytest.mark.parametrize("obs_mode", ["features", "channels"])
def test_sb3_snake_dqn_example_runs(obs_mode: str, tmp_path: Path) -> None:
    path = Path(__file__).resolve().parents[2] / "examples" / "sb3_snake_dqn.py"
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = tmp_path / "dqn"
    argv = ["--timesteps", "400", "--obs-mode", obs_mode, "--n-envs", "2",
            "--learning-starts", "100", "--episodes", "2", "--out", str(out)]  # fmt: skip
    mean = example.main(argv)
    assert mean >= 0.0
    loaded = DQN.load(out.with_suffix(".zip"), device="cpu")
    assert loaded.num_timesteps == 400


def test_ppo_on_make_vec_env_snake() -> None:
    venv = make_vec_env(SNAKE, n_envs=4, seed=0, env_kwargs={"obs_mode": "features"})
    model = PPO("MlpPolicy", venv, n_steps=64, batch_size=64, n_epochs=2, seed=0, device="cpu")
    model.learn(256)
    assert model.num_timesteps == 256
    obs: Any = venv.reset()
    actions, _ = model.predict(obs, deterministic=True)
    assert actions.shape == (4,)
    assert all(venv.action_space.contains(int(a)) for a in actions)
    venv.close()


# sb3's check_env warnings that are expected for these spaces, with the reason they are harmless
KNOWN_HARMLESS_WARNINGS: dict[str, list[str]] = {
    # a 2-D (size, size) board of codes 0..3: SB3 suggests flattening or a custom policy,
    # which is exactly what a user of the "grid" mode picks
    "grid": [r"unconventional shape"],
    "channels": [
        # the planes are binary (bounds 0..1, not 0..255): use normalize_images=False, as
        # test_ppo_small_cnn_on_snake_channels does
        r"upper and lower bounds are not in \[0, 255\]",
        # a 10x10 board is smaller than NatureCNN's 36x36 minimum: use a custom extractor
        r"minimal resolution for an image is 36x36",
    ],
    "features": [],
    "pixels": [],
}


@pytest.mark.parametrize("obs_mode", sorted(KNOWN_HARMLESS_WARNINGS))
def test_sb3_check_env_on_snake(obs_mode: str) -> None:
    env = gym.make(SNAKE, obs_mode=obs_mode)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, warn=True)
    known = [re.compile(pattern) for pattern in KNOWN_HARMLESS_WARNINGS[obs_mode]]
    unexpected = [
        f"{w.category.__name__}: {w.message}"
        for w in caught
        if not any(pattern.search(str(w.message)) for pattern in known)
    ]
    assert not unexpected, unexpected
    env.close()


def test_sb3_check_env_on_translate_token_mode() -> None:
    env = gym.make(TRANSLATE, **TRANSLATE_KWARGS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, warn=True)
    assert not [str(w.message) for w in caught]
    env.close()


# -- sb3-contrib MaskablePPO ---------------------------------------------------------------------
def _heading(features: np.ndarray) -> int:
    """The heading in a ``features`` observation: one-hot at 3..6 (up, right, down, left)."""
    return int(np.argmax(features[3:7]))


def test_maskable_ppo_on_snake_uses_action_masks() -> None:
    pytest.importorskip("sb3_contrib", reason="sb3-contrib is not installed (`dev` extra)")
    from sb3_contrib import MaskablePPO
    from sb3_contrib.common.maskable.utils import get_action_masks, is_masking_supported

    venv = make_vec_env(SNAKE, n_envs=2, seed=0, env_kwargs={"obs_mode": "features"})
    assert is_masking_supported(venv)
    obs: Any = venv.reset()
    rng = np.random.default_rng(0)
    for _ in range(50):  # through a few auto-resets too
        masks = get_action_masks(venv)
        assert masks.shape == (2, 4) and masks.dtype == bool
        for i in range(2):
            reversal = (_heading(obs[i]) + 2) % 4
            expected = np.ones(4, dtype=bool)
            expected[reversal] = False
            assert np.array_equal(masks[i], expected), (obs[i], masks[i])
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in masks])
        obs, _, _, _ = venv.step(actions)

    model = MaskablePPO("MlpPolicy", venv, n_steps=64, batch_size=64, n_epochs=2, seed=0,
                        device="cpu")  # fmt: skip
    model.learn(256)
    assert model.num_timesteps == 256

    env = gym.make(SNAKE, obs_mode="features")
    for seed in range(5):
        obs, info = env.reset(seed=seed)
        mask = env.get_wrapper_attr("action_masks")()
        assert np.array_equal(mask, info["action_mask"].astype(bool))
        action, _ = model.predict(obs, action_masks=mask, deterministic=True)
        assert mask[int(action)], "MaskablePPO chose the masked reversal"
    venv.close()
    env.close()


def test_maskable_ppo_on_translate_token_mode() -> None:
    pytest.importorskip("sb3_contrib", reason="sb3-contrib is not installed (`dev` extra)")
    from sb3_contrib import MaskablePPO

    env = gym.make(TRANSLATE, reward_mode="dense", **TRANSLATE_KWARGS)
    model = MaskablePPO("MultiInputPolicy", env, n_steps=64, batch_size=32, n_epochs=1, seed=0,
                        device="cpu")  # fmt: skip
    model.learn(64)
    obs, _ = env.reset(seed=0)
    mask = env.get_wrapper_attr("action_masks")()
    assert not mask.all(), "special tokens should be masked"
    action, _ = model.predict(obs, action_masks=mask, deterministic=True)
    assert mask[int(action)]
    env.close()


# -- Translate-v0 --------------------------------------------------------------------------------
def test_ppo_multi_input_on_translate_token_mode() -> None:
    env = gym.make(TRANSLATE, reward_mode="dense", **TRANSLATE_KWARGS)
    # the Box int64 ids go into the MLP as plain floats: fine for a smoke test
    model = PPO("MultiInputPolicy", env, n_steps=64, batch_size=32, n_epochs=2, seed=0,
                device="cpu")  # fmt: skip
    model.learn(192)
    assert model.num_timesteps == 192
    lengths = [episode["l"] for episode in model.ep_info_buffer or []]
    assert lengths and all(1 <= n <= TRANSLATE_KWARGS["max_response_tokens"] for n in lengths)
    token = _assert_valid_prediction(model, env)
    assert 0 <= token < env.get_wrapper_attr("tokenizer").vocab_size
    # and it can play a whole episode to a scored end
    obs, info = env.reset(seed=1)
    total = 0.0
    for _ in range(TRANSLATE_KWARGS["max_response_tokens"]):
        action, _ = model.predict(obs, deterministic=True)
        obs, reward, terminated, truncated, info = env.step(action)
        total += float(reward)
        if terminated or truncated:
            break
    assert terminated or truncated
    assert total == pytest.approx(info["score"])  # dense rewards sum to the final BLEU
    env.close()

"""RL fine-tuning of text policies: rollouts through the VectorEnv API, GAE, KL control, PPO,
REINFORCE, local pretrained models."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import gymnasium as gym
import torch

import rl_nlp_envs  # noqa: F401
from rl_nlp_envs.agents.seq2seq import SmallModelConfig, TextPolicy, build_small_model
from rl_nlp_envs.agents.text_rl import (
    AdaptiveKLController,
    PPOAgent,
    ReinforceAgent,
    RLConfig,
    RolloutCollector,
    gae_advantages,
    greedy_returns,
    rl_update,
)
from tests.agents.test_seq2seq import TINY_MODEL, save_tiny_pretrained

TINY_ENV: dict[str, Any] = {"max_response_tokens": 8}
TINY_RL: dict[str, Any] = {"num_envs": 3, "episodes_per_update": 6, "updates": 3, "eval_every": 2,
           "eval_examples": 4, "minibatch_size": 3, "epochs": 2}  # fmt: skip


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def test_gae_matches_a_hand_computation() -> None:
    rewards = torch.tensor([[0.0, 0.0, 1.0], [0.5, 0.0, 0.0]])
    values = torch.tensor([[0.1, 0.2, 0.3], [0.4, 0.0, 0.0]])
    mask = torch.tensor([[1, 1, 1], [1, 0, 0]])
    adv, ret = gae_advantages(rewards, values, mask, gamma=1.0, lam=0.5)
    d2 = 1.0 - 0.3
    d1 = 0.0 + 0.3 - 0.2
    d0 = 0.0 + 0.2 - 0.1
    expected = [d0 + 0.5 * (d1 + 0.5 * d2), d1 + 0.5 * d2, d2]
    torch.testing.assert_close(adv[0], torch.tensor(expected))
    torch.testing.assert_close(adv[1], torch.tensor([0.5 - 0.4, 0.0, 0.0]))
    torch.testing.assert_close(ret, (adv + values) * mask)


def test_adaptive_kl_controller_moves_towards_the_target() -> None:
    ctl = AdaptiveKLController(0.1, target=1.0, horizon=100)
    assert ctl.update(5.0, 10) == pytest.approx(0.1 * 1.02)
    assert ctl.update(0.0, 10) == pytest.approx(0.1 * 1.02 * 0.98)
    fixed = AdaptiveKLController(0.1, target=None, horizon=100)
    assert fixed.update(5.0, 10) == 0.1
    with pytest.raises(ValueError, match=">= 0"):
        AdaptiveKLController(-1.0, 1.0, 10)


def test_config_refuses_unknown_algorithm() -> None:
    with pytest.raises(ValueError, match="ppo, reinforce"):
        RLConfig(algorithm="dpo")
    with pytest.raises(ValueError, match="unknown baseline 'mean'; choose one of: value, greedy"):
        RLConfig(baseline="mean")


def _tiny_policy(tok: Any, value_head: bool = False) -> TextPolicy:
    torch.manual_seed(0)
    policy = TextPolicy(build_small_model(tok, SmallModelConfig(**TINY_MODEL)), tok, value_head)
    policy.train(False)
    return policy


def test_greedy_returns_replay_each_episodes_example() -> None:
    """The self-critical baseline of an episode is the env return of the policy's greedy
    answer to the same example (decoded alone here, in a batch there)."""
    from rl_nlp_envs.agents.seq2seq import generate

    envs = gym.make_vec("rlnlp/Translate-v0", num_envs=3, reward_mode="dense", **TINY_ENV)
    single: Any = gym.make("rlnlp/Translate-v0", reward_mode="dense", **TINY_ENV)
    policy = _tiny_policy(single.unwrapped.tokenizer)
    episodes = RolloutCollector(envs, policy, seed=0).collect(6)
    baseline = greedy_returns(policy, single, episodes)
    assert baseline.shape == (len(episodes),)
    for episode, value in zip(episodes, baseline, strict=True):
        assert episode.split == "train" and episode.index >= 0
        obs, _ = single.reset(options={"split": episode.split, "index": episode.index})
        np.testing.assert_array_equal(obs["prompt_ids"][: len(episode.prompt_ids)],
                                      episode.prompt_ids)  # fmt: skip
        ids, mask = obs["prompt_ids"][None], obs["prompt_mask"][None].astype(np.int64)
        tokens = generate(policy, ids, mask, TINY_ENV["max_response_tokens"])[0]
        total = sum(float(single.step(t)[1]) for t in tokens)
        assert value == pytest.approx(total, abs=1e-9)
    envs.close()


def test_self_critical_update_ignores_answers_equal_to_the_baseline() -> None:
    """With the greedy baseline, an episode scoring exactly its baseline has advantage 0:
    without a KL penalty the update leaves the policy unchanged; a better one moves it."""
    envs = gym.make_vec("rlnlp/Translate-v0", num_envs=3, reward_fn="chrf", **TINY_ENV)
    policy = _tiny_policy(envs.unwrapped.tokenizer, value_head=True)
    episodes = RolloutCollector(envs, policy, seed=0).collect(6)
    returns = np.array([sum(e.rewards) for e in episodes])
    config = RLConfig(baseline="greedy", kl_coef=0.0, target_kl=None, epochs=1,
                      minibatch_size=3, algorithm="reinforce")  # fmt: skip
    reference = policy.frozen_copy()
    before = {k: v.clone() for k, v in policy.model.state_dict().items()}
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    kl = AdaptiveKLController(0.0, None, 10)
    stats = rl_update(policy, reference, episodes, optimizer, kl, config, rng, returns)
    assert stats["pg_loss"] == 0.0 and stats["greedy_return"] == pytest.approx(returns.mean())
    for k, v in policy.model.state_dict().items():
        assert torch.equal(before[k], v), k
    stats = rl_update(policy, reference, episodes, optimizer, kl, config, rng, returns - 1.0)
    assert any(not torch.equal(before[k], v) for k, v in policy.model.state_dict().items())
    with pytest.raises(ValueError, match="one greedy return per episode"):
        rl_update(policy, reference, episodes, optimizer, kl, config, rng, returns[:2])
    envs.close()


@pytest.mark.parametrize("mode", ["sync", None])
def test_collector_episodes_replay_to_the_same_scores(mode: str | None) -> None:
    """Episodes collected through the VectorEnv API (autoreset steps skipped) are complete:
    replaying their tokens in a fresh env gives the same score and rewards."""
    kwargs: dict[str, Any] = {} if mode is None else {"vectorization_mode": mode}
    envs = gym.make_vec("rlnlp/Translate-v0", num_envs=3, reward_mode="dense", **TINY_ENV,
                        **kwargs)  # fmt: skip
    single: Any = gym.make("rlnlp/Translate-v0", reward_mode="dense", **TINY_ENV)
    tok = single.unwrapped.tokenizer
    torch.manual_seed(0)
    policy = TextPolicy(build_small_model(tok, SmallModelConfig(**TINY_MODEL)), tok)
    policy.train(False)
    collector = RolloutCollector(envs, policy, seed=0)
    episodes = collector.collect(7) + collector.collect(4)
    assert len(episodes) >= 11
    eos = tok.eos_id
    prompts = {}
    for i, example in enumerate(single.unwrapped.task.split("train")):
        prompts[tuple(tok.encode(example.prompt)[:128])] = i
    for episode in episodes:
        assert len(episode.actions) == len(episode.logps) == len(episode.rewards) >= 1
        assert len(episode.actions) == 8 or episode.actions[-1] == eos
        assert all(lp <= 0 for lp in episode.logps)
        index = prompts[tuple(episode.prompt_ids.tolist())]
        single.reset(options={"split": "train", "index": index})
        rewards = [float(single.step(a)[1]) for a in episode.actions]
        np.testing.assert_allclose(rewards, episode.rewards, atol=1e-9)
    envs.close()


def _tiny_agent(cls: type, **kwargs: Any) -> Any:
    env = gym.make("rlnlp/Translate-v0", **TINY_ENV)
    return cls(env, seed=0, env_kwargs=dict(TINY_ENV), model_config=TINY_MODEL,
               supervised={"epochs": 1, "eval_every": 0}, rl=dict(TINY_RL), **kwargs)  # fmt: skip


@pytest.mark.parametrize("baseline", ["value", "greedy"])
@pytest.mark.parametrize("cls", [PPOAgent, ReinforceAgent])
def test_tiny_pipeline_runs_and_logs(cls: type, baseline: str, tmp_path: Path) -> None:
    agent = _tiny_agent(cls)
    agent.rl.baseline = baseline
    before = {k: v.clone() for k, v in agent.policy.model.state_dict().items()}
    stats = agent.learn(0, progress=False, tensorboard_dir=tmp_path / "tb",
                        curve_path=tmp_path / "curve.png")  # fmt: skip
    history = stats["rl"]["history"]
    assert [row["update"] for row in history] == [0, 1, 2, 3]
    assert "val_bleu" in history[2] and "val_bleu" in history[3]
    for key in ("reward", "kl", "kl_coef", "entropy", "pg_loss", "vf_loss"):
        assert np.isfinite(history[1][key])
    assert ("greedy_return" in history[1]) is (baseline == "greedy")
    assert (tmp_path / "curve.png").stat().st_size > 0
    assert any((tmp_path / "tb").iterdir())
    changed = any(not torch.equal(before[k], v) for k, v in agent.policy.model.state_dict().items())
    assert changed  # supervised steps at least
    agent.save(tmp_path / "ckpt")
    again = _tiny_agent(cls).load(tmp_path / "ckpt")
    for k, v in agent.policy.state().items():
        np.testing.assert_array_equal(again.policy.state()[k], v)


def test_ppo_from_a_supervised_checkpoint(tmp_path: Path) -> None:
    from rl_nlp_envs.agents.seq2seq import Seq2SeqAgent

    # chrF: non-zero rewards even for a barely trained model
    env_kwargs: dict[str, Any] = {**TINY_ENV, "reward_fn": "chrf"}
    env = gym.make("rlnlp/Translate-v0", **env_kwargs)
    start = Seq2SeqAgent(env, seed=0, model_config=TINY_MODEL, supervised={"eval_every": 0})
    start.learn(3, progress=False)
    start.save(tmp_path / "start")
    rl = {**TINY_RL, "updates": 2, "keep_best": False, "learning_rate": 1e-3}
    agent = PPOAgent(env, seed=0, start=tmp_path / "start", env_kwargs=env_kwargs, rl=rl)
    for k, v in start.policy.state().items():
        np.testing.assert_array_equal(agent.policy.state()[k], v)
    stats = agent.learn(0, progress=False)
    assert "supervised" not in stats
    assert stats["rl"]["updates"] == 2
    assert any(not np.array_equal(agent.policy.state()[k], v)
               for k, v in start.policy.state().items())  # fmt: skip


@pytest.mark.parametrize("causal", [False, True])
def test_ppo_fine_tunes_a_local_pretrained_model(tmp_path: Path, causal: bool) -> None:
    folder = save_tiny_pretrained(tmp_path / "model", causal)
    env = gym.make("rlnlp/Translate-v0", tokenizer=str(folder), **TINY_ENV)
    kwargs: dict[str, Any] = {**TINY_ENV, "tokenizer": str(folder)}
    agent = PPOAgent(env, seed=0, model=str(folder), env_kwargs=kwargs,
                     supervised={"epochs": 0, "eval_every": 0},
                     rl={**TINY_RL, "updates": 2, "eval_every": 0})  # fmt: skip
    stats = agent.learn(0, progress=False)
    assert stats["rl"]["updates"] == 2
    assert agent.policy.is_encoder_decoder is (not causal)


@pytest.mark.parametrize("env_id", ["rlnlp/Summarize-v0", "rlnlp/QA-v0"])
def test_tiny_pipeline_on_other_tasks(env_id: str) -> None:
    env = gym.make(env_id, **TINY_ENV)
    agent = PPOAgent(env, seed=0, env_kwargs=dict(TINY_ENV), model_config=TINY_MODEL,
                     supervised={"epochs": 1, "eval_every": 0},
                     rl={**TINY_RL, "updates": 1, "eval_every": 1})  # fmt: skip
    stats = agent.learn(0, progress=False)
    assert stats["rl"]["updates"] == 1


@pytest.mark.slow
def test_translate_rl_improves_over_supervised() -> None:
    """The headline result on one seed (the README table averages three, see
    scripts/run_text_rl.py): PPO gains corpus BLEU over its supervised start on the test split."""
    os.environ.setdefault("RLNLP_NO_PROGRESS", "1")
    from scripts.run_text_rl import run_seed

    row = run_seed("rlnlp/Translate-v0", "ppo", seed=0)
    assert row["rl"]["bleu"] > row["supervised"]["bleu"]
    assert row["rl"]["chrf"] >= row["supervised"]["chrf"] - 0.5

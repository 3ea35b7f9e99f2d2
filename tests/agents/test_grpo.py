"""GRPO fine-tuning of the LLM agent, on a tiny random Llama (fast)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import torch

import rl_nlp_envs  # noqa: F401
from rl_nlp_envs.agents.grpo import (
    GRPOConfig,
    GRPOTrainer,
    group_advantages,
    sequence_logprobs,
    trainable_parameters,
)
from rl_nlp_envs.agents.llm import LLMAgent


def make_tiny_model(folder: Path) -> Path:
    """A randomly initialised three-layer Llama over the bundled tokenizer (no chat template)."""
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from rl_nlp_envs.core.tokenizer import bundled_tokenizer_path

    specials = {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}
    hf = PreTrainedTokenizerFast(tokenizer_file=str(bundled_tokenizer_path()), **specials)
    config = LlamaConfig(vocab_size=len(hf), hidden_size=16, intermediate_size=32,
                         num_hidden_layers=3, num_attention_heads=2, num_key_value_heads=1,
                         max_position_embeddings=4096, tie_word_embeddings=True,
                         bos_token_id=hf.bos_token_id, eos_token_id=hf.eos_token_id,
                         pad_token_id=hf.pad_token_id)  # fmt: skip
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(str(folder))
    hf.save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny-llama"))


def length_reward(hypothesis: str, references: Any) -> float:
    """A reward that varies between sampled answers of a random model: their length."""
    return float(len(hypothesis))


def make_agent(tiny_dir: Path) -> tuple[LLMAgent, gym.Env[Any, Any]]:
    env = gym.make("rlnlp/QA-v0", action_mode="text", reward_fn=length_reward)
    return LLMAgent(env, seed=0, model=tiny_dir, max_new_tokens=6), env


def test_group_advantages() -> None:
    adv = group_advantages(np.array([1.0, 0.0, 0.0, 1.0]))
    assert adv.mean() == pytest.approx(0.0) and adv[0] > 0 > adv[1]
    assert np.abs(adv).max() == pytest.approx(1.0, abs=1e-3)  # divided by the std
    np.testing.assert_allclose(group_advantages(np.array([3.0, 1.0]), scale_by_std=False),
                               [1.0, -1.0])  # fmt: skip
    assert not group_advantages(np.array([0.5, 0.5, 0.5])).any()


def test_config_is_validated() -> None:
    for bad in ({"group_size": 1}, {"steps": 0}, {"train_layers": -1}, {"learning_rate": 0.0}):
        with pytest.raises(ValueError):
            GRPOConfig(**bad)  # type: ignore[arg-type]


def test_trainable_parameters_are_the_last_layers(tiny_dir: Path) -> None:
    agent, _ = make_agent(tiny_dir)
    model = agent.model
    params = trainable_parameters(model, 1)
    last = {id(p) for p in model.model.layers[-1].parameters()} | {
        id(p) for p in model.model.norm.parameters()
    }
    assert {id(p) for p in params} == last
    assert not model.model.embed_tokens.weight.requires_grad
    assert not any(p.requires_grad for p in model.model.layers[0].parameters())
    with pytest.raises(ValueError, match="has 3 layers"):
        trainable_parameters(model, 4)
    assert len(trainable_parameters(model, 0)) == len(list(model.parameters()))


def test_sequence_logprobs_match_a_full_forward(tiny_dir: Path) -> None:
    agent, _ = make_agent(tiny_dir)
    model = agent.model
    prompt, completions = [5, 6, 7, 8], [[9, 10, 11], [12]]
    logp, mask = sequence_logprobs(model, prompt, completions)
    assert logp.shape == (2, 3) and mask.tolist() == [[1, 1, 1], [1, 0, 0]]
    with torch.no_grad():
        full = torch.log_softmax(model(torch.tensor([prompt + completions[0]])).logits, -1)[0]
    expected = [float(full[len(prompt) - 1 + k, t]) for k, t in enumerate(completions[0])]
    np.testing.assert_allclose(logp[0].detach().numpy(), expected, rtol=1e-4, atol=1e-5)
    assert float(logp[1, 1:].detach().abs().sum()) == 0.0


def test_one_step_updates_only_the_trained_layers(tiny_dir: Path) -> None:
    agent, env = make_agent(tiny_dir)
    trainer = GRPOTrainer(agent, env, GRPOConfig(steps=1, prompts_per_step=2, group_size=4,
                                                 learning_rate=1e-2, train_layers=1))  # fmt: skip
    before = {k: v.clone() for k, v in agent.model.state_dict().items()}
    stats = trainer.step()
    after = agent.model.state_dict()
    assert stats["groups_used"] >= 1 and trainer.env_steps == 8
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(k.startswith(("model.layers.2.", "model.norm.")) for k in changed)
    # the KL reference stays the starting model
    for k, v in trainer.reference.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_rewards_come_from_the_env(tiny_dir: Path) -> None:
    seen: list[tuple[str, tuple[str, ...]]] = []

    def spy(hypothesis: str, references: Any) -> float:
        seen.append((hypothesis, tuple(references)))
        return 0.25

    env = gym.make("rlnlp/QA-v0", action_mode="text", reward_fn=spy, reward_scale=2.0)
    agent = LLMAgent(env, seed=0, model=tiny_dir, max_new_tokens=3)
    config = GRPOConfig(steps=1, prompts_per_step=1, group_size=2, train_layers=1)
    trainer = GRPOTrainer(agent, env, config)
    assert trainer.reward(4, "an answer") == 0.5
    train = env.unwrapped.task.split("train")
    assert seen[-1] == ("an answer", tuple(train[4].references))
    stats = trainer.step()  # equal rewards: no signal, no update
    assert stats["groups_used"] == 0.0 and stats["reward"] == 0.5


def test_learn_and_save_the_fine_tuned_model(tiny_dir: Path, tmp_path: Path) -> None:
    agent, env = make_agent(tiny_dir)
    stats = agent.learn(8, seed=1, progress=False, prompts_per_step=1, group_size=4,
                        learning_rate=1e-2, train_layers=1)  # fmt: skip
    assert stats["steps"] == 8 and stats["updates"] == 2 and len(stats["history"]) == 2
    with pytest.raises(ValueError, match="unknown GRPO option"):
        agent.learn(8, warmup=3)
    folder = agent.save(tmp_path / "tuned")
    again = LLMAgent(env, model=folder)
    for (name, a), b in zip(agent.model.state_dict().items(),
                            again.model.state_dict().values(), strict=True):  # fmt: skip
        assert torch.equal(a, b), name


def test_before_after_script(tiny_dir: Path, tmp_path: Path) -> None:
    """``scripts/run_llm_grpo.py`` scores, fine-tunes, scores again and writes the numbers."""
    import json

    from scripts.run_llm_grpo import main

    out = tmp_path / "run"
    assert main(["--model", str(tiny_dir), "--steps", "1", "--limit", "2", "--threads", "1",
                 "--train-layers", "1", "--out", str(out)]) == 0  # fmt: skip
    results = json.loads((out / "results.json").read_text())
    assert results["updates"] == 1 and results["limit"] == 2
    assert set(results["before"]) == set(results["after"]) == {"f1", "exact_match"}
    assert (out / "grpo.png").stat().st_size > 0
    assert (out / "agent" / "agent.json").exists()

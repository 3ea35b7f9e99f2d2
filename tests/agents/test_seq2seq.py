"""The small seq2seq transformer: shapes, masking, supervised training, decoding, checkpoints."""

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
from rl_nlp_envs.agents.evaluate import evaluate_split
from rl_nlp_envs.agents.seq2seq import (
    Seq2SeqAgent,
    SmallModelConfig,
    TextPolicy,
    build_small_model,
    decode_split,
    generate,
    load_pretrained,
    split_pairs,
)
from rl_nlp_envs.core.tokenizer import load_tokenizer

TINY_MODEL = {"d_model": 32, "ffn": 64, "heads": 2, "layers": 1}
TINY_ENV: dict[str, Any] = {"max_response_tokens": 12}


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def tiny_env(env_id: str = "rlnlp/Translate-v0", **kwargs: Any) -> Any:
    return gym.make(env_id, **{**TINY_ENV, **kwargs})


def save_tiny_pretrained(folder: Path, causal: bool) -> Path:
    """A randomly initialised Hugging Face model + the bundled tokenizer, via save_pretrained."""
    import transformers

    tok = load_tokenizer()
    if causal:
        config = transformers.GPT2Config(
            vocab_size=tok.vocab_size, n_embd=32, n_layer=1, n_head=2, n_positions=256,
            bos_token_id=tok.bos_id, eos_token_id=tok.eos_id, pad_token_id=tok.pad_id,
        )  # fmt: skip
        model = transformers.GPT2LMHeadModel(config)
    else:
        model = build_small_model(tok, SmallModelConfig(**TINY_MODEL))
    model.save_pretrained(str(folder))
    tok.hf.save_pretrained(str(folder))
    return folder


def test_small_model_size_and_tied_embeddings() -> None:
    model = build_small_model(load_tokenizer())
    params = sum(p.numel() for p in model.parameters())
    assert 1_000_000 < params < 10_000_000
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight


def test_policy_masks_illegal_tokens_and_matches_env_vocab() -> None:
    env = tiny_env()
    tok = env.unwrapped.tokenizer
    policy = TextPolicy(build_small_model(tok, SmallModelConfig(**TINY_MODEL)), tok)
    obs, _ = env.reset(seed=0)
    batch = {k: v[None] for k, v in obs.items()}
    logits, _ = policy.next_logits(batch)
    assert logits.shape == (1, env.action_space.n)
    assert (logits[0, tok.never_legal] < -1e8).all()
    assert logits[0, tok.eos_id] > -1e8


def test_step_logits_equal_teacher_forced_logits() -> None:
    """The per-step path (cached encoder, observation) and the batched path agree."""
    env = tiny_env()
    tok = env.unwrapped.tokenizer
    torch.manual_seed(0)
    policy = TextPolicy(build_small_model(tok, SmallModelConfig(**TINY_MODEL)), tok)
    policy.train(False)
    obs, _ = env.reset(seed=3)
    steps = []
    actions = [5, 17, 40, 99]
    for a in actions:
        batch = {k: v[None] for k, v in obs.items()}
        states = policy.encode(torch.from_numpy(batch["prompt_ids"]),
                               torch.from_numpy(batch["prompt_mask"].astype(np.int64)))  # fmt: skip
        logits, _ = policy.next_logits(batch, states)
        steps.append(logits[0])
        obs, *_ = env.step(a)
    p_ids = torch.from_numpy(obs["prompt_ids"][None])
    p_mask = torch.from_numpy(obs["prompt_mask"][None].astype(np.int64))
    full, _ = policy.forward(p_ids, p_mask, torch.tensor([actions]), torch.ones(1, 4))
    torch.testing.assert_close(torch.stack(steps), full[0], atol=1e-4, rtol=1e-4)


def test_split_pairs_follow_the_env_tokenisation() -> None:
    env = tiny_env()
    pairs = split_pairs(env, "train")
    assert len(pairs.prompt_ids) == len(env.unwrapped.task.split("train"))
    assert pairs.target_mask.sum(1).max() <= 12
    eos = env.unwrapped.tokenizer.eos_id
    last = pairs.target_ids[np.arange(len(pairs.target_ids)), pairs.target_mask.sum(1) - 1]
    assert (last == eos).all()


def test_supervised_training_lowers_the_loss_and_decodes(tmp_path: Path) -> None:
    env = tiny_env()
    supervised = {"eval_every": 0, "learning_rate": 3e-3, "warmup_steps": 1}
    agent = Seq2SeqAgent(env, seed=0, model_config=TINY_MODEL, supervised=supervised)
    first = agent.learn(1, progress=False)["loss"]
    last = agent.learn(12, progress=False)["loss"]
    assert last < first
    result = decode_split(agent.policy, env, "test", limit=5, progress=False)
    assert len(result.hypotheses) == 5 and set(result.corpus) == {"bleu", "chrf"}
    # the agent's act() (one env step at a time) gives the same answers as batched decoding
    stepped = evaluate_split(agent, env, "test", limit=5, progress=False)
    assert stepped.hypotheses == result.hypotheses
    agent.save(tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "weights.safetensors").exists()
    again = Seq2SeqAgent(env, seed=1, model_config=TINY_MODEL)
    again.load(tmp_path / "ckpt")
    assert decode_split(again.policy, env, "test", limit=5, progress=False).hypotheses == (
        result.hypotheses
    )


def test_sampling_decoding_is_seeded() -> None:
    env = tiny_env()
    agent = Seq2SeqAgent(env, seed=0, model_config=TINY_MODEL)
    a = decode_split(agent.policy, env, "test", limit=4, greedy=False, seed=1, progress=False)
    b = decode_split(agent.policy, env, "test", limit=4, greedy=False, seed=1, progress=False)
    assert a.hypotheses == b.hypotheses


def test_generate_stops_at_eos() -> None:
    env = tiny_env()
    tok = env.unwrapped.tokenizer
    policy = TextPolicy(build_small_model(tok, SmallModelConfig(**TINY_MODEL)), tok)
    policy.legal[:] = False  # only end-of-sequence left to choose
    policy.legal[tok.eos_id] = True
    pairs = split_pairs(env, "test")
    out = generate(policy, pairs.prompt_ids[:3], pairs.prompt_mask[:3], 12)
    assert out == [[tok.eos_id]] * 3


@pytest.mark.parametrize("causal", [False, True])
def test_local_pretrained_model(tmp_path: Path, causal: bool) -> None:
    folder = save_tiny_pretrained(tmp_path / "model", causal)
    env = tiny_env(tokenizer=str(folder))
    agent = Seq2SeqAgent(env, seed=0, model=str(folder), supervised={"eval_every": 0})
    assert agent.policy.is_encoder_decoder is (not causal)
    agent.learn(2, progress=False)
    result = decode_split(agent.policy, env, "validation", limit=3, progress=False)
    assert len(result.hypotheses) == 3


def test_bad_inputs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"config\.json"):
        load_pretrained(tmp_path)
    text_env = gym.make("rlnlp/Translate-v0", action_mode="text")
    with pytest.raises(ValueError, match="token mode"):
        Seq2SeqAgent(text_env)


@pytest.mark.slow
def test_supervised_translate_reaches_a_sensible_bleu() -> None:
    """The real supervised start: a few minutes of teacher forcing on 2 CPU cores."""
    os.environ.setdefault("RLNLP_NO_PROGRESS", "1")
    env = gym.make("rlnlp/Translate-v0")
    agent = Seq2SeqAgent(env, seed=0)
    agent.learn(0, progress=False, max_seconds=25 * 60)
    result = decode_split(agent.policy, env, "test", progress=False)
    assert result.corpus["bleu"] > 5.0


def test_cli_refuses_model_for_other_agents(capsys: pytest.CaptureFixture[str]) -> None:
    from rl_nlp_envs.cli import main

    assert main(["baseline", "rlnlp/Translate-v0", "--agent", "copy", "--model", "x"]) == 2
    assert "seq2seq, ppo and reinforce" in capsys.readouterr().err

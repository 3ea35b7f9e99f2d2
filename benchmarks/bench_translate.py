"""Translate-v0 throughput in token mode: sparse vs dense BLEU, and dense via sacrebleu.

Run: ``python benchmarks/bench_translate.py [--steps N]``. Every row is measured in this run on
the same random token stream. "dense, sacrebleu per prefix" re-scores each prefix with
``sacrebleu.sentence_bleu`` (what a naive dense reward costs); "dense, ours" uses the
bundled BLEU with the references prepared once per episode.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import gymnasium as gym
import numpy as np
import sacrebleu

import rl_nlp_envs  # noqa: F401


def sacrebleu_bleu(hypothesis: str, references: Sequence[str]) -> float:
    """sentence BLEU computed by sacrebleu itself (no caching)."""
    return float(sacrebleu.sentence_bleu(hypothesis, list(references)).score)


def rate(env: gym.Env, steps: int, seed: int = 0) -> float:  # type: ignore[type-arg]
    """Env steps per second with uniformly random legal tokens (EOS excluded: long episodes)."""
    tok = env.unwrapped.tokenizer  # type: ignore[attr-defined]
    legal = np.flatnonzero(env.unwrapped.action_masks())  # type: ignore[attr-defined]
    legal = legal[legal != tok.eos_id]
    actions = np.random.default_rng(seed).choice(legal, size=steps)
    env.reset(seed=seed)
    start = time.perf_counter()
    for a in actions:
        _, _, terminated, truncated, _ = env.step(int(a))
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=20_000)
    args = parser.parse_args()
    rows = [
        ("sparse BLEU", rate(gym.make("rlnlp/Translate-v0"), args.steps)),
        ("dense BLEU, ours", rate(gym.make("rlnlp/Translate-v0", reward_mode="dense"), args.steps)),
        (
            "dense BLEU, sacrebleu per prefix",
            rate(
                gym.make("rlnlp/Translate-v0", reward_mode="dense", reward_fn=sacrebleu_bleu),
                max(2000, args.steps // 5),
            ),
        ),
    ]
    print("| Translate-v0 en-de, token mode, random tokens | env steps/s |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value:,.0f} |")
    print(f"\ndense: ours is {rows[1][1] / rows[2][1]:.1f}x faster than re-scoring each prefix "
          "with sacrebleu")  # fmt: skip


if __name__ == "__main__":
    main()

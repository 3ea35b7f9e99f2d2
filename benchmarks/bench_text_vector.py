"""Native batched text env vs ``SyncVectorEnv``: env-steps per second in token mode.

Run: ``python benchmarks/bench_text_vector.py [--env rlnlp/Translate-v0] [--reward-mode sparse]
[--steps 200] [--sizes 16 64 256]``. Both vector envs are made by ``gymnasium.make_vec`` with
the same keyword arguments ("native": the registered ``vector_entry_point``; "sync":
``vectorization_mode="sync"``) and stepped with the same uniformly random legal tokens
(end-of-sequence excluded, so episodes run to the length cap, as in
``bench_text_envs.py``). Env-steps/s counts every sub-env step (vector steps x N); the
autoresets and the end-of-episode metrics are included in both timings. Both envs get the
same untimed warm-up; the best of ``--repeats`` timed runs is reported (the machine may be
shared). The native env keeps each example's encoded prompt and prepared references between
episodes (an LRU of ``example_cache_size`` examples); the single envs redo that work on every
reset. Hence two native columns: "cold" right after construction, "warm" after
``--warm-episodes`` episodes (a training run gets there within its first minute).
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np

import rl_nlp_envs  # noqa: F401


def rate(
    vec: gym.vector.VectorEnv, steps: int, legal: np.ndarray, warmup: int, repeats: int
) -> float:
    """Best env-steps/s of ``repeats`` runs of ``steps`` vector steps with random legal tokens,
    after ``warmup`` untimed steps (lazy imports, caches). Best-of: the machine is shared."""
    n = vec.num_envs
    rng = np.random.default_rng(0)
    vec.reset(seed=0)
    for _ in range(warmup):
        vec.step(rng.choice(legal, size=n))
    best = 0.0
    for _ in range(repeats):
        actions = rng.choice(legal, size=(steps, n))
        start = time.perf_counter()
        for a in actions:
            vec.step(a)
        best = max(best, steps * n / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", default="rlnlp/Translate-v0")
    parser.add_argument("--reward-mode", default="sparse", choices=["sparse", "dense"])
    parser.add_argument("--steps", type=int, default=200, help="vector steps per measurement")
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--warmup", type=int, default=64, help="untimed vector steps first")
    parser.add_argument(
        "--warm-episodes", type=int, default=3000,
        help="episodes the native env runs before its warm-cache measurement",
    )  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the best counts")
    args = parser.parse_args()
    kwargs = {"reward_mode": args.reward_mode}
    print(
        f"{args.env}, token mode, {args.reward_mode} rewards: env-steps/s, best of "
        f"{args.repeats} x {args.steps} vector steps after {args.warmup} warm-up steps; warm "
        f"cache: after {args.warm_episodes} episodes"
    )
    print("| N | SyncVectorEnv | native, cold cache | native, warm cache | speed-up cold | warm |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        native = gym.make_vec(args.env, num_envs=n, **kwargs)
        sync = gym.make_vec(args.env, num_envs=n, vectorization_mode="sync", **kwargs)
        core = native.unwrapped.core  # type: ignore[attr-defined]
        legal = np.flatnonzero(core._legal)
        legal = legal[legal != core.tokenizer.eos_id]
        slow = rate(sync, args.steps, legal, args.warmup, args.repeats)
        cold = rate(native, args.steps, legal, args.warmup, args.repeats)
        more = max(0, args.warm_episodes * core.max_response_tokens // n - args.warmup)
        warm = rate(native, args.steps, legal, more, args.repeats)
        print(
            f"| {n} | {slow:,.0f} | {cold:,.0f} | {warm:,.0f} | {cold / slow:.1f}x "
            f"| {warm / slow:.1f}x |"
        )
        native.close()
        sync.close()


if __name__ == "__main__":
    main()

"""Recommend-v0 throughput: the native batched env vs SyncVectorEnv of single envs.

Run: ``python benchmarks/bench_recommend.py [--quick]``. Prints a markdown table of user-steps
per second at N = 1, 256 and 4096 users; both columns come from this one run on this machine,
with uniformly random slates (repeats allowed) and the default settings.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import gymnasium as gym
import numpy as np

import rl_nlp_envs  # noqa: F401

ENV_ID = "rlnlp/Recommend-v0"


def _rate(step: Callable[[int], object], iterations: int, per_call: int) -> float:
    step(0)
    start = time.perf_counter()
    for t in range(iterations):
        step(t)
    return iterations * per_call / (time.perf_counter() - start)


def measure(n: int, seconds: float, mode: str) -> float:
    """User-steps/s of ``make_vec`` with the native vector entry point or ``sync``."""
    if mode == "native":
        vec = gym.make_vec(ENV_ID, num_envs=n)
    else:
        vec = gym.make_vec(ENV_ID, num_envs=n, vectorization_mode="sync")
    vec.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 10, (64, n, 2))
    probe = _rate(lambda t: vec.step(actions[t % 64]), 3, n)
    iterations = max(3, int(seconds * probe / n))
    rate = _rate(lambda t: vec.step(actions[t % 64]), iterations, n)
    vec.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="about 1 s per cell")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 256, 4096])
    args = parser.parse_args()
    seconds = 1.0 if args.quick else 4.0
    print("| N users | native batched (user-steps/s) | SyncVectorEnv (user-steps/s) | speed-up |")
    print("|---:|---:|---:|---:|")
    for n in args.sizes:
        native = measure(n, seconds, "native")
        sync = measure(n, seconds, "sync")
        print(f"| {n:,} | {native:,.0f} | {sync:,.0f} | {native / sync:.1f}x |", flush=True)


if __name__ == "__main__":
    main()

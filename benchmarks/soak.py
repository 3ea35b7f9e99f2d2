"""Soak test: a million steps of each environment, reporting resident memory growth.

Run: ``python benchmarks/soak.py [--steps 1000000]``. Random actions (legal tokens for text
envs); resident set size is read after a warm-up of 10% of the steps, at half-way and at the
end. Bounded caches (ROUGE's stem cache holds up to 65,536 words, and random tokens keep making
new "words") may still be filling after the warm-up; a leak keeps growing in the second half.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time

import gymnasium as gym

from rl_nlp_envs.registration import ENV_IDS


def rss_mib() -> float:
    """Current resident set size in MiB (Linux /proc; max RSS elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def soak(env_id: str, steps: int) -> tuple[float, float, float, float]:
    """(seconds, RSS after warm-up, RSS at half-way, RSS at the end) for ``steps`` steps."""
    env = gym.make(env_id)
    env.action_space.seed(0)
    env.reset(seed=0)
    warmup, half = steps // 10, steps // 2
    before = middle = 0.0
    start = time.perf_counter()
    for t in range(steps):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            env.reset()
        if t in (warmup, half):
            gc.collect()
            if t == warmup:
                before = rss_mib()
            else:
                middle = rss_mib()
    gc.collect()
    after = rss_mib()
    env.close()
    return time.perf_counter() - start, before, middle, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=1_000_000)
    args = parser.parse_args()
    print("| env | steps | seconds | RSS MiB after warm-up | at half-way | at end | "
          "growth in the second half |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for env_id in ENV_IDS:
        seconds, before, middle, after = soak(env_id, args.steps)
        print(f"| {env_id} | {args.steps:,} | {seconds:.0f} | {before:.1f} | {middle:.1f} | "
              f"{after:.1f} | {after - middle:+.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()

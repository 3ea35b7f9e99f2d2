"""Snake throughput: the native batched env vs SyncVectorEnv, jumanji, and single-env references.

Run: ``python benchmarks/bench_snake.py [--quick]``. Prints markdown tables. Every number of a
table comes from this one run on this machine, with uniformly random actions.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable

import gymnasium as gym
import numpy as np

import rl_nlp_envs  # noqa: F401
from rl_nlp_envs.envs.snake.env import SnakeEnv


def _rate(step: Callable[[int], object], iterations: int, per_call: int) -> float:
    step(0)  # warm-up (JIT compilation, caches)
    start = time.perf_counter()
    for t in range(iterations):
        step(t)
    return iterations * per_call / (time.perf_counter() - start)


def native(n: int, seconds: float, backend: str) -> float:
    """Env-steps/s of ``make_vec`` (the vector entry point)."""
    vec = gym.make_vec("rlnlp/Snake-v0", num_envs=n, backend=backend)
    vec.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 4, (256, n))
    probe = _rate(lambda t: vec.step(actions[t % 256]), 5, n)
    iterations = max(5, int(seconds * probe / n))
    return _rate(lambda t: vec.step(actions[t % 256]), iterations, n)


def sync(n: int, seconds: float) -> float:
    """Env-steps/s of ``SyncVectorEnv`` over the single env."""
    vec = gym.make_vec("rlnlp/Snake-v0", num_envs=n, vectorization_mode="sync")
    vec.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 4, (256, n))
    probe = _rate(lambda t: vec.step(actions[t % 256]), 3, n)
    iterations = max(3, int(seconds * probe / n))
    return _rate(lambda t: vec.step(actions[t % 256]), iterations, n)


def jumanji_rate(n: int, seconds: float) -> float | None:
    """Env-steps/s of jumanji's JAX Snake (vmap + jit), if jumanji is installed."""
    if importlib.util.find_spec("jumanji") is None:
        return None
    import jax
    import jax.numpy as jnp
    import jumanji

    env = jumanji.make("Snake-v1")
    keys = jax.random.split(jax.random.PRNGKey(0), n)
    state, _ = jax.jit(jax.vmap(env.reset))(keys)

    @jax.jit
    def step(state, key):  # type: ignore[no-untyped-def]
        actions = jax.random.randint(key, (n,), 0, 4)
        state, timestep = jax.vmap(env.step)(state, actions)
        # consume the observation so XLA cannot skip computing it
        return state, jnp.sum(timestep.observation.grid) + jnp.sum(timestep.reward)

    key = jax.random.PRNGKey(1)
    state, acc = step(state, key)
    acc.block_until_ready()
    iterations = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        key, sub = jax.random.split(key)
        state, acc = step(state, sub)
        iterations += 1
    acc.block_until_ready()
    return iterations * n / (time.perf_counter() - start)


def single_rates(steps: int) -> dict[str, float]:
    """Steps/s of one env: ours (unwrapped and through gym.make) and the references."""
    out: dict[str, float] = {}
    rng = np.random.default_rng(0)
    actions = rng.integers(0, 4, steps)

    def run(env: gym.Env) -> float:  # type: ignore[type-arg]
        env.reset(seed=0)

        def step(t: int) -> None:
            _, _, terminated, truncated, _ = env.step(int(actions[t % steps]))
            if terminated or truncated:
                env.reset()

        return _rate(step, steps, 1)

    out["rl_nlp_envs SnakeEnv (grid obs)"] = run(SnakeEnv())
    out["rl_nlp_envs SnakeEnv (features obs)"] = run(SnakeEnv(obs_mode="features"))
    out["rl_nlp_envs via gym.make (wrappers)"] = run(gym.make("rlnlp/Snake-v0"))
    if importlib.util.find_spec("gymnasium_snake_game") is not None:
        from gymnasium_snake_game.environment.snake_env import SnakeEnv as RefSnake

        out["gymnasium-snake-game 0.2 (pure Python)"] = run(RefSnake(width=10, height=10))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter timings")
    args = parser.parse_args()
    seconds = 0.5 if args.quick else 2.0
    has_numba = importlib.util.find_spec("numba") is not None
    print("## Batched Snake, 10x10, random actions: env-steps per second\n")
    header = (
        "| N | native (numba) | native (numpy) | SyncVectorEnv | jumanji (JAX) | numba / sync |"
    )
    print(header)
    print("|---|---|---|---|---|---|")
    for n in (1, 64, 1024, 4096):
        nb = native(n, seconds, "numba") if has_numba else float("nan")
        npy = native(n, seconds, "numpy")
        sy = sync(n, seconds)
        jx = jumanji_rate(n, seconds)
        jtext = f"{jx:,.0f}" if jx is not None else "not installed"
        print(f"| {n} | {nb:,.0f} | {npy:,.0f} | {sy:,.0f} | {jtext} | {nb / sy:,.1f}x |")
    print("\n## Single env: steps per second\n")
    print("| implementation | steps/s |")
    print("|---|---|")
    for name, rate in single_rates(20_000 if args.quick else 100_000).items():
        print(f"| {name} | {rate:,.0f} |")


if __name__ == "__main__":
    main()

"""RLlib (new API stack) PPO on ``rlnlp/Snake-v0`` with env runners on the native vector env.

    python examples/rllib_snake_ppo.py                                # 2 env runners, this machine
    python examples/rllib_snake_ppo.py --iterations 2 --envs-per-runner 8 --batch 1024
    python examples/rllib_snake_ppo.py --address auto --env-runners 32  # an existing Ray cluster

Every env runner (a Ray actor) builds its environments with ``gymnasium.make_vec``; with
``gym_env_vectorize_mode="vector_entry_point"`` that is Snake-v0's registered native batched
env (all ``--envs-per-runner`` games stepped by one numpy/numba call) instead of a
``SyncVectorEnv`` of single envs. The env runners sample in parallel; one local learner updates
the default MLP module. ``--address`` connects to a running cluster (``ray start --head`` on
one machine, ``ray start --address=HEAD:6379`` on the others), where the same config scales by
raising ``--env-runners`` (docs/guides/rllib.md). ``--ship-package`` sends this checkout of
``rl_nlp_envs`` to the workers in the job's ``runtime_env`` and registers its ids in each
worker process, for nodes that do not have the package installed.

Ray pins its own Gymnasium (ray 2.60: gymnasium==1.2.2): install it in its own virtual
environment (docs/guides/rllib.md). Prints one line per iteration (mean return and mean food
eaten of the episodes finished in it) and, at the end, a greedy evaluation over
``--eval-episodes`` games with seeds ``--eval-seed``, ``--eval-seed + 1``, ...
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import ray
import torch
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.callbacks.callbacks import RLlibCallback
from ray.rllib.connectors.env_to_module.observation_preprocessor import (
    SingleAgentObservationPreprocessor,
)
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

import rl_nlp_envs

ENV_ID = "rlnlp/Snake-v0"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line arguments."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--address", default=None, help="a Ray cluster (e.g. auto); default: local")
    p.add_argument("--ship-package", action="store_true", help="send rl_nlp_envs to the workers")
    p.add_argument("--num-cpus", type=int, default=None, help="local Ray only: CPUs to declare")
    p.add_argument("--env-runners", type=int, default=2)
    p.add_argument("--envs-per-runner", type=int, default=32)
    p.add_argument("--obs-mode", choices=["features", "channels"], default="features")
    p.add_argument("--iterations", type=int, default=30)
    p.add_argument("--batch", type=int, default=8192, help="train batch per learner (env steps)")
    p.add_argument("--minibatch", type=int, default=1024)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--entropy", type=float, default=0.01)
    p.add_argument("--hidden", type=int, nargs="+", default=[64, 64])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-episodes", type=int, default=100)
    p.add_argument("--eval-seed", type=int, default=1000)
    return p.parse_args(argv)


def to_float_obs(observation: np.ndarray) -> np.ndarray:
    """Snake-v0's int observations as RLlib's default encoders want them: float32, and the
    ``channels`` planes channel-last (RLlib's CNN encoder takes height x width x channels)."""
    out = np.asarray(observation, dtype=np.float32)
    return np.moveaxis(out, -3, -1) if out.ndim >= 3 else out


class FloatObservations(SingleAgentObservationPreprocessor):
    """Env-to-module connector: ``features`` (``MultiBinary(11)``, for which RLlib has no
    default encoder) and ``channels`` (``Box(0, 1, (3, S, S), uint8)``) become float Boxes."""

    def recompute_output_observation_space(
        self, input_observation_space: gym.Space[Any], input_action_space: gym.Space[Any]
    ) -> gym.Space[Any]:
        """The float Box the module sees."""
        sample = to_float_obs(np.zeros(input_observation_space.shape or (), dtype=np.int8))
        return gym.spaces.Box(0.0, 1.0, sample.shape, np.float32)

    def preprocess(self, observation: Any, episode: Any) -> np.ndarray:
        """One observation, as ``to_float_obs``."""
        return to_float_obs(observation)


class SnakeScore(RLlibCallback):
    """Logs the food eaten (``info["score"]``) of every finished episode as ``snake_score``."""

    def on_episode_end(self, *, episode: Any, metrics_logger: Any = None, **kwargs: Any) -> None:
        """Record the final score of an episode with the env runner's metrics."""
        infos = episode.get_infos()
        if metrics_logger is not None and infos:
            metrics_logger.log_value("snake_score", float(infos[-1]["score"]), reduce="mean")


def build_config(args: argparse.Namespace) -> PPOConfig:
    """The PPO config: the same object runs on one machine or on a cluster."""
    channels = args.obs_mode == "channels"
    model = DefaultModelConfig(
        fcnet_hiddens=args.hidden,
        conv_filters=[[16, [3, 3], 1], [32, [3, 3], 1]] if channels else None,
    )
    return (
        PPOConfig()
        .environment(ENV_ID, env_config={"obs_mode": args.obs_mode})
        .env_runners(
            num_env_runners=args.env_runners,
            num_envs_per_env_runner=args.envs_per_runner,
            gym_env_vectorize_mode=gym.VectorizeMode.VECTOR_ENTRY_POINT,
            num_cpus_per_env_runner=1,
            env_to_module_connector=lambda *args, **kwargs: FloatObservations(),
        )
        .training(
            train_batch_size_per_learner=args.batch,
            minibatch_size=args.minibatch,
            num_epochs=args.epochs,
            lr=args.lr,
            entropy_coeff=args.entropy,
            gamma=0.99,
        )
        .rl_module(model_config=model)
        .callbacks(SnakeScore)
        .debugging(seed=args.seed)
    )


def init_ray(args: argparse.Namespace) -> None:
    """Start a local Ray, or join a cluster; optionally ship this package to the workers."""
    runtime_env: dict[str, Any] = {"env_vars": {"OMP_NUM_THREADS": "1"}}
    if args.ship_package:
        runtime_env["py_modules"] = [str(Path(rl_nlp_envs.__file__).parent)]
        # a shipped package has no start-up hook: register the ids in every worker process
        runtime_env["worker_process_setup_hook"] = "rl_nlp_envs.registration.register_envs"
    if args.address:
        ray.init(address=args.address, runtime_env=runtime_env)
    else:
        ray.init(num_cpus=args.num_cpus, include_dashboard=False, runtime_env=runtime_env)


def evaluate(algo: Any, args: argparse.Namespace) -> np.ndarray:
    """Greedy games with the trained module, one per seed, on the native vector env."""
    module = algo.get_module()
    envs = gym.make_vec(
        ENV_ID, num_envs=args.eval_episodes, obs_mode=args.obs_mode,
        autoreset_mode=gym.vector.AutoresetMode.DISABLED,
    )  # fmt: skip
    obs, _ = envs.reset(seed=args.eval_seed)
    scores = np.full(args.eval_episodes, np.nan)
    running = np.ones(args.eval_episodes, dtype=bool)
    with torch.no_grad():
        while running.any():
            out = module.forward_inference({Columns.OBS: torch.as_tensor(to_float_obs(obs))})
            actions = out[Columns.ACTION_DIST_INPUTS].argmax(-1).numpy()
            obs, _, terminated, truncated, info = envs.step(actions)
            done = terminated | truncated
            ended = running & done
            scores[ended] = info["score"][ended]
            running &= ~ended
            if running.any() and done.any():
                obs, _ = envs.reset(options={"reset_mask": done})
    envs.close()
    return scores


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train for ``--iterations`` iterations, evaluate, print; returns the numbers printed."""
    args = parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)
    gym.register_envs(rl_nlp_envs)
    init_ray(args)
    algo = build_config(args).build_algo()
    history = []
    start = time.time()
    try:
        for iteration in range(1, args.iterations + 1):
            result = algo.train()
            runners = result["env_runners"]
            row = {
                "iteration": iteration,
                "env_steps": int(runners.get("num_env_steps_sampled_lifetime", 0)),
                "episodes": int(runners.get("num_episodes_lifetime", 0)),
                "return_mean": float(runners.get("episode_return_mean", float("nan"))),
                "score_mean": float(runners.get("snake_score", float("nan"))),
                "seconds": time.time() - start,
            }
            history.append(row)
            print(
                f"iter {iteration} env_steps {row['env_steps']} episodes {row['episodes']} "
                f"return {row['return_mean']:.2f} score {row['score_mean']:.2f} "
                f"({row['seconds']:.0f} s)",
                flush=True,
            )
        scores = evaluate(algo, args)
    finally:
        algo.stop()
        ray.shutdown()
    print(
        f"trained {history[-1]['env_steps']} steps in {history[-1]['seconds']:.1f} s with "
        f"{args.env_runners} env runners x {args.envs_per_runner} envs; "
        f"eval: score {scores.mean():.2f} +- {scores.std():.2f} over {len(scores)} episodes",
        flush=True,
    )
    return {"history": history, "eval_scores": scores.tolist()}


if __name__ == "__main__":
    main()

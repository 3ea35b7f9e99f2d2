"""TorchRL PPO on ``rlnlp/Snake-v0`` through the native batched vector env.

    python examples/torchrl_snake_ppo.py                               # 1M frames, features
    python examples/torchrl_snake_ppo.py --autoreset-mode disabled
    python examples/torchrl_snake_ppo.py --total-frames 1024 --num-envs 4 --frames-per-batch 256

``gymnasium.make_vec("rlnlp/Snake-v0", num_envs=N, autoreset_mode=...)`` builds the package's
native batched env and ``torchrl.envs.GymWrapper`` turns it into a TorchRL env of batch size
``[N]``. TorchRL takes two of Gymnasium's autoreset modes for vector envs: ``same_step`` (its
``VecGymEnvTransform`` reads the final observation from ``infos["final_obs"]``) and
``disabled`` (TorchRL resets the finished sub-envs itself through
``reset(options={"reset_mask": ...})``). Gymnasium's default ``next_step`` is refused by
TorchRL. Both accepted modes give the same transitions (tests/integrations/test_torchrl.py).

The rest is TorchRL's PPO recipe: a ``Collector`` gathers ``--frames-per-batch`` frames with a
``ProbabilisticActor`` (categorical over the 4 moves, with Snake-v0's illegal reversal masked
via ``info["action_mask"]`` when the env exposes it), ``GAE`` computes advantages and
``ClipPPOLoss`` is minimised over shuffled minibatches. The last line is a greedy evaluation
over ``--eval-episodes`` games with seeds ``--eval-seed``, ``--eval-seed + 1``, ...:
``eval: score MEAN +- STD over N episodes`` (food eaten). Needs ``torchrl`` (the
``integrations`` extra).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector import AutoresetMode
from tensordict.nn import TensorDictModule
from torch import nn
from torchrl.collectors import Collector
from torchrl.data import LazyTensorStorage, ReplayBuffer
from torchrl.data.replay_buffers.samplers import SamplerWithoutReplacement
from torchrl.envs import GymWrapper
from torchrl.modules import ProbabilisticActor, ValueOperator
from torchrl.objectives import ClipPPOLoss
from torchrl.objectives.value import GAE

ENV_ID = "rlnlp/Snake-v0"
MODES = {"same_step": AutoresetMode.SAME_STEP, "disabled": AutoresetMode.DISABLED}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line arguments."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--autoreset-mode", choices=sorted(MODES), default="same_step")
    p.add_argument("--num-envs", type=int, default=64)
    p.add_argument("--total-frames", type=int, default=1_000_000)
    p.add_argument("--frames-per-batch", type=int, default=8192)
    p.add_argument("--minibatch", type=int, default=2048)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--lmbda", type=float, default=0.95)
    p.add_argument("--clip", type=float, default=0.2)
    p.add_argument("--entropy", type=float, default=0.01)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-episodes", type=int, default=100)
    p.add_argument("--eval-seed", type=int, default=1000)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = p.parse_args(argv)
    if args.frames_per_batch % args.num_envs:
        p.error("--frames-per-batch must be a multiple of --num-envs")
    if args.frames_per_batch % args.minibatch:
        p.error("--frames-per-batch must be a multiple of --minibatch")
    return args


def make_env(num_envs: int, mode: AutoresetMode) -> GymWrapper:
    """The native batched Snake-v0 (``features``) as a TorchRL env of batch size [num_envs]."""
    venv = gym.make_vec(ENV_ID, num_envs=num_envs, obs_mode="features", autoreset_mode=mode)
    return GymWrapper(venv, categorical_action_encoding=True)


class MLP(nn.Module):
    """Two tanh layers over the int8 ``features`` (cast to float)."""

    def __init__(self, n_in: int, n_out: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
            nn.Linear(hidden, n_out),
        )  # fmt: skip

    def forward(self, observation: torch.Tensor) -> torch.Tensor:
        """(..., n_in) -> (..., n_out)."""
        return self.net(observation.float())


class MaskedLogits(nn.Module):
    """Policy logits with illegal moves at -inf when an ``action_mask`` is given."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(
        self, observation: torch.Tensor, action_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Logits of the 4 moves."""
        logits = self.body(observation)
        if action_mask is not None:
            logits = logits.masked_fill(action_mask == 0, float("-inf"))
        return logits


def build(env: GymWrapper, hidden: int) -> tuple[ProbabilisticActor, ValueOperator]:
    """Actor (with the action mask where the env's specs carry it) and critic."""
    n_in = int(env.observation_spec["observation"].shape[-1])
    # only SAME_STEP wraps the env in a transform that keeps the info entries as specs
    in_keys = ["observation"]
    if "action_mask" in set(env.observation_spec.keys()):
        in_keys.append("action_mask")
    logits = TensorDictModule(MaskedLogits(MLP(n_in, 4, hidden)), in_keys, ["logits"])
    actor = ProbabilisticActor(
        logits,
        in_keys=["logits"],
        distribution_class=torch.distributions.Categorical,
        spec=env.action_spec,
        return_log_prob=True,
    )
    critic = ValueOperator(MLP(n_in, 1, hidden), in_keys=["observation"])
    return actor, critic


def evaluate(actor: ProbabilisticActor, episodes: int, seed: int) -> np.ndarray:
    """Greedy games, one per seed ``seed + i``, on the native vector env; the food eaten."""
    envs = gym.make_vec(ENV_ID, num_envs=episodes, obs_mode="features",
                        autoreset_mode=AutoresetMode.DISABLED)  # fmt: skip
    module = actor.module[0].module
    obs, info = envs.reset(seed=seed)
    scores = np.full(episodes, np.nan)
    running = np.ones(episodes, dtype=bool)
    with torch.no_grad():
        while running.any():
            logits = module(torch.as_tensor(obs), torch.as_tensor(info["action_mask"]))
            obs, _, terminated, truncated, info = envs.step(logits.argmax(-1).numpy())
            done = terminated | truncated
            ended = running & done
            scores[ended] = info["score"][ended]
            running &= ~ended
            if running.any() and done.any():
                obs, info = envs.reset(options={"reset_mask": done})
    envs.close()
    return scores


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train, evaluate, print; returns the numbers printed."""
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    env = make_env(args.num_envs, MODES[args.autoreset_mode])
    env.set_seed(args.seed)
    actor, critic = build(env, args.hidden)
    advantage = GAE(gamma=args.gamma, lmbda=args.lmbda, value_network=critic)
    loss_fn = ClipPPOLoss(actor, critic, clip_epsilon=args.clip, entropy_coeff=args.entropy)
    optim = torch.optim.Adam(loss_fn.parameters(), lr=args.lr)
    collector = Collector(
        env,
        actor,
        frames_per_batch=args.frames_per_batch,
        total_frames=args.total_frames,
        auto_register_policy_transforms=False,
    )
    buffer = ReplayBuffer(
        storage=LazyTensorStorage(args.frames_per_batch),
        sampler=SamplerWithoutReplacement(),
        batch_size=args.minibatch,
    )
    frames, episodes = 0, 0
    recent: list[float] = []
    start = time.time()
    for iteration, batch in enumerate(collector, start=1):
        frames += batch.numel()
        done = batch["next", "done"].squeeze(-1)
        episodes += int(done.sum())
        scores = batch.get(("next", "score"), None)
        if scores is not None:
            recent = scores[done].tolist()[-100:] or recent
        with torch.no_grad():
            advantage(batch)
        buffer.extend(batch.reshape(-1))
        for _ in range(args.epochs):
            for _ in range(args.frames_per_batch // args.minibatch):
                losses = loss_fn(buffer.sample())
                loss = losses["loss_objective"] + losses["loss_critic"] + losses["loss_entropy"]
                optim.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(loss_fn.parameters(), 0.5)
                optim.step()
        collector.update_policy_weights_()
        score = f" score {np.mean(recent):.2f}" if recent else ""
        print(f"iter {iteration} frames {frames} episodes {episodes}{score} "
              f"fps {frames / (time.time() - start):.0f}", flush=True)  # fmt: skip
    collector.shutdown()
    env.close()
    seconds = time.time() - start
    scores = evaluate(actor, args.eval_episodes, args.eval_seed)
    print(
        f"trained {frames} frames ({args.autoreset_mode}) in {seconds:.1f} s; "
        f"eval: score {scores.mean():.2f} +- {scores.std():.2f} over {len(scores)} episodes",
        flush=True,
    )
    return {"frames": frames, "episodes": episodes, "seconds": seconds, "eval": scores.tolist()}


if __name__ == "__main__":
    main()

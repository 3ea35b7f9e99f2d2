"""Single-file PPO on ``rlnlp/Snake-v0``, CleanRL style, on the native batched vector env.

    python examples/cleanrl_ppo_snake.py                                   # 1M steps, features
    python examples/cleanrl_ppo_snake.py --obs-mode channels --total-timesteps 2000000
    python examples/cleanrl_ppo_snake.py --total-timesteps 512 --num-envs 4 --num-steps 64

Everything is in this file, read top to bottom as in CleanRL's ``ppo.py``: the arguments, the
network, the rollout, generalised advantage estimation, the clipped update and a final greedy
evaluation. The environments come from ``gymnasium.make_vec("rlnlp/Snake-v0", num_envs=N)``,
which returns the package's native batched env (all N games stepped by one numpy/numba call)
instead of N Python envs in a ``SyncVectorEnv``. It is made with
``autoreset_mode=SAME_STEP``: a finished game is reset inside the same ``step`` call and its
last observation and score are in ``infos["final_obs"]`` / ``infos["final_info"]``, so every
transition of the rollout buffer is a real move (no reset steps to mask out).

Snake-v0 forbids reversing into the neck: ``infos["action_mask"]`` marks the three legal moves
and the policy's logits of illegal moves are set to -inf before sampling.

The evaluation plays ``--eval-episodes`` games greedily with seeds ``--eval-seed``,
``--eval-seed + 1``, ... (the README's baseline table uses 1000-1099) and prints the mean food
eaten (``info["score"]``) as the last line: ``eval: score MEAN +- STD over N episodes``.
Needs the ``train`` extra (torch); ``--save`` writes the weights with safetensors.
"""

from __future__ import annotations

import argparse
import time
from collections import deque
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector import AutoresetMode
from torch import nn
from torch.distributions import Categorical

ENV_ID = "rlnlp/Snake-v0"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line arguments (CleanRL's names and defaults where they apply)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--obs-mode", choices=["features", "channels"], default="features")
    p.add_argument("--size", type=int, default=10, help="board side")
    p.add_argument("--total-timesteps", type=int, default=1_000_000)
    p.add_argument("--num-envs", type=int, default=64)
    p.add_argument("--num-steps", type=int, default=128, help="steps per env per rollout")
    p.add_argument("--learning-rate", type=float, default=2.5e-4)
    p.add_argument("--no-anneal-lr", dest="anneal_lr", action="store_false")
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--gae-lambda", type=float, default=0.95)
    p.add_argument("--num-minibatches", type=int, default=4)
    p.add_argument("--update-epochs", type=int, default=4)
    p.add_argument("--clip-coef", type=float, default=0.2)
    p.add_argument("--ent-coef", type=float, default=0.01)
    p.add_argument("--vf-coef", type=float, default=0.5)
    p.add_argument("--max-grad-norm", type=float, default=0.5)
    p.add_argument("--eval-episodes", type=int, default=100)
    p.add_argument("--eval-seed", type=int, default=1000)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--save", default=None, help="write the agent's weights here (.safetensors)")
    args = p.parse_args(argv)
    if args.total_timesteps < 1 or args.num_envs < 1 or args.num_steps < 1:
        p.error("--total-timesteps, --num-envs and --num-steps must be positive")
    args.batch_size = args.num_envs * args.num_steps
    if args.batch_size % args.num_minibatches:
        p.error(f"num_envs * num_steps ({args.batch_size}) must divide by --num-minibatches")
    args.minibatch_size = args.batch_size // args.num_minibatches
    args.num_iterations = max(1, args.total_timesteps // args.batch_size)
    return args


def make_envs(num_envs: int, obs_mode: str, size: int) -> gym.vector.VectorEnv:
    """The native batched Snake-v0 (its ``vector_entry_point``), resetting in the same step."""
    return gym.make_vec(
        ENV_ID,
        num_envs=num_envs,
        obs_mode=obs_mode,
        size=size,
        autoreset_mode=AutoresetMode.SAME_STEP,
    )


def layer_init(layer: nn.Module, std: float = float(np.sqrt(2)), bias: float = 0.0) -> nn.Module:
    """Orthogonal weights, constant bias (as CleanRL)."""
    assert isinstance(layer, (nn.Linear, nn.Conv2d)) and layer.bias is not None
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, bias)
    return layer


class Agent(nn.Module):
    """Shared torso, a policy head over the 4 moves and a value head.

    ``features`` (11 booleans): a two-layer MLP. ``channels`` (3 x size x size planes): two
    padded 3x3 convolutions and a linear layer.
    """

    def __init__(self, obs_shape: tuple[int, ...], n_actions: int) -> None:
        super().__init__()
        if len(obs_shape) == 1:
            self.torso: nn.Module = nn.Sequential(
                layer_init(nn.Linear(obs_shape[0], 64)),
                nn.Tanh(),
                layer_init(nn.Linear(64, 64)),
                nn.Tanh(),
            )
            hidden = 64
        else:
            channels, height, width = obs_shape
            hidden = 256
            self.torso = nn.Sequential(
                layer_init(nn.Conv2d(channels, 32, 3, padding=1)),
                nn.ReLU(),
                layer_init(nn.Conv2d(32, 32, 3, padding=1)),
                nn.ReLU(),
                nn.Flatten(),
                layer_init(nn.Linear(32 * height * width, hidden)),
                nn.ReLU(),
            )
        self.actor = layer_init(nn.Linear(hidden, n_actions), std=0.01)
        self.critic = layer_init(nn.Linear(hidden, 1), std=1.0)

    def get_value(self, obs: torch.Tensor) -> torch.Tensor:
        """V(obs), shape (batch,)."""
        return self.critic(self.torso(obs)).squeeze(-1)

    def get_action_and_value(
        self, obs: torch.Tensor, mask: torch.Tensor, action: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sample (or score) an action among the legal ones; returns action, log-prob,
        entropy and value."""
        hidden = self.torso(obs)
        logits = self.actor(hidden).masked_fill(~mask, float("-inf"))
        dist = Categorical(logits=logits)
        if action is None:
            action = dist.sample()
        return action, dist.log_prob(action), dist.entropy(), self.critic(hidden).squeeze(-1)


def evaluate(agent: Agent, args: argparse.Namespace) -> np.ndarray:
    """Greedy play: one game per seed ``eval_seed + i``, all at once; returns the scores."""
    envs = gym.make_vec(
        ENV_ID,
        num_envs=args.eval_episodes,
        obs_mode=args.obs_mode,
        size=args.size,
        autoreset_mode=AutoresetMode.DISABLED,
    )
    obs, info = envs.reset(seed=args.eval_seed)
    scores = np.full(args.eval_episodes, np.nan)
    running = np.ones(args.eval_episodes, dtype=bool)
    with torch.no_grad():
        while running.any():
            hidden = agent.torso(torch.as_tensor(obs, dtype=torch.float32))
            logits = agent.actor(hidden)
            logits = logits.masked_fill(~torch.as_tensor(info["action_mask"], dtype=torch.bool),
                                        float("-inf"))  # fmt: skip
            obs, _, terminated, truncated, info = envs.step(logits.argmax(-1).numpy())
            done = terminated | truncated
            ended = running & done
            scores[ended] = info["score"][ended]
            running &= ~ended
            if running.any() and done.any():
                # DISABLED mode steps no finished game: reset them; the games that start
                # after an evaluated one are played on but not counted
                obs, info = envs.reset(options={"reset_mask": done})
    envs.close()
    return scores


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train, evaluate, print; returns the numbers it printed."""
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    envs = make_envs(args.num_envs, args.obs_mode, args.size)
    assert isinstance(envs.single_action_space, gym.spaces.Discrete)
    obs_shape = tuple(envs.single_observation_space.shape or ())
    n_actions = int(envs.single_action_space.n)
    agent = Agent(obs_shape, n_actions)
    optimizer = torch.optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)

    # rollout storage, (num_steps, num_envs, ...)
    shape = (args.num_steps, args.num_envs)
    obs_buf = torch.zeros(shape + obs_shape)
    mask_buf = torch.zeros((*shape, n_actions), dtype=torch.bool)
    actions = torch.zeros(shape, dtype=torch.long)
    logprobs = torch.zeros(shape)
    rewards = torch.zeros(shape)
    dones = torch.zeros(shape)
    values = torch.zeros(shape)

    global_step = 0
    start = time.time()
    recent_scores: deque[float] = deque(maxlen=100)
    episodes = 0
    next_obs_np, info = envs.reset(seed=args.seed)
    next_obs = torch.as_tensor(next_obs_np, dtype=torch.float32)
    next_mask = torch.as_tensor(info["action_mask"], dtype=torch.bool)
    next_done = torch.zeros(args.num_envs)

    for iteration in range(1, args.num_iterations + 1):
        if args.anneal_lr:
            frac = 1.0 - (iteration - 1.0) / args.num_iterations
            optimizer.param_groups[0]["lr"] = frac * args.learning_rate

        for step in range(args.num_steps):
            global_step += args.num_envs
            obs_buf[step], mask_buf[step], dones[step] = next_obs, next_mask, next_done
            with torch.no_grad():
                action, logprob, _, value = agent.get_action_and_value(next_obs, next_mask)
            actions[step], logprobs[step], values[step] = action, logprob, value

            next_obs_np, reward, terminated, truncated, info = envs.step(action.numpy())
            done = terminated | truncated
            rewards[step] = torch.as_tensor(reward, dtype=torch.float32)
            next_obs = torch.as_tensor(next_obs_np, dtype=torch.float32)
            next_mask = torch.as_tensor(info["action_mask"], dtype=torch.bool)
            next_done = torch.as_tensor(done, dtype=torch.float32)
            if done.any():
                final = info["final_info"]
                for i in np.flatnonzero(done):
                    recent_scores.append(float(final["score"][i]))
                episodes += int(done.sum())

        # generalised advantage estimation (CleanRL's; a truncated game is treated as ended)
        with torch.no_grad():
            next_value = agent.get_value(next_obs)
            advantages = torch.zeros_like(rewards)
            last_gae = torch.zeros(args.num_envs)
            for t in reversed(range(args.num_steps)):
                if t == args.num_steps - 1:
                    next_nonterminal, next_values = 1.0 - next_done, next_value
                else:
                    next_nonterminal, next_values = 1.0 - dones[t + 1], values[t + 1]
                delta = rewards[t] + args.gamma * next_values * next_nonterminal - values[t]
                last_gae = delta + args.gamma * args.gae_lambda * next_nonterminal * last_gae
                advantages[t] = last_gae
            returns = advantages + values

        b_obs = obs_buf.reshape((-1, *obs_shape))
        b_masks = mask_buf.reshape(-1, n_actions)
        b_actions, b_logprobs = actions.reshape(-1), logprobs.reshape(-1)
        b_advantages, b_returns, b_values = (
            advantages.reshape(-1),
            returns.reshape(-1),
            values.reshape(-1),
        )

        clipfracs = []
        for _epoch in range(args.update_epochs):
            order = torch.randperm(args.batch_size)
            for first in range(0, args.batch_size, args.minibatch_size):
                mb = order[first : first + args.minibatch_size]
                _, newlogprob, entropy, newvalue = agent.get_action_and_value(
                    b_obs[mb], b_masks[mb], b_actions[mb]
                )
                logratio = newlogprob - b_logprobs[mb]
                ratio = logratio.exp()
                with torch.no_grad():
                    clipfracs.append(((ratio - 1.0).abs() > args.clip_coef).float().mean().item())
                mb_adv = b_advantages[mb]
                mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
                pg_loss = torch.max(
                    -mb_adv * ratio,
                    -mb_adv * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef),
                ).mean()
                v_unclipped = (newvalue - b_returns[mb]) ** 2
                v_clipped = b_values[mb] + torch.clamp(
                    newvalue - b_values[mb], -args.clip_coef, args.clip_coef
                )
                v_loss = 0.5 * torch.max(v_unclipped, (v_clipped - b_returns[mb]) ** 2).mean()
                loss = pg_loss - args.ent_coef * entropy.mean() + args.vf_coef * v_loss
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                optimizer.step()

        sps = int(global_step / (time.time() - start))
        mean_score = float(np.mean(recent_scores)) if recent_scores else float("nan")
        print(
            f"iter {iteration}/{args.num_iterations} step {global_step} sps {sps} "
            f"episodes {episodes} score(last 100) {mean_score:.2f} "
            f"loss {loss.item():.3f} clipfrac {np.mean(clipfracs):.3f}",
            flush=True,
        )
    envs.close()
    train_seconds = time.time() - start

    scores = evaluate(agent, args)
    if args.save:
        from safetensors.torch import save_file

        save_file(agent.state_dict(), args.save)
        print(f"saved {args.save}")
    print(
        f"trained {global_step} steps in {train_seconds:.1f} s; "
        f"eval: score {scores.mean():.2f} +- {scores.std():.2f} over {len(scores)} episodes",
        flush=True,
    )
    return {
        "global_step": global_step,
        "episodes": episodes,
        "train_seconds": train_seconds,
        "eval_scores": scores.tolist(),
    }


if __name__ == "__main__":
    main()

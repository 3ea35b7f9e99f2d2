"""Single-file PPO on ``rlnlp/Translate-v0`` in token mode, CleanRL style, with action masks.

    python examples/cleanrl_ppo_translate.py                        # 200k tokens, en-de
    python examples/cleanrl_ppo_translate.py --direction de-en --reward chrf
    python examples/cleanrl_ppo_translate.py --total-timesteps 512 --num-envs 4 --num-steps 32

Each step the policy writes one token (``Discrete(vocab)``) of a translation, seeing the
``Dict`` observation of prompt / response ids and masks; an episode ends at end-of-sequence or
at ``--max-response-tokens``. With ``reward_mode="dense"`` every token is paid the change of
the sentence score (BLEU by default) of the response so far, so an episode's rewards sum to
its final score (``info["score"]``).

The policy is deliberately small and readable: token embeddings averaged over the prompt and
over the response so far, the embedding of the last token written and of the position go
through one hidden layer; the output layer is tied to the token embeddings (logits are dot
products with every token's embedding), which makes copying prompt tokens such as names and
numbers easy to learn. ``infos["action_mask"]`` marks the legal tokens (padding and other
special tokens are never legal) and the logits of illegal tokens are set to -inf.

The envs come from ``gymnasium.make_vec``: the task's native batched env when it registers a
``vector_entry_point``, otherwise a ``SyncVectorEnv``; either way in ``SAME_STEP`` autoreset
mode, so the finished episode's score is in ``infos["final_info"]``. The script prints the
mean sentence score of the greedy policy on the first ``--eval-examples`` test sentences
before and after training. This is a pipeline a real translator would start from, not a
translator: a from-scratch token policy stays far below the README's ``memory`` baseline.
Needs the ``train`` extra (torch).
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

ENV_ID = "rlnlp/Translate-v0"
OBS_KEYS = ("prompt_ids", "prompt_mask", "response_ids", "response_mask")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line arguments (CleanRL's names and defaults where they apply)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--env-id", default=ENV_ID, help="any token-mode text env id")
    p.add_argument("--direction", default="en-de", help="Translate-v0 only")
    p.add_argument("--reward", default="bleu", help="the env's reward_fn, e.g. bleu or chrf")
    p.add_argument("--max-prompt-tokens", type=int, default=64)
    p.add_argument("--max-response-tokens", type=int, default=24)
    p.add_argument(
        "--vectorization",
        choices=["auto", "sync"],
        default="auto",
        help="auto: the native batched env if the id has one; sync: a SyncVectorEnv",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--total-timesteps", type=int, default=200_000)
    p.add_argument("--num-envs", type=int, default=16)
    p.add_argument("--num-steps", type=int, default=64, help="steps per env per rollout")
    p.add_argument("--learning-rate", type=float, default=5e-4)
    p.add_argument("--no-anneal-lr", dest="anneal_lr", action="store_false")
    p.add_argument("--gamma", type=float, default=1.0, help="1: the dense rewards sum to the score")
    p.add_argument("--gae-lambda", type=float, default=0.95)
    p.add_argument("--num-minibatches", type=int, default=4)
    p.add_argument("--update-epochs", type=int, default=4)
    p.add_argument("--clip-coef", type=float, default=0.2)
    p.add_argument("--ent-coef", type=float, default=0.01)
    p.add_argument("--vf-coef", type=float, default=0.5)
    p.add_argument("--max-grad-norm", type=float, default=0.5)
    p.add_argument("--embed-dim", type=int, default=64)
    p.add_argument("--hidden-dim", type=int, default=256)
    p.add_argument("--eval-examples", type=int, default=50)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = p.parse_args(argv)
    if args.total_timesteps < 1 or args.num_envs < 1 or args.num_steps < 1:
        p.error("--total-timesteps, --num-envs and --num-steps must be positive")
    args.batch_size = args.num_envs * args.num_steps
    if args.batch_size % args.num_minibatches:
        p.error(f"num_envs * num_steps ({args.batch_size}) must divide by --num-minibatches")
    args.minibatch_size = args.batch_size // args.num_minibatches
    args.num_iterations = max(1, args.total_timesteps // args.batch_size)
    return args


def env_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Constructor arguments of one env (``direction`` only for Translate-v0)."""
    kwargs: dict[str, Any] = {
        "reward_fn": args.reward,
        "reward_mode": "dense",
        "max_prompt_tokens": args.max_prompt_tokens,
        "max_response_tokens": args.max_response_tokens,
    }
    if args.env_id == ENV_ID:
        kwargs["direction"] = args.direction
    return kwargs


def make_envs(
    env_id: str, num_envs: int, kwargs: dict[str, Any], vectorization: str = "auto"
) -> gym.vector.VectorEnv:
    """``num_envs`` envs in SAME_STEP autoreset mode: the native batched env when the id has a
    ``vector_entry_point`` (it takes the mode as a keyword), else a ``SyncVectorEnv``."""
    if vectorization == "auto" and gym.spec(env_id).vector_entry_point is not None:
        return gym.make_vec(
            env_id, num_envs=num_envs, autoreset_mode=AutoresetMode.SAME_STEP, **kwargs
        )
    return gym.make_vec(
        env_id,
        num_envs=num_envs,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
        **kwargs,
    )


def layer_init(layer: nn.Linear, std: float = float(np.sqrt(2)), bias: float = 0.0) -> nn.Linear:
    """Orthogonal weights, constant bias (as CleanRL)."""
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, bias)
    return layer


def masked_mean(vectors: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the positions where ``mask`` is 1: (B, L, D), (B, L) -> (B, D)."""
    weights = mask.unsqueeze(-1).float()
    return (vectors * weights).sum(1) / weights.sum(1).clamp(min=1.0)


class Agent(nn.Module):
    """Bag-of-embeddings policy and value over the token-mode ``Dict`` observation."""

    def __init__(self, vocab_size: int, max_response: int, embed_dim: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.position = nn.Embedding(max_response + 1, embed_dim)
        self.torso = nn.Sequential(layer_init(nn.Linear(4 * embed_dim, hidden)), nn.Tanh())
        # the actor maps to embedding space; logits are dot products with the token embeddings
        self.actor = layer_init(nn.Linear(hidden, embed_dim), std=0.01)
        self.critic = layer_init(nn.Linear(hidden, 1), std=1.0)

    def hidden(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, hidden) features of a batch of observations."""
        prompt = masked_mean(self.embed(obs["prompt_ids"]), obs["prompt_mask"])
        response = masked_mean(self.embed(obs["response_ids"]), obs["response_mask"])
        length = obs["response_mask"].sum(1).long()
        last_id = obs["response_ids"].gather(1, (length - 1).clamp(min=0).unsqueeze(1))
        last = self.embed(last_id.squeeze(1)) * (length > 0).unsqueeze(1).float()
        features = torch.cat([prompt, response, last, self.position(length)], dim=-1)
        return self.torso(features)

    def get_value(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        """V(obs), shape (B,)."""
        return self.critic(self.hidden(obs)).squeeze(-1)

    def masked_logits(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, vocab) logits with the illegal tokens at -inf."""
        logits = self.actor(hidden) @ self.embed.weight.T
        return logits.masked_fill(~mask, float("-inf"))

    def get_action_and_value(
        self,
        obs: dict[str, torch.Tensor],
        mask: torch.Tensor,
        action: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sample (or score) a legal token; returns token, log-prob, entropy and value."""
        hidden = self.hidden(obs)
        dist = Categorical(logits=self.masked_logits(hidden, mask))
        if action is None:
            action = dist.sample()
        return action, dist.log_prob(action), dist.entropy(), self.critic(hidden).squeeze(-1)


def to_tensors(obs: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """A batched ``Dict`` observation as int64 tensors."""
    return {key: torch.tensor(np.asarray(obs[key]), dtype=torch.int64) for key in OBS_KEYS}


def to_mask(action_mask: np.ndarray) -> torch.Tensor:
    """``infos["action_mask"]`` (int8, possibly a read-only view) as a bool tensor (a copy)."""
    return torch.tensor(np.asarray(action_mask), dtype=torch.bool)


def evaluate(agent: Agent, args: argparse.Namespace) -> float:
    """Mean final score of greedy decoding on the first ``eval_examples`` test examples."""
    env = gym.make(args.env_id, **env_kwargs(args))
    scores = []
    with torch.no_grad():
        for index in range(args.eval_examples):
            obs, info = env.reset(options={"split": "test", "index": index})
            while True:
                batch = {key: value[None] for key, value in to_tensors(obs).items()}
                mask = to_mask(info["action_mask"])[None]
                token = agent.masked_logits(agent.hidden(batch), mask).argmax(-1)
                obs, _, terminated, truncated, info = env.step(int(token))
                if terminated or truncated:
                    scores.append(float(info["score"]))
                    break
    env.close()
    return float(np.mean(scores))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Evaluate, train, evaluate, print; returns the numbers it printed."""
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    envs = make_envs(args.env_id, args.num_envs, env_kwargs(args), args.vectorization)
    assert isinstance(envs.single_action_space, gym.spaces.Discrete)
    vocab = int(envs.single_action_space.n)
    agent = Agent(vocab, args.max_response_tokens, args.embed_dim, args.hidden_dim)
    optimizer = torch.optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
    print(f"{args.env_id}: {envs.num_envs} envs in a {type(envs).__name__}", flush=True)
    score_before = evaluate(agent, args)
    print(f"greedy test score before training: {score_before:.4f}", flush=True)

    shape = (args.num_steps, args.num_envs)
    space = envs.single_observation_space
    assert isinstance(space, gym.spaces.Dict)
    obs_buf = {
        key: torch.zeros(shape + tuple(space[key].shape or ()), dtype=torch.int64)
        for key in OBS_KEYS
    }
    mask_buf = torch.zeros((*shape, vocab), dtype=torch.bool)
    actions = torch.zeros(shape, dtype=torch.long)
    logprobs, rewards, dones, values = (torch.zeros(shape) for _ in range(4))

    global_step, episodes = 0, 0
    recent: deque[float] = deque(maxlen=100)
    start = time.time()
    obs_np, info = envs.reset(seed=args.seed)
    next_obs = to_tensors(obs_np)
    next_mask = to_mask(info["action_mask"])
    next_done = torch.zeros(args.num_envs)

    for iteration in range(1, args.num_iterations + 1):
        if args.anneal_lr:
            frac = 1.0 - (iteration - 1.0) / args.num_iterations
            optimizer.param_groups[0]["lr"] = frac * args.learning_rate

        for step in range(args.num_steps):
            global_step += args.num_envs
            for key in OBS_KEYS:
                obs_buf[key][step] = next_obs[key]
            mask_buf[step], dones[step] = next_mask, next_done
            with torch.no_grad():
                action, logprob, _, value = agent.get_action_and_value(next_obs, next_mask)
            actions[step], logprobs[step], values[step] = action, logprob, value

            obs_np, reward, terminated, truncated, info = envs.step(action.numpy())
            done = np.logical_or(terminated, truncated)
            rewards[step] = torch.as_tensor(reward, dtype=torch.float32)
            next_obs = to_tensors(obs_np)
            next_mask = to_mask(info["action_mask"])
            next_done = torch.as_tensor(done, dtype=torch.float32)
            if done.any():
                for i in np.flatnonzero(done):
                    recent.append(float(info["final_info"]["score"][i]))
                episodes += int(done.sum())

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

        b_obs = {key: buf.reshape(args.batch_size, -1) for key, buf in obs_buf.items()}
        b_masks = mask_buf.reshape(args.batch_size, vocab)
        b_actions, b_logprobs = actions.reshape(-1), logprobs.reshape(-1)
        b_advantages, b_returns = advantages.reshape(-1), returns.reshape(-1)
        b_values = values.reshape(-1)

        for _epoch in range(args.update_epochs):
            order = torch.randperm(args.batch_size)
            for first in range(0, args.batch_size, args.minibatch_size):
                mb = order[first : first + args.minibatch_size]
                _, newlogprob, entropy, newvalue = agent.get_action_and_value(
                    {key: value[mb] for key, value in b_obs.items()}, b_masks[mb], b_actions[mb]
                )
                ratio = (newlogprob - b_logprobs[mb]).exp()
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
        mean_score = float(np.mean(recent)) if recent else float("nan")
        print(
            f"iter {iteration}/{args.num_iterations} step {global_step} sps {sps} "
            f"episodes {episodes} score(last 100) {mean_score:.4f} "
            f"entropy {entropy.mean().item():.2f} loss {loss.item():.4f}",
            flush=True,
        )
    envs.close()
    train_seconds = time.time() - start
    score_after = evaluate(agent, args)
    print(
        f"trained {global_step} steps ({episodes} episodes) in {train_seconds:.1f} s; "
        f"greedy test score: before {score_before:.4f}, after {score_after:.4f} "
        f"on {args.eval_examples} examples",
        flush=True,
    )
    return {
        "global_step": global_step,
        "episodes": episodes,
        "train_seconds": train_seconds,
        "score_before": score_before,
        "score_after": score_after,
    }


if __name__ == "__main__":
    main()

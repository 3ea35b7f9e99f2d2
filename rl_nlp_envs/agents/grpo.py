"""GRPO fine-tuning of an ``LLMAgent`` with the rewards of its environment.

Group Relative Policy Optimisation (Shao et al., 2024, DeepSeekMath): for each prompt of the
train split, sample a group of ``G`` answers, score each through the environment
(``reset(options={"split": "train", "index": i})`` then ``step(answer)``, so any ``reward_fn=``
works), and use the reward minus the group mean (over the group's standard deviation) as the
advantage of every token of the answer. The loss is PPO's clipped surrogate plus a KL penalty
(the ``k3`` estimator) towards the frozen starting model. Groups whose answers all score the
same carry no signal and are skipped.

On CPU only the last ``train_layers`` decoder layers and the final norm are trained (the
backward pass then stops there); the tied embeddings stay frozen.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np

from rl_nlp_envs._imports import require
from rl_nlp_envs.agents.logging import TrainingLog
from rl_nlp_envs.agents.progress import Progress

if TYPE_CHECKING:
    from rl_nlp_envs.agents.llm import LLMAgent


@dataclass
class GRPOConfig:
    """Settings of a GRPO run.

    Attributes:
        steps: optimiser steps.
        prompts_per_step: train examples per step.
        group_size: sampled answers per example (``G``).
        learning_rate: Adam step size.
        clip_eps: PPO ratio clipping.
        kl_coef: weight of the KL penalty to the starting model.
        temperature, top_p: sampling of the answers.
        max_new_tokens: answer length cap while training (None: the agent's).
        train_layers: train the last this many decoder layers and the final norm; 0 trains
            every parameter.
        updates_per_batch: gradient steps on each sampled batch (more than 1 makes the
            clipping bite).
        scale_by_std: divide advantages by the group's standard deviation.
        max_grad_norm: gradient clipping.
        split: the split prompts come from.
        seed: order of the prompts and sampling.
        max_seconds: stop after this wall time.
    """

    steps: int = 30
    prompts_per_step: int = 2
    group_size: int = 4
    learning_rate: float = 5e-5
    clip_eps: float = 0.2
    kl_coef: float = 0.04
    temperature: float = 0.8
    top_p: float = 1.0
    max_new_tokens: int | None = 16
    train_layers: int = 4
    updates_per_batch: int = 2
    scale_by_std: bool = True
    max_grad_norm: float = 1.0
    split: str = "train"
    seed: int = 0
    max_seconds: float | None = None

    def __post_init__(self) -> None:
        for name in ("steps", "prompts_per_step", "updates_per_batch"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.group_size < 2:
            raise ValueError(f"group_size must be >= 2 (advantages are relative), got "
                             f"{self.group_size}")  # fmt: skip
        if self.train_layers < 0:
            raise ValueError(f"train_layers must be >= 0, got {self.train_layers}")
        if self.learning_rate <= 0 or self.clip_eps <= 0 or self.kl_coef < 0:
            raise ValueError("need learning_rate > 0, clip_eps > 0 and kl_coef >= 0")


def group_advantages(rewards: np.ndarray, scale_by_std: bool = True) -> np.ndarray:
    """Reward minus the group mean, divided by the group standard deviation (if asked); all
    zeros for a group whose rewards are equal."""
    rewards = np.asarray(rewards, dtype=np.float64)
    centred = rewards - rewards.mean()
    std = rewards.std()
    if std < 1e-8:
        return np.zeros_like(rewards)
    return centred / (std + 1e-4) if scale_by_std else centred


def trainable_parameters(model: Any, train_layers: int) -> list[Any]:
    """Unfreeze the last ``train_layers`` decoder layers and the final norm (or everything
    for 0); freeze the rest. Returns the trainable parameters."""
    if train_layers == 0:
        for p in model.parameters():
            p.requires_grad_(True)
        return list(model.parameters())
    body = getattr(model, "model", None)
    layers = getattr(body, "layers", None)
    if layers is None:
        raise ValueError(
            f"cannot find the decoder layers of {type(model).__name__} (model.model.layers); "
            "use train_layers=0 to train every parameter"
        )
    if train_layers > len(layers):
        raise ValueError(f"train_layers={train_layers} but the model has {len(layers)} layers")
    for p in model.parameters():
        p.requires_grad_(False)
    modules = list(layers[len(layers) - train_layers :])
    norm = getattr(body, "norm", None)
    if norm is not None:
        modules.append(norm)
    params = [p for m in modules for p in m.parameters()]
    for p in params:
        p.requires_grad_(True)
    return params


def sequence_logprobs(model: Any, prompt: list[int], completions: list[list[int]]) -> Any:
    """Log-probabilities of each completion token after ``prompt``: a ``(G, L)`` tensor
    (right-padded with zeros) and its ``(G, L)`` mask."""
    torch = require("torch", "llm", "GRPO")
    width = max(len(c) for c in completions)
    pad = 0
    ids = torch.full((len(completions), len(prompt) + width), pad, dtype=torch.long)
    mask = torch.zeros((len(completions), width), dtype=torch.float32)
    ids[:, : len(prompt)] = torch.tensor(prompt, dtype=torch.long)
    for k, c in enumerate(completions):
        ids[k, len(prompt) : len(prompt) + len(c)] = torch.tensor(c, dtype=torch.long)
        mask[k, : len(c)] = 1.0
    attention = torch.ones_like(ids)
    attention[:, len(prompt) :] = mask.long()
    # logits of the last width + 1 positions only: the lm head over the prompt is wasted work
    logits = model(input_ids=ids, attention_mask=attention, logits_to_keep=width + 1).logits
    logp = torch.log_softmax(logits[:, :-1].float(), dim=-1)
    targets = ids[:, len(prompt) :]
    return logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1) * mask, mask


class GRPOTrainer:
    """Runs GRPO for ``agent`` on ``env`` (a text env in text mode)."""

    def __init__(self, agent: LLMAgent, env: gym.Env[Any, Any], config: GRPOConfig) -> None:
        from rl_nlp_envs.core.text_env import TextEnv

        if not isinstance(env.unwrapped, TextEnv):
            raise ValueError(
                "GRPO here trains on single-step text tasks (Translate-v0, Summarize-v0, QA-v0 in "
                f"text mode), not {type(env.unwrapped).__name__}"
            )
        self.torch = require("torch", "llm", "GRPO")
        self.agent, self.env, self.config = agent, env, config
        self.model = agent.model
        self.reference = copy.deepcopy(self.model).eval()
        for p in self.reference.parameters():
            p.requires_grad_(False)
        self.params = trainable_parameters(self.model, config.train_layers)
        self.optimizer = self.torch.optim.Adam(self.params, lr=config.learning_rate)
        task = env.unwrapped.task
        self.count = len(task.split(config.split))
        self.rng = np.random.default_rng(config.seed)
        self.order: list[int] = []
        self.steps_done = 0
        self.env_steps = 0

    def _next_index(self) -> int:
        if not self.order:
            self.order = self.rng.permutation(self.count).tolist()
        return int(self.order.pop())

    def reward(self, index: int, text: str) -> float:
        """The env's reward for answering train example ``index`` with ``text``."""
        self.env.reset(options={"split": self.config.split, "index": index})
        _, reward, terminated, truncated, _ = self.env.step(text)
        if not (terminated or truncated):
            raise RuntimeError("GRPO needs single-step text episodes; the env did not end")
        self.env_steps += 1
        return float(reward)

    def step(self) -> dict[str, float]:
        """Sample, score and update once; returns the step's statistics."""
        torch, cfg, agent = self.torch, self.config, self.agent
        batch = []
        rewards_all: list[float] = []
        self.model.eval()
        for _ in range(cfg.prompts_per_step):
            index = self._next_index()
            example = self.env.unwrapped.task.select(cfg.split, index)  # type: ignore[attr-defined]
            prompt = agent.prompt_ids(example)
            completions = agent.generate(prompt, cfg.group_size, do_sample=True,
                                         temperature=cfg.temperature, top_p=cfg.top_p,
                                         max_new_tokens=cfg.max_new_tokens)  # fmt: skip
            completions = [c if c else agent.stop_ids()[:1] for c in completions]
            rewards = np.array([self.reward(index, agent.decode(c)) for c in completions])
            rewards_all.extend(rewards.tolist())
            advantages = group_advantages(rewards, cfg.scale_by_std)
            if np.any(advantages != 0):
                with torch.no_grad():
                    ref_logp, _ = sequence_logprobs(self.reference, prompt, completions)
                batch.append((prompt, completions, torch.tensor(advantages).float(), ref_logp))
        stats = {"reward": float(np.mean(rewards_all)), "kl": 0.0, "loss": 0.0,
                 "clip_frac": 0.0, "groups_used": float(len(batch))}  # fmt: skip
        if not batch:
            return stats
        self.model.train()
        old: list[Any] = [None] * len(batch)
        for _ in range(cfg.updates_per_batch):
            self.optimizer.zero_grad()
            kl_sum = loss_sum = clip_sum = 0.0
            for k, (prompt, completions, adv, ref_logp) in enumerate(batch):
                logp, mask = sequence_logprobs(self.model, prompt, completions)
                if old[k] is None:
                    old[k] = logp.detach()
                ratio = torch.exp(logp - old[k])
                clipped = torch.clamp(ratio, 1 - cfg.clip_eps, 1 + cfg.clip_eps)
                surrogate = torch.minimum(ratio * adv[:, None], clipped * adv[:, None])
                delta = ref_logp - logp
                kl = torch.exp(delta) - delta - 1
                per_token = -(surrogate - cfg.kl_coef * kl)
                lengths = mask.sum(dim=1).clamp(min=1)
                loss = ((per_token * mask).sum(dim=1) / lengths).mean() / len(batch)
                loss.backward()
                with torch.no_grad():
                    loss_sum += float(loss.detach())
                    kl_sum += float(((kl * mask).sum(dim=1) / lengths).mean()) / len(batch)
                    clipped_tokens = (ratio - clipped).abs().gt(0).float() * mask
                    clip_sum += float(clipped_tokens.sum() / mask.sum()) / len(batch)
            torch.nn.utils.clip_grad_norm_(self.params, cfg.max_grad_norm)
            self.optimizer.step()
        self.model.eval()
        stats.update(kl=kl_sum, loss=loss_sum, clip_frac=clip_sum)
        return stats

    def train(
        self,
        progress: bool = True,
        tensorboard_dir: str | None = None,
        curve_path: str | None = None,
    ) -> dict[str, Any]:
        """Run ``config.steps`` steps (or until ``max_seconds``); returns the history and
        totals."""
        cfg = self.config
        log = TrainingLog(tensorboard_dir, curve_path, "GRPO: mean sampled reward")
        history: list[dict[str, float]] = []
        start = time.perf_counter()
        with Progress(cfg.steps, "GRPO", enabled=progress) as bar:
            for _ in range(cfg.steps):
                stats = self.step()
                self.steps_done += 1
                stats["seconds"] = time.perf_counter() - start
                history.append(stats)
                log.log(self.env_steps, stats["reward"], kl=stats["kl"], loss=stats["loss"])
                bar.update(1, reward=stats["reward"], kl=stats["kl"])
                if cfg.max_seconds is not None and stats["seconds"] > cfg.max_seconds:
                    break
        log.close()
        rewards = [h["reward"] for h in history]
        tail = rewards[-max(1, len(rewards) // 4) :]
        return {"steps": self.env_steps, "updates": self.steps_done, "history": history,
                "seconds": time.perf_counter() - start, "config": asdict(cfg),
                "final_reward": float(np.mean(tail)) if tail else math.nan}  # fmt: skip

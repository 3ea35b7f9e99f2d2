"""Baselines of ``rlnlp/Dialogue-v0``: a handcrafted rule policy (act and text mode) and a DQN.

The rule policy reads only the act-mode observation (the belief features), so it is a policy
on the same inputs a learner gets. ``RuleTextAgent`` plays text mode: the same rules over the
system's belief tracker, its acts written out by the system's template generator and read
back by the environment's understanding module. ``DialogueDQNAgent`` is Double DQN on the
belief features with replay buffer spiking (rule-policy dialogues in the buffer from the
start), reusing the replay buffer, n-step collector and Q-network of ``agents/dqn.py``
(needs the ``train`` extra).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from rl_nlp_envs.agents.base import Agent
from rl_nlp_envs.agents.dqn import QNetworkAgent
from rl_nlp_envs.agents.logging import TrainingLog
from rl_nlp_envs.agents.progress import Progress
from rl_nlp_envs.agents.snake import epsilon_greedy
from rl_nlp_envs.envs.dialogue.ontology import (
    BOOK_SLOTS,
    DOMAINS,
    INFORM_SLOTS,
    INFORMABLE,
    SYSTEM_ACTIONS,
)
from rl_nlp_envs.envs.dialogue.tracker import FEATURE_NAMES, N_FEATURES

ENV_ID = "rlnlp/Dialogue-v0"
_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}
_ACTION = {(intent, slot): i for i, (intent, slot) in enumerate(SYSTEM_ACTIONS)}


def rule_action(features: np.ndarray) -> int:
    """The handcrafted policy: ask for constraints until at most a few entities match
    (three, one for orders and bookings), offer, answer requested details, collect booking
    details and book (or, for a change of booking, change it once a new detail is known), say
    no-match when nothing matches, otherwise ask whether there is anything else."""
    f = np.asarray(features) > 0.5

    def on(name: str) -> bool:
        return bool(f[_INDEX[name]])

    domain = next((d for d in DOMAINS if on(f"domain={d}")), None)
    if domain is None:
        return _ACTION[("reqmore", None)]
    if on("offered") and on("offer_matches_belief"):
        requested = [s for s in INFORM_SLOTS if on(f"requested:{s}")]
        if requested:
            return _ACTION[("inform", requested[0])]
        if on("booking_wanted") and not on("booked") and domain == "booking":
            known = any(on(f"filled:{s}") for s in BOOK_SLOTS[domain])
            return _ACTION[("change_booking", None)] if known else _ACTION[("reqmore", None)]
        if on("booking_wanted") and not on("booked"):
            missing = [s for s in BOOK_SLOTS[domain] if not on(f"filled:{s}")]
            return _ACTION[("request", missing[0])] if missing else _ACTION[("book", None)]
        return _ACTION[("reqmore", None)]
    if on("matches=0"):
        return _ACTION[("nomatch", None)]
    few = on("matches=1") or (on("matches=2-3") and domain not in ("order", "booking"))
    unfilled = [s for s in INFORMABLE[domain] if not on(f"filled:{s}")]
    if unfilled and not few:
        return _ACTION[("request", unfilled[0])]
    return _ACTION[("offer", None)]


class RuleDialogueAgent(Agent):
    """The handcrafted rule policy on act-mode observations (``rule_action``)."""

    name = "rule"

    def __init__(self, env: gym.Env[Any, Any] | None = None, seed: int | None = None) -> None:
        if env is not None and getattr(env.unwrapped, "action_mode", "act") != "act":
            raise ValueError("the rule agent plays action_mode='act'; use RuleTextAgent for text")

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        """The rule's act for the belief features."""
        return rule_action(observation)


class RuleTextAgent(Agent):
    """The rule policy in text mode: acts chosen from the system's belief tracker, written
    by the system template generator, read back by the env's understanding module."""

    name = "rule-text"

    def __init__(self, env: gym.Env[Any, Any], seed: int | None = None) -> None:
        if getattr(env.unwrapped, "action_mode", None) != "text":
            raise ValueError("RuleTextAgent plays action_mode='text'")
        self.env = env

    def act(self, observation: Any, info: dict[str, Any]) -> str:
        """A written reply."""
        dialogue = self.env.unwrapped.dialogue  # type: ignore[attr-defined]
        acts = dialogue.acts_for_action(rule_action(dialogue.tracker.features()))
        return str(dialogue.system_nlg.utterance(acts, dialogue.tracker.domain, dialogue.rng))


class DialogueDQNAgent(QNetworkAgent):
    """Double DQN with a target network on the act-mode belief features.

    Experience comes from ``num_envs`` environments stepped in turn, epsilon-greedy over the
    acts ``info["action_mask"]`` allows; the replay buffer, n-step returns and Q-network are
    those of ``agents/dqn.py`` (the features are 0/1, so the buffer's uint8 storage is
    exact). The buffer starts with ``demo_episodes`` dialogues of the rule policy
    (``_spike``) and, as the default buffer outlasts the default run, keeps them; with
    ``demo_episodes=0`` it is plain Double DQN (which settles on saying goodbye at once).
    """

    name = "dqn"
    learns = True

    def __init__(
        self,
        env: gym.Env[Any, Any] | None = None,
        seed: int | None = None,
        num_envs: int = 8,
        buffer_size: int = 100_000,
        batch_size: int = 64,
        learning_rate: float = 5e-4,
        gamma: float = 0.95,
        n_step: int = 3,
        learning_starts: int = 1_000,
        updates_per_iteration: int = 2,
        target_update_every: int = 500,
        epsilon_start: float = 0.5,
        epsilon_end: float = 0.05,
        exploration_steps: int = 40_000,
        demo_episodes: int = 2000,
        hidden: int = 128,
        env_kwargs: dict[str, Any] | None = None,
        device: str = "cpu",
    ) -> None:
        from rl_nlp_envs.agents.dqn import _torch, build_q_network

        torch = _torch()
        self.seed = seed
        self.num_envs = num_envs
        self.buffer_size = buffer_size
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.gamma = gamma
        self.n_step = n_step
        self.learning_starts = learning_starts
        self.updates_per_iteration = updates_per_iteration
        self.target_update_every = target_update_every
        self.epsilon_start, self.epsilon_end = epsilon_start, epsilon_end
        self.exploration_steps = exploration_steps
        self.demo_episodes = demo_episodes
        self.hidden = hidden
        self.env_kwargs = {k: v for k, v in (env_kwargs or {}).items() if k != "action_mode"}
        self.device = torch.device(device)
        if seed is not None:
            torch.manual_seed(seed)
        self.n_actions = len(SYSTEM_ACTIONS)
        shape = (N_FEATURES,)
        self.q_network = build_q_network(shape, self.n_actions, hidden, "mlp").to(self.device)
        self.target_network = build_q_network(shape, self.n_actions, hidden, "mlp").to(self.device)
        self.target_network.load_state_dict(self.q_network.state_dict())

    def learn(
        self,
        total_steps: int,
        seed: int | None = None,
        progress: bool = True,
        tensorboard_dir: str | Path | None = None,
        curve_path: str | Path | None = None,
        max_seconds: float | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """Train for ``total_steps`` agent turns (summed over the environments); the
        training score is the success rate of the last 200 episodes."""
        from rl_nlp_envs.agents.dqn import _torch

        torch = _torch()
        threads = torch.get_num_threads()
        # a network this small is fastest on one thread (and then does not fight for cores)
        torch.set_num_threads(1)
        try:
            return self._learn(total_steps, seed, progress, tensorboard_dir, curve_path,
                               max_seconds)  # fmt: skip
        finally:
            torch.set_num_threads(threads)

    def _learn(
        self,
        total_steps: int,
        seed: int | None,
        progress: bool,
        tensorboard_dir: str | Path | None,
        curve_path: str | Path | None,
        max_seconds: float | None,
    ) -> dict[str, Any]:
        from rl_nlp_envs.agents.dqn import NStepCollector, ReplayBuffer, _torch

        torch = _torch()
        seed = self.seed if seed is None else seed
        rng = np.random.default_rng(seed)
        n = self.num_envs
        envs = [gym.make(ENV_ID, action_mode="act", **self.env_kwargs) for _ in range(n)]
        buffer = ReplayBuffer(self.buffer_size, (N_FEATURES,), self.n_actions)
        collector = NStepCollector(n, self.n_step, self.gamma, buffer)
        optimizer = torch.optim.Adam(self.q_network.parameters(), lr=self.learning_rate)
        log = TrainingLog(tensorboard_dir, curve_path, f"DQN on {ENV_ID} (success rate)")
        base = 0 if seed is None else int(seed) * 1_000_003
        self._spike(envs[0], collector, self.demo_episodes, base + n)
        starts = [env.reset(seed=base + i) for i, env in enumerate(envs)]
        obs = np.stack([o for o, _ in starts])
        legal = np.stack([info["action_mask"].astype(bool) for _, info in starts])
        iterations = max(1, total_steps // n)
        explore_until = max(1, self.exploration_steps // n)
        successes: list[float] = []
        loss_value = float("nan")
        updates = 0
        step = 0
        start = time.perf_counter()
        with Progress(iterations, "dqn", enabled=progress) as bar:
            for it in range(iterations):
                eps = self.epsilon_start + min(1.0, it / explore_until) * (
                    self.epsilon_end - self.epsilon_start
                )
                actions = epsilon_greedy(self.q_values(obs), legal, eps, rng)
                for i, env in enumerate(envs):
                    next_obs, reward, term, trunc, info = env.step(int(actions[i]))
                    next_legal = info["action_mask"].astype(bool)
                    collector.step(i, obs[i], int(actions[i]), float(reward), next_obs,
                                   next_legal, bool(term), bool(trunc))  # fmt: skip
                    if term or trunc:
                        successes.append(float(info["success"]))
                        next_obs, info = env.reset()
                        next_legal = info["action_mask"].astype(bool)
                    obs[i], legal[i] = next_obs, next_legal
                step = (it + 1) * n
                if buffer.size >= self.learning_starts:
                    for _ in range(self.updates_per_iteration):
                        loss_value = self._update(buffer, optimizer, rng)
                        updates += 1
                        if updates % self.target_update_every == 0:
                            self.target_network.load_state_dict(self.q_network.state_dict())
                recent = float(np.mean(successes[-200:])) if successes else 0.0
                if it % 50 == 0 and successes:
                    log.log(step, recent, epsilon=eps, loss=loss_value)
                bar.update(1, eps=float(eps), success=recent, loss=loss_value)
                if max_seconds is not None and time.perf_counter() - start > max_seconds:
                    break
        for env in envs:
            env.close()
        log.close()
        return {
            "episodes": len(successes),
            "steps": step,
            "updates": updates,
            "train_score": float(np.mean(successes[-200:] or [0.0])),
            "seconds": time.perf_counter() - start,
            "history": log.history,
        }

    @staticmethod
    def _spike(env: gym.Env[Any, Any], collector: Any, episodes: int, seed: int) -> None:
        """Replay buffer spiking (Lipton et al., 2018): start the buffer with ``episodes``
        dialogues of the rule policy, so that the rare +20 of success is in it from the
        start; without them epsilon-greedy exploration rarely succeeds (about 3% of random
        dialogues do) and DQN settles on saying goodbye at once."""
        for k in range(episodes):
            obs, info = env.reset(seed=seed + k)
            while True:
                action = rule_action(obs)
                next_obs, reward, term, trunc, info = env.step(action)
                mask = info["action_mask"].astype(bool)
                collector.step(0, obs, action, float(reward), next_obs, mask, bool(term),
                               bool(trunc))  # fmt: skip
                obs = next_obs
                if term or trunc:
                    break

    def config(self) -> dict[str, Any]:
        """Hyper-parameters."""
        return {
            "num_envs": self.num_envs,
            "buffer_size": self.buffer_size,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "gamma": self.gamma,
            "n_step": self.n_step,
            "learning_starts": self.learning_starts,
            "updates_per_iteration": self.updates_per_iteration,
            "target_update_every": self.target_update_every,
            "epsilon_start": self.epsilon_start,
            "epsilon_end": self.epsilon_end,
            "exploration_steps": self.exploration_steps,
            "demo_episodes": self.demo_episodes,
            "hidden": self.hidden,
            "env_kwargs": self.env_kwargs,
        }

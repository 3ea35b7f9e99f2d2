"""Deep Q-learning for Snake: the seed's ``QNetwork`` / ``DQNAgent`` grown into a real DQN.

Replay buffer of n-step returns, target network, linear epsilon schedule, Double DQN
targets, Huber loss,
action masking (the illegal reversal is never chosen nor bootstrapped from), batched
experience from ``gymnasium.make_vec`` and checkpoints in safetensors. Needs the ``train``
extra (torch). The training loop reads top to bottom, CleanRL style.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from rl_nlp_envs._imports import require
from rl_nlp_envs.agents.base import Agent
from rl_nlp_envs.agents.logging import TrainingLog
from rl_nlp_envs.agents.progress import Progress
from rl_nlp_envs.agents.snake import epsilon_greedy


def _torch() -> Any:
    return require("torch", "train", "the DQN agent")


def build_q_network(
    obs_shape: tuple[int, ...], n_actions: int, hidden: int = 256, network: str = "mlp"
) -> Any:
    """``"mlp"`` (observations flattened) or ``"cnn"`` (for (C, H, W) boards)."""
    nn = _torch().nn
    if network not in ("mlp", "cnn"):
        raise ValueError(f"unknown network {network!r}; choose one of: mlp, cnn")
    if network == "mlp" or len(obs_shape) == 1:
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(int(np.prod(obs_shape)), hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, n_actions),
        )  # fmt: skip
    channels, height, width = obs_shape
    return nn.Sequential(
        nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
        nn.Flatten(),
        nn.Linear(32 * height * width, hidden), nn.ReLU(),
        nn.Linear(hidden, n_actions),
    )  # fmt: skip


class ReplayBuffer:
    """A ring buffer of n-step transitions stored as numpy arrays.

    Each transition holds the discounted reward sum ``R`` of up to ``n`` steps and the
    discount ``gamma**k`` to apply to the value of the state ``k`` steps later.
    """

    def __init__(self, capacity: int, obs_shape: tuple[int, ...], n_actions: int) -> None:
        self.capacity = capacity
        self.obs = np.zeros((capacity, *obs_shape), dtype=np.uint8)
        self.next_obs = np.zeros((capacity, *obs_shape), dtype=np.uint8)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.returns = np.zeros(capacity, dtype=np.float32)
        self.discounts = np.zeros(capacity, dtype=np.float32)
        self.next_masks = np.ones((capacity, n_actions), dtype=bool)
        self.pos = 0
        self.size = 0

    def add(
        self,
        obs: np.ndarray,
        action: int,
        ret: float,
        next_obs: np.ndarray,
        discount: float,
        next_mask: np.ndarray,
    ) -> None:
        """Append one transition (``discount`` is 0 when the episode terminated)."""
        i = self.pos
        self.obs[i], self.next_obs[i] = obs, next_obs
        self.actions[i], self.returns[i], self.discounts[i] = action, ret, discount
        self.next_masks[i] = next_mask
        self.pos = (self.pos + 1) % self.capacity
        self.size = min(self.capacity, self.size + 1)

    def sample(self, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """A uniform random batch."""
        idx = rng.integers(0, self.size, batch_size)
        return (self.obs[idx], self.actions[idx], self.returns[idx], self.next_obs[idx],
                self.discounts[idx], self.next_masks[idx])  # fmt: skip


class NStepCollector:
    """Turns each game's stream of steps into n-step transitions for the replay buffer."""

    def __init__(self, num_envs: int, n: int, gamma: float, buffer: ReplayBuffer) -> None:
        self.n, self.gamma, self.buffer = n, gamma, buffer
        self.pending: list[deque[tuple[np.ndarray, int, float]]] = [
            deque() for _ in range(num_envs)
        ]

    def _emit(self, i: int, next_obs: np.ndarray, next_mask: np.ndarray, terminal: bool) -> None:
        obs, action, _ = self.pending[i][0]
        ret, discount = 0.0, 1.0
        for _, _, reward in self.pending[i]:
            ret += discount * reward
            discount *= self.gamma
        self.buffer.add(obs, action, ret, next_obs, 0.0 if terminal else discount, next_mask)
        self.pending[i].popleft()

    def step(
        self,
        i: int,
        obs: np.ndarray,
        action: int,
        reward: float,
        next_obs: np.ndarray,
        next_mask: np.ndarray,
        terminated: bool,
        truncated: bool,
    ) -> None:
        """Record one step of game ``i``."""
        self.pending[i].append((obs, int(action), float(reward)))
        if terminated or truncated:
            while self.pending[i]:
                self._emit(i, next_obs, next_mask, terminated)
        elif len(self.pending[i]) == self.n:
            self._emit(i, next_obs, next_mask, False)


class QNetworkAgent(Agent):
    """What every Double DQN agent here shares: greedy masked acting, the Double DQN update, and
    checkpoints of the online network. Subclasses build ``q_network``, ``target_network``,
    ``device`` and ``batch_size``, and collect experience in ``learn``."""

    q_network: Any
    target_network: Any
    device: Any
    batch_size: int

    def q_values(self, obs: np.ndarray) -> np.ndarray:
        """Q-values of a batch of observations."""
        torch = _torch()
        with torch.no_grad():
            x = torch.as_tensor(np.asarray(obs), dtype=torch.float32, device=self.device)
            return self.q_network(x).cpu().numpy()

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        """The greedy action among those ``info["action_mask"]`` allows."""
        values = self.q_values(np.asarray(observation)[None])[0]
        mask = info.get("action_mask")
        if mask is not None:
            values[~np.asarray(mask, dtype=bool)] = -np.inf
        return int(np.argmax(values))

    def _update(self, buffer: ReplayBuffer, optimizer: Any, rng: np.random.Generator) -> float:
        """One Double DQN gradient step on a sampled batch; returns the loss."""
        torch = _torch()
        obs, actions, returns, next_obs, discounts, next_masks = buffer.sample(self.batch_size, rng)
        dev = self.device
        obs_t = torch.as_tensor(obs, dtype=torch.float32, device=dev)
        next_t = torch.as_tensor(next_obs, dtype=torch.float32, device=dev)
        act_t = torch.as_tensor(actions, device=dev)
        ret_t = torch.as_tensor(returns, device=dev)
        disc_t = torch.as_tensor(discounts, device=dev)
        mask_t = torch.as_tensor(next_masks, device=dev)
        with torch.no_grad():
            # Double DQN: the online net picks the next move, the target net values it.
            online_next = self.q_network(next_t).masked_fill(~mask_t, float("-inf"))
            best = online_next.argmax(dim=1, keepdim=True)
            next_value = self.target_network(next_t).gather(1, best).squeeze(1)
            target = ret_t + disc_t * next_value
        q = self.q_network(obs_t).gather(1, act_t[:, None]).squeeze(1)
        loss = torch.nn.functional.smooth_l1_loss(q, target)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.q_network.parameters(), 10.0)
        optimizer.step()
        return float(loss.item())

    def tensors(self) -> dict[str, np.ndarray]:
        """The online network's parameters."""
        return {k: v.detach().cpu().numpy() for k, v in self.q_network.state_dict().items()}

    def load_tensors(self, tensors: dict[str, np.ndarray]) -> None:
        """Load parameters into both networks (shapes must match)."""
        torch = _torch()
        expected = self.q_network.state_dict()
        if set(tensors) != set(expected):
            raise ValueError(
                f"checkpoint tensors {sorted(tensors)} do not match the network {sorted(expected)}"
            )
        state = {k: torch.as_tensor(v) for k, v in tensors.items()}
        for key, value in state.items():
            if tuple(value.shape) != tuple(expected[key].shape):
                raise ValueError(
                    f"tensor {key!r} has shape {tuple(value.shape)}, "
                    f"expected {tuple(expected[key].shape)}"
                )
        self.q_network.load_state_dict(state)
        self.target_network.load_state_dict(state)


class DQNAgent(QNetworkAgent):
    """Double DQN with a target network on ``rlnlp/Snake-v0`` (``channels`` or ``features``)."""

    name = "dqn"
    learns = True

    def __init__(
        self,
        env: gym.Env[Any, Any] | None = None,
        seed: int | None = None,
        obs_mode: str = "channels",
        num_envs: int = 8,
        buffer_size: int = 200_000,
        batch_size: int = 64,
        learning_rate: float = 5e-4,
        gamma: float = 0.97,
        n_step: int = 1,
        learning_starts: int = 5_000,
        train_every: int = 1,
        target_update_every: int = 1_000,
        epsilon_start: float = 1.0,
        epsilon_end: float = 0.02,
        exploration_steps: int = 90_000,
        hidden: int = 256,
        network: str = "cnn",
        env_kwargs: dict[str, Any] | None = None,
        device: str = "cpu",
    ) -> None:
        torch = _torch()
        self.seed = seed
        self.obs_mode = obs_mode
        self.num_envs = num_envs
        self.buffer_size = buffer_size
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.gamma = gamma
        self.n_step = n_step
        self.learning_starts = learning_starts
        self.train_every = train_every
        self.target_update_every = target_update_every
        self.epsilon_start, self.epsilon_end = epsilon_start, epsilon_end
        self.exploration_steps = exploration_steps
        self.hidden = hidden
        self.network = network
        self.env_kwargs = {k: v for k, v in (env_kwargs or {}).items() if k != "obs_mode"}
        self.device = torch.device(device)
        if seed is not None:
            torch.manual_seed(seed)
        probe = gym.make("rlnlp/Snake-v0", obs_mode=obs_mode, **self.env_kwargs)
        shape = probe.observation_space.shape
        assert shape is not None
        self.obs_shape = tuple(int(d) for d in shape)
        probe.close()
        self.q_network = build_q_network(self.obs_shape, 4, hidden, network).to(self.device)
        self.target_network = build_q_network(self.obs_shape, 4, hidden, network).to(self.device)
        self.target_network.load_state_dict(self.q_network.state_dict())

    # -- learning ----------------------------------------------------------------------------
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
        """Train for ``total_steps`` env steps (summed over the batched games)."""
        torch = _torch()
        seed = self.seed if seed is None else seed
        rng = np.random.default_rng(seed)
        n = self.num_envs
        envs = gym.make_vec("rlnlp/Snake-v0", num_envs=n, obs_mode=self.obs_mode,
                            **self.env_kwargs)  # fmt: skip
        buffer = ReplayBuffer(self.buffer_size, self.obs_shape, 4)
        collector = NStepCollector(n, self.n_step, self.gamma, buffer)
        optimizer = torch.optim.Adam(self.q_network.parameters(), lr=self.learning_rate)
        log = TrainingLog(tensorboard_dir, curve_path, "DQN on rlnlp/Snake-v0")
        obs, info = envs.reset(seed=seed)
        autoreset = np.zeros(n, dtype=bool)
        iterations = max(1, total_steps // n)
        explore_until = max(1, self.exploration_steps // n)
        scores: list[float] = []
        loss_value = float("nan")
        start = time.perf_counter()
        updates = 0
        step = 0
        with Progress(iterations, "dqn", enabled=progress) as bar:
            for it in range(iterations):
                eps = self.epsilon_start + min(1.0, it / explore_until) * (
                    self.epsilon_end - self.epsilon_start
                )
                legal = info["action_mask"].astype(bool)
                actions = epsilon_greedy(self.q_values(obs), legal, eps, rng)
                next_obs, rewards, term, trunc, info = envs.step(actions)
                live = ~autoreset  # a NEXT_STEP reset step is not a transition
                next_masks = info["action_mask"].astype(bool)
                for i in np.flatnonzero(live):
                    collector.step(
                        int(i), obs[i], int(actions[i]), float(rewards[i]), next_obs[i],
                        next_masks[i], bool(term[i]), bool(trunc[i]),
                    )  # fmt: skip
                done = term | trunc
                scores.extend(info["score"][done & live].tolist())
                autoreset = done
                obs = next_obs
                step = (it + 1) * n
                if buffer.size >= self.learning_starts and it % self.train_every == 0:
                    loss_value = self._update(buffer, optimizer, rng)
                    updates += 1
                    if updates % self.target_update_every == 0:
                        self.target_network.load_state_dict(self.q_network.state_dict())
                recent = float(np.mean(scores[-100:])) if scores else 0.0
                if it % 50 == 0 and scores:
                    log.log(step, recent, epsilon=eps, loss=loss_value)
                bar.update(1, eps=float(eps), score=recent, loss=loss_value)
                if max_seconds is not None and time.perf_counter() - start > max_seconds:
                    break
        envs.close()
        log.close()
        return {
            "episodes": len(scores),
            "steps": step,
            "updates": updates,
            "train_score": float(np.mean(scores[-100:] or [0.0])),
            "seconds": time.perf_counter() - start,
            "history": log.history,
        }

    # -- checkpoints -------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """Hyper-parameters (and what rebuilds the network)."""
        return {
            "obs_mode": self.obs_mode,
            "num_envs": self.num_envs,
            "buffer_size": self.buffer_size,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "gamma": self.gamma,
            "n_step": self.n_step,
            "learning_starts": self.learning_starts,
            "train_every": self.train_every,
            "target_update_every": self.target_update_every,
            "epsilon_start": self.epsilon_start,
            "epsilon_end": self.epsilon_end,
            "exploration_steps": self.exploration_steps,
            "hidden": self.hidden,
            "network": self.network,
            "env_kwargs": self.env_kwargs,
        }

"""Snake baselines that need numpy only: a BFS planner and the seed's tabular Q-learning."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from rl_nlp_envs.agents.base import Agent
from rl_nlp_envs.agents.logging import TrainingLog
from rl_nlp_envs.agents.progress import Progress
from rl_nlp_envs.envs.snake.logic import DCOL, DROW, N_FEATURES


def _neighbours(cell: int, size: int) -> list[tuple[int, int]]:
    row, col = divmod(cell, size)
    out = []
    for move in range(4):
        r, c = row + DROW[move], col + DCOL[move]
        if 0 <= r < size and 0 <= c < size:
            out.append((move, r * size + c))
    return out


def bfs(size: int, start: int, goal: int, blocked: set[int]) -> list[int] | None:
    """Shortest path of cells from ``start`` (excluded) to ``goal`` avoiding ``blocked``."""
    parent = {start: start}
    queue = deque([start])
    while queue:
        cell = queue.popleft()
        if cell == goal:
            path = []
            while cell != start:
                path.append(cell)
                cell = parent[cell]
            return path[::-1]
        for _, nxt in _neighbours(cell, size):
            if nxt not in parent and (nxt not in blocked or nxt == goal):
                parent[nxt] = cell
                queue.append(nxt)
    return None


def flood_area(size: int, start: int, blocked: set[int]) -> int:
    """Number of cells reachable from ``start`` without crossing ``blocked``."""
    seen = {start}
    queue = deque([start])
    while queue:
        for _, nxt in _neighbours(queue.popleft(), size):
            if nxt not in seen and nxt not in blocked:
                seen.add(nxt)
                queue.append(nxt)
    return len(seen)


def _advance(body: list[int], path: list[int], ate_at_end: bool) -> list[int]:
    """The body after following ``path`` (head first), growing by one if it ends on food."""
    new_length = len(body) + (1 if ate_at_end else 0)
    return (path[::-1] + body)[:new_length]


def _tail_reachable(size: int, body: list[int]) -> bool:
    if len(body) >= size * size or len(body) < 2:
        return True
    return bfs(size, body[0], body[-1], set(body[1:-1])) is not None


def plan_move(size: int, body: list[int], food: int, heading: int) -> int:
    """Choose a move: the shortest safe path to the food, else chase the tail, else most room.

    "Safe" means that after eating, the head can still reach the tail, so the snake cannot
    have walled itself in.
    """
    head = body[0]
    if food >= 0:
        path = bfs(size, head, food, set(body[:-1]))
        if path is not None and _tail_reachable(size, _advance(body, path, True)):
            return _move_towards(head, path[0], size)
    best: tuple[int, int] | None = None
    fallback: tuple[int, int] | None = None
    for move, nxt in _neighbours(head, size):
        if nxt in body[:-1] or (len(body) > 1 and nxt == body[1]):
            continue
        after = _advance(body, [nxt], nxt == food)
        area = flood_area(size, nxt, set(after[1:-1]) if nxt != food else set(after[1:]))
        if fallback is None or area > fallback[0]:
            fallback = (area, move)
        if _tail_reachable(size, after):
            tail_path = bfs(size, nxt, after[-1], set(after[1:-1]))
            distance = len(tail_path) if tail_path is not None else 0
            if best is None or distance > best[0]:
                best = (distance, move)
    if best is not None:
        return best[1]
    if fallback is not None:
        return fallback[1]
    return heading


def _move_towards(head: int, nxt: int, size: int) -> int:
    for move, cell in _neighbours(head, size):
        if cell == nxt:
            return move
    raise ValueError(f"cell {nxt} is not next to {head}")


def epsilon_greedy(
    values: np.ndarray, legal: np.ndarray, epsilon: float, rng: np.random.Generator
) -> np.ndarray:
    """Per row: with probability ``epsilon`` a uniformly random legal action, else the legal
    action of highest value. ``values`` and ``legal`` have shape (n, n_actions)."""
    n, n_actions = values.shape
    greedy = np.argmax(np.where(legal, values, -np.inf), axis=1)
    random_moves = np.argmax(rng.random((n, n_actions)) * legal, axis=1)
    return np.where(rng.random(n) < epsilon, random_moves, greedy)


class GreedySnakeAgent(Agent):
    """A planner: BFS shortest safe path to the food, otherwise the longest survivable move.

    It plans on the game state of the env it is given (``env.unwrapped.game``), as a
    simulator-based planning baseline does, so it works with every ``obs_mode``.
    """

    name = "greedy"

    def __init__(self, env: gym.Env[Any, Any], seed: int | None = None) -> None:
        self.env = env

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        """The planned move."""
        game = self.env.unwrapped.game  # type: ignore[attr-defined]
        return plan_move(game.size, list(game.body), game.food, game.heading)


class QLearningAgent(Agent):
    """Tabular Q-learning on the 11 ``features`` booleans (2**11 states x 4 moves).

    The seed's update ``Q(s,a) += alpha * (r + gamma * max_a' Q(s',a') - Q(s,a))`` with an
    epsilon-greedy behaviour policy whose epsilon decays linearly. Training steps many games at
    once through the batched env (``gymnasium.make_vec``), one table update per game per step.
    """

    name = "qlearning"
    learns = True

    def __init__(
        self,
        env: gym.Env[Any, Any] | None = None,
        seed: int | None = None,
        alpha: float = 0.1,
        gamma: float = 0.9,
        epsilon_start: float = 1.0,
        epsilon_end: float = 0.0,
        exploration_fraction: float = 0.5,
        num_envs: int = 64,
        env_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.seed = seed
        self.alpha, self.gamma = alpha, gamma
        self.epsilon_start, self.epsilon_end = epsilon_start, epsilon_end
        self.exploration_fraction = exploration_fraction
        self.num_envs = num_envs
        self.env_kwargs = {k: v for k, v in (env_kwargs or {}).items() if k != "obs_mode"}
        self.q = np.zeros((2**N_FEATURES, 4), dtype=np.float64)
        self._weights = 1 << np.arange(N_FEATURES)[::-1]

    def state_index(self, features: np.ndarray) -> np.ndarray:
        """Feature bits -> table row (works on one vector or a batch)."""
        return np.asarray(features, dtype=np.int64) @ self._weights

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        """The greedy move of the learned table (illegal reversals excluded)."""
        values = self.q[int(self.state_index(observation))].copy()
        mask = info.get("action_mask")
        if mask is not None:
            values[~np.asarray(mask, dtype=bool)] = -np.inf
        return int(np.argmax(values))

    def learn(
        self,
        total_steps: int,
        seed: int | None = None,
        progress: bool = True,
        tensorboard_dir: str | Path | None = None,
        curve_path: str | Path | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """Train on ``total_steps`` env steps, summed over the batched games."""
        log = TrainingLog(tensorboard_dir, curve_path, "Q-learning on rlnlp/Snake-v0")
        seed = self.seed if seed is None else seed
        rng = np.random.default_rng(seed)
        envs = gym.make_vec(
            "rlnlp/Snake-v0", num_envs=self.num_envs, obs_mode="features", **self.env_kwargs
        )
        obs, info = envs.reset(seed=seed)
        n = self.num_envs
        updates = max(1, total_steps // n)
        explore_until = max(1, int(updates * self.exploration_fraction))
        autoreset = np.zeros(n, dtype=bool)
        scores: list[float] = []
        with Progress(updates, "qlearning", enabled=progress) as bar:
            for t in range(updates):
                frac = min(1.0, t / explore_until)
                eps = self.epsilon_start + frac * (self.epsilon_end - self.epsilon_start)
                s = self.state_index(obs)
                legal = info["action_mask"].astype(bool)
                actions = epsilon_greedy(self.q[s], legal, eps, rng)
                next_obs, reward, term, trunc, info = envs.step(actions)
                # the step after an episode end is a reset step (NEXT_STEP autoreset): skip it
                live = ~autoreset
                target = reward + self.gamma * (~term) * self.q[self.state_index(next_obs)].max(1)
                td = target - self.q[s, actions]
                np.add.at(self.q, (s[live], actions[live]), self.alpha * td[live])
                done = term | trunc
                scores.extend(info["score"][done & live].tolist())
                autoreset = done
                obs = next_obs
                recent = float(np.mean(scores[-200:])) if scores else 0.0
                bar.update(1, eps=float(eps), score=recent)
                if t % 50 == 0 and scores:
                    log.log((t + 1) * n, recent, epsilon=float(eps))
        envs.close()
        log.close()
        return {
            "episodes": len(scores),
            "steps": updates * n,
            "train_score": float(np.mean(scores[-200:] or [0.0])),
            "history": log.history,
        }

    def config(self) -> dict[str, Any]:
        """Hyper-parameters."""
        return {
            "alpha": self.alpha,
            "gamma": self.gamma,
            "epsilon_start": self.epsilon_start,
            "epsilon_end": self.epsilon_end,
            "exploration_fraction": self.exploration_fraction,
            "num_envs": self.num_envs,
        }

    def tensors(self) -> dict[str, np.ndarray]:
        """The Q table."""
        return {"q": self.q}

    def load_tensors(self, tensors: dict[str, np.ndarray]) -> None:
        """Restore the Q table."""
        q = tensors.get("q")
        if q is None or q.shape != self.q.shape:
            raise ValueError(f"expected a tensor 'q' of shape {self.q.shape} in the checkpoint")
        self.q = q.astype(np.float64)

"""The rules of Snake, as a pure Python game with no Gymnasium in it.

Coordinates are flat cell indices ``row * size + col``. Moves are absolute:
0 up, 1 right, 2 down, 3 left. Randomness comes from a counter-based generator
(SplitMix64 of an episode key and a draw counter) rather than a stateful RNG, so the
batched implementation in ``vector.py`` can reproduce every game exactly with array
arithmetic: the ``j``-th random number of an episode is ``draw(key, j)``.

Draw 0 picks the initial heading, draw 1 the initial head cell, draws 2, 3, ... the
food cells: a food placement tries up to ``FOOD_TRIES`` cells ``r % size**2`` and takes the
first empty one; if all are taken it draws once more and takes the ``r % n_empty``-th empty
cell in row-major order. Either way every empty cell is equally likely, and the common case
costs one draw and no scan of the board.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

EMPTY, BODY, HEAD, FOOD = 0, 1, 2, 3
UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3
ACTION_NAMES = ("up", "right", "down", "left")
DROW = (-1, 0, 1, 0)
DCOL = (0, 1, 0, -1)

MASK64 = (1 << 64) - 1
GOLDEN64 = 0x9E3779B97F4A7C15
NEXT_EPISODE_SALT = 0xD1B54A32D192ED03
FOOD_TRIES = 4
N_FEATURES = 11
FEATURE_NAMES = (
    "danger_straight",
    "danger_right",
    "danger_left",
    "heading_up",
    "heading_right",
    "heading_down",
    "heading_left",
    "food_up",
    "food_right",
    "food_down",
    "food_left",
)


def mix64(x: int) -> int:
    """SplitMix64: a bijective 64-bit mixing of ``x + golden ratio``."""
    z = (x + GOLDEN64) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def draw(key: int, counter: int) -> int:
    """The ``counter``-th 64-bit random number of the episode with ``key``."""
    return mix64((key + counter * GOLDEN64) & MASK64)


def key_from_seed(seed: int) -> int:
    """Episode key of ``reset(seed=seed)``."""
    return mix64(seed & MASK64)


def next_key(key: int) -> int:
    """Episode key of the reset that follows an episode with ``key`` (no new seed)."""
    return mix64(key ^ NEXT_EPISODE_SALT)


@dataclass(frozen=True)
class SnakeConfig:
    """Board size, start length and reward scheme of a game."""

    size: int = 10
    initial_length: int = 3
    reward_food: float = 1.0
    reward_death: float = -1.0
    reward_step: float = 0.0
    max_steps_without_food: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.size, int) or self.size < 3:
            raise ValueError(f"size must be an int >= 3, got {self.size!r}")
        if not isinstance(self.initial_length, int) or not (1 <= self.initial_length <= self.size):
            raise ValueError(
                f"initial_length must be an int in [1, size={self.size}], "
                f"got {self.initial_length!r}"
            )
        if self.max_steps_without_food is not None and self.max_steps_without_food < 1:
            raise ValueError(
                f"max_steps_without_food must be >= 1 or None, got {self.max_steps_without_food}"
            )

    @property
    def starvation_limit(self) -> int:
        """Steps without food after which an episode is truncated (default ``2 * size**2``)."""
        if self.max_steps_without_food is None:
            return 2 * self.size * self.size
        return self.max_steps_without_food


def initial_snake(size: int, length: int, key: int) -> tuple[int, list[int]]:
    """Initial heading and body cells (head first) for an episode key."""
    heading = draw(key, 0) % 4
    span = size - length + 1
    position = draw(key, 1) % (size * span)
    across, along = divmod(position, span)
    if heading in (RIGHT, DOWN):
        along += length - 1
    row, col = (along, across) if heading in (UP, DOWN) else (across, along)
    back = (heading + 2) % 4
    body = [(row + k * DROW[back]) * size + (col + k * DCOL[back]) for k in range(length)]
    return heading, body


class SnakeGame:
    """One game of Snake. ``grid`` is the flat board (EMPTY/BODY/HEAD/FOOD codes)."""

    def __init__(self, config: SnakeConfig, key: int) -> None:
        self.config = config
        self.size = config.size
        self.key = key & MASK64
        self.counter = 2
        self.grid = np.zeros(self.size * self.size, dtype=np.uint8)
        self.heading, cells = initial_snake(self.size, config.initial_length, self.key)
        self.body: deque[int] = deque(cells)
        self.grid[cells] = BODY
        self.grid[cells[0]] = HEAD
        self.food = -1
        self.score = 0
        self.steps = 0
        self.steps_since_food = 0
        self.over = False
        self.won = False
        self._place_food()

    @property
    def head(self) -> int:
        """Cell of the head."""
        return self.body[0]

    @property
    def length(self) -> int:
        """Number of cells the snake occupies."""
        return len(self.body)

    def _place_food(self) -> None:
        grid = self.grid
        if len(self.body) == grid.size:
            self.food = -1
            return
        for _ in range(FOOD_TRIES):
            cell = draw(self.key, self.counter) % grid.size
            self.counter += 1
            if grid[cell] == EMPTY:
                break
        else:
            empty = np.flatnonzero(grid == EMPTY)
            cell = int(empty[draw(self.key, self.counter) % empty.size])
            self.counter += 1
        self.food = cell
        grid[cell] = FOOD

    def legal_moves(self) -> np.ndarray:
        """Boolean mask of the 4 moves: reversing into the neck is illegal."""
        mask = np.ones(4, dtype=np.int8)
        if len(self.body) > 1:
            mask[(self.heading + 2) % 4] = 0
        return mask

    def resolve_action(self, action: int) -> int:
        """The move actually made: an illegal reversal keeps the current heading."""
        if len(self.body) > 1 and action == (self.heading + 2) % 4:
            return self.heading
        return action

    def step(self, action: int) -> tuple[float, bool, bool]:
        """Advance one move; returns ``(reward, terminated, truncated)``."""
        if self.over:
            raise RuntimeError("the game is over; start a new one")
        cfg = self.config
        size = self.size
        move = self.resolve_action(int(action))
        self.heading = move
        self.steps += 1
        head = self.body[0]
        row, col = divmod(head, size)
        row, col = row + DROW[move], col + DCOL[move]
        if not (0 <= row < size and 0 <= col < size):
            self.over = True
            return cfg.reward_death, True, False
        new = row * size + col
        grid = self.grid
        eat = new == self.food
        if not eat:
            tail = self.body[-1]
            if grid[new] == BODY and new != tail:
                self.over = True
                return cfg.reward_death, True, False
            grid[head] = BODY
            self.body.pop()
            grid[tail] = EMPTY
        else:
            grid[head] = BODY
        self.body.appendleft(new)
        grid[new] = HEAD
        if eat:
            self.score += 1
            self.steps_since_food = 0
            self._place_food()
            if self.food < 0:
                self.over = self.won = True
                return cfg.reward_food, True, False
            return cfg.reward_food, False, False
        self.steps_since_food += 1
        if self.steps_since_food >= cfg.starvation_limit:
            self.over = True
            return cfg.reward_step, False, True
        return cfg.reward_step, False, False

    def is_deadly(self, move: int) -> bool:
        """Whether moving ``move`` now would end the game by collision."""
        size = self.size
        row, col = divmod(self.body[0], size)
        row, col = row + DROW[move], col + DCOL[move]
        if not (0 <= row < size and 0 <= col < size):
            return True
        cell = row * size + col
        return bool(self.grid[cell] == BODY and cell != self.body[-1])

    def features(self) -> np.ndarray:
        """The 11 classic booleans (see ``FEATURE_NAMES``) as an int8 vector."""
        h = self.heading
        out = np.zeros(N_FEATURES, dtype=np.int8)
        out[0] = self.is_deadly(h)
        out[1] = self.is_deadly((h + 1) % 4)
        out[2] = self.is_deadly((h + 3) % 4)
        out[3 + h] = 1
        if self.food >= 0:
            hr, hc = divmod(self.body[0], self.size)
            fr, fc = divmod(self.food, self.size)
            out[7] = fr < hr
            out[8] = fc > hc
            out[9] = fr > hr
            out[10] = fc < hc
        return out

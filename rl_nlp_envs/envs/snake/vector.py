"""A native batched ``rlnlp/Snake-v0``: N games stepped together with numpy array operations.

Every game follows exactly the rules of ``logic.SnakeGame`` (the tests check that the same
per-env seeds and actions give the same trajectories as N single envs). The body is a ring
buffer of cells per game and the board codes are updated in place, so a step costs O(N)
array work whatever the board size; only food placement looks at whole boards, and only
for the games that just ate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from rl_nlp_envs.core.spaces import batched_discrete_actions
from rl_nlp_envs.core.vector import check_vector_args, parse_reset
from rl_nlp_envs.envs.snake.env import grid_to_channels, observation_space_for
from rl_nlp_envs.envs.snake.logic import (
    BODY,
    DCOL,
    DOWN,
    DROW,
    EMPTY,
    FOOD,
    FOOD_TRIES,
    GOLDEN64,
    HEAD,
    MASK64,
    NEXT_EPISODE_SALT,
    RIGHT,
    UP,
    SnakeConfig,
)
from rl_nlp_envs.envs.snake.render import grid_to_pixels, grid_to_text

_DROW = np.array(DROW, dtype=np.int64)
_DCOL = np.array(DCOL, dtype=np.int64)
# row h: the moves legal while heading h (all but the reversal)
_FIRST_DRAWS = np.array([0, 1], dtype=np.uint64)
_TRIES = np.arange(FOOD_TRIES, dtype=np.int64)
_LEGAL_BY_HEADING = ~np.eye(4, dtype=bool)[[2, 3, 0, 1]]


_G, _M1, _M2 = np.uint64(GOLDEN64), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)


def mix64(x: np.ndarray) -> np.ndarray:
    """Vectorised ``logic.mix64`` on uint64 arrays (wrap-around arithmetic, in place)."""
    z = x + _G
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


def draw(keys: np.ndarray, counters: np.ndarray | int) -> np.ndarray:
    """Vectorised ``logic.draw``."""
    c = np.asarray(counters).astype(np.uint64) * _G
    c = c + keys
    return mix64(c)


class SnakeVectorEnv(VectorEnv[np.ndarray, np.ndarray, np.ndarray]):
    """``num_envs`` games of Snake stepped at once; see ``SnakeEnv`` for the rules.

    Made by ``gymnasium.make_vec("rlnlp/Snake-v0", num_envs=N, **kwargs)`` (the registered
    ``vector_entry_point``). Takes the single env's arguments plus ``autoreset_mode``
    (``AutoresetMode.NEXT_STEP`` by default, ``SAME_STEP``, or ``DISABLED`` with
    ``reset(options={"reset_mask": mask})``) and ``backend``: ``"numba"`` (a compiled loop,
    the fastest), ``"numpy"`` (array operations), or ``"auto"`` (numba when installed).
    Seeds follow Gymnasium's convention: an int seed ``s`` gives sub-env ``i`` the seed
    ``s + i``. Infos are batched as Gymnasium's vector envs
    batch them (arrays plus ``_key`` masks; ``final_obs`` / ``final_info`` in ``SAME_STEP``).
    """

    metadata = {
        "render_modes": ["rgb_array", "ansi"],
        "render_fps": 10,
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }

    def __init__(
        self,
        num_envs: int = 1,
        size: int = 10,
        obs_mode: str = "grid",
        initial_length: int = 3,
        reward_food: float = 1.0,
        reward_death: float = -1.0,
        reward_step: float = 0.0,
        max_steps_without_food: int | None = None,
        pixel_size: int = 8,
        render_mode: str | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        backend: str = "auto",
    ) -> None:
        mode = check_vector_args(
            num_envs, autoreset_mode, render_mode, self.metadata["render_modes"]
        )
        self.config = SnakeConfig(
            size=size,
            initial_length=initial_length,
            reward_food=float(reward_food),
            reward_death=float(reward_death),
            reward_step=float(reward_step),
            max_steps_without_food=max_steps_without_food,
        )
        self.metadata = {**self.metadata, "autoreset_mode": mode}
        self.autoreset_mode = mode
        self.num_envs = int(num_envs)
        self.size = size
        self.obs_mode = obs_mode
        self.pixel_size = pixel_size
        self.render_mode = render_mode
        self.single_observation_space = observation_space_for(obs_mode, size, pixel_size)
        self.single_action_space = spaces.Discrete(4)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)

        n, cells = self.num_envs, size * size
        self._idx = np.arange(n)
        self._grid = np.zeros((n, cells), dtype=np.uint8)
        self._ring = np.zeros((n, cells), dtype=np.int64)
        self._head_ptr = np.zeros(n, dtype=np.int64)
        self._length = np.zeros(n, dtype=np.int64)
        self._heading = np.zeros(n, dtype=np.int64)
        self._food = np.full(n, -1, dtype=np.int64)
        self._score = np.zeros(n, dtype=np.int64)
        self._since_food = np.zeros(n, dtype=np.int64)
        self._keys = np.zeros(n, dtype=np.uint64)
        self._counter = np.zeros(n, dtype=np.int64)
        self._done = np.zeros(n, dtype=bool)
        self._started = False
        self.backend = _resolve_backend(backend)
        self._kernel: Any = None
        if self.backend == "numba":
            from rl_nlp_envs.envs.snake import kernel

            self._kernel = kernel

    # -- reset -------------------------------------------------------------------------------
    def reset(
        self,
        *,
        seed: int | Sequence[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every game (or those in ``options["reset_mask"]``)."""
        n = self.num_envs
        mask, seeds, base_seed, _ = parse_reset("Snake-v0", n, seed, options)
        if base_seed is not None:
            self._np_random, self._np_random_seed = seeding.np_random(base_seed)
        keys = self._keys.copy()
        fresh = ~self._started
        for i in np.flatnonzero(mask):
            s = seeds[i]
            if s is not None:
                keys[i] = mix64(np.array([s], dtype=np.uint64) & np.uint64(MASK64))[0]
            elif fresh:
                keys[i] = self.np_random.integers(0, MASK64, dtype=np.uint64, endpoint=True)
            else:
                keys[i] = mix64(keys[i : i + 1] ^ np.uint64(NEXT_EPISODE_SALT))[0]
        self._keys = keys
        self._started = True
        if self._kernel is not None:
            self._kernel.reset_games(
                np.flatnonzero(mask), False, self.size, self.config.initial_length, *self._state()
            )
        else:
            self._reset_games(np.flatnonzero(mask))
        self._done[mask] = False
        return self._observations(), self._infos(np.ones(n, dtype=bool))

    def _reset_games(self, idx: np.ndarray) -> None:
        """Place fresh games for the sub-envs ``idx`` (their keys already set)."""
        if idx.size == 0:
            return
        size, length = self.size, self.config.initial_length
        span = size - length + 1
        first = draw(self._keys[idx][:, None], _FIRST_DRAWS)
        heading = (first[:, 0] % np.uint64(4)).astype(np.int64)
        position = (first[:, 1] % np.uint64(size * span)).astype(np.int64)
        across, along = np.divmod(position, span)
        along = along + np.where((heading == RIGHT) | (heading == DOWN), length - 1, 0)
        vertical = (heading == UP) | (heading == DOWN)
        row = np.where(vertical, along, across)
        col = np.where(vertical, across, along)
        back = (heading + 2) % 4
        k = np.arange(length)
        body = (row[:, None] + k * _DROW[back][:, None]) * size + (
            col[:, None] + k * _DCOL[back][:, None]
        )
        self._grid[idx] = EMPTY
        rows = idx[:, None]
        self._grid[rows, body] = BODY
        self._grid[idx, body[:, 0]] = HEAD
        # the ring holds the tail at slot 0 and the head at slot length - 1
        self._ring[rows, k[None, :]] = body[:, ::-1]
        self._head_ptr[idx] = length - 1
        self._length[idx] = length
        self._heading[idx] = heading
        self._score[idx] = 0
        self._since_food[idx] = 0
        self._counter[idx] = 2
        self._place_food(idx)

    def _place_food(self, idx: np.ndarray) -> np.ndarray:
        """Put food on a random empty cell of each game in ``idx``; returns which are full.

        Follows ``logic.SnakeGame._place_food``: the first empty cell among ``FOOD_TRIES``
        random cells (all drawn at once), else the ``r % n_empty``-th empty cell.
        """
        cells = self.size * self.size
        full = self._length[idx] == cells
        self._food[idx[full]] = -1
        todo = idx[~full]
        if todo.size == 0:
            return full
        counter = self._counter[todo]
        tries = draw(self._keys[todo][:, None], counter[:, None] + _TRIES)
        cand = (tries % np.uint64(cells)).astype(np.int64)
        empty = self._grid[todo[:, None], cand] == EMPTY
        first = np.argmax(empty, axis=1)
        ok = empty[np.arange(todo.size), first]
        self._counter[todo] = counter + np.where(ok, first + 1, FOOD_TRIES)
        placed = todo[ok]
        cell = cand[ok, first[ok]]
        self._food[placed] = cell
        self._grid[placed, cell] = FOOD
        rest = todo[~ok]
        if rest.size:
            empty_cells = self._grid[rest] == EMPTY
            n_empty = empty_cells.sum(axis=1).astype(np.uint64)
            k = (draw(self._keys[rest], self._counter[rest]) % n_empty).astype(np.int64)
            self._counter[rest] += 1
            # the k-th empty cell (0-based) is where the running count of empties passes k
            running = np.cumsum(empty_cells, axis=1, dtype=np.int16)
            cell = np.argmax(running > k[:, None], axis=1)
            self._food[rest] = cell
            self._grid[rest, cell] = FOOD
        return full

    # -- step --------------------------------------------------------------------------------
    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step every game with its action (autoreset as ``autoreset_mode`` says)."""
        if not self._started:
            raise RuntimeError("Snake-v0 vector env: call reset() before step()")
        n, size, cfg = self.num_envs, self.size, self.config
        act = batched_discrete_actions(actions, n, 4)
        if self.autoreset_mode == AutoresetMode.NEXT_STEP:
            resetting = self._done.copy()
        elif self.autoreset_mode == AutoresetMode.DISABLED and self._done.any():
            i = int(np.flatnonzero(self._done)[0])
            raise RuntimeError(
                f"sub-environment {i} has ended; with AutoresetMode.DISABLED call "
                "reset(options={'reset_mask': mask}) before step()"
            )
        else:
            resetting = np.zeros(n, dtype=bool)
        stepping = ~resetting
        if self._kernel is not None:
            reward, terminated, truncated = self._kernel_buffers()
            self._kernel.step_games(
                act, stepping, size, cfg.starvation_limit, cfg.reward_food, cfg.reward_death,
                cfg.reward_step, *self._state(), reward, terminated, truncated,
            )  # fmt: skip
            terminated, truncated = terminated.copy(), truncated.copy()
            reward = reward.copy()
        else:
            reward, terminated, truncated = self._advance_numpy(act, stepping)

        r = np.flatnonzero(resetting)
        if r.size:
            self._next_episode(r)
        done = terminated | truncated
        infos: dict[str, Any] = {}
        if self.autoreset_mode == AutoresetMode.SAME_STEP and done.any():
            d = np.flatnonzero(done)
            final_obs = np.full(n, None, dtype=object)
            obs_done = self._observations()
            for j in d:
                final_obs[j] = obs_done[j]
            infos["final_obs"] = final_obs
            infos["_final_obs"] = done.copy()
            infos["final_info"] = self._infos(done)
            infos["_final_info"] = done.copy()
            self._next_episode(d)
            self._done[:] = False
        else:
            self._done = done
        infos.update(self._infos(np.ones(n, dtype=bool)))
        return self._observations(), reward, terminated, truncated, infos

    def _state(self) -> tuple[np.ndarray, ...]:
        """The game arrays, in the order the compiled kernels take them."""
        return (
            self._grid, self._ring, self._head_ptr, self._length, self._heading, self._food,
            self._score, self._since_food, self._keys, self._counter,
        )  # fmt: skip

    def _kernel_buffers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.num_envs
        return np.empty(n, np.float64), np.empty(n, np.bool_), np.empty(n, np.bool_)

    def _advance_numpy(
        self, act: np.ndarray, stepping: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One move of every game with ``stepping`` set, as numpy array operations."""
        n, size, cfg = self.num_envs, self.size, self.config
        idx = self._idx
        cells = size * size
        heading = self._heading
        reverse = (self._length > 1) & (act == (heading + 2) % 4)
        move = np.where(reverse, heading, act)
        heading[stepping] = move[stepping]
        head = self._ring[idx, self._head_ptr]
        row = head // size + _DROW[move]
        col = head % size + _DCOL[move]
        oob = (row < 0) | (row >= size) | (col < 0) | (col >= size)
        new = np.where(oob, 0, row * size + col)
        tail = self._ring[idx, (self._head_ptr - self._length + 1) % cells]
        eat = ~oob & (new == self._food)
        hit = ~oob & (self._grid[idx, new] == BODY) & (new != tail)
        dead = (oob | hit) & stepping
        alive = stepping & ~dead
        eat &= alive
        grow = eat
        move_on = alive & ~eat

        a = np.flatnonzero(alive)
        grid = self._grid
        grid[a, head[a]] = BODY
        m = np.flatnonzero(move_on)
        grid[m, tail[m]] = EMPTY
        grid[a, new[a]] = HEAD
        self._head_ptr[a] = (self._head_ptr[a] + 1) % cells
        self._ring[a, self._head_ptr[a]] = new[a]
        self._length[grow] += 1
        self._score[grow] += 1
        self._since_food[grow] = 0
        self._since_food[move_on] += 1

        won = np.zeros(n, dtype=bool)
        e = np.flatnonzero(grow)
        if e.size:
            won[e] = self._place_food(e)
        truncated = move_on & (self._since_food >= cfg.starvation_limit)
        terminated = dead | won
        reward = np.where(dead, cfg.reward_death, np.where(grow, cfg.reward_food, cfg.reward_step))
        reward[~stepping] = 0.0
        return reward.astype(np.float64), terminated, truncated

    def _next_episode(self, idx: np.ndarray) -> None:
        """Start the next episode of the sub-envs ``idx`` (keys advance, no new seed)."""
        if self._kernel is not None:
            self._kernel.reset_games(
                idx, True, self.size, self.config.initial_length, *self._state()
            )
            return
        self._keys[idx] = mix64(self._keys[idx] ^ np.uint64(NEXT_EPISODE_SALT))
        self._reset_games(idx)

    # -- observations and infos --------------------------------------------------------------
    def _observations(self) -> np.ndarray:
        n, size = self.num_envs, self.size
        if self.obs_mode == "features":
            return self._features()
        grid = self._grid.reshape(n, size, size)
        if self.obs_mode == "grid":
            return grid.copy()
        if self.obs_mode == "channels":
            return grid_to_channels(grid)
        return grid_to_pixels(grid, self.pixel_size)

    def _features(self) -> np.ndarray:
        n, size, cells = self.num_envs, self.size, self.size * self.size
        idx = self._idx
        out = np.zeros((n, 11), dtype=np.int8)
        head = self._ring[idx, self._head_ptr]
        tail = self._ring[idx, (self._head_ptr - self._length + 1) % cells]
        hr, hc = head // size, head % size
        h = self._heading
        moves = np.stack([h, (h + 1) % 4, (h + 3) % 4], axis=1)
        r = hr[:, None] + _DROW[moves]
        c = hc[:, None] + _DCOL[moves]
        oob = (r < 0) | (r >= size) | (c < 0) | (c >= size)
        cell = np.where(oob, 0, r * size + c)
        body = (self._grid[idx[:, None], cell] == BODY) & (cell != tail[:, None])
        out[:, 0:3] = oob | body
        out[idx, 3 + h] = 1
        food = self._food
        has = food >= 0
        fr, fc = food // size, food % size
        out[:, 7] = has & (fr < hr)
        out[:, 8] = has & (fc > hc)
        out[:, 9] = has & (fr > hr)
        out[:, 10] = has & (fc < hc)
        return out

    def action_masks(self) -> np.ndarray:
        """Legal moves per sub-env, shape (num_envs, 4), bool."""
        mask = _LEGAL_BY_HEADING[self._heading]
        mask[self._length == 1] = True
        return mask

    def _infos(self, where: np.ndarray) -> dict[str, Any]:
        """Batched infos for the sub-envs in ``where`` (zeros elsewhere, as Gymnasium does)."""
        mask = self.action_masks().view(np.int8)
        if where.all():
            score, length, since = self._score.copy(), self._length.copy(), self._since_food.copy()
        else:
            score = np.where(where, self._score, 0)
            length = np.where(where, self._length, 0)
            since = np.where(where, self._since_food, 0)
            mask[~where] = 0
        return {
            "score": score,
            "_score": where.copy(),
            "length": length,
            "_length": where.copy(),
            "steps_since_food": since,
            "_steps_since_food": where.copy(),
            "action_mask": mask,
            "_action_mask": where.copy(),
        }

    # -- rendering ---------------------------------------------------------------------------
    def render(self) -> tuple[Any, ...] | None:
        """A tuple with one frame (``rgb_array``) or text (``ansi``) per sub-env."""
        if self.render_mode is None:
            return None
        grid = self._grid.reshape(self.num_envs, self.size, self.size)
        if self.render_mode == "ansi":
            return tuple(
                grid_to_text(g, int(s), int(n))
                for g, s, n in zip(grid, self._score, self._length, strict=True)
            )
        return tuple(grid_to_pixels(grid, max(8, 160 // self.size)))

    def close_extras(self, **kwargs: Any) -> None:
        """Nothing to release: no windows, workers or files."""


BACKENDS = ("auto", "numba", "numpy")


def _resolve_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    if backend == "numpy":
        return backend
    import importlib.util

    if importlib.util.find_spec("numba") is None:
        if backend == "numba":
            raise ImportError(
                'backend="numba" needs numba; install it with: pip install "rl_nlp_envs[fast]"'
            )
        return "numpy"
    return "numba"

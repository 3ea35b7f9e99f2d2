"""The single-game Gymnasium environment ``rlnlp/Snake-v0``."""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from rl_nlp_envs.core.spaces import discrete_action
from rl_nlp_envs.envs.snake.logic import (
    FOOD,
    HEAD,
    MASK64,
    N_FEATURES,
    SnakeConfig,
    SnakeGame,
    key_from_seed,
    next_key,
)
from rl_nlp_envs.envs.snake.render import draw_board, grid_to_pixels, grid_to_text

OBS_MODES = ("grid", "channels", "features", "pixels")


def observation_space_for(obs_mode: str, size: int, pixel_size: int) -> spaces.Space[Any]:
    """The observation space of one game for an observation mode."""
    if obs_mode == "grid":
        return spaces.Box(0, 3, shape=(size, size), dtype=np.uint8)
    if obs_mode == "channels":
        return spaces.Box(0, 1, shape=(3, size, size), dtype=np.uint8)
    if obs_mode == "features":
        return spaces.MultiBinary(N_FEATURES)
    if obs_mode == "pixels":
        side = size * pixel_size
        return spaces.Box(0, 255, shape=(side, side, 3), dtype=np.uint8)
    raise ValueError(f"unknown obs_mode {obs_mode!r}; choose one of: {', '.join(OBS_MODES)}")


def grid_to_channels(grid: np.ndarray) -> np.ndarray:
    """(..., S, S) codes -> (..., 3, S, S) binary planes: head, body, food."""
    planes = np.stack([grid == HEAD, grid == 1, grid == FOOD], axis=-3)
    return planes.astype(np.uint8)


class SnakeEnv(gym.Env[np.ndarray, np.int64]):
    """The classic game of Snake on a square grid.

    ## Description
    A snake moves on a ``size`` x ``size`` board. Eating the food makes it one cell longer and
    a new food appears on a random empty cell. It dies when it leaves the board or runs into
    itself. This is the ``SnakeGame`` of the project's seed tutorial, with the rules made
    precise (``rl_nlp_envs.envs.snake.logic``) and a native batched twin
    (``gymnasium.make_vec("rlnlp/Snake-v0", num_envs=N)``).

    ## Action Space
    ``Discrete(4)``, absolute moves: 0 up, 1 right, 2 down, 3 left. Reversing into the neck is
    illegal: ``action_masks()`` and ``info["action_mask"]`` mark it, and if taken the snake
    keeps its current heading.

    ## Observation Space
    Chosen with ``obs_mode``:
    - ``"grid"`` (default): ``Box(0, 3, (size, size), uint8)``, 0 empty, 1 body, 2 head, 3 food.
    - ``"channels"``: ``Box(0, 1, (3, size, size), uint8)`` binary planes head / body / food.
    - ``"features"``: ``MultiBinary(11)``: danger straight / right / left, heading
      up / right / down / left, food up / right / down / left (for tabular Q-learning).
    - ``"pixels"``: ``Box(0, 255, (size*pixel_size, size*pixel_size, 3), uint8)`` RGB image.

    ## Rewards
    ``reward_food`` (+1) for eating, ``reward_death`` (-1) for dying, ``reward_step`` (0)
    otherwise.

    ## Starting State
    A snake of ``initial_length`` cells in a straight line at a random place and heading, and
    one food on a random empty cell.

    ## Episode End
    Terminated when the snake hits a wall or itself, or fills the whole board (a win).
    Truncated after ``max_steps_without_food`` steps without eating (default
    ``2 * size**2``), so that aimless policies end.

    ## Info
    ``score`` (food eaten), ``length``, ``steps_since_food``, ``action_mask`` (int8, 4).

    ## Arguments
    ``size`` (10), ``obs_mode`` ("grid"), ``initial_length`` (3), ``reward_food`` (1.0),
    ``reward_death`` (-1.0), ``reward_step`` (0.0), ``max_steps_without_food``
    (None: ``2*size**2``), ``pixel_size`` (8, pixels per cell of the ``pixels`` observation),
    ``render_mode``.

    ## Version History
    - v0: initial release.
    """

    metadata = {"render_modes": ["human", "rgb_array", "ansi"], "render_fps": 10}

    def __init__(
        self,
        size: int = 10,
        obs_mode: str = "grid",
        initial_length: int = 3,
        reward_food: float = 1.0,
        reward_death: float = -1.0,
        reward_step: float = 0.0,
        max_steps_without_food: int | None = None,
        pixel_size: int = 8,
        render_mode: str | None = None,
    ) -> None:
        self.config = SnakeConfig(
            size=size,
            initial_length=initial_length,
            reward_food=float(reward_food),
            reward_death=float(reward_death),
            reward_step=float(reward_step),
            max_steps_without_food=max_steps_without_food,
        )
        if not isinstance(pixel_size, int) or pixel_size < 1:
            raise ValueError(f"pixel_size must be a positive int, got {pixel_size!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"unknown render_mode {render_mode!r}; choose one of: "
                f"{', '.join(self.metadata['render_modes'])} or None"
            )
        self.size = size
        self.obs_mode = obs_mode
        self.pixel_size = pixel_size
        self.render_mode = render_mode
        self.observation_space = observation_space_for(obs_mode, size, pixel_size)
        self.action_space: spaces.Discrete = spaces.Discrete(4)
        self._game: SnakeGame | None = None
        self._key: int | None = None
        self._viewer: Any = None

    # -- Gymnasium API ---------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new game; ``seed`` fixes it, later resets without a seed continue the stream."""
        super().reset(seed=seed)
        if options:
            raise ValueError(f"Snake-v0 takes no reset options, got {sorted(options)}")
        if seed is not None:
            self._key = key_from_seed(seed)
        elif self._key is None:
            self._key = int(self.np_random.integers(0, MASK64, dtype=np.uint64, endpoint=True))
        else:
            self._key = next_key(self._key)
        self._game = SnakeGame(self.config, self._key)
        if self.render_mode == "human":
            self.render()
        return self._observation(), self._info()

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        """Move the snake one cell."""
        game = self._game
        if game is None:
            raise RuntimeError("Snake-v0: call reset() before step()")
        if game.over:
            raise RuntimeError("Snake-v0: the episode has ended; call reset() before step()")
        move = discrete_action(action, self.action_space)
        reward, terminated, truncated = game.step(move)
        if self.render_mode == "human":
            self.render()
        return self._observation(), reward, terminated, truncated, self._info()

    def action_masks(self) -> np.ndarray:
        """Legal moves as a bool array (sb3-contrib's MaskablePPO convention)."""
        if self._game is None:
            return np.ones(4, dtype=bool)
        return self._game.legal_moves().astype(bool)

    def render(self) -> np.ndarray | str | None:
        """Draw the board as ``render_mode`` says."""
        if self.render_mode is None:
            gym.logger.warn("Snake-v0: render() called without a render_mode")
            return None
        if self._game is None:
            raise RuntimeError("Snake-v0: call reset() before render()")
        grid = self._game.grid.reshape(self.size, self.size)
        if self.render_mode == "ansi":
            return grid_to_text(grid, self._game.score, self._game.length)
        if self._viewer is None:
            from rl_nlp_envs.render.viewer import PygameViewer

            cell = max(16, 320 // self.size)
            self._viewer = PygameViewer(
                self.size * cell,
                self.size * cell + 28,
                self.render_mode,
                self.metadata["render_fps"],
                "rlnlp/Snake-v0",
            )
        cell = self._viewer.width // self.size
        draw_board(self._viewer, grid, self._game.score, cell)
        return self._viewer.present()

    def close(self) -> None:
        """Close the window, if any; safe to call more than once."""
        if self._viewer is not None:
            self._viewer.close()
            self._viewer = None

    # -- helpers ---------------------------------------------------------------------------
    @property
    def game(self) -> SnakeGame:
        """The current game (after ``reset``)."""
        if self._game is None:
            raise RuntimeError("Snake-v0: call reset() first")
        return self._game

    def _observation(self) -> np.ndarray:
        game = self._game
        assert game is not None
        if self.obs_mode == "features":
            return game.features()
        grid = game.grid.reshape(self.size, self.size)
        if self.obs_mode == "grid":
            return grid.copy()
        if self.obs_mode == "channels":
            return grid_to_channels(grid)
        return grid_to_pixels(grid, self.pixel_size)

    def _info(self) -> dict[str, Any]:
        game = self._game
        assert game is not None
        return {
            "score": game.score,
            "length": game.length,
            "steps_since_food": game.steps_since_food,
            "action_mask": game.legal_moves(),
        }

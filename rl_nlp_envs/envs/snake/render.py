"""Drawing a Snake board: numpy pixels (observations), text (ansi) and pygame (render)."""

from __future__ import annotations

import numpy as np

from rl_nlp_envs.envs.snake.logic import BODY, EMPTY, FOOD, HEAD
from rl_nlp_envs.render.viewer import PygameViewer

PALETTE = np.array([[24, 26, 32], [60, 179, 113], [240, 240, 120], [220, 60, 60]], dtype=np.uint8)
ANSI_CHARS = {EMPTY: ".", BODY: "o", HEAD: "@", FOOD: "*"}


def grid_to_pixels(grid: np.ndarray, cell: int) -> np.ndarray:
    """Colour a (..., S, S) code grid into (..., S*cell, S*cell, 3) uint8 pixels."""
    rgb = PALETTE[grid]
    return np.repeat(np.repeat(rgb, cell, axis=-3), cell, axis=-2)


def grid_to_text(grid: np.ndarray, score: int, length: int) -> str:
    """An ansi picture of a (S, S) code grid, framed, with the score under it."""
    size = grid.shape[-1]
    border = "+" + "-" * size + "+"
    rows = ["|" + "".join(ANSI_CHARS[int(v)] for v in row) + "|" for row in grid]
    return "\n".join([border, *rows, border, f"score {score}  length {length}"]) + "\n"


def draw_board(viewer: PygameViewer, grid: np.ndarray, score: int, cell: int) -> None:
    """Draw a (S, S) code grid and the score on a viewer's surface."""
    pg = viewer.pygame
    surface = viewer.surface
    surface.fill(tuple(int(c) for c in PALETTE[EMPTY]))
    size = grid.shape[-1]
    grid_color = (40, 44, 52)
    for row in range(size):
        for col in range(size):
            rect = pg.Rect(col * cell, row * cell, cell, cell)
            code = int(grid[row, col])
            pg.draw.rect(surface, grid_color, rect, 1)
            if code == EMPTY:
                continue
            inner = rect.inflate(-2, -2)
            color = tuple(int(c) for c in PALETTE[code])
            if code == FOOD:
                pg.draw.ellipse(surface, color, inner)
            else:
                pg.draw.rect(surface, color, inner, border_radius=max(1, cell // 5))
    viewer.text(f"score {score}", (4, size * cell + 4), size=max(14, cell // 2))

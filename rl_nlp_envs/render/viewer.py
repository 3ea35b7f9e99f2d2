"""A small pygame canvas used by every environment's ``render()``.

``rgb_array`` draws on an off-screen surface and works headless; ``human`` opens a window
and keeps to ``fps`` frames per second.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy as np

from rl_nlp_envs._imports import require


def import_pygame() -> ModuleType:
    """Import pygame quietly, or fail with the name of the extra that installs it."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    return require("pygame", "render", "rendering")


class PygameViewer:
    """An off-screen or on-screen pygame surface of a fixed size.

    Args:
        width: canvas width in pixels.
        height: canvas height in pixels.
        mode: ``"rgb_array"`` (off-screen, returns frames) or ``"human"`` (a window).
        fps: frame rate the ``human`` window is held to.
        title: window caption.
    """

    def __init__(self, width: int, height: int, mode: str, fps: int, title: str) -> None:
        if mode not in ("human", "rgb_array"):
            raise ValueError(f"PygameViewer mode must be 'human' or 'rgb_array', got {mode!r}")
        self.pygame = import_pygame()
        self.width, self.height, self.mode, self.fps = width, height, mode, fps
        self._window: Any = None
        self._clock: Any = None
        self._fonts: dict[int, Any] = {}
        if mode == "human":
            self.pygame.display.init()
            self._window = self.pygame.display.set_mode((width, height))
            self.pygame.display.set_caption(title)
            self._clock = self.pygame.time.Clock()
        self.surface = self.pygame.Surface((width, height))

    def font(self, size: int) -> Any:
        """A cached default font of the given pixel size."""
        if size not in self._fonts:
            if not self.pygame.font.get_init():
                self.pygame.font.init()
            self._fonts[size] = self.pygame.font.Font(None, size)
        return self._fonts[size]

    def text(self, text: str, pos: tuple[int, int], size: int = 20, color=(230, 230, 230)) -> int:
        """Draw one line of text; returns its height in pixels."""
        img = self.font(size).render(text, True, color)
        self.surface.blit(img, pos)
        return int(img.get_height())

    def present(self) -> np.ndarray | None:
        """Show the frame (``human``) or return it as an (H, W, 3) uint8 array."""
        if self.mode == "human":
            self.pygame.event.pump()
            self._window.blit(self.surface, (0, 0))
            self.pygame.display.flip()
            self._clock.tick(self.fps)
            return None
        return np.ascontiguousarray(
            np.transpose(self.pygame.surfarray.array3d(self.surface), (1, 0, 2))
        )

    def close(self) -> None:
        """Close the window if one is open; safe to call twice."""
        if self._window is not None:
            self.pygame.display.quit()
            self._window = None

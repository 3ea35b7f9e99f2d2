"""The one renderer of text environments: prompt, response so far, references, reward."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np

from rl_nlp_envs.render.viewer import PygameViewer


@dataclass
class TextPanel:
    """What a text env shows: a title, headed sections of text, and a status line."""

    title: str
    sections: list[tuple[str, str]] = field(default_factory=list)
    status: str = ""


def panel_to_ansi(panel: TextPanel, width: int = 88) -> str:
    """The panel as wrapped plain text."""
    lines = [panel.title, "=" * min(width, max(8, len(panel.title)))]
    for heading, body in panel.sections:
        lines.append(f"{heading}:")
        for paragraph in (body or "").split("\n") or [""]:
            wrapped = textwrap.wrap(paragraph, width - 2) or [""]
            lines.extend("  " + w for w in wrapped)
    if panel.status:
        lines.append("-" * min(width, 40))
        lines.append(panel.status)
    return "\n".join(lines) + "\n"


WIDTH, HEIGHT = 720, 480
_COLORS = {
    "bg": (250, 250, 247),
    "title": (30, 30, 60),
    "heading": (90, 90, 120),
    "text": (20, 20, 20),
    "status": (20, 110, 60),
}


def _wrap_pixels(viewer: PygameViewer, text: str, size: int, width: int) -> list[str]:
    """Wrap by rendered width (works for CJK text without spaces too)."""
    font = viewer.font(size)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for token in _tokens(paragraph):
            trial = current + token
            if current and font.size(trial)[0] > width:
                lines.append(current.rstrip())
                current = token.lstrip()
            else:
                current = trial
        lines.append(current)
    return lines


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    word = ""
    for ch in text:
        if ch == " " or ord(ch) >= 0x2E80:
            if word:
                out.append(word)
            word = ""
            out.append(ch)
        else:
            word += ch
    if word:
        out.append(word)
    return out


def draw_panel(viewer: PygameViewer, panel: TextPanel) -> None:
    """Draw a panel onto a viewer's surface."""
    viewer.surface.fill(_COLORS["bg"])
    margin, y = 16, 12
    y += viewer.text(panel.title, (margin, y), size=26, color=_COLORS["title"]) + 8
    max_y = viewer.height - 36
    for heading, body in panel.sections:
        if y > max_y:
            break
        y += viewer.text(heading, (margin, y), size=20, color=_COLORS["heading"]) + 2
        for line in _wrap_pixels(viewer, body or "", 20, viewer.width - 2 * margin - 12):
            if y > max_y:
                viewer.text("…", (margin + 12, y), size=20, color=_COLORS["text"])
                break
            y += viewer.text(line, (margin + 12, y), size=20, color=_COLORS["text"])
        y += 8
    if panel.status:
        viewer.text(panel.status, (margin, viewer.height - 30), size=22, color=_COLORS["status"])


class TextRenderer:
    """Keeps one viewer per env and turns panels into frames, text or a window."""

    def __init__(self, mode: str, fps: int, title: str) -> None:
        self.mode, self.fps, self.title = mode, fps, title
        self._viewer: PygameViewer | None = None

    def render(self, panel: TextPanel) -> np.ndarray | str | None:
        """Render in this renderer's mode."""
        if self.mode == "ansi":
            return panel_to_ansi(panel)
        if self._viewer is None:
            self._viewer = PygameViewer(WIDTH, HEIGHT, self.mode, self.fps, self.title)
        draw_panel(self._viewer, panel)
        return self._viewer.present()

    def close(self) -> None:
        """Close the window if one is open."""
        if self._viewer is not None:
            self._viewer.close()
            self._viewer = None

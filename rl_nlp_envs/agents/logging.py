"""Training logs of learning agents: a score history, TensorBoard scalars, a learning curve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rl_nlp_envs._imports import require


class TrainingLog:
    """Collects ``(step, value)`` points and writes them where asked.

    Args:
        tensorboard_dir: write TensorBoard scalars there (needs the ``train`` extra).
        curve_path: on ``close``, plot the ``train/score`` history to this PNG.
        title: the plot's title.
    """

    def __init__(
        self, tensorboard_dir: str | Path | None, curve_path: str | Path | None, title: str
    ) -> None:
        self.history: list[tuple[int, float]] = []
        self.curve_path, self.title = curve_path, title
        self.writer: Any = None
        if tensorboard_dir is not None:
            tb = require("torch.utils.tensorboard", "train", "TensorBoard logs")
            self.writer = tb.SummaryWriter(str(tensorboard_dir))

    def log(self, step: int, score: float, **scalars: float) -> None:
        """Record the training score (and other scalars) at an env step."""
        self.history.append((step, score))
        if self.writer is not None:
            self.writer.add_scalar("train/score", score, step)
            for name, value in scalars.items():
                self.writer.add_scalar(f"train/{name}", value, step)

    def close(self) -> None:
        """Flush TensorBoard and draw the learning curve."""
        if self.writer is not None:
            self.writer.close()
        if self.curve_path is not None:
            from rl_nlp_envs.agents.plots import learning_curve

            learning_curve(self.history, self.curve_path, title=self.title)

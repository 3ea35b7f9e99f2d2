"""Learning-curve plots (matplotlib, from the ``train`` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rl_nlp_envs._imports import require


def learning_curve(
    history: Sequence[tuple[int, float]], path: str | Path, title: str, ylabel: str = "score"
) -> Path:
    """Save a PNG of ``(step, value)`` points."""
    matplotlib = require("matplotlib", "train", "learning-curve plots")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    if history:
        steps, values = zip(*history, strict=True)
        ax.plot(steps, values)
    ax.set_xlabel("environment steps")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out

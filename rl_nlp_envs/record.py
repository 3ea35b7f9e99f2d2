"""Recording an agent's episode to a GIF or MP4 through the env's ``rgb_array`` render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from rl_nlp_envs._imports import require
from rl_nlp_envs.agents.base import Agent


def record_episode(
    env: gym.Env[Any, Any], agent: Agent, seed: int | None = None, max_steps: int = 2000
) -> tuple[list[np.ndarray], float]:
    """Run one episode and collect its frames; returns (frames, score)."""
    if env.render_mode != "rgb_array":
        raise ValueError(f"recording needs render_mode='rgb_array', got {env.render_mode!r}")
    agent.reset()
    obs, info = env.reset(seed=seed)
    frames = [np.asarray(env.render())]
    total = 0.0
    for _ in range(max_steps):
        obs, reward, terminated, truncated, info = env.step(agent.act(obs, info))
        total += float(reward)
        frames.append(np.asarray(env.render()))
        if terminated or truncated:
            break
    return frames, float(info.get("score", total))


SUFFIXES = (".gif", ".mp4")


def check_output(path: str | Path) -> Path:
    """Fail early on an output name that ``save_animation`` cannot write."""
    out = Path(path)
    if out.suffix.lower() not in SUFFIXES:
        raise ValueError(f"unsupported output {out.name!r}: use a .gif or .mp4 file name")
    return out


def save_animation(frames: list[np.ndarray], path: str | Path, fps: int) -> Path:
    """Write frames to ``.gif`` (Pillow) or ``.mp4`` (imageio with ffmpeg)."""
    out = check_output(path)
    suffix = out.suffix.lower()
    if not frames:
        raise ValueError("no frames to save")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".gif":
        image = require("PIL.Image", "render", "GIF recording")
        pics = [image.fromarray(f) for f in frames]
        pics[0].save(out, save_all=True, append_images=pics[1:],
                     duration=max(1, int(1000 / fps)), loop=0, optimize=False)  # fmt: skip
    else:
        imageio = require("imageio.v2", "render", "MP4 recording (pip install imageio-ffmpeg)")
        try:
            imageio.mimwrite(out, frames, fps=fps, macro_block_size=1)
        except (ImportError, ValueError, RuntimeError) as exc:
            raise RuntimeError(
                f"writing {out} failed ({exc}); MP4 needs imageio with ffmpeg: "
                "pip install imageio imageio-ffmpeg"
            ) from exc
    return out

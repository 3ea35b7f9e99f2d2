"""Record the GIF of every environment for the docs: ``docs/img/envs/<name>.gif``.

Each GIF shows a few seeded episodes drawn by the env's own ``render_mode="rgb_array"``
(headless), played by the environment's strongest cheap heuristic baseline: the last cheap,
non-learning agent of ``rl_nlp_envs.agents.registry.BASELINES`` for the id, random (legal)
actions where there is none. Text tasks whose heuristic answers in text mode are shown in
token mode instead: the heuristic's answer to test examples 0, 1, ... typed token by token,
with dense rewards. PettingZoo envs get one agent per seat. What a GIF shows is written into
its comment, which the docs print as the caption. Frames are downscaled and palette-quantised
within a size budget (fewer colours, then fewer frames), and the seeds are fixed, so
re-running gives the same files.

    python scripts/record_gifs.py                        # every env of the docs
    python scripts/record_gifs.py --env rlnlp/Snake-v0   # one env (repeatable)
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from gen_docs import EnvEntry, env_entries  # noqa: E402  (after the path set-up)

OUT_DIR = ROOT / "docs" / "img" / "envs"
SEED = 0


class _SampleAgent:
    """Random actions from the space (for envs without a registered baseline)."""

    name = "random"

    def __init__(self, space: Any, seed: int) -> None:
        self.space = space
        self.space.seed(seed)

    def reset(self) -> None:
        """No per-episode state."""

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        """A random action from the space."""
        return self.space.sample()


def pick_baseline(env_id: str) -> Any | None:
    """The last cheap, non-learning baseline of ``env_id`` (the strongest heuristic)."""
    from rl_nlp_envs.agents.registry import baselines_for

    try:
        table = baselines_for(env_id)
    except ValueError:  # no baselines for this id
        return None
    heuristics = [b for b in table.values() if b.cheap and not b.learns]
    return heuristics[-1] if heuristics else None


def record_gymnasium(
    entry: EnvEntry, max_frames: int, max_episodes: int
) -> tuple[list[list[np.ndarray]], str, int]:
    """Episodes of frames, what plays them (for the caption) and the env's frame rate."""
    import gymnasium as gym

    from rl_nlp_envs.agents.registry import make_agent
    from rl_nlp_envs.core.text_env import TextEnv
    from rl_nlp_envs.record import record_episode

    baseline = pick_baseline(entry.env_id)
    if (
        baseline is not None
        and issubclass(entry.cls, TextEnv)
        and baseline.env_kwargs.get("action_mode") == "text"
    ):
        return record_typing(entry, baseline, max_frames, max_episodes)
    kwargs = dict(baseline.env_kwargs) if baseline is not None else {}
    env = gym.make(entry.env_id, render_mode="rgb_array", **kwargs)
    agent: Any = (
        make_agent(baseline, env, seed=SEED)
        if baseline is not None
        else _SampleAgent(env.action_space, SEED)
    )
    episodes: list[list[np.ndarray]] = []
    used = 0
    for k in range(max_episodes):
        if used >= max_frames:
            break
        frames, _ = record_episode(env, agent, seed=SEED + k, max_steps=max_frames - used - 1)
        episodes.append(frames)
        used += len(frames)
    fps = int(env.metadata.get("render_fps", 4))
    env.close()
    what = f"the {baseline.name} baseline" if baseline is not None else "random actions"
    return episodes, what, fps


def record_typing(
    entry: EnvEntry, baseline: Any, max_frames: int, max_episodes: int
) -> tuple[list[list[np.ndarray]], str, int]:
    """A text task in token mode: the baseline's text-mode answer typed token by token, with
    dense rewards, on test examples 0, 1, ... (the RL view of the same episode)."""
    import gymnasium as gym

    from rl_nlp_envs.agents.registry import make_agent

    text_env = gym.make(entry.env_id, **baseline.env_kwargs)
    agent = make_agent(baseline, text_env, seed=SEED)
    token_kwargs = {k: v for k, v in baseline.env_kwargs.items() if k != "action_mode"}
    env = gym.make(entry.env_id, render_mode="rgb_array", reward_mode="dense", **token_kwargs)
    core: Any = env.unwrapped
    tokenizer = core.tokenizer
    cap = int(core.max_response_tokens) - 1
    episodes: list[list[np.ndarray]] = []
    used = 0
    for index in range(max_episodes):
        options = {"split": "test", "index": index}
        agent.reset()
        observation, info = text_env.reset(seed=SEED, options=options)
        tokens = [*tokenizer.encode(str(agent.act(observation, info)))[:cap], tokenizer.eos_id]
        if episodes and used + len(tokens) + 1 > max_frames:
            break
        env.reset(seed=SEED, options=options)
        frames = [np.asarray(env.render())]
        for token in tokens:
            _, _, terminated, truncated, _ = env.step(token)
            frames.append(np.asarray(env.render()))
            if terminated or truncated:
                break
        episodes.append(frames)
        used += len(frames)
    text_env.close()
    env.close()
    what = f"the {agent.name} baseline's answers typed token by token (token mode, dense reward)"
    return episodes, what, 8


class _MaskedSampleAgent(_SampleAgent):
    """Random legal actions where the env gives ``info["action_mask"]``."""

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        """A random action, within the mask if there is one."""
        return self.space.sample(info.get("action_mask"))


def record_pettingzoo(
    entry: EnvEntry, max_frames: int, max_episodes: int
) -> tuple[list[list[np.ndarray]], str, int]:
    """Episodes of a PettingZoo AEC env, every seat played by the env's best heuristic
    baseline (one instance per seat), or by random legal moves."""
    from rl_nlp_envs.agents.registry import make_agent

    module = importlib.import_module(entry.module)
    env = module.env(render_mode="rgb_array")
    baseline = pick_baseline(entry.env_id)
    seats: dict[str, Any] = {}
    for i, name in enumerate(env.possible_agents):
        if baseline is not None:
            seats[name] = make_agent(baseline, env, seed=SEED + i)
        else:
            seats[name] = _MaskedSampleAgent(env.action_space(name), SEED + i)
    episodes: list[list[np.ndarray]] = []
    used = 0
    for k in range(max_episodes):
        if used >= max_frames:
            break
        for agent in seats.values():
            agent.reset()
        env.reset(seed=SEED + k)
        frames = [np.asarray(env.render())]
        for name in env.agent_iter():
            observation, _, terminated, truncated, info = env.last()
            if terminated or truncated:
                env.step(None)
                continue
            env.step(seats[name].act(observation, info))
            frames.append(np.asarray(env.render()))
            if used + len(frames) >= max_frames:
                break
        episodes.append(frames)
        used += len(frames)
    fps = int(getattr(env, "metadata", {}).get("render_fps", 4))
    env.close()
    what = f"the {baseline.name} baseline" if baseline is not None else "random legal moves"
    return episodes, f"{what} in every seat", fps


def to_gif(
    episodes: list[list[np.ndarray]],
    path: Path,
    fps: int,
    width: int,
    colors: int,
    comment: str = "",
) -> int:
    """Write the frames as one looping GIF, ``comment`` in its comment extension (the docs
    show it as the caption). Returns the file size in bytes."""
    from PIL import Image

    images: list[Any] = []
    durations: list[int] = []
    for frames in episodes:
        # the first and last frames of an episode stay long enough to read them
        base = int(1000 / max(fps, 1))
        for i, frame in enumerate(frames):
            image = Image.fromarray(np.asarray(frame, dtype=np.uint8))
            if image.width > width:
                height = round(image.height * width / image.width)
                image = image.resize((width, height), Image.Resampling.LANCZOS)
            images.append(image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT))
            if i == len(frames) - 1:
                durations.append(max(2 * base, 2500))
            elif i == 0:
                durations.append(max(base, 1200))
            else:
                durations.append(base)
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(
        path,
        comment=comment.encode("utf-8"),
        save_all=True,
        append_images=images[1:],
        duration=durations,
        loop=0,
        optimize=True,
        disposal=1,
    )
    return path.stat().st_size


def fit_gif(
    episodes: list[list[np.ndarray]],
    path: Path,
    fps: int,
    width: int,
    colors: int,
    max_bytes: int,
    describe: Any = None,
) -> tuple[int, int, str]:
    """Write the GIF within ``max_bytes``: fewer colours first, then fewer frames.
    ``describe(episodes)`` gives its caption. Returns (bytes, frames written, caption)."""
    while True:
        comment = describe(episodes) if describe is not None else ""
        size = to_gif(episodes, path, fps, width, colors, comment)
        frames = sum(len(f) for f in episodes)
        if size <= max_bytes or frames <= 2:
            return size, frames, comment
        if colors > 16:
            colors //= 2
        elif len(episodes) > 1:
            episodes = episodes[:-1]
        else:
            episodes = [episodes[0][: max(2, len(episodes[0]) * 2 // 3)]]


def main(argv: list[str] | None = None) -> int:
    """Record the GIFs; prints one line per env with frames, size and time."""
    parser = argparse.ArgumentParser(description="Record docs/img/envs/<name>.gif per env.")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="ID",
        help="only this id (repeatable); default: every env of the docs",
    )
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    parser.add_argument("--max-frames", type=int, default=120, help="frames per GIF, at most")
    parser.add_argument("--max-episodes", type=int, default=3)
    parser.add_argument("--width", type=int, default=600, help="downscale wider frames to this")
    parser.add_argument("--colors", type=int, default=64, help="palette size")
    parser.add_argument("--max-bytes", type=int, default=500_000, help="size budget per GIF")
    args = parser.parse_args(argv)

    entries = env_entries()
    known = [e.env_id for e in entries]
    unknown = [i for i in args.env if i not in known]
    if unknown:
        parser.error(f"unknown id(s) {unknown}; choose from: {', '.join(known)}")
    for entry in entries:
        if args.env and entry.env_id not in args.env:
            continue
        start = time.perf_counter()
        record = record_pettingzoo if entry.kind == "pettingzoo" else record_gymnasium
        episodes, what, fps = record(entry, args.max_frames, args.max_episodes)
        out = args.out_dir / f"{entry.slug}.gif"

        def describe(kept: list[list[np.ndarray]], what: str = what) -> str:
            return f"{len(kept)} episode{'s' if len(kept) > 1 else ''} with {what}"

        size, frames, caption = fit_gif(
            episodes, out, fps, args.width, args.colors, args.max_bytes, describe
        )
        print(
            f"{entry.env_id}: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} "
            f"({caption}, {frames} frames, "
            f"{size / 1024:.0f} KiB, {time.perf_counter() - start:.1f} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

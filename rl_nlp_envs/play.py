"""Letting a person play an environment in a pygame window (``rlnlp play ID``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import gymnasium as gym

from rl_nlp_envs.render.viewer import import_pygame

EventSource = Callable[[], Iterable[Any]]


def play(env_id: str, env_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> list[float]:
    """Play ``env_id`` with the keyboard; returns the score of each finished episode."""
    players: dict[str, Callable[..., list[float]]] = {"rlnlp/Snake-v0": play_snake}
    if env_id not in players:
        raise ValueError(
            f"no keyboard player for {env_id!r} yet; playable: {', '.join(sorted(players))}"
        )
    return players[env_id](env_kwargs=env_kwargs, **kwargs)


def play_snake(
    env_kwargs: dict[str, Any] | None = None,
    seed: int | None = None,
    fps: int | None = None,
    max_episodes: int | None = None,
    events: EventSource | None = None,
) -> list[float]:
    """Arrow keys or WASD steer, R restarts, Esc or closing the window quits.

    The snake keeps moving at ``fps`` steps per second in its current direction. ``events``
    replaces ``pygame.event.get`` (tests feed key presses through it).
    """
    pg = import_pygame()
    env = gym.make("rlnlp/Snake-v0", render_mode="human", **(env_kwargs or {}))
    if fps is not None:
        env.unwrapped.metadata = {**env.unwrapped.metadata, "render_fps": fps}
    keys = {
        pg.K_UP: 0, pg.K_w: 0, pg.K_RIGHT: 1, pg.K_d: 1,
        pg.K_DOWN: 2, pg.K_s: 2, pg.K_LEFT: 3, pg.K_a: 3,
    }  # fmt: skip
    get_events = events or pg.event.get
    scores: list[float] = []
    env.reset(seed=seed)
    game = env.unwrapped.game  # type: ignore[attr-defined]
    move = game.heading
    over = False
    try:
        while max_episodes is None or len(scores) < max_episodes:
            quit_now = False
            for event in get_events():
                if event.type == pg.QUIT or (event.type == pg.KEYDOWN and event.key == pg.K_ESCAPE):
                    quit_now = True
                elif event.type == pg.KEYDOWN and event.key in keys:
                    move = keys[event.key]
                elif event.type == pg.KEYDOWN and event.key == pg.K_r and over:
                    env.reset()
                    move = env.unwrapped.game.heading  # type: ignore[attr-defined]
                    over = False
            if quit_now:
                break
            if over:
                env.render()
                continue
            _, _, terminated, truncated, info = env.step(move)
            if terminated or truncated:
                scores.append(float(info["score"]))
                over = True
                print(f"game over: score {info['score']} (R to play again, Esc to quit)")
    finally:
        env.close()
    return scores

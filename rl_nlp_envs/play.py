"""Letting a person play an environment in a pygame window (``rlnlp play ID``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import gymnasium as gym

from rl_nlp_envs.render.viewer import import_pygame

EventSource = Callable[[], Iterable[Any]]


def play(env_id: str, env_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> list[float]:
    """Play ``env_id`` with the keyboard; returns the score of each finished episode."""
    if env_id == "rlnlp/Snake-v0":
        return play_snake(env_kwargs=env_kwargs, **kwargs)
    return play_text(env_id, env_kwargs=env_kwargs, **kwargs)


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


def play_text(
    env_id: str,
    env_kwargs: dict[str, Any] | None = None,
    seed: int | None = None,
    split: str = "test",
    max_episodes: int | None = None,
    events: EventSource | None = None,
) -> list[float]:
    """Type an answer to each prompt of a text env (its ``text`` action mode).

    Enter submits and shows the score with the references; Enter again moves on to the next
    example of ``split``; Backspace deletes; Esc or closing the window quits.
    """
    from rl_nlp_envs.core.text_env import TextEnv
    from rl_nlp_envs.render.text import HEIGHT, WIDTH, TextPanel, draw_panel
    from rl_nlp_envs.render.viewer import PygameViewer

    pg = import_pygame()
    env = gym.make(env_id, **{**(env_kwargs or {}), "action_mode": "text"})
    text_env = env.unwrapped
    if not isinstance(text_env, TextEnv):
        env.close()
        raise ValueError(f"{env_id} is not a text environment; playable text envs take typing")
    viewer = PygameViewer(WIDTH, HEIGHT, "human", 30, f"{env_id}: type your answer")
    get_events = events or pg.event.get
    pg.key.start_text_input()
    scores: list[float] = []
    index = 0
    size = len(text_env.task.split(split))
    typed, result = "", None
    env.reset(seed=seed, options={"split": split, "index": index})
    try:
        while max_episodes is None or len(scores) < max_episodes:
            quit_now = False
            for event in get_events():
                if event.type == pg.QUIT or (event.type == pg.KEYDOWN and event.key == pg.K_ESCAPE):
                    quit_now = True
                elif event.type == pg.TEXTINPUT and result is None:
                    typed += event.text
                elif event.type == pg.KEYDOWN and event.key == pg.K_BACKSPACE and result is None:
                    typed = typed[:-1]
                elif event.type == pg.KEYDOWN and event.key in (pg.K_RETURN, pg.K_KP_ENTER):
                    if result is None:
                        _, _, _, _, result = env.step(typed)
                        scores.append(float(result["score"]))
                    else:
                        index = (index + 1) % size
                        env.reset(options={"split": split, "index": index})
                        typed, result = "", None
            if quit_now:
                break
            example = text_env.example
            sections = [
                ("Prompt", example.prompt),
                ("Your answer", typed + ("" if result else "|")),
            ]
            status = "Enter: submit   Esc: quit"
            if result is not None:
                sections.append(("References", "\n".join(example.references)))
                metrics = "  ".join(f"{k} {v:.1f}" for k, v in result["metrics"].items())
                status = f"{metrics}   (Enter: next example)"
            title = f"{env_id} [{split} #{index}]"
            draw_panel(viewer, TextPanel(title=title, sections=sections, status=status))
            viewer.present()
    finally:
        pg.key.stop_text_input()
        viewer.close()
        env.close()
    return scores

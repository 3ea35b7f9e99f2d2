"""Letting a person play an environment (``rlnlp play ID``): a pygame window for Snake and the
text envs, the terminal for Recommend-v0."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import gymnasium as gym
import numpy as np

from rl_nlp_envs.render.viewer import import_pygame

EventSource = Callable[[], Iterable[Any]]


def _is_text_env(env_id: str) -> bool:
    from gymnasium.envs.registration import load_env_creator

    from rl_nlp_envs.core.text_env import TextEnv

    entry = gym.registry[env_id].entry_point
    creator = load_env_creator(entry) if isinstance(entry, str) else entry
    return isinstance(creator, type) and issubclass(creator, TextEnv)


def playable_envs() -> list[str]:
    """The registered ids ``play`` has a player for."""
    import rl_nlp_envs  # noqa: F401  (registers the ids)

    special = ("rlnlp/Snake-v0", "rlnlp/Dialogue-v0", "rlnlp/Recommend-v0")
    ids = sorted(i for i in gym.registry if i.startswith("rlnlp/"))
    return [i for i in ids if i in special or _is_text_env(i)]


def play(env_id: str, env_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> list[float]:
    """Play ``env_id`` (Snake and text envs in a pygame window, Recommend-v0 in the terminal);
    returns the score of each finished episode. Raises ``ValueError`` naming the playable
    envs for an env without a player."""
    if env_id == "rlnlp/Snake-v0":
        return play_snake(env_kwargs=env_kwargs, **kwargs)
    if env_id == "rlnlp/Dialogue-v0":
        return play_dialogue(env_id, env_kwargs=env_kwargs, **kwargs)
    if env_id == "rlnlp/Recommend-v0":
        return play_recommend(env_id, env_kwargs=env_kwargs, **kwargs)
    playable = playable_envs()
    if env_id not in playable:
        raise ValueError(
            f"no interactive player for {env_id!r}; playable envs: {', '.join(playable)}"
        )
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


def play_dialogue(
    env_id: str = "rlnlp/Dialogue-v0",
    env_kwargs: dict[str, Any] | None = None,
    seed: int | None = None,
    split: str = "test",
    max_episodes: int | None = None,
    events: EventSource | None = None,
) -> list[float]:
    """Be the agent of a multi-turn text env: type a reply, Enter sends it and the customer
    answers. When the conversation ends the result and the customer's goal are shown; Enter
    moves on to the next goal of ``split``. Backspace deletes; Esc or closing the window quits.
    Returns each conversation's score (1.0 on success).
    """
    from rl_nlp_envs.render.text import HEIGHT, WIDTH, TextPanel, draw_panel
    from rl_nlp_envs.render.viewer import PygameViewer

    pg = import_pygame()
    env = gym.make(env_id, **{**(env_kwargs or {}), "action_mode": "text"})
    space = env.action_space
    assert isinstance(space, gym.spaces.Text)
    viewer = PygameViewer(WIDTH, HEIGHT, "human", 30, f"{env_id}: you are the agent")
    get_events = events or pg.event.get
    pg.key.start_text_input()
    scores: list[float] = []
    index = 0
    typed, result = "", None
    env.reset(seed=seed, options={"split": split, "index": index})
    try:
        while max_episodes is None or len(scores) < max_episodes:
            quit_now = False
            for event in get_events():
                if event.type == pg.QUIT or (event.type == pg.KEYDOWN and event.key == pg.K_ESCAPE):
                    quit_now = True
                elif event.type == pg.TEXTINPUT and result is None:
                    kept = "".join(c for c in event.text if c in space.character_set)
                    typed = (typed + kept)[: space.max_length]
                elif event.type == pg.KEYDOWN and event.key == pg.K_BACKSPACE and result is None:
                    typed = typed[:-1]
                elif event.type == pg.KEYDOWN and event.key in (pg.K_RETURN, pg.K_KP_ENTER):
                    if result is None:
                        _, _, terminated, truncated, info = env.step(typed)
                        typed = ""
                        if terminated or truncated:
                            result = info
                            scores.append(float(info["score"]))
                    else:
                        index += 1
                        env.reset(options={"split": split, "index": index})
                        result = None
            if quit_now:
                break
            dialogue = env.unwrapped.dialogue  # type: ignore[attr-defined]
            lines = [f"{who}: {text}" for who, text in dialogue.transcript[-8:]]
            sections = [("Conversation", "\n".join(lines))]
            status = "Enter: send   Esc: quit"
            if result is None:
                sections.append(("Your reply", typed + "|"))
            else:
                sections.append(("The customer wanted", result["goal"]["description"]))
                verdict = "SUCCESS" if result["success"] else "failure"
                status = f"{verdict} in {result['turns']} turns   (Enter: next customer)"
            title = f"{env_id} [{split} #{index}]"
            draw_panel(viewer, TextPanel(title=title, sections=sections, status=status))
            viewer.present()
    finally:
        pg.key.stop_text_input()
        viewer.close()
        env.close()
    return scores


QUIT_WORDS = ("q", "quit", "exit")
HELP_WORDS = ("h", "help", "?")


def parse_slate(text: str, n_candidates: int, slate_size: int) -> list[int]:
    """Read a slate typed as 1-based candidate numbers (``"3 7"`` or ``"3, 7"``); returns
    0-based candidate indices. Raises ``ValueError`` saying what is wrong and what is allowed.
    """
    parts = text.replace(",", " ").split()
    allowed = f"type {slate_size} different number(s) from 1 to {n_candidates}"
    for part in parts:
        if not part.isdigit():
            raise ValueError(f"{part!r} is not a candidate number; {allowed}")
    if len(parts) != slate_size:
        raise ValueError(f"got {len(parts)} number(s) but the slate has {slate_size}; {allowed}")
    picks: list[int] = []
    for part in parts:
        number = int(part)
        if not 1 <= number <= n_candidates:
            raise ValueError(f"there is no candidate {number}; {allowed}")
        if number - 1 in picks:
            raise ValueError(f"candidate {number} is in the slate twice; {allowed}")
        picks.append(number - 1)
    return picks


def candidate_lines(env: Any) -> list[str]:
    """The current candidates as numbered lines: kind, title, topics, length, and the start
    of the description (the only hint of quality: quality and clickbait are hidden)."""
    catalogue = env.catalogue
    lines = []
    for pos, item in enumerate(env.state.candidates[0].tolist()):
        hot = catalogue.topic_hot[item]
        topics = [t for t, on in zip(catalogue.topic_names, hot, strict=True) if on]
        minutes = float(catalogue.length[item])
        lines.append(f"{pos + 1:>2}. [{catalogue.kinds[item]}] {catalogue.titles[item]}")
        lines.append(f"    topics: {', '.join(topics)}; {minutes:.0f} min")
        description = catalogue.descriptions[item]
        if len(description) > 100:
            description = description[:97].rstrip() + "..."
        lines.append(f"    {description}")
    return lines


def play_recommend(
    env_id: str = "rlnlp/Recommend-v0",
    env_kwargs: dict[str, Any] | None = None,
    seed: int | None = None,
    split: str = "test",
    max_episodes: int | None = None,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
) -> list[float]:
    """Recommend to a simulated user in the terminal.

    Each step shows the candidates (numbered from 1) and the user's CTR and budget; type the
    slate as numbers (``3 7``), and the user's response is shown. ``q`` quits, ``h`` helps.
    After a session Enter serves the next user of ``split`` (users 0, 1, ...). ``read`` and
    ``write`` replace ``input`` and ``print`` (tests script them). Returns the clicks of each
    finished session.
    """
    env = gym.make(env_id, **(env_kwargs or {}))
    rec = env.unwrapped
    n_candidates = rec.world.config.n_candidates  # type: ignore[attr-defined]
    slate_size = rec.world.config.slate_size  # type: ignore[attr-defined]
    usage = (
        f"Show {slate_size} of the {n_candidates} candidates: type their numbers, "
        f"top first, e.g. {' '.join(str(i + 1) for i in range(slate_size))}. "
        "q quits, h shows this help."
    )
    scores: list[float] = []
    index = 0
    env.reset(seed=seed, options={"split": split, "index": index})
    write(f"{env_id}: you choose what the user sees. {usage}")
    try:
        while max_episodes is None or len(scores) < max_episodes:
            state = rec.state  # type: ignore[attr-defined]
            steps, clicks = int(state.steps[0]), int(state.clicks[0])
            write("")
            write(f"[{split} user #{index}]  step {steps}   clicks {clicks}   "
                  f"CTR {clicks / steps if steps else 0.0:.2f}   "
                  f"budget {float(state.budget[0]):.1f}")  # fmt: skip
            write("\n".join(candidate_lines(rec)))
            try:
                text = read("slate> ").strip()
            except EOFError:
                break
            if text.lower() in QUIT_WORDS:
                break
            if text.lower() in HELP_WORDS or not text:
                write(usage)
                continue
            try:
                picks = parse_slate(text, n_candidates, slate_size)
            except ValueError as exc:
                write(f"invalid slate: {exc}")
                continue
            action: Any = picks[0] if slate_size == 1 else np.asarray(picks, dtype=np.int64)
            _, reward, terminated, truncated, info = env.step(action)
            if info["click"]:
                title = rec.catalogue.titles[info["chosen_item"]]  # type: ignore[attr-defined]
                position = int(info["chosen_position"])
                write(f"-> clicked slate position {position + 1} (candidate "
                      f"{picks[position] + 1}): {title}; watched {info['watch_minutes']:.1f} "
                      f"min, reward {float(reward):g}")  # fmt: skip
            else:
                write("-> no click")
            write(f"   CTR {info['ctr']:.2f}   budget {info['budget']:.1f}")
            if terminated or truncated:
                scores.append(float(info["clicks"]))
                why = "the user's time budget ran out" if terminated else "step limit reached"
                write(f"Session over ({why}): {info['clicks']} clicks in {info['steps']} steps, "
                      f"CTR {info['ctr']:.2f}.")  # fmt: skip
                if max_episodes is not None and len(scores) >= max_episodes:
                    break
                try:
                    again = read("Enter: next user, q: quit> ").strip().lower()
                except EOFError:
                    break
                if again in QUIT_WORDS:
                    break
                index = (index + 1) % rec.split_size  # type: ignore[attr-defined]
                env.reset(options={"split": split, "index": index})
    finally:
        env.close()
    return scores

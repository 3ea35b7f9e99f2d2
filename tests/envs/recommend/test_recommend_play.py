"""``rlnlp play rlnlp/Recommend-v0``: the terminal player, fed with scripted input."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import rl_nlp_envs  # noqa: F401
from rl_nlp_envs.play import parse_slate, play, playable_envs


def _script(lines: list[str]) -> Callable[[str], str]:
    feed: Iterator[str] = iter(lines)

    def read(prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    return read


def _session_clicks(slate: list[int], index: int, **kwargs: Any) -> float:
    """Clicks of test user ``index`` shown the same 0-based ``slate`` every step."""
    env = gym.make("rlnlp/Recommend-v0", **kwargs)
    env.reset(seed=0, options={"split": "test", "index": index})
    action = slate[0] if len(slate) == 1 else np.asarray(slate)
    while True:
        _, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            return float(info["clicks"])


def test_a_scripted_session_scores_like_the_env_and_bad_input_is_explained() -> None:
    out: list[str] = []
    lines = ["3 7 1", "3 x", "0 3", "3 11", "3 3", "h", "", "3, 7"] + ["3 7"] * 300
    scores = play(
        "rlnlp/Recommend-v0", seed=0, max_episodes=1, read=_script(lines), write=out.append
    )
    text = "\n".join(out)
    assert scores == [_session_clicks([2, 6], index=0)]
    assert "got 3 number(s) but the slate has 2" in text
    assert "'x' is not a candidate number" in text
    assert "there is no candidate 0" in text and "there is no candidate 11" in text
    assert "candidate 3 is in the slate twice" in text
    assert "type 2 different number(s) from 1 to 10" in text
    assert "Session over" in text and "CTR" in text and "budget" in text
    assert "clicked slate position" in text or "no click" in text
    # the candidates are listed with kind, title and topics
    env: Any = gym.make("rlnlp/Recommend-v0").unwrapped
    env.reset(seed=0, options={"split": "test", "index": 0})
    first = int(env.state.candidates[0, 0])
    assert f" 1. [{env.catalogue.kinds[first]}] {env.catalogue.titles[first]}" in text
    assert "topics: " in text


def test_quit_and_end_of_input_stop_without_a_score() -> None:
    out: list[str] = []
    assert play("rlnlp/Recommend-v0", seed=1, read=_script(["1 2", "quit"]), write=out.append) == []
    assert play("rlnlp/Recommend-v0", seed=1, read=_script([]), write=out.append) == []


def test_next_user_after_a_session_and_slates_of_one() -> None:
    env = gym.make("rlnlp/Recommend-v0", slate_size=1)
    env.reset(seed=0, options={"split": "test", "index": 0})
    n_steps = 1
    while not any(env.step(3)[2:4]):
        n_steps += 1
    # the first session runs out; Enter serves test user 1, whose session "q" ends
    out: list[str] = []
    lines = ["1 2"] + ["4"] * n_steps + ["", "q"]
    scores = play("rlnlp/Recommend-v0", env_kwargs={"slate_size": 1}, seed=0,
                  read=_script(lines), write=out.append)  # fmt: skip
    assert scores == [_session_clicks([3], index=0, slate_size=1)]
    assert any("[test user #1]" in line for line in out)
    assert "type 1 different number(s) from 1 to 10" in "\n".join(out)


def test_parse_slate() -> None:
    assert parse_slate(" 10  1 ", 10, 2) == [9, 0]
    assert parse_slate("5", 10, 1) == [4]
    with pytest.raises(ValueError, match="from 1 to 10"):
        parse_slate("-1 2", 10, 2)
    with pytest.raises(ValueError, match="'bad' is not a candidate number"):
        parse_slate("bad", 10, 2)


def test_envs_without_a_player_get_a_clear_error() -> None:
    playable = playable_envs()
    assert {"rlnlp/Snake-v0", "rlnlp/Recommend-v0", "rlnlp/Dialogue-v0"} <= set(playable)
    assert "rlnlp/Translate-v0" in playable
    with pytest.raises(ValueError, match="no interactive player for 'CartPole-v1'") as caught:
        play("CartPole-v1")
    assert "rlnlp/Recommend-v0" in str(caught.value)
    with pytest.raises(ValueError, match="playable envs"):
        play("rlnlp/No-Such-v0")

"""``rlnlp play rlnlp/Dialogue-v0``: a person as the agent, fed with injected key events."""

from __future__ import annotations

from collections.abc import Iterator

import gymnasium as gym
import pytest

import rl_nlp_envs  # noqa: F401
from rl_nlp_envs.agents.dialogue import RuleTextAgent


def _feed(batches: list[list]) -> Iterator[list]:
    yield from batches
    while True:
        yield []


def _replies(seed: int, index: int) -> list[str]:
    env = gym.make("rlnlp/Dialogue-v0", action_mode="text")
    agent = RuleTextAgent(env)
    obs, info = env.reset(seed=seed, options={"split": "test", "index": index})
    replies = []
    while True:
        replies.append(agent.act(obs, info))
        obs, _, terminated, truncated, info = env.step(replies[-1])
        if terminated or truncated:
            assert info["success"]
            return replies


def test_typed_conversation_succeeds_then_a_goodbye_fails() -> None:
    pygame = pytest.importorskip("pygame")
    from rl_nlp_envs.play import play

    enter = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN)
    batches = []
    for reply in _replies(seed=0, index=0):
        batches.append([pygame.event.Event(pygame.TEXTINPUT, text=c) for c in reply + "#"])
        batches.append([pygame.event.Event(pygame.KEYDOWN, key=pygame.K_BACKSPACE), enter])
    batches.append([enter])  # next customer
    batches.append([pygame.event.Event(pygame.TEXTINPUT, text="Goodbye!"), enter])
    feed = _feed(batches)
    scores = play("rlnlp/Dialogue-v0", seed=0, max_episodes=2, events=lambda: next(feed))
    assert scores == [1.0, 0.0]

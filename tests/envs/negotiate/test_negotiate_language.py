"""The template NLG and the rule-based parser of negotiation messages."""

from __future__ import annotations

import numpy as np
import pytest

from rl_nlp_envs.envs.negotiate.language import describe, parse, plural, realize
from rl_nlp_envs.envs.negotiate.logic import (
    ACCEPT,
    END,
    PROPOSE,
    GameConfig,
    Move,
    all_takes,
    scenario_counts,
)

NAMES = ("book", "hat", "ball")
POOL = (2, 2, 1)


def test_every_generated_proposal_parses_back() -> None:
    rng = np.random.default_rng(0)
    checked = 0
    for counts in scenario_counts(GameConfig()):
        for take in all_takes(counts):
            for _ in range(4):
                move = Move(PROPOSE, take)
                text = realize(move, counts, NAMES, rng)
                assert parse(text, counts, NAMES).move == move, (counts, take, text)
                checked += 1
    assert checked > 2000


@pytest.mark.parametrize("kind", [ACCEPT, END])
def test_generated_accept_and_end_parse_back(kind: int) -> None:
    rng = np.random.default_rng(1)
    for _ in range(30):
        text = realize(Move(kind), POOL, NAMES, rng)
        assert parse(text, POOL, NAMES).move == Move(kind), text


def test_wording_varies() -> None:
    rng = np.random.default_rng(2)
    texts = {realize(Move(PROPOSE, (1, 1, 0)), POOL, NAMES, rng) for _ in range(60)}
    assert len(texts) >= 10


@pytest.mark.parametrize(
    ("text", "take"),
    [
        ("I'll take the books, you get the rest", (2, 0, 0)),
        ("I want 2 books and a hat", (2, 1, 0)),
        ("you can have the ball, I want everything else", (2, 2, 0)),
        ("Give me both hats. The rest is yours.", (0, 2, 0)),
        ("the books for me and the hats for you, ball for me", (2, 0, 1)),
        ("2 books and a hat for you", (0, 1, 1)),
        ("Take the hats and the ball, and I get everything else.", (2, 0, 0)),
        ("I'll give the books to you and keep the rest", (0, 2, 1)),
        ("How about one book and one hat each, and I keep the ball?", (1, 1, 1)),
        ("I want a book and you want a book", None),
        ("You get nothing, I take it all: 2 books, 2 hats, the ball", (2, 2, 1)),
        ("I TAKE ONE BOOK AND YOU TAKE THE REST", (1, 0, 0)),
        ("I get all of the hats", (0, 2, 0)),
        ("I\u2019ll take two books", (2, 0, 0)),
    ],
)
def test_free_text_proposals(text: str, take: tuple[int, ...] | None) -> None:
    result = parse(text, POOL, NAMES)
    if take is None:
        assert not result.ok and result.reason
    else:
        assert result.move == Move(PROPOSE, take), result


@pytest.mark.parametrize("text", ["deal", "OK, agreed!", "Sounds good to me", "yes, I accept"])
def test_acceptance(text: str) -> None:
    assert parse(text, POOL, NAMES).move == Move(ACCEPT)


@pytest.mark.parametrize("text", ["no deal", "Forget it.", "I walk away", "I give up, bye"])
def test_ending(text: str) -> None:
    assert parse(text, POOL, NAMES).move == Move(END)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("hello there", "no proposal, acceptance or ending"),
        ("I don't accept", "refusal"),
        ("I want 5 books", "only 2"),
        ("I take 1 book and you take 2 books", "1 + 2"),
        ("I want 1 book, I want 2 books", "two different counts"),
        ("I take a book and you take a hat", "who gets the balls"),
    ],
)
def test_unparseable_messages_explain_why(text: str, reason: str) -> None:
    result = parse(text, POOL, NAMES)
    assert result.move is None and not result.ok
    assert reason in result.reason


def test_non_string_is_unparseable() -> None:
    result = parse(42, POOL, NAMES)  # type: ignore[arg-type]
    assert not result.ok and "string" in result.reason


def test_describe_and_plural() -> None:
    assert plural("hat") == "hats" and plural("box") == "boxes"
    assert describe((0, 0, 0), POOL, NAMES, 0) == "nothing"
    assert describe((2, 1, 0), POOL, NAMES, 0) == "2 books and a hat"
    assert describe((2, 2, 1), POOL, NAMES, 1) == "both books, both hats and a ball"

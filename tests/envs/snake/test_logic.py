"""The pure rules of Snake."""

from __future__ import annotations

import numpy as np
import pytest

from rl_nlp_envs.envs.snake.logic import (
    BODY,
    DOWN,
    EMPTY,
    FOOD,
    HEAD,
    LEFT,
    RIGHT,
    UP,
    SnakeConfig,
    SnakeGame,
    draw,
    initial_snake,
    key_from_seed,
    mix64,
    next_key,
)


def test_mix64_known_values_and_bijective_sample() -> None:
    # SplitMix64 reference outputs for state 0 (the first output of seed 0).
    assert mix64(0) == 0xE220A8397B1DCDAF
    outputs = {mix64(x) for x in range(10_000)}
    assert len(outputs) == 10_000
    assert draw(5, 0) != draw(5, 1) != draw(6, 0)
    assert next_key(1) != next_key(2)


@pytest.mark.parametrize("size,length", [(3, 3), (4, 1), (10, 3), (12, 5)])
def test_initial_snake_is_straight_in_bounds_and_heads_away_from_its_body(
    size: int, length: int
) -> None:
    for seed in range(300):
        heading, body = initial_snake(size, length, key_from_seed(seed))
        assert len(set(body)) == length
        rows, cols = np.divmod(np.array(body), size)
        assert rows.min() >= 0 and rows.max() < size and cols.min() >= 0 and cols.max() < size
        steps = np.abs(np.diff(rows)) + np.abs(np.diff(cols))
        assert np.all(steps == 1)
        if length > 1:
            dr, dc = rows[0] - rows[1], cols[0] - cols[1]
            assert (dr, dc) == {UP: (-1, 0), RIGHT: (0, 1), DOWN: (1, 0), LEFT: (0, -1)}[heading]


def _game(size: int = 6, seed: int = 0, **kw: object) -> SnakeGame:
    return SnakeGame(SnakeConfig(size=size, **kw), key_from_seed(seed))  # type: ignore[arg-type]


def _set_state(game: SnakeGame, body: list[int], heading: int, food: int) -> None:
    game.grid[:] = EMPTY
    game.body.clear()
    game.body.extend(body)
    game.grid[body] = BODY
    game.grid[body[0]] = HEAD
    game.heading = heading
    game.food = food
    game.grid[food] = FOOD


def test_board_invariants_hold_along_random_games() -> None:
    rng = np.random.default_rng(0)
    for seed in range(30):
        game = _game(seed=seed)
        while not game.over:
            game.step(int(rng.integers(4)))
            if game.over:
                break
            assert int((game.grid == HEAD).sum()) == 1
            assert int((game.grid == BODY).sum()) == game.length - 1
            assert int((game.grid == FOOD).sum()) == 1
            assert game.length == 3 + game.score


def test_eating_grows_and_places_new_food_on_an_empty_cell() -> None:
    game = _game(size=6)
    _set_state(game, [8, 7, 6], RIGHT, 9)  # row 1: tail 6, head 8, food 9
    reward, terminated, truncated = game.step(RIGHT)
    assert (reward, terminated, truncated) == (1.0, False, False)
    assert list(game.body) == [9, 8, 7, 6]
    assert game.score == 1 and game.steps_since_food == 0
    assert game.food not in game.body and game.grid[game.food] == FOOD


def test_reversal_is_illegal_and_keeps_heading() -> None:
    game = _game(size=6)
    _set_state(game, [8, 7, 6], RIGHT, 30)
    assert game.legal_moves().tolist() == [1, 1, 1, 0]
    game.step(LEFT)
    assert game.heading == RIGHT and game.head == 9


def test_walls_and_self_collision_kill_but_the_moving_tail_does_not() -> None:
    game = _game(size=6)
    _set_state(game, [5, 4, 3], RIGHT, 30)  # head at the right wall
    assert game.step(RIGHT) == (-1.0, True, False)
    game = _game(size=6)
    # a 2x2 loop: head 7 -> left to 6 is the tail (moves away) -> allowed
    _set_state(game, [7, 13, 12, 6], UP, 30)
    assert game.step(LEFT) == (0.0, False, False)
    game = _game(size=6)
    _set_state(game, [7, 13, 12, 6, 0], UP, 30)  # now 6 is not the tail
    assert game.step(LEFT) == (-1.0, True, False)


def test_starvation_truncates_and_win_terminates() -> None:
    game = _game(size=4, max_steps_without_food=3)
    _set_state(game, [5, 4], RIGHT, 15)
    results = [game.step(m) for m in (DOWN, RIGHT, UP)]
    assert results[-1] == (0.0, False, True)
    game = _game(size=3, initial_length=3)
    # fill all but one cell, food on the last one: eating it wins
    body = [1, 0, 3, 4, 5, 8, 7, 6]
    _set_state(game, body, LEFT, 2)
    # head at 1 moving right to 2 (food)
    game.heading = UP
    reward, terminated, truncated = game.step(RIGHT)
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert game.won and game.food == -1 and game.length == 9


def test_food_placement_is_uniform_over_empty_cells() -> None:
    counts = np.zeros(16, dtype=int)
    for seed in range(4000):
        game = _game(size=4, seed=seed)
        counts[game.food] += 1
    occupied_share = counts.sum() / 4000
    assert occupied_share == 1
    nonzero = counts[counts > 0]
    assert len(nonzero) == 16
    # chi-square-ish sanity: no cell more than 2x the mean
    assert counts.max() < 2 * counts.mean()


def test_config_validation_messages() -> None:
    with pytest.raises(ValueError, match="size must be an int >= 3"):
        SnakeConfig(size=2)
    with pytest.raises(ValueError, match="initial_length must be"):
        SnakeConfig(size=5, initial_length=6)
    with pytest.raises(ValueError, match="max_steps_without_food"):
        SnakeConfig(max_steps_without_food=0)

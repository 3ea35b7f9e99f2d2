"""The user model on its own: randomness, candidates, choice, drift, boredom, budget."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from rl_nlp_envs.envs.recommend.catalogue import load_catalogue
from rl_nlp_envs.envs.recommend.logic import (
    RecommendWorld,
    UserModelConfig,
    UserState,
    draw,
    key_from_seed,
    mix64,
    split_key,
    uniform,
)
from rl_nlp_envs.envs.recommend.user import catalogue_user_types


def _world(**kwargs: Any) -> RecommendWorld:
    catalogue = load_catalogue()
    return RecommendWorld(catalogue, catalogue_user_types(catalogue), UserModelConfig(**kwargs))


def _users(world: RecommendWorld, n: int, offset: int = 0) -> UserState:
    state = world.new_state(n)
    state.keys[:] = mix64(np.arange(offset, offset + n, dtype=np.uint64))
    world.reset(state, np.arange(n))
    return state


def test_counter_based_randomness() -> None:
    keys = np.array([1, 2, 3], dtype=np.uint64)
    a = draw(keys[:, None], np.arange(4)[None, :])
    assert np.array_equal(a, draw(keys[:, None], np.arange(4)[None, :]))
    assert len(set(a.ravel().tolist())) == 12
    u = uniform(np.full(20000, 7, dtype=np.uint64), np.arange(20000))
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01
    assert key_from_seed(1) != key_from_seed(2)
    assert len({split_key(s, 0) for s in ("train", "validation", "test")}) == 3
    with pytest.raises(ValueError, match="split"):
        split_key("dev", 0)


def test_reset_draws_users_of_the_types_with_distinct_candidates() -> None:
    world = _world()
    state = _users(world, 3000)
    assert set(np.unique(state.user_type)) == set(range(len(world.user_types.names)))
    assert np.all(np.abs(state.interest) <= 1.0)
    centre = world.user_types.centers[state.user_type]
    assert np.all(np.abs(state.interest - centre) <= world.config.interest_noise + 1e-12)
    assert np.all((state.budget >= 15.0) & (state.budget <= 25.0))
    sorted_c = np.sort(state.candidates, axis=1)
    assert np.all(np.diff(sorted_c, axis=1) > 0), "candidates repeat"
    assert state.candidates.min() >= 0 and state.candidates.max() < world.n_items


def test_position_bias_and_no_click_logits() -> None:
    world = _world(slate_size=3)
    state = _users(world, 1)
    items = np.array([[5, 5, 5]])
    logits = world.click_logits(state, np.array([0]), items)
    cfg = world.config
    assert np.allclose(np.diff(logits[0, :3]), np.log(cfg.position_bias))
    assert logits[0, 3] == pytest.approx(cfg.no_click_score / cfg.temperature)


def test_duplicate_positions_are_empty_slots() -> None:
    world = _world(slate_size=3)
    state = _users(world, 2000)
    result = world.step(state, np.tile([4, 4, 4], (2000, 1)), np.ones(2000, dtype=bool))
    assert result.clicked.any()
    assert np.all(result.position[result.clicked] == 0)
    assert np.all(result.diversity == 0.0)
    assert np.array_equal(world.slate_valid(np.array([[1, 2, 1]])), [[True, True, False]])


def test_budget_drift_and_boredom_follow_the_rules() -> None:
    world = _world()
    state = _users(world, 500)
    before_interest = state.interest.copy()
    before_budget = state.budget.copy()
    result = world.step(state, np.tile([0, 1], (500, 1)), np.ones(500, dtype=bool))
    hit = result.clicked
    assert hit.any() and (~hit).any()
    item = result.item[hit]
    expected = before_budget - 1.0
    expected[hit] += world.config.quality_gain * (world.quality[item] - world.config.quality_pivot)
    assert np.allclose(state.budget, expected)
    w = world.weights[item]
    drift = world.config.drift_rate * world.completion[item][:, None] * w
    assert np.allclose(
        state.interest[hit], before_interest[hit] + drift * (1 - before_interest[hit])
    )
    assert np.array_equal(state.interest[~hit], before_interest[~hit])
    assert np.allclose(state.boredom[hit], world.config.boredom_rate * w)
    assert np.all(state.boredom[~hit] == 0.0)
    assert np.array_equal(state.history_ids[hit, -1], item)
    assert np.all(state.history_ids[~hit] == -1)
    assert np.all(result.watch[hit] == world.catalogue.length[item] * world.completion[item])


def test_episodes_end_by_budget_or_max_steps() -> None:
    world = _world(max_steps=8)
    state = _users(world, 200)
    alive = np.ones(200, dtype=bool)
    ends = np.zeros(200, dtype=np.int64)
    for t in range(1, 9):
        result = world.step(state, np.tile([0, 1], (200, 1)), alive)
        assert np.all(state.budget[result.terminated] <= 0)
        ended = result.terminated | result.truncated
        ends[ended] = t
        alive &= ~ended
    assert not alive.any()
    assert np.all(ends[state.budget > 0] == 8)


def _session(world: RecommendWorld, policy: str, n: int = 600) -> tuple[float, float, float]:
    """Mean return, CTR and session length of an oracle policy on ``n`` users."""
    state = _users(world, n, offset=10_000)
    alive = np.ones(n, dtype=bool)
    clicks, steps = np.zeros(n), np.zeros(n)
    bait = world.catalogue.clickbait
    while alive.any():
        pref = state.interest[:, None, :] * world.weights[state.candidates]
        appeal = pref.sum(-1) + world.bait[state.candidates]
        if policy == "long-term":
            appeal = appeal - 10.0 * bait[state.candidates]
        slates = np.argsort(-appeal, axis=1)[:, :2]
        result = world.step(state, slates, alive)
        clicks += result.clicked
        steps += alive
        alive &= ~(result.terminated | result.truncated)
    return float(clicks.mean()), float((clicks / steps).mean()), float(steps.mean())


def test_clickbait_wins_clicks_now_and_loses_sessions() -> None:
    """The effect the env exists to show, with the true user model as an oracle: showing the
    most appealing items (clickbait included) maximises CTR; leaving clickbait out gives
    fewer clicks per step but longer sessions and more clicks in all."""
    world = _world()
    myopic = _session(world, "myopic")
    long_term = _session(world, "long-term")
    assert myopic[1] > long_term[1] + 0.05
    assert long_term[0] > myopic[0] + 3.0
    assert long_term[2] > myopic[2] + 5.0


def test_config_errors_say_what_is_allowed() -> None:
    with pytest.raises(ValueError, match="slate_size"):
        UserModelConfig(slate_size=11)
    with pytest.raises(ValueError, match="reward_mode"):
        UserModelConfig(reward_mode="likes")
    with pytest.raises(ValueError, match="position_bias"):
        UserModelConfig(position_bias=1.5)
    with pytest.raises(ValueError, match="n_candidates must be a positive int"):
        UserModelConfig(n_candidates=0)

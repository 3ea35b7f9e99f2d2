"""The pure rules of the negotiation game (no PettingZoo involved)."""

from __future__ import annotations

import numpy as np
import pytest

from rl_nlp_envs.envs.negotiate.logic import (
    ACCEPT,
    END,
    PROPOSE,
    GameConfig,
    IllegalMove,
    Move,
    Negotiation,
    Scenario,
    all_takes,
    check_scenario,
    decision_mask,
    decode_observation,
    encode_observation,
    observation_high,
    observation_size,
    pareto_optimal,
    rest,
    sample_scenario,
    scenario_counts,
    valid_value_pairs,
    value_vectors,
)

CONFIG = GameConfig()
SCENARIO = Scenario(counts=(1, 2, 3), values=((4, 0, 2), (0, 2, 2)))


def game(first: int = 0, max_turns: int = 10) -> Negotiation:
    return Negotiation(SCENARIO, max_turns, current=first)


def test_value_vectors_sum_to_the_budget() -> None:
    vectors = value_vectors((1, 2, 3), 10)
    assert vectors
    assert all(sum(v * c for v, c in zip(vec, (1, 2, 3), strict=True)) == 10 for vec in vectors)
    # every solution is found: brute force over a wider box
    brute = [
        (a, b, c)
        for a in range(11)
        for b in range(11)
        for c in range(11)
        if a + 2 * b + 3 * c == 10
    ]
    assert sorted(vectors) == sorted(brute)


def test_valid_pairs_follow_the_deal_or_no_deal_rules() -> None:
    pairs = valid_value_pairs((1, 2, 3), 10)
    assert pairs
    for a, b in pairs:
        assert all(x + y > 0 for x, y in zip(a, b, strict=True))
        assert any(x > 0 and y > 0 for x, y in zip(a, b, strict=True))
    # a pair where an item is worthless to both is excluded
    assert ((10, 0, 0), (10, 0, 0)) not in valid_value_pairs((1, 2, 3), 10)


def test_pools_respect_the_config() -> None:
    pools = scenario_counts(CONFIG)
    assert pools
    for counts in pools:
        assert all(1 <= c <= 4 for c in counts)
        assert 5 <= sum(counts) <= 7


def test_sampling_is_seeded_and_valid() -> None:
    a = [sample_scenario(np.random.default_rng(7), CONFIG) for _ in range(3)]
    b = [sample_scenario(np.random.default_rng(7), CONFIG) for _ in range(3)]
    assert a == b
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(300):
        scenario = sample_scenario(rng, CONFIG)
        check_scenario(scenario, CONFIG)
        assert scenario.worth(0, scenario.counts) == scenario.worth(1, scenario.counts) == 10
        seen.add(scenario.counts)
    assert len(seen) > 10


def test_check_scenario_explains_bad_values() -> None:
    with pytest.raises(ValueError, match="not a valid pair"):
        check_scenario(Scenario((1, 2, 3), ((10, 0, 0), (10, 0, 0))), CONFIG)
    with pytest.raises(ValueError, match="not an allowed pool"):
        check_scenario(Scenario((9, 1, 1), ((1, 0, 1), (1, 0, 1))), CONFIG)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"items": ()}, "items"),
        ({"items": ("hat", "hat")}, "items"),
        ({"min_count": 0}, "min_count"),
        ({"min_total": 2}, "min_total"),
        ({"max_turns": 1}, "max_turns"),
        ({"total_value": 1}, "total_value"),
    ],
)
def test_bad_config_is_rejected(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GameConfig(**kwargs)


def test_agreement_scores_each_side_by_its_own_values() -> None:
    g = game(first=0)
    g.play(Move(PROPOSE, (1, 0, 2)))  # player 0 keeps the book and 2 balls
    assert g.current == 1 and g.can_accept() and not g.can_accept(0)
    g.play(Move(ACCEPT))
    assert g.outcome == "agreement"
    assert g.allocation == ((1, 0, 2), (0, 2, 1))
    assert g.points() == (4 + 2 * 2, 2 * 2 + 2)


def test_counter_proposal_replaces_the_standing_offer() -> None:
    g = game(first=1)
    g.play(Move(PROPOSE, (0, 2, 3)))
    g.play(Move(PROPOSE, (1, 0, 3)))
    assert g.offer is not None and g.offer.proposer == 0
    assert g.offered_to(1) == (0, 2, 0)
    g.play(Move(ACCEPT))
    assert g.points() == (10, 4)


def test_ending_and_the_turn_limit_give_nothing() -> None:
    g = game()
    g.play(Move(PROPOSE, (1, 2, 3)))
    g.play(Move(END))
    assert g.outcome == "no_deal" and g.points() == (0, 0)
    g = game(max_turns=3)
    for _ in range(3):
        g.play(Move(PROPOSE, (1, 1, 1)))
    assert g.outcome == "turn_limit" and g.done and g.points() == (0, 0)


def test_acceptance_on_the_last_turn_counts() -> None:
    g = game(max_turns=2)
    g.play(Move(PROPOSE, (1, 1, 1)))
    g.play(Move(ACCEPT))
    assert g.outcome == "agreement"


def test_illegal_moves_are_refused_with_a_reason() -> None:
    g = game()
    with pytest.raises(IllegalMove, match="no proposal"):
        g.play(Move(ACCEPT))
    with pytest.raises(IllegalMove, match="pool has 1"):
        g.play(Move(PROPOSE, (2, 0, 0)))
    with pytest.raises(IllegalMove, match="needs 3 counts"):
        g.play(Move(PROPOSE, (1, 0)))
    g.play(Move(PROPOSE, (1, 0, 0)))
    g.current = 0  # the proposer moving again (not reachable by play) may not accept itself
    with pytest.raises(IllegalMove, match="own proposal"):
        g.play(Move(ACCEPT))
    g.play(Move(END))
    with pytest.raises(IllegalMove, match="over"):
        g.play(Move(END))


def test_move_validates_its_shape() -> None:
    with pytest.raises(ValueError, match="kind"):
        Move(7)
    with pytest.raises(ValueError, match="take"):
        Move(PROPOSE)
    with pytest.raises(ValueError, match="take"):
        Move(ACCEPT, (1, 1, 1))


def test_passing_the_turn_keeps_the_offer_and_counts_to_the_limit() -> None:
    g = game(first=0, max_turns=3)
    g.play(Move(PROPOSE, (1, 0, 0)))
    g.pass_turn()
    assert g.current == 0 and g.turn == 2 and g.offer is not None and not g.done
    g.pass_turn()
    assert g.outcome == "turn_limit"
    with pytest.raises(IllegalMove, match="over"):
        g.pass_turn()


def test_forfeit_marks_the_offender() -> None:
    g = game()
    g.forfeit(0)
    assert g.done and g.outcome == "illegal" and g.offender == 0 and g.points() == (0, 0)


def test_takes_and_rest() -> None:
    takes = all_takes((1, 2, 3))
    assert len(takes) == 2 * 3 * 4
    assert rest((1, 2, 3), (1, 0, 2)) == (0, 2, 1)


def test_pareto_optimality() -> None:
    # player 0 wants the book, player 1 the hats: giving each what they value is optimal
    assert pareto_optimal(SCENARIO, ((1, 0, 3), (0, 2, 0)))
    assert not pareto_optimal(SCENARIO, ((0, 2, 0), (1, 0, 3)))


def test_observation_round_trip_and_bounds() -> None:
    g = game(first=0)
    obs0 = encode_observation(g, 0)
    assert obs0.shape == (observation_size(3),) and obs0.dtype == np.float32
    v = decode_observation(obs0)
    assert v.counts == (1, 2, 3) and v.values == (4, 0, 2)
    assert v.offered is None and v.my_last is None and v.my_turn and v.first_mover
    g.play(Move(PROPOSE, (0, 0, 0)))
    v1 = decode_observation(encode_observation(g, 1))
    assert v1.offered == (1, 2, 3) and v1.offer_from_other and v1.my_turn
    assert v1.values == (0, 2, 2) and not v1.first_mover and v1.turns_left == 9
    v0 = decode_observation(encode_observation(g, 0))
    assert v0.my_last == (0, 0, 0) and v0.offered == (0, 0, 0) and not v0.offer_from_other
    g.play(Move(PROPOSE, (1, 0, 0)))  # player 1 proposes: it keeps the book
    g.play(Move(PROPOSE, (0, 0, 0)))
    g.play(Move(PROPOSE, (0, 2, 0)))  # player 1's second proposal
    obs0 = encode_observation(g, 0)
    assert obs0[4 * 3 + 9] == 2  # player 1 has proposed twice
    assert obs0[4 * 3 + 8] == 0 * 4 + 2 * 0 + 3 * 2  # its first offer gave player 0 the rest
    assert obs0[4 * 3 + 6] == 4 + 3 * 2  # the standing offer gives player 0 book and balls
    high = observation_high(CONFIG)
    rng = np.random.default_rng(1)
    for _ in range(50):
        scenario = sample_scenario(rng, CONFIG)
        h = Negotiation(scenario, CONFIG.max_turns)
        h.play(Move(PROPOSE, scenario.counts))
        for player in (0, 1):
            obs = encode_observation(h, player)
            assert (obs >= 0).all() and (obs <= high).all()


def test_decode_rejects_wrong_shapes() -> None:
    with pytest.raises(ValueError, match="shape"):
        decode_observation(np.zeros(5, dtype=np.float32))


def test_decision_mask() -> None:
    g = game(first=0)
    assert decision_mask(g, 0).tolist() == [1, 0, 1]
    g.play(Move(PROPOSE, (1, 1, 1)))
    assert decision_mask(g, 1).tolist() == [1, 1, 1]
    g.play(Move(END))
    assert decision_mask(g, 0).tolist() == [0, 0, 0]

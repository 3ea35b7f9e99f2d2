"""Baseline negotiators: rule agents, the PPO self-play learner, matches and the CLI route."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pettingzoo", reason="Negotiate-v0 needs pettingzoo (the `marl` extra)")

from rl_nlp_envs.agents.negotiate import (
    FairNegotiator,
    GreedyNegotiator,
    RandomNegotiator,
    TextSpeaker,
    believed_values,
    fair_split,
    make_negotiator,
    match_summary,
    play_match,
)
from rl_nlp_envs.envs.negotiate.logic import (
    ACCEPT,
    PROPOSE,
    all_takes,
    rest,
    valid_value_pairs,
)

RULES = ("random", "greedy", "fair")


@pytest.mark.parametrize("a", RULES)
@pytest.mark.parametrize("b", RULES)
def test_rule_agents_never_break_the_rules(a: str, b: str) -> None:
    result = play_match(make_negotiator(a, seed=1), make_negotiator(b, seed=2), 20, seed=0)
    assert "illegal" not in result.outcomes
    assert all(0 <= p <= 10 for p in result.points_a + result.points_b)


def test_greedy_demands_what_it_values_and_accepts_good_offers() -> None:
    agent = GreedyNegotiator(accept_at=6)
    n = 3
    obs = np.zeros(4 * n + 10, dtype=np.float32)
    obs[0:3] = (2, 2, 1)
    obs[3:6] = (0, 3, 4)  # values: hats and the ball
    obs[4 * n + 4] = 10
    action = agent.act(obs, {})
    assert action.tolist() == [PROPOSE, 0, 2, 1]
    obs[6:9] = (2, 1, 1)  # offered: worth 3 + 4 = 7
    obs[4 * n] = obs[4 * n + 1] = 1
    assert agent.act(obs, {})[0] == ACCEPT
    obs[6:9] = (2, 1, 0)  # worth 3 < 6: insist
    assert agent.act(obs, {})[0] == PROPOSE
    obs[4 * n + 4] = 1  # last turn: anything worth something beats no deal
    assert agent.act(obs, {})[0] == ACCEPT


def test_believed_values_are_the_posterior_mean() -> None:
    counts, own = (1, 2, 3), (4, 0, 2)
    belief = believed_values(counts, own, 10)
    others = [b for a, b in valid_value_pairs(counts, 10) if a == own]
    assert np.allclose(belief, np.mean(others, axis=0))
    assert np.isclose(np.dot(belief, counts), 10.0)


def test_fair_split_maximises_the_smaller_believed_share() -> None:
    counts, own = (1, 2, 3), (4, 0, 2)
    belief = believed_values(counts, own, 10)
    take = fair_split(counts, own, 10)

    def low(t: tuple[int, ...]) -> float:
        return min(float(np.dot(own, t)), float(np.dot(belief, rest(counts, t))))

    assert low(take) == max(low(t) for t in all_takes(counts))


def test_fair_agents_agree_with_each_other() -> None:
    result = play_match(FairNegotiator(seed=0), FairNegotiator(seed=1), 40, seed=100)
    assert result.agreement >= 0.9
    assert result.mean_a > 5 and result.mean_b > 5


def test_random_agent_is_seeded() -> None:
    a = play_match(RandomNegotiator(seed=3), RandomNegotiator(seed=4), 10, seed=0)
    b = play_match(RandomNegotiator(seed=3), RandomNegotiator(seed=4), 10, seed=0)
    assert a.points_a == b.points_a and a.outcomes == b.outcomes


def test_text_mode_with_the_nlg_plays_the_same_games() -> None:
    """Rule agents speaking through the NLG, read back by the parser, reach the same deals."""
    structured = play_match(GreedyNegotiator(), FairNegotiator(), 30, seed=7)
    text = play_match(
        TextSpeaker(GreedyNegotiator(), seed=1), TextSpeaker(FairNegotiator(), seed=2), 30,
        seed=7, env_kwargs={"action_mode": "text"},
    )  # fmt: skip
    assert text.points_a == structured.points_a and text.points_b == structured.points_b
    assert text.outcomes == structured.outcomes


def test_unknown_names_and_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="choose one of: random, greedy, fair"):
        make_negotiator("tough")
    with pytest.raises(TypeError, match="unknown arguments"):
        RandomNegotiator(temperature=2)
    with pytest.raises(ValueError, match="episodes"):
        play_match(RandomNegotiator(), RandomNegotiator(), 0)


def test_match_summary_reports_every_opponent() -> None:
    value, text, details = match_summary(FairNegotiator(), 5, seed=0)
    assert set(details) == {*RULES, "self"}
    assert "vs greedy" in text and "vs self" in text and "agreed" in text
    assert value == pytest.approx(np.mean([details[r]["points"] for r in RULES]))


def test_rule_agents_follow_the_env_config() -> None:
    from rl_nlp_envs.envs import negotiate_v0

    env = negotiate_v0.raw_env(items=("apple", "pear"), max_count=3, min_total=3, max_total=5)
    agent = FairNegotiator(env)
    assert agent.game_config.items == ("apple", "pear")
    result = play_match(agent, FairNegotiator(env), 10, seed=0,
                        env_kwargs={"items": ("apple", "pear"), "max_count": 3,
                                    "min_total": 3, "max_total": 5})  # fmt: skip
    assert "illegal" not in result.outcomes


# --- the learner ---------------------------------------------------------------------------------


def test_ppo_learns_briefly_saves_and_loads(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch", reason="the PPO negotiator needs torch (`train` extra)")
    pytest.importorskip("safetensors", reason="checkpoints need safetensors (`train` extra)")
    from rl_nlp_envs.agents.negotiate import PPONegotiator

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        agent = PPONegotiator(seed=0, games_per_update=32)
        stats = agent.learn(600, seed=0, progress=False)
        assert stats["steps"] >= 600 and stats["updates"] >= 1
        assert np.isfinite(stats["train_points"])
        result = play_match(agent, GreedyNegotiator(), 10, seed=0)
        assert "illegal" not in result.outcomes  # masks keep the policy legal
        agent.save(tmp_path / "ppo")
        clone = PPONegotiator(seed=5).load(tmp_path / "ppo")
        assert isinstance(clone, PPONegotiator)
        again = play_match(clone, GreedyNegotiator(), 10, seed=0)
        assert again.points_a == result.points_a
        with pytest.raises(ValueError, match="shape"):
            PPONegotiator(hidden=16).load(tmp_path / "ppo")
        with pytest.raises(ValueError, match="unknown opponents"):
            PPONegotiator(opponents=("tough",))
    finally:
        torch.set_num_threads(threads)


@pytest.mark.slow
def test_ppo_self_play_beats_the_rule_agents() -> None:
    """The README's claim at a smaller budget: more points than greedy and fair against the
    same opponents on average, with at least 80% agreement against greedy and fair."""
    torch = pytest.importorskip("torch", reason="the PPO negotiator needs torch (`train` extra)")
    from rl_nlp_envs.agents.negotiate import PPONegotiator, match_table

    torch.set_num_threads(1)
    agent = PPONegotiator(seed=0)
    agent.learn(1_700_000, seed=0, progress=False)
    mine = match_table(agent, 200, 1000)
    for rule in ("greedy", "fair"):
        theirs = match_table(make_negotiator(rule, seed=0), 200, 1000)
        assert np.mean([r.mean_a for r in mine.values()]) > np.mean(
            [r.mean_a for r in theirs.values()]
        )
    assert mine["greedy"].agreement >= 0.8 and mine["fair"].agreement >= 0.8


# --- the command line -------------------------------------------------------------------------


def test_cli_baseline_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    from rl_nlp_envs.cli import main

    assert main(["baseline", "rlnlp/Negotiate-v0", "--agent", "greedy", "--episodes", "4",
                 "--quiet", "--json"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "rlnlp/Negotiate-v0 greedy: points" in out and '"metric": "points"' in out
    assert main(["baseline", "rlnlp/Negotiate-v0", "--agent", "tough", "--quiet"]) == 2
    assert "choose one of: random, greedy, fair, ppo" in capsys.readouterr().err
    assert main(["baseline", "rlnlp/Negotiate-v0", "--agent", "fair", "--episodes", "2",
                 "--quiet", "--env-arg", "colour=blue"]) == 2  # fmt: skip
    assert "bad --env-arg" in capsys.readouterr().err


def test_cli_baselines_table_includes_negotiate(capsys: pytest.CaptureFixture[str]) -> None:
    from rl_nlp_envs.cli import main

    assert main(["baselines", "--env", "rlnlp/Negotiate-v0", "--episodes", "3", "--quiet"]) == 0
    out = capsys.readouterr().out
    for name in RULES:
        assert f"| rlnlp/Negotiate-v0 | {name} | points" in out

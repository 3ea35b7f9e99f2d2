"""Dialogue-v0 baselines: the rule policy, random acts, DQN, and how they are evaluated."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import rl_nlp_envs  # noqa: F401
from rl_nlp_envs.agents.dialogue import RuleDialogueAgent, RuleTextAgent, rule_action
from rl_nlp_envs.agents.evaluate import evaluate_dialogue
from rl_nlp_envs.agents.registry import get_baseline, make_agent, score_agent
from rl_nlp_envs.cli import main
from rl_nlp_envs.envs.dialogue.ontology import action_name
from rl_nlp_envs.envs.dialogue.tracker import FEATURE_NAMES

ENV_ID = "rlnlp/Dialogue-v0"


def test_rule_policy_reaches_over_90_percent() -> None:
    env = gym.make(ENV_ID)
    result = evaluate_dialogue(RuleDialogueAgent(env), env, 150, seed=1000, progress=False)
    assert result.success_rate > 0.9, result.success_rate
    assert 3 < result.mean_turns < 12
    assert len(result.turns) == len(result.successes) == len(result.returns) == 150


def test_rule_policy_changes_bookings_in_act_and_text_mode() -> None:
    for mode, agent_type in (("act", RuleDialogueAgent), ("text", RuleTextAgent)):
        env = gym.make(ENV_ID, action_mode=mode)
        agent = agent_type(env)
        done = 0
        for index in range(120):
            obs, info = env.reset(seed=index, options={"split": "test", "index": index})
            if env.unwrapped.dialogue.goal.domain != "booking":  # type: ignore[attr-defined]
                continue
            while True:
                obs, _, terminated, truncated, info = env.step(agent.act(obs, info))
                if terminated or truncated:
                    break
            assert info["success"] and info["goal"]["task"] == "change", (mode, index)
            done += 1
        assert done >= 10


def test_rule_action_reads_the_features() -> None:
    f = np.zeros(len(FEATURE_NAMES), dtype=np.float32)
    names = {n: i for i, n in enumerate(FEATURE_NAMES)}
    f[names["domain=restaurant"]] = 1
    f[names["matches>=4"]] = 1
    assert action_name(rule_action(f)) == "request(area)"
    f[names["offered"]] = f[names["offer_matches_belief"]] = 1
    f[names["requested:phone"]] = 1
    assert action_name(rule_action(f)) == "inform(phone)"
    f[names["requested:phone"]] = 0
    f[names["booking_wanted"]] = 1
    assert action_name(rule_action(f)) == "request(people)"
    # a change of booking: the reference first, then the booking, then the change
    f = np.zeros(len(FEATURE_NAMES), dtype=np.float32)
    f[names["domain=booking"]] = f[names["matches=2-3"]] = 1
    assert action_name(rule_action(f)) == "request(reference)"
    f[names["matches=2-3"]], f[names["matches=1"]], f[names["filled:reference"]] = 0, 1, 1
    assert action_name(rule_action(f)) == "offer"
    f[names["offered"]] = f[names["offer_matches_belief"]] = f[names["booking_wanted"]] = 1
    assert action_name(rule_action(f)) == "reqmore"  # no new detail known yet
    f[names["filled:time"]] = 1
    assert action_name(rule_action(f)) == "change_booking"
    f[names["booked"]] = 1
    assert action_name(rule_action(f)) == "reqmore"
    with pytest.raises(ValueError, match="text"):
        RuleDialogueAgent(gym.make(ENV_ID, action_mode="text"))
    with pytest.raises(ValueError, match="text"):
        RuleTextAgent(gym.make(ENV_ID))


def test_registry_rows_and_score_text() -> None:
    for name in ("random", "rule", "rule-text", "dqn"):
        assert get_baseline(ENV_ID, name).evaluation == "dialogue"
    baseline = get_baseline(ENV_ID, "random")
    env = gym.make(ENV_ID, **baseline.env_kwargs)
    score = score_agent(baseline, make_agent(baseline, env, seed=0), env, 100, 1000, False)
    assert score.metric == "success" and score.value < 0.2
    assert "success" in score.text and "mean turns" in score.text
    assert score.details["turns"] > 1


def test_cli_baseline_reports_success_and_turns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline", ENV_ID, "--agent", "rule-text", "--episodes", "20", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "rule-text: success 100.0%" in out and "mean turns" in out


def test_dqn_learns_a_little_and_round_trips(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    from rl_nlp_envs.agents.dialogue import DialogueDQNAgent

    agent = DialogueDQNAgent(seed=0, num_envs=2, learning_starts=100, demo_episodes=10)
    stats = agent.learn(400, seed=0, progress=False)
    assert stats["steps"] == 400 and stats["updates"] > 0 and stats["episodes"] > 0
    agent.save(tmp_path / "ck")
    clone = DialogueDQNAgent(seed=1, num_envs=2).load(tmp_path / "ck")
    env = gym.make(ENV_ID)
    obs, info = env.reset(seed=0)
    assert clone.act(obs, info) == agent.act(obs, info)
    assert np.allclose(clone.q_values(obs[None]), agent.q_values(obs[None]))
    with pytest.raises(ValueError, match="has shape"):
        DialogueDQNAgent(hidden=16).load(tmp_path / "ck")


@pytest.mark.slow
def test_dqn_from_the_cli_beats_random(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    assert main(["baseline", ENV_ID, "--agent", "dqn", "--episodes", "200", "--quiet",
                 "--json"]) == 0  # fmt: skip
    import json

    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["value"] > 0.8, result

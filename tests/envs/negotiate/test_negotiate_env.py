"""Negotiate-v0 through PettingZoo's own test suite and the env's contract."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pettingzoo", reason="Negotiate-v0 needs pettingzoo (the `marl` extra)")

from pettingzoo.test import (
    api_test,
    parallel_api_test,
    parallel_seed_test,
    render_test,
    seed_test,
)

from rl_nlp_envs.envs import negotiate_v0
from rl_nlp_envs.envs.negotiate.env import AGENTS
from rl_nlp_envs.envs.negotiate.logic import decode_observation

MODES = ("structured", "text")
# PettingZoo's api_test nudges towards Box/Discrete spaces and array observations; our
# MultiDiscrete action and the text mode's Dict observation are deliberate.
EXPECTED_WARNINGS = (
    "Action space for each agent probably should be",
    "Observation space for each agent probably should be",
    "Observation is not a NumPy array",
)


@pytest.fixture(autouse=True)
def _fast_headless_render(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setitem(negotiate_v0.raw_env.metadata, "render_fps", 1000)
    yield


def _unexpected(caught: list[warnings.WarningMessage]) -> list[str]:
    return [
        str(w.message)
        for w in caught
        if not any(str(w.message).startswith(e) for e in EXPECTED_WARNINGS)
    ]


@pytest.mark.parametrize("mode", MODES)
def test_pettingzoo_api_test(mode: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        api_test(negotiate_v0.env(action_mode=mode), num_cycles=200)
    assert not _unexpected(caught)


@pytest.mark.parametrize("mode", MODES)
def test_pettingzoo_parallel_api_test(mode: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parallel_api_test(negotiate_v0.parallel_env(action_mode=mode), num_cycles=200)
    assert not _unexpected(caught)


@pytest.mark.parametrize("mode", MODES)
def test_pettingzoo_seed_tests(mode: str) -> None:
    seed_test(lambda **kw: negotiate_v0.env(action_mode=mode, **kw), num_cycles=50)
    parallel_seed_test(
        lambda **kw: negotiate_v0.parallel_env(action_mode=mode, **kw), num_cycles=50
    )


@pytest.mark.parametrize("mode", MODES)
def test_pettingzoo_render_test(mode: str) -> None:
    def has_dialogue(text: str) -> bool:
        return "Negotiate-v0" in text and "Dialogue" in text

    render_test(lambda **kw: negotiate_v0.env(action_mode=mode, **kw), {"ansi": has_dialogue})


def test_render_parallel_rgb_array() -> None:
    env = negotiate_v0.parallel_env(render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert frame.std() > 0
    env.close()


def test_registered_in_pettingzoo_registry() -> None:
    import pettingzoo

    aec = pettingzoo.make("aec", "rlnlp/Negotiate-v0", max_turns=4)
    par = pettingzoo.make("parallel", "rlnlp/Negotiate-v0")
    assert aec.unwrapped.config.max_turns == 4
    assert isinstance(par, negotiate_v0.NegotiateParallelEnv)
    assert negotiate_v0.register_pettingzoo()


def _play(env: Any, actions: list[Any]) -> dict[str, Any]:
    """Step the AEC env through ``actions`` (then None for the finished agents)."""
    final: dict = {}
    queue = list(actions)
    for agent in env.agent_iter():
        _obs, reward, terminated, truncated, info = env.last()
        if terminated or truncated:
            final[agent] = (reward, info)
            env.step(None)
        else:
            env.step(queue.pop(0))
    return final


def test_agreement_rewards_each_agent_its_own_value() -> None:
    env = negotiate_v0.env()
    env.reset(seed=3)
    game = env.unwrapped.game
    mover = game.current
    counts = game.scenario.counts
    final = _play(env, [np.array([0, counts[0], 0, 0]), np.array([1, 0, 0, 0])])
    values = game.scenario.values
    got = {mover: (counts[0], 0, 0), 1 - mover: (0, counts[1], counts[2])}
    for p, agent in enumerate(AGENTS):
        reward, info = final[agent]
        expected = sum(v * k for v, k in zip(values[p], got[p], strict=True))
        assert reward == expected == info["points"][p]
        assert info["outcome"] == "agreement"


def test_ending_gives_zero_and_turn_limit_ends_the_game() -> None:
    env = negotiate_v0.env(max_turns=3)
    env.reset(seed=1)
    final = _play(env, [np.array([2, 0, 0, 0])])
    assert all(r == 0 and i["outcome"] == "no_deal" for r, i in final.values())
    env.reset(seed=1)
    final = _play(env, [np.array([0, 1, 1, 1])] * 3)
    assert all(r == 0 and i["outcome"] == "turn_limit" for r, i in final.values())


def test_illegal_action_is_penalised_or_raises() -> None:
    env = negotiate_v0.env()
    env.reset(seed=0)
    offender = env.agent_selection
    final = _play(env, [np.array([1, 0, 0, 0])])  # accept with nothing on the table
    assert final[offender][0] == -1.0
    assert final[offender][1]["outcome"] == "illegal"
    other = next(a for a in AGENTS if a != offender)
    assert final[other][0] == 0.0
    strict = negotiate_v0.env(illegal_action="raise")
    strict.reset(seed=0)
    with pytest.raises(ValueError, match="accept with no proposal"):
        strict.step(np.array([1, 0, 0, 0]))


def test_keeping_more_than_the_pool_is_illegal() -> None:
    env = negotiate_v0.env(illegal_action="raise")
    env.reset(seed=0)
    counts = env.unwrapped.game.scenario.counts
    i = int(np.argmin(counts))
    action = np.zeros(4, dtype=np.int64)
    action[1 + i] = counts[i] + 1
    with pytest.raises(ValueError, match="pool has"):
        env.step(action)


@pytest.mark.parametrize("action", [np.array([3, 0, 0, 0]), np.array([0, 5, 0, 0]), [0, 1], "deal"])
def test_actions_outside_the_space_raise_clear_errors(action: object) -> None:
    env = negotiate_v0.env()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="decision 0 \\(propose\\)"):
        env.step(action)


def test_bad_constructor_arguments() -> None:
    with pytest.raises(ValueError, match="action_mode"):
        negotiate_v0.env(action_mode="tokens")
    with pytest.raises(ValueError, match="illegal_action"):
        negotiate_v0.env(illegal_action="ignore")
    with pytest.raises(ValueError, match="render_mode"):
        negotiate_v0.parallel_env(render_mode="svg")
    with pytest.raises(ValueError, match="max_turns"):
        negotiate_v0.parallel_env(max_turns=1)


def test_observations_hide_the_other_values_until_the_end() -> None:
    env = negotiate_v0.parallel_env()
    obs, infos = env.reset(seed=5)
    game = env.game
    for p, agent in enumerate(AGENTS):
        view = decode_observation(obs[agent])
        assert view.values == game.scenario.values[p]
        assert "values" not in infos[agent]
    assert sum(infos[a]["to_move"] for a in AGENTS) == 1


def test_mask_marks_exactly_the_legal_moves() -> None:
    env = negotiate_v0.parallel_env()
    _, infos = env.reset(seed=2)
    mover = AGENTS[env.game.current]
    counts = env.game.scenario.counts
    mask = infos[mover]["action_mask"]
    assert mask[0].tolist() == [1, 0, 1]
    for i, c in enumerate(counts):
        assert mask[1 + i].tolist() == [int(k <= c) for k in range(5)]
    _obs, _rewards, _terms, _truncs, infos = env.step({mover: np.array([0, 0, 0, 0])})
    other = AGENTS[env.game.current]
    assert infos[other]["action_mask"][0].tolist() == [1, 1, 1]
    assert infos[other]["last_message"]  # the proposal was put into words


def test_parallel_ignores_the_waiting_agent_and_requires_the_mover() -> None:
    env = negotiate_v0.parallel_env()
    env.reset(seed=4)
    mover = AGENTS[env.game.current]
    waiting = next(a for a in AGENTS if a != mover)
    with pytest.raises(ValueError, match="is to move"):
        env.step({waiting: np.array([2, 0, 0, 0])})
    _, _, terms, _, _ = env.step({mover: np.array([0, 1, 1, 1]), waiting: np.array([2, 0, 0, 0])})
    assert not any(terms.values())  # the waiting agent's "end" was ignored
    with pytest.raises(ValueError, match="unknown or finished"):
        env.step({"negotiator_7": np.array([0, 0, 0, 0])})


def test_parallel_episode_end_clears_agents() -> None:
    env = negotiate_v0.parallel_env()
    env.reset(seed=4)
    mover = AGENTS[env.game.current]
    _, rewards, terms, _, infos = env.step({mover: np.array([2, 0, 0, 0])})
    assert all(terms.values()) and env.agents == []
    assert infos[mover]["outcome"] == "no_deal" and rewards == dict.fromkeys(AGENTS, 0.0)
    with pytest.raises(RuntimeError, match="reset"):
        env.step({mover: np.array([2, 0, 0, 0])})


def test_text_mode_parses_messages_and_passes_the_turn_when_unreadable() -> None:
    env = negotiate_v0.env(action_mode="text")
    env.reset(seed=3)
    first = env.agent_selection
    env.step("hmm, let me think")
    assert env.infos[first]["parse_error"].startswith("no proposal")
    second = env.agent_selection
    assert second != first
    assert env.infos[second]["last_message_error"].startswith("no proposal")
    env.step("I'll take the books, you get the rest")
    env.step("deal")
    game = env.unwrapped.game
    assert game.outcome == "agreement"
    assert game.allocation[AGENTS.index(second)] == (game.scenario.counts[0], 0, 0)
    obs = env.observe(first)
    assert "Them: I'll take the books" in obs["dialogue"]
    assert "You: hmm, let me think" in obs["dialogue"]


def test_text_mode_rejects_non_ascii_and_overlong_messages() -> None:
    env = negotiate_v0.env(action_mode="text")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="printable ASCII"):
        env.step("x" * 500)
    with pytest.raises(ValueError, match="printable ASCII"):
        env.step("I'll take the b\u00f6oks")


def test_seeds_reproduce_games_and_messages() -> None:
    def run(seed: int) -> list[str]:
        env = negotiate_v0.parallel_env()
        env.reset(seed=seed)
        out = []
        while env.agents:
            mover = AGENTS[env.game.current]
            _, _, _, _, infos = env.step({mover: np.array([0, 1, 1, 1])})
            out.append(infos[mover]["last_message"])
        return out

    assert run(11) == run(11)
    assert run(11) != run(12)


def test_import_of_the_package_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, rl_nlp_envs, rl_nlp_envs.envs.negotiate.logic, "
        "rl_nlp_envs.envs.negotiate.language; "
        "print(any(m in sys.modules for m in ('pettingzoo', 'torch', 'pygame')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**os.environ, "RL_NLP_ENVS_NO_HOOK": "1"},
    )  # fmt: skip
    assert out.stdout.strip() == "False"

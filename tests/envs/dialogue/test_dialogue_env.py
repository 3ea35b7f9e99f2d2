"""The Dialogue-v0 shell: spaces of the three action modes, rewards, infos, errors, render."""

from __future__ import annotations

import json
import pickle
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import rl_nlp_envs  # noqa: F401
from rl_nlp_envs.agents.dialogue import RuleDialogueAgent, RuleTextAgent, rule_action
from rl_nlp_envs.core.spaces import InvalidActionError
from rl_nlp_envs.envs.dialogue.database import Database
from rl_nlp_envs.envs.dialogue.env import DialogueEnv
from rl_nlp_envs.envs.dialogue.ontology import SYSTEM_ACTIONS, action_name
from rl_nlp_envs.envs.dialogue.session import goal_for
from rl_nlp_envs.envs.dialogue.tracker import N_FEATURES

ENV_ID = "rlnlp/Dialogue-v0"
PARTS = Path(__file__).resolve().parents[3] / "rl_nlp_envs/data/dialogue/parts/vellmar_db.json"


@pytest.mark.parametrize("mode", ["act", "text", "token"])
def test_check_env_in_every_mode(mode: str) -> None:
    env = gym.make(ENV_ID, action_mode=mode)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    assert not [str(w.message) for w in caught]


def test_spaces() -> None:
    env = gym.make(ENV_ID)
    assert env.action_space == gym.spaces.Discrete(len(SYSTEM_ACTIONS))
    assert env.observation_space.shape == (N_FEATURES,)
    assert env.observation_space.dtype == np.float32
    text = gym.make(ENV_ID, action_mode="text")
    assert isinstance(text.action_space, gym.spaces.Text)
    obs, _ = text.reset(seed=0)
    assert obs.startswith("Customer: ") and text.observation_space.contains(obs)
    token = gym.make(ENV_ID, action_mode="token", max_context_tokens=64, max_reply_tokens=8)
    assert set(token.observation_space.spaces) == {
        "conversation_ids", "conversation_mask", "reply_ids", "reply_mask",
    }  # fmt: skip
    obs, info = token.reset(seed=0)
    assert obs["conversation_mask"].sum() > 0 and obs["reply_mask"].sum() == 0
    assert info["action_mask"].shape == (token.action_space.n,)


def _play_rule(env: gym.Env, index: int) -> tuple[list[float], dict]:  # type: ignore[type-arg]
    agent = RuleDialogueAgent(env)
    obs, info = env.reset(seed=index, options={"split": "test", "index": index})
    rewards = []
    while True:
        obs, reward, terminated, truncated, info = env.step(agent.act(obs, info))
        rewards.append(float(reward))
        if terminated or truncated:
            return rewards, info


def test_rewards_and_final_info() -> None:
    env = gym.make(ENV_ID)
    rewards, info = _play_rule(env, 0)
    assert info["success"] is True and info["outcome"] == "bye" and info["score"] == 1.0
    assert rewards[:-1] == [-1.0] * (len(rewards) - 1) and rewards[-1] == 19.0
    assert info["turns"] == len(rewards)
    assert info["goal"]["domain"] in ("restaurant", "hotel", "attraction", "order", "booking")
    assert json.dumps(info["goal"])
    # saying goodbye at once fails
    env.reset(seed=0, options={"split": "test", "index": 0})
    goodbye = next(i for i, (intent, _) in enumerate(SYSTEM_ACTIONS) if intent == "goodbye")
    _, reward, terminated, _, info = env.step(goodbye)
    assert terminated and reward == -1.0 and info["success"] is False
    assert info["outcome"] == "goodbye"


def test_truncation_after_max_turns() -> None:
    env = gym.make(ENV_ID, max_turns=2, patience=(50, 50), max_unhelpful=(50, 50))
    env.reset(seed=0, options={"split": "test", "index": 1})
    reqmore = next(i for i, (intent, _) in enumerate(SYSTEM_ACTIONS) if intent == "reqmore")
    assert env.step(reqmore)[2:4] == (False, False)
    _, reward, terminated, truncated, info = env.step(reqmore)
    assert (terminated, truncated, reward) == (False, True, -1.0)
    assert info["outcome"] == "truncated" and info["success"] is False


def test_rule_policy_succeeds_in_act_and_text_mode() -> None:
    act_env = gym.make(ENV_ID)
    text_env = gym.make(ENV_ID, action_mode="text")
    agent = RuleTextAgent(text_env)
    wins = 0
    for k in range(40):
        wins += _play_rule(act_env, k)[1]["success"]
        obs, info = text_env.reset(seed=k, options={"split": "test", "index": k})
        while True:
            obs, _, terminated, truncated, info = text_env.step(agent.act(obs, info))
            if terminated or truncated:
                break
        wins += info["success"]
    assert wins >= 76


def test_token_mode_builds_a_reply_token_by_token() -> None:
    env = DialogueEnv(action_mode="token", max_reply_tokens=40)
    env.reset(seed=0, options={"split": "test", "index": 0})
    tok = env.tokenizer
    assert tok is not None
    dialogue = env.dialogue
    assert dialogue is not None
    reply = dialogue.system_nlg.utterance(
        dialogue.acts_for_action(rule_action(dialogue.tracker.features())),
        dialogue.tracker.domain, np.random.default_rng(0),
    )  # fmt: skip
    ids = tok.encode(reply)
    for k, token in enumerate(ids):
        obs, reward, terminated, _, info = env.step(token)
        assert reward == 0.0 and not terminated and obs["reply_mask"].sum() == k + 1
    obs, reward, _, _, info = env.step(tok.eos_id)
    assert reward == -1.0 and obs["reply_mask"].sum() == 0
    assert dialogue.transcript[-2] == ("Agent", reply)
    assert info["system_acts"] and info["system_acts"] != ["unknown()"]
    assert env.action_masks()[tok.eos_id] and not env.action_masks()[tok.pad_id]
    # a never-legal token ends the turn like end-of-sequence
    env.step(tok.encode("Hello")[0])
    _, reward, _, _, info = env.step(tok.pad_id)
    assert reward == -1.0 and info["turn"] == 2


def _booking_index(env: gym.Env, changes: int) -> int:  # type: ignore[type-arg]
    d = env.unwrapped
    return next(
        i
        for i in range(200)
        if (g := goal_for(d.db, "test", i)).domain == "booking" and len(g.changes) == changes
    )


@pytest.mark.parametrize("changes", [1, 2])
def test_a_change_of_booking_succeeds_with_the_booking_changed(changes: int) -> None:
    env = gym.make(ENV_ID)
    index = _booking_index(env, changes)
    _, info = _play_rule(env, index)
    d = env.unwrapped.dialogue
    booking = next(b for b in d.goal.bookings if b["id"] == d.goal.target)
    assert info["success"] and info["goal"]["task"] == "change"
    assert len(info["goal"]["changes"]) == changes
    assert all(booking[s] == v for s, v in d.goal.book.items())
    assert any(booking[s] != d.goal.before[s] for s in d.goal.changes)
    assert info["system_acts"] == [f"change_booking(@{booking['id']})"]
    # the act mask offers changing in the booking domain, never booking anew
    env.reset(seed=0, options={"split": "test", "index": index})
    mask = env.unwrapped.action_masks()
    names = [action_name(i) for i in range(len(SYSTEM_ACTIONS))]
    assert mask[names.index("change_booking")] and not mask[names.index("book")]
    assert mask[names.index("request(reference)")] and not mask[names.index("request(stay)")]
    other = next(i for i in range(50) if goal_for(d.db, "test", i).domain == "restaurant")
    env.reset(seed=0, options={"split": "test", "index": other})
    assert not env.unwrapped.action_masks()[names.index("change_booking")]


def test_a_change_of_booking_in_free_text_and_a_wrong_change_is_corrected() -> None:
    env = gym.make(ENV_ID, action_mode="text")
    index = _booking_index(env, 2)
    env.reset(seed=3, options={"split": "test", "index": index})
    d = env.unwrapped.dialogue
    goal = d.goal
    ref = goal.constraints["reference"]
    first, second = goal.changes
    env.step("Could you tell me your booking reference?")
    _, _, _, _, info = env.step(f"Thanks, I found booking {ref}.")
    assert info["system_acts"] == [f"offer(@{ref})"]
    # change only the first detail: the customer corrects the second
    value = goal.book[first]
    words = {"people": f"{value} people", "day": value.capitalize(), "time": value}
    _, _, terminated, _, info = env.step(f"I have changed it to {words[first]}.")
    assert not terminated
    assert f"negate({second}={goal.book[second]})" in info["user_acts"]
    booking = next(b for b in goal.bookings if b["id"] == goal.target)
    assert booking[first] == goal.book[first] and booking[second] != goal.book[second]
    value = goal.book[second]
    words = {"people": f"{value} people", "day": value.capitalize(), "time": value}
    _, reward, terminated, _, info = env.step(f"Sorry! Booking {ref} has been updated to "
                                              f"{words[second]}.")  # fmt: skip
    assert terminated and info["success"] and reward == 19.0


def test_a_booking_customer_gives_up_on_an_agent_that_never_changes_it() -> None:
    env = gym.make(ENV_ID, max_unhelpful=(3, 3))
    index = _booking_index(env, 1)
    env.reset(seed=0, options={"split": "test", "index": index})
    names = [action_name(i) for i in range(len(SYSTEM_ACTIONS))]
    for _ in range(30):
        _, _, terminated, truncated, info = env.step(names.index("request(area)"))
        if terminated or truncated:
            break
    assert info["outcome"] == "giveup" and not info["success"]


def test_act_mode_action_mask() -> None:
    env = gym.make(ENV_ID)
    _, info = env.reset(seed=0, options={"split": "test", "index": 0})
    mask = info["action_mask"].astype(bool)
    assert mask.shape == (len(SYSTEM_ACTIONS),) and 5 < mask.sum() < len(SYSTEM_ACTIONS)
    assert np.array_equal(env.unwrapped.action_masks(), mask)
    with pytest.raises(RuntimeError, match="act and token"):
        gym.make(ENV_ID, action_mode="text").unwrapped.action_masks()


def test_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="action_mode"):
        gym.make(ENV_ID, action_mode="speech")
    with pytest.raises(ValueError, match="max_turns"):
        gym.make(ENV_ID, max_turns=0)
    with pytest.raises(ValueError, match="patience"):
        gym.make(ENV_ID, patience=(5, 2))
    with pytest.raises(ValueError, match="sample_split"):
        gym.make(ENV_ID, sample_split="dev")
    env = gym.make(ENV_ID, action_mode="text").unwrapped
    with pytest.raises(RuntimeError, match="reset"):
        env.step("hello")
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match="characters"):
        env.step("x" * 501)
    with pytest.raises(InvalidActionError, match="Text"):
        env.step(3)
    token = gym.make(ENV_ID, action_mode="token").unwrapped
    token.reset(seed=0)
    with pytest.raises(InvalidActionError, match="Discrete"):
        token.step(token.action_space.n)
    with pytest.raises(ValueError, match="split"):
        env.reset(options={"split": "dev"})
    with pytest.raises(ValueError, match="out of range"):
        env.reset(options={"split": "test", "index": 1000})


def test_custom_database(tmp_path: Path) -> None:
    data = json.loads(PARTS.read_text(encoding="utf-8"))
    data["restaurants"] = data["restaurants"][:40]
    path = tmp_path / "small.json"
    path.write_text(json.dumps(data))
    env = gym.make(ENV_ID, database=str(path))
    assert len(env.unwrapped.db.entities["restaurant"]) == 40
    for k in range(10):
        assert _play_rule(env, k)[1]["success"]
    assert gym.make(ENV_ID, database=Database(data)).unwrapped.db.city == "Vellmar"


@pytest.mark.parametrize("mode", ["act", "text", "token"])
def test_seeded_determinism_and_pickling(mode: str) -> None:
    def run(seed: int) -> list:
        env = gym.make(ENV_ID, action_mode=mode)
        env.action_space.seed(seed)
        out = [env.reset(seed=seed)[1]["user_text"]]
        for _ in range(30):
            _, reward, terminated, truncated, info = env.step(env.action_space.sample())
            out.append((info.get("user_text"), reward))
            if terminated or truncated:
                out.append(env.reset()[1]["user_text"])
        return out

    assert run(3) == run(3) and run(3) != run(4)
    env = gym.make(ENV_ID, action_mode=mode)
    env.reset(seed=1)
    clone = pickle.loads(pickle.dumps(env))
    action = env.action_space.sample()
    assert env.step(action)[1:4] == clone.step(action)[1:4]


@pytest.mark.parametrize("mode", ["act", "text"])
def test_render_modes(mode: str) -> None:
    for render_mode in ("ansi", "rgb_array", "human"):
        env = gym.make(ENV_ID, action_mode=mode, render_mode=render_mode)
        env.reset(seed=0)
        env.step(env.action_space.sample())
        frame = env.render()
        if render_mode == "ansi":
            assert "Customer:" in frame and "hidden from the agent" in frame
        elif render_mode == "rgb_array":
            assert frame.shape == (480, 720, 3) and frame.std() > 0
        env.close()
        env.close()

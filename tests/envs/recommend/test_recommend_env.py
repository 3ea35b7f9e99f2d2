"""The single env: spaces, actions, reset options, infos, rendering, bring-your-own data."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from rl_nlp_envs.core.loaders import DataFormatError
from rl_nlp_envs.core.spaces import InvalidActionError
from rl_nlp_envs.envs.recommend.env import RecommendEnv

INFO_KEYS = {"click", "chosen_item", "chosen_position", "watch_minutes", "ctr", "diversity",
             "novelty", "mean_diversity", "mean_novelty", "coverage", "budget", "clicks",
             "steps", "user_type"}  # fmt: skip


def test_spaces_and_a_full_episode() -> None:
    env = gym.make("rlnlp/Recommend-v0")
    assert env.action_space == gym.spaces.MultiDiscrete([10, 10])
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs) and set(info) == INFO_KEYS
    assert obs["candidates"].shape == (10, 43) and np.all(obs["history_ids"] == -1)
    total, steps = 0.0, 0
    while True:
        obs, reward, terminated, truncated, info = env.step(np.array([0, 1]))
        total += float(reward)
        steps += 1
        assert env.observation_space.contains(obs)
        assert reward == float(info["click"])
        if info["click"]:
            assert info["chosen_item"] == obs["history_ids"][-1]
            assert obs["history_responses"][-1, 2] == 1.0
        if terminated or truncated:
            break
    assert info["clicks"] == total and info["steps"] == steps
    assert info["ctr"] == pytest.approx(total / steps)
    assert terminated and info["budget"] <= 0
    assert 0 < info["coverage"] <= 2 * steps / 1000
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.array([0, 1]))


def test_slate_of_one_is_discrete_and_watch_time_reward() -> None:
    env = RecommendEnv(slate_size=1, reward_mode="watch_time")
    assert env.action_space == gym.spaces.Discrete(10)
    env.reset(seed=1)
    minutes = 0.0
    for _ in range(30):
        _, reward, terminated, truncated, info = env.step(3)
        assert reward == info["watch_minutes"]
        assert info["diversity"] == 0.0
        minutes += float(reward)
        if terminated or truncated:
            break
    assert minutes > 0


def test_invalid_actions() -> None:
    env = RecommendEnv()
    env.reset(seed=0)
    for bad in (np.array([0, 10]), np.array([0, 1, 2]), "0 1", None, np.array([0.5, 1.0]),
                np.array([np.nan, 1.0]), np.array([True, False]), 3):  # fmt: skip
        with pytest.raises(InvalidActionError, match="MultiDiscrete"):
            env.step(bad)
    obs, *_ = env.step(np.array([1.0, 2.0]))
    assert obs is not None


def test_reset_options_serve_fixed_users() -> None:
    env = RecommendEnv()
    a, info_a = env.reset(seed=1, options={"split": "test", "index": 7})
    b, info_b = env.reset(seed=2, options={"split": "test", "index": 7})
    c, _ = env.reset(options={"split": "train", "index": 7})
    assert np.array_equal(a["candidate_ids"], b["candidate_ids"])
    assert info_a == info_b
    assert not np.array_equal(a["candidate_ids"], c["candidate_ids"])
    with pytest.raises(ValueError, match="out of range"):
        env.reset(options={"split": "test", "index": 1000})
    with pytest.raises(ValueError, match="split"):
        env.reset(options={"split": "dev"})
    with pytest.raises(ValueError, match="option"):
        env.reset(options={"user": 3})


def test_constructor_errors() -> None:
    with pytest.raises(ValueError, match="render_mode"):
        RecommendEnv(render_mode="svg")
    with pytest.raises(ValueError, match="user_model"):
        RecommendEnv(user_model={"patience": 3})
    with pytest.raises(ValueError, match="item_vectors"):
        RecommendEnv(item_vectors="bert")
    with pytest.raises(ValueError, match="slate_size"):
        RecommendEnv(slate_size=11)


def test_render_ansi_shows_titles_and_response() -> None:
    env = RecommendEnv(render_mode="ansi")
    obs, _ = env.reset(seed=4)
    text = env.render()
    assert isinstance(text, str) and "Candidates" in text
    _, _, _, _, info = env.step(np.array([2, 2]))
    text = env.render()
    assert isinstance(text, str)
    assert env.catalogue.titles[int(obs["candidate_ids"][2])] in text
    assert "empty slot" in text
    assert ("clicked #1" in text) == info["click"]


def _write_catalogue(folder: Path) -> Path:
    rows = ["id,title,description,topics,quality,clickbait"]
    words = {"jazz": "music", "goal": "sports", "bread": "food"}
    for i in range(30):
        word, topic = list(words.items())[i % 3]
        bait = "1" if i % 10 == 0 else "0"
        rows.append(f'x{i},"{word.title()} story {i}","All about {word} and {word} {i}",{topic}'
                    f",{0.1 if bait == '1' else 0.7},{bait}")  # fmt: skip
    path = folder / "items.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_bring_your_own_catalogue_and_interactions(tmp_path: Path) -> None:
    catalogue = _write_catalogue(tmp_path)
    log = tmp_path / "log.jsonl"
    lines = []
    for user in range(40):
        liked = ("x0", "x3", "x6") if user % 2 else ("x1", "x4", "x7")
        lines += [json.dumps({"user": f"u{user}", "item": i, "rating": 5}) for i in liked]
        lines.append(json.dumps({"user": f"u{user}", "item": "x2", "rating": 1}))
    log.write_text("\n".join(lines) + "\n")
    env = RecommendEnv(catalogue=catalogue, interactions=log, n_user_types=2, n_candidates=5)
    assert env.catalogue.topic_names == ("food", "music", "sports")
    types = env.world.user_types
    assert len(types.names) == 2
    music, sports = types.centers[:, 1], types.centers[:, 2]
    assert {int(np.argmax(music)), int(np.argmax(sports))} == {0, 1}
    obs, _ = env.reset(seed=0)
    assert obs["candidates"].shape == (5, env.catalogue.features.shape[1])
    env.step(np.array([0, 1]))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"user": "u1", "item": "x1", "rating": 4}\n{"user": "u1", "item": "x2"}\n')
    with pytest.raises(DataFormatError, match=r"bad.jsonl:2: expected a rating or a click"):
        RecommendEnv(catalogue=catalogue, interactions=bad)
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("user,item,click\nu1,nope,1\n")
    with pytest.raises(ValueError, match="not in the catalogue"):
        RecommendEnv(catalogue=catalogue, interactions=unknown)

"""rlnlp/QA-v0: the bundled set, SQuAD loading, span and generate modes, baselines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from rl_nlp_envs.core.loaders import DataFormatError, read_squad
from rl_nlp_envs.core.spaces import InvalidActionError
from rl_nlp_envs.envs.qa.env import QAEnv, bundled_path


def test_bundled_set_counts_and_offsets() -> None:
    with gzip.open(bundled_path(), "rt", encoding="utf-8") as fh:
        data = json.load(fh)["data"]
    assert len(data) >= 120
    questions = [qa for a in data for p in a["paragraphs"] for qa in p["qas"]]
    assert len(questions) >= 600
    assert sum(qa.get("is_impossible", False) for qa in questions) >= 100
    report = read_squad(bundled_path())  # checks every offset
    assert len(report.pairs) == len(questions)


def test_versions() -> None:
    v1, v2 = QAEnv(action_mode="text"), QAEnv(version="v2", action_mode="text")
    assert sum(v2.task.sizes().values()) > sum(v1.task.sizes().values())
    unanswerable = [ex for ex in v2.task.split("test") if ex.meta["is_impossible"]]
    assert unanswerable and all(ex.references == ("",) for ex in unanswerable)
    index = v2.task.split("test").index(unanswerable[0])
    v2.reset(options={"split": "test", "index": index})
    assert v2.step("")[1] == 1.0
    with pytest.raises(ValueError, match="unknown version"):
        QAEnv(version="v3")


def _gold_span(env: QAEnv) -> tuple[int, int]:
    _, offsets = env._span_view()
    example = env.example
    start_char = example.meta["answer_starts"][0]
    end_char = start_char + len(example.references[0])
    start = next(i for i, (a, b) in enumerate(offsets) if b > start_char)
    end = next(i for i, (a, b) in enumerate(offsets) if b >= end_char)
    return start, end


def test_span_mode_gold_invalid_and_no_answer() -> None:
    env = QAEnv(answer_mode="span")
    obs, _ = env.reset(options={"split": "test", "index": 0})
    assert env.observation_space.contains(obs)
    start, end = _gold_span(env)
    obs, reward, terminated, _truncated, info = env.step(np.array([start, end]))
    assert terminated and reward == 1.0 and info["invalid_span"] is False
    env.reset(options={"split": "test", "index": 0})
    info = env.step(np.array([end, start - 1]))[4]
    assert info["invalid_span"] is True and info["score"] == 0.0
    env.reset(options={"split": "test", "index": 0})
    none = env.max_passage_tokens
    info = env.step(np.array([none, none]))[4]
    assert info["invalid_span"] is False and info["hypothesis"] == ""
    env.reset(options={"split": "test", "index": 0})
    info = env.step(np.array([3, none]))[4]
    assert info["invalid_span"] is True
    env.reset(options={"split": "test", "index": 0})
    for bad in (np.array([0, 1, 2]), np.array([0.5, 1.0]), "0 1", np.array([-1, 3])):
        with pytest.raises(InvalidActionError, match="MultiDiscrete"):
            env.step(bad)


def test_generate_mode_f1_and_exact_match() -> None:
    env = gym.make("rlnlp/QA-v0", action_mode="text")
    env.reset(options={"split": "test", "index": 5})
    answer = env.unwrapped.example.references[0]  # type: ignore[attr-defined]
    info = env.step("The " + answer + "!")[4]
    assert info["metrics"]["f1"] == 1.0 and info["metrics"]["exact_match"] == 1.0


def test_squad_files_and_errors(tmp_path: Path) -> None:
    context = "The bridge opened in 1932 and is 500 metres long."
    squad = {"version": "1.1", "data": [{"title": "Bridge", "paragraphs": [{"context": context,
             "qas": [{"id": "q1", "question": "When did the bridge open?",
                      "answers": [{"text": "1932", "answer_start": 21}]}]}]}]}  # fmt: skip
    path = tmp_path / "dev-v1.1.json"
    path.write_text(json.dumps(squad), encoding="utf-8")
    env = QAEnv(dataset=path, action_mode="text")
    env.reset(options={"split": "test", "index": 0})
    assert env.example.references == ("1932",)
    squad["data"][0]["paragraphs"][0]["qas"][0]["answers"][0]["answer_start"] = 20
    path.write_text(json.dumps(squad), encoding="utf-8")
    with pytest.raises(
        DataFormatError, match="question 'q1': answer '1932' is not at answer_start 20"
    ):
        read_squad(path)
    path.write_text('{"data": [', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"dev-v1\.1\.json:1: invalid JSON"):
        read_squad(path)
    rows = [{"id": "h1", "question": "How long?", "context": context,
             "answers": {"text": ["500 metres"], "answer_start": [33]}}]  # fmt: skip
    assert read_squad(rows).pairs[0].references == ["500 metres"]
    jsonl = tmp_path / "qa.jsonl"
    jsonl.write_text(json.dumps({"question": "Q?", "context": "C.", "answers": []}) + "\n")
    assert read_squad(jsonl).pairs[0].meta["is_impossible"] is True


def test_qa_baselines_beat_random() -> None:
    from rl_nlp_envs.agents.registry import get_baseline, make_agent, score_agent

    scores = {}
    for name in ("random", "window", "retriever"):
        baseline = get_baseline("rlnlp/QA-v0", name)
        env = gym.make("rlnlp/QA-v0", **baseline.env_kwargs)
        scores[name] = score_agent(baseline, make_agent(baseline, env, seed=0), env, 0, 0,
                                   progress=False).value  # fmt: skip
    assert scores["retriever"] > scores["random"] and scores["window"] > scores["random"]


def test_hugging_face_squad_dataset_object() -> None:
    datasets = pytest.importorskip("datasets")
    context = "The ferry leaves Porthwen at noon."
    ds = datasets.Dataset.from_dict(
        {
            "id": ["f1"],
            "title": ["Ferry"],
            "context": [context],
            "question": ["When does the ferry leave?"],
            "answers": [{"text": ["at noon"], "answer_start": [context.index("at noon")]}],
        }
    )
    env = QAEnv(dataset=ds, action_mode="text")
    env.reset(options={"split": "test", "index": 0})
    assert env.example.references == ("at noon",)
    assert env.step("noon")[4]["metrics"]["f1"] == pytest.approx(2 / 3)

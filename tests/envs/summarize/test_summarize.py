"""rlnlp/Summarize-v0: corpus, ROUGE reward, mixes, diagnostics, user data, baselines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import gymnasium as gym
import pytest

from rl_nlp_envs.core.loaders import DataFormatError
from rl_nlp_envs.envs.summarize.env import (
    SummarizeEnv,
    bundled_path,
    copy_rate,
    repeated_ngram_rate,
)


def test_bundled_corpus() -> None:
    with gzip.open(bundled_path(), "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    assert len(rows) >= 400
    assert len({r["id"] for r in rows}) == len(rows)
    test = [r for r in rows if r["split"] == "test"]
    assert len(test) >= 80 and all(len(r["summaries"]) == 2 for r in test)
    assert all(120 <= len(r["document"].split()) <= 400 for r in rows)
    genres = {r["genre"] for r in rows}
    assert {"news", "review", "meeting", "story", "abstract"} <= genres


def test_reward_is_rouge_score_rougeL() -> None:
    rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
    env = gym.make("rlnlp/Summarize-v0", action_mode="text")
    env.reset(options={"split": "test", "index": 2})
    example = env.unwrapped.example  # type: ignore[attr-defined]
    answer = " ".join(example.meta["document"].split()[:40])
    _, reward, terminated, _, info = env.step(answer)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=True)
    expected = scorer.score_multi(list(example.references), answer)
    assert terminated and reward == expected["rougeL"].fmeasure
    for name in ("rouge1", "rouge2", "rougeLsum"):
        assert info["metrics"][name] == expected[name].fmeasure
    assert set(info["diagnostics"]) == {"length_ratio", "repeated_ngram_rate", "copy_rate"}
    assert info["diagnostics"]["copy_rate"] == 1.0


def test_weighted_mix_and_other_types() -> None:
    mix = SummarizeEnv(action_mode="text", reward_fn={"rouge1": 0.5, "rouge2": 0.5})
    mix.reset(options={"split": "test", "index": 0})
    summary = mix.example.references[0]
    _, reward, _, _, info = mix.step(summary)
    assert reward == pytest.approx(
        0.5 * info["metrics"]["rouge1"] + 0.5 * info["metrics"]["rouge2"]
    )
    r2 = SummarizeEnv(action_mode="text", reward_fn="rouge2")
    r2.reset(options={"split": "test", "index": 0})
    assert r2.step(summary)[1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown reward"):
        SummarizeEnv(reward_fn="rouge7x")


def test_diagnostics_flag_repetition_and_length() -> None:
    assert repeated_ngram_rate("the cat sat the cat sat the cat sat") == pytest.approx(4 / 7)
    assert repeated_ngram_rate("short") == 0.0
    assert copy_rate("one two three four", "zero one two three four five") == 1.0
    env = SummarizeEnv(action_mode="text")
    env.reset(options={"split": "test", "index": 1})
    words = " ".join(["council"] * 120)
    info = env.step(words)[4]
    assert info["diagnostics"]["repeated_ngram_rate"] > 0.9
    assert info["diagnostics"]["length_ratio"] > 2


def test_user_data_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    rows = [{"document": "A long text about cats. Cats sleep.", "summary": "Cats sleep."},
            {"article": "News about dogs.", "highlights": ["Dogs.", "About dogs."],
             "split": "test"}]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    env = SummarizeEnv(dataset=path, action_mode="text")
    assert env.task.sizes() == {"train": 1, "validation": 1, "test": 2}
    from_rows = SummarizeEnv(dataset=rows, action_mode="text")
    assert from_rows.task.sizes()["test"] == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"document": "x"}\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:1: expected an object with a document"):
        SummarizeEnv(dataset=bad)


def test_lead_and_textrank_baselines() -> None:
    from rl_nlp_envs.agents.text import LeadAgent, TextRankAgent, split_sentences

    assert split_sentences('He said "Hi." Then he left! Done.\n\nNew para.') == [
        'He said "Hi."', "Then he left!", "Done.", "New para."]  # fmt: skip
    env = gym.make("rlnlp/Summarize-v0", action_mode="text")
    env.reset(options={"split": "test", "index": 0})
    example = env.unwrapped.example  # type: ignore[attr-defined]
    lead = LeadAgent(env).answer(example)
    assert lead == " ".join(split_sentences(example.meta["document"])[:2])
    ranked = TextRankAgent(env).answer(example)
    assert all(s in example.meta["document"] for s in split_sentences(ranked))


def test_hugging_face_dataset_object() -> None:
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict(
        {"article": ["The mill reopened on Monday after repairs."], "highlights": ["Mill reopens."]}
    )
    env = SummarizeEnv(dataset=ds, action_mode="text")
    env.reset(options={"split": "test", "index": 0})
    assert env.example.references == ("Mill reopens.",)

"""rlnlp/Translate-v0: bundled corpora, directions, user data, metrics, baselines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import gymnasium as gym
import pytest

from rl_nlp_envs.core.loaders import DataFormatError
from rl_nlp_envs.envs.translate.env import TranslateEnv, bundled_path, load_translation_task

sacrebleu = pytest.importorskip("sacrebleu")


@pytest.mark.parametrize(
    "pair,minimum,min_test", [(("en", "de"), 2000, 200), (("en", "zh"), 600, 60)]
)
def test_bundled_corpora_sizes_splits_and_second_references(
    pair: tuple[str, str], minimum: int, min_test: int
) -> None:
    src, tgt = pair
    with gzip.open(bundled_path(src, tgt), "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    assert len(rows) >= minimum
    assert len({r["id"] for r in rows}) == len(rows)
    test = [r for r in rows if r["split"] == "test"]
    assert len(test) >= min_test
    assert all(len(r[tgt]) == 2 and len(r["en"]) == 2 for r in test)
    lengths = [len(r["en"][0].split()) for r in rows]
    assert min(lengths) >= 3 and max(lengths) <= 35
    train_sources = {r["en"][0] for r in rows if r["split"] == "train"}
    assert not any(r["en"][0] in train_sources for r in rows if r["split"] != "train")


@pytest.mark.parametrize("direction", ["en-de", "de-en", "en-zh", "zh-en"])
def test_every_direction_serves_the_right_languages(direction: str) -> None:
    env = gym.make("rlnlp/Translate-v0", direction=direction, action_mode="text")
    env.reset(options={"split": "test", "index": 0})
    example = env.unwrapped.example  # type: ignore[attr-defined]
    src, tgt = direction.split("-")
    names = {"en": "English", "de": "German", "zh": "Chinese"}
    assert example.prompt.startswith(f"Translate {names[src]} to {names[tgt]}: ")
    assert len(example.references) == 2
    _, reward, _, _, info = env.step(example.references[1])
    expected = sacrebleu.sentence_bleu(
        example.references[1], list(example.references), tokenize="zh" if tgt == "zh" else "13a"
    ).score
    assert reward == expected and info["metrics"]["bleu"] == expected
    assert (
        info["metrics"]["chrf"]
        == sacrebleu.sentence_chrf(example.references[1], list(example.references)).score
    )


def test_unknown_direction_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="choose one of: en-de, de-en, en-zh, zh-en"):
        TranslateEnv(direction="en-fr")


def test_user_tsv_po_and_split_mapping(tmp_path: Path) -> None:
    tsv = tmp_path / "mine.tsv"
    tsv.write_text("Good morning\tGuten Morgen\tMorgen\nThank you\tDanke\n", encoding="utf-8")
    env = TranslateEnv(dataset=tsv, action_mode="text")
    assert env.task.sizes() == {"train": 2, "validation": 2, "test": 2}
    env.reset(options={"split": "test", "index": 0})
    assert env.example.references == ("Guten Morgen", "Morgen")
    po = tmp_path / "de.po"
    po.write_text('msgid "Open"\nmsgstr "Öffnen"\n\nmsgid "Save"\nmsgstr "Speichern"\n',
                  encoding="utf-8")  # fmt: skip
    split_env = TranslateEnv(dataset={"train": po, "test": tsv}, action_mode="text")
    assert split_env.task.sizes() == {"train": 2, "validation": 0, "test": 2}
    rows = [{"translation": {"en": "Cat", "fr": "Chat"}}]
    french = TranslateEnv(dataset=rows, source_language="en", target_language="fr",
                          action_mode="text")  # fmt: skip
    french.reset(options={"split": "train", "index": 0})
    assert french.example.prompt == "Translate English to fr: Cat"


def test_malformed_user_data_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("ok\tgut\nbroken line\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"bad\.tsv:2"):
        TranslateEnv(dataset=bad)
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        load_translation_task(dataset={"dev": bad})


def test_corpus_metrics_are_sacrebleus() -> None:
    env = TranslateEnv(action_mode="text")
    hyps = ["Der Hund schläft.", "Ich komme morgen."]
    refs = [["Der Hund schläft gerade.", "Der Hund ruht."], ["Ich komme morgen vorbei."]]
    got = env.corpus_metrics(hyps, refs)
    streams = [["Der Hund schläft gerade.", "Ich komme morgen vorbei."], ["Der Hund ruht.", None]]
    assert got["bleu"] == sacrebleu.corpus_bleu(hyps, streams).score
    assert got["chrf"] == sacrebleu.corpus_chrf(hyps, streams).score


def test_copy_and_memory_baselines_in_both_modes() -> None:
    from rl_nlp_envs.agents.evaluate import run_episode
    from rl_nlp_envs.agents.text import CopySourceAgent, TranslationMemoryAgent

    env = gym.make("rlnlp/Translate-v0")
    copy = CopySourceAgent(env)
    env.reset(options={"split": "test", "index": 3})
    source = env.unwrapped.example.meta["source"]  # type: ignore[attr-defined]
    copy.reset()
    obs, info = env.reset(options={"split": "test", "index": 3})
    while True:
        obs, _, terminated, truncated, info = env.step(copy.act(obs, info))
        if terminated or truncated:
            break
    assert (
        info["hypothesis"]
        == env.unwrapped.tokenizer.decode(  # type: ignore[attr-defined]
            env.unwrapped.tokenizer.encode(source)[:64]  # type: ignore[attr-defined]
        )
    )
    text_env = gym.make("rlnlp/Translate-v0", action_mode="text")
    memory = TranslationMemoryAgent(text_env)
    text_env.reset(options={"split": "train", "index": 10})
    score, _, length = run_episode(text_env, memory, seed=None,
                                   options={"split": "train", "index": 10})  # fmt: skip
    assert score == pytest.approx(100.0) and length == 1

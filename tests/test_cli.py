"""The rlnlp command and the keyboard players."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rl_nlp_envs.cli import main


def test_list_prints_every_env(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "rlnlp/Snake-v0" in out and "Discrete(4)" in out and "rlnlp/Translate-v0" in out


def test_unknown_ids_and_agents_are_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline", "rlnlp/Tetris-v0", "--agent", "random"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "valid ids: rlnlp/Snake-v0" in err
    assert main(["baseline", "rlnlp/Snake-v0", "--agent", "alphago"]) == 2
    assert "choose one of: random, greedy, qlearning, dqn" in capsys.readouterr().err
    assert main(["baseline", "rlnlp/Snake-v0", "--agent", "random", "--env-arg", "size"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_baseline_trains_saves_and_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["baseline", "rlnlp/Snake-v0", "--agent", "qlearning", "--train-steps", "20000",
            "--episodes", "3", "--quiet", "--save", str(tmp_path / "q"), "--json"]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert (
        "rlnlp/Snake-v0 qlearning: score" in out and "trained 19,968 steps" in out
    )  # 312 batched steps of 64 games
    assert (tmp_path / "q" / "weights.safetensors").exists()
    assert main(["baseline", "rlnlp/Snake-v0", "--agent", "qlearning", "--load",
                 str(tmp_path / "q"), "--episodes", "2", "--quiet"]) == 0  # fmt: skip
    assert "trained" not in capsys.readouterr().out


def test_baselines_table_for_one_env(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baselines", "--env", "rlnlp/Translate-v0", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| env | agent | result | training steps |")
    assert out.count("| rlnlp/Translate-v0 |") == 3 and "corpus bleu" in out


def test_record_gif_and_bad_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gif = tmp_path / "snake.gif"
    assert main(["record", "rlnlp/Snake-v0", "--agent", "greedy", "--out", str(gif),
                 "--max-steps", "30"]) == 0  # fmt: skip
    from PIL import Image

    with Image.open(gif) as image:
        assert image.n_frames == 31
    assert main(["record", "rlnlp/Snake-v0", "--agent", "greedy", "--out",
                 str(tmp_path / "x.avi")]) == 1  # fmt: skip
    assert "use a .gif or .mp4" in capsys.readouterr().err


def test_bench_prints_rates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "rlnlp/Snake-v0", "--steps", "2000", "--num-envs", "16"]) == 0
    out = capsys.readouterr().out
    assert "single env" in out and "native vector env, 16 envs" in out


def _feed(batches: list[list[Any]]) -> Iterator[list[Any]]:
    yield from batches
    while True:
        yield []


def test_play_snake_with_injected_keys() -> None:
    pygame = pytest.importorskip("pygame")
    from rl_nlp_envs.play import play_snake

    keys = [[pygame.event.Event(pygame.KEYDOWN, key=pygame.K_UP)]] + [[]] * 40
    feed = _feed(keys)
    scores = play_snake(seed=0, fps=1000, max_episodes=1, events=lambda: next(feed),
                        env_kwargs={"size": 5})  # fmt: skip
    assert len(scores) == 1 and scores[0] >= 0


def test_play_text_types_and_scores() -> None:
    pygame = pytest.importorskip("pygame")
    import gymnasium as gym

    from rl_nlp_envs.play import play_text

    env = gym.make("rlnlp/Translate-v0", action_mode="text")
    env.reset(options={"split": "test", "index": 0})
    reference = env.unwrapped.example.references[0]  # type: ignore[attr-defined]
    typed = [pygame.event.Event(pygame.TEXTINPUT, text=ch) for ch in reference + "x"]
    batches = [typed, [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_BACKSPACE)],
               [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN)]]  # fmt: skip
    feed = _feed(batches)
    scores = play_text("rlnlp/Translate-v0", max_episodes=1, events=lambda: next(feed))
    assert np.isclose(scores, [100.0]).all()

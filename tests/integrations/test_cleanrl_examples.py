"""The CleanRL-style single-file PPO examples run end to end (a few hundred steps each).

Each script runs once as a real subprocess (its command line, as a user types it) and its
other configuration runs in-process through its ``main(argv)``, which returns the numbers it
printed. The slow test trains the Snake script for real and checks it beats random play.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("torch", reason="the CleanRL-style examples need torch (the `train` extra)")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SNAKE = EXAMPLES / "cleanrl_ppo_snake.py"
TRANSLATE = EXAMPLES / "cleanrl_ppo_translate.py"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "error::UserWarning"}


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(path: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(path), *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_snake_script_features_subprocess() -> None:
    out = _run(SNAKE, "--total-timesteps", "512", "--num-envs", "4", "--num-steps", "64",
               "--eval-episodes", "4", "--seed", "3")  # fmt: skip
    iterations = re.findall(r"^iter (\d+)/2 step (\d+) ", out, flags=re.MULTILINE)
    assert [(int(i), int(s)) for i, s in iterations] == [(1, 256), (2, 512)]
    last = re.search(r"trained 512 steps in [\d.]+ s; eval: score ([\d.]+) \+- [\d.]+ over 4 "
                     r"episodes", out)  # fmt: skip
    assert last is not None, out
    assert float(last.group(1)) >= 0.0


def test_snake_script_channels_in_process() -> None:
    argv = ["--obs-mode", "channels", "--total-timesteps", "256", "--num-envs", "4",
            "--num-steps", "32", "--eval-episodes", "3"]  # fmt: skip
    result = _load(SNAKE).main(argv)
    assert result["global_step"] == 256
    assert result["episodes"] > 0
    scores = result["eval_scores"]
    assert len(scores) == 3 and all(score >= 0 and float(score).is_integer() for score in scores)


def test_snake_script_rejects_a_bad_minibatch_split() -> None:
    with pytest.raises(SystemExit):
        _load(SNAKE).parse_args(["--num-envs", "3", "--num-steps", "5", "--num-minibatches", "4"])


def test_translate_script_subprocess() -> None:
    out = _run(TRANSLATE, "--total-timesteps", "256", "--num-envs", "4", "--num-steps", "32",
               "--max-response-tokens", "8", "--eval-examples", "3")  # fmt: skip
    assert re.search(r"^iter 2/2 step 256 ", out, flags=re.MULTILINE), out
    last = re.search(r"trained 256 steps \((\d+) episodes\) .* before ([\d.]+), after ([\d.]+) "
                     r"on 3 examples", out)  # fmt: skip
    assert last is not None, out
    # 8 tokens at most per episode: 4 envs x 64 steps end at least 32 episodes
    assert int(last.group(1)) >= 32


def test_translate_script_sync_vector_env_in_process() -> None:
    module = _load(TRANSLATE)
    args = module.parse_args(["--vectorization", "sync", "--num-envs", "2"])
    envs = module.make_envs(args.env_id, 2, module.env_kwargs(args), "sync")
    assert type(envs).__name__ == "SyncVectorEnv"
    envs.close()
    result = module.main(["--vectorization", "sync", "--total-timesteps", "128", "--num-envs",
                          "2", "--num-steps", "32", "--max-response-tokens", "6",
                          "--eval-examples", "2", "--reward", "chrf"])  # fmt: skip
    assert result["global_step"] == 128
    assert result["episodes"] >= 2 * (64 // 6)  # 2 envs, 64 steps each, <= 6 per episode
    assert 0.0 <= result["score_after"] <= 100.0


@pytest.mark.slow
def test_snake_script_learns() -> None:
    """1M steps on ``features`` (about a minute on one core): well above random play (0.17)."""
    out = _run(SNAKE, "--total-timesteps", "1000000", "--eval-episodes", "100")
    last = re.search(r"eval: score ([\d.]+) ", out)
    assert last is not None, out
    assert float(last.group(1)) > 5.0, out[-2000:]

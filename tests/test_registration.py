"""Plugin registration: ids reachable from a fresh interpreter, and a light package import."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HEAVY = ("torch", "pygame", "transformers", "sacrebleu", "pettingzoo", "numba", "tokenizers")


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "RL_NLP_ENVS_NO_HOOK"}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environ, timeout=120
    )


def test_fresh_interpreter_makes_env_without_importing_us() -> None:
    code = (
        "import sys, gymnasium as g\n"
        "env = g.make('rlnlp/Snake-v0')\n"
        "env.reset(seed=0)\n"
        "print(type(env.unwrapped).__module__)\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "rl_nlp_envs.envs.snake.env"


def test_fresh_interpreter_makes_pettingzoo_env_without_importing_us() -> None:
    pytest.importorskip("pettingzoo", reason="the marl extra is not installed")
    code = (
        "import sys, pettingzoo\n"
        "print('rl_nlp_envs.envs.negotiate_v0' in sys.modules)\n"
        "env = pettingzoo.make('aec', 'rlnlp/Negotiate-v0')\n"
        "env.reset(seed=0)\n"
        "par = pettingzoo.make('parallel', 'rlnlp/Negotiate-v0')\n"
        "print(type(env.unwrapped).__module__, sorted(par.possible_agents) == sorted(env.agents))\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    # registering is cheap (string entry points); the env module loads on make()
    assert result.stdout.split() == ["False", "rl_nlp_envs.envs.negotiate.env", "True"]


def test_pettingzoo_hook_can_be_turned_off() -> None:
    pytest.importorskip("pettingzoo", reason="the marl extra is not installed")
    code = "import pettingzoo\nprint('rlnlp/Negotiate-v0' in pettingzoo.aec_registry)\n"
    result = _run(code, RL_NLP_ENVS_NO_HOOK="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_probing_for_gymnasium_does_not_use_up_the_hook() -> None:
    # libraries (TorchRL among them) check for optional dependencies with find_spec first
    code = (
        "import importlib.util\n"
        "importlib.util.find_spec('gymnasium'); importlib.util.find_spec('pettingzoo')\n"
        "import gymnasium, pettingzoo\n"
        "print('rlnlp/Snake-v0' in gymnasium.registry,"
        " 'rlnlp/Negotiate-v0' in pettingzoo.aec_registry)\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


def test_hook_does_not_import_gymnasium_at_start_up() -> None:
    result = _run("import sys; print('gymnasium' in sys.modules, 'rl_nlp_envs' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False"


def test_hook_can_be_turned_off() -> None:
    code = (
        "import gymnasium as g\n"
        "try:\n    g.make('rlnlp/Snake-v0')\nexcept g.error.Error as e:\n    print('missing')\n"
        "g.make('rl_nlp_envs:rlnlp/Snake-v0')\nprint('explicit ok')\n"
    )
    result = _run(code, RL_NLP_ENVS_NO_HOOK="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["missing", "explicit", "ok"]


def test_register_envs_idiom_and_make_vec() -> None:
    code = (
        "import gymnasium as g, rl_nlp_envs\n"
        "g.register_envs(rl_nlp_envs)\n"
        "v = g.make_vec('rlnlp/Snake-v0', num_envs=3)\n"
        "print(type(v.unwrapped).__name__, v.reset(seed=0)[0].shape)\n"
    )
    result = _run(code, RL_NLP_ENVS_NO_HOOK="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "SnakeVectorEnv (3, 10, 10)"


def test_import_is_light() -> None:
    code = f"import sys, rl_nlp_envs; print([m for m in {HEAVY!r} if m in sys.modules])"
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_register_envs_is_idempotent() -> None:
    import gymnasium as gym

    from rl_nlp_envs.registration import ENV_IDS, env_spec, register_envs

    register_envs()
    register_envs()
    assert all(env_id in gym.registry for env_id in ENV_IDS)
    with pytest.raises(ValueError, match="valid ids: rlnlp/Snake-v0"):
        env_spec("rlnlp/Tetris-v0")

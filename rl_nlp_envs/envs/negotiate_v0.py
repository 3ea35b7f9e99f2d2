"""Negotiate-v0 in PettingZoo's versioned-module convention.

    from rl_nlp_envs.envs import negotiate_v0

    env = negotiate_v0.env()                 # AEC API, with PettingZoo's order enforcing
    env = negotiate_v0.raw_env()             # AEC API, unwrapped
    env = negotiate_v0.parallel_env()        # parallel API (one step per turn)

PettingZoo 1.27 has a registry (``pettingzoo.register`` / ``pettingzoo.make``) but no plugin
entry points, so this module registers ``rlnlp/Negotiate-v0`` there (for both ``"aec"`` and
``"parallel"``) when it is imported, or when ``register_pettingzoo()`` is called; then
``pettingzoo.make("aec", "rlnlp/Negotiate-v0")`` works. Older PettingZoo versions without a
registry skip this silently (the functions above always work).
"""

from __future__ import annotations

from typing import Any

from rl_nlp_envs._imports import require

require("pettingzoo", "marl", "the Negotiate-v0 PettingZoo environment")

from pettingzoo.utils import wrappers  # noqa: E402

from rl_nlp_envs.envs.negotiate.env import NegotiateParallelEnv, raw_env  # noqa: E402
from rl_nlp_envs.registration import register_pettingzoo_envs  # noqa: E402

ENV_ID = "rlnlp/Negotiate-v0"
__all__ = ["ENV_ID", "env", "parallel_env", "raw_env", "register_pettingzoo"]


def env(**kwargs: Any) -> wrappers.OrderEnforcingWrapper:
    """The AEC environment wrapped in PettingZoo's order enforcing (see ``raw_env`` for args)."""
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))


def parallel_env(**kwargs: Any) -> NegotiateParallelEnv:
    """The parallel environment (see ``NegotiateParallelEnv`` for args)."""
    return NegotiateParallelEnv(**kwargs)


def register_pettingzoo() -> bool:
    """Register ``rlnlp/Negotiate-v0`` in PettingZoo's registry; False if it has none."""
    return register_pettingzoo_envs()


register_pettingzoo()

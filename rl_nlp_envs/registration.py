"""The table of environment ids and their string entry points.

Importing this module is cheap: entry points are strings, resolved only by ``gymnasium.make``.
``register_envs`` is also the ``gymnasium.envs`` entry point declared in ``pyproject.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NAMESPACE = "rlnlp"


@dataclass(frozen=True)
class EnvSpec:
    """One row of the registry table."""

    id: str
    entry_point: str
    vector_entry_point: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    max_episode_steps: int | None = None
    description: str = ""


ENV_TABLE: tuple[EnvSpec, ...] = (
    EnvSpec(
        id=f"{NAMESPACE}/Snake-v0",
        entry_point="rl_nlp_envs.envs.snake.env:SnakeEnv",
        vector_entry_point="rl_nlp_envs.envs.snake.vector:SnakeVectorEnv",
        description="Snake on a grid: +1 food, -1 death",
    ),
    EnvSpec(
        id=f"{NAMESPACE}/Translate-v0",
        entry_point="rl_nlp_envs.envs.translate.env:TranslateEnv",
        vector_entry_point="rl_nlp_envs.core.text_vector:TranslateVectorEnv",
        description="translate a sentence (en-de, de-en, en-zh, zh-en): sentence BLEU",
    ),
    EnvSpec(
        id=f"{NAMESPACE}/Summarize-v0",
        entry_point="rl_nlp_envs.envs.summarize.env:SummarizeEnv",
        vector_entry_point="rl_nlp_envs.core.text_vector:SummarizeVectorEnv",
        description="summarise a document: ROUGE-L F1 (rouge-score exact)",
    ),
    EnvSpec(
        id=f"{NAMESPACE}/QA-v0",
        entry_point="rl_nlp_envs.envs.qa.env:QAEnv",
        vector_entry_point="rl_nlp_envs.core.text_vector:QAVectorEnv",
        description="answer a question about a passage (generated or span): SQuAD F1",
    ),
    EnvSpec(
        id=f"{NAMESPACE}/Recommend-v0",
        entry_point="rl_nlp_envs.envs.recommend.env:RecommendEnv",
        vector_entry_point="rl_nlp_envs.envs.recommend.vector:RecommendVectorEnv",
        description="recommend slates of text items to a simulated user: clicks",
    ),
    EnvSpec(
        id=f"{NAMESPACE}/Dialogue-v0",
        entry_point="rl_nlp_envs.envs.dialogue.env:DialogueEnv",
        description="serve a simulated customer with a hidden goal: -1 per turn, +20 success",
    ),
)

ENV_IDS: tuple[str, ...] = tuple(spec.id for spec in ENV_TABLE)


def register_envs() -> None:
    """Register every ``rlnlp/...`` id with Gymnasium (idempotent)."""
    from gymnasium.envs.registration import register, registry

    for spec in ENV_TABLE:
        if spec.id in registry:
            continue
        register(
            id=spec.id,
            entry_point=spec.entry_point,
            vector_entry_point=spec.vector_entry_point,
            max_episode_steps=spec.max_episode_steps,
            kwargs=dict(spec.kwargs),
        )


#: PettingZoo environments: ``(id, AEC entry point, parallel entry point)``. They live in
#: PettingZoo's own registry (``pettingzoo.make("aec", id)``), not in Gymnasium's.
PETTINGZOO_TABLE: tuple[tuple[str, str, str], ...] = (
    (
        f"{NAMESPACE}/Negotiate-v0",
        "rl_nlp_envs.envs.negotiate_v0:env",
        "rl_nlp_envs.envs.negotiate_v0:parallel_env",
    ),
)


def register_pettingzoo_envs() -> bool:
    """Register every PettingZoo id with PettingZoo's registry (idempotent).

    Returns False, doing nothing, when the installed PettingZoo has no registry. This is the
    ``pettingzoo.envs`` entry point that the start-up hook calls once ``pettingzoo`` has been
    imported, so ``pettingzoo.make("aec", "rlnlp/Negotiate-v0")`` works with no import of ours.
    """
    import pettingzoo

    register = getattr(pettingzoo, "register", None)
    if register is None:
        return False
    for env_id, aec, parallel in PETTINGZOO_TABLE:
        if env_id not in pettingzoo.aec_registry:
            register("aec", env_id, entry_point=aec)
        if env_id not in pettingzoo.parallel_registry:
            register("parallel", env_id, entry_point=parallel)
    return True


def env_spec(env_id: str) -> EnvSpec:
    """Return the table row of ``env_id`` or raise a ValueError listing the valid ids.

    Examples:
        >>> env_spec("rlnlp/Snake-v0").vector_entry_point
        'rl_nlp_envs.envs.snake.vector:SnakeVectorEnv'
        >>> env_spec("rlnlp/Chess-v0")
        Traceback (most recent call last):
        ...
        ValueError: unknown environment id 'rlnlp/Chess-v0'; valid ids: rlnlp/Snake-v0, ...
    """
    for spec in ENV_TABLE:
        if spec.id == env_id:
            return spec
    raise ValueError(f"unknown environment id {env_id!r}; valid ids: {', '.join(ENV_IDS)}")

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
        description="translate a sentence (en-de, de-en, en-zh, zh-en): sentence BLEU",
    ),
    EnvSpec(
        id=f"{NAMESPACE}/Summarize-v0",
        entry_point="rl_nlp_envs.envs.summarize.env:SummarizeEnv",
        description="summarise a document: ROUGE-L F1 (rouge-score exact)",
    ),
    EnvSpec(
        id=f"{NAMESPACE}/QA-v0",
        entry_point="rl_nlp_envs.envs.qa.env:QAEnv",
        description="answer a question about a passage (generated or span): SQuAD F1",
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


def env_spec(env_id: str) -> EnvSpec:
    """Return the table row of ``env_id`` or raise a ValueError listing the valid ids."""
    for spec in ENV_TABLE:
        if spec.id == env_id:
            return spec
    raise ValueError(f"unknown environment id {env_id!r}; valid ids: {', '.join(ENV_IDS)}")

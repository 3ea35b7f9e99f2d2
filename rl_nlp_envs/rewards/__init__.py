"""Reward functions for text environments: sentence BLEU and chrF (equal to sacreBLEU's),
ROUGE (equal to rouge-score's), SQuAD F1 / exact match (the official script's) and semantic
similarity (cosine of sentence embeddings; the model loads on first use, from the `llm` extra).

Every reward is a callable ``(hypothesis: str, references: Sequence[str]) -> float``
(:class:`RewardFn`). The built-in ones are :class:`Metric` instances, which can also prepare the
references once (:meth:`Metric.prepare`) and score many hypotheses against them
(:meth:`Metric.score_prepared`), as dense per-token rewards need.

Importing this package is cheap: it needs only numpy (no sacreBLEU, rouge-score, NLTK, torch
or transformers).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from rl_nlp_envs.rewards.base import Metric, RewardFn
from rl_nlp_envs.rewards.bleu import BLEU
from rl_nlp_envs.rewards.chrf import CHRF
from rl_nlp_envs.rewards.rouge import ROUGE, ROUGEMix
from rl_nlp_envs.rewards.semantic import SemanticSimilarity
from rl_nlp_envs.rewards.squad import ExactMatch, SquadF1

__all__ = [
    "BLEU",
    "CHRF",
    "REWARDS",
    "REWARD_FACTORIES",
    "ROUGE",
    "ExactMatch",
    "Metric",
    "ROUGEMix",
    "RewardFn",
    "SemanticSimilarity",
    "SquadF1",
    "get_reward",
]

#: Name -> metric class (or any factory taking keyword options). Adding a metric is one line.
REWARD_FACTORIES: dict[str, Callable[..., Metric]] = {
    "bleu": BLEU,
    "chrf": CHRF,
    "rouge1": functools.partial(ROUGE, rouge_type="rouge1"),
    "rouge2": functools.partial(ROUGE, rouge_type="rouge2"),
    "rougeL": functools.partial(ROUGE, rouge_type="rougeL"),
    "rougeLsum": functools.partial(ROUGE, rouge_type="rougeLsum"),
    "f1": SquadF1,
    "exact_match": ExactMatch,
    # cosine of all-MiniLM-L6-v2 embeddings; the model loads on first use (the `llm` extra)
    "semantic": SemanticSimilarity,
}
# ROUGEMix is not registered: it has no default (it needs its weights).

#: Ready-made instances with default settings, one per factory: ``{"bleu": BLEU(), ...}``.
REWARDS: dict[str, Metric] = {name: factory() for name, factory in REWARD_FACTORIES.items()}


def get_reward(name_or_fn: str | Callable[..., Any], **kwargs: Any) -> RewardFn:
    """Resolve a reward: a callable is returned as is, a name is built from its factory.

    ``get_reward("bleu", tokenize="zh")`` builds a configured :class:`BLEU`; without options the
    shared instance from :data:`REWARDS` is returned when there is one.

    Examples:
        >>> from rl_nlp_envs.rewards import REWARDS, get_reward
        >>> REWARDS["f1"]("in Paris", ["Paris", "Paris, France"])
        0.666...
        >>> get_reward("bleu") is REWARDS["bleu"]
        True
        >>> get_reward("bleu", tokenize="zh")("猫坐在垫子上", ["猫坐在垫子上"])
        100.0...
        >>> get_reward("blue")
        Traceback (most recent call last):
        ...
        ValueError: unknown reward 'blue'; choose one of: bleu, chrf, ...
    """
    if callable(name_or_fn):
        if kwargs:
            raise TypeError("options can only be given with a reward name, not with a callable")
        return name_or_fn
    if not isinstance(name_or_fn, str):
        raise TypeError(
            f"reward must be a name (str) or a callable, got {type(name_or_fn).__name__}"
        )
    factory = REWARD_FACTORIES.get(name_or_fn)
    if factory is None:
        raise ValueError(
            f"unknown reward {name_or_fn!r}; choose one of: {', '.join(REWARD_FACTORIES)}"
        )
    if not kwargs and name_or_fn in REWARDS:
        return REWARDS[name_or_fn]
    return factory(**kwargs)

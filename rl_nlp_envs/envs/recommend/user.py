"""User types of ``rlnlp/Recommend-v0``: the bundled ones, and fitting them to interaction logs.

A user type is a centre in interest space (one value in [-1, 1] per topic) and a share of
the population. Each episode's user is a type's centre plus uniform noise (see
``logic.RecommendWorld``). Pure numpy, no Gymnasium.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rl_nlp_envs.core.loaders import Interaction, read_interactions
from rl_nlp_envs.envs.recommend.catalogue import Catalogue

# The bundled population: six tastes over the bundled topics (unlisted topics get DISLIKE).
DISLIKE = -0.3
BUNDLED_TYPES: dict[str, dict[str, float]] = {
    "current affairs": {"politics": 0.9, "business": 0.7, "history": 0.5, "technology": 0.4,
                        "finance": 0.4},
    "home and family": {"home": 0.9, "parenting": 0.8, "food": 0.6, "health": 0.5,
                        "fashion": 0.3},
    "culture": {"film": 0.9, "music": 0.8, "art": 0.7, "history": 0.4, "travel": 0.3},
    "tech and science": {"technology": 0.9, "science": 0.8, "gaming": 0.6, "education": 0.5,
                         "cars": 0.3},
    "outdoors and wellbeing": {"nature": 0.9, "travel": 0.7, "health": 0.7, "sports": 0.6,
                               "food": 0.3},
    "money and motors": {"finance": 0.9, "cars": 0.8, "business": 0.5, "sports": 0.5,
                         "technology": 0.3},
}  # fmt: skip


@dataclass(frozen=True)
class UserTypes:
    """Interest centres ``(n_types, n_topics)`` in [-1, 1], population shares, and names."""

    names: tuple[str, ...]
    centers: np.ndarray
    weights: np.ndarray

    def __post_init__(self) -> None:
        k = len(self.names)
        if k < 1 or self.centers.ndim != 2 or self.centers.shape[0] != k:
            raise ValueError(f"centers must have shape ({k}, n_topics), got {self.centers.shape}")
        if self.weights.shape != (k,) or np.any(self.weights < 0) or self.weights.sum() <= 0:
            raise ValueError("weights must be non-negative, one per type, with a positive sum")
        if np.any(np.abs(self.centers) > 1.0):
            raise ValueError("interest centres must lie in [-1, 1]")

    @property
    def cumulative(self) -> np.ndarray:
        """Cumulative population shares (for drawing a type from a uniform number)."""
        c = np.cumsum(self.weights / self.weights.sum())
        c[-1] = 1.0
        return c


def user_types_from_table(
    table: Mapping[str, Mapping[str, float]], topic_names: Sequence[str]
) -> UserTypes:
    """Types from ``{name: {topic: interest}}``; unlisted topics get ``DISLIKE``."""
    index = {t: i for i, t in enumerate(topic_names)}
    centers = np.full((len(table), len(topic_names)), DISLIKE, dtype=np.float64)
    for row, likes in enumerate(table.values()):
        for topic, value in likes.items():
            if topic not in index:
                raise ValueError(f"user type topic {topic!r} is not a catalogue topic")
            centers[row, index[topic]] = value
    return UserTypes(tuple(table), centers, np.ones(len(table)))


def kmeans(points: np.ndarray, k: int, seed: int = 0, iterations: int = 50) -> np.ndarray:
    """Cluster labels of k-means (k-means++ start, Lloyd iterations), deterministic per seed."""
    rng = np.random.default_rng(seed)
    n = points.shape[0]
    k = min(k, n)
    centers = [points[rng.integers(n)]]
    for _ in range(1, k):
        d2 = np.min([((points - c) ** 2).sum(1) for c in centers], axis=0)
        total = d2.sum()
        pick = rng.integers(n) if total <= 0 else rng.choice(n, p=d2 / total)
        centers.append(points[pick])
    c = np.array(centers)
    labels = np.zeros(n, dtype=np.int64)
    for _ in range(iterations):
        d = ((points[:, None, :] - c[None, :, :]) ** 2).sum(-1)
        new = np.argmin(d, axis=1)
        if _ > 0 and np.array_equal(new, labels):
            break
        labels = new
        for j in range(k):
            members = points[labels == j]
            if len(members):
                c[j] = members.mean(0)
    return labels


def _scale_centres(centres: np.ndarray) -> np.ndarray:
    """Map profile centres to interests: the strongest topic of each type becomes 0.9."""
    peak = np.maximum(np.abs(centres).max(axis=1, keepdims=True), 1e-9)
    return np.clip(0.9 * centres / peak, -1.0, 1.0)


def fit_user_types(
    catalogue: Catalogue,
    interactions: Sequence[Interaction] | str | Path,
    n_types: int = 6,
    seed: int = 0,
) -> UserTypes:
    """User types fitted to a log: k-means over the users' topic profiles.

    A user's profile is the value-weighted mean topic distribution of the items they
    interacted with (ratings rescaled to [0, 1] over the log's range; clicks 0/1) minus the
    catalogue's mean topic distribution, so that it shows what they like more than average.
    Each cluster's mean profile, scaled so its strongest topic is 0.9, is a type; its share is
    the cluster's size. Interactions with items not in the catalogue are an error.
    """
    if not isinstance(n_types, int) or n_types < 1:
        raise ValueError(f"n_types must be a positive int, got {n_types!r}")
    log = read_interactions(interactions) if isinstance(interactions, (str, Path)) else interactions
    if not log:
        raise ValueError("the interaction log is empty")
    index = {item_id: i for i, item_id in enumerate(catalogue.ids)}
    unknown = sorted({x.item for x in log if x.item not in index})
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:5])
        raise ValueError(
            f"{len(unknown)} item id(s) of the interaction log are not in the catalogue: {shown}"
        )
    values = np.array([x.value for x in log], dtype=np.float64)
    low, high = values.min(), values.max()
    weight = (values - low) / (high - low) if high > low else np.ones_like(values)
    users = sorted({x.user for x in log})
    user_index = {u: i for i, u in enumerate(users)}
    rows = np.array([user_index[x.user] for x in log])
    items = np.array([index[x.item] for x in log])
    profile = np.zeros((len(users), catalogue.n_topics))
    np.add.at(profile, rows, weight[:, None] * catalogue.topic_weights[items])
    mass = np.zeros(len(users))
    np.add.at(mass, rows, weight)
    keep = mass > 0
    if not keep.any():
        raise ValueError("no positive interaction in the log (every rating at the minimum)")
    profile = profile[keep] / mass[keep, None] - catalogue.topic_weights.mean(0)
    labels = kmeans(profile, n_types, seed=seed)
    found = np.unique(labels)
    centres = np.array([profile[labels == j].mean(0) for j in found])
    sizes = np.array([(labels == j).sum() for j in found], dtype=np.float64)
    names = tuple(f"type {j}" for j in range(len(found)))
    return UserTypes(names, _scale_centres(centres), sizes)


def catalogue_user_types(catalogue: Catalogue, n_types: int = 6, seed: int = 0) -> UserTypes:
    """Types for a catalogue without a log: the bundled tastes when its topics are the
    bundled ones, else one type per k-means cluster of the items' topic distributions."""
    used = {t for likes in BUNDLED_TYPES.values() for t in likes}
    if used <= set(catalogue.topic_names):
        return user_types_from_table(BUNDLED_TYPES, catalogue.topic_names)
    points = catalogue.topic_weights - catalogue.topic_weights.mean(0)
    labels = kmeans(points, n_types, seed=seed)
    found = np.unique(labels)
    centres = np.array([points[labels == j].mean(0) for j in found])
    names = tuple(f"type {j}" for j in range(len(found)))
    return UserTypes(names, _scale_centres(centres), np.ones(len(found)))

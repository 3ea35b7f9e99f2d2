"""Baselines of ``rlnlp/Recommend-v0`` (numpy only): random, popularity, a myopic greedy click
model, LinUCB, and a long-term linear SlateQ.

All learned models are linear in the same per-candidate features (``candidate_features``):
the candidate's own features, their product with the profile of items the user clicked in the
observed history, its topics times the recent clicks per topic (repetition, i.e. boredom),
the recent click rate, and a constant. Training runs many users at once through the batched
env (``gymnasium.make_vec``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from rl_nlp_envs.agents.base import Agent
from rl_nlp_envs.agents.logging import TrainingLog
from rl_nlp_envs.agents.progress import Progress

ENV_ID = "rlnlp/Recommend-v0"


def _batched(obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Add a batch axis to a single env's observation (vector observations pass through)."""
    if obs["candidates"].ndim == 2:
        return {k: np.asarray(v)[None] for k, v in obs.items()}
    return obs


def _topic_columns(env: gym.Env[Any, Any]) -> slice:
    """The topic multi-hot columns of the item features."""
    catalogue = getattr(env.unwrapped, "catalogue")  # noqa: B009  (a RecommendEnv attribute)
    start = catalogue.text_dim
    return slice(start, start + catalogue.n_topics)


def _history(obs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Click profile (n, D), recency-weighted consumed features (n, k, D) and responses."""
    hist = obs["history_items"].astype(np.float64)
    resp = obs["history_responses"].astype(np.float64)
    filled = resp[..., 0]
    profile = (hist * filled[..., None]).sum(axis=1) / np.maximum(filled.sum(axis=1), 1.0)[:, None]
    recent = hist * (filled * resp[..., 2])[..., None]
    return profile, recent, resp


def candidate_features(obs: dict[str, np.ndarray], topics: slice) -> np.ndarray:
    """Features ``(n, n_candidates, F)`` of every candidate in a (batched) observation: its
    own features, their product with the profile of consumed items, its topics times the
    recency-weighted topics consumed (repetition), the history's fill rate, a constant."""
    c = obs["candidates"].astype(np.float64)
    profile, recent, resp = _history(obs)
    recent_topics = recent[..., topics].sum(axis=1)
    fill = resp[..., 0].mean(axis=1)
    n, k = c.shape[:2]
    return np.concatenate(
        [
            c,
            c * profile[:, None, :],
            c[..., topics] * recent_topics[:, None, :],
            np.broadcast_to(fill[:, None, None], (n, k, 1)),
            np.ones((n, k, 1)),
        ],
        axis=2,
    )


def state_features(obs: dict[str, np.ndarray]) -> np.ndarray:
    """Features ``(n, P)`` of the user alone: consumed-item profile, history fill rate, mean
    completion and recency, a constant."""
    profile, _, resp = _history(obs)
    filled = resp[..., 0]
    count = np.maximum(filled.sum(axis=1), 1.0)
    summary = np.stack(
        [filled.mean(axis=1), resp[..., 1].sum(axis=1) / count, resp[..., 2].sum(axis=1) / count,
         np.ones(filled.shape[0])], axis=1,
    )  # fmt: skip
    return np.concatenate([profile, summary], axis=1)


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the small matrix products of training on one BLAS thread: on a busy machine a
    multi-threaded BLAS spends far more time waiting than computing. Uses ``threadpoolctl``
    when it is installed (scikit-learn brings it), else leaves the BLAS alone."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def training_env_kwargs(
    env: gym.Env[Any, Any], overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The arguments of a batched env like ``env`` to train in: its ``gymnasium.make``
    arguments (or, for an env built directly, its sizes and reward mode), then ``overrides``."""
    base: Any = env.unwrapped
    cfg = base.world.config
    kwargs: dict[str, Any] = {
        "n_candidates": cfg.n_candidates, "slate_size": cfg.slate_size,
        "history_length": cfg.history_length, "reward_mode": cfg.reward_mode,
        "max_steps": cfg.max_steps,
    }  # fmt: skip
    spec = env.spec or base.spec
    if spec is not None:
        kwargs.update({k: v for k, v in spec.kwargs.items() if k != "render_mode"})
    kwargs.update(overrides or {})
    return kwargs


def top_slate(scores: np.ndarray, slate_size: int) -> np.ndarray:
    """The ``slate_size`` best candidates per row, best first: shape (n, slate_size)."""
    return np.argsort(-scores, axis=1, kind="stable")[:, :slate_size]


class Ridge:
    """Incremental ridge regression: accumulate ``X^T X`` and ``X^T y``, solve on demand."""

    def __init__(self, dim: int, l2: float = 1.0) -> None:
        self.xtx = np.eye(dim) * l2
        self.xty = np.zeros(dim)
        self.l2 = l2
        self.weights: np.ndarray = np.zeros(dim)
        self.count = 0

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        """Add rows ``x`` (m, dim) with targets ``y`` (m,)."""
        if x.shape[0]:
            self.xtx += x.T @ x
            self.xty += x.T @ y
            self.count += x.shape[0]

    def fit(self) -> np.ndarray:
        """Solve for the weights (kept in ``weights``)."""
        self.weights = np.linalg.solve(self.xtx, self.xty)
        return self.weights


class _SlateAgent(Agent):
    """Shared plumbing: the env's sizes, one action per observation, slate output format."""

    def __init__(self, env: gym.Env[Any, Any], seed: int | None = None, **_: Any) -> None:
        base: Any = env.unwrapped
        self.env_id = ENV_ID
        self.slate_size = int(base.world.config.slate_size)
        self.n_candidates = int(base.world.config.n_candidates)
        self.n_items = int(base.world.n_items)
        self.topics = _topic_columns(env)
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    def scores(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Per-candidate scores ``(n, n_candidates)``; the slate is the top ``slate_size``."""
        raise NotImplementedError

    def slates(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Slates for a batch of observations: (n, slate_size)."""
        return top_slate(self.scores(obs), self.slate_size)

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        """The slate for one observation (an int for ``slate_size=1``)."""
        slate = self.slates(_batched(observation))[0]
        return int(slate[0]) if self.slate_size == 1 else slate.astype(np.int64)

    def learn(self, total_steps: int, seed: int | None = None, **kwargs: Any) -> dict[str, Any]:
        """Train on ``total_steps`` user-steps, on one BLAS thread (``single_threaded_blas``)."""
        with single_threaded_blas():
            return self._learn(total_steps, seed, **kwargs)

    def _learn(self, total_steps: int, seed: int | None = None, **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError(f"agent {self.name!r} does not learn")

    def _as_env_action(self, slates: np.ndarray) -> np.ndarray:
        return slates[:, 0] if self.slate_size == 1 else slates

    def _vector_env(self, env_kwargs: dict[str, Any], num_envs: int) -> Any:
        return gym.make_vec(ENV_ID, num_envs=num_envs, **env_kwargs)


class RandomSlateAgent(_SlateAgent):
    """A uniformly random slate of distinct candidates."""

    name = "random"

    def scores(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Random scores."""
        return self.rng.random((obs["candidates"].shape[0], self.n_candidates))


class _LoggedDataAgent(_SlateAgent):
    """An agent that learns from sessions served by random slates (plus ``rounds`` of its own
    policy, for the long-term agent)."""

    learns = True

    def __init__(
        self,
        env: gym.Env[Any, Any],
        seed: int | None = None,
        num_envs: int = 256,
        env_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(env, seed)
        self.num_envs = num_envs
        self.env_kwargs = training_env_kwargs(env, env_kwargs)


class PopularityAgent(_LoggedDataAgent):
    """Ranks candidates by their click-through rate in logged random-slate sessions (clicks
    per impression with a Beta(1, 1) prior): the most popular items first."""

    name = "popularity"

    def __init__(self, env: gym.Env[Any, Any], seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(env, seed, **kwargs)
        self.clicks = np.zeros(self.n_items)
        self.impressions = np.zeros(self.n_items)

    def scores(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Smoothed CTR of each candidate."""
        ctr = (self.clicks + 1.0) / (self.impressions + 2.0)
        return ctr[np.asarray(obs["candidate_ids"], dtype=np.int64)]

    def _learn(
        self, total_steps: int, seed: int | None = None, progress: bool = True, **_: Any
    ) -> dict[str, Any]:
        """Count impressions and clicks over ``total_steps`` random-slate user-steps."""
        seed = self.seed if seed is None else seed
        rng = np.random.default_rng(seed)
        envs = self._vector_env(self.env_kwargs, self.num_envs)
        obs, _ = envs.reset(seed=seed)
        n = self.num_envs
        updates = max(1, total_steps // n)
        live = np.ones(n, dtype=bool)
        with Progress(updates, "popularity", enabled=progress) as bar:
            for _i in range(updates):
                slates = top_slate(rng.random((n, self.n_candidates)), self.slate_size)
                shown = np.take_along_axis(obs["candidate_ids"], slates, axis=1)
                obs, _, term, trunc, info = envs.step(self._as_env_action(slates))
                np.add.at(self.impressions, shown[live].ravel(), 1.0)
                hit = live & info["click"]
                np.add.at(self.clicks, info["chosen_item"][hit], 1.0)
                live = ~(term | trunc)
                bar.update(1)
        envs.close()
        return {"steps": updates * n, "impressions": float(self.impressions.sum())}

    def config(self) -> dict[str, Any]:
        """Settings."""
        return {"num_envs": self.num_envs}

    def tensors(self) -> dict[str, np.ndarray]:
        """Click and impression counts per item."""
        return {"clicks": self.clicks, "impressions": self.impressions}

    def load_tensors(self, tensors: dict[str, np.ndarray]) -> None:
        """Restore the counts."""
        for key in ("clicks", "impressions"):
            value = tensors.get(key)
            if value is None or value.shape != (self.n_items,):
                raise ValueError(f"expected a tensor {key!r} of shape ({self.n_items},)")
            setattr(self, key, value.astype(np.float64))


class _Rollouts:
    """Steps a batched env with a slate policy and yields per-step arrays for learning."""

    def __init__(self, agent: _SlateAgent, envs: Any, seed: int | None) -> None:
        self.agent, self.envs = agent, envs
        self.obs, _ = envs.reset(seed=seed)
        self.live = np.ones(envs.num_envs, dtype=bool)
        self.episode_return = np.zeros(envs.num_envs)
        self.returns: list[float] = []
        self.ctrs: list[float] = []

    def step(self, slates: np.ndarray) -> dict[str, Any]:
        """One step of every user; ``live`` marks real transitions (not autoreset steps)."""
        obs = self.obs
        feats = candidate_features(obs, self.agent.topics)
        state = state_features(obs)
        next_obs, reward, term, trunc, info = self.envs.step(self.agent._as_env_action(slates))
        done = term | trunc
        live = self.live
        ended = live & done
        self.episode_return += np.where(live, reward, 0.0)
        self.returns.extend(self.episode_return[ended].tolist())
        self.episode_return[done] = 0.0
        self.ctrs.extend((info["clicks"][ended] / np.maximum(info["steps"][ended], 1)).tolist())
        out = {
            "feats": feats, "state": state, "slates": slates, "reward": reward,
            "position": info["chosen_position"], "click": info["click"], "done": done,
            "live": live, "terminated": term,
        }  # fmt: skip
        self.obs, self.live = next_obs, ~done
        return out


class ChoiceModel:
    """A conditional logit of the user's click over a slate, with a no-click option.

    Item ``j`` at position ``p`` has utility ``theta . x_j + bias_p`` (``bias_0 = 0``) and no
    click utility 0, so ``P(j | slate) = exp(u_j) / (1 + sum_k exp(u_k))``: the model class of
    the simulated user, fitted by Newton's method with an L2 penalty on logged slates. Keeps
    at most ``capacity`` slates (a uniform subsample).
    """

    def __init__(self, n_features: int, slate_size: int, l2: float = 1.0,
                 capacity: int = 40_000) -> None:  # fmt: skip
        self.n_features, self.slate_size, self.l2 = n_features, slate_size, l2
        self.capacity = capacity
        self.weights = np.zeros(n_features + slate_size - 1)
        self._x: list[np.ndarray] = []
        self._valid: list[np.ndarray] = []
        self._clicked: list[np.ndarray] = []
        self.count = 0

    def utilities(self, feats: np.ndarray) -> np.ndarray:
        """Position-free utilities ``theta . x`` of candidates ``(..., F)``."""
        return feats @ self.weights[: self.n_features]

    @property
    def position_bias(self) -> np.ndarray:
        """Additive utility of each slate position (0 for the top)."""
        return np.concatenate([[0.0], self.weights[self.n_features :]])

    def add(self, x: np.ndarray, valid: np.ndarray, position: np.ndarray, keep: float,
            rng: np.random.Generator) -> None:  # fmt: skip
        """Log slates: features (m, S, F), valid slots (m, S), clicked position (m,) or -1;
        each slate is kept with probability ``keep``."""
        rows = np.flatnonzero(rng.random(x.shape[0]) < keep)
        self._x.append(x[rows].astype(np.float32))
        self._valid.append(valid[rows])
        self._clicked.append(position[rows])
        self.count += rows.size

    def fit(self, iterations: int = 12) -> np.ndarray:
        """Newton's method on the penalised log-likelihood of the logged slates."""
        if not self._x:
            return self.weights
        x = np.concatenate(self._x).astype(np.float64)
        valid = np.concatenate(self._valid)
        clicked = np.concatenate(self._clicked)
        self._x, self._valid, self._clicked = [x.astype(np.float32)], [valid], [clicked]
        m, s, _ = x.shape
        position = np.zeros((m, s, s - 1))
        position[:, 1:, :] = np.eye(s - 1)[None]
        z = np.concatenate([x, position], axis=2)
        y = (clicked[:, None] == np.arange(s)[None, :]).astype(np.float64)
        d = z.shape[2]
        w = self.weights.copy()
        for _ in range(iterations):
            u = np.where(valid, z @ w, -np.inf)
            top = np.maximum(u.max(axis=1, keepdims=True), 0.0)
            e = np.exp(u - top)
            p = e / (np.exp(-top) + e.sum(axis=1, keepdims=True))
            grad = np.einsum("ms,msd->d", y - p, z) - self.l2 * w
            zf = z.reshape(-1, d)
            zbar = np.einsum("ms,msd->md", p, z)
            hess = (zf * p.reshape(-1, 1)).T @ zf - zbar.T @ zbar + self.l2 * np.eye(d)
            step = np.linalg.solve(hess, grad)
            w += step
            if np.abs(step).max() < 1e-6:
                break
        self.weights = w
        return w


def _permutations(n: int, k: int) -> np.ndarray:
    """All ordered choices of ``k`` of ``n`` indices: shape (n! / (n - k)!, k)."""
    import itertools

    return np.array(list(itertools.permutations(range(n), k)), dtype=np.int64).reshape(-1, k)


MAX_ENUMERATED_SLATES = 20_000


class GreedyAgent(_LoggedDataAgent):
    """Myopic: shows the slate of highest predicted immediate engagement.

    A ``ChoiceModel`` (conditional logit with position bias and no click) of the click given
    the candidates' features and the user's observed history, fitted on sessions served by
    random slates; with ``reward_mode="watch_time"`` a ridge model of the watch time of a
    clicked item as well. The slate maximises ``sum_i P(i | slate) * engagement(i)`` over all
    ordered slates (over the top candidates when there are more than
    ``MAX_ENUMERATED_SLATES``).
    """

    name = "greedy"

    def __init__(
        self, env: gym.Env[Any, Any], seed: int | None = None, l2: float = 1.0, **kwargs: Any
    ) -> None:
        super().__init__(env, seed, **kwargs)
        self.l2 = l2
        self.reward_mode = str(getattr(env.unwrapped, "world").config.reward_mode)  # noqa: B009
        self.n_features = candidate_features(
            _batched(env.unwrapped.observation_space.sample()), self.topics
        ).shape[2]
        self.choice = ChoiceModel(self.n_features, self.slate_size, l2)
        self.engagement_model = Ridge(self.n_features, l2)
        self._perms = (
            _permutations(self.n_candidates, self.slate_size)
            if _n_perms(self.n_candidates, self.slate_size) <= MAX_ENUMERATED_SLATES
            else None
        )

    def values(self, obs: dict[str, np.ndarray], feats: np.ndarray) -> np.ndarray:
        """What a click on each candidate is worth to this agent: (n, n_candidates)."""
        if self.reward_mode == "click":
            return np.ones(feats.shape[:2])
        return feats @ self.engagement_model.weights

    def slates(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """The slate maximising ``sum_i P(i | slate) * value(i)`` for each observation."""
        feats = candidate_features(obs, self.topics)
        utility = self.choice.utilities(feats)
        value = self.values(obs, feats)
        return best_slates(utility, value, self.choice.position_bias, self._perms)

    def scores(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Click utility of each candidate (higher: more likely clicked)."""
        return self.choice.utilities(candidate_features(obs, self.topics))

    def _add_impressions(
        self, batch: dict[str, Any], keep: float, rng: np.random.Generator
    ) -> None:
        """Log the live slates for the choice model (and clicked items' engagement)."""
        live = np.flatnonzero(batch["live"])
        slates = batch["slates"][live]
        feats = np.take_along_axis(batch["feats"][live], slates[..., None], axis=1)
        valid = np.ones(slates.shape, dtype=bool)
        for p in range(1, self.slate_size):
            valid[:, p] = ~(slates[:, :p] == slates[:, p : p + 1]).any(axis=1)
        position = batch["position"][live]
        self.choice.add(feats, valid, position, keep, rng)
        hit = np.flatnonzero(position >= 0)
        self.engagement_model.add(feats[hit, position[hit]], batch["reward"][live][hit])

    def _learn(
        self,
        total_steps: int,
        seed: int | None = None,
        progress: bool = True,
        tensorboard_dir: str | Path | None = None,
        curve_path: str | Path | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """Fit the models on ``total_steps`` random-slate user-steps."""
        seed = self.seed if seed is None else seed
        rng = np.random.default_rng(seed)
        envs = self._vector_env(self.env_kwargs, self.num_envs)
        roll = _Rollouts(self, envs, seed)
        updates = max(1, total_steps // self.num_envs)
        keep = min(1.0, self.choice.capacity / (updates * self.num_envs))
        with Progress(updates, self.name, enabled=progress) as bar:
            for _i in range(updates):
                slates = top_slate(rng.random((self.num_envs, self.n_candidates)), self.slate_size)
                self._add_impressions(roll.step(slates), keep, rng)
                bar.update(1)
        self.choice.fit()
        self.engagement_model.fit()
        envs.close()
        return {"steps": updates * self.num_envs, "slates": self.choice.count}

    def config(self) -> dict[str, Any]:
        """Settings."""
        return {"l2": self.l2, "num_envs": self.num_envs}

    def tensors(self) -> dict[str, np.ndarray]:
        """The models' weights."""
        return {"choice": self.choice.weights, "engagement": self.engagement_model.weights}

    def load_tensors(self, tensors: dict[str, np.ndarray]) -> None:
        """Restore the models."""
        for key, holder in (("choice", self.choice), ("engagement", self.engagement_model)):
            w = tensors.get(key)
            if w is None or w.shape != holder.weights.shape:
                raise ValueError(f"expected {key!r} of shape {holder.weights.shape}")
            holder.weights = w.astype(np.float64)


def _n_perms(n: int, k: int) -> int:
    import math

    return math.perm(n, k)


def best_slates(
    utility: np.ndarray, value: np.ndarray, position_bias: np.ndarray, perms: np.ndarray | None
) -> np.ndarray:
    """Per row, the ordered slate maximising ``sum_i P(i | slate) * value_i`` under the
    conditional logit with ``utility`` (n, C) and ``position_bias`` (S,); without ``perms``
    (too many slates), the top candidates by ``exp(utility) * value`` in that order."""
    s = position_bias.shape[0]
    if perms is None:
        return top_slate(np.exp(np.minimum(utility, 50.0)) * value, s)
    u = utility[:, perms] + position_bias[None, None, :]
    e = np.exp(np.minimum(u, 50.0))
    p = e / (1.0 + e.sum(axis=2, keepdims=True))
    total = (p * value[:, perms]).sum(axis=2)
    return perms[np.argmax(total, axis=1)]


class LinUCBAgent(_SlateAgent):
    """LinUCB (Li et al., 2010) with one shared linear model of the click on the candidate
    features: scores ``theta . x + alpha * sqrt(x^T A^-1 x)``. It keeps learning while it acts:
    each ``act`` first updates on the previous slate's outcome (``info["chosen_position"]``).
    """

    name = "linucb"
    learns = True

    def __init__(
        self,
        env: gym.Env[Any, Any],
        seed: int | None = None,
        alpha: float = 0.5,
        l2: float = 1.0,
        num_envs: int = 64,
        env_kwargs: dict[str, Any] | None = None,
        **_: Any,
    ) -> None:
        super().__init__(env, seed)
        self.alpha, self.l2, self.num_envs = alpha, l2, num_envs
        self.env_kwargs = training_env_kwargs(env, env_kwargs)
        dim = candidate_features(_batched(env.unwrapped.observation_space.sample()), self.topics)
        self.dim = dim.shape[2]
        self.a = np.eye(self.dim) * l2
        self.b = np.zeros(self.dim)
        self._a_inv: np.ndarray = np.eye(self.dim) / l2
        self._theta = np.zeros(self.dim)
        self._pending: np.ndarray | None = None

    def reset(self) -> None:
        """Forget the slate in flight (a new session starts)."""
        self._pending = None

    def _refresh(self) -> None:
        self._a_inv = np.linalg.inv(self.a)
        self._theta = self._a_inv @ self.b

    def scores(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Upper confidence bounds of the click."""
        return self._ucb(candidate_features(obs, self.topics))

    def _ucb(self, x: np.ndarray) -> np.ndarray:
        width = np.sqrt(np.maximum(((x @ self._a_inv) * x).sum(axis=-1), 0.0))
        return x @ self._theta + self.alpha * width

    def _update(self, shown: np.ndarray, position: np.ndarray) -> None:
        """Shown features (m, S, F) and the clicked position (m,) (-1: none)."""
        s = shown.shape[1]
        x = shown.reshape(-1, self.dim)
        y = (position[:, None] == np.arange(s)[None, :]).astype(np.float64).ravel()
        self.a += x.T @ x
        self.b += x.T @ y
        self._refresh()

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        """Update on the previous slate's outcome, then choose by UCB."""
        obs = _batched(observation)
        if self._pending is not None and int(info.get("steps", 0)) > 0:
            position = np.array([int(info.get("chosen_position", -1))])
            self._update(self._pending[None], position)
        feats = candidate_features(obs, self.topics)
        slate = top_slate(self._ucb(feats), self.slate_size)[0]
        self._pending = feats[0, slate]
        return int(slate[0]) if self.slate_size == 1 else slate.astype(np.int64)

    def _learn(
        self, total_steps: int, seed: int | None = None, progress: bool = True, **_: Any
    ) -> dict[str, Any]:
        """Run the bandit online on ``total_steps`` user-steps of a batched env (the model is
        updated after every batched step)."""
        seed = self.seed if seed is None else seed
        envs = self._vector_env(self.env_kwargs, self.num_envs)
        roll = _Rollouts(self, envs, seed)
        updates = max(1, total_steps // self.num_envs)
        with Progress(updates, self.name, enabled=progress) as bar:
            for _i in range(updates):
                feats = candidate_features(roll.obs, self.topics)
                slates = top_slate(self._ucb(feats), self.slate_size)
                batch = roll.step(slates)
                live = np.flatnonzero(batch["live"])
                shown = np.take_along_axis(feats[live], slates[live][..., None], axis=1)
                self._update(shown, batch["position"][live])
                bar.update(1, ctr=float(np.mean(roll.ctrs[-200:] or [0.0])))
        envs.close()
        return {"steps": updates * self.num_envs, "train_ctr": float(np.mean(roll.ctrs or [0]))}

    def config(self) -> dict[str, Any]:
        """Settings."""
        return {"alpha": self.alpha, "l2": self.l2, "num_envs": self.num_envs}

    def tensors(self) -> dict[str, np.ndarray]:
        """The bandit's statistics."""
        return {"a": self.a, "b": self.b}

    def load_tensors(self, tensors: dict[str, np.ndarray]) -> None:
        """Restore the statistics."""
        a, b = tensors.get("a"), tensors.get("b")
        if a is None or b is None or a.shape != (self.dim, self.dim) or b.shape != (self.dim,):
            raise ValueError(f"expected tensors 'a' ({self.dim}, {self.dim}) and 'b' ({self.dim},)")
        self.a, self.b = a.astype(np.float64), b.astype(np.float64)
        self._refresh()


class SlateQAgent(GreedyAgent):
    """Long-term value with the SlateQ decomposition (Ie et al., 2019), linear and numpy-only.

    The value of a slate is ``sum_i P(i | s, A) * Q(s, i) + P(none | s, A) * V0(s)``, with
    ``P`` the greedy agent's choice model. Writing ``Q(s, i) = V0(s) + G(s, i)``, the return
    that follows a step is modelled as ``V0(s) + click * G(s, i)``, linear in the user
    features and the clicked candidate's features, and fitted by ridge regression to
    Monte-Carlo returns of sessions served by random slates: one step of policy improvement
    over the logging policy. ``rounds > 1`` adds rounds of fitted policy iteration on the
    agent's own sessions (with ``epsilon`` random slates); in our runs those on-policy rounds
    made the value estimates worse (return 10.5 with one round, 8.4 with three), so the
    default is one. The slate
    maximises ``sum_i P(i | s, A) * G(s, i)`` over all ordered slates. Clickbait wins clicks
    but its clicks are followed by shorter sessions, so ``G`` learns to avoid it where the
    myopic greedy agent seeks it.
    """

    name = "slateq"

    def __init__(
        self,
        env: gym.Env[Any, Any],
        seed: int | None = None,
        gamma: float = 1.0,
        rounds: int = 1,
        epsilon: float = 0.2,
        l2: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(env, seed, l2=l2, **kwargs)
        self.gamma, self.rounds, self.epsilon = gamma, rounds, epsilon
        self.n_state = state_features(_batched(env.unwrapped.observation_space.sample())).shape[1]
        self.value_model = Ridge(self.n_state + self.n_features, l2)

    def values(self, obs: dict[str, np.ndarray], feats: np.ndarray) -> np.ndarray:
        """Long-term gain ``G(s, i)`` of a click on each candidate over no click."""
        return feats @ self.value_model.weights[self.n_state :]

    def _add_returns(self, batches: list[dict[str, Any]]) -> None:
        """Monte-Carlo returns of the finished episodes of a rollout as value examples."""
        n = batches[0]["reward"].shape[0]
        g = np.zeros(n)
        finished = np.zeros(n, dtype=bool)
        for batch in reversed(batches):
            live = batch["live"]
            done = batch["done"] & live
            finished |= done
            g = np.where(done, 0.0, g)
            g = batch["reward"] + self.gamma * g
            rows = np.flatnonzero(live & finished)
            click = batch["click"][rows]
            chosen = batch["slates"][rows, np.maximum(batch["position"][rows], 0)]
            clicked_feats = batch["feats"][rows, chosen] * click[:, None]
            x = np.concatenate([batch["state"][rows], clicked_feats], axis=1)
            self.value_model.add(x, g[rows])

    def _learn(
        self,
        total_steps: int,
        seed: int | None = None,
        progress: bool = True,
        tensorboard_dir: str | Path | None = None,
        curve_path: str | Path | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """``rounds`` rounds of data collection and refitting on ``total_steps`` user-steps."""
        seed = self.seed if seed is None else seed
        rng = np.random.default_rng(seed)
        log = TrainingLog(tensorboard_dir, curve_path, f"SlateQ on {ENV_ID}")
        envs = self._vector_env(self.env_kwargs, self.num_envs)
        roll = _Rollouts(self, envs, seed)
        n = self.num_envs
        per_round = max(1, total_steps // (n * self.rounds))
        keep = min(1.0, self.choice.capacity / (per_round * n))
        done_steps = 0
        with Progress(per_round * self.rounds, self.name, enabled=progress) as bar:
            for round_ in range(self.rounds):
                batches = []
                for _i in range(per_round):
                    random_slates = top_slate(rng.random((n, self.n_candidates)), self.slate_size)
                    if round_ == 0:
                        slates = random_slates
                    else:
                        explore = rng.random(n) < self.epsilon
                        slates = np.where(explore[:, None], random_slates, self.slates(roll.obs))
                    batch = roll.step(slates)
                    if round_ == 0:
                        self._add_impressions(batch, keep, rng)
                    batches.append(batch)
                    done_steps += n
                    bar.update(1, ret=float(np.mean(roll.returns[-200:] or [0.0])))
                self._add_returns(batches)
                if round_ == 0:
                    self.choice.fit()
                    self.engagement_model.fit()
                self.value_model.fit()
                log.log(done_steps, float(np.mean(roll.returns[-500:] or [0.0])), round=round_)
        envs.close()
        log.close()
        return {
            "steps": done_steps,
            "episodes": len(roll.returns),
            "train_score": float(np.mean(roll.returns[-500:] or [0.0])),
            "history": log.history,
        }

    def config(self) -> dict[str, Any]:
        """Hyper-parameters."""
        return {"gamma": self.gamma, "rounds": self.rounds, "epsilon": self.epsilon,
                "l2": self.l2, "num_envs": self.num_envs}  # fmt: skip

    def tensors(self) -> dict[str, np.ndarray]:
        """Choice, engagement and value weights."""
        return {**super().tensors(), "value": self.value_model.weights}

    def load_tensors(self, tensors: dict[str, np.ndarray]) -> None:
        """Restore the models."""
        super().load_tensors(tensors)
        w = tensors.get("value")
        if w is None or w.shape != self.value_model.weights.shape:
            raise ValueError(f"expected 'value' of shape {self.value_model.weights.shape}")
        self.value_model.weights = w.astype(np.float64)

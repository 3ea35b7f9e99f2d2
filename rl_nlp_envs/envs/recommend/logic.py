"""The user model of ``rlnlp/Recommend-v0``: many simulated users stepped as numpy arrays.

Pure numpy, no Gymnasium. The single env is a batch of one user and the vector env a batch
of N, both driven by ``RecommendWorld``, so they follow the same rules by construction. The
model follows RecSim's interest-evolution environment, with SARDINE-style boredom:

- A user has an interest in [-1, 1] per topic: a user type's centre plus uniform noise in
  ``[-interest_noise, interest_noise]``, and a time budget drawn uniformly in
  ``budget ± budget_spread`` (in steps).
- Every step the user is shown ``n_candidates`` fresh items (drawn without replacement) and
  the agent picks a slate of ``slate_size`` of them. An item's appeal is
  ``interest · w - boredom_weight * boredom · w + clickbait_appeal * clickbait``, ``w`` the
  item's topic distribution. The user clicks at most one item, by a multinomial logit over
  ``appeal / temperature + position * log(position_bias)`` for the slate and
  ``no_click_score / temperature`` for not clicking.
- A clicked item is watched for ``length * completion`` minutes,
  ``completion = 0.1 + 0.9 * quality``. Interests drift towards what was consumed:
  ``interest += drift_rate * completion * w * (1 - interest)``. Boredom decays by
  ``boredom_decay`` every step and grows by ``boredom_rate * w`` on a click.
- The budget drops by ``step_cost`` every step and moves by
  ``quality_gain * (quality - quality_pivot)`` on a click: good items extend the session,
  clickbait (appealing, low quality) shortens it. The episode terminates when the budget is
  spent and is truncated after ``max_steps`` steps.

Duplicates in a slate: a position that repeats an earlier position's candidate is an empty
slot (it cannot be clicked, it still takes its place in the position order), so the first
occurrence counts.

Randomness is counter-based (SplitMix64 of an episode key and a draw counter), so every user
of a batch is reproducible on its own: a reset takes draw 0 (user type), draws 1..T (interest
noise), draw T+1 (budget), then ``n_candidates`` draws for the first candidates; each step
takes one draw for the choice and ``n_candidates`` for the next candidates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rl_nlp_envs.envs.recommend.catalogue import Catalogue
from rl_nlp_envs.envs.recommend.user import UserTypes

MASK64 = (1 << 64) - 1
GOLDEN64 = 0x9E3779B97F4A7C15
NEXT_EPISODE_SALT = 0xD1B54A32D192ED03
SPLITS = ("train", "validation", "test")
SPLIT_SALTS = {"train": 0x5851F42D4C957F2D, "validation": 0x14057B7EF767814F,
               "test": 0x2545F4914F6CDD1D}  # fmt: skip
REWARD_MODES = ("click", "watch_time")

_G = np.uint64(GOLDEN64)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser of ``x + golden ratio`` on uint64 arrays (wrap-around)."""
    z = np.asarray(x, dtype=np.uint64) + _G
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


def draw(keys: np.ndarray, counters: np.ndarray) -> np.ndarray:
    """The ``counters``-th 64-bit random numbers of the episodes with ``keys`` (broadcast)."""
    return mix64(np.asarray(counters).astype(np.uint64) * _G + keys)


def uniform(keys: np.ndarray, counters: np.ndarray) -> np.ndarray:
    """Uniform floats in [0, 1) from ``draw`` (53 random bits)."""
    return (draw(keys, counters) >> _S11).astype(np.float64) * (1.0 / 2**53)


def key_from_seed(seed: int) -> int:
    """Episode key of ``reset(seed=seed)``."""
    return int(mix64(np.array([seed & MASK64], dtype=np.uint64))[0])


def next_key(key: int) -> int:
    """Episode key of the reset that follows an episode with ``key`` (no new seed)."""
    return int(mix64(np.array([key ^ NEXT_EPISODE_SALT], dtype=np.uint64))[0])


def split_key(split: str, index: int) -> int:
    """Episode key of user ``index`` of a fixed evaluation population ``split``."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
    return int(mix64(np.array([SPLIT_SALTS[split] ^ (index & MASK64)], dtype=np.uint64))[0])


@dataclass(frozen=True)
class UserModelConfig:
    """Sizes and parameters of the user model (see the module docstring for the rules)."""

    n_candidates: int = 10
    slate_size: int = 2
    history_length: int = 5
    temperature: float = 0.2
    no_click_score: float = 0.3
    position_bias: float = 0.8
    clickbait_appeal: float = 0.5
    interest_noise: float = 0.3
    drift_rate: float = 0.1
    boredom_rate: float = 0.6
    boredom_decay: float = 0.8
    boredom_weight: float = 1.0
    budget: float = 20.0
    budget_spread: float = 5.0
    step_cost: float = 1.0
    quality_gain: float = 4.0
    quality_pivot: float = 0.5
    max_steps: int = 200
    reward_mode: str = "click"

    def __post_init__(self) -> None:
        for name in ("n_candidates", "slate_size", "history_length", "max_steps"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.slate_size > self.n_candidates:
            raise ValueError(
                f"slate_size ({self.slate_size}) must be <= n_candidates ({self.n_candidates})"
            )
        positive = ("temperature", "position_bias", "budget", "step_cost")
        for name in positive:
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if not 0 < self.position_bias <= 1:
            raise ValueError(f"position_bias must be in (0, 1], got {self.position_bias!r}")
        unit = ("drift_rate", "boredom_decay")
        for name in unit:
            if not 0 <= float(getattr(self, name)) <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)!r}")
        nonneg = ("interest_noise", "boredom_rate", "boredom_weight", "budget_spread")
        for name in nonneg:
            if not float(getattr(self, name)) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.budget_spread >= self.budget:
            raise ValueError("budget_spread must be smaller than budget")
        if self.reward_mode not in REWARD_MODES:
            raise ValueError(
                f"unknown reward_mode {self.reward_mode!r}; choose one of: {REWARD_MODES}"
            )


@dataclass
class UserState:
    """The state of a batch of ``n`` users, one row each."""

    keys: np.ndarray
    counter: np.ndarray
    user_type: np.ndarray
    interest: np.ndarray
    boredom: np.ndarray
    budget: np.ndarray
    steps: np.ndarray
    clicks: np.ndarray
    watch_minutes: np.ndarray
    candidates: np.ndarray
    history_ids: np.ndarray
    history_completion: np.ndarray
    history_step: np.ndarray
    shown: np.ndarray
    shown_count: np.ndarray
    diversity_sum: np.ndarray
    novelty_sum: np.ndarray
    done: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def n(self) -> int:
        """Number of users."""
        return int(self.keys.shape[0])


@dataclass
class StepResult:
    """What one step did to every user of the batch (rows of users that did not step: 0)."""

    reward: np.ndarray
    clicked: np.ndarray
    position: np.ndarray
    item: np.ndarray
    watch: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    diversity: np.ndarray
    novelty: np.ndarray


class RecommendWorld:
    """The rules, applied to a ``UserState`` batch: reset users, step slates, observe."""

    def __init__(
        self, catalogue: Catalogue, user_types: UserTypes, config: UserModelConfig
    ) -> None:
        if user_types.centers.shape[1] != catalogue.n_topics:
            raise ValueError(
                f"user types cover {user_types.centers.shape[1]} topics, the catalogue has "
                f"{catalogue.n_topics}"
            )
        if config.n_candidates > len(catalogue):
            raise ValueError(
                f"n_candidates ({config.n_candidates}) exceeds the catalogue size "
                f"({len(catalogue)})"
            )
        self.catalogue, self.user_types, self.config = catalogue, user_types, config
        self.n_items = len(catalogue)
        self.n_topics = catalogue.n_topics
        self.weights = catalogue.topic_weights
        self.quality = catalogue.quality
        self.completion = 0.1 + 0.9 * catalogue.quality
        self.watch = catalogue.length * self.completion
        self.bait = catalogue.clickbait.astype(np.float64) * config.clickbait_appeal
        self.budget_change = config.quality_gain * (catalogue.quality - config.quality_pivot)
        self.text = catalogue.text_vectors
        self.features = catalogue.features
        self._cum_types = user_types.cumulative
        self._log_position = np.arange(config.slate_size) * np.log(config.position_bias)

    # -- state -------------------------------------------------------------------------------
    def new_state(self, n: int) -> UserState:
        """An all-zero batch of ``n`` users (reset them before stepping)."""
        c, k, t = self.config.n_candidates, self.config.history_length, self.n_topics
        return UserState(
            keys=np.zeros(n, dtype=np.uint64),
            counter=np.zeros(n, dtype=np.int64),
            user_type=np.zeros(n, dtype=np.int64),
            interest=np.zeros((n, t)),
            boredom=np.zeros((n, t)),
            budget=np.zeros(n),
            steps=np.zeros(n, dtype=np.int64),
            clicks=np.zeros(n, dtype=np.int64),
            watch_minutes=np.zeros(n),
            candidates=np.zeros((n, c), dtype=np.int64),
            history_ids=np.full((n, k), -1, dtype=np.int64),
            history_completion=np.zeros((n, k)),
            history_step=np.zeros((n, k), dtype=np.int64),
            shown=np.zeros((n, self.n_items), dtype=bool),
            shown_count=np.zeros(n, dtype=np.int64),
            diversity_sum=np.zeros(n),
            novelty_sum=np.zeros(n),
            done=np.zeros(n, dtype=bool),
        )

    def reset(self, state: UserState, idx: np.ndarray) -> None:
        """Draw new users for the rows ``idx`` from their (already set) keys."""
        if idx.size == 0:
            return
        cfg, t = self.config, self.n_topics
        keys = state.keys[idx]
        u = uniform(keys[:, None], np.arange(t + 2)[None, :])
        kind = np.minimum(np.searchsorted(self._cum_types, u[:, 0], side="right"),
                          len(self._cum_types) - 1)  # fmt: skip
        noise = (2.0 * u[:, 1 : t + 1] - 1.0) * cfg.interest_noise
        state.user_type[idx] = kind
        state.interest[idx] = np.clip(self.user_types.centers[kind] + noise, -1.0, 1.0)
        state.boredom[idx] = 0.0
        state.budget[idx] = cfg.budget + (2.0 * u[:, t + 1] - 1.0) * cfg.budget_spread
        state.steps[idx] = 0
        state.clicks[idx] = 0
        state.watch_minutes[idx] = 0.0
        state.history_ids[idx] = -1
        state.history_completion[idx] = 0.0
        state.history_step[idx] = 0
        state.shown[idx] = False
        state.shown_count[idx] = 0
        state.diversity_sum[idx] = 0.0
        state.novelty_sum[idx] = 0.0
        state.counter[idx] = t + 2
        state.done[idx] = False
        self._draw_candidates(state, idx)

    def _draw_candidates(self, state: UserState, idx: np.ndarray) -> None:
        """``n_candidates`` distinct items per user: ``r % n_items``, probing to the next free
        item on a collision (one draw per candidate, whatever the collisions)."""
        c, n_items = self.config.n_candidates, self.n_items
        counter = state.counter[idx]
        raw = draw(state.keys[idx][:, None], counter[:, None] + np.arange(c)[None, :])
        cand = (raw % np.uint64(n_items)).astype(np.int64)
        for p in range(1, c):
            col = cand[:, p]
            while True:
                clash = (cand[:, :p] == col[:, None]).any(axis=1)
                if not clash.any():
                    break
                col = np.where(clash, (col + 1) % n_items, col)
            cand[:, p] = col
        state.candidates[idx] = cand
        state.counter[idx] = counter + c

    # -- step --------------------------------------------------------------------------------
    def slate_valid(self, slates: np.ndarray) -> np.ndarray:
        """(n, S) bool: False where a position repeats an earlier position's candidate."""
        s = slates.shape[1]
        valid = np.ones(slates.shape, dtype=bool)
        for p in range(1, s):
            valid[:, p] = ~(slates[:, :p] == slates[:, p : p + 1]).any(axis=1)
        return valid

    def click_logits(self, state: UserState, rows: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Logits of the multinomial logit over ``items`` (n, S) shown to users ``rows``, with
        the no-click option last: shape (n, S + 1)."""
        cfg = self.config
        w = self.weights[items]
        pref = state.interest[rows][:, None, :] - cfg.boredom_weight * state.boredom[rows][:, None]
        appeal = (pref * w).sum(axis=-1) + self.bait[items]
        logits = appeal / cfg.temperature + self._log_position[: items.shape[1]]
        no_click = np.full((items.shape[0], 1), cfg.no_click_score / cfg.temperature)
        return np.concatenate([logits, no_click], axis=1)

    def step(self, state: UserState, slates: np.ndarray, stepping: np.ndarray) -> StepResult:
        """Show each user with ``stepping`` set its slate (indices into its candidates)."""
        cfg = self.config
        n, s = slates.shape
        out = StepResult(
            reward=np.zeros(n), clicked=np.zeros(n, dtype=bool),
            position=np.full(n, -1, dtype=np.int64), item=np.full(n, -1, dtype=np.int64),
            watch=np.zeros(n), terminated=np.zeros(n, dtype=bool),
            truncated=np.zeros(n, dtype=bool), diversity=np.zeros(n), novelty=np.zeros(n),
        )  # fmt: skip
        rows = np.flatnonzero(stepping)
        if rows.size == 0:
            return out
        slate = slates[rows]
        items = np.take_along_axis(state.candidates[rows], slate, axis=1)
        valid = self.slate_valid(slate)
        logits = self.click_logits(state, rows, items)
        logits[:, :s][~valid] = -np.inf
        weights = np.exp(logits - logits.max(axis=1, keepdims=True))
        cum = np.cumsum(weights, axis=1)
        u = uniform(state.keys[rows], state.counter[rows]) * cum[:, -1]
        state.counter[rows] += 1
        choice = np.minimum((cum <= u[:, None]).sum(axis=1), s)
        clicked = choice < s
        chosen = np.where(clicked, items[np.arange(rows.size), np.minimum(choice, s - 1)], -1)
        hit = np.flatnonzero(clicked)
        hit_rows, hit_items = rows[hit], chosen[hit]

        out.diversity[rows] = self._diversity(items, valid)
        out.novelty[rows] = self._novelty(state, rows, items, valid)
        state.diversity_sum[rows] += out.diversity[rows]
        state.novelty_sum[rows] += out.novelty[rows]

        # the user's response
        watch = np.zeros(rows.size)
        watch[hit] = self.watch[hit_items]
        completion = np.zeros(rows.size)
        completion[hit] = self.completion[hit_items]
        w = self.weights[hit_items]
        interest = state.interest[hit_rows]
        state.interest[hit_rows] = interest + cfg.drift_rate * completion[hit, None] * w * (
            1.0 - interest
        )
        state.boredom[rows] *= cfg.boredom_decay
        state.boredom[hit_rows] += cfg.boredom_rate * w
        budget = state.budget[rows] - cfg.step_cost
        budget[hit] += self.budget_change[hit_items]
        state.budget[rows] = budget
        state.steps[rows] += 1
        state.clicks[hit_rows] += 1
        state.watch_minutes[rows] += watch

        # what the agent sees next
        for array, value in (
            (state.history_ids, hit_items),
            (state.history_completion, self.completion[hit_items]),
            (state.history_step, state.steps[hit_rows]),
        ):
            if hit_rows.size:
                array[hit_rows, :-1] = array[hit_rows, 1:]
                array[hit_rows, -1] = value
        new = ~state.shown[rows[:, None], items] & valid
        state.shown[rows[:, None], items] = True
        state.shown_count[rows] += new.sum(axis=1)
        self._draw_candidates(state, rows)

        reward = clicked.astype(np.float64) if cfg.reward_mode == "click" else watch
        out.reward[rows] = reward
        out.clicked[rows] = clicked
        out.position[rows] = np.where(clicked, choice, -1)
        out.item[rows] = chosen
        out.watch[rows] = watch
        out.terminated[rows] = budget <= 0.0
        out.truncated[rows] = (budget > 0.0) & (state.steps[rows] >= cfg.max_steps)
        state.done[rows] = out.terminated[rows] | out.truncated[rows]
        return out

    # -- metrics -----------------------------------------------------------------------------
    def _diversity(self, items: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """Intra-list diversity: mean ``1 - cosine`` of the text vectors over pairs of distinct
        slate items (0 for a slate of one distinct item)."""
        v = self.text[items]
        sim = (v[:, :, None, :] * v[:, None, :, :]).sum(axis=-1)
        s = items.shape[1]
        pair = valid[:, :, None] & valid[:, None, :] & ~np.eye(s, dtype=bool)[None]
        count = pair.sum(axis=(1, 2))
        total = np.where(pair, 1.0 - sim, 0.0).sum(axis=(1, 2))
        return np.where(count > 0, total / np.maximum(count, 1), 0.0)

    def _novelty(
        self, state: UserState, rows: np.ndarray, items: np.ndarray, valid: np.ndarray
    ) -> np.ndarray:
        """Mean over the slate of ``1 - max cosine`` to the items in the user's history
        (1 when the history holds no item)."""
        hist = state.history_ids[rows]
        has = hist >= 0
        v = self.text[items]
        h = self.text[np.maximum(hist, 0)]
        sim = (v[:, :, None, :] * h[:, None, :, :]).sum(axis=-1)
        sim = np.where(has[:, None, :], sim, -np.inf).max(axis=2)
        per_item = np.where(np.isfinite(sim), 1.0 - sim, 1.0)
        return np.where(valid, per_item, 0.0).sum(axis=1) / valid.sum(axis=1)

    # -- observation -------------------------------------------------------------------------
    def observe(self, state: UserState) -> dict[str, np.ndarray]:
        """The agent's view of every user: the candidates and the last ``history_length``
        items consumed (oldest first) with their responses: consumed (0 for an empty slot),
        fraction completed, and recency ``1 / (1 + steps since)``."""
        hist = state.history_ids
        filled = hist >= 0
        hist_feat = self.features[np.maximum(hist, 0)]
        hist_feat[~filled] = 0.0
        age = state.steps[:, None] - state.history_step
        responses = np.stack(
            [filled, state.history_completion, np.where(filled, 1.0 / (1.0 + age), 0.0)], axis=2
        ).astype(np.float32)
        return {
            "candidates": self.features[state.candidates],
            "candidate_ids": state.candidates.copy(),
            "history_items": hist_feat,
            "history_ids": hist.copy(),
            "history_responses": responses,
        }

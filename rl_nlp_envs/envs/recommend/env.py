"""The single-user Gymnasium environment ``rlnlp/Recommend-v0``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from rl_nlp_envs.core.spaces import InvalidActionError, describe_space, discrete_action
from rl_nlp_envs.envs.recommend.catalogue import Catalogue, load_catalogue
from rl_nlp_envs.envs.recommend.logic import (
    MASK64,
    SPLITS,
    RecommendWorld,
    StepResult,
    UserModelConfig,
    UserState,
    key_from_seed,
    next_key,
    split_key,
)
from rl_nlp_envs.envs.recommend.user import (
    UserTypes,
    catalogue_user_types,
    fit_user_types,
)

ENV_ID = "rlnlp/Recommend-v0"
TUNABLE = tuple(
    f.name
    for f in dataclasses.fields(UserModelConfig)
    if f.name not in ("n_candidates", "slate_size", "history_length", "max_steps", "reward_mode")
)


def build_world(
    catalogue: Catalogue | str | Path | None = None,
    interactions: Any = None,
    user_types: UserTypes | None = None,
    n_user_types: int = 6,
    item_vectors: str = "tfidf",
    text_dim: int = 16,
    n_candidates: int = 10,
    slate_size: int = 2,
    history_length: int = 5,
    reward_mode: str = "click",
    max_steps: int = 200,
    user_model: Mapping[str, float] | None = None,
) -> RecommendWorld:
    """The user model an env runs, from the env's constructor arguments."""
    cat = load_catalogue(catalogue, text_dim=text_dim, item_vectors=item_vectors)
    if user_types is not None and interactions is not None:
        raise ValueError("pass user_types or interactions, not both")
    if user_types is None:
        user_types = (
            catalogue_user_types(cat, n_user_types)
            if interactions is None
            else fit_user_types(cat, interactions, n_user_types)
        )
    extra = dict(user_model or {})
    unknown = sorted(set(extra) - set(TUNABLE))
    if unknown:
        raise ValueError(f"unknown user_model parameter(s) {unknown}; allowed: {list(TUNABLE)}")
    config = UserModelConfig(
        n_candidates=n_candidates,
        slate_size=slate_size,
        history_length=history_length,
        reward_mode=reward_mode,
        max_steps=max_steps,
        **{k: float(v) for k, v in extra.items()},
    )
    return RecommendWorld(cat, user_types, config)


def observation_space_for(world: RecommendWorld) -> spaces.Dict:
    """The observation space of one user."""
    cfg = world.config
    c, k, d, n = cfg.n_candidates, cfg.history_length, world.features.shape[1], world.n_items
    return spaces.Dict(
        {
            "candidates": spaces.Box(-1.0, 1.0, (c, d), np.float32),
            "candidate_ids": spaces.Box(0, n - 1, (c,), np.int64),
            "history_items": spaces.Box(-1.0, 1.0, (k, d), np.float32),
            "history_ids": spaces.Box(-1, n - 1, (k,), np.int64),
            "history_responses": spaces.Box(0.0, 1.0, (k, 3), np.float32),
        }
    )


def action_space_for(world: RecommendWorld) -> spaces.Discrete | spaces.MultiDiscrete:
    """``Discrete(n_candidates)`` for slates of one, else ``MultiDiscrete([n_candidates] * k)``."""
    cfg = world.config
    if cfg.slate_size == 1:
        return spaces.Discrete(cfg.n_candidates)
    return spaces.MultiDiscrete([cfg.n_candidates] * cfg.slate_size)


def slate_action(action: Any, space: spaces.Discrete | spaces.MultiDiscrete) -> np.ndarray:
    """Validate a slate; returns it as an int64 array of shape (slate_size,)."""
    if isinstance(space, spaces.Discrete):
        return np.array([discrete_action(action, space)], dtype=np.int64)
    expected = describe_space(space)
    if isinstance(action, (str, bytes)) or action is None:
        raise InvalidActionError(f"action {action!r} is not valid for {space}; expected {expected}")
    try:
        arr = np.asarray(action)
    except (TypeError, ValueError):
        raise InvalidActionError(f"action is not array-like; {space} expects {expected}") from None
    if arr.shape != space.shape:
        raise InvalidActionError(f"action has shape {arr.shape}; {space} expects {expected}")
    if arr.dtype.kind == "f":
        if not (np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))):
            raise InvalidActionError(
                f"action {arr.tolist()} has non-integer entries; {space} expects {expected}"
            )
    elif arr.dtype.kind not in "iu":
        raise InvalidActionError(
            f"action of dtype {arr.dtype} is not valid for {space}; expected {expected}"
        )
    out = arr.astype(np.int64)
    if np.any(out < 0) or np.any(out >= space.nvec):
        raise InvalidActionError(f"action {out.tolist()} is outside {space}; expected {expected}")
    return out


def step_info(
    world: RecommendWorld, state: UserState, row: int, result: StepResult | None
) -> dict[str, Any]:
    """The info of user ``row`` after a reset (``result`` None) or a step."""
    steps = int(state.steps[row])
    clicks = int(state.clicks[row])
    return {
        "click": bool(result.clicked[row]) if result is not None else False,
        "chosen_item": int(result.item[row]) if result is not None else -1,
        "chosen_position": int(result.position[row]) if result is not None else -1,
        "watch_minutes": float(result.watch[row]) if result is not None else 0.0,
        "ctr": clicks / steps if steps else 0.0,
        "diversity": float(result.diversity[row]) if result is not None else 0.0,
        "novelty": float(result.novelty[row]) if result is not None else 0.0,
        "mean_diversity": float(state.diversity_sum[row]) / steps if steps else 0.0,
        "mean_novelty": float(state.novelty_sum[row]) / steps if steps else 0.0,
        "coverage": float(state.shown_count[row]) / world.n_items,
        "budget": float(state.budget[row]),
        "clicks": clicks,
        "steps": steps,
        "user_type": int(state.user_type[row]),
    }


def parse_reset_options(
    options: dict[str, Any] | None, split_size: int, rng: np.random.Generator
) -> int | None:
    """The episode key that ``options`` ask for (``None``: no options)."""
    if not options:
        return None
    unknown = sorted(set(options) - {"split", "index"})
    if unknown:
        raise ValueError(
            f"unknown reset option(s) {unknown} for {ENV_ID}; allowed: 'split', 'index'"
        )
    split = options.get("split", "test")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
    index = options.get("index")
    if index is None:
        index = int(rng.integers(split_size))
    if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
        raise ValueError(f"index must be an int, got {index!r}")
    if not 0 <= index < split_size:
        raise ValueError(
            f"index {index} is out of range for split {split!r}: users 0..{split_size - 1}"
        )
    return split_key(split, int(index))


class RecommendEnv(gym.Env[dict[str, Any], Any]):
    """Recommending slates of text items to a simulated user whose interests evolve.

    ## Description
    Each episode is one session of one simulated user, after RecSim's interest-evolution
    environment. The user has latent interests over 20 topics (drawn from one of a few user
    types), a time budget, and per-topic boredom. Every step the agent sees
    ``n_candidates`` items of a catalogue of 1,000 articles, films, recipes, products, videos
    and podcasts written for this project, and shows a slate of ``slate_size`` of them. The
    user clicks at most one (a multinomial logit with position bias and a no-click option),
    watches it for a while, drifts towards its topics and gets a little bored of them. Good
    items extend the session; clickbait (appealing, low quality) wins the click now and
    shortens it, so maximising immediate clicks is not the way to the highest return. The
    rules are in ``rl_nlp_envs.envs.recommend.logic``; ``gymnasium.make_vec`` gives a native
    batched twin.

    ## Action Space
    ``MultiDiscrete([n_candidates] * slate_size)``: the candidate shown at each slate
    position, top first; ``Discrete(n_candidates)`` when ``slate_size=1``. A position that
    repeats an earlier position's candidate is an empty slot (never clicked, never an error).

    ## Observation Space
    ``Dict`` of fixed-shape Boxes (``D`` = ``text_dim`` + 20 topics + 6 kinds + 1 = 43 by
    default; ``catalogue.feature_names`` names the columns):
    - ``candidates``: ``Box(-1, 1, (n_candidates, D), float32)``, the candidates' features: a
      unit text vector (TF-IDF + SVD of title and description), topic multi-hot, kind
      one-hot, log length.
    - ``candidate_ids``: ``Box(0, n_items - 1, (n_candidates,), int64)`` catalogue indices.
    - ``history_items``: ``Box(-1, 1, (history_length, D), float32)``, the features of the
      last items the user consumed (clicked), oldest first, zeros for empty slots.
    - ``history_ids``: ``Box(-1, n_items - 1, (history_length,), int64)`` (-1: empty).
    - ``history_responses``: ``Box(0, 1, (history_length, 3), float32)``: consumed (0 for an
      empty slot), fraction of the item watched, recency ``1 / (1 + steps since)``.
    Item quality, clickbait labels, the user's interests and budget are hidden.

    ## Rewards
    ``reward_mode="click"`` (default): 1 for a click, 0 otherwise (episode return = clicks).
    ``"watch_time"``: the minutes watched (``length * (0.1 + 0.9 * quality)``).

    ## Starting State
    A user of a type drawn by population share, with interests = the type's centre plus
    uniform noise, zero boredom, a budget of 20 ± 5 steps, and fresh candidates.

    ## Episode End
    Terminated when the budget is spent: every step costs 1, a click moves it by
    ``4 * (quality - 0.5)``. Truncated after ``max_steps`` steps (200).

    ## Info
    ``click``, ``chosen_item`` (catalogue index or -1), ``chosen_position``,
    ``watch_minutes``, ``ctr`` (clicks per step so far), ``diversity`` (intra-list: mean
    ``1 - cosine`` of the slate's text vectors), ``novelty`` (mean ``1 -`` highest cosine of a
    slate item to the history's items), ``mean_diversity`` and ``mean_novelty`` (their means
    over the episode so far), ``coverage`` (share of the catalogue shown so far
    this episode), ``budget`` (remaining), ``clicks``, ``steps``, ``user_type``.

    ## Arguments
    ``catalogue`` (None: bundled; a CSV/JSONL path with id, title, description, topics; or a
    ``Catalogue``), ``interactions`` (a CSV/JSONL log of user, item, rating or click to fit
    the user types to), ``user_types`` (a ``UserTypes``), ``n_user_types`` (6, for fitting),
    ``item_vectors`` ("tfidf", or "minilm" with the ``llm`` extra), ``text_dim`` (16),
    ``n_candidates`` (10), ``slate_size`` (2, as in RecSim), ``history_length`` (5),
    ``reward_mode`` ("click"), ``max_steps`` (200), ``user_model`` (dict of
    ``UserModelConfig`` parameters: temperature, no_click_score, position_bias,
    clickbait_appeal, interest_noise, drift_rate, boredom_rate, boredom_decay,
    boredom_weight, budget, budget_spread, step_cost, quality_gain, quality_pivot),
    ``split_size`` (1000), ``render_mode``.

    Reset options: ``{"split": "train" | "validation" | "test", "index": i}`` serves user
    ``i`` of a fixed population of ``split_size`` users per split (the same user whatever the
    seed), for reproducible evaluation; without options users come from the seed.

    ## Version History
    - v0: initial release.
    """

    metadata = {"render_modes": ["human", "rgb_array", "ansi"], "render_fps": 2}
    # final-info values that evaluation reports next to the return
    episode_metrics = ("ctr", "mean_diversity", "mean_novelty", "coverage")

    def __init__(
        self,
        catalogue: Catalogue | str | Path | None = None,
        interactions: Any = None,
        user_types: UserTypes | None = None,
        n_user_types: int = 6,
        item_vectors: str = "tfidf",
        text_dim: int = 16,
        n_candidates: int = 10,
        slate_size: int = 2,
        history_length: int = 5,
        reward_mode: str = "click",
        max_steps: int = 200,
        user_model: Mapping[str, float] | None = None,
        split_size: int = 1000,
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"unknown render_mode {render_mode!r}; choose one of: "
                f"{', '.join(self.metadata['render_modes'])} or None"
            )
        if not isinstance(split_size, int) or split_size < 1:
            raise ValueError(f"split_size must be a positive int, got {split_size!r}")
        self.world = build_world(
            catalogue, interactions, user_types, n_user_types, item_vectors, text_dim,
            n_candidates, slate_size, history_length, reward_mode, max_steps, user_model,
        )  # fmt: skip
        self.catalogue = self.world.catalogue
        self.split_size = split_size
        self.render_mode = render_mode
        self.observation_space = observation_space_for(self.world)
        self._slate_space = action_space_for(self.world)
        self.action_space = self._slate_space
        self._state = self.world.new_state(1)
        self._key: int | None = None
        self._started = False
        self._last_slate = np.zeros(0, dtype=np.int64)
        self._last_valid = np.zeros(0, dtype=bool)
        self._last_position = -1
        self._renderer: Any = None

    # -- Gymnasium API ---------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start a session with a new user (``options`` pick a fixed evaluation user)."""
        super().reset(seed=seed)
        key = parse_reset_options(options, self.split_size, self.np_random)
        if key is None:
            if seed is not None:
                key = key_from_seed(seed)
            elif self._key is None:
                key = int(self.np_random.integers(0, MASK64, dtype=np.uint64, endpoint=True))
            else:
                key = next_key(self._key)
        self._key = key
        self._state.keys[0] = np.uint64(key)
        self.world.reset(self._state, np.zeros(1, dtype=np.int64))
        self._started = True
        self._last_slate = self._state.candidates[0, : self.world.config.slate_size].copy()
        self._last_valid = np.ones(self._last_slate.size, dtype=bool)
        self._last_position = -1
        if self.render_mode == "human":
            self.render()
        return self._observation(), step_info(self.world, self._state, 0, None)

    def step(
        self, action: Any
    ) -> tuple[dict[str, np.ndarray], SupportsFloat, bool, bool, dict[str, Any]]:
        """Show a slate to the user."""
        if not self._started:
            raise RuntimeError(f"{ENV_ID}: call reset() before step()")
        if self._state.done[0]:
            raise RuntimeError(f"{ENV_ID}: the episode has ended; call reset() before step()")
        slate = slate_action(action, self._slate_space)
        items = self._state.candidates[0, slate]
        result = self.world.step(self._state, slate[None, :], np.ones(1, dtype=bool))
        self._last_slate = items
        self._last_valid = self.world.slate_valid(slate[None, :])[0]
        self._last_position = int(result.position[0])
        if self.render_mode == "human":
            self.render()
        return (
            self._observation(),
            float(result.reward[0]),
            bool(result.terminated[0]),
            bool(result.truncated[0]),
            step_info(self.world, self._state, 0, result),
        )

    def render(self) -> np.ndarray | str | None:
        """The last slate with titles and the user's response (ansi text or a pygame frame)."""
        if self.render_mode is None:
            gym.logger.warn(f"{ENV_ID}: render() called without a render_mode")
            return None
        if not self._started:
            raise RuntimeError(f"{ENV_ID}: call reset() before render()")
        from rl_nlp_envs.envs.recommend.render import slate_panel
        from rl_nlp_envs.render.text import TextRenderer, panel_to_ansi

        state = self._state
        steps = int(state.steps[0])
        panel = slate_panel(
            self.catalogue, self._last_slate.tolist(), self._last_valid.tolist(),
            self._last_position, steps, float(state.budget[0]),
            int(state.clicks[0]) / steps if steps else 0.0,
            self.world.user_types.names[int(state.user_type[0])],
            state.history_ids[0].tolist(),
        )  # fmt: skip
        if self.render_mode == "ansi":
            return panel_to_ansi(panel)
        if self._renderer is None:
            self._renderer = TextRenderer(self.render_mode, self.metadata["render_fps"], ENV_ID)
        return self._renderer.render(panel)

    def close(self) -> None:
        """Close the window, if any; safe to call more than once."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    # -- helpers ---------------------------------------------------------------------------
    @property
    def state(self) -> UserState:
        """The simulated user (a batch of one), for inspection and planning baselines."""
        return self._state

    def _observation(self) -> dict[str, np.ndarray]:
        return {k: v[0] for k, v in self.world.observe(self._state).items()}

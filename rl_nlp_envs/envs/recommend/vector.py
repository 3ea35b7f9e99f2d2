"""A native batched ``rlnlp/Recommend-v0``: N simulated users stepped as numpy arrays.

The single env is a batch of one user of the same ``RecommendWorld``, so the same per-env
seeds and slates give the same trajectories as N single envs (the tests check this against
``SyncVectorEnv``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from rl_nlp_envs.core.spaces import InvalidActionError
from rl_nlp_envs.core.vector import check_vector_args, parse_reset
from rl_nlp_envs.envs.recommend.catalogue import Catalogue
from rl_nlp_envs.envs.recommend.env import (
    ENV_ID,
    action_space_for,
    build_world,
    observation_space_for,
    parse_reset_options,
)
from rl_nlp_envs.envs.recommend.logic import (
    MASK64,
    NEXT_EPISODE_SALT,
    StepResult,
    mix64,
)
from rl_nlp_envs.envs.recommend.user import UserTypes

INFO_KEYS = (
    "click", "chosen_item", "chosen_position", "watch_minutes", "ctr", "diversity", "novelty",
    "mean_diversity", "mean_novelty", "coverage", "budget", "clicks", "steps", "user_type",
)  # fmt: skip


class RecommendVectorEnv(VectorEnv[dict[str, np.ndarray], np.ndarray, np.ndarray]):
    """``num_envs`` users served at once; see ``RecommendEnv`` for the rules and arguments.

    Made by ``gymnasium.make_vec("rlnlp/Recommend-v0", num_envs=N, **kwargs)`` (the
    registered ``vector_entry_point``). Takes the single env's arguments plus
    ``autoreset_mode`` (``NEXT_STEP`` by default, ``SAME_STEP``, or ``DISABLED`` with
    ``reset(options={"reset_mask": mask})``). An int seed ``s`` gives sub-env ``i`` the seed
    ``s + i``. Actions are an int array of shape ``(num_envs, slate_size)`` (``(num_envs,)``
    when ``slate_size=1``). Infos are batched as Gymnasium batches them (arrays plus ``_key``
    masks; ``final_obs`` / ``final_info`` in ``SAME_STEP``).
    """

    metadata = {
        "render_modes": ["rgb_array", "ansi"],
        "render_fps": 2,
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }

    def __init__(
        self,
        num_envs: int = 1,
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
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
    ) -> None:
        mode = check_vector_args(
            num_envs, autoreset_mode, render_mode, self.metadata["render_modes"]
        )
        if not isinstance(split_size, int) or split_size < 1:
            raise ValueError(f"split_size must be a positive int, got {split_size!r}")
        self.world = build_world(
            catalogue, interactions, user_types, n_user_types, item_vectors, text_dim,
            n_candidates, slate_size, history_length, reward_mode, max_steps, user_model,
        )  # fmt: skip
        self.catalogue = self.world.catalogue
        self.metadata = {**self.metadata, "autoreset_mode": mode}
        self.autoreset_mode = mode
        self.num_envs = int(num_envs)
        self.split_size = split_size
        self.render_mode = render_mode
        self.single_observation_space = observation_space_for(self.world)
        self.single_action_space = action_space_for(self.world)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._slate_size = self.world.config.slate_size
        self._state = self.world.new_state(self.num_envs)
        self._started = False
        self._last_items = np.zeros((self.num_envs, self._slate_size), dtype=np.int64)
        self._last_valid = np.ones((self.num_envs, self._slate_size), dtype=bool)
        self._last_position = np.full(self.num_envs, -1, dtype=np.int64)
        self._renderer: Any = None

    # -- reset -------------------------------------------------------------------------------
    def reset(
        self,
        *,
        seed: int | Sequence[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Reset every user (or those in ``options["reset_mask"]``)."""
        n = self.num_envs
        mask, seeds, base_seed, _ = parse_reset(ENV_ID, n, seed, options)
        if base_seed is not None:
            self._np_random, self._np_random_seed = seeding.np_random(base_seed)
        keys = self._state.keys.copy()
        for i in np.flatnonzero(mask):
            s = seeds[i]
            if s is not None:
                keys[i] = mix64(np.array([s & MASK64], dtype=np.uint64))[0]
            elif not self._started:
                keys[i] = self.np_random.integers(0, MASK64, dtype=np.uint64, endpoint=True)
            else:
                keys[i] = mix64(keys[i : i + 1] ^ np.uint64(NEXT_EPISODE_SALT))[0]
        self._state.keys[:] = keys
        self._started = True
        idx = np.flatnonzero(mask)
        self.world.reset(self._state, idx)
        self._after_reset(idx)
        return self.world.observe(self._state), self._infos(None, np.ones(n, dtype=bool))

    def reset_users(self, split: str, indices: Sequence[int]) -> dict[str, np.ndarray]:
        """Serve sub-env ``i`` user ``indices[i]`` of a fixed evaluation population ``split``
        (the single env's ``reset(options={"split", "index"})``); returns the observation."""
        if len(indices) != self.num_envs:
            raise ValueError(f"expected {self.num_envs} indices, got {len(indices)}")
        rng = np.random.default_rng(0)
        for i, index in enumerate(indices):
            key = parse_reset_options({"split": split, "index": index}, self.split_size, rng)
            assert key is not None
            self._state.keys[i] = np.uint64(key)
        idx = np.arange(self.num_envs)
        self.world.reset(self._state, idx)
        self._after_reset(idx)
        self._started = True
        return self.world.observe(self._state)

    def _after_reset(self, idx: np.ndarray) -> None:
        self._last_items[idx] = self._state.candidates[idx, : self._slate_size]
        self._last_valid[idx] = True
        self._last_position[idx] = -1

    def _next_episode(self, idx: np.ndarray) -> None:
        """Start the next episode of the sub-envs ``idx`` (keys advance, no new seed)."""
        keys = self._state.keys
        keys[idx] = mix64(keys[idx] ^ np.uint64(NEXT_EPISODE_SALT))
        self.world.reset(self._state, idx)
        self._after_reset(idx)

    # -- step --------------------------------------------------------------------------------
    def step(
        self, actions: Any
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Show every user its slate (autoreset as ``autoreset_mode`` says)."""
        if not self._started:
            raise RuntimeError(f"{ENV_ID} vector env: call reset() before step()")
        n = self.num_envs
        slates = self._slates(actions)
        done = self._state.done
        if self.autoreset_mode == AutoresetMode.NEXT_STEP:
            resetting = done.copy()
        elif self.autoreset_mode == AutoresetMode.DISABLED and done.any():
            i = int(np.flatnonzero(done)[0])
            raise RuntimeError(
                f"sub-environment {i} has ended; with AutoresetMode.DISABLED call "
                "reset(options={'reset_mask': mask}) before step()"
            )
        else:
            resetting = np.zeros(n, dtype=bool)
        stepping = ~resetting
        items = np.take_along_axis(self._state.candidates, slates, axis=1)
        result = self.world.step(self._state, slates, stepping)
        s = np.flatnonzero(stepping)
        self._last_items[s] = items[s]
        self._last_valid[s] = self.world.slate_valid(slates[s])
        self._last_position[s] = result.position[s]
        r = np.flatnonzero(resetting)
        if r.size:
            self._next_episode(r)
        terminated, truncated = result.terminated, result.truncated
        ended = terminated | truncated
        infos: dict[str, Any] = {}
        if self.autoreset_mode == AutoresetMode.SAME_STEP and ended.any():
            d = np.flatnonzero(ended)
            final_obs = np.full(n, None, dtype=object)
            obs_done = self.world.observe(self._state)
            for j in d:
                final_obs[j] = {k: v[j] for k, v in obs_done.items()}
            infos["final_obs"] = final_obs
            infos["_final_obs"] = ended.copy()
            infos["final_info"] = self._infos(result, ended)
            infos["_final_info"] = ended.copy()
            self._next_episode(d)
            infos.update(self._infos(result, ~ended, reset_rows=ended))
        else:
            infos.update(self._infos(result, stepping, reset_rows=resetting))
        return self.world.observe(self._state), result.reward, terminated, truncated, infos

    def _slates(self, actions: Any) -> np.ndarray:
        """Validate the batched slates; returns (num_envs, slate_size) int64."""
        n, s, c = self.num_envs, self._slate_size, self.world.config.n_candidates
        shape = (n,) if s == 1 else (n, s)
        arr = np.asarray(actions)
        if arr.shape != shape:
            raise InvalidActionError(
                f"actions have shape {arr.shape}; expected {shape} with integers in [0, {c - 1}]"
            )
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                raise InvalidActionError(
                    f"actions of dtype {arr.dtype} are not valid; expected integers in [0, {c - 1}]"
                )
        bad = (arr < 0) | (arr >= c)
        if bad.any():
            i = int(np.flatnonzero(bad.reshape(n, -1).any(axis=1))[0])
            raise InvalidActionError(
                f"action {arr[i].tolist()} of sub-environment {i} is outside "
                f"{self.single_action_space}; expected integers in [0, {c - 1}]"
            )
        return arr.astype(np.int64, copy=False).reshape(n, s)

    # -- infos -------------------------------------------------------------------------------
    def _infos(
        self,
        result: StepResult | None,
        where: np.ndarray,
        reset_rows: np.ndarray | None = None,
    ) -> dict[str, Any]:
        """Batched infos like the single env's: step values for ``where``, reset values for
        ``reset_rows`` (users that just started), zeros elsewhere."""
        st, n = self._state, self.num_envs
        steps = st.steps.astype(np.int64)
        ctr = np.where(steps > 0, st.clicks / np.maximum(steps, 1), 0.0)
        fresh = np.zeros(n, dtype=bool) if reset_rows is None else reset_rows
        stepped = where & ~fresh if result is not None else np.zeros(n, dtype=bool)
        zero_f, zero_b = np.zeros(n), np.zeros(n, dtype=bool)
        minus = np.full(n, -1, dtype=np.int64)
        values: dict[str, np.ndarray] = {
            "click": np.where(stepped, result.clicked, False) if result else zero_b,
            "chosen_item": np.where(stepped, result.item, -1) if result else minus,
            "chosen_position": np.where(stepped, result.position, -1) if result else minus,
            "watch_minutes": np.where(stepped, result.watch, 0.0) if result else zero_f,
            "ctr": ctr,
            "diversity": np.where(stepped, result.diversity, 0.0) if result else zero_f,
            "novelty": np.where(stepped, result.novelty, 0.0) if result else zero_f,
            "mean_diversity": np.where(steps > 0, st.diversity_sum / np.maximum(steps, 1), 0.0),
            "mean_novelty": np.where(steps > 0, st.novelty_sum / np.maximum(steps, 1), 0.0),
            "coverage": st.shown_count / self.world.n_items,
            "budget": st.budget.copy(),
            "clicks": st.clicks.copy(),
            "steps": steps.copy(),
            "user_type": st.user_type.copy(),
        }
        present = where | fresh
        out: dict[str, Any] = {}
        for key in INFO_KEYS:
            value = values[key]
            if not present.all():
                value = np.where(present, value, np.zeros((), dtype=value.dtype))
            out[key] = value
            out[f"_{key}"] = present.copy()
        return out

    # -- rendering ---------------------------------------------------------------------------
    def render(self) -> tuple[Any, ...] | None:
        """A tuple with one frame (``rgb_array``) or text (``ansi``) per sub-env."""
        if self.render_mode is None:
            return None
        from rl_nlp_envs.envs.recommend.render import slate_panel
        from rl_nlp_envs.render.text import TextRenderer, panel_to_ansi

        st = self._state
        panels = []
        for i in range(self.num_envs):
            steps = int(st.steps[i])
            panels.append(slate_panel(
                self.catalogue, self._last_items[i].tolist(), self._last_valid[i].tolist(),
                int(self._last_position[i]), steps, float(st.budget[i]),
                int(st.clicks[i]) / steps if steps else 0.0,
                self.world.user_types.names[int(st.user_type[i])], st.history_ids[i].tolist(),
            ))  # fmt: skip
        if self.render_mode == "ansi":
            return tuple(panel_to_ansi(p) for p in panels)
        if self._renderer is None:
            self._renderer = TextRenderer("rgb_array", self.metadata["render_fps"], ENV_ID)
        return tuple(self._renderer.render(p) for p in panels)

    def close_extras(self, **kwargs: Any) -> None:
        """Release the off-screen renderer, if any."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    @property
    def state(self) -> Any:
        """The batch of simulated users (``logic.UserState``)."""
        return self._state

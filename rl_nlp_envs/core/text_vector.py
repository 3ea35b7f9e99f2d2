"""A native batched ``TextEnv``: N text episodes stepped as arrays, rewards scored in one call.

The vector env builds one single env of the task (``TranslateEnv``, ``SummarizeEnv``,
``QAEnv`` ...) from the same keyword arguments and uses it as the *template*: its task,
tokenizer, reward, metrics, spaces, reset-option rules (``select_example``), prompt encoding
(``encode_prompt``), end-of-episode info (``episode_end_info``) and render panel are the
single env's own. What is batched here is the per-step state: prompt and response ids and
masks live in ``(num_envs, length)`` arrays, a step appends N tokens with a few array
operations, and the rewards of all sub-envs that need one are scored in one
``score_batch`` call. Tests check that the same seeds and actions give the same
observations, rewards, flags and infos as a ``SyncVectorEnv`` of single envs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from rl_nlp_envs.core.spaces import InvalidActionError, batched_discrete_actions, text_action
from rl_nlp_envs.core.task import Example
from rl_nlp_envs.core.text_env import TextEnv, encode_prompt, select_example
from rl_nlp_envs.core.vector import check_vector_args, parse_reset
from rl_nlp_envs.render.text import TextRenderer


class _Prepared(NamedTuple):
    """What a reset needs of an example, kept across episodes (the example cache)."""

    prompt: tuple[np.ndarray, np.ndarray, bool] | None  # ids, mask, truncated (token mode)
    reward: Any  # the reward's prepared references
    metrics: dict[str, Any] | None  # the other metrics' prepared references


def _load(entry_point: str) -> type[TextEnv]:
    from gymnasium.envs.registration import load_env_creator

    cls: Any = load_env_creator(entry_point)
    if not (isinstance(cls, type) and issubclass(cls, TextEnv)):
        raise TypeError(f"{entry_point} is not a TextEnv subclass")
    return cls


class TextVectorEnv(VectorEnv[Any, Any, Any]):
    """``num_envs`` episodes of a text task stepped together; see ``TextEnv`` for the task.

    Made by ``gymnasium.make_vec("rlnlp/Translate-v0", num_envs=N, **kwargs)`` (the registered
    ``vector_entry_point`` of every text id) or directly. It takes exactly the keyword
    arguments of its single env (``direction=``, ``dataset=``, ``tokenizer=``, ``reward_fn=``,
    ``reward_mode=``, ``action_mode=`` ...) plus ``autoreset_mode``
    (``AutoresetMode.NEXT_STEP`` by default, ``SAME_STEP``, or ``DISABLED`` with
    ``reset(options={"reset_mask": mask})``).

    - Token mode: actions are an int array of shape ``(num_envs,)``; observations a dict of
      ``(num_envs, length)`` arrays; ``action_masks()`` is ``(num_envs, vocab_size)``.
    - Text mode: actions are a tuple of ``num_envs`` strings; every step ends every episode.
    - Seeds follow Gymnasium: an int ``s`` seeds sub-env ``i`` with ``s + i``; a list gives
      one seed (or None) per sub-env. Sub-env ``i`` draws its examples from its own
      generator, exactly as the ``i``-th single env of a ``SyncVectorEnv`` does.
    - ``reset(options=...)`` takes the single env's ``split`` and ``index`` (an int for every
      sub-env, or a sequence with one index per sub-env) and ``reset_mask``.
    - Infos are batched as Gymnasium batches them (arrays plus ``_key`` masks; the end-of-
      episode entries only where an episode ended; ``final_obs`` / ``final_info`` in
      ``SAME_STEP``). ``info["action_mask"]`` is a read-only ``(num_envs, vocab_size)`` view
      (every row is the same legal-token mask); copy it before writing to it.
    - The encoded prompt and prepared references of an example are kept between episodes (an
      LRU of ``example_cache_size`` examples); examples first seen on the same step are
      prepared in one call of the reward's ``prepare_batch`` when it has one.
    - Rewards: every sub-env that needs a score on a step (all of them with dense rewards,
      those that finished with sparse ones) is scored in one call of the reward's batched
      form (``score_prepared_batch`` when the reward has one, e.g. ``"semantic"``).

    Not batched (a clear ``ValueError`` points to ``vectorization_mode="sync"``):
    ``action_mask_fn`` and QA-v0's ``answer_mode="span"``. ``render_mode`` may be
    ``"ansi"`` or ``"rgb_array"``; ``render()`` returns one panel per sub-env.
    """

    metadata = {
        "render_modes": ["rgb_array", "ansi"],
        "render_fps": 4,
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }

    #: the single env this vector env batches, as an entry point string (set by subclasses)
    env_entry_point: str = "rl_nlp_envs.core.text_env:TextEnv"
    #: how many examples keep their encoded prompt and prepared references between episodes
    example_cache_size: int = 2048

    def __init__(
        self,
        num_envs: int = 1,
        *,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
        **kwargs: Any,
    ) -> None:
        mode = check_vector_args(
            num_envs, autoreset_mode, render_mode, self.metadata["render_modes"]
        )
        name = type(self).__name__
        if kwargs.get("action_mask_fn") is not None:
            raise ValueError(
                f"{name} does not batch action_mask_fn (it is called on a single env); use "
                'gymnasium.make_vec(..., vectorization_mode="sync") for masked generation'
            )
        if "max_episode_steps" in kwargs:
            raise ValueError(
                f"{name} does not take max_episode_steps: token mode already truncates at "
                "max_response_tokens; set that instead"
            )
        core = _load(self.env_entry_point)(**kwargs)
        if getattr(core, "answer_mode", None) == "span":
            raise ValueError(
                f"{name} does not batch answer_mode='span' (QA-v0's one-step span "
                "pointing); it batches answer_mode='generate' in token and text mode. Use "
                'gymnasium.make_vec("rlnlp/QA-v0", num_envs=N, answer_mode="span", '
                'vectorization_mode="sync")'
            )
        self.core = core
        self.num_envs = int(num_envs)
        self.autoreset_mode = mode
        self.metadata = {**self.metadata, "autoreset_mode": mode}
        self.render_mode = render_mode
        self.action_mode = core.action_mode
        self.reward_mode = core.reward_mode
        self.single_observation_space = core.observation_space
        self.single_action_space = core.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)

        n = self.num_envs
        self._rngs: list[np.random.Generator | None] = [None] * n
        self._examples: list[Example | None] = [None] * n
        self._splits: list[str] = [core.sample_split] * n
        self._indices = np.zeros(n, dtype=np.int64)
        self._prepared: list[Any] = [None] * n
        self._prompt_truncated = np.zeros(n, dtype=bool)
        self._score = np.zeros(n, dtype=np.float64)
        self._last_reward = np.zeros(n, dtype=np.float64)
        self._done = np.zeros(n, dtype=bool)
        self._final: list[dict[str, Any]] = [{} for _ in range(n)]
        self._ended = np.zeros(n, dtype=bool)  # which sub-envs hold end-of-episode infos
        self._hypotheses: list[str] = [""] * n
        self._ids = np.full(n, None, dtype=object)
        self._split_names = np.full(n, None, dtype=object)
        self._cache: OrderedDict[tuple[str, int], _Prepared] = OrderedDict()
        # a task that overrides compute_metrics may not take prepared references
        self._share_metrics = type(core).compute_metrics is TextEnv.compute_metrics
        self._metric_refs: list[dict[str, Any] | None] = [None] * n
        self._started = False
        self._renderer: TextRenderer | None = None
        if self.action_mode == "token":
            tok = core.tokenizer
            assert tok is not None
            self.tokenizer = tok
            p, r = core.max_prompt_tokens, core.max_response_tokens
            self._prompt_ids = np.full((n, p), tok.pad_id, dtype=np.int64)
            self._prompt_mask = np.zeros((n, p), dtype=np.int8)
            self._response_ids = np.full((n, r), tok.pad_id, dtype=np.int64)
            self._response_mask = np.zeros((n, r), dtype=np.int8)
            self._length = np.zeros(n, dtype=np.int64)
            self._legal = core._legal
            self._mask_rows = np.broadcast_to(core._base_mask, (n, core._base_mask.size))
            self._byte_table = tok.byte_table

    # -- reset -------------------------------------------------------------------------------
    def reset(
        self,
        *,
        seed: int | Sequence[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """Reset every sub-env (or those in ``options["reset_mask"]``); ``options`` may also
        hold the single env's ``split`` and ``index`` (one int, or one per sub-env)."""
        n = self.num_envs
        mask, seeds, base_seed, options = parse_reset(
            type(self).__name__, n, seed, options, more_options=True
        )
        if base_seed is not None:
            self._np_random, self._np_random_seed = seeding.np_random(base_seed)
        index = options.get("index")
        per_env: np.ndarray | None = None
        if index is not None and not isinstance(index, (int, np.integer)):
            per_env = np.asarray(index)
            if per_env.shape != (n,):
                raise ValueError(
                    f"options['index'] must be an int or a sequence of {n} ints (one per "
                    f"sub-environment), got shape {per_env.shape}"
                )
        envs = np.flatnonzero(mask).tolist()
        for i in envs:
            if seeds[i] is not None:
                self._rngs[i], _ = seeding.np_random(seeds[i])
        self._start(
            envs,
            [options if per_env is None else {**options, "index": per_env[i]} for i in envs],
        )
        self._started = True
        return self._observations(), self._infos(mask)

    def _start(self, envs: list[int], options: list[dict[str, Any] | None] | None = None) -> None:
        """Begin new episodes in the sub-envs ``envs`` (their generators already seeded, if
        asked); the references of examples not in the cache are prepared in one batch."""
        core = self.core
        picked = []
        for k, i in enumerate(envs):
            rng = self._rngs[i]
            if rng is None:
                rng, _ = seeding.np_random(None)
                self._rngs[i] = rng
            opts = None if options is None else options[k]
            picked.append(select_example(core.task, opts, rng, core.sample_split))
        ready = self._prepare([(split, int(index), ex) for split, index, ex in picked])
        for i, (split, index, example) in zip(envs, picked, strict=True):
            prepared = ready[split, int(index)]
            self._examples[i] = example
            self._splits[i], self._indices[i] = split, index
            self._ids[i], self._split_names[i] = example.id, split
            self._prepared[i] = prepared.reward
            self._metric_refs[i] = prepared.metrics
            self._hypotheses[i] = ""
            self._final[i] = {}
            if prepared.prompt is not None:
                ids, pmask, truncated = prepared.prompt
                self._prompt_ids[i] = ids
                self._prompt_mask[i] = pmask
                self._prompt_truncated[i] = truncated
            else:
                self._prompt_truncated[i] = len(example.prompt) > core.max_prompt_chars
        self._done[envs] = False
        self._score[envs] = 0.0
        self._last_reward[envs] = 0.0
        self._ended[envs] = False
        if self.action_mode == "token":
            self._response_ids[envs] = self.tokenizer.pad_id
            self._response_mask[envs] = 0
            self._length[envs] = 0

    def _prepare(self, wanted: list[tuple[str, int, Example]]) -> dict[tuple[str, int], _Prepared]:
        """The encoded prompts and prepared references of examples, from the LRU cache; the
        missing ones are prepared together (``prepare_batch`` of the reward)."""
        core = self.core
        ready: dict[tuple[str, int], _Prepared] = {}
        missing: dict[tuple[str, int], Example] = {}
        for split, index, example in wanted:
            key = (split, index)
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                ready[key] = hit
            elif key not in ready:
                missing[key] = example
        if missing:
            examples = list(missing.values())
            rewards = core.reward.prepare_batch([ex.references for ex in examples])
            for key, example, reward in zip(missing, examples, rewards, strict=True):
                prompt = None
                if self.action_mode == "token":
                    prompt = encode_prompt(self.tokenizer, example.prompt, core.max_prompt_tokens)
                metrics = core.prepare_metrics(example.references) if self._share_metrics else None
                ready[key] = self._cache[key] = _Prepared(prompt, reward, metrics)
            while len(self._cache) > self.example_cache_size:
                self._cache.popitem(last=False)
        return ready

    # -- step --------------------------------------------------------------------------------
    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step every sub-env with its action (autoreset as ``autoreset_mode`` says)."""
        name = type(self).__name__
        if not self._started:
            raise RuntimeError(f"{name}: call reset() before step()")
        n = self.num_envs
        if self.autoreset_mode == AutoresetMode.NEXT_STEP:
            resetting = self._done.copy()
        else:
            if self.autoreset_mode == AutoresetMode.DISABLED and self._done.any():
                i = int(np.flatnonzero(self._done)[0])
                raise RuntimeError(
                    f"{name}: sub-environment {i} has ended; with AutoresetMode.DISABLED call "
                    "reset(options={'reset_mask': mask}) before step()"
                )
            resetting = np.zeros(n, dtype=bool)
        stepping = ~resetting
        if self.action_mode == "token":
            reward, terminated, truncated, masked = self._step_tokens(actions, stepping)
        else:
            reward, terminated, truncated, masked = self._step_text(actions, stepping)
        done = terminated | truncated
        core = self.core
        self._ended |= done
        for i in np.flatnonzero(done).tolist():
            self._final[i] = core.episode_end_info(
                self._example(i), self._hypotheses[i], float(self._score[i]), bool(masked[i]),
                self._metric_refs[i],
            )  # fmt: skip
        if resetting.any():
            self._start(np.flatnonzero(resetting).tolist())
        infos: dict[str, Any] = {}
        if self.autoreset_mode == AutoresetMode.SAME_STEP and done.any():
            obs_done = self._observations()
            final_info: dict[str, Any] = {}
            for i in np.flatnonzero(done).tolist():
                self._add_info(infos, {"final_obs": self._single_obs(obs_done, i)}, i)
                final_info = self._add_info(final_info, self._single_info(i), i)
            self._start(np.flatnonzero(done).tolist())
            infos["final_info"] = final_info
            infos["_final_info"] = done.copy()
            self._done[:] = False
        else:
            self._done = done
        infos.update(self._infos(np.ones(n, dtype=bool)))
        return self._observations(), reward, terminated, truncated, infos

    def _step_tokens(
        self, actions: Any, stepping: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Append one token per stepping sub-env; score where a reward is due."""
        n, core = self.num_envs, self.core
        tokens = batched_discrete_actions(actions, n, int(self.tokenizer.vocab_size))
        masked = stepping & ~self._legal[tokens]
        terminated = stepping & ((tokens == self.tokenizer.eos_id) | masked)
        append = np.flatnonzero(stepping & ~terminated)
        position = self._length[append]
        self._response_ids[append, position] = tokens[append]
        self._response_mask[append, position] = 1
        self._length[append] = position + 1
        truncated = np.zeros(n, dtype=bool)
        truncated[append] = position + 1 >= core.max_response_tokens
        done = terminated | truncated
        dense = self.reward_mode == "dense"
        due = np.flatnonzero(stepping if dense else done)
        reward = np.zeros(n, dtype=np.float64)
        if due.size:
            hyps = [self._response_text(int(i)) for i in due]
            for i, h in zip(due, hyps, strict=True):
                self._hypotheses[i] = h
            score = core.reward.score_batch(hyps, [self._prepared[i] for i in due])
            gained = score - self._score[due] if dense else score
            reward[due] = gained * core.reward_scale
            self._score[due] = score
        self._last_reward[stepping] = reward[stepping]
        return reward, terminated, truncated, masked

    def _step_text(
        self, actions: Any, stepping: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Score one whole response per stepping sub-env; each of those episodes ends."""
        n, core = self.num_envs, self.core
        if isinstance(actions, (str, bytes)) or not isinstance(actions, (Sequence, np.ndarray)):
            raise InvalidActionError(
                f"actions must be a tuple of {n} strings (one response per sub-environment), "
                f"got {type(actions).__name__}"
            )
        if len(actions) != n:
            raise InvalidActionError(f"got {len(actions)} actions for {n} sub-environments")
        assert isinstance(self.single_action_space, spaces.Text)
        due = np.flatnonzero(stepping)
        hyps = []
        for i in due.tolist():
            try:
                hyps.append(text_action(actions[i], self.single_action_space))
            except InvalidActionError as exc:
                raise InvalidActionError(f"sub-environment {i}: {exc}") from None
        reward = np.zeros(n, dtype=np.float64)
        if due.size:
            for j, h in zip(due.tolist(), hyps, strict=True):
                self._hypotheses[j] = h
            score = core.reward.score_batch(hyps, [self._prepared[j] for j in due.tolist()])
            reward[due] = score * core.reward_scale
            self._score[due] = score
        self._last_reward[stepping] = reward[stepping]
        return reward, stepping.copy(), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)

    def _response_text(self, i: int) -> str:
        """The detokenized response of sub-env ``i``, as ``TextEnv.response_text`` gives it."""
        ids = self._response_ids[i, : self._length[i]]
        if self._byte_table is not None:
            table = self._byte_table
            return b"".join([table[t] for t in ids.tolist()]).decode("utf-8", errors="replace")
        return self.tokenizer.decode(ids.tolist())

    # -- observations, masks, infos ----------------------------------------------------------
    def _observations(self) -> Any:
        if self.action_mode == "text":
            limit = self.core.max_prompt_chars
            return tuple(self._example(i).prompt[:limit] for i in range(self.num_envs))
        return {
            "prompt_ids": self._prompt_ids.copy(),
            "prompt_mask": self._prompt_mask.copy(),
            "response_ids": self._response_ids.copy(),
            "response_mask": self._response_mask.copy(),
        }

    @staticmethod
    def _single_obs(batched: Any, i: int) -> Any:
        if isinstance(batched, dict):
            return {k: v[i] for k, v in batched.items()}
        return batched[i]

    def _example(self, i: int) -> Example:
        example = self._examples[i]
        if example is None:
            raise RuntimeError(f"{type(self).__name__}: call reset() first")
        return example

    def action_masks(self) -> np.ndarray:
        """Legal tokens per sub-env, shape ``(num_envs, vocab_size)``, bool."""
        if self.action_mode != "token":
            raise RuntimeError("action masks exist in token mode only")
        return np.broadcast_to(self._legal, (self.num_envs, self._legal.size)).copy()

    def _single_info(self, i: int) -> dict[str, Any]:
        """The info dict the single env would give for sub-env ``i``."""
        example = self._example(i)
        info: dict[str, Any] = {
            "example_id": example.id,
            "split": self._splits[i],
            "index": int(self._indices[i]),
            "prompt_truncated": bool(self._prompt_truncated[i]),
        }
        if self.action_mode == "token":
            info["action_mask"] = self.core._base_mask.copy()
        info.update(self._final[i])
        return info

    def _infos(self, where: np.ndarray) -> dict[str, Any]:
        """Batched infos of the sub-envs in ``where``, laid out as ``VectorEnv._add_info``
        lays out the single envs' infos (zeros / None and a False mask elsewhere)."""
        everywhere = bool(where.all())
        ids, splits = self._ids.copy(), self._split_names.copy()
        if not everywhere:
            ids[~where] = None
            splits[~where] = None
        infos: dict[str, Any] = {
            "example_id": ids,
            "_example_id": where.copy(),
            "split": splits,
            "_split": where.copy(),
            "index": np.where(where, self._indices, 0),
            "_index": where.copy(),
            "prompt_truncated": self._prompt_truncated & where,
            "_prompt_truncated": where.copy(),
        }
        if self.action_mode == "token":
            if everywhere:
                # the same row for every sub-env: a read-only view instead of N copies
                masks = self._mask_rows
            else:
                masks = np.array(self._mask_rows)
                masks[~where] = 0
            infos["action_mask"], infos["_action_mask"] = masks, where.copy()
        for i in np.flatnonzero(where & self._ended).tolist():
            self._add_info(infos, self._final[i], i)
        return infos

    # -- rendering ---------------------------------------------------------------------------
    def render(self) -> tuple[Any, ...] | None:
        """One frame (``rgb_array``) or text (``ansi``) per sub-env."""
        if self.render_mode is None:
            return None
        if self._renderer is None:
            self._renderer = TextRenderer(
                self.render_mode, self.metadata["render_fps"], self.core.title
            )
        frames = []
        for i in range(self.num_envs):
            example = self._example(i)
            response = (
                self._response_text(i) if self.action_mode == "token" else self._hypotheses[i]
            )
            final = float(self._score[i]) if self._final[i] else None
            panel = self.core.render_panel(
                example, self._splits[i], int(self._indices[i]), response,
                float(self._last_reward[i]), final,
            )  # fmt: skip
            frames.append(self._renderer.render(panel))
        return tuple(frames)

    def close_extras(self, **kwargs: Any) -> None:
        """Close the renderer and the template env."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        self.core.close()


class TranslateVectorEnv(TextVectorEnv):
    """``rlnlp/Translate-v0`` batched: takes ``TranslateEnv``'s arguments (``direction=``,
    ``dataset=`` ...) plus ``num_envs`` and ``autoreset_mode``; see ``TextVectorEnv``."""

    env_entry_point = "rl_nlp_envs.envs.translate.env:TranslateEnv"


class SummarizeVectorEnv(TextVectorEnv):
    """``rlnlp/Summarize-v0`` batched: takes ``SummarizeEnv``'s arguments plus ``num_envs``
    and ``autoreset_mode``; see ``TextVectorEnv``."""

    env_entry_point = "rl_nlp_envs.envs.summarize.env:SummarizeEnv"


class QAVectorEnv(TextVectorEnv):
    """``rlnlp/QA-v0`` batched (``answer_mode="generate"`` only): takes ``QAEnv``'s arguments
    plus ``num_envs`` and ``autoreset_mode``; see ``TextVectorEnv``."""

    env_entry_point = "rl_nlp_envs.envs.qa.env:QAEnv"

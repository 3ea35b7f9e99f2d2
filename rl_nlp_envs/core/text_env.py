"""``TextEnv``: one environment core for every text task, in token mode and in text mode."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from rl_nlp_envs.core.spaces import discrete_action, text_action, text_charset
from rl_nlp_envs.core.task import Example, Task
from rl_nlp_envs.core.tokenizer import Tokenizer, load_tokenizer
from rl_nlp_envs.render.text import TextPanel, TextRenderer

ACTION_MODES = ("token", "text")
REWARD_MODES = ("sparse", "dense")
RESET_OPTIONS = ("split", "index")

MaskFn = Callable[["TextEnv"], np.ndarray]


class _MetricAdapter:
    """Gives any reward callable the ``prepare`` / ``score_prepared`` pair of a ``Metric``."""

    def __init__(self, fn: Callable[[str, Sequence[str]], float]) -> None:
        self.fn = fn

    def prepare(self, references: Sequence[str]) -> Any:
        prepare = getattr(self.fn, "prepare", None)
        return prepare(references) if prepare is not None else tuple(references)

    def prepare_batch(self, references: Sequence[Sequence[str]]) -> list[Any]:
        """``prepare`` of many reference sets; one call of the reward's ``prepare_batch``
        when it has one (e.g. the semantic reward embeds them all at once)."""
        batched = getattr(self.fn, "prepare_batch", None)
        if callable(batched):
            out = list(batched([list(r) for r in references]))
            if len(out) != len(references):
                raise ValueError(
                    f"prepare_batch returned {len(out)} items for {len(references)} reference sets"
                )
            return out
        return [self.prepare(r) for r in references]

    def score_prepared(self, hypothesis: str, prepared: Any) -> float:
        score_prepared = getattr(self.fn, "score_prepared", None)
        if score_prepared is not None:
            return float(score_prepared(hypothesis, prepared))
        return float(self.fn(hypothesis, prepared))

    def score_batch(self, hypotheses: Sequence[str], prepared: Sequence[Any]) -> np.ndarray:
        """Score ``hypotheses[i]`` against ``prepared[i]`` in one call (float64 array).

        Uses the reward's own batched form when it has one (``score_prepared_batch``, or
        ``batch`` for a plain callable without ``prepare``), otherwise scores one by one."""
        batched = getattr(self.fn, "score_prepared_batch", None)
        if batched is None and getattr(self.fn, "prepare", None) is None:
            # without ``prepare`` the prepared references are the references themselves
            batched = getattr(self.fn, "batch", None)
        if callable(batched):
            out = np.asarray(batched(list(hypotheses), list(prepared)), dtype=np.float64)
        else:
            out = np.array(
                [self.score_prepared(h, p) for h, p in zip(hypotheses, prepared, strict=True)],
                dtype=np.float64,
            )
        if out.shape != (len(hypotheses),):
            raise ValueError(
                f"the batched reward returned shape {out.shape}; expected ({len(hypotheses)},)"
            )
        return out


def select_example(
    task: Task, options: Mapping[str, Any] | None, rng: np.random.Generator, sample_split: str
) -> tuple[str, int, Example]:
    """The example a reset starts on: ``options={"split": ..., "index": ...}`` picks one,
    otherwise one is drawn from ``split`` (default ``sample_split``) with ``rng``.
    Returns ``(split, index, example)``."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(RESET_OPTIONS))
    if unknown:
        raise ValueError(f"unknown reset option(s) {unknown}; allowed: {', '.join(RESET_OPTIONS)}")
    split = options.get("split", sample_split)
    if "index" in options and options["index"] is not None:
        index = (
            int(options["index"]) if isinstance(options["index"], np.integer) else options["index"]
        )
        example = task.select(split, index)
    else:
        index, example = task.sample(rng, split)
    return split, index, example


def encode_prompt(
    tokenizer: Tokenizer, prompt: str, max_tokens: int
) -> tuple[np.ndarray, np.ndarray, bool]:
    """The prompt as ``max_tokens`` int64 ids (left-aligned, padded with the pad id), its int8
    mask, and whether it was cut."""
    ids = tokenizer.encode(prompt)
    truncated = len(ids) > max_tokens
    ids = ids[:max_tokens]
    out = np.full(max_tokens, tokenizer.pad_id, dtype=np.int64)
    out[: len(ids)] = ids
    mask = np.zeros(max_tokens, dtype=np.int8)
    mask[: len(ids)] = 1
    return out, mask, truncated


class TextEnv(gym.Env[Any, Any]):
    """A text task as an environment: the agent writes a response to a prompt.

    ## Description
    Each episode serves one ``Example`` of a ``Task`` (a prompt and reference answers). The
    agent writes a response, token by token (``action_mode="token"``) or all at once
    (``action_mode="text"``), and is rewarded by a metric of the response against the
    references. Task environments (``Translate-v0`` ...) are configurations of this class.
    ``gymnasium.make_vec(id, num_envs=N)`` gives their native batched form
    (``rl_nlp_envs.core.text_vector.TextVectorEnv``: same trajectories, arrays per step).

    ## Action Space
    - ``"token"``: ``Discrete(vocab_size)``: the next token id of the tokenizer. The
      end-of-sequence token ends the response. Tokens that are never legal (padding,
      start-of-sequence and other special tokens) and tokens outside ``action_mask_fn``'s
      mask are marked 0 in ``action_masks()`` / ``info["action_mask"]``. Any action inside
      the space is accepted: a masked token ends the response like end-of-sequence (it is not
      appended) and sets ``info["masked_action"]``.
    - ``"text"``: ``Text(max_response_chars, charset)``: the whole response; one step.

    ## Observation Space
    - ``"token"``: ``Dict(prompt_ids, prompt_mask, response_ids, response_mask)``, fixed-length
      int64 ids and int8 masks, left-aligned and padded with the pad id; prompts longer than
      ``max_prompt_tokens`` are cut (``info["prompt_truncated"]``).
    - ``"text"``: ``Text(max_prompt_chars, charset)``: the prompt.

    ## Rewards
    ``reward_fn`` (a name from ``rl_nlp_envs.rewards.REWARDS`` or any
    ``(hypothesis, references) -> float`` callable) times ``reward_scale``. ``"sparse"``:
    the score of the finished response on the last step, 0 before. ``"dense"``: each step
    gets the change of the score of the detokenized response so far, so the rewards of an
    episode sum to its final score.

    ## Episode End
    Token mode: terminated by end-of-sequence (or a masked token); truncated when the
    response reaches ``max_response_tokens``. Text mode: after one step.

    ## Info
    At reset and every step: ``example_id``, ``split``, ``index``, ``prompt_truncated`` and
    (token mode) ``action_mask``. At the end also: ``hypothesis``, ``references``,
    ``metrics`` (every metric of the task), ``score`` (the reward metric, unscaled),
    ``masked_action`` and, where the task defines them, ``diagnostics``.

    ## Arguments
    ``task``, ``reward_fn``, ``metrics``, ``tokenizer`` (None: bundled), ``action_mode``,
    ``reward_mode``, ``max_prompt_tokens``, ``max_response_tokens``, ``max_prompt_chars``,
    ``max_response_chars``, ``action_mask_fn``, ``reward_scale``, ``sample_split``,
    ``render_mode``.
    """

    metadata = {"render_modes": ["human", "rgb_array", "ansi"], "render_fps": 4}

    def __init__(
        self,
        task: Task,
        reward_fn: str | Callable[[str, Sequence[str]], float] = "bleu",
        metrics: Mapping[str, Any] | None = None,
        tokenizer: Any = None,
        action_mode: str = "token",
        reward_mode: str = "sparse",
        max_prompt_tokens: int = 128,
        max_response_tokens: int = 64,
        max_prompt_chars: int | None = None,
        max_response_chars: int = 1000,
        action_mask_fn: MaskFn | None = None,
        reward_scale: float = 1.0,
        sample_split: str = "train",
        render_mode: str | None = None,
        title: str = "TextEnv",
    ) -> None:
        from rl_nlp_envs.rewards import get_reward

        if action_mode not in ACTION_MODES:
            raise ValueError(
                f"unknown action_mode {action_mode!r}; choose one of: {', '.join(ACTION_MODES)}"
            )
        if reward_mode not in REWARD_MODES:
            raise ValueError(
                f"unknown reward_mode {reward_mode!r}; choose one of: {', '.join(REWARD_MODES)}"
            )
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"unknown render_mode {render_mode!r}; choose one of: "
                f"{', '.join(self.metadata['render_modes'])} or None"
            )
        for name, value in (("max_prompt_tokens", max_prompt_tokens),
                            ("max_response_tokens", max_response_tokens),
                            ("max_response_chars", max_response_chars)):  # fmt: skip
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if action_mask_fn is not None and not callable(action_mask_fn):
            raise TypeError("action_mask_fn must be a callable env -> bool array of vocab_size")
        task.split(sample_split)
        self.task = task
        self.title = title
        self.action_mode = action_mode
        self.reward_mode = reward_mode
        self.reward_scale = float(reward_scale)
        self.sample_split = sample_split
        self.render_mode = render_mode
        self.reward_name = (
            reward_fn
            if isinstance(reward_fn, str)
            else getattr(reward_fn, "name", getattr(reward_fn, "__name__", "reward"))
        )
        # metrics are callables or reward names (resolved, so a typo fails here, not at the end)
        self.metrics: dict[str, Any] = {
            str(name): get_reward(fn) for name, fn in dict(metrics or {}).items()
        }
        # a reward named like one of the task's metrics is that metric, as the task configured it
        # (e.g. Translate-v0's BLEU with the zh tokenizer for Chinese targets)
        if isinstance(reward_fn, str) and reward_fn in self.metrics:
            self.reward = _MetricAdapter(self.metrics[reward_fn])
        else:
            self.reward = _MetricAdapter(get_reward(reward_fn))
        if self.reward_name not in self.metrics:
            self.metrics[self.reward_name] = self.reward.fn
        self.action_mask_fn = action_mask_fn
        self.max_prompt_tokens = max_prompt_tokens
        self.max_response_tokens = max_response_tokens

        if action_mode == "token":
            self.tokenizer: Tokenizer | None = load_tokenizer(tokenizer)
            vocab = self.tokenizer.vocab_size
            self.action_space: spaces.Space[Any] = spaces.Discrete(vocab)
            ids = lambda n: spaces.Box(0, vocab - 1, shape=(n,), dtype=np.int64)  # noqa: E731
            bits = lambda n: spaces.Box(0, 1, shape=(n,), dtype=np.int8)  # noqa: E731
            self.observation_space: spaces.Space[Any] = spaces.Dict(
                {
                    "prompt_ids": ids(max_prompt_tokens),
                    "prompt_mask": bits(max_prompt_tokens),
                    "response_ids": ids(max_response_tokens),
                    "response_mask": bits(max_response_tokens),
                }
            )
            self._base_mask = np.ones(vocab, dtype=np.int8)
            self._base_mask[self.tokenizer.never_legal] = 0
            self._legal = self._base_mask.astype(bool)
        else:
            self.tokenizer = load_tokenizer(tokenizer) if tokenizer is not None else None
            charset = text_charset("".join(sorted(set("".join(task.all_texts())))))
            longest = max(len(t) for t in task.all_texts())
            self.max_prompt_chars = max_prompt_chars or max(longest, 1)
            self.action_space = spaces.Text(max_response_chars, min_length=0, charset=charset)
            self.observation_space = spaces.Text(
                self.max_prompt_chars, min_length=0, charset=charset
            )
        self._example: Example | None = None
        self._renderer: TextRenderer | None = None
        self._done = False
        self._last_reward = 0.0

    # -- reset -------------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Start an episode on an example: ``options={"split": ..., "index": ...}`` picks one,
        otherwise one is drawn from ``sample_split`` with the env's generator."""
        super().reset(seed=seed)
        split, index, example = select_example(
            self.task, options, self.np_random, self.sample_split
        )
        self._example = example
        self._split, self._index = split, index
        self._prepared = self.reward.prepare(example.references)
        self._done = False
        self._response: list[int] = []
        self._response_bytes = bytearray()
        self._score_so_far = 0.0
        self._last_reward = 0.0
        self._final: dict[str, Any] = {}
        self._hypothesis = ""
        if self.action_mode == "token":
            assert self.tokenizer is not None
            self._prompt_ids, self._prompt_mask, self._prompt_truncated = encode_prompt(
                self.tokenizer, example.prompt, self.max_prompt_tokens
            )
            self._response_ids = np.full(
                self.max_response_tokens, self.tokenizer.pad_id, dtype=np.int64
            )
            self._response_mask = np.zeros(self.max_response_tokens, dtype=np.int8)
        else:
            self._prompt_truncated = len(example.prompt) > self.max_prompt_chars
        if self.render_mode == "human":
            self.render()
        return self._observation(), self._info()

    # -- step --------------------------------------------------------------------------------
    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Append one token (token mode) or answer (text mode)."""
        if self._example is None:
            raise RuntimeError(f"{self.title}: call reset() before step()")
        if self._done:
            raise RuntimeError(f"{self.title}: the episode has ended; call reset() before step()")
        if self.action_mode == "text":
            assert isinstance(self.action_space, spaces.Text)
            self._hypothesis = text_action(action, self.action_space)
            score = self.reward.score_prepared(self._hypothesis, self._prepared)
            return self._finish(score, score, terminated=True, truncated=False, masked=False)

        assert isinstance(self.action_space, spaces.Discrete) and self.tokenizer is not None
        token = discrete_action(action, self.action_space)
        masked = not (
            self._legal[token] if self.action_mask_fn is None else self.action_masks()[token]
        )
        if token == self.tokenizer.eos_id or masked:
            terminated, truncated = True, False
        else:
            position = len(self._response)
            self._response.append(token)
            self._response_ids[position] = token
            self._response_mask[position] = 1
            if self.tokenizer.byte_table is not None:
                self._response_bytes += self.tokenizer.byte_table[token]
            terminated, truncated = False, len(self._response) >= self.max_response_tokens
        done = terminated or truncated
        if self.reward_mode == "dense" or done:
            self._hypothesis = self.response_text
            score = self.reward.score_prepared(self._hypothesis, self._prepared)
        else:
            score = self._score_so_far
        if not done:
            reward = (score - self._score_so_far) if self.reward_mode == "dense" else 0.0
            self._score_so_far = score
            self._last_reward = reward * self.reward_scale
            if self.render_mode == "human":
                self.render()
            return self._observation(), self._last_reward, False, False, self._info()
        gained = score - self._score_so_far if self.reward_mode == "dense" else score
        return self._finish(score, gained, terminated, truncated, masked)

    def _finish(
        self, score: float, gained: float, terminated: bool, truncated: bool, masked: bool
    ) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        assert self._example is not None
        self._done = True
        self._score_so_far = score
        self._last_reward = gained * self.reward_scale
        self._final = self.episode_end_info(self._example, self._hypothesis, score, masked)
        if self.render_mode == "human":
            self.render()
        return self._observation(), self._last_reward, terminated, truncated, self._info()

    def episode_end_info(
        self,
        example: Example,
        hypothesis: str,
        score: float,
        masked: bool,
        prepared_metrics: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The ``info`` entries of a finished response to ``example`` (shared with the vector
        env): hypothesis, references, every metric, the reward score, ``masked_action`` and the
        task's diagnostics, if any. ``prepared_metrics`` (from ``prepare_metrics``) lets a
        caller that sees the same example often reuse the metrics' reference side."""
        refs = list(example.references)
        metrics = (
            self.compute_metrics(hypothesis, refs, score)
            if prepared_metrics is None
            else self.compute_metrics(hypothesis, refs, score, prepared=prepared_metrics)
        )
        out: dict[str, Any] = {
            "hypothesis": hypothesis,
            "references": refs,
            "metrics": metrics,
            "score": score,
            "masked_action": masked,
        }
        # diagnostics() of a task may read ``self.example``; the vector env calls this method
        # on a template env for many examples, so the example is set for the call
        current, self._example = self._example, example
        try:
            diagnostics = self.diagnostics(hypothesis, refs)
        finally:
            self._example = current
        if diagnostics:
            out["diagnostics"] = diagnostics
        return out

    def compute_metrics(
        self,
        hypothesis: str,
        references: list[str],
        score: float,
        prepared: Mapping[str, Any] | None = None,
    ) -> dict:
        """Every metric of the task on a finished response (the reward one is reused).
        ``prepared`` maps metric names to their prepared references (``prepare_metrics``)."""
        out = {}
        for name, fn in self.metrics.items():
            if name == self.reward_name:
                out[name] = score
            elif prepared is not None and name in prepared:
                out[name] = float(fn.score_prepared(hypothesis, prepared[name]))
            else:
                out[name] = float(fn(hypothesis, references))
        return out

    def prepare_metrics(self, references: Sequence[str]) -> dict[str, Any]:
        """The reference side of every metric (but the reward's) that has ``prepare`` and
        ``score_prepared``, for ``compute_metrics(..., prepared=...)``."""
        refs = tuple(references)
        return {
            name: fn.prepare(refs)
            for name, fn in self.metrics.items()
            if name != self.reward_name
            and callable(getattr(fn, "prepare", None))
            and callable(getattr(fn, "score_prepared", None))
        }

    def diagnostics(self, hypothesis: str, references: list[str]) -> dict[str, float]:
        """Task-specific statistics of a finished response (e.g. reward-hacking signs)."""
        return {}

    #: factor applied to the mean sentence metrics of ``corpus_metrics`` (100 prints percentages)
    corpus_scale: float = 1.0

    def corpus_metrics(
        self, hypotheses: Sequence[str], references: Sequence[Sequence[str]]
    ) -> dict[str, float]:
        """Metrics of a whole evaluation set; by default the mean of each sentence metric
        times ``corpus_scale``."""
        return {
            name: self.corpus_scale
            * float(np.mean([fn(h, list(r)) for h, r in zip(hypotheses, references, strict=True)]))
            for name, fn in self.metrics.items()
        }

    # -- observations, masks, infos ------------------------------------------------------------
    def _observation(self) -> Any:
        assert self._example is not None
        if self.action_mode == "text":
            return self._example.prompt[: self.max_prompt_chars]
        return {
            "prompt_ids": self._prompt_ids.copy(),
            "prompt_mask": self._prompt_mask.copy(),
            "response_ids": self._response_ids.copy(),
            "response_mask": self._response_mask.copy(),
        }

    def action_masks(self) -> np.ndarray:
        """Legal tokens (bool, vocab_size): never-legal specials off, then ``action_mask_fn``."""
        if self.action_mode != "token":
            raise RuntimeError("action masks exist in token mode only")
        if self.action_mask_fn is None:
            return self._legal.copy()
        mask = self._legal.copy()
        if self._example is not None:
            user = np.asarray(self.action_mask_fn(self), dtype=bool)
            if user.shape != mask.shape:
                raise ValueError(
                    f"action_mask_fn returned shape {user.shape}; expected {mask.shape}"
                )
            mask &= user
            assert self.tokenizer is not None
            mask[self.tokenizer.eos_id] = True
        return mask

    def _info(self) -> dict[str, Any]:
        assert self._example is not None
        info: dict[str, Any] = {
            "example_id": self._example.id,
            "split": self._split,
            "index": self._index,
            "prompt_truncated": self._prompt_truncated,
        }
        if self.action_mode == "token":
            info["action_mask"] = (
                self._base_mask.copy()
                if self.action_mask_fn is None
                else self.action_masks().astype(np.int8)
            )
        info.update(self._final)
        return info

    @property
    def example(self) -> Example:
        """The example of the current episode."""
        if self._example is None:
            raise RuntimeError(f"{self.title}: call reset() first")
        return self._example

    @property
    def response_text(self) -> str:
        """The response so far, detokenized."""
        if self.action_mode == "token" and self.tokenizer is not None:
            if self.tokenizer.byte_table is not None:
                return self._response_bytes.decode("utf-8", errors="replace")
            return self.tokenizer.decode(self._response)
        return self._hypothesis

    # -- rendering ---------------------------------------------------------------------------
    def render(self) -> Any:
        """Prompt, response so far, references and reward."""
        if self.render_mode is None:
            gym.logger.warn(f"{self.title}: render() called without a render_mode")
            return None
        panel = self.render_panel(
            self.example, self._split, self._index, self.response_text, self._last_reward,
            self._score_so_far if self._done else None,
        )  # fmt: skip
        if self._renderer is None:
            self._renderer = TextRenderer(self.render_mode, self.metadata["render_fps"], self.title)
        return self._renderer.render(panel)

    def render_panel(
        self,
        example: Example,
        split: str,
        index: int,
        response: str,
        last_reward: float,
        final_score: float | None,
    ) -> TextPanel:
        """What ``render`` shows of an episode (shared with the vector env)."""
        status = f"reward {last_reward:+.3f}"
        if final_score is not None:
            status += f"   final {self.reward_name} {final_score:.2f}"
        return TextPanel(
            title=f"{self.title}  [{split} #{index}: {example.id}]",
            sections=[
                ("Prompt", example.prompt),
                ("Response", response),
                ("References", "\n".join(example.references)),
            ],
            status=status,
        )

    def close(self) -> None:
        """Close the window, if any; safe to call twice."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

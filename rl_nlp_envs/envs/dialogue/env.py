"""``rlnlp/Dialogue-v0``: serve a simulated customer with a hidden goal (thin Gymnasium shell)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from rl_nlp_envs.core.spaces import default_charset, discrete_action, text_action
from rl_nlp_envs.core.tokenizer import Tokenizer, load_tokenizer
from rl_nlp_envs.envs.dialogue.database import Database
from rl_nlp_envs.envs.dialogue.nlu import SystemNLU
from rl_nlp_envs.envs.dialogue.ontology import SYSTEM_ACTIONS, action_name
from rl_nlp_envs.envs.dialogue.session import CUSTOMER, SPLIT_SIZES, Dialogue, goal_for
from rl_nlp_envs.envs.dialogue.tracker import FEATURE_NAMES, N_FEATURES
from rl_nlp_envs.render.text import TextPanel, TextRenderer

ACTION_MODES = ("act", "text", "token")
RESET_OPTIONS = ("split", "index")


@lru_cache(maxsize=1)
def _bundled() -> tuple[Database, SystemNLU]:
    db = Database()
    return db, SystemNLU(db)


class DialogueEnv(gym.Env[Any, Any]):
    """A customer-service agent serving a simulated customer who has a hidden goal.

    ## Description
    Each episode a customer with a hidden goal contacts the agent: find (and maybe book) a
    restaurant or hotel that matches their constraints, find an attraction and ask about it,
    track or return one of their orders, or change one or two details (day, time, number of
    people) of one of their existing table bookings, which the agent finds by its reference
    and changes. The bundled database of the invented city of Vellmar holds 180 restaurants,
    120 hotels and 80 attractions; the customer's orders and bookings are generated per
    episode. The customer is an agenda-based simulator (as in PyDial /
    ConvLab): it states constraints, answers the agent's questions, rejects unsuitable offers,
    asks for details, corrects wrong bookings and wrong changes, changes its mind once in some
    goals (after an offer, or when told that nothing matches) and gives up when the
    conversation drags. Its words come from a
    template generator with several phrasings per act. Goals are numbered per split
    (``train`` 100,000, ``validation`` 1,000, ``test`` 1,000) and reproducible.

    ## Action Space
    - ``"act"`` (default): ``Discrete(42)``, the system's dialogue acts flattened as act x
      slot: ``request(slot)`` and ``confirm(slot)`` for 13 slots, ``offer`` (the first entity
      matching the belief, or a no-match if there is none; in the booking domain, the
      customer's booking with the believed reference), ``inform(slot)`` of the offered
      entity for 10 slots, ``nomatch``, ``book``, ``change_booking`` (change the offered
      booking to the believed new details), ``reqmore``, ``goodbye``. ``action_name(i)``
      of ``rl_nlp_envs.envs.dialogue.ontology`` names them. ``action_masks()`` and
      ``info["action_mask"]`` mark the acts that make sense in the customer's domain (advisory:
      every act is accepted).
    - ``"text"``: ``Text(max_reply_chars)``: the agent's reply, read by a rule-based
      understanding module (``nlu.SystemNLU``) into acts, so any LLM can play.
    - ``"token"``: ``Discrete(vocab_size)`` of the bundled (or given) tokenizer: one token of
      the reply per step; end-of-sequence (or ``max_reply_tokens``) ends the turn.
      ``action_masks()`` and ``info["action_mask"]`` mark legal tokens.

    ## Observation Space
    - ``"act"``: ``Box(0, 1, (48,), float32)``: the belief state (domain, which slots are known,
      which details were requested, number of matching entities, offer and booking status,
      the customer's last reaction, turn bucket); ``FEATURE_NAMES`` names each position.
    - ``"text"``: ``Text(max_conversation_chars)``: the conversation so far,
      ``"Customer: ..."`` / ``"Agent: ..."`` lines (the most recent characters if too long).
    - ``"token"``: ``Dict(conversation_ids, conversation_mask, reply_ids, reply_mask)``:
      int64 ids and int8 masks, left-aligned and padded; the conversation keeps its most
      recent ``max_context_tokens`` tokens.

    ## Rewards
    ``-turn_penalty`` (1) for every agent turn (token mode: on the step that ends the turn, 0
    on the other steps), plus ``success_reward`` (20) at the end if the goal was met: an entity
    satisfying the customer's final constraints was offered, booked (or its return started)
    with the right details if asked, and every detail the customer asked for was told; for a
    change of booking, the customer's booking ends with every detail they wanted. Failure
    adds 0.

    ## Starting State
    The customer's opening turn (the domain and maybe a constraint or two).

    ## Episode End
    Terminated when the customer says goodbye (goal met) or gives up, or when the agent says
    goodbye. Truncated after ``max_turns`` agent turns.

    ## Info
    Every step: ``turn``, ``user_acts`` and ``system_acts`` (as strings), ``user_text``
    (act and token mode: ``action_mask``). At the end also ``success``, ``turns``, ``goal`` (the
    customer's goal as a dict, after any change of mind), ``outcome`` (``"bye"``,
    ``"giveup"``, ``"goodbye"`` or ``"truncated"``) and ``score`` (1.0 on success, else 0.0).

    ## Arguments
    ``action_mode`` (``"act"``, ``"text"``, ``"token"``), ``database`` (None: bundled; a
    ``Database`` or a JSON file), ``tokenizer`` (token mode; None: bundled), ``max_turns``
    (30), ``patience`` ((low, high) turns the customer waits, drawn per episode; (15, 25)),
    ``max_unhelpful`` ((low, high); (3, 6)), ``change_rate`` (0.3: goals with a change of
    mind), ``success_reward`` (20), ``turn_penalty`` (1), ``max_reply_chars`` (500),
    ``max_conversation_chars`` (4000), ``max_context_tokens`` (256), ``max_reply_tokens``
    (48), ``sample_split`` (``"train"``), ``render_mode``.

    ## Version History
    - v0: initial version.
    """

    metadata = {"render_modes": ["human", "rgb_array", "ansi"], "render_fps": 2}

    def __init__(
        self,
        action_mode: str = "act",
        database: Database | str | Path | None = None,
        tokenizer: Any = None,
        max_turns: int = 30,
        patience: tuple[int, int] = (15, 25),
        max_unhelpful: tuple[int, int] = (3, 6),
        change_rate: float = 0.3,
        success_reward: float = 20.0,
        turn_penalty: float = 1.0,
        max_reply_chars: int = 500,
        max_conversation_chars: int = 4000,
        max_context_tokens: int = 256,
        max_reply_tokens: int = 48,
        sample_split: str = "train",
        render_mode: str | None = None,
    ) -> None:
        if action_mode not in ACTION_MODES:
            raise ValueError(
                f"unknown action_mode {action_mode!r}; choose one of: {', '.join(ACTION_MODES)}"
            )
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"unknown render_mode {render_mode!r}; choose one of: "
                f"{', '.join(self.metadata['render_modes'])} or None"
            )
        if sample_split not in SPLIT_SIZES:
            raise ValueError(
                f"unknown sample_split {sample_split!r}; choose one of: {', '.join(SPLIT_SIZES)}"
            )
        for name, value in (("max_turns", max_turns), ("max_reply_chars", max_reply_chars),
                            ("max_conversation_chars", max_conversation_chars),
                            ("max_context_tokens", max_context_tokens),
                            ("max_reply_tokens", max_reply_tokens)):  # fmt: skip
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        for name, pair in (("patience", patience), ("max_unhelpful", max_unhelpful)):
            if (
                len(tuple(pair)) != 2
                or not all(isinstance(v, int) for v in pair)
                or not 1 <= pair[0] <= pair[1]
            ):
                raise ValueError(
                    f"{name} must be (low, high) ints with 1 <= low <= high, got {pair}"
                )
        if not 0.0 <= change_rate <= 1.0:
            raise ValueError(f"change_rate must be in [0, 1], got {change_rate}")
        if database is None:
            self.db, self.nlu = _bundled()
        else:
            self.db = database if isinstance(database, Database) else Database.from_file(database)
            self.nlu = SystemNLU(self.db)
        self.action_mode = action_mode
        self.render_mode = render_mode
        self.max_turns = max_turns
        self.patience = (int(patience[0]), int(patience[1]))
        self.max_unhelpful = (int(max_unhelpful[0]), int(max_unhelpful[1]))
        self.change_rate = float(change_rate)
        self.success_reward = float(success_reward)
        self.turn_penalty = float(turn_penalty)
        self.sample_split = sample_split
        self.max_conversation_chars = max_conversation_chars
        self.max_context_tokens = max_context_tokens
        self.max_reply_tokens = max_reply_tokens
        self.tokenizer: Tokenizer | None = None
        if action_mode == "act":
            self.action_space: spaces.Space[Any] = spaces.Discrete(len(SYSTEM_ACTIONS))
            self.observation_space: spaces.Space[Any] = spaces.Box(
                0.0, 1.0, shape=(N_FEATURES,), dtype=np.float32
            )
        elif action_mode == "text":
            charset = default_charset()
            self.action_space = spaces.Text(max_reply_chars, min_length=0, charset=charset)
            self.observation_space = spaces.Text(
                max_conversation_chars, min_length=0, charset=charset
            )
        else:
            self.tokenizer = load_tokenizer(tokenizer)
            vocab = self.tokenizer.vocab_size
            self.action_space = spaces.Discrete(vocab)
            ids = lambda n: spaces.Box(0, vocab - 1, shape=(n,), dtype=np.int64)  # noqa: E731
            bits = lambda n: spaces.Box(0, 1, shape=(n,), dtype=np.int8)  # noqa: E731
            self.observation_space = spaces.Dict(
                {
                    "conversation_ids": ids(max_context_tokens),
                    "conversation_mask": bits(max_context_tokens),
                    "reply_ids": ids(max_reply_tokens),
                    "reply_mask": bits(max_reply_tokens),
                }
            )
            self._legal = np.ones(vocab, dtype=bool)
            self._legal[self.tokenizer.never_legal] = False
        self.dialogue: Dialogue | None = None
        self._done = False
        self._renderer: TextRenderer | None = None
        self._last_reward = 0.0
        self._return = 0.0
        self._final: dict[str, Any] = {}

    # -- reset -------------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Start a conversation: goal ``options={"split", "index"}``, else a random goal of
        ``sample_split``."""
        super().reset(seed=seed)
        options = dict(options or {})
        unknown = sorted(set(options) - set(RESET_OPTIONS))
        if unknown:
            raise ValueError(
                f"unknown reset option(s) {unknown}; allowed: {', '.join(RESET_OPTIONS)}"
            )
        split = options.get("split", self.sample_split)
        if split not in SPLIT_SIZES:
            raise ValueError(f"unknown split {split!r}; choose one of: {', '.join(SPLIT_SIZES)}")
        index = options.get("index")
        if index is None:
            index = int(self.np_random.integers(SPLIT_SIZES[split]))
        goal = goal_for(self.db, split, index, self.change_rate)
        rng = np.random.default_rng(int(self.np_random.integers(2**63 - 1)))
        patience = int(rng.integers(self.patience[0], self.patience[1] + 1))
        unhelpful = int(rng.integers(self.max_unhelpful[0], self.max_unhelpful[1] + 1))
        self.dialogue = Dialogue(self.db, goal, rng, self.nlu, patience, unhelpful)
        self.split, self.index = split, int(index)
        self.dialogue.start()
        self._done = False
        self._last_reward = 0.0
        self._return = 0.0
        self._final = {}
        self._reply: list[int] = []
        if self.action_mode == "token":
            self._encode_conversation()
        if self.render_mode == "human":
            self.render()
        return self._observation(), self._info()

    # -- step --------------------------------------------------------------------------------
    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """One agent turn (act and text mode) or one token of the reply (token mode)."""
        if self.dialogue is None:
            raise RuntimeError("Dialogue-v0: call reset() before step()")
        if self._done:
            raise RuntimeError("Dialogue-v0: the episode has ended; call reset() before step()")
        d = self.dialogue
        if self.action_mode == "act":
            assert isinstance(self.action_space, spaces.Discrete)
            acts = d.acts_for_action(discrete_action(action, self.action_space))
            return self._turn(acts, None)
        if self.action_mode == "text":
            assert isinstance(self.action_space, spaces.Text)
            reply = text_action(action, self.action_space)
            return self._turn(d.acts_for_text(reply), reply)
        assert isinstance(self.action_space, spaces.Discrete) and self.tokenizer is not None
        token = discrete_action(action, self.action_space)
        if token != self.tokenizer.eos_id and self._legal[token]:
            self._reply.append(token)
            if len(self._reply) < self.max_reply_tokens:
                self._last_reward = 0.0
                if self.render_mode == "human":
                    self.render()
                return self._observation(), 0.0, False, False, self._info()
        reply = self.tokenizer.decode(self._reply)
        self._reply = []
        return self._turn(d.acts_for_text(reply), reply)

    def _turn(
        self, acts: list[Any], reply: str | None
    ) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        d = self.dialogue
        assert d is not None
        d.system_turn(acts, reply)
        reward = -self.turn_penalty
        terminated = d.over
        truncated = not terminated and d.turns >= self.max_turns
        if terminated or truncated:
            self._done = True
            success = d.success
            reward += self.success_reward if success else 0.0
            self._final = {
                "success": success,
                "turns": d.turns,
                "goal": {**d.goal.as_dict(), "constraints": dict(d.user.constraints)},
                "outcome": d.outcome or "truncated",
                "score": float(success),
            }
        self._last_reward = reward
        self._return += reward
        if self.action_mode == "token":
            self._encode_conversation()
        if self.render_mode == "human":
            self.render()
        return self._observation(), reward, terminated, truncated, self._info()

    # -- observations ------------------------------------------------------------------------
    def _encode_conversation(self) -> None:
        assert self.tokenizer is not None and self.dialogue is not None
        ids = self.tokenizer.encode(self.dialogue.conversation() + "\n" + "Agent:")
        ids = ids[-self.max_context_tokens :]
        n = self.max_context_tokens
        self._conv_ids = np.full(n, self.tokenizer.pad_id, dtype=np.int64)
        self._conv_ids[: len(ids)] = ids
        self._conv_mask = np.zeros(n, dtype=np.int8)
        self._conv_mask[: len(ids)] = 1

    def _observation(self) -> Any:
        d = self.dialogue
        assert d is not None
        if self.action_mode == "act":
            return d.tracker.features()
        if self.action_mode == "text":
            return d.conversation()[-self.max_conversation_chars :]
        assert self.tokenizer is not None
        reply_ids = np.full(self.max_reply_tokens, self.tokenizer.pad_id, dtype=np.int64)
        reply_ids[: len(self._reply)] = self._reply
        reply_mask = np.zeros(self.max_reply_tokens, dtype=np.int8)
        reply_mask[: len(self._reply)] = 1
        return {
            "conversation_ids": self._conv_ids.copy(),
            "conversation_mask": self._conv_mask.copy(),
            "reply_ids": reply_ids,
            "reply_mask": reply_mask,
        }

    def action_masks(self) -> np.ndarray:
        """Act mode: the acts that make sense in the believed domain (advisory: every act is
        accepted). Token mode: legal tokens (special tokens other than end-of-sequence off)."""
        if self.action_mode == "text":
            raise RuntimeError("action masks exist in act and token mode only")
        if self.action_mode == "act":
            if self.dialogue is None:
                raise RuntimeError("Dialogue-v0: call reset() before action_masks()")
            return self.dialogue.action_mask()
        return self._legal.copy()

    def _info(self) -> dict[str, Any]:
        d = self.dialogue
        assert d is not None
        info: dict[str, Any] = {
            "turn": d.turns,
            "split": self.split,
            "index": self.index,
            "user_acts": [str(a) for a in d.last_user_acts],
            "system_acts": [str(a) for a in d.last_system_acts],
            "user_text": d.transcript[-1][1] if d.transcript[-1][0] == CUSTOMER else "",
        }
        if self.action_mode == "token":
            info["action_mask"] = self._legal.astype(np.int8)
        elif self.action_mode == "act":
            info["action_mask"] = d.action_mask().astype(np.int8)
        info.update(self._final)
        return info

    # -- rendering ---------------------------------------------------------------------------
    def render(self) -> Any:
        """The transcript, the customer's hidden goal and the reward."""
        if self.render_mode is None:
            gym.logger.warn("Dialogue-v0: render() called without a render_mode")
            return None
        if self.dialogue is None:
            raise RuntimeError("Dialogue-v0: call reset() before render()")
        d = self.dialogue
        lines = [f"{who}: {text}" for who, text in d.transcript[-10:]]
        sections = [("Customer goal (hidden from the agent)", d.goal.describe()),
                    ("Conversation", "\n".join(lines))]  # fmt: skip
        if self.action_mode == "token" and self._reply and self.tokenizer is not None:
            sections.append(("Reply so far", self.tokenizer.decode(self._reply)))
        status = f"turn {d.turns}   reward {self._last_reward:+.0f}   return {self._return:+.0f}"
        if self._done:
            status += f"   {'SUCCESS' if d.success else 'failure'} ({d.outcome or 'truncated'})"
        panel = TextPanel(
            title=f"Dialogue-v0  [{self.split} #{self.index}: {d.goal.domain}]",
            sections=sections,
            status=status,
        )
        if self._renderer is None:
            self._renderer = TextRenderer(
                self.render_mode, self.metadata["render_fps"], "Dialogue-v0"
            )
        return self._renderer.render(panel)

    def close(self) -> None:
        """Close the window, if any; safe to call twice."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


__all__ = ["FEATURE_NAMES", "DialogueEnv", "action_name"]

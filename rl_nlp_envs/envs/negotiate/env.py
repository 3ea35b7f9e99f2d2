"""Negotiate-v0 as PettingZoo environments: the AEC ``raw_env`` and the native ``parallel_env``.

Both are thin shells over ``logic.Negotiation`` (the rules) and ``language`` (messages); the
shared bookkeeping (spaces, observations, masks, messages, rendering) lives in ``_Session``.
"""

from __future__ import annotations

import string
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv, ParallelEnv

from rl_nlp_envs.envs.negotiate.language import describe, parse, realize
from rl_nlp_envs.envs.negotiate.logic import (
    DECISIONS,
    PROPOSE,
    GameConfig,
    Move,
    Negotiation,
    decision_mask,
    encode_observation,
    observation_high,
    observation_size,
    rest,
    sample_scenario,
)

AGENTS = ("negotiator_0", "negotiator_1")
ACTION_MODES = ("structured", "text")
ILLEGAL_ACTIONS = ("penalize", "raise")
RENDER_MODES = ("human", "rgb_array", "ansi")
CHARSET = string.ascii_letters + string.digits + string.punctuation + " \n"
MESSAGE_MAX_LENGTH = 200
DIALOGUE_MAX_LENGTH = 4000

_DOC = """
## Description

Two agents bargain over a pool of items (by default books, hats and balls, 1-4 of each,
5-7 in all), as in *Deal or No Deal?* (Lewis et al., 2017). Each agent has private values
per item type, drawn per episode so that the whole pool is worth 10 to each of them; every
item type is worth something to someone and at least one to both. Agents take turns: a
move proposes a split (what the mover keeps; the other gets the rest), accepts the other
agent's standing proposal, or ends the game without a deal. ``max_turns`` moves without
agreement end it too. The rules live in ``rl_nlp_envs.envs.negotiate.logic``; this class is
a thin PettingZoo shell.

Every move is also a message in a shared dialogue: in ``"structured"`` mode the env writes
it with a template NLG (varied wording), in ``"text"`` mode the agents write it themselves and
a rule-based parser reads it (``rl_nlp_envs.envs.negotiate.language``).

## Action Space

``"structured"`` (default): ``MultiDiscrete([3, max_count + 1, ..., max_count + 1])``, i.e.
``[decision, keep_0, ..., keep_{n-1}]``: decision 0 proposes that the mover keeps ``keep_i``
items of type ``i`` (the rest go to the other agent), 1 accepts the standing proposal, 2 ends
without a deal. The keep counts are ignored unless the decision is 0. Legal actions come in
``info["action_mask"]``: a tuple of one int8 mask per dimension (Gymnasium's mask format for
``MultiDiscrete.sample``): accepting is legal only when the other agent's proposal stands,
keeping ``k`` of type ``i`` only when ``k <= counts[i]``.

``"text"``: ``Text(1, 200)`` over printable ASCII: a message such as "I'll take the books and
a hat, you get the balls", "deal" or "no deal". A message the parser cannot read (its reason
is in ``info["parse_error"]``) is shown to the other agent and the turn passes.

An action that is not in the action space raises a ValueError. A legal-looking action the
rules forbid (accepting with no proposal on the table, keeping more items than exist) ends
the game with ``illegal_reward`` for the offender and 0 for the other agent
(``illegal_action="penalize"``, PettingZoo classic's convention), or raises a ValueError
(``illegal_action="raise"``).

## Observation Space

``"structured"``: ``Box(0, high, (4n + 10,), float32)``, with n item types: the counts, the
agent's own values, what it would get under the standing proposal, what it kept in its own
latest proposal, flags (a proposal stands; it is the other agent's; the agent has proposed;
it is the agent's turn), turns left, whether it moved first, the worth to it of the
standing proposal, of its own latest one and of the other agent's previous one, and how many
proposals the other agent has made (``logic.encode_observation``). The other
agent's values are never shown.

``"text"``: ``Dict(observation=<the Box above>, dialogue=Text(1, 4000))``: the dialogue is the
pool, the agent's values and the messages so far, from the agent's point of view ("You:",
"Them:"), with its last 4000 characters kept.

## Rewards

When the game ends each agent gets its own value of the agreed split (0-10), or 0 without
agreement (``illegal_reward`` for an agent that broke the rules). All other steps give 0.

## Starting State

A pool and a value pair drawn uniformly among the valid ones
(``logic.sample_scenario``), and a random first mover, all from the ``reset`` seed.

## Episode End

Termination: an acceptance (agreement), an ending ("no deal"), ``max_turns`` moves without
agreement (the limit is part of the game and visible in the observation, so it is a
termination, not a truncation) or an illegal action under ``"penalize"``. The final ``info``
of both agents has ``outcome`` (``"agreement"``, ``"no_deal"``, ``"turn_limit"``,
``"illegal"``), ``points`` (both agents' scores), ``deal`` (items per agent or None) and
``values`` (both agents' values, revealed at the end).

## Arguments

- ``action_mode``: ``"structured"`` (default) or ``"text"``.
- ``items``: item type names (default ``("book", "hat", "ball")``).
- ``max_turns``: moves before the game ends without a deal (default 10).
- ``min_count`` / ``max_count`` / ``min_total`` / ``max_total`` / ``total_value``: pool sizes
  and the value budget (defaults 1 / 4 / 5 / 7 / 10).
- ``illegal_action``: ``"penalize"`` (default) or ``"raise"``; ``illegal_reward`` (default -1).
- ``render_mode``: ``"human"``, ``"rgb_array"`` or ``"ansi"``.

``reset(seed=..., options=...)``: the seed fixes the pool, the values, the first mover and
the NLG wording; ``options`` is accepted for API compatibility and not used.

## Version History

- v0: initial version.
"""


class _Session:
    """Everything both APIs share: config, spaces, the game, the dialogue and rendering."""

    def __init__(
        self,
        action_mode: str,
        config: GameConfig,
        illegal_action: str,
        illegal_reward: float,
        render_mode: str | None,
    ) -> None:
        if action_mode not in ACTION_MODES:
            raise ValueError(f"action_mode must be one of {ACTION_MODES}, got {action_mode!r}")
        if illegal_action not in ILLEGAL_ACTIONS:
            raise ValueError(
                f"illegal_action must be one of {ILLEGAL_ACTIONS}, got {illegal_action!r}"
            )
        if render_mode is not None and render_mode not in RENDER_MODES:
            raise ValueError(
                f"render_mode must be one of {RENDER_MODES} or None, got {render_mode!r}"
            )
        self.action_mode = action_mode
        self.config = config
        self.illegal_action = illegal_action
        self.illegal_reward = float(illegal_reward)
        self.render_mode = render_mode
        n = config.num_items
        vector = spaces.Box(0.0, observation_high(config), (observation_size(n),), np.float32)
        self.action_space: gymnasium.Space[Any]
        self.observation_space: gymnasium.Space[Any]
        if action_mode == "structured":
            self.action_space = spaces.MultiDiscrete([3] + [config.max_count + 1] * n)
            self.observation_space = vector
        else:
            self.action_space = spaces.Text(MESSAGE_MAX_LENGTH, min_length=1, charset=CHARSET)
            self.observation_space = spaces.Dict(
                {
                    "observation": vector,
                    "dialogue": spaces.Text(DIALOGUE_MAX_LENGTH, min_length=1, charset=CHARSET),
                }
            )
        self.rng = np.random.default_rng()
        self.game: Negotiation | None = None
        # (speaker, message as written, reading of it or None, parse error)
        self.transcript: list[tuple[int, str, Move | None, str]] = []
        self._renderer: Any = None

    # --- episode -------------------------------------------------------------------------------

    def reset(self, seed: int | None) -> None:
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        scenario = sample_scenario(self.rng, self.config)
        first = int(self.rng.integers(2))
        self.game = Negotiation(scenario, self.config.max_turns, current=first)
        self.transcript = []

    @property
    def g(self) -> Negotiation:
        if self.game is None:
            raise RuntimeError("call reset() before step(), observe() or render()")
        return self.game

    def play(self, player: int, action: Any) -> dict[str, Any]:
        """Apply the action of ``player`` (the one to move); returns step notes for its info."""
        game = self.g
        if not self.action_space.contains(action):
            raise ValueError(self._space_error(action))
        notes: dict[str, Any] = {}
        if self.action_mode == "structured":
            arr = np.asarray(action, dtype=np.int64)
            kind = int(arr[0])
            move = Move(kind, tuple(int(k) for k in arr[1:]) if kind == PROPOSE else None)
            reason = game.illegal_reason(move)
            if reason is None:
                message = realize(move, game.scenario.counts, self.config.items, self.rng)
                self.transcript.append((player, message, move, ""))
        else:
            message = str(action)
            reading = parse(message, game.scenario.counts, self.config.items)
            if reading.move is None:
                self.transcript.append((player, message, None, reading.reason))
                notes["parse_error"] = reading.reason
                game.pass_turn()
                return notes
            move = reading.move
            reason = game.illegal_reason(move)
            understood = move if reason is None else None
            self.transcript.append((player, message, understood, reason or ""))
        if reason is not None:
            if self.illegal_action == "raise":
                raise ValueError(
                    f"illegal action {action!r} by {AGENTS[player]}: {reason}; legal actions "
                    f"are given by info['action_mask']"
                )
            game.forfeit(player)
            notes["illegal"] = reason
            return notes
        game.play(move)
        notes["move"] = DECISIONS[move.kind]
        return notes

    def _space_error(self, action: Any) -> str:
        if self.action_mode == "text":
            return (
                f"action must be a string of 1-{MESSAGE_MAX_LENGTH} printable ASCII characters, "
                f"got {action!r}"
            )
        return (
            f"action {action!r} is not in {self.action_space}: expected "
            f"[decision, keep_{', keep_'.join(self.config.items)}] with decision 0 (propose), "
            f"1 (accept) or 2 (end) and counts 0-{self.config.max_count}"
        )

    def rewards(self) -> list[float]:
        game = self.g
        if game.outcome == "illegal":
            return [self.illegal_reward if p == game.offender else 0.0 for p in (0, 1)]
        return [float(x) for x in game.points()]

    # --- what agents see -----------------------------------------------------------------------

    def action_mask(self, player: int) -> tuple[np.ndarray, ...]:
        """Per-dimension int8 masks; the waiting agent's action is ignored (decision: propose)."""
        game = self.g
        decisions = decision_mask(game, player)
        if not game.done and game.current != player:
            decisions = np.array([1, 0, 0], dtype=np.int8)
        if game.done:
            decisions = np.array([1, 0, 0], dtype=np.int8)
        keeps = tuple(
            (np.arange(self.config.max_count + 1) <= c).astype(np.int8)
            for c in game.scenario.counts
        )
        return (decisions, *keeps)

    def observe(self, player: int) -> Any:
        vector = encode_observation(self.g, player)
        if self.action_mode == "structured":
            return vector
        return {"observation": vector, "dialogue": self.dialogue(player)}

    def dialogue(self, player: int) -> str:
        game = self.g
        names = self.config.items
        counts = game.scenario.counts
        values = game.scenario.values[player]
        pool = describe(counts, counts, names, 0)
        worth = ", ".join(f"{n} {v}" for n, v in zip(names, values, strict=True))
        lines = [
            f"Items: {pool}. Your values: {worth} (all together "
            f"{self.config.total_value}). Turns left: {max(0, game.max_turns - game.turn)}."
        ]
        for speaker, message, _, _ in self.transcript:
            lines.append(f"{'You' if speaker == player else 'Them'}: {message}")
        text = "\n".join(lines)
        return text[-DIALOGUE_MAX_LENGTH:]

    def info(self, player: int, notes: dict[str, Any] | None = None) -> dict[str, Any]:
        game = self.g
        to_move = not game.done and game.current == player
        info: dict[str, Any] = {"turn": game.turn, "to_move": to_move}
        if self.action_mode == "structured":
            info["action_mask"] = self.action_mask(player)
        if self.transcript:
            speaker, message, _, error = self.transcript[-1]
            info["last_message"] = message
            info["last_speaker"] = AGENTS[speaker]
            if error and speaker != player:
                info["last_message_error"] = error
        if notes:
            info.update(notes)
        if game.done:
            info["outcome"] = game.outcome
            info["points"] = self.rewards()
            info["deal"] = game.allocation
            info["values"] = game.scenario.values
        return info

    # --- rendering -----------------------------------------------------------------------------

    def render(self, fps: int) -> Any:
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode; pass render_mode=...")
            return None
        from rl_nlp_envs.render.text import TextRenderer

        if self._renderer is None:
            self._renderer = TextRenderer(self.render_mode, fps, "Negotiate-v0")
        return self._renderer.render(self.panel())

    def panel(self) -> Any:
        from rl_nlp_envs.render.text import TextPanel

        game = self.g
        names = self.config.items
        counts = game.scenario.counts
        head = ["Pool: " + describe(counts, counts, names, 0)]
        for p in (0, 1):
            pairs = zip(names, game.scenario.values[p], strict=True)
            vals = ", ".join(f"{n} {v}" for n, v in pairs)
            head.append(f"{AGENTS[p]} values: {vals}")
        lines = []
        for speaker, message, move, error in self.transcript:
            if move is not None and move.kind == PROPOSE:
                assert move.take is not None
                them = rest(counts, move.take)
                gloss = f"[keeps {list(move.take)}, gives {list(them)}]"
            elif move is not None:
                gloss = f"[{DECISIONS[move.kind]}]"
            else:
                gloss = f"[not understood: {error}]" if error else "[illegal]"
            lines.append(f"{AGENTS[speaker]}: {message} {gloss}")
        if game.done:
            points = self.rewards()
            status = f"{game.outcome}: points {points[0]:g} / {points[1]:g}"
        else:
            status = f"turn {game.turn + 1}/{game.max_turns}: {AGENTS[game.current]} to move"
        return TextPanel(
            "Negotiate-v0",
            [("Setup", "\n".join(head)), ("Dialogue", "\n".join(lines) or "(no messages yet)")],
            status,
        )

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


def _config(
    items: tuple[str, ...] | list[str],
    max_turns: int,
    min_count: int,
    max_count: int,
    min_total: int,
    max_total: int,
    total_value: int,
) -> GameConfig:
    return GameConfig(
        items=tuple(str(i).lower() for i in items),
        min_count=min_count,
        max_count=max_count,
        min_total=min_total,
        max_total=max_total,
        total_value=total_value,
        max_turns=max_turns,
    )


class _Shell:
    """What the AEC and parallel classes share: construction from the game settings, the
    ``config`` / ``game`` properties, the space accessors, ``render`` and ``close`` (all over a
    ``_Session``)."""

    metadata: dict[str, Any] = {
        "name": "negotiate_v0",
        "render_modes": list(RENDER_MODES),
        "render_fps": 2,
        "is_parallelizable": False,
    }

    def __init__(
        self,
        action_mode: str = "structured",
        items: tuple[str, ...] | list[str] = ("book", "hat", "ball"),
        max_turns: int = 10,
        min_count: int = 1,
        max_count: int = 4,
        min_total: int = 5,
        max_total: int = 7,
        total_value: int = 10,
        illegal_action: str = "penalize",
        illegal_reward: float = -1.0,
        render_mode: str | None = None,
    ) -> None:
        super().__init__()  # AECEnv's (the parallel env has none of its own)
        config = _config(items, max_turns, min_count, max_count, min_total, max_total, total_value)
        self._s = _Session(
            action_mode,
            config,
            illegal_action,
            illegal_reward,
            render_mode,
        )
        self.render_mode = render_mode
        self.possible_agents = list(AGENTS)
        self.agents: list[str] = []
        self.observation_spaces = {a: self._s.observation_space for a in AGENTS}
        self.action_spaces = {a: self._s.action_space for a in AGENTS}

    @property
    def config(self) -> GameConfig:
        """The game's configuration."""
        return self._s.config

    @property
    def game(self) -> Negotiation:
        """The current game (after ``reset``)."""
        return self._s.g

    def observation_space(self, agent: str) -> gymnasium.Space[Any]:
        """The observation space of ``agent`` (the same object every call)."""
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> gymnasium.Space[Any]:
        """The action space of ``agent`` (the same object every call)."""
        return self.action_spaces[agent]

    def render(self) -> Any:
        """Render the dialogue (``ansi`` text, ``rgb_array`` frame, or a ``human`` window)."""
        return self._s.render(int(self.metadata["render_fps"]))

    def close(self) -> None:
        """Close the window if one is open."""
        self._s.close()


class raw_env(_Shell, AECEnv[str, Any, Any]):
    __doc__ = "Negotiate-v0, the AEC (turn by turn) API.\n" + _DOC

    metadata: dict[str, Any] = _Shell.metadata

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """Start a new game (``options`` is not used)."""
        self._s.reset(seed)
        self.agents = list(AGENTS)
        self.rewards = dict.fromkeys(AGENTS, 0.0)
        self._cumulative_rewards = dict.fromkeys(AGENTS, 0.0)
        self.terminations = dict.fromkeys(AGENTS, False)
        self.truncations = dict.fromkeys(AGENTS, False)
        self.infos = {a: self._s.info(p) for p, a in enumerate(AGENTS)}
        self.agent_selection = AGENTS[self._s.g.current]
        if self.render_mode == "human":
            self.render()

    def observe(self, agent: str) -> Any:
        """What ``agent`` sees now."""
        return self._s.observe(AGENTS.index(agent))

    def step(self, action: Any) -> None:
        """The selected agent acts (``None`` once it is done)."""
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        if action is None:
            raise ValueError(f"{agent} is still playing; None is only valid once it is done")
        player = AGENTS.index(agent)
        self._cumulative_rewards[agent] = 0.0
        notes = self._s.play(player, action)
        game = self._s.g
        self.rewards = dict.fromkeys(AGENTS, 0.0)
        if game.done:
            for p, a in enumerate(AGENTS):
                self.rewards[a] = self._s.rewards()[p]
                self.terminations[a] = True
        for p, a in enumerate(AGENTS):
            self.infos[a] = self._s.info(p, notes if a == agent else None)
        self.agent_selection = AGENTS[game.current]
        self._accumulate_rewards()
        if self.render_mode == "human":
            self.render()


class NegotiateParallelEnv(_Shell, ParallelEnv[str, Any, Any]):
    __doc__ = (
        "Negotiate-v0, the parallel API: every ``step`` is one turn. It takes an action from "
        "each live agent; only the agent to move (``info['to_move']``, observation flag "
        "``4n+3``) has its action applied, the other's is checked against the action space "
        "and ignored (it may also be left out).\n" + _DOC
    )

    metadata: dict[str, Any] = _Shell.metadata

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Start a new game (``options`` is not used)."""
        self._s.reset(seed)
        self.agents = list(AGENTS)
        if self.render_mode == "human":
            self.render()
        return (
            {a: self._s.observe(p) for p, a in enumerate(AGENTS)},
            {a: self._s.info(p) for p, a in enumerate(AGENTS)},
        )

    def step(
        self, actions: dict[str, Any]
    ) -> tuple[
        dict[str, Any],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        """One turn: the action of the agent to move is applied, the other one's ignored."""
        if not self.agents:
            raise RuntimeError("the episode is over (or never started): call reset()")
        unknown = set(actions) - set(self.agents)
        if unknown:
            raise ValueError(f"actions for unknown or finished agents {sorted(unknown)}; "
                             f"live agents: {self.agents}")  # fmt: skip
        mover = self._s.g.current
        if AGENTS[mover] not in actions:
            raise ValueError(f"{AGENTS[mover]} is to move but has no action in {sorted(actions)}")
        for agent, action in actions.items():
            if agent != AGENTS[mover] and not self._s.action_space.contains(action):
                raise ValueError(self._s._space_error(action))
        notes = self._s.play(mover, actions[AGENTS[mover]])
        game = self._s.g
        rewards = self._s.rewards() if game.done else [0.0, 0.0]
        obs = {a: self._s.observe(p) for p, a in enumerate(AGENTS)}
        infos = {a: self._s.info(p, notes if p == mover else None) for p, a in enumerate(AGENTS)}
        rew = {a: rewards[p] for p, a in enumerate(AGENTS)}
        terminations = dict.fromkeys(AGENTS, game.done)
        truncations = dict.fromkeys(AGENTS, False)
        if game.done:
            self.agents = []
        if self.render_mode == "human":
            self.render()
        return obs, rew, terminations, truncations, infos

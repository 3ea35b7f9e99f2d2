"""The rules of the negotiation game (Deal or No Deal, Lewis et al. 2017), with no PettingZoo in it.

Two players share a pool of items (by default books, hats and balls, 1-4 of each, 5-7 in all).
Each player has private integer values per item type, drawn per episode, such that the whole
pool is worth ``total_value`` (10) to each of them, every item type is worth something to at
least one player and at least one item type is worth something to both (so there is something
to bargain over). Players alternate moves: a move proposes a split (the items the proposer
keeps; the other player gets the rest), accepts the other player's standing proposal, or ends
the game without a deal. After ``max_turns`` moves without agreement the game ends with no
deal. With an agreement each player scores its own value of what it gets; without one both
score 0.

The module also holds the fixed-size numeric view of the game one player sees
(``encode_observation`` / ``decode_observation``), shared by the env and the baseline agents.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

PROPOSE, ACCEPT, END = 0, 1, 2
DECISIONS = ("propose", "accept", "end")
NUM_PLAYERS = 2
DEFAULT_ITEMS = ("book", "hat", "ball")


class IllegalMove(ValueError):
    """A move the rules do not allow in the current state (the message says why)."""


@dataclass(frozen=True)
class GameConfig:
    """The size of the game: item types, counts, the value budget and the turn limit.

    Args:
        items: names of the item types (singular, lowercase).
        min_count: fewest items of one type in a pool (>= 1).
        max_count: most items of one type in a pool.
        min_total: fewest items in a pool.
        max_total: most items in a pool.
        total_value: what the whole pool is worth to each player.
        max_turns: moves (proposals, acceptances, endings) before the game ends without a deal.
    """

    items: tuple[str, ...] = DEFAULT_ITEMS
    min_count: int = 1
    max_count: int = 4
    min_total: int = 5
    max_total: int = 7
    total_value: int = 10
    max_turns: int = 10

    def __post_init__(self) -> None:
        if not self.items or len(set(self.items)) != len(self.items):
            raise ValueError(f"items must be distinct, non-empty names, got {self.items!r}")
        if not 1 <= self.min_count <= self.max_count:
            raise ValueError(
                f"need 1 <= min_count <= max_count, got {self.min_count} and {self.max_count}"
            )
        n = len(self.items)
        if not n * self.min_count <= self.min_total <= self.max_total <= n * self.max_count:
            raise ValueError(
                f"min_total/max_total ({self.min_total}/{self.max_total}) must lie within "
                f"[{n * self.min_count}, {n * self.max_count}] for {n} item types with counts "
                f"{self.min_count}-{self.max_count}"
            )
        if self.total_value < 2:
            raise ValueError(f"total_value must be >= 2, got {self.total_value}")
        if self.max_turns < 2:
            raise ValueError(
                f"max_turns must be >= 2 (a proposal and a reply), got {self.max_turns}"
            )
        if not scenario_counts(self):
            raise ValueError(f"no pool of items admits valid values under {self}")

    @property
    def num_items(self) -> int:
        """Number of item types."""
        return len(self.items)


@dataclass(frozen=True)
class Scenario:
    """One episode's pool: ``counts[i]`` items of type ``i``; ``values[p][i]``: player p's value."""

    counts: tuple[int, ...]
    values: tuple[tuple[int, ...], tuple[int, ...]]

    def worth(self, player: int, items: Sequence[int]) -> int:
        """What ``items`` (one count per type) are worth to ``player``."""
        return int(sum(v * k for v, k in zip(self.values[player], items, strict=True)))


@dataclass(frozen=True)
class Move:
    """One move: ``kind`` is PROPOSE (with ``take``: what the mover keeps), ACCEPT or END."""

    kind: int
    take: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in (PROPOSE, ACCEPT, END):
            raise ValueError(
                f"move kind must be 0 (propose), 1 (accept) or 2 (end), got {self.kind}"
            )
        if (self.kind == PROPOSE) != (self.take is not None):
            raise ValueError("a proposal needs `take`; accept and end take none")


def value_vectors(counts: Sequence[int], total_value: int) -> tuple[tuple[int, ...], ...]:
    """Every non-negative integer value vector ``v`` with ``sum(v * counts) == total_value``."""
    return _value_vectors(tuple(int(c) for c in counts), int(total_value))


@lru_cache(maxsize=512)
def _value_vectors(counts: tuple[int, ...], total_value: int) -> tuple[tuple[int, ...], ...]:
    ranges = [range(total_value // c + 1) for c in counts]
    return tuple(
        v
        for v in itertools.product(*ranges)
        if sum(a * b for a, b in zip(v, counts, strict=True)) == total_value
    )


def valid_value_pairs(
    counts: Sequence[int], total_value: int
) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
    """Value pairs allowed for ``counts``: every type valued by someone, one type by both."""
    return _value_pairs(tuple(int(c) for c in counts), int(total_value))


@lru_cache(maxsize=512)
def _value_pairs(
    counts: tuple[int, ...], total_value: int
) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
    vectors = _value_vectors(counts, total_value)
    pairs = []
    for a in vectors:
        for b in vectors:
            both = list(zip(a, b, strict=True))
            if all(x + y > 0 for x, y in both) and any(x > 0 and y > 0 for x, y in both):
                pairs.append((a, b))
    return tuple(pairs)


@lru_cache(maxsize=64)
def scenario_counts(config: GameConfig) -> tuple[tuple[int, ...], ...]:
    """Every pool (counts per type) the config allows that has at least one valid value pair."""
    span = range(config.min_count, config.max_count + 1)
    return tuple(
        c
        for c in itertools.product(span, repeat=config.num_items)
        if config.min_total <= sum(c) <= config.max_total and _value_pairs(c, config.total_value)
    )


def sample_scenario(rng: np.random.Generator, config: GameConfig) -> Scenario:
    """Draw a pool uniformly among allowed pools, then a value pair uniformly among valid ones."""
    pools = scenario_counts(config)
    counts = pools[int(rng.integers(len(pools)))]
    pairs = _value_pairs(counts, config.total_value)
    values = pairs[int(rng.integers(len(pairs)))]
    return Scenario(counts, values)


def check_scenario(scenario: Scenario, config: GameConfig) -> None:
    """Raise a ValueError saying what is wrong if ``scenario`` breaks the config's rules."""
    counts = tuple(scenario.counts)
    if len(counts) != config.num_items or any(len(v) != config.num_items for v in scenario.values):
        raise ValueError(f"scenario must have {config.num_items} item types, got {scenario}")
    if counts not in scenario_counts(config):
        raise ValueError(f"counts {counts} are not an allowed pool under {config}")
    if tuple(scenario.values) not in _value_pairs(counts, config.total_value):
        raise ValueError(
            f"values {scenario.values} are not a valid pair for counts {counts}: each must total "
            f"{config.total_value}, every item must be worth something to someone and one item "
            "to both"
        )


def all_takes(counts: Sequence[int]) -> tuple[tuple[int, ...], ...]:
    """Every split, as the items one side keeps."""
    return _all_takes(tuple(int(c) for c in counts))


@lru_cache(maxsize=512)
def _all_takes(counts: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    return tuple(itertools.product(*[range(c + 1) for c in counts]))


def rest(counts: Sequence[int], take: Sequence[int]) -> tuple[int, ...]:
    """What the other side gets when one side keeps ``take``."""
    return tuple(int(c) - int(t) for c, t in zip(counts, take, strict=True))


@dataclass(frozen=True)
class Offer:
    """A standing proposal: ``proposer`` keeps ``take``, the other player gets the rest."""

    proposer: int
    take: tuple[int, ...]


@dataclass
class Negotiation:
    """The state of one game. ``current`` moves next; ``outcome`` is None while it runs.

    Outcomes: ``"agreement"``, ``"no_deal"`` (a player ended it), ``"turn_limit"`` and
    ``"illegal"`` (a player broke the rules; see ``forfeit``).
    """

    scenario: Scenario
    max_turns: int
    current: int = 0
    turn: int = 0
    offer: Offer | None = None
    outcome: str | None = None
    allocation: tuple[tuple[int, ...], tuple[int, ...]] | None = None
    offender: int | None = None
    history: list[tuple[int, Move]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        """Whether the game is over."""
        return self.outcome is not None

    def can_accept(self, player: int | None = None) -> bool:
        """Whether ``player`` (default: the one to move) may accept: the other's offer stands."""
        player = self.current if player is None else player
        return self.offer is not None and self.offer.proposer != player

    def illegal_reason(self, move: Move) -> str | None:
        """Why ``move`` is illegal for the player to move now, or None if it is legal."""
        if self.done:
            return f"the game is over ({self.outcome})"
        if move.kind == ACCEPT and not self.can_accept():
            if self.offer is None:
                return "accept with no proposal on the table"
            return "accept of one's own proposal"
        if move.kind == PROPOSE:
            assert move.take is not None
            counts = self.scenario.counts
            if len(move.take) != len(counts):
                return f"a proposal needs {len(counts)} counts, got {len(move.take)}"
            for i, (t, c) in enumerate(zip(move.take, counts, strict=True)):
                if not 0 <= t <= c:
                    return f"a proposal keeps {t} of item type {i} but the pool has {c}"
        return None

    def play(self, move: Move) -> None:
        """Apply the move of the player to move (raises IllegalMove with the reason)."""
        reason = self.illegal_reason(move)
        if reason is not None:
            raise IllegalMove(reason)
        player = self.current
        self.history.append((player, move))
        self.turn += 1
        if move.kind == PROPOSE:
            assert move.take is not None
            self.offer = Offer(player, tuple(int(t) for t in move.take))
        elif move.kind == ACCEPT:
            assert self.offer is not None
            got = rest(self.scenario.counts, self.offer.take)
            alloc = [got, got]
            alloc[self.offer.proposer] = self.offer.take
            self.allocation = (alloc[0], alloc[1])
            self.outcome = "agreement"
        else:
            self.outcome = "no_deal"
        if self.outcome is None and self.turn >= self.max_turns:
            self.outcome = "turn_limit"
        self.current = 1 - player

    def pass_turn(self) -> None:
        """The player to move says something that is no move (an unreadable message): the
        turn counts towards the limit and passes to the other player; the offer stands."""
        if self.done:
            raise IllegalMove(f"the game is over ({self.outcome})")
        self.turn += 1
        if self.turn >= self.max_turns:
            self.outcome = "turn_limit"
        self.current = 1 - self.current

    def forfeit(self, player: int) -> None:
        """End the game because ``player`` broke the rules (no deal; the env decides penalties)."""
        self.outcome = "illegal"
        self.offender = player

    def points(self) -> tuple[int, int]:
        """Each player's value of the agreed split, or (0, 0) without agreement."""
        if self.allocation is None:
            return (0, 0)
        return (
            self.scenario.worth(0, self.allocation[0]),
            self.scenario.worth(1, self.allocation[1]),
        )

    def offered_to(self, player: int) -> tuple[int, ...] | None:
        """The items ``player`` would get if the standing offer were accepted (None: no offer)."""
        if self.offer is None:
            return None
        if self.offer.proposer == player:
            return self.offer.take
        return rest(self.scenario.counts, self.offer.take)


def pareto_optimal(scenario: Scenario, allocation: Sequence[Sequence[int]]) -> bool:
    """Whether no other split gives one player more without giving the other less."""
    a = scenario.worth(0, allocation[0])
    b = scenario.worth(1, allocation[1])
    for take in all_takes(scenario.counts):
        x = scenario.worth(0, take)
        y = scenario.worth(1, rest(scenario.counts, take))
        if x >= a and y >= b and (x > a or y > b):
            return False
    return True


# --- the numeric view of one player ------------------------------------------------------------


def observation_size(num_items: int) -> int:
    """Length of the vector ``encode_observation`` returns."""
    return 4 * num_items + 10


def observation_high(config: GameConfig) -> np.ndarray:
    """Upper bounds of the observation vector (lower bounds are 0)."""
    n = config.num_items
    high = np.ones(observation_size(n), dtype=np.float32)
    high[0:n] = config.max_count
    high[n : 2 * n] = config.total_value
    high[2 * n : 4 * n] = config.max_count
    high[4 * n + 4] = config.max_turns
    high[4 * n + 6 : 4 * n + 9] = config.total_value
    high[4 * n + 9] = config.max_turns
    return high


@dataclass(frozen=True)
class PlayerView:
    """What one player knows, decoded from its observation vector."""

    counts: tuple[int, ...]
    values: tuple[int, ...]
    offered: tuple[int, ...] | None
    offer_from_other: bool
    my_last: tuple[int, ...] | None
    my_turn: bool
    turns_left: int
    first_mover: bool


def encode_observation(game: Negotiation, player: int) -> np.ndarray:
    """The float32 vector one player sees; layout (n = item types)::

    [0:n)    counts in the pool          [n:2n)   the player's own values
    [2n:3n)  what the player would get under the standing offer (0 if none)
    [3n:4n)  what the player kept in its own latest proposal (0 if none)
    4n       1 if an offer stands        4n+1     1 if it is the other player's (acceptable)
    4n+2     1 if the player has proposed before
    4n+3     1 if it is the player's turn
    4n+4     turns left                  4n+5     1 if the player moved first
    4n+6     worth of the standing offer to the player
    4n+7     worth of the player's latest proposal to the player
    4n+8     worth to the player of the other's proposal before the standing one (0 if none)
    4n+9     number of proposals the other player has made
    """
    scenario = game.scenario
    counts = scenario.counts
    n = len(counts)
    obs = np.zeros(observation_size(n), dtype=np.float32)
    obs[0:n] = counts
    obs[n : 2 * n] = scenario.values[player]
    offered = game.offered_to(player)
    if offered is not None:
        obs[2 * n : 3 * n] = offered
        obs[4 * n] = 1.0
        obs[4 * n + 1] = float(game.can_accept(player))
        obs[4 * n + 6] = scenario.worth(player, offered)
    for mover, move in reversed(game.history):
        if mover == player and move.kind == PROPOSE:
            assert move.take is not None
            obs[3 * n : 4 * n] = move.take
            obs[4 * n + 2] = 1.0
            obs[4 * n + 7] = scenario.worth(player, move.take)
            break
    theirs = [m.take for mover, m in game.history if mover != player and m.kind == PROPOSE]
    if len(theirs) >= 2:
        assert theirs[-2] is not None
        obs[4 * n + 8] = scenario.worth(player, rest(counts, theirs[-2]))
    obs[4 * n + 9] = len(theirs)
    obs[4 * n + 3] = float(not game.done and game.current == player)
    obs[4 * n + 4] = max(0, game.max_turns - game.turn)
    first = game.history[0][0] if game.history else game.current
    obs[4 * n + 5] = float(first == player)
    return obs


def decode_observation(obs: np.ndarray, num_items: int = len(DEFAULT_ITEMS)) -> PlayerView:
    """The inverse of ``encode_observation`` (what a rule-based agent reads)."""
    n = num_items
    obs = np.asarray(obs)
    if obs.shape != (observation_size(n),):
        raise ValueError(
            f"expected an observation of shape ({observation_size(n)},) for {n} item types, "
            f"got {obs.shape}"
        )
    ints = np.rint(obs).astype(np.int64)

    def part(k: int) -> tuple[int, ...]:
        return tuple(int(x) for x in ints[k * n : (k + 1) * n])

    return PlayerView(
        counts=part(0),
        values=part(1),
        offered=part(2) if ints[4 * n] else None,
        offer_from_other=bool(ints[4 * n + 1]),
        my_last=part(3) if ints[4 * n + 2] else None,
        my_turn=bool(ints[4 * n + 3]),
        turns_left=int(ints[4 * n + 4]),
        first_mover=bool(ints[4 * n + 5]),
    )


def decision_mask(game: Negotiation, player: int) -> np.ndarray:
    """Legal decisions (propose, accept, end) of ``player`` as an int8 array."""
    if game.done:
        return np.zeros(3, dtype=np.int8)
    return np.array([1, int(game.can_accept(player)), 1], dtype=np.int8)

"""The system's belief state: what the customer has said, what the system has done.

``BeliefTracker`` follows the customer's acts (domain, constraints, booking details,
requested details, last reactions) and the system's own acts (offered entity, informed
details, booking made or changed, no-match said). In the booking domain ``book`` holds the
details the customer wants their existing booking changed to, and ``booked`` says that a
change with the latest of them was made. ``features`` turns it into the 0/1 vector of the
``"act"`` observation space; ``FEATURE_NAMES`` names each position.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rl_nlp_envs.envs.dialogue.database import Database, Entity
from rl_nlp_envs.envs.dialogue.ontology import (
    ASKABLE_SLOTS,
    BOOK_SLOTS,
    DOMAINS,
    INFORM_SLOTS,
    INFORMABLE,
    RECORD_DOMAINS,
    Act,
)
from rl_nlp_envs.envs.dialogue.user import violated

USER_FLAGS = ("negate", "change", "affirm", "request_offer", "confused", "thanks")
MATCH_BUCKETS = ("matches=0", "matches=1", "matches=2-3", "matches>=4")
TURN_BUCKETS = ("turn<4", "turn<8", "turn<12", "turn>=12")

FEATURE_NAMES: tuple[str, ...] = (
    *(f"domain={d}" for d in DOMAINS),
    *(f"filled:{s}" for s in ASKABLE_SLOTS),
    *(f"requested:{s}" for s in INFORM_SLOTS),
    *MATCH_BUCKETS,
    "offered",
    "offer_matches_belief",
    "booking_wanted",
    "booked",
    "book_details_complete",
    "nomatch_said",
    *(f"user:{f}" for f in USER_FLAGS),
    *TURN_BUCKETS,
)
N_FEATURES = len(FEATURE_NAMES)


class BeliefTracker:
    """Tracks the dialogue from both sides' acts (exact: the acts are given, not guessed).

    Args:
        db: the database (match counts).
        orders: the customer's orders (the order domain's "database").
        bookings: the customer's existing bookings (the booking domain's "database").
    """

    def __init__(
        self, db: Database, orders: Sequence[Entity] = (), bookings: Sequence[Entity] = ()
    ) -> None:
        self.db = db
        self.orders = list(orders)
        self.bookings = list(bookings)
        self.turn = 0
        self._clear(None)

    def _clear(self, domain: str | None) -> None:
        self.domain: str | None = domain
        self.constraints: dict[str, str] = {}
        self.book: dict[str, str] = {}
        self.requested: list[str] = []
        self.booking_wanted = False
        self.offered: Entity | None = None
        self.booked = False
        self.nomatch_said = False
        self.flags: set[str] = set()

    # -- updates -----------------------------------------------------------------------------
    def update_user(self, acts: Sequence[Act]) -> None:
        """Fold in the customer's acts of one turn."""
        self.flags = set()
        for act in acts:
            if act.intent in USER_FLAGS:
                self.flags.add(act.intent)
            if act.intent == "domain" and act.value and act.value != self.domain:
                self._clear(act.value)
            elif act.intent in ("inform", "change", "negate") and act.slot and act.value:
                if act.intent == "negate" and act.slot in INFORMABLE.get(self.domain or "", ()):
                    self.offered = None  # the customer turned the offer down
                if act.intent == "negate" and act.slot in BOOK_SLOTS.get(self.domain or "", ()):
                    self.booked = False  # the booking (or change) made was wrong
                self._set(act.slot, act.value)
            elif act.intent == "request" and act.slot and act.slot not in self.requested:
                self.requested.append(act.slot)
            elif act.intent in ("request_book", "request_change"):
                self.booking_wanted = True

    def _set(self, slot: str, value: str) -> None:
        domain = self.domain or ""
        if slot in INFORMABLE.get(domain, ()):
            if self.constraints.get(slot) != value:
                self.nomatch_said = False
            self.constraints[slot] = value
        elif slot in BOOK_SLOTS.get(domain, ()):
            if self.book.get(slot) != value:
                self.booked = False
            self.book[slot] = value
            self.booking_wanted = True

    def update_system(self, acts: Sequence[Act], lookup: dict[str, Entity]) -> None:
        """Fold in the system's acts of one turn (``lookup`` maps ids to entities)."""
        self.turn += 1
        for act in acts:
            if act.intent == "offer" and act.entity in lookup:
                if self.offered is None or self.offered["id"] != act.entity:
                    self.booked = False
                self.offered = lookup[act.entity]
            elif act.intent == "inform" and act.slot in self.requested and act.value:
                self.requested.remove(act.slot)
            elif (
                act.intent == "book"
                and act.entity in lookup
                and (act.details or self.domain == "order")
                and self.domain != "booking"
            ):
                self.offered = lookup[act.entity]
                self.booked = True
            elif act.intent == "change_booking" and act.entity in lookup and act.details:
                self.offered = lookup[act.entity]
                made = dict(act.details)
                self.booked = all(made.get(s) == v for s, v in self.book.items())
            elif act.intent == "nomatch":
                self.nomatch_said = True

    # -- queries -----------------------------------------------------------------------------
    def matches(self) -> list[Entity]:
        """Entities matching the believed constraints (none before a domain is known)."""
        if self.domain is None:
            return []
        records = self.bookings if self.domain == "booking" else self.orders
        if self.domain not in RECORD_DOMAINS:
            records = []
        return self.db.query(self.domain, self.constraints, records)

    def offer_ok(self) -> bool:
        """Whether the offered entity satisfies every believed constraint."""
        return self.offered is not None and not violated(self.offered, self.constraints)

    def missing_book_slots(self) -> list[str]:
        """Booking details of the domain not known yet."""
        return [s for s in BOOK_SLOTS.get(self.domain or "", ()) if s not in self.book]

    def features(self) -> np.ndarray:
        """The belief as a 0/1 float32 vector laid out as ``FEATURE_NAMES``."""
        out: list[float] = []
        out += [float(self.domain == d) for d in DOMAINS]
        filled = {**self.constraints, **self.book}
        out += [float(s in filled) for s in ASKABLE_SLOTS]
        out += [float(s in self.requested) for s in INFORM_SLOTS]
        n = len(self.matches())
        bucket = 0 if n == 0 else 1 if n == 1 else 2 if n <= 3 else 3
        out += [float(i == bucket) for i in range(len(MATCH_BUCKETS))]
        out += [
            float(self.offered is not None),
            float(self.offer_ok()),
            float(self.booking_wanted),
            float(self.booked),
            float(self.domain is not None and not self.missing_book_slots()),
            float(self.nomatch_said),
        ]
        out += [float(f in self.flags) for f in USER_FLAGS]
        t = min(self.turn // 4, len(TURN_BUCKETS) - 1)
        out += [float(i == t) for i in range(len(TURN_BUCKETS))]
        return np.asarray(out, dtype=np.float32)

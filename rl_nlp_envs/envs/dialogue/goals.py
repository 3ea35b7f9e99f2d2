"""The customer's hidden goal, drawn per episode from a seeded generator.

Goals per domain:
- restaurant / hotel: find a place matching 1-4 constraints, optionally book it (people, day,
  time or nights) and ask for some of its details;
- attraction: find one and ask for details;
- order: the customer's recent orders are generated with the goal (``generate_orders``);
  they either track one (ask for status, delivery date, courier) or return a delivered one
  (the "booking" is starting the return) and maybe ask for the refund;
- booking: the customer's existing table bookings are generated with the goal
  (``generate_bookings``); they want to change one or two details (day, time, people) of one
  of them, which the system must find by its reference and change.

A goal may carry one change of mind: ``change_on="offer"`` (after the first suitable offer the
customer swaps one constraint for another value that still has matches) or
``change_on="nomatch"`` (the initial constraints match nothing; once told so, the customer
relaxes one of them). Every goal's final constraints match at least one entity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rl_nlp_envs.envs.dialogue.database import (
    BOOKING_TIMES,
    Database,
    Entity,
    generate_bookings,
    generate_orders,
)
from rl_nlp_envs.envs.dialogue.ontology import (
    BOOK_SLOTS,
    DAYS,
    INFORMABLE,
    REQUESTABLE,
    SLOT_NAMES,
)

DOMAIN_WEIGHTS: dict[str, float] = {
    "restaurant": 0.25, "hotel": 0.25, "attraction": 0.15, "order": 0.2, "booking": 0.15,
}  # fmt: skip
CONSTRAINT_COUNTS: dict[str, tuple[int, int]] = {
    "restaurant": (2, 3), "hotel": (2, 4), "attraction": (1, 2), "order": (1, 1),
    "booking": (1, 1),
}  # fmt: skip
TIMES: tuple[str, ...] = BOOKING_TIMES
#: the details of an existing booking a customer may want changed
CHANGEABLE: tuple[str, ...] = ("people", "day", "time")


@dataclass
class Goal:
    """What the customer wants; hidden from the agent.

    Attributes:
        domain: one of ``DOMAINS``.
        constraints: the informable slot values wanted now (updated by a change of mind).
        book: booking details wanted (empty when no booking or for a return; for a change
            of booking, every detail the booking should end with).
        wants_booking: whether the customer wants a booking (a return, for orders; the
            change, for bookings).
        requests: details to be told about the chosen entity.
        change: ``(slot, value)`` of the one change of mind, if any.
        change_on: ``"offer"``, ``"nomatch"`` or ``""``.
        task: ``"find"``, ``"book"``, ``"track"``, ``"return"`` or ``"change"``.
        orders: the customer's orders (order domain only).
        bookings: the customer's existing bookings (booking domain only).
        changes: the booking details to change (booking domain only).
        before: the booking as it was when the customer got in touch (booking domain only;
            the record in ``bookings`` is what the system changes).
        target: the entity the goal was drawn from (for descriptions; others may match too).
    """

    domain: str
    constraints: dict[str, str]
    book: dict[str, str] = field(default_factory=dict)
    wants_booking: bool = False
    requests: tuple[str, ...] = ()
    change: tuple[str, str] | None = None
    change_on: str = ""
    task: str = "find"
    orders: list[Entity] = field(default_factory=list)
    target: str = ""
    bookings: list[Entity] = field(default_factory=list)
    changes: tuple[str, ...] = ()
    before: dict[str, str] = field(default_factory=dict)

    def records(self) -> list[Entity]:
        """The customer's own records of the goal's domain (orders or bookings)."""
        return self.bookings if self.domain == "booking" else self.orders

    def final_constraints(self) -> dict[str, str]:
        """The constraints once the change of mind (if any) has happened."""
        out = dict(self.constraints)
        if self.change is not None:
            out[self.change[0]] = self.change[1]
        return out

    def describe(self) -> str:
        """The goal in one or two plain sentences."""
        cons = ", ".join(f"{SLOT_NAMES[s]} {v}" for s, v in self.constraints.items())
        if self.domain == "order":
            order = self.constraints["order_id"]
            text = f"{'Return' if self.task == 'return' else 'Track'} order {order}."
        elif self.domain == "booking":
            ref = self.constraints["reference"]
            was = f" (now {_booking_text(self.before)})" if self.before else ""
            changes = " and ".join(f"{SLOT_NAMES[s]} to {self.book[s]}" for s in self.changes)
            text = f"Change booking {ref}{was}: {changes}."
        else:
            article = "an" if self.domain == "attraction" else "a"
            text = f"Find {article} {self.domain} ({cons})."
            if self.wants_booking:
                details = ", ".join(f"{SLOT_NAMES[s]} {v}" for s, v in self.book.items())
                text += f" Book it: {details}."
        if self.change is not None:
            when = "after the first offer" if self.change_on == "offer" else "if nothing matches"
            text += f" Change {SLOT_NAMES[self.change[0]]} to {self.change[1]} {when}."
        if self.requests:
            text += f" Ask for: {', '.join(SLOT_NAMES[s] for s in self.requests)}."
        return text

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy (for ``info["goal"]``)."""
        return {
            "domain": self.domain,
            "task": self.task,
            "constraints": dict(self.constraints),
            "book": dict(self.book),
            "wants_booking": self.wants_booking,
            "requests": list(self.requests),
            "change": list(self.change) if self.change else None,
            "change_on": self.change_on,
            "changes": list(self.changes),
            "description": self.describe(),
        }


def _booking_text(booking: dict[str, str]) -> str:
    return (f"{booking['venue']}, {booking['people']} people, {booking['day']} at "
            f"{booking['time']}")  # fmt: skip


def _booking(domain: str, rng: np.random.Generator) -> dict[str, str]:
    values: dict[str, str] = {}
    for slot in BOOK_SLOTS[domain]:
        if slot == "people":
            values[slot] = str(int(rng.integers(1, 9 if domain == "restaurant" else 5)))
        elif slot == "day":
            values[slot] = DAYS[int(rng.integers(len(DAYS)))]
        elif slot == "time":
            values[slot] = TIMES[int(rng.integers(len(TIMES)))]
        elif slot == "stay":
            values[slot] = str(int(rng.integers(1, 6)))
    return values


def _pick(rng: np.random.Generator, items: tuple[str, ...], low: int, high: int) -> list[str]:
    k = int(rng.integers(low, high + 1))
    chosen = rng.choice(len(items), size=min(k, len(items)), replace=False)
    return [items[int(i)] for i in sorted(chosen)]


def _order_goal(rng: np.random.Generator) -> Goal:
    orders = generate_orders(rng)
    target = orders[int(rng.integers(len(orders)))]
    if rng.random() < 0.4:
        target["status"] = "delivered"
        wanted: tuple[str, ...] = ("refund",) if rng.random() < 0.5 else ()
        return Goal("order", {"order_id": target["order_id"]}, wants_booking=True,
                    requests=wanted, task="return", orders=orders,
                    target=target["id"])  # fmt: skip
    requests = tuple(_pick(rng, ("status", "delivery_date", "carrier"), 1, 2))
    return Goal("order", {"order_id": target["order_id"]}, requests=requests, task="track",
                orders=orders, target=target["id"])  # fmt: skip


def _change_goal(db: Database, rng: np.random.Generator) -> Goal:
    bookings = generate_bookings(db, rng, count=int(rng.integers(2, 4)))
    target = bookings[int(rng.integers(len(bookings)))]
    changes = tuple(_pick(rng, CHANGEABLE, 1, 2))
    wanted = {s: target[s] for s in CHANGEABLE}
    for slot in changes:
        fresh = _booking("restaurant", rng)[slot]
        while fresh == target[slot]:
            fresh = _booking("restaurant", rng)[slot]
        wanted[slot] = fresh
    return Goal("booking", {"reference": target["reference"]}, book=wanted, wants_booking=True,
                task="change", target=target["id"], bookings=bookings,
                changes=changes, before=dict(target))  # fmt: skip


def sample_goal(db: Database, rng: np.random.Generator, change_rate: float = 0.3) -> Goal:
    """Draw a goal: domain, target entity, constraints, booking, requests, change of mind.

    ``change_rate`` is the probability of a change of mind (half of them after an offer,
    half on a no-match).
    """
    domains = tuple(DOMAIN_WEIGHTS)
    weights = np.array([DOMAIN_WEIGHTS[d] for d in domains])
    domain = domains[int(rng.choice(len(domains), p=weights / weights.sum()))]
    if domain == "order":
        return _order_goal(rng)
    if domain == "booking":
        return _change_goal(db, rng)
    rows = db.entities[domain]
    target = rows[int(rng.integers(len(rows)))]
    low, high = CONSTRAINT_COUNTS[domain]
    # "parking: no" would read as "must not have parking": only wanted features are constraints
    usable = tuple(s for s in INFORMABLE[domain] if target[s] != "no")
    slots = _pick(rng, usable, min(low, len(usable)), min(high, len(usable)))
    constraints = {s: target[s] for s in slots}
    wants_booking = domain in ("restaurant", "hotel") and bool(rng.random() < 0.5)
    book = _booking(domain, rng) if wants_booking else {}
    requests = tuple(_pick(rng, REQUESTABLE[domain], 0 if wants_booking else 1, 2))
    goal = Goal(domain, constraints, book, wants_booking, requests,
                task="book" if wants_booking else "find", target=target["id"])  # fmt: skip
    draw = rng.random()
    changeable = [s for s in slots if s not in ("parking", "internet")]
    if draw < change_rate and changeable:
        slot = changeable[int(rng.integers(len(changeable)))]
        others = [v for v in db.values(domain, slot) if v != constraints[slot]]
        rng.shuffle(others)
        want_match = draw < change_rate / 2
        for value in others:
            trial = {**constraints, slot: value}
            if bool(db.query(domain, trial)) == want_match:
                if want_match:
                    goal.change, goal.change_on = (slot, value), "offer"
                else:
                    goal.constraints = trial
                    goal.change, goal.change_on = (slot, constraints[slot]), "nomatch"
                break
    return goal

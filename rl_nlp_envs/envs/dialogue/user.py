"""The agenda-based customer simulator (after Schatzmann et al. 2007, as in PyDial / ConvLab).

The customer keeps a stack of acts still to perform (the agenda): say what they want,
ask for the booking, ask for details, say goodbye. Each turn it first reacts to the system
(answers its questions, accepts or rejects offers, corrects wrong confirmations, bookings and
booking changes, changes its mind once if the goal says so) and then pops one to three acts
from the agenda. It gives up when the conversation drags: after ``patience`` turns, or after
``max_unhelpful`` system turns that did not move it closer to its goal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rl_nlp_envs.envs.dialogue.database import Database, Entity
from rl_nlp_envs.envs.dialogue.goals import Goal
from rl_nlp_envs.envs.dialogue.ontology import BOOK_SLOTS, DONTCARE, INFORMABLE, Act

ACTS_PER_TURN = (1, 2, 3)
ACTS_PER_TURN_P = (0.5, 0.35, 0.15)


def violated(entity: Entity, constraints: dict[str, str]) -> list[str]:
    """The constraint slots ``entity`` does not satisfy (``dontcare`` never fails)."""
    return [s for s, v in constraints.items() if v != DONTCARE and entity.get(s) != v]


class AgendaUser:
    """A simulated customer with a hidden ``goal``.

    Args:
        goal: what the customer wants.
        db: the database (to look entities up and check no-match claims).
        rng: the episode's generator (acts per turn, change timing).
        patience: turns after which the customer gives up.
        max_unhelpful: unhelpful system turns after which the customer gives up.
    """

    def __init__(
        self,
        goal: Goal,
        db: Database,
        rng: np.random.Generator,
        patience: int = 20,
        max_unhelpful: int = 4,
    ) -> None:
        self.goal = goal
        self.db = db
        self.rng = rng
        self.patience = patience
        self.max_unhelpful = max_unhelpful
        self.constraints = dict(goal.constraints)
        self.told: dict[str, str] = {}
        self.entity: Entity | None = None
        self.informed: dict[str, set[str]] = {}
        self.booked: str | None = None
        self.changed = False
        self.turns = 0
        self.unhelpful = 0
        self.outcome = ""  # "", "bye" (goal met) or "giveup"
        self.last_out: list[Act] = []
        slots = list(self.constraints)
        rng.shuffle(slots)
        agenda: list[Act] = [Act("domain", value=goal.domain)]
        agenda += [Act("inform", s, self.constraints[s]) for s in slots]
        agenda += self._booking_agenda()
        agenda += [Act("request", s) for s in goal.requests]
        agenda.append(Act("bye"))
        self.agenda = agenda[::-1]  # the top of the stack is the end of the list

    # -- status ------------------------------------------------------------------------------
    def _booking_agenda(self) -> list[Act]:
        goal = self.goal
        if goal.task == "change":
            return [Act("request_change")] + [Act("inform", s, goal.book[s]) for s in goal.changes]
        if goal.wants_booking:
            return [Act("request_book")] + [Act("inform", s, v) for s, v in goal.book.items()]
        return []

    def lookup(self, entity_id: str | None) -> Entity | None:
        """An entity of the database or one of the customer's orders or bookings."""
        if entity_id is None:
            return None
        for record in (*self.goal.orders, *self.goal.bookings):
            if record["id"] == entity_id:
                return record
        return self.db.by_id.get(entity_id)

    def _entity_domain(self, entity: Entity) -> str:
        if any(b["id"] == entity["id"] for b in self.goal.bookings):
            return "booking"
        return self.db.domain_of.get(entity["id"], "order")

    def complete(self) -> bool:
        """Goal met: a suitable entity, booked (or its booking changed: the booking record
        holds every wanted detail) if wanted, every requested detail told."""
        e = self.entity
        if e is None or violated(e, self.constraints):
            return False
        if self.goal.wants_booking and self.booked != e["id"]:
            return False
        if self.goal.task == "change" and violated(e, self.goal.book):
            return False
        return set(self.goal.requests) <= self.informed.get(e["id"], set())

    def _relevant(self, slot: str) -> bool:
        return slot in INFORMABLE[self.goal.domain] or slot in BOOK_SLOTS[self.goal.domain]

    def _wanted(self, slot: str) -> str:
        if slot in self.goal.book:
            return self.goal.book[slot]
        return self.constraints.get(slot, DONTCARE)

    # -- turns -------------------------------------------------------------------------------
    def opening(self) -> list[Act]:
        """The first turn: the domain and maybe a constraint or two."""
        count = int(self.rng.choice(ACTS_PER_TURN, p=ACTS_PER_TURN_P))
        return self._emit(self._pop(count))

    def respond(self, system_acts: Sequence[Act]) -> list[Act]:
        """React to one system turn; returns the customer's acts (``bye`` or ``giveup`` end)."""
        self.turns += 1
        reactions: list[Act] = []
        helpful = False
        for act in system_acts:
            useful, said = self._react(act)
            helpful = helpful or useful
            reactions += [a for a in said if a not in reactions]
        if not helpful:
            self.unhelpful += 1
        if self.complete() and not any(a.intent in ("negate", "change") for a in reactions):
            self.outcome = "bye"
            return self._emit([Act("bye")])
        if self.turns >= self.patience or self.unhelpful >= self.max_unhelpful:
            self.outcome = "giveup"
            return self._emit([Act("giveup")])
        count = int(self.rng.choice(ACTS_PER_TURN, p=ACTS_PER_TURN_P))
        popped = self._pop(max(0, count - len(reactions)))
        out = reactions + [a for a in popped if a not in reactions]
        if not out:
            out = [Act("request_offer")] if self.entity is None else [Act("thanks")]
        return self._emit(out)

    def _emit(self, acts: list[Act]) -> list[Act]:
        for act in acts:
            if act.intent in ("inform", "change", "negate") and act.slot and act.value:
                self.told[act.slot] = act.value
        self.last_out = [a for a in acts if a.intent in ("inform", "request", "request_book")]
        return acts

    def _obsolete(self, act: Act) -> bool:
        if act.intent == "inform" and act.slot is not None:
            return self.told.get(act.slot) == self._wanted(act.slot)
        if act.intent == "request" and self.entity is not None:
            return act.slot in self.informed.get(self.entity["id"], set())
        if act.intent in ("request_book", "request_change"):
            return self.entity is not None and self.booked == self.entity["id"]
        return False

    def _pop(self, count: int) -> list[Act]:
        out: list[Act] = []
        refilled = False
        while len(out) < count and self.agenda:
            act = self.agenda[-1]
            if self._obsolete(act):
                self.agenda.pop()
                continue
            if act.intent == "bye":
                if refilled:
                    break
                self._refill()
                refilled = True
                if self.agenda[-1].intent == "bye":
                    break
                continue
            if act.intent in ("request", "request_book", "request_change") and self.entity is None:
                break
            self.agenda.pop()
            if act.intent == "inform" and act.slot is not None:
                act = Act("inform", act.slot, self._wanted(act.slot))  # after a change of mind
            if act not in out:
                out.append(act)
        return out

    def _refill(self) -> None:
        """Before saying goodbye, put back whatever the system has not done yet."""
        pending: list[Act] = [Act("inform", s, v) for s, v in self.constraints.items()]
        pending += self._booking_agenda()
        pending += [Act("request", s) for s in self.goal.requests]
        for act in reversed(pending):
            if not self._obsolete(act):
                self.agenda.append(act)

    # -- reactions ---------------------------------------------------------------------------
    def _react(self, act: Act) -> tuple[bool, list[Act]]:
        """(was the act helpful, the customer's immediate reaction)."""
        handler: Callable[[Act], tuple[bool, list[Act]]] | None = getattr(
            self, f"_on_{act.intent}", None
        )
        if handler is None:
            return False, [Act("confused"), *self.last_out]
        return handler(act)

    def _on_request(self, act: Act) -> tuple[bool, list[Act]]:
        slot = act.slot or ""
        if not self._relevant(slot):
            return False, [Act("negate", "applicable")]
        if slot in BOOK_SLOTS[self.goal.domain] and not self.goal.wants_booking:
            return False, [Act("negate", "book")]
        value = self._wanted(slot)
        return self.told.get(slot) != value, [Act("inform", slot, value)]

    def _on_confirm(self, act: Act) -> tuple[bool, list[Act]]:
        slot = act.slot or ""
        if not self._relevant(slot):
            return False, [Act("negate", "applicable")]
        value = self._wanted(slot)
        if act.value == value:
            return True, [Act("affirm")]
        return True, [Act("negate", slot, value)]

    def _on_offer(self, act: Act) -> tuple[bool, list[Act]]:
        entity = self.lookup(act.entity)
        if entity is None:
            return False, [Act("confused")]
        if self._entity_domain(entity) != self.goal.domain:
            return False, [Act("negate", "domain", self.goal.domain)]
        if self.entity is not None and entity["id"] == self.entity["id"]:
            return False, []
        wrong = violated(entity, self.constraints)
        if wrong:
            slot = wrong[0]
            return self.told.get(slot) is None, [Act("negate", slot, self.constraints[slot])]
        self.entity = entity
        if self.goal.change_on == "offer" and not self.changed and self.goal.change:
            slot, value = self.goal.change
            self.constraints[slot] = value
            self.changed = True
            if violated(entity, self.constraints):
                self.entity = None
            return True, [Act("change", slot, value)]
        return True, []

    def _on_inform(self, act: Act) -> tuple[bool, list[Act]]:
        e = self.entity
        if e is None or act.entity != e["id"] or act.slot is None:
            return False, []
        if act.value is None or e.get(act.slot) != act.value:
            return False, [Act("request", act.slot)] if act.slot in self.goal.requests else []
        known = self.informed.setdefault(e["id"], set())
        useful = act.slot in self.goal.requests and act.slot not in known
        known.add(act.slot)
        return useful, []

    def _on_nomatch(self, act: Act) -> tuple[bool, list[Act]]:
        if self.db.query(self.goal.domain, self.constraints, self.goal.records()):
            return False, [Act("negate")]
        if self.goal.change_on == "nomatch" and not self.changed and self.goal.change:
            slot, value = self.goal.change
            self.constraints[slot] = value
            self.changed = True
            return True, [Act("change", slot, value)]
        return False, [Act("negate")]

    def _on_book(self, act: Act) -> tuple[bool, list[Act]]:
        if not self.goal.wants_booking or self.goal.task == "change":
            return False, [Act("negate", "book")]
        entity = self.lookup(act.entity)
        if entity is None:
            return False, [Act("confused")]
        wrong = violated(entity, self.constraints)
        if wrong:
            return False, [Act("negate", wrong[0], self.constraints[wrong[0]])]
        details = dict(act.details)
        bad = [s for s, v in self.goal.book.items() if details.get(s) != v]
        if bad:
            return False, [Act("negate", bad[0], self.goal.book[bad[0]])]
        self.entity = entity
        self.booked = entity["id"]
        return True, []

    def _on_change_booking(self, act: Act) -> tuple[bool, list[Act]]:
        # the system has already applied the change to the booking record (``act.entity``)
        if self.goal.task != "change":
            return False, [Act("negate", "change")]
        reference = self.constraints["reference"]
        entity = self.lookup(act.entity)
        if entity is None:
            return False, [Act("inform", "reference", reference)]
        if entity["id"] != self.goal.target:
            return False, [Act("negate", "reference", reference)]
        self.entity = entity
        wrong = violated(entity, self.goal.book)
        if wrong:
            self.booked = None
            return False, [Act("negate", s, self.goal.book[s]) for s in wrong]
        self.booked = entity["id"]
        return True, []

    def _on_book_fail(self, act: Act) -> tuple[bool, list[Act]]:
        if not self.goal.wants_booking:
            return False, [Act("negate", "book")]
        missing = [s for s, _ in act.details]
        return True, [Act("inform", s, self._wanted(s)) for s in missing]

    def _on_reqmore(self, act: Act) -> tuple[bool, list[Act]]:
        return True, []

    def _on_goodbye(self, act: Act) -> tuple[bool, list[Act]]:
        return False, []

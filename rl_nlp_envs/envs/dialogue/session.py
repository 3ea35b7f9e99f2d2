"""One customer-service conversation: the customer, the belief tracker and the transcript.

``Dialogue`` is the world of ``rlnlp/Dialogue-v0`` without Gymnasium: the env turns an action
into system acts (``acts_for_action`` in act mode, ``acts_for_text`` in text and token mode)
and hands them to ``system_turn``, which lets the customer answer.

Goals are addressed by split and index: ``goal_for(db, split, index)`` always draws the same
goal (and the same generated orders) from a generator seeded by the pair, so evaluation on the
``test`` split is reproducible; the customer's behaviour within the episode (acts per turn,
wording) comes from the episode's generator.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

import numpy as np

from rl_nlp_envs.envs.dialogue.database import Database, Entity
from rl_nlp_envs.envs.dialogue.goals import Goal, sample_goal
from rl_nlp_envs.envs.dialogue.nlg import SystemNLG, UserNLG
from rl_nlp_envs.envs.dialogue.nlu import SystemNLU
from rl_nlp_envs.envs.dialogue.ontology import (
    BOOK_SLOTS,
    BOOKABLE,
    INFORMABLE,
    REQUESTABLE,
    SYSTEM_ACTIONS,
    Act,
)
from rl_nlp_envs.envs.dialogue.tracker import BeliefTracker
from rl_nlp_envs.envs.dialogue.user import AgendaUser

SPLIT_SIZES: dict[str, int] = {"train": 100_000, "validation": 1_000, "test": 1_000}
_SPLIT_SEEDS: dict[str, int] = {"train": 11, "validation": 22, "test": 33}
CUSTOMER, AGENT = "Customer", "Agent"


def goal_for(db: Database, split: str, index: int, change_rate: float = 0.3) -> Goal:
    """The goal number ``index`` of ``split`` (the same on every machine and run)."""
    if split not in SPLIT_SIZES:
        raise ValueError(f"unknown split {split!r}; choose one of: {', '.join(SPLIT_SIZES)}")
    size = SPLIT_SIZES[split]
    if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
        raise ValueError(f"index must be an int, got {type(index).__name__}")
    if not 0 <= int(index) < size:
        raise ValueError(f"index {index} is out of range for split {split!r} (0 to {size - 1})")
    rng = np.random.default_rng([_SPLIT_SEEDS[split], int(index)])
    return sample_goal(db, rng, change_rate)


class Dialogue:
    """A conversation between the system (the agent) and a simulated customer.

    Args:
        db: the database.
        goal: the customer's goal.
        rng: the episode's generator (customer behaviour, wording, booking references).
        nlu: the understanding module of system text (shared between episodes).
        patience: the customer's patience in turns.
        max_unhelpful: unhelpful system turns the customer tolerates.
    """

    def __init__(
        self,
        db: Database,
        goal: Goal,
        rng: np.random.Generator,
        nlu: SystemNLU,
        patience: int = 20,
        max_unhelpful: int = 4,
    ) -> None:
        self.db, self.goal, self.rng, self.nlu = db, goal, rng, nlu
        self.user = AgendaUser(goal, db, rng, patience, max_unhelpful)
        self.tracker = BeliefTracker(db, goal.orders, goal.bookings)
        self.records = [*goal.orders, *goal.bookings]
        self.entities: dict[str, Entity] = {**db.by_id, **{r["id"]: r for r in self.records}}
        self._bookings = {b["id"]: b for b in goal.bookings}
        self.user_nlg = UserNLG(goal.domain)
        self.system_nlg = SystemNLG(self.entities.get)
        self.transcript: list[tuple[str, str]] = []
        self.turns = 0
        self.over = False
        self.outcome = ""
        self.last_user_acts: list[Act] = []
        self.last_system_acts: list[Act] = []

    # -- the conversation ----------------------------------------------------------------------
    def start(self) -> str:
        """The customer's opening; returns it."""
        acts = self.user.opening()
        return self._customer_says(acts)

    def _customer_says(self, acts: list[Act]) -> str:
        self.last_user_acts = acts
        self.tracker.update_user(acts)
        text = self.user_nlg.utterance(acts, self.rng)
        self.transcript.append((CUSTOMER, text))
        return text

    def system_turn(self, acts: Sequence[Act], text: str | None = None) -> str:
        """The system's turn (its acts and, in text modes, its own words); returns the
        customer's answer ("" once the conversation is over)."""
        if self.over:
            raise RuntimeError("the conversation is over")
        acts = list(acts)
        if text is None:
            text = self.system_nlg.utterance(acts, self.tracker.domain, self.rng)
        self.turns += 1
        self.last_system_acts = acts
        self.transcript.append((AGENT, text))
        for act in acts:
            if act.intent == "change_booking" and act.entity in self._bookings:
                self._bookings[act.entity].update(dict(act.details))
        self.tracker.update_system(acts, self.entities)
        answer = self.user.respond(acts)
        if any(a.intent == "goodbye" for a in acts):
            self.over, self.outcome = True, "goodbye"
            self.last_user_acts = []
            return ""
        said = self._customer_says(answer)
        if self.user.outcome:
            self.over, self.outcome = True, self.user.outcome
        return said

    @property
    def success(self) -> bool:
        """The customer's goal is met (right entity, booked or its booking changed as
        asked, details told)."""
        return self.user.complete()

    # -- from actions to system acts -------------------------------------------------------------
    def acts_for_action(self, index: int) -> list[Act]:
        """The system acts of act-mode action ``index`` (values filled from the belief and
        the database: an offer names the first matching entity, an inform the offered
        entity's value, a confirm the believed value, a booking the believed details, a
        change of booking the believed new details)."""
        intent, slot = SYSTEM_ACTIONS[index]
        t = self.tracker
        if intent == "request":
            return [Act("request", slot)]
        if intent == "confirm":
            assert slot is not None
            value = t.constraints.get(slot, t.book.get(slot))
            return [Act("confirm", slot, value)] if value else [Act("request", slot)]
        if intent == "offer":
            if t.offer_ok():
                assert t.offered is not None
                return [Act("offer", entity=t.offered["id"])]
            matches = t.matches()
            if not matches:
                return [Act("nomatch", details=tuple(t.constraints.items()))]
            return [Act("offer", entity=matches[0]["id"])]
        if intent == "inform":
            assert slot is not None
            if t.offered is None or slot not in t.offered:
                return [Act("inform", slot)]
            return [Act("inform", slot, t.offered[slot], t.offered["id"])]
        if intent == "nomatch":
            return [Act("nomatch", details=tuple(t.constraints.items()))]
        if intent == "book":
            return [self._book(t.offered["id"] if t.offered else None)]
        if intent == "change_booking":
            return [self._change(t.offered["id"] if t.offered else None, dict(t.book))]
        return [Act(intent)]

    def action_mask(self) -> np.ndarray:
        """Act-mode actions that make sense in the believed domain (bool, one per action):
        requests and confirmations of its slots, informs of its details, booking where it
        books, changing a booking in the booking domain; offers, no-match, anything-else and
        goodbye always."""
        domain = self.tracker.domain
        mask = np.ones(len(SYSTEM_ACTIONS), dtype=bool)
        if domain is None:
            return mask
        askable = set(INFORMABLE[domain]) | set(BOOK_SLOTS[domain])
        for i, (intent, slot) in enumerate(SYSTEM_ACTIONS):
            if intent in ("request", "confirm"):
                mask[i] = slot in askable
            elif intent == "inform":
                mask[i] = slot in REQUESTABLE[domain]
            elif intent == "book":
                mask[i] = domain in BOOKABLE
            elif intent == "change_booking":
                mask[i] = domain == "booking"
        return mask

    def acts_for_text(self, text: str) -> list[Act]:
        """The system acts the understanding module reads in ``text`` (bookings completed
        with the believed details; a change of booking keeps the details it does not name)."""
        acts = self.nlu.parse(text, self.tracker.domain, self.tracker.offered, self.records)
        out = []
        for act in acts:
            if act.intent == "book":
                act = self._book(act.entity)
            elif act.intent == "change_booking":
                act = self._change(act.entity, dict(act.details))
            out.append(act)
        return out

    def _change(self, entity_id: str | None, new: dict[str, str]) -> Act:
        booking = self._bookings.get(entity_id or "")
        if booking is None:
            return Act("change_booking")
        details = tuple((s, new.get(s, booking[s])) for s in BOOK_SLOTS["booking"])
        return Act("change_booking", entity=booking["id"], details=details)

    def _book(self, entity_id: str | None) -> Act:
        if entity_id is None:
            return Act("book")
        missing = self.tracker.missing_book_slots()
        if missing:
            return Act("book_fail", details=tuple((s, "") for s in missing))
        domain = self.tracker.domain or ""
        details = tuple((s, self.tracker.book[s]) for s in BOOK_SLOTS.get(domain, ()))
        letters = string.ascii_uppercase + string.digits
        reference = "".join(letters[int(i)] for i in self.rng.integers(len(letters), size=8))
        return Act("book", value=reference, entity=entity_id, details=details)

    def conversation(self) -> str:
        """The transcript as ``Speaker: text`` lines."""
        return "\n".join(f"{who}: {text}" for who, text in self.transcript)

"""What the customer-service world talks about: domains, slots, dialogue acts.

Pure data and a small ``Act`` type; no Gymnasium here. The system's act catalogue of the
``"act"`` action mode (``SYSTEM_ACTIONS``) is a flat list of (intent, slot) pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

DOMAINS: tuple[str, ...] = ("restaurant", "hotel", "attraction", "order", "booking")

#: constraint slots the customer may state, per domain (database columns)
INFORMABLE: dict[str, tuple[str, ...]] = {
    "restaurant": ("area", "food", "pricerange"),
    "hotel": ("area", "type", "pricerange", "stars", "parking", "internet"),
    "attraction": ("area", "type"),
    "order": ("order_id",),
    "booking": ("reference",),
}

#: what a booking needs, per domain (the order domain's "booking" is starting a return; the
#: booking domain's are the details an existing table booking may be changed to)
BOOK_SLOTS: dict[str, tuple[str, ...]] = {
    "restaurant": ("people", "day", "time"),
    "hotel": ("people", "day", "stay"),
    "attraction": (),
    "order": (),
    "booking": ("people", "day", "time"),
}

#: domains where the customer may ask for a booking (a return, for orders)
BOOKABLE: tuple[str, ...] = ("restaurant", "hotel", "order")

#: domains of the customer's own records, generated per episode (not in the database)
RECORD_DOMAINS: tuple[str, ...] = ("order", "booking")

#: facts the customer may ask about the offered entity, per domain
REQUESTABLE: dict[str, tuple[str, ...]] = {
    "restaurant": ("address", "phone", "postcode", "rating"),
    "hotel": ("address", "phone", "postcode"),
    "attraction": ("address", "phone", "postcode", "entrance_fee", "opening_hours"),
    "order": ("status", "delivery_date", "carrier", "refund"),
    "booking": (),
}

#: every slot the system can ask for or confirm, in a fixed order
ASKABLE_SLOTS: tuple[str, ...] = (
    "area", "food", "pricerange", "type", "stars", "parking", "internet", "order_id",
    "reference", "people", "day", "time", "stay",
)  # fmt: skip

#: every slot the system can inform about an entity, in a fixed order
INFORM_SLOTS: tuple[str, ...] = (
    "address", "phone", "postcode", "rating", "entrance_fee", "opening_hours",
    "status", "delivery_date", "carrier", "refund",
)  # fmt: skip

DAYS: tuple[str, ...] = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)  # fmt: skip

DONTCARE = "dontcare"

#: human names of slots (used by both generators and by the understanding module)
SLOT_NAMES: dict[str, str] = {
    "area": "area",
    "food": "type of food",
    "pricerange": "price range",
    "type": "type",
    "stars": "star rating",
    "parking": "parking",
    "internet": "internet",
    "order_id": "order number",
    "reference": "booking reference",
    "people": "number of people",
    "day": "day",
    "time": "time",
    "stay": "number of nights",
    "address": "address",
    "phone": "phone number",
    "postcode": "postcode",
    "rating": "rating",
    "entrance_fee": "entrance fee",
    "opening_hours": "opening hours",
    "status": "status",
    "delivery_date": "delivery date",
    "carrier": "courier",
    "refund": "refund amount",
    "name": "name",
}

#: intents of system acts
SYSTEM_INTENTS: tuple[str, ...] = (
    "request", "confirm", "offer", "inform", "nomatch", "book", "book_fail", "change_booking",
    "reqmore", "goodbye", "unknown",
)  # fmt: skip

#: intents of customer acts
USER_INTENTS: tuple[str, ...] = (
    "domain", "inform", "request", "affirm", "negate", "request_book", "request_change",
    "request_offer", "change", "confused", "thanks", "bye", "giveup",
)  # fmt: skip


@dataclass(frozen=True)
class Act:
    """One dialogue act: an intent with an optional slot, value and entity id.

    ``entity`` names the database entity (or order) an offer, inform or booking is about;
    ``details`` holds extra (slot, value) pairs (a booking's people/day/time, the values a
    changed booking now has, the slots a failed booking still needs, the constraints of a
    no-match).
    """

    intent: str
    slot: str | None = None
    value: str | None = None
    entity: str | None = None
    details: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        args = [x for x in (self.slot, self.value) if x is not None]
        inner = "=".join(args)
        if self.entity is not None:
            inner = f"{inner}@{self.entity}" if inner else f"@{self.entity}"
        return f"{self.intent}({inner})"


def _system_actions() -> tuple[tuple[str, str | None], ...]:
    actions: list[tuple[str, str | None]] = []
    actions += [("request", slot) for slot in ASKABLE_SLOTS]
    actions += [("confirm", slot) for slot in ASKABLE_SLOTS]
    actions.append(("offer", None))
    actions += [("inform", slot) for slot in INFORM_SLOTS]
    actions += [("nomatch", None), ("book", None), ("change_booking", None)]
    actions += [("reqmore", None), ("goodbye", None)]
    return tuple(actions)


#: the flattened act x slot catalogue of the ``"act"`` action mode
SYSTEM_ACTIONS: tuple[tuple[str, str | None], ...] = _system_actions()


def action_name(index: int) -> str:
    """A readable name of an act-mode action, e.g. ``request(area)`` or ``offer``."""
    intent, slot = SYSTEM_ACTIONS[index]
    return f"{intent}({slot})" if slot else intent

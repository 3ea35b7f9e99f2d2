"""Dialogue-v0's language: the customer's and system's generators and the system-side NLU."""

from __future__ import annotations

import numpy as np
import pytest

from rl_nlp_envs.envs.dialogue.database import Database, generate_bookings, generate_orders
from rl_nlp_envs.envs.dialogue.nlg import (
    INFORM,
    OPENERS,
    REQUEST,
    REQUEST_FIND_BOOKING,
    SystemNLG,
    UserNLG,
)
from rl_nlp_envs.envs.dialogue.nlu import SystemNLU
from rl_nlp_envs.envs.dialogue.ontology import (
    ASKABLE_SLOTS,
    DONTCARE,
    INFORM_SLOTS,
    REQUESTABLE,
    Act,
)


@pytest.fixture(scope="module")
def db() -> Database:
    return Database()


@pytest.fixture(scope="module")
def nlu(db: Database) -> SystemNLU:
    return SystemNLU(db)


def test_customer_templates_are_many_and_varied() -> None:
    assert all(len(v) >= 6 for v in OPENERS.values())
    assert all(len(v) >= 4 for v in INFORM.values())
    assert all(len(v) >= 3 for v in REQUEST.values())
    nlg = UserNLG("restaurant")
    rng = np.random.default_rng(0)
    said = {nlg.act(Act("inform", "food", "thai"), rng) for _ in range(60)}
    assert len(said) >= 5 and all("thai" in s for s in said)
    assert nlg.act(Act("inform", "area", DONTCARE), rng).count("area") == 1
    assert "Friday" in nlg.act(Act("inform", "day", "friday"), rng)
    change = nlg.act(Act("change", "pricerange", "cheap"), rng)
    assert "cheap" in change and change[0].isupper()
    for intent in ("affirm", "confused", "thanks", "bye", "giveup", "request_offer",
                   "request_book", "negate"):  # fmt: skip
        assert nlg.act(Act(intent), rng).strip()
    with pytest.raises(ValueError, match="no customer template"):
        nlg.act(Act("dance"), rng)


def _entity(db: Database, domain: str) -> dict[str, str]:
    return db.entities[domain][7]


@pytest.mark.parametrize("slot", ASKABLE_SLOTS)
def test_requests_round_trip(db: Database, nlu: SystemNLU, slot: str) -> None:
    nlg = SystemNLG(db.by_id.get)
    for seed in range(4):
        text = nlg.act(Act("request", slot), "hotel", np.random.default_rng(seed))
        assert nlu.parse(text, "hotel") == [Act("request", slot)], text


@pytest.mark.parametrize(
    ("slot", "value"),
    [("area", "north"), ("food", "italian"), ("pricerange", "cheap"), ("type", "guesthouse"),
     ("stars", "4"), ("parking", "yes"), ("internet", "yes"), ("people", "3"),
     ("day", "friday"), ("time", "19:45"), ("stay", "2"), ("reference", "BK-12345")],
)  # fmt: skip
def test_confirms_round_trip(db: Database, nlu: SystemNLU, slot: str, value: str) -> None:
    nlg = SystemNLG(db.by_id.get)
    for seed in range(2):
        text = nlg.act(Act("confirm", slot, value), "hotel", np.random.default_rng(seed))
        assert nlu.parse(text, "hotel") == [Act("confirm", slot, value)], text


@pytest.mark.parametrize("domain", ["restaurant", "hotel", "attraction"])
def test_offers_informs_and_bookings_round_trip(db: Database, nlu: SystemNLU, domain: str) -> None:
    nlg = SystemNLG(db.by_id.get)
    rng = np.random.default_rng(0)
    e = _entity(db, domain)
    offer = nlg.act(Act("offer", entity=e["id"]), domain, rng)
    assert nlu.parse(offer, domain) == [Act("offer", entity=e["id"])], offer
    for slot in REQUESTABLE[domain]:
        text = nlg.act(Act("inform", slot, e[slot], e["id"]), domain, rng)
        acts = nlu.parse(text, domain, current=e)
        assert Act("inform", slot, e[slot], e["id"]) in acts, text
        assert {a.intent for a in acts} <= {"offer", "inform"}
    if domain != "attraction":
        details = (("people", "2"), ("day", "friday"), ("time", "19:00"), ("stay", "2"))
        text = nlg.act(Act("book", value="AB12CD34", entity=e["id"], details=details), domain, rng)
        assert Act("book", entity=e["id"]) in nlu.parse(text, domain, current=e), text


def test_orders_round_trip(db: Database, nlu: SystemNLU) -> None:
    orders = generate_orders(np.random.default_rng(1))
    nlg = SystemNLG({o["id"]: o for o in orders}.get)
    rng = np.random.default_rng(0)
    order = orders[1]
    offer = nlg.act(Act("offer", entity=order["id"]), "order", rng)
    assert nlu.parse(offer, "order", orders=orders) == [Act("offer", entity=order["id"])]
    for slot in REQUESTABLE["order"]:
        text = nlg.act(Act("inform", slot, order[slot], order["id"]), "order", rng)
        assert Act("inform", slot, order[slot], order["id"]) in nlu.parse(
            text, "order", current=order, orders=orders
        ), text
    text = nlg.act(Act("book", entity=order["id"]), "order", rng)
    assert Act("book", entity=order["id"]) in nlu.parse(text, "order", orders=orders)


def test_booking_changes_round_trip(db: Database, nlu: SystemNLU) -> None:
    bookings = generate_bookings(db, np.random.default_rng(3), count=3)
    records = [*generate_orders(np.random.default_rng(3)), *bookings]
    nlg = SystemNLG({**db.by_id, **{b["id"]: b for b in bookings}}.get)
    b = bookings[2]
    for seed in range(4):
        rng = np.random.default_rng(seed)
        # the offer names the venue too: the reference wins
        offer = nlg.act(Act("offer", entity=b["id"]), "booking", rng)
        assert b["venue"] in offer and b["reference"] in offer
        assert nlu.parse(offer, "booking", orders=records) == [Act("offer", entity=b["id"])]
        for people in ("1", "6"):
            details = (("people", people), ("day", "sunday"), ("time", "20:30"))
            text = nlg.act(Act("change_booking", entity=b["id"], details=details), "booking", rng)
            acts = nlu.parse(text, "booking", current=b, orders=records)
            assert Act("change_booking", entity=b["id"], details=details) in acts, text
            assert {a.intent for a in acts} <= {"offer", "change_booking"}
        ask = nlg.act(Act("change_booking"), "booking", rng)
        assert nlu.parse(ask, "booking", orders=records) == [Act("change_booking")], ask
    # free text: only what is named is in the details (the session keeps the rest)
    acts = nlu.parse("Sure, I've moved it to Thursday.", "booking", current=b, orders=records)
    assert acts == [Act("change_booking", entity=b["id"], details=(("day", "thursday"),))]
    acts = nlu.parse(f"Your booking {b['reference']} has been updated: 18:30 for two people.",
                     "booking", orders=records)  # fmt: skip
    changed = (("people", "2"), ("time", "18:30"))
    assert Act("change_booking", entity=b["id"], details=changed) in acts


def test_customer_booking_change_wording() -> None:
    nlg = UserNLG("booking")
    rng = np.random.default_rng(0)
    assert "BK-12345" in nlg.act(Act("inform", "reference", "BK-12345"), rng)
    days = {nlg.act(Act("inform", "day", "friday"), rng) for _ in range(30)}
    assert len(days) >= 3 and all("Friday" in d for d in days)
    assert "19:45" in nlg.act(Act("negate", "time", "19:45"), rng)
    assert "7" in nlg.act(Act("inform", "people", "7"), rng)
    one = nlg.act(Act("inform", "people", "1"), rng).lower()
    assert "one" in one or "just me" in one
    assert nlg.act(Act("request_change"), rng).strip()
    assert "change" in UserNLG("hotel").act(Act("negate", "change"), rng)
    assert "booking" in nlg.act(Act("negate", "domain", "booking"), rng)
    assert nlg.act(Act("request_offer"), rng) in REQUEST_FIND_BOOKING


def test_other_system_acts_round_trip(db: Database, nlu: SystemNLU) -> None:
    nlg = SystemNLG(db.by_id.get)
    for seed in range(3):
        rng = np.random.default_rng(seed)
        text = nlg.act(Act("nomatch", details=(("area", "north"), ("food", "thai"))), "restaurant",
                       rng)  # fmt: skip
        assert nlu.parse(text, "restaurant") == [Act("nomatch")], text
        assert nlu.parse(nlg.act(Act("reqmore"), "hotel", rng), "hotel") == [Act("reqmore")]
        assert nlu.parse(nlg.act(Act("goodbye"), "hotel", rng), "hotel") == [Act("goodbye")]


def test_free_text_replies(db: Database, nlu: SystemNLU) -> None:
    e = db.entities["restaurant"][0]
    assert nlu.parse("Hello!") == [Act("unknown")]
    assert nlu.parse("") == [Act("unknown")]
    acts = nlu.parse(f"Sure! You could try {e['name']}. Their number is {e['phone']}, "
                     "anything else?", "restaurant")  # fmt: skip
    assert acts == [Act("offer", entity=e["id"]), Act("inform", "phone", e["phone"], e["id"]),
                    Act("reqmore")]  # fmt: skip
    # a detail named with a wrong value is a wrong inform
    assert nlu.parse("The phone number is 0123.", "restaurant", current=e) == [
        Act("inform", "phone", None, e["id"])
    ]
    acts = nlu.parse("Which area and what price range do you want?", "restaurant")
    assert acts == [Act("request", "area"), Act("request", "pricerange")]
    assert nlu.parse("Did you say Italian food?", "restaurant") == [
        Act("confirm", "food", "italian")
    ]
    assert nlu.parse("Great, your table is booked.", "restaurant", current=e) == [
        Act("book", entity=e["id"])
    ]
    assert nlu.parse("Sorry, I couldn't find anything like that.") == [Act("nomatch")]
    ids = [a.intent for a in nlu.parse("Thanks for calling, goodbye.")]
    assert ids == ["goodbye"]
    assert set(INFORM_SLOTS) >= {s for d in REQUESTABLE.values() for s in d}

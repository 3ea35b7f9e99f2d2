"""The pure world of Dialogue-v0: database, goals, the agenda customer, the belief tracker."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from rl_nlp_envs.envs.dialogue.database import (
    Database,
    DatabaseError,
    bundled_path,
    check_database,
    generate_bookings,
    generate_orders,
)
from rl_nlp_envs.envs.dialogue.goals import Goal, sample_goal
from rl_nlp_envs.envs.dialogue.ontology import (
    BOOK_SLOTS,
    DAYS,
    DONTCARE,
    INFORMABLE,
    REQUESTABLE,
    SYSTEM_ACTIONS,
    Act,
    action_name,
)
from rl_nlp_envs.envs.dialogue.session import SPLIT_SIZES, goal_for
from rl_nlp_envs.envs.dialogue.tracker import FEATURE_NAMES, N_FEATURES, BeliefTracker
from rl_nlp_envs.envs.dialogue.user import AgendaUser, violated

PARTS = Path(__file__).resolve().parents[3] / "rl_nlp_envs/data/dialogue/parts/vellmar_db.json"


@pytest.fixture(scope="module")
def db() -> Database:
    return Database()


# -- database -----------------------------------------------------------------------------------
def test_bundled_database_matches_its_source_and_loads(db: Database) -> None:
    with gzip.open(bundled_path(), "rt", encoding="utf-8") as fh:
        shipped = json.load(fh)
    assert shipped == json.loads(PARTS.read_text(encoding="utf-8"))
    assert {d: len(rows) for d, rows in db.entities.items()} == {
        "restaurant": 180, "hotel": 120, "attraction": 80,
    }  # fmt: skip
    assert db.by_id["h001"]["parking"] in ("yes", "no")
    assert isinstance(db.by_id["h001"]["stars"], str)


def test_query_honours_constraints_dontcare_and_exclusions(db: Database) -> None:
    cheap_north = db.query("restaurant", {"area": "north", "pricerange": "cheap"})
    assert cheap_north and all(e["area"] == "north" and e["pricerange"] == "cheap"
                               for e in cheap_north)  # fmt: skip
    assert db.query("restaurant", {"area": "north", "pricerange": DONTCARE}) == db.query(
        "restaurant", {"area": "north"}
    )
    first = cheap_north[0]["id"]
    assert first not in [e["id"] for e in db.query("restaurant", {"area": "north",
                                                                  "pricerange": "cheap"},
                                                   exclude=[first])]  # fmt: skip
    assert db.query("restaurant", {"food": "no such food"}) == []
    with pytest.raises(ValueError, match="unknown domain"):
        db.query("spa", {})


def test_malformed_database_is_refused_with_the_entry_named(tmp_path: Path) -> None:
    data = json.loads(PARTS.read_text(encoding="utf-8"))
    del data["hotels"][3]["phone"]
    data["restaurants"][5]["area"] = "underground"
    data["restaurants"][7]["id"] = data["restaurants"][6]["id"]
    problems = check_database(data, "x.json")
    assert any("hotels[3]" in p and "phone" in p for p in problems)
    assert any("underground" in p for p in problems)
    assert any("duplicate id" in p for p in problems)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(DatabaseError, match="hotels\\[3\\]"):
        Database.from_file(bad)
    broken = tmp_path / "broken.json"
    broken.write_text('{"areas": [\n"north",\n}')
    with pytest.raises(DatabaseError, match=r"broken\.json: invalid JSON at line 3"):
        Database.from_file(broken)
    with pytest.raises(FileNotFoundError):
        Database.from_file(tmp_path / "missing.json")


def test_generated_orders_are_seeded_and_distinct() -> None:
    a = generate_orders(np.random.default_rng(5))
    b = generate_orders(np.random.default_rng(5))
    assert a == b and len({o["order_id"] for o in a}) == 3
    assert all(o["order_id"].startswith("VM-") and len(o["order_id"]) == 8 for o in a)
    assert generate_orders(np.random.default_rng(6)) != a


def test_generated_bookings_are_seeded_and_at_real_restaurants(db: Database) -> None:
    a = generate_bookings(db, np.random.default_rng(5), count=3)
    assert a == generate_bookings(db, np.random.default_rng(5), count=3)
    assert len({b["reference"] for b in a}) == 3
    for b in a:
        assert b["id"] == b["reference"] and b["reference"].startswith("BK-")
        assert len(b["reference"]) == 8
        assert db.by_id[b["venue_id"]]["name"] == b["venue"]
        assert 1 <= int(b["people"]) <= 8 and b["day"] in DAYS and ":" in b["time"]
    assert generate_bookings(db, np.random.default_rng(6), count=3) != a


# -- goals --------------------------------------------------------------------------------------
def test_goals_are_reproducible_and_satisfiable(db: Database) -> None:
    assert goal_for(db, "test", 3).as_dict() == goal_for(db, "test", 3).as_dict()
    assert goal_for(db, "test", 3).as_dict() != goal_for(db, "validation", 3).as_dict()
    domains, changes = set(), set()
    for k in range(400):
        goal = goal_for(db, "train", k)
        domains.add(goal.domain)
        changes.add(goal.change_on)
        assert set(goal.constraints) <= set(INFORMABLE[goal.domain])
        assert set(goal.requests) <= set(REQUESTABLE[goal.domain])
        assert set(goal.book) == (set(BOOK_SLOTS[goal.domain]) if goal.book else set())
        final = goal.final_constraints()
        assert db.query(goal.domain, final, goal.records()), goal.describe()
        if goal.change_on == "nomatch":
            assert not db.query(goal.domain, goal.constraints, goal.records())
        if goal.domain == "order" and goal.task == "return":
            order = db.query("order", final, goal.orders)[0]
            assert order["status"] == "delivered" and goal.wants_booking
        if goal.domain == "booking":
            booking = db.query("booking", final, goal.bookings)
            assert len(booking) == 1 and goal.task == "change" and goal.wants_booking
            assert goal.before == booking[0] and 1 <= len(goal.changes) <= 2
            differs = {s for s in BOOK_SLOTS["booking"] if goal.book[s] != booking[0][s]}
            assert differs == set(goal.changes), goal.describe()
            assert goal.change is None and not goal.requests
        assert goal.requests or goal.wants_booking or goal.domain == "order"
    assert domains == {"restaurant", "hotel", "attraction", "order", "booking"}
    assert changes == {"", "offer", "nomatch"}


def test_goal_for_rejects_bad_split_and_index(db: Database) -> None:
    with pytest.raises(ValueError, match="unknown split"):
        goal_for(db, "dev", 0)
    with pytest.raises(ValueError, match="out of range"):
        goal_for(db, "test", SPLIT_SIZES["test"])


def test_change_rate_zero_means_no_change(db: Database) -> None:
    rng = np.random.default_rng(0)
    assert all(sample_goal(db, rng, change_rate=0.0).change is None for _ in range(200))


# -- the agenda customer ------------------------------------------------------------------------
def _restaurant_goal(db: Database, **kw: object) -> Goal:
    target = db.entities["restaurant"][0]
    goal = Goal("restaurant", {"area": target["area"], "food": target["food"]},
                requests=("phone",), target=target["id"])  # fmt: skip
    for key, value in kw.items():
        setattr(goal, key, value)
    return goal


def test_customer_opens_with_the_domain_and_answers_requests(db: Database) -> None:
    goal = _restaurant_goal(db)
    user = AgendaUser(goal, db, np.random.default_rng(0), patience=20)
    opening = user.opening()
    assert opening[0] == Act("domain", value="restaurant")
    answer = user.respond([Act("request", "area")])
    assert Act("inform", "area", goal.constraints["area"]) in answer
    answer = user.respond([Act("request", "pricerange")])
    assert Act("inform", "pricerange", DONTCARE) in answer
    assert user.respond([Act("request", "people")])[0] == Act("negate", "book")
    assert user.respond([Act("request", "stay")])[0] == Act("negate", "applicable")


def test_customer_rejects_bad_offers_and_says_bye_when_served(db: Database) -> None:
    goal = _restaurant_goal(db)
    user = AgendaUser(goal, db, np.random.default_rng(1), patience=20)
    user.opening()
    wrong = next(e for e in db.entities["restaurant"] if e["area"] != goal.constraints["area"])
    reply = user.respond([Act("offer", entity=wrong["id"])])
    assert Act("negate", "area", goal.constraints["area"]) in reply and user.entity is None
    right = db.query("restaurant", goal.constraints)[0]
    user.respond([Act("offer", entity=right["id"])])
    assert user.entity == right and not user.complete()
    wrong_phone = user.respond([Act("inform", "phone", "000", right["id"])])
    assert Act("request", "phone") in wrong_phone
    reply = user.respond([Act("inform", "phone", right["phone"], right["id"])])
    assert reply == [Act("bye")] and user.outcome == "bye" and user.complete()


def test_customer_changes_mind_after_offer_and_relaxes_on_nomatch(db: Database) -> None:
    target = db.entities["restaurant"][0]
    other = next(v for v in db.values("restaurant", "pricerange") if v != target["pricerange"])
    goal = Goal("restaurant", {"area": target["area"]}, requests=("phone",),
                change=("pricerange", other), change_on="offer")  # fmt: skip
    user = AgendaUser(goal, db, np.random.default_rng(2))
    user.opening()
    offer = db.query("restaurant", {"area": target["area"], "pricerange": target["pricerange"]})
    reply = user.respond([Act("offer", entity=offer[0]["id"])])
    assert Act("change", "pricerange", other) in reply
    assert user.entity is None and user.constraints["pricerange"] == other

    goal = Goal("restaurant", {"area": "north", "food": "no such food"}, requests=("phone",),
                change=("food", target["food"]), change_on="nomatch")  # fmt: skip
    user = AgendaUser(goal, db, np.random.default_rng(3))
    user.opening()
    reply = user.respond([Act("nomatch")])
    assert Act("change", "food", target["food"]) in reply
    # a false no-match is contradicted
    assert Act("negate") in user.respond([Act("nomatch")])


def test_customer_checks_bookings(db: Database) -> None:
    target = db.entities["hotel"][0]
    goal = Goal("hotel", {"area": target["area"]}, book={"people": "2", "day": "friday",
                "stay": "3"}, wants_booking=True, task="book")  # fmt: skip
    user = AgendaUser(goal, db, np.random.default_rng(4))
    user.opening()
    wrong = (("people", "2"), ("day", "monday"), ("stay", "3"))
    reply = user.respond([Act("book", value="R", entity=target["id"], details=wrong)])
    assert Act("negate", "day", "friday") in reply and user.booked is None
    reply = user.respond([Act("book_fail", details=(("people", ""),))])
    assert reply[0] == Act("inform", "people", "2")
    right = (("people", "2"), ("day", "friday"), ("stay", "3"))
    reply = user.respond([Act("book", value="R", entity=target["id"], details=right)])
    assert user.booked == target["id"] and reply == [Act("bye")]


def _change_goal(db: Database) -> Goal:
    bookings = generate_bookings(db, np.random.default_rng(7), count=2)
    target = bookings[1]
    new_day = next(d for d in DAYS if d != target["day"])
    new_people = "1" if target["people"] != "1" else "2"
    wanted = {"people": new_people, "day": new_day, "time": target["time"]}
    return Goal("booking", {"reference": target["reference"]}, book=wanted, wants_booking=True,
                task="change", target=target["id"], bookings=bookings,
                changes=("people", "day"), before=dict(target))  # fmt: skip


def test_customer_changes_a_booking_and_corrects_wrong_changes(db: Database) -> None:
    goal = _change_goal(db)
    other, target = goal.bookings
    user = AgendaUser(goal, db, np.random.default_rng(8), max_unhelpful=10)
    assert user.opening()[0] == Act("domain", value="booking")
    ref = goal.constraints["reference"]
    assert Act("inform", "reference", ref) in user.respond([Act("request", "reference")])
    assert user.respond([Act("confirm", "reference", ref)])[0] == Act("affirm")
    # another of the customer's bookings is turned down
    assert Act("negate", "reference", ref) in user.respond([Act("offer", entity=other["id"])])
    # a booking is not a change; a change of the wrong booking is turned down
    assert user.respond([Act("book", entity=target["id"])])[0] == Act("negate", "book")
    assert user.respond([Act("change_booking", entity=other["id"], details=(("day", "x"),))])[
        0
    ] == Act("negate", "reference", ref)
    user.respond([Act("offer", entity=target["id"])])
    assert user.entity == target and not user.complete()
    # the system applies the change to the record; a half-right change is corrected
    target["day"] = goal.book["day"]
    half = tuple((s, target[s]) for s in ("people", "day", "time"))
    reply = user.respond([Act("change_booking", entity=target["id"], details=half)])
    assert reply[0] == Act("negate", "people", goal.book["people"]) and not user.complete()
    target["people"] = goal.book["people"]
    right = tuple((s, target[s]) for s in ("people", "day", "time"))
    reply = user.respond([Act("change_booking", entity=target["id"], details=right)])
    assert reply == [Act("bye")] and user.complete() and user.booked == target["id"]
    # a change without a booking named gets the reference
    user = AgendaUser(_change_goal(db), db, np.random.default_rng(9))
    user.opening()
    assert user.respond([Act("change_booking")])[0] == Act("inform", "reference", ref)


def test_customer_without_a_booking_refuses_changes(db: Database) -> None:
    user = AgendaUser(_restaurant_goal(db), db, np.random.default_rng(5))
    user.opening()
    assert user.respond([Act("change_booking")])[0] == Act("negate", "change")


def test_customer_gives_up(db: Database) -> None:
    user = AgendaUser(_restaurant_goal(db), db, np.random.default_rng(5), patience=50,
                      max_unhelpful=3)  # fmt: skip
    user.opening()
    replies = [user.respond([Act("unknown")]) for _ in range(3)]
    assert replies[0][0] == Act("confused") and replies[-1] == [Act("giveup")]
    assert user.outcome == "giveup"
    patient = AgendaUser(_restaurant_goal(db), db, np.random.default_rng(5), patience=4)
    patient.opening()
    replies = [patient.respond([Act("reqmore")]) for _ in range(4)]
    assert replies[-1] == [Act("giveup")]


def test_violated() -> None:
    entity = {"area": "north", "food": "thai"}
    assert violated(entity, {"area": "north", "food": DONTCARE}) == []
    assert violated(entity, {"area": "south", "food": "thai"}) == ["area"]


# -- the belief tracker -------------------------------------------------------------------------
def test_tracker_features_follow_the_dialogue(db: Database) -> None:
    tracker = BeliefTracker(db)
    assert tracker.features().shape == (N_FEATURES,) == (len(FEATURE_NAMES),)
    named = dict(zip(FEATURE_NAMES, tracker.features(), strict=True))
    assert named["matches=0"] == 1 and named["turn<4"] == 1
    tracker.update_user([Act("domain", value="restaurant"), Act("inform", "area", "north"),
                         Act("request", "phone")])  # fmt: skip
    named = dict(zip(FEATURE_NAMES, tracker.features(), strict=True))
    assert named["domain=restaurant"] == 1 and named["filled:area"] == 1
    assert named["requested:phone"] == 1 and named["matches>=4"] == 1
    entity = db.query("restaurant", {"area": "north"})[0]
    tracker.update_system([Act("offer", entity=entity["id"])], db.by_id)
    assert tracker.offer_ok()
    tracker.update_system([Act("inform", "phone", entity["phone"], entity["id"])], db.by_id)
    assert tracker.requested == []
    other = next(v for v in db.values("restaurant", "food") if v != entity["food"])
    tracker.update_user([Act("negate", "food", other)])
    assert tracker.offered is None and tracker.constraints["food"] == other
    assert set(np.unique(tracker.features())) <= {0.0, 1.0}
    assert tracker.missing_book_slots() == ["people", "day", "time"]


def test_tracker_follows_a_change_of_booking(db: Database) -> None:
    goal = _change_goal(db)
    target = goal.bookings[1]
    tracker = BeliefTracker(db, bookings=goal.bookings)
    lookup = {b["id"]: b for b in goal.bookings}
    tracker.update_user([Act("domain", value="booking")])
    named = dict(zip(FEATURE_NAMES, tracker.features(), strict=True))
    assert named["domain=booking"] == 1 and named["matches=2-3"] == 1
    tracker.update_user([Act("inform", "reference", target["reference"])])
    assert tracker.matches() == [target]
    tracker.update_system([Act("offer", entity=target["id"])], lookup)
    tracker.update_user([Act("request_change"), Act("inform", "day", goal.book["day"])])
    named = dict(zip(FEATURE_NAMES, tracker.features(), strict=True))
    assert named["filled:reference"] == named["booking_wanted"] == named["filled:day"] == 1
    assert named["booked"] == 0 and tracker.book == {"day": goal.book["day"]}
    made = (("people", target["people"]), ("day", goal.book["day"]), ("time", target["time"]))
    tracker.update_system([Act("change_booking", entity=target["id"], details=made)], lookup)
    assert tracker.booked
    tracker.update_user([Act("negate", "people", goal.book["people"])])
    assert not tracker.booked and tracker.book["people"] == goal.book["people"]
    # a change that misses a believed value is not a change made
    tracker.update_system([Act("change_booking", entity=target["id"], details=made)], lookup)
    assert not tracker.booked


def test_action_catalogue() -> None:
    assert len(SYSTEM_ACTIONS) == 42 and N_FEATURES == 48
    assert "change_booking" in [action_name(i) for i in range(len(SYSTEM_ACTIONS))]
    assert action_name(0) == "request(area)"
    assert "goodbye" in [action_name(i) for i in range(len(SYSTEM_ACTIONS))]

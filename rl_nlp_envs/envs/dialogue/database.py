"""The database of the city of Vellmar (restaurants, hotels, attractions) and customer orders.

Entities are flat ``dict[str, str]`` (numbers and booleans normalised: ``stars="4"``,
``parking="yes"``) so that constraints compare as strings. The customer's own records are not
stored: each episode generates their orders (``generate_orders``) and their existing table
bookings (``generate_bookings``) from its seeded generator.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from rl_nlp_envs.envs.dialogue.ontology import DAYS, DONTCARE, RECORD_DOMAINS

Entity = dict[str, str]

TABLES: dict[str, str] = {
    "restaurant": "restaurants",
    "hotel": "hotels",
    "attraction": "attractions",
}
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "restaurant": ("id", "name", "area", "food", "pricerange", "address", "postcode", "phone",
                   "rating", "description"),
    "hotel": ("id", "name", "area", "type", "stars", "pricerange", "parking", "internet",
              "address", "postcode", "phone", "description"),
    "attraction": ("id", "name", "area", "type", "entrance_fee", "opening_hours", "address",
                   "postcode", "phone", "description"),
}  # fmt: skip


class DatabaseError(ValueError):
    """A malformed database file: names the file and the entry that is wrong."""


def bundled_path() -> Path:
    """The bundled database (built by ``scripts/build_dialogue_data.py``)."""
    return Path(str(resources.files("rl_nlp_envs") / "data" / "dialogue" / "vellmar_db.json.gz"))


def _normalise(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def read_database_json(path: str | Path) -> dict[str, Any]:
    """Read a database JSON file (``.json`` or ``.json.gz``), with the file named on errors."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"dialogue database {path} not found")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                text = fh.read()
        else:
            text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatabaseError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DatabaseError(f"{path}: cannot read ({exc})") from exc
    if not isinstance(data, dict):
        raise DatabaseError(f"{path}: expected a JSON object with {sorted(TABLES.values())}")
    return data


def check_database(data: Mapping[str, Any], where: str = "database") -> list[str]:
    """Every problem of a database object (empty list when it is well formed)."""
    problems: list[str] = []
    areas = data.get("areas")
    if not isinstance(areas, list) or not areas:
        problems.append(f"{where}: 'areas' must be a non-empty list")
        areas = []
    ids: set[str] = set()
    names: set[str] = set()
    for domain, table in TABLES.items():
        rows = data.get(table)
        if not isinstance(rows, list) or not rows:
            problems.append(f"{where}: {table!r} must be a non-empty list")
            continue
        for k, row in enumerate(rows):
            at = f"{where}: {table}[{k}]"
            if not isinstance(row, dict):
                problems.append(f"{at}: expected an object")
                continue
            missing = [f for f in REQUIRED_FIELDS[domain] if f not in row]
            if missing:
                problems.append(f"{at} ({row.get('id', '?')}): missing field(s) {missing}")
                continue
            empty = [f for f in REQUIRED_FIELDS[domain] if _normalise(row[f]).strip() == ""]
            if empty:
                problems.append(f"{at} ({row['id']}): empty field(s) {empty}")
            if row["id"] in ids:
                problems.append(f"{at}: duplicate id {row['id']!r}")
            if row["name"].lower() in names:
                problems.append(f"{at}: duplicate name {row['name']!r}")
            ids.add(row["id"])
            names.add(row["name"].lower())
            if areas and row["area"] not in areas:
                problems.append(f"{at} ({row['id']}): area {row['area']!r} not in {areas}")
            if "pricerange" in row and row["pricerange"] not in ("cheap", "moderate", "expensive"):
                problems.append(f"{at} ({row['id']}): bad pricerange {row['pricerange']!r}")
            for flag in ("parking", "internet"):
                if flag in row and not isinstance(row[flag], bool):
                    problems.append(f"{at} ({row['id']}): {flag} must be true or false")
    return problems


class Database:
    """Entities per domain with a constraint query.

    Args:
        data: the database object (``{"areas": [...], "restaurants": [...], ...}``); None
            loads the bundled one.
        source: a name for error messages.
    """

    def __init__(self, data: Mapping[str, Any] | None = None, source: str = "database") -> None:
        if data is None:
            path = bundled_path()
            if not path.exists():
                raise FileNotFoundError(
                    f"the bundled dialogue database is missing ({path}); rebuild it with "
                    "python scripts/build_dialogue_data.py"
                )
            data, source = read_database_json(path), str(path)
        problems = check_database(data, source)
        if problems:
            shown = "; ".join(problems[:5])
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            raise DatabaseError(f"malformed dialogue database: {shown}{more}")
        self.city = str(data.get("city", "the city"))
        self.areas: tuple[str, ...] = tuple(data["areas"])
        self.entities: dict[str, list[Entity]] = {
            domain: [{k: _normalise(v) for k, v in row.items()} for row in data[table]]
            for domain, table in TABLES.items()
        }
        self.by_id: dict[str, Entity] = {
            e["id"]: e for rows in self.entities.values() for e in rows
        }
        # (domain, slot, value) -> row numbers, so that a query is a few set intersections
        self._index: dict[str, dict[str, dict[str, set[int]]]] = {}
        for domain, rows in self.entities.items():
            table: dict[str, dict[str, set[int]]] = {}
            for i, e in enumerate(rows):
                for slot, value in e.items():
                    table.setdefault(slot, {}).setdefault(value, set()).add(i)
            self._index[domain] = table
        self.domain_of: dict[str, str] = {
            e["id"]: domain for domain, rows in self.entities.items() for e in rows
        }
        self.by_name: dict[str, Entity] = {
            e["name"].lower(): e for rows in self.entities.values() for e in rows
        }

    @classmethod
    def from_file(cls, path: str | Path) -> Database:
        """Load a database JSON file (``.json`` or ``.json.gz``)."""
        return cls(read_database_json(path), str(path))

    def values(self, domain: str, slot: str) -> tuple[str, ...]:
        """The distinct values of ``slot`` in ``domain``, sorted."""
        return tuple(sorted({e[slot] for e in self.entities[domain] if slot in e}))

    def query(
        self,
        domain: str,
        constraints: Mapping[str, str],
        orders: Sequence[Entity] = (),
        exclude: Sequence[str] = (),
    ) -> list[Entity]:
        """Entities of ``domain`` matching every constraint (``dontcare`` matches anything),
        in id order; the order and booking domains search the customer's records ``orders``
        (their orders or their bookings). ``exclude`` drops ids."""
        if domain in RECORD_DOMAINS:
            return [
                e
                for e in orders
                if e["id"] not in exclude
                and all(v == DONTCARE or e.get(s) == v for s, v in constraints.items())
            ]
        if domain not in self.entities:
            raise ValueError(f"unknown domain {domain!r}; choose one of: {', '.join(TABLES)}")
        index = self._index[domain]
        rows: set[int] | None = None
        for slot, value in constraints.items():
            if value == DONTCARE:
                continue
            found = index.get(slot, {}).get(value, set())
            rows = set(found) if rows is None else rows & found
            if not rows:
                return []
        entities = self.entities[domain]
        picked = range(len(entities)) if rows is None else sorted(rows)
        return [entities[i] for i in picked if entities[i]["id"] not in exclude]


ORDER_ITEMS: tuple[tuple[str, float], ...] = (
    ("a blue wool scarf", 18.5), ("a pair of walking boots", 74.0),
    ("a cast-iron frying pan", 32.0),
    ("a desk lamp", 27.99), ("a set of bath towels", 24.0), ("a children's picture book", 7.99),
    ("wireless headphones", 59.0), ("a yoga mat", 21.5), ("a ceramic teapot", 16.0),
    ("a waterproof jacket", 89.0), ("a board game", 29.99), ("a coffee grinder", 45.0),
    ("a linen shirt", 35.0), ("a phone case", 12.5), ("garden gloves", 9.99),
    ("a rucksack", 54.0), ("a wall clock", 22.0), ("a bicycle light set", 19.99),
    ("a cookbook", 20.0), ("running shoes", 68.0), ("a duvet cover", 39.5),
    ("a mechanical keyboard", 84.0), ("a travel mug", 14.0), ("a jigsaw puzzle", 15.5),
)  # fmt: skip
ORDER_STATUSES: tuple[str, ...] = ("processing", "dispatched", "out for delivery", "delivered")
CARRIERS: tuple[str, ...] = ("Parcelway", "Swiftpost", "Vellmar Couriers", "Northline Freight")
MONTHS: tuple[str, ...] = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def generate_orders(rng: np.random.Generator, count: int = 3) -> list[Entity]:
    """The customer's recent orders, drawn from ``rng``: distinct ids ``VM-#####``, an item,
    a status, a carrier, a delivery date (expected or actual) and the refund a return gives.
    """
    orders: list[Entity] = []
    numbers = rng.choice(90_000, size=count, replace=False) + 10_000
    items = rng.choice(len(ORDER_ITEMS), size=count, replace=False)
    for k in range(count):
        item, price = ORDER_ITEMS[int(items[k])]
        orders.append(
            {
                "id": f"VM-{int(numbers[k])}",
                "order_id": f"VM-{int(numbers[k])}",
                "name": f"order VM-{int(numbers[k])}",
                "item": item,
                "status": ORDER_STATUSES[int(rng.integers(len(ORDER_STATUSES)))],
                "carrier": CARRIERS[int(rng.integers(len(CARRIERS)))],
                "delivery_date": f"{int(rng.integers(1, 29))} {MONTHS[int(rng.integers(12))]}",
                "refund": f"{price:.2f} pounds",
            }
        )
    return orders


BOOKING_TIMES: tuple[str, ...] = (
    "12:00", "12:30", "13:15", "18:00", "18:30", "19:00", "19:45", "20:30",
)  # fmt: skip


def generate_bookings(db: Database, rng: np.random.Generator, count: int = 2) -> list[Entity]:
    """The customer's existing table bookings, drawn from ``rng``: distinct references
    ``BK-#####``, a restaurant of ``db``, a day, a time and a number of people."""
    bookings: list[Entity] = []
    numbers = rng.choice(90_000, size=count, replace=False) + 10_000
    restaurants = db.entities["restaurant"]
    venues = rng.choice(len(restaurants), size=count, replace=False)
    for k in range(count):
        reference = f"BK-{int(numbers[k])}"
        venue = restaurants[int(venues[k])]
        bookings.append(
            {
                "id": reference,
                "reference": reference,
                "name": f"booking {reference}",
                "venue": venue["name"],
                "venue_id": venue["id"],
                "people": str(int(rng.integers(1, 9))),
                "day": DAYS[int(rng.integers(len(DAYS)))],
                "time": BOOKING_TIMES[int(rng.integers(len(BOOKING_TIMES)))],
            }
        )
    return bookings

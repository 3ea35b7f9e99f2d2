"""Rule-based understanding of the system's replies (text and token modes).

``SystemNLU.parse`` maps free text to system acts so that any writer (an LLM, a person, a
token-level policy) can serve the customer:

- a booking reference ``BK-#####`` or an order number ``VM-#####`` of the customer's records,
  else a database name, is an offer;
- a statement containing a detail of the entity under discussion (its phone number,
  address ...) informs that detail; naming a detail without its right value informs it
  wrongly (``value=None``);
- a question naming a slot requests it ("what area?"); a question that also names a value
  of that slot, or says "is that right", confirms it;
- "I have booked" / "reservation is confirmed" / "started the return" books;
- "I have changed" / "has been updated" changes the booking under discussion to the people,
  day and time the sentence names (the others stay as they were); "which booking ... change?"
  asks which booking to change;
- "there is no ... / could not find" is a no-match; "anything else?" asks for more;
  "goodbye" ends the dialogue. Text with none of these is ``unknown``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rl_nlp_envs.envs.dialogue.database import Database, Entity
from rl_nlp_envs.envs.dialogue.ontology import DAYS, REQUESTABLE, Act

_NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
            "seven": "7", "eight": "8", "nine": "9", "ten": "10", "single": "1"}  # fmt: skip
_NUM = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|single)"

SLOT_PATTERNS: dict[str, str] = {
    "area": r"\b(area|part of (the )?(town|city)|whereabouts|which side of)\b",
    "food": r"\b(food|cuisine|kind of restaurant|type of restaurant|eat)\b",
    "pricerange": r"\b(price|prices|budget|how expensive|cost range)\b",
    "type": r"\b(type|kind|sort) of (place|hotel|accommodation|attraction|venue|thing|stay)\b"
    r"|\bhotel or (a )?guesthouse\b",
    "stars": r"\bstars?\b",
    "parking": r"\bpark(ing)?\b",
    "internet": r"\b(internet|wifi|wi-fi)\b",
    "order_id": r"\border (number|id|reference)\b|\bvm-\d{5}\b",
    "reference": r"\b(booking )?reference\b|\bbk-\d{5}\b",
    "people": r"\b(how many (people|guests|persons|of you)|party size|number of people|"
    r"how many are you)\b|\b" + _NUM + r" (people|guests|persons)\b",
    "day": r"\b(which|what) day\b|\bday\b",
    "time": r"\b(what|which) time\b|\btime\b|\b\d{1,2}:\d{2}\b",
    "stay": r"\b(nights?|how long)\b",
}
INFORM_PATTERNS: dict[str, str] = {
    "address": r"\b(address|located at|situated at)\b",
    "phone": r"\b(phone|telephone|call them on)\b",
    "postcode": r"\b(postcode|post code|postal code|zip)\b",
    "rating": r"\b(rated|rating|stars? out of)\b",
    "entrance_fee": r"\b(entrance|admission|fee|ticket price)\b",
    "opening_hours": r"\b(opening hours|open from|opens|hours are)\b",
    "status": r"\b(status)\b",
    "delivery_date": r"\b(delivery date|arrive|arrives|delivered on|expected on)\b",
    "carrier": r"\b(courier|carrier|delivery company)\b",
    "refund": r"\b(refund|get back|money back)\b",
}
CONFIRM_MARK = (
    r"(is that (right|correct)|\bright\?|\bcorrect\?|just to (check|confirm)|did you say)"
)
BOOK_MARK = (
    r"(i('ve| have) (booked|reserved|made (a|the|your) (booking|reservation))|"
    r"\b(is|are|has been|have been) (booked|reserved)\b|"
    r"(booking|reservation) (is|has been) (confirmed|made|complete|done)|"
    r"(started|arranged|processed|set up|opened) (the|a|your) return|"
    r"return (is|has been) (started|arranged|booked|processed|set up))"
)
NOMATCH_MARK = (
    r"(there (is|are) no\b|(could|can)(n't| not) find|unable to find|\bno (match|matches|"
    r"results?|places?|restaurants?|hotels?|attractions?)\b|nothing (matches|that matches)|"
    r"(don't|do not) have any|none (of them )?match)"
)
CHANGE_MARK = (
    r"(i('ve| have) (changed|updated|amended|moved|altered)|"
    r"\b(is|has been|have been) (changed|updated|amended|moved|altered)\b)"
)
CHANGE_ASK = r"\b(which|what) (booking|reservation)\b.*\bchange\b"
REQMORE_MARK = r"(anything else|something else|help (you )?with anything|can i help with)"
GOODBYE_MARK = r"(\bgood ?bye\b|\bbye\b|have a (nice|good|great|lovely) (day|evening|trip|stay))"
ORDER_ID = r"\bvm-\d{5}\b"
RECORD_ID = r"\b(vm|bk)-\d{5}\b"
BOOKING_REF = r"\bbk-\d{5}\b"


def _sentences(text: str) -> list[str]:
    # a full stop inside "4.5" or "18.50" does not end a sentence
    parts = re.split(r"(?<=[.?!])\s+|\n+", text)
    return [p.strip() for p in parts if p.strip()]


class SystemNLU:
    """Understands system replies against a database and the customer's orders.

    Args:
        db: the database (names and slot values).
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        names = sorted(db.by_name, key=len, reverse=True)
        self._names = [(n, db.by_name[n]) for n in names]
        values: dict[str, set[str]] = {}
        for rows in db.entities.values():
            for e in rows:
                for slot in ("area", "food", "pricerange", "type"):
                    if slot in e:
                        values.setdefault(slot, set()).add(e[slot])
        values["day"] = set(DAYS)
        self._values = {s: sorted(v, key=len, reverse=True) for s, v in values.items()}

    def find_entity(self, text: str, orders: Sequence[Entity] = ()) -> Entity | None:
        """The first entity named in ``text``: a record of the customer's (``orders``: their
        orders and bookings) by its number, else a database entity by its name."""
        low = text.lower()
        for match in re.finditer(RECORD_ID, low):
            for order in orders:
                if order["id"].lower() == match.group(0):
                    return order
        best: tuple[int, Entity] | None = None
        for name, entity in self._names:
            at = low.find(name)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, entity)
        return None if best is None else best[1]

    def _value(self, slot: str, sentence: str) -> str | None:
        low = sentence.lower()
        if slot in self._values:
            for value in self._values[slot]:
                if re.search(rf"\b{re.escape(value)}\b", low):
                    return value
            return None
        if slot in ("people", "stay", "stars"):
            m = re.search(rf"\b{_NUM}\b", low)
            return None if m is None else _NUMBERS.get(m.group(1), m.group(1))
        if slot == "time":
            m = re.search(r"\b\d{1,2}:\d{2}\b", low)
            return None if m is None else m.group(0)
        if slot == "order_id":
            m = re.search(ORDER_ID, low)
            return None if m is None else m.group(0).upper()
        if slot == "reference":
            m = re.search(BOOKING_REF, low)
            return None if m is None else m.group(0).upper()
        if slot in ("parking", "internet"):
            return "no" if re.search(r"\b(no|without|don't|do not)\b", low) else "yes"
        return None

    def parse(
        self,
        text: str,
        domain: str | None = None,
        current: Entity | None = None,
        orders: Sequence[Entity] = (),
    ) -> list[Act]:
        """System acts in ``text``; ``current`` is the entity under discussion (offered
        before), ``domain`` the customer's domain, ``orders`` the customer's orders and
        bookings."""
        acts: list[Act] = []
        named = self.find_entity(text, orders)
        if named is not None:
            acts.append(Act("offer", entity=named["id"]))
        entity = named or current
        for sentence in _sentences(text):
            low = sentence.lower()
            question = sentence.endswith("?")
            if question and self.find_entity(sentence) is None:
                acts.extend(self._question(low))
                acts.extend(a for a in self._informs(low, entity, domain) if a.value is not None)
                continue
            if re.search(CHANGE_MARK, low):
                acts.append(Act("change_booking", entity=entity["id"] if entity else None,
                                details=self._new_details(low)))  # fmt: skip
            elif re.search(BOOK_MARK, low):
                acts.append(Act("book", entity=entity["id"] if entity else None))
            elif re.search(NOMATCH_MARK, low):
                acts.append(Act("nomatch"))
            acts.extend(self._informs(low, entity, domain))
        low = text.lower()
        if re.search(REQMORE_MARK, low):
            acts.append(Act("reqmore"))
        if re.search(GOODBYE_MARK, low):
            acts.append(Act("goodbye"))
        unique: list[Act] = []
        for act in acts:
            if act not in unique:
                unique.append(act)
        return unique or [Act("unknown")]

    def _new_details(self, low: str) -> tuple[tuple[str, str], ...]:
        """The people, day and time a sentence about a changed booking names."""
        found: list[tuple[str, str]] = []
        m = re.search(rf"\b{_NUM} (people|guests|persons|person)\b", low)
        if m is not None:
            found.append(("people", _NUMBERS.get(m.group(1), m.group(1))))
        day = next((d for d in DAYS if re.search(rf"\b{d}\b", low)), None)
        if day is not None:
            found.append(("day", day))
        m = re.search(r"\b\d{1,2}:\d{2}\b", low)
        if m is not None:
            found.append(("time", m.group(0)))
        return tuple(found)

    def _question(self, low: str) -> list[Act]:
        if re.search(REQMORE_MARK, low):
            return []
        if re.search(CHANGE_ASK, low):
            return [Act("change_booking")]
        confirm = re.search(CONFIRM_MARK, low) is not None
        acts = []
        for slot, pattern in SLOT_PATTERNS.items():
            if slot == "day" and any(re.search(rf"\b{d}\b", low) for d in DAYS):
                found = True
            else:
                found = re.search(pattern, low) is not None
            value = self._value(slot, low) if (found or confirm) else None
            if slot in ("area", "food", "pricerange", "type") and value is not None and confirm:
                acts.append(Act("confirm", slot, value))
            elif found and slot == "food" and re.search(r"\bstars?\b", low):
                continue
            elif found and confirm and value is not None:
                acts.append(Act("confirm", slot, value))
            elif found:
                acts.append(Act("request", slot))
        return acts

    def _informs(self, low: str, entity: Entity | None, domain: str | None) -> list[Act]:
        acts = []
        slots = REQUESTABLE.get(domain or "", ()) if domain else tuple(INFORM_PATTERNS)
        for slot in slots:
            value = entity.get(slot) if entity is not None else None
            if value is not None and value.lower() in low:
                if slot == "rating" and not re.search(INFORM_PATTERNS[slot], low):
                    continue
                acts.append(Act("inform", slot, value, entity["id"] if entity else None))
            elif re.search(INFORM_PATTERNS[slot], low):
                acts.append(Act("inform", slot, None, entity["id"] if entity else None))
        return acts

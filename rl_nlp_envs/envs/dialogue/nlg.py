"""Template natural-language generation for the customer and for the system.

``UserNLG`` turns customer acts into varied utterances (many templates per act, one drawn per
use with the episode's generator). ``SystemNLG`` renders system acts (the ``"act"`` action
mode's transcript, and the rule baseline's replies in text mode); every system template is
read back correctly by ``nlu.SystemNLU`` (tested).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from rl_nlp_envs.envs.dialogue.database import Entity
from rl_nlp_envs.envs.dialogue.ontology import DONTCARE, SLOT_NAMES, Act

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

# -- customer templates ------------------------------------------------------------------------
OPENERS: dict[str, tuple[str, ...]] = {
    "restaurant": (
        "Hi, I'm looking for a restaurant.",
        "Hello! Can you help me find somewhere to eat?",
        "I need a place to have dinner.",
        "Hi there, I'd like to find a restaurant in Vellmar.",
        "Good evening. I'm trying to find a good place to eat.",
        "Could you recommend a restaurant?",
        "Hey, I'm hungry and looking for a restaurant.",
        "I want to eat out tonight, can you help?",
    ),
    "hotel": (
        "Hi, I need somewhere to stay.",
        "Hello, I'm looking for accommodation in Vellmar.",
        "Can you help me find a place to stay?",
        "I'm visiting the city and need a room.",
        "Hi! I'm after a hotel or guesthouse.",
        "Good morning, I'd like to find lodgings for my trip.",
        "I need to book somewhere to sleep, can you help?",
    ),
    "attraction": (
        "Hi, I'm looking for something to do in town.",
        "Hello, can you suggest an attraction?",
        "I have a free afternoon in Vellmar. Any ideas for places to visit?",
        "I'd like to go sightseeing. What is there?",
        "Hi there, I'm looking for a place to visit.",
        "Can you recommend somewhere to go this weekend?",
    ),
    "order": (
        "Hi, I have a question about an order I placed.",
        "Hello, I'm calling about one of my orders.",
        "I ordered something online and need some help with it.",
        "Hi, can you look up an order for me?",
        "Good afternoon, I need help with a recent purchase.",
        "Hello, something's up with my order and I'd like to sort it out.",
    ),
    "booking": (
        "Hi, I need to change a table booking I made.",
        "Hello, I'd like to amend a restaurant reservation.",
        "I booked a table with you and something has come up.",
        "Hi, can you help me change my dinner booking?",
        "Good morning, our plans have changed and I need to alter a booking.",
        "Hello, I have a reservation that needs updating.",
    ),
}

INFORM: dict[str, tuple[str, ...]] = {
    "area": (
        "Somewhere in the {v}, please.",
        "It should be in the {v}.",
        "I'd prefer the {v} of town.",
        "I'm staying in the {v}, so somewhere around there.",
        "The {v} part of the city would be best.",
        "Ideally it's in the {v}.",
    ),
    "food": (
        "I fancy {v} food.",
        "Something serving {v} food.",
        "I'd like {v} cuisine.",
        "We're in the mood for {v}.",
        "It should serve {v} food.",
        "Let's go for {v}.",
    ),
    "pricerange": (
        "Something {v}, please.",
        "It should be in the {v} price range.",
        "My budget is {v}.",
        "I'm looking for {v} prices.",
        "I'd like it to be {v}.",
        "Price-wise, {v} would be good.",
    ),
    "type": (
        "It should be {a} {v}.",
        "I'd like {a} {v}.",
        "I'm after {a} {v}.",
        "Preferably {a} {v}.",
        "{A} {v} would be ideal.",
    ),
    "stars": (
        "It should have {v} stars.",
        "I'd like a {v} star place.",
        "{v} stars, please.",
        "Something with a {v} star rating.",
    ),
    "parking": (
        "I need free parking.",
        "It must have parking, I'm driving.",
        "Parking is a must.",
        "Please make sure it has parking.",
    ),
    "internet": (
        "It needs to have wifi.",
        "I need internet access.",
        "Free wifi is important to me.",
        "It should have internet.",
    ),
    "reference": (
        "My booking reference is {v}.",
        "The reference is {v}.",
        "It's booking {v}.",
        "The confirmation said {v}.",
        "I have the reference here: {v}.",
    ),
    "order_id": (
        "My order number is {v}.",
        "It's order {v}.",
        "The order reference is {v}.",
        "The number on the confirmation is {v}.",
        "It's {v}.",
    ),
    "people": (
        "It's for {v} people.",
        "There will be {v} of us.",
        "For {v}, please.",
        "We're a group of {v}.",
    ),
    "day": (
        "On {V}, please.",
        "For {V}.",
        "We'd like to come on {V}.",
        "{V} would be ideal.",
        "{V} works for us.",
    ),
    "time": (
        "At {v}, please.",
        "Around {v}.",
        "We'd like to eat at {v}.",
        "{v} would suit us.",
    ),
    "stay": (
        "For {v} nights.",
        "I'll be staying {v} nights.",
        "{v} nights, please.",
        "We need it for {v} nights.",
    ),
}
INFORM_ONE = {
    "people": ("Just for me.", "It's only for one person.", "A table for one, please."),
    "stay": ("Just one night.", "Only for one night.", "For a single night."),
}
#: the details an existing booking should have (booking domain: new or kept values)
BOOKING_INFORM: dict[str, tuple[str, ...]] = {
    "people": ("It should be for {v} people.", "We'll be {v} people now.",
               "Make it {v} people, please.", "The table should be for {v}."),
    "day": ("It should be on {V}.", "Could we move it to {V}?", "{V} would work better for us.",
            "Please make it {V}."),
    "time": ("It should be at {v}.", "Could we make it {v}?", "{v} would suit us better.",
             "Please change the time to {v}."),
}  # fmt: skip
BOOKING_INFORM_ONE = ("It'll be just me now.", "Make it a table for one, please.",
                      "Only one person will come.")  # fmt: skip
DONTCARE_T = (
    "I don't mind about the {s}.",
    "Any {s} is fine.",
    "The {s} doesn't matter to me.",
    "I'm not fussy about the {s}.",
    "No preference on the {s}.",
)
REQUEST: dict[str, tuple[str, ...]] = {
    "address": ("What's the address?", "Where is it exactly?", "Could you give me the address?",
                "Can I have the address, please?"),
    "phone": ("What's the phone number?", "Could I get their number?",
              "Can you give me the phone number?", "How can I call them?"),
    "postcode": ("What's the postcode?", "Could you tell me the postcode?",
                 "And the postcode, please?"),
    "rating": ("How well is it rated?", "What's its rating?", "Is it well reviewed?"),
    "entrance_fee": ("How much does it cost to get in?", "Is there an entrance fee?",
                     "What's the admission price?"),
    "opening_hours": ("When is it open?", "What are the opening hours?",
                      "What times can I visit?"),
    "status": ("What's the status of the order?", "Where is my order at the moment?",
               "Has it been sent yet?"),
    "delivery_date": ("When will it arrive?", "What's the delivery date?",
                      "When should I expect it?"),
    "carrier": ("Which courier is delivering it?", "Who is the carrier?",
                "Which delivery company has it?"),
    "refund": ("How much will I get back?", "What will the refund be?",
               "How much is the refund?"),
}  # fmt: skip
REQUEST_BOOK = {
    "restaurant": ("Could you book a table?", "Can you make a reservation for me?",
                   "Please book it.", "I'd like to reserve a table there."),
    "hotel": ("Can you book a room for me?", "Please make a booking.",
              "Could you reserve it for me?", "I'd like to book it."),
    "order": ("I'd like to return it, please.", "Can I send it back?",
              "I want to return that item.", "Please start a return for it."),
}  # fmt: skip
REQUEST_CHANGE = ("I'd like to change it, please.", "Can I make a change to it?",
                  "I need to change a couple of things on it.", "Could you update it for me?",
                  "We need to alter it.")  # fmt: skip
REQUEST_FIND_BOOKING = ("Can you find my booking?", "Could you look the booking up?",
                        "Are you able to find it?")  # fmt: skip
REQUEST_OFFER = ("What would you suggest?", "Do you have any recommendations?",
                 "Can you suggest one?", "Which one would you recommend?",
                 "What have you got?")  # fmt: skip
AFFIRM = ("Yes, that's right.", "Correct.", "Yes.", "That's it.", "Yes, exactly.")
NEGATE_PREFIX = ("No, ", "Not quite: ", "Hmm, no, ", "That's not what I want: ")
NEGATE_PLAIN = ("Are you sure? Could you check again?", "That doesn't sound right.",
                "No, that's not it.")  # fmt: skip
NEGATE_BOOK = ("I didn't ask for a booking.", "I don't need a booking, thanks.",
               "No need to book anything.")  # fmt: skip
NEGATE_CHANGE = ("I don't have a booking to change.", "There's no booking of mine to change.",
                 "I didn't ask to change anything.")  # fmt: skip
NEGATE_BOOKING = ("No, I want to change a booking I already have.",
                  "That's not it, I'm trying to change my existing booking.")  # fmt: skip
NEGATE_DOMAIN = ("No, I'm looking for a {v}.", "That's not what I asked, I want a {v}.")
CHANGE = ("Actually, I've changed my mind: ", "Sorry, one change: ", "On second thought, ",
          "Wait, let me change that: ")  # fmt: skip
CONFUSED = ("Sorry, I don't follow.", "I'm not sure what you mean.", "Sorry?",
            "I don't understand.", "What do you mean?")  # fmt: skip
NOT_APPLICABLE = ("That doesn't really apply here.", "I don't think that matters for this.",
                  "That's not relevant to what I need.")  # fmt: skip
THANKS = ("Thank you.", "Great, thanks.", "Lovely, thank you.", "Perfect, thanks.")
BYE = ("That's all I need, thanks. Goodbye!", "Perfect, that's everything. Bye.",
       "Great, thank you for your help. Goodbye.", "Wonderful, that's all. Have a good day!",
       "Thanks, that's it from me. Bye!")  # fmt: skip
GIVEUP = ("This is taking too long. I'll sort it out myself. Goodbye.",
          "Never mind, forget it. Bye.", "I'm not getting anywhere. Goodbye.",
          "Let's leave it. I'll try somewhere else.")  # fmt: skip


def _lower_first(text: str) -> str:
    if text.startswith(("I ", "I'", "VM-")) or len(text) < 2:
        return text
    return text[0].lower() + text[1:]


class UserNLG:
    """Customer acts -> one utterance, templates drawn with ``rng``."""

    def __init__(self, domain: str) -> None:
        self.domain = domain

    def _choice(self, rng: np.random.Generator, options: Sequence[str]) -> str:
        return options[int(rng.integers(len(options)))]

    def inform(self, slot: str, value: str, rng: np.random.Generator) -> str:
        """One sentence telling ``slot = value``."""
        if value == DONTCARE:
            return self._choice(rng, DONTCARE_T).format(s=SLOT_NAMES[slot])
        if self.domain == "booking" and slot in BOOKING_INFORM:
            if slot == "people" and value == "1":
                return self._choice(rng, BOOKING_INFORM_ONE)
            text = self._choice(rng, BOOKING_INFORM[slot])
            return text.format(v=value, V=value.capitalize())
        if slot in INFORM_ONE and value == "1":
            return self._choice(rng, INFORM_ONE[slot])
        text = self._choice(rng, INFORM[slot])
        article = _article(value)
        return text.format(v=value, V=value.capitalize(), a=article, A=article.capitalize())

    def act(self, act: Act, rng: np.random.Generator) -> str:
        """One act as a sentence (or two)."""
        c = self._choice
        intent = act.intent
        if intent == "domain":
            return c(rng, OPENERS[act.value or self.domain])
        if intent == "inform" and act.slot and act.value is not None:
            return self.inform(act.slot, act.value, rng)
        if intent == "change" and act.slot and act.value is not None:
            return c(rng, CHANGE) + _lower_first(self.inform(act.slot, act.value, rng))
        if intent == "negate":
            if act.slot == "book":
                return c(rng, NEGATE_BOOK)
            if act.slot == "change":
                return c(rng, NEGATE_CHANGE)
            if act.slot == "domain" and act.value == "booking":
                return c(rng, NEGATE_BOOKING)
            if act.slot == "domain":
                return c(rng, NEGATE_DOMAIN).format(v=act.value)
            if act.slot == "applicable":
                return c(rng, NOT_APPLICABLE)
            if act.slot and act.value is not None:
                return c(rng, NEGATE_PREFIX) + _lower_first(self.inform(act.slot, act.value, rng))
            return c(rng, NEGATE_PLAIN)
        if intent == "request" and act.slot in REQUEST:
            return c(rng, REQUEST[act.slot])
        if intent == "request_book":
            return c(rng, REQUEST_BOOK[self.domain])
        if intent == "request_offer" and self.domain == "booking":
            return c(rng, REQUEST_FIND_BOOKING)
        table: Mapping[str, Sequence[str]] = {
            "request_change": REQUEST_CHANGE, "request_offer": REQUEST_OFFER, "affirm": AFFIRM,
            "confused": CONFUSED, "thanks": THANKS, "bye": BYE, "giveup": GIVEUP,
        }  # fmt: skip
        if intent in table:
            return c(rng, table[intent])
        raise ValueError(f"no customer template for act {act}")

    def utterance(self, acts: Sequence[Act], rng: np.random.Generator) -> str:
        """Several acts as one turn."""
        return " ".join(self.act(a, rng) for a in acts)


# -- system templates --------------------------------------------------------------------------
SYS_REQUEST: dict[str, tuple[str, ...]] = {
    "area": ("What area would you like?", "Which part of town do you prefer?"),
    "food": ("What type of food would you like?", "What kind of cuisine are you after?"),
    "pricerange": ("What price range are you looking for?", "What is your budget?"),
    "type": ("What type of place would you like?", "What kind of place are you after?"),
    "stars": ("How many stars should it have?", "What star rating would you like?"),
    "parking": ("Do you need parking?", "Will you need parking?"),
    "internet": ("Do you need internet?", "Is wifi important to you?"),
    "order_id": ("What is your order number?", "Could you give me the order number?"),
    "reference": ("What is your booking reference?",
                  "Could you give me the reference of the booking?"),
    "people": ("How many people is it for?", "For how many people?"),
    "day": ("Which day would you like?", "What day is that for?"),
    "time": ("What time would you like?", "At what time?"),
    "stay": ("How many nights will you stay?", "For how many nights?"),
}  # fmt: skip
SYS_INFORM: dict[str, str] = {
    "address": "The address of {name} is {v}.",
    "phone": "The phone number of {name} is {v}.",
    "postcode": "The postcode of {name} is {v}.",
    "rating": "{name} is rated {v} out of 5.",
    "entrance_fee": "The entrance fee of {name} is {v}.",
    "opening_hours": "The opening hours of {name} are {v}.",
    "status": "The status of {name} is: {v}.",
    "delivery_date": "The delivery date of {name} is {v}.",
    "carrier": "The courier for {name} is {v}.",
    "refund": "The refund for {name} will be {v}.",
}
SYS_CONFIRM = ("Just to check, you would like {phrase}, is that right?",
               "So that's {phrase}, correct?")  # fmt: skip
CONFIRM_PHRASE: dict[str, str] = {
    "area": "the {v} area", "food": "{v} food", "pricerange": "the {v} price range",
    "type": "{a} {v}", "stars": "{v} stars", "parking": "parking {v}", "internet": "internet {v}",
    "order_id": "order {v}", "reference": "booking {v}", "people": "{v} people", "day": "{v}",
    "time": "{v}", "stay": "{v} nights",
}  # fmt: skip


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def describe_entity(domain: str, entity: Entity) -> str:
    """A short description used in offers."""
    if domain == "restaurant":
        food, area, price = entity["food"], entity["area"], entity["pricerange"]
        return f"It serves {food} food in the {area}, {price} prices."
    if domain == "hotel":
        what = f"{entity['pricerange']} {entity['stars']} star {entity['type']}"
        return f"It is {_article(what)} {what} in the {entity['area']}."
    if domain == "attraction":
        return f"It is {_article(entity['type'])} {entity['type']} in the {entity['area']}."
    if "venue" in entity:
        return f"It is a table at {entity['venue']} for {booking_when(entity)}."
    return f"It is for {entity['item']}."


def booking_when(details: Mapping[str, str | None]) -> str:
    """``4 people on Friday at 19:00`` (``1 person`` for one)."""
    people = details.get("people")
    who = "1 person" if people == "1" else f"{people} people"
    day = (details.get("day") or "").capitalize()
    return f"{who} on {day} at {details.get('time')}"


class SystemNLG:
    """System acts -> a reply; ``lookup`` resolves entity ids to entities."""

    def __init__(self, lookup: Callable[[str], Entity | None]) -> None:
        self.lookup = lookup

    def act(self, act: Act, domain: str | None, rng: np.random.Generator) -> str:
        """One system act as text."""
        c = rng.integers
        entity = self.lookup(act.entity) if act.entity else None
        name = entity["name"] if entity else "it"
        if act.intent == "request" and act.slot in SYS_REQUEST:
            options = SYS_REQUEST[act.slot]
            return options[int(c(len(options)))]
        if act.intent == "confirm" and act.slot in CONFIRM_PHRASE:
            phrase = CONFIRM_PHRASE[act.slot].format(v=act.value, a=_article(act.value or "x"))
            return SYS_CONFIRM[int(c(len(SYS_CONFIRM)))].format(phrase=phrase)
        if act.intent == "offer" and entity is not None and "venue" in entity:
            found = ("I have found your booking {r}.", "I can see booking {r} here.")
            text = found[int(c(2))].format(r=entity["reference"])
            return f"{text} {describe_entity('booking', entity)}"
        if act.intent == "offer" and entity is not None:
            lead = ("How about {n}?", "I would recommend {n}.", "{n} would suit you.")
            text = lead[int(c(3))].format(n=name)
            return f"{text} {describe_entity(domain or 'order', entity)}"
        if act.intent == "inform" and act.slot in SYS_INFORM:
            if entity is None or act.value is None:
                return f"I'm afraid I can't tell you the {SLOT_NAMES[act.slot]} yet."
            return SYS_INFORM[act.slot].format(name=name, v=act.value)
        if act.intent == "nomatch":
            wanted = ", ".join(f"{SLOT_NAMES[s]} {v}" for s, v in act.details if v != DONTCARE)
            what = domain or "place"
            return f"I'm sorry, there is no {what} matching {wanted or 'that'}."
        if act.intent == "book" and entity is not None:
            details = dict(act.details)
            if domain == "order":
                return f"I have started the return of {name}; we will email you a label."
            if domain == "hotel":
                when = f"{details.get('stay')} nights from {details.get('day')}"
            else:
                when = f"{details.get('day')} at {details.get('time')}"
            return (f"I have booked {name} for {details.get('people')} people, {when}. "
                    f"Your reference is {act.value}.")  # fmt: skip
        if act.intent == "book":
            return "I'm sorry, which one would you like me to book?"
        if act.intent == "change_booking" and entity is not None and "venue" in entity:
            ref, when = entity["reference"], booking_when(dict(act.details))
            return (f"I have changed booking {ref}: it is now for {when}.",
                    f"Done: booking {ref} has been updated to {when}.")[int(c(2))]  # fmt: skip
        if act.intent == "change_booking":
            return "I'm sorry, which booking would you like me to change?"
        if act.intent == "book_fail":
            missing = " and the ".join(SLOT_NAMES[s] for s, _ in act.details)
            return f"Before I can make the booking I still need the {missing}."
        if act.intent == "reqmore":
            return ("Is there anything else I can help you with?",
                    "Can I help you with anything else?")[int(c(2))]  # fmt: skip
        if act.intent == "goodbye":
            return ("Thank you for contacting us. Goodbye!", "Have a nice day. Bye!")[int(c(2))]
        return "Sorry, could you say that again?"

    def utterance(self, acts: Sequence[Act], domain: str | None, rng: np.random.Generator) -> str:
        """Several acts as one reply."""
        return " ".join(self.act(a, domain, rng) for a in acts)

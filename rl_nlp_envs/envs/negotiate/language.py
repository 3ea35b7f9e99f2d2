"""Negotiation messages in English: a template NLG and a rule-based parser (no PettingZoo here).

``realize`` turns a move into a message with varied templates (chosen with the caller's random
generator); ``parse`` turns free text from the speaker's point of view back into a move, or
explains why it cannot. ``parse(realize(move)) == move`` for every move and template.

What the parser understands:

- proposals naming items with quantities for either side: "I'll take the 2 books and a hat,
  you get the balls", "you can have both hats; I keep the rest", "give me three balls",
  "the books for me, the hats for you". Quantities are digits, number words (zero-ten), "a",
  "an", "both", "all (the)", "no", or none (a plural then means all, a singular one). The side of
  an item is the last side cue in its clause ("I", "me", "my", ... or "you", "your", ...), else
  that of the previous clause, else the speaker. "the rest" / "everything else" gives the
  unmentioned items to its side; otherwise unmentioned items go to the side that named nothing
  (the listener when the speaker only named what they keep, and vice versa);
- acceptance: "deal", "agreed", "I accept", "sounds good", "ok", "yes", ...;
- ending without a deal: "no deal", "I walk away", "forget it", "I give up", ...

Anything else is unparseable and ``parse`` returns a ``Parse`` with ``move=None`` and the reason
(no item, accept or end phrase; a count larger than the pool; both sides given the same items;
an item left to nobody; a refusal with no counter-proposal).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rl_nlp_envs.envs.negotiate.logic import ACCEPT, END, PROPOSE, Move, rest

NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
)
_IRREGULAR_PLURALS = {"box": "boxes", "glass": "glasses", "knife": "knives", "mouse": "mice"}


def plural(name: str) -> str:
    """English plural of an item name (regular ``-s`` unless listed as irregular)."""
    return _IRREGULAR_PLURALS.get(name, name + "s")


# --- generation ----------------------------------------------------------------------------------

_PROPOSE_BOTH = (
    "I'll take {mine}, and you get {yours}.",
    "How about I get {mine} and you get {yours}?",
    "You take {yours}; I keep {mine}.",
    "I propose: {mine} for me, {yours} for you.",
    "Let me have {mine}, and you can have {yours}.",
    "What if you get {yours} and I get {mine}?",
    "Give me {mine} and you keep {yours}.",
)
_PROPOSE_MINE = (
    "I want {mine}. You can have the rest.",
    "Give me {mine} and everything else is yours.",
    "I'd like {mine}; the rest goes to you.",
)
_PROPOSE_YOURS = (
    "You can have {yours}; I'll keep the rest.",
    "Take {yours}, and I get everything else.",
)
_ACCEPT = (
    "Deal.",
    "Agreed.",
    "Sounds good, I accept.",
    "OK, it's a deal.",
    "That works for me, deal.",
    "Fine, I agree.",
)
_END = (
    "No deal.",
    "I walk away.",
    "Forget it, no deal.",
    "I give up, no deal.",
    "This isn't working, I walk away.",
)


def describe(items: Sequence[int], counts: Sequence[int], names: Sequence[str], style: int) -> str:
    """Items as an English phrase, e.g. "2 books and a hat"; ``style`` varies the wording."""
    parts = []
    for k, total, name in zip(items, counts, names, strict=True):
        if k == 0:
            continue
        noun = name if k == 1 else plural(name)
        if k == 1:
            qty = ("a", "one", "1")[style % 3] if total > 1 else ("the", "a", "one")[style % 3]
            if qty == "a" and name[:1] in "aeiou":
                qty = "an"
        elif k == total and style % 2 == 1:
            qty = "both" if k == 2 else f"all {NUMBER_WORDS[k]}" if k < len(NUMBER_WORDS) else "all"
        elif k == total and style % 3 == 2:
            qty = "all the"
        else:
            qty = str(k) if style % 2 == 0 or k >= len(NUMBER_WORDS) else NUMBER_WORDS[k]
        parts.append(f"{qty} {noun}")
    if not parts:
        return "nothing"
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def realize(
    move: Move, counts: Sequence[int], names: Sequence[str], rng: np.random.Generator
) -> str:
    """A message for ``move`` by the speaker, wording drawn with ``rng``."""
    if move.kind == ACCEPT:
        return str(rng.choice(_ACCEPT))
    if move.kind == END:
        return str(rng.choice(_END))
    assert move.take is not None
    mine, yours = tuple(move.take), rest(counts, move.take)
    style = int(rng.integers(6))
    templates = list(_PROPOSE_BOTH)
    if any(mine):
        templates += _PROPOSE_MINE
    if any(yours):
        templates += _PROPOSE_YOURS
    template = templates[int(rng.integers(len(templates)))]
    return template.format(
        mine=describe(mine, counts, names, style), yours=describe(yours, counts, names, style)
    )


# --- parsing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parse:
    """The reading of a message: ``move`` (None if unparseable) and ``reason`` when unparseable."""

    move: Move | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Whether the message was understood."""
        return self.move is not None


SELF, OTHER = 0, 1
_SELF_CUES = {"i", "i'll", "i'd", "i'm", "im", "ill", "me", "my", "myself", "we", "us"}
_OTHER_CUES = {"you", "you'll", "you'd", "you're", "your", "yourself", "u"}
# "mine"/"yours" follow what they own ("the hats are yours"), like "for me" / "to you"
_POSSESSIVES = {"mine": SELF, "yours": OTHER}
_IMPERATIVES = {"take", "have", "keep", "enjoy", "grab"}
_PUNCTUATION = re.compile(r"[,;.!?:()\n]+")
_CONJUNCTION = re.compile(r"\b(?:and|but|while|if|then|so|whereas|otherwise|plus)\b")
_TOKEN = re.compile(r"[a-z0-9_']+")
_REST = re.compile(
    r"\b(?:all the rest|the rest|everything else|all else|the others|whatever(?: is|'s)? left"
    r"|what(?: is|'s) left|the remainder|the remaining items|anything else|all other items)\b"
)
_NOTHING = re.compile(r"\b(?:nothing|none)\b")
_END_PHRASES = re.compile(
    r"\b(?:no deal|walk away|walking away|forget it|give up|giving up|i'm out|i am out|i quit"
    r"|end (?:it|this|the negotiation)|no agreement|not interested|goodbye|bye)\b"
)
_ACCEPT_PHRASES = re.compile(
    r"\b(?:deal|agreed|agree|accept|accepted|sounds good|sounds fair|works for me|ok|okay"
    r"|yes|yep|sure|fine|done|alright|all right)\b"
)
_NEGATION = re.compile(r"\b(?:no|not|don't|dont|do not|won't|wont|never|can't|cannot|refuse)\b")
_DETERMINERS = {"the", "of", "those", "these", "my", "your"}
_REST_TOKEN, _NOTHING_TOKEN = "__rest__", "__nothing__"


def _quantity(words: list[str], k: int) -> int | str | None:
    """The count written before ``words[k]``: an int, ``"all"``, or None when none is given."""
    j = k - 1
    while j >= 0 and words[j] in _DETERMINERS:
        j -= 1
    word = words[j] if j >= 0 else ""
    if word.isdigit():
        return int(word)
    if word in NUMBER_WORDS:
        return NUMBER_WORDS.index(word)
    if word in ("a", "an", "single"):
        return 1
    if word == "both":
        return 2
    if word in ("all", "every", "each"):
        return "all"
    if word in ("no", "zero", "none"):
        return 0
    if word == "couple":
        return 2
    return None


def _cue(words: list[str], k: int) -> tuple[int, bool] | None:
    """(side, postfix) if ``words[k]`` is a side cue; postfix cues ("for me", "yours") name the
    owner of what came before them, prefix cues ("I take", "you get") of what follows."""
    word = words[k]
    if word in _POSSESSIVES:
        return _POSSESSIVES[word], True
    side = SELF if word in _SELF_CUES else OTHER if word in _OTHER_CUES else None
    if side is None:
        return None
    return side, k > 0 and words[k - 1] in ("for", "to")


@dataclass
class _Clause:
    """The items a clause names, with the side cues that own them (None: no cue yet)."""

    words: list[str]
    mentions: list[list[int | None]]
    first_cue: tuple[int, bool] | None
    last_cue: tuple[int, bool] | None
    last_prefix: int | None


def _read_clause(
    words: list[str],
    lookup: dict[str, int],
    names: Sequence[str],
    counts: Sequence[int],
    imperative_ok: bool,
) -> _Clause:
    """Mentions as ``[side, item, count]``; item -1 is "the rest", -2 "nothing"."""
    mentions: list[list[int | None]] = []
    since_cue: list[list[int | None]] = []
    current: int | None = OTHER if imperative_ok and words[0] in _IMPERATIVES else None
    first: tuple[int, bool] | None = None
    last: tuple[int, bool] | None = (OTHER, False) if current is not None else None
    last_prefix = current
    for k, word in enumerate(words):
        cue = _cue(words, k)
        if cue is not None:
            if cue[1]:
                for m in since_cue:
                    m[0] = cue[0]
            since_cue = []
            current = cue[0]
            first = first or cue
            last = cue
            if not cue[1]:
                last_prefix = cue[0]
            continue
        if word in lookup:
            item = lookup[word]
            qty = _quantity(words, k)
            if qty is None:
                qty = "all" if word != names[item] else 1
            count = counts[item] if qty == "all" else int(qty)
            mention: list[int | None] = [current, item, count]
        elif word in (_REST_TOKEN, _NOTHING_TOKEN):
            mention = [current, -1 if word == _REST_TOKEN else -2, 0]
        else:
            continue
        mentions.append(mention)
        since_cue.append(mention)
    return _Clause(words, mentions, first, last, last_prefix)


def parse(text: str, counts: Sequence[int], names: Sequence[str]) -> Parse:
    """Read ``text`` (from the speaker's side) as a move in a game with pool ``counts``."""
    if not isinstance(text, str):
        return Parse(None, f"a message must be a string, got {type(text).__name__}")
    low = " ".join(text.lower().replace("\u2019", "'").split())
    if not low:
        return Parse(None, "empty message")
    names = [n.lower() for n in names]
    lookup: dict[str, int] = {}
    for i, name in enumerate(names):
        lookup[name] = i
        lookup[plural(name)] = i
    marked = _NOTHING.sub(f" {_NOTHING_TOKEN} ", _REST.sub(f" {_REST_TOKEN} ", low))

    clauses = []
    for segment in _PUNCTUATION.split(marked):
        for k, part in enumerate(_CONJUNCTION.split(segment)):
            words = _TOKEN.findall(part or "")
            if words:
                # only a segment's first clause can be an imperative ("take the hats")
                clauses.append(_read_clause(words, lookup, names, counts, imperative_ok=k == 0))
    side, scope_open = SELF, False
    for n, clause in enumerate(clauses):
        loose = [m for m in clause.mentions if m[0] is None]
        if loose:
            # a clause with no cue before its items: part of the previous phrase if that one
            # is still open ("I take 2 books and a hat"), else of a list closed by the next
            # postfix cue ("a ball for me, the book and a hat for you")
            owner = side
            if not scope_open:
                ahead = next((c.first_cue for c in clauses[n + 1 :] if c.first_cue), None)
                if ahead is not None and ahead[1]:
                    owner = ahead[0]
            for m in loose:
                m[0] = owner
            side = owner
        if clause.last_prefix is not None:
            # "I'll give the books to you and keep the rest": the subject's phrase stays open
            side, scope_open = clause.last_prefix, True
        elif clause.last_cue is not None:
            side, scope_open = clause.last_cue[0], False
    mentions = [m for c in clauses for m in c.mentions]

    if not mentions:
        if _END_PHRASES.search(low):
            return Parse(Move(END))
        if _ACCEPT_PHRASES.search(low):
            if _NEGATION.search(low):
                return Parse(
                    None,
                    "a refusal without a counter-proposal: say what you want, or 'no deal' "
                    "to walk away",
                )
            return Parse(Move(ACCEPT))
        return Parse(
            None,
            "no proposal, acceptance or ending found: name items ("
            + ", ".join(plural(n) for n in names)
            + ") with counts, say 'deal' to accept, or 'no deal' to walk away",
        )

    claims: list[dict[int, int]] = [{}, {}]
    rest_side: int | None = None
    nothing_side: int | None = None
    for m_side, item, count in mentions:
        assert m_side is not None and item is not None and count is not None
        if item == -1:
            rest_side = m_side
        elif item == -2:
            nothing_side = m_side
        else:
            name = plural(names[item])
            if count > counts[item]:
                return Parse(
                    None, f"it gives {count} {name} to one side but there are only {counts[item]}"
                )
            if claims[m_side].get(item, count) != count:
                return Parse(None, f"it gives one side two different counts of {name}")
            claims[m_side][item] = count
    if rest_side is None and nothing_side is not None:
        rest_side = 1 - nothing_side

    take = []
    for i, total in enumerate(counts):
        mine, theirs = claims[SELF].get(i), claims[OTHER].get(i)
        if mine is not None and theirs is not None:
            if mine + theirs != total:
                return Parse(
                    None,
                    f"it splits the {plural(names[i])} as {mine} + {theirs} but there are {total}",
                )
            take.append(mine)
        elif mine is not None:
            take.append(mine)
        elif theirs is not None:
            take.append(total - theirs)
        elif rest_side is not None:
            take.append(total if rest_side == SELF else 0)
        elif claims[SELF] and not claims[OTHER]:
            take.append(0)
        elif claims[OTHER] and not claims[SELF]:
            take.append(total)
        else:
            return Parse(None, f"it does not say who gets the {plural(names[i])}")
    return Parse(Move(PROPOSE, tuple(take)))

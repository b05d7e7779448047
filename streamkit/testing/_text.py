"""The words of the generated streams: a short story, reasoning summaries,
refusals, tool calls with their arguments, and how a model cuts text into tokens.

Everything is drawn from a ``random.Random`` the caller seeds, so the same seed
always gives the same words.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Cast",
    "ToolCall",
    "arguments_json",
    "cast",
    "preamble",
    "reasoning_summary",
    "refusal",
    "split_arguments",
    "story",
    "tokens",
    "tool_calls",
    "tool_definitions",
]

# --------------------------------------------------------------------------- #
# The story
# --------------------------------------------------------------------------- #

_NAMES = ("Mira", "Tobias", "Ada", "Jonah", "Lena", "Idris", "Noor", "Felix", "Ines", "Rafael")
_ROLES = (
    "lighthouse keeper",
    "cartographer",
    "baker",
    "clockmaker",
    "botanist",
    "ferry pilot",
    "bookbinder",
    "beekeeper",
)
_PLACES = (
    "the harbor town of Vell",
    "a mountain village called Ostra",
    "the river delta at Saint-Aubin",
    "the old quarter of Zürich",
    "a fishing village on the northern cape",
    "the market town of Lindqvist",
)
_OBJECTS = (
    "a brass compass",
    "a faded map",
    "a jar of seeds",
    "a cracked lantern",
    "a letter sealed with green wax",
    "a key too small for any door",
)
_COMPANIONS = (
    "a stray dog with one white ear",
    "an old ferryman named Baptiste",
    "a girl who sold oranges",
    "a crow that never flew far",
)
_WEATHER = ("rain", "wind", "storm", "snow")
_DESTINATIONS = ("Korvi", "the far lighthouse", "Ebbridge", "the salt flats", "Port Amel")

_OPENINGS = (
    "At dawn, {name}, the {role} of {place}, found {object} on the doorstep.",
    "Every morning {name} climbed the hill above {place} to watch the {weather} come in "
    "over the rooftops.",
    "In {place}, where the streets smelled of salt and bread, {name} worked as a {role}.",
    "{name} had lived in {place} for eleven years before the letter arrived.",
)
_MIDDLES = (
    "No one in town could say where {object} had come from, and {name} did not ask twice.",
    "By noon the {weather} had eased, and the bells rang twice for no reason anyone knew.",
    "{Companion} followed at a careful distance, stopping whenever {name} stopped.",
    "The road to {destination} was older than any map, and it bent wherever the river "
    "wanted it to.",
    "{name} counted the steps out loud, a habit from childhood that still made the work "
    "feel lighter.",
    "Tucked beside {object} was a note, written in a hand {name} almost recognized.",
    "They walked until the lights of the town were only a smudge behind them.",
    "At the crossroads stood a signpost with every arrow pointing to {destination}.",
    "{name} laughed, because it was either that or turn back, and turning back had never "
    "been an option.",
    "The innkeeper at {destination} poured two cups of tea before anyone had asked for them.",
    "Somewhere below, water moved through stone with a sound like slow applause.",
    "{name} wrote the date in the margin of the map, then crossed it out and wrote it again.",
    "It rained for three days, and on the fourth the sky looked freshly washed.",
    "The {role}'s tools were heavier than they looked, and {name} carried them without complaint.",
    "{Companion} found the path first, as if it had been waiting for them.",
    "Nobody at {destination} remembered the last traveler, which seemed to please {name} "
    "enormously.",
    "A bell rang somewhere in the valley, twelve times, though it was barely past nine.",
    "They shared bread and a little cheese on a wall that had been warm all afternoon.",
    "\u201cYou\u2019re late,\u201d said a voice from the doorway, \u201cbut not too late.\u201d",
    "{name} had expected the journey to take a week; it took, in the end, nineteen days.",
)
_CLOSINGS = (
    "When {name} finally came home, {object} felt lighter, and so, somehow, did everything else.",
    "That night {name} slept with the window open, listening to the {weather} and feeling, "
    "for once, entirely at home.",
    "And if anyone asks, {name} will tell them the road to {destination} is still there, "
    "for those who want to find it.",
)


@dataclass(frozen=True)
class Cast:
    """Who and what a story is about (also used by its reasoning summary)."""

    name: str
    role: str
    place: str
    object: str
    companion: str
    weather: str
    destination: str

    def fill(self, template: str) -> str:
        """``template`` with its ``{slots}`` filled; ``{Companion}`` capitalized."""
        return template.format(
            name=self.name,
            role=self.role,
            place=self.place,
            object=self.object,
            companion=self.companion,
            Companion=self.companion[0].upper() + self.companion[1:],
            weather=self.weather,
            destination=self.destination,
        )


def cast(rng: random.Random) -> Cast:
    """A cast drawn from ``rng``."""
    return Cast(
        name=rng.choice(_NAMES),
        role=rng.choice(_ROLES),
        place=rng.choice(_PLACES),
        object=rng.choice(_OBJECTS),
        companion=rng.choice(_COMPANIONS),
        weather=rng.choice(_WEATHER),
        destination=rng.choice(_DESTINATIONS),
    )


def _words(text: str) -> int:
    return len(text.split())


def story(rng: random.Random, who: Cast, words: int) -> str:
    """A story of about ``words`` words (at least one sentence), in paragraphs.

    An opening, middle sentences in a random order (reshuffled when a long story
    has used them all) and a closing sentence; three or four sentences to a
    paragraph, paragraphs separated by a blank line.
    """
    sentences = [who.fill(rng.choice(_OPENINGS))]
    closing = who.fill(rng.choice(_CLOSINGS))
    total = _words(sentences[0])
    pool: list[str] = []
    while total + _words(closing) < words:
        if not pool:
            pool = list(_MIDDLES)
            rng.shuffle(pool)
        sentence = who.fill(pool.pop())
        sentences.append(sentence)
        total += _words(sentence)
    if words > total:
        sentences.append(closing)
    paragraphs: list[str] = []
    while sentences:
        size = rng.choice((3, 4))
        paragraphs.append(" ".join(sentences[:size]))
        del sentences[:size]
    return "\n\n".join(paragraphs)


def reasoning_summary(rng: random.Random, who: Cast, calls: list[ToolCall]) -> list[str]:
    """One or two reasoning summary parts: a bold title, a blank line, a paragraph."""
    if calls:
        asks = _join([call.phrase for call in calls])
        parts = [
            "**Planning the lookups**\n\n"
            f"The user wants me to {asks}. These lookups do not depend on each other, "
            "so I can call the tools in parallel and answer once the results are back.",
            "**Checking the arguments**\n\n"
            "Each tool takes a small JSON object. I should use the exact names the user "
            "gave and keep the defaults for everything else.",
        ]
    else:
        parts = [
            "**Planning a short story**\n\n"
            f"The user asked for a short story. I'll follow {who.name}, a {who.role}, "
            "give them a small mystery and a companion, and end on a quiet note rather "
            "than a twist.",
            "**Choosing the details**\n\n"
            f"A few concrete details will carry it: {who.object}, the {who.weather}, and "
            f"the road to {who.destination}. I'll keep the sentences plain and the "
            "paragraphs short.",
        ]
    return parts[: rng.choice((1, 2))]


_REFUSALS = (
    "I'm sorry, but I can't help with that.",
    "I'm sorry, but I can't assist with that request.",
    "I can't help with that. If you have another question, I'm happy to help.",
)


def refusal(rng: random.Random) -> str:
    """A refusal sentence."""
    return rng.choice(_REFUSALS)


# --------------------------------------------------------------------------- #
# Tool calls
# --------------------------------------------------------------------------- #

# name, IANA time zone, IATA airport, currency
_CITIES = (
    ("Lisbon", "Europe/Lisbon", "LIS", "EUR"),
    ("Tokyo", "Asia/Tokyo", "HND", "JPY"),
    ("Oslo", "Europe/Oslo", "OSL", "NOK"),
    ("Buenos Aires", "America/Argentina/Buenos_Aires", "EZE", "ARS"),
    ("Nairobi", "Africa/Nairobi", "NBO", "KES"),
    ("Montréal", "America/Toronto", "YUL", "CAD"),
    ("Zürich", "Europe/Zurich", "ZRH", "CHF"),
    ("Seoul", "Asia/Seoul", "ICN", "KRW"),
)

_TOOLS: dict[str, dict[str, Any]] = {
    "get_weather": {
        "description": "Get the current weather in a city.",
        "properties": {
            "location": {"type": "string", "description": "City and country"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
    },
    "get_local_time": {
        "description": "Get the local time in an IANA time zone.",
        "properties": {"timezone": {"type": "string"}},
    },
    "search_flights": {
        "description": "Search direct flights between two airports on a date.",
        "properties": {
            "origin": {"type": "string"},
            "destination": {"type": "string"},
            "date": {"type": "string", "format": "date"},
            "passengers": {"type": "integer"},
        },
    },
    "convert_currency": {
        "description": "Convert an amount between two currencies.",
        "properties": {
            "amount": {"type": "number"},
            "from": {"type": "string"},
            "to": {"type": "string"},
        },
    },
}


@dataclass(frozen=True)
class ToolCall:
    """One function call: its name, its arguments and how to announce it."""

    name: str
    arguments: dict[str, Any]
    #: What the call does, as a verb phrase: "check the weather in Oslo".
    phrase: str


def _tool_call(rng: random.Random) -> ToolCall:
    name = rng.choice(sorted(_TOOLS))
    city, zone, airport, currency = rng.choice(_CITIES)
    if name == "get_weather":
        country = {"Lisbon": "Portugal", "Tokyo": "Japan", "Oslo": "Norway"}.get(city)
        location = f"{city}, {country}" if country else city
        unit = rng.choice(("celsius", "fahrenheit"))
        return ToolCall(name, {"location": location, "unit": unit}, f"check the weather in {city}")
    if name == "get_local_time":
        return ToolCall(name, {"timezone": zone}, f"look up the local time in {city}")
    if name == "search_flights":
        other = rng.choice([c for c in _CITIES if c[0] != city])
        day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        arguments = {
            "origin": airport,
            "destination": other[2],
            "date": day,
            "passengers": rng.randint(1, 4),
        }
        return ToolCall(name, arguments, f"search flights from {city} to {other[0]}")
    amount = rng.choice((20, 75, 120, 250, 1000, 1499.5))
    target = rng.choice([c[3] for c in _CITIES if c[3] != currency])
    return ToolCall(
        name,
        {"amount": amount, "from": currency, "to": target},
        f"convert {amount:g} {currency} to {target}",
    )


def tool_calls(rng: random.Random, n: int) -> list[ToolCall]:
    """``n`` function calls with different arguments (as in one parallel call)."""
    calls: list[ToolCall] = []
    while len(calls) < n:
        call = _tool_call(rng)
        if all(c.arguments != call.arguments for c in calls):
            calls.append(call)
    return calls


def tool_definitions(calls: list[ToolCall]) -> list[dict[str, Any]]:
    """The ``tools`` of the request, as the Responses API echoes them: one strict
    function definition per tool name used, in order of first use."""
    names = list(dict.fromkeys(call.name for call in calls))
    return [
        {
            "type": "function",
            "name": name,
            "description": _TOOLS[name]["description"],
            "parameters": {
                "type": "object",
                "properties": _TOOLS[name]["properties"],
                "required": list(_TOOLS[name]["properties"]),
                "additionalProperties": False,
            },
            "strict": True,
        }
        for name in names
    ]


def _join(phrases: list[str]) -> str:
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def preamble(calls: list[ToolCall]) -> str:
    """The sentence a model says before its tool calls."""
    return f"I'll {_join([call.phrase for call in calls])}." if calls else ""


def arguments_json(call: ToolCall, *, spaced: bool) -> str:
    """The call's arguments as the model writes them (non-ASCII kept as is);
    ``spaced`` puts a space after ``,`` and ``:`` as some models do."""
    separators = (", ", ": ") if spaced else (",", ":")
    return json.dumps(call.arguments, ensure_ascii=False, separators=separators)


def split_arguments(rng: random.Random, text: str) -> list[str]:
    """``text`` cut into the 1-7 character pieces arguments stream in."""
    pieces: list[str] = []
    pos = 0
    while pos < len(text):
        size = rng.randint(1, 7)
        pieces.append(text[pos : pos + size])
        pos += size
    return pieces


# --------------------------------------------------------------------------- #
# Tokens
# --------------------------------------------------------------------------- #

# Close to the pre-tokenizer of GPT models: contractions, a word with its leading
# space, numbers, runs of punctuation, line breaks, other whitespace; any other
# character alone.
_PRE_TOKEN = re.compile(
    r"[\u2019'](?:[sdmt]|ll|ve|re)\b| ?[^\W\d_]+| ?\d{1,3}| ?[^\s\w]+|\n+|\s+(?!\S)|\s+|.",
)


def tokens(rng: random.Random, text: str) -> list[str]:
    """``text`` cut into token-sized deltas whose concatenation is ``text``.

    Words of up to seven letters are one token with their leading space; longer
    words are cut into pieces of three to six characters, as a byte-pair
    tokenizer cuts rarer words.
    """
    out: list[str] = []
    for match in _PRE_TOKEN.finditer(text):
        piece = match.group()
        while len(piece.strip()) > 7:
            size = rng.randint(3, 6) + (piece[0] == " ")
            out.append(piece[:size])
            piece = piece[size:]
        out.append(piece)
    return out

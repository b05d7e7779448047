"""What every converter shares: the mapping tables, id derivation, usage in
one canonical form, the "lost" report and the interface between the readers
(source API → a neutral sequence of calls) and the writers (those calls →
events of the target API).

A reader turns each source event into calls on a :class:`Writer`:
``start`` (once), ``open`` / ``delta`` / ``close`` for each content block
(text, refusal, reasoning, tool call) under a key of the reader's choosing,
``usage``, ``stop`` (the stop reason, in :data:`STOP_REASONS` terms), ``error``
and ``end`` (the source's terminal event). A writer emits, for each call, the
events the target API's server would send at that point. Nothing is buffered
beyond the blocks still open.
"""

from __future__ import annotations

import abc
import hashlib
from collections.abc import Hashable
from typing import Any, Final, Literal, TypeAlias

import msgspec

__all__ = [
    "CHAT_FINISH_TO_STOP",
    "STOP_TO_CHAT_FINISH",
    "STOP_TO_MESSAGES",
    "STOP_TO_RESPONSES",
    "MESSAGES_TO_STOP",
    "RESPONSES_INCOMPLETE_TO_STOP",
    "STOP_REASONS",
    "BlockKind",
    "Lost",
    "LostReport",
    "Meta",
    "TokenUsage",
    "Target",
    "Writer",
    "derive_id",
    "tool_id",
]

#: The converters' target (and source) APIs.
Target: TypeAlias = Literal["responses", "chat", "messages"]

#: What kind of content block a reader opens.
BlockKind: TypeAlias = Literal["text", "refusal", "reasoning", "tool"]

# --------------------------------------------------------------------------- #
# Stop reasons: one canonical vocabulary (the Messages API's, the richest, plus
# ``content_filter``), and a table from and to each API.
# --------------------------------------------------------------------------- #

#: Every canonical stop reason.
STOP_REASONS: Final = frozenset(
    {
        "end_turn",
        "stop_sequence",
        "tool_use",
        "max_tokens",
        "model_context_window_exceeded",
        "content_filter",
        "refusal",
        "pause_turn",
    }
)

#: Chat ``finish_reason`` → canonical stop reason.
CHAT_FINISH_TO_STOP: Final[dict[str, str]] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "content_filter",
}

#: Canonical stop reason → Chat ``finish_reason``. The reasons Chat has no
#: value for travel as well in ``choices[].native_finish_reason`` (the shape
#: OpenRouter uses), so a round trip gives them back.
STOP_TO_CHAT_FINISH: Final[dict[str, str]] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "content_filter": "content_filter",
    "refusal": "content_filter",
    "pause_turn": "stop",
}

#: Responses ``incomplete_details.reason`` → canonical stop reason
#: (``status: "completed"`` is ``tool_use`` when the output has function
#: calls, ``end_turn`` otherwise; ``failed`` is an error).
RESPONSES_INCOMPLETE_TO_STOP: Final[dict[str, str]] = {
    "max_output_tokens": "max_tokens",
    "content_filter": "content_filter",
}

#: Canonical stop reason → Responses ``(status, incomplete_details.reason)``.
STOP_TO_RESPONSES: Final[dict[str, tuple[str, str | None]]] = {
    "end_turn": ("completed", None),
    "stop_sequence": ("completed", None),
    "tool_use": ("completed", None),
    "pause_turn": ("completed", None),
    "max_tokens": ("incomplete", "max_output_tokens"),
    "model_context_window_exceeded": ("incomplete", "max_output_tokens"),
    "content_filter": ("incomplete", "content_filter"),
    "refusal": ("incomplete", "content_filter"),
}

#: Messages ``stop_reason`` → canonical stop reason (the identity on known values).
MESSAGES_TO_STOP: Final[dict[str, str]] = {
    reason: reason for reason in STOP_REASONS if reason != "content_filter"
}

#: Canonical stop reason → Messages ``stop_reason``.
STOP_TO_MESSAGES: Final[dict[str, str]] = {
    **MESSAGES_TO_STOP,
    "content_filter": "refusal",
}

#: Canonical reasons each target cannot tell apart from another one (what
#: the converter reports as lost when it meets them).
UNREPRESENTED: Final[dict[str, frozenset[str]]] = {
    # Carried in native_finish_reason, so nothing is lost for Chat.
    "chat": frozenset(),
    "responses": frozenset({"stop_sequence", "pause_turn", "model_context_window_exceeded"}),
    # content_filter becomes refusal, which every other API maps back to content_filter.
    "messages": frozenset(),
}


# --------------------------------------------------------------------------- #
# Ids
# --------------------------------------------------------------------------- #

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Per target API and id kind: the prefix and the shape of the rest.
_SHAPES: Final[dict[str, tuple[str, str, int]]] = {
    # Responses: prefix + 48 hex digits ("resp_68c1...").
    "resp": ("resp_", "hex", 48),
    "msg": ("msg_", "hex", 48),
    "fc": ("fc_", "hex", 48),
    "rs": ("rs_", "hex", 48),
    # Chat: "chatcmpl-" + 29 letters and digits, "call_" + 24.
    "chatcmpl": ("chatcmpl-", "alnum", 29),
    "call": ("call_", "alnum", 24),
    # Messages: "msg_01" / "toolu_01" + 22 letters and digits.
    "anthropic_msg": ("msg_01", "alnum", 22),
    "toolu": ("toolu_01", "alnum", 22),
}


def derive_id(kind: str, *parts: object) -> str:
    """A deterministic id of the target server's shape for ``kind`` (``resp``,
    ``msg``, ``fc``, ``rs``, ``chatcmpl``, ``call``, ``anthropic_msg``,
    ``toolu``), derived from ``parts`` (the upstream id and a position): the
    same input always gives the same id, different inputs different ids."""
    prefix, alphabet, width = _SHAPES[kind]
    digest = hashlib.blake2b("\x1f".join(map(str, (kind, *parts))).encode(), digest_size=32)
    if alphabet == "hex":
        return prefix + digest.hexdigest()[:width]
    number = int.from_bytes(digest.digest(), "big")
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        chars.append(_ALNUM[digit])
    return prefix + "".join(chars)


# Tool call id prefixes by API: a known prefix is swapped, so the mapping is
# reversible (``call_X`` → ``toolu_X`` → ``call_X``); ids without one are kept.
_TOOL_PREFIX: Final[dict[str, str]] = {
    "chat": "call_",
    "responses": "call_",
    "messages": "toolu_",
}


def tool_id(id: str, to: Target) -> str:
    """The id a tool call of id ``id`` gets in API ``to``: ``call_…`` (Chat,
    Responses ``call_id``) ↔ ``toolu_…`` (Messages), by swapping the prefix;
    an id with neither prefix is kept as it is. Reversible: a gateway maps the
    client's ``tool_use_id`` / ``call_id`` back with ``tool_id(id, to=upstream)``.
    """
    target = _TOOL_PREFIX[to]
    for prefix in ("call_", "toolu_"):
        if id.startswith(prefix) and prefix != target:
            return target + id[len(prefix) :]
    return id


# --------------------------------------------------------------------------- #
# Usage and metadata
# --------------------------------------------------------------------------- #


class TokenUsage(msgspec.Struct, kw_only=True):
    """Token usage in one form for every API.

    ``input`` counts every prompt token, cached ones and cache writes included
    (OpenAI's ``prompt_tokens`` / ``input_tokens``; the Messages API's
    ``input_tokens + cache_read_input_tokens + cache_creation_input_tokens``).
    A field is None when the source did not say.
    """

    input: int = 0
    output: int = 0
    cached: int | None = None
    cache_write: int | None = None
    reasoning: int | None = None


class Meta(msgspec.Struct, kw_only=True):
    """What the source's first event says about the stream."""

    id: str
    model: str
    created: int = 0
    usage: TokenUsage | None = None


# --------------------------------------------------------------------------- #
# What was lost
# --------------------------------------------------------------------------- #


class Lost(msgspec.Struct, kw_only=True, frozen=True):
    """Something of the source the target could not carry.

    ``what`` names the kind of thing (``"item:web_search_call"``,
    ``"choice:1"``, ``"citations"``, ``"stop_reason:pause_turn"``...),
    ``detail`` says what became of it, ``count`` how many times it occurred.
    """

    what: str
    detail: str
    count: int = 1


class LostReport:
    """The per-stream list of what was lost, one entry per kind."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: dict[str, Lost] = {}

    def add(self, what: str, detail: str) -> None:
        """Record one occurrence of ``what``."""
        seen = self._entries.get(what)
        if seen is None:
            self._entries[what] = Lost(what=what, detail=detail)
        else:
            self._entries[what] = msgspec.structs.replace(seen, count=seen.count + 1)

    def entries(self) -> list[Lost]:
        """Everything lost so far, in the order first seen."""
        return list(self._entries.values())


# --------------------------------------------------------------------------- #
# The reader → writer interface
# --------------------------------------------------------------------------- #


class Writer(abc.ABC):
    """Receives what a reader found and emits events of the target API into
    ``out``. Subclasses implement every method; see the module docstring."""

    out: list[Any]
    lost: LostReport

    @abc.abstractmethod
    def start(self, meta: Meta) -> None: ...

    @abc.abstractmethod
    def open(self, key: Hashable, kind: BlockKind, *, call_id: str = "", name: str = "") -> None:
        """Open a block. For ``tool``: the call's id (as the source spells it)
        and name."""
        ...

    @abc.abstractmethod
    def delta(self, key: Hashable, text: str) -> None:
        """Append ``text`` (text, refusal, reasoning, tool arguments) to a block."""
        ...

    @abc.abstractmethod
    def close(
        self,
        key: Hashable,
        *,
        signature: str | None = None,
        encrypted: str | None = None,
    ) -> None:
        """Close a block. Reasoning: its ``signature`` (Messages thinking) or
        ``encrypted`` state (Responses ``encrypted_content``, Messages
        ``redacted_thinking`` data)."""
        ...

    @abc.abstractmethod
    def usage(self, usage: TokenUsage) -> None: ...

    @abc.abstractmethod
    def stop(self, reason: str, *, stop_sequence: str | None = None) -> None:
        """The model stopped: close every open block; the reason is canonical."""
        ...

    @abc.abstractmethod
    def error(self, code: str | None, message: str, type: str | None = None) -> None:
        """The source reported an error (the stream ends with it)."""
        ...

    @abc.abstractmethod
    def end(self) -> None:
        """The source's terminal event: emit the target's."""
        ...


def json_text(value: Any) -> str:
    """``value`` as compact JSON text."""
    return msgspec.json.encode(value).decode()

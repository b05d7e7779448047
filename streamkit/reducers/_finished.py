"""High-level "just finished" events, derived from a fold.

Reducers report them as each piece of output completes, so consumers can act
on a whole tool call or text part without tracking deltas themselves. They
carry enough position (``output_index`` for Responses, ``choice_index`` for
Chat, ``content_index`` / ``summary_index`` / ``tool_index``; the content block
index for Messages) to be right with n > 1 choices and parallel tool calls.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "Finished",
    "TextDone",
    "RefusalDone",
    "ToolCallDone",
    "ItemDone",
    "ReasoningSummaryDone",
    "ThinkingDone",
]


class TextDone(msgspec.Struct, kw_only=True, frozen=True):
    """A text part (Responses ``output_text``), a choice's content (Chat) or a
    text block (Messages: ``content_index`` is the block index) is complete."""

    text: str
    output_index: int | None = None
    content_index: int | None = None
    choice_index: int | None = None


class RefusalDone(msgspec.Struct, kw_only=True, frozen=True):
    """A refusal is complete."""

    refusal: str
    output_index: int | None = None
    content_index: int | None = None
    choice_index: int | None = None


class ToolCallDone(msgspec.Struct, kw_only=True, frozen=True):
    """A tool call's arguments are complete.

    ``arguments`` is the raw argument string; ``parsed`` its JSON value, or
    ``None`` with ``parse_error`` set when it is not valid JSON. ``kind`` is the
    call's type (``function``, ``custom_tool_call``, ``mcp_call``, ...).
    """

    name: str
    arguments: str
    parsed: Any = None
    parse_error: str | None = None
    call_id: str | None = None
    kind: str = "function"
    output_index: int | None = None
    choice_index: int | None = None
    tool_index: int | None = None


class ItemDone(msgspec.Struct, kw_only=True, frozen=True):
    """A Responses output item is complete (its final folded value)."""

    item: Any
    output_index: int


class ReasoningSummaryDone(msgspec.Struct, kw_only=True, frozen=True):
    """A reasoning summary part is complete."""

    text: str
    output_index: int
    summary_index: int


class ThinkingDone(msgspec.Struct, kw_only=True, frozen=True):
    """A Messages thinking block is complete: its text and its signature
    (``content_index`` is the block index)."""

    thinking: str
    signature: str
    content_index: int


Finished = TextDone | RefusalDone | ToolCallDone | ItemDone | ReasoningSummaryDone | ThinkingDone

"""Parsing a finished tool call's JSON arguments: one function for every reducer.

``parse_arguments`` never raises: invalid JSON, and valid JSON nested deeper than
``MAX_ARGUMENT_DEPTH``, come back as a parse error, the way a reducer reports them on
the call (``ToolCallDone.parse_error``). The depth bound keeps a hostile or broken
stream from driving the parser (or whoever walks the parsed value later) into a
``RecursionError``.
"""

from __future__ import annotations

import re
from typing import Any, Final

import orjson

__all__ = ["MAX_ARGUMENT_DEPTH", "argument_depth_error", "parse_arguments"]

#: Deepest ``[`` / ``{`` nesting accepted in tool arguments. Real arguments nest a
#: handful of levels; this leaves ample room while staying far below the
#: interpreter's recursion limit.
MAX_ARGUMENT_DEPTH: Final = 256

# A whole JSON string (escapes included, possibly unterminated) or one bracket.
_TOKENS: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


def argument_depth_error(text: str) -> str | None:
    """Why ``text`` nests too deep to be parsed, or None.

    Counts ``[`` / ``{`` nesting outside strings. Text with fewer opening brackets
    than the bound cannot exceed it, so the common case is two ``str.count`` calls.
    """
    if text.count("[") + text.count("{") <= MAX_ARGUMENT_DEPTH:
        return None
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token == "[" or token == "{":
            depth += 1
            if depth > MAX_ARGUMENT_DEPTH:
                return f"nesting deeper than {MAX_ARGUMENT_DEPTH} levels (char {match.start()})"
        elif token == "]" or token == "}":
            depth -= 1
    return None


def parse_arguments(text: str) -> tuple[Any, str | None]:
    """``(json value, None)``, or ``(None, error message)`` when ``text`` is not
    valid JSON or nests deeper than ``MAX_ARGUMENT_DEPTH``."""
    error = argument_depth_error(text)
    if error is not None:
        return None, error
    # orjson: several times faster than json.loads on argument-sized objects,
    # strict RFC 8259 (no NaN), and a depth limit of its own behind ours.
    try:
        return orjson.loads(text), None
    except orjson.JSONDecodeError as exc:
        return None, str(exc)

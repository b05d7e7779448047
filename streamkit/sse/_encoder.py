"""Formatting of server-sent events: the inverse of ``SSEDecoder``."""

from __future__ import annotations

import re

__all__ = ["encode_sse"]

_LINES = re.compile(rb"\r\n|\r|\n")


def encode_sse(
    data: bytes | bytearray | memoryview | str,
    *,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
) -> bytes:
    """Format one event as ``text/event-stream`` bytes, blank line included.

    Line breaks inside ``data`` become separate ``data:`` lines, so decoding
    gives the data back with every CR, LF or CRLF normalised to LF. ``event``
    and ``id`` must not contain CR or LF (and ``id`` no NUL), or the event
    could not be decoded as given.
    """
    raw = data.encode() if isinstance(data, str) else bytes(data)
    parts: list[bytes] = []
    if event is not None:
        parts.append(b"event: " + _single_line(event, "event") + b"\n")
    if id is not None:
        if "\x00" in id:
            raise ValueError("an SSE id cannot contain NUL")
        parts.append(b"id: " + _single_line(id, "id") + b"\n")
    if retry is not None:
        if retry < 0:
            raise ValueError("retry must be >= 0")
        parts.append(b"retry: %d\n" % retry)
    parts.extend(b"data: " + line + b"\n" for line in _LINES.split(raw))
    parts.append(b"\n")
    return b"".join(parts)


def _single_line(value: str, what: str) -> bytes:
    encoded = value.encode()
    if b"\r" in encoded or b"\n" in encoded:
        raise ValueError(f"an SSE {what} cannot contain CR or LF: {value!r}")
    return encoded

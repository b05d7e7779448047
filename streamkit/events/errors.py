"""In-stream error payloads: ``data: {"error": {...}}``.

Chat Completions, legacy Completions and other endpoints may abort a stream that has
already started by sending the spec's ``ErrorResponse`` body as a ``data:`` payload.
Field names follow the spec's ``Error`` schema, but every field except ``message`` is
optional and nullable here: error bodies come from several layers (API, proxies,
compatible providers), and ``code`` may be a string or an integer.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from streamkit.models._base import Model, Wire

__all__ = [
    "ERROR_PAYLOAD_DECODER",
    "ErrorDetail",
    "ErrorPayload",
    "StreamErrorEvent",
]


class ErrorDetail(Model):
    """What went wrong: a human-readable message plus machine-readable hints."""

    message: str
    type: str | UnsetType | None = UNSET
    param: str | UnsetType | None = UNSET
    code: str | int | UnsetType | None = UNSET


class StreamErrorEvent(Wire):
    """An error sent in place of the next stream payload."""

    error: ErrorDetail


ErrorPayload = StreamErrorEvent
"""Alias: the payload body is the event."""

ERROR_PAYLOAD_DECODER: msgspec.json.Decoder[StreamErrorEvent] = msgspec.json.Decoder(
    StreamErrorEvent
)
"""Prebuilt decoder for a top-level ``{"error": ...}`` payload."""

"""Events shared by every stream type: the unknown event and ``[DONE]``."""

from __future__ import annotations

import msgspec

__all__ = ["UnknownEvent", "Done"]


class UnknownEvent(msgspec.Struct, frozen=True, gc=False):
    """An event whose ``type`` streamkit does not know, passed through in order.

    ``type`` is the payload's ``type`` (or the SSE event name when the payload
    has none); ``raw`` is the payload's JSON bytes, untouched.
    """

    type: str
    raw: bytes


class Done(msgspec.Struct, frozen=True, gc=False):
    """The ``data: [DONE]`` sentinel that ends a Chat or Completions stream."""

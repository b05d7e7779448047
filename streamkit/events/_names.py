"""The type name of any typed event."""

from __future__ import annotations

from typing import Any

from streamkit.events._common import Done, UnknownEvent
from streamkit.events.chat import ChatCompletionChunk
from streamkit.events.completions import CompletionChunk
from streamkit.events.errors import StreamErrorEvent

__all__ = ["event_type"]

_NAMES: dict[type[Any], str] = {
    ChatCompletionChunk: "chat.completion.chunk",
    CompletionChunk: "text_completion",
    StreamErrorEvent: "error",
    Done: "[DONE]",
}


def event_type(event: object) -> str:
    """The name of an event's type: the Responses ``type`` (the tag, which is
    not an attribute of the Struct), an unknown event's ``type``,
    ``chat.completion.chunk`` / ``text_completion`` for chunks, ``error`` for an
    ``{"error": ...}`` payload and ``[DONE]`` for the end sentinel."""
    if isinstance(event, UnknownEvent):
        return event.type
    return class_type_name(type(event))


def class_type_name(cls: type[Any]) -> str:
    """``event_type`` for every event of class ``cls`` but ``UnknownEvent``."""
    name = _NAMES.get(cls)
    if name is None:
        tag = getattr(getattr(cls, "__struct_config__", None), "tag", None)
        name = tag if isinstance(tag, str) else cls.__name__
        _NAMES[cls] = name
    return name

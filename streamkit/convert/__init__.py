"""Convert streams between the Chat Completions, Responses and Messages APIs, live.

``convert(source, to="responses")`` reads a stream of any of the three APIs
(bytes, a file, chunks, or typed events) and yields the typed events the
target API's server would send for the same content, one source event at a
time; ``aconvert`` is the async twin, and ``streamkit.encode_events(events,
api=to)`` writes them as SSE::

    import streamkit
    from streamkit.convert import convert
    from streamkit.testing import demo_stream

    events = list(convert(demo_stream("chat-tools"), to="messages"))
    message = streamkit.reduce(b"".join(streamkit.encode_events(events, api="messages")))

``Converter(to, source=...)`` is the converter itself, a reducer-style object
(``step(event)`` → target events, ``finish()``, ``result()``, ``lost``) that
composes with the combinators. The mapping tables are the ``*_TO_*``
constants; ``tool_id`` maps a tool call id between the APIs (reversibly).

What the target cannot represent either travels in a documented extension
(Chat: ``reasoning_content``, ``reasoning_details``, ``native_finish_reason``;
Responses: reasoning ``encrypted_content`` for thinking signatures and
redacted thinking) or is listed in the converter's ``lost`` report. Chat
streams with ``n`` > 1: choice 0 is converted, the others are reported lost.
"""

from streamkit.convert._common import (
    CHAT_FINISH_TO_STOP,
    MESSAGES_TO_STOP,
    RESPONSES_INCOMPLETE_TO_STOP,
    STOP_REASONS,
    STOP_TO_CHAT_FINISH,
    STOP_TO_MESSAGES,
    STOP_TO_RESPONSES,
    Lost,
    Target,
    TokenUsage,
    derive_id,
    tool_id,
)
from streamkit.convert._convert import Conversion, Converter, SourceAPI, aconvert, convert

__all__ = [
    "CHAT_FINISH_TO_STOP",
    "MESSAGES_TO_STOP",
    "RESPONSES_INCOMPLETE_TO_STOP",
    "STOP_REASONS",
    "STOP_TO_CHAT_FINISH",
    "STOP_TO_MESSAGES",
    "STOP_TO_RESPONSES",
    "Conversion",
    "Converter",
    "Lost",
    "SourceAPI",
    "Target",
    "TokenUsage",
    "aconvert",
    "convert",
    "derive_id",
    "tool_id",
]

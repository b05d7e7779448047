"""The extra fields of the server's final object, for reducers in lossless mode.

The reducers build final objects from typed fields only. In lossless mode
(``reduce(..., lossless=True)``) ``FinalExtras`` watches the same events and
gives the final object the fields its Struct does not declare, read where each
API's server puts its final object (see ``streamkit.events.extra_fields``).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any

from streamkit.events._raw import extra_fields, nested_extra, raw_payload, set_extra_fields
from streamkit.events.chat import ChatCompletionChunk
from streamkit.events.completions import CompletionChunk
from streamkit.events.messages import MessageDeltaEvent, MessageStartEvent
from streamkit.models._base import Wire
from streamkit.models.responses import Response

__all__ = ["FinalExtras"]

_CHUNKS = (ChatCompletionChunk, CompletionChunk)


class FinalExtras:
    """Collects the final object's extra fields from lossless events.

    * Chat and Completions: the chunks' top-level fields (the last value of
      each);
    * Responses: those of the latest ``response`` object an event carried
      (``response.completed`` last);
    * Messages: those of ``message_start``'s ``message``, updated by each
      ``message_delta``'s ``delta``.
    """

    __slots__ = ("extra",)

    def __init__(self) -> None:
        self.extra: dict[str, Any] = {}

    def see(self, event: object) -> None:
        """Take what ``event`` adds (nothing unless it was decoded lossless)."""
        if not isinstance(event, Wire) or raw_payload(event) is None:
            return
        if isinstance(event, _CHUNKS):
            self.extra.update(extra_fields(event))
        elif isinstance(event, MessageStartEvent):
            self.extra.update(nested_extra(event, "message") or {})
        elif isinstance(event, MessageDeltaEvent):
            self.extra.update(nested_extra(event, "delta") or {})
        elif isinstance(getattr(event, "response", None), Response):
            self.extra = dict(nested_extra(event, "response") or {})

    def watch(self, events: Iterable[Any]) -> Iterator[Any]:
        """``events``, each seen as it passes."""
        see = self.see
        for event in events:
            see(event)
            yield event

    async def awatch(self, events: AsyncIterable[Any]) -> AsyncIterator[Any]:
        """Async twin of ``watch``."""
        see = self.see
        async for event in events:
            see(event)
            yield event

    def apply(self, final: object) -> None:
        """Give ``final`` (a final object) the fields collected so far."""
        if isinstance(final, Wire):
            set_extra_fields(final, dict(self.extra))

"""Frames → typed events: the sans-IO event layer.

``EventDecoder`` turns ``SSEFrame`` objects into typed events of one API
(OpenAI Responses, Chat Completions or legacy Completions, or Anthropic
Messages), detected from the first payload when ``api="auto"``. Each payload
goes straight from the frame's bytes to one prebuilt msgspec decoder (a tagged
union for Responses and Messages); everything
unusual (unknown types, unknown item kinds, ``[DONE]``, error payloads, bad
JSON, the wrong API) is handled only after that single fast attempt fails, so
the common path costs one decode call per event.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, Literal, TypeAlias

import msgspec

from streamkit.errors import (
    APIMismatchError,
    APIStreamError,
    EventDecodeError,
    UnexpectedEventError,
    UnknownEventError,
    excerpt,
)
from streamkit.events._common import Done, UnknownEvent
from streamkit.events._raw import keep
from streamkit.events.chat import CHAT_CHUNK_DECODER, ChatCompletionChunk, spec_violation
from streamkit.events.completions import COMPLETION_CHUNK_DECODER, CompletionChunk
from streamkit.events.errors import ERROR_PAYLOAD_DECODER, StreamErrorEvent
from streamkit.events.messages import (
    MESSAGE_EVENT_DECODER,
    MESSAGE_EVENT_TYPES,
    MessageErrorEvent,
    MessageStreamEvent,
    decode_message_event_tolerant,
)
from streamkit.events.responses import (
    RESPONSE_EVENT_DECODER,
    RESPONSE_EVENT_TYPES,
    TOO_DEEP,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseStreamEvent,
    decode_event_tolerant,
)
from streamkit.models._verdict import ServerError
from streamkit.sse._decoder import SSEFrame

__all__ = ["API", "ErrorMode", "Event", "EventDecoder"]

API: TypeAlias = Literal["auto", "responses", "chat", "completions", "messages"]
ErrorMode: TypeAlias = Literal["raise", "yield"]
#: Every typed event the iterators yield.
Event: TypeAlias = (
    ResponseStreamEvent
    | MessageStreamEvent
    | ChatCompletionChunk
    | CompletionChunk
    | StreamErrorEvent
    | UnknownEvent
    | Done
)

_APIS = ("auto", "responses", "chat", "completions", "messages")
_DONE = b"[DONE]"
_ERROR_EVENTS = (ResponseErrorEvent, ResponseFailedEvent, StreamErrorEvent)
_ERROR_CLASSES: frozenset[type[Any]] = frozenset(_ERROR_EVENTS)
_MESSAGE_ERRORS: frozenset[type[Any]] = frozenset({MessageErrorEvent})
# Messages event types no other API has (``error`` is shared with Responses): as
# the first payload they mean Messages.
_MESSAGES_FIRST = MESSAGE_EVENT_TYPES - RESPONSE_EVENT_TYPES
# Those that give a Messages stream away anywhere: not ``ping``, a keep-alive
# proxies may send in any stream.
_MESSAGES_ONLY = _MESSAGES_FIRST - {"ping"}


class _Tag(msgspec.Struct):
    type: str


_TAG_DECODER = msgspec.json.Decoder(_Tag)


class EventDecoder:
    """Sans-IO decoder of SSE frames into typed events.

    Args:
        api: ``"responses"``, ``"chat"``, ``"completions"``, ``"messages"``
            (Anthropic), or ``"auto"`` (decided from the first payload; ``api``
            then tells which).
        strict: raise ``UnknownEventError`` for an event type streamkit does not
            know (instead of passing it through as ``UnknownEvent``), and
            ``UnexpectedEventError`` for frames after ``[DONE]`` (instead of
            ignoring them), and ``EventDecodeError`` for a Chat chunk lacking a
            field the OpenAI spec requires (``events.chat.spec_violation``).
        types: Responses only: decode just these event types; every other event
            is skipped after reading its tag (its SSE event name, or the JSON
            ``type`` when the frame has none). Error events are always decoded.
        errors: ``"raise"`` (default) raises ``APIStreamError`` for an ``error``
            event, ``response.failed`` or an ``{"error": ...}`` payload;
            ``"yield"`` returns them as events instead.
        lossless: keep each event's payload (``raw_payload``), so that
            ``encode_event`` writes back every field the server sent, and
            ``extra_fields`` reads the ones the Struct does not declare. Off by
            default: the fast path keeps nothing.

    Detection (``api="auto"``) reads the first payload: a ``type`` that only
    the Messages API has (``message_start``, ``content_block_*``,
    ``message_delta``, ``message_stop``, ``ping``) means Messages, any other
    ``type`` Responses, ``choices`` / ``object`` Chat or Completions. An
    ``error`` event first is ambiguous between Responses and Messages (both
    servers name it ``event: error``); its shape decides: a nested ``error``
    object with a ``type`` and no ``sequence_number`` nor top-level
    ``message`` is Anthropic's, so the stream is taken as Messages and the
    error is raised (or yielded) as a ``MessageErrorEvent``.

    ``decode_into(frames, out)`` appends the events of a batch of frames to
    ``out``; if it raises, ``out`` already holds every event before the error.
    Its errors name the frame (``index``, ``event_type``, ``excerpt``); frames
    carry no byte positions, so ``offset`` is left to the iterators that read
    the bytes (``iter_events`` and its twins fill it in).
    """

    __slots__ = ("_at", "_errors", "_lossless", "_strict", "_types", "api", "done", "index")

    def __init__(
        self,
        api: API = "auto",
        *,
        strict: bool = False,
        types: Collection[str] | None = None,
        errors: ErrorMode = "raise",
        lossless: bool = False,
    ) -> None:
        if api not in _APIS:
            raise ValueError(f"api must be one of {_APIS}, not {api!r}")
        if errors not in ("raise", "yield"):
            raise ValueError(f"errors must be 'raise' or 'yield', not {errors!r}")
        #: The stream's API ("auto" until the first payload decided it).
        self.api: API = api
        self._strict = strict
        self._types = frozenset(types) if types is not None else None
        self._errors = errors
        self._lossless = lossless
        #: True once ``[DONE]`` was seen.
        self.done = False
        #: Number of frames consumed (the next frame's index in the stream).
        self.index = 0
        self._at = 0  # index of the frame being reported in an error

    def decode(self, frame: SSEFrame) -> Event | None:
        """The event of one frame, or None when the frame yields none (skipped
        by ``types``, or after ``[DONE]``)."""
        out: list[Event] = []
        self.decode_into((frame,), out)
        return out[0] if out else None

    def decode_into(self, frames: Sequence[SSEFrame], out: list[Event]) -> None:
        """Append the events of ``frames`` to ``out``, in order."""
        if self._lossless:
            for frame in frames:
                start = len(out)
                self._decode_into((frame,), out)
                if len(out) > start:
                    keep(out[start:], bytes(frame.data))
            return
        self._decode_into(frames, out)

    def _decode_into(self, frames: Sequence[SSEFrame], out: list[Event]) -> None:
        i, n = 0, len(frames)
        while i < n:
            if self.done:
                self._after_done(frames[i])
                self.index += 1
                i += 1
            elif self.api == "messages":
                i = self._messages(frames, i, out)
            elif self.api == "responses":
                if self._types is None:
                    i = self._responses(frames, i, out)
                else:
                    i = self._responses_filtered(frames, i, out)
            elif self.api == "auto":
                event = self._sniff(frames[i])
                self.index += 1
                i += 1
                if event is not None:
                    out.append(event)
            else:
                i = self._chunks(frames, i, out)

    # -- Responses -------------------------------------------------------------

    def _responses(self, frames: Sequence[SSEFrame], i: int, out: list[Event]) -> int:
        return self._tagged(
            frames, i, out, RESPONSE_EVENT_DECODER.decode, self._responses_slow, _ERROR_CLASSES
        )

    def _tagged(
        self,
        frames: Sequence[SSEFrame],
        i: int,
        out: list[Event],
        decode: Callable[[memoryview], Event],
        slow: Callable[[SSEFrame, int], Event | None],
        errors: frozenset[type[Any]],
    ) -> int:
        """The hot loop of the APIs whose events are a union tagged on ``type``
        (Responses, Messages): one prebuilt decoder call per frame; anything it
        rejects goes to ``slow`` (unknown types, wrong API, bad JSON)."""
        append = out.append
        count = 0
        for frame in frames[i:] if i else frames:
            count += 1
            try:
                event: Event = decode(frame.data)
            except msgspec.MsgspecError:
                got = slow(frame, count - 1)
                if got is None:
                    continue
                if got.__class__ is Done:
                    append(got)
                    break
                event = got
            except RecursionError:
                raise self._too_deep(frame, count - 1) from None
            else:
                if event.__class__ in errors:
                    event = self._server_error(event, frame, count - 1)
            append(event)
        self.index += count
        return i + count

    def _responses_filtered(self, frames: Sequence[SSEFrame], i: int, out: list[Event]) -> int:
        assert self._types is not None
        wanted = self._types | {"error", "response.failed"}
        n = len(frames)
        while i < n:
            frame = frames[i]
            name = frame.event
            if name == "message":
                try:
                    name = _TAG_DECODER.decode(frame.data).type
                except (msgspec.MsgspecError, RecursionError):
                    name = ""  # let the full decoder report or classify it
            if name and name not in wanted:
                self.index += 1
                i += 1
                continue
            self._responses((frame,), 0, out)
            i += 1
            if self.done:
                break
        return i

    def _responses_slow(self, frame: SSEFrame, offset: int = 0) -> Event | None:
        data = frame.data
        self._at = self.index + offset
        if data == _DONE:
            self.done = True
            return Done()
        try:
            event = decode_event_tolerant(data)
        except msgspec.ValidationError as exc:
            raise self._bad(frame, f"payload does not match its event type: {exc}") from None
        except msgspec.DecodeError as exc:
            raise self._bad(frame, f"invalid JSON: {exc}") from None
        if event is not None:
            if isinstance(event, _ERROR_EVENTS):
                return self._server_error(event, frame)
            return event
        obj = msgspec.json.decode(data)
        if isinstance(obj, dict):
            kind = obj.get("type")
            if isinstance(kind, str):
                if kind in _MESSAGES_ONLY:
                    raise self._mismatch(frame, "messages")
                return self._unknown(frame, kind)
            if "error" in obj:
                return self._error_payload(frame)
            other = _other_api(obj)
            if other is not None:
                raise self._mismatch(frame, other)
        raise self._bad(frame, "payload has no `type`: not a Responses API event")

    # -- Messages --------------------------------------------------------------------

    def _messages(self, frames: Sequence[SSEFrame], i: int, out: list[Event]) -> int:
        return self._tagged(
            frames, i, out, MESSAGE_EVENT_DECODER.decode, self._messages_slow, _MESSAGE_ERRORS
        )

    def _messages_slow(self, frame: SSEFrame, offset: int = 0) -> Event | None:
        data = frame.data
        self._at = self.index + offset
        if data == _DONE:  # Anthropic sends none; some proxies add it
            self.done = True
            return Done()
        try:
            event = decode_message_event_tolerant(data)
        except msgspec.ValidationError as exc:
            raise self._bad(frame, f"payload does not match its event type: {exc}") from None
        except msgspec.DecodeError as exc:
            raise self._bad(frame, f"invalid JSON: {exc}") from None
        except RecursionError:
            raise self._too_deep(frame) from None
        if event is not None:
            if event.__class__ is MessageErrorEvent:
                return self._server_error(event, frame)
            return event
        obj = msgspec.json.decode(data)
        if isinstance(obj, dict):
            other = _other_api(obj)
            if other is not None:
                raise self._mismatch(frame, other)
            kind = obj.get("type")
            if isinstance(kind, str):
                if kind in RESPONSE_EVENT_TYPES:
                    raise self._mismatch(frame, "responses")
                return self._unknown(frame, kind)
            if "error" in obj:
                return self._error_payload(frame)
        raise self._bad(frame, "payload has no `type`: not a Messages API event")

    # -- Chat Completions / Completions -------------------------------------------

    def _chunks(self, frames: Sequence[SSEFrame], i: int, out: list[Event]) -> int:
        decoder = CHAT_CHUNK_DECODER if self.api == "chat" else COMPLETION_CHUNK_DECODER
        decode = decoder.decode
        # A chunk of the other API can fit these lenient Structs; its ``object``
        # gives it away.
        foreign = "text_completion" if self.api == "chat" else "chat.completion.chunk"
        append = out.append
        check_spec = self._strict and self.api == "chat"
        count = 0
        for frame in frames[i:] if i else frames:
            count += 1
            try:
                event: Event = decode(frame.data)
            except msgspec.MsgspecError:
                slow = self._chunk_slow(frame, count - 1)
                if slow is None:
                    continue
                if slow.__class__ is Done:
                    append(slow)
                    break
                event = slow
            except RecursionError:
                raise self._too_deep(frame, count - 1) from None
            else:
                if event.object == foreign:  # type: ignore[union-attr]
                    other = "completions" if self.api == "chat" else "chat"
                    raise self._mismatch(frame, other, count - 1)
                if check_spec:
                    self._check_spec(event, frame, count - 1)
            append(event)
        self.index += count
        return i + count

    def _check_spec(self, event: Event, frame: SSEFrame, offset: int) -> None:
        """Strict mode: a chunk lacking what the spec requires is an error."""
        assert isinstance(event, ChatCompletionChunk)
        missing = spec_violation(event)
        if missing is not None:
            self._at = self.index + offset
            raise self._bad(frame, f"chunk lacks {missing}, required by the spec (strict mode)")

    def _chunk_slow(self, frame: SSEFrame, offset: int = 0) -> Event | None:
        data = frame.data
        self._at = self.index + offset
        if data == _DONE:
            self.done = True
            return Done()
        try:
            obj = msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            raise self._bad(frame, f"invalid JSON: {exc}") from None
        except RecursionError:
            raise self._too_deep(frame) from None
        if isinstance(obj, dict):
            if "error" in obj and "choices" not in obj:
                return self._error_payload(frame)
            kind = obj.get("type")
            if isinstance(kind, str) and "choices" not in obj:
                if kind in _MESSAGES_ONLY:
                    raise self._mismatch(frame, "messages")
                if kind in RESPONSE_EVENT_TYPES:
                    raise self._mismatch(frame, "responses")
                return self._unknown(frame, kind)
            other = _other_api(obj)
            if other is not None and other != self.api:
                raise self._mismatch(frame, other)
        decoder = CHAT_CHUNK_DECODER if self.api == "chat" else COMPLETION_CHUNK_DECODER
        try:
            decoder.decode(data)
        except msgspec.ValidationError as exc:
            what = "chat.completion.chunk" if self.api == "chat" else "text_completion chunk"
            raise self._bad(frame, f"payload is not a {what}: {exc}") from None
        except RecursionError:
            raise self._too_deep(frame) from None
        raise AssertionError("unreachable: the chunk decoded on the second try")

    # -- detection ---------------------------------------------------------------------

    def _sniff(self, frame: SSEFrame) -> Event | None:
        """Decide the API from a payload (auto mode), then decode it."""
        data = frame.data
        self._at = self.index
        if data == _DONE:
            self.done = True
            return Done()
        try:
            obj = msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            raise self._bad(frame, f"invalid JSON: {exc}") from None
        except RecursionError:
            raise self._too_deep(frame) from None
        if not isinstance(obj, dict):
            raise self._bad(frame, "payload is not a JSON object")
        kind = obj.get("type")
        if isinstance(kind, str) and "choices" not in obj:
            if kind in _MESSAGES_FIRST or (kind == "error" and _is_messages_error(obj)):
                self.api = "messages"
            else:
                self.api = "responses"
            return self._decode_one(frame)
        if "error" in obj and "choices" not in obj:
            return self._error_payload(frame)
        api = _other_api(obj)
        if api is not None:
            self.api = api
            return self._decode_one(frame)
        # Not decisive (Azure's prompt-filter chunk: empty ``object`` and
        # ``choices``): it has the outer shape of a chat chunk; wait for the
        # next payload to decide.
        try:
            return CHAT_CHUNK_DECODER.decode(data)
        except msgspec.ValidationError as exc:
            raise self._bad(frame, f"payload of no known stream type: {exc}") from None
        except RecursionError:
            raise self._too_deep(frame) from None

    def _decode_one(self, frame: SSEFrame) -> Event | None:
        out: list[Event] = []
        if self.api == "messages":
            self._messages((frame,), 0, out)
        elif self.api == "responses":
            if self._types is None:
                self._responses((frame,), 0, out)
            else:
                self._responses_filtered((frame,), 0, out)
        else:
            self._chunks((frame,), 0, out)
        self.index -= 1  # the caller counts this frame
        return out[0] if out else None

    # -- special payloads ----------------------------------------------------------------

    def _after_done(self, frame: SSEFrame) -> None:
        self._at = self.index
        if self._strict:
            raise UnexpectedEventError(
                "frame after [DONE]",
                index=self._at,
                event_type=frame.event,
                excerpt=excerpt(frame.data),
            )

    def _unknown(self, frame: SSEFrame, kind: str) -> Event:
        if self._strict:
            raise UnknownEventError(
                f"unknown event type {kind!r} (strict mode)",
                index=self._at,
                event_type=kind,
                excerpt=excerpt(frame.data),
            )
        return UnknownEvent(type=kind, raw=bytes(frame.data))

    def _error_payload(self, frame: SSEFrame) -> Event | None:
        try:
            event = ERROR_PAYLOAD_DECODER.decode(frame.data)
        except msgspec.ValidationError as exc:
            raise self._bad(frame, f"malformed error payload: {exc}") from None
        except RecursionError:
            raise self._too_deep(frame) from None
        return self._server_error(event, frame)

    def _server_error(self, event: Any, frame: SSEFrame, offset: int | None = None) -> Event:
        if offset is not None:
            self._at = self.index + offset
        if self._errors == "yield":
            return event  # type: ignore[no-any-return]
        if self._lossless:  # the error's event keeps its payload too
            keep([event], bytes(frame.data))
        error = ServerError.from_event(event)
        if isinstance(event, ResponseFailedEvent):
            kind, fallback = "response.failed", "response failed"
        elif isinstance(event, StreamErrorEvent) and frame.event != "message":
            kind, fallback = frame.event, "error event"
        else:
            kind, fallback = "error", "error event"
        raise APIStreamError(
            error.message or fallback,
            code=error.code,
            param=error.param,
            type=error.type,
            event=event,
            index=self._at,
            event_type=kind,
            excerpt=excerpt(frame.data),
        )

    def _bad(self, frame: SSEFrame, message: str) -> EventDecodeError:
        return EventDecodeError(
            message, index=self._at, event_type=frame.event, excerpt=excerpt(frame.data)
        )

    def _too_deep(self, frame: SSEFrame, offset: int | None = None) -> EventDecodeError:
        # msgspec recurses once per nesting level and raises RecursionError
        # past the interpreter's limit; it leaves every level it entered, so
        # the recursion state is intact once that error is caught.
        if offset is not None:
            self._at = self.index + offset
        return self._bad(frame, f"invalid JSON: {TOO_DEEP}")

    def _mismatch(
        self, frame: SSEFrame, actual: str, offset: int | None = None
    ) -> APIMismatchError:
        if offset is not None:
            self._at = self.index + offset
        return APIMismatchError(
            f"this looks like a {actual} stream, parsed as api={self.api!r}; "
            f"pass api={actual!r} or api='auto'",
            index=self._at,
            event_type=frame.event,
            excerpt=excerpt(frame.data),
        )


def _other_api(obj: dict[str, Any]) -> API | None:
    """Chat or Completions, from a chunk's ``object`` or its first choice."""
    kind = obj.get("object")
    if kind == "chat.completion.chunk":
        return "chat"
    if kind == "text_completion":
        return "completions"
    choices = obj.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        if "delta" in choices[0]:
            return "chat"
        if "text" in choices[0]:
            return "completions"
    return None


def _is_messages_error(obj: dict[str, Any]) -> bool:
    """Whether an ``error`` payload has the Messages shape: ``{"type": "error",
    "error": {"type": ..., "message": ...}}`` without the ``sequence_number``
    (or top-level ``message`` / ``code``) of a Responses ``error`` event."""
    error = obj.get("error")
    return (
        isinstance(error, dict)
        and isinstance(error.get("type"), str)
        and "sequence_number" not in obj
        and "message" not in obj
        and "code" not in obj
    )

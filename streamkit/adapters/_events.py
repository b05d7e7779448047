"""Byte sources → typed events: the SSE decoder and the event decoder driven
together over any sync or async byte source."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterator
from contextlib import aclosing

from .._decode import API, ErrorMode, Event, EventDecoder
from .._errors import StreamError
from .._sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder, SSEFrame
from ._sources import AsyncByteSource, ByteSource, aiter_chunks, iter_chunks

__all__ = ["iter_events", "aiter_events", "iter_frame_events", "aiter_frame_events"]


def _decoders(
    api: API,
    strict: bool,
    types: Collection[str] | None,
    errors: ErrorMode,
    decoder: SSEDecoder | None,
    max_event_bytes: int,
    max_idle_lines: int | None,
) -> tuple[SSEDecoder, EventDecoder]:
    sse = decoder or SSEDecoder(max_event_bytes=max_event_bytes, max_idle_lines=max_idle_lines)
    return sse, EventDecoder(api, strict=strict, types=types, errors=errors)


def iter_events(
    source: ByteSource,
    api: API = "auto",
    *,
    strict: bool = False,
    types: Collection[str] | None = None,
    errors: ErrorMode = "raise",
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> Iterator[Event]:
    """Yield the typed events of a byte source.

    ``api`` is ``"responses"``, ``"chat"``, ``"completions"`` or ``"auto"``
    (detected from the first payload). Unknown event types come through, in
    order, as ``UnknownEvent``; ``[DONE]`` is yielded as ``Done`` and ends the
    stream. On an error every event before it is yielded first. See
    ``EventDecoder`` for ``strict``, ``types`` and ``errors``, and
    ``SSEDecoder`` for the limits.
    """
    sse, dec = _decoders(api, strict, types, errors, decoder, max_event_bytes, max_idle_lines)
    out: list[Event] = []
    feed, decode_into = sse.feed, dec.decode_into
    for chunk in iter_chunks(source):
        try:
            frames = feed(chunk)
            if not frames:
                continue  # most small network reads complete no event
            decode_into(frames, out)
        except StreamError:
            yield from out
            raise
        yield from out
        out.clear()
        if dec.done and not strict:
            return
    decode_into(sse.close(), out)
    yield from out


async def aiter_events(
    source: AsyncByteSource,
    api: API = "auto",
    *,
    strict: bool = False,
    types: Collection[str] | None = None,
    errors: ErrorMode = "raise",
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> AsyncIterator[Event]:
    """Async twin of ``iter_events`` over any async (or sync) byte source."""
    sse, dec = _decoders(api, strict, types, errors, decoder, max_event_bytes, max_idle_lines)
    out: list[Event] = []
    feed, decode_into = sse.feed, dec.decode_into
    # aclosing: returning at [DONE] must close the chunk generator now, not
    # when the garbage collector finds it (trio warns about the latter).
    async with aclosing(aiter_chunks(source)) as chunks:
        async for chunk in chunks:
            try:
                frames = feed(chunk)
                if not frames:
                    continue
                decode_into(frames, out)
            except StreamError:
                for event in out:
                    yield event
                raise
            for event in out:
                yield event
            out.clear()
            if dec.done and not strict:
                return
    decode_into(sse.close(), out)
    for event in out:
        yield event


def iter_frame_events(
    source: ByteSource,
    api: API = "auto",
    *,
    strict: bool = False,
    errors: ErrorMode = "raise",
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> Iterator[tuple[SSEFrame, Event]]:
    """Like ``iter_events`` but yield ``(frame, event)`` pairs, so each event's
    raw payload (``frame.data``) stays at hand, e.g. for passthrough."""
    sse, dec = _decoders(api, strict, None, errors, decoder, max_event_bytes, max_idle_lines)
    for chunk in iter_chunks(source):
        for frame in sse.feed(chunk):
            event = dec.decode(frame)
            if event is not None:
                yield frame, event
        if dec.done and not strict:
            return
    for frame in sse.close():  # pragma: no cover - close() dispatches nothing
        event = dec.decode(frame)
        if event is not None:
            yield frame, event


async def aiter_frame_events(
    source: AsyncByteSource,
    api: API = "auto",
    *,
    strict: bool = False,
    errors: ErrorMode = "raise",
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> AsyncIterator[tuple[SSEFrame, Event]]:
    """Async twin of ``iter_frame_events``."""
    sse, dec = _decoders(api, strict, None, errors, decoder, max_event_bytes, max_idle_lines)
    async with aclosing(aiter_chunks(source)) as chunks:
        async for chunk in chunks:
            for frame in sse.feed(chunk):
                event = dec.decode(frame)
                if event is not None:
                    yield frame, event
            if dec.done and not strict:
                return

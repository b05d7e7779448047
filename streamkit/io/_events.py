"""Byte sources → typed events: the SSE decoder and the event decoder driven
together over any sync or async byte source.

Two answers need more than the decoders give, and are worked out here, where
the bytes pass:

* input that is not an event stream at all (an HTML or JSON error body, random
  bytes, nothing) raises ``NotEventStreamError`` at its end, instead of ending
  like a stream that carried no event: ``_Probe`` watches the bytes until the
  first frame;
* an error raised for an event gets the stream ``offset`` where that event
  begins (``_locate``), worked out only when an error happens.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Collection, Iterator, Sequence
from contextlib import aclosing
from typing import TypeVar

from streamkit.errors import NotEventStreamError, StreamError
from streamkit.events._decoder import API, ErrorMode, Event, EventDecoder
from streamkit.io._sources import (
    AsyncByteSource,
    BytesLike,
    ByteSource,
    aiter_chunks,
    framing_decoder,
    iter_chunks,
)
from streamkit.sse._decoder import DEFAULT_MAX_EVENT_BYTES, SSEDecoder, SSEFrame

__all__ = ["iter_events", "aiter_events", "iter_frame_events", "aiter_frame_events"]


def _decoders(
    api: API,
    strict: bool,
    types: Collection[str] | None,
    errors: ErrorMode,
    decoder: SSEDecoder | None,
    max_event_bytes: int,
    max_idle_lines: int | None,
    events: EventDecoder | None = None,
    lossless: bool = False,
) -> tuple[SSEDecoder, EventDecoder]:
    sse = framing_decoder(decoder, max_event_bytes, max_idle_lines)
    if events is not None:
        if lossless:
            raise TypeError("pass lossless= to the EventDecoder given as event_decoder")
        return sse, events
    return sse, EventDecoder(api, strict=strict, types=types, errors=errors, lossless=lossless)


# --------------------------------------------------------------------------- #
# Is it an event stream at all?
# --------------------------------------------------------------------------- #

_HEAD = 80  # bytes of the input kept for the error's excerpt
_KEEP = 16  # bytes of an unfinished line kept: enough to recognise its field name
# A complete line that is a comment or one of the four SSE fields ("data" alone
# is a data field with an empty value). Any other field name is legal SSE but
# is what the first line of an HTML page, a JSON body or plain text looks like.
_SSE_LINE = re.compile(rb"(?:\A|(?<=[\r\n]))(?::|(?:data|event|id|retry)(?::|[\r\n]))")
_SSE_FIRST = re.compile(rb"\A\xef\xbb\xbf(?::|(?:data|event|id|retry)(?::|[\r\n]))")
_SSE_LAST = re.compile(rb"(?::|(?:data|event|id|retry)(?::|\Z))")
_BOM = b"\xef\xbb\xbf"


class _Probe:
    """Watches the bytes of a stream while no frame has been dispatched.

    An input is an event stream once a frame is dispatched or a line of it is a
    comment or an SSE field (``data``, ``event``, ``id``, ``retry``): a stream
    of keep-alive comments that ends before its first event is a (cut) event
    stream. Anything else raises ``NotEventStreamError`` when the bytes end.
    The caller stops feeding the probe at the first frame, so it costs nothing
    once a stream is under way.
    """

    __slots__ = ("_first", "_line", "found", "head")

    def __init__(self) -> None:
        self.found = False
        #: The first bytes of the input.
        self.head = b""
        self._line = b""  # the start of the line in progress
        self._first = True  # that line is the first one (it may start with a BOM)

    def feed(self, chunk: BytesLike) -> None:
        """Look at the next bytes."""
        if len(self.head) < _HEAD:
            self.head += bytes(chunk[: _HEAD - len(self.head)])
        if self.found:
            return
        data = self._line + bytes(chunk)
        if _SSE_LINE.search(data) is not None or (
            self._first and _SSE_FIRST.match(data) is not None
        ):
            self.found = True
            return
        end = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if end >= 0:
            self._first = False
        self._line = data[end + 1 : end + 1 + _KEEP]

    def close(self) -> None:
        """End of input: raise ``NotEventStreamError`` unless the bytes looked
        like an event stream (an unfinished last line counts)."""
        if self.found:
            return
        line = self._line.removeprefix(_BOM) if self._first else self._line
        if _SSE_LAST.match(line) is None:
            raise NotEventStreamError(self.head)


# --------------------------------------------------------------------------- #
# Where did it happen?
# --------------------------------------------------------------------------- #

_LINE_END = re.compile(rb"\r\n|\r|\n")


def _frame_ends(
    make: type[SSEDecoder], data: bytes, before: BytesLike | None, enough: int = -1
) -> tuple[int, list[int], bool]:
    """Run a fresh SSE decoder (of class ``make``) over ``data`` line by line.

    ``before`` is what was fed before ``data`` (None at the start of the
    stream): the fresh decoder starts in the same line state (in a line, or
    after a CR or LF), so it sees the same lines and blank lines. Before the
    first blank line it may hold other data than the real decoder (which holds
    the start of the event in progress); after it both dispatch the same
    frames.

    Returns where the first blank line ends, where each frame the fresh decoder
    dispatched ends (positions in ``data``, after the blank line), and whether
    the first of them was dispatched at that first blank line. With ``enough``
    it stops after that many frames.
    """
    if before is None:
        prime = b""
    else:
        last = bytes(before[-1:])
        prime = b":" + last if last in (b"\r", b"\n") else b":"  # a comment line
    fresh = make(max_event_bytes=len(data) + len(prime) + 1)
    fresh.feed(prime)
    blank = -1
    ends: list[int] = []
    early = False
    pos = 0
    for m in _LINE_END.finditer(data):
        end = m.end()
        if fresh.feed(data[pos:end]):
            ends.append(end)
            early = early or blank < 0
            if len(ends) == enough:
                break
        if blank < 0 and fresh.pending_bytes == 0:
            blank = end
        pos = end
    return blank, ends, early


def _last_frame_end(make: type[SSEDecoder], data: bytes, before: BytesLike | None) -> int:
    """Where the last frame ``data`` completed ends, for a chunk that completed
    at least one."""
    blank, ends, early = _frame_ends(make, data, before)
    if before is None or len(ends) > early:
        return ends[-1]
    return blank  # only the event the real decoder held, dispatched there


def _locate(
    exc: StreamError,
    sse: SSEDecoder,
    chunk: BytesLike,
    frames: Sequence[SSEFrame],
    first: int,
    prev: BytesLike,
    batch: BytesLike | None,
    before: BytesLike,
    gap: int,
    after: BytesLike,
    probe: _Probe | None,
) -> None:
    """Set ``exc.offset`` to where the event it names begins: the stream offset
    right after the event before it (after its blank line), or the start of the
    stream (after a BOM) for the first event. Comments and blank lines between
    two events count as the start of the second.

    ``frames`` are what feeding ``chunk`` to ``sse`` returned, ``first`` the
    event decoder's index of ``frames[0]`` and ``prev`` the chunk fed before.
    ``batch`` is the last chunk before that completed frames (None if none
    did), ``before`` the chunk fed before it, ``gap`` the bytes fed between
    ``batch`` and ``chunk``, ``after`` the first of those chunks, and ``probe``
    the probe while no frame has been dispatched. The iterators keep these
    references and counts for nothing else: the offset is worked out here,
    only when an error happens, by decoding these chunks again.
    """
    if exc.offset is not None or exc.index is None:
        return
    i = exc.index - first
    count = len(frames)
    if not 0 <= i < count:
        return
    data = bytes(chunk)
    base = sse.bytes_fed - len(data)
    if i:  # the event before it ended in this chunk
        # At the stream's start the fresh decoder is the real one's twin: the
        # frames before this one are all it needs to see.
        enough = -1 if base else i
        blank, ends, early = _frame_ends(type(sse), data, prev if base else None, enough)
        if base:
            rest = ends[1:] if early else ends
            held = count - len(rest)
            if held not in (0, 1):
                return  # cannot happen: the two decoders disagree on the lines
            ends = [blank, *rest] if held else rest
        if i - 1 < len(ends):
            exc._locate(base + ends[i - 1])
        return
    if batch is None:
        # The stream's first event: it starts with the stream (after a BOM).
        head = (probe.head if probe is not None else b"") + data[:3]
        exc._locate(3 if head.startswith(_BOM) else 0)
        return
    previous = bytes(batch)
    start = base - gap - len(previous)
    end = _last_frame_end(type(sse), previous, before if start else None)
    if end == len(previous) and previous.endswith(b"\r"):
        # A CR ended the blank line; an LF right after it belongs to it.
        follow = after if gap else data
        end += follow[:1] == b"\n"
    exc._locate(start + end)


# --------------------------------------------------------------------------- #
# The iterators
# --------------------------------------------------------------------------- #

_PIECE = 64 * 1024  # a source larger than twice this is fed in pieces of this size
_S = TypeVar("_S", bound=AsyncByteSource)


def _in_pieces(source: _S) -> _S | list[memoryview]:
    """``source``; a bytes-like one over 128 KiB (a whole recording in memory)
    as 64 KiB views of it.

    Fed whole, it would be decoded into all of its events before the first is
    yielded: memory that grows with the input, and garbage-collector passes
    over all of it. The chunks a source yields are fed as they come (a
    stream's own reads are small, and a check per read would cost more than
    it saves).
    """
    if isinstance(source, (bytes, bytearray, memoryview)) and len(source) > 2 * _PIECE:
        view = memoryview(source)
        return [view[start : start + _PIECE] for start in range(0, len(view), _PIECE)]
    return source


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
    event_decoder: EventDecoder | None = None,
    lossless: bool = False,
) -> Iterator[Event]:
    """Yield the typed events of a byte source.

    ``api`` is ``"responses"``, ``"chat"``, ``"completions"``, ``"messages"``
    or ``"auto"`` (detected from the first payload). Unknown event types come through, in
    order, as ``UnknownEvent``; ``[DONE]`` is yielded as ``Done`` and ends the
    stream. On an error every event before it is yielded first; an error about
    an event carries the stream ``offset`` where the event begins (right after
    the event before it). Input that is not an event stream (no event, and no
    line that is an SSE field or comment: an HTML page, a JSON body, empty
    input) raises ``NotEventStreamError`` when it ends. See ``EventDecoder``
    for ``strict``, ``types``, ``errors`` and ``lossless`` (keep each event's
    payload, so that no field the server sent is lost on re-encoding), and
    ``SSEDecoder`` for the limits. ``event_decoder``, when given, is the ``EventDecoder`` used
    (instead of one made from ``api``, ``strict``, ``types`` and ``errors``):
    its ``api`` tells the API it detected.
    """
    sse, dec = _decoders(
        api,
        strict,
        types,
        errors,
        decoder,
        max_event_bytes,
        max_idle_lines,
        event_decoder,
        lossless,
    )
    out: list[Event] = []
    feed, decode_into = sse.feed, dec.decode_into
    probe: _Probe | None = _Probe()
    seen = sse.frames_dispatched  # a decoder passed in may have been used before
    # What an error's offset is worked out from (see ``_locate``): references
    # and a count, so that the stream itself pays next to nothing for it.
    prev: BytesLike = b""
    batch: BytesLike | None = None
    before: BytesLike = b""
    after: BytesLike = b""
    gap = 0
    for chunk in iter_chunks(_in_pieces(source)):
        frames = feed(chunk)  # an SSE error carries its offset; nothing is in ``out``
        if not frames:
            if probe is not None:
                probe.feed(chunk)
            if not gap:
                after = chunk
            gap += len(chunk)
            prev = chunk or prev
            continue  # most small network reads complete no event
        try:
            decode_into(frames, out)
        except StreamError as exc:
            first = sse.frames_dispatched - len(frames) - seen
            _locate(exc, sse, chunk, frames, first, prev, batch, before, gap, after, probe)
            yield from out
            raise
        yield from out
        out.clear()
        if dec.done and not strict:
            return
        probe = None
        before = prev
        batch = prev = chunk
        gap = 0
    decode_into(sse.close(), out)
    yield from out
    if probe is not None:
        probe.close()


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
    event_decoder: EventDecoder | None = None,
    lossless: bool = False,
) -> AsyncIterator[Event]:
    """Async twin of ``iter_events`` over any async (or sync) byte source."""
    sse, dec = _decoders(
        api,
        strict,
        types,
        errors,
        decoder,
        max_event_bytes,
        max_idle_lines,
        event_decoder,
        lossless,
    )
    out: list[Event] = []
    feed, decode_into = sse.feed, dec.decode_into
    probe: _Probe | None = _Probe()
    seen = sse.frames_dispatched
    prev: BytesLike = b""
    batch: BytesLike | None = None
    before: BytesLike = b""
    after: BytesLike = b""
    gap = 0
    # aclosing: returning at [DONE] must close the chunk generator now, not
    # when the garbage collector finds it (trio warns about the latter).
    async with aclosing(aiter_chunks(_in_pieces(source))) as chunks:
        async for chunk in chunks:
            frames = feed(chunk)
            if not frames:
                if probe is not None:
                    probe.feed(chunk)
                if not gap:
                    after = chunk
                gap += len(chunk)
                prev = chunk or prev
                continue
            try:
                decode_into(frames, out)
            except StreamError as exc:
                first = sse.frames_dispatched - len(frames) - seen
                _locate(exc, sse, chunk, frames, first, prev, batch, before, gap, after, probe)
                for event in out:
                    yield event
                raise
            for event in out:
                yield event
            out.clear()
            if dec.done and not strict:
                return
            probe = None
            before = prev
            batch = prev = chunk
            gap = 0
    decode_into(sse.close(), out)
    for event in out:
        yield event
    if probe is not None:
        probe.close()


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
    probe: _Probe | None = _Probe()
    seen = sse.frames_dispatched
    prev: BytesLike = b""
    batch: BytesLike | None = None
    before: BytesLike = b""
    after: BytesLike = b""
    gap = 0
    for chunk in iter_chunks(source):
        frames = sse.feed(chunk)
        if not frames:
            if probe is not None:
                probe.feed(chunk)
            if not gap:
                after = chunk
            gap += len(chunk)
            prev = chunk or prev
            continue
        for frame in frames:
            try:
                event = dec.decode(frame)
            except StreamError as exc:
                first = sse.frames_dispatched - len(frames) - seen
                _locate(exc, sse, chunk, frames, first, prev, batch, before, gap, after, probe)
                raise
            if event is not None:
                yield frame, event
        if dec.done and not strict:
            return
        probe = None
        before = prev
        batch = prev = chunk
        gap = 0
    sse.close()  # dispatches nothing, but raises an SSE error it deferred
    if probe is not None:
        probe.close()


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
    probe: _Probe | None = _Probe()
    seen = sse.frames_dispatched
    prev: BytesLike = b""
    batch: BytesLike | None = None
    before: BytesLike = b""
    after: BytesLike = b""
    gap = 0
    async with aclosing(aiter_chunks(source)) as chunks:
        async for chunk in chunks:
            frames = sse.feed(chunk)
            if not frames:
                if probe is not None:
                    probe.feed(chunk)
                if not gap:
                    after = chunk
                gap += len(chunk)
                prev = chunk or prev
                continue
            for frame in frames:
                try:
                    event = dec.decode(frame)
                except StreamError as exc:
                    first = sse.frames_dispatched - len(frames) - seen
                    _locate(exc, sse, chunk, frames, first, prev, batch, before, gap, after, probe)
                    raise
                if event is not None:
                    yield frame, event
            if dec.done and not strict:
                return
            probe = None
            before = prev
            batch = prev = chunk
            gap = 0
    sse.close()
    if probe is not None:
        probe.close()

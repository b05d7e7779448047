"""A sans-IO ``text/event-stream`` decoder: feed bytes, get frames.

It implements the WHATWG HTML "Parsing an event stream" and "Interpreting an
event stream" rules exactly, working on bytes rather than decoded text. That is
equivalent because every syntactically meaningful character (CR, LF, ``:``,
space) is ASCII, UTF-8 never uses ASCII bytes inside a multi-byte sequence, and a
replacement-decoding UTF-8 decoder never swallows an ASCII byte; so field names
compare as bytes, and only the event type and id are decoded (with U+FFFD
replacement). Data stays raw bytes for the JSON decoder.

Zero copy: an event that lies inside one fed ``bytes`` chunk reaches the frame
as a ``memoryview`` slice of that chunk. An event split across chunks is copied
once, into the receive buffer, and its frame views that copy. No fed chunk is
kept alive beyond the feed that needs it.

Two implementations share this behaviour exactly: the pure-Python
``PySSEDecoder`` defined here, and ``CSSEDecoder`` from the optional C
extension ``streamkit.sse._sse_c``. ``SSEDecoder`` is the compiled one when it was
built and ``STREAMKIT_NO_EXTENSIONS`` is not set to a non-empty value;
``implementation()`` tells which is in use.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Literal, cast

import msgspec

from streamkit.errors import EventTooLargeError, IdleStreamError, SSEError, StreamClosedError
from streamkit.sse._buffer import ReceiveBuffer

__all__ = [
    "CSSEDecoder",
    "DEFAULT_MAX_EVENT_BYTES",
    "RETRY_MAX",
    "PySSEDecoder",
    "SSEDecoder",
    "SSEFrame",
    "implementation",
]

#: Default limit for one event; real image-generation streams carry partial
#: images of several MB in one event, and the final ``response.completed``
#: repeats them all.
DEFAULT_MAX_EVENT_BYTES = 64 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"
_EOL = re.compile(rb"\r\n?|\n")
# The shape of almost every event real servers send: one optional ``event:``
# line, one ``data:`` line, a blank line. Matched in one C call; any other block
# falls back to the line-by-line interpreter.
_FAST = re.compile(rb"(?:event: ([^\n]*)\n)?data: ([^\n]*)\n\n")
_NAME_CACHE_LIMIT = 512
_EXCERPT = 80
#: The largest reconnection time a ``retry:`` field can set (ms). The spec
#: accepts any run of ASCII digits; longer values are clamped to this bound
#: (2**63 - 1 ms is some 292 million years), so parsing stays O(length).
RETRY_MAX = 2**63 - 1
_RETRY_DIGITS = len(str(RETRY_MAX))


def _parse_retry(raw: bytes) -> int | None:
    """The value of a ``retry:`` field: ASCII digits only (else None), clamped
    to ``RETRY_MAX``."""
    if not raw.isdigit():  # bytes.isdigit() accepts ASCII digits only, and not b""
        return None
    digits = raw.lstrip(b"0")
    if len(digits) > _RETRY_DIGITS:
        return RETRY_MAX
    return min(int(digits or b"0"), RETRY_MAX)


class SSEFrame(msgspec.Struct, frozen=True, gc=False):
    """One dispatched server-sent event.

    Attributes:
        event: the event type; ``"message"`` when the event named none.
        data: the payload, raw bytes without the final LF, as a ``memoryview``
            (``bytes(frame.data)`` copies it; msgspec and orjson read it as is).
        id: the last event ID in effect when the event was dispatched.
        retry: the reconnection time in ms in effect at dispatch, or None.
    """

    event: str
    data: memoryview
    id: str = ""
    retry: int | None = None

    @property
    def text(self) -> str:
        """The payload as the spec's data string (UTF-8, invalid bytes replaced)."""
        return bytes(self.data).decode("utf-8", "replace")

    def __repr__(self) -> str:
        data = bytes(self.data[:_EXCERPT])
        more = "..." if len(self.data) > _EXCERPT else ""
        return (
            f"SSEFrame(event={self.event!r}, data={data!r}{more}, id={self.id!r}, "
            f"retry={self.retry!r})"
        )


class PySSEDecoder:
    """Incremental, sans-IO decoder of a ``text/event-stream`` byte stream.

    ``feed(data)`` returns the frames that ``data`` completes; ``close()`` ends
    the stream. As the spec says, an event not terminated by a blank line is
    never dispatched; ``truncated`` tells afterwards whether such an event (or a
    partial non-comment line) was left over, and ``pending_bytes`` how many
    bytes followed the last blank line.

    Args:
        max_event_bytes: the most bytes one event may span: from its first byte
            through the line ending of its last line (its ``event:``, ``id:``
            and comment lines included, the blank line that ends it not).
            ``EventTooLargeError`` is raised at the first line that takes the
            event beyond the limit, or at the end of a ``feed()`` whose
            unfinished last line does; ``size`` is the event's length at that
            point and ``excerpt`` its first bytes. This also bounds what the
            decoder holds between feeds and the memory an event takes.
        max_idle_lines: if set, ``IdleStreamError`` is raised at the first line
            that makes more than this many idle lines in a row. Idle is every
            line except a ``data`` field and a blank line that dispatches an
            event: comments, other fields (``event``, ``id``, ``retry``,
            unknown names) and blank lines that dispatch nothing. A dispatched
            event resets the count. Lines count when complete, whatever the
            line endings and however the stream is chunked.

    Errors point at the stream: ``index`` is the number of frames dispatched
    before the failing line, ``offset`` the stream offset of the event
    (``EventTooLargeError``) or of the idle line (``IdleStreamError``), and
    ``excerpt`` at most 80 bytes of it.

    If an error occurs after some frames of the same ``feed`` were completed,
    those frames are returned and the error is raised by the next ``feed()`` or
    ``close()``: nothing already parsed is lost. The decoder is then unusable.

    A ``retry:`` field takes effect (``retry`` and the frames' ``retry``) at
    the blank line that ends its event, or at ``close()``; its value is
    clamped to ``RETRY_MAX``.

    Input of type ``bytes`` is never copied; ``bytearray`` and ``memoryview``
    input is copied once, so later mutation of the caller's buffer cannot change
    frames already returned.

    Two interpreters share the state. While the stream uses LF line endings
    only (and ``max_idle_lines`` is None), whole events are recognised block
    by block ("block mode": the bytes of an incomplete event are held until
    its blank line arrives, then parsed once). A chunk containing CR switches
    to the line-by-line interpreter ("line mode"), which returns to block mode
    at the next event boundary. No observable result differs.
    """

    __slots__ = (
        "_at_start",
        "_block_start",
        "_closed",
        "_count",
        "_data",
        "_error",
        "_event",
        "_frames",
        "_head",
        "_held",
        "_id_buf",
        "_idle",
        "_line_mode",
        "_max_event_bytes",
        "_max_idle",
        "_names",
        "_offset",
        "_pending_cr",
        "_ready",
        "_retry_buf",
        "last_event_id",
        "retry",
        "truncated",
    )

    def __init__(
        self,
        *,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        max_idle_lines: int | None = None,
    ) -> None:
        if max_event_bytes <= 0:
            raise ValueError("max_event_bytes must be positive")
        if max_idle_lines is not None and max_idle_lines < 0:
            raise ValueError("max_idle_lines must be >= 0 or None")
        self._max_event_bytes = max_event_bytes
        self._max_idle = max_idle_lines
        # Block mode: the incomplete event from its first byte.
        # Line mode: the incomplete line.
        self._held = ReceiveBuffer()
        # Idle lines are counted line by line: only the line interpreter does.
        self._line_mode = max_idle_lines is not None
        self._ready = False  # True when feed() may take its fast path
        self._pending_cr = False
        self._at_start = True
        self._closed = False
        self._error: SSEError | None = None
        self._frames: list[SSEFrame] = []  # the list the current feed() returns
        self._event = ""  # event type buffer
        # Line mode: the data of the pending event; one line as a view, more
        # lines joined into one buffer (memory stays about the event's size).
        self._data: memoryview | bytearray | None = None
        self._head = b""  # line mode: the first bytes of the pending event
        self._id_buf = ""  # last event ID buffer
        self._retry_buf: int | None = None  # retry with the pending event's lines
        self._names: dict[bytes, str] = {b"": "message"}
        self._offset = 0
        self._block_start = 0  # stream offset where the pending event starts
        self._idle = 0
        self._count = 0
        #: The last event ID string (set at each dispatch, kept across events).
        self.last_event_id = ""
        #: The reconnection time in ms set by the stream, or None.
        self.retry: int | None = None
        #: After ``close()``: True if an undispatched event or partial line was left.
        self.truncated = False

    # -- public ----------------------------------------------------------------

    @property
    def frames_dispatched(self) -> int:
        """How many frames this decoder has returned so far."""
        return self._count + len(self._frames)

    @property
    def bytes_fed(self) -> int:
        """Total bytes fed so far."""
        return self._offset

    @property
    def pending_bytes(self) -> int:
        """Bytes received after the last blank line (an event still in progress)."""
        return self._offset - self._block_start

    def feed(self, data: bytes | bytearray | memoryview) -> list[SSEFrame]:
        """Consume ``data``; return the frames it completes, in order."""
        if type(data) is not bytes:
            data = bytes(data)
        # Fast path: block mode on LF-only input, the steady state of real
        # streams. Everything else (start of stream, CR, errors) goes the
        # general way.
        if self._ready and b"\r" not in data:
            held = self._held
            if not held:
                return self._feed_fast(data, 0)
            # Complete the held event: search only the new bytes for its end.
            if data and held[-1] == 10 and data[0] == 10:
                return self._feed_fast(data, 1)
            # One-byte find is a memchr; most chunks of a long event have no LF.
            i = data.find(b"\n")
            if i >= 0:
                i = data.find(b"\n\n", i)
            if i >= 0:
                return self._feed_fast(data, i + 2)
            self._offset += len(data)
            if len(held) + len(data) > self._max_event_bytes:
                self._fail(self._too_large_block(held, data, 0, len(data)), [])
            held += data
            return []
        return self._feed_general(data)

    def _feed_fast(self, data: bytes, pos: int) -> list[SSEFrame]:
        """Block mode, LF only: ``data[:pos]`` completes the held event."""
        n = len(data)
        base = self._offset
        self._offset = base + n
        frames: list[SSEFrame] = []
        self._frames = frames
        mv = memoryview(data)
        try:
            if pos:
                held = self._held
                if len(held) + pos - 1 > self._max_event_bytes:
                    raise self._too_large_block(held, data, 0, pos)
                held += mv[:pos]
                self._held = ReceiveBuffer()
                m = _FAST.fullmatch(held)
                if m is not None:
                    # The usual case with small chunks: one plain event.
                    start, end = m.span(2)
                    frames.append(
                        SSEFrame(
                            self._event_name(m.group(1)),
                            memoryview(held)[start:end],
                            self._id_buf,
                            self.retry,
                        )
                    )
                    self._idle = 0
                else:
                    self._blocks(held, memoryview(held), 0, len(held), self._block_start)
                if pos == n:
                    self._block_start = self._offset
                    return frames
            last = data.rfind(b"\n\n", pos)
            if last >= 0:
                self._blocks(data, mv, pos, last + 2, base)
                pos = last + 2
            elif pos < n and data[pos] == 10:  # a lone blank line
                self._blocks(data, mv, pos, pos + 1, base)
                pos += 1
            self._block_start = base + pos
            if pos < n:
                if n - pos > self._max_event_bytes:
                    raise self._too_large_block(b"", data, pos, n)
                self._held += mv[pos:]
        except SSEError as exc:
            self._fail(exc, frames)
        finally:
            self._count += len(frames)
            self._frames = []
        return frames

    def _feed_general(self, chunk: bytes) -> list[SSEFrame]:
        self._raise_deferred()
        if self._closed:
            raise StreamClosedError("feed() after close() or after an error", offset=self._offset)
        n = len(chunk)
        if not n:
            return []
        frames: list[SSEFrame] = []
        self._frames = frames
        base = self._offset
        self._offset = base + n
        mv = memoryview(chunk)
        try:
            pos = 0
            if self._pending_cr:
                # A CR ended the previous chunk: an LF starting this one is part
                # of the same line ending.
                self._pending_cr = False
                if chunk[0] == 10:
                    pos = 1
                    if self._block_start == base:  # the CR ended a blank line
                        self._block_start = base + 1
                    elif base + 1 - self._block_start > self._max_event_bytes:
                        # The LF lengthens the event's last line.
                        raise self._too_large_lines(chunk, base, base + 1)
            if self._at_start:
                pos = self._strip_bom(chunk, mv, pos)
            if pos >= 0:
                if self._line_mode or chunk.find(b"\r", pos) >= 0:
                    self._feed_lines(chunk, mv, pos, base)
                else:
                    self._feed_blocks(chunk, mv, pos, base)
        except SSEError as exc:
            self._fail(exc, frames)
        finally:
            self._count += len(frames)
            self._frames = []
            self._ready = not (
                self._closed or self._line_mode or self._at_start or self._pending_cr
            )
        return frames

    def _fail(self, exc: SSEError, frames: list[SSEFrame]) -> None:
        """Stop for good; defer ``exc`` if frames completed before it must be
        returned first."""
        self._closed = True
        self._ready = False
        if not frames:
            raise exc
        self._error = exc

    def close(self) -> list[SSEFrame]:
        """End of stream. Returns no frames (an unterminated event is dropped, per
        the spec) but sets ``truncated`` if one was pending."""
        self._raise_deferred()
        if self._closed:
            return []
        self._closed = True
        self._ready = False
        if not self._line_mode:
            # Interpret the complete lines of the pending event (a ``retry``
            # among them takes effect) and keep its partial last line.
            self._enter_line_mode()
        self.retry = self._retry_buf
        head = self._held.peek(1)
        self.truncated = self._data is not None or (bool(head) and head != b":")
        return []

    # -- block mode ----------------------------------------------------------------

    def _feed_blocks(self, chunk: bytes, mv: memoryview, pos: int, base: int) -> None:
        held = self._held
        n = len(chunk)
        limit = self._max_event_bytes
        if held and pos < n:
            if held[-1] == 10 and chunk[pos] == 10:
                end = pos + 1
            else:
                i = chunk.find(b"\n\n", pos)
                if i < 0:
                    if len(held) + n - pos > limit:
                        raise self._too_large_block(held, chunk, pos, n)
                    held += mv[pos:]
                    return
                end = i + 2
            if len(held) + end - pos - 1 > limit:
                raise self._too_large_block(held, chunk, pos, end)
            held += mv[pos:end]
            self._held = ReceiveBuffer()
            self._blocks(held, memoryview(held), 0, len(held), self._block_start)
            pos = end
        last = chunk.rfind(b"\n\n", pos)
        if last >= 0:
            self._blocks(chunk, mv, pos, last + 2, base)
            pos = last + 2
        elif pos < n and chunk[pos] == 10:
            self._blocks(chunk, mv, pos, pos + 1, base)
            pos += 1
        self._block_start = base + pos
        if pos < n:
            held = self._held
            if len(held) + n - pos > limit:
                raise self._too_large_block(held, chunk, pos, n)
            held += mv[pos:]

    def _blocks(
        self, buf: bytes | bytearray, mv: memoryview, pos: int, stop: int, base: int
    ) -> None:
        """Dispatch the complete events of ``buf[pos:stop]``, which ends at an
        event boundary (a blank line)."""
        match = _FAST.match
        find = buf.find
        names = self._names
        append = self._frames.append
        frame = SSEFrame
        # No event can exceed the limit when the whole region does not.
        check = stop - pos > self._max_event_bytes
        id_, retry = self._id_buf, self.retry
        dispatched = False
        while pos < stop:
            m = match(buf, pos, stop)
            if m is not None:
                start, end = m.span(2)
                if check and end + 1 - pos > self._max_event_bytes:
                    self._block_start = base + pos
                    raise self._too_large_block(b"", buf, pos, end + 1)
                raw = m.group(1)
                if raw is None:
                    name = "message"
                else:
                    cached = names.get(raw)
                    name = cached if cached is not None else self._name(raw)
                append(frame(name, mv[start:end], id_, retry))
                dispatched = True
                pos = end + 2  # the data line's LF and the blank line
                continue
            # Any other shape: find its blank line and interpret line by line.
            end = pos + 1 if buf[pos] == 10 else find(b"\n\n", pos, stop) + 2
            if dispatched:
                self._idle = 0
                dispatched = False
            self._block_start = base + pos
            self._scan(buf, mv, pos, base, False, end)
            id_, retry = self._id_buf, self.retry
            pos = end
        if dispatched:
            self._idle = 0

    def _too_large_block(
        self, held: bytes | bytearray, buf: bytes | bytearray, pos: int, stop: int
    ) -> EventTooLargeError:
        """The error for the event at ``_block_start`` whose bytes are ``held`` +
        ``buf[pos:stop]`` (LF line endings, no blank line among them), known to
        exceed the limit: it is reported at the first line that exceeds it, or
        at ``stop`` if that line is not complete."""
        limit = self._max_event_bytes
        k = len(held)
        e = buf.find(b"\n", max(pos, pos + limit - k), stop)
        size = k + (e + 1 if e >= 0 else stop) - pos
        n = min(_EXCERPT, size)
        head = bytes(held[:n])
        if len(head) < n:
            head += bytes(buf[pos : pos + n - len(head)])
        return self._too_large(head, size)

    # -- line mode ---------------------------------------------------------------------

    def _enter_line_mode(self) -> None:
        """Hand the held block prefix (complete lines, maybe a partial one) over to
        the line interpreter."""
        self._line_mode = True
        if self._held:
            block = self._held
            self._head = bytes(block[:_EXCERPT])
            self._held = ReceiveBuffer()
            pos = self._scan(block, memoryview(block), 0, self._block_start, False, len(block))
            if pos < len(block):
                self._held += memoryview(block)[pos:]

    def _feed_lines(self, chunk: bytes, mv: memoryview, pos: int, base: int) -> None:
        if not self._line_mode:
            self._enter_line_mode()
        n = len(chunk)
        if self._held:
            pos = self._finish_line(chunk, mv, pos, base)
        if pos >= 0:
            pos = self._scan(chunk, mv, pos, base, chunk.find(b"\r", pos) >= 0, n)
            if pos < n:
                if self._offset - self._block_start > self._max_event_bytes:
                    raise self._too_large_lines(chunk, base, self._offset)
                self._held += mv[pos:]
            # Pending data must not keep the chunk alive: copy it, once.
            data = self._data
            if type(data) is memoryview and data.obj is chunk:
                self._data = memoryview(bytes(data))
        start = self._block_start
        if start < self._offset:
            # Keep the first bytes of the pending event for error excerpts.
            if start >= base:
                self._head = bytes(chunk[start - base : start - base + _EXCERPT])
            elif len(self._head) < _EXCERPT:
                self._head += bytes(chunk[: _EXCERPT - len(self._head)])
        elif self._max_idle is None:
            # At an event boundary nothing is pending: LF-only chunks can be
            # handled block by block again.
            self._line_mode = False

    def _finish_line(self, chunk: bytes, mv: memoryview, pos: int, base: int) -> int:
        """Complete the line held in the receive buffer with this chunk.

        Only the new chunk is searched. Returns the position after the line
        ending, or -1 if the chunk holds none (it is then held too)."""
        m = _EOL.search(chunk, pos)
        if m is None:
            if self._offset - self._block_start > self._max_event_bytes:
                raise self._too_large_lines(chunk, base, self._offset)
            self._held += mv[pos:]
            return -1
        end, nxt = m.span()
        if nxt == len(chunk) and nxt - end == 1 and chunk[end] == 13:
            self._pending_cr = True
        if base + nxt - self._block_start > self._max_event_bytes:
            raise self._too_large_lines(chunk, base, base + nxt)
        line = self._held
        start = base + pos - len(line)
        line += mv[pos:end]
        self._held = ReceiveBuffer()
        # A held line is never empty, so it is never the blank line that
        # dispatches; it may be a data line, which keeps a view of ``line``.
        self._field(line, memoryview(line), 0, len(line), start)
        return nxt

    def _scan(
        self,
        buf: bytes | bytearray,
        mv: memoryview,
        pos: int,
        base: int,
        cr: bool,
        stop: int,
    ) -> int:
        """Interpret every complete line of ``buf[pos:stop]``; return where the
        first incomplete line starts. ``cr`` selects the CR-aware line splitter;
        LF-only input uses ``bytes.find``."""
        find = buf.find
        startswith = buf.startswith
        search = _EOL.search
        frames = self._frames
        block_start = self._block_start
        limit = self._max_event_bytes
        # No line can take its event beyond the limit when the region cannot.
        check = base + stop - block_start > limit
        try:
            while True:
                if cr:
                    m = search(buf, pos, stop)
                    if m is None:
                        break
                    end, nxt = m.span()
                    if nxt == stop and nxt - end == 1 and buf[end] == 13:
                        self._pending_cr = True
                else:
                    end = find(b"\n", pos, stop)
                    if end < 0:
                        break
                    nxt = end + 1
                if end == pos:
                    # Blank line: dispatch.
                    self.last_event_id = self._id_buf
                    self.retry = self._retry_buf
                    data = self._data
                    if data is not None:
                        frames.append(
                            SSEFrame(
                                self._event or "message",
                                data if type(data) is memoryview else memoryview(data),
                                self._id_buf,
                                self.retry,
                            )
                        )
                        self._data = None
                        self._idle = 0
                    else:
                        self._idle_line(buf, pos, pos, base + pos)
                    self._event = ""
                    block_start = base + nxt
                else:
                    if check and base + nxt - block_start > limit:
                        self._block_start = block_start
                        raise self._too_large_lines(buf, base, base + nxt)
                    if not startswith(b"data: ", pos):
                        self._field(buf, mv, pos, end, base + pos)
                    elif self._data is None:  # the usual case: one data line
                        self._data = mv[pos + 6 : end]
                    else:
                        self._add_data(mv[pos + 6 : end])
                pos = nxt
        finally:
            # Also on an error: the state reflects every line interpreted.
            self._block_start = block_start
        return pos

    def _add_data(self, value: memoryview) -> None:
        data = self._data
        if data is None:
            self._data = value
        elif type(data) is bytearray:
            data += b"\n"
            data += value
        else:
            joined = bytearray(data)
            joined += b"\n"
            joined += value
            self._data = joined

    def _field(
        self, buf: bytes | bytearray, mv: memoryview, start: int, end: int, offset: int
    ) -> None:
        """Interpret one non-blank line ``buf[start:end]`` starting at stream
        offset ``offset``."""
        if buf[start] == 58:  # ":" starts a comment
            self._idle_line(buf, start, end, offset)
            return
        colon = buf.find(b":", start, end)
        if colon < 0:
            name = bytes(buf[start:end])
            value = end
        else:
            name = bytes(buf[start:colon])
            value = colon + 1
            if value < end and buf[value] == 32:
                value += 1
        if name == b"data":
            self._add_data(mv[value:end])
            return
        self._idle_line(buf, start, end, offset)
        if name == b"event":
            raw = bytes(buf[value:end])
            cached = self._names.get(raw)
            self._event = cached if cached is not None else self._name(raw)
        elif name == b"id":
            raw = bytes(buf[value:end])
            if b"\x00" not in raw:
                self._id_buf = raw.decode("utf-8", "replace")
        elif name == b"retry":
            retry = _parse_retry(bytes(buf[value:end]))
            if retry is not None:
                self._retry_buf = retry
        # Any other field name is ignored, as the spec requires.

    def _too_large_lines(self, buf: bytes | bytearray, base: int, end: int) -> EventTooLargeError:
        """Line mode: the error for the pending event, whose first ``end -
        _block_start`` bytes (through stream offset ``end``, inside ``buf``,
        which starts at stream offset ``base``) exceed the limit."""
        start = self._block_start
        n = min(_EXCERPT, end - start)
        if start >= base:
            head = bytes(buf[start - base : start - base + n])
        else:
            head = self._head + bytes(buf[: n - len(self._head)])
        return self._too_large(head, end - start)

    # -- shared ------------------------------------------------------------------------

    def _raise_deferred(self) -> None:
        if self._error is not None:
            exc, self._error = self._error, None
            raise exc

    def _strip_bom(self, chunk: bytes, mv: memoryview, pos: int) -> int:
        """Drop one leading UTF-8 BOM, also when it is split across chunks.

        Returns the position to continue at, or -1 while the start of the
        stream is still a proper prefix of a BOM (the bytes are held)."""
        held = self._held.peek(3)
        need = 3 - len(held)
        head = held + chunk[pos : pos + need]
        if len(head) < 3 and _BOM.startswith(head):
            self._held += mv[pos:]
            self._head = head
            return -1
        self._at_start = False
        if head == _BOM:
            self._held = ReceiveBuffer()
            self._block_start = 3
            return pos + need
        return pos

    def _event_name(self, raw: bytes | None) -> str:
        if raw is None:
            return "message"
        cached = self._names.get(raw)
        return cached if cached is not None else self._name(raw)

    def _name(self, raw: bytes) -> str:
        name = raw.decode("utf-8", "replace") if raw else "message"
        if len(self._names) < _NAME_CACHE_LIMIT:
            self._names[raw] = name
        return name

    def _index(self) -> int:
        return self._count + len(self._frames)

    def _idle_line(self, buf: bytes | bytearray, start: int, end: int, offset: int) -> None:
        self._idle += 1
        if self._max_idle is not None and self._idle > self._max_idle:
            raise IdleStreamError(
                self._max_idle,
                index=self._index(),
                offset=offset,
                excerpt=bytes(buf[start : min(end, start + _EXCERPT)]),
            )

    def _too_large(self, head: bytes, size: int) -> EventTooLargeError:
        return EventTooLargeError(
            self._max_event_bytes,
            size,
            index=self._index(),
            offset=self._block_start,
            excerpt=head,
        )


#: The compiled decoder, or None when it is not built or disabled.
CSSEDecoder: type[PySSEDecoder] | None = None
if not os.environ.get("STREAMKIT_NO_EXTENSIONS"):
    try:
        from streamkit.sse._sse_c import SSEDecoder as _CompiledDecoder
    except ImportError:  # not built (no compiler at install time): pure Python
        pass
    else:
        # Not a subclass, but the same API (streamkit/sse/_sse_c.pyi).
        CSSEDecoder = cast("type[PySSEDecoder]", _CompiledDecoder)

if TYPE_CHECKING:
    SSEDecoder = PySSEDecoder
else:
    SSEDecoder = PySSEDecoder if CSSEDecoder is None else CSSEDecoder


def implementation() -> Literal["compiled", "python"]:
    """Which ``SSEDecoder`` is in use: ``"compiled"`` (the C extension
    ``streamkit.sse._sse_c``) or ``"python"`` (``PySSEDecoder``: the extension was
    not built, or ``STREAMKIT_NO_EXTENSIONS`` is set to a non-empty value)."""
    return "python" if CSSEDecoder is None else "compiled"

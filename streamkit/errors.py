"""streamkit's error hierarchy.

Every error knows where in the stream it happened: the index of the SSE event
(frames dispatched before it), that event's type when known, the byte offset,
and a short excerpt of the offending bytes.
"""

from __future__ import annotations

__all__ = [
    "StreamError",
    "SSEError",
    "EventTooLargeError",
    "IdleStreamError",
    "StreamClosedError",
    "EventDecodeError",
    "APIMismatchError",
    "UnknownEventError",
    "UnexpectedEventError",
    "VerdictError",
    "TruncatedStreamError",
    "IncompleteStreamError",
    "APIStreamError",
    "UnexpectedResponseError",
    "ConnectionLostError",
    "StreamTimeoutError",
    "ResumeFailedError",
    "NotEventStreamError",
    "StreamIntegrityError",
    "StreamIntegrityWarning",
]

_EXCERPT = 80


def excerpt(data: bytes | bytearray | memoryview | None, limit: int = _EXCERPT) -> bytes:
    """Return at most ``limit`` bytes of ``data`` for an error message."""
    if data is None:
        return b""
    return bytes(data[:limit])


class StreamError(Exception):
    """Base class of every error streamkit raises.

    Attributes:
        index: number of SSE events dispatched before the error (the failing
            event's position in the stream), or None when unknown.
        event_type: the SSE event name or payload ``type`` involved, if known.
        offset: byte offset in the stream, if known.
        excerpt: a short excerpt of the offending bytes (may be empty).
    """

    def __init__(
        self,
        message: str,
        *,
        index: int | None = None,
        event_type: str | None = None,
        offset: int | None = None,
        excerpt: bytes = b"",
    ) -> None:
        self.message = message
        self.index = index
        self.event_type = event_type
        self.offset = offset
        self.excerpt = excerpt
        #: What was reduced before the error (set by ``streamkit.reduce``).
        self.partial: object = None
        super().__init__(self._render())

    def _locate(self, offset: int) -> None:
        """Set ``offset`` once the layer that read the bytes knows it (the
        message is rendered again)."""
        self.offset = offset
        self.args = (self._render(),)

    def _render(self) -> str:
        where = []
        if self.index is not None:
            where.append(f"event #{self.index}")
        if self.event_type:
            where.append(f"({self.event_type})")
        if self.offset is not None:
            where.append(f"at byte {self.offset}")
        text = self.message
        if where:
            text = f"{' '.join(where)}: {text}"
        if self.excerpt:
            more = "" if len(self.excerpt) < _EXCERPT else "..."
            text = f"{text} [bytes: {self.excerpt!r}{more}]"
        return text


class SSEError(StreamError):
    """The byte stream violates a limit of the SSE decoder."""


class EventTooLargeError(SSEError):
    """An event grew beyond ``max_event_bytes``."""

    def __init__(self, limit: int, size: int, *, index: int, offset: int, excerpt: bytes) -> None:
        self.limit = limit
        self.size = size
        super().__init__(
            f"event exceeds max_event_bytes={limit} (at least {size} bytes buffered)",
            index=index,
            offset=offset,
            excerpt=excerpt,
        )


class IdleStreamError(SSEError):
    """The peer sent more than ``max_idle_lines`` lines without any event."""

    def __init__(self, limit: int, *, index: int, offset: int, excerpt: bytes) -> None:
        self.limit = limit
        super().__init__(
            f"more than max_idle_lines={limit} comment/blank/non-data lines in a row "
            "without an event",
            index=index,
            offset=offset,
            excerpt=excerpt,
        )


class StreamClosedError(SSEError):
    """``feed()`` was called after ``close()``."""


class EventDecodeError(StreamError):
    """A payload is not valid JSON, or not the shape of any event it claims to be."""


class APIMismatchError(EventDecodeError):
    """The stream belongs to another API than the one it is parsed as."""


class UnknownEventError(EventDecodeError):
    """Strict mode: an event type (or payload shape) streamkit does not know."""


class UnexpectedEventError(StreamError):
    """Strict mode: an event where the protocol allows none (after ``[DONE]``)."""


class VerdictError(StreamError):
    """A strict reduction did not complete; ``verdict`` says how it ended and
    ``partial`` holds the object reduced so far."""

    def __init__(
        self, message: str, *, verdict: object, index: int | None = None, offset: int | None = None
    ) -> None:
        self.verdict = verdict
        super().__init__(message, index=index, offset=offset)


class TruncatedStreamError(VerdictError):
    """The stream ended before its terminal event (strict reductions): a cut
    stream (verdict ``truncated``), or a Chat/Completions stream whose choices
    all finished but whose ``[DONE]`` never came (verdict ``unterminated``)."""


class IncompleteStreamError(VerdictError):
    """The server ended the stream early (``response.incomplete``, or a Chat
    choice that stopped for ``length`` / ``content_filter``)."""


class NotEventStreamError(StreamError):
    """The input is not an event stream: its bytes ended without a single SSE
    event, and no line of them was an SSE field (``data``, ``event``, ``id``,
    ``retry``) or comment. An HTML error page, a JSON body, random bytes and
    empty input all get this error instead of an empty result.

    A stream of comments only (keep-alives) is an event stream that ended
    before its first event: it is not this error (``reduce`` reports it
    ``truncated``). ``offset`` is 0, ``index`` 0 and ``excerpt`` the first
    bytes of the input; the message quotes the start of its first line.
    """

    def __init__(self, head: bytes) -> None:
        super().__init__(_not_sse_message(head), index=0, offset=0, excerpt=excerpt(head))

    def _render(self) -> str:
        # The message already quotes the input; the generic "event #0 at byte
        # 0 ... [bytes: ...]" decoration would only repeat it.
        return self.message


_QUOTE = 60


def _not_sse_message(head: bytes) -> str:
    if not head:
        return "no server-sent events found; the input is empty"
    text = head.decode("utf-8", "replace")
    first, eol, _ = text.replace("\r", "\n").partition("\n")
    # ``head`` is at most _EXCERPT bytes: without a line break in it, the line
    # may go on. A blank first line is shown with the line breaks after it.
    shown, cut = (first, not eol) if first.strip() else (text, True)
    more = len(shown) > _QUOTE or (cut and len(head) >= _EXCERPT)
    quoted = repr(shown[:_QUOTE]) + ("..." if more else "")
    return f"no server-sent events found; the input starts with {quoted}"


class APIStreamError(StreamError):
    """The server reported an error inside the stream.

    Raised by the event iterators (after every event before it was yielded)
    for a Responses ``error`` event, a ``response.failed`` event, or a
    top-level ``{"error": {...}}`` payload. ``event`` is the typed event.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | int | None = None,
        param: str | None = None,
        type: str | None = None,
        event: object = None,
        index: int | None = None,
        event_type: str | None = None,
        offset: int | None = None,
        excerpt: bytes = b"",
    ) -> None:
        self.code = code
        self.param = param
        self.type = type
        self.event = event
        detail = message
        if code is not None:
            detail = f"{detail} (code={code!r})"
        super().__init__(
            f"server error: {detail}",
            index=index,
            event_type=event_type,
            offset=offset,
            excerpt=excerpt,
        )
        self.server_message = message


class UnexpectedResponseError(StreamError):
    """The server answered with a non-2xx status or a content type other than
    ``text/event-stream``: there is no stream to parse.

    Attributes:
        status_code: the HTTP status.
        content_type: the ``Content-Type`` header ("" when absent).
        body: the start of the body (at most a few KiB).
        response: the HTTP response object (closed).
        code, error_type, server_message: from an OpenAI-style JSON error body
            (``{"error": {"message", "type", "code"}}``), else None.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        content_type: str,
        body: bytes,
        response: object = None,
        code: str | int | None = None,
        error_type: str | None = None,
        server_message: str | None = None,
        index: int | None = None,
    ) -> None:
        self.status_code = status_code
        self.content_type = content_type
        self.body = body
        self.response = response
        self.code = code
        self.error_type = error_type
        self.server_message = server_message
        super().__init__(message, index=index, excerpt=excerpt(body))


class ConnectionLostError(StreamError):
    """The connection broke before the stream's end and was not resumed
    (resuming was off or impossible). ``partial`` (from the reducing helpers)
    holds what was folded before; the transport error is ``__cause__``."""


class StreamTimeoutError(ConnectionLostError):
    """No bytes arrived within the read timeout, and the stream was not resumed."""


class ResumeFailedError(ConnectionLostError):
    """The stream dropped and every reconnection attempt failed.

    Attributes:
        attempts: reconnection attempts made since the last event arrived.
        last_error: the error of the last attempt (also ``__cause__``), or None
            when the server kept ending the stream early without an error.
    """

    def __init__(
        self,
        message: str,
        *,
        attempts: int,
        last_error: BaseException | None,
        index: int | None = None,
        event_type: str | None = None,
    ) -> None:
        self.attempts = attempts
        self.last_error = last_error
        super().__init__(message, index=index, event_type=event_type)


class StreamIntegrityError(StreamError):
    """A stream contradicted itself (a gap, a duplicate, an impossible index) and
    the reducer's integrity policy is ``"raise"``; or a resumed stream
    contradicted the one before the drop (``streamkit.http.Resume``)."""


class StreamIntegrityWarning(UserWarning):
    """A stream contradicted itself; the reducer kept going (policy ``"warn"``)."""

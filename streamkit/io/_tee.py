"""A byte-exact tee: observe a stream's typed events while forwarding its bytes.

A proxy must pass the upstream bytes on untouched, chunk for chunk, whatever it
thinks of them. ``TeeCore`` parses a copy of the traffic on the side and
feeds the events to an observer (a reducer or a callable); ``tee`` and ``atee``
wrap a byte source and yield its original chunk objects. Parsing problems never
stop the forwarding, whatever they are: by default the first one is recorded in
``error`` and parsing stops, while the bytes keep flowing.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Generator, Iterable
from contextlib import aclosing, closing
from typing import Any, Generic, Literal, TypeAlias, TypeVar, cast, overload

from streamkit.errors import StreamClosedError, StreamError
from streamkit.events._decoder import API, Event, EventDecoder
from streamkit.io._sources import AsyncByteSource, BytesLike, ByteSource, aiter_chunks, iter_chunks
from streamkit.reducers._base import Reducer
from streamkit.sse._decoder import DEFAULT_MAX_EVENT_BYTES, SSEDecoder

__all__ = ["AsyncTee", "TeeCore", "Tee", "TeeErrorMode", "atee", "tee"]

R = TypeVar("R")
#: The type of the source's chunks, which the tee hands on unchanged.
C = TypeVar("C", bound=BytesLike)

#: What a tee does with a parse error: ``"record"`` it in ``error`` and stop
#: parsing (the bytes keep flowing), or ``"raise"`` it.
TeeErrorMode: TypeAlias = Literal["record", "raise"]

_MODES = ("record", "raise")


class TeeCore(Generic[R]):
    """Sans-IO core of the tee: parse chunks on the side, feed an observer.

    Args:
        observer: a streamkit ``Reducer`` (each event goes to its ``step()``,
            ``close()`` calls its ``finish()``, whose value becomes ``result``),
            a callable taking each event, or None to only count events.
        api: ``"responses"``, ``"chat"``, ``"completions"``, ``"messages"`` or ``"auto"``.
        errors: ``"record"`` (default): an error while parsing is kept in
            ``error``, and every later byte is ignored; ``"raise"``:
            ``feed()`` / ``close()`` raise it.
        max_event_bytes, max_idle_lines: the ``SSEDecoder`` limits.

    Any exception of the SSE or event decoder is such an error: one that is
    not a ``StreamError`` (a defect, not a verdict on the bytes) is wrapped in
    a ``StreamError`` with the original as ``__cause__``, so a proxy keeps
    forwarding whatever the payloads are. A ``StreamError`` from the observer
    is recorded the same way; its other exceptions are bugs of the observer
    and propagate.

    Server error events (``error``, ``response.failed``, ``{"error": ...}``)
    are events like any other here: the observer gets them, as ``reduce``'s
    reducer does. Parsing ends at ``[DONE]``; bytes after it are not parsed.
    """

    __slots__ = (
        "_closed",
        "_decoder",
        "_errors",
        "_finish",
        "_sse",
        "_step",
        "_stopped",
        "error",
        "events",
        "result",
    )

    @overload
    def __init__(
        self: TeeCore[R],
        observer: Reducer[Any, R],
        api: API = ...,
        *,
        errors: TeeErrorMode = ...,
        max_event_bytes: int = ...,
        max_idle_lines: int | None = ...,
    ) -> None: ...

    @overload
    def __init__(
        self: TeeCore[None],
        observer: Callable[[Event], object] | None = ...,
        api: API = ...,
        *,
        errors: TeeErrorMode = ...,
        max_event_bytes: int = ...,
        max_idle_lines: int | None = ...,
    ) -> None: ...

    def __init__(
        self,
        observer: Reducer[Any, Any] | Callable[[Event], object] | None = None,
        api: API = "auto",
        *,
        errors: TeeErrorMode = "record",
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        max_idle_lines: int | None = None,
    ) -> None:
        if errors not in _MODES:
            raise ValueError(f"errors must be 'record' or 'raise', not {errors!r}")
        self._step: Callable[[Any], object] | None
        self._finish: Callable[[], Any] | None = None
        step = getattr(observer, "step", None)
        if observer is None:
            self._step = None
        elif callable(step) and callable(getattr(observer, "finish", None)):
            self._step = step
            self._finish = observer.finish  # type: ignore[union-attr]
        elif callable(observer):
            self._step = observer
        else:
            raise TypeError(
                f"observer must be a Reducer or a callable, not {type(observer).__name__}"
            )
        self._sse = SSEDecoder(max_event_bytes=max_event_bytes, max_idle_lines=max_idle_lines)
        # Server errors are yielded, not raised: they belong to the stream, and
        # the reducers fold them into the verdict.
        self._decoder = EventDecoder(api, errors="yield")
        self._errors = errors
        self._stopped = False  # no more parsing: after [DONE] or an error
        self._closed = False
        #: Number of events passed to the observer.
        self.events = 0
        #: The first ``StreamError`` met (``errors="record"``), or None.
        self.error: StreamError | None = None
        #: After ``close()``: what the observer's ``finish()`` returned (None
        #: for a callable or no observer, and before ``close()``).
        self.result: R | None = None

    @property
    def api(self) -> API:
        """The stream's API ("auto" until the first payload decided it)."""
        return self._decoder.api

    @property
    def done(self) -> bool:
        """True once ``[DONE]`` was parsed."""
        return self._decoder.done

    @property
    def closed(self) -> bool:
        """True after ``close()``."""
        return self._closed

    def feed(self, chunk: BytesLike) -> list[Event]:
        """Parse one chunk; return the events it completed (already observed).

        Never keeps or changes ``chunk``; forward it yourself.
        """
        if self._closed:
            raise StreamClosedError("feed() after close()")
        if self._stopped:
            return []
        out: list[Event] = []
        error: StreamError | None = None
        try:
            self._decoder.decode_into(self._sse.feed(chunk), out)
        except StreamError as exc:
            # ``out`` holds every event before the error: observe them first.
            error = exc
        except Exception as exc:
            error = self._defect(exc)
        error = self._observe(out) or error
        if error is not None:
            self._fail(error)
        elif self._decoder.done:
            self._stopped = True
        return out

    def close(self) -> R | None:
        """End the stream: finish the observer and return ``result``.

        The observer is finished even after an error, so ``result`` is the
        partial result then (also set as the error's ``partial``). A second
        call returns the same result.
        """
        if self._closed:
            return self.result
        self._closed = True
        error: StreamError | None = None
        if not self._stopped:
            self._stopped = True
            out: list[Event] = []
            try:
                self._decoder.decode_into(self._sse.close(), out)
            except StreamError as exc:
                error = exc
            except Exception as exc:
                error = self._defect(exc)
            error = self._observe(out) or error
        if self._finish is not None:
            try:
                self.result = self._finish()
            except StreamError as exc:
                error = error or exc
        if error is not None and self.error is None:
            self.error = error
        if self.error is not None and self.error.partial is None:
            self.error.partial = self.result
        if error is not None:
            self._fail(error)
        return self.result

    def _observe(self, events: list[Event]) -> StreamError | None:
        """Step the observer through ``events``; stop at its first StreamError."""
        step = self._step
        if step is None:
            self.events += len(events)
            return None
        for event in events:
            try:
                step(event)
            except StreamError as exc:
                return exc
            self.events += 1
        return None

    def _defect(self, exc: Exception) -> StreamError:
        """A ``StreamError`` standing for a decoder exception of another kind."""
        error = StreamError(
            f"parsing failed: {type(exc).__name__}: {exc}", index=self._decoder.index
        )
        error.__cause__ = exc
        return error

    def _fail(self, exc: StreamError) -> None:
        """Stop parsing; keep the first error; raise it if so configured."""
        self._stopped = True
        if self.error is None:
            self.error = exc
        if self._errors == "raise":
            raise exc

    def _close_quietly(self) -> None:
        """Close while another exception propagates: record, never raise."""
        errors, self._errors = self._errors, "record"
        try:
            self.close()
        finally:
            self._errors = errors


class _TeeView(Generic[R]):
    """What ``Tee`` and ``AsyncTee`` share: the core's results."""

    __slots__ = ("core",)

    def __init__(self, core: TeeCore[R]) -> None:
        #: The sans-IO core doing the parsing.
        self.core = core

    @property
    def result(self) -> R | None:
        """The observer's ``finish()`` value, once the source is exhausted."""
        return self.core.result

    @property
    def events(self) -> int:
        """Number of events observed so far."""
        return self.core.events

    @property
    def error(self) -> StreamError | None:
        """The parse error recorded (``errors="record"``), or None."""
        return self.core.error

    @property
    def api(self) -> API:
        """The stream's API, once detected."""
        return self.core.api


class Tee(_TeeView[R], Generic[R, C]):
    """Iterator over a byte source's original chunks, observed on the way
    (returned by ``tee``). ``result``, ``events`` and ``error`` are complete
    once the iteration has ended, however it ended."""

    __slots__ = ("_chunks",)

    def __init__(self, source: ByteSource, core: TeeCore[R]) -> None:
        super().__init__(core)
        self._chunks = self._run(source)

    def __iter__(self) -> Tee[R, C]:
        return self

    def __next__(self) -> C:
        return next(self._chunks)

    def close(self) -> None:
        """Stop early: close the source and finish the observer."""
        self._chunks.close()
        self.core._close_quietly()  # the iteration may never have started

    def _run(self, source: ByteSource) -> Generator[C, None, None]:
        core = self.core
        try:
            # closing(): a file opened from a path is closed as soon as we stop.
            # The chunks are the source's own objects, of its own type C.
            chunks = cast("Generator[C, None, None]", iter_chunks(source))
            with closing(chunks):
                for chunk in chunks:
                    try:
                        core.feed(chunk)
                    except StreamError:  # errors="raise": forward the chunk first
                        yield chunk
                        raise
                    yield chunk
        except BaseException:
            # The source failed, the consumer stopped, or a parse error is being
            # raised: the observer still gets its finish().
            core._close_quietly()
            raise
        core.close()


class AsyncTee(_TeeView[R], Generic[R, C]):
    """Async iterator over a byte source's original chunks, observed on the
    way (returned by ``atee``)."""

    __slots__ = ("_chunks",)

    def __init__(self, source: AsyncByteSource, core: TeeCore[R]) -> None:
        super().__init__(core)
        self._chunks = self._run(source)

    def __aiter__(self) -> AsyncTee[R, C]:
        return self

    async def __anext__(self) -> C:
        return await self._chunks.__anext__()

    async def aclose(self) -> None:
        """Stop early: close the source and finish the observer."""
        await self._chunks.aclose()
        self.core._close_quietly()

    async def _run(self, source: AsyncByteSource) -> AsyncGenerator[C, None]:
        core = self.core
        try:
            # aclosing(): an unfinished async generator must be closed by its
            # owner, not left to the garbage collector.
            achunks = cast("AsyncGenerator[C, None]", aiter_chunks(source))
            async with aclosing(achunks) as chunks:
                async for chunk in chunks:
                    try:
                        core.feed(chunk)
                    except StreamError:
                        yield chunk
                        raise
                    yield chunk
        except BaseException:
            core._close_quietly()
            raise
        core.close()


@overload
def tee(
    source: Iterable[C] | C,
    observer: Reducer[Any, R],
    *,
    api: API = ...,
    errors: TeeErrorMode = ...,
    max_event_bytes: int = ...,
    max_idle_lines: int | None = ...,
) -> Tee[R, C]: ...


@overload
def tee(
    source: Iterable[C] | C,
    observer: Callable[[Event], object] | None = ...,
    *,
    api: API = ...,
    errors: TeeErrorMode = ...,
    max_event_bytes: int = ...,
    max_idle_lines: int | None = ...,
) -> Tee[None, C]: ...


@overload
def tee(
    source: str | os.PathLike[str],
    observer: Reducer[Any, R],
    *,
    api: API = ...,
    errors: TeeErrorMode = ...,
    max_event_bytes: int = ...,
    max_idle_lines: int | None = ...,
) -> Tee[R, bytes]: ...


@overload
def tee(
    source: str | os.PathLike[str],
    observer: Callable[[Event], object] | None = ...,
    *,
    api: API = ...,
    errors: TeeErrorMode = ...,
    max_event_bytes: int = ...,
    max_idle_lines: int | None = ...,
) -> Tee[None, bytes]: ...


def tee(
    source: ByteSource,
    observer: Any = None,
    *,
    api: API = "auto",
    errors: TeeErrorMode = "record",
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> Tee[Any, Any]:
    """Forward ``source``'s chunks unchanged while observing its events.

    Returns an iterator over the very chunk objects the source yields (any
    chunking; for a path or file: the chunks read). Each chunk is parsed before
    it is yielded, so the observer has seen every event it completed. After
    the iteration, ``result`` holds the observer's ``finish()`` value,
    ``events`` the number of events and ``error`` a recorded parse error.
    With ``errors="raise"`` a parse error is raised after its chunk was
    yielded. See ``TeeCore`` for the options.
    """
    core = TeeCore(
        observer,
        api,
        errors=errors,
        max_event_bytes=max_event_bytes,
        max_idle_lines=max_idle_lines,
    )
    return Tee(source, core)


@overload
def atee(
    source: AsyncIterable[C] | Iterable[C] | C,
    observer: Reducer[Any, R],
    *,
    api: API = ...,
    errors: TeeErrorMode = ...,
    max_event_bytes: int = ...,
    max_idle_lines: int | None = ...,
) -> AsyncTee[R, C]: ...


@overload
def atee(
    source: AsyncIterable[C] | Iterable[C] | C,
    observer: Callable[[Event], object] | None = ...,
    *,
    api: API = ...,
    errors: TeeErrorMode = ...,
    max_event_bytes: int = ...,
    max_idle_lines: int | None = ...,
) -> AsyncTee[None, C]: ...


@overload
def atee(
    source: str | os.PathLike[str],
    observer: Reducer[Any, R],
    *,
    api: API = ...,
    errors: TeeErrorMode = ...,
    max_event_bytes: int = ...,
    max_idle_lines: int | None = ...,
) -> AsyncTee[R, bytes]: ...


@overload
def atee(
    source: str | os.PathLike[str],
    observer: Callable[[Event], object] | None = ...,
    *,
    api: API = ...,
    errors: TeeErrorMode = ...,
    max_event_bytes: int = ...,
    max_idle_lines: int | None = ...,
) -> AsyncTee[None, bytes]: ...


def atee(
    source: AsyncByteSource,
    observer: Any = None,
    *,
    api: API = "auto",
    errors: TeeErrorMode = "record",
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> AsyncTee[Any, Any]:
    """Async twin of ``tee`` over any async (or sync) byte source."""
    core = TeeCore(
        observer,
        api,
        errors=errors,
        max_event_bytes=max_event_bytes,
        max_idle_lines=max_idle_lines,
    )
    return AsyncTee(source, core)

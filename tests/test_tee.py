"""The byte-exact tee: forwarded chunks are the source's own, events are observed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import chunkings, random_chunks, recording_params, recording_paths

import streamkit
from streamkit import StreamError, TextReducer, UsageReducer, reducer_for
from streamkit.errors import (
    APIMismatchError,
    EventDecodeError,
    EventTooLargeError,
    StreamClosedError,
    StreamIntegrityError,
)
from streamkit.events import Done
from streamkit.io._tee import TeeCore, atee, tee
from streamkit.reducers import Reducer

PATHS = recording_paths()
needs_recordings = pytest.mark.recordings

CHAT = (
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
    b'"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},'
    b'"finish_reason":null}]}\n\n'
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
    b'"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}\n\n'
    b"data: [DONE]\n\n"
)
BROKEN_EVENT = b"data: {not json\n\n"


def api_of(path: Path) -> streamkit.events.API:
    return "responses" if path.parent.name == "responses" else "chat"


def plans(data: bytes) -> Iterator[tuple[str, list[bytes]]]:
    # Byte-by-byte feeding of the few large recordings adds time, not coverage.
    return chunkings(data, bytewise=len(data) <= 64 * 1024)


def expected_events(data: bytes) -> list[streamkit.events.Event]:
    return list(streamkit.iter_events(data, errors="yield"))


async def agen(chunks: Iterable[Any]) -> AsyncIterator[Any]:
    for chunk in chunks:
        yield chunk


def assert_forwarded(forwarded: list[Any], chunks: list[Any]) -> None:
    assert len(forwarded) == len(chunks)
    assert all(a is b for a, b in zip(forwarded, chunks, strict=True))


# -- recordings ---------------------------------------------------------------------------


@needs_recordings
@pytest.mark.parametrize("path", recording_params(PATHS))
def test_recording_forwarded_and_reduced(path: Path) -> None:
    data = path.read_bytes()
    expected = streamkit.reduce(path)
    count = len(expected_events(data))
    for name, chunks in plans(data):
        t = tee(chunks, reducer_for(api_of(path)))
        forwarded = list(t)
        assert_forwarded(forwarded, chunks)
        assert b"".join(forwarded) == data, name
        assert t.error is None, name
        assert t.result == expected, name
        assert t.result is not None
        assert t.result.verdict == expected.verdict, name
        assert t.events == count, name
        assert t.api == api_of(path)


@needs_recordings
@pytest.mark.parametrize("path", recording_params(PATHS))
def test_recording_small_reducers(path: Path) -> None:
    data = path.read_bytes()
    events = expected_events(data)
    usage = UsageReducer().run(events)
    text = TextReducer().run(events)
    chunks = random_chunks(data, seed=7)
    t = tee(chunks, UsageReducer())
    assert b"".join(t) == data
    assert t.result == usage
    t2 = tee(chunks, TextReducer())
    assert b"".join(t2) == data
    assert t2.result == text


@needs_recordings
@pytest.mark.parametrize("path", recording_params(PATHS))
def test_recording_callable_observer(path: Path) -> None:
    data = path.read_bytes()
    seen: list[streamkit.events.Event] = []
    t = tee(random_chunks(data, seed=3), seen.append)
    assert b"".join(t) == data
    assert seen == expected_events(data)
    assert t.result is None
    assert t.events == len(seen)


@needs_recordings
@pytest.mark.anyio
@pytest.mark.parametrize("path", recording_params(PATHS[::4]))
async def test_recording_async(path: Path) -> None:
    data = path.read_bytes()
    expected = streamkit.reduce(path)
    for name, chunks in plans(data):
        t = atee(agen(chunks), reducer_for(api_of(path)))
        forwarded = [chunk async for chunk in t]
        assert_forwarded(forwarded, chunks)
        assert b"".join(forwarded) == data, name
        assert t.error is None
        assert t.result == expected, name


@needs_recordings
def test_path_source() -> None:
    path = PATHS[0]
    t = tee(path, reducer_for(api_of(path)))
    assert b"".join(t) == path.read_bytes()
    assert t.result == streamkit.reduce(path)


# -- chunks -------------------------------------------------------------------------------


def test_bytearray_and_memoryview_chunks_are_forwarded_as_they_are() -> None:
    buf = bytearray(CHAT[:50])
    chunks: list[Any] = [buf, memoryview(CHAT)[50:120], CHAT[120:]]
    seen: list[streamkit.events.Event] = []
    forwarded = list(tee(chunks, seen.append))
    assert_forwarded(forwarded, chunks)
    assert seen == expected_events(CHAT)


def test_chunk_is_parsed_before_it_is_forwarded() -> None:
    seen: list[streamkit.events.Event] = []
    t = tee([CHAT[:10], CHAT[10:]], seen.append)
    assert next(t) == CHAT[:10]
    assert seen == []
    next(t)
    assert len(seen) == 3
    assert isinstance(seen[-1], Done)


def test_no_observer_counts_events() -> None:
    t = tee([CHAT])
    assert list(t) == [CHAT]
    assert t.events == 3
    assert t.result is None
    assert t.error is None


def test_bytes_after_done_are_forwarded_not_parsed() -> None:
    # An oversized event after [DONE] would be an SSE error if it were parsed.
    data = CHAT + BROKEN_EVENT + b"data: " + b"x" * 1000 + b"\n\n"
    t = tee(split(data, 7), UsageReducer(), max_event_bytes=500)
    assert b"".join(t) == data
    assert t.error is None
    assert t.events == 3


# -- errors -------------------------------------------------------------------------------


def split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def corrupt_stream() -> bytes:
    first, second, done = CHAT.split(b"\n\n")[:3]
    return first + b"\n\n" + BROKEN_EVENT + second + b"\n\n" + done + b"\n\n"


@pytest.mark.parametrize("size", [1, 13, 10_000])
def test_corrupt_stream_keeps_forwarding(size: int) -> None:
    data = corrupt_stream()
    chunks = split(data, size)
    seen: list[streamkit.events.Event] = []
    t = tee(chunks, seen.append)
    forwarded = list(t)
    assert_forwarded(forwarded, chunks)
    assert b"".join(forwarded) == data
    assert isinstance(t.error, EventDecodeError)
    assert t.error.index == 1
    assert len(seen) == 1  # the event before the bad one, nothing after
    assert t.events == 1


def test_corrupt_stream_partial_result() -> None:
    t = tee([corrupt_stream()], reducer_for("chat"))
    list(t)
    assert t.result is not None
    assert t.result.choices[0].message.content == "Hel"
    assert t.result.verdict.status == "truncated"
    assert t.error is not None
    assert t.error.partial is t.result


def test_errors_raise_after_forwarding_the_chunk() -> None:
    data = corrupt_stream()
    bad_at = data.index(BROKEN_EVENT) + len(BROKEN_EVENT)
    chunks = [data[:bad_at], data[bad_at:]]
    t = tee(chunks, reducer_for("chat"), errors="raise")
    forwarded = []
    with pytest.raises(EventDecodeError) as info:
        for chunk in t:
            forwarded.append(chunk)
    assert forwarded == chunks[:1]
    assert forwarded[0] is chunks[0]
    assert t.error is info.value
    assert t.result is not None  # the observer was finished all the same
    assert info.value.partial is t.result


def test_sse_limit_is_recorded() -> None:
    data = b"data: " + b"x" * 1000 + b"\n\n" + CHAT
    t = tee(split(data, 100), max_event_bytes=500)
    assert b"".join(t) == data
    assert isinstance(t.error, EventTooLargeError)
    assert t.events == 0


def test_api_mismatch_is_recorded() -> None:
    t = tee([CHAT], api="responses")
    assert list(t) == [CHAT]
    assert isinstance(t.error, APIMismatchError)


def test_server_error_payload_is_an_event_not_an_error() -> None:
    data = CHAT.split(b"data: [DONE]")[0] + b'data: {"error":{"message":"boom"}}\n\n'
    t = tee([data], reducer_for("chat"))
    assert list(t) == [data]
    assert t.error is None
    assert t.result is not None
    assert t.result.verdict.status == "errored"


class Failing(Reducer[Any, int]):
    def __init__(self, exc: Exception, after: int = 1) -> None:
        self.exc = exc
        self.after = after
        self.count = 0

    def step(self, event: Any) -> None:
        self.count += 1
        if self.count > self.after:
            raise self.exc

    def result(self) -> int:
        return self.count


def test_observer_stream_error_is_recorded() -> None:
    chunks = split(CHAT, 20)
    t = tee(chunks, Failing(StreamIntegrityError("contradiction")))
    assert_forwarded(list(t), chunks)
    assert isinstance(t.error, StreamIntegrityError)
    assert t.events == 1
    assert t.result == 2


def test_observer_stream_error_raise_mode() -> None:
    t = tee(split(CHAT, 20), Failing(StreamIntegrityError("contradiction")), errors="raise")
    with pytest.raises(StreamIntegrityError) as info:
        list(t)
    assert t.events == 1
    assert t.result == 2
    assert info.value.partial == 2


class FailingFinish(UsageReducer):
    def finish(self) -> Any:
        raise StreamIntegrityError("inconsistent at the end")


def test_observer_finish_error_is_recorded() -> None:
    t = tee([CHAT], FailingFinish())
    assert list(t) == [CHAT]
    assert isinstance(t.error, StreamIntegrityError)
    assert t.events == 3
    with pytest.raises(StreamIntegrityError):
        list(tee([CHAT], FailingFinish(), errors="raise"))


def test_observer_bug_propagates() -> None:
    t = tee([CHAT], Failing(ValueError("bug"), after=0))
    with pytest.raises(ValueError, match="bug"):
        list(t)


def test_source_failure_propagates_and_finishes_the_observer() -> None:
    def source() -> Iterator[bytes]:
        yield CHAT[:100]
        raise ConnectionError("upstream went away")

    t = tee(source(), reducer_for("chat"))
    with pytest.raises(ConnectionError):
        list(t)
    assert t.result is not None
    assert t.result.verdict.status == "truncated"
    assert t.error is None


def test_early_close_finishes_the_observer() -> None:
    closed = []

    def source() -> Iterator[bytes]:
        try:
            yield from split(CHAT, 40)
        finally:
            closed.append(True)

    t = tee(source(), reducer_for("chat"))
    next(t)
    t.close()
    assert closed == [True]
    assert t.result is not None
    never_started = tee([CHAT], UsageReducer())
    never_started.close()
    assert never_started.core.closed


# -- the sans-IO core ---------------------------------------------------------------------


def test_core_feed_returns_observed_events() -> None:
    core = TeeCore(reducer_for("chat"))
    first = core.feed(CHAT[:200])
    rest = core.feed(CHAT[200:])
    assert first + rest == expected_events(CHAT)
    assert core.done
    result = core.close()
    assert result is core.result
    assert core.close() is result
    assert result is not None and result.verdict.status == "completed"
    with pytest.raises(StreamClosedError):
        core.feed(b"data: 1\n\n")


def test_core_records_then_ignores() -> None:
    core = TeeCore()
    assert core.feed(BROKEN_EVENT) == []
    assert isinstance(core.error, EventDecodeError)
    assert core.feed(CHAT) == []
    assert core.close() is None
    assert core.events == 0


def test_core_truncated_stream() -> None:
    core = TeeCore(reducer_for("chat"))
    core.feed(CHAT[:150])
    result = core.close()
    assert core.error is None
    assert result is not None and result.verdict.status == "truncated"


def test_core_raise_mode() -> None:
    core = TeeCore(errors="raise")
    with pytest.raises(EventDecodeError):
        core.feed(BROKEN_EVENT)
    assert isinstance(core.error, StreamError)


def test_core_bad_arguments() -> None:
    with pytest.raises(ValueError):
        TeeCore(errors="ignore")  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        TeeCore(42)  # type: ignore[call-overload]
    with pytest.raises(ValueError):
        TeeCore(api="nope")  # type: ignore[call-overload]


# -- async --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_corrupt_stream_keeps_forwarding() -> None:
    data = corrupt_stream()
    chunks = split(data, 9)
    t = atee(agen(chunks), reducer_for("chat"))
    forwarded = [chunk async for chunk in t]
    assert_forwarded(forwarded, chunks)
    assert isinstance(t.error, EventDecodeError)
    assert t.result is not None


@pytest.mark.anyio
async def test_async_errors_raise() -> None:
    data = corrupt_stream()
    t = atee(agen([data]), errors="raise")
    forwarded = []
    with pytest.raises(EventDecodeError):
        async for chunk in t:
            forwarded.append(chunk)
    assert forwarded == [data]


@pytest.mark.anyio
async def test_async_sync_source_and_aclose() -> None:
    t = atee(split(CHAT, 30), UsageReducer())
    assert await t.__anext__() == CHAT[:30]
    await t.aclose()
    assert t.core.closed
    assert t.events == 0


@pytest.mark.anyio
async def test_async_source_failure() -> None:
    async def source() -> AsyncIterator[bytes]:
        yield CHAT[:100]
        raise ConnectionError("upstream went away")

    t = atee(source(), reducer_for("chat"))
    with pytest.raises(ConnectionError):
        async for _ in t:
            pass
    assert t.result is not None
    assert t.result.verdict.status == "truncated"

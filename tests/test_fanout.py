"""Fan-out of one event stream to several consumers, on asyncio and trio."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterable
from contextlib import aclosing
from typing import Any

import anyio
import pytest
from anyio.streams.memory import MemoryObjectReceiveStream
from helpers import recording_params, recording_paths

import streamkit
from streamkit import TextReducer, UsageReducer
from streamkit.io._fanout import fan_out

pytestmark = pytest.mark.anyio

# Only a guard against a deadlock hanging the suite; no test depends on speed.
DEADLOCK_GUARD = 30


async def agen(items: Iterable[Any], log: list[Any] | None = None) -> AsyncIterator[Any]:
    for item in items:
        if log is not None:
            log.append(item)
        yield item


async def forever(log: list[int]) -> AsyncIterator[int]:
    n = 0
    while True:
        log.append(n)
        yield n
        n += 1


async def collect(receive: MemoryObjectReceiveStream[Any]) -> list[Any]:
    return [item async for item in receive]


async def slow_collect(receive: MemoryObjectReceiveStream[Any]) -> list[Any]:
    out = []
    async for item in receive:
        for _ in range(5):  # let the producer and the others run ahead
            await anyio.lowlevel.checkpoint()
        out.append(item)
    return out


def take(n: int) -> Any:
    async def consumer(receive: MemoryObjectReceiveStream[Any]) -> list[Any]:
        out = []
        async for item in receive:
            out.append(item)
            if len(out) == n:
                break
        return out

    return consumer


@pytest.mark.parametrize("size", [0, 1, 3, 64, math.inf])
async def test_every_consumer_sees_every_event_in_order(size: float) -> None:
    items = list(range(100))
    results = await fan_out(agen(items), collect, slow_collect, collect, max_buffer_size=size)
    assert results == [items, items, items]


async def test_results_come_in_consumer_order() -> None:
    async def total(receive: MemoryObjectReceiveStream[int]) -> int:
        return sum([item async for item in receive])

    async def count(receive: MemoryObjectReceiveStream[int]) -> int:
        n = 0
        async for _ in receive:
            n += 1
            await anyio.lowlevel.checkpoint()
        return n

    assert await fan_out(agen(range(10)), count, total) == [10, 45]
    assert await fan_out(agen(range(10)), total, count) == [45, 10]


async def test_backpressure_bounds_how_far_the_producer_runs_ahead() -> None:
    produced: list[int] = []
    gaps: list[int] = []

    async def slow(receive: MemoryObjectReceiveStream[int]) -> None:
        received = 0
        async for _ in receive:
            received += 1
            for _ in range(10):
                await anyio.lowlevel.checkpoint()
            gaps.append(len(produced) - received)

    await fan_out(agen(range(50), produced), slow, collect, max_buffer_size=2)
    assert len(gaps) == 50
    # At most the buffer plus the one item the producer holds.
    assert max(gaps) <= 3
    assert max(gaps) >= 2  # the producer did run ahead into the buffer


@pytest.mark.parametrize("size", [0, 1, 64])
async def test_early_exit_consumer_is_dropped(size: float) -> None:
    async def closes(receive: MemoryObjectReceiveStream[int]) -> str:
        await receive.receive()
        await receive.aclose()
        return "closed"

    items = list(range(200))
    with anyio.fail_after(DEADLOCK_GUARD):
        results = await fan_out(
            agen(items), take(3), collect, closes, slow_collect, max_buffer_size=size
        )
    assert results == [[0, 1, 2], items, "closed", items]


async def test_source_is_read_no_further_once_every_consumer_left() -> None:
    produced: list[int] = []
    with anyio.fail_after(DEADLOCK_GUARD):
        async with aclosing(forever(produced)) as source:
            results = await fan_out(source, take(2), take(5), max_buffer_size=0)
    assert results == [[0, 1], [0, 1, 2, 3, 4]]
    assert len(produced) <= 6


async def test_no_consumers() -> None:
    produced: list[int] = []
    assert await fan_out(agen(range(5), produced)) == []
    assert produced == []


async def test_producer_error_propagates_and_closes_streams() -> None:
    streams: list[MemoryObjectReceiveStream[int]] = []
    seen: list[int] = []

    async def fails() -> AsyncIterator[int]:
        yield 1
        yield 2
        raise RuntimeError("upstream broke")

    async def record(receive: MemoryObjectReceiveStream[int]) -> None:
        streams.append(receive)
        async for item in receive:
            seen.append(item)

    with pytest.raises(ExceptionGroup) as info:
        await fan_out(fails(), record, record)
    assert info.group_contains(RuntimeError, match="upstream broke")
    assert len(streams) == 2
    for stream in streams:
        with pytest.raises(anyio.ClosedResourceError):
            stream.receive_nowait()


async def test_consumer_error_cancels_the_rest() -> None:
    produced: list[int] = []
    reached_end: list[bool] = []

    async def fails(receive: MemoryObjectReceiveStream[int]) -> None:
        async for item in receive:
            if item == 3:
                raise ValueError("consumer broke")

    async def endless(receive: MemoryObjectReceiveStream[int]) -> None:
        async for _ in receive:
            pass
        reached_end.append(True)

    with anyio.fail_after(DEADLOCK_GUARD), pytest.raises(ExceptionGroup) as info:
        async with aclosing(forever(produced)) as source:
            await fan_out(source, endless, fails, max_buffer_size=1)
    assert info.group_contains(ValueError, match="consumer broke")
    assert reached_end == []  # cancelled, not ended by the stream
    assert len(produced) < 10


async def test_bad_buffer_size() -> None:
    with pytest.raises(ValueError):
        await fan_out(agen([1]), collect, max_buffer_size=-1)


RECORDINGS = recording_paths("responses")[:3] + recording_paths("chat")[:3]


@pytest.mark.recordings
@pytest.mark.parametrize("path", recording_params(RECORDINGS))
async def test_with_aiter_events(path: Any) -> None:
    expected_events = list(streamkit.iter_events(path, errors="yield"))
    api = "responses" if path.parent.name == "responses" else "chat"

    async def final(receive: MemoryObjectReceiveStream[streamkit.events.Event]) -> Any:
        reducer = streamkit.reducer_for(api)
        async for event in receive:
            reducer.step(event)
        return reducer.finish()

    async def text(receive: MemoryObjectReceiveStream[streamkit.events.Event]) -> str:
        reducer = TextReducer()
        async for event in receive:
            reducer.step(event)
            await anyio.lowlevel.checkpoint()
        return reducer.finish()

    async def usage(receive: MemoryObjectReceiveStream[streamkit.events.Event]) -> Any:
        return UsageReducer().run([event async for event in receive])

    events, response, output, used = await fan_out(
        streamkit.aiter_events(path, errors="yield"), collect, final, text, usage, max_buffer_size=4
    )
    assert events == expected_events
    assert response == streamkit.reduce(path)
    assert output == TextReducer().run(expected_events)
    assert used == UsageReducer().run(expected_events)

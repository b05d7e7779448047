"""Fan-out: one event stream, several concurrent consumers (anyio).

Typical use: one upstream stream feeds a client, a logger and a metrics
reducer at the same time, each reading at its own pace from its own bounded
buffer, while the upstream is read once.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from typing import TypeVar

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

__all__ = ["fan_out"]

T = TypeVar("T")
R = TypeVar("R")


async def fan_out(
    events: AsyncIterable[T],
    *consumers: Callable[[MemoryObjectReceiveStream[T]], Awaitable[R]],
    max_buffer_size: float = 64,
) -> list[R]:
    """Send every item of ``events`` to each consumer; return their results.

    Each consumer is an async callable taking its own
    ``MemoryObjectReceiveStream`` (iterate it with ``async for``); all run in
    one task group while the calling task reads ``events`` once and sends each
    item to every consumer, in order. A consumer's stream holds at most
    ``max_buffer_size`` items (``math.inf`` for no limit): when one is full the
    producer waits, so the slowest consumer sets the pace.

    A consumer may leave early by returning or by closing its stream: it is
    dropped and the others go on; when none is left, ``events`` is read no
    further. After the last item each stream is closed, so ``async for`` ends
    once the consumer has drained its buffer.

    An exception in ``events`` or in a consumer cancels the rest and is raised
    in an ``ExceptionGroup``, as anyio task groups do. Returns the consumers'
    return values, in the order the consumers were given.

    ``events`` is not closed here when it is left unfinished (every consumer
    gone, or an error): whoever created it owns it, e.g. with
    ``async with contextlib.aclosing(streamkit.aiter_events(...)) as events``.
    """
    pairs = [anyio.create_memory_object_stream[T](max_buffer_size) for _ in consumers]
    senders = [send for send, _ in pairs]
    receivers = [receive for _, receive in pairs]
    slots: list[list[R]] = [[] for _ in consumers]
    try:
        async with anyio.create_task_group() as tg:
            for consumer, receive, slot in zip(consumers, receivers, slots, strict=True):
                tg.start_soon(_consume, consumer, receive, slot)
            await _produce(events, senders)
    finally:
        # A consumer cancelled before it started never closed its stream.
        for send in senders:
            send.close()
        for receive in receivers:
            receive.close()
    return [slot[0] for slot in slots]


async def _consume(
    consumer: Callable[[MemoryObjectReceiveStream[T]], Awaitable[R]],
    receive: MemoryObjectReceiveStream[T],
    slot: list[R],
) -> None:
    # Closing the stream when the consumer returns is what tells the producer
    # to stop sending to it, instead of blocking on a full buffer forever.
    with receive:
        slot.append(await consumer(receive))


async def _produce(events: AsyncIterable[T], senders: Sequence[MemoryObjectSendStream[T]]) -> None:
    live = list(senders)
    try:
        if not live:
            return
        async for event in events:
            for send in tuple(live):
                try:
                    await send.send(event)
                except anyio.BrokenResourceError:
                    live.remove(send)
                    send.close()
            if not live:
                return
    finally:
        for send in senders:
            send.close()

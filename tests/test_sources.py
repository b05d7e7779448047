"""iter_frames / aiter_frames over every kind of byte source (asyncio and trio)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from helpers import random_chunks

import streamkit
from streamkit import SSEDecoder, StreamError
from streamkit.io import aiter_frames, iter_chunks, iter_frames
from streamkit.testing import demo_stream

STREAM = b"event: a\ndata: 1\n\nevent: b\ndata: 2\n\n: bye\n"
EXPECTED = [("a", b"1"), ("b", b"2")]


def summary(frames: list) -> list[tuple[str, bytes]]:  # type: ignore[type-arg]
    return [(f.event, bytes(f.data)) for f in frames]


def test_bytes_list_generator() -> None:
    assert summary(list(iter_frames(STREAM))) == EXPECTED
    assert summary(list(iter_frames([STREAM[:5], STREAM[5:]]))) == EXPECTED
    assert (
        summary(list(iter_frames(STREAM[i : i + 3] for i in range(0, len(STREAM), 3)))) == EXPECTED
    )


def test_file_object_and_path(tmp_path: Path) -> None:
    assert summary(list(iter_frames(io.BytesIO(STREAM)))) == EXPECTED
    path = tmp_path / "s.sse"
    path.write_bytes(STREAM)
    assert summary(list(iter_frames(path))) == EXPECTED
    assert summary(list(iter_frames(str(path)))) == EXPECTED
    with open(path, "rb") as fh:
        assert summary(list(iter_frames(fh))) == EXPECTED


def test_text_sources_are_rejected_clearly() -> None:
    with pytest.raises(TypeError, match="binary mode"):
        list(iter_frames(io.StringIO("data: x\n\n")))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected bytes"):
        list(iter_frames(["data: x\n\n"]))  # type: ignore[list-item]


def test_httpx_iter_bytes() -> None:
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=STREAM, headers={"content-type": "text/event-stream"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        with client.stream("GET", "http://test/") as response:
            assert summary(list(iter_frames(response.iter_bytes()))) == EXPECTED


def test_own_decoder_reports_truncation() -> None:
    dec = SSEDecoder()
    frames = list(iter_frames([b'data: 1\n\ndata: {"cut'], decoder=dec))
    assert summary(frames) == [("message", b"1")]
    assert dec.truncated


def test_frames_before_an_error_are_yielded_first() -> None:
    got = []
    with pytest.raises(StreamError):
        for frame in iter_frames([b"data: ok\n\ndata: " + b"x" * 50 + b"\n\n"], max_event_bytes=20):
            got.append(bytes(frame.data))
    assert got == [b"ok"]


def test_iter_chunks_reads_in_pieces() -> None:
    chunks = list(iter_chunks(io.BytesIO(b"a" * 200_000)))
    assert len(chunks) == 4 and sum(map(len, chunks)) == 200_000


async def _agen() -> AsyncIterator[bytes]:
    for i in range(0, len(STREAM), 4):
        await anyio.sleep(0)
        yield STREAM[i : i + 4]


@pytest.mark.anyio
async def test_aiter_frames_async_generator() -> None:
    assert summary([f async for f in aiter_frames(_agen())]) == EXPECTED


@pytest.mark.anyio
async def test_aiter_frames_anyio_byte_stream() -> None:
    send, receive = anyio.create_memory_object_stream[bytes](10)

    async def producer() -> None:
        async with send:
            for i in range(0, len(STREAM), 7):
                await send.send(STREAM[i : i + 7])

    async with anyio.create_task_group() as tg:
        tg.start_soon(producer)
        frames = [f async for f in aiter_frames(receive)]
    assert summary(frames) == EXPECTED


@pytest.mark.anyio
async def test_aiter_frames_accepts_sync_sources() -> None:
    assert summary([f async for f in aiter_frames(STREAM)]) == EXPECTED


@pytest.mark.anyio
async def test_aiter_frames_httpx_async() -> None:
    import httpx

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=_agen(), headers={"content-type": "text/event-stream"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        async with client.stream("GET", "http://test/") as response:
            frames = [f async for f in aiter_frames(response.aiter_bytes())]
    assert summary(frames) == EXPECTED


@pytest.mark.anyio
async def test_anyio_tcp_byte_stream(anyio_backend: str) -> None:
    # A real anyio ByteReceiveStream: a TCP connection on 127.0.0.1.
    from anyio.abc import SocketAttribute, SocketStream

    data = demo_stream("responses-tools")

    async def serve(stream: SocketStream) -> None:
        async with stream:
            for chunk in random_chunks(data, seed=4):
                await stream.send(chunk)

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, serve)
        async with await anyio.connect_tcp("127.0.0.1", port) as client:
            final = await streamkit.areduce(client)
        tg.cancel_scope.cancel()
    assert final == streamkit.reduce(data)

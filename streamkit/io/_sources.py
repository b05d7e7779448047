"""Byte sources at the edge: turn anything that yields bytes into chunks.

These are the only places that read: the decoders below them are sans-IO.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import IO, TypeAlias, cast

from streamkit.sse._decoder import DEFAULT_MAX_EVENT_BYTES, SSEDecoder, SSEFrame

__all__ = [
    "ByteSource",
    "AsyncByteSource",
    "iter_chunks",
    "aiter_chunks",
    "iter_frames",
    "aiter_frames",
]


def framing_decoder(
    decoder: SSEDecoder | None, max_event_bytes: int, max_idle_lines: int | None
) -> SSEDecoder:
    """The SSE decoder to drive: ``decoder`` as given, or a new one with the limits.

    A decoder carries its own limits, so passing limits too would silently
    ignore them: that is a ``TypeError``.
    """
    if decoder is None:
        return SSEDecoder(max_event_bytes=max_event_bytes, max_idle_lines=max_idle_lines)
    if max_event_bytes != DEFAULT_MAX_EVENT_BYTES or max_idle_lines is not None:
        raise TypeError(
            "pass either decoder= or max_event_bytes=/max_idle_lines=, not both: "
            "a decoder keeps the limits it was made with"
        )
    return decoder


#: Read size for file objects and paths.
CHUNK_SIZE = 64 * 1024

BytesLike: TypeAlias = bytes | bytearray | memoryview
#: What the synchronous helpers accept: bytes, a path, a binary file object, or
#: any iterable of bytes (a list, a generator, ``httpx.Response.iter_bytes()``).
ByteSource: TypeAlias = BytesLike | str | os.PathLike[str] | IO[bytes] | Iterable[BytesLike]
#: What the asynchronous helpers accept: any async iterable of bytes
#: (``httpx.Response.aiter_bytes()``, an anyio ``ByteReceiveStream``), or
#: anything ``ByteSource`` accepts.
AsyncByteSource: TypeAlias = AsyncIterable[BytesLike] | ByteSource


def iter_chunks(source: ByteSource, chunk_size: int = CHUNK_SIZE) -> Iterator[BytesLike]:
    """Yield the byte chunks of ``source``.

    ``source`` may be bytes-like (one chunk), a path (``str`` or ``PathLike``;
    ``"-"`` means standard input), a binary file object (read ``chunk_size``
    bytes at a time), or any iterable of bytes-like chunks.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield source
        return
    if isinstance(source, (str, os.PathLike)):
        if source == "-":
            import sys

            yield from _read_file(sys.stdin.buffer, chunk_size)
            return
        with open(source, "rb") as fh:
            yield from _read_file(fh, chunk_size)
        return
    if callable(getattr(source, "read", None)):
        yield from _read_file(cast("IO[bytes]", source), chunk_size)
        return
    for chunk in source:
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"byte source yielded {type(chunk).__name__}, expected bytes "
                "(open files in binary mode; use iter_bytes(), not iter_text())"
            )
        yield chunk


def _read_file(fh: IO[bytes], chunk_size: int) -> Iterator[bytes]:
    read1 = getattr(fh, "read1", None)
    reader = read1 if callable(read1) else fh.read
    while True:
        chunk = reader(chunk_size)
        if not chunk:
            return
        if not isinstance(chunk, bytes):
            raise TypeError("file object returned str: open it in binary mode ('rb')")
        yield chunk


async def aiter_chunks(
    source: AsyncByteSource, chunk_size: int = CHUNK_SIZE
) -> AsyncGenerator[BytesLike, None]:
    """Yield the byte chunks of an async byte source (or of a sync one)."""
    if hasattr(source, "__aiter__"):
        async for chunk in source:
            if not isinstance(chunk, (bytes, bytearray, memoryview)):
                raise TypeError(f"async byte source yielded {type(chunk).__name__}, expected bytes")
            yield chunk
        return
    for chunk in iter_chunks(source, chunk_size):
        yield chunk


def iter_frames(
    source: ByteSource,
    *,
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> Iterator[SSEFrame]:
    """Yield the SSE frames of a byte source, driving one ``SSEDecoder``.

    Pass your own ``decoder`` to inspect it afterwards (``truncated``,
    ``last_event_id``, ``retry``). Frames completed before an error are yielded
    before the error is raised.
    """
    dec = framing_decoder(decoder, max_event_bytes, max_idle_lines)
    feed = dec.feed
    for chunk in iter_chunks(source):
        yield from feed(chunk)
    yield from dec.close()


async def aiter_frames(
    source: AsyncByteSource,
    *,
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> AsyncIterator[SSEFrame]:
    """Async twin of ``iter_frames`` over any async iterable of bytes."""
    dec = framing_decoder(decoder, max_event_bytes, max_idle_lines)
    feed = dec.feed
    async for chunk in aiter_chunks(source):
        for frame in feed(chunk):
            yield frame
    for frame in dec.close():
        yield frame

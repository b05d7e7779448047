"""Adapters at the edges: byte sources, iteration, and client integrations."""

from ._sources import (
    AsyncByteSource,
    ByteSource,
    aiter_chunks,
    aiter_frames,
    iter_chunks,
    iter_frames,
)

__all__ = [
    "AsyncByteSource",
    "ByteSource",
    "aiter_chunks",
    "aiter_frames",
    "iter_chunks",
    "iter_frames",
]

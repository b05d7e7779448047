"""Adapters at the edges: byte sources, iteration, and client integrations."""

from ._events import aiter_events, aiter_frame_events, iter_events, iter_frame_events
from ._fanout import fan_out
from ._reduce import areduce, iter_finished, reduce, reducer_for
from ._sources import (
    AsyncByteSource,
    ByteSource,
    aiter_chunks,
    aiter_frames,
    iter_chunks,
    iter_frames,
)
from ._tee import AsyncTee, StreamTee, Tee, TeeErrorMode, atee, tee

__all__ = [
    "AsyncByteSource",
    "AsyncTee",
    "StreamTee",
    "Tee",
    "TeeErrorMode",
    "atee",
    "fan_out",
    "tee",
    "ByteSource",
    "aiter_chunks",
    "aiter_events",
    "aiter_frame_events",
    "aiter_frames",
    "areduce",
    "iter_chunks",
    "iter_events",
    "iter_frame_events",
    "iter_finished",
    "iter_frames",
    "reduce",
    "reducer_for",
]

"""The layers driven over byte sources: frames and events from bytes, files,
iterables and async iterables; ``reduce``; the byte-exact ``tee``; and
``fan_out`` (anyio, imported on first use)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from streamkit.io._events import aiter_events, aiter_frame_events, iter_events, iter_frame_events
from streamkit.io._reduce import areduce, iter_finished, reduce, reducer_for
from streamkit.io._sources import (
    AsyncByteSource,
    ByteSource,
    aiter_chunks,
    aiter_frames,
    iter_chunks,
    iter_frames,
)
from streamkit.io._tee import AsyncTee, Tee, TeeCore, TeeErrorMode, atee, tee

__all__ = [
    "AsyncByteSource",
    "AsyncTee",
    "TeeCore",
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

if TYPE_CHECKING:
    from streamkit.io._fanout import fan_out


def __getattr__(name: str) -> Any:
    # fan_out needs anyio; the rest of the package does not.
    if name == "fan_out":
        return importlib.import_module("streamkit.io._fanout").fan_out
    raise AttributeError(f"module 'streamkit.io' has no attribute {name!r}")

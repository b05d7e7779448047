"""streamkit: turn the raw bytes of LLM streaming responses into typed events
and final objects, fast.

Data flows one way, one subpackage per layer:

* ``streamkit.sse``: bytes → ``SSEFrame`` (the sans-IO ``SSEDecoder``);
* ``streamkit.events``: frames → typed events (msgspec Structs), and back to SSE;
* ``streamkit.reducers``: events → final objects (``streamkit.models``) and summaries;
* ``streamkit.io``: the above driven over byte sources (files, iterables, async
  iterables), ``reduce``, the byte-exact ``tee`` and anyio ``fan_out``;
* at the edges: ``streamkit.http`` (httpx, resume), ``streamkit.convert``
  (between APIs), ``streamkit.archive``, ``streamkit.testing`` (generated
  streams, a replay server) and ``streamkit.cli``.

The names here are the ones most programs need; everything else lives in its
subpackage. ``import streamkit`` imports neither httpx nor anyio:
``streamkit.http`` is loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from streamkit.errors import StreamError
from streamkit.events._encoder import encode_events
from streamkit.io import aiter_events, areduce, iter_events, reduce, reducer_for, tee
from streamkit.models import ChatCompletion, Completion, Message, Response, Verdict
from streamkit.reducers import (
    ChatCompletionReducer,
    CompletionReducer,
    MessageReducer,
    ResponseReducer,
    TextReducer,
    TimingReducer,
    ToolCallsReducer,
    UsageReducer,
    combine,
    filter_events,
    map_events,
    tap,
)
from streamkit.sse import SSEDecoder, SSEFrame, implementation

if TYPE_CHECKING:
    from streamkit import archive as archive
    from streamkit import convert as convert
    from streamkit import http as http

__version__ = "0.1.0"

__all__ = [
    # bytes -> frames
    "SSEDecoder",
    "SSEFrame",
    "implementation",
    # bytes -> events
    "iter_events",
    "aiter_events",
    "encode_events",
    # bytes -> final objects
    "reduce",
    "areduce",
    "reducer_for",
    "Response",
    "ChatCompletion",
    "Completion",
    "Message",
    "Verdict",
    "ResponseReducer",
    "ChatCompletionReducer",
    "CompletionReducer",
    "MessageReducer",
    # small reducers and combinators
    "TextReducer",
    "ToolCallsReducer",
    "UsageReducer",
    "TimingReducer",
    "combine",
    "filter_events",
    "map_events",
    "tap",
    # the edge
    "tee",
    "StreamError",
]

# Subpackages at the I/O edge, imported when first used so that
# ``import streamkit`` stays free of httpx, anyio and optional dependencies.
_LAZY = frozenset({"archive", "convert", "http"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f"streamkit.{name}")
    raise AttributeError(f"module 'streamkit' has no attribute {name!r}")

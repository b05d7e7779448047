"""streamkit: turn the raw bytes of LLM streaming responses into typed events
and final objects, fast.

Layers, bottom up: ``SSEDecoder`` (bytes → ``SSEFrame``), typed events,
reducers, and adapters for byte sources and clients.
"""

from ._errors import (
    EventTooLargeError,
    IdleStreamError,
    SSEError,
    StreamClosedError,
    StreamError,
)
from ._sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder, SSEFrame
from .adapters import aiter_frames, iter_frames

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "EventTooLargeError",
    "IdleStreamError",
    "SSEDecoder",
    "SSEError",
    "SSEFrame",
    "StreamClosedError",
    "StreamError",
    "aiter_frames",
    "iter_frames",
]

"""streamkit: turn the raw bytes of LLM streaming responses into typed events
and final objects, fast.

Layers, bottom up: ``SSEDecoder`` (bytes → ``SSEFrame``), typed events,
reducers, and adapters for byte sources and clients.
"""

from ._decode import API, ErrorMode, Event, EventDecoder
from ._errors import (
    APIMismatchError,
    APIStreamError,
    EventDecodeError,
    EventTooLargeError,
    IdleStreamError,
    SSEError,
    StreamClosedError,
    StreamError,
    TruncatedStreamError,
    UnexpectedEventError,
    UnknownEventError,
)
from ._sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder, SSEFrame
from ._sse_encode import encode_sse
from .adapters import (
    aiter_events,
    aiter_frame_events,
    aiter_frames,
    iter_events,
    iter_frame_events,
    iter_frames,
)
from .events import Done, UnknownEvent
from .models import UnknownItem, Verdict

__version__ = "0.1.0"

__all__ = [
    "API",
    "DEFAULT_MAX_EVENT_BYTES",
    "APIMismatchError",
    "APIStreamError",
    "Done",
    "ErrorMode",
    "Event",
    "EventDecodeError",
    "EventDecoder",
    "EventTooLargeError",
    "IdleStreamError",
    "SSEDecoder",
    "SSEError",
    "SSEFrame",
    "StreamClosedError",
    "StreamError",
    "TruncatedStreamError",
    "UnexpectedEventError",
    "UnknownEvent",
    "UnknownEventError",
    "UnknownItem",
    "Verdict",
    "aiter_events",
    "aiter_frame_events",
    "aiter_frames",
    "encode_sse",
    "iter_events",
    "iter_frame_events",
    "iter_frames",
]

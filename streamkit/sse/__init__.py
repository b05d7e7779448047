"""The SSE layer: bytes → ``SSEFrame``, and frames back to bytes.

``SSEDecoder`` is a sans-IO ``text/event-stream`` decoder (WHATWG rules, zero
copy, bounded memory): ``feed(bytes) -> list[SSEFrame]`` and ``close()``. It is
the compiled implementation when the C extension is built, else the pure-Python
reference ``PySSEDecoder``; ``implementation()`` says which.
"""

from __future__ import annotations

from streamkit.sse._decoder import (
    DEFAULT_MAX_EVENT_BYTES,
    RETRY_MAX,
    PySSEDecoder,
    SSEDecoder,
    SSEFrame,
    implementation,
)
from streamkit.sse._encoder import encode_sse

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "RETRY_MAX",
    "PySSEDecoder",
    "SSEDecoder",
    "SSEFrame",
    "encode_sse",
    "implementation",
]

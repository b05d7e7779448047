"""Type stub of the compiled decoder (``streamkit/sse/_sse_c.c``); the same API as
``streamkit.sse.PySSEDecoder``."""

from streamkit.sse._decoder import SSEFrame

class SSEDecoder:
    last_event_id: str
    retry: int | None
    truncated: bool
    def __init__(
        self, *, max_event_bytes: int = ..., max_idle_lines: int | None = None
    ) -> None: ...
    @property
    def frames_dispatched(self) -> int: ...
    @property
    def bytes_fed(self) -> int: ...
    @property
    def pending_bytes(self) -> int: ...
    def feed(self, data: bytes | bytearray | memoryview) -> list[SSEFrame]: ...
    def close(self) -> list[SSEFrame]: ...

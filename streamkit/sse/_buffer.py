"""The receive buffer: bytes carried from one ``feed`` to the next.

In block mode it holds the incomplete event from its first byte, in line mode
the incomplete line. Only bytes after the last complete event (or line) of a
chunk are ever copied here, and each byte once: ``+=`` extends in amortized
O(1) per byte, and the decoder searches only newly fed bytes for the end of
what is held, never the held bytes again. When the held event completes, the
decoder takes the whole buffer (and starts a new one) instead of copying it,
so frames may keep views of it safely.
"""

from __future__ import annotations

__all__ = ["ReceiveBuffer"]


class ReceiveBuffer(bytearray):
    """A ``bytearray`` that the decoder appends to and hands over whole.

    Subclassing keeps ``+=``, ``len`` and indexing at C speed on the hot path.
    """

    __slots__ = ()

    def peek(self, limit: int) -> bytes:
        """The first ``limit`` held bytes (for error excerpts and BOM checks)."""
        return bytes(self[:limit])

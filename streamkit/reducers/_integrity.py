"""Stream integrity problems: what a reducer reports when chunks contradict each other.

A reducer never crashes on an impossible stream (a negative choice index, a tool call
whose id changes mid-stream...). It records the problem and, depending on its
``index_policy``, also warns (``StreamIntegrityWarning``) or raises
(``StreamIntegrityError``).
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from streamkit._errors import StreamError

__all__ = ["IndexPolicy", "StreamIntegrityError", "StreamIntegrityWarning"]

IndexPolicy: TypeAlias = Literal["ignore", "warn", "raise"]
"""What a reducer does on an integrity issue besides recording it: nothing, warn, raise."""


class StreamIntegrityWarning(UserWarning):
    """A stream contradicted itself; the reducer kept going (``index_policy="warn"``)."""


class StreamIntegrityError(StreamError):
    """A stream contradicted itself and ``index_policy="raise"`` was requested."""

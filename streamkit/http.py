"""Streaming HTTP requests with httpx: typed events, final objects, resume.

``stream`` / ``astream`` open a request and yield its typed events;
``reduce`` / ``areduce`` return the final object. Responses streams are
resumed after a dropped connection by default (see ``Resume``).
"""

from __future__ import annotations

from ._errors import (
    ConnectionLostError,
    ResumeFailedError,
    StreamTimeoutError,
    UnexpectedResponseError,
)
from .adapters._http import (
    AsyncEventStream,
    EventStream,
    Resume,
    areduce,
    astream,
    reduce,
    stream,
)

__all__ = [
    "stream",
    "astream",
    "reduce",
    "areduce",
    "Resume",
    "EventStream",
    "AsyncEventStream",
    "UnexpectedResponseError",
    "ConnectionLostError",
    "StreamTimeoutError",
    "ResumeFailedError",
]

"""Shared by the examples: a local OpenAI-compatible server replaying the demo
streams streamkit generates, so every example runs without a network."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from streamkit.testing import DEMO_STREAMS, demo_stream
from streamkit.testing.replay import ReplayApp, serving


@contextmanager
def local_server(**options: Any) -> Iterator[str]:
    """Serve the demo streams on 127.0.0.1; yield the base URL.

    Send ``"model": "<stream name>"`` to pick one (``responses-text``,
    ``responses-tools``, ``chat-text``, ...: ``streamkit.testing.DEMO_STREAMS``)."""
    options.setdefault("chunk_sizes", (1, 200))  # small, uneven network reads
    app = ReplayApp([(name, demo_stream(name)) for name in DEMO_STREAMS], **options)
    with serving(app) as base_url:
        yield base_url

"""Shared by the examples: a local OpenAI-compatible server replaying the
recordings bundled with streamkit, so every example runs without a network."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from streamkit.data import recording, recordings
from streamkit.replay import ReplayApp, serving


@contextmanager
def local_server(**options: Any) -> Iterator[str]:
    """Serve the bundled recordings on 127.0.0.1; yield the base URL.

    Send ``"model": "<recording name>"`` to pick one (``responses-text``,
    ``responses-tools``, ``chat-text``, ...)."""
    options.setdefault("chunk_sizes", (1, 200))  # small, uneven network reads
    app = ReplayApp([(name, recording(name)) for name in recordings()], **options)
    with serving(app) as base_url:
        yield base_url

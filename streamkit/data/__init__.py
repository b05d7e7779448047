"""Real recordings bundled with streamkit for the demo and tests (see PROVENANCE.md).

Each is a stream captured from the OpenAI API, kept byte for byte as recorded:

* ``responses-text``: Responses API, one assistant message (plain text);
* ``responses-tools``: Responses API, reasoning, a short message and a function call;
* ``responses-reasoning``: Responses API, an encrypted reasoning item and a message;
* ``chat-text``: Chat Completions, a text answer with a usage chunk;
* ``chat-tools``: Chat Completions, two parallel tool calls with a usage chunk.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

__all__ = ["RECORDINGS", "recording", "recording_file", "recordings"]

#: Bundled recordings: short name -> file name in this package.
RECORDINGS = {
    "responses-text": "responses-text.sse",
    "responses-tools": "responses-tools.sse",
    "responses-reasoning": "responses-reasoning.sse",
    "chat-text": "chat-text.sse",
    "chat-tools": "chat-tools.sse",
}


def recordings() -> list[str]:
    """The short names of the bundled recordings, sorted."""
    return sorted(RECORDINGS)


def recording_file(name: str) -> Traversable:
    """The packaged file of a bundled recording, by short name (see ``RECORDINGS``).

    A ``Traversable``: ``.read_bytes()`` reads it; ``importlib.resources.as_file``
    gives a real path on the file system when one is needed.
    """
    try:
        filename = RECORDINGS[name]
    except KeyError:
        raise KeyError(f"no bundled recording {name!r}; have {recordings()}") from None
    return resources.files(__package__).joinpath(filename)


def recording(name: str) -> bytes:
    """The bytes of a bundled recording, by short name (see ``RECORDINGS``)."""
    return recording_file(name).read_bytes()

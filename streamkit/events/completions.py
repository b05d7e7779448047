"""Legacy Completions stream chunks (``object: "text_completion"``).

The legacy endpoint streams objects shaped like the final ``CreateCompletionResponse``:
``choices[].text`` fragments keyed by ``choices[].index``, and with
``stream_options.include_usage`` a last chunk with empty ``choices`` and ``usage``.
The only difference is that ``finish_reason`` is ``null`` until a choice ends.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from streamkit.models._base import Model, Wire
from streamkit.models.chat import CompletionUsage
from streamkit.models.completions import CompletionLogprobs

__all__ = [
    "COMPLETION_CHUNK_DECODER",
    "CompletionChunk",
    "CompletionChunkChoice",
]


class CompletionChunkChoice(Model):
    """One choice's text fragment in a legacy completion chunk."""

    index: int
    text: str
    logprobs: CompletionLogprobs | None
    # Non-null in the spec's schema, but ``null`` in its own streaming example: the
    # reason only arrives on the choice's last chunk.
    finish_reason: str | None


class CompletionChunk(Wire):
    """One streamed chunk of a legacy text completion."""

    id: str
    object: str
    created: int
    model: str
    # Required by the spec; a chunk without the key means no choices.
    choices: list[CompletionChunkChoice] = msgspec.field(default_factory=list)
    # The spec says non-null; the same server field is ``null`` in recorded chat
    # streams, so accept it here too.
    system_fingerprint: str | UnsetType | None = UNSET
    # Non-null in the schema, but with ``stream_options.include_usage`` every chunk
    # before the usage chunk carries ``usage: null`` (per ChatCompletionStreamOptions).
    usage: CompletionUsage | UnsetType | None = UNSET


COMPLETION_CHUNK_DECODER: msgspec.json.Decoder[CompletionChunk] = msgspec.json.Decoder(
    CompletionChunk
)
"""Prebuilt decoder for one legacy completion chunk payload."""

"""Chat Completions stream chunks (``object: "chat.completion.chunk"``).

One SSE ``data:`` payload decodes to one ``ChatCompletionChunk``; the stream ends
with ``data: [DONE]``, which is not JSON and is handled before decoding.

Fields follow the OpenAPI ``CreateChatCompletionStreamResponse`` and
``ChatCompletionStreamResponseDelta`` schemas. Required fields have no default;
optional ones default to ``msgspec.UNSET`` so that re-encoding a decoded chunk gives
back the same JSON. A few fields are relaxed where recorded streams break the spec,
each with a comment. Chunks are not tagged: they carry ``object``, not ``type``, and
Azure sends ``object: ""`` on its prompt-filter chunk.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from streamkit.models._base import Model
from streamkit.models.chat import (
    ChatCompletionModeration,
    ChoiceLogprobs,
    CompletionUsage,
    ContentFilterOffsets,
    ContentFilterResults,
    PromptFilterResult,
)

__all__ = [
    "CHAT_CHUNK_DECODER",
    "ChatCompletionChunk",
    "ChoiceDelta",
    "ChoiceDeltaAudio",
    "ChoiceDeltaFunctionCall",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ChunkChoice",
]


class ChoiceDeltaFunctionCall(Model):
    """Fragment of a deprecated ``function_call``; ``arguments`` arrive in pieces."""

    name: str | UnsetType = UNSET
    arguments: str | UnsetType = UNSET


class ChoiceDeltaToolCallFunction(Model):
    """Fragment of a tool call's function; ``name`` comes first, ``arguments`` in pieces."""

    name: str | UnsetType = UNSET
    arguments: str | UnsetType = UNSET


class ChoiceDeltaToolCall(Model):
    """Fragment of one tool call, accumulated by ``index``."""

    index: int
    # Usually only in the first fragment of each tool call.
    id: str | UnsetType = UNSET
    type: str | UnsetType = UNSET
    function: ChoiceDeltaToolCallFunction | UnsetType = UNSET


class ChoiceDeltaAudio(Model):
    """Fragment of generated audio: base64 ``data`` and ``transcript`` pieces."""

    # Not in the OpenAPI description; shape from the openai-python 3.54 SDK types,
    # where every field is optional and nullable. The last fragment often carries
    # only ``expires_at``.
    id: str | UnsetType | None = UNSET
    data: str | UnsetType | None = UNSET
    transcript: str | UnsetType | None = UNSET
    expires_at: int | UnsetType | None = UNSET


class ChoiceDelta(Model):
    """What one chunk adds to a choice's message."""

    role: str | UnsetType = UNSET
    content: str | UnsetType | None = UNSET
    refusal: str | UnsetType | None = UNSET
    tool_calls: list[ChoiceDeltaToolCall] | UnsetType = UNSET
    function_call: ChoiceDeltaFunctionCall | UnsetType = UNSET  # deprecated by the API
    # Not in the OpenAPI description (see ChoiceDeltaAudio).
    audio: ChoiceDeltaAudio | UnsetType | None = UNSET


class ChunkChoice(Model):
    """One choice's part of a chunk; with ``n`` > 1 several indexes interleave."""

    index: int
    finish_reason: str | None
    # Spec-required, but Azure sends a choice holding only ``content_filter_results``
    # (an empty ``{}``) and no ``delta``.
    delta: ChoiceDelta | UnsetType = UNSET
    logprobs: ChoiceLogprobs | UnsetType | None = UNSET
    # Azure only.
    content_filter_results: ContentFilterResults | UnsetType = UNSET
    content_filter_offsets: ContentFilterOffsets | UnsetType = UNSET


class ChatCompletionChunk(Model):
    """One streamed chunk of a chat completion."""

    # Azure's prompt-filter chunk has ``id: ""``, ``model: ""``, ``created: 0`` and
    # ``object: ""``; all still decode as their declared types.
    id: str
    object: str
    created: int
    model: str
    # Empty on the usage-only last chunk and on Azure's prompt-filter chunk;
    # required by the spec, but a chunk without the key means no choices.
    choices: list[ChunkChoice] = msgspec.field(default_factory=list)
    usage: CompletionUsage | UnsetType | None = UNSET
    # The spec says non-null, but recorded streams send ``null``.
    system_fingerprint: str | UnsetType | None = UNSET
    service_tier: str | UnsetType | None = UNSET
    # Random padding against size side channels; carries no information.
    obfuscation: str | UnsetType = UNSET
    moderation: ChatCompletionModeration | UnsetType | None = UNSET
    # Azure only.
    prompt_filter_results: list[PromptFilterResult] | UnsetType = UNSET


CHAT_CHUNK_DECODER: msgspec.json.Decoder[ChatCompletionChunk] = msgspec.json.Decoder(
    ChatCompletionChunk
)
"""Prebuilt decoder for one chat chunk payload."""

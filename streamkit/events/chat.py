"""Chat Completions stream chunks (``object: "chat.completion.chunk"``).

One SSE ``data:`` payload decodes to one ``ChatCompletionChunk``; the stream ends
with ``data: [DONE]``, which is not JSON and is handled before decoding.

Fields follow the OpenAPI ``CreateChatCompletionStreamResponse`` and
``ChatCompletionStreamResponseDelta`` schemas, read as leniently as openai-python
reads them: a field a real server may omit has a default (``msgspec.UNSET``, so that
re-encoding gives back the same keys), and only the fields without which a payload is
not a chunk stay required (``id``, ``object``, ``created``, ``model``; a choice's
``index``). ``spec_violation`` tells what the spec requires and a chunk lacks; the
decoder raises on it in strict mode.

Provider extensions common enough to fold are typed: ``reasoning_content``,
``reasoning`` and ``reasoning_details`` on deltas, Mistral's list-of-parts
``content`` and ``p`` padding, OpenRouter's ``provider`` and
``native_finish_reason``, Perplexity's ``citations``, ``search_results``,
``images``, ``related_questions`` and per-choice ``message``, vLLM/SGLang's
``matched_stop``, Groq's ``x_groq``, llama.cpp's ``timings``, Cerebras'
``time_info``, and the providers' usage additions (``CompletionUsage``). Each is
optional: a chunk without them pays nothing for them. Everything else a server
sends is kept on the event in lossless mode (``extra_fields``). Chunks are
not tagged: they carry ``object``, not ``type``; Azure sends ``object: ""`` on its
prompt-filter chunk and Perplexity ``"chat.completion.done"`` on its last.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from streamkit.models._base import Model, Wire
from streamkit.models.chat import (
    ChatCompletionModeration,
    ChoiceLogprobs,
    CompletionUsage,
    ContentFilterOffsets,
    ContentFilterResults,
    ImageResult,
    PromptFilterResult,
    ReasoningDetail,
    SearchResult,
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
    "ChunkMessage",
    "XGroq",
    "content_parts_text",
    "spec_violation",
]


class ChoiceDeltaFunctionCall(Model):
    """Fragment of a deprecated ``function_call``; ``arguments`` arrive in pieces."""

    # Optional and nullable, as in the SDK: servers send ``null`` for the parts a
    # fragment does not carry.
    name: str | UnsetType | None = UNSET
    arguments: str | UnsetType | None = UNSET


class ChoiceDeltaToolCallFunction(Model):
    """Fragment of a tool call's function; ``name`` comes first, ``arguments`` in pieces."""

    # Optional and nullable, as in the SDK: servers send ``null`` for the parts a
    # fragment does not carry.
    name: str | UnsetType | None = UNSET
    arguments: str | UnsetType | None = UNSET


class ChoiceDeltaToolCall(Model):
    """Fragment of one tool call, accumulated by ``index``.

    ``index`` is required by the spec, but some servers (GPUStack, some llama.cpp
    builds) send one whole call per fragment without it; the reducer then tells
    calls apart by ``id``.
    """

    index: int | UnsetType = UNSET
    # Usually only in the first fragment of each tool call.
    id: str | UnsetType | None = UNSET
    type: str | UnsetType | None = UNSET
    function: ChoiceDeltaToolCallFunction | UnsetType | None = UNSET


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
    """What one chunk adds to a choice's message.

    ``content`` is a string, except from Mistral's reasoning models, which send a
    list of typed parts: ``{"type": "text", "text": ...}`` and ``{"type":
    "thinking", "thinking": [<text parts>]}`` (kept as dicts so that a part of a new
    kind does not break decoding; ``content_parts_text`` reads them).
    """

    role: str | UnsetType | None = UNSET
    content: str | list[dict[str, Any]] | UnsetType | None = UNSET
    refusal: str | UnsetType | None = UNSET
    tool_calls: list[ChoiceDeltaToolCall] | UnsetType | None = UNSET
    function_call: ChoiceDeltaFunctionCall | UnsetType | None = UNSET  # deprecated
    # Not in the OpenAPI description (see ChoiceDeltaAudio).
    audio: ChoiceDeltaAudio | UnsetType | None = UNSET
    # Provider extensions: DeepSeek, vLLM, Qwen, Moonshot, Z.ai, xAI...
    reasoning_content: str | UnsetType | None = UNSET
    # ... OpenRouter, Ollama, gpt-oss servers.
    reasoning: str | UnsetType | None = UNSET
    reasoning_details: list[ReasoningDetail] | UnsetType | None = UNSET


class ChunkMessage(ChoiceDelta):
    """Perplexity's ``choices[].message`` on a chunk: the whole message so far
    (``role`` and the ``content`` of every delta until this one), in the shape of
    a delta. The reducer folds the deltas; this snapshot is kept on the event."""


class ChunkChoice(Model, kw_only=True):
    """One choice's part of a chunk; with ``n`` > 1 several indexes interleave."""

    # In OpenAI's wire order (index, delta, logprobs, finish_reason), as the chunk's
    # fields: most key lookups are then one comparison.
    index: int
    # Spec-required, but Azure sends a choice holding only ``content_filter_results``
    # (an empty ``{}``) and no ``delta``.
    delta: ChoiceDelta | UnsetType = UNSET
    logprobs: ChoiceLogprobs | UnsetType | None = UNSET
    # Spec-required (nullable); xAI, Perplexity and Azure AI Foundry leave the key out
    # until the choice ends, and the SDK defaults it to None.
    finish_reason: str | UnsetType | None = UNSET
    # Azure only.
    content_filter_results: ContentFilterResults | UnsetType = UNSET
    content_filter_offsets: ContentFilterOffsets | UnsetType = UNSET
    # OpenRouter: the upstream provider's own finish reason.
    native_finish_reason: str | UnsetType | None = UNSET
    # vLLM / SGLang: the stop string or token id that ended the choice.
    matched_stop: int | str | UnsetType | None = UNSET
    # Perplexity: the message so far, on every chunk.
    message: ChunkMessage | UnsetType = UNSET


class XGroq(Model):
    """Groq's ``x_groq`` block: the request id, and on the last chunk the usage."""

    id: str | UnsetType = UNSET
    usage: CompletionUsage | UnsetType | None = UNSET


class ChatCompletionChunk(Wire, kw_only=True):
    """One streamed chunk of a chat completion."""

    # Fields in OpenAI's wire order: msgspec looks a key up starting from the field
    # after the last one matched, so this order makes most lookups one comparison
    # (and re-encoding keeps it). Azure's prompt-filter chunk has ``id: ""``,
    # ``model: ""``, ``created: 0`` and ``object: ""``; all still decode as their
    # declared types.
    id: str
    object: str
    created: int
    model: str
    service_tier: str | UnsetType | None = UNSET
    # The spec says non-null, but recorded streams send ``null``.
    system_fingerprint: str | UnsetType | None = UNSET
    # Empty on the usage-only last chunk and on Azure's prompt-filter chunk;
    # required by the spec, but a chunk without the key means no choices.
    choices: list[ChunkChoice] = msgspec.field(default_factory=list)
    usage: CompletionUsage | UnsetType | None = UNSET
    # Random padding against size side channels; carries no information.
    obfuscation: str | UnsetType = UNSET
    moderation: ChatCompletionModeration | UnsetType | None = UNSET
    # Azure only.
    prompt_filter_results: list[PromptFilterResult] | UnsetType = UNSET
    # Groq: usage arrives here, not in ``usage``.
    x_groq: XGroq | UnsetType = UNSET
    # llama.cpp's and Cerebras' speed and timing figures.
    timings: dict[str, Any] | UnsetType = UNSET
    time_info: dict[str, Any] | UnsetType = UNSET
    # OpenRouter: the upstream provider serving the request, on every chunk.
    provider: str | UnsetType | None = UNSET
    # Perplexity: the answer's sources, repeated whole on every chunk; images and
    # follow-up questions when the request asked for them.
    citations: list[str] | UnsetType | None = UNSET
    search_results: list[SearchResult] | UnsetType | None = UNSET
    images: list[ImageResult] | UnsetType | None = UNSET
    related_questions: list[str] | UnsetType | None = UNSET
    # Mistral: random padding against size side channels, like ``obfuscation``.
    p: str | UnsetType = UNSET


def content_parts_text(parts: list[dict[str, Any]]) -> tuple[str, str]:
    """The ``(text, thinking)`` of a list-of-parts ``content``: the ``text`` of
    ``text`` parts, and the text parts nested in ``thinking`` parts. Parts of other
    kinds contribute nothing."""
    text: list[str] = []
    thinking: list[str] = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind == "text":
            value = part.get("text")
            if isinstance(value, str):
                text.append(value)
        elif kind == "thinking":
            inner = part.get("thinking")
            if isinstance(inner, str):
                thinking.append(inner)
            elif isinstance(inner, list):
                thinking.extend(
                    piece["text"]
                    for piece in inner
                    if isinstance(piece, dict) and isinstance(piece.get("text"), str)
                )
    return "".join(text), "".join(thinking)


def spec_violation(chunk: ChatCompletionChunk) -> str | None:
    """The first field the OpenAI spec requires and ``chunk`` lacks (a JSON path),
    or None. The decoder accepts such chunks, except in strict mode. (A chunk
    without ``choices`` is not reported: it decodes as ``choices=[]``.)"""
    for i, choice in enumerate(chunk.choices):
        if choice.finish_reason is UNSET:
            return f"$.choices[{i}].finish_reason"
        delta = choice.delta
        if delta is UNSET:
            return f"$.choices[{i}].delta"
        if isinstance(delta.content, list):
            return f"$.choices[{i}].delta.content (a list)"
        if delta.tool_calls:
            for j, call in enumerate(delta.tool_calls):
                if call.index is UNSET:
                    return f"$.choices[{i}].delta.tool_calls[{j}].index"
        logprobs = choice.logprobs
        if logprobs:
            missing = _logprobs_violation(logprobs)
            if missing is not None:
                return f"$.choices[{i}].logprobs{missing}"
    return None


def _logprobs_violation(logprobs: ChoiceLogprobs) -> str | None:
    """What the spec requires of a choice's logprobs (both lists, nullable, and
    each token's ``bytes``) and ``logprobs`` lacks, as a path below it."""
    for name in ("content", "refusal"):
        tokens = getattr(logprobs, name)
        if tokens is UNSET:
            return f".{name}"
        for j, token in enumerate(tokens or ()):
            if token.bytes is UNSET:
                return f".{name}[{j}].bytes"
            for k, top in enumerate(token.top_logprobs):
                if top.bytes is UNSET:
                    return f".{name}[{j}].top_logprobs[{k}].bytes"
    return None


CHAT_CHUNK_DECODER: msgspec.json.Decoder[ChatCompletionChunk] = msgspec.json.Decoder(
    ChatCompletionChunk
)
"""Prebuilt decoder for one chat chunk payload."""

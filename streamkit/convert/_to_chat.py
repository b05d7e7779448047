"""Writer of Chat Completions chunks: what an OpenAI server sends for the same content.

The role first (``{"role": "assistant", "content": ""}``), then content and
refusal pieces, each tool call with its own ``index`` (0, 1, ... in the order
the calls start), its ``id`` and name once and its arguments streamed, one
``finish_reason``, a usage chunk (``choices: []``) and ``[DONE]``.

What Chat has no field for travels in the provider extensions clients already
read (the shapes DeepSeek and OpenRouter use):

* reasoning text: ``delta.reasoning_content``;
* a thinking signature: ``delta.reasoning_details`` ``[{"type": "reasoning.text",
  "signature": ..., "index": N}]``; encrypted reasoning (Responses
  ``encrypted_content``, Messages ``redacted_thinking``):
  ``[{"type": "reasoning.encrypted", "data": ..., "index": N}]``;
* a stop reason Chat cannot name (``pause_turn``, ``refusal``,
  ``stop_sequence``, ``model_context_window_exceeded``):
  ``choices[].native_finish_reason``, in its own chunk just before the
  finish chunk.

Chunks carrying an extension are emitted as ``UnknownEvent`` holding their JSON
(typed chunks cannot hold unknown keys); ``encode_events`` writes them as they
are, and they hold nothing a plain Chat client needs, so typed consumers lose
nothing by skipping them.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import msgspec

from streamkit.convert._common import (
    CHAT_FINISH_TO_STOP,
    STOP_TO_CHAT_FINISH,
    BlockKind,
    LostReport,
    Meta,
    TokenUsage,
    Writer,
    derive_id,
    tool_id,
)
from streamkit.events._common import Done, UnknownEvent
from streamkit.events.chat import (
    ChatCompletionChunk,
    ChoiceDelta,
    ChoiceDeltaToolCall,
    ChoiceDeltaToolCallFunction,
    ChunkChoice,
)
from streamkit.events.errors import ErrorDetail, StreamErrorEvent
from streamkit.models.chat import CompletionTokensDetails, CompletionUsage, PromptTokensDetails

__all__ = ["ChatWriter", "CHUNK_TYPE"]

#: The ``type`` of the ``UnknownEvent`` an extension chunk travels as.
CHUNK_TYPE = "chat.completion.chunk"
_ENCODER = msgspec.json.Encoder()


class ChatWriter(Writer):
    """Emits Chat Completions chunks (see the module docstring)."""

    def __init__(self, lost: LostReport) -> None:
        self.out: list[Any] = []
        self.lost = lost
        self._id = ""
        self._model = ""
        self._created = 0
        self._started = False
        self._kinds: dict[Hashable, BlockKind] = {}
        self._tools: dict[Hashable, int] = {}  # block key -> Chat tool call index
        self._reasoning: dict[Hashable, int] = {}  # block key -> reasoning_details index
        self._reasoning_count = 0
        self._usage: TokenUsage | None = None
        self._stopped = False
        self._ended = False

    def _chunk(self, delta: ChoiceDelta, finish: str | None = None) -> None:
        self.out.append(
            ChatCompletionChunk(
                id=self._id,
                object="chat.completion.chunk",
                created=self._created,
                model=self._model,
                choices=[ChunkChoice(index=0, delta=delta, finish_reason=finish)],
            )
        )

    def _extension(self, delta: dict[str, Any], **choice: Any) -> None:
        payload = {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": None, **choice}],
        }
        self.out.append(UnknownEvent(type=CHUNK_TYPE, raw=_ENCODER.encode(payload)))

    def start(self, meta: Meta) -> None:
        self._id = derive_id("chatcmpl", meta.id)
        self._model = meta.model
        self._created = meta.created
        self._started = True
        self._chunk(ChoiceDelta(role="assistant", content="", refusal=None))

    def open(self, key: Hashable, kind: BlockKind, *, call_id: str = "", name: str = "") -> None:
        self._kinds[key] = kind
        if kind == "tool":
            index = len(self._tools)
            self._tools[key] = index
            call = tool_id(call_id, "chat") if call_id else derive_id("call", self._id, index)
            self._chunk(
                ChoiceDelta(
                    tool_calls=[
                        ChoiceDeltaToolCall(
                            index=index,
                            id=call,
                            type="function",
                            function=ChoiceDeltaToolCallFunction(name=name, arguments=""),
                        )
                    ]
                )
            )
        elif kind == "reasoning":
            self._reasoning[key] = self._reasoning_count
            self._reasoning_count += 1

    def delta(self, key: Hashable, text: str) -> None:
        kind = self._kinds.get(key)
        if kind is None or not text:
            return
        if kind == "text":
            self._chunk(ChoiceDelta(content=text))
        elif kind == "refusal":
            self._chunk(ChoiceDelta(refusal=text))
        elif kind == "reasoning":
            self._extension({"reasoning_content": text})
        else:
            self._chunk(
                ChoiceDelta(
                    tool_calls=[
                        ChoiceDeltaToolCall(
                            index=self._tools[key],
                            function=ChoiceDeltaToolCallFunction(arguments=text),
                        )
                    ]
                )
            )

    def close(
        self, key: Hashable, *, signature: str | None = None, encrypted: str | None = None
    ) -> None:
        kind = self._kinds.pop(key, None)
        if kind != "reasoning":
            return
        index = self._reasoning.pop(key)
        details: list[dict[str, Any]] = []
        if signature is not None:
            details.append(
                {
                    "type": "reasoning.text",
                    "signature": signature,
                    "format": "anthropic-claude-v1",
                    "index": index,
                }
            )
        if encrypted is not None:
            details.append(
                {
                    "type": "reasoning.encrypted",
                    "data": encrypted,
                    "format": "openai-responses-v1",
                    "index": index,
                }
            )
        if details:
            self._extension({"reasoning_details": details})

    def usage(self, usage: TokenUsage) -> None:
        self._usage = usage

    def stop(self, reason: str, *, stop_sequence: str | None = None) -> None:
        if self._stopped or not self._started:
            return
        self._stopped = True
        self._kinds.clear()
        finish = STOP_TO_CHAT_FINISH.get(reason, "stop")
        if CHAT_FINISH_TO_STOP.get(finish) != reason:
            self._extension({}, native_finish_reason=reason)
        if stop_sequence is not None:
            self.lost.add("stop_sequence", "Chat has no field for the stop sequence matched")
        self._chunk(ChoiceDelta(), finish)

    def error(self, code: str | None, message: str, type: str | None = None) -> None:
        if self._ended:
            return
        self._ended = True
        self.out.append(StreamErrorEvent(error=ErrorDetail(message=message, type=type, code=code)))

    def end(self) -> None:
        if self._ended or not self._started:
            return
        self._ended = True
        if not self._stopped:
            self.stop("end_turn")
        u = self._usage
        if u is not None:
            prompt = PromptTokensDetails(cached_tokens=u.cached or 0)
            if u.cache_write is not None:
                prompt.cache_write_tokens = u.cache_write
            self.out.append(
                ChatCompletionChunk(
                    id=self._id,
                    object="chat.completion.chunk",
                    created=self._created,
                    model=self._model,
                    choices=[],
                    usage=CompletionUsage(
                        prompt_tokens=u.input,
                        completion_tokens=u.output,
                        total_tokens=u.input + u.output,
                        prompt_tokens_details=prompt,
                        completion_tokens_details=CompletionTokensDetails(
                            reasoning_tokens=u.reasoning or 0
                        ),
                    ),
                )
            )
        self.out.append(Done())

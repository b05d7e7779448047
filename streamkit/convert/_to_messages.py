"""Writer of Anthropic Messages events: what Anthropic's server sends for the same content.

``message_start`` (the shell, usage so far), then each content block as
``content_block_start`` / ``content_block_delta``... / ``content_block_stop``
with block indices 0, 1, ... in the order blocks start: text as
``text_delta``, tool input as ``input_json_delta``, reasoning as a
``thinking`` block (``thinking_delta``, then its signature as
``signature_delta``) or, when it is only encrypted state, a
``redacted_thinking`` block; then ``message_delta`` with the stop reason and
the cumulative usage, and ``message_stop``. An error becomes an ``error``
event.

A reasoning block starts with its first piece of text, so a reasoning item that
turns out to hold only encrypted state becomes a ``redacted_thinking`` block.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from streamkit.convert._common import (
    STOP_TO_MESSAGES,
    BlockKind,
    LostReport,
    Meta,
    TokenUsage,
    Writer,
    derive_id,
    tool_id,
)
from streamkit.events.messages import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    InputJSONDelta,
    MessageDeltaBody,
    MessageDeltaEvent,
    MessageDeltaUsage,
    MessageErrorDetail,
    MessageErrorEvent,
    MessageStartEvent,
    MessageStopEvent,
    SignatureDelta,
    TextDelta,
    ThinkingDelta,
)
from streamkit.models.messages import (
    Message,
    OutputTokensDetails,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    Usage,
)

__all__ = ["MessagesWriter"]


class _Block:
    __slots__ = ("index", "kind")

    def __init__(self, kind: BlockKind, index: int | None) -> None:
        self.kind = kind
        self.index = index  # None: a reasoning block not started yet


class MessagesWriter(Writer):
    """Emits Anthropic Messages events (see the module docstring)."""

    def __init__(self, lost: LostReport) -> None:
        self.out: list[Any] = []
        self.lost = lost
        self._id = ""
        self._started = False
        self._blocks: dict[Hashable, _Block] = {}
        self._next = 0
        self._usage: TokenUsage | None = None
        self._stop: str | None = None
        self._stop_sequence: str | None = None
        self._ended = False

    def start(self, meta: Meta) -> None:
        self._id = derive_id("anthropic_msg", meta.id)
        self._started = True
        u = meta.usage
        usage = _usage(u) if u is not None else Usage(input_tokens=0, output_tokens=0)
        self.out.append(
            MessageStartEvent(
                message=Message(
                    id=self._id,
                    model=meta.model,
                    content=[],
                    stop_reason=None,
                    stop_sequence=None,
                    usage=usage,
                )
            )
        )

    def _begin(self, block: Any) -> int:
        index = self._next
        self._next += 1
        self.out.append(ContentBlockStartEvent(index=index, content_block=block))
        return index

    def open(self, key: Hashable, kind: BlockKind, *, call_id: str = "", name: str = "") -> None:
        if kind == "reasoning":
            self._blocks[key] = _Block(kind, None)
            return
        if kind == "refusal":
            self.lost.add(
                "refusal", "Messages has no refusal content: the refusal is sent as a text block"
            )
        if kind == "tool":
            call = (
                tool_id(call_id, "messages")
                if call_id
                else derive_id("toolu", self._id, self._next)
            )
            block: Any = ToolUseBlock(id=call, name=name, input={})
        else:
            block = TextBlock(text="")
        self._blocks[key] = _Block(kind, self._begin(block))

    def delta(self, key: Hashable, text: str) -> None:
        block = self._blocks.get(key)
        if block is None or not text:
            return
        if block.kind == "reasoning":
            if block.index is None:
                block.index = self._begin(ThinkingBlock(thinking="", signature=""))
            delta: Any = ThinkingDelta(thinking=text)
        elif block.kind == "tool":
            delta = InputJSONDelta(partial_json=text)
        else:
            delta = TextDelta(text=text)
        assert block.index is not None
        self.out.append(ContentBlockDeltaEvent(index=block.index, delta=delta))

    def close(
        self, key: Hashable, *, signature: str | None = None, encrypted: str | None = None
    ) -> None:
        block = self._blocks.pop(key, None)
        if block is None:
            return
        if block.kind == "reasoning":
            if block.index is None:
                data = encrypted if encrypted is not None else signature
                if data is None:
                    return  # reasoning with neither text nor state: nothing to send
                block.index = self._begin(RedactedThinkingBlock(data=data))
            else:
                sealed = signature if signature is not None else encrypted
                if sealed is not None:
                    self.out.append(
                        ContentBlockDeltaEvent(
                            index=block.index, delta=SignatureDelta(signature=sealed)
                        )
                    )
        assert block.index is not None
        self.out.append(ContentBlockStopEvent(index=block.index))

    def usage(self, usage: TokenUsage) -> None:
        self._usage = usage

    def stop(self, reason: str, *, stop_sequence: str | None = None) -> None:
        for key in list(self._blocks):
            self.close(key)
        self._stop = reason
        self._stop_sequence = stop_sequence

    def error(self, code: str | None, message: str, type: str | None = None) -> None:
        if self._ended:
            return
        self._ended = True
        kind = type if type and type.endswith("_error") else "api_error"
        if code and not (type and type.endswith("_error")):
            message = f"{code}: {message}"
        self.out.append(MessageErrorEvent(error=MessageErrorDetail(type=kind, message=message)))

    def end(self) -> None:
        if self._ended or not self._started:
            return
        self._ended = True
        if self._stop is None:
            self.stop("end_turn")
        reason = STOP_TO_MESSAGES.get(self._stop or "end_turn", "end_turn")
        u = self._usage
        if u is None:
            self.lost.add("usage", "the source sent no usage; Messages requires it: zeros sent")
        usage = MessageDeltaUsage(output_tokens=u.output if u is not None else 0)
        if u is not None:
            full = _usage(u)
            usage.input_tokens = full.input_tokens
            usage.cache_creation_input_tokens = full.cache_creation_input_tokens
            usage.cache_read_input_tokens = full.cache_read_input_tokens
            usage.output_tokens_details = full.output_tokens_details
        self.out.append(
            MessageDeltaEvent(
                delta=MessageDeltaBody(stop_reason=reason, stop_sequence=self._stop_sequence),
                usage=usage,
            )
        )
        self.out.append(MessageStopEvent())


def _usage(u: TokenUsage) -> Usage:
    # Messages splits the input into uncached, cache-read and cache-written
    # tokens that add up to it. Some servers report more cached tokens than
    # input tokens; capping keeps the sum equal to the input they reported.
    written = min(u.cache_write or 0, u.input)
    cached = min(u.cached or 0, u.input - written)
    usage = Usage(
        input_tokens=u.input - cached - written,
        output_tokens=u.output,
        cache_creation_input_tokens=written,
        cache_read_input_tokens=cached,
    )
    if u.reasoning is not None:
        usage.output_tokens_details = OutputTokensDetails(thinking_tokens=u.reasoning)
    return usage

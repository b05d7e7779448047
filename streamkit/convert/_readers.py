"""Readers: typed events of one API → calls on a :class:`~._common.Writer`.

Each reader tracks only the blocks still open (their text so far, to check the
source's ``.done`` values against the deltas), so memory is O(open items).
Where a source's ``.done`` event (or final object) carries more than its
deltas did, the rest is sent as one more delta; where it contradicts them, the
difference is reported as lost (the target already has the deltas).
"""

from __future__ import annotations

import abc
from collections.abc import Hashable
from typing import Any

import msgspec
from msgspec import UNSET

from streamkit.convert._common import (
    CHAT_FINISH_TO_STOP,
    MESSAGES_TO_STOP,
    RESPONSES_INCOMPLETE_TO_STOP,
    STOP_REASONS,
    BlockKind,
    LostReport,
    Meta,
    TokenUsage,
    Writer,
    json_text,
)
from streamkit.events._common import Done, UnknownEvent
from streamkit.events._names import event_type
from streamkit.events.chat import (
    CHAT_CHUNK_DECODER,
    ChatCompletionChunk,
    ChoiceDelta,
    ChunkChoice,
    content_parts_text,
)
from streamkit.events.errors import StreamErrorEvent
from streamkit.events.messages import (
    CitationsDelta,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    InputJSONDelta,
    MessageDeltaEvent,
    MessageErrorEvent,
    MessageStartEvent,
    MessageStopEvent,
    PingEvent,
    SignatureDelta,
    TextDelta,
    ThinkingDelta,
)
from streamkit.events.responses import (
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseIncompleteEvent,
    ResponseInProgressEvent,
    ResponseKeepaliveEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputTextAnnotationAddedEvent,
    ResponseQueuedEvent,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryPartDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseReasoningTextDoneEvent,
    ResponseRefusalDeltaEvent,
    ResponseRefusalDoneEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)
from streamkit.models.chat import CompletionUsage, ReasoningDetail
from streamkit.models.messages import (
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    block_type,
)
from streamkit.models.responses import (
    FunctionToolCall,
    OutputItem,
    OutputMessage,
    OutputText,
    ReasoningItem,
    Refusal,
    Response,
    ResponseUsage,
)
from streamkit.reducers._choices import DONE_OBJECT

__all__ = ["ChatReader", "MessagesReader", "Reader", "ResponsesReader"]

# Separates the parts of a reasoning summary (and summary from raw reasoning
# text) when they become one thinking block or one reasoning string.
REASONING_SEPARATOR = "\n\n"


class Reader(abc.ABC):
    """Base of the readers: the open blocks and the calls they share."""

    def __init__(self, writer: Writer, lost: LostReport) -> None:
        self.w = writer
        self.lost = lost
        self.started = False
        self.ended = False
        # Open blocks: key -> (kind, text so far as pieces).
        self.blocks: dict[Hashable, tuple[BlockKind, list[str]]] = {}

    @abc.abstractmethod
    def step(self, event: Any, raw: bytes | memoryview | None = None) -> None:
        """Read one source event and tell the writer what it carries."""

    def open(self, key: Hashable, kind: BlockKind, call_id: str = "", name: str = "") -> None:
        self.blocks[key] = (kind, [])
        self.w.open(key, kind, call_id=call_id, name=name)

    def delta(self, key: Hashable, text: str) -> None:
        block = self.blocks.get(key)
        if block is None or not text:
            return
        block[1].append(text)
        self.w.delta(key, text)

    def settle(self, key: Hashable, final: str, what: str) -> None:
        """Check a block's text against the source's final value: send what
        the deltas lacked, report a contradiction."""
        block = self.blocks.get(key)
        if block is None:
            return
        so_far = "".join(block[1])
        if final == so_far:
            return
        if final.startswith(so_far):
            self.delta(key, final[len(so_far) :])
        else:
            self.lost.add(
                f"{what}:final_differs",
                "the final value differs from the streamed deltas; the deltas were kept",
            )

    def close(
        self, key: Hashable, signature: str | None = None, encrypted: str | None = None
    ) -> None:
        if self.blocks.pop(key, None) is not None:
            self.w.close(key, signature=signature, encrypted=encrypted)

    def close_all(self) -> None:
        for key in list(self.blocks):
            self.close(key)

    def finish(self) -> None:
        """The bytes ended. Without the source's terminal event nothing more
        is sent: the target looks truncated too (never a made-up success)."""
        return None


# --------------------------------------------------------------------------- #
# Usage
# --------------------------------------------------------------------------- #


def chat_usage(u: CompletionUsage) -> TokenUsage:
    """Chat usage in canonical form."""
    prompt = u.prompt_tokens_details
    completion = u.completion_tokens_details
    return TokenUsage(
        input=u.prompt_tokens,
        output=u.completion_tokens,
        cached=_int(prompt.cached_tokens) if prompt else None,
        cache_write=_int(prompt.cache_write_tokens) if prompt else None,
        reasoning=_int(completion.reasoning_tokens) if completion else None,
    )


def responses_usage(u: ResponseUsage) -> TokenUsage:
    """Responses usage in canonical form."""
    details = u.input_tokens_details
    return TokenUsage(
        input=u.input_tokens,
        output=u.output_tokens,
        cached=details.cached_tokens if details else None,
        cache_write=_int(details.cache_write_tokens) if details else None,
        reasoning=u.output_tokens_details.reasoning_tokens if u.output_tokens_details else None,
    )


def messages_usage(u: Any) -> TokenUsage:
    """Messages usage (``Usage`` or a ``message_delta``'s) in canonical form:
    ``input`` includes the cache reads and writes, as OpenAI counts it."""
    read = _int(u.cache_read_input_tokens)
    written = _int(u.cache_creation_input_tokens)
    details = u.output_tokens_details
    return TokenUsage(
        input=(_int(u.input_tokens) or 0) + (read or 0) + (written or 0),
        output=u.output_tokens,
        cached=read,
        cache_write=written,
        reasoning=details.thinking_tokens if details else None,
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) else None


# --------------------------------------------------------------------------- #
# Chat Completions
# --------------------------------------------------------------------------- #


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


class ChatReader(Reader):
    """Chat Completions chunks → writer calls. Choice 0 only; the other
    choices of an ``n`` > 1 stream are reported lost."""

    def __init__(self, writer: Writer, lost: LostReport) -> None:
        super().__init__(writer, lost)
        self.tools: dict[int, str] = {}  # Chat tool index -> block key
        self.tool_ids: dict[str, int] = {}  # call id -> tool index
        self.reasoning_key: Hashable | None = None
        self.reasoning_blocks = 0
        self.reason: str | None = None  # canonical stop, once finish_reason came
        self.native: str | None = None
        self.other_choices: set[int] = set()
        self.stopped = False

    def step(self, event: Any, raw: bytes | memoryview | None = None) -> None:
        cls = event.__class__
        if cls is ChatCompletionChunk:
            self.chunk(event, raw)
        elif cls is Done:
            self.done()
        elif cls is StreamErrorEvent:
            e = event.error
            code = e.code if isinstance(e.code, str) else (str(e.code) if e.code else None)
            self.w.error(code, e.message, e.type if isinstance(e.type, str) else None)
            self.ended = True
        elif cls is UnknownEvent and event.type == "chat.completion.chunk":
            # An extension chunk from a converter (or any chunk kept raw).
            try:
                chunk = CHAT_CHUNK_DECODER.decode(event.raw)
            except (msgspec.MsgspecError, RecursionError):
                # Only its ``type`` says chunk: it is dropped like any unknown event.
                self.lost.add(f"event:{event.type}", "an event of an unknown type was dropped")
            else:
                self.chunk(chunk, event.raw)
        elif cls is UnknownEvent:
            self.lost.add(f"event:{event.type}", "an event of an unknown type was dropped")

    def start(self, chunk: ChatCompletionChunk) -> None:
        self.started = True
        self.w.start(Meta(id=chunk.id, model=chunk.model, created=chunk.created))

    def chunk(self, chunk: ChatCompletionChunk, raw: bytes | memoryview | None) -> None:
        if self.ended:
            return
        if not self.started:
            self.start(chunk)
        for choice in chunk.choices:
            if choice.index != 0:
                if choice.index not in self.other_choices:
                    self.other_choices.add(choice.index)
                    self.lost.add("choice", "only choice 0 of an n > 1 stream is converted")
                continue
            self.extension(choice)
            delta = choice.delta
            if delta:
                self.choice_delta(delta)
            if choice.logprobs:
                self.lost.add("logprobs", "logprobs are not converted")
            if choice.finish_reason:
                self.finished(choice.finish_reason)
        if chunk.usage:
            self.w.usage(chat_usage(chunk.usage))
        if chunk.object == DONE_OBJECT:  # Perplexity's end of stream, instead of [DONE]
            self.done()

    def extension(self, choice: ChunkChoice) -> None:
        """Provider extensions of choice 0: the native finish reason and reasoning."""
        native = choice.native_finish_reason
        if native in STOP_REASONS:
            self.native = native
        d = choice.delta
        if not d:
            return
        text = _str(d.reasoning_content) or _str(d.reasoning)
        details = d.reasoning_details or []
        if not text:
            # Only details: their text or summary pieces are the reasoning.
            text = "".join(_str(x.text) or _str(x.summary) or "" for x in details) or None
        if text:
            self.reasoning(text)
        for x in details:
            if _str(x.signature) is not None or _str(x.data) is not None:
                self.seal(x)

    def reasoning(self, text: str) -> None:
        key = self.reasoning_key
        if key is None:
            self.end_text_blocks()
            key = self.reasoning_key = ("reasoning", self.reasoning_blocks)
            self.reasoning_blocks += 1
            self.open(key, "reasoning")
        self.delta(key, text)

    def tool_index(self, call_id: object) -> int:
        """The index of a tool fragment sent without one: the call with its id, a
        new call for a new id, else the last call (one call per fragment)."""
        if isinstance(call_id, str):
            known = self.tool_ids.get(call_id)
            return known if known is not None else len(self.tools)
        return max(len(self.tools) - 1, 0)

    def seal(self, detail: ReasoningDetail) -> None:
        """A signature or encrypted state closes the reasoning block it belongs to."""
        key = self.reasoning_key
        if key is None:
            key = ("reasoning", self.reasoning_blocks)
            self.reasoning_blocks += 1
            self.open(key, "reasoning")
        self.reasoning_key = None
        self.close(key, signature=_str(detail.signature), encrypted=_str(detail.data))

    def end_text_blocks(self) -> None:
        for key in ("text", "refusal"):
            self.close(key)

    def end_reasoning(self) -> None:
        key = self.reasoning_key
        if key is not None:
            self.reasoning_key = None
            self.close(key)

    def choice_delta(self, d: ChoiceDelta) -> None:
        content = d.content
        if isinstance(content, list):
            content = content_parts_text(content)[0]
        if content:
            # The common case, kept short: Chat has no .done values to check
            # against, so the text itself is not kept.
            if self.reasoning_key is not None:
                self.end_reasoning()
            if "text" not in self.blocks:
                self.open("text", "text")
            self.w.delta("text", content)
        if d.refusal:
            self.end_reasoning()
            if "refusal" not in self.blocks:
                self.open("refusal", "refusal")
            self.delta("refusal", d.refusal)
        if d.tool_calls:
            self.end_reasoning()
            for call in d.tool_calls:
                index = call.index
                if index is UNSET:
                    index = self.tool_index(call.id)
                if isinstance(call.id, str):
                    self.tool_ids.setdefault(call.id, index)
                key = self.tools.get(index)
                fn = call.function
                if key is None:
                    key = f"tool{index}"
                    self.tools[index] = key
                    name = fn.name if fn and isinstance(fn.name, str) else ""
                    self.open(key, "tool", call.id if isinstance(call.id, str) else "", name)
                if fn and isinstance(fn.arguments, str):
                    self.delta(key, fn.arguments)
        if d.function_call:
            self.end_reasoning()
            fc = d.function_call
            if "function_call" not in self.blocks:
                self.open("function_call", "tool", "", fc.name if isinstance(fc.name, str) else "")
            if isinstance(fc.arguments, str):
                self.delta("function_call", fc.arguments)
        if d.audio:
            self.lost.add("audio", "generated audio is not converted")

    def finished(self, reason: str) -> None:
        stop = CHAT_FINISH_TO_STOP.get(reason)
        if stop is None:
            self.lost.add(f"finish_reason:{reason}", "an unknown finish_reason, sent as end_turn")
            stop = "end_turn"
        self.reason = stop

    def done(self) -> None:
        if self.ended:
            return
        if not self.started:
            return
        self.ended = True
        self.stop_now()
        self.w.end()

    def stop_now(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        self.reasoning_key = None
        self.close_all()
        reason = self.native or self.reason or "end_turn"
        self.w.stop(reason)

    def finish(self) -> None:
        """No ``[DONE]``: when the choice finished its content is complete
        (its blocks are closed), but no terminal event is sent."""
        if not self.ended and self.reason is not None:
            self.stop_now()
            self.lost.add(
                "terminal",
                "the source ended without [DONE]: the target's terminal event is not sent",
            )


# --------------------------------------------------------------------------- #
# Responses
# --------------------------------------------------------------------------- #

_LIFECYCLE = (ResponseCreatedEvent, ResponseInProgressEvent, ResponseQueuedEvent)


class ResponsesReader(Reader):
    """Responses API events → writer calls."""

    def __init__(self, writer: Writer, lost: LostReport) -> None:
        super().__init__(writer, lost)
        self.items: dict[int, str] = {}  # output_index -> item type, while open
        self.seen: set[int] = set()  # output indices streamed
        self.raw_text: set[int] = set()  # reasoning items whose raw text started
        self.tools_seen = False
        self.handlers: dict[type[Any], Any] = {
            ResponseOutputTextAnnotationAddedEvent: self.annotation,
            ResponseTextDeltaEvent: self.text_delta,
            ResponseRefusalDeltaEvent: self.text_delta,
            ResponseFunctionCallArgumentsDeltaEvent: self.args_delta,
            ResponseReasoningSummaryTextDeltaEvent: self.summary_delta,
            ResponseReasoningTextDeltaEvent: self.reasoning_text_delta,
            ResponseContentPartAddedEvent: self.part_added,
            ResponseTextDoneEvent: self.text_done,
            ResponseRefusalDoneEvent: self.refusal_done,
            ResponseContentPartDoneEvent: self.part_done,
            ResponseFunctionCallArgumentsDoneEvent: self.args_done,
            ResponseReasoningSummaryPartAddedEvent: self.summary_part,
            # Reasoning is checked against the whole item at output_item.done.
            ResponseReasoningSummaryTextDoneEvent: _ignore,
            ResponseReasoningSummaryPartDoneEvent: _ignore,
            ResponseReasoningTextDoneEvent: _ignore,
            ResponseOutputItemAddedEvent: self.item_added,
            ResponseOutputItemDoneEvent: self.item_done,
            ResponseCreatedEvent: self.lifecycle,
            ResponseInProgressEvent: self.lifecycle,
            ResponseQueuedEvent: self.lifecycle,
            ResponseCompletedEvent: self.terminal,
            ResponseIncompleteEvent: self.terminal,
            ResponseFailedEvent: self.failed,
            ResponseErrorEvent: self.error,
            ResponseKeepaliveEvent: _ignore,
        }

    def step(self, event: Any, raw: bytes | memoryview | None = None) -> None:
        if self.ended:
            return
        handler = self.handlers.get(event.__class__)
        if handler is not None:
            handler(event)
        elif event.__class__ is UnknownEvent:
            self.lost.add(f"event:{event.type}", "an event of an unknown type was dropped")
        else:
            self.lost.add(
                f"event:{event_type(event)}",
                "hosted tool progress has no counterpart in the target",
            )

    def begin(self, response: Response) -> None:
        if not self.started:
            self.started = True
            self.w.start(
                Meta(id=response.id, model=response.model, created=int(response.created_at))
            )

    def lifecycle(self, event: Any) -> None:
        self.begin(event.response)

    # -- items ------------------------------------------------------------------------

    def item_added(self, event: ResponseOutputItemAddedEvent) -> None:
        self.begin_if_needed()
        item = event.item
        index = event.output_index
        if item is None:
            return
        self.seen.add(index)
        kind = _item_type(item)
        self.items[index] = kind
        if isinstance(item, FunctionToolCall):
            self.tools_seen = True
            self.open(("tool", index), "tool", item.call_id, item.name)
            self.delta(("tool", index), item.arguments)
        elif not isinstance(item, OutputMessage | ReasoningItem):
            self.lost.add(f"item:{kind}", "an output item the target has no counterpart for")

    def begin_if_needed(self) -> None:
        if not self.started:
            self.started = True
            self.w.start(Meta(id="", model=""))

    def part_added(self, event: ResponseContentPartAddedEvent) -> None:
        key = ("part", event.output_index, event.content_index)
        part = event.part
        if isinstance(part, OutputText):
            self.open(key, "text")
            self.delta(key, part.text)
        elif isinstance(part, Refusal):
            self.open(key, "refusal")
            self.delta(key, part.refusal)
        else:
            self.reasoning_open(event.output_index)
            self.delta(("reasoning", event.output_index), part.text)

    def text_delta(self, event: Any) -> None:
        self.delta(("part", event.output_index, event.content_index), event.delta)

    def text_done(self, event: ResponseTextDoneEvent) -> None:
        self.settle(("part", event.output_index, event.content_index), event.text, "text")

    def refusal_done(self, event: ResponseRefusalDoneEvent) -> None:
        self.settle(("part", event.output_index, event.content_index), event.refusal, "refusal")

    def part_done(self, event: ResponseContentPartDoneEvent) -> None:
        key = ("part", event.output_index, event.content_index)
        part = event.part
        if isinstance(part, OutputText):
            self.settle(key, part.text, "text")
        elif isinstance(part, Refusal):
            self.settle(key, part.refusal, "refusal")
        self.close(key)

    def annotation(self, event: ResponseOutputTextAnnotationAddedEvent) -> None:
        self.lost.add("annotations", "output text annotations are not converted")

    def args_delta(self, event: ResponseFunctionCallArgumentsDeltaEvent) -> None:
        self.delta(("tool", event.output_index), event.delta)

    def args_done(self, event: ResponseFunctionCallArgumentsDoneEvent) -> None:
        self.settle(("tool", event.output_index), event.arguments, "arguments")

    # -- reasoning: summary parts and raw text, as one block per item -------------------

    def reasoning_open(self, index: int) -> tuple[Hashable, bool]:
        key = ("reasoning", index)
        fresh = key not in self.blocks
        if fresh:
            self.open(key, "reasoning")
        return key, fresh

    def summary_part(self, event: ResponseReasoningSummaryPartAddedEvent) -> None:
        key, fresh = self.reasoning_open(event.output_index)
        if not fresh and self.blocks[key][1]:
            self.delta(key, REASONING_SEPARATOR)
        self.delta(key, event.part.text)

    def summary_delta(self, event: ResponseReasoningSummaryTextDeltaEvent) -> None:
        key, _ = self.reasoning_open(event.output_index)
        self.delta(key, event.delta)

    def reasoning_text_delta(self, event: ResponseReasoningTextDeltaEvent) -> None:
        key, _ = self.reasoning_open(event.output_index)
        if event.output_index not in self.raw_text:
            # Raw reasoning text after a summary: separated as in the final item.
            self.raw_text.add(event.output_index)
            if self.blocks[key][1]:
                self.delta(key, REASONING_SEPARATOR)
        self.delta(key, event.delta)

    def item_done(self, event: ResponseOutputItemDoneEvent) -> None:
        item = event.item
        index = event.output_index
        if item is None:
            return
        if index not in self.seen:
            self.whole_item(index, item)
            return
        self.items.pop(index, None)
        if isinstance(item, OutputMessage):
            for ci, part in enumerate(item.content):
                key: Hashable = ("part", index, ci)
                if key not in self.blocks:
                    continue
                self.settle(
                    key, part.text if isinstance(part, OutputText) else part.refusal, "text"
                )
                self.close(key)
        elif isinstance(item, ReasoningItem):
            key = ("reasoning", index)
            text = _reasoning_text(item)
            if key not in self.blocks and (text or isinstance(item.encrypted_content, str)):
                self.open(key, "reasoning")
            if key in self.blocks:
                self.settle(key, text, "reasoning")
                enc = item.encrypted_content
                self.close(key, encrypted=enc if isinstance(enc, str) else None)
        elif isinstance(item, FunctionToolCall):
            key = ("tool", index)
            self.settle(key, item.arguments, "arguments")
            self.close(key)

    def whole_item(self, index: int, item: OutputItem) -> None:
        """An item the stream only sent whole (no ``.added`` or deltas)."""
        self.seen.add(index)
        if isinstance(item, OutputMessage):
            for ci, part in enumerate(item.content):
                key: Hashable = ("part", index, ci)
                if isinstance(part, OutputText):
                    self.open(key, "text")
                    self.delta(key, part.text)
                else:
                    self.open(key, "refusal")
                    self.delta(key, part.refusal)
                self.close(key)
        elif isinstance(item, ReasoningItem):
            text = _reasoning_text(item)
            enc = item.encrypted_content if isinstance(item.encrypted_content, str) else None
            if text or enc:
                key = ("reasoning", index)
                self.open(key, "reasoning")
                self.delta(key, text)
                self.close(key, encrypted=enc)
        elif isinstance(item, FunctionToolCall):
            self.tools_seen = True
            key = ("tool", index)
            self.open(key, "tool", item.call_id, item.name)
            self.delta(key, item.arguments)
            self.close(key)
        else:
            self.lost.add(
                f"item:{_item_type(item)}", "an output item the target has no counterpart for"
            )

    # -- the end ------------------------------------------------------------------------

    def terminal(self, event: Any) -> None:
        response: Response = event.response
        self.begin(response)
        output = response.output if isinstance(response.output, list) else []
        for index, item in enumerate(output):
            if index not in self.seen:
                self.whole_item(index, item)
        self.close_all()
        if response.usage:
            self.w.usage(responses_usage(response.usage))
        if event.__class__ is ResponseIncompleteEvent:
            details = response.incomplete_details
            reason = details.reason if details and isinstance(details.reason, str) else ""
            stop = RESPONSES_INCOMPLETE_TO_STOP.get(reason)
            if stop is None:
                self.lost.add(
                    f"incomplete_reason:{reason or 'none'}",
                    "an unknown incomplete reason, sent as max_tokens",
                )
                stop = "max_tokens"
        else:
            stop = "tool_use" if self.tools_seen else "end_turn"
        self.w.stop(stop)
        self.ended = True
        self.w.end()

    def failed(self, event: ResponseFailedEvent) -> None:
        response = event.response
        self.begin(response)
        if response.usage:
            self.w.usage(responses_usage(response.usage))
        error = response.error
        self.ended = True
        if error is not None:
            self.w.error(error.code, error.message)
        else:
            self.w.error("server_error", "the response failed")

    def error(self, event: ResponseErrorEvent) -> None:
        self.begin_if_needed()
        detail = event.error
        code = event.code if isinstance(event.code, str) else None
        message = event.message if isinstance(event.message, str) else ""
        kind = None
        if detail:
            code = code or (detail.code if isinstance(detail.code, str) else None)
            message = message or (detail.message if isinstance(detail.message, str) else "")
            kind = detail.type if isinstance(detail.type, str) else None
        self.ended = True
        self.w.error(code, message, kind)


def _ignore(event: Any) -> None:
    pass


def _item_type(item: Any) -> str:
    tag = getattr(type(item), "__struct_config__", None)
    name = getattr(tag, "tag", None)
    return name if isinstance(name, str) else str(getattr(item, "type", "unknown"))


def _reasoning_text(item: ReasoningItem) -> str:
    texts = [s.text for s in item.summary]
    if isinstance(item.content, list):
        texts += [c.text for c in item.content]
    return REASONING_SEPARATOR.join(t for t in texts if t)


# --------------------------------------------------------------------------- #
# Messages
# --------------------------------------------------------------------------- #


class MessagesReader(Reader):
    """Anthropic Messages events → writer calls."""

    def __init__(self, writer: Writer, lost: LostReport) -> None:
        super().__init__(writer, lost)
        self.usage: TokenUsage | None = None
        self.stop_reason: str | None = None
        self.stop_sequence: str | None = None
        self.signatures: dict[int, str] = {}
        self.tool_input: dict[int, Any] = {}  # start input, for tools without deltas
        self.tool_deltas: set[int] = set()
        self.skipped: set[int] = set()

    def step(self, event: Any, raw: bytes | memoryview | None = None) -> None:
        if self.ended:
            return
        cls = event.__class__
        if cls is ContentBlockDeltaEvent:
            self.block_delta(event)
        elif cls is ContentBlockStartEvent:
            self.block_start(event)
        elif cls is ContentBlockStopEvent:
            self.block_stop(event.index)
        elif cls is MessageStartEvent:
            if not self.started:
                self.started = True
                message = event.message
                self.usage = messages_usage(message.usage)
                self.w.start(Meta(id=message.id, model=message.model, usage=self.usage))
        elif cls is MessageDeltaEvent:
            self.message_delta(event)
        elif cls is MessageStopEvent:
            self.message_stop()
        elif cls is MessageErrorEvent:
            if not self.started:
                self.started = True
                self.w.start(Meta(id="", model=""))
            self.ended = True
            self.w.error(event.error.type, event.error.message, event.error.type)
        elif cls is PingEvent or cls is Done:
            pass
        elif cls is UnknownEvent:
            self.lost.add(f"event:{event.type}", "an event of an unknown type was dropped")

    def block_start(self, event: ContentBlockStartEvent) -> None:
        block = event.content_block
        index = event.index
        if isinstance(block, TextBlock):
            self.open(index, "text")
            self.delta(index, block.text)
            if block.citations:
                self.lost.add("citations", "citations are not converted")
        elif isinstance(block, ThinkingBlock):
            self.open(index, "reasoning")
            self.delta(index, block.thinking)
            if block.signature:
                self.signatures[index] = block.signature
        elif isinstance(block, RedactedThinkingBlock):
            self.open(index, "reasoning")
            self.blocks.pop(index)
            self.w.close(index, encrypted=block.data)
        elif isinstance(block, ToolUseBlock):
            self.open(index, "tool", block.id, block.name)
            if block.input not in (None, {}):
                self.tool_input[index] = block.input
        else:
            self.skipped.add(index)
            self.lost.add(
                f"block:{block_type(block)}", "a content block the target has no counterpart for"
            )

    def block_delta(self, event: ContentBlockDeltaEvent) -> None:
        index = event.index
        d = event.delta
        cls = d.__class__
        if cls is TextDelta or cls is ThinkingDelta:
            self.delta(index, d.text if cls is TextDelta else d.thinking)  # type: ignore[union-attr]
        elif cls is InputJSONDelta:
            self.tool_deltas.add(index)
            self.delta(index, d.partial_json)  # type: ignore[union-attr]
        elif cls is SignatureDelta:
            self.signatures[index] = d.signature  # type: ignore[union-attr]
        elif cls is CitationsDelta:
            self.lost.add("citations", "citations are not converted")
        elif index not in self.skipped:
            kind = getattr(d, "delta_type", None) or getattr(type(d).__struct_config__, "tag", "?")
            self.lost.add(f"delta:{kind}", "a block delta the target has no counterpart for")

    def block_stop(self, index: int) -> None:
        block = self.blocks.get(index)
        if block is None:
            return
        if block[0] == "tool" and index not in self.tool_deltas:
            # A tool whose whole input came in its start block (or none): send it.
            start = self.tool_input.pop(index, None)
            self.delta(index, json_text(start) if start is not None else "{}")
        self.close(index, signature=self.signatures.pop(index, None))

    def message_delta(self, event: MessageDeltaEvent) -> None:
        d = event.delta
        if isinstance(d.stop_reason, str):
            self.stop_reason = d.stop_reason
        if isinstance(d.stop_sequence, str):
            self.stop_sequence = d.stop_sequence
        if d.container:
            self.lost.add("container", "the code execution container is not converted")
        if event.usage is not UNSET:
            self.merge_usage(event.usage)

    def merge_usage(self, delta: Any) -> None:
        """``message_delta`` usage is cumulative: each field sent replaces the value."""
        u = msgspec.structs.replace(self.usage) if self.usage else TokenUsage()
        fresh = _int(delta.input_tokens)
        if fresh is None:
            fresh = u.input - (u.cached or 0) - (u.cache_write or 0)
        read = _int(delta.cache_read_input_tokens)
        written = _int(delta.cache_creation_input_tokens)
        if read is not None:
            u.cached = read
        if written is not None:
            u.cache_write = written
        u.input = fresh + (u.cached or 0) + (u.cache_write or 0)
        u.output = delta.output_tokens
        details = delta.output_tokens_details
        if details:
            u.reasoning = details.thinking_tokens
        self.usage = u

    def message_stop(self) -> None:
        if not self.started:
            return
        self.close_all()
        if self.usage is not None:
            self.w.usage(self.usage)
        reason = self.stop_reason or "end_turn"
        stop = MESSAGES_TO_STOP.get(reason)
        if stop is None:
            self.lost.add(f"stop_reason:{reason}", "an unknown stop reason, sent as end_turn")
            stop = "end_turn"
        self.w.stop(stop, stop_sequence=self.stop_sequence)
        self.ended = True
        self.w.end()

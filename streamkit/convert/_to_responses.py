"""Writer of Responses API events: what an OpenAI server sends for the same content.

``response.created`` and ``response.in_progress`` first, then each output item
as the server streams it (``output_item.added``, its content parts, deltas and
``.done`` events, ``output_item.done``), then ``response.completed`` or
``response.incomplete`` with the whole response (the same ids as in the
events), or ``error`` and ``response.failed``. Sequence numbers are dense from
0. Text and refusals share a message item; reasoning becomes a reasoning item
with one summary part (its signature or encrypted state in
``encrypted_content``); each tool call a ``function_call`` item. A message or
reasoning item is closed when an item of another kind opens; tool calls stay
open until the model stops, so parallel calls may interleave.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from streamkit.convert._common import (
    STOP_TO_RESPONSES,
    UNREPRESENTED,
    BlockKind,
    LostReport,
    Meta,
    TokenUsage,
    Writer,
    derive_id,
    tool_id,
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
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryPartDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseRefusalDeltaEvent,
    ResponseRefusalDoneEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)
from streamkit.models.responses import (
    FunctionToolCall,
    IncompleteDetails,
    InputTokensDetails,
    OutputItem,
    OutputMessage,
    OutputMessageContent,
    OutputText,
    OutputTokensDetails,
    ReasoningItem,
    Refusal,
    Response,
    ResponseError,
    ResponseUsage,
    SummaryText,
)

__all__ = ["ResponsesWriter"]


class _Part:
    """An open text or refusal part of the open message item."""

    __slots__ = ("index", "kind", "pieces")

    def __init__(self, kind: BlockKind, index: int) -> None:
        self.kind = kind
        self.index = index
        self.pieces: list[str] = []


class _Item:
    """An open output item."""

    __slots__ = (
        "call_id",
        "id",
        "index",
        "kind",
        "name",
        "next_part",
        "parts",
        "pieces",
        "summary_open",
    )

    def __init__(self, kind: str, id: str, index: int) -> None:
        self.kind = kind  # "message", "reasoning", "tool"
        self.id = id
        self.index = index
        self.pieces: list[str] = []  # reasoning text or tool arguments
        self.parts: dict[int, OutputMessageContent] = {}  # message: closed parts
        self.next_part = 0
        self.summary_open = False
        self.call_id = ""
        self.name = ""


class ResponsesWriter(Writer):
    """Emits Responses API events (see the module docstring)."""

    def __init__(self, lost: LostReport) -> None:
        self.out: list[Any] = []
        self.lost = lost
        self._seq = 0
        self._id = ""
        self._meta: Meta | None = None
        self._output: dict[int, OutputItem] = {}  # closed items by output_index
        self._next_index = 0
        self._message: _Item | None = None  # the open message item
        self._reasoning: _Item | None = None  # the open reasoning item
        self._blocks: dict[Hashable, _Part | _Item] = {}
        self._tools: dict[Hashable, _Item] = {}
        self._usage: TokenUsage | None = None
        self._stop: str | None = None
        self._ended = False

    # -- helpers ------------------------------------------------------------------------

    def _emit(self, event: Any) -> None:
        event.sequence_number = self._seq
        self._seq += 1
        self.out.append(event)

    def _response(self, status: str, output: list[OutputItem], **fields: Any) -> Response:
        meta = self._meta
        assert meta is not None
        return Response(
            id=self._id,
            object="response",
            created_at=meta.created,
            status=status,
            model=meta.model,
            output=output,
            error=fields.pop("error", None),
            incomplete_details=fields.pop("incomplete_details", None),
            usage=fields.pop("usage", None),
            parallel_tool_calls=True,
            temperature=None,
            top_p=None,
            instructions=None,
            metadata={},
            tools=[],
            tool_choice="auto",
            **fields,
        )

    def _new_item(self, kind: str, prefix: str) -> _Item:
        index = self._next_index
        self._next_index += 1
        return _Item(kind, derive_id(prefix, self._id, index), index)

    # -- blocks -------------------------------------------------------------------------

    def start(self, meta: Meta) -> None:
        self._meta = meta
        self._id = derive_id("resp", meta.id)
        self._emit(ResponseCreatedEvent(response=self._response("in_progress", [])))
        self._emit(ResponseInProgressEvent(response=self._response("in_progress", [])))

    def open(self, key: Hashable, kind: BlockKind, *, call_id: str = "", name: str = "") -> None:
        if kind == "text" or kind == "refusal":
            self._close_reasoning()
            message = self._message
            if message is None:
                message = self._message = self._new_item("message", "msg")
                self._emit(
                    ResponseOutputItemAddedEvent(
                        output_index=message.index,
                        item=OutputMessage(
                            id=message.id, role="assistant", content=[], status="in_progress"
                        ),
                    )
                )
            part = _Part(kind, message.next_part)
            message.next_part += 1
            self._blocks[key] = part
            empty: OutputMessageContent = (
                OutputText(text="", annotations=[], logprobs=[])
                if kind == "text"
                else Refusal(refusal="")
            )
            self._emit(
                ResponseContentPartAddedEvent(
                    item_id=message.id,
                    output_index=message.index,
                    content_index=part.index,
                    part=empty,
                )
            )
        elif kind == "reasoning":
            self._close_message()
            self._close_reasoning()
            item = self._reasoning = self._new_item("reasoning", "rs")
            self._blocks[key] = item
            self._emit(
                ResponseOutputItemAddedEvent(
                    output_index=item.index, item=ReasoningItem(id=item.id, summary=[])
                )
            )
        else:
            self._close_message()
            self._close_reasoning()
            item = self._new_item("tool", "fc")
            item.call_id = (
                tool_id(call_id, "responses")
                if call_id
                else derive_id("call", self._id, item.index)
            )
            item.name = name
            self._blocks[key] = item
            self._tools[key] = item
            self._emit(
                ResponseOutputItemAddedEvent(
                    output_index=item.index,
                    item=FunctionToolCall(
                        id=item.id,
                        call_id=item.call_id,
                        name=name,
                        arguments="",
                        status="in_progress",
                    ),
                )
            )

    def delta(self, key: Hashable, text: str) -> None:
        block = self._blocks.get(key)
        if block is None or not text:
            return
        block.pieces.append(text)
        if isinstance(block, _Part):
            message = self._message
            assert message is not None
            if block.kind == "text":
                self._emit(
                    ResponseTextDeltaEvent(
                        item_id=message.id,
                        output_index=message.index,
                        content_index=block.index,
                        delta=text,
                        logprobs=[],
                    )
                )
            else:
                self._emit(
                    ResponseRefusalDeltaEvent(
                        item_id=message.id,
                        output_index=message.index,
                        content_index=block.index,
                        delta=text,
                    )
                )
        elif block.kind == "reasoning":
            if not block.summary_open:
                block.summary_open = True
                self._emit(
                    ResponseReasoningSummaryPartAddedEvent(
                        item_id=block.id,
                        output_index=block.index,
                        summary_index=0,
                        part=SummaryText(text=""),
                    )
                )
            self._emit(
                ResponseReasoningSummaryTextDeltaEvent(
                    item_id=block.id, output_index=block.index, summary_index=0, delta=text
                )
            )
        else:
            self._emit(
                ResponseFunctionCallArgumentsDeltaEvent(
                    item_id=block.id, output_index=block.index, delta=text
                )
            )

    def close(
        self, key: Hashable, *, signature: str | None = None, encrypted: str | None = None
    ) -> None:
        block = self._blocks.pop(key, None)
        if block is None:
            return
        if isinstance(block, _Part):
            self._close_part(block)
        elif block.kind == "reasoning":
            self._finish_reasoning(block, signature or encrypted)
        else:
            self._tools.pop(key, None)
            self._finish_tool(block)

    def _close_part(self, part: _Part) -> None:
        message = self._message
        assert message is not None
        text = "".join(part.pieces)
        content: OutputMessageContent
        if part.kind == "text":
            self._emit(
                ResponseTextDoneEvent(
                    item_id=message.id,
                    output_index=message.index,
                    content_index=part.index,
                    text=text,
                    logprobs=[],
                )
            )
            content = OutputText(text=text, annotations=[], logprobs=[])
        else:
            self._emit(
                ResponseRefusalDoneEvent(
                    item_id=message.id,
                    output_index=message.index,
                    content_index=part.index,
                    refusal=text,
                )
            )
            content = Refusal(refusal=text)
        self._emit(
            ResponseContentPartDoneEvent(
                item_id=message.id,
                output_index=message.index,
                content_index=part.index,
                part=content,
            )
        )
        message.parts[part.index] = content

    def _close_message(self) -> None:
        message = self._message
        if message is None:
            return
        for key, block in list(self._blocks.items()):
            if isinstance(block, _Part):
                del self._blocks[key]
                self._close_part(block)
        self._message = None
        parts = [message.parts[i] for i in sorted(message.parts)]
        item = OutputMessage(id=message.id, role="assistant", content=parts, status="completed")
        self._output[message.index] = item
        self._emit(ResponseOutputItemDoneEvent(output_index=message.index, item=item))

    def _close_reasoning(self) -> None:
        item = self._reasoning
        if item is None:
            return
        for key, block in list(self._blocks.items()):
            if block is item:
                del self._blocks[key]
        self._finish_reasoning(item, None)

    def _finish_reasoning(self, item: _Item, encrypted: str | None) -> None:
        if self._reasoning is item:
            self._reasoning = None
        summary: list[SummaryText] = []
        if item.summary_open:
            text = "".join(item.pieces)
            self._emit(
                ResponseReasoningSummaryTextDoneEvent(
                    item_id=item.id, output_index=item.index, summary_index=0, text=text
                )
            )
            self._emit(
                ResponseReasoningSummaryPartDoneEvent(
                    item_id=item.id,
                    output_index=item.index,
                    summary_index=0,
                    part=SummaryText(text=text),
                )
            )
            summary.append(SummaryText(text=text))
        done = ReasoningItem(id=item.id, summary=summary)
        if encrypted is not None:
            done.encrypted_content = encrypted
        self._output[item.index] = done
        self._emit(ResponseOutputItemDoneEvent(output_index=item.index, item=done))

    def _finish_tool(self, item: _Item) -> None:
        arguments = "".join(item.pieces)
        self._emit(
            ResponseFunctionCallArgumentsDoneEvent(
                item_id=item.id, output_index=item.index, arguments=arguments
            )
        )
        done = FunctionToolCall(
            id=item.id,
            call_id=item.call_id,
            name=item.name,
            arguments=arguments,
            status="completed",
        )
        self._output[item.index] = done
        self._emit(ResponseOutputItemDoneEvent(output_index=item.index, item=done))

    def _close_all(self) -> None:
        self._close_message()
        self._close_reasoning()
        for key in list(self._tools):
            self.close(key)
        self._blocks.clear()

    # -- the end ------------------------------------------------------------------------

    def usage(self, usage: TokenUsage) -> None:
        self._usage = usage

    def stop(self, reason: str, *, stop_sequence: str | None = None) -> None:
        self._close_all()
        if reason in UNREPRESENTED["responses"]:
            self.lost.add(f"stop_reason:{reason}", "Responses has no such status: mapped")
        self._stop = reason

    def error(self, code: str | None, message: str, type: str | None = None) -> None:
        if self._ended:
            return
        self._ended = True
        if self._meta is None:
            self.start(Meta(id="", model=""))
        self._emit(ResponseErrorEvent(code=code or type, message=message, param=None))
        # Items cut by the error are in the failed response as they were.
        items = {**self._output, **self._open_items()}
        output = [items[i] for i in sorted(items)]
        error = ResponseError(code=code or type or "server_error", message=message)
        self._emit(
            ResponseFailedEvent(
                response=self._response("failed", output, error=error, usage=self._usage_of())
            )
        )

    def _open_items(self) -> dict[int, OutputItem]:
        items: dict[int, OutputItem] = {}
        message = self._message
        if message is not None:
            parts = dict(message.parts)
            for block in self._blocks.values():
                if isinstance(block, _Part):
                    text = "".join(block.pieces)
                    parts[block.index] = (
                        OutputText(text=text, annotations=[], logprobs=[])
                        if block.kind == "text"
                        else Refusal(refusal=text)
                    )
            items[message.index] = OutputMessage(
                id=message.id,
                role="assistant",
                content=[parts[i] for i in sorted(parts)],
                status="in_progress",
            )
        for block in self._blocks.values():
            if isinstance(block, _Part):
                continue
            if block.kind == "reasoning":
                summary = [SummaryText(text="".join(block.pieces))] if block.summary_open else []
                items[block.index] = ReasoningItem(id=block.id, summary=summary)
            else:
                items[block.index] = FunctionToolCall(
                    id=block.id,
                    call_id=block.call_id,
                    name=block.name,
                    arguments="".join(block.pieces),
                    status="in_progress",
                )
        return items

    def end(self) -> None:
        if self._ended or self._meta is None:
            return
        self._ended = True
        self._close_all()
        status, reason = STOP_TO_RESPONSES.get(self._stop or "end_turn", ("completed", None))
        output = [self._output[i] for i in sorted(self._output)]
        usage = self._usage_of()
        if status == "completed":
            self._emit(
                ResponseCompletedEvent(
                    response=self._response("completed", output, usage=usage, completed_at=None)
                )
            )
        else:
            details = IncompleteDetails(reason=reason) if reason else IncompleteDetails()
            self._emit(
                ResponseIncompleteEvent(
                    response=self._response(
                        "incomplete", output, usage=usage, incomplete_details=details
                    )
                )
            )

    def _usage_of(self) -> ResponseUsage | None:
        u = self._usage
        if u is None:
            return None
        details = InputTokensDetails(cached_tokens=u.cached or 0)
        if u.cache_write is not None:
            details.cache_write_tokens = u.cache_write
        return ResponseUsage(
            input_tokens=u.input,
            input_tokens_details=details,
            output_tokens=u.output,
            output_tokens_details=OutputTokensDetails(reasoning_tokens=u.reasoning or 0),
            total_tokens=u.input + u.output,
        )

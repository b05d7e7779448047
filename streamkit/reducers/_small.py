"""Small reducers for the questions asked most: the text, the tool calls, the
usage and the timing of a stream. Each works on Responses, Chat Completions,
Completions and Anthropic Messages events alike, and is much cheaper than
folding the whole object."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import msgspec

from streamkit.events.chat import ChatCompletionChunk
from streamkit.events.completions import CompletionChunk
from streamkit.events.messages import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    InputJSONDelta,
    MessageDeltaEvent,
    MessageStartEvent,
    TextDelta,
    ThinkingDelta,
)
from streamkit.events.responses import (
    ResponseCompletedEvent,
    ResponseCustomToolCallInputDeltaEvent,
    ResponseCustomToolCallInputDoneEvent,
    ResponseFailedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseIncompleteEvent,
    ResponseMCPCallArgumentsDeltaEvent,
    ResponseMCPCallArgumentsDoneEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseRefusalDeltaEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)
from streamkit.models.chat import CompletionUsage
from streamkit.models.messages import TOOL_INPUT_BLOCKS, TextBlock, block_type
from streamkit.models.messages import Usage as MessageUsage
from streamkit.models.responses import CustomToolCall, FunctionToolCall, MCPToolCall, ResponseUsage
from streamkit.reducers._arguments import parse_arguments
from streamkit.reducers._base import Reducer
from streamkit.reducers._finished import ToolCallDone
from streamkit.reducers._partial_json import PartialJSON
from streamkit.reducers.messages import merge_usage

__all__ = [
    "TextReducer",
    "ToolCallProgress",
    "ToolCallsReducer",
    "UsageReducer",
    "TimingReducer",
    "TimingStats",
]

_UNSET = msgspec.UNSET
_NO_INPUT = object()
_join = "".join
# Position keys of ToolCallsReducer: (API, index, tool).
_RESPONSES, _CHAT, _MESSAGES = 0, 1, 2


class TextReducer(Reducer[Any, str]):
    """The output text: Responses ``output_text`` parts in order (a ``.done``
    event's full text wins over its deltas), one Chat / Completions choice's
    content (``choice``, default 0), or the Messages text blocks in index
    order (thinking is not output text)."""

    __slots__ = ("_cache", "_choice", "_parts")

    def __init__(self, *, choice: int = 0) -> None:
        self._choice = choice
        # (output_index, content_index) -> pieces; dicts keep first-seen order.
        self._parts: dict[tuple[int, int], list[str]] = {}
        self._cache: str | None = None

    def step(self, event: Any) -> None:
        cls = event.__class__
        if cls is ResponseTextDeltaEvent:
            key = (event.output_index, event.content_index)
            pieces = self._parts.get(key)
            if pieces is None:
                self._parts[key] = [event.delta]
            else:
                pieces.append(event.delta)
        elif cls is ResponseTextDoneEvent:
            self._parts[(event.output_index, event.content_index)] = [event.text]
        elif cls is ContentBlockDeltaEvent:
            delta = event.delta
            if delta.__class__ is not TextDelta:
                return
            pieces = self._parts.get((event.index, 0))
            if pieces is None:
                self._parts[(event.index, 0)] = [delta.text]
            else:
                pieces.append(delta.text)
        elif cls is ContentBlockStartEvent:
            block = event.content_block
            if block.__class__ is not TextBlock:
                return
            # A text block's start is empty on the wire; keep its place in the order.
            self._parts.setdefault((event.index, 0), [block.text] if block.text else [])
        elif cls is ChatCompletionChunk or cls is CompletionChunk:
            for choice in event.choices:
                if choice.index != self._choice:
                    continue
                text = choice.text if cls is CompletionChunk else _delta_content(choice)
                if text:
                    self._parts.setdefault((choice.index, 0), []).append(text)
        else:
            return
        self._cache = None

    def result(self) -> str:
        if self._cache is None:
            self._cache = "".join("".join(p) for p in self._parts.values())
        return self._cache


def _delta_content(choice: Any) -> str | None:
    delta = choice.delta
    if delta is _UNSET or delta is None:
        return None
    content = delta.content
    return content if isinstance(content, str) else None


class _Call:
    __slots__ = ("call_id", "done", "empty", "kind", "name", "partial", "pieces", "position")

    def __init__(self, position: tuple[int, int, int], kind: str, partial: bool) -> None:
        self.position = position
        self.kind = kind
        self.name = ""
        self.call_id: str | None = None
        self.pieces: list[str] = []
        self.done = False
        self.partial = PartialJSON() if partial else None
        # A Messages tool block's start ``input``: its value when no JSON streams.
        self.empty: Any = _NO_INPUT

    def add(self, piece: str) -> None:
        self.pieces.append(piece)
        if self.partial is not None:
            self.partial.feed(piece)

    def arguments(self) -> str:
        """The argument text so far. The pieces are joined and replaced by
        the result, so reading after every delta joins each piece once; and
        the text read before is extended rather than copied when nothing else
        holds it (CPython resizes such a string in place), so reading after
        every delta stays linear unless the caller keeps every result."""
        pieces = self.pieces
        if len(pieces) < 2:
            return pieces[0] if pieces else ""
        text = pieces[0]
        del pieces[0]  # let go of it: ``text`` is then its only holder
        text += _join(pieces)
        pieces.clear()
        pieces.append(text)
        return text

    def replace(self, arguments: str) -> None:
        self.pieces = [arguments]
        if self.partial is not None:
            self.partial = PartialJSON()
            self.partial.feed(arguments)


class ToolCallProgress(msgspec.Struct, kw_only=True, frozen=True):
    """A tool call still streaming: its arguments so far, parsed best-effort.

    ``partial`` is ``PartialJSON.value()`` of the argument text so far (a
    read-only view, valid until the next event); it is never reported as
    complete here: completed calls are in ``ToolCallsReducer.result()``.
    """

    name: str
    arguments: str
    partial: Any = None
    call_id: str | None = None
    kind: str = "function"
    output_index: int | None = None
    choice_index: int | None = None
    tool_index: int | None = None


_CALL_ITEMS: dict[type, tuple[str, str]] = {
    FunctionToolCall: ("function", "arguments"),
    CustomToolCall: ("custom_tool_call", "input"),
    MCPToolCall: ("mcp_call", "arguments"),
}
_ARG_DELTAS = (
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseCustomToolCallInputDeltaEvent,
    ResponseMCPCallArgumentsDeltaEvent,
)
_ARG_DONES: dict[type, str] = {
    ResponseFunctionCallArgumentsDoneEvent: "arguments",
    ResponseCustomToolCallInputDoneEvent: "input",
    ResponseMCPCallArgumentsDoneEvent: "arguments",
}


class ToolCallsReducer(Reducer[Any, list[ToolCallDone]]):
    """The completed tool calls, with their JSON arguments parsed.

    A call counts as completed on its done signal: the arguments ``.done`` event
    or ``output_item.done`` (Responses), the choice's ``finish_reason`` (Chat),
    ``content_block_stop`` (Messages). Calls still streaming are not reported.
    Custom tool input is free text, so ``parsed`` stays None for it. Invalid
    JSON arguments are kept with ``parse_error`` set, never raised.

    Messages: every tool use block counts (``tool_use``, and the
    ``server_tool_use`` / ``mcp_tool_use`` blocks the server runs itself;
    ``kind`` is the block type, ``tool_index`` the block index); ``arguments``
    is the ``input_json_delta`` text, and a block that streamed none (or only
    empty pieces) is parsed as the input its start carried, ``{}``.
    """

    __slots__ = ("_by_output", "_calls", "_partial")

    def __init__(self, *, partial: bool = False) -> None:
        self._calls: dict[tuple[int, int, int], _Call] = {}
        self._by_output: dict[int, _Call] = {}
        # Incremental parsing costs a little per delta, so it is opt-in.
        self._partial = partial

    def step(self, event: Any) -> None:
        cls = event.__class__
        if cls in _ARG_DELTAS:
            call = self._by_output.get(event.output_index)
            if call is None:
                call = self._open(
                    (_RESPONSES, event.output_index, 0), "function", event.output_index
                )
            call.add(event.delta)
        elif cls in _ARG_DONES:
            call = self._by_output.get(event.output_index)
            if call is None:
                call = self._open(
                    (_RESPONSES, event.output_index, 0), "function", event.output_index
                )
            call.replace(getattr(event, _ARG_DONES[cls]))
            if isinstance(event, ResponseFunctionCallArgumentsDoneEvent) and event.name:
                call.name = str(event.name)
            call.done = True
        elif cls is ResponseOutputItemAddedEvent or cls is ResponseOutputItemDoneEvent:
            item = event.item
            spec = _CALL_ITEMS.get(item.__class__)
            if spec is None:
                return
            call = self._by_output.get(event.output_index)
            if call is None:
                call = self._open((_RESPONSES, event.output_index, 0), spec[0], event.output_index)
            call.kind = spec[0]
            call.name = item.name
            call.call_id = getattr(item, "call_id", None) or getattr(item, "id", None)
            if cls is ResponseOutputItemDoneEvent:
                value = getattr(item, spec[1])
                call.replace(value if isinstance(value, str) else "")
                call.done = True
        elif cls is ChatCompletionChunk:
            for choice in event.choices:
                delta = choice.delta
                if delta is not _UNSET and delta is not None:
                    self._chat_delta(choice.index, delta)
                if choice.finish_reason:
                    for (api, index, _), call in self._calls.items():
                        if api == _CHAT and index == choice.index:
                            call.done = True
        elif cls is ContentBlockDeltaEvent:
            delta = event.delta
            if delta.__class__ is InputJSONDelta:
                call = self._calls.get((_MESSAGES, 0, event.index))
                if call is not None and not call.done:
                    call.add(delta.partial_json)
        elif cls is ContentBlockStartEvent:
            block = event.content_block
            if isinstance(block, TOOL_INPUT_BLOCKS):
                key = (_MESSAGES, 0, event.index)
                if key not in self._calls:
                    call = self._open(key, block_type(event.content_block), None)
                    call.name = block.name  # type: ignore[attr-defined]
                    call.call_id = block.id  # type: ignore[attr-defined]
                    call.empty = block.input  # type: ignore[attr-defined]
        elif cls is ContentBlockStopEvent:
            call = self._calls.get((_MESSAGES, 0, event.index))
            if call is not None:
                call.done = True

    def _open(self, position: tuple[int, int, int], kind: str, output: int | None) -> _Call:
        call = _Call(position, kind, self._partial)
        self._calls[position] = call
        if output is not None:
            self._by_output[output] = call
        return call

    def _chat_delta(self, choice: int, delta: Any) -> None:
        tool_calls = delta.tool_calls
        if tool_calls is not _UNSET and tool_calls:
            for tool in tool_calls:
                position = tool.index
                if position is _UNSET:
                    position = self._chat_tool_index(choice, tool.id)
                key = (_CHAT, choice, position)
                call = self._calls.get(key) or self._open(key, "function", None)
                if tool.id and call.call_id is None:
                    call.call_id = tool.id
                function = tool.function
                if function is not _UNSET and function is not None:
                    if function.name and not call.name:
                        call.name = function.name
                    if function.arguments:
                        call.add(function.arguments)
        legacy = delta.function_call
        if legacy is not _UNSET and legacy is not None:
            key = (_CHAT, choice, -1)
            call = self._calls.get(key) or self._open(key, "function_call", None)
            if legacy.name and not call.name:
                call.name = legacy.name
            if legacy.arguments:
                call.add(legacy.arguments)

    def _chat_tool_index(self, choice: int, call_id: str | Any | None) -> int:
        # Servers that omit the required ``index`` send one whole call per
        # fragment: its ``id`` names the call (a new id, a new call); a
        # fragment without either continues the last call.
        last = -1
        for (api, ch, tool), call in self._calls.items():
            if api == _CHAT and ch == choice and tool >= 0:
                if call_id and call.call_id == call_id:
                    return tool
                last = max(last, tool)
        return last + 1 if call_id or last < 0 else last

    def in_progress(self) -> list[ToolCallProgress]:
        """Calls whose arguments are still streaming (needs ``partial=True`` for
        ``partial`` to be filled). Each piece is joined once and ``partial`` is
        parsed incrementally, so the parsing work stays linear; each read still
        returns the whole argument string (and builds the partial value), so
        reading after every delta costs the length of what is read."""
        out = []
        for (api, index, tool), call in sorted(self._calls.items()):
            if call.done:
                continue
            partial = None
            arguments = call.arguments()
            if call.partial is not None:
                streamed = bool(arguments) or call.empty is _NO_INPUT
                partial = call.partial.value() if streamed else call.empty
            out.append(
                ToolCallProgress(
                    name=call.name,
                    arguments=arguments,
                    partial=partial,
                    call_id=call.call_id,
                    kind=call.kind,
                    output_index=index if api == _RESPONSES else None,
                    choice_index=index if api == _CHAT else None,
                    tool_index=tool if api != _RESPONSES and tool >= 0 else None,
                )
            )
        return out

    def result(self) -> list[ToolCallDone]:
        out = []
        for (api, index, tool), call in sorted(self._calls.items()):
            if not call.done:
                continue
            arguments = call.arguments()
            if call.kind == "custom_tool_call":
                parsed, error = None, None
            elif not arguments and call.empty is not _NO_INPUT:
                parsed, error = call.empty, None  # no input streamed: the start's stands
            else:
                parsed, error = parse_arguments(arguments)
            out.append(
                ToolCallDone(
                    name=call.name,
                    arguments=arguments,
                    parsed=parsed,
                    parse_error=error,
                    call_id=call.call_id,
                    kind=call.kind,
                    output_index=index if api == _RESPONSES else None,
                    choice_index=index if api == _CHAT else None,
                    tool_index=tool if api != _RESPONSES and tool >= 0 else None,
                )
            )
        return out


class UsageReducer(Reducer[Any, "ResponseUsage | CompletionUsage | MessageUsage | None"]):
    """The token usage the server reported (None if it reported none): from
    ``response.completed`` / ``incomplete`` / ``failed``, from whichever Chat
    or Completions chunk carries ``usage`` (a later chunk without it does not
    erase it), or for Messages the ``message_start`` usage merged with each
    ``message_delta`` usage (cumulative totals: each field sent replaces the
    value so far, never added up; cache fields included)."""

    __slots__ = ("_usage",)

    def __init__(self) -> None:
        self._usage: ResponseUsage | CompletionUsage | MessageUsage | None = None

    def step(self, event: Any) -> None:
        cls = event.__class__
        if cls is ChatCompletionChunk or cls is CompletionChunk:
            usage = event.usage
        elif cls in (ResponseCompletedEvent, ResponseIncompleteEvent, ResponseFailedEvent):
            usage = event.response.usage
        elif cls is MessageStartEvent:
            # A copy: a later delta updates it, and the event must not change.
            self._usage = msgspec.structs.replace(event.message.usage)
            return
        elif cls is MessageDeltaEvent:
            delta = event.usage
            if delta is _UNSET:
                return
            # Copy on write: a usage returned by ``result()`` never changes.
            current = self._usage
            merged = (
                msgspec.structs.replace(current)
                if isinstance(current, MessageUsage)
                else MessageUsage(input_tokens=0, output_tokens=0)
            )
            merge_usage(merged, delta)
            self._usage = merged
            return
        else:
            return
        if usage is not None and usage is not _UNSET:
            self._usage = usage

    def result(self) -> ResponseUsage | CompletionUsage | MessageUsage | None:
        return self._usage


class TimingStats(msgspec.Struct, kw_only=True, frozen=True):
    """Timing of a stream, in seconds of the reducer's clock.

    ``time_to_first_token`` counts the first delta of text, refusal, reasoning
    (Messages: thinking) or tool arguments. ``gaps`` summarise the time between successive token
    deltas. ``tokens_per_second`` uses the server's output token count when it
    reported usage, else the number of token deltas, over the time from the
    first to the last token delta.
    """

    time_to_first_event: float | None
    time_to_first_token: float | None
    duration: float | None
    events: int
    token_deltas: int
    gap_mean: float | None
    gap_p50: float | None
    gap_p95: float | None
    gap_max: float | None
    output_tokens: int | None
    tokens_per_second: float | None


# Messages deltas that carry tokens (signatures and citations do not).
_TOKEN_DELTAS = (TextDelta, InputJSONDelta, ThinkingDelta)
_TOKEN_EVENTS = (
    ResponseTextDeltaEvent,
    ResponseRefusalDeltaEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    *_ARG_DELTAS,
)


class TimingReducer(Reducer[Any, TimingStats]):
    """Time to first event and first token, gaps between tokens, tokens/s.

    Args:
        clock: a monotonic clock in seconds (injectable for tests).
        start: when the request was sent; defaults to the reducer's creation.
    """

    __slots__ = (
        "_clock",
        "_events",
        "_first_event",
        "_first_token",
        "_gaps",
        "_last",
        "_last_token",
        "_start",
        "_usage",
    )

    def __init__(
        self, *, clock: Callable[[], float] = time.perf_counter, start: float | None = None
    ) -> None:
        self._clock = clock
        self._start = clock() if start is None else start
        self._events = 0
        self._first_event: float | None = None
        self._first_token: float | None = None
        self._last_token: float | None = None
        self._last: float | None = None
        self._gaps: list[float] = []
        self._usage = UsageReducer()

    def step(self, event: Any) -> None:
        now = self._clock()
        self._events += 1
        self._last = now
        if self._first_event is None:
            self._first_event = now
        self._usage.step(event)
        if not _is_token(event):
            return
        if self._last_token is None:
            self._first_token = now
        else:
            self._gaps.append(now - self._last_token)
        self._last_token = now

    def result(self) -> TimingStats:
        gaps = sorted(self._gaps)
        usage = self._usage.result()
        output_tokens: int | None = None
        if isinstance(usage, ResponseUsage | MessageUsage):
            output_tokens = usage.output_tokens
        elif isinstance(usage, CompletionUsage):
            output_tokens = usage.completion_tokens
        deltas = len(self._gaps) + (self._first_token is not None)
        rate = None
        if self._first_token is not None and self._last_token is not None:
            span = self._last_token - self._first_token
            if span > 0:
                try:
                    rate = (output_tokens if output_tokens is not None else deltas) / span
                except OverflowError:  # a token count no float can hold: no rate
                    rate = None
        return TimingStats(
            time_to_first_event=_since(self._first_event, self._start),
            time_to_first_token=_since(self._first_token, self._start),
            duration=_since(self._last, self._start),
            events=self._events,
            token_deltas=deltas,
            gap_mean=sum(gaps) / len(gaps) if gaps else None,
            gap_p50=gaps[len(gaps) // 2] if gaps else None,
            gap_p95=gaps[min(len(gaps) - 1, int(len(gaps) * 0.95))] if gaps else None,
            gap_max=gaps[-1] if gaps else None,
            output_tokens=output_tokens,
            tokens_per_second=rate,
        )


def _since(t: float | None, start: float) -> float | None:
    return None if t is None else t - start


def _is_token(event: Any) -> bool:
    if isinstance(event, _TOKEN_EVENTS):
        return True
    if isinstance(event, ContentBlockDeltaEvent):
        return isinstance(event.delta, _TOKEN_DELTAS)
    if isinstance(event, ChatCompletionChunk):
        for choice in event.choices:
            delta = choice.delta
            if delta is _UNSET or delta is None:
                continue
            if delta.content or delta.refusal or delta.tool_calls or delta.function_call:
                return True
        return False
    if isinstance(event, CompletionChunk):
        return any(choice.text for choice in event.choices)
    return False

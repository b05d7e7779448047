"""Responses API, Chat Completions and Anthropic Messages streams, built from
streamkit's event Structs and written by ``streamkit.encode_events``.

The events come in the order the API's server sends them, with the ids, the
timestamps, the dense ``sequence_number``s, the ``obfuscation`` padding and the
usage it reports, so a generated stream exercises what a recorded one does. The
final objects the server would send (``output_item.done``, the ``.done`` events,
``response.completed``) are exactly what the deltas build.
"""

from __future__ import annotations

import base64
import math
import random
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

from msgspec import UNSET

from streamkit.events._common import Done
from streamkit.events._encoder import encode_events
from streamkit.events.chat import (
    ChatCompletionChunk,
    ChoiceDelta,
    ChoiceDeltaToolCall,
    ChoiceDeltaToolCallFunction,
    ChunkChoice,
)
from streamkit.events.messages import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    InputJSONDelta,
    MessageDeltaBody,
    MessageDeltaEvent,
    MessageDeltaUsage,
    MessageStartEvent,
    MessageStopEvent,
    MessageStreamEvent,
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
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseInProgressEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryPartDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseRefusalDeltaEvent,
    ResponseRefusalDoneEvent,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)
from streamkit.models.chat import CompletionTokensDetails, CompletionUsage, PromptTokensDetails
from streamkit.models.messages import (
    CacheCreation,
    Message,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)
from streamkit.models.messages import Usage as MessageUsage
from streamkit.models.responses import (
    FunctionToolCall,
    InputTokensDetails,
    OutputItem,
    OutputMessage,
    OutputText,
    OutputTokensDetails,
    ReasoningItem,
    Refusal,
    Response,
    ResponseUsage,
    SummaryText,
)
from streamkit.testing import _text

__all__ = [
    "DEMO_STREAMS",
    "ChatEvent",
    "chat_events",
    "chat_stream",
    "demo_stream",
    "messages_events",
    "messages_stream",
    "responses_events",
    "responses_stream",
]

#: A Chat Completions stream's events: its chunks, then ``[DONE]``.
ChatEvent = ChatCompletionChunk | Done

# Creation times fall between 2025-02-19 and 2026-01-25.
_EPOCH = 1_740_000_000
_SPAN = 29_000_000
_B62 = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"


def _draw(rng: random.Random, alphabet: str, k: int) -> str:
    return "".join(rng.choices(alphabet, k=k))


def _padding(rng: random.Random, delta: str) -> str:
    """The ``obfuscation`` of a delta event: random characters that bring short
    deltas to 16, so the event's size does not tell the delta's."""
    return _draw(rng, _B62, max(0, 16 - len(delta)))


class _Clock:
    """Server time while a stream is generated: a first-token latency, then a
    steady token rate. Ids and ``completed_at`` read it."""

    def __init__(self, rng: random.Random, created_at: int) -> None:
        self.created_at = created_at
        self._rate = rng.uniform(45.0, 90.0)  # tokens per second
        self._elapsed = rng.uniform(0.3, 1.2)  # time to the first token

    def advance(self, tokens: int) -> None:
        """Let ``tokens`` tokens' worth of time pass."""
        self._elapsed += tokens / self._rate

    def now(self) -> int:
        """The current Unix time, in whole seconds."""
        return self.created_at + math.ceil(self._elapsed)


class _ResponseIds:
    """Ids shaped like the Responses API's: a prefix, 16 hex digits shared by a
    response and its items, the creation time in hex, 24 random hex digits."""

    def __init__(self, rng: random.Random, clock: _Clock) -> None:
        self._rng = rng
        self._clock = clock
        self._shared = _draw(rng, _HEX, 16)

    def __call__(self, prefix: str) -> str:
        return f"{prefix}_{self._shared}00{self._clock.now():08x}{_draw(self._rng, _HEX, 24)}"


def _call_id(rng: random.Random) -> str:
    return "call_" + _draw(rng, _B62, 24)


def _prompt_tokens(rng: random.Random, tools: int) -> tuple[int, int]:
    """Input tokens and how many of them were cached: prompts of 1,024 tokens
    or more are cached in steps of 128 (unless the cache missed)."""
    total = rng.randint(24, 2600) + 90 * tools
    if total < 1024 or rng.random() < 0.25:
        return total, 0
    return total, 1024 + 128 * rng.randint(0, (total - 1024) // 128)


def _check_counts(text_words: int, tool_calls: int, refusal: bool) -> None:
    if text_words < 0:
        raise ValueError(f"text_words must be >= 0, not {text_words}")
    if tool_calls < 0:
        raise ValueError(f"tool_calls must be >= 0, not {tool_calls}")
    if refusal and tool_calls:
        raise ValueError("a refusal has no tool calls")


def _message_text(
    rng: random.Random,
    who: _text.Cast,
    calls: list[_text.ToolCall],
    text_words: int,
    preamble: bool,
) -> str:
    """The assistant's text: the preamble announcing the calls, then the story."""
    pieces = []
    if preamble and calls:
        pieces.append(_text.preamble(calls))
    if text_words:
        pieces.append(_text.story(rng, who, text_words))
    return "\n\n".join(pieces)


# --------------------------------------------------------------------------- #
# Responses API
# --------------------------------------------------------------------------- #


class _ResponsesWriter:
    """Numbers the events of one Responses stream as they are made."""

    def __init__(self) -> None:
        self.events: list[ResponseStreamEvent] = []

    def __call__(self, cls: Callable[..., ResponseStreamEvent], **fields: Any) -> None:
        self.events.append(cls(**fields, sequence_number=len(self.events)))


def responses_events(
    *,
    seed: int = 0,
    text_words: int = 120,
    tool_calls: int = 0,
    reasoning: bool = False,
    refusal: bool = False,
    preamble: bool = False,
    model: str | None = None,
) -> list[ResponseStreamEvent]:
    """The typed events of a generated Responses API stream (see
    ``responses_stream``, which encodes them)."""
    _check_counts(text_words, tool_calls, refusal)
    rng = random.Random(seed)
    if model is None:
        model = "o4-mini-2025-04-16" if reasoning else "gpt-4.1-2025-04-14"
    who = _text.cast(rng)
    calls = _text.tool_calls(rng, tool_calls)
    clock = _Clock(rng, _EPOCH + rng.randrange(_SPAN))
    new_id = _ResponseIds(rng, clock)
    input_tokens, cached_tokens = _prompt_tokens(rng, len({call.name for call in calls}))

    def response(status: str, **fields: Any) -> Response:
        # Every snapshot gets its own lists and dicts: the events share nothing mutable.
        return Response(
            id=response_id,
            object="response",
            created_at=clock.created_at,
            status=status,
            background=False,
            error=None,
            incomplete_details=None,
            instructions=None,
            max_output_tokens=None,
            max_tool_calls=None,
            model=model,
            parallel_tool_calls=True,
            previous_response_id=None,
            prompt_cache_key=None,
            prompt_cache_retention=None,
            reasoning=(
                {"effort": "medium", "summary": "auto"}
                if reasoning
                else {"effort": None, "summary": None}
            ),
            safety_identifier=None,
            store=True,
            temperature=1.0,
            text={"format": {"type": "text"}, "verbosity": "medium"},
            tool_choice="auto",
            tools=_text.tool_definitions(calls),
            top_logprobs=0,
            top_p=1.0,
            truncation="disabled",
            user=None,
            metadata={},
            frequency_penalty=0.0,
            presence_penalty=0.0,
            **fields,
        )

    response_id = new_id("resp")
    emit = _ResponsesWriter()
    emit(
        ResponseCreatedEvent,
        response=response(
            "in_progress", output=[], completed_at=None, usage=None, service_tier="auto"
        ),
    )
    emit(
        ResponseInProgressEvent,
        response=response(
            "in_progress", output=[], completed_at=None, usage=None, service_tier="auto"
        ),
    )
    output: list[OutputItem] = []
    visible = 0  # output tokens the user sees
    reasoning_tokens = 0

    if reasoning:
        summary = _text.reasoning_summary(rng, who, calls)
        summary_deltas = [_text.tokens(rng, part) for part in summary]
        # The model thinks (several times more tokens than its summary) before
        # the summary streams.
        shown = sum(len(deltas) for deltas in summary_deltas)
        reasoning_tokens = 64 * math.ceil(shown * rng.uniform(2.0, 4.0) / 64)
        clock.advance(reasoning_tokens)
        item_id, index = new_id("rs"), len(output)
        emit(
            ResponseOutputItemAddedEvent,
            output_index=index,
            item=ReasoningItem(id=item_id, summary=[]),
        )
        parts = []
        for summary_index, (text, deltas) in enumerate(zip(summary, summary_deltas, strict=True)):
            where = {"item_id": item_id, "output_index": index, "summary_index": summary_index}
            emit(ResponseReasoningSummaryPartAddedEvent, **where, part=SummaryText(text=""))
            for delta in deltas:
                emit(
                    ResponseReasoningSummaryTextDeltaEvent,
                    **where,
                    delta=delta,
                    obfuscation=_padding(rng, delta),
                )
            emit(ResponseReasoningSummaryTextDoneEvent, **where, text=text)
            emit(ResponseReasoningSummaryPartDoneEvent, **where, part=SummaryText(text=text))
            parts.append(SummaryText(text=text))
        item = ReasoningItem(id=item_id, summary=parts)
        emit(ResponseOutputItemDoneEvent, output_index=index, item=item)
        output.append(item)

    text = _text.refusal(rng) if refusal else _message_text(rng, who, calls, text_words, preamble)
    if text:
        deltas = _text.tokens(rng, text)
        item_id, index = new_id("msg"), len(output)
        where = {"item_id": item_id, "output_index": index, "content_index": 0}
        message = OutputMessage(id=item_id, role="assistant", content=[], status="in_progress")
        emit(ResponseOutputItemAddedEvent, output_index=index, item=message)
        part: OutputText | Refusal
        if refusal:
            emit(ResponseContentPartAddedEvent, **where, part=Refusal(refusal=""))
            for delta in deltas:
                emit(
                    ResponseRefusalDeltaEvent,
                    **where,
                    delta=delta,
                    obfuscation=_padding(rng, delta),
                )
            emit(ResponseRefusalDoneEvent, **where, refusal=text)
            part = Refusal(refusal=text)
        else:
            empty = OutputText(text="", annotations=[], logprobs=[])
            emit(ResponseContentPartAddedEvent, **where, part=empty)
            for delta in deltas:
                emit(
                    ResponseTextDeltaEvent,
                    **where,
                    delta=delta,
                    logprobs=[],
                    obfuscation=_padding(rng, delta),
                )
            emit(ResponseTextDoneEvent, **where, text=text, logprobs=[])
            part = OutputText(text=text, annotations=[], logprobs=[])
        emit(ResponseContentPartDoneEvent, **where, part=part)
        message = OutputMessage(id=item_id, role="assistant", content=[part], status="completed")
        emit(ResponseOutputItemDoneEvent, output_index=index, item=message)
        output.append(message)
        visible += len(deltas)
        clock.advance(len(deltas))

    for call in calls:
        arguments = _text.arguments_json(call, spaced=False)
        pieces = _text.split_arguments(rng, arguments)
        item_id, index = new_id("fc"), len(output)
        call_id = _call_id(rng)
        started = FunctionToolCall(
            id=item_id, call_id=call_id, name=call.name, arguments="", status="in_progress"
        )
        emit(ResponseOutputItemAddedEvent, output_index=index, item=started)
        for piece in pieces:
            emit(
                ResponseFunctionCallArgumentsDeltaEvent,
                item_id=item_id,
                output_index=index,
                delta=piece,
                obfuscation=_padding(rng, piece),
            )
        emit(
            ResponseFunctionCallArgumentsDoneEvent,
            item_id=item_id,
            output_index=index,
            arguments=arguments,
        )
        done = FunctionToolCall(
            id=item_id, call_id=call_id, name=call.name, arguments=arguments, status="completed"
        )
        emit(ResponseOutputItemDoneEvent, output_index=index, item=done)
        output.append(done)
        visible += len(pieces) + 4  # the name and the call's framing are tokens too
        clock.advance(len(pieces) + 4)

    output_tokens = visible + reasoning_tokens
    usage = ResponseUsage(
        input_tokens=input_tokens,
        input_tokens_details=InputTokensDetails(cached_tokens=cached_tokens),
        output_tokens=output_tokens,
        output_tokens_details=OutputTokensDetails(reasoning_tokens=reasoning_tokens),
        total_tokens=input_tokens + output_tokens,
    )
    final = response(
        "completed", output=output, completed_at=clock.now(), usage=usage, service_tier="default"
    )
    emit(ResponseCompletedEvent, response=final)
    return emit.events


def responses_stream(
    *,
    seed: int = 0,
    text_words: int = 120,
    tool_calls: int = 0,
    reasoning: bool = False,
    refusal: bool = False,
    preamble: bool = False,
    model: str | None = None,
) -> bytes:
    """A Responses API stream (``POST /v1/responses`` with ``"stream": true``),
    as the bytes of its ``text/event-stream`` body.

    Events, in a server's order: ``response.created``, ``response.in_progress``;
    then each output item: ``output_item.added``, its parts (``content_part`` /
    ``reasoning_summary_part`` ``.added``), deltas, ``.done`` events and
    ``output_item.done``; then ``response.completed`` carrying the final
    response, which equals what the deltas build. ``sequence_number``s run from
    0 without a gap.

    Args:
        seed: picks the story, ids, timestamps, token cuts and usage; the same
            arguments always give the same bytes.
        text_words: about how many words of story the assistant message tells
            (0: none). Deltas are token-sized pieces of it.
        tool_calls: how many parallel function calls follow the message, their
            JSON arguments streamed in pieces.
        reasoning: start with a reasoning item whose summary streams (and count
            reasoning tokens in the usage).
        refusal: the message is a refusal instead (no story, no tool calls).
        preamble: with tool calls, the message first announces them in a
            sentence.
        model: the model name the response reports (default: a dated GPT-4.1,
            or an o-series model with ``reasoning``).

    The usage has input, cached, output, reasoning and total tokens.
    """
    return b"".join(
        encode_events(
            responses_events(
                seed=seed,
                text_words=text_words,
                tool_calls=tool_calls,
                reasoning=reasoning,
                refusal=refusal,
                preamble=preamble,
                model=model,
            ),
            api="responses",
        )
    )


# --------------------------------------------------------------------------- #
# Chat Completions
# --------------------------------------------------------------------------- #


def chat_events(
    *,
    seed: int = 0,
    text_words: int = 120,
    tool_calls: int = 0,
    refusal: bool = False,
    preamble: bool = False,
    usage: bool = True,
    model: str | None = None,
) -> list[ChatEvent]:
    """The typed events of a generated Chat Completions stream (see
    ``chat_stream``, which encodes them)."""
    _check_counts(text_words, tool_calls, refusal)
    rng = random.Random(seed)
    model = model or "gpt-4o-2024-08-06"
    who = _text.cast(rng)
    calls = _text.tool_calls(rng, tool_calls)
    completion_id = "chatcmpl-" + _draw(rng, _B62, 29)
    created = _EPOCH + rng.randrange(_SPAN)
    fingerprint = "fp_" + _draw(rng, _HEX, 10)
    prompt_tokens, cached_tokens = _prompt_tokens(rng, len({call.name for call in calls}))
    events: list[ChatEvent] = []

    def chunk(delta: ChoiceDelta | None, finish_reason: str | None = None, size: int = 0) -> None:
        choices = (
            []
            if delta is None
            else [ChunkChoice(index=0, finish_reason=finish_reason, delta=delta, logprobs=None)]
        )
        events.append(
            ChatCompletionChunk(
                id=completion_id,
                object="chat.completion.chunk",
                created=created,
                model=model,
                choices=choices,
                # With stream_options.include_usage every chunk says "usage": null
                # until the last one.
                usage=None if usage else UNSET,
                system_fingerprint=fingerprint,
                service_tier="default",
                obfuscation=_draw(rng, _B62, max(0, 16 - size)),
            )
        )

    text = _text.refusal(rng) if refusal else _message_text(rng, who, calls, text_words, preamble)
    deltas = _text.tokens(rng, text)
    chunk(
        ChoiceDelta(
            role="assistant",
            content=None if refusal or not text else "",
            refusal="" if refusal else None,
        )
    )
    for delta in deltas:
        chunk(
            ChoiceDelta(refusal=delta) if refusal else ChoiceDelta(content=delta), size=len(delta)
        )
    completion_tokens = len(deltas)
    for index, call in enumerate(calls):
        function = ChoiceDeltaToolCallFunction(name=call.name, arguments="")
        first = ChoiceDeltaToolCall(
            index=index, id=_call_id(rng), type="function", function=function
        )
        chunk(ChoiceDelta(tool_calls=[first]))
        pieces = _text.split_arguments(rng, _text.arguments_json(call, spaced=True))
        for piece in pieces:
            function = ChoiceDeltaToolCallFunction(arguments=piece)
            chunk(
                ChoiceDelta(tool_calls=[ChoiceDeltaToolCall(index=index, function=function)]),
                size=len(piece),
            )
        completion_tokens += len(pieces) + 4
    chunk(ChoiceDelta(), "tool_calls" if calls else "stop")
    if usage:
        events.append(
            ChatCompletionChunk(
                id=completion_id,
                object="chat.completion.chunk",
                created=created,
                model=model,
                choices=[],
                usage=CompletionUsage(
                    prompt_tokens=prompt_tokens,
                    completion_tokens=completion_tokens,
                    total_tokens=prompt_tokens + completion_tokens,
                    prompt_tokens_details=PromptTokensDetails(
                        cached_tokens=cached_tokens, audio_tokens=0
                    ),
                    completion_tokens_details=CompletionTokensDetails(
                        reasoning_tokens=0,
                        audio_tokens=0,
                        accepted_prediction_tokens=0,
                        rejected_prediction_tokens=0,
                    ),
                ),
                system_fingerprint=fingerprint,
                service_tier="default",
                obfuscation=_draw(rng, _B62, rng.randint(4, 12)),
            )
        )
    events.append(Done())
    return events


def chat_stream(
    *,
    seed: int = 0,
    text_words: int = 120,
    tool_calls: int = 0,
    refusal: bool = False,
    preamble: bool = False,
    usage: bool = True,
    model: str | None = None,
) -> bytes:
    """A Chat Completions stream (``POST /v1/chat/completions`` with
    ``"stream": true``), as the bytes of its ``text/event-stream`` body.

    Chunks, in a server's order: the role, the content (or refusal) deltas,
    each tool call's first fragment (id, name) and its argument pieces, a last
    chunk with the ``finish_reason`` (``stop`` or ``tool_calls``), the usage
    chunk (no choices) and ``data: [DONE]``.

    Args:
        seed: picks the story, ids, timestamps, token cuts and usage; the same
            arguments always give the same bytes.
        text_words: about how many words of story the content tells (0: none,
            ``content`` stays ``null``).
        tool_calls: how many parallel tool calls follow, their JSON arguments
            streamed in pieces.
        refusal: the message is a refusal (``delta.refusal``) instead.
        preamble: with tool calls, the content first announces them.
        usage: end with the usage chunk and send ``"usage": null`` on every
            other chunk, as ``stream_options.include_usage`` does.
        model: the model name the chunks report (default: a dated GPT-4o).
    """
    return b"".join(
        encode_events(
            chat_events(
                seed=seed,
                text_words=text_words,
                tool_calls=tool_calls,
                refusal=refusal,
                preamble=preamble,
                usage=usage,
                model=model,
            ),
            api="chat",
        )
    )


# --------------------------------------------------------------------------- #
# Anthropic Messages
# --------------------------------------------------------------------------- #

# Anthropic ids: a prefix, "01", then 22 base58 characters.
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _anthropic_id(rng: random.Random, prefix: str) -> str:
    return f"{prefix}_01{_draw(rng, _B58, 22)}"


def _grouped(rng: random.Random, pieces: list[str], most: int) -> list[str]:
    """Token pieces joined into runs of 1 to ``most``: Claude's deltas carry a
    few tokens each."""
    out: list[str] = []
    i = 0
    while i < len(pieces):
        size = rng.randint(1, most)
        out.append("".join(pieces[i : i + size]))
        i += size
    return out


def _message_usage(rng: random.Random, tools: int) -> MessageUsage:
    """The ``message_start`` usage: the prompt split into uncached input, cache
    writes and cache reads (prompts of 1,024 tokens or more can be cached)."""
    total = rng.randint(24, 2600) + 300 * tools
    read = created = 0
    if total >= 1024:
        roll = rng.random()
        if roll < 0.25:
            created = total - rng.randint(4, 40)  # the first request writes the cache
        elif roll < 0.75:
            read = total - rng.randint(4, 40)  # later ones read it
    return MessageUsage(
        input_tokens=total - read - created,
        cache_creation_input_tokens=created,
        cache_read_input_tokens=read,
        cache_creation=CacheCreation(
            ephemeral_5m_input_tokens=created, ephemeral_1h_input_tokens=0
        ),
        output_tokens=rng.randint(1, 8),
        service_tier="standard",
    )


def messages_events(
    *,
    seed: int = 0,
    text_words: int = 120,
    tool_calls: int = 0,
    thinking: bool = False,
    preamble: bool = False,
    model: str | None = None,
) -> list[MessageStreamEvent]:
    """The typed events of a generated Anthropic Messages stream (see
    ``messages_stream``, which encodes them)."""
    _check_counts(text_words, tool_calls, False)
    rng = random.Random(seed)
    model = model or "claude-sonnet-4-5-20250929"
    who = _text.cast(rng)
    calls = _text.tool_calls(rng, tool_calls)
    usage = _message_usage(rng, len({call.name for call in calls}))
    events: list[MessageStreamEvent] = [
        MessageStartEvent(
            message=Message(
                id=_anthropic_id(rng, "msg"),
                model=model,
                content=[],
                stop_reason=None,
                stop_sequence=None,
                usage=usage,
            )
        )
    ]
    index = 0
    output_tokens = 0

    def block(start: Any, deltas: list[Any]) -> None:
        nonlocal index
        events.append(ContentBlockStartEvent(index=index, content_block=start))
        if index == 0:
            events.append(PingEvent())  # the server's keep-alive after the first start
        events.extend(ContentBlockDeltaEvent(index=index, delta=delta) for delta in deltas)
        events.append(ContentBlockStopEvent(index=index))
        index += 1

    if thinking:
        # Thinking is prose: the reasoning summary's paragraphs without their titles.
        parts = _text.reasoning_summary(rng, who, calls)
        thought = "\n\n".join(part.split("\n\n", 1)[-1] for part in parts)
        pieces = _text.tokens(rng, thought)
        signature = base64.b64encode(rng.randbytes(rng.randint(180, 420))).decode()
        block(
            ThinkingBlock(thinking="", signature=""),
            [
                *(ThinkingDelta(thinking=t) for t in _grouped(rng, pieces, 12)),
                SignatureDelta(signature=signature),
            ],
        )
        output_tokens += len(pieces) + 8

    text = _message_text(rng, who, calls, text_words, preamble)
    if text:
        pieces = _text.tokens(rng, text)
        block(
            TextBlock(text=""),
            [TextDelta(text=t) for t in _grouped(rng, pieces, 4)],
        )
        output_tokens += len(pieces)

    for call in calls:
        pieces = _text.split_arguments(rng, _text.arguments_json(call, spaced=False))
        start = ToolUseBlock(id=_anthropic_id(rng, "toolu"), name=call.name, input={})
        # The input starts with an empty piece, as the API sends it.
        block(start, [InputJSONDelta(partial_json=p) for p in ["", *pieces]])
        output_tokens += len(pieces) + 12

    events.append(
        MessageDeltaEvent(
            delta=MessageDeltaBody(
                stop_reason="tool_use" if calls else "end_turn", stop_sequence=None
            ),
            # Cumulative totals: they replace the values of message_start.
            usage=MessageDeltaUsage(
                output_tokens=max(output_tokens, usage.output_tokens),
                input_tokens=usage.input_tokens,
                cache_creation_input_tokens=usage.cache_creation_input_tokens,
                cache_read_input_tokens=usage.cache_read_input_tokens,
            ),
        )
    )
    events.append(MessageStopEvent())
    return events


def messages_stream(
    *,
    seed: int = 0,
    text_words: int = 120,
    tool_calls: int = 0,
    thinking: bool = False,
    preamble: bool = False,
    model: str | None = None,
) -> bytes:
    """An Anthropic Messages stream (``POST /v1/messages`` with ``"stream": true``),
    as the bytes of its ``text/event-stream`` body.

    Events, in the server's order: ``message_start`` (the message shell, with
    the prompt's usage: uncached input, cache writes and reads, and
    ``cache_creation`` by lifetime), then per content block
    ``content_block_start``, its deltas and ``content_block_stop`` (a ``ping``
    after the first start), then ``message_delta`` (stop reason ``end_turn`` or
    ``tool_use``, cumulative usage) and ``message_stop``. Every event is
    named by an ``event:`` line, as Anthropic's server does.

    Args:
        seed: picks the story, ids, token cuts, signature and usage; the same
            arguments always give the same bytes.
        text_words: about how many words of story the text block tells (0: no
            text block unless ``preamble``). Deltas are runs of a few tokens.
        tool_calls: how many parallel ``tool_use`` blocks follow, their JSON
            input streamed as ``input_json_delta`` pieces.
        thinking: start with a thinking block (``thinking_delta`` pieces, then
            its ``signature_delta``).
        preamble: with tool calls, the text first announces them.
        model: the model name the message reports (default: a dated Claude
            Sonnet 4.5).
    """
    return b"".join(
        encode_events(
            messages_events(
                seed=seed,
                text_words=text_words,
                tool_calls=tool_calls,
                thinking=thinking,
                preamble=preamble,
                model=model,
            ),
            api="messages",
        )
    )


# --------------------------------------------------------------------------- #
# Named demo streams
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class _Recipe:
    description: str
    seed: int
    make: Callable[[int], bytes]


_RECIPES: dict[str, _Recipe] = {
    "responses-text": _Recipe(
        "Responses API: a short story told in text deltas",
        11,
        lambda seed: responses_stream(seed=seed, text_words=150),
    ),
    "responses-tools": _Recipe(
        "Responses API: reasoning, a sentence, then two parallel function calls",
        12,
        lambda seed: responses_stream(
            seed=seed, text_words=0, tool_calls=2, reasoning=True, preamble=True
        ),
    ),
    "responses-reasoning": _Recipe(
        "Responses API: a streamed reasoning summary, then a story",
        13,
        lambda seed: responses_stream(seed=seed, text_words=90, reasoning=True),
    ),
    "responses-refusal": _Recipe(
        "Responses API: a refusal",
        14,
        lambda seed: responses_stream(seed=seed, refusal=True),
    ),
    "chat-text": _Recipe(
        "Chat Completions: a short story in content deltas, then usage",
        21,
        lambda seed: chat_stream(seed=seed, text_words=80),
    ),
    "chat-tools": _Recipe(
        "Chat Completions: two parallel tool calls, then usage",
        22,
        lambda seed: chat_stream(seed=seed, text_words=0, tool_calls=2),
    ),
    "chat-refusal": _Recipe(
        "Chat Completions: a refusal in refusal deltas, then usage",
        23,
        lambda seed: chat_stream(seed=seed, refusal=True),
    ),
    "messages-text": _Recipe(
        "Anthropic Messages: a short story in text deltas, then cumulative usage",
        31,
        lambda seed: messages_stream(seed=seed, text_words=120),
    ),
    "messages-tools": _Recipe(
        "Anthropic Messages: a sentence, then two parallel tool uses",
        32,
        lambda seed: messages_stream(seed=seed, text_words=0, tool_calls=2, preamble=True),
    ),
    "messages-thinking": _Recipe(
        "Anthropic Messages: extended thinking with its signature, then a story",
        33,
        lambda seed: messages_stream(seed=seed, text_words=90, thinking=True),
    ),
}

#: The named demo streams: name -> what it holds. ``demo_stream(name)`` gives
#: the bytes, generated on first use: the same on every machine and every run.
DEMO_STREAMS: Mapping[str, str] = MappingProxyType(
    {name: recipe.description for name, recipe in _RECIPES.items()}
)


@cache
def demo_stream(name: str, *, seed: int | None = None) -> bytes:
    """The bytes of a named demo stream (see ``DEMO_STREAMS``).

    ``seed`` makes the same kind of stream with other words, ids and numbers
    (each name has its own default seed). Raises ``KeyError`` naming the known
    streams for any other name.
    """
    try:
        recipe = _RECIPES[name]
    except KeyError:
        known = ", ".join(DEMO_STREAMS)
        raise KeyError(f"no demo stream named {name!r}; the demo streams are: {known}") from None
    return recipe.make(recipe.seed if seed is None else seed)

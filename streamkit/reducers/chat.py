"""Fold Chat Completions chunks into a ``ChatCompletion``.

``ChatCompletionReducer`` accumulates choices by ``index`` (any order, interleaved for
n > 1), tool calls by their ``index`` inside each choice, logprobs, audio, usage and
the completion's header fields, and judges how the stream ended (``Verdict``). Growing
strings are kept as lists of pieces and joined only when the result is read, so a
step costs one dict lookup and one list append per delta whatever the length so far.

The whole state is one msgspec Struct (``ChatReducerState``), so a reducer can be
checkpointed mid-stream and restored elsewhere.

Where chunks contradict each other (impossible indices, a tool call whose id changes)
the reducer keeps going, records the problem in ``integrity_issues`` and, depending on
``index_policy``, warns or raises.
"""

from __future__ import annotations

import abc
import json
import warnings
from collections.abc import Iterable
from typing import Any, ClassVar, Final, TypeAlias

import msgspec
from msgspec import UNSET, UnsetType

from streamkit.events._common import Done, UnknownEvent
from streamkit.events.chat import (
    ChatCompletionChunk,
    ChoiceDeltaAudio,
    ChoiceDeltaFunctionCall,
    ChoiceDeltaToolCall,
)
from streamkit.events.errors import ErrorDetail, StreamErrorEvent
from streamkit.models._verdict import Verdict
from streamkit.models.chat import (
    ChatCompletion,
    ChatCompletionAudio,
    ChatCompletionChoice,
    ChatCompletionMessage,
    ChatCompletionMessageCustomToolCall,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageToolCall,
    ChatCompletionModeration,
    ChatCompletionTokenLogprob,
    ChoiceLogprobs,
    CompletionUsage,
    ContentFilterResults,
    CustomCall,
    FunctionCall,
    PromptFilterResult,
)
from streamkit.reducers._base import StatefulReducer
from streamkit.reducers._finished import Finished, RefusalDone, TextDone, ToolCallDone
from streamkit.reducers._integrity import (
    IndexPolicy,
    StreamIntegrityError,
    StreamIntegrityWarning,
)

__all__ = [
    "ChatCompletionReducer",
    "ChatReducerState",
    "ChatStreamEvent",
]

ChatStreamEvent: TypeAlias = ChatCompletionChunk | StreamErrorEvent | Done | UnknownEvent
"""What a chat stream yields: chunks, an in-stream error, ``[DONE]``, unknown payloads."""

# A new index further than this past the highest one seen is treated as corruption
# (the API caps ``n`` at 128 and nobody makes a thousand parallel tool calls).
MAX_INDEX_JUMP: Final = 1000

# Finish reasons meaning "the server stopped before the model was done".
INCOMPLETE_REASONS: Final = frozenset({"length", "content_filter"})

#: ``Verdict.reason`` of an ``unterminated`` stream.
NO_DONE_REASON: Final = "no [DONE] after finish_reason"

# Azure severities, mildest first; unknown values rank between safe and low.
_SEVERITY_RANK: Final = {"safe": 0, "low": 2, "medium": 3, "high": 4}
_FILTER_FIELDS: Final = ContentFilterResults.__struct_fields__


# --- state ---------------------------------------------------------------------------


class _ToolState(msgspec.Struct, kw_only=True, gc=False):
    """One tool call of one choice: identity set once, arguments as pieces."""

    id: str | None = None
    type: str | None = None
    name: str | None = None
    arguments: list[str] = msgspec.field(default_factory=list)


class _ChoiceState(msgspec.Struct, kw_only=True, gc=False):
    """Everything accumulated for one choice. ``None`` lists mean "never seen", which
    keeps e.g. ``content: null`` (tool-call-only answers) apart from ``content: ""``."""

    role: str | None = None
    content: list[str] | None = None
    refusal: list[str] | None = None
    tools: dict[int, _ToolState] = msgspec.field(default_factory=dict)
    max_tool_index: int = -1
    function_name: str | None = None
    function_arguments: list[str] | None = None  # legacy ``function_call``
    has_logprobs: bool = False
    logprobs_content: list[ChatCompletionTokenLogprob] | None = None
    logprobs_refusal: list[ChatCompletionTokenLogprob] | None = None
    has_audio: bool = False
    audio_id: str | None = None
    audio_data: list[str] = msgspec.field(default_factory=list)
    audio_transcript: list[str] = msgspec.field(default_factory=list)
    audio_expires_at: int | None = None
    finish_reason: str | None = None
    content_filter_results: ContentFilterResults | UnsetType = UNSET
    queued: bool = False  # already put on ``pending`` for ``take_finished``


class ChatReducerState(msgspec.Struct, kw_only=True):
    """The complete state of a ``ChatCompletionReducer`` (what ``checkpoint()`` encodes)."""

    id: str = ""
    model: str = ""
    created: int = 0
    # UNSET: no chunk had the key; None: chunks said null; str: the first real value.
    system_fingerprint: str | UnsetType | None = UNSET
    service_tier: str | UnsetType | None = UNSET
    choices: dict[int, _ChoiceState] = msgspec.field(default_factory=dict)
    max_index: int = -1
    usage: CompletionUsage | None = None
    moderation: ChatCompletionModeration | UnsetType = UNSET
    prompt_filter_results: list[PromptFilterResult] | None = None
    events: int = 0
    saw_done: bool = False
    error: ErrorDetail | None = None
    finished: bool = False
    integrity_issues: list[str] = msgspec.field(default_factory=list)
    # Choice indexes whose finish_reason arrived, not yet returned by take_finished().
    pending: list[int] = msgspec.field(default_factory=list)


# --- helpers shared with the legacy Completions reducer ----------------------------------


class _IntegrityReporter(abc.ABC):
    """Records integrity issues in ``state.integrity_issues`` and applies the policy."""

    __slots__ = ()
    index_policy: IndexPolicy

    @abc.abstractmethod
    def _integrity_issues(self) -> list[str]:
        """The reducer's list of recorded issues (in its state)."""

    @abc.abstractmethod
    def _event_count(self) -> int:
        """How many events the reducer has stepped."""

    def _issue(self, message: str, *, event_type: str, stacklevel: int = 2) -> None:
        """Record ``message``; warn or raise per ``index_policy``.

        ``stacklevel`` counts frames from the caller of ``_issue`` up to whoever called
        ``step()``, so that warnings point at user code rather than at the reducer.
        """
        self._integrity_issues().append(message)
        policy = self.index_policy
        if policy == "raise":
            raise StreamIntegrityError(
                message, index=self._event_count() - 1, event_type=event_type
            )
        if policy == "warn":
            warnings.warn(message, StreamIntegrityWarning, stacklevel=stacklevel + 1)


def choice_index_problem(index: object, highest: int) -> str | None:
    """Why a choice/tool ``index`` seen for the first time is impossible, or None."""
    if type(index) is not int:
        return f"is not an integer ({index!r})"
    if index < 0:
        return "is negative"
    if index > highest + MAX_INDEX_JUMP:
        return f"jumps from {highest} to {index}"
    return None


def final_verdict(
    *,
    finished: bool,
    events: int,
    error: ErrorDetail | None,
    finish_reasons: Iterable[str | None],
    saw_done: bool,
) -> Verdict:
    """The verdict rules shared by Chat and legacy Completions (``finish_reasons`` in
    choice-index order; ``saw_done``: whether ``[DONE]`` was stepped).

    First match wins: ``errored`` (an error payload), ``truncated`` (no choice, or a
    choice without a finish reason), ``unterminated`` (every choice finished but no
    ``[DONE]``), ``incomplete`` (a ``length`` / ``content_filter`` finish), else
    ``completed``.
    """
    if not finished:
        return Verdict(status="in_progress", events=events)
    if error is not None:
        return Verdict(status="errored", error=error, events=events)
    reasons = list(finish_reasons)
    # No choice at all, or a choice cut off before its last chunk: the bytes ended early.
    if not reasons or None in reasons:
        return Verdict(status="truncated", events=events)
    # The content is complete, but what the server sends after the last finish
    # reason (the usage chunk of ``stream_options.include_usage``) may be lost:
    # without the end marker nobody can tell, so this is not success.
    if not saw_done:
        return Verdict(status="unterminated", reason=NO_DONE_REASON, events=events)
    for reason in reasons:
        if reason in INCOMPLETE_REASONS:
            return Verdict(status="incomplete", reason=reason, events=events)
    return Verdict(status="completed", events=events)


def parse_arguments(arguments: str) -> tuple[Any, str | None]:
    """``(json value, None)``, or ``(None, error message)`` when not valid JSON."""
    try:
        return json.loads(arguments), None
    except ValueError as exc:
        return None, str(exc)


def _filter_key(result: Any) -> tuple[bool, bool, int]:
    return (
        bool(getattr(result, "filtered", False)),
        bool(getattr(result, "detected", False)),
        _SEVERITY_RANK.get(getattr(result, "severity", ""), 1),
    )


def _merge_filters(
    old: ContentFilterResults | UnsetType, new: ContentFilterResults
) -> ContentFilterResults:
    """Azure sends a verdict per chunk; the choice keeps the worst one per category
    (filtered beats detected beats severity), like a verdict on the whole output."""
    if old is UNSET or old == new:
        return new
    merged: dict[str, Any] = {}
    for name in _FILTER_FIELDS:
        a = getattr(old, name)
        b = getattr(new, name)
        if a is UNSET:
            merged[name] = b
        elif b is UNSET:
            merged[name] = a
        else:
            merged[name] = b if _filter_key(b) >= _filter_key(a) else a
    return ContentFilterResults(**merged)


# --- the reducer -----------------------------------------------------------------------


class ChatCompletionReducer(
    _IntegrityReporter,
    StatefulReducer[ChatStreamEvent, ChatCompletion, ChatReducerState],
):
    """Folds a Chat Completions stream into a ``ChatCompletion``.

    Feed it every event in order (``step``), then call ``finish()`` when the bytes end;
    ``result()`` may be read at any time and is a snapshot (later steps do not change
    it). The final object's ``verdict`` says how the stream ended:

    * ``completed``: every choice got a finish reason other than ``length`` /
      ``content_filter``, and ``[DONE]`` came;
    * ``incomplete``: some choice stopped with ``length`` or ``content_filter``
      (``reason``), and ``[DONE]`` came;
    * ``errored``: an in-stream ``{"error": ...}`` payload was stepped (``error``);
    * ``truncated``: no choice at all, or a choice without a finish reason;
    * ``unterminated``: every choice got a finish reason but ``[DONE]`` never came
      (``reason``: ``"no [DONE] after finish_reason"``): the content is complete,
      but a usage chunk sent after it may have been lost;
    * ``in_progress``: before ``finish()``.

    ``index_policy`` decides what happens besides recording when the stream is
    inconsistent: ``"ignore"``, ``"warn"`` (``StreamIntegrityWarning``, the default) or
    ``"raise"`` (``StreamIntegrityError``).
    """

    State: ClassVar[type[msgspec.Struct]] = ChatReducerState

    def __init__(self, *, index_policy: IndexPolicy = "warn") -> None:
        if index_policy not in ("ignore", "warn", "raise"):
            raise ValueError(
                f"index_policy must be 'ignore', 'warn' or 'raise', not {index_policy!r}"
            )
        self.index_policy = index_policy
        self.state = ChatReducerState()

    # -- public accessors -----------------------------------------------------------

    @property
    def saw_done(self) -> bool:
        """Whether the ``[DONE]`` sentinel was stepped."""
        return self.state.saw_done

    @property
    def integrity_issues(self) -> list[str]:
        """Descriptions of every inconsistency seen so far, in stream order."""
        return self.state.integrity_issues

    @property
    def events(self) -> int:
        """Number of events stepped so far."""
        return self.state.events

    def _integrity_issues(self) -> list[str]:
        return self.state.integrity_issues

    def _event_count(self) -> int:
        return self.state.events

    # -- folding ----------------------------------------------------------------------

    def step(self, event: ChatStreamEvent) -> None:
        """Fold one event: a chunk, an error payload, ``Done`` or an unknown event."""
        st = self.state
        st.events += 1
        if type(event) is not ChatCompletionChunk:
            if isinstance(event, ChatCompletionChunk):
                self._chunk(event)
            elif isinstance(event, StreamErrorEvent):
                if st.error is None:
                    st.error = event.error
            elif isinstance(event, Done):
                st.saw_done = True
            # Anything else (UnknownEvent, keep-alives...) only counts as an event.
            return
        self._chunk(event)

    def _chunk(self, chunk: ChatCompletionChunk) -> None:
        st = self.state
        # Header fields from the first chunk that has them: Azure's prompt-filter chunk
        # comes first with id "", model "" and created 0.
        if not st.id and chunk.id:
            st.id = chunk.id
        if not st.model and chunk.model:
            st.model = chunk.model
        if not st.created and chunk.created:
            st.created = chunk.created
        if not st.system_fingerprint:
            value = chunk.system_fingerprint
            if value or (value is None and st.system_fingerprint is UNSET):
                st.system_fingerprint = value
        if not st.service_tier:
            value = chunk.service_tier
            if value or (value is None and st.service_tier is UNSET):
                st.service_tier = value
        # Usage from whichever chunk carries it; chunks with ``usage: null`` or without
        # the key never erase it. A later usage replaces (never adds to) an earlier one:
        # providers that repeat it send running totals.
        usage = chunk.usage
        if usage:
            st.usage = usage
        moderation = chunk.moderation
        if moderation:
            st.moderation = moderation
        prompt_filters = chunk.prompt_filter_results
        if prompt_filters:
            self._prompt_filters(prompt_filters)

        choices = st.choices
        for ch in chunk.choices or ():
            index = ch.index
            c = choices.get(index)
            if c is None:
                c = self._open_choice(index)
                if c is None:
                    continue
            d = ch.delta
            if d:  # Azure sends choices without a delta (UNSET is falsy)
                s = d.content
                if s:
                    pieces = c.content
                    if pieces is None:
                        c.content = [s]
                    else:
                        pieces.append(s)
                elif s == "" and c.content is None:
                    c.content = []
                s = d.refusal
                if s:
                    pieces = c.refusal
                    if pieces is None:
                        c.refusal = [s]
                    else:
                        pieces.append(s)
                elif s == "" and c.refusal is None:
                    c.refusal = []
                if c.role is None and d.role:
                    c.role = d.role
                tool_calls = d.tool_calls
                if tool_calls:
                    self._tool_deltas(c, index, tool_calls)
                function_call = d.function_call
                if function_call:
                    self._function_call(c, function_call)
                audio = d.audio
                if audio:
                    self._audio(c, audio)
            logprobs = ch.logprobs
            if logprobs:
                self._logprobs(c, logprobs)
            filters = ch.content_filter_results
            if filters is not UNSET:
                c.content_filter_results = _merge_filters(c.content_filter_results, filters)
            reason = ch.finish_reason
            if reason:
                c.finish_reason = reason
                if not c.queued:
                    c.queued = True
                    st.pending.append(index)

    def _open_choice(self, index: int) -> _ChoiceState | None:
        st = self.state
        problem = choice_index_problem(index, st.max_index)
        if problem is not None:
            if type(index) is not int:
                # Cannot be ordered against the other choices: drop it.
                self._issue(
                    f"choice index {problem}; choice dropped",
                    event_type="chat.completion.chunk",
                    stacklevel=4,
                )
                return None
            self._issue(
                f"choice index {index} {problem}",
                event_type="chat.completion.chunk",
                stacklevel=4,
            )
        c = st.choices[index] = _ChoiceState()
        if index > st.max_index:
            st.max_index = index
        return c

    def _tool_deltas(
        self, c: _ChoiceState, choice_index: int, deltas: list[ChoiceDeltaToolCall]
    ) -> None:
        tools = c.tools
        for delta in deltas:
            t = tools.get(delta.index)
            if t is None:
                t = self._open_tool(c, choice_index, delta)
                if t is None:
                    continue
            fn = delta.function
            if fn:
                piece = fn.arguments
                if piece:
                    t.arguments.append(piece)
                name = fn.name
                if name and name != t.name:
                    if t.name is None:
                        t.name = name
                    else:
                        self._issue(
                            f"choice {choice_index} tool call {delta.index}: name changed "
                            f"from {t.name!r} to {name!r}; kept the first",
                            event_type="chat.completion.chunk",
                            stacklevel=4,
                        )
            call_id = delta.id
            # Set once: a repeated id is ignored, a different one is corruption.
            if call_id and call_id != t.id:
                if t.id is None:
                    t.id = call_id
                else:
                    self._issue(
                        f"choice {choice_index} tool call {delta.index}: id changed "
                        f"from {t.id!r} to {call_id!r}; kept the first",
                        event_type="chat.completion.chunk",
                        stacklevel=4,
                    )
            if t.type is None and delta.type:
                t.type = delta.type

    def _open_tool(
        self, c: _ChoiceState, choice_index: int, delta: ChoiceDeltaToolCall
    ) -> _ToolState | None:
        index = delta.index
        where = f"choice {choice_index} tool call index"
        problem = choice_index_problem(index, c.max_tool_index)
        if problem is not None:
            if type(index) is not int:
                self._issue(
                    f"{where} {problem}; fragment dropped",
                    event_type="chat.completion.chunk",
                    stacklevel=5,
                )
                return None
            self._issue(
                f"{where} {index} {problem}", event_type="chat.completion.chunk", stacklevel=5
            )
        fn = delta.function
        missing = [
            what
            for what, value in (("id", delta.id), ("name", fn.name if fn else None))
            if not value
        ]
        if missing:
            # The fragment that starts a call carries both; without them the start was
            # lost (or the provider does not follow the protocol).
            self._issue(
                f"{where} {index} first seen without {' or '.join(missing)}",
                event_type="chat.completion.chunk",
                stacklevel=5,
            )
        t = c.tools[index] = _ToolState()
        if index > c.max_tool_index:
            c.max_tool_index = index
        return t

    @staticmethod
    def _function_call(c: _ChoiceState, delta: ChoiceDeltaFunctionCall) -> None:
        pieces = c.function_arguments
        if pieces is None:
            pieces = c.function_arguments = []
        if delta.arguments:
            pieces.append(delta.arguments)
        if c.function_name is None and delta.name:
            c.function_name = delta.name

    @staticmethod
    def _audio(c: _ChoiceState, delta: ChoiceDeltaAudio) -> None:
        c.has_audio = True
        if delta.data:
            c.audio_data.append(delta.data)
        if delta.transcript:
            c.audio_transcript.append(delta.transcript)
        if c.audio_id is None and delta.id:
            c.audio_id = delta.id
        if c.audio_expires_at is None and delta.expires_at:
            c.audio_expires_at = delta.expires_at

    @staticmethod
    def _logprobs(c: _ChoiceState, delta: ChoiceLogprobs) -> None:
        # Like the SDK: the first non-null logprobs object decides which lists exist
        # (a list stays None until some chunk sends one), later ones extend them.
        content = delta.content
        refusal = delta.refusal
        if not c.has_logprobs:
            c.has_logprobs = True
            c.logprobs_content = None if content is None else list(content)
            c.logprobs_refusal = None if refusal is None else list(refusal)
            return
        if content:
            if c.logprobs_content is None:
                c.logprobs_content = list(content)
            else:
                c.logprobs_content.extend(content)
        if refusal:
            if c.logprobs_refusal is None:
                c.logprobs_refusal = list(refusal)
            else:
                c.logprobs_refusal.extend(refusal)

    def _prompt_filters(self, results: list[PromptFilterResult]) -> None:
        kept = self.state.prompt_filter_results
        if kept is None:
            kept = self.state.prompt_filter_results = []
        for result in results:
            # One entry per prompt: a repeated prompt_index replaces the earlier entry.
            for i, old in enumerate(kept):
                if old.prompt_index == result.prompt_index:
                    kept[i] = result
                    break
            else:
                kept.append(result)

    # -- reading ------------------------------------------------------------------------

    def finish(self) -> ChatCompletion:
        """Mark the stream as ended and return the final ``ChatCompletion`` (with verdict).

        Choices that never got a finish reason are not reported by ``take_finished``.
        """
        self.state.finished = True
        return self.result()

    def verdict(self) -> Verdict:
        """How the stream ended so far (``in_progress`` before ``finish()``)."""
        st = self.state
        return final_verdict(
            finished=st.finished,
            events=st.events,
            error=st.error,
            finish_reasons=(st.choices[i].finish_reason for i in sorted(st.choices)),
            saw_done=st.saw_done,
        )

    def result(self) -> ChatCompletion:
        """The completion accumulated so far; choices sorted by index."""
        st = self.state
        completion = ChatCompletion(
            id=st.id,
            object="chat.completion",
            created=st.created,
            model=st.model,
            choices=[_choice(i, st.choices[i]) for i in sorted(st.choices)],
            usage=UNSET if st.usage is None else st.usage,
            system_fingerprint=st.system_fingerprint,
            service_tier=st.service_tier,
            moderation=st.moderation,
            prompt_filter_results=(
                UNSET if st.prompt_filter_results is None else list(st.prompt_filter_results)
            ),
        )
        completion._set_verdict(self.verdict())
        return completion

    def take_finished(self) -> list[Finished]:
        """The pieces of output completed since the last call, each reported once.

        A choice's text, refusal and tool calls (every tool index) complete when the
        choice's ``finish_reason`` arrives; they are built from the state at the time
        of this call. Choices cut off without a finish reason are never reported.
        """
        st = self.state
        if not st.pending:
            return []
        out: list[Finished] = []
        for index in st.pending:
            out.extend(_finished_of(index, st.choices[index]))
        st.pending = []
        return out


# --- building output -------------------------------------------------------------------


def _joined(pieces: list[str] | None) -> str | None:
    return None if pieces is None else "".join(pieces)


def _tool_call(t: _ToolState) -> ChatCompletionMessageToolCall:
    if t.type == "custom":
        return ChatCompletionMessageCustomToolCall(
            id=t.id or "", custom=CustomCall(name=t.name or "", input="".join(t.arguments))
        )
    return ChatCompletionMessageFunctionToolCall(
        id=t.id or "", function=FunctionCall(name=t.name or "", arguments="".join(t.arguments))
    )


def _choice(index: int, c: _ChoiceState) -> ChatCompletionChoice:
    message = ChatCompletionMessage(
        # A stream that never sent a role (Azure's delta-less first choice) is still
        # the assistant's message.
        role=c.role or "assistant",
        content=_joined(c.content),
        refusal=_joined(c.refusal),
    )
    if c.tools:
        message.tool_calls = [_tool_call(c.tools[i]) for i in sorted(c.tools)]
    if c.function_arguments is not None:
        message.function_call = FunctionCall(
            name=c.function_name or "", arguments="".join(c.function_arguments)
        )
    if c.has_audio:
        message.audio = ChatCompletionAudio(
            id=c.audio_id or "",
            expires_at=c.audio_expires_at or 0,
            data="".join(c.audio_data),
            transcript="".join(c.audio_transcript),
        )
    logprobs = None
    if c.has_logprobs:
        # Copies: the result must not change when later chunks extend the lists.
        logprobs = ChoiceLogprobs(
            content=None if c.logprobs_content is None else list(c.logprobs_content),
            refusal=None if c.logprobs_refusal is None else list(c.logprobs_refusal),
        )
    return ChatCompletionChoice(
        index=index,
        message=message,
        finish_reason=c.finish_reason,
        logprobs=logprobs,
        content_filter_results=c.content_filter_results,
    )


def _finished_of(index: int, c: _ChoiceState) -> list[Finished]:
    out: list[Finished] = []
    text = _joined(c.content)
    if text:
        out.append(TextDone(text=text, choice_index=index))
    refusal = _joined(c.refusal)
    if refusal:
        out.append(RefusalDone(refusal=refusal, choice_index=index))
    for tool_index in sorted(c.tools):
        t = c.tools[tool_index]
        arguments = "".join(t.arguments)
        parsed, error = parse_arguments(arguments)
        out.append(
            ToolCallDone(
                name=t.name or "",
                arguments=arguments,
                parsed=parsed,
                parse_error=error,
                call_id=t.id,
                kind=t.type or "function",
                choice_index=index,
                tool_index=tool_index,
            )
        )
    if c.function_arguments is not None:
        arguments = "".join(c.function_arguments)
        parsed, error = parse_arguments(arguments)
        out.append(
            ToolCallDone(
                name=c.function_name or "",
                arguments=arguments,
                parsed=parsed,
                parse_error=error,
                kind="function_call",
                choice_index=index,
            )
        )
    return out

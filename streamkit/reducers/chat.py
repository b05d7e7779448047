"""Fold Chat Completions chunks into a ``ChatCompletion``.

``ChatCompletionReducer`` accumulates choices by ``index`` (any order, interleaved for
n > 1), tool calls by their ``index`` inside each choice, logprobs, audio, usage and
the completion's header fields, and judges how the stream ended (``Verdict``).
Provider reasoning (``reasoning_content``, ``reasoning``, ``reasoning_details``,
Mistral's ``thinking`` parts) is accumulated into the message's fields of the same
names; usage is taken from ``usage`` or Groq's ``x_groq.usage``, whichever chunk has
it, with every provider field it carries (costs, search counts); the chunk-level
provider fields (OpenRouter's ``provider``, Perplexity's ``citations``,
``search_results``, ``images``, ``related_questions``) take the last value sent, as
providers repeat them whole; tool-call fragments without an ``index`` (one whole
call per fragment) are told apart by their ``id``. Growing
strings are kept as lists of pieces and joined only when the result is read, so a
step costs one dict lookup and one list append per delta whatever the length so far.

The whole state is one msgspec Struct (``ChatReducerState``), so a reducer can be
checkpointed mid-stream and restored elsewhere.

Where chunks contradict each other (impossible indices, a tool call whose id changes)
the reducer keeps going, records the problem in ``integrity_issues`` and, depending on
``index_policy``, warns or raises. The choice bookkeeping, index checks and verdict
are shared with the legacy Completions reducer (``streamkit.reducers._choices``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Final, TypeAlias, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from streamkit.events._common import Done, UnknownEvent
from streamkit.events.chat import (
    ChatCompletionChunk,
    ChoiceDeltaAudio,
    ChoiceDeltaFunctionCall,
    ChoiceDeltaToolCall,
    ChunkChoice,
    content_parts_text,
)
from streamkit.events.errors import StreamErrorEvent
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
    ContentFilterResults,
    CustomCall,
    FunctionCall,
    ImageResult,
    PromptFilterResult,
    ReasoningDetail,
    SearchResult,
)
from streamkit.reducers._arguments import parse_arguments
from streamkit.reducers._choices import ChoiceReducer, ChoiceStateBase, ChoiceStreamState
from streamkit.reducers._finished import Finished, RefusalDone, TextDone, ToolCallDone

__all__ = [
    "ChatCompletionReducer",
    "ChatReducerState",
    "ChatStreamEvent",
]

ChatStreamEvent: TypeAlias = ChatCompletionChunk | StreamErrorEvent | Done | UnknownEvent
"""What a chat stream yields: chunks, an in-stream error, ``[DONE]``, unknown payloads."""

_T = TypeVar("_T")

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


class _ChoiceState(ChoiceStateBase, kw_only=True, gc=False):
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
    content_filter_results: ContentFilterResults | UnsetType = UNSET
    native_finish_reason: str | UnsetType | None = UNSET
    # Provider reasoning, each field as its own pieces (None: never sent).
    reasoning_content: list[str] | None = None
    reasoning: list[str] | None = None
    reasoning_details: list[ReasoningDetail] | None = None


class ChatReducerState(ChoiceStreamState[_ChoiceState], kw_only=True):
    """The complete state of a ``ChatCompletionReducer`` (what ``checkpoint()`` encodes)."""

    service_tier: str | UnsetType | None = UNSET
    moderation: ChatCompletionModeration | UnsetType = UNSET
    prompt_filter_results: list[PromptFilterResult] | None = None
    timings: dict[str, Any] | UnsetType = UNSET
    time_info: dict[str, Any] | UnsetType = UNSET
    provider: str | UnsetType | None = UNSET
    citations: list[str] | UnsetType | None = UNSET
    search_results: list[SearchResult] | UnsetType | None = UNSET
    images: list[ImageResult] | UnsetType | None = UNSET
    related_questions: list[str] | UnsetType | None = UNSET


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
    ChoiceReducer[ChatStreamEvent, ChatCompletion, ChatReducerState, _ChoiceState]
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
    _CHUNK: ClassVar[type[Any]] = ChatCompletionChunk
    _CHOICE: ClassVar[type[ChoiceStateBase]] = _ChoiceState
    _EVENT_TYPE: ClassVar[str] = "chat.completion.chunk"

    # -- folding ----------------------------------------------------------------------

    def _fold_header(self, chunk: ChatCompletionChunk) -> None:
        st = self.state
        if not st.service_tier:
            value = chunk.service_tier
            if value or (value is None and st.service_tier is UNSET):
                st.service_tier = value
        # One test for every field only some servers send (most chunks have none of
        # them): a chunk pays for them only when it carries one.
        if (
            chunk.moderation
            or chunk.prompt_filter_results
            or chunk.x_groq
            or chunk.timings
            or chunk.time_info
            or chunk.provider is not UNSET
            or chunk.citations is not UNSET
            or chunk.search_results is not UNSET
            or chunk.images is not UNSET
            or chunk.related_questions is not UNSET
        ):
            self._fold_extensions(chunk)

    def _fold_extensions(self, chunk: ChatCompletionChunk) -> None:
        """Fold the provider fields of a chunk that carries at least one."""
        st = self.state
        moderation = chunk.moderation
        if moderation:
            st.moderation = moderation
        prompt_filters = chunk.prompt_filter_results
        if prompt_filters:
            self._prompt_filters(prompt_filters)
        groq = chunk.x_groq
        if groq and groq.usage and not chunk.usage:
            st.usage = groq.usage
        if chunk.timings:
            st.timings = chunk.timings
        if chunk.time_info:
            st.time_info = chunk.time_info
        # The last non-empty value wins (providers repeat them whole); an empty
        # one (``null``, ``[]``) is kept only while no chunk sent more.
        provider = chunk.provider
        if provider or (provider is not UNSET and not st.provider):
            st.provider = provider
        citations = chunk.citations
        if citations or (citations is not UNSET and not st.citations):
            st.citations = citations
        results = chunk.search_results
        if results or (results is not UNSET and not st.search_results):
            st.search_results = results
        images = chunk.images
        if images or (images is not UNSET and not st.images):
            st.images = images
        questions = chunk.related_questions
        if questions or (questions is not UNSET and not st.related_questions):
            st.related_questions = questions

    def _fold_choice(self, c: _ChoiceState, ch: ChunkChoice, index: int) -> None:
        d = ch.delta
        if d:  # Azure sends choices without a delta (UNSET is falsy)
            s = d.content
            if s:
                if s.__class__ is not str:
                    s = self._content_parts(c, s)  # type: ignore[arg-type]
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
            s = d.reasoning_content
            if s is not UNSET:
                self._reasoning(c, "reasoning_content", s)
            s = d.reasoning
            if s is not UNSET:
                self._reasoning(c, "reasoning", s)
            details = d.reasoning_details
            if details:
                self._reasoning_details(c, details)
        native = ch.native_finish_reason
        if native:
            c.native_finish_reason = native
        logprobs = ch.logprobs
        if logprobs:
            self._logprobs(c, logprobs)
        filters = ch.content_filter_results
        if filters is not UNSET:
            c.content_filter_results = _merge_filters(c.content_filter_results, filters)

    @staticmethod
    def _content_parts(c: _ChoiceState, parts: list[dict[str, Any]]) -> str:
        """The text of a list-of-parts ``content``; its thinking goes to
        ``reasoning_content``."""
        text, thinking = content_parts_text(parts)
        if thinking:
            pieces = c.reasoning_content
            if pieces is None:
                c.reasoning_content = [thinking]
            else:
                pieces.append(thinking)
        return text

    @staticmethod
    def _reasoning(c: _ChoiceState, field: str, value: str | None) -> None:
        # ``null`` and ``""`` mark the field as sent without adding to it.
        pieces: list[str] | None = getattr(c, field)
        if pieces is None:
            pieces = []
            setattr(c, field, pieces)
        if value:
            pieces.append(value)

    @staticmethod
    def _reasoning_details(c: _ChoiceState, details: list[ReasoningDetail]) -> None:
        """Join consecutive pieces of one entry (same ``index`` and ``type``):
        text, summary and data grow, the other fields take the last value sent."""
        kept = c.reasoning_details
        if kept is None:
            kept = c.reasoning_details = []
        for piece in details:
            last = kept[-1] if kept else None
            if last is None or last.index != piece.index or last.type != piece.type:
                kept.append(msgspec.structs.replace(piece))
                continue
            for name in ("text", "summary", "data"):
                add = getattr(piece, name)
                if isinstance(add, str):
                    old = getattr(last, name)
                    setattr(last, name, old + add if isinstance(old, str) else add)
            for name in ("signature", "id", "format"):
                value = getattr(piece, name)
                if value is not UNSET and value is not None:
                    setattr(last, name, value)

    @staticmethod
    def _tool_index(c: _ChoiceState, delta: ChoiceDeltaToolCall) -> int:
        """The index of a fragment sent without one: the call with the same ``id``,
        a new call for a new ``id``, else the last call (one call per fragment)."""
        call_id = delta.id
        if call_id:
            for index, t in c.tools.items():
                if t.id == call_id:
                    return index
            return c.max_tool_index + 1
        return max(c.max_tool_index, 0)

    def _tool_deltas(
        self, c: _ChoiceState, choice_index: int, deltas: list[ChoiceDeltaToolCall]
    ) -> None:
        tools = c.tools
        for delta in deltas:
            tool_index = delta.index
            if tool_index is UNSET:
                tool_index = self._tool_index(c, delta)
            t = tools.get(tool_index)
            if t is None:
                t = self._open_tool(c, choice_index, tool_index, delta)
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
                        self._tool_changed(choice_index, tool_index, "name", t.name, name)
            call_id = delta.id
            # Set once: a repeated id is ignored, a different one is corruption.
            if call_id and call_id != t.id:
                if t.id is None:
                    t.id = call_id
                else:
                    self._tool_changed(choice_index, tool_index, "id", t.id, call_id)
            if t.type is None and delta.type:
                t.type = delta.type

    def _tool_changed(self, choice_index: int, index: int, what: str, old: str, new: str) -> None:
        # Frames: _tool_changed, _tool_deltas, _fold_choice, step, its caller.
        self._issue(
            f"choice {choice_index} tool call {index}: {what} changed "
            f"from {old!r} to {new!r}; kept the first",
            event_type=self._EVENT_TYPE,
            stacklevel=5,
        )

    def _open_tool(
        self, c: _ChoiceState, choice_index: int, index: int, delta: ChoiceDeltaToolCall
    ) -> _ToolState | None:
        where = f"choice {choice_index} tool call index"
        # Frames: _open_tool, _tool_deltas, _fold_choice, step, its caller.
        if not self._admit(index, c.max_tool_index, where, "fragment", stacklevel=5):
            return None
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
                event_type=self._EVENT_TYPE,
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
            c.logprobs_content = list(content) if isinstance(content, list) else None
            c.logprobs_refusal = list(refusal) if isinstance(refusal, list) else None
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
            timings=st.timings,
            time_info=st.time_info,
            provider=st.provider,
            # Copies: the state's lists are the chunks' own.
            citations=_copied(st.citations),
            search_results=_copied(st.search_results),
            images=_copied(st.images),
            related_questions=_copied(st.related_questions),
        )
        completion._set_verdict(self.verdict())
        return completion

    def _finished_of(self, index: int, c: _ChoiceState) -> list[Finished]:
        """A choice's text, refusal and tool calls (every tool index)."""
        return _finished_events(index, c)


# --- building output -------------------------------------------------------------------


def _copied(value: list[_T] | UnsetType | None) -> list[_T] | UnsetType | None:
    return list(value) if isinstance(value, list) else value


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
    if c.reasoning_content is not None:
        message.reasoning_content = "".join(c.reasoning_content)
    if c.reasoning is not None:
        message.reasoning = "".join(c.reasoning)
    if c.reasoning_details is not None:
        # Copies: later pieces grow the state's entries in place.
        message.reasoning_details = [msgspec.structs.replace(d) for d in c.reasoning_details]
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
        native_finish_reason=c.native_finish_reason,
    )


def _finished_events(index: int, c: _ChoiceState) -> list[Finished]:
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

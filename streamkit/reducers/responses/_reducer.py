"""The Responses fold: :class:`ResponseReducer`.

Handlers are looked up by event class. Events of the same shape share one handler
driven by a table (``_STATUS_EVENTS``, ``_PIECE_DELTAS``, ``_PIECE_DONES``,
``_PART_DELTAS``, ``_PART_DONES``); the state and its materialization are in
``_state``, the ``verify=True`` comparisons in ``_verify``.

Every event is checked before it changes the state: its indices must be non-negative
integers, and it must be aimed at an item of the kind it belongs to (text at a
message, summary text at a reasoning item...). A bad event is an integrity issue
(``index_policy``) and is not folded.
"""

from __future__ import annotations

import os
import sys
import warnings
from bisect import bisect_right
from collections.abc import Callable
from typing import Any, ClassVar, Final, Literal

import msgspec
from msgspec import UNSET
from msgspec.structs import replace

from streamkit.events._common import UnknownEvent
from streamkit.events.responses import (
    ResponseApplyPatchCallOperationDiffDeltaEvent,
    ResponseApplyPatchCallOperationDiffDoneEvent,
    ResponseAudioDeltaEvent,
    ResponseAudioDoneEvent,
    ResponseAudioTranscriptDeltaEvent,
    ResponseAudioTranscriptDoneEvent,
    ResponseCodeInterpreterCallCodeDeltaEvent,
    ResponseCodeInterpreterCallCodeDoneEvent,
    ResponseCodeInterpreterCallCompletedEvent,
    ResponseCodeInterpreterCallInProgressEvent,
    ResponseCodeInterpreterCallInterpretingEvent,
    ResponseCompactionCompactingEvent,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseCustomToolCallInputDeltaEvent,
    ResponseCustomToolCallInputDoneEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseFileSearchCallCompletedEvent,
    ResponseFileSearchCallInProgressEvent,
    ResponseFileSearchCallSearchingEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseImageGenCallCompletedEvent,
    ResponseImageGenCallGeneratingEvent,
    ResponseImageGenCallInProgressEvent,
    ResponseImageGenCallPartialImageEvent,
    ResponseIncompleteEvent,
    ResponseInProgressEvent,
    ResponseKeepaliveEvent,
    ResponseMCPCallArgumentsDeltaEvent,
    ResponseMCPCallArgumentsDoneEvent,
    ResponseMCPCallCompletedEvent,
    ResponseMCPCallFailedEvent,
    ResponseMCPCallInProgressEvent,
    ResponseMCPListToolsCompletedEvent,
    ResponseMCPListToolsFailedEvent,
    ResponseMCPListToolsInProgressEvent,
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
    ResponseShellCallCommandAddedStreamingEvent,
    ResponseShellCallCommandDeltaStreamingEvent,
    ResponseShellCallCommandDoneStreamingEvent,
    ResponseShellCallOutputContentDeltaStreamingEvent,
    ResponseShellCallOutputContentDoneStreamingEvent,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
    ResponseWebSearchCallCompletedEvent,
    ResponseWebSearchCallInProgressEvent,
    ResponseWebSearchCallSearchingEvent,
)
from streamkit.models._verdict import ServerError, Verdict
from streamkit.models.responses import (
    ApplyPatchToolCall,
    CodeInterpreterToolCall,
    CustomToolCall,
    FileSearchToolCall,
    FunctionShellCall,
    FunctionShellCallOutput,
    FunctionToolCall,
    ImageGenToolCall,
    MCPListTools,
    MCPToolCall,
    OutputItem,
    OutputMessage,
    OutputText,
    ReasoningItem,
    Refusal,
    Response,
    UnknownItem,
    WebSearchToolCall,
)
from streamkit.reducers._arguments import parse_arguments
from streamkit.reducers._base import StatefulReducer
from streamkit.reducers._finished import (
    Finished,
    ItemDone,
    ReasoningSummaryDone,
    RefusalDone,
    TextDone,
    ToolCallDone,
)
from streamkit.reducers._integrity import (
    IntegrityPolicy,
    IntegrityReporter,
    StreamIntegrityError,
    StreamIntegrityWarning,
    check_policy,
    record_bounded,
)
from streamkit.reducers.responses._state import (
    PLACEHOLDERS,
    Divergence,
    ResponseReducerState,
    SequenceIssue,
    _Part,
    _Pending,
    _ShellOut,
    _Slot,
    clear_streamed,
    empty_response,
    existing_command,
    existing_part,
    fold_text,
    join,
    part_text_of,
    part_type_of,
    release_streamed,
    slot_fold_text,
    slot_item,
    streamed_text,
    to_logprob,
)
from streamkit.reducers.responses._verify import (
    compare,
    item_type,
    to_builtins_view,
    verify_item,
    verify_view,
)

__all__ = ["ResponseEvent", "ResponseReducer", "SequenceIntegrityError"]

"""What ``ResponseReducer`` does on a ``sequence_number`` break (an :data:`IntegrityPolicy`)."""

ResponseEvent = ResponseStreamEvent | UnknownEvent

# Item fields the terminal response may legitimately change after the item's
# `output_item.done`; the fold takes them from the terminal response (found by
# comparing every recording's `output_item.done` items with its final output):
# * `encrypted_content` (reasoning, compaction items): the server re-encrypts
#   the opaque state for the stored response; the terminal value is the one a
#   follow-up request must send back.
# * `fingerprint` (program items): an opaque token regenerated the same way.
# * `id`: OpenAI-compatible providers stream temporary ids (`rs_tmp_...`) and
#   assign the permanent one in the terminal response; later requests must
#   reference the permanent id.
# Text, arguments and code are never taken from the terminal response.
_SERVER_FINAL_FIELDS = ("id", "encrypted_content", "fingerprint")

_STATE_DECODER = msgspec.json.Decoder(ResponseReducerState)
_STATE_ENCODER = msgspec.json.Encoder()

#: Skipped ``sequence_number`` ranges remembered to tell a late event from a
#: duplicate; beyond this many the oldest are forgotten (a number that late is
#: then reported as a duplicate rather than a reorder).
MAX_MISSING_RANGES: Final = 1000

# Status events: event class -> (status set on the item, the item's kind).
_STATUS_EVENTS: dict[type[Any], tuple[str, type[OutputItem]]] = {
    ResponseFileSearchCallInProgressEvent: ("in_progress", FileSearchToolCall),
    ResponseFileSearchCallSearchingEvent: ("searching", FileSearchToolCall),
    ResponseFileSearchCallCompletedEvent: ("completed", FileSearchToolCall),
    ResponseWebSearchCallInProgressEvent: ("in_progress", WebSearchToolCall),
    ResponseWebSearchCallSearchingEvent: ("searching", WebSearchToolCall),
    ResponseWebSearchCallCompletedEvent: ("completed", WebSearchToolCall),
    ResponseCodeInterpreterCallInProgressEvent: ("in_progress", CodeInterpreterToolCall),
    ResponseCodeInterpreterCallInterpretingEvent: ("interpreting", CodeInterpreterToolCall),
    ResponseCodeInterpreterCallCompletedEvent: ("completed", CodeInterpreterToolCall),
    ResponseImageGenCallInProgressEvent: ("in_progress", ImageGenToolCall),
    ResponseImageGenCallGeneratingEvent: ("generating", ImageGenToolCall),
    ResponseImageGenCallCompletedEvent: ("completed", ImageGenToolCall),
    ResponseMCPCallInProgressEvent: ("in_progress", MCPToolCall),
    ResponseMCPCallCompletedEvent: ("completed", MCPToolCall),
    ResponseMCPCallFailedEvent: ("failed", MCPToolCall),
    # MCPListTools has no `status` field: these only create the slot.
    ResponseMCPListToolsInProgressEvent: ("in_progress", MCPListTools),
    ResponseMCPListToolsCompletedEvent: ("completed", MCPListTools),
    ResponseMCPListToolsFailedEvent: ("failed", MCPListTools),
}

# Deltas of the one streamed string of a tool-like item: event class -> item kind.
_PIECE_DELTAS: dict[type[Any], type[OutputItem]] = {
    ResponseFunctionCallArgumentsDeltaEvent: FunctionToolCall,
    ResponseCustomToolCallInputDeltaEvent: CustomToolCall,
    ResponseMCPCallArgumentsDeltaEvent: MCPToolCall,
    ResponseCodeInterpreterCallCodeDeltaEvent: CodeInterpreterToolCall,
    ResponseApplyPatchCallOperationDiffDeltaEvent: ApplyPatchToolCall,
}

# Their done events: event class -> (item kind, path of the string in the item,
# event field holding the full value, whether the value completes a tool call).
_PIECE_DONES: dict[type[Any], tuple[type[OutputItem], str, str, bool]] = {
    ResponseFunctionCallArgumentsDoneEvent: (FunctionToolCall, "arguments", "arguments", True),
    ResponseCustomToolCallInputDoneEvent: (CustomToolCall, "input", "input", True),
    ResponseMCPCallArgumentsDoneEvent: (MCPToolCall, "arguments", "arguments", True),
    ResponseCodeInterpreterCallCodeDoneEvent: (CodeInterpreterToolCall, "code", "code", False),
    ResponseApplyPatchCallOperationDiffDoneEvent: (
        ApplyPatchToolCall,
        "operation.diff",
        "diff",
        False,
    ),
}

# Text deltas of content and summary parts: event class -> part type.
_PART_DELTAS: dict[type[Any], str] = {
    ResponseTextDeltaEvent: "output_text",
    ResponseRefusalDeltaEvent: "refusal",
    ResponseReasoningTextDeltaEvent: "reasoning_text",
    ResponseReasoningSummaryTextDeltaEvent: "summary_text",
}

# Their done events: event class -> (part type, event field holding the full text).
_PART_DONES: dict[type[Any], tuple[str, str]] = {
    ResponseTextDoneEvent: ("output_text", "text"),
    ResponseRefusalDoneEvent: ("refusal", "refusal"),
    ResponseReasoningTextDoneEvent: ("reasoning_text", "text"),
    ResponseReasoningSummaryTextDoneEvent: ("summary_text", "text"),
}

# The item kind each part type lives in.
_PART_ITEMS: dict[str, type[OutputItem]] = {
    "output_text": OutputMessage,
    "refusal": OutputMessage,
    "reasoning_text": ReasoningItem,
    "summary_text": ReasoningItem,
}

# Event class -> name of the ResponseReducer method folding it.
_HANDLERS: dict[type[Any], str] = {
    ResponseCreatedEvent: "_on_snapshot",
    ResponseQueuedEvent: "_on_snapshot",
    ResponseInProgressEvent: "_on_snapshot",
    ResponseCompletedEvent: "_on_terminal",
    ResponseFailedEvent: "_on_terminal",
    ResponseIncompleteEvent: "_on_terminal",
    ResponseErrorEvent: "_on_error",
    ResponseKeepaliveEvent: "_on_keepalive",
    ResponseOutputItemAddedEvent: "_on_item_added",
    ResponseOutputItemDoneEvent: "_on_item_done",
    ResponseContentPartAddedEvent: "_on_part_added",
    ResponseContentPartDoneEvent: "_on_part_done",
    ResponseReasoningSummaryPartAddedEvent: "_on_summary_part_added",
    ResponseReasoningSummaryPartDoneEvent: "_on_summary_part_done",
    ResponseOutputTextAnnotationAddedEvent: "_on_annotation",
    ResponseAudioDeltaEvent: "_on_audio_delta",
    ResponseAudioDoneEvent: "_on_ignored",
    ResponseAudioTranscriptDeltaEvent: "_on_transcript_delta",
    ResponseAudioTranscriptDoneEvent: "_on_ignored",
    ResponseImageGenCallPartialImageEvent: "_on_partial_image",
    ResponseShellCallCommandAddedStreamingEvent: "_on_command_added",
    ResponseShellCallCommandDeltaStreamingEvent: "_on_command_delta",
    ResponseShellCallCommandDoneStreamingEvent: "_on_command_done",
    ResponseShellCallOutputContentDeltaStreamingEvent: "_on_shell_delta",
    ResponseShellCallOutputContentDoneStreamingEvent: "_on_shell_done",
    ResponseCompactionCompactingEvent: "_on_ignored",
    **dict.fromkeys(_STATUS_EVENTS, "_on_status"),
    **dict.fromkeys(_PIECE_DELTAS, "_on_piece_delta"),
    **dict.fromkeys(_PIECE_DONES, "_on_piece_done"),
    **dict.fromkeys(_PART_DELTAS, "_on_part_delta"),
    **dict.fromkeys(_PART_DONES, "_on_part_text_done"),
}
# The plain text delta, by far the most frequent event, has its own fast path.
_HANDLERS[ResponseTextDeltaEvent] = "_on_text_delta"

_INDEX_NAMES: Final = (
    "output_index",
    "content_index",
    "summary_index",
    "annotation_index",
    "command_index",
    "partial_image_index",
)

# Event class -> its index fields, checked once per event before it is folded.
_INDEX_FIELDS: dict[type[Any], tuple[str, ...]] = {
    cls: names
    for cls in _HANDLERS
    if (names := tuple(n for n in _INDEX_NAMES if n in cls.__struct_fields__))
}

_PACKAGE_DIR: Final = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _outside_stacklevel() -> int:
    """How many frames, from this function's caller up, until the first frame
    outside this package (the caller of ``step()``), both included: the
    ``stacklevel`` of a warning about the event being stepped."""
    level = 1
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


class SequenceIntegrityError(StreamIntegrityError):
    """The stream's ``sequence_number`` order is broken (policy ``"raise"``).

    ``issue`` is the :class:`SequenceIssue` that was detected.
    """

    def __init__(self, issue: SequenceIssue, *, event_type: str | None = None) -> None:
        self.issue = issue
        super().__init__(
            f"sequence_number {issue.kind}: expected {issue.expected}, got {issue.got}",
            index=issue.index,
            event_type=event_type,
        )


def _event_type(event: Any) -> str | None:
    if isinstance(event, UnknownEvent):
        return event.type
    config = getattr(type(event), "__struct_config__", None)
    tag = getattr(config, "tag", None)
    return tag if isinstance(tag, str) else None


class _SequenceOnly(msgspec.Struct):
    sequence_number: int | None = None


_SEQUENCE_DECODER = msgspec.json.Decoder(_SequenceOnly)


class ResponseReducer(
    IntegrityReporter, StatefulReducer[ResponseEvent, Response, ResponseReducerState]
):
    """Fold Responses stream events into the final :class:`Response`.

    Feed it every event (``step``) and call ``finish()`` when the bytes end;
    ``result()`` is the response so far, with ``result().verdict`` telling how
    the stream ended. Treat returned objects as read-only: they share
    structure with the reducer's state.

    How the events fold:

    * ``response.created`` / ``queued`` / ``in_progress`` set the top-level
      fields; ``completed`` / ``failed`` / ``incomplete`` replace them with the
      server's final ones. ``output`` is always the fold.
    * ``output_item.added`` creates the item at ``output_index``;
      ``output_item.done`` replaces it with the server's full value.
    * Text, refusals, arguments, custom tool input, code, diffs, reasoning and
      summary text, shell commands and output accumulate from their deltas;
      their ``.done`` events carry the full value, which wins.
    * Status events (web/file search, code interpreter, image generation, MCP)
      set the item's ``status``.
    * Image generation: an item's ``result`` comes only from the server's item
      (``output_item.done``): a partial image is a preview, not the result. The
      latest partial image is kept and given by :meth:`partial_image`; the
      partial-image event's size/quality/background/output_format are set on
      the item.
    * ``response.audio.delta`` / ``response.audio.transcript.delta`` belong to
      no item: they accumulate in :attr:`audio` / :attr:`audio_transcript`.
    * ``keepalive`` and unknown events are counted and otherwise ignored; an
      ``error`` event makes the verdict ``errored`` (whatever terminal event
      follows; a failed response's own error stays on ``result().error``).
    * Events for an item or part that was never added create a placeholder
      (an assistant message for text, a reasoning item for reasoning text,
      the call kind for tool events) so nothing is lost.

    Options:

    * ``verify=True``: compare the delta-built values with the server's values
      when each ``*.done``, ``output_item.done`` and terminal event arrives;
      mismatches are listed in :attr:`divergences`.
    * ``sequence_policy``: what to do when ``sequence_number`` skips, repeats
      or goes back (always recorded in :attr:`sequence_issues`): ``"ignore"``,
      ``"warn"`` (a :class:`StreamIntegrityWarning`, the default) or
      ``"raise"`` (:class:`SequenceIntegrityError`, a
      :class:`StreamIntegrityError`, before the event is folded).
      Events without a sequence number are not checked.
    * ``index_policy``: what to do with an event whose index is negative (or
      not an integer), or that is aimed at an item of another kind (a
      reasoning delta at a message...); such an event is never folded and is
      recorded in :attr:`integrity_issues`. ``"ignore"``, ``"warn"`` (the
      default) or ``"raise"`` (:class:`StreamIntegrityError`).

    Both records keep their first ``MAX_RECORDED_ISSUES`` entries;
    :attr:`sequence_issue_count` and :attr:`integrity_issue_count` count all.

    All state is one Struct (``ResponseReducer.State``): ``checkpoint()`` and
    ``ResponseReducer.restore(data, **options)`` continue a fold elsewhere.
    """

    State: ClassVar[type[ResponseReducerState]] = ResponseReducerState

    def __init__(
        self,
        *,
        verify: bool = False,
        sequence_policy: IntegrityPolicy = "warn",
        index_policy: IntegrityPolicy = "warn",
    ) -> None:
        self.sequence_policy: IntegrityPolicy = check_policy("sequence_policy", sequence_policy)
        self.index_policy = check_policy("index_policy", index_policy)
        self._state = ResponseReducerState()
        self.verify = verify
        # Derived, never checkpointed: the last result and materialized items
        # per output_index (dropped whenever an event touches the slot).
        self._result: Response | None = None
        self._cache: dict[int, OutputItem] = {}
        self._handlers: dict[type[Any], Callable[[Any], None]] = {
            cls: getattr(self, name) for cls, name in _HANDLERS.items()
        }

    @property
    def state(self) -> ResponseReducerState:
        """The reducer's whole state (assigning one drops the derived caches)."""
        return self._state

    @state.setter
    def state(self, value: ResponseReducerState) -> None:
        self._state = value
        self._result = None
        self._cache = {}

    # ------------------------------------------------------------------ #
    # Reducer protocol
    # ------------------------------------------------------------------ #

    def step(self, event: ResponseEvent) -> None:
        """Fold one event (a decoded Responses event or an UnknownEvent)."""
        st = self._state
        index = st.events
        st.events = index + 1
        self._result = None
        cls = type(event)
        handler = self._handlers.get(cls)
        if handler is None:
            self._on_unknown(event, index)
            return
        seq = event.sequence_number  # type: ignore[union-attr]
        if seq == st.next_seq:
            st.next_seq = seq + 1
        elif seq is not UNSET:
            self._sequence(seq, index, event)
        handler(event)

    def result(self) -> Response:
        """The response so far: top-level fields from the latest lifecycle
        event (a placeholder with ``id == ""`` before any), ``output`` folded.
        Cached until the next ``step``."""
        result = self._result
        if result is None:
            result = self._build()
            self._result = result
        return result

    def finish(self) -> Response:
        """Mark the end of the stream and return the final response; its
        verdict is set from the terminal event (``truncated`` when none came)."""
        self._state.finished = True
        self._result = None
        return self.result()

    def checkpoint(self) -> bytes:
        """The reducer's state, encoded.

        JSON rather than the base class's MessagePack: items of unknown kinds
        keep their raw JSON (``msgspec.Raw``), which only a JSON encoding can
        carry verbatim.
        """
        return _STATE_ENCODER.encode(self._state)

    @classmethod
    def restore(cls, data: bytes, **options: Any) -> ResponseReducer:
        """A reducer continuing from ``checkpoint()`` bytes (``options`` as for
        the constructor: they are not part of the checkpoint)."""
        reducer = cls(**options)
        reducer.state = _STATE_DECODER.decode(data)
        return reducer

    # ------------------------------------------------------------------ #
    # Public extras
    # ------------------------------------------------------------------ #

    def take_finished(self) -> list[Finished]:
        """The "finished" events completed since the last call, in order.

        Each text part, refusal, reasoning summary part, tool call and item is
        reported exactly once, when its ``.done`` event, its item's
        ``output_item.done`` or the terminal response event arrives.
        """
        pending = self._state.pending
        if not pending:
            return []
        self._state.pending = []
        return [_finished(p) for p in pending]

    @property
    def divergences(self) -> list[Divergence]:
        """Mismatches between delta-built and server values (``verify=True``)."""
        return self._state.divergences

    @property
    def sequence_issues(self) -> list[SequenceIssue]:
        """Gaps, duplicates and reorderings of ``sequence_number`` seen so far
        (the first ``MAX_RECORDED_ISSUES``; :attr:`sequence_issue_count`
        counts them all)."""
        return self._state.sequence_issues

    @property
    def sequence_issue_count(self) -> int:
        """How many ``sequence_number`` breaks were seen, recorded in full or not."""
        return self._state.sequence_issue_count

    @property
    def integrity_issues(self) -> list[str]:
        """Events not folded because of a bad index or an item of another kind
        (the first ``MAX_RECORDED_ISSUES``; :attr:`integrity_issue_count`
        counts them all)."""
        return self._state.integrity_issues

    @property
    def integrity_issue_count(self) -> int:
        """How many events were not folded because of an integrity issue."""
        return self._state.integrity_issue_count

    @property
    def audio(self) -> str:
        """Base64 audio accumulated from ``response.audio.delta``."""
        return join(self._state.audio)

    @property
    def audio_transcript(self) -> str:
        """Transcript accumulated from ``response.audio.transcript.delta``."""
        return join(self._state.audio_transcript)

    @property
    def keepalives(self) -> int:
        """Number of ``keepalive`` events seen."""
        return self._state.keepalives

    @property
    def unknown_events(self) -> int:
        """Number of events of unknown type seen (ignored)."""
        return self._state.unknown_events

    def partial_image(self, output_index: int) -> str | None:
        """The latest ``partial_image_b64`` of an image generation call."""
        slot = self._state.slots.get(output_index)
        return None if slot is None else slot.partial_image

    # ------------------------------------------------------------------ #
    # Building the result
    # ------------------------------------------------------------------ #

    def _build(self) -> Response:
        st = self._state
        cache = self._cache
        output: list[OutputItem] = []
        for index in sorted(st.slots):
            item = cache.get(index)
            if item is None:
                item = slot_item(st.slots[index])
                if item is None:
                    continue
                cache[index] = item
            output.append(item)
        base = st.response if st.response is not None else empty_response()
        response = replace(base, output=output)
        response._set_verdict(self._verdict())
        return response

    def _verdict(self) -> Verdict:
        st = self._state
        # The highest number seen: where a resumed stream would start after.
        seq = None if st.next_seq is None else st.next_seq - 1
        events = st.events
        if not st.finished:
            return Verdict(status="in_progress", last_sequence_number=seq, events=events)
        response = st.response
        if st.error is not None:
            return Verdict(
                status="errored", error=st.error, last_sequence_number=seq, events=events
            )
        if st.terminal == "failed":
            failed = response.error if response is not None else None
            error = ServerError.from_event(failed) if failed is not None else None
            return Verdict(status="failed", error=error, last_sequence_number=seq, events=events)
        if st.terminal == "incomplete":
            details = response.incomplete_details if response is not None else None
            reason = details.reason if details is not None else None
            return Verdict(
                status="incomplete",
                reason=reason if isinstance(reason, str) else None,
                last_sequence_number=seq,
                events=events,
            )
        if st.terminal == "completed":
            return Verdict(status="completed", last_sequence_number=seq, events=events)
        return Verdict(status="truncated", last_sequence_number=seq, events=events)

    # ------------------------------------------------------------------ #
    # Integrity: sequence numbers, indices, item kinds
    # ------------------------------------------------------------------ #

    def _integrity_issues(self) -> list[str]:
        return self._state.integrity_issues

    def _count_issue(self) -> None:
        self._state.integrity_issue_count += 1

    def _event_count(self) -> int:
        return self._state.events

    def _report(self, event: Any, problem: str) -> None:
        """Report a problem with the event being folded (per ``index_policy``)."""
        self._issue(
            f"event #{self._state.events - 1} ({_event_type(event)}): {problem}",
            event_type=_event_type(event),
            stacklevel=_outside_stacklevel(),
        )

    def _indices_ok(self, event: Any) -> bool:
        """Whether every index of ``event`` is a non-negative integer (reported
        when not).

        Checked where an event's indices first reach the state (creating or
        locating a slot): the fast paths of the frequent deltas only look up
        keys already in the state, which passed this check when they entered.
        """
        for name in _INDEX_FIELDS.get(type(event), ()):
            value = getattr(event, name)
            if type(value) is not int or value < 0:
                problem = "is negative" if type(value) is int else "is not an integer"
                self._report(event, f"{name} {value!r} {problem}; event ignored")
                return False
        return True

    def _kind_mismatch(
        self, event: Any, index: int, found: OutputItem | None, wanted: type[Any]
    ) -> None:
        self._report(
            event,
            f"output_index {index} holds a {item_type(found)} item, "
            f"not a {wanted.__struct_config__.tag}; event ignored",
        )

    def _sequence(self, seq: int, index: int, event: Any) -> None:
        st = self._state
        expected = st.next_seq
        if expected is None:  # the first number: streams may resume mid-way
            st.next_seq = seq + 1
            return
        issue: SequenceIssue
        if seq > expected:
            missing = st.missing
            missing.append((expected, seq - 1))
            if len(missing) > MAX_MISSING_RANGES:
                del missing[0]
            st.next_seq = seq + 1
            issue = SequenceIssue(kind="gap", expected=expected, got=seq, index=index)
        elif self._take_missing(seq):
            issue = SequenceIssue(kind="reorder", expected=expected, got=seq, index=index)
        else:
            issue = SequenceIssue(kind="duplicate", expected=expected, got=seq, index=index)
        record_bounded(st.sequence_issues, issue)
        st.sequence_issue_count += 1
        if self.sequence_policy == "raise":
            raise SequenceIntegrityError(issue, event_type=_event_type(event))
        if self.sequence_policy == "warn":
            warnings.warn(
                f"event #{index} ({_event_type(event)}): sequence_number {issue.kind}: "
                f"expected {issue.expected}, got {issue.got}",
                StreamIntegrityWarning,
                stacklevel=_outside_stacklevel(),
            )

    def _take_missing(self, seq: int) -> bool:
        """Remove ``seq`` from the skipped ranges; False if it was not skipped."""
        missing = self._state.missing
        # The ranges are disjoint and in increasing order: the candidate is the
        # last one starting at or before ``seq``.
        i = bisect_right(missing, (seq, float("inf"))) - 1
        if i < 0:
            return False
        lo, hi = missing[i]
        if seq > hi:
            return False
        missing[i : i + 1] = [(a, b) for a, b in ((lo, seq - 1), (seq + 1, hi)) if a <= b]
        return True

    def _on_unknown(self, event: Any, index: int) -> None:
        self._state.unknown_events += 1
        raw = getattr(event, "raw", None)
        if isinstance(raw, bytes | bytearray | memoryview):
            # An unknown event still takes its place in the numbering; skipping
            # it would report a false gap at the next known event.
            try:
                seq = _SEQUENCE_DECODER.decode(raw).sequence_number
            except (msgspec.MsgspecError, RecursionError):  # not JSON, or nested too deep
                seq = None
            if seq is not None:
                if seq == self._state.next_seq:
                    self._state.next_seq = seq + 1
                else:
                    self._sequence(seq, index, event)

    # ------------------------------------------------------------------ #
    # Slots and parts
    # ------------------------------------------------------------------ #

    def _slot(self, event: Any, index: int, kind: type[OutputItem], item_id: str) -> _Slot | None:
        """The slot at ``index`` for ``event``, created with a placeholder item of
        ``kind`` if needed; None (reported) when an index of the event is
        impossible or the slot holds an item of another kind."""
        if not self._indices_ok(event):
            return None
        self._cache.pop(index, None)
        slot = self._state.slots.get(index)
        if slot is None:
            slot = _Slot(item=PLACEHOLDERS[kind](item_id))
            self._state.slots[index] = slot
        elif slot.item is None:
            slot.item = PLACEHOLDERS[kind](item_id)
            slot.prefix = streamed_text(slot.item)
        elif type(slot.item) is not kind:
            self._kind_mismatch(event, index, slot.item, kind)
            return None
        return slot

    def _set_item(self, event: Any, index: int, slot: _Slot, item: OutputItem) -> None:
        """Give ``slot`` the server's ``item``; what the deltas built for an item
        of another kind is reported and dropped (it cannot be part of this one)."""
        current = slot.item
        if current is not None and type(current) is not type(item):
            # An item of the streamed kind kept raw (it holds a part or annotation of
            # a new kind) is the same item: the server's JSON simply replaces the fold.
            same = isinstance(item, UnknownItem) and item_type(item) == item_type(current)
            streamed = slot.parts or slot.summary or slot.pieces or slot.commands or slot.shell
            if streamed and not same:
                self._report(
                    event,
                    f"output_index {index} streamed as a {item_type(current)} item "
                    f"is a {item_type(item)} item; its streamed values dropped",
                )
            clear_streamed(slot)
        slot.item = item

    def _part(
        self, event: Any, index: int, content_index: int, item_id: str, kind: str
    ) -> _Part | None:
        """The content part, created (with its item) if needed."""
        slot = self._slot(event, index, _PART_ITEMS[kind], item_id)
        if slot is None:
            return None
        part = slot.parts.get(content_index)
        if part is None:
            # A snapshot may already hold the part (resumed streams): extend it.
            base = existing_part(slot.item, content_index, summary=False)
            part = _Part(type=part_type_of(base) if base else kind, base=base)
            slot.parts[content_index] = part
        return part

    def _summary(self, event: Any, index: int, summary_index: int, item_id: str) -> _Part | None:
        slot = self._slot(event, index, ReasoningItem, item_id)
        if slot is None:
            return None
        part = slot.summary.get(summary_index)
        if part is None:
            base = existing_part(slot.item, summary_index, summary=True)
            part = _Part(type="summary_text", base=base)
            slot.summary[summary_index] = part
        return part

    def _text_part(self, event: Any, kind: str) -> tuple[int, _Part | None]:
        """The part a text event of part type ``kind`` is aimed at, and its index
        (``summary_index`` for summary text, else ``content_index``)."""
        if kind == "summary_text":
            at = event.summary_index
            return at, self._summary(event, event.output_index, at, event.item_id)
        at = event.content_index
        return at, self._part(event, event.output_index, at, event.item_id, kind)

    def _compare(self, path: str, fold: Any, server: Any) -> None:
        compare(self._state.divergences, path, fold, server)

    # ------------------------------------------------------------------ #
    # Lifecycle
    # ------------------------------------------------------------------ #

    def _on_snapshot(
        self, event: ResponseCreatedEvent | ResponseQueuedEvent | ResponseInProgressEvent
    ) -> None:
        st = self._state
        if st.terminal is not None:
            return  # a late non-terminal snapshot must not undo the final one
        response = event.response
        output = response.output
        st.response = replace(response, output=UNSET)
        if isinstance(output, list):
            # A resumed stream's snapshot may already hold items whose events
            # were before the resumption point.
            for index, item in enumerate(output):
                if index not in st.slots:
                    st.slots[index] = _Slot(item=item, prefix=streamed_text(item))
                    self._cache.pop(index, None)

    def _on_terminal(
        self, event: ResponseCompletedEvent | ResponseFailedEvent | ResponseIncompleteEvent
    ) -> None:
        st = self._state
        response = event.response
        st.response = replace(response, output=UNSET)
        if isinstance(event, ResponseCompletedEvent):
            st.terminal = "completed"
        elif isinstance(event, ResponseFailedEvent):
            st.terminal = "failed"
        else:
            st.terminal = "incomplete"
        if isinstance(response.output, list):
            self._merge_final(event, response.output)
        self._cache.clear()
        for index in sorted(st.slots):
            slot = st.slots[index]
            if not slot.announced_item:
                self._announce_item(index, slot)

    def _merge_final(self, event: Any, server_output: list[OutputItem]) -> None:
        """Reconcile the fold with the terminal response's output.

        The fold stays the output; the terminal response contributes only:

        * for items closed by ``output_item.done``: ``_SERVER_FINAL_FIELDS``;
        * for items never closed (recorded streams skip ``output_item.done``
          for some ``mcp_list_tools`` items, whose ``tools`` then exist only in
          the terminal response): the server's item, with the streamed text
          folded over it;
        * items the stream never mentioned (nothing else knows them).
        """
        st = self._state
        verify = self.verify
        for index, server in enumerate(server_output):
            slot = st.slots.get(index)
            if slot is None or slot.item is None:
                if verify:
                    self._compare(f"output[{index}]", None, to_builtins_view(server))
                if slot is None:
                    st.slots[index] = _Slot(item=server, done=True)
                else:
                    slot.item, slot.done = server, True
                continue
            current = slot.item
            if type(current) is not type(server):
                if verify:
                    self._compare(f"output[{index}].type", item_type(current), item_type(server))
                if not slot.done:  # a placeholder's kind was a guess
                    self._set_item(event, index, slot, server)
                continue
            if slot.done:
                if verify:
                    fold_b, server_b = to_builtins_view(current), to_builtins_view(server)
                    for name in _SERVER_FINAL_FIELDS:
                        fold_b.pop(name, None)
                        server_b.pop(name, None)
                    self._compare(f"output[{index}]", fold_b, server_b)
                patch = {
                    name: getattr(server, name)
                    for name in _SERVER_FINAL_FIELDS
                    if name in current.__struct_fields__
                    and getattr(server, name) != getattr(current, name)
                }
                if patch:
                    slot.item = replace(current, **patch)
            else:
                if verify:
                    verify_view(st.divergences, index, slot, server)
                slot.item = server
        if verify:
            for index in st.slots:
                if index >= len(server_output):
                    item = slot_item(st.slots[index])
                    self._compare(f"output[{index}]", to_builtins_view(item), None)

    def _on_error(self, event: ResponseErrorEvent) -> None:
        if self._state.error is None:
            self._state.error = ServerError.from_event(event)

    def _on_keepalive(self, event: ResponseKeepaliveEvent) -> None:
        self._state.keepalives += 1

    def _on_ignored(self, event: Any) -> None:
        """Events that carry no state (``*.done`` markers of audio, compaction
        progress)."""

    # ------------------------------------------------------------------ #
    # Items
    # ------------------------------------------------------------------ #

    def _on_item_added(self, event: ResponseOutputItemAddedEvent) -> None:
        if not self._indices_ok(event):
            return
        index = event.output_index
        self._cache.pop(index, None)
        item = event.item
        slot = self._state.slots.get(index)
        if slot is None:
            self._state.slots[index] = _Slot(item=item, prefix=streamed_text(item))
        elif item is not None and not slot.done:
            # Deltas may have arrived first: keep them, take the real item.
            self._set_item(event, index, slot, item)
            if not slot.pieces:
                slot.prefix = streamed_text(item)

    def _on_item_done(self, event: ResponseOutputItemDoneEvent) -> None:
        if not self._indices_ok(event):
            return
        index = event.output_index
        self._cache.pop(index, None)
        slot = self._state.slots.get(index)
        if slot is None:
            slot = _Slot()
            self._state.slots[index] = slot
        if event.item is None:
            # Nothing to replace with: freeze the fold as the item's value.
            slot.item = slot_item(slot)
        else:
            if self.verify:
                verify_item(self._state.divergences, index, slot, event.item)
            self._set_item(event, index, slot, event.item)
        slot.done = True
        if not slot.announced_item:
            self._announce_item(index, slot)
        if not self.verify:
            release_streamed(slot)

    # ------------------------------------------------------------------ #
    # Content parts and text
    # ------------------------------------------------------------------ #

    def _on_part_added(self, event: ResponseContentPartAddedEvent) -> None:
        kind = part_type_of(event.part)
        part = self._part(event, event.output_index, event.content_index, event.item_id, kind)
        if part is None:
            return
        part.type = kind
        part.base = event.part

    def _on_part_done(self, event: ResponseContentPartDoneEvent) -> None:
        index, content_index, value = event.output_index, event.content_index, event.part
        kind = part_type_of(value)
        part = self._part(event, index, content_index, event.item_id, kind)
        if part is None:
            return
        text = part_text_of(value)
        if self.verify:
            path = f"output[{index}].content[{content_index}]"
            field = "refusal" if isinstance(value, Refusal) else "text"
            self._compare(f"{path}.{field}", fold_text(part), text)
            if isinstance(value, OutputText):
                fold = slot_item(self._state.slots[index], final=False)
                if isinstance(fold, OutputMessage) and content_index < len(fold.content):
                    fold_part = fold.content[content_index]
                    if isinstance(fold_part, OutputText):
                        self._compare(
                            f"{path}.annotations",
                            to_builtins_view(fold_part.annotations),
                            to_builtins_view(value.annotations),
                        )
                # Not logprobs: this event sends `logprobs: []` even when the
                # text had logprobs (recordings); `output_text.done` has them.
        part.type = kind
        part.done_part = value
        part.done = text
        if isinstance(value, OutputText):
            self._announce_text(index, content_index, "text", text)
        elif isinstance(value, Refusal):
            self._announce_text(index, content_index, "refusal", text)

    def _on_text_delta(self, event: ResponseTextDeltaEvent) -> None:
        index = event.output_index
        try:
            slot = self._state.slots[index]
            part = slot.parts[event.content_index]
        except KeyError:
            part = None
        if part is None or type(slot.item) is not OutputMessage:
            part = self._part(event, index, event.content_index, event.item_id, "output_text")
            if part is None:
                return
        part.pieces.append(event.delta)
        if event.logprobs:
            part.logprobs.extend(event.logprobs)
        self._cache.pop(index, None)

    def _on_part_delta(
        self,
        event: ResponseRefusalDeltaEvent
        | ResponseReasoningTextDeltaEvent
        | ResponseReasoningSummaryTextDeltaEvent,
    ) -> None:
        _, part = self._text_part(event, _PART_DELTAS[type(event)])
        if part is not None:
            part.pieces.append(event.delta)

    def _on_part_text_done(
        self,
        event: ResponseTextDoneEvent
        | ResponseRefusalDoneEvent
        | ResponseReasoningTextDoneEvent
        | ResponseReasoningSummaryTextDoneEvent,
    ) -> None:
        kind, field = _PART_DONES[type(event)]
        at, part = self._text_part(event, kind)
        if part is None:
            return
        index = event.output_index
        text: str = getattr(event, field)
        logprobs = event.logprobs if isinstance(event, ResponseTextDoneEvent) else UNSET
        if self.verify:
            where = "summary" if kind == "summary_text" else "content"
            path = f"output[{index}].{where}[{at}]"
            self._compare(f"{path}.{field}", fold_text(part), text)
            if logprobs is not UNSET and (logprobs or part.logprobs):
                self._compare(
                    f"{path}.logprobs",
                    to_builtins_view([to_logprob(lp) for lp in part.logprobs]),
                    to_builtins_view([to_logprob(lp) for lp in logprobs]),
                )
        part.done = text
        if logprobs is not UNSET:
            part.done_logprobs = list(logprobs)
        if kind == "output_text":
            self._announce_text(index, at, "text", text)
        elif kind == "refusal":
            self._announce_text(index, at, "refusal", text)
        elif kind == "summary_text":
            self._announce_summary(index, at, text)

    def _on_annotation(self, event: ResponseOutputTextAnnotationAddedEvent) -> None:
        part = self._part(
            event, event.output_index, event.content_index, event.item_id, "output_text"
        )
        if part is not None and event.annotation is not None:
            part.annotations[event.annotation_index] = event.annotation

    # ------------------------------------------------------------------ #
    # Reasoning summary parts
    # ------------------------------------------------------------------ #

    def _on_summary_part_added(self, event: ResponseReasoningSummaryPartAddedEvent) -> None:
        part = self._summary(event, event.output_index, event.summary_index, event.item_id)
        if part is not None:
            part.base = event.part

    def _on_summary_part_done(self, event: ResponseReasoningSummaryPartDoneEvent) -> None:
        index, summary_index = event.output_index, event.summary_index
        part = self._summary(event, index, summary_index, event.item_id)
        if part is None:
            return
        if self.verify:
            path = f"output[{index}].summary[{summary_index}].text"
            self._compare(path, fold_text(part), event.part.text)
        part.done_part = event.part
        part.done = event.part.text
        self._announce_summary(index, summary_index, event.part.text)

    # ------------------------------------------------------------------ #
    # Audio
    # ------------------------------------------------------------------ #

    def _on_audio_delta(self, event: ResponseAudioDeltaEvent) -> None:
        self._state.audio.append(event.delta)

    def _on_transcript_delta(self, event: ResponseAudioTranscriptDeltaEvent) -> None:
        self._state.audio_transcript.append(event.delta)

    # ------------------------------------------------------------------ #
    # Tool calls
    # ------------------------------------------------------------------ #

    def _on_piece_delta(
        self,
        event: ResponseFunctionCallArgumentsDeltaEvent
        | ResponseCustomToolCallInputDeltaEvent
        | ResponseMCPCallArgumentsDeltaEvent
        | ResponseCodeInterpreterCallCodeDeltaEvent
        | ResponseApplyPatchCallOperationDiffDeltaEvent,
    ) -> None:
        index = event.output_index
        kind = _PIECE_DELTAS[type(event)]
        slot = self._state.slots.get(index)
        if slot is None or type(slot.item) is not kind:
            slot = self._slot(event, index, kind, event.item_id)
            if slot is None:
                return
        else:
            self._cache.pop(index, None)
        if slot.pieces is None:
            slot.pieces = [event.delta]
        else:
            slot.pieces.append(event.delta)

    def _on_piece_done(
        self,
        event: ResponseFunctionCallArgumentsDoneEvent
        | ResponseCustomToolCallInputDoneEvent
        | ResponseMCPCallArgumentsDoneEvent
        | ResponseCodeInterpreterCallCodeDoneEvent
        | ResponseApplyPatchCallOperationDiffDoneEvent,
    ) -> None:
        kind, path, field, completes_call = _PIECE_DONES[type(event)]
        index = event.output_index
        slot = self._slot(event, index, kind, event.item_id)
        if slot is None:
            return
        value: str = getattr(event, field)
        if self.verify:
            fold = slot_fold_text(slot) if slot.pieces else streamed_text(slot.item)
            self._compare(f"output[{index}].{path}", fold, value)
        slot.text_done = value
        if completes_call:
            self._announce_tool(index, slot)

    def _on_status(self, event: Any) -> None:
        status, kind = _STATUS_EVENTS[type(event)]
        slot = self._slot(event, event.output_index, kind, event.item_id)
        if slot is None:
            return
        slot.status = status
        item = slot.item
        if not slot.done and item is not None and "status" in item.__struct_fields__:
            slot.item = replace(item, status=status)

    def _on_partial_image(self, event: ResponseImageGenCallPartialImageEvent) -> None:
        slot = self._slot(event, event.output_index, ImageGenToolCall, event.item_id)
        if slot is None:
            return
        latest = slot.partial_image_index
        if latest is None or event.partial_image_index >= latest:
            slot.partial_image = event.partial_image_b64
            slot.partial_image_index = event.partial_image_index
        item = slot.item
        if isinstance(item, ImageGenToolCall) and not slot.done:
            changes = {
                name: value
                for name in ("size", "quality", "background", "output_format")
                if (value := getattr(event, name)) is not UNSET
            }
            if changes:
                slot.item = replace(item, **changes)

    # ------------------------------------------------------------------ #
    # Shell
    # ------------------------------------------------------------------ #

    def _command(self, event: Any, index: int, command_index: int) -> _Part | None:
        # Shell command events carry no item id.
        slot = self._slot(event, index, FunctionShellCall, "")
        if slot is None:
            return None
        part = slot.commands.get(command_index)
        if part is None:
            existing = existing_command(slot.item, command_index)
            part = _Part(type="command", pieces=[existing] if existing else [])
            slot.commands[command_index] = part
        return part

    def _on_command_added(self, event: ResponseShellCallCommandAddedStreamingEvent) -> None:
        part = self._command(event, event.output_index, event.command_index)
        if part is not None and event.command:
            part.pieces.append(event.command)

    def _on_command_delta(self, event: ResponseShellCallCommandDeltaStreamingEvent) -> None:
        part = self._command(event, event.output_index, event.command_index)
        if part is not None:
            part.pieces.append(event.delta)

    def _on_command_done(self, event: ResponseShellCallCommandDoneStreamingEvent) -> None:
        index, command_index = event.output_index, event.command_index
        part = self._command(event, index, command_index)
        if part is None:
            return
        if self.verify:
            path = f"output[{index}].action.commands[{command_index}]"
            self._compare(path, fold_text(part), event.command)
        part.done = event.command

    def _shell_out(
        self, event: Any, index: int, command_index: int, item_id: str
    ) -> _ShellOut | None:
        slot = self._slot(event, index, FunctionShellCallOutput, item_id)
        if slot is None:
            return None
        out = slot.shell.get(command_index)
        if out is None:
            out = _ShellOut()
            slot.shell[command_index] = out
        return out

    def _on_shell_delta(self, event: ResponseShellCallOutputContentDeltaStreamingEvent) -> None:
        out = self._shell_out(event, event.output_index, event.command_index, event.item_id)
        if out is None:
            return
        delta = event.delta
        if delta.stdout:
            out.stdout.append(delta.stdout)
        if delta.stderr:
            out.stderr.append(delta.stderr)

    def _on_shell_done(self, event: ResponseShellCallOutputContentDoneStreamingEvent) -> None:
        index, command_index = event.output_index, event.command_index
        out = self._shell_out(event, index, command_index, event.item_id)
        if out is None:
            return
        if self.verify:
            path = f"output[{index}].output[{command_index}]"
            stdout = "".join(c.stdout for c in event.output)
            stderr = "".join(c.stderr for c in event.output)
            self._compare(f"{path}.stdout", join(out.stdout), stdout)
            self._compare(f"{path}.stderr", join(out.stderr), stderr)
        out.done = list(event.output)

    # ------------------------------------------------------------------ #
    # Finished events
    # ------------------------------------------------------------------ #

    def _announce_text(
        self, index: int, content_index: int, kind: Literal["text", "refusal"], text: str
    ) -> None:
        slot = self._state.slots[index]
        if content_index in slot.announced_text or not isinstance(slot.item, OutputMessage):
            return
        slot.announced_text += (content_index,)
        self._state.pending.append(
            _Pending(kind=kind, output_index=index, index=content_index, text=text)
        )

    def _announce_summary(self, index: int, summary_index: int, text: str) -> None:
        slot = self._state.slots[index]
        if summary_index in slot.announced_summary:
            return
        slot.announced_summary += (summary_index,)
        self._state.pending.append(
            _Pending(kind="summary", output_index=index, index=summary_index, text=text)
        )

    def _announce_tool(self, index: int, slot: _Slot, item: OutputItem | None = None) -> None:
        if slot.announced_tool:
            return
        if item is None:
            item = slot_item(slot)
        pending: _Pending
        if isinstance(item, FunctionToolCall):
            pending = _Pending(
                kind="tool",
                output_index=index,
                text=item.arguments,
                name=item.name,
                call_id=item.call_id,
            )
        elif isinstance(item, CustomToolCall):
            pending = _Pending(
                kind="tool",
                output_index=index,
                text=item.input,
                name=item.name,
                call_id=item.call_id,
                tool_kind="custom_tool_call",
            )
        elif isinstance(item, MCPToolCall):
            pending = _Pending(
                kind="tool",
                output_index=index,
                text=item.arguments,
                name=item.name,
                tool_kind="mcp_call",
            )
        else:
            return
        slot.announced_tool = True
        self._state.pending.append(pending)

    def _announce_item(self, index: int, slot: _Slot) -> None:
        """Report what the item completes that was not reported yet, then the
        item itself (on ``output_item.done`` or the terminal event)."""
        item = slot_item(slot)
        if item is None:
            return
        if isinstance(item, OutputMessage):
            for content_index, value in enumerate(item.content):
                if isinstance(value, OutputText):
                    self._announce_text(index, content_index, "text", value.text)
                else:
                    self._announce_text(index, content_index, "refusal", value.refusal)
        elif isinstance(item, ReasoningItem):
            for summary_index, summary in enumerate(item.summary):
                self._announce_summary(index, summary_index, summary.text)
        else:
            self._announce_tool(index, slot, item)
        slot.announced_item = True
        self._state.pending.append(_Pending(kind="item", output_index=index, item=item))


def _finished(pending: _Pending) -> Finished:
    kind = pending.kind
    if kind == "text":
        return TextDone(
            text=pending.text, output_index=pending.output_index, content_index=pending.index
        )
    if kind == "refusal":
        return RefusalDone(
            refusal=pending.text, output_index=pending.output_index, content_index=pending.index
        )
    if kind == "summary":
        return ReasoningSummaryDone(
            text=pending.text, output_index=pending.output_index, summary_index=pending.index or 0
        )
    if kind == "item":
        return ItemDone(item=pending.item, output_index=pending.output_index)
    parsed: Any = None
    error: str | None = None
    # Custom tool input is free-form text by design (a grammar or plain text),
    # so it is not parsed as JSON; function and MCP arguments are JSON.
    if pending.tool_kind != "custom_tool_call":
        parsed, error = parse_arguments(pending.text)
    return ToolCallDone(
        name=pending.name,
        arguments=pending.text,
        parsed=parsed,
        parse_error=error,
        call_id=pending.call_id,
        kind=pending.tool_kind,
        output_index=pending.output_index,
    )

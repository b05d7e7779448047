"""Fold an OpenAI Responses stream into the final :class:`Response`.

:class:`ResponseReducer` builds the response from the deltas, not by copying
``response.completed``: the lifecycle events give the top-level fields, the
item and part events build ``output``. The server's ``*.done`` values and
``response.output_item.done`` items win over the deltas (they are the server's
full values), but a stream stripped of every ``*.done`` event gives the same
text, arguments, code and reasoning as the full one.

Values taken from the terminal response rather than the fold, and why, are
listed in ``_SERVER_FINAL_FIELDS`` and ``ResponseReducer._merge_final``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any, ClassVar, Literal

import msgspec
from msgspec import UNSET
from msgspec.structs import replace

from ..events._common import UnknownEvent
from ..events.responses import (
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
from ..models._verdict import Verdict
from ..models.responses import (
    CustomToolCall,
    FunctionToolCall,
    ImageGenToolCall,
    MCPToolCall,
    OutputItem,
    OutputMessage,
    OutputText,
    ReasoningItem,
    Refusal,
    Response,
)
from ._base import StatefulReducer
from ._finished import (
    Finished,
    ItemDone,
    ReasoningSummaryDone,
    RefusalDone,
    TextDone,
    ToolCallDone,
)
from ._integrity import StreamIntegrityError, StreamIntegrityWarning
from ._responses_state import (
    Divergence,
    ResponseReducerState,
    SequenceIssue,
    _Part,
    _Pending,
    _ShellOut,
    _Slot,
    builtins,
    delta_view,
    diff,
    empty_response,
    existing_command,
    existing_part,
    fold_text,
    item_type,
    join,
    new_apply_patch,
    new_code_interpreter,
    new_custom_tool_call,
    new_file_search,
    new_function_call,
    new_image_generation,
    new_mcp_call,
    new_mcp_list_tools,
    new_message,
    new_reasoning,
    new_shell_call,
    new_shell_output,
    new_web_search,
    part_text_of,
    part_type_of,
    slot_fold_text,
    slot_item,
    streamed_text,
    to_logprob,
)

__all__ = [
    "ResponseReducer",
    "ResponseReducerState",
    "Divergence",
    "SequenceIssue",
    "SequencePolicy",
    "SequenceIntegrityError",
    "StreamIntegrityWarning",
    "StreamIntegrityError",
]

SequencePolicy = Literal["ignore", "warn", "raise"]
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

# Status events: event class -> (status set on the item, placeholder factory).
_STATUS_EVENTS: dict[type[Any], tuple[str, Callable[[str], OutputItem]]] = {
    ResponseFileSearchCallInProgressEvent: ("in_progress", new_file_search),
    ResponseFileSearchCallSearchingEvent: ("searching", new_file_search),
    ResponseFileSearchCallCompletedEvent: ("completed", new_file_search),
    ResponseWebSearchCallInProgressEvent: ("in_progress", new_web_search),
    ResponseWebSearchCallSearchingEvent: ("searching", new_web_search),
    ResponseWebSearchCallCompletedEvent: ("completed", new_web_search),
    ResponseCodeInterpreterCallInProgressEvent: ("in_progress", new_code_interpreter),
    ResponseCodeInterpreterCallInterpretingEvent: ("interpreting", new_code_interpreter),
    ResponseCodeInterpreterCallCompletedEvent: ("completed", new_code_interpreter),
    ResponseImageGenCallInProgressEvent: ("in_progress", new_image_generation),
    ResponseImageGenCallGeneratingEvent: ("generating", new_image_generation),
    ResponseImageGenCallCompletedEvent: ("completed", new_image_generation),
    ResponseMCPCallInProgressEvent: ("in_progress", new_mcp_call),
    ResponseMCPCallCompletedEvent: ("completed", new_mcp_call),
    ResponseMCPCallFailedEvent: ("failed", new_mcp_call),
    # MCPListTools has no `status` field: these only create the slot.
    ResponseMCPListToolsInProgressEvent: ("in_progress", new_mcp_list_tools),
    ResponseMCPListToolsCompletedEvent: ("completed", new_mcp_list_tools),
    ResponseMCPListToolsFailedEvent: ("failed", new_mcp_list_tools),
}

# Events carrying the one streamed string of a tool-like item:
# event class -> (placeholder factory, name of the item field in paths).
_PIECE_DELTAS: dict[type[Any], tuple[Callable[[str], OutputItem], str]] = {
    ResponseCustomToolCallInputDeltaEvent: (new_custom_tool_call, "input"),
    ResponseMCPCallArgumentsDeltaEvent: (new_mcp_call, "arguments"),
    ResponseCodeInterpreterCallCodeDeltaEvent: (new_code_interpreter, "code"),
    ResponseApplyPatchCallOperationDiffDeltaEvent: (new_apply_patch, "operation.diff"),
}


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


class ResponseReducer(StatefulReducer[ResponseEvent, Response, ResponseReducerState]):
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

    All state is one Struct (``ResponseReducer.State``): ``checkpoint()`` and
    ``ResponseReducer.restore(data, **options)`` continue a fold elsewhere.
    """

    State: ClassVar[type[ResponseReducerState]] = ResponseReducerState

    def __init__(self, *, verify: bool = False, sequence_policy: SequencePolicy = "warn") -> None:
        if sequence_policy not in ("ignore", "warn", "raise"):
            raise ValueError(f"unknown sequence_policy {sequence_policy!r}")
        self._state = ResponseReducerState()
        self.verify = verify
        self.sequence_policy: SequencePolicy = sequence_policy
        # Derived, never checkpointed: the last result and materialized items
        # per output_index (dropped whenever an event touches the slot).
        self._result: Response | None = None
        self._cache: dict[int, OutputItem] = {}
        self._handlers: dict[type[Any], Callable[[Any], None]] = self._build_handlers()

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
        handler = self._handlers.get(type(event))
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
        """Gaps, duplicates and reorderings of ``sequence_number`` seen so far."""
        return self._state.sequence_issues

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
            error = response.error if response is not None else None
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
    # Sequence numbers and unknown events
    # ------------------------------------------------------------------ #

    def _sequence(self, seq: int, index: int, event: Any) -> None:
        st = self._state
        expected = st.next_seq
        if expected is None:  # the first number: streams may resume mid-way
            st.next_seq = seq + 1
            return
        issue: SequenceIssue
        if seq > expected:
            st.missing.append((expected, seq - 1))
            st.next_seq = seq + 1
            issue = SequenceIssue(kind="gap", expected=expected, got=seq, index=index)
        elif self._take_missing(seq):
            issue = SequenceIssue(kind="reorder", expected=expected, got=seq, index=index)
        else:
            issue = SequenceIssue(kind="duplicate", expected=expected, got=seq, index=index)
        st.sequence_issues.append(issue)
        if self.sequence_policy == "raise":
            raise SequenceIntegrityError(issue, event_type=_event_type(event))
        if self.sequence_policy == "warn":
            warnings.warn(
                f"event #{index} ({_event_type(event)}): sequence_number {issue.kind}: "
                f"expected {issue.expected}, got {issue.got}",
                StreamIntegrityWarning,
                stacklevel=3,
            )

    def _take_missing(self, seq: int) -> bool:
        """Remove ``seq`` from the skipped ranges; False if it was not skipped."""
        missing = self._state.missing
        for i, (lo, hi) in enumerate(missing):
            if lo <= seq <= hi:
                rest = [(a, b) for a, b in ((lo, seq - 1), (seq + 1, hi)) if a <= b]
                missing[i : i + 1] = rest
                return True
        return False

    def _on_unknown(self, event: Any, index: int) -> None:
        self._state.unknown_events += 1
        raw = getattr(event, "raw", None)
        if isinstance(raw, bytes | bytearray | memoryview):
            # An unknown event still takes its place in the numbering; skipping
            # it would report a false gap at the next known event.
            try:
                seq = _SEQUENCE_DECODER.decode(raw).sequence_number
            except msgspec.MsgspecError:
                seq = None
            if seq is not None:
                if seq == self._state.next_seq:
                    self._state.next_seq = seq + 1
                else:
                    self._sequence(seq, index, event)

    # ------------------------------------------------------------------ #
    # Slots and parts
    # ------------------------------------------------------------------ #

    def _slot(self, index: int, make: Callable[[str], OutputItem], item_id: str) -> _Slot:
        """The slot at ``index``, created with a placeholder item if needed."""
        self._cache.pop(index, None)
        slot = self._state.slots.get(index)
        if slot is None:
            slot = _Slot(item=make(item_id))
            self._state.slots[index] = slot
        elif slot.item is None:
            slot.item = make(item_id)
            slot.prefix = streamed_text(slot.item)
        return slot

    def _part(self, index: int, content_index: int, item_id: str, kind: str) -> _Part:
        """The content part, created (with its item) if needed."""
        make = new_reasoning if kind == "reasoning_text" else new_message
        slot = self._slot(index, make, item_id)
        part = slot.parts.get(content_index)
        if part is None:
            # A snapshot may already hold the part (resumed streams): extend it.
            base = existing_part(slot.item, content_index, summary=False)
            part = _Part(type=part_type_of(base) if base else kind, base=base)
            slot.parts[content_index] = part
        return part

    def _summary(self, index: int, summary_index: int, item_id: str) -> _Part:
        slot = self._slot(index, new_reasoning, item_id)
        part = slot.summary.get(summary_index)
        if part is None:
            base = existing_part(slot.item, summary_index, summary=True)
            part = _Part(type="summary_text", base=base)
            slot.summary[summary_index] = part
        return part

    def _check(self, path: str, fold: Any, server: Any) -> None:
        found: list[Divergence] = []
        diff(path, fold, server, found)
        known = self._state.divergences
        known.extend(d for d in found if d not in known)

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
            self._merge_final(response.output)
        self._cache.clear()
        for index in sorted(st.slots):
            slot = st.slots[index]
            if not slot.announced_item:
                self._announce_item(index, slot)

    def _merge_final(self, server_output: list[OutputItem]) -> None:
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
                    self._check(f"output[{index}]", None, builtins(server))
                if slot is None:
                    st.slots[index] = _Slot(item=server, done=True)
                else:
                    slot.item, slot.done = server, True
                continue
            current = slot.item
            if type(current) is not type(server):
                if verify:
                    self._check(f"output[{index}].type", item_type(current), item_type(server))
                if not slot.done:  # a placeholder's kind was a guess
                    slot.item = server
                continue
            if slot.done:
                if verify:
                    fold_b, server_b = builtins(current), builtins(server)
                    for name in _SERVER_FINAL_FIELDS:
                        fold_b.pop(name, None)
                        server_b.pop(name, None)
                    self._check(f"output[{index}]", fold_b, server_b)
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
                    self._verify_view(index, slot, server)
                slot.item = server
        if verify:
            for index in st.slots:
                if index >= len(server_output):
                    item = slot_item(st.slots[index])
                    self._check(f"output[{index}]", builtins(item), None)

    def _on_error(self, event: ResponseErrorEvent) -> None:
        if self._state.error is None:
            self._state.error = event

    def _on_keepalive(self, event: ResponseKeepaliveEvent) -> None:
        self._state.keepalives += 1

    def _on_ignored(self, event: Any) -> None:
        """Events that carry no state (``*.done`` markers of audio, compaction
        progress)."""

    # ------------------------------------------------------------------ #
    # Items
    # ------------------------------------------------------------------ #

    def _on_item_added(self, event: ResponseOutputItemAddedEvent) -> None:
        index = event.output_index
        self._cache.pop(index, None)
        item = event.item
        slot = self._state.slots.get(index)
        if slot is None:
            self._state.slots[index] = _Slot(item=item, prefix=streamed_text(item))
        elif item is not None and not slot.done:
            # Deltas may have arrived first: keep them, take the real item.
            slot.item = item
            if not slot.pieces:
                slot.prefix = streamed_text(item)

    def _on_item_done(self, event: ResponseOutputItemDoneEvent) -> None:
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
                self._verify_item(index, slot, event.item)
            slot.item = event.item
        slot.done = True
        if not slot.announced_item:
            self._announce_item(index, slot)

    def _verify_item(self, index: int, slot: _Slot, server: OutputItem) -> None:
        fold = slot_item(slot, final=False)
        if fold is not None and type(fold) is not type(server):
            self._check(f"output[{index}].type", item_type(fold), item_type(server))
            return
        self._verify_view(index, slot, server)
        status = getattr(server, "status", UNSET)
        if slot.status is not None and status is not UNSET and fold is not None:
            self._check(f"output[{index}].status", getattr(fold, "status", None), status)

    def _verify_view(self, index: int, slot: _Slot, server: OutputItem) -> None:
        fold_view = delta_view(slot_item(slot, final=False))
        server_view = delta_view(server)
        for key in {**fold_view, **server_view}:
            self._check(f"output[{index}].{key}", fold_view.get(key), server_view.get(key))

    # ------------------------------------------------------------------ #
    # Content parts and text
    # ------------------------------------------------------------------ #

    def _on_part_added(self, event: ResponseContentPartAddedEvent) -> None:
        kind = part_type_of(event.part)
        part = self._part(event.output_index, event.content_index, event.item_id, kind)
        part.type = kind
        part.base = event.part

    def _on_part_done(self, event: ResponseContentPartDoneEvent) -> None:
        index, content_index, value = event.output_index, event.content_index, event.part
        kind = part_type_of(value)
        part = self._part(index, content_index, event.item_id, kind)
        text = part_text_of(value)
        if self.verify:
            path = f"output[{index}].content[{content_index}]"
            field = "refusal" if isinstance(value, Refusal) else "text"
            self._check(f"{path}.{field}", fold_text(part), text)
            if isinstance(value, OutputText):
                fold = slot_item(self._state.slots[index], final=False)
                if isinstance(fold, OutputMessage) and content_index < len(fold.content):
                    fold_part = fold.content[content_index]
                    if isinstance(fold_part, OutputText):
                        self._check(
                            f"{path}.annotations",
                            builtins(fold_part.annotations),
                            builtins(value.annotations),
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
            part = self._state.slots[index].parts[event.content_index]
        except KeyError:
            part = self._part(index, event.content_index, event.item_id, "output_text")
        part.pieces.append(event.delta)
        if event.logprobs:
            part.logprobs.extend(event.logprobs)
        self._cache.pop(index, None)

    def _on_text_done(self, event: ResponseTextDoneEvent) -> None:
        index, content_index = event.output_index, event.content_index
        part = self._part(index, content_index, event.item_id, "output_text")
        logprobs = event.logprobs
        if self.verify:
            path = f"output[{index}].content[{content_index}]"
            self._check(f"{path}.text", fold_text(part), event.text)
            if logprobs is not UNSET and (logprobs or part.logprobs):
                self._check(
                    f"{path}.logprobs",
                    builtins([to_logprob(lp) for lp in part.logprobs]),
                    builtins([to_logprob(lp) for lp in logprobs]),
                )
        part.done = event.text
        if logprobs is not UNSET:
            part.done_logprobs = list(logprobs)
        self._announce_text(index, content_index, "text", event.text)

    def _on_annotation(self, event: ResponseOutputTextAnnotationAddedEvent) -> None:
        part = self._part(event.output_index, event.content_index, event.item_id, "output_text")
        if event.annotation is not None:
            part.annotations[event.annotation_index] = event.annotation

    def _on_refusal_delta(self, event: ResponseRefusalDeltaEvent) -> None:
        part = self._part(event.output_index, event.content_index, event.item_id, "refusal")
        part.pieces.append(event.delta)

    def _on_refusal_done(self, event: ResponseRefusalDoneEvent) -> None:
        index, content_index = event.output_index, event.content_index
        part = self._part(index, content_index, event.item_id, "refusal")
        if self.verify:
            path = f"output[{index}].content[{content_index}].refusal"
            self._check(path, fold_text(part), event.refusal)
        part.done = event.refusal
        self._announce_text(index, content_index, "refusal", event.refusal)

    # ------------------------------------------------------------------ #
    # Reasoning
    # ------------------------------------------------------------------ #

    def _on_summary_part_added(self, event: ResponseReasoningSummaryPartAddedEvent) -> None:
        part = self._summary(event.output_index, event.summary_index, event.item_id)
        part.base = event.part

    def _on_summary_part_done(self, event: ResponseReasoningSummaryPartDoneEvent) -> None:
        index, summary_index = event.output_index, event.summary_index
        part = self._summary(index, summary_index, event.item_id)
        if self.verify:
            path = f"output[{index}].summary[{summary_index}].text"
            self._check(path, fold_text(part), event.part.text)
        part.done_part = event.part
        part.done = event.part.text
        self._announce_summary(index, summary_index, event.part.text)

    def _on_summary_delta(self, event: ResponseReasoningSummaryTextDeltaEvent) -> None:
        part = self._summary(event.output_index, event.summary_index, event.item_id)
        part.pieces.append(event.delta)

    def _on_summary_done(self, event: ResponseReasoningSummaryTextDoneEvent) -> None:
        index, summary_index = event.output_index, event.summary_index
        part = self._summary(index, summary_index, event.item_id)
        if self.verify:
            path = f"output[{index}].summary[{summary_index}].text"
            self._check(path, fold_text(part), event.text)
        part.done = event.text
        self._announce_summary(index, summary_index, event.text)

    def _on_reasoning_delta(self, event: ResponseReasoningTextDeltaEvent) -> None:
        part = self._part(event.output_index, event.content_index, event.item_id, "reasoning_text")
        part.pieces.append(event.delta)

    def _on_reasoning_done(self, event: ResponseReasoningTextDoneEvent) -> None:
        index, content_index = event.output_index, event.content_index
        part = self._part(index, content_index, event.item_id, "reasoning_text")
        if self.verify:
            path = f"output[{index}].content[{content_index}].text"
            self._check(path, fold_text(part), event.text)
        part.done = event.text

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

    def _on_arguments_delta(self, event: ResponseFunctionCallArgumentsDeltaEvent) -> None:
        index = event.output_index
        try:
            slot = self._state.slots[index]
        except KeyError:
            slot = self._slot(index, new_function_call, event.item_id)
        slot.pieces.append(event.delta)
        self._cache.pop(index, None)

    def _on_piece_delta(
        self,
        event: ResponseCustomToolCallInputDeltaEvent
        | ResponseMCPCallArgumentsDeltaEvent
        | ResponseCodeInterpreterCallCodeDeltaEvent
        | ResponseApplyPatchCallOperationDiffDeltaEvent,
    ) -> None:
        make, _ = _PIECE_DELTAS[type(event)]
        self._slot(event.output_index, make, event.item_id).pieces.append(event.delta)

    def _piece_done(
        self, index: int, item_id: str, make: Callable[[str], OutputItem], field: str, value: str
    ) -> _Slot:
        slot = self._slot(index, make, item_id)
        if self.verify:
            fold = slot_fold_text(slot) if slot.pieces else streamed_text(slot.item)
            self._check(f"output[{index}].{field}", fold, value)
        slot.text_done = value
        return slot

    def _on_arguments_done(self, event: ResponseFunctionCallArgumentsDoneEvent) -> None:
        index = event.output_index
        slot = self._piece_done(
            index, event.item_id, new_function_call, "arguments", event.arguments
        )
        self._announce_tool(index, slot)

    def _on_custom_done(self, event: ResponseCustomToolCallInputDoneEvent) -> None:
        index = event.output_index
        slot = self._piece_done(index, event.item_id, new_custom_tool_call, "input", event.input)
        self._announce_tool(index, slot)

    def _on_mcp_arguments_done(self, event: ResponseMCPCallArgumentsDoneEvent) -> None:
        index = event.output_index
        slot = self._piece_done(index, event.item_id, new_mcp_call, "arguments", event.arguments)
        self._announce_tool(index, slot)

    def _on_code_done(self, event: ResponseCodeInterpreterCallCodeDoneEvent) -> None:
        self._piece_done(
            event.output_index, event.item_id, new_code_interpreter, "code", event.code
        )

    def _on_diff_done(self, event: ResponseApplyPatchCallOperationDiffDoneEvent) -> None:
        self._piece_done(
            event.output_index, event.item_id, new_apply_patch, "operation.diff", event.diff
        )

    def _on_status(self, event: Any) -> None:
        status, make = _STATUS_EVENTS[type(event)]
        slot = self._slot(event.output_index, make, event.item_id)
        slot.status = status
        item = slot.item
        if not slot.done and item is not None and "status" in item.__struct_fields__:
            slot.item = replace(item, status=status)

    def _on_partial_image(self, event: ResponseImageGenCallPartialImageEvent) -> None:
        slot = self._slot(event.output_index, new_image_generation, event.item_id)
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

    def _command(self, index: int, command_index: int) -> _Part:
        # Shell command events carry no item id.
        slot = self._slot(index, new_shell_call, "")
        part = slot.commands.get(command_index)
        if part is None:
            existing = existing_command(slot.item, command_index)
            part = _Part(type="command", pieces=[existing] if existing else [])
            slot.commands[command_index] = part
        return part

    def _on_command_added(self, event: ResponseShellCallCommandAddedStreamingEvent) -> None:
        part = self._command(event.output_index, event.command_index)
        if event.command:
            part.pieces.append(event.command)

    def _on_command_delta(self, event: ResponseShellCallCommandDeltaStreamingEvent) -> None:
        self._command(event.output_index, event.command_index).pieces.append(event.delta)

    def _on_command_done(self, event: ResponseShellCallCommandDoneStreamingEvent) -> None:
        index, command_index = event.output_index, event.command_index
        part = self._command(index, command_index)
        if self.verify:
            path = f"output[{index}].action.commands[{command_index}]"
            self._check(path, fold_text(part), event.command)
        part.done = event.command

    def _shell_out(self, index: int, command_index: int, item_id: str) -> _ShellOut:
        slot = self._slot(index, new_shell_output, item_id)
        out = slot.shell.get(command_index)
        if out is None:
            out = _ShellOut()
            slot.shell[command_index] = out
        return out

    def _on_shell_delta(self, event: ResponseShellCallOutputContentDeltaStreamingEvent) -> None:
        out = self._shell_out(event.output_index, event.command_index, event.item_id)
        delta = event.delta
        if delta.stdout:
            out.stdout.append(delta.stdout)
        if delta.stderr:
            out.stderr.append(delta.stderr)

    def _on_shell_done(self, event: ResponseShellCallOutputContentDoneStreamingEvent) -> None:
        index, command_index = event.output_index, event.command_index
        out = self._shell_out(index, command_index, event.item_id)
        if self.verify:
            path = f"output[{index}].output[{command_index}]"
            self._check(f"{path}.stdout", join(out.stdout), "".join(c.stdout for c in event.output))
            self._check(f"{path}.stderr", join(out.stderr), "".join(c.stderr for c in event.output))
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
        slot.announced_text.add(content_index)
        self._state.pending.append(
            _Pending(kind=kind, output_index=index, index=content_index, text=text)
        )

    def _announce_summary(self, index: int, summary_index: int, text: str) -> None:
        slot = self._state.slots[index]
        if summary_index in slot.announced_summary:
            return
        slot.announced_summary.add(summary_index)
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

    # ------------------------------------------------------------------ #
    # Dispatch
    # ------------------------------------------------------------------ #

    def _build_handlers(self) -> dict[type[Any], Callable[[Any], None]]:
        handlers: dict[type[Any], Callable[[Any], None]] = {
            ResponseCreatedEvent: self._on_snapshot,
            ResponseQueuedEvent: self._on_snapshot,
            ResponseInProgressEvent: self._on_snapshot,
            ResponseCompletedEvent: self._on_terminal,
            ResponseFailedEvent: self._on_terminal,
            ResponseIncompleteEvent: self._on_terminal,
            ResponseErrorEvent: self._on_error,
            ResponseKeepaliveEvent: self._on_keepalive,
            ResponseOutputItemAddedEvent: self._on_item_added,
            ResponseOutputItemDoneEvent: self._on_item_done,
            ResponseContentPartAddedEvent: self._on_part_added,
            ResponseContentPartDoneEvent: self._on_part_done,
            ResponseTextDeltaEvent: self._on_text_delta,
            ResponseTextDoneEvent: self._on_text_done,
            ResponseOutputTextAnnotationAddedEvent: self._on_annotation,
            ResponseRefusalDeltaEvent: self._on_refusal_delta,
            ResponseRefusalDoneEvent: self._on_refusal_done,
            ResponseReasoningSummaryPartAddedEvent: self._on_summary_part_added,
            ResponseReasoningSummaryPartDoneEvent: self._on_summary_part_done,
            ResponseReasoningSummaryTextDeltaEvent: self._on_summary_delta,
            ResponseReasoningSummaryTextDoneEvent: self._on_summary_done,
            ResponseReasoningTextDeltaEvent: self._on_reasoning_delta,
            ResponseReasoningTextDoneEvent: self._on_reasoning_done,
            ResponseAudioDeltaEvent: self._on_audio_delta,
            ResponseAudioDoneEvent: self._on_ignored,
            ResponseAudioTranscriptDeltaEvent: self._on_transcript_delta,
            ResponseAudioTranscriptDoneEvent: self._on_ignored,
            ResponseFunctionCallArgumentsDeltaEvent: self._on_arguments_delta,
            ResponseFunctionCallArgumentsDoneEvent: self._on_arguments_done,
            ResponseCustomToolCallInputDoneEvent: self._on_custom_done,
            ResponseMCPCallArgumentsDoneEvent: self._on_mcp_arguments_done,
            ResponseCodeInterpreterCallCodeDoneEvent: self._on_code_done,
            ResponseApplyPatchCallOperationDiffDoneEvent: self._on_diff_done,
            ResponseImageGenCallPartialImageEvent: self._on_partial_image,
            ResponseShellCallCommandAddedStreamingEvent: self._on_command_added,
            ResponseShellCallCommandDeltaStreamingEvent: self._on_command_delta,
            ResponseShellCallCommandDoneStreamingEvent: self._on_command_done,
            ResponseShellCallOutputContentDeltaStreamingEvent: self._on_shell_delta,
            ResponseShellCallOutputContentDoneStreamingEvent: self._on_shell_done,
            ResponseCompactionCompactingEvent: self._on_ignored,
        }
        for cls in _PIECE_DELTAS:
            handlers[cls] = self._on_piece_delta
        for cls in _STATUS_EVENTS:
            handlers[cls] = self._on_status
        return handlers


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
        try:
            parsed = json.loads(pending.text)
        except ValueError as exc:
            error = str(exc)
    return ToolCallDone(
        name=pending.name,
        arguments=pending.text,
        parsed=parsed,
        parse_error=error,
        call_id=pending.call_id,
        kind=pending.tool_kind,
        output_index=pending.output_index,
    )

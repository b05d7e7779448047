"""Fold an Anthropic Messages stream into its final ``Message``.

``MessageReducer`` starts from the ``message_start`` shell, opens a content block
per ``content_block_start`` (by ``index``), folds its deltas (text, tool input
JSON, thinking and its signature, citations, compaction) and closes it on
``content_block_stop``, then takes the stop reason and the cumulative usage of
``message_delta``. Growing strings are kept as lists of pieces and joined only
when read; a tool's JSON input is parsed once, when its block stops, and can be
read best-effort before that with ``partial_input()`` (``PartialJSON``, linear
total cost however often it is read).

The whole state is one msgspec Struct (``MessageReducerState``), so a reducer can
be checkpointed mid-stream and restored elsewhere. Where events contradict each
other (a delta for a block never started, blocks out of order, a delta of the
wrong kind for its block) the reducer keeps going, records the problem in
``integrity_issues`` and, depending on ``index_policy``, warns or raises.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any, ClassVar, TypeAlias

import msgspec
from msgspec import UNSET, UnsetType

from streamkit.events._names import class_type_name
from streamkit.events.messages import (
    CitationsDelta,
    CompactionDelta,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    InputJSONDelta,
    MessageDeltaEvent,
    MessageDeltaUsage,
    MessageErrorEvent,
    MessagesEvent,
    MessageStartEvent,
    MessageStopEvent,
    SignatureDelta,
    TextDelta,
    ThinkingDelta,
)
from streamkit.models._verdict import ServerError, Verdict
from streamkit.models.messages import (
    COMPLETED_STOP_REASONS,
    CompactionBlock,
    Container,
    ContentBlock,
    MCPToolUseBlock,
    Message,
    ServerToolUseBlock,
    StopDetails,
    TextBlock,
    TextCitation,
    ThinkingBlock,
    ToolUseBlock,
    Usage,
    block_type,
)
from streamkit.reducers._arguments import argument_depth_error, parse_arguments
from streamkit.reducers._base import StatefulReducer
from streamkit.reducers._finished import Finished, TextDone, ThinkingDone, ToolCallDone
from streamkit.reducers._integrity import (
    IntegrityPolicy,
    StreamIntegrityError,
    StreamIntegrityWarning,
)
from streamkit.reducers._partial_json import PartialJSON

__all__ = [
    "MessageReducer",
    "MessageReducerState",
    "MessageStreamItem",
]

MessageStreamItem: TypeAlias = MessagesEvent
"""What a Messages stream yields: typed events, unknown events, ``[DONE]``."""

# Block kinds whose ``input`` streams as ``input_json_delta`` pieces.
_TOOL_KINDS = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})
_STATE_ENCODER = msgspec.json.Encoder()


# --- state ---------------------------------------------------------------------------


class _Block(msgspec.Struct, kw_only=True, gc=False):
    """One content block: the start block as sent, plus what its deltas added."""

    kind: str
    start: ContentBlock
    # Text (text blocks) or thinking (thinking blocks), as pieces.
    pieces: list[str] = msgspec.field(default_factory=list)
    # Tool input JSON, as pieces.
    json: list[str] = msgspec.field(default_factory=list)
    citations: list[TextCitation] | None = None
    signature: str | None = None
    compaction: CompactionDelta | None = None
    stopped: bool = False
    # Set when a tool block stops: its parsed input (or the best-effort value).
    parsed: bool = False
    input: Any = None
    parse_error: str | None = None


class MessageReducerState(msgspec.Struct, kw_only=True):
    """The complete state of a ``MessageReducer`` (what ``checkpoint()`` encodes)."""

    shell: Message | None = None
    usage: Usage | None = None
    stop_reason: str | None = None
    stop_sequence: str | None = None
    stop_details: StopDetails | UnsetType | None = UNSET
    container: Container | UnsetType | None = UNSET
    blocks: dict[int, _Block] = msgspec.field(default_factory=dict)
    max_index: int = -1
    events: int = 0
    saw_stop: bool = False
    # An event came before message_start (reported once).
    orphans: bool = False
    error: ServerError | None = None
    finished: bool = False
    integrity_issues: list[str] = msgspec.field(default_factory=list)
    # Block indexes that stopped, not yet returned by take_finished().
    pending: list[int] = msgspec.field(default_factory=list)


_STATE_DECODER = msgspec.json.Decoder(MessageReducerState)


# --- the reducer -----------------------------------------------------------------------


class MessageReducer(StatefulReducer[MessageStreamItem, Message, MessageReducerState]):
    """Folds an Anthropic Messages stream into a ``Message``.

    Feed it every event in order (``step``), then call ``finish()`` when the bytes
    end; ``result()`` may be read at any time and is a snapshot. The final
    message's ``verdict`` says how the stream ended:

    * ``completed``: ``message_stop`` came and the stop reason is ``end_turn``,
      ``stop_sequence`` or ``tool_use``;
    * ``incomplete``: ``message_stop`` came with any other stop reason
      (``max_tokens``, ``model_context_window_exceeded``, ``pause_turn``,
      ``refusal``, a new one, or none); ``reason`` says which;
    * ``errored``: an ``error`` event was stepped (``error`` holds it);
    * ``truncated``: the bytes ended before ``message_stop``;
    * ``in_progress``: before ``finish()``.

    Usage: ``message_delta`` usage is cumulative, so each field it sends replaces
    the value so far (from ``message_start`` or an earlier delta); fields it omits
    keep theirs.

    ``index_policy`` decides what happens besides recording when the stream is
    inconsistent: ``"ignore"``, ``"warn"`` (``StreamIntegrityWarning``, the default)
    or ``"raise"`` (``StreamIntegrityError``).
    """

    State: ClassVar[type[msgspec.Struct]] = MessageReducerState

    def __init__(self, *, index_policy: IntegrityPolicy = "warn") -> None:
        if index_policy not in ("ignore", "warn", "raise"):
            raise ValueError(
                f"index_policy must be 'ignore', 'warn' or 'raise', not {index_policy!r}"
            )
        self.index_policy = index_policy
        self.state = MessageReducerState()
        # Incremental parsers of tool inputs still streaming, built on first read
        # (index -> parser, pieces fed); not part of the state: rebuilt from it.
        self._parsers: dict[int, tuple[PartialJSON, int]] = {}

    # -- public accessors -----------------------------------------------------------

    @property
    def integrity_issues(self) -> list[str]:
        """Descriptions of every inconsistency seen so far, in stream order."""
        return self.state.integrity_issues

    @property
    def events(self) -> int:
        """Number of events stepped so far."""
        return self.state.events

    @property
    def saw_stop(self) -> bool:
        """Whether ``message_stop`` was stepped."""
        return self.state.saw_stop

    # -- folding ----------------------------------------------------------------------

    def step(self, event: MessageStreamItem) -> None:
        """Fold one event."""
        st = self.state
        st.events += 1
        cls = event.__class__
        if cls is ContentBlockDeltaEvent:
            self._delta(event)  # type: ignore[arg-type]
        elif cls is ContentBlockStartEvent:
            self._start(event)  # type: ignore[arg-type]
        elif cls is ContentBlockStopEvent:
            self._stop(event.index)  # type: ignore[union-attr]
        elif cls is MessageStartEvent:
            self._message_start(event)  # type: ignore[arg-type]
        elif cls is MessageDeltaEvent:
            self._message_delta(event)  # type: ignore[arg-type]
        elif cls is MessageStopEvent:
            self._before_start("message_stop")
            st.saw_stop = True
        elif cls is MessageErrorEvent and st.error is None:
            st.error = ServerError.from_event(event)
        # PingEvent, UnknownEvent, Done: only counted.

    def _issue(self, message: str, event_type: str, stacklevel: int = 4) -> None:
        """Record ``message``; warn or raise per ``index_policy``. ``stacklevel``
        counts frames up to the caller of ``step()`` (default: _issue, the handler,
        step)."""
        st = self.state
        st.integrity_issues.append(message)
        if self.index_policy == "raise":
            raise StreamIntegrityError(message, index=st.events - 1, event_type=event_type)
        if self.index_policy == "warn":
            warnings.warn(message, StreamIntegrityWarning, stacklevel=stacklevel)

    def _before_start(self, event_type: str) -> None:
        st = self.state
        if st.shell is None and not st.orphans:
            st.orphans = True
            self._issue(f"{event_type} before message_start", event_type, stacklevel=5)

    def _message_start(self, event: MessageStartEvent) -> None:
        st = self.state
        if st.shell is not None:
            self._issue("message_start repeated; kept the first", "message_start")
            return
        message = event.message
        st.shell = message
        st.usage = msgspec.structs.replace(message.usage)
        st.stop_reason = message.stop_reason
        st.stop_sequence = message.stop_sequence
        st.stop_details = message.stop_details
        st.container = message.container
        # The API sends an empty list; blocks already there count as complete.
        for block in message.content:
            index = st.max_index + 1
            st.blocks[index] = _Block(kind=block_type(block), start=block, stopped=True)
            st.max_index = index

    def _start(self, event: ContentBlockStartEvent) -> None:
        st = self.state
        self._before_start("content_block_start")
        index = event.index
        if index < 0:
            self._issue(
                f"content block index {index} is negative; block dropped", "content_block_start"
            )
            return
        if index in st.blocks:
            self._issue(
                f"content block {index} started twice; kept the first", "content_block_start"
            )
            return
        if index != st.max_index + 1:
            self._issue(
                f"content block {index} started out of order (expected {st.max_index + 1})",
                "content_block_start",
            )
        block = event.content_block
        b = st.blocks[index] = _Block(kind=block_type(block), start=block)
        if isinstance(block, TextBlock):
            if block.text:
                b.pieces.append(block.text)
        elif isinstance(block, ThinkingBlock) and block.thinking:
            b.pieces.append(block.thinking)
        if index > st.max_index:
            st.max_index = index

    def _delta(self, event: ContentBlockDeltaEvent) -> None:
        b = self.state.blocks.get(event.index)
        if b is None or b.stopped:
            b = self._stray(event.index, b, "content_block_delta")
            if b is None:
                return
        d = event.delta
        cls = d.__class__
        kind = b.kind
        if cls is TextDelta:
            if kind == "text":
                b.pieces.append(d.text)  # type: ignore[union-attr]
                return
        elif cls is InputJSONDelta:
            if kind in _TOOL_KINDS:
                b.json.append(d.partial_json)  # type: ignore[union-attr]
                return
        elif cls is ThinkingDelta:
            if kind == "thinking":
                b.pieces.append(d.thinking)  # type: ignore[union-attr]
                return
        elif cls is SignatureDelta:
            if kind == "thinking":
                b.signature = d.signature  # type: ignore[union-attr]
                return
        elif cls is CitationsDelta:
            if kind == "text":
                if b.citations is None:
                    b.citations = [d.citation]  # type: ignore[union-attr]
                else:
                    b.citations.append(d.citation)  # type: ignore[union-attr]
                return
        elif cls is CompactionDelta:
            if kind == "compaction":
                b.compaction = d  # type: ignore[assignment]
                return
        else:
            return  # a delta of a new kind: nothing to fold it into
        self._issue(
            f"{class_type_name(cls)} for content block {event.index} of type {kind!r}; ignored",
            "content_block_delta",
        )

    def _stray(self, index: int, b: _Block | None, event_type: str) -> _Block | None:
        """The block an event for a block never started (None: dropped) or already
        stopped (folded anyway: its data is not lost) applies to."""
        if b is None:
            self._issue(
                f"{event_type} for content block {index}, never started; dropped",
                event_type,
                stacklevel=5,
            )
            return None
        self._issue(f"{event_type} for content block {index} after its stop", event_type, 5)
        return b

    def _stop(self, index: int) -> None:
        st = self.state
        b = st.blocks.get(index)
        if b is None or b.stopped:
            if self._stray(index, b, "content_block_stop") is None:
                return
            assert b is not None
            if b.kind not in _TOOL_KINDS:
                return
            # A tool block stopped twice: parse again, deltas may have come between.
        b.stopped = True
        if b.kind in _TOOL_KINDS:
            self._parse_input(index, b)
        if index not in st.pending:
            st.pending.append(index)

    def _parse_input(self, index: int, b: _Block) -> None:
        """Parse a stopped tool block's JSON input once."""
        self._parsers.pop(index, None)
        b.parsed = True
        text = _joined(b.json)
        if not text:
            # No input deltas (or only empty ones): the start block's input stands.
            b.input = getattr(b.start, "input", None)
            b.parse_error = None
            return
        parsed, error = parse_arguments(text)
        b.parse_error = error
        if error is None:
            b.input = parsed
        elif argument_depth_error(text) is not None:
            b.input = None  # too deep to rebuild, even partially
        else:
            parser = PartialJSON()
            parser.feed(text)
            b.input = copy.deepcopy(parser.value())

    def _message_delta(self, event: MessageDeltaEvent) -> None:
        st = self.state
        self._before_start("message_delta")
        d = event.delta
        if d.stop_reason is not UNSET:
            st.stop_reason = d.stop_reason
        if d.stop_sequence is not UNSET:
            st.stop_sequence = d.stop_sequence
        if d.stop_details is not UNSET:
            st.stop_details = d.stop_details
        if d.container is not UNSET and d.container is not None:
            st.container = d.container
        u = event.usage
        if u is UNSET:
            return
        usage = st.usage
        if usage is None:
            usage = st.usage = Usage(input_tokens=0, output_tokens=0)
        merge_usage(usage, u)

    # -- reading ------------------------------------------------------------------------

    def partial_input(self, index: int) -> Any:
        """The input of tool block ``index`` so far: the parsed input once the block
        stopped, before that the best-effort ``PartialJSON`` value of the JSON
        received (read-only and live until the next event; see ``PartialJSON``).

        Only the pieces that arrived since the last read are parsed, so reading
        after every delta costs linear time in total. Raises ``KeyError`` for an
        index that is not a tool block.
        """
        b = self.state.blocks.get(index)
        if b is None or b.kind not in _TOOL_KINDS:
            raise KeyError(index)
        if b.parsed:
            return b.input
        if not any(b.json):
            return getattr(b.start, "input", None)
        parser, fed = self._parsers.get(index) or (PartialJSON(), 0)
        pieces = b.json
        for i in range(fed, len(pieces)):
            parser.feed(pieces[i])
        self._parsers[index] = (parser, len(pieces))
        return parser.value()

    def finish(self) -> Message:
        """Mark the stream as ended and return the final ``Message`` (with verdict).

        Blocks that never stopped are included as they are (a tool block's input as
        the best-effort value of its JSON so far) but never reported by
        ``take_finished``.
        """
        self.state.finished = True
        return self.result()

    def verdict(self) -> Verdict:
        """How the stream ended so far (``in_progress`` before ``finish()``)."""
        st = self.state
        events = st.events
        if not st.finished:
            return Verdict(status="in_progress", events=events)
        if st.error is not None:
            return Verdict(status="errored", error=st.error, events=events)
        if not st.saw_stop:
            return Verdict(status="truncated", events=events)
        reason = st.stop_reason
        if reason in COMPLETED_STOP_REASONS:
            return Verdict(status="completed", events=events)
        return Verdict(status="incomplete", reason=reason, events=events)

    def result(self) -> Message:
        """The message folded so far; content blocks in index order."""
        st = self.state
        shell = st.shell
        usage = st.usage
        blocks = st.blocks
        message = Message(
            id=shell.id if shell is not None else "",
            type=shell.type if shell is not None else "message",
            role=shell.role if shell is not None else "assistant",
            model=shell.model if shell is not None else "",
            content=[self._block(i, blocks[i]) for i in sorted(blocks)],
            stop_reason=st.stop_reason,
            stop_sequence=st.stop_sequence,
            stop_details=st.stop_details,
            # A copy: the state's usage is updated in place by later deltas.
            usage=(
                msgspec.structs.replace(usage)
                if usage is not None
                else Usage(input_tokens=0, output_tokens=0)
            ),
            container=st.container,
            diagnostics=shell.diagnostics if shell is not None else UNSET,
        )
        message._set_verdict(self.verdict())
        return message

    def _block(self, index: int, b: _Block) -> ContentBlock:
        start = b.start
        kind = b.kind
        if kind == "text" and isinstance(start, TextBlock):
            citations: Any = start.citations
            if b.citations is not None:
                citations = [*(citations or ()), *b.citations]
            elif isinstance(citations, list):
                citations = list(citations)
            return TextBlock(text=_joined(b.pieces), citations=citations)
        if kind == "thinking" and isinstance(start, ThinkingBlock):
            signature = b.signature if b.signature is not None else start.signature
            return ThinkingBlock(thinking=_joined(b.pieces), signature=signature)
        if isinstance(start, (ToolUseBlock, ServerToolUseBlock, MCPToolUseBlock)):
            if b.parsed:
                value = b.input
            elif any(b.json):
                parser = PartialJSON()
                parser.feed(_joined(b.json))
                value = parser.value()  # a fresh parser's objects: nobody else holds them
            else:
                value = start.input
            return msgspec.structs.replace(start, input=value)
        if kind == "compaction" and b.compaction is not None and isinstance(start, CompactionBlock):
            d = b.compaction
            changes: dict[str, Any] = {}
            if d.content is not UNSET:
                changes["content"] = d.content
            if d.encrypted_content is not UNSET:
                changes["encrypted_content"] = d.encrypted_content
            compacted: CompactionBlock = msgspec.structs.replace(start, **changes)
            return compacted
        return start

    def take_finished(self) -> list[Finished]:
        """The pieces of output completed since the last call, each reported once,
        when their block stops: a text block (``TextDone``, ``content_index`` = the
        block index), a tool use block of any kind with its parsed input
        (``ToolCallDone``: ``kind`` is the block type, ``tool_index`` the block
        index, ``arguments`` the JSON text) and a thinking block (``ThinkingDone``)."""
        st = self.state
        if not st.pending:
            return []
        out: list[Finished] = []
        for index in st.pending:
            b = st.blocks[index]
            kind = b.kind
            if kind == "text":
                out.append(TextDone(text=_joined(b.pieces), content_index=index))
            elif kind == "thinking":
                block = self._block(index, b)
                if isinstance(block, ThinkingBlock):
                    out.append(
                        ThinkingDone(
                            thinking=block.thinking, signature=block.signature, content_index=index
                        )
                    )
            elif kind in _TOOL_KINDS:
                start: Any = b.start
                out.append(
                    ToolCallDone(
                        name=str(getattr(start, "name", "")),
                        arguments=_joined(b.json),
                        # As everywhere: None when the JSON is invalid.
                        parsed=b.input if b.parse_error is None else None,
                        parse_error=b.parse_error,
                        call_id=getattr(start, "id", None),
                        kind=kind,
                        tool_index=index,
                    )
                )
        st.pending = []
        return out

    # -- checkpoints ---------------------------------------------------------------------

    def checkpoint(self) -> bytes:
        """The reducer's state, encoded.

        JSON rather than the base class's MessagePack: blocks of unknown kinds keep
        their raw JSON (``msgspec.Raw``), which only a JSON encoding carries verbatim.
        """
        return _STATE_ENCODER.encode(self.state)

    @classmethod
    def restore(cls, data: bytes, **options: Any) -> MessageReducer:
        """A reducer continuing from ``checkpoint()`` bytes (``options`` as for the
        constructor: they are not part of the checkpoint)."""
        reducer = cls(**options)
        reducer.state = _STATE_DECODER.decode(data)
        return reducer


def merge_usage(usage: Usage, delta: MessageDeltaUsage) -> None:
    """Apply the cumulative totals of a ``message_delta`` to ``usage``, in place.

    Each field the delta sends replaces the value so far (never added); a field
    it omits, or sends as null, keeps its value.
    """
    usage.output_tokens = delta.output_tokens
    if delta.input_tokens is not None and delta.input_tokens is not UNSET:
        usage.input_tokens = delta.input_tokens
    value: Any = delta.cache_creation_input_tokens
    if value is not None and value is not UNSET:
        usage.cache_creation_input_tokens = value
    value = delta.cache_read_input_tokens
    if value is not None and value is not UNSET:
        usage.cache_read_input_tokens = value
    if delta.server_tool_use is not None and delta.server_tool_use is not UNSET:
        usage.server_tool_use = delta.server_tool_use
    if delta.output_tokens_details is not None and delta.output_tokens_details is not UNSET:
        usage.output_tokens_details = delta.output_tokens_details


def _joined(pieces: list[str]) -> str:
    """The pieces joined; the list is collapsed to the result, so that reading
    again after more pieces only joins the new ones."""
    if len(pieces) == 1:
        return pieces[0]
    if not pieces:
        return ""
    text = "".join(pieces)
    pieces[:] = [text]
    return text

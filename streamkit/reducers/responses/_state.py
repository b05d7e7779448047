"""State of :class:`~streamkit.reducers.responses.ResponseReducer` and how it
becomes output items (the comparisons of ``verify=True`` are in ``_verify``).

Everything the reducer knows lives in :class:`ResponseReducerState`, a tree of
msgspec Structs, so a checkpoint is one encode. Streamed text is kept as lists
of pieces (``_Part.pieces``, ``_Slot.pieces``) and joined only when an item is
materialized; a join compacts the list to one piece, so reading the result
repeatedly never re-joins the same small strings.

Two materializations exist for every slot:

* ``final=True`` (the result): the server's ``*.done`` values win over the
  deltas, and an item closed by ``response.output_item.done`` is the server's
  item as sent;
* ``final=False`` (``verify=True`` only): deltas and ``*.added`` snapshots
  alone, to compare with what the server sends at ``.done`` time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, cast

import msgspec
from msgspec import UNSET
from msgspec.structs import replace

from streamkit.events.responses import ResponseLogProb
from streamkit.models._verdict import ServerError
from streamkit.models.responses import (
    Annotation,
    ApplyPatchToolCall,
    ApplyPatchUpdateFileOperation,
    CodeInterpreterToolCall,
    CustomToolCall,
    FileSearchToolCall,
    FunctionShellAction,
    FunctionShellCall,
    FunctionShellCallOutput,
    FunctionShellCallOutputContent,
    FunctionToolCall,
    ImageGenToolCall,
    LogProb,
    MCPListTools,
    MCPToolCall,
    OutputItem,
    OutputMessage,
    OutputText,
    ReasoningItem,
    ReasoningText,
    Refusal,
    Response,
    SummaryText,
    TopLogProb,
    WebSearchToolCall,
)

__all__ = [
    "Divergence",
    "SequenceIssue",
    "ResponseReducerState",
]

PartValue = OutputText | Refusal | ReasoningText | SummaryText


# --------------------------------------------------------------------------- #
# Public records
# --------------------------------------------------------------------------- #


class Divergence(msgspec.Struct, frozen=True, kw_only=True):
    """A value built from the deltas that differs from the server's value.

    ``path`` names the place in the final Response (``output[0].content[0].text``),
    ``fold`` is the delta-built value and ``server`` the value the server sent
    (in a ``*.done`` event, ``response.output_item.done`` or the terminal
    response), both as builtins; ``None`` stands for "absent".
    """

    path: str
    fold: Any
    server: Any


class SequenceIssue(msgspec.Struct, frozen=True, kw_only=True):
    """A break in the ``sequence_number`` order of a Responses stream.

    ``kind`` is ``"gap"`` (numbers were skipped), ``"duplicate"`` (a number
    seen before) or ``"reorder"`` (a skipped number arrived late); ``expected``
    is the number the next event should have carried, ``got`` the one it
    carried, ``index`` the event's position in the stream (0-based).
    """

    kind: Literal["gap", "duplicate", "reorder"]
    expected: int
    got: int
    index: int


# --------------------------------------------------------------------------- #
# Internal state
# --------------------------------------------------------------------------- #


class _Part(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """A content part, summary part or shell command being streamed.

    ``type`` is the part's wire type (``output_text``, ``refusal``,
    ``reasoning_text``, ``summary_text``; ``command`` for shell commands).
    ``base`` is the ``*.added`` snapshot, ``done_part`` the ``*.done`` one,
    ``done`` the full text from the text-level or part-level done event.
    """

    type: str
    pieces: list[str] = []
    base: PartValue | None = None
    done_part: PartValue | None = None
    done: str | None = None
    annotations: dict[int, Annotation] = {}
    logprobs: list[ResponseLogProb] = []
    done_logprobs: list[ResponseLogProb] | None = None


class _ShellOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Output of one shell command (``command_index``) being streamed."""

    stdout: list[str] = []
    stderr: list[str] = []
    done: list[FunctionShellCallOutputContent] | None = None


class _Slot(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """Everything known about one ``output_index``.

    ``item`` is the server's latest full snapshot (``output_item.added``, later
    replaced by ``output_item.done``) or a placeholder when deltas arrived
    first. ``prefix``/``pieces``/``text_done`` hold the one streamed string of
    tool-like items (function or MCP arguments, custom tool input, code
    interpreter code, apply_patch diff): the deltas extend the value the
    snapshot had when the slot got it (``prefix``, normally empty; kept apart
    so that replacing the snapshot later cannot repeat it).
    ``announced_*`` record which "finished" events went out.

    Fold state is ``gc=False`` (like the models it holds, it forms no
    reference cycles), and a slot holds no list until deltas need one (a list
    is always tracked; an empty dict is not): a stream of many items then adds
    as little as possible to every garbage collection. Once ``output_item.done``
    closed a slot, ``release_streamed`` drops what the deltas built.
    """

    item: OutputItem | None = None
    done: bool = False
    parts: dict[int, _Part] = {}
    summary: dict[int, _Part] = {}
    pieces: list[str] | None = None
    prefix: str = ""
    text_done: str | None = None
    commands: dict[int, _Part] = {}
    shell: dict[int, _ShellOut] = {}
    status: str | None = None
    partial_image: str | None = None
    partial_image_index: int | None = None
    # Tuples, not sets: nearly always empty or one index, and an empty tuple is
    # no object for the garbage collector to track.
    announced_text: tuple[int, ...] = ()
    announced_summary: tuple[int, ...] = ()
    announced_tool: bool = False
    announced_item: bool = False


class _Pending(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A "finished" event waiting for ``take_finished()`` (kept in the state so
    a checkpoint taken between a signal and the take loses nothing)."""

    kind: Literal["text", "refusal", "tool", "item", "summary"]
    output_index: int
    index: int | None = None
    text: str = ""
    name: str = ""
    call_id: str | None = None
    tool_kind: str = "function"
    item: OutputItem | None = None


class ResponseReducerState(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The whole state of a :class:`ResponseReducer` (``ResponseReducer.State``).

    ``response`` is the latest lifecycle snapshot with ``output`` removed (the
    output is always the fold of ``slots``); ``next_seq`` is one more than the
    highest ``sequence_number`` seen; ``missing`` holds the ranges of sequence
    numbers skipped by gaps (the latest ``MAX_MISSING_RANGES``, in increasing
    order), to tell a late event from a duplicate. ``sequence_issues`` and
    ``integrity_issues`` keep the first ``MAX_RECORDED_ISSUES`` records; their
    ``*_count`` fields count them all.
    """

    response: Response | None = None
    slots: dict[int, _Slot] = {}
    terminal: Literal["completed", "failed", "incomplete"] | None = None
    error: ServerError | None = None
    finished: bool = False
    events: int = 0
    next_seq: int | None = None
    missing: list[tuple[int, int]] = []
    sequence_issues: list[SequenceIssue] = []
    sequence_issue_count: int = 0
    integrity_issues: list[str] = []
    integrity_issue_count: int = 0
    divergences: list[Divergence] = []
    audio: list[str] = []
    audio_transcript: list[str] = []
    keepalives: int = 0
    unknown_events: int = 0
    pending: list[_Pending] = []


# --------------------------------------------------------------------------- #
# Text pieces
# --------------------------------------------------------------------------- #


def join(pieces: list[str]) -> str:
    """The pieces as one string; compacts the list so the next read is free."""
    n = len(pieces)
    if n == 0:
        return ""
    if n == 1:
        return pieces[0]
    text = "".join(pieces)
    pieces[:] = [text]
    return text


def part_text_of(value: PartValue) -> str:
    """The text of a content or summary part."""
    if isinstance(value, Refusal):
        return value.refusal
    return value.text


def part_type_of(value: PartValue) -> str:
    """The wire type of a content or summary part."""
    return str(type(value).__struct_config__.tag)


def fold_text(part: _Part) -> str:
    """The delta-built text of a part: its ``*.added`` text (normally empty)
    followed by the deltas."""
    prefix = part_text_of(part.base) if part.base is not None else ""
    text = join(part.pieces)
    return prefix + text if prefix else text


def final_text(part: _Part) -> str:
    """The part's text with the server's done value winning."""
    return part.done if part.done is not None else fold_text(part)


def to_logprob(lp: ResponseLogProb) -> LogProb:
    """A streamed logprob as the final object's LogProb.

    Streamed logprobs may omit ``bytes`` (the spec does not declare it); it is
    then the token's UTF-8 bytes. Alternatives lacking token or logprob cannot
    be represented and are left out.
    """
    tops = [
        TopLogProb(token=t.token, logprob=t.logprob, bytes=list(t.token.encode()))
        for t in (lp.top_logprobs or ())
        if t.token is not UNSET and t.logprob is not UNSET
    ]
    raw = lp.bytes if lp.bytes is not UNSET else list(lp.token.encode())
    return LogProb(token=lp.token, logprob=lp.logprob, bytes=raw, top_logprobs=tops)


def _output_text(part: _Part, text: str, final: bool) -> OutputText:
    use_done = final and part.done_part is not None
    src = part.done_part if use_done else part.base
    annotations: list[Annotation]
    annotations = list(src.annotations) if isinstance(src, OutputText) else []
    if not use_done and part.annotations:
        for index in sorted(part.annotations):
            if index < len(annotations):
                annotations[index] = part.annotations[index]
            else:
                annotations.append(part.annotations[index])
    base_lp = part.base.logprobs if isinstance(part.base, OutputText) else UNSET
    logprobs: list[LogProb] | Any
    if final and part.done_logprobs:
        # An empty list says nothing: `output_text.done` always carries the
        # field, even for parts whose shape has none (OpenRouter).
        logprobs = [to_logprob(lp) for lp in part.done_logprobs]
    elif part.logprobs:
        logprobs = [*(base_lp or ()), *(to_logprob(lp) for lp in part.logprobs)]
    elif use_done and isinstance(src, OutputText) and src.logprobs:
        logprobs = src.logprobs
    else:
        logprobs = base_lp
    return OutputText(text=text, annotations=annotations, logprobs=logprobs)


def part_value(part: _Part, final: bool) -> PartValue:
    """Materialize a content or summary part."""
    text = final_text(part) if final else fold_text(part)
    kind = part.type
    if kind == "output_text":
        return _output_text(part, text, final)
    if kind == "refusal":
        return Refusal(refusal=text)
    if kind == "summary_text":
        return SummaryText(text=text)
    return ReasoningText(text=text)


def _overlay(base: list[Any], parts: dict[int, _Part], final: bool) -> list[Any]:
    out = list(base)
    for index in sorted(parts):
        value = part_value(parts[index], final)
        if index < len(out):
            out[index] = value
        else:
            out.append(value)
    return out


def slot_fold_text(slot: _Slot) -> str:
    """The delta-built value of a tool-like item's streamed string: the value
    its snapshot had when the slot got it (normally empty), then the deltas."""
    text = join(slot.pieces) if slot.pieces else ""
    return slot.prefix + text if slot.prefix else text


def _slot_text(slot: _Slot, base: str | None, final: bool) -> str | None:
    if final and slot.text_done is not None:
        return slot.text_done
    if slot.pieces:
        return slot_fold_text(slot)
    return base


# --------------------------------------------------------------------------- #
# Materialization of items
# --------------------------------------------------------------------------- #


def _message(slot: _Slot, item: Any, final: bool) -> Any:
    if not slot.parts:
        return item
    return replace(item, content=_overlay(item.content, slot.parts, final))


def _reasoning(slot: _Slot, item: Any, final: bool) -> Any:
    changes: dict[str, Any] = {}
    if slot.summary:
        changes["summary"] = _overlay(item.summary, slot.summary, final)
    if slot.parts:
        content = item.content if item.content is not UNSET else []
        changes["content"] = _overlay(content, slot.parts, final)
    return replace(item, **changes) if changes else item


def _field_text(field: str) -> Callable[[_Slot, Any, bool], Any]:
    def materialize(slot: _Slot, item: Any, final: bool) -> Any:
        if not slot.pieces and slot.text_done is None:
            return item
        return replace(item, **{field: _slot_text(slot, getattr(item, field), final)})

    return materialize


def _apply_patch(slot: _Slot, item: Any, final: bool) -> Any:
    op = item.operation
    if (not slot.pieces and slot.text_done is None) or not hasattr(op, "diff"):
        return item
    diff = _slot_text(slot, op.diff, final) or ""
    return replace(item, operation=replace(op, diff=diff))


def _shell_call(slot: _Slot, item: Any, final: bool) -> Any:
    if not slot.commands:
        return item
    commands = list(item.action.commands)
    for index in sorted(slot.commands):
        part = slot.commands[index]
        text = final_text(part) if final else fold_text(part)
        if index < len(commands):
            commands[index] = text
        else:
            commands.append(text)
    return replace(item, action=replace(item.action, commands=commands))


def _shell_output(slot: _Slot, item: Any, final: bool) -> Any:
    if not slot.shell:
        return item
    base: list[FunctionShellCallOutputContent] = item.output
    output: list[FunctionShellCallOutputContent] = []
    for index in sorted(slot.shell):
        out = slot.shell[index]
        if final and out.done is not None:
            output.extend(out.done)
            continue
        # The outcome only arrives with `.done`; until then it is the one the
        # snapshot has at this position, or UNSET (omitted when encoded).
        outcome = base[index].outcome if index < len(base) else cast(Any, UNSET)
        output.append(
            FunctionShellCallOutputContent(
                stdout=join(out.stdout), stderr=join(out.stderr), outcome=outcome
            )
        )
    return replace(item, output=output)


_MATERIALIZERS: dict[type[Any], Callable[[_Slot, Any, bool], Any]] = {
    OutputMessage: _message,
    ReasoningItem: _reasoning,
    FunctionToolCall: _field_text("arguments"),
    MCPToolCall: _field_text("arguments"),
    CustomToolCall: _field_text("input"),
    CodeInterpreterToolCall: _field_text("code"),
    ApplyPatchToolCall: _apply_patch,
    FunctionShellCall: _shell_call,
    FunctionShellCallOutput: _shell_output,
}


def streamed_text(item: OutputItem | None) -> str:
    """The current value of the one streamed string of a tool-like item."""
    value: Any = None
    if isinstance(item, FunctionToolCall | MCPToolCall):
        value = item.arguments
    elif isinstance(item, CustomToolCall):
        value = item.input
    elif isinstance(item, CodeInterpreterToolCall):
        value = item.code
    elif isinstance(item, ApplyPatchToolCall):
        value = getattr(item.operation, "diff", None)
    return value if isinstance(value, str) else ""


def existing_part(item: OutputItem | None, index: int, summary: bool) -> PartValue | None:
    """The part an item snapshot already has at ``index`` (content or summary)."""
    parts: Any = None
    if summary:
        parts = item.summary if isinstance(item, ReasoningItem) else None
    elif isinstance(item, OutputMessage | ReasoningItem):
        parts = item.content
    if isinstance(parts, list) and index < len(parts):
        value: PartValue = parts[index]
        return value
    return None


def existing_command(item: OutputItem | None, index: int) -> str:
    """The command a shell call snapshot already has at ``index``."""
    if isinstance(item, FunctionShellCall) and index < len(item.action.commands):
        return item.action.commands[index]
    return ""


def slot_item(slot: _Slot, final: bool = True) -> OutputItem | None:
    """The slot's output item: the server's value once it is done (``final``),
    else its snapshot with the streamed values folded in."""
    item = slot.item
    if item is None or (final and slot.done):
        return item
    materialize = _MATERIALIZERS.get(type(item))
    if materialize is None:
        return item
    result: OutputItem = materialize(slot, item, final)
    return result


# --------------------------------------------------------------------------- #
# Placeholders for events that arrive before their item
# --------------------------------------------------------------------------- #


def new_message(item_id: str) -> OutputItem:
    return OutputMessage(id=item_id, role="assistant", content=[], status="in_progress")


def new_reasoning(item_id: str) -> OutputItem:
    return ReasoningItem(id=item_id, summary=[])


def new_function_call(item_id: str) -> OutputItem:
    return FunctionToolCall(id=item_id, call_id="", name="", arguments="")


def new_custom_tool_call(item_id: str) -> OutputItem:
    return CustomToolCall(id=item_id, call_id="", name="", input="")


def new_mcp_call(item_id: str) -> OutputItem:
    return MCPToolCall(id=item_id, server_label="", name="", arguments="")


def new_mcp_list_tools(item_id: str) -> OutputItem:
    return MCPListTools(id=item_id, server_label="", tools=[])


def new_code_interpreter(item_id: str) -> OutputItem:
    return CodeInterpreterToolCall(
        id=item_id, status="in_progress", container_id="", code=None, outputs=None
    )


def new_web_search(item_id: str) -> OutputItem:
    return WebSearchToolCall(id=item_id, status="in_progress")


def new_file_search(item_id: str) -> OutputItem:
    return FileSearchToolCall(id=item_id, status="in_progress", queries=[])


def new_image_generation(item_id: str) -> OutputItem:
    return ImageGenToolCall(id=item_id, status="in_progress")


def new_shell_call(item_id: str) -> OutputItem:
    action = FunctionShellAction(commands=[], timeout_ms=None, max_output_length=None)
    return FunctionShellCall(
        id=item_id, call_id="", action=action, status="in_progress", environment=None
    )


def new_shell_output(item_id: str) -> OutputItem:
    return FunctionShellCallOutput(
        id=item_id, call_id="", status="in_progress", output=[], max_output_length=None
    )


def new_apply_patch(item_id: str) -> OutputItem:
    # The operation kind is unknown until the item arrives; an update carries a diff.
    op = ApplyPatchUpdateFileOperation(path="", diff="")
    return ApplyPatchToolCall(id=item_id, call_id="", status="in_progress", operation=op)


#: The placeholder made for each item kind when its events come before the item.
PLACEHOLDERS: dict[type[Any], Callable[[str], OutputItem]] = {
    OutputMessage: new_message,
    ReasoningItem: new_reasoning,
    FunctionToolCall: new_function_call,
    CustomToolCall: new_custom_tool_call,
    MCPToolCall: new_mcp_call,
    MCPListTools: new_mcp_list_tools,
    CodeInterpreterToolCall: new_code_interpreter,
    WebSearchToolCall: new_web_search,
    FileSearchToolCall: new_file_search,
    ImageGenToolCall: new_image_generation,
    FunctionShellCall: new_shell_call,
    FunctionShellCallOutput: new_shell_output,
    ApplyPatchToolCall: new_apply_patch,
}


def clear_streamed(slot: _Slot) -> None:
    """Forget what the deltas built in ``slot`` (they were aimed at an item of
    another kind than the one the slot now holds)."""
    slot.parts = {}
    slot.summary = {}
    slot.pieces = None
    slot.prefix = ""
    slot.text_done = None
    slot.commands = {}
    slot.shell = {}
    slot.status = None
    slot.partial_image = None
    slot.partial_image_index = None


def release_streamed(slot: _Slot) -> None:
    """Drop what the deltas built in a slot that ``output_item.done`` closed:
    the server's item is its value from then on, and only ``verify=True``
    compares the deltas with it later. A stream of many items then keeps no
    lists per finished item for the garbage collector to walk."""
    slot.parts = {}
    slot.summary = {}
    slot.pieces = None
    slot.commands = {}
    slot.shell = {}


def empty_response() -> Response:
    """The result before any lifecycle event: a placeholder with ``id == ""``."""
    return Response(
        id="",
        object="response",
        created_at=0,
        model="",
        error=None,
        incomplete_details=None,
        parallel_tool_calls=True,
        temperature=None,
        top_p=None,
        instructions=UNSET,
        metadata=UNSET,
        tools=UNSET,
        tool_choice=UNSET,
    )

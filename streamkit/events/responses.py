"""Typed events of an OpenAI Responses API stream.

One Struct per event ``type``: the 58 members of the spec's
``ResponseStreamEvent`` union, ``response.compaction.compacting`` (newest SDK),
and three types seen on the wire but in neither: the
``response.apply_patch_call_operation_diff.delta``/``.done`` pair (fields read
off recordings) and the ``keepalive`` heartbeat.

Decoding is a single tagged-union decode::

    event = RESPONSE_EVENT_DECODER.decode(payload)

and only when that raises ``msgspec.ValidationError`` should a caller try
:func:`decode_event_tolerant`, which survives output items of unknown kinds and
tells unknown event types apart from malformed known ones.

Field typing follows :mod:`streamkit.models.responses`. Two rules apply to
every event here:

* ``sequence_number`` is required by the spec but absent from streams recorded
  before mid-2025 (the server omitted it on every event), so it defaults to
  UNSET everywhere;
* every ``*.delta`` event declares the optional ``obfuscation`` padding: the
  spec documents it for all streaming delta events (``include_obfuscation``)
  but declares it only on ``response.shell_call_command.delta``.
"""

from __future__ import annotations

import re
from typing import Any, get_args

import msgspec
from msgspec import UNSET, UnsetType

from streamkit.models._base import Model, Wire
from streamkit.models.responses import (
    OUTPUT_ITEM_TYPES,
    UNKNOWN_ITEM_TAG,
    Annotation,
    FunctionShellCallOutputContent,
    OutputContent,
    OutputItem,
    Response,
    SummaryText,
)

__all__ = [
    "ResponseTopLogProb",
    "ResponseLogProb",
    "ShellCallOutputDelta",
    "ResponseErrorEventDetail",
    # lifecycle
    "ResponseCreatedEvent",
    "ResponseQueuedEvent",
    "ResponseInProgressEvent",
    "ResponseCompletedEvent",
    "ResponseFailedEvent",
    "ResponseIncompleteEvent",
    "ResponseErrorEvent",
    "ResponseKeepaliveEvent",
    # output items and content parts
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
    "ResponseTextDeltaEvent",
    "ResponseTextDoneEvent",
    "ResponseOutputTextAnnotationAddedEvent",
    "ResponseRefusalDeltaEvent",
    "ResponseRefusalDoneEvent",
    # reasoning
    "ResponseReasoningSummaryPartAddedEvent",
    "ResponseReasoningSummaryPartDoneEvent",
    "ResponseReasoningSummaryTextDeltaEvent",
    "ResponseReasoningSummaryTextDoneEvent",
    "ResponseReasoningTextDeltaEvent",
    "ResponseReasoningTextDoneEvent",
    # audio
    "ResponseAudioDeltaEvent",
    "ResponseAudioDoneEvent",
    "ResponseAudioTranscriptDeltaEvent",
    "ResponseAudioTranscriptDoneEvent",
    # function and custom tools
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseFunctionCallArgumentsDoneEvent",
    "ResponseCustomToolCallInputDeltaEvent",
    "ResponseCustomToolCallInputDoneEvent",
    # hosted tools
    "ResponseFileSearchCallInProgressEvent",
    "ResponseFileSearchCallSearchingEvent",
    "ResponseFileSearchCallCompletedEvent",
    "ResponseWebSearchCallInProgressEvent",
    "ResponseWebSearchCallSearchingEvent",
    "ResponseWebSearchCallCompletedEvent",
    "ResponseCodeInterpreterCallInProgressEvent",
    "ResponseCodeInterpreterCallInterpretingEvent",
    "ResponseCodeInterpreterCallCompletedEvent",
    "ResponseCodeInterpreterCallCodeDeltaEvent",
    "ResponseCodeInterpreterCallCodeDoneEvent",
    "ResponseImageGenCallInProgressEvent",
    "ResponseImageGenCallGeneratingEvent",
    "ResponseImageGenCallPartialImageEvent",
    "ResponseImageGenCallCompletedEvent",
    "ResponseMCPCallInProgressEvent",
    "ResponseMCPCallArgumentsDeltaEvent",
    "ResponseMCPCallArgumentsDoneEvent",
    "ResponseMCPCallCompletedEvent",
    "ResponseMCPCallFailedEvent",
    "ResponseMCPListToolsInProgressEvent",
    "ResponseMCPListToolsCompletedEvent",
    "ResponseMCPListToolsFailedEvent",
    "ResponseShellCallCommandAddedStreamingEvent",
    "ResponseShellCallCommandDeltaStreamingEvent",
    "ResponseShellCallCommandDoneStreamingEvent",
    "ResponseShellCallOutputContentDeltaStreamingEvent",
    "ResponseShellCallOutputContentDoneStreamingEvent",
    "ResponseApplyPatchCallOperationDiffDeltaEvent",
    "ResponseApplyPatchCallOperationDiffDoneEvent",
    "ResponseCompactionCompactingEvent",
    # the union and its decoders
    "ResponseStreamEvent",
    "RESPONSE_EVENT_DECODER",
    "RESPONSE_EVENT_TYPES",
    "RESPONSE_EVENT_CLASSES",
    "OUTPUT_ITEM_TYPES",
    "decode_event_tolerant",
]


# --------------------------------------------------------------------------- #
# Payload pieces used only by events
# --------------------------------------------------------------------------- #


class ResponseTopLogProb(Model, kw_only=True):
    """An alternative token in a streamed logprob."""

    token: str | UnsetType = UNSET
    logprob: float | UnsetType = UNSET


class ResponseLogProb(Model, kw_only=True):
    """Log probability of a streamed output token."""

    token: str
    logprob: float
    top_logprobs: list[ResponseTopLogProb] | UnsetType = UNSET
    bytes: list[int] | UnsetType = UNSET  # not in the spec; sent by the server (recordings)


class ShellCallOutputDelta(Model, kw_only=True):
    """A chunk of shell command output."""

    stdout: str | UnsetType = UNSET
    stderr: str | UnsetType = UNSET


class ResponseErrorEventDetail(Model, kw_only=True):
    """The nested ``error`` object some ``error`` events carry (not in the spec).

    Read off a recording: ``{"type": "error", "sequence_number": 2, "error":
    {"type": ..., "code": ..., "message": ..., "param": null}}``.
    """

    type: str | UnsetType | None = UNSET
    code: str | UnsetType | None = UNSET
    message: str | UnsetType = UNSET
    param: str | UnsetType | None = UNSET


# --------------------------------------------------------------------------- #
# Lifecycle
# --------------------------------------------------------------------------- #


class ResponseCreatedEvent(Wire, kw_only=True, tag_field="type", tag="response.created"):
    """The response was created."""

    response: Response
    sequence_number: int | UnsetType = UNSET


class ResponseQueuedEvent(Wire, kw_only=True, tag_field="type", tag="response.queued"):
    """The response is queued (background mode)."""

    response: Response
    sequence_number: int | UnsetType = UNSET


class ResponseInProgressEvent(Wire, kw_only=True, tag_field="type", tag="response.in_progress"):
    """The response is being generated."""

    response: Response
    sequence_number: int | UnsetType = UNSET


class ResponseCompletedEvent(Wire, kw_only=True, tag_field="type", tag="response.completed"):
    """The response finished; carries the final Response."""

    response: Response
    sequence_number: int | UnsetType = UNSET


class ResponseFailedEvent(Wire, kw_only=True, tag_field="type", tag="response.failed"):
    """The response failed; ``response.error`` says why."""

    response: Response
    sequence_number: int | UnsetType = UNSET


class ResponseIncompleteEvent(Wire, kw_only=True, tag_field="type", tag="response.incomplete"):
    """The response stopped early; ``response.incomplete_details`` says why."""

    response: Response
    sequence_number: int | UnsetType = UNSET


class ResponseErrorEvent(Wire, kw_only=True, tag_field="type", tag="error"):
    """An error reported inside the stream."""

    # The spec requires code/message/param at top level; a recorded server
    # error instead nests them in `error`, so all four are optional.
    code: str | UnsetType | None = UNSET
    message: str | UnsetType = UNSET
    param: str | UnsetType | None = UNSET
    error: ResponseErrorEventDetail | UnsetType = UNSET
    sequence_number: int | UnsetType = UNSET


class ResponseKeepaliveEvent(Wire, kw_only=True, tag_field="type", tag="keepalive"):
    """A heartbeat sent on long-running streams; carries no state.

    In no spec, SDK schema or recording here; its shape,
    ``{"type": "keepalive", "sequence_number": N}``, comes from public bug
    reports against the official SDKs (openai-node #1964, openai-java #767).
    """

    sequence_number: int | UnsetType = UNSET


# --------------------------------------------------------------------------- #
# Output items, content parts, text
# --------------------------------------------------------------------------- #


class ResponseOutputItemAddedEvent(
    Wire, kw_only=True, tag_field="type", tag="response.output_item.added"
):
    """A new output item started."""

    output_index: int
    # Not nullable in the spec, but some providers send `item: null`.
    item: OutputItem | None
    sequence_number: int | UnsetType = UNSET


class ResponseOutputItemDoneEvent(
    Wire, kw_only=True, tag_field="type", tag="response.output_item.done"
):
    """An output item is complete."""

    output_index: int
    # Not nullable in the spec, but some providers send `item: null`.
    item: OutputItem | None
    sequence_number: int | UnsetType = UNSET


class ResponseContentPartAddedEvent(
    Wire, kw_only=True, tag_field="type", tag="response.content_part.added"
):
    """A new content part started in a message or reasoning item."""

    item_id: str
    output_index: int
    content_index: int
    part: OutputContent
    sequence_number: int | UnsetType = UNSET


class ResponseContentPartDoneEvent(
    Wire, kw_only=True, tag_field="type", tag="response.content_part.done"
):
    """A content part is complete."""

    item_id: str
    output_index: int
    content_index: int
    part: OutputContent
    sequence_number: int | UnsetType = UNSET


class ResponseTextDeltaEvent(
    Wire, kw_only=True, tag_field="type", tag="response.output_text.delta"
):
    """A chunk of output text."""

    item_id: str
    output_index: int
    content_index: int
    delta: str
    # Required by the spec, but absent from older recorded streams.
    logprobs: list[ResponseLogProb] | UnsetType = UNSET
    obfuscation: str | UnsetType = UNSET
    sequence_number: int | UnsetType = UNSET


class ResponseTextDoneEvent(Wire, kw_only=True, tag_field="type", tag="response.output_text.done"):
    """The full text of an output text part."""

    item_id: str
    output_index: int
    content_index: int
    text: str
    # Required by the spec, but absent from older recorded streams.
    logprobs: list[ResponseLogProb] | UnsetType = UNSET
    sequence_number: int | UnsetType = UNSET


class ResponseOutputTextAnnotationAddedEvent(
    Wire, kw_only=True, tag_field="type", tag="response.output_text.annotation.added"
):
    """An annotation was added to an output text part."""

    item_id: str
    output_index: int
    content_index: int
    annotation_index: int
    annotation: Annotation | None
    sequence_number: int | UnsetType = UNSET


class ResponseRefusalDeltaEvent(Wire, kw_only=True, tag_field="type", tag="response.refusal.delta"):
    """A chunk of refusal text."""

    item_id: str
    output_index: int
    content_index: int
    delta: str
    obfuscation: str | UnsetType = UNSET
    sequence_number: int | UnsetType = UNSET


class ResponseRefusalDoneEvent(Wire, kw_only=True, tag_field="type", tag="response.refusal.done"):
    """The full refusal text."""

    item_id: str
    output_index: int
    content_index: int
    refusal: str
    sequence_number: int | UnsetType = UNSET


# --------------------------------------------------------------------------- #
# Reasoning
# --------------------------------------------------------------------------- #


class ResponseReasoningSummaryPartAddedEvent(
    Wire, kw_only=True, tag_field="type", tag="response.reasoning_summary_part.added"
):
    """A new reasoning summary part started."""

    item_id: str
    output_index: int
    summary_index: int
    part: SummaryText
    sequence_number: int | UnsetType = UNSET


class ResponseReasoningSummaryPartDoneEvent(
    Wire, kw_only=True, tag_field="type", tag="response.reasoning_summary_part.done"
):
    """A reasoning summary part is complete."""

    item_id: str
    output_index: int
    summary_index: int
    status: str | UnsetType = UNSET
    part: SummaryText
    sequence_number: int | UnsetType = UNSET


class ResponseReasoningSummaryTextDeltaEvent(
    Wire, kw_only=True, tag_field="type", tag="response.reasoning_summary_text.delta"
):
    """A chunk of reasoning summary text."""

    item_id: str
    output_index: int
    summary_index: int
    delta: str
    obfuscation: str | UnsetType = UNSET
    sequence_number: int | UnsetType = UNSET


class ResponseReasoningSummaryTextDoneEvent(
    Wire, kw_only=True, tag_field="type", tag="response.reasoning_summary_text.done"
):
    """The full text of a reasoning summary part."""

    item_id: str
    output_index: int
    summary_index: int
    text: str
    sequence_number: int | UnsetType = UNSET


class ResponseReasoningTextDeltaEvent(
    Wire, kw_only=True, tag_field="type", tag="response.reasoning_text.delta"
):
    """A chunk of raw reasoning text."""

    item_id: str
    output_index: int
    content_index: int
    delta: str
    obfuscation: str | UnsetType = UNSET
    sequence_number: int | UnsetType = UNSET


class ResponseReasoningTextDoneEvent(
    Wire, kw_only=True, tag_field="type", tag="response.reasoning_text.done"
):
    """The full raw reasoning text of a content part."""

    item_id: str
    output_index: int
    content_index: int
    text: str
    sequence_number: int | UnsetType = UNSET


# --------------------------------------------------------------------------- #
# Audio
# --------------------------------------------------------------------------- #


class ResponseAudioDeltaEvent(Wire, kw_only=True, tag_field="type", tag="response.audio.delta"):
    """A chunk of base64 audio."""

    # The spec also lists `response_id` as required for the audio events but
    # defines no such property (and the SDK has none), so it is not modelled.
    delta: str
    obfuscation: str | UnsetType = UNSET
    sequence_number: int | UnsetType = UNSET


class ResponseAudioDoneEvent(Wire, kw_only=True, tag_field="type", tag="response.audio.done"):
    """The audio output is complete."""

    sequence_number: int | UnsetType = UNSET


class ResponseAudioTranscriptDeltaEvent(
    Wire, kw_only=True, tag_field="type", tag="response.audio.transcript.delta"
):
    """A chunk of the audio transcript."""

    delta: str
    obfuscation: str | UnsetType = UNSET
    sequence_number: int | UnsetType = UNSET


class ResponseAudioTranscriptDoneEvent(
    Wire, kw_only=True, tag_field="type", tag="response.audio.transcript.done"
):
    """The audio transcript is complete."""

    sequence_number: int | UnsetType = UNSET


# --------------------------------------------------------------------------- #
# Function and custom tools
# --------------------------------------------------------------------------- #


class ResponseFunctionCallArgumentsDeltaEvent(
    Wire, kw_only=True, tag_field="type", tag="response.function_call_arguments.delta"
):
    """A chunk of function call arguments (JSON text)."""

    item_id: str
    output_index: int
    delta: str
    obfuscation: str | UnsetType = UNSET
    sequence_number: int | UnsetType = UNSET


class ResponseFunctionCallArgumentsDoneEvent(
    Wire, kw_only=True, tag_field="type", tag="response.function_call_arguments.done"
):
    """The full arguments of a function call."""

    item_id: str
    # Required by the spec, but no recording sends it (the SDK dropped it too).
    name: str | UnsetType = UNSET
    output_index: int
    arguments: str
    sequence_number: int | UnsetType = UNSET


class ResponseCustomToolCallInputDeltaEvent(
    Wire, kw_only=True, tag_field="type", tag="response.custom_tool_call_input.delta"
):
    """A chunk of custom tool call input."""

    output_index: int
    item_id: str
    delta: str
    obfuscation: str | UnsetType = UNSET
    sequence_number: int | UnsetType = UNSET


class ResponseCustomToolCallInputDoneEvent(
    Wire, kw_only=True, tag_field="type", tag="response.custom_tool_call_input.done"
):
    """The full input of a custom tool call."""

    output_index: int
    item_id: str
    input: str
    sequence_number: int | UnsetType = UNSET


# --------------------------------------------------------------------------- #
# Hosted tools: progress events carry only the item's position
# --------------------------------------------------------------------------- #


class ResponseFileSearchCallInProgressEvent(
    Wire, kw_only=True, tag_field="type", tag="response.file_search_call.in_progress"
):
    """A file search call started."""

    output_index: int
    item_id: str
    sequence_number: int | UnsetType = UNSET


class ResponseFileSearchCallSearchingEvent(
    Wire, kw_only=True, tag_field="type", tag="response.file_search_call.searching"
):
    """A file search call is searching."""

    output_index: int
    item_id: str
    sequence_number: int | UnsetType = UNSET


class ResponseFileSearchCallCompletedEvent(
    Wire, kw_only=True, tag_field="type", tag="response.file_search_call.completed"
):
    """A file search call finished."""

    output_index: int
    item_id: str
    sequence_number: int | UnsetType = UNSET


class ResponseWebSearchCallInProgressEvent(
    Wire, kw_only=True, tag_field="type", tag="response.web_search_call.in_progress"
):
    """A web search call started."""

    output_index: int
    item_id: str
    sequence_number: int | UnsetType = UNSET


class ResponseWebSearchCallSearchingEvent(
    Wire, kw_only=True, tag_field="type", tag="response.web_search_call.searching"
):
    """A web search call is searching."""

    output_index: int
    item_id: str
    sequence_number: int | UnsetType = UNSET


class ResponseWebSearchCallCompletedEvent(
    Wire, kw_only=True, tag_field="type", tag="response.web_search_call.completed"
):
    """A web search call finished."""

    output_index: int
    item_id: str
    sequence_number: int | UnsetType = UNSET


class ResponseCodeInterpreterCallInProgressEvent(
    Wire, kw_only=True, tag_field="type", tag="response.code_interpreter_call.in_progress"
):
    """A code interpreter call started."""

    output_index: int
    item_id: str
    sequence_number: int | UnsetType = UNSET


class ResponseCodeInterpreterCallInterpretingEvent(
    Wire, kw_only=True, tag_field="type", tag="response.code_interpreter_call.interpreting"
):
    """A code interpreter call is running its code."""

    output_index: int
    item_id: str
    sequence_number: int | UnsetType = UNSET


class ResponseCodeInterpreterCallCompletedEvent(
    Wire, kw_only=True, tag_field="type", tag="response.code_interpreter_call.completed"
):
    """A code interpreter call finished."""

    output_index: int
    item_id: str
    sequence_number: int | UnsetType = UNSET


class ResponseCodeInterpreterCallCodeDeltaEvent(
    Wire, kw_only=True, tag_field="type", tag="response.code_interpreter_call_code.delta"
):
    """A chunk of the code a code interpreter call runs."""

    output_index: int
    item_id: str
    delta: str
    obfuscation: str | UnsetType = UNSET
    sequence_number: int | UnsetType = UNSET


class ResponseCodeInterpreterCallCodeDoneEvent(
    Wire, kw_only=True, tag_field="type", tag="response.code_interpreter_call_code.done"
):
    """The full code of a code interpreter call."""

    output_index: int
    item_id: str
    code: str
    sequence_number: int | UnsetType = UNSET


class ResponseImageGenCallInProgressEvent(
    Wire, kw_only=True, tag_field="type", tag="response.image_generation_call.in_progress"
):
    """An image generation call started."""

    output_index: int
    item_id: str
    sequence_number: int | UnsetType = UNSET


class ResponseImageGenCallGeneratingEvent(
    Wire, kw_only=True, tag_field="type", tag="response.image_generation_call.generating"
):
    """An image generation call is generating."""

    output_index: int
    item_id: str
    sequence_number: int | UnsetType = UNSET


class ResponseImageGenCallPartialImageEvent(
    Wire, kw_only=True, tag_field="type", tag="response.image_generation_call.partial_image"
):
    """A partial image (base64) of an image generation call."""

    output_index: int
    item_id: str
    partial_image_index: int
    partial_image_b64: str
    size: str | UnsetType = UNSET
    quality: str | UnsetType = UNSET
    background: str | UnsetType = UNSET
    output_format: str | UnsetType = UNSET
    sequence_number: int | UnsetType = UNSET


class ResponseImageGenCallCompletedEvent(
    Wire, kw_only=True, tag_field="type", tag="response.image_generation_call.completed"
):
    """An image generation call finished."""

    output_index: int
    item_id: str
    sequence_number: int | UnsetType = UNSET


class ResponseMCPCallInProgressEvent(
    Wire, kw_only=True, tag_field="type", tag="response.mcp_call.in_progress"
):
    """An MCP tool call started."""

    output_index: int
    item_id: str
    sequence_number: int | UnsetType = UNSET


class ResponseMCPCallArgumentsDeltaEvent(
    Wire, kw_only=True, tag_field="type", tag="response.mcp_call_arguments.delta"
):
    """A chunk of MCP tool call arguments."""

    output_index: int
    item_id: str
    delta: str
    obfuscation: str | UnsetType = UNSET
    sequence_number: int | UnsetType = UNSET


class ResponseMCPCallArgumentsDoneEvent(
    Wire, kw_only=True, tag_field="type", tag="response.mcp_call_arguments.done"
):
    """The full arguments of an MCP tool call."""

    output_index: int
    item_id: str
    arguments: str
    sequence_number: int | UnsetType = UNSET


class ResponseMCPCallCompletedEvent(
    Wire, kw_only=True, tag_field="type", tag="response.mcp_call.completed"
):
    """An MCP tool call succeeded."""

    item_id: str
    output_index: int
    sequence_number: int | UnsetType = UNSET


class ResponseMCPCallFailedEvent(
    Wire, kw_only=True, tag_field="type", tag="response.mcp_call.failed"
):
    """An MCP tool call failed."""

    item_id: str
    output_index: int
    sequence_number: int | UnsetType = UNSET


class ResponseMCPListToolsInProgressEvent(
    Wire, kw_only=True, tag_field="type", tag="response.mcp_list_tools.in_progress"
):
    """Listing the tools of an MCP server started."""

    item_id: str
    output_index: int
    sequence_number: int | UnsetType = UNSET


class ResponseMCPListToolsCompletedEvent(
    Wire, kw_only=True, tag_field="type", tag="response.mcp_list_tools.completed"
):
    """Listing the tools of an MCP server succeeded."""

    item_id: str
    output_index: int
    sequence_number: int | UnsetType = UNSET


class ResponseMCPListToolsFailedEvent(
    Wire, kw_only=True, tag_field="type", tag="response.mcp_list_tools.failed"
):
    """Listing the tools of an MCP server failed."""

    item_id: str
    output_index: int
    sequence_number: int | UnsetType = UNSET


class ResponseShellCallCommandAddedStreamingEvent(
    Wire, kw_only=True, tag_field="type", tag="response.shell_call_command.added"
):
    """A new command was added to a shell call."""

    output_index: int
    command_index: int
    command: str
    sequence_number: int | UnsetType = UNSET


class ResponseShellCallCommandDeltaStreamingEvent(
    Wire, kw_only=True, tag_field="type", tag="response.shell_call_command.delta"
):
    """A chunk of a shell call command."""

    output_index: int
    command_index: int
    delta: str
    obfuscation: str | UnsetType = UNSET
    sequence_number: int | UnsetType = UNSET


class ResponseShellCallCommandDoneStreamingEvent(
    Wire, kw_only=True, tag_field="type", tag="response.shell_call_command.done"
):
    """The full text of a shell call command."""

    output_index: int
    command_index: int
    command: str
    sequence_number: int | UnsetType = UNSET


class ResponseShellCallOutputContentDeltaStreamingEvent(
    Wire, kw_only=True, tag_field="type", tag="response.shell_call_output_content.delta"
):
    """A chunk of shell command output."""

    item_id: str
    output_index: int
    command_index: int
    delta: ShellCallOutputDelta
    obfuscation: str | UnsetType = UNSET
    sequence_number: int | UnsetType = UNSET


class ResponseShellCallOutputContentDoneStreamingEvent(
    Wire, kw_only=True, tag_field="type", tag="response.shell_call_output_content.done"
):
    """The full output of a shell command."""

    item_id: str
    output_index: int
    command_index: int
    output: list[FunctionShellCallOutputContent]
    sequence_number: int | UnsetType = UNSET


class ResponseApplyPatchCallOperationDiffDeltaEvent(
    Wire, kw_only=True, tag_field="type", tag="response.apply_patch_call_operation_diff.delta"
):
    """A chunk of the diff of an apply_patch operation (not in the spec)."""

    item_id: str
    output_index: int
    delta: str
    obfuscation: str | UnsetType = UNSET
    sequence_number: int | UnsetType = UNSET


class ResponseApplyPatchCallOperationDiffDoneEvent(
    Wire, kw_only=True, tag_field="type", tag="response.apply_patch_call_operation_diff.done"
):
    """The full diff of an apply_patch operation (not in the spec)."""

    item_id: str
    output_index: int
    diff: str
    sequence_number: int | UnsetType = UNSET


class ResponseCompactionCompactingEvent(
    Wire, kw_only=True, tag_field="type", tag="response.compaction.compacting"
):
    """Conversation compaction is running (newest SDK, not in the spec)."""

    item_id: str
    output_index: int
    sequence_number: int | UnsetType = UNSET


# --------------------------------------------------------------------------- #
# The union
# --------------------------------------------------------------------------- #

ResponseStreamEvent = (
    ResponseCreatedEvent
    | ResponseQueuedEvent
    | ResponseInProgressEvent
    | ResponseCompletedEvent
    | ResponseFailedEvent
    | ResponseIncompleteEvent
    | ResponseErrorEvent
    | ResponseKeepaliveEvent
    | ResponseOutputItemAddedEvent
    | ResponseOutputItemDoneEvent
    | ResponseContentPartAddedEvent
    | ResponseContentPartDoneEvent
    | ResponseTextDeltaEvent
    | ResponseTextDoneEvent
    | ResponseOutputTextAnnotationAddedEvent
    | ResponseRefusalDeltaEvent
    | ResponseRefusalDoneEvent
    | ResponseReasoningSummaryPartAddedEvent
    | ResponseReasoningSummaryPartDoneEvent
    | ResponseReasoningSummaryTextDeltaEvent
    | ResponseReasoningSummaryTextDoneEvent
    | ResponseReasoningTextDeltaEvent
    | ResponseReasoningTextDoneEvent
    | ResponseAudioDeltaEvent
    | ResponseAudioDoneEvent
    | ResponseAudioTranscriptDeltaEvent
    | ResponseAudioTranscriptDoneEvent
    | ResponseFunctionCallArgumentsDeltaEvent
    | ResponseFunctionCallArgumentsDoneEvent
    | ResponseCustomToolCallInputDeltaEvent
    | ResponseCustomToolCallInputDoneEvent
    | ResponseFileSearchCallInProgressEvent
    | ResponseFileSearchCallSearchingEvent
    | ResponseFileSearchCallCompletedEvent
    | ResponseWebSearchCallInProgressEvent
    | ResponseWebSearchCallSearchingEvent
    | ResponseWebSearchCallCompletedEvent
    | ResponseCodeInterpreterCallInProgressEvent
    | ResponseCodeInterpreterCallInterpretingEvent
    | ResponseCodeInterpreterCallCompletedEvent
    | ResponseCodeInterpreterCallCodeDeltaEvent
    | ResponseCodeInterpreterCallCodeDoneEvent
    | ResponseImageGenCallInProgressEvent
    | ResponseImageGenCallGeneratingEvent
    | ResponseImageGenCallPartialImageEvent
    | ResponseImageGenCallCompletedEvent
    | ResponseMCPCallInProgressEvent
    | ResponseMCPCallArgumentsDeltaEvent
    | ResponseMCPCallArgumentsDoneEvent
    | ResponseMCPCallCompletedEvent
    | ResponseMCPCallFailedEvent
    | ResponseMCPListToolsInProgressEvent
    | ResponseMCPListToolsCompletedEvent
    | ResponseMCPListToolsFailedEvent
    | ResponseShellCallCommandAddedStreamingEvent
    | ResponseShellCallCommandDeltaStreamingEvent
    | ResponseShellCallCommandDoneStreamingEvent
    | ResponseShellCallOutputContentDeltaStreamingEvent
    | ResponseShellCallOutputContentDoneStreamingEvent
    | ResponseApplyPatchCallOperationDiffDeltaEvent
    | ResponseApplyPatchCallOperationDiffDoneEvent
    | ResponseCompactionCompactingEvent
)

#: The one decoder for Responses stream payloads (the JSON of a ``data:`` line).
RESPONSE_EVENT_DECODER: msgspec.json.Decoder[ResponseStreamEvent] = msgspec.json.Decoder(
    ResponseStreamEvent
)

#: Event ``type`` tag -> class, for every known event type.
RESPONSE_EVENT_CLASSES: dict[str, type[Model]] = {
    str(cls.__struct_config__.tag): cls for cls in get_args(ResponseStreamEvent)
}

#: Every event ``type`` the union understands.
RESPONSE_EVENT_TYPES: frozenset[str] = frozenset(RESPONSE_EVENT_CLASSES)

# Events whose `response.output` is a list of output items.
_EVENTS_WITH_RESPONSE = frozenset(
    {
        "response.created",
        "response.queued",
        "response.in_progress",
        "response.completed",
        "response.failed",
        "response.incomplete",
    }
)
# Events whose `item` is an output item.
_EVENTS_WITH_ITEM = frozenset({"response.output_item.added", "response.output_item.done"})


def _placeholder(item: Any, *, force: bool = False) -> Any:
    """Return ``item``, or an UnknownItem stand-in when its kind is unknown.

    The stand-in already holds the item's JSON as ``msgspec.Raw``, so
    ``msgspec.convert`` turns it into the final UnknownItem in place.
    Items whose ``type`` is not a string are left alone: that is a malformed
    item, and conversion should report it. ``force`` wraps an item of a known
    kind too (one that holds a part or annotation of an unknown kind).
    """
    if isinstance(item, dict):
        kind = item.get("type")
        if isinstance(kind, str) and (force or kind not in OUTPUT_ITEM_TYPES):
            return {
                "type": UNKNOWN_ITEM_TAG,
                "item_type": kind,
                "raw": msgspec.Raw(msgspec.json.encode(item)),
            }
    return item


#: Why a payload nested deeper than msgspec can recurse is rejected.
TOO_DEEP = "payload nests too deep (deeper than the Python recursion limit)"


def decode_event_tolerant(data: bytes | memoryview) -> ResponseStreamEvent | None:
    """Decode an event that the fast decoder rejected.

    Call only after ``RESPONSE_EVENT_DECODER.decode`` raised
    ``msgspec.ValidationError`` (it is slower: it goes through builtins).

    Returns None when the event ``type`` is unknown (the caller decides what an
    unknown event becomes). For a known event, output items of unknown kinds
    (at ``item`` and in ``response.output``) become :class:`UnknownItem`; if
    the event still does not fit its Struct, the ``msgspec.ValidationError`` is
    raised. Invalid JSON raises ``msgspec.DecodeError``, and so does JSON
    nested too deep to decode (msgspec recurses per level and would raise
    ``RecursionError``).
    """
    try:
        return _decode_tolerant(data)
    except RecursionError:
        # msgspec leaves each level it entered, so the interpreter's recursion
        # state is intact once the error is caught.
        raise msgspec.DecodeError(TOO_DEEP) from None


def _decode_tolerant(data: bytes | memoryview) -> ResponseStreamEvent | None:
    obj = msgspec.json.decode(data)
    if not isinstance(obj, dict):
        raise msgspec.ValidationError("Expected `object`, got `" + type(obj).__name__ + "`")
    event_type = obj.get("type")
    if not isinstance(event_type, str) or event_type not in RESPONSE_EVENT_TYPES:
        return None
    output: list[Any] | None = None
    if event_type in _EVENTS_WITH_ITEM and "item" in obj:
        obj["item"] = _placeholder(obj["item"])
    elif event_type in _EVENTS_WITH_RESPONSE:
        response = obj.get("response")
        if isinstance(response, dict) and isinstance(response.get("output"), list):
            output = response["output"] = [_placeholder(item) for item in response["output"]]
    # A known item can hold a part or an annotation of a new kind: that item
    # becomes an UnknownItem (its JSON kept), one item per retry. A new kind
    # outside any item (a content part or annotation event) makes the whole
    # event unknown: None, as for an unknown event type.
    for _ in range(len(output or ()) + 2):
        try:
            event: ResponseStreamEvent = msgspec.convert(obj, ResponseStreamEvent)
            return event
        except msgspec.ValidationError as exc:
            found = _NEW_KIND.fullmatch(str(exc))
            if found is None:
                raise
            if found["path"].startswith("item.") and "item" in obj:
                obj["item"] = _placeholder(obj["item"], force=True)
            elif found["output"] is not None and output is not None:
                i = int(found["output"])
                output[i] = _placeholder(output[i], force=True)
            else:
                return None
    raise msgspec.ValidationError(f"event {event_type!r} keeps failing to convert")


# msgspec's message for a tag (``type``) no union member has.
_NEW_KIND = re.compile(
    r"Invalid value '[^']*' - at "
    r"`\$\.(?P<path>(?:response\.output\[(?P<output>\d+)\]\.)?[^`]*\btype)`"
)

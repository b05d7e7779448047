"""Final-object types of the OpenAI Responses API.

These are the objects a Responses stream carries and builds: the ``Response``
snapshot sent by the lifecycle events, the 28 kinds of output item, message
content parts and their annotations.

Names and fields follow ``components.schemas`` of the OpenAI OpenAPI description
(openai/openai-openapi). Typing rules, chosen so that decoding and re-encoding
reproduces the wire JSON (minus unknown keys):

* a field the spec requires has no default (``T | None`` when nullable);
* an optional field defaults to ``msgspec.UNSET`` and so is omitted again on
  encode when it was absent;
* enum-like strings the server may extend (status, role, ...) are plain ``str``;
* a ``number`` (timestamps, temperature, logprobs, scores) is ``int | float``,
  so an integer stays an integer (``"created_at":1776381833`` re-encodes as
  sent, not as ``1776381833.0``);
* configuration echoed back from the request (tools, text, reasoning, ...) is
  ``Any``: it must never make a stream fail to decode.

Where real recordings contradict the spec the field is relaxed, with a comment.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from streamkit.models._base import Model, Wire
from streamkit.models._verdict import HasVerdict
from streamkit.models.chat import CostDetails

__all__ = [
    # content parts and annotations
    "FileCitation",
    "UrlCitation",
    "ContainerFileCitation",
    "FilePath",
    "Annotation",
    "TopLogProb",
    "LogProb",
    "OutputText",
    "Refusal",
    "ReasoningText",
    "SummaryText",
    "OutputMessageContent",
    "OutputContent",
    "PromptCacheBreakpoint",
    "InputText",
    "InputImage",
    "InputFile",
    "FunctionAndCustomToolCallOutput",
    # nested parts of output items
    "DirectToolCallCaller",
    "ProgramToolCallCaller",
    "ToolCallCaller",
    "FileSearchResult",
    "WebSearchSource",
    "WebSearchActionSearch",
    "WebSearchActionOpenPage",
    "WebSearchActionFind",
    "WebSearchAction",
    "Coord",
    "ClickAction",
    "DoubleClickAction",
    "DragAction",
    "KeyPressAction",
    "MoveAction",
    "ScreenshotAction",
    "ScrollAction",
    "TypeAction",
    "WaitAction",
    "ComputerAction",
    "ComputerCallSafetyCheck",
    "ComputerScreenshotImage",
    "CodeInterpreterOutputLogs",
    "CodeInterpreterOutputImage",
    "CodeInterpreterOutput",
    "LocalShellExecAction",
    "FunctionShellAction",
    "LocalEnvironment",
    "ContainerReference",
    "ShellEnvironment",
    "FunctionShellCallOutputTimeoutOutcome",
    "FunctionShellCallOutputExitOutcome",
    "FunctionShellCallOutcome",
    "FunctionShellCallOutputContent",
    "ApplyPatchCreateFileOperation",
    "ApplyPatchDeleteFileOperation",
    "ApplyPatchUpdateFileOperation",
    "ApplyPatchOperation",
    "MCPProtocolError",
    "MCPToolExecutionError",
    "MCPHTTPError",
    "MCPToolCallError",
    "MCPListToolsTool",
    # output items
    "OutputMessage",
    "FileSearchToolCall",
    "FunctionToolCall",
    "FunctionToolCallOutputResource",
    "WebSearchToolCall",
    "ComputerToolCall",
    "ComputerToolCallOutputResource",
    "ReasoningItem",
    "Program",
    "ProgramOutput",
    "ToolSearchCall",
    "ToolSearchOutput",
    "AdditionalTools",
    "CompactionItem",
    "ImageGenToolCall",
    "CodeInterpreterToolCall",
    "LocalShellToolCall",
    "LocalShellToolCallOutput",
    "FunctionShellCall",
    "FunctionShellCallOutput",
    "ApplyPatchToolCall",
    "ApplyPatchToolCallOutput",
    "MCPToolCall",
    "MCPListTools",
    "MCPApprovalRequest",
    "MCPApprovalResponseResource",
    "CustomToolCall",
    "CustomToolCallOutputResource",
    "UnknownItem",
    "OutputItem",
    "OUTPUT_ITEM_CLASSES",
    "OUTPUT_ITEM_TYPES",
    "UNKNOWN_ITEM_TAG",
    # the response
    "InputTokensDetails",
    "OutputTokensDetails",
    "ResponseUsage",
    "ResponseError",
    "IncompleteDetails",
    "ResponseConversation",
    "ModerationResultBody",
    "ModerationErrorBody",
    "ResponseModeration",
    "Response",
]


# --------------------------------------------------------------------------- #
# Annotations, logprobs and content parts
# --------------------------------------------------------------------------- #


class FileCitation(Model, kw_only=True, tag_field="type", tag="file_citation"):
    """A citation of an uploaded file inside output text."""

    file_id: str
    index: int
    filename: str


class UrlCitation(Model, kw_only=True, tag_field="type", tag="url_citation"):
    """A citation of a web page inside output text."""

    url: str
    start_index: int
    end_index: int
    title: str


class ContainerFileCitation(Model, kw_only=True, tag_field="type", tag="container_file_citation"):
    """A citation of a file in a code-interpreter container."""

    container_id: str
    file_id: str
    start_index: int
    end_index: int
    filename: str


class FilePath(Model, kw_only=True, tag_field="type", tag="file_path"):
    """A path to a file produced by a tool, referenced from output text."""

    file_id: str
    index: int


Annotation = FileCitation | UrlCitation | ContainerFileCitation | FilePath


class TopLogProb(Model, kw_only=True):
    """One alternative token with its log probability."""

    token: str
    logprob: int | float
    bytes: list[int]


class LogProb(Model, kw_only=True):
    """Log probability of one output token, with the top alternatives."""

    token: str
    logprob: int | float
    bytes: list[int]
    top_logprobs: list[TopLogProb]


class OutputText(Model, kw_only=True, tag_field="type", tag="output_text"):
    """Text written by the model, with its annotations and logprobs."""

    text: str
    annotations: list[Annotation]
    # Required by the spec, but absent from older recorded streams.
    logprobs: list[LogProb] | UnsetType = UNSET


class Refusal(Model, kw_only=True, tag_field="type", tag="refusal"):
    """A refusal written by the model instead of an answer."""

    refusal: str


class ReasoningText(Model, kw_only=True, tag_field="type", tag="reasoning_text"):
    """Raw reasoning text (sent by some providers' reasoning models)."""

    text: str


class SummaryText(Model, kw_only=True, tag_field="type", tag="summary_text"):
    """One part of a reasoning summary."""

    text: str


OutputMessageContent = OutputText | Refusal
OutputContent = OutputText | Refusal | ReasoningText


class PromptCacheBreakpoint(Model, kw_only=True):
    """An explicit prompt-cache breakpoint attached to input content."""

    mode: str


class InputText(Model, kw_only=True, tag_field="type", tag="input_text"):
    """Text content returned by a function or custom tool."""

    text: str
    prompt_cache_breakpoint: PromptCacheBreakpoint | UnsetType = UNSET


class InputImage(Model, kw_only=True, tag_field="type", tag="input_image"):
    """Image content returned by a function or custom tool."""

    image_url: str | UnsetType | None = UNSET
    file_id: str | UnsetType | None = UNSET
    detail: str
    prompt_cache_breakpoint: PromptCacheBreakpoint | UnsetType = UNSET


class InputFile(Model, kw_only=True, tag_field="type", tag="input_file"):
    """File content returned by a function or custom tool."""

    file_id: str | UnsetType | None = UNSET
    filename: str | UnsetType = UNSET
    file_data: str | UnsetType = UNSET
    prompt_cache_breakpoint: PromptCacheBreakpoint | UnsetType = UNSET
    file_url: str | UnsetType = UNSET
    detail: str | UnsetType = UNSET


FunctionAndCustomToolCallOutput = InputText | InputImage | InputFile


# --------------------------------------------------------------------------- #
# Pieces of output items
# --------------------------------------------------------------------------- #


class DirectToolCallCaller(Model, kw_only=True, tag_field="type", tag="direct"):
    """The tool was called directly by the model."""


class ProgramToolCallCaller(Model, kw_only=True, tag_field="type", tag="program"):
    """The tool was called from a program the model wrote."""

    caller_id: str


ToolCallCaller = DirectToolCallCaller | ProgramToolCallCaller


class FileSearchResult(Model, kw_only=True):
    """One chunk found by a file search."""

    file_id: str | UnsetType = UNSET
    text: str | UnsetType = UNSET
    filename: str | UnsetType = UNSET
    # Integers stay integers: a plain ``float`` would turn 3 into 3.0.
    attributes: dict[str, str | int | float | bool] | UnsetType | None = UNSET
    score: int | float | UnsetType = UNSET


class WebSearchSource(Model, kw_only=True):
    """A source consulted by a web search.

    The spec only knows ``{"type": "url", "url": ...}``; recordings also carry
    ``{"type": "api", "name": ...}`` sources, so ``type`` stays a plain field.
    """

    type: str
    # Required by the spec, but "api" sources have a name and no url.
    url: str | UnsetType = UNSET
    name: str | UnsetType = UNSET  # observed in recordings, not in the spec


class WebSearchActionSearch(Model, kw_only=True, tag_field="type", tag="search"):
    """A web search query."""

    query: str | UnsetType = UNSET
    queries: list[str] | UnsetType = UNSET
    sources: list[WebSearchSource] | UnsetType = UNSET


class WebSearchActionOpenPage(Model, kw_only=True, tag_field="type", tag="open_page"):
    """Opening a page found by a web search."""

    url: str | UnsetType | None = UNSET


class WebSearchActionFind(Model, kw_only=True, tag_field="type", tag="find_in_page"):
    """Searching for a pattern inside an opened page."""

    url: str
    pattern: str


WebSearchAction = WebSearchActionSearch | WebSearchActionOpenPage | WebSearchActionFind


class Coord(Model, kw_only=True):
    """A point on the screen."""

    x: int
    y: int


class ClickAction(Model, kw_only=True, tag_field="type", tag="click"):
    """A mouse click."""

    button: str
    x: int
    y: int
    keys: list[str] | UnsetType | None = UNSET


class DoubleClickAction(Model, kw_only=True, tag_field="type", tag="double_click"):
    """A mouse double click."""

    x: int
    y: int
    keys: list[str] | None


class DragAction(Model, kw_only=True, tag_field="type", tag="drag"):
    """A mouse drag along a path."""

    path: list[Coord]
    keys: list[str] | UnsetType | None = UNSET


class KeyPressAction(Model, kw_only=True, tag_field="type", tag="keypress"):
    """A key combination press."""

    keys: list[str]


class MoveAction(Model, kw_only=True, tag_field="type", tag="move"):
    """A mouse move."""

    x: int
    y: int
    keys: list[str] | UnsetType | None = UNSET


class ScreenshotAction(Model, kw_only=True, tag_field="type", tag="screenshot"):
    """A screenshot request."""


class ScrollAction(Model, kw_only=True, tag_field="type", tag="scroll"):
    """A scroll at a position."""

    x: int
    y: int
    scroll_x: int
    scroll_y: int
    keys: list[str] | UnsetType | None = UNSET


class TypeAction(Model, kw_only=True, tag_field="type", tag="type"):
    """Typing text."""

    text: str


class WaitAction(Model, kw_only=True, tag_field="type", tag="wait"):
    """Waiting for the screen to settle."""


ComputerAction = (
    ClickAction
    | DoubleClickAction
    | DragAction
    | KeyPressAction
    | MoveAction
    | ScreenshotAction
    | ScrollAction
    | TypeAction
    | WaitAction
)


class ComputerCallSafetyCheck(Model, kw_only=True):
    """A safety check raised for (or acknowledged on) a computer call."""

    id: str
    code: str | UnsetType | None = UNSET
    message: str | UnsetType | None = UNSET


class ComputerScreenshotImage(Model, kw_only=True, tag_field="type", tag="computer_screenshot"):
    """A screenshot returned for a computer call."""

    image_url: str | UnsetType = UNSET
    file_id: str | UnsetType = UNSET


class CodeInterpreterOutputLogs(Model, kw_only=True, tag_field="type", tag="logs"):
    """Log output of a code interpreter run."""

    logs: str


class CodeInterpreterOutputImage(Model, kw_only=True, tag_field="type", tag="image"):
    """An image produced by a code interpreter run."""

    url: str


CodeInterpreterOutput = CodeInterpreterOutputLogs | CodeInterpreterOutputImage


class LocalShellExecAction(Model, kw_only=True, tag_field="type", tag="exec"):
    """A command the model asks the client to run on its local shell."""

    command: list[str]
    timeout_ms: int | UnsetType | None = UNSET
    working_directory: str | UnsetType | None = UNSET
    env: dict[str, str]
    user: str | UnsetType | None = UNSET


class FunctionShellAction(Model, kw_only=True):
    """The commands of a shell tool call."""

    commands: list[str]
    timeout_ms: int | None
    max_output_length: int | None


class LocalEnvironment(Model, kw_only=True, tag_field="type", tag="local"):
    """The shell call runs in the client's local environment."""


class ContainerReference(Model, kw_only=True, tag_field="type", tag="container_reference"):
    """The shell call runs in a hosted container."""

    container_id: str


ShellEnvironment = LocalEnvironment | ContainerReference


class FunctionShellCallOutputTimeoutOutcome(Model, kw_only=True, tag_field="type", tag="timeout"):
    """The shell command timed out."""


class FunctionShellCallOutputExitOutcome(Model, kw_only=True, tag_field="type", tag="exit"):
    """The shell command exited."""

    exit_code: int


FunctionShellCallOutcome = (
    FunctionShellCallOutputTimeoutOutcome | FunctionShellCallOutputExitOutcome
)


class FunctionShellCallOutputContent(Model, kw_only=True):
    """Output of one shell command."""

    stdout: str
    stderr: str
    outcome: FunctionShellCallOutcome
    created_by: str | UnsetType = UNSET


class ApplyPatchCreateFileOperation(Model, kw_only=True, tag_field="type", tag="create_file"):
    """Create a file from a diff."""

    path: str
    diff: str


class ApplyPatchDeleteFileOperation(Model, kw_only=True, tag_field="type", tag="delete_file"):
    """Delete a file."""

    path: str


class ApplyPatchUpdateFileOperation(Model, kw_only=True, tag_field="type", tag="update_file"):
    """Apply a diff to an existing file."""

    path: str
    diff: str


ApplyPatchOperation = (
    ApplyPatchCreateFileOperation | ApplyPatchDeleteFileOperation | ApplyPatchUpdateFileOperation
)


class MCPProtocolError(Model, kw_only=True, tag_field="type", tag="mcp_protocol_error"):
    """The MCP server answered with a protocol error."""

    code: int
    message: str


class MCPToolExecutionError(Model, kw_only=True, tag_field="type", tag="mcp_tool_execution_error"):
    """The MCP tool ran and reported an error."""

    content: Any  # the tool's own error content, unconstrained by the spec


class MCPHTTPError(Model, kw_only=True, tag_field="type", tag="http_error"):
    """The MCP server could not be reached (spec schema ``HTTPError``)."""

    code: int
    message: str


MCPToolCallError = MCPProtocolError | MCPToolExecutionError | MCPHTTPError


class MCPListToolsTool(Model, kw_only=True):
    """A tool offered by an MCP server."""

    name: str
    description: str | UnsetType | None = UNSET
    input_schema: dict[str, Any]
    annotations: dict[str, Any] | UnsetType | None = UNSET


# --------------------------------------------------------------------------- #
# Output items (spec schema ``OutputItem``)
# --------------------------------------------------------------------------- #


class OutputMessage(Model, kw_only=True, tag_field="type", tag="message"):
    """An assistant message."""

    id: str
    role: str
    content: list[OutputMessageContent]
    phase: str | UnsetType | None = UNSET
    status: str


class FileSearchToolCall(Model, kw_only=True, tag_field="type", tag="file_search_call"):
    """A call of the hosted file search tool."""

    id: str
    status: str
    queries: list[str]
    results: list[FileSearchResult] | UnsetType | None = UNSET


class FunctionToolCall(Model, kw_only=True, tag_field="type", tag="function_call"):
    """A call of a function tool defined by the client."""

    id: str | UnsetType = UNSET
    call_id: str
    caller: ToolCallCaller | UnsetType | None = UNSET
    namespace: str | UnsetType = UNSET
    name: str
    arguments: str
    status: str | UnsetType = UNSET


class FunctionToolCallOutputResource(
    Model, kw_only=True, tag_field="type", tag="function_call_output"
):
    """The result of a function tool call."""

    id: str
    call_id: str | UnsetType = UNSET
    name: str | UnsetType = UNSET
    namespace: str | UnsetType = UNSET
    caller: ToolCallCaller | UnsetType | None = UNSET
    output: str | list[FunctionAndCustomToolCallOutput]
    status: str
    created_by: str | UnsetType = UNSET


class WebSearchToolCall(Model, kw_only=True, tag_field="type", tag="web_search_call"):
    """A call of the hosted web search tool."""

    id: str
    status: str
    # Required by the spec, but output_item.added sends the call before its action.
    action: WebSearchAction | UnsetType = UNSET


class ComputerToolCall(Model, kw_only=True, tag_field="type", tag="computer_call"):
    """A computer-use action the client should perform."""

    id: str
    call_id: str
    action: ComputerAction | UnsetType = UNSET
    actions: list[ComputerAction] | UnsetType = UNSET
    pending_safety_checks: list[ComputerCallSafetyCheck]
    status: str


class ComputerToolCallOutputResource(
    Model, kw_only=True, tag_field="type", tag="computer_call_output"
):
    """The screenshot returned for a computer call."""

    id: str
    call_id: str
    acknowledged_safety_checks: list[ComputerCallSafetyCheck] | UnsetType = UNSET
    output: ComputerScreenshotImage
    status: str
    created_by: str | UnsetType = UNSET


class ReasoningItem(Model, kw_only=True, tag_field="type", tag="reasoning"):
    """The model's reasoning: summary, optional raw text, optional encrypted state."""

    id: str
    encrypted_content: str | UnsetType | None = UNSET
    summary: list[SummaryText]
    content: list[ReasoningText] | UnsetType = UNSET
    status: str | UnsetType = UNSET


class Program(Model, kw_only=True, tag_field="type", tag="program"):
    """A program the model wrote to call tools programmatically."""

    id: str
    call_id: str
    code: str
    fingerprint: str


class ProgramOutput(Model, kw_only=True, tag_field="type", tag="program_output"):
    """The result of running a program item."""

    id: str
    call_id: str
    result: str
    status: str


class ToolSearchCall(Model, kw_only=True, tag_field="type", tag="tool_search_call"):
    """A search for tools to load."""

    id: str
    call_id: str | None
    execution: str
    arguments: Any  # free-form in the spec
    status: str
    created_by: str | UnsetType = UNSET


class ToolSearchOutput(Model, kw_only=True, tag_field="type", tag="tool_search_output"):
    """The tools found by a tool search."""

    id: str
    call_id: str | None
    execution: str
    tools: list[Any]  # tool definitions: the request-side union, kept as builtins
    status: str
    created_by: str | UnsetType = UNSET


class AdditionalTools(Model, kw_only=True, tag_field="type", tag="additional_tools"):
    """Tools added to the conversation."""

    id: str
    role: str
    tools: list[Any]  # tool definitions: the request-side union, kept as builtins


class CompactionItem(Model, kw_only=True, tag_field="type", tag="compaction"):
    """Compacted conversation state (spec schema ``CompactionBody``)."""

    id: str
    encrypted_content: str
    created_by: str | UnsetType = UNSET


class ImageGenToolCall(Model, kw_only=True, tag_field="type", tag="image_generation_call"):
    """A call of the hosted image generation tool."""

    id: str
    status: str
    # Required by the spec, but output_item.added omits it before the image exists.
    result: str | UnsetType | None = UNSET
    # Not in the spec; sent by the server (recordings) and typed by the SDK.
    background: str | UnsetType | None = UNSET
    output_format: str | UnsetType | None = UNSET
    quality: str | UnsetType | None = UNSET
    revised_prompt: str | UnsetType | None = UNSET
    size: str | UnsetType | None = UNSET


class CodeInterpreterToolCall(Model, kw_only=True, tag_field="type", tag="code_interpreter_call"):
    """A call of the hosted code interpreter."""

    id: str
    status: str
    container_id: str
    code: str | None
    outputs: list[CodeInterpreterOutput] | None


class LocalShellToolCall(Model, kw_only=True, tag_field="type", tag="local_shell_call"):
    """A command to run on the client's local shell."""

    id: str
    call_id: str
    action: LocalShellExecAction
    status: str


class LocalShellToolCallOutput(
    Model, kw_only=True, tag_field="type", tag="local_shell_call_output"
):
    """The output of a local shell call."""

    # The spec also lists `call_id` as required but defines no such property
    # (and the SDK has none), so it is not modelled.
    id: str
    output: str
    status: str | UnsetType | None = UNSET


class FunctionShellCall(Model, kw_only=True, tag_field="type", tag="shell_call"):
    """A call of the shell tool."""

    id: str
    call_id: str
    caller: ToolCallCaller | UnsetType | None = UNSET
    action: FunctionShellAction
    status: str
    environment: ShellEnvironment | None
    created_by: str | UnsetType = UNSET


class FunctionShellCallOutput(Model, kw_only=True, tag_field="type", tag="shell_call_output"):
    """The output of a shell tool call."""

    id: str
    call_id: str
    caller: ToolCallCaller | UnsetType | None = UNSET
    status: str
    output: list[FunctionShellCallOutputContent]
    max_output_length: int | None
    created_by: str | UnsetType = UNSET


class ApplyPatchToolCall(Model, kw_only=True, tag_field="type", tag="apply_patch_call"):
    """A file operation requested through the apply_patch tool."""

    id: str
    call_id: str
    caller: ToolCallCaller | UnsetType | None = UNSET
    status: str
    operation: ApplyPatchOperation
    created_by: str | UnsetType = UNSET


class ApplyPatchToolCallOutput(
    Model, kw_only=True, tag_field="type", tag="apply_patch_call_output"
):
    """The result of an apply_patch call."""

    id: str
    call_id: str
    caller: ToolCallCaller | UnsetType | None = UNSET
    status: str
    output: str | UnsetType | None = UNSET
    created_by: str | UnsetType = UNSET


class MCPToolCall(Model, kw_only=True, tag_field="type", tag="mcp_call"):
    """A call of a tool on a remote MCP server."""

    id: str
    server_label: str
    name: str
    arguments: str
    output: str | UnsetType | None = UNSET
    error: MCPToolCallError | UnsetType | None = UNSET
    status: str | UnsetType = UNSET
    approval_request_id: str | UnsetType | None = UNSET


class MCPListTools(Model, kw_only=True, tag_field="type", tag="mcp_list_tools"):
    """The tools listed by a remote MCP server."""

    id: str
    server_label: str
    tools: list[MCPListToolsTool]
    error: str | UnsetType | None = UNSET


class MCPApprovalRequest(Model, kw_only=True, tag_field="type", tag="mcp_approval_request"):
    """A request for the user to approve an MCP tool call."""

    id: str
    server_label: str
    name: str
    arguments: str


class MCPApprovalResponseResource(
    Model, kw_only=True, tag_field="type", tag="mcp_approval_response"
):
    """The user's answer to an MCP approval request."""

    # The spec also lists `request_id` as required but defines no such
    # property (and the SDK has none), so it is not modelled.
    id: str
    approval_request_id: str
    approve: bool
    reason: str | UnsetType | None = UNSET


class CustomToolCall(Model, kw_only=True, tag_field="type", tag="custom_tool_call"):
    """A call of a custom (free-form input) tool."""

    id: str | UnsetType = UNSET
    call_id: str
    caller: ToolCallCaller | UnsetType | None = UNSET
    namespace: str | UnsetType = UNSET
    name: str
    input: str
    status: str | UnsetType = UNSET  # not in the spec; sent by the server (recordings)


class CustomToolCallOutputResource(
    Model, kw_only=True, tag_field="type", tag="custom_tool_call_output"
):
    """The result of a custom tool call."""

    id: str
    call_id: str
    caller: ToolCallCaller | UnsetType | None = UNSET
    output: str | list[FunctionAndCustomToolCallOutput]
    status: str
    created_by: str | UnsetType = UNSET


UNKNOWN_ITEM_TAG = "streamkit.unknown_item"


class UnknownItem(Model, kw_only=True, tag_field="type", tag=UNKNOWN_ITEM_TAG):
    """An output item of a kind streamkit does not know, kept as raw JSON.

    It never comes from the fast decoder: the tolerant event decoder
    (``streamkit.events.responses.decode_event_tolerant``) puts it where an item
    with an unknown ``type`` was, so one new item kind does not break a stream.
    ``raw`` holds the item's JSON; ``type`` gives back the wire type.
    """

    item_type: str
    raw: msgspec.Raw

    @property
    def type(self) -> str:
        """The item's ``type`` on the wire."""
        return self.item_type


OutputItem = (
    OutputMessage
    | FileSearchToolCall
    | FunctionToolCall
    | FunctionToolCallOutputResource
    | WebSearchToolCall
    | ComputerToolCall
    | ComputerToolCallOutputResource
    | ReasoningItem
    | Program
    | ProgramOutput
    | ToolSearchCall
    | ToolSearchOutput
    | AdditionalTools
    | CompactionItem
    | ImageGenToolCall
    | CodeInterpreterToolCall
    | LocalShellToolCall
    | LocalShellToolCallOutput
    | FunctionShellCall
    | FunctionShellCallOutput
    | ApplyPatchToolCall
    | ApplyPatchToolCallOutput
    | MCPToolCall
    | MCPListTools
    | MCPApprovalRequest
    | MCPApprovalResponseResource
    | CustomToolCall
    | CustomToolCallOutputResource
    | UnknownItem
)

_KNOWN_ITEM_CLASSES: tuple[type[Model], ...] = (
    OutputMessage,
    FileSearchToolCall,
    FunctionToolCall,
    FunctionToolCallOutputResource,
    WebSearchToolCall,
    ComputerToolCall,
    ComputerToolCallOutputResource,
    ReasoningItem,
    Program,
    ProgramOutput,
    ToolSearchCall,
    ToolSearchOutput,
    AdditionalTools,
    CompactionItem,
    ImageGenToolCall,
    CodeInterpreterToolCall,
    LocalShellToolCall,
    LocalShellToolCallOutput,
    FunctionShellCall,
    FunctionShellCallOutput,
    ApplyPatchToolCall,
    ApplyPatchToolCallOutput,
    MCPToolCall,
    MCPListTools,
    MCPApprovalRequest,
    MCPApprovalResponseResource,
    CustomToolCall,
    CustomToolCallOutputResource,
)

#: Wire ``type`` tag -> class, for every known output item kind (not UnknownItem).
OUTPUT_ITEM_CLASSES: dict[str, type[Model]] = {
    str(cls.__struct_config__.tag): cls for cls in _KNOWN_ITEM_CLASSES
}

#: Every output item ``type`` the typed union understands.
OUTPUT_ITEM_TYPES: frozenset[str] = frozenset(OUTPUT_ITEM_CLASSES)


# --------------------------------------------------------------------------- #
# The Response object
# --------------------------------------------------------------------------- #


class InputTokensDetails(Model, kw_only=True):
    """Breakdown of the input tokens."""

    cached_tokens: int
    # Required by the spec, but most recorded streams do not send it yet.
    cache_write_tokens: int | UnsetType = UNSET


class OutputTokensDetails(Model, kw_only=True):
    """Breakdown of the output tokens."""

    reasoning_tokens: int


class ResponseUsage(Model, kw_only=True):
    """Token usage of a response."""

    input_tokens: int
    input_tokens_details: InputTokensDetails
    output_tokens: int
    output_tokens_details: OutputTokensDetails
    total_tokens: int
    # OpenRouter's additions (as in its Chat usage).
    cost: int | float | UnsetType | None = UNSET
    cost_details: CostDetails | UnsetType | None = UNSET
    is_byok: bool | UnsetType = UNSET


class ResponseError(Model, kw_only=True):
    """Why a response failed."""

    code: str
    message: str


class IncompleteDetails(Model, kw_only=True):
    """Why a response is incomplete."""

    reason: str | UnsetType = UNSET


class ResponseConversation(Model, kw_only=True):
    """The conversation a response belongs to."""

    id: str


class ModerationResultBody(Model, kw_only=True, tag_field="type", tag="moderation_result"):
    """A moderation verdict on the input or the output."""

    model: str
    flagged: bool
    categories: dict[str, bool]
    category_scores: dict[str, int | float]
    category_applied_input_types: dict[str, list[str]]


class ModerationErrorBody(Model, kw_only=True, tag_field="type", tag="error"):
    """Moderation could not run."""

    code: str
    message: str


class ResponseModeration(Model, kw_only=True):
    """Moderation results for a response (spec schema ``Moderation``)."""

    input: ModerationResultBody | ModerationErrorBody
    output: ModerationResultBody | ModerationErrorBody


class Response(Wire, HasVerdict, kw_only=True):
    """A model response: the snapshot carried by the lifecycle events.

    Flattens the spec's ``allOf`` of ModelResponseProperties, ResponseProperties
    and the response-specific properties.
    """

    id: str
    object: str
    # ``number`` in the spec; servers send integers here (and ``"temperature":1``
    # as well as ``0.7``): ``int | float`` keeps each as sent.
    created_at: int | float
    status: str | UnsetType = UNSET
    completed_at: int | float | UnsetType | None = UNSET
    model: str
    # Required by the spec; the SDK documents (and works around) lifecycle
    # events that omit it, so it is optional here.
    output: list[OutputItem] | UnsetType = UNSET
    output_text: str | UnsetType | None = UNSET
    error: ResponseError | None
    incomplete_details: IncompleteDetails | None
    # Not nullable in the spec, but `null` until the response is finished.
    usage: ResponseUsage | UnsetType | None = UNSET
    moderation: ResponseModeration | UnsetType | None = UNSET
    conversation: ResponseConversation | UnsetType | None = UNSET
    previous_response_id: str | UnsetType | None = UNSET
    background: bool | UnsetType | None = UNSET
    service_tier: str | UnsetType | None = UNSET
    truncation: str | UnsetType | None = UNSET
    parallel_tool_calls: bool
    max_output_tokens: int | UnsetType | None = UNSET
    max_tool_calls: int | UnsetType | None = UNSET
    temperature: int | float | None
    top_p: int | float | None
    top_logprobs: int | UnsetType | None = UNSET
    # Not nullable in the spec, but every recording sends `"user": null`.
    user: str | UnsetType | None = UNSET
    safety_identifier: str | UnsetType | None = UNSET
    prompt_cache_key: str | UnsetType | None = UNSET
    prompt_cache_retention: str | UnsetType | None = UNSET
    # Echoes of the request configuration: large open unions in the spec, kept
    # as builtins so a new tool or format can never break decoding.
    instructions: Any
    metadata: Any
    tools: Any
    tool_choice: Any
    text: Any = UNSET
    reasoning: Any = UNSET
    prompt: Any = UNSET
    prompt_cache_options: Any = UNSET
    # Not in the spec, but sent by the server (recordings); kept as builtins.
    store: Any = UNSET
    frequency_penalty: Any = UNSET
    presence_penalty: Any = UNSET
    tool_usage: Any = UNSET
    content_filters: Any = UNSET  # Azure OpenAI

"""Final-object types of the Anthropic Messages API (``POST /v1/messages``).

The ``Message`` a stream builds, its content blocks (text with citations,
thinking, redacted thinking, client and server tool use, the server-tool result
blocks, MCP blocks, compaction), its usage and its stop details.

Names and fields follow the Messages API reference and the official ``anthropic``
Python SDK (``anthropic.types``; the MCP and compaction blocks from
``anthropic.types.beta``). Typing rules, chosen so that decoding and re-encoding
reproduces the wire JSON (minus unknown keys), as in :mod:`streamkit.models.responses`:

* a field the API always sends has no default (``T | None`` when nullable);
* an optional field defaults to ``msgspec.UNSET`` and is omitted again on encode;
* enum-like strings the server may extend (stop reasons, error codes, tool names,
  service tiers...) are plain ``str``;
* free-form JSON (tool ``input``, fetched documents, compaction tool changes) is
  ``Any``.

A content block of a kind streamkit does not know becomes an :class:`UnknownBlock`
holding its JSON, so a new block kind never breaks a stream.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from streamkit.models._base import Model, Wire
from streamkit.models._verdict import HasVerdict

__all__ = [
    # citations
    "CitationCharLocation",
    "CitationPageLocation",
    "CitationContentBlockLocation",
    "CitationsWebSearchResultLocation",
    "CitationsSearchResultLocation",
    "TextCitation",
    # pieces of blocks
    "ToolCaller",
    "WebSearchResultBlock",
    "WebSearchToolResultError",
    "WebFetchResultBlock",
    "WebFetchToolResultError",
    "CodeExecutionOutputBlock",
    "CodeExecutionResultBlock",
    "EncryptedCodeExecutionResultBlock",
    "CodeExecutionToolResultError",
    "BashCodeExecutionOutputBlock",
    "BashCodeExecutionResultBlock",
    "BashCodeExecutionToolResultError",
    "TextEditorCodeExecutionViewResultBlock",
    "TextEditorCodeExecutionCreateResultBlock",
    "TextEditorCodeExecutionStrReplaceResultBlock",
    "TextEditorCodeExecutionToolResultError",
    "ToolReferenceBlock",
    "ToolSearchToolSearchResultBlock",
    "ToolSearchToolResultError",
    # content blocks
    "TextBlock",
    "ThinkingBlock",
    "RedactedThinkingBlock",
    "ToolUseBlock",
    "ServerToolUseBlock",
    "WebSearchToolResultBlock",
    "WebFetchToolResultBlock",
    "CodeExecutionToolResultBlock",
    "BashCodeExecutionToolResultBlock",
    "TextEditorCodeExecutionToolResultBlock",
    "ToolSearchToolResultBlock",
    "ContainerUploadBlock",
    "MCPToolUseBlock",
    "MCPToolResultBlock",
    "CompactionBlock",
    "UnknownBlock",
    "ContentBlock",
    "CONTENT_BLOCK_CLASSES",
    "CONTENT_BLOCK_TYPES",
    "UNKNOWN_BLOCK_TAG",
    "TOOL_INPUT_BLOCKS",
    "block_type",
    # the message
    "CacheCreation",
    "ServerToolUsage",
    "OutputTokensDetails",
    "Usage",
    "StopDetails",
    "ContainerSkill",
    "Container",
    "Message",
    "COMPLETED_STOP_REASONS",
    "INCOMPLETE_STOP_REASONS",
]


# --------------------------------------------------------------------------- #
# Citations
# --------------------------------------------------------------------------- #


class CitationCharLocation(Model, kw_only=True, tag_field="type", tag="char_location"):
    """A citation of a plain-text document, by character range."""

    cited_text: str
    document_index: int
    document_title: str | UnsetType | None = UNSET
    start_char_index: int
    end_char_index: int
    file_id: str | UnsetType | None = UNSET


class CitationPageLocation(Model, kw_only=True, tag_field="type", tag="page_location"):
    """A citation of a PDF document, by page range."""

    cited_text: str
    document_index: int
    document_title: str | UnsetType | None = UNSET
    start_page_number: int
    end_page_number: int
    file_id: str | UnsetType | None = UNSET


class CitationContentBlockLocation(
    Model, kw_only=True, tag_field="type", tag="content_block_location"
):
    """A citation of a custom-content document, by content block range."""

    cited_text: str
    document_index: int
    document_title: str | UnsetType | None = UNSET
    start_block_index: int
    end_block_index: int
    file_id: str | UnsetType | None = UNSET


class CitationsWebSearchResultLocation(
    Model, kw_only=True, tag_field="type", tag="web_search_result_location"
):
    """A citation of a web search result."""

    cited_text: str
    encrypted_index: str
    title: str | UnsetType | None = UNSET
    url: str


class CitationsSearchResultLocation(
    Model, kw_only=True, tag_field="type", tag="search_result_location"
):
    """A citation of a search result supplied in the request."""

    cited_text: str
    search_result_index: int
    source: str
    start_block_index: int
    end_block_index: int
    title: str | UnsetType | None = UNSET


TextCitation = (
    CitationCharLocation
    | CitationPageLocation
    | CitationContentBlockLocation
    | CitationsWebSearchResultLocation
    | CitationsSearchResultLocation
)


# --------------------------------------------------------------------------- #
# Pieces of tool blocks
# --------------------------------------------------------------------------- #


class ToolCaller(Model, kw_only=True):
    """Who called a tool: ``direct`` (the model), or a server tool such as code
    execution (``code_execution_20250825``, with its ``tool_id``).

    Not a tagged union: new caller kinds must not make the block undecodable.
    """

    type: str
    tool_id: str | UnsetType = UNSET


class WebSearchResultBlock(Model, kw_only=True, tag_field="type", tag="web_search_result"):
    """One web search hit."""

    encrypted_content: str
    page_age: str | UnsetType | None = UNSET
    title: str
    url: str


class WebSearchToolResultError(
    Model, kw_only=True, tag_field="type", tag="web_search_tool_result_error"
):
    """The web search tool failed (``error_code``: ``max_uses_exceeded``, ...)."""

    error_code: str


class WebFetchResultBlock(Model, kw_only=True, tag_field="type", tag="web_fetch_result"):
    """A fetched web page; ``content`` is the document block (source, title, citations)."""

    url: str
    content: Any
    retrieved_at: str | UnsetType | None = UNSET


class WebFetchToolResultError(
    Model, kw_only=True, tag_field="type", tag="web_fetch_tool_result_error"
):
    """The web fetch tool failed."""

    error_code: str


class CodeExecutionOutputBlock(Model, kw_only=True, tag_field="type", tag="code_execution_output"):
    """A file written by code execution."""

    file_id: str


class CodeExecutionResultBlock(Model, kw_only=True, tag_field="type", tag="code_execution_result"):
    """The outcome of a code execution run."""

    content: list[CodeExecutionOutputBlock]
    return_code: int
    stderr: str
    stdout: str


class EncryptedCodeExecutionResultBlock(
    Model, kw_only=True, tag_field="type", tag="encrypted_code_execution_result"
):
    """A code execution outcome whose stdout is encrypted."""

    content: list[CodeExecutionOutputBlock]
    encrypted_stdout: str
    return_code: int
    stderr: str


class CodeExecutionToolResultError(
    Model, kw_only=True, tag_field="type", tag="code_execution_tool_result_error"
):
    """The code execution tool failed."""

    error_code: str


class BashCodeExecutionOutputBlock(
    Model, kw_only=True, tag_field="type", tag="bash_code_execution_output"
):
    """A file written by a bash command."""

    file_id: str


class BashCodeExecutionResultBlock(
    Model, kw_only=True, tag_field="type", tag="bash_code_execution_result"
):
    """The outcome of a bash command."""

    content: list[BashCodeExecutionOutputBlock]
    return_code: int
    stderr: str
    stdout: str


class BashCodeExecutionToolResultError(
    Model, kw_only=True, tag_field="type", tag="bash_code_execution_tool_result_error"
):
    """The bash code execution tool failed."""

    error_code: str


class TextEditorCodeExecutionViewResultBlock(
    Model, kw_only=True, tag_field="type", tag="text_editor_code_execution_view_result"
):
    """A file viewed by the text editor tool."""

    content: str
    file_type: str
    num_lines: int | UnsetType | None = UNSET
    start_line: int | UnsetType | None = UNSET
    total_lines: int | UnsetType | None = UNSET


class TextEditorCodeExecutionCreateResultBlock(
    Model, kw_only=True, tag_field="type", tag="text_editor_code_execution_create_result"
):
    """A file created (or overwritten) by the text editor tool."""

    is_file_update: bool


class TextEditorCodeExecutionStrReplaceResultBlock(
    Model, kw_only=True, tag_field="type", tag="text_editor_code_execution_str_replace_result"
):
    """A string replacement made by the text editor tool."""

    lines: list[str] | UnsetType | None = UNSET
    new_lines: int | UnsetType | None = UNSET
    new_start: int | UnsetType | None = UNSET
    old_lines: int | UnsetType | None = UNSET
    old_start: int | UnsetType | None = UNSET


class TextEditorCodeExecutionToolResultError(
    Model, kw_only=True, tag_field="type", tag="text_editor_code_execution_tool_result_error"
):
    """The text editor tool failed."""

    error_code: str
    error_message: str | UnsetType | None = UNSET


class ToolReferenceBlock(Model, kw_only=True, tag_field="type", tag="tool_reference"):
    """A tool found by the tool search tool."""

    tool_name: str


class ToolSearchToolSearchResultBlock(
    Model, kw_only=True, tag_field="type", tag="tool_search_tool_search_result"
):
    """The tools a tool search found."""

    tool_references: list[ToolReferenceBlock]


class ToolSearchToolResultError(
    Model, kw_only=True, tag_field="type", tag="tool_search_tool_result_error"
):
    """The tool search tool failed."""

    error_code: str
    error_message: str | UnsetType | None = UNSET


# --------------------------------------------------------------------------- #
# Content blocks
# --------------------------------------------------------------------------- #


class TextBlock(Model, kw_only=True, tag_field="type", tag="text"):
    """Text written by the model; ``citations`` when it cites documents or search results."""

    text: str
    citations: list[TextCitation] | UnsetType | None = UNSET


class ThinkingBlock(Model, kw_only=True, tag_field="type", tag="thinking"):
    """Extended thinking, with the ``signature`` that lets it be sent back."""

    thinking: str
    signature: str


class RedactedThinkingBlock(Model, kw_only=True, tag_field="type", tag="redacted_thinking"):
    """Thinking the safety systems encrypted; ``data`` is opaque."""

    data: str


class ToolUseBlock(Model, kw_only=True, tag_field="type", tag="tool_use"):
    """A call of a client tool; ``input`` is the parsed JSON arguments."""

    id: str
    name: str
    input: Any
    caller: ToolCaller | UnsetType | None = UNSET
    toolset_name: str | UnsetType | None = UNSET


class ServerToolUseBlock(Model, kw_only=True, tag_field="type", tag="server_tool_use"):
    """A call of a server tool (``web_search``, ``web_fetch``, ``code_execution``, ...)."""

    id: str
    name: str
    input: Any
    caller: ToolCaller | UnsetType | None = UNSET


class WebSearchToolResultBlock(Model, kw_only=True, tag_field="type", tag="web_search_tool_result"):
    """The hits (or the error) of a ``web_search`` server tool call."""

    tool_use_id: str
    content: list[WebSearchResultBlock] | WebSearchToolResultError
    caller: ToolCaller | UnsetType | None = UNSET


class WebFetchToolResultBlock(Model, kw_only=True, tag_field="type", tag="web_fetch_tool_result"):
    """The page (or the error) of a ``web_fetch`` server tool call."""

    tool_use_id: str
    content: WebFetchResultBlock | WebFetchToolResultError
    caller: ToolCaller | UnsetType | None = UNSET


class CodeExecutionToolResultBlock(
    Model, kw_only=True, tag_field="type", tag="code_execution_tool_result"
):
    """The outcome of a ``code_execution`` server tool call."""

    tool_use_id: str
    content: (
        CodeExecutionResultBlock | EncryptedCodeExecutionResultBlock | CodeExecutionToolResultError
    )


class BashCodeExecutionToolResultBlock(
    Model, kw_only=True, tag_field="type", tag="bash_code_execution_tool_result"
):
    """The outcome of a ``bash_code_execution`` server tool call."""

    tool_use_id: str
    content: BashCodeExecutionResultBlock | BashCodeExecutionToolResultError


class TextEditorCodeExecutionToolResultBlock(
    Model, kw_only=True, tag_field="type", tag="text_editor_code_execution_tool_result"
):
    """The outcome of a ``text_editor_code_execution`` server tool call."""

    tool_use_id: str
    content: (
        TextEditorCodeExecutionViewResultBlock
        | TextEditorCodeExecutionCreateResultBlock
        | TextEditorCodeExecutionStrReplaceResultBlock
        | TextEditorCodeExecutionToolResultError
    )


class ToolSearchToolResultBlock(
    Model, kw_only=True, tag_field="type", tag="tool_search_tool_result"
):
    """The outcome of a tool search (``tool_search_tool_regex`` / ``_bm25``)."""

    tool_use_id: str
    content: ToolSearchToolSearchResultBlock | ToolSearchToolResultError


class ContainerUploadBlock(Model, kw_only=True, tag_field="type", tag="container_upload"):
    """A file uploaded to the code execution container."""

    file_id: str


class MCPToolUseBlock(Model, kw_only=True, tag_field="type", tag="mcp_tool_use"):
    """A call of a tool of a remote MCP server (beta MCP connector)."""

    id: str
    name: str
    server_name: str
    input: Any


class MCPToolResultBlock(Model, kw_only=True, tag_field="type", tag="mcp_tool_result"):
    """The result of an MCP tool call (beta MCP connector)."""

    tool_use_id: str
    is_error: bool
    content: str | list[TextBlock]


class CompactionBlock(Model, kw_only=True, tag_field="type", tag="compaction"):
    """A summary of earlier context (beta compaction); ``content`` is null when
    compaction failed. ``encrypted_content`` must be sent back verbatim."""

    content: str | None
    encrypted_content: str | UnsetType | None = UNSET
    signature: str | UnsetType | None = UNSET
    tool_changes: Any = UNSET


UNKNOWN_BLOCK_TAG = "streamkit.unknown_block"


class UnknownBlock(Model, kw_only=True, tag_field="type", tag=UNKNOWN_BLOCK_TAG):
    """A content block of a kind streamkit does not know, kept as raw JSON.

    The tolerant event decoder puts it where a block with an unknown ``type``
    was (or a known block holding a citation, caller or result of an unknown
    kind). ``raw`` holds the block's JSON; ``type`` gives back the wire type.
    """

    block_type: str
    raw: msgspec.Raw

    @property
    def type(self) -> str:
        """The block's ``type`` on the wire."""
        return self.block_type


ContentBlock = (
    TextBlock
    | ThinkingBlock
    | RedactedThinkingBlock
    | ToolUseBlock
    | ServerToolUseBlock
    | WebSearchToolResultBlock
    | WebFetchToolResultBlock
    | CodeExecutionToolResultBlock
    | BashCodeExecutionToolResultBlock
    | TextEditorCodeExecutionToolResultBlock
    | ToolSearchToolResultBlock
    | ContainerUploadBlock
    | MCPToolUseBlock
    | MCPToolResultBlock
    | CompactionBlock
    | UnknownBlock
)

_KNOWN_BLOCK_CLASSES: tuple[type[Model], ...] = (
    TextBlock,
    ThinkingBlock,
    RedactedThinkingBlock,
    ToolUseBlock,
    ServerToolUseBlock,
    WebSearchToolResultBlock,
    WebFetchToolResultBlock,
    CodeExecutionToolResultBlock,
    BashCodeExecutionToolResultBlock,
    TextEditorCodeExecutionToolResultBlock,
    ToolSearchToolResultBlock,
    ContainerUploadBlock,
    MCPToolUseBlock,
    MCPToolResultBlock,
    CompactionBlock,
)

#: Wire ``type`` tag -> class, for every known content block kind (not UnknownBlock).
CONTENT_BLOCK_CLASSES: dict[str, type[Model]] = {
    str(cls.__struct_config__.tag): cls for cls in _KNOWN_BLOCK_CLASSES
}

#: Every content block ``type`` the typed union understands.
CONTENT_BLOCK_TYPES: frozenset[str] = frozenset(CONTENT_BLOCK_CLASSES)

_TAG_OF: dict[type[Any], str] = {cls: tag for tag, cls in CONTENT_BLOCK_CLASSES.items()}


def block_type(block: ContentBlock) -> str:
    """A content block's wire ``type`` (the tag is not an attribute of the Struct)."""
    tag = _TAG_OF.get(block.__class__)
    return tag if tag is not None else block.type  # type: ignore[union-attr]


#: Blocks whose ``input`` streams as ``input_json_delta`` pieces.
TOOL_INPUT_BLOCKS: tuple[type[Model], ...] = (ToolUseBlock, ServerToolUseBlock, MCPToolUseBlock)


# --------------------------------------------------------------------------- #
# The message
# --------------------------------------------------------------------------- #


class CacheCreation(Model, kw_only=True):
    """Cache-write input tokens by cache lifetime."""

    ephemeral_5m_input_tokens: int
    ephemeral_1h_input_tokens: int


class ServerToolUsage(Model, kw_only=True):
    """Server tool requests made."""

    web_search_requests: int
    # In the SDK, but older streams send only ``web_search_requests`` (recordings).
    web_fetch_requests: int | UnsetType = UNSET


class OutputTokensDetails(Model, kw_only=True):
    """Breakdown of the output tokens (``output_tokens`` stays the billed total)."""

    thinking_tokens: int


class Usage(Model, kw_only=True):
    """Token usage of a message.

    In a stream, ``message_start`` carries the first values and every
    ``message_delta`` carries cumulative totals of the fields it has.
    """

    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int | UnsetType | None = UNSET
    cache_read_input_tokens: int | UnsetType | None = UNSET
    cache_creation: CacheCreation | UnsetType | None = UNSET
    server_tool_use: ServerToolUsage | UnsetType | None = UNSET
    output_tokens_details: OutputTokensDetails | UnsetType | None = UNSET
    service_tier: str | UnsetType | None = UNSET
    inference_geo: str | UnsetType | None = UNSET
    speed: str | UnsetType | None = UNSET


class StopDetails(Model, kw_only=True):
    """Why output stopped, when the stop reason has details (``type: "refusal"``
    with its ``category`` and ``explanation``)."""

    type: str
    category: str | UnsetType | None = UNSET
    explanation: str | UnsetType | None = UNSET


class ContainerSkill(Model, kw_only=True):
    """A skill loaded in the container."""

    skill_id: str
    type: str
    version: str


class Container(Model, kw_only=True):
    """The code execution container the request used."""

    id: str
    # An RFC 3339 timestamp, kept as the server's string.
    expires_at: str
    skills: list[ContainerSkill] | UnsetType | None = UNSET


#: Stop reasons of a message that ended normally.
COMPLETED_STOP_REASONS: frozenset[str] = frozenset({"end_turn", "stop_sequence", "tool_use"})
#: Stop reasons of a message the server ended before the model was done.
INCOMPLETE_STOP_REASONS: frozenset[str] = frozenset(
    {"max_tokens", "model_context_window_exceeded", "pause_turn", "refusal"}
)


class Message(Wire, HasVerdict, kw_only=True):
    """A Messages API message: the shell ``message_start`` carries, and the final
    object a ``MessageReducer`` folds.

    ``stop_reason`` is one of ``end_turn``, ``max_tokens``, ``stop_sequence``,
    ``tool_use``, ``pause_turn``, ``refusal``, ``model_context_window_exceeded``
    (new values are kept as they come); null until ``message_delta`` sets it.
    """

    id: str
    type: str = "message"
    role: str = "assistant"
    model: str
    content: list[ContentBlock] = msgspec.field(default_factory=list)
    stop_reason: str | None = None
    stop_sequence: str | None = None
    stop_details: StopDetails | UnsetType | None = UNSET
    usage: Usage
    container: Container | UnsetType | None = UNSET
    # Prompt-cache diagnostics; an open union in the API, kept as builtins.
    diagnostics: Any = UNSET

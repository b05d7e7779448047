"""Final Chat Completions objects, plus the pieces chat chunks share with them.

``ChatCompletion`` is what a chat stream reduces to. ``CompletionUsage``, the token
logprob types, ``ChoiceLogprobs``, moderation results and the Azure content-filter
types appear both in stream chunks (``streamkit.events.chat``) and in the final
object, so they live here.

Field names and required/optional/nullable follow the OpenAPI description
(``CreateChatCompletionResponse``, ``ChatCompletionResponseMessage``,
``CompletionUsage``, ``ChatCompletionTokenLogprob``, ``ChatCompletionModeration``).
Required fields have no default; optional ones default to ``msgspec.UNSET`` so that
decoding and re-encoding reproduces the server's JSON, keys left out stay left out.
Values the server may extend (roles, finish reasons, service tiers) are plain ``str``.
The spec's ``number`` fields are ``int | float``, so a number re-encodes as the server
wrote it (``0`` stays ``0``, not ``0.0``).
"""

from __future__ import annotations

from typing import Any, TypeAlias

from msgspec import UNSET, UnsetType

from streamkit.models._base import Model, Wire
from streamkit.models._verdict import HasVerdict

__all__ = [
    "ChatCompletion",
    "ChatCompletionAnnotation",
    "ChatCompletionAudio",
    "ChatCompletionChoice",
    "ChatCompletionMessage",
    "ChatCompletionMessageCustomToolCall",
    "ChatCompletionMessageFunctionToolCall",
    "ChatCompletionMessageToolCall",
    "ChatCompletionModeration",
    "ChatCompletionTokenLogprob",
    "ChoiceLogprobs",
    "CompletionTokensDetails",
    "CompletionUsage",
    "ContentFilterDetectedResult",
    "ContentFilterOffsets",
    "ContentFilterResults",
    "ContentFilterSeverityResult",
    "CostDetails",
    "CustomCall",
    "FunctionCall",
    "ImageResult",
    "ModerationError",
    "ModerationResult",
    "ModerationResults",
    "PromptFilterResult",
    "PromptTokensDetails",
    "ReasoningDetail",
    "SearchResult",
    "TopLogprob",
    "URLCitation",
    "UsageCost",
]


# --- usage -----------------------------------------------------------------------


class CompletionTokensDetails(Model):
    """Breakdown of the tokens in a completion."""

    accepted_prediction_tokens: int | UnsetType = UNSET
    audio_tokens: int | UnsetType = UNSET
    reasoning_tokens: int | UnsetType = UNSET
    rejected_prediction_tokens: int | UnsetType = UNSET
    text_tokens: int | UnsetType = UNSET
    # OpenRouter.
    image_tokens: int | UnsetType = UNSET


class PromptTokensDetails(Model):
    """Breakdown of the tokens in a prompt."""

    audio_tokens: int | UnsetType = UNSET
    cached_tokens: int | UnsetType = UNSET
    text_tokens: int | UnsetType = UNSET
    image_tokens: int | UnsetType = UNSET
    cache_write_tokens: int | UnsetType = UNSET
    # OpenRouter.
    video_tokens: int | UnsetType = UNSET


class CostDetails(Model):
    """OpenRouter's ``usage.cost_details``: what the upstream provider charged
    (``upstream_inference_cost`` is ``null`` unless the request used the caller's
    own provider key)."""

    upstream_inference_cost: int | float | UnsetType | None = UNSET
    upstream_inference_prompt_cost: int | float | UnsetType | None = UNSET
    upstream_inference_completions_cost: int | float | UnsetType | None = UNSET
    # The same split as OpenRouter's Responses API names it.
    upstream_inference_input_cost: int | float | UnsetType | None = UNSET
    upstream_inference_output_cost: int | float | UnsetType | None = UNSET


class UsageCost(Model):
    """Perplexity's ``usage.cost``: the price of the request in USD, by part.

    Perplexity's schema requires the input, output and total costs; they are
    optional here, like every provider extension, so that a cost block of another
    shape cannot make its chunk undecodable.
    """

    input_tokens_cost: int | float | UnsetType = UNSET
    output_tokens_cost: int | float | UnsetType = UNSET
    reasoning_tokens_cost: int | float | UnsetType | None = UNSET
    request_cost: int | float | UnsetType | None = UNSET
    citation_tokens_cost: int | float | UnsetType | None = UNSET
    search_queries_cost: int | float | UnsetType | None = UNSET
    total_cost: int | float | UnsetType = UNSET


class CompletionUsage(Model):
    """Token usage of a chat or legacy completion request.

    The three counts are required: a usage object without them is not usage. The
    details are optional and nullable (compatible servers send ``null``). The other
    fields are provider extensions, set only when the server sent them: cache counts
    (DeepSeek), what the request cost (OpenRouter's credits in ``cost``, Perplexity's
    USD breakdown in ``cost`` as a ``UsageCost``, xAI's ``cost_in_usd_ticks``), and
    search figures (Perplexity, xAI). Others (a server's own speed figures) are kept
    only in lossless mode.
    """

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    completion_tokens_details: CompletionTokensDetails | UnsetType | None = UNSET
    prompt_tokens_details: PromptTokensDetails | UnsetType | None = UNSET
    # DeepSeek's prompt cache.
    prompt_cache_hit_tokens: int | UnsetType = UNSET
    prompt_cache_miss_tokens: int | UnsetType = UNSET
    # OpenRouter: credits charged (a number); Perplexity: USD by part (UsageCost).
    cost: int | float | UsageCost | UnsetType | None = UNSET
    # OpenRouter.
    cost_details: CostDetails | UnsetType | None = UNSET
    is_byok: bool | UnsetType | None = UNSET
    # xAI (also when served by Azure AI Foundry): the cost in units of 1e-10 USD,
    # and how many live-search sources the answer used.
    cost_in_usd_ticks: int | UnsetType = UNSET
    num_sources_used: int | UnsetType = UNSET
    # Perplexity; ``reasoning_tokens`` at this level also from Azure AI Foundry.
    search_context_size: str | UnsetType | None = UNSET
    citation_tokens: int | UnsetType | None = UNSET
    num_search_queries: int | UnsetType | None = UNSET
    reasoning_tokens: int | UnsetType | None = UNSET


# --- logprobs --------------------------------------------------------------------


class TopLogprob(Model):
    """One of the most likely tokens at a position, with its log probability."""

    token: str
    logprob: int | float
    # Required by the spec, optional in the SDK; some compatible servers leave it out.
    bytes: list[int] | UnsetType | None = UNSET


class ChatCompletionTokenLogprob(Model, kw_only=True):
    """Log probability of one generated token and its most likely alternatives."""

    token: str
    logprob: int | float
    # Required by the spec, optional in the SDK; some compatible servers leave it out.
    bytes: list[int] | UnsetType | None = UNSET
    top_logprobs: list[TopLogprob]


class ChoiceLogprobs(Model):
    """Per-token log probabilities of a choice's content and refusal."""

    # Required by the spec, optional in the SDK: servers without refusals omit it.
    content: list[ChatCompletionTokenLogprob] | UnsetType | None = UNSET
    refusal: list[ChatCompletionTokenLogprob] | UnsetType | None = UNSET


# --- moderation ------------------------------------------------------------------


class ModerationResult(Model):
    """Moderation verdict for the request input or the generated output."""

    # The spec pins ``type`` to "moderation_result"; kept as a plain field so that
    # a new value does not break decoding of the whole chunk.
    type: str
    model: str
    flagged: bool
    categories: dict[str, bool]
    category_scores: dict[str, int | float]
    category_applied_input_types: dict[str, list[str]]


class ModerationResults(Model, tag_field="type", tag="moderation_results"):
    """Successful moderation of the input or output."""

    model: str
    results: list[ModerationResult]


class ModerationError(Model, tag_field="type", tag="error"):
    """Error raised while moderating the input or output."""

    code: str
    message: str


class ChatCompletionModeration(Model):
    """Moderation results (or errors) for the request input and generated output."""

    input: ModerationResults | ModerationError
    output: ModerationResults | ModerationError


# --- Azure OpenAI content filtering (not in the OpenAI spec) -------------------------
# Azure adds these to chunks and completions. Only names seen in recorded Azure streams
# are declared; other categories are ignored like any unknown field.


class ContentFilterSeverityResult(Model):
    """Azure content-filter verdict for a severity-graded category (hate, violence...)."""

    filtered: bool
    severity: str


class ContentFilterDetectedResult(Model):
    """Azure content-filter verdict for a detection category (jailbreak, protected material)."""

    filtered: bool
    detected: bool


class ContentFilterResults(Model):
    """Azure content-filter verdicts per category; Azure sends ``{}`` when none apply."""

    hate: ContentFilterSeverityResult | UnsetType = UNSET
    self_harm: ContentFilterSeverityResult | UnsetType = UNSET
    sexual: ContentFilterSeverityResult | UnsetType = UNSET
    violence: ContentFilterSeverityResult | UnsetType = UNSET
    jailbreak: ContentFilterDetectedResult | UnsetType = UNSET
    protected_material_text: ContentFilterDetectedResult | UnsetType = UNSET
    protected_material_code: ContentFilterDetectedResult | UnsetType = UNSET


class PromptFilterResult(Model):
    """Azure content-filter verdicts for one prompt of the request."""

    prompt_index: int
    content_filter_results: ContentFilterResults


class ContentFilterOffsets(Model):
    """Character range of the output an Azure asynchronous content filter has checked."""

    check_offset: int
    start_offset: int
    end_offset: int


# --- Perplexity search results (not in the OpenAI spec) -----------------------------
# Perplexity repeats them whole on every chunk and in its final object. Its schema
# requires a result's ``title`` and ``url`` and an image's every field; all are
# optional here, like every provider extension, so that one odd entry cannot make
# its chunk undecodable.


class SearchResult(Model):
    """One web page (or attachment) Perplexity's answer drew on."""

    title: str | UnsetType = UNSET
    url: str | UnsetType = UNSET
    date: str | UnsetType | None = UNSET
    last_updated: str | UnsetType | None = UNSET
    snippet: str | UnsetType = UNSET
    # "web" or "attachment".
    source: str | UnsetType = UNSET


class ImageResult(Model):
    """An image Perplexity returns with ``return_images``."""

    image_url: str | UnsetType = UNSET
    origin_url: str | UnsetType = UNSET
    title: str | UnsetType = UNSET
    width: int | UnsetType = UNSET
    height: int | UnsetType = UNSET


# --- message ----------------------------------------------------------------------


class FunctionCall(Model):
    """A function name and its JSON-encoded arguments, as generated by the model."""

    name: str
    arguments: str


class CustomCall(Model):
    """A custom tool name and the free-form input generated for it."""

    name: str
    input: str


class ChatCompletionMessageFunctionToolCall(Model, tag_field="type", tag="function"):
    """A call to a function tool."""

    id: str
    function: FunctionCall


class ChatCompletionMessageCustomToolCall(Model, tag_field="type", tag="custom"):
    """A call to a custom tool."""

    id: str
    custom: CustomCall


# Discriminated on ``type``, as in the spec's ``ChatCompletionMessageToolCalls``.
ChatCompletionMessageToolCall: TypeAlias = (
    ChatCompletionMessageFunctionToolCall | ChatCompletionMessageCustomToolCall
)


class URLCitation(Model):
    """A web page cited by the message, with the span of content it supports."""

    end_index: int
    start_index: int
    url: str
    title: str


class ChatCompletionAnnotation(Model):
    """An annotation on the message text (currently always a URL citation)."""

    type: str
    url_citation: URLCitation


class ChatCompletionAudio(Model):
    """Audio generated by the model, when the audio modality was requested."""

    id: str
    expires_at: int
    data: str
    transcript: str


class ReasoningDetail(Model):
    """One entry of OpenRouter's ``reasoning_details`` (not in the OpenAI spec).

    ``type`` is ``"reasoning.text"`` (``text``, maybe ``signature``),
    ``"reasoning.summary"`` (``summary``) or ``"reasoning.encrypted"`` (``data``);
    ``format`` names the upstream model family, ``index`` orders the entries.
    Streamed entries are pieces; the reducer joins consecutive pieces of one entry.
    """

    type: str | UnsetType = UNSET
    text: str | UnsetType | None = UNSET
    summary: str | UnsetType | None = UNSET
    data: str | UnsetType | None = UNSET
    signature: str | UnsetType | None = UNSET
    id: str | UnsetType | None = UNSET
    format: str | UnsetType | None = UNSET
    index: int | UnsetType = UNSET


class ChatCompletionMessage(Model):
    """The message the model generated for one choice.

    ``reasoning_content`` (DeepSeek, vLLM, Qwen, Moonshot, Z.ai, xAI, Mistral's
    ``thinking`` parts), ``reasoning`` and ``reasoning_details`` (OpenRouter, Ollama,
    gpt-oss servers) are provider extensions, set only when the stream sent them;
    ``reasoning_text`` reads whichever is there.
    """

    role: str
    content: str | None
    refusal: str | None
    tool_calls: list[ChatCompletionMessageToolCall] | UnsetType = UNSET
    annotations: list[ChatCompletionAnnotation] | UnsetType = UNSET
    function_call: FunctionCall | UnsetType = UNSET  # deprecated by the API
    audio: ChatCompletionAudio | UnsetType | None = UNSET
    # Provider extensions (see the class docstring).
    reasoning_content: str | UnsetType | None = UNSET
    reasoning: str | UnsetType | None = UNSET
    reasoning_details: list[ReasoningDetail] | UnsetType | None = UNSET

    @property
    def reasoning_text(self) -> str | None:
        """The model's reasoning, from whichever provider field carried it (the
        text or summary pieces of ``reasoning_details`` when only they did)."""
        for value in (self.reasoning_content, self.reasoning):
            if isinstance(value, str) and value:
                return value
        if self.reasoning_details:
            text = "".join(
                piece
                for d in self.reasoning_details
                for piece in (d.text, d.summary)
                if isinstance(piece, str)
            )
            return text or None
        return None


# --- completion -------------------------------------------------------------------


class ChatCompletionChoice(Model):
    """One generated alternative of a chat completion."""

    index: int
    message: ChatCompletionMessage
    # The spec says non-null, but this is also the reducer's target and a stream cut
    # off before its last chunk never delivers a finish reason.
    finish_reason: str | None
    logprobs: ChoiceLogprobs | None
    # Azure only.
    content_filter_results: ContentFilterResults | UnsetType = UNSET
    # OpenRouter: the upstream provider's own finish reason.
    native_finish_reason: str | UnsetType | None = UNSET


class ChatCompletion(Wire, HasVerdict):
    """A complete chat completion (``object: "chat.completion"``)."""

    id: str
    object: str
    created: int
    model: str
    choices: list[ChatCompletionChoice]
    usage: CompletionUsage | UnsetType = UNSET
    # The spec says non-null, but recorded chunks send ``null`` and the reducer copies
    # the value from them.
    system_fingerprint: str | UnsetType | None = UNSET
    service_tier: str | UnsetType | None = UNSET
    metadata: dict[str, str] | UnsetType | None = UNSET
    moderation: ChatCompletionModeration | UnsetType | None = UNSET
    # Azure only.
    prompt_filter_results: list[PromptFilterResult] | UnsetType = UNSET
    # Provider timing blocks, as the last chunk that had one sent them: llama.cpp's
    # ``timings``, Cerebras' ``time_info``.
    timings: dict[str, Any] | UnsetType = UNSET
    time_info: dict[str, Any] | UnsetType = UNSET
    # OpenRouter: the upstream provider that served the request.
    provider: str | UnsetType | None = UNSET
    # Perplexity: the sources of the answer (``citations[i]`` is what ``[i+1]``
    # in the text refers to), and with ``return_images`` / ``return_related_questions``
    # images and follow-up questions; the last value the chunks sent.
    citations: list[str] | UnsetType | None = UNSET
    search_results: list[SearchResult] | UnsetType | None = UNSET
    images: list[ImageResult] | UnsetType | None = UNSET
    related_questions: list[str] | UnsetType | None = UNSET

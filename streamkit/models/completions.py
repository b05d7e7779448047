"""Final legacy Completions object (``object: "text_completion"``).

Follows the OpenAPI ``CreateCompletionResponse`` schema. The legacy endpoint streams
objects of the same shape; the stream chunk type lives in
``streamkit.events.completions`` and reuses the choice logprobs defined here.
"""

from __future__ import annotations

from msgspec import UNSET, UnsetType

from streamkit.models._base import Model, Wire
from streamkit.models._verdict import HasVerdict
from streamkit.models.chat import CompletionUsage

__all__ = [
    "Completion",
    "CompletionChoice",
    "CompletionLogprobs",
]


class CompletionLogprobs(Model):
    """Per-token log probabilities of a legacy completion, as parallel arrays."""

    text_offset: list[int] | UnsetType = UNSET
    token_logprobs: list[int | float] | UnsetType = UNSET
    tokens: list[str] | UnsetType = UNSET
    top_logprobs: list[dict[str, int | float]] | UnsetType = UNSET


class CompletionChoice(Model):
    """One generated alternative of a legacy completion."""

    index: int
    text: str
    logprobs: CompletionLogprobs | None
    # The spec says non-null, but this is also the reducer's target and a stream cut
    # off before its last chunk never delivers a finish reason.
    finish_reason: str | None


class Completion(Wire, HasVerdict):
    """A complete legacy text completion."""

    id: str
    object: str
    created: int
    model: str
    choices: list[CompletionChoice]
    # The spec says non-null; the same server field is ``null`` in recorded chat
    # streams, so accept it here too.
    system_fingerprint: str | UnsetType | None = UNSET
    usage: CompletionUsage | UnsetType = UNSET

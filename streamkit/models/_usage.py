"""Token usage in one shape for every API: ``usage_summary(final)``."""

from __future__ import annotations

from typing import Any

import msgspec

from streamkit.models.chat import ChatCompletion
from streamkit.models.completions import Completion
from streamkit.models.messages import Message
from streamkit.models.responses import Response

__all__ = ["UsageSummary", "usage_summary"]

_UNSET = msgspec.UNSET


class UsageSummary(msgspec.Struct, kw_only=True, frozen=True):
    """The token counts of a final object, named the same for every API.

    ``input_tokens`` counts every prompt token: OpenAI's ``input_tokens`` /
    ``prompt_tokens``; for Messages the uncached input plus the cache reads and
    writes, which that API counts apart. ``total_tokens`` is the server's total
    (Messages, which sends none: input plus output). ``cached_tokens`` are the
    prompt tokens read from the cache, ``cache_write_tokens`` those written to
    it, ``reasoning_tokens`` the output tokens spent reasoning (Messages:
    thinking). A count the server did not send is None.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None


def _int(obj: Any, name: str) -> int | None:
    """``obj.name`` when it is an integer (None for a missing, unset or null field)."""
    value = getattr(obj, name, None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def usage_summary(final: Response | ChatCompletion | Completion | Message) -> UsageSummary | None:
    """The token usage of a final object (None when the server reported none)."""
    usage: Any = final.usage
    if usage is None or usage is _UNSET:
        return None
    if isinstance(final, Message):
        written = _int(usage, "cache_creation_input_tokens")
        read = _int(usage, "cache_read_input_tokens")
        prompt_total = (_int(usage, "input_tokens") or 0) + (written or 0) + (read or 0)
        produced = _int(usage, "output_tokens")
        return UsageSummary(
            input_tokens=prompt_total,
            output_tokens=produced,
            total_tokens=prompt_total + (produced or 0),
            cached_tokens=read,
            cache_write_tokens=written,
            reasoning_tokens=_int(getattr(usage, "output_tokens_details", None), "thinking_tokens"),
        )
    if isinstance(final, Response):
        given, output = _int(usage, "input_tokens"), _int(usage, "output_tokens")
        prompt = getattr(usage, "input_tokens_details", None)
        completion = getattr(usage, "output_tokens_details", None)
    else:
        given, output = _int(usage, "prompt_tokens"), _int(usage, "completion_tokens")
        prompt = getattr(usage, "prompt_tokens_details", None)
        completion = getattr(usage, "completion_tokens_details", None)
    return UsageSummary(
        input_tokens=given,
        output_tokens=output,
        total_tokens=_int(usage, "total_tokens"),
        cached_tokens=_int(prompt, "cached_tokens"),
        cache_write_tokens=_int(prompt, "cache_write_tokens"),
        reasoning_tokens=_int(completion, "reasoning_tokens"),
    )

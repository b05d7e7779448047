"""The pipeline behind ``reduce``, ``text``, ``stats`` and ``demo``: one pass over a
stream that decodes its events, counts them by type and folds them into the final
object, with the verdict, divergences and integrity findings at hand."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from streamkit._sse import SSEDecoder
from streamkit.cli._common import (
    EXIT_API_ERROR,
    EXIT_DIVERGED,
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_TRUNCATED,
)
from streamkit.errors import StreamError
from streamkit.events import (
    StreamErrorEvent,
    UnknownEvent,
)
from streamkit.events._decoder import API, Event, EventDecoder
from streamkit.events._names import class_type_name as _class_name
from streamkit.events._names import event_type
from streamkit.events.messages import MessageErrorEvent
from streamkit.events.responses import ResponseErrorEvent, ResponseFailedEvent
from streamkit.io import iter_events
from streamkit.io._reduce import _api_of
from streamkit.models import ChatCompletion, Completion, Message, Response
from streamkit.reducers import (
    ChatCompletionReducer,
    CompletionReducer,
    Divergence,
    MessageReducer,
    Reducer,
    ResponseReducer,
)

__all__ = [
    "ERROR_EVENTS",
    "Final",
    "Outcome",
    "error_text",
    "event_type",
    "run",
    "prompt_tokens",
    "usage_numbers",
    "verdict_exit",
]

Final = Response | ChatCompletion | Completion | Message

#: Events that carry a server error.
ERROR_EVENTS = (ResponseErrorEvent, ResponseFailedEvent, StreamErrorEvent, MessageErrorEvent)


@dataclass
class Outcome:
    """What one pass over a stream found."""

    #: ``responses``, ``chat``, ``completions`` or ``messages`` (``chat`` for a stream
    #: without events when the API was not given, as ``streamkit.reduce`` decides).
    api: str
    #: The final object, or the object reduced before a stream error.
    result: Final
    #: Number of events by type name, in order of first appearance.
    counts: dict[str, int]
    #: Bytes read.
    bytes: int
    #: The decoding error that ended the pass early, if any.
    error: StreamError | None = None
    #: ``--verify`` findings (Responses only).
    divergences: list[Divergence] = field(default_factory=list)
    #: Integrity findings, as sentences: sequence_number gaps, duplicates and
    #: reorderings (Responses); impossible or contradictory indices (Chat,
    #: Completions, Messages).
    integrity: list[str] = field(default_factory=list)
    #: The same Responses findings as data (``kind``, ``expected``, ``got``, ``index``).
    sequence_issues: list[dict[str, Any]] = field(default_factory=list)

    @property
    def events(self) -> int:
        """Number of events decoded."""
        return sum(self.counts.values())

    @property
    def status(self) -> str:
        """The verdict's status."""
        verdict = self.result.verdict
        return verdict.status if verdict is not None else "in_progress"


def _reducer(api: API, verify: bool) -> Reducer[Any, Any]:
    # The policies are "ignore" because the command reports integrity findings
    # itself; the reducers' default ("warn") would print Python warnings.
    if api == "responses":
        return ResponseReducer(verify=verify, sequence_policy="ignore")
    if api == "chat":
        return ChatCompletionReducer(index_policy="ignore")
    if api == "messages":
        return MessageReducer(index_policy="ignore")
    return CompletionReducer(index_policy="ignore")


def run(
    chunks: Iterable[bytes],
    api: API = "auto",
    *,
    verify: bool = False,
    on_event: Callable[[Event], None] | None = None,
) -> Outcome:
    """Decode and fold a stream in one pass; ``on_event`` sees every event first.

    The fold is the one ``streamkit.reduce`` performs (same reducer choice, same
    result); a decoding error ends the pass and is returned, not raised, with the
    object reduced so far.
    """
    sse = SSEDecoder()
    by_class: Counter[type[Any]] = Counter()
    unknown: Counter[str] = Counter()
    order: dict[str, None] = {}
    reducer: Reducer[Any, Any] | None = None
    failure: StreamError | None = None
    detected: API = api
    dec = EventDecoder(api, errors="yield")
    events = iter_events(chunks, decoder=sse, event_decoder=dec)
    try:
        for event in events:
            if reducer is None:
                detected = _api_of(event, api, dec.api)
                reducer = _reducer(detected, verify)
            cls = type(event)
            if cls is UnknownEvent:
                unknown[event.type] += 1  # type: ignore[union-attr]
                order.setdefault(event.type, None)  # type: ignore[union-attr]
            elif cls not in by_class:
                order.setdefault(_class_name(cls), None)
            by_class[cls] += 1
            if on_event is not None:
                on_event(event)
            reducer.step(event)
    except StreamError as exc:
        failure = exc
    if reducer is None:
        detected = "chat" if api == "auto" else api
        reducer = _reducer(detected, verify)
    result: Final = reducer.finish()
    names = Counter({_class_name(cls): n for cls, n in by_class.items() if cls is not UnknownEvent})
    names.update(unknown)
    outcome = Outcome(
        api=detected,
        result=result,
        counts={name: names[name] for name in order},
        bytes=sse.bytes_fed,
        error=failure,
    )
    if isinstance(reducer, ResponseReducer):
        outcome.divergences = list(reducer.divergences)
        for issue in reducer.sequence_issues:
            outcome.sequence_issues.append(msgspec.to_builtins(issue))
            outcome.integrity.append(
                f"event #{issue.index}: sequence_number {issue.kind}: "
                f"expected {issue.expected}, got {issue.got}"
            )
    elif isinstance(reducer, ChatCompletionReducer | CompletionReducer | MessageReducer):
        outcome.integrity = list(reducer.integrity_issues)
    return outcome


def verdict_exit(outcome: Outcome, *, verify: bool = False) -> int:
    """The exit code of a reduction: its verdict's, or ``EXIT_DIVERGED`` when
    ``verify`` found divergences (whatever the verdict)."""
    if verify and outcome.divergences:
        return EXIT_DIVERGED
    status = outcome.status
    if status == "completed":
        return EXIT_OK
    if status == "incomplete":
        return EXIT_INCOMPLETE
    if status in ("failed", "errored"):
        return EXIT_API_ERROR
    # truncated, unterminated (no [DONE]: the bytes ended before the stream's end
    # marker), and in_progress, which finish() never leaves.
    return EXIT_TRUNCATED


def verdict_text(outcome: Outcome) -> str:
    """A sentence about a verdict that is not ``completed``."""
    verdict = outcome.result.verdict
    status = outcome.status
    if verdict is None:  # pragma: no cover - reducers always set a verdict
        return f"stream {status}"
    if status == "incomplete":
        return f"stream incomplete: {verdict.reason or 'no reason given'}"
    if status in ("failed", "errored"):
        return f"stream {status}: server error: {error_text(verdict.error)}"
    if status == "unterminated":
        return (
            "stream unterminated: every choice finished, but the bytes ended without "
            "[DONE] (a usage chunk sent after the last finish_reason may be lost)"
        )
    where = ""
    if verdict.last_sequence_number is not None:
        where = f" after sequence_number {verdict.last_sequence_number}"
    return f"stream truncated: the bytes ended before its terminal event{where}"


def error_text(err: Any) -> str:
    """``message (code=...)`` of a server error, whichever of its shapes it has (a
    Responses error event, a response's ``error``, an ``{"error": ...}`` payload)."""
    data = msgspec.to_builtins(err) if err is not None else None
    if not isinstance(data, dict):
        return str(data) if data is not None else "no details"
    nested = data.get("error")
    if isinstance(nested, dict):
        data = {**data, **{k: v for k, v in nested.items() if v is not None}}
    message = data.get("message") or "no message"
    code = data.get("code")
    return f"{message} (code={code!r})" if code is not None else str(message)


def usage_numbers(result: Final) -> dict[str, int] | None:
    """Input, output and total tokens of a final object's usage (None without usage).

    A Messages input counts the prompt tokens read from and written to the cache
    too (the API counts them apart), as the other APIs' input counts do."""
    usage: Any = result.usage
    if usage is None or usage is msgspec.UNSET:
        return None
    if isinstance(result, Message):
        given = prompt_tokens(usage)
        counts = (given, usage.output_tokens, given + usage.output_tokens)
    elif isinstance(getattr(usage, "input_tokens", None), int):
        counts = (usage.input_tokens, usage.output_tokens, usage.total_tokens)
    else:
        counts = (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens)
    return dict(zip(("input", "output", "total"), counts, strict=True))


def prompt_tokens(usage: Any) -> int:
    """All the prompt tokens of a Messages usage: uncached input plus cache reads
    and writes (each missing or null field counts 0)."""
    total = 0
    for name in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
        value = getattr(usage, name, None)
        if isinstance(value, int):
            total += value
    return total

"""The pass behind ``reduce``, ``text``, ``stats`` and ``demo``: the library's fold
(``streamkit.io``) with the events counted by type, and the findings the commands
print at hand."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from streamkit.cli._common import EXIT_DIVERGED, status_exit
from streamkit.errors import StreamError
from streamkit.events import StreamErrorEvent, UnknownEvent
from streamkit.events._decoder import API, Event
from streamkit.events._names import class_type_name, event_type
from streamkit.events.messages import MessageErrorEvent
from streamkit.events.responses import ResponseErrorEvent, ResponseFailedEvent
from streamkit.io._reduce import Final, fold_stream
from streamkit.reducers import Divergence, ResponseReducer

__all__ = [
    "ERROR_EVENTS",
    "Final",
    "Outcome",
    "event_type",
    "run",
    "verdict_exit",
]

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
    #: reorderings (Responses); impossible or contradictory indices and kinds.
    integrity: list[str] = field(default_factory=list)
    #: The same Responses sequence findings as data (``kind``, ``expected``,
    #: ``got``, ``index``).
    sequence_issues: list[dict[str, Any]] = field(default_factory=list)

    @property
    def events(self) -> int:
        """Number of events decoded."""
        return sum(self.counts.values())

    @property
    def status(self) -> str:
        """The verdict's status."""
        return self.result.verdict.status


class _TypeCounter:
    """Counts events by type name, in order of first appearance (by class while
    counting: the names are looked up once, at the end)."""

    __slots__ = ("by_class", "order", "unknown")

    def __init__(self) -> None:
        self.by_class: Counter[type[Any]] = Counter()
        self.unknown: Counter[str] = Counter()
        self.order: dict[str, None] = {}

    def __call__(self, event: Event) -> None:
        cls = type(event)
        if cls is UnknownEvent:
            self.unknown[event.type] += 1  # type: ignore[union-attr]
            self.order.setdefault(event.type, None)  # type: ignore[union-attr]
        elif cls not in self.by_class:
            self.order.setdefault(class_type_name(cls), None)
        self.by_class[cls] += 1

    def counts(self) -> dict[str, int]:
        names = Counter(
            {class_type_name(c): n for c, n in self.by_class.items() if c is not UnknownEvent}
        )
        names.update(self.unknown)
        return {name: names[name] for name in self.order}


def run(
    chunks: Iterable[bytes],
    api: API = "auto",
    *,
    verify: bool = False,
    on_event: Callable[[Event], None] | None = None,
) -> Outcome:
    """Fold a stream as ``streamkit.reduce`` does, in one pass; ``on_event`` sees
    every event. A decoding error ends the pass and is returned, not raised, with
    the object reduced so far. Integrity findings are collected, not warned about.
    """
    counter = _TypeCounter()
    if on_event is None:
        tap: Callable[[Event], None] = counter
    else:

        def tap(event: Event) -> None:
            counter(event)
            on_event(event)

    folded = fold_stream(chunks, api, verify=verify, policy="ignore", on_event=tap)
    outcome = Outcome(
        api=folded.api,
        result=folded.result,
        counts=counter.counts(),
        bytes=folded.bytes,
        error=folded.error if isinstance(folded.error, StreamError) else None,
    )
    reducer: Any = folded.reducer
    if isinstance(reducer, ResponseReducer):
        outcome.divergences = list(reducer.divergences)
        for issue in reducer.sequence_issues:
            outcome.sequence_issues.append(msgspec.to_builtins(issue))
            outcome.integrity.append(
                f"event #{issue.index}: sequence_number {issue.kind}: "
                f"expected {issue.expected}, got {issue.got}"
            )
    outcome.integrity.extend(reducer.integrity_issues)
    return outcome


def verdict_exit(outcome: Outcome, *, verify: bool = False) -> int:
    """The exit code of a reduction: its verdict's, or ``EXIT_DIVERGED`` when
    ``verify`` found divergences (whatever the verdict)."""
    if verify and outcome.divergences:
        return EXIT_DIVERGED
    return status_exit(outcome.status)

"""Choice folding shared by the Chat Completions and legacy Completions reducers.

Both APIs stream chunks shaped like the final object: header fields (``id``,
``model``, ``created``, ``system_fingerprint``), ``choices[]`` keyed by ``index``
(any order, interleaved for n > 1) each ending with a ``finish_reason``, an optional
``usage`` chunk, in-stream ``{"error": ...}`` payloads and the ``[DONE]`` sentinel.
:class:`ChoiceReducer` does that bookkeeping (and the index checks, integrity
reporting, verdict and "finished" queue); a subclass folds one choice's payload.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import Any, ClassVar, Final, Generic, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from streamkit.events._common import Done
from streamkit.events.errors import StreamErrorEvent
from streamkit.models._verdict import ServerError, Verdict
from streamkit.models.chat import CompletionUsage
from streamkit.reducers._base import StatefulReducer
from streamkit.reducers._finished import Finished
from streamkit.reducers._integrity import IntegrityPolicy, IntegrityReporter, check_policy

__all__ = [
    "INCOMPLETE_REASONS",
    "MAX_INDEX_JUMP",
    "NO_DONE_REASON",
    "ChoiceReducer",
    "ChoiceStateBase",
    "ChoiceStreamState",
    "choice_index_problem",
    "final_verdict",
]

# A new index further than this past the highest one seen is treated as corruption
# (the API caps ``n`` at 128 and nobody makes a thousand parallel tool calls).
MAX_INDEX_JUMP: Final = 1000

# Finish reasons meaning "the server stopped before the model was done".
INCOMPLETE_REASONS: Final = frozenset({"length", "content_filter"})

#: The ``object`` of the chunk that ends a Perplexity stream (it sends no ``[DONE]``).
DONE_OBJECT = "chat.completion.done"
#: ``Verdict.reason`` of an ``unterminated`` stream.
NO_DONE_REASON: Final = "no [DONE] after finish_reason"

E = TypeVar("E")
R = TypeVar("R")
C = TypeVar("C", bound="ChoiceStateBase")
S = TypeVar("S", bound="ChoiceStreamState[Any]")


class ChoiceStateBase(msgspec.Struct, kw_only=True, gc=False):
    """What every choice has: its finish reason, and whether it is already queued
    for ``take_finished``."""

    finish_reason: str | None = None
    queued: bool = False


class ChoiceStreamState(msgspec.Struct, Generic[C], kw_only=True):
    """The state both reducers share; each adds its own fields and choice type."""

    id: str = ""
    model: str = ""
    created: int = 0
    # UNSET: no chunk had the key; None: chunks said null; str: the first real value.
    system_fingerprint: str | UnsetType | None = UNSET
    choices: dict[int, C] = msgspec.field(default_factory=dict)
    max_index: int = -1
    usage: CompletionUsage | None = None
    events: int = 0
    saw_done: bool = False
    error: ServerError | None = None
    finished: bool = False
    # The first MAX_RECORDED_ISSUES descriptions; the count covers them all.
    integrity_issues: list[str] = msgspec.field(default_factory=list)
    integrity_issue_count: int = 0
    # Choice indexes whose finish_reason arrived, not yet returned by take_finished().
    pending: list[int] = msgspec.field(default_factory=list)


def choice_index_problem(index: object, highest: int) -> str | None:
    """Why a choice/tool ``index`` seen for the first time is impossible, or None."""
    if type(index) is not int:
        return f"is not an integer ({index!r})"
    if index < 0:
        return "is negative"
    if index > highest + MAX_INDEX_JUMP:
        return f"jumps from {highest} to {index}"
    return None


def final_verdict(
    *,
    finished: bool,
    events: int,
    error: ServerError | None,
    finish_reasons: Iterable[str | None],
    saw_done: bool,
) -> Verdict:
    """The verdict rules shared by Chat and legacy Completions (``finish_reasons`` in
    choice-index order; ``saw_done``: whether ``[DONE]`` was stepped).

    First match wins: ``errored`` (an error payload), ``truncated`` (no choice, or a
    choice without a finish reason), ``unterminated`` (every choice finished but no
    ``[DONE]``), ``incomplete`` (a ``length`` / ``content_filter`` finish), else
    ``completed``.
    """
    if not finished:
        return Verdict(status="in_progress", events=events)
    if error is not None:
        return Verdict(status="errored", error=error, events=events)
    reasons = list(finish_reasons)
    # No choice at all, or a choice cut off before its last chunk: the bytes ended early.
    if not reasons or None in reasons:
        return Verdict(status="truncated", events=events)
    # The content is complete, but what the server sends after the last finish
    # reason (the usage chunk of ``stream_options.include_usage``) may be lost:
    # without the end marker nobody can tell, so this is not success.
    if not saw_done:
        return Verdict(status="unterminated", reason=NO_DONE_REASON, events=events)
    for reason in reasons:
        if reason in INCOMPLETE_REASONS:
            return Verdict(status="incomplete", reason=reason, events=events)
    return Verdict(status="completed", events=events)


class ChoiceReducer(IntegrityReporter, StatefulReducer[E, R, S], Generic[E, R, S, C]):
    """Folds a stream of choice chunks; subclasses fold each choice's payload.

    A subclass sets ``State`` (a :class:`ChoiceStreamState` subclass), ``_CHUNK``
    (the chunk class), ``_CHOICE`` (its choice state class) and ``_EVENT_TYPE``
    (the chunk's ``object``, named in integrity errors), and implements
    :meth:`_fold_choice`, :meth:`_finished_of` and ``result()``.
    """

    _CHUNK: ClassVar[type[Any]]
    _CHOICE: ClassVar[type[ChoiceStateBase]]
    _EVENT_TYPE: ClassVar[str]

    def __init__(self, *, index_policy: IntegrityPolicy = "warn") -> None:
        self.index_policy = check_policy("index_policy", index_policy)
        self.state = self.State()  # type: ignore[assignment]
        # Bound once: ``step`` calls them for every chunk and every choice.
        self._chunk_type: type[Any] = self._CHUNK
        self._fold_header_of = self._fold_header
        self._fold_choice_of = self._fold_choice

    # -- public accessors -----------------------------------------------------------

    @property
    def saw_done(self) -> bool:
        """Whether the ``[DONE]`` sentinel was stepped."""
        return self.state.saw_done

    @property
    def integrity_issues(self) -> list[str]:
        """Descriptions of the inconsistencies seen so far, in stream order (the
        first ``MAX_RECORDED_ISSUES``; ``integrity_issue_count`` counts them all)."""
        return self.state.integrity_issues

    @property
    def integrity_issue_count(self) -> int:
        """How many inconsistencies were seen, recorded in full or not."""
        return self.state.integrity_issue_count

    @property
    def events(self) -> int:
        """Number of events stepped so far."""
        return self.state.events

    def _integrity_issues(self) -> list[str]:
        return self.state.integrity_issues

    def _count_issue(self) -> None:
        self.state.integrity_issue_count += 1

    def _event_count(self) -> int:
        return self.state.events

    # -- folding ----------------------------------------------------------------------

    def step(self, event: E) -> None:
        """Fold one event: a chunk, an error payload, ``Done`` or an unknown event."""
        st = self.state
        st.events += 1
        chunk: Any = event
        if type(chunk) is not self._chunk_type and not isinstance(chunk, self._CHUNK):
            if isinstance(event, StreamErrorEvent):
                if st.error is None:
                    st.error = ServerError.from_event(event)
            elif isinstance(event, Done):
                st.saw_done = True
            # Anything else (UnknownEvent, keep-alives...) only counts as an event.
            return
        # Header fields from the first chunk that has them: Azure's prompt-filter chunk
        # comes first with id "", model "" and created 0.
        if not st.id and chunk.id:
            st.id = chunk.id
        if not st.model and chunk.model:
            st.model = chunk.model
        if not st.created and chunk.created:
            st.created = chunk.created
        if not st.system_fingerprint:
            value = chunk.system_fingerprint
            if value or (value is None and st.system_fingerprint is UNSET):
                st.system_fingerprint = value
        # Usage from whichever chunk carries it; chunks with ``usage: null`` or without
        # the key never erase it. A later usage replaces (never adds to) an earlier one:
        # providers that repeat it send running totals.
        usage = chunk.usage
        if usage:
            st.usage = usage
        self._fold_header_of(chunk)
        choices = st.choices
        fold_choice = self._fold_choice_of
        for ch in chunk.choices or ():
            index = ch.index
            c = choices.get(index)
            if c is None:
                c = self._open_choice(index)
                if c is None:
                    continue
            fold_choice(c, ch, index)
            reason = ch.finish_reason
            if reason:
                c.finish_reason = reason
                if chunk.object == DONE_OBJECT:
                    # Perplexity ends its streams with this chunk instead of
                    # [DONE]: an end marker all the same.
                    st.saw_done = True
                if not c.queued:
                    c.queued = True
                    st.pending.append(index)

    def _fold_header(self, chunk: Any) -> None:
        """Fold the chunk-level fields only one API has (nothing by default)."""

    @abc.abstractmethod
    def _fold_choice(self, c: Any, ch: Any, index: int) -> None:
        """Fold one ``choices[]`` entry into its state ``c`` (``index``: its index);
        the finish reason is handled by the caller."""

    def _admit(
        self, index: object, highest: int, where: str, dropped: str, stacklevel: int
    ) -> bool:
        """Check an index seen for the first time: report an impossible one; False if
        it cannot be used at all (not an integer), True otherwise. ``stacklevel``
        counts frames from the caller of ``_admit`` up to the caller of ``step()``
        (both included), as for ``_issue``."""
        problem = choice_index_problem(index, highest)
        if problem is None:
            return True
        if type(index) is not int:
            # Cannot be ordered against the others: drop it.
            self._issue(
                f"{where} {problem}; {dropped} dropped",
                event_type=self._EVENT_TYPE,
                stacklevel=stacklevel + 1,
            )
            return False
        self._issue(
            f"{where} {index} {problem}", event_type=self._EVENT_TYPE, stacklevel=stacklevel + 1
        )
        return True

    def _open_choice(self, index: int) -> Any:
        st = self.state
        # Frames: _open_choice, step, the caller of step.
        if not self._admit(index, st.max_index, "choice index", "choice", stacklevel=3):
            return None
        c = st.choices[index] = self._CHOICE()
        if index > st.max_index:
            st.max_index = index
        return c

    # -- reading ------------------------------------------------------------------------

    def finish(self) -> R:
        """Mark the stream as ended and return the final object (with its verdict).

        Choices that never got a finish reason are not reported by ``take_finished``.
        """
        self.state.finished = True
        return self.result()

    def verdict(self) -> Verdict:
        """How the stream ended so far (``in_progress`` before ``finish()``)."""
        st = self.state
        return final_verdict(
            finished=st.finished,
            events=st.events,
            error=st.error,
            finish_reasons=(st.choices[i].finish_reason for i in sorted(st.choices)),
            saw_done=st.saw_done,
        )

    def take_finished(self) -> list[Finished]:
        """The pieces of output completed since the last call, each reported once.

        A choice's output completes when its ``finish_reason`` arrives; it is built
        from the state at the time of this call. Choices cut off without a finish
        reason are never reported.
        """
        st = self.state
        if not st.pending:
            return []
        out: list[Finished] = []
        for index in st.pending:
            out.extend(self._finished_of(index, st.choices[index]))
        st.pending = []
        return out

    @abc.abstractmethod
    def _finished_of(self, index: int, c: Any) -> list[Finished]:
        """The "finished" events of choice ``index`` (state ``c``)."""

"""Fold legacy Completions chunks (``object: "text_completion"``) into a ``Completion``.

The legacy endpoint streams objects shaped like the final one: ``choices[].text``
fragments keyed by ``choices[].index``, parallel logprob arrays, a ``finish_reason``
on each choice's last chunk, and with ``stream_options.include_usage`` a last chunk
with empty ``choices`` and the ``usage``. The verdict and integrity rules are the
Chat reducer's (``streamkit.reducers.chat``).
"""

from __future__ import annotations

from typing import ClassVar, TypeAlias, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from streamkit.events._common import Done, UnknownEvent
from streamkit.events.completions import CompletionChunk
from streamkit.events.errors import ErrorDetail, StreamErrorEvent
from streamkit.models._verdict import Verdict
from streamkit.models.chat import CompletionUsage
from streamkit.models.completions import Completion, CompletionChoice, CompletionLogprobs
from streamkit.reducers._base import StatefulReducer
from streamkit.reducers._finished import Finished, TextDone
from streamkit.reducers._integrity import IndexPolicy
from streamkit.reducers.chat import _IntegrityReporter, choice_index_problem, final_verdict

__all__ = [
    "CompletionReducer",
    "CompletionReducerState",
    "CompletionStreamEvent",
]

CompletionStreamEvent: TypeAlias = CompletionChunk | StreamErrorEvent | Done | UnknownEvent
"""What a legacy Completions stream yields."""

_T = TypeVar("_T")


class _TextChoiceState(msgspec.Struct, kw_only=True, gc=False):
    """One choice: text pieces and the logprob arrays (None until some chunk sends one)."""

    text: list[str] = msgspec.field(default_factory=list)
    has_logprobs: bool = False
    tokens: list[str] | None = None
    token_logprobs: list[float] | None = None
    top_logprobs: list[dict[str, float]] | None = None
    text_offset: list[int] | None = None
    finish_reason: str | None = None
    queued: bool = False


class CompletionReducerState(msgspec.Struct, kw_only=True):
    """The complete state of a ``CompletionReducer`` (what ``checkpoint()`` encodes)."""

    id: str = ""
    model: str = ""
    created: int = 0
    system_fingerprint: str | UnsetType | None = UNSET
    choices: dict[int, _TextChoiceState] = msgspec.field(default_factory=dict)
    max_index: int = -1
    usage: CompletionUsage | None = None
    events: int = 0
    saw_done: bool = False
    error: ErrorDetail | None = None
    finished: bool = False
    integrity_issues: list[str] = msgspec.field(default_factory=list)
    pending: list[int] = msgspec.field(default_factory=list)


def _extend(current: list[_T] | None, more: list[_T] | UnsetType) -> list[_T] | None:
    if not more:
        return current
    if current is None:
        return list(more)
    current.extend(more)
    return current


class CompletionReducer(
    _IntegrityReporter,
    StatefulReducer[CompletionStreamEvent, Completion, CompletionReducerState],
):
    """Folds a legacy Completions stream into a ``Completion``.

    Same contract as ``ChatCompletionReducer``: ``step`` every event, ``finish()`` at
    the end of the bytes, ``result()`` at any time; the verdict is ``completed`` /
    ``incomplete`` (``length``, ``content_filter``) / ``errored`` / ``truncated`` /
    ``unterminated`` (every choice finished, no ``[DONE]``) / ``in_progress``;
    ``index_policy`` governs impossible choice indexes.
    """

    State: ClassVar[type[msgspec.Struct]] = CompletionReducerState

    def __init__(self, *, index_policy: IndexPolicy = "warn") -> None:
        if index_policy not in ("ignore", "warn", "raise"):
            raise ValueError(
                f"index_policy must be 'ignore', 'warn' or 'raise', not {index_policy!r}"
            )
        self.index_policy = index_policy
        self.state = CompletionReducerState()

    @property
    def saw_done(self) -> bool:
        """Whether the ``[DONE]`` sentinel was stepped."""
        return self.state.saw_done

    @property
    def integrity_issues(self) -> list[str]:
        """Descriptions of every inconsistency seen so far, in stream order."""
        return self.state.integrity_issues

    @property
    def events(self) -> int:
        """Number of events stepped so far."""
        return self.state.events

    def _integrity_issues(self) -> list[str]:
        return self.state.integrity_issues

    def _event_count(self) -> int:
        return self.state.events

    def step(self, event: CompletionStreamEvent) -> None:
        """Fold one event: a chunk, an error payload, ``Done`` or an unknown event."""
        st = self.state
        st.events += 1
        if not isinstance(event, CompletionChunk):
            if isinstance(event, StreamErrorEvent):
                if st.error is None:
                    st.error = event.error
            elif isinstance(event, Done):
                st.saw_done = True
            return
        if not st.id and event.id:
            st.id = event.id
        if not st.model and event.model:
            st.model = event.model
        if not st.created and event.created:
            st.created = event.created
        if not st.system_fingerprint:
            value = event.system_fingerprint
            if value or (value is None and st.system_fingerprint is UNSET):
                st.system_fingerprint = value
        if event.usage:
            st.usage = event.usage
        choices = st.choices
        for ch in event.choices or ():
            index = ch.index
            c = choices.get(index)
            if c is None:
                c = self._open_choice(index)
                if c is None:
                    continue
            if ch.text:
                c.text.append(ch.text)
            lp = ch.logprobs
            if lp:
                c.has_logprobs = True
                c.tokens = _extend(c.tokens, lp.tokens)
                c.token_logprobs = _extend(c.token_logprobs, lp.token_logprobs)
                c.top_logprobs = _extend(c.top_logprobs, lp.top_logprobs)
                c.text_offset = _extend(c.text_offset, lp.text_offset)
            if ch.finish_reason:
                c.finish_reason = ch.finish_reason
                if not c.queued:
                    c.queued = True
                    st.pending.append(index)

    def _open_choice(self, index: int) -> _TextChoiceState | None:
        st = self.state
        problem = choice_index_problem(index, st.max_index)
        if problem is not None:
            if type(index) is not int:
                self._issue(
                    f"choice index {problem}; choice dropped",
                    event_type="text_completion",
                    stacklevel=3,
                )
                return None
            self._issue(
                f"choice index {index} {problem}", event_type="text_completion", stacklevel=3
            )
        c = st.choices[index] = _TextChoiceState()
        if index > st.max_index:
            st.max_index = index
        return c

    def finish(self) -> Completion:
        """Mark the stream as ended and return the final ``Completion`` (with verdict)."""
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

    def result(self) -> Completion:
        """The completion accumulated so far; choices sorted by index."""
        st = self.state
        completion = Completion(
            id=st.id,
            object="text_completion",
            created=st.created,
            model=st.model,
            choices=[_choice(i, st.choices[i]) for i in sorted(st.choices)],
            system_fingerprint=st.system_fingerprint,
            usage=UNSET if st.usage is None else st.usage,
        )
        completion._set_verdict(self.verdict())
        return completion

    def take_finished(self) -> list[Finished]:
        """``TextDone`` for each choice whose ``finish_reason`` arrived since the last
        call (once per choice)."""
        st = self.state
        if not st.pending:
            return []
        out: list[Finished] = [
            TextDone(text="".join(st.choices[i].text), choice_index=i) for i in st.pending
        ]
        st.pending = []
        return out


def _copy(values: list[_T] | None) -> list[_T] | UnsetType:
    return UNSET if values is None else list(values)


def _choice(index: int, c: _TextChoiceState) -> CompletionChoice:
    logprobs = None
    if c.has_logprobs:
        logprobs = CompletionLogprobs(
            text_offset=_copy(c.text_offset),
            token_logprobs=_copy(c.token_logprobs),
            tokens=_copy(c.tokens),
            top_logprobs=_copy(c.top_logprobs),
        )
    return CompletionChoice(
        index=index, text="".join(c.text), logprobs=logprobs, finish_reason=c.finish_reason
    )

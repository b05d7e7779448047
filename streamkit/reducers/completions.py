"""Fold legacy Completions chunks (``object: "text_completion"``) into a ``Completion``.

The legacy endpoint streams objects shaped like the final one: ``choices[].text``
fragments keyed by ``choices[].index``, parallel logprob arrays, a ``finish_reason``
on each choice's last chunk, and with ``stream_options.include_usage`` a last chunk
with empty ``choices`` and the ``usage``. The choice bookkeeping, verdict and
integrity rules are shared with the Chat reducer (``streamkit.reducers._choices``).
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeAlias, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from streamkit.events._common import Done, UnknownEvent
from streamkit.events.completions import CompletionChunk, CompletionChunkChoice
from streamkit.events.errors import StreamErrorEvent
from streamkit.models.completions import Completion, CompletionChoice, CompletionLogprobs
from streamkit.reducers._choices import ChoiceReducer, ChoiceStateBase, ChoiceStreamState
from streamkit.reducers._finished import Finished, TextDone

__all__ = [
    "CompletionReducer",
    "CompletionReducerState",
    "CompletionStreamEvent",
]

CompletionStreamEvent: TypeAlias = CompletionChunk | StreamErrorEvent | Done | UnknownEvent
"""What a legacy Completions stream yields."""

_T = TypeVar("_T")


class _TextChoiceState(ChoiceStateBase, kw_only=True, gc=False):
    """One choice: text pieces and the logprob arrays (None until some chunk sends one)."""

    text: list[str] = msgspec.field(default_factory=list)
    has_logprobs: bool = False
    tokens: list[str] | None = None
    token_logprobs: list[float] | None = None
    top_logprobs: list[dict[str, float]] | None = None
    text_offset: list[int] | None = None


class CompletionReducerState(ChoiceStreamState[_TextChoiceState], kw_only=True):
    """The complete state of a ``CompletionReducer`` (what ``checkpoint()`` encodes)."""


def _extend(current: list[_T] | None, more: list[_T] | UnsetType) -> list[_T] | None:
    if not more:
        return current
    if current is None:
        return list(more)
    current.extend(more)
    return current


class CompletionReducer(
    ChoiceReducer[CompletionStreamEvent, Completion, CompletionReducerState, _TextChoiceState]
):
    """Folds a legacy Completions stream into a ``Completion``.

    Same contract as ``ChatCompletionReducer``: ``step`` every event, ``finish()`` at
    the end of the bytes, ``result()`` at any time; the verdict is ``completed`` /
    ``incomplete`` (``length``, ``content_filter``) / ``errored`` / ``truncated`` /
    ``unterminated`` (every choice finished, no ``[DONE]``) / ``in_progress``;
    ``index_policy`` governs impossible choice indexes.
    """

    State: ClassVar[type[msgspec.Struct]] = CompletionReducerState
    _CHUNK: ClassVar[type[Any]] = CompletionChunk
    _CHOICE: ClassVar[type[ChoiceStateBase]] = _TextChoiceState
    _EVENT_TYPE: ClassVar[str] = "text_completion"

    def _fold_choice(self, c: _TextChoiceState, ch: CompletionChunkChoice, index: int) -> None:
        if ch.text:
            c.text.append(ch.text)
        lp = ch.logprobs
        if lp:
            c.has_logprobs = True
            c.tokens = _extend(c.tokens, lp.tokens)
            c.token_logprobs = _extend(c.token_logprobs, lp.token_logprobs)
            c.top_logprobs = _extend(c.top_logprobs, lp.top_logprobs)
            c.text_offset = _extend(c.text_offset, lp.text_offset)

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

    def _finished_of(self, index: int, c: _TextChoiceState) -> list[Finished]:
        """``TextDone`` for the choice (once, when its ``finish_reason`` arrived)."""
        return [TextDone(text="".join(c.text), choice_index=index)]


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

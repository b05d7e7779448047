"""The reducer model: fold events one at a time into a result.

A reducer is driven with ``step(event)`` for every event in stream order and
``finish()`` once the stream's bytes have ended; ``result()`` may be read at
any moment (it is cheap: text kept as pieces is joined at most once per read).
Plain functions ``(state, event) -> state`` become reducers with ``fold``.

Reducers whose state is a msgspec Struct support checkpoints: ``checkpoint()``
encodes the state mid-stream and ``restore()`` rebuilds a reducer that gives
the same result when fed the rest of the stream.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

import msgspec

__all__ = ["Reducer", "StatefulReducer", "fold"]

E = TypeVar("E")
R = TypeVar("R")
S = TypeVar("S")
StateT = TypeVar("StateT", bound=msgspec.Struct)


class Reducer(abc.ABC, Generic[E, R]):
    """Consumes events one at a time and yields a result at any moment."""

    @abc.abstractmethod
    def step(self, event: E) -> None:
        """Fold one event."""

    @abc.abstractmethod
    def result(self) -> R:
        """The result so far (after ``finish()``: the final result)."""

    def finish(self) -> R:
        """Tell the reducer the stream ended; return the final result."""
        return self.result()

    def run(self, events: Any) -> R:
        """Step through an iterable of events, finish, and return the result."""
        step = self.step
        for event in events:
            step(event)
        return self.finish()


class StatefulReducer(Reducer[E, R], Generic[E, R, StateT]):
    """A reducer whose whole state is one msgspec Struct (``self.state``), so it
    can be checkpointed and restored mid-stream."""

    State: ClassVar[type[msgspec.Struct]]
    state: StateT

    def checkpoint(self) -> bytes:
        """The reducer's state, encoded (msgpack)."""
        return msgspec.msgpack.encode(self.state)

    @classmethod
    def restore(cls, data: bytes, **options: Any) -> StatefulReducer[E, R, StateT]:
        """A reducer continuing from ``checkpoint()`` bytes."""
        reducer = cls(**options)
        reducer.state = msgspec.msgpack.decode(data, type=cls.State)  # type: ignore[assignment]
        return reducer


class _Fold(Reducer[E, S]):
    __slots__ = ("_fn", "_state")

    def __init__(self, fn: Callable[[S, E], S], initial: S) -> None:
        self._fn = fn
        self._state = initial

    def step(self, event: E) -> None:
        self._state = self._fn(self._state, event)

    def result(self) -> S:
        return self._state


def fold(fn: Callable[[S, E], S], initial: S) -> Reducer[E, S]:
    """A reducer from a plain function ``(state, event) -> state``."""
    return _Fold(fn, initial)

"""Combinators: declare a pipeline of reducers instead of writing the loop.

``combine`` runs several reducers in one pass; ``filter_events`` and
``map_events`` adapt the events one reducer sees; ``tap`` calls back per
event; ``scan`` yields successive snapshots. All of them are reducers, so they
nest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar, overload

from streamkit.reducers._base import Reducer

__all__ = ["combine", "filter_events", "map_events", "tap", "scan", "Combined", "Named"]

E = TypeVar("E")
F = TypeVar("F")
R = TypeVar("R")


class Combined(Reducer[Any, tuple[Any, ...]]):
    """Several reducers fed in one pass; the result is the tuple of theirs."""

    __slots__ = ("_steps", "reducers")

    def __init__(self, reducers: Iterable[Reducer[Any, Any]]) -> None:
        self.reducers = tuple(reducers)
        self._steps = tuple(r.step for r in self.reducers)

    def step(self, event: Any) -> None:
        for step in self._steps:
            step(event)

    def result(self) -> tuple[Any, ...]:
        return tuple(r.result() for r in self.reducers)

    def finish(self) -> tuple[Any, ...]:
        return tuple(r.finish() for r in self.reducers)


class Named(Reducer[Any, dict[str, Any]]):
    """Several named reducers fed in one pass; the result is a dict by name."""

    __slots__ = ("_steps", "reducers")

    def __init__(self, reducers: dict[str, Reducer[Any, Any]]) -> None:
        self.reducers = dict(reducers)
        self._steps = tuple(r.step for r in self.reducers.values())

    def step(self, event: Any) -> None:
        for step in self._steps:
            step(event)

    def result(self) -> dict[str, Any]:
        return {name: r.result() for name, r in self.reducers.items()}

    def finish(self) -> dict[str, Any]:
        return {name: r.finish() for name, r in self.reducers.items()}


@overload
def combine(*reducers: Reducer[Any, Any]) -> Combined: ...
@overload
def combine(**reducers: Reducer[Any, Any]) -> Named: ...
def combine(*reducers: Reducer[Any, Any], **named: Reducer[Any, Any]) -> Combined | Named:
    """Run several reducers in one pass over the events.

    ``combine(a, b)`` gives a tuple result; ``combine(text=a, usage=b)`` a dict.
    """
    if reducers and named:
        raise TypeError("combine() takes reducers positionally or by name, not both")
    if named:
        return Named(named)
    return Combined(reducers)


class _Filter(Reducer[E, R]):
    __slots__ = ("_inner", "_keep")

    def __init__(self, keep: Callable[[E], bool], inner: Reducer[E, R]) -> None:
        self._keep = keep
        self._inner = inner

    def step(self, event: E) -> None:
        if self._keep(event):
            self._inner.step(event)

    def result(self) -> R:
        return self._inner.result()

    def finish(self) -> R:
        return self._inner.finish()


def filter_events(
    keep: Callable[[Any], bool] | type | tuple[type, ...], reducer: Reducer[Any, R]
) -> Reducer[Any, R]:
    """Feed ``reducer`` only the events ``keep`` accepts (a predicate, or event
    classes to keep)."""
    if isinstance(keep, type | tuple):
        classes = keep

        def is_instance(event: Any) -> bool:
            return isinstance(event, classes)

        return _Filter(is_instance, reducer)
    return _Filter(keep, reducer)


class _Map(Reducer[E, R], Generic[E, F, R]):
    __slots__ = ("_fn", "_inner")

    def __init__(self, fn: Callable[[E], F | None], inner: Reducer[F, R]) -> None:
        self._fn = fn
        self._inner = inner

    def step(self, event: E) -> None:
        mapped = self._fn(event)
        if mapped is not None:
            self._inner.step(mapped)

    def result(self) -> R:
        return self._inner.result()

    def finish(self) -> R:
        return self._inner.finish()


def map_events(fn: Callable[[E], F | None], reducer: Reducer[F, R]) -> Reducer[E, R]:
    """Feed ``reducer`` with ``fn(event)`` (events mapped to None are dropped)."""
    return _Map(fn, reducer)


class _Tap(Reducer[E, R]):
    __slots__ = ("_fn", "_inner")

    def __init__(self, fn: Callable[[E], object], inner: Reducer[E, R] | None) -> None:
        self._fn = fn
        self._inner = inner

    def step(self, event: E) -> None:
        self._fn(event)
        if self._inner is not None:
            self._inner.step(event)

    def result(self) -> R:
        return self._inner.result() if self._inner is not None else None  # type: ignore[return-value]

    def finish(self) -> R:
        return self._inner.finish() if self._inner is not None else None  # type: ignore[return-value]


def tap(fn: Callable[[Any], object], reducer: Reducer[Any, R] | None = None) -> Reducer[Any, R]:
    """Call ``fn(event)`` for every event (e.g. to log or stream text out), then
    pass the event on to ``reducer`` if given (else the result is None)."""
    return _Tap(fn, reducer)


def scan(reducer: Reducer[E, R], events: Iterable[E]) -> Iterator[R]:
    """Feed ``events`` to ``reducer``, yielding its result after each one (its
    successive snapshots); the last value yielded is ``reducer.finish()``."""
    step, result = reducer.step, reducer.result
    for event in events:
        step(event)
        yield result()
    yield reducer.finish()

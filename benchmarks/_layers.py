"""The registry the suite is built on: layers, their contenders, cases and targets.

A *layer* is one step of streamkit's pipeline measured against its peers:

- ``framing``: bytes → SSE frames (``_framing.py``),
- ``events``: bytes → typed events, and ``final``: bytes → the final object
  (``_events.py``),
- ``messages-events`` and ``messages-final``: the same for Anthropic Messages
  streams, the latter against the ``anthropic`` SDK (``_messages.py``).

A module builds a :class:`Layer`, calls :func:`register` and is listed in
``LAYER_MODULES``; the runner, the table, ``--json`` and ``--check`` need no
change.

Every contender of a layer turns the same pre-split chunk list into the same
items (frames, events, objects) and returns how many it produced; the runner
checks that all contenders agree on that count. A contender may also return the
items themselves (``collect``) so that the runner can compare them with the
subject's, untimed, before timing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "LAYERS",
    "LAYER_MODULES",
    "Case",
    "Contender",
    "Extra",
    "ExtraRow",
    "Layer",
    "Scale",
    "Target",
    "register",
]

#: Modules (relative to this package) that register layers when imported, in
#: the order the layers are run.
LAYER_MODULES: tuple[str, ...] = ("_framing", "_events", "_messages")


@dataclass(frozen=True)
class Scale:
    """How big the inputs are: ``factor`` multiplies every default size."""

    factor: float = 1.0
    quick: bool = False
    #: ``--check``: only what the guards need (no scaling series, no
    #: informative extras, no unguarded peers).
    check: bool = False

    def n(self, full: int, minimum: int = 1) -> int:
        return max(minimum, round(full * self.factor))


@dataclass(frozen=True)
class Case:
    """One timed situation: an input fed with one chunking.

    ``chunks`` is split before any timing starts; every contender gets the very
    same list.
    """

    input: str  # input name, e.g. "responses-text"
    title: str  # human description of the input
    api: str | None  # "responses", "chat" or None (API-agnostic input)
    chunking: str  # chunking name, e.g. "64KiB", "rand1-200"
    data: bytes  # the whole stream (for sizes and for contenders that need it)
    chunks: list[bytes]
    deltas: int = 0  # delta events in the stream (0 when not meaningful)
    options: dict[str, Any] = field(default_factory=dict)  # e.g. max_event_bytes
    #: Separate streams (each a chunk list) for layers that must not run streams
    #: together (one final object per stream); empty: ``chunks`` is one stream.
    streams: tuple[list[bytes], ...] = ()

    @property
    def name(self) -> str:
        return f"{self.input} / {self.chunking}"

    @property
    def nbytes(self) -> int:
        return len(self.data)


#: ``make(case)`` returns a zero-argument callable that processes the whole case
#: once and returns the item count, or None when the contender does not apply.
Maker = Callable[[Case], Callable[[], int] | None]
#: ``collect(case)`` returns the items as comparable values (untimed check).
Collector = Callable[[Case], list[Any]]


@dataclass(frozen=True)
class Contender:
    name: str
    description: str
    make: Maker
    role: Literal["subject", "peer", "floor"] = "peer"
    collect: Collector | None = None
    #: Returns None when usable, else why not (e.g. a package is missing).
    unavailable: Callable[[], str | None] = lambda: None


@dataclass(frozen=True)
class Target:
    """The subject must be at least ``ratio`` times as fast as ``peer`` (time ratio
    peer/subject), on every case ``applies`` accepts. ``--check`` fails below
    ``guard`` (half the target by default): a machine busy with other work must
    not fail it, a real regression must. A target that is not met yet gets a
    regression guard below today's worst measurement instead, with ``why``."""

    peer: str
    ratio: float
    guard: float | None = None
    applies: Callable[[Case], bool] = lambda case: True
    scope: str = ""  # which cases ``applies`` accepts, for the tables, e.g. "64KiB"
    why: str = ""  # why the guard is what it is (printed in the target list)

    @property
    def guard_ratio(self) -> float:
        return self.guard if self.guard is not None else self.ratio / 2

    @property
    def label(self) -> str:
        return f"vs {self.peer}" + (f", {self.scope}" if self.scope else "")


@dataclass(frozen=True)
class ExtraRow:
    """One row of a layer's extra measurements (linearity, memory, ...)."""

    name: str
    value: float
    unit: str  # "x" for ratios, "MiB", ...
    expect: str  # human expectation, e.g. "≈ 2.0"
    ok: bool | None  # PASS/FAIL against the expectation; None: informative only
    #: ``--check`` fails the run when this is False (a laxer bound than ``ok``,
    #: as guards are for targets); None: not guarded.
    guard_ok: bool | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    guard: str = ""  # the guard's bound, for the tables, e.g. "≤ 3.0"
    #: A row with ``target`` set is one of the suite's targets: listed with the
    #: others in the target table (ok = PASS/FAIL).
    target: str = ""


@dataclass(frozen=True)
class Extra:
    """Measurements beyond the contender table, run after the cases."""

    name: str
    run: Callable[[Scale, int], list[ExtraRow]]  # (scale, repetitions) -> rows
    in_check: bool = True  # False: informative only, ``--check`` skips it


@dataclass(frozen=True)
class Layer:
    name: str
    description: str
    unit: str  # what the contenders count: "frames", "events", "objects"
    contenders: Sequence[Contender]
    cases: Callable[[Scale], Any]  # (scale) -> iterable of Case, built lazily
    targets: Sequence[Target] = ()
    extras: Sequence[Extra] = ()

    @property
    def subject(self) -> Contender:
        (subject,) = (c for c in self.contenders if c.role == "subject")
        return subject


LAYERS: dict[str, Layer] = {}


def register(layer: Layer) -> Layer:
    if layer.name in LAYERS:
        raise ValueError(f"layer {layer.name!r} registered twice")
    LAYERS[layer.name] = layer
    return layer

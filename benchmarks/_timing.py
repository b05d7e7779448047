"""How the suite times a run, and how it pairs the runs a ratio compares.

Every ratio the suite reports (a speedup over a peer, a linearity ratio) compares
two sides measured alternately, A B A B A ...: each run of B is compared with
the mean of the A runs just before and just after it, and the ratio is the
median of those per-run ratios. A slow stretch of the machine lands on both
sides of the ratios it touches and drops out of them, and the few ratios it
spoils are outvoted by the others.

Runs are timed with the CPU time of the benchmark thread (``time.thread_time``).
The contenders are single-threaded and CPU-bound, so on an idle machine that is
the wall time; on a loaded one it leaves out the time the scheduler gives to
other processes, which the wall clock would charge to whichever run it
interrupted: a 2 ms run preempted for one 4 ms time slice would count triple.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["CLOCK", "Paired", "alternate", "clock", "paired", "timed"]

#: The clock of every timed run (seconds of CPU time of the calling thread).
clock: Callable[[], float] = time.thread_time
#: Its name, for the report.
CLOCK = "time.thread_time (CPU time of the benchmark thread)"


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    """Run ``fn`` once after a ``gc.collect()``; return (seconds, what it returned)."""
    gc.collect()
    t0 = clock()
    n = fn()
    return clock() - t0, n


@dataclass
class Paired:
    """The runs of one side B, and for each the mean time of the A runs either
    side of it."""

    a: list[float]
    b: list[float]

    @property
    def ratios(self) -> list[float]:
        """time(b) / time(a), run by run."""
        return [tb / ta for ta, tb in zip(self.a, self.b, strict=True)]

    @property
    def ratio(self) -> float:
        """The median of time(b) / time(a)."""
        return statistics.median(self.ratios)

    @property
    def medians(self) -> list[float]:
        """The median time of each side, [a, b]."""
        return [statistics.median(self.a), statistics.median(self.b)]


def alternate(
    a: Callable[[], float], others: Sequence[Callable[[], float]], rounds: int
) -> tuple[list[float], list[Paired]]:
    """Run ``a`` and each of ``others`` alternately, ``rounds`` times each:
    A B A C A C A B A ... (the others take turns going first in a round). Each
    callable runs once and returns its time. Returns the times of ``a`` and, for
    each other, its times paired with the mean of the ``a`` runs around them."""
    base = [a()]
    pairs = [Paired([], []) for _ in others]
    for r in range(rounds):
        for i in range(len(others)):
            k = (r + i) % len(others)
            tb = others[k]()
            base.append(a())
            pairs[k].a.append((base[-2] + base[-1]) / 2)
            pairs[k].b.append(tb)
    return base, pairs


def paired(a: Callable[[], int], b: Callable[[], int], rounds: int) -> Paired:
    """``a`` and ``b`` alternately, ``rounds`` runs of ``b`` between ``rounds + 1``
    of ``a``, each after a ``gc.collect()``."""
    _, (pair,) = alternate(lambda: timed(a)[0], [lambda: timed(b)[0]], rounds)
    return pair

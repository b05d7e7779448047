"""Stream integrity problems: what a reducer reports when events contradict each other.

A reducer never crashes on an impossible stream (a negative choice index, a tool call
whose id changes mid-stream, a delta aimed at an item of another kind...). It records
the problem and, depending on its policy (``index_policy``, ``sequence_policy``:
one :data:`IntegrityPolicy` each, named after what they check), also warns
(``StreamIntegrityWarning``) or raises (``StreamIntegrityError``).

Records are bounded: the first :data:`MAX_RECORDED_ISSUES` are kept in full and the
rest only counted, so a stream repeating one fault forever cannot exhaust memory.
"""

from __future__ import annotations

import abc
import warnings
from typing import Final, Literal, TypeAlias, TypeVar

from streamkit.errors import StreamIntegrityError, StreamIntegrityWarning

__all__ = ["IntegrityPolicy", "StreamIntegrityError", "StreamIntegrityWarning"]

IntegrityPolicy: TypeAlias = Literal["ignore", "warn", "raise"]
"""What a reducer does on an integrity issue besides recording it: nothing, warn, raise."""

#: How many integrity records a reducer keeps in full; later ones are only counted.
MAX_RECORDED_ISSUES: Final = 100

_POLICIES: Final = ("ignore", "warn", "raise")

_T = TypeVar("_T")


def check_policy(name: str, value: object) -> IntegrityPolicy:
    """``value`` if it is a valid :data:`IntegrityPolicy`, else ``ValueError``."""
    if value not in _POLICIES:
        raise ValueError(f"{name} must be 'ignore', 'warn' or 'raise', not {value!r}")
    return value


def record_bounded(records: list[_T], record: _T) -> None:
    """Append ``record`` unless ``records`` already holds ``MAX_RECORDED_ISSUES``."""
    if len(records) < MAX_RECORDED_ISSUES:
        records.append(record)


class IntegrityReporter(abc.ABC):
    """Records integrity issues in the reducer's state and applies ``index_policy``.

    The state keeps the first ``MAX_RECORDED_ISSUES`` descriptions
    (:meth:`_integrity_issues`) and the total count (:meth:`_count_issue`).
    """

    __slots__ = ()
    index_policy: IntegrityPolicy

    @abc.abstractmethod
    def _integrity_issues(self) -> list[str]:
        """The reducer's list of recorded issues (in its state)."""

    @abc.abstractmethod
    def _count_issue(self) -> None:
        """Add one to the reducer's total count of issues (in its state)."""

    @abc.abstractmethod
    def _event_count(self) -> int:
        """How many events the reducer has stepped."""

    def _issue(self, message: str, *, event_type: str | None, stacklevel: int = 2) -> None:
        """Record ``message``; warn or raise per ``index_policy``.

        ``stacklevel`` counts frames from the caller of ``_issue`` up to whoever called
        ``step()``, so that warnings point at user code rather than at the reducer.
        """
        record_bounded(self._integrity_issues(), message)
        self._count_issue()
        policy = self.index_policy
        if policy == "raise":
            raise StreamIntegrityError(
                message, index=self._event_count() - 1, event_type=event_type
            )
        if policy == "warn":
            warnings.warn(message, StreamIntegrityWarning, stacklevel=stacklevel + 1)

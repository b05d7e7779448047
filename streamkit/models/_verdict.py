"""How a stream ended: the verdict every reduced final object carries."""

from __future__ import annotations

from typing import Any, Final, Literal

import msgspec

__all__ = ["Verdict", "VerdictStatus", "HasVerdict"]

VerdictStatus = Literal[
    "in_progress", "completed", "incomplete", "failed", "errored", "truncated", "unterminated"
]

_KEY: Final = "_streamkit_verdict"


class Verdict(msgspec.Struct, kw_only=True, frozen=True):
    """How a stream ended.

    ``status`` is one of:

    * ``"completed"``: the stream reached its normal end (``response.completed``;
      for Chat/Completions every choice finished normally and ``[DONE]`` came);
    * ``"incomplete"``: the server stopped early; ``reason`` says why
      (``max_output_tokens``, ``content_filter``, ``length``, ...);
    * ``"failed"``: ``response.failed``; ``error`` holds the server's error;
    * ``"errored"``: an in-stream error event or error payload; ``error`` holds it;
    * ``"truncated"``: the bytes ended before any terminal event (a cut stream);
    * ``"unterminated"``: Chat/Completions only: every choice got its
      ``finish_reason`` (the content is complete) but the bytes ended without
      ``data: [DONE]``, so chunks sent after the last finish reason, such as
      the usage chunk of ``stream_options.include_usage``, may be lost
      (``reason``: ``"no [DONE] after finish_reason"``);
    * ``"in_progress"``: the reducer has not been told the stream ended.

    Only ``completed`` is success (``ok``): a stream whose end was not seen is
    never reported as one.

    ``last_sequence_number`` is the last Responses ``sequence_number`` seen
    (where resumption would start), ``events`` the number of events folded.
    """

    status: VerdictStatus
    reason: str | None = None
    error: Any = None
    last_sequence_number: int | None = None
    events: int = 0

    @property
    def ok(self) -> bool:
        """True only for a stream that completed normally."""
        return self.status == "completed"


_NOT_REDUCED: Final = Verdict(status="in_progress", reason="not reduced from a stream")


class HasVerdict:
    """Mixin for final objects: ``obj.verdict`` is set when a reducer built it.

    The verdict lives in the instance ``__dict__`` (the Struct is declared with
    ``dict=True``), so it is neither a JSON field nor part of equality.
    """

    __slots__ = ()

    @property
    def verdict(self) -> Verdict:
        """How the stream that produced this object ended.

        An object that no reducer built (decoded from JSON, made by hand) has
        ``Verdict(status="in_progress", reason="not reduced from a stream")``.
        """
        got: Verdict = self.__dict__.get(_KEY, _NOT_REDUCED)
        return got

    def _set_verdict(self, verdict: Verdict) -> None:
        self.__dict__[_KEY] = verdict

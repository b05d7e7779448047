"""How a stream ended: the verdict every reduced final object carries."""

from __future__ import annotations

from typing import Any, Final, Literal

import msgspec

__all__ = ["Verdict", "VerdictStatus", "HasVerdict", "ServerError"]

VerdictStatus = Literal[
    "in_progress", "completed", "incomplete", "failed", "errored", "truncated", "unterminated"
]

_KEY: Final = "_streamkit_verdict"


class ServerError(msgspec.Struct, kw_only=True, frozen=True):
    """A server's error, in one shape for every API.

    ``type`` is the kind of error (``server_error``, ``overloaded_error``,
    ...), ``code`` a machine-readable code (a string, or an integer some
    servers send), ``message`` the human-readable text and ``param`` the
    request parameter at fault; each is None when the server did not say.
    ``raw`` is the error as it was decoded, as JSON builtins: the whole event
    or payload for an ``error`` event and an ``{"error": ...}`` payload, the
    response's ``error`` object for ``response.failed`` (fields streamkit does
    not model are not kept).

    ``ServerError.from_event`` builds one from any of the APIs' shapes.
    """

    type: str | None = None
    code: str | int | None = None
    message: str | None = None
    param: str | None = None
    raw: dict[str, Any] | None = None

    @classmethod
    def from_event(cls, error: Any) -> ServerError:
        """The ``ServerError`` of an error in any of its shapes (a typed event,
        a model, or the same as a JSON ``dict``):

        * a Responses ``error`` event: ``code``, ``message`` and ``param`` at
          the top (the spec), or in a nested ``error`` object (as servers send
          it), where ``type`` is too;
        * a ``response.failed`` event: its response's ``error``;
        * a Chat / Completions ``{"error": {...}}`` payload;
        * a Messages ``error`` event: ``{"type": "error", "error": {"type",
          "message"}}``;
        * an error object itself (a response's ``error``, a payload's detail).

        A field set at the top wins over the nested one; ``type: "error"`` at
        the top of an event is the event's own type, not a kind of error.
        """
        data = error if isinstance(error, dict) else msgspec.to_builtins(error)
        if not isinstance(data, dict):
            return cls(message=None if data is None else str(data))
        response = data.get("response")
        if isinstance(response, dict):  # response.failed: the error is the response's
            failed = response.get("error")
            return cls.from_event(failed) if isinstance(failed, dict) else cls()
        nested = data.get("error")
        inner: dict[str, Any] = nested if isinstance(nested, dict) else {}
        if isinstance(nested, str):  # {"error": "text"}, as some proxies send
            inner = {"message": nested}
        outer = {k: v for k, v in data.items() if k != "type" or v != "error"}
        if inner:
            outer.pop("type", None)  # the nested object says what kind it is

        def pick(name: str, kind: type[Any] | tuple[type[Any], ...] = str) -> Any:
            for source in (outer, inner):
                value = source.get(name)
                if isinstance(value, kind) and not isinstance(value, bool):
                    return value
            return None

        return cls(
            type=pick("type"),
            code=pick("code", (str, int)),
            message=pick("message"),
            param=pick("param"),
            raw=data,
        )

    def describe(self) -> str:
        """``message (code='...')``: the error in one line."""
        message = self.message or "no message"
        return f"{message} (code={self.code!r})" if self.code is not None else message


class Verdict(msgspec.Struct, kw_only=True, frozen=True):
    """How a stream ended.

    ``status`` is one of:

    * ``"completed"``: the stream reached its normal end (``response.completed``;
      for Chat/Completions every choice finished normally and ``[DONE]`` came);
    * ``"incomplete"``: the server stopped early; ``reason`` says why
      (``max_output_tokens``, ``content_filter``, ``length``, ...);
    * ``"failed"``: ``response.failed``; ``error`` holds the server's error
      (None when the response carried none);
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

    ``error`` is a :class:`ServerError`, the same for every API. ``last_sequence_number``
    is the last Responses ``sequence_number`` seen (where resumption would
    start), ``events`` the number of events folded. ``describe()`` says all
    of it in one line.
    """

    status: VerdictStatus
    reason: str | None = None
    error: ServerError | None = None
    last_sequence_number: int | None = None
    events: int = 0

    @property
    def ok(self) -> bool:
        """True only for a stream that completed normally."""
        return self.status == "completed"

    def describe(self) -> str:
        """How the stream ended, in one line (``stream incomplete: length``,
        ``stream errored: server error: Overloaded (code='busy')``, ...)."""
        status = self.status
        if status == "incomplete":
            return f"stream incomplete: {self.reason or 'no reason given'}"
        if status in ("failed", "errored"):
            detail = self.error.describe() if self.error is not None else "no details"
            return f"stream {status}: server error: {detail}"
        if status == "unterminated":
            return (
                "stream unterminated: every choice finished, but the bytes ended without "
                "[DONE] (a usage chunk sent after the last finish_reason may be lost)"
            )
        if status == "truncated":
            last = self.last_sequence_number
            where = f" after sequence_number {last}" if last is not None else ""
            return f"stream truncated: the bytes ended before its terminal event{where}"
        if status == "in_progress" and self.reason:
            return f"stream in_progress: {self.reason}"
        return f"stream {status}"


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

"""The ``streamkit`` command line.

Commands (``streamkit COMMAND --help`` for each; FILE may be ``-`` for standard input,
or ``@NAME`` for a demo stream streamkit generates, such as ``@responses-text``):

* ``events FILE``: the typed events, one JSON object per line (``--types``, ``--api``);
* ``reduce FILE``: the final object as JSON (``--verify``: compare the fold with the
  server's final values);
* ``text FILE``: the output text as it streams (``--live`` paced at ``--rate`` events/s);
* ``stats FILE...``: API, events by type, bytes, verdict, usage, integrity (``--json``);
* ``frames FILE``: the SSE frames, one JSON object per line;
* ``replay FILE...``: the recordings served as a local OpenAI-compatible endpoint
  (needs uvicorn: ``pip install 'streamkit[server]'``);
* ``demo``: a generated stream through the whole pipeline, offline (``--stream NAME``).

Errors go to stderr as ``streamkit: <message>``. Exit codes:

===  =========================  ================================================================
  0  ``EXIT_OK``                success: the stream completed
  1  ``EXIT_STREAM_ERROR``      bytes or payloads that cannot be decoded
  2  ``EXIT_USAGE``             bad arguments, file not found or unreadable, missing extra
  3  ``EXIT_INCOMPLETE``        the server stopped early (``max_output_tokens``, ``length``)
  4  ``EXIT_API_ERROR``         the stream reported an error (``response.failed``, ``error``)
  5  ``EXIT_TRUNCATED``         the bytes ended before the stream's terminal event or ``[DONE]``
  6  ``EXIT_DIVERGED``          ``reduce --verify``: the fold differs from the server's values
  7  ``EXIT_NOT_EVENT_STREAM``  no server-sent events in the input (an HTML or JSON body)
  8  ``EXIT_ADDRESS_IN_USE``    ``replay``: another process listens on ``--host``/``--port``
130  ``EXIT_INTERRUPTED``       interrupted (Ctrl-C)
===  =========================  ================================================================

``reduce`` and ``text`` exit with the code of the stream's verdict (with ``--verify``, a
divergence gives 6 whatever the verdict); ``events`` exits 4 when the stream carried an
error event; ``frames`` exits 5 when the bytes end inside an event; ``stats`` exits 0
when every stream was read, whatever the verdicts. ``events``, ``reduce``, ``text`` and
``stats`` exit 7 for input that is not an event stream (``reduce`` then prints no object).
``replay`` exits 2 when uvicorn is missing and 8 when its address is in use. A name
``--types`` does not know and a ``--choice`` the stream does not have are usage errors
(2), not empty output. A closed pipe (``| head``) ends a command quietly.
"""

from __future__ import annotations

from ._cli import (
    EXIT_ADDRESS_IN_USE,
    EXIT_API_ERROR,
    EXIT_CODES,
    EXIT_DIVERGED,
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_NOT_EVENT_STREAM,
    EXIT_OK,
    EXIT_STREAM_ERROR,
    EXIT_TRUNCATED,
    EXIT_USAGE,
    build_parser,
    main,
)

__all__ = [
    "EXIT_ADDRESS_IN_USE",
    "EXIT_API_ERROR",
    "EXIT_CODES",
    "EXIT_DIVERGED",
    "EXIT_INCOMPLETE",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_EVENT_STREAM",
    "EXIT_OK",
    "EXIT_STREAM_ERROR",
    "EXIT_TRUNCATED",
    "EXIT_USAGE",
    "build_parser",
    "main",
]

if __name__ == "__main__":
    raise SystemExit(main())

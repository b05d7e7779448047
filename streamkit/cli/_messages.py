"""Library errors as the command line words them.

The library's messages speak Python (``pass api='responses'``); on the command
line the same advice is an option (``--api responses``). ``describe`` keeps
what an error says about where it happened and the bytes involved, and
rewords only the advice.
"""

from __future__ import annotations

import re

from streamkit.errors import EventTooLargeError, StreamError

__all__ = ["cli_wording", "describe"]

# A keyword argument the command line has as an option with the same values.
_API_ARGUMENT = re.compile(r"\bapi=(['\"])([\w.-]+)\1")
_PASS = re.compile(r"\bpass (--api\b)")


def cli_wording(message: str) -> str:
    """``message`` with Python-phrased advice reworded for the command line:
    ``api='chat'`` becomes ``--api chat`` and "pass --api" becomes "use --api"."""
    return _PASS.sub(r"use \1", _API_ARGUMENT.sub(r"--api \2", message))


def describe(exc: BaseException) -> str:
    """The one-line message the command line prints for ``exc`` (after
    ``streamkit: ``): the error's own text, its advice in command-line terms.
    No class or module name: the message says what happened and where."""
    text = str(exc)
    if not isinstance(exc, StreamError):
        return text
    if isinstance(exc, EventTooLargeError):
        # The limit is a parameter of the library's decoder, not an option here.
        reworded = (
            f"event exceeds the limit of {exc.limit:,} bytes per event "
            f"(at least {exc.size:,} bytes buffered)"
        )
    else:
        reworded = cli_wording(exc.message)
    # Only the message itself is reworded: the excerpt of the stream's bytes that
    # follows it is shown as it is.
    return text.replace(exc.message, reworded, 1) if exc.message else text

"""Fold an OpenAI Responses stream into the final :class:`Response`.

:class:`ResponseReducer` builds the response from the deltas, not by copying
``response.completed``: the lifecycle events give the top-level fields, the
item and part events build ``output``. The server's ``*.done`` values and
``response.output_item.done`` items win over the deltas (they are the server's
full values), but a stream stripped of every ``*.done`` event gives the same
text, arguments, code and reasoning as the full one.

Values taken from the terminal response rather than the fold, and why, are
listed in ``_reducer._SERVER_FINAL_FIELDS`` and ``ResponseReducer._merge_final``.
"""

from streamkit.reducers.responses._reducer import (
    ResponseEvent,
    ResponseReducer,
    SequenceIntegrityError,
)
from streamkit.reducers.responses._state import Divergence, ResponseReducerState, SequenceIssue

__all__ = [
    "Divergence",
    "ResponseEvent",
    "ResponseReducer",
    "ResponseReducerState",
    "SequenceIntegrityError",
    "SequenceIssue",
]

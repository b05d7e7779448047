"""Reducers: fold typed events into final objects and summaries.

The final-object reducers (``ResponseReducer``, ``ChatCompletionReducer``,
``CompletionReducer``), small reducers (``OutputText``, ``ToolCalls``,
``Usage``, ``Timing``), combinators (``combine``, ``filter_events``,
``map_events``, ``tap``, ``scan``), ``fold`` for plain functions, and
``PartialJSON`` for reading streaming tool arguments.
"""

from ._base import Reducer, StatefulReducer, fold
from ._combinators import Combined, Named, combine, filter_events, map_events, scan, tap
from ._finished import (
    Finished,
    ItemDone,
    ReasoningSummaryDone,
    RefusalDone,
    TextDone,
    ToolCallDone,
)
from ._integrity import IndexPolicy, StreamIntegrityError, StreamIntegrityWarning
from ._partial_json import PartialJSON
from ._small import OutputText, Timing, TimingStats, ToolCallProgress, ToolCalls, Usage
from .chat import ChatCompletionReducer
from .completions import CompletionReducer
from .responses import Divergence, ResponseReducer, SequenceIntegrityError, SequenceIssue

__all__ = [
    "ChatCompletionReducer",
    "Combined",
    "CompletionReducer",
    "Divergence",
    "Finished",
    "IndexPolicy",
    "ItemDone",
    "Named",
    "OutputText",
    "PartialJSON",
    "ReasoningSummaryDone",
    "Reducer",
    "RefusalDone",
    "ResponseReducer",
    "SequenceIntegrityError",
    "SequenceIssue",
    "StatefulReducer",
    "StreamIntegrityError",
    "StreamIntegrityWarning",
    "TextDone",
    "Timing",
    "TimingStats",
    "ToolCallDone",
    "ToolCallProgress",
    "ToolCalls",
    "Usage",
    "combine",
    "filter_events",
    "fold",
    "map_events",
    "scan",
    "tap",
]

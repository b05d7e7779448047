"""Reducers: fold typed events into final objects and summaries.

The final-object reducers (``ResponseReducer``, ``ChatCompletionReducer``,
``CompletionReducer``, ``MessageReducer`` for Anthropic Messages), small
reducers (``OutputText``, ``ToolCalls``, ``Usage``, ``Timing``), combinators
(``combine``, ``filter_events``, ``map_events``, ``tap``, ``scan``), ``fold``
for plain functions, and ``PartialJSON`` for reading streaming tool arguments.
"""

from ._base import Reducer, StatefulReducer, fold
from ._combinators import Combined, Named, combine, filter_events, map_events, scan, tap
from ._finished import (
    Finished,
    ItemDone,
    ReasoningSummaryDone,
    RefusalDone,
    TextDone,
    ThinkingDone,
    ToolCallDone,
)
from ._integrity import (
    IndexPolicy,
    IntegrityPolicy,
    StreamIntegrityError,
    StreamIntegrityWarning,
)
from ._partial_json import PartialJSON
from ._small import OutputText, Timing, TimingStats, ToolCallProgress, ToolCalls, Usage
from .chat import ChatCompletionReducer
from .completions import CompletionReducer
from .messages import MessageReducer, MessageReducerState, merge_usage
from .responses import Divergence, ResponseReducer, SequenceIntegrityError, SequenceIssue

__all__ = [
    "ChatCompletionReducer",
    "Combined",
    "CompletionReducer",
    "Divergence",
    "Finished",
    "IndexPolicy",
    "IntegrityPolicy",
    "ItemDone",
    "MessageReducer",
    "MessageReducerState",
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
    "ThinkingDone",
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
    "merge_usage",
    "scan",
    "tap",
]

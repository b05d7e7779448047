"""Reducers: fold typed events into final objects and summaries.

The final-object reducers (``ResponseReducer``, ``ChatCompletionReducer``,
``CompletionReducer``, ``MessageReducer`` for Anthropic Messages), small
reducers (``TextReducer``, ``ToolCallsReducer``, ``UsageReducer``, ``TimingReducer``), combinators
(``combine``, ``filter_events``, ``map_events``, ``tap``, ``scan``), ``fold``
for plain functions, and ``PartialJSON`` for reading streaming tool arguments.
"""

from streamkit.reducers._base import Reducer, StatefulReducer, fold
from streamkit.reducers._combinators import (
    Combined,
    Named,
    combine,
    filter_events,
    map_events,
    scan,
    tap,
)
from streamkit.reducers._finished import (
    Finished,
    ItemDone,
    ReasoningSummaryDone,
    RefusalDone,
    TextDone,
    ThinkingDone,
    ToolCallDone,
)
from streamkit.reducers._integrity import (
    IndexPolicy,
    IntegrityPolicy,
    StreamIntegrityError,
    StreamIntegrityWarning,
)
from streamkit.reducers._partial_json import PartialJSON
from streamkit.reducers._small import (
    TextReducer,
    TimingReducer,
    TimingStats,
    ToolCallProgress,
    ToolCallsReducer,
    UsageReducer,
)
from streamkit.reducers.chat import ChatCompletionReducer
from streamkit.reducers.completions import CompletionReducer
from streamkit.reducers.messages import MessageReducer, MessageReducerState, merge_usage
from streamkit.reducers.responses import (
    Divergence,
    ResponseReducer,
    SequenceIntegrityError,
    SequenceIssue,
)

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
    "TextReducer",
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
    "TimingReducer",
    "TimingStats",
    "ToolCallDone",
    "ToolCallProgress",
    "ToolCallsReducer",
    "UsageReducer",
    "combine",
    "filter_events",
    "fold",
    "map_events",
    "merge_usage",
    "scan",
    "tap",
]

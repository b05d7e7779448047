"""Reducers: fold typed events into final objects and summaries.

The final-object reducers (``ResponseReducer``, ``ChatCompletionReducer``,
``CompletionReducer``, ``MessageReducer`` for Anthropic Messages), small
reducers (``TextReducer``, ``ToolCallsReducer``, ``UsageReducer``, ``TimingReducer``), combinators
(``combine``, ``filter_events``, ``map_events``, ``tap``, ``scan``), ``fold``
for plain functions, and ``PartialJSON`` for reading streaming tool arguments.
"""

from __future__ import annotations

from streamkit.reducers import (
    _base,
    _combinators,
    _finished,
    _integrity,
    _partial_json,
    _small,
    chat,
    completions,
    messages,
    responses,
)
from streamkit.reducers._base import *
from streamkit.reducers._combinators import *
from streamkit.reducers._finished import *
from streamkit.reducers._integrity import *
from streamkit.reducers._partial_json import *
from streamkit.reducers._small import *
from streamkit.reducers.chat import *
from streamkit.reducers.completions import *
from streamkit.reducers.messages import *
from streamkit.reducers.responses import *

# Built from the modules' own lists: a name is declared public once, where it is defined.
__all__: list[str] = []
__all__ += _base.__all__
__all__ += _combinators.__all__
__all__ += _finished.__all__
__all__ += _integrity.__all__
__all__ += _partial_json.__all__
__all__ += _small.__all__
__all__ += chat.__all__
__all__ += completions.__all__
__all__ += messages.__all__
__all__ += responses.__all__

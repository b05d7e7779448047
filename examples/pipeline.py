"""Declare a pipeline instead of writing a loop: one pass over a stream
computes the text, the tool calls, the usage and the timing, while a tap
prints the text as it streams.

    python examples/pipeline.py [FILE.sse]    # default: the responses-tools demo stream
"""

from __future__ import annotations

import sys
from typing import Any

import streamkit
from streamkit import (
    TextReducer,
    TimingReducer,
    ToolCallsReducer,
    UsageReducer,
    combine,
    filter_events,
    tap,
)
from streamkit.events import ResponseTextDeltaEvent
from streamkit.testing import demo_stream


def main(source: Any) -> dict[str, Any]:
    def show(event: ResponseTextDeltaEvent) -> None:
        print(event.delta, end="", flush=True)

    pipeline = combine(
        text=TextReducer(),
        tools=ToolCallsReducer(),
        usage=UsageReducer(),
        timing=TimingReducer(),
        # Only text deltas reach the printer.
        _live=filter_events(ResponseTextDeltaEvent, tap(show)),
    )
    result = pipeline.run(streamkit.iter_events(source))
    print()
    for call in result["tools"]:
        print(f"tool call: {call.name}({call.arguments})")
    print(f"usage: {result['usage']}")
    print(f"events: {result['timing'].events}")
    return result


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else demo_stream("responses-tools"))

"""Properties of ResponseReducer over the recordings (Hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_reducers_responses import (
    NAMES,
    fold,
    is_done_signal,
    needs_recordings,
    recording,
    text_view,
)

from streamkit.reducers._base import StatefulReducer
from streamkit.reducers.responses import ResponseReducer

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_is_a_stateful_reducer() -> None:
    reducer = ResponseReducer()
    assert isinstance(reducer, StatefulReducer)
    assert isinstance(reducer.state, ResponseReducer.State)
    with pytest.raises(ValueError):
        ResponseReducer(sequence_policy="loud")  # type: ignore[arg-type]


@needs_recordings
def test_assigning_the_state_drops_cached_results() -> None:
    events = recording("dd-trace-py__resp-text__1.sse")
    source, expected = fold(events)
    reducer = ResponseReducer(sequence_policy="ignore")
    reducer.run(events[:5])
    reducer.result()
    reducer.state = source.state
    assert reducer.result() == expected


@needs_recordings
@SETTINGS
@given(
    name=st.sampled_from(NAMES or ["-"]),
    cuts=st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=3),
    take_before=st.booleans(),
)
def test_checkpoint_restore_anywhere_gives_the_same_result(
    name: str, cuts: list[float], take_before: bool
) -> None:
    events = recording(name)
    expected, result = fold(events, verify=True)
    points = sorted({int(c * len(events)) for c in cuts})
    reducer = ResponseReducer(verify=True, sequence_policy="ignore")
    finished = []
    position = 0
    for point in points:
        for event in events[position:point]:
            reducer.step(event)
        position = point
        if take_before:
            finished.extend(reducer.take_finished())
        before = reducer.result()
        reducer = ResponseReducer.restore(
            reducer.checkpoint(), verify=True, sequence_policy="ignore"
        )
        assert reducer.result() == before
    restored = reducer.run(events[position:])
    finished.extend(reducer.take_finished())
    assert restored == result
    assert restored.verdict == result.verdict
    assert finished == expected.take_finished()
    assert reducer.divergences == expected.divergences == []
    assert reducer.sequence_issues == expected.sequence_issues
    assert reducer.state.events == len(events)


@needs_recordings
@SETTINGS
@given(
    name=st.sampled_from(NAMES or ["-"]),
    data=st.data(),
)
def test_reading_the_result_midway_changes_nothing(name: str, data: st.DataObject) -> None:
    """result() at arbitrary points (which joins and compacts text pieces)
    leaves the final result unchanged."""
    events = recording(name)
    _, expected = fold(events)
    reads = set(data.draw(st.lists(st.integers(0, len(events)), max_size=8)))
    reducer = ResponseReducer(sequence_policy="ignore")
    for i, event in enumerate(events):
        if i in reads:
            reducer.result()
        reducer.step(event)
    assert reducer.finish() == expected


@needs_recordings
@SETTINGS
@given(name=st.sampled_from(NAMES or ["-"]), drop=st.data())
def test_dropping_done_events_never_crashes_and_keeps_text(name: str, drop: st.DataObject) -> None:
    """Any subset of the `.done` events may be missing: the texts stay those
    of the full stream."""
    events = recording(name)
    _, full = fold(events)
    keep = [
        e
        for e in events
        if not is_done_signal(e) or drop.draw(st.booleans(), label=type(e).__name__)
    ]
    _, partial = fold(keep)
    assert text_view(partial) == text_view(full)

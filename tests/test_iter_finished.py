"""``iter_finished`` picks the reducer the way ``reduce`` does: payloads that tell
nothing of the API (a generic ``{"error": ...}`` payload, keep-alive comments) wait
for an event that does, so neither the reducer nor what it reports depends on how
the bytes were chunked."""

from __future__ import annotations

import functools
from typing import Any

from helpers import split_at
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import streamkit
from streamkit.io import iter_finished
from streamkit.reducers import Finished
from streamkit.testing import demo_stream

NAMES = [
    "responses-text",
    "responses-tools",
    "responses-reasoning",
    "chat-tools",
    "chat-refusal",
    "messages-tools",
    "messages-thinking",
]
ERROR = b'data: {"error":{"message":"rate limited, retrying","type":"server_error"}}\n\n'
KEEPALIVE = b": keep-alive\n\n"


def with_prefix(name: str, errors: int, keepalives: int) -> bytes:
    return KEEPALIVE * keepalives + ERROR * errors + demo_stream(name)


@functools.cache
def expected(name: str, errors: int) -> list[Finished]:
    """What the reducer of the stream's own API reports, fed one event at a time."""
    body = with_prefix(name, errors, 0)
    reducer: Any = streamkit.reducer_for(name.split("-")[0])  # type: ignore[call-overload]
    out: list[Finished] = []
    for event in streamkit.iter_events(body, errors="yield"):
        reducer.step(event)
        out.extend(reducer.take_finished())
    reducer.finish()
    out.extend(reducer.take_finished())
    return out


def test_every_stream_here_reports_something() -> None:
    for name in NAMES:
        assert expected(name, 0), name
        assert expected(name, 2) == expected(name, 0) or name.startswith("chat"), name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(NAMES),
    errors=st.integers(0, 3),
    keepalives=st.integers(0, 2),
    cuts=st.lists(st.integers(1, 4000), max_size=30),
    one_event_per_chunk=st.booleans(),
)
def test_iter_finished_picks_the_api_like_reduce_whatever_the_chunking(
    name: str, errors: int, keepalives: int, cuts: list[int], one_event_per_chunk: bool
) -> None:
    body = with_prefix(name, errors, keepalives)
    if one_event_per_chunk:
        chunks = [part + b"\n\n" for part in body.split(b"\n\n") if part]
    else:
        chunks = split_at(body, cuts)
    got = list(iter_finished(chunks))
    assert got == expected(name, errors)
    folded = streamkit.reduce(chunks)
    assert type(folded) is type(streamkit.reduce(demo_stream(name)))


def test_a_stream_of_undecided_events_only_is_folded_as_reduce_folds_it() -> None:
    body = ERROR * 2
    assert list(iter_finished([body[:10], body[10:]])) == list(iter_finished(body)) == []
    assert streamkit.reduce(body).verdict.status == "errored"


def test_an_empty_event_stream_reports_nothing() -> None:
    assert list(iter_finished(KEEPALIVE)) == []

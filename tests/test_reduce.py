"""streamkit.reduce / areduce: bytes → final object with its verdict."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from helpers import chunkings, random_chunks, recording_params, recording_paths
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import streamkit
from streamkit import ChatCompletion, Response, areduce, combine, iter_events, reduce
from streamkit.errors import (
    APIStreamError,
    EventDecodeError,
    IncompleteStreamError,
    TruncatedStreamError,
)
from streamkit.events import ResponseCompletedEvent
from streamkit.io._reduce import fold_stream
from streamkit.testing import demo_stream

PATHS = recording_paths()
RESPONSES = recording_paths("responses")


@pytest.mark.recordings
@pytest.mark.parametrize("path", recording_params(PATHS))
def test_reduce_every_recording_at_every_chunking(path: Path) -> None:
    data = path.read_bytes()
    results = [reduce(chunks) for _, chunks in chunkings(data, bytewise=False, seed=7)]
    first = results[0]
    assert all(r == first and r.verdict == first.verdict for r in results[1:])
    assert first.verdict is not None and first.verdict.status != "truncated"
    if path.parent.name == "chat":
        assert isinstance(first, ChatCompletion)
        return
    assert isinstance(first, Response)
    completed = [
        e for e in iter_events(data, errors="yield") if isinstance(e, ResponseCompletedEvent)
    ]
    if completed:
        # The fold (from the deltas) equals the server's own final object.
        assert first == completed[-1].response
        assert first.verdict.status == "completed"


@pytest.mark.recordings
def test_cut_stream_is_truncated_never_success() -> None:
    data = next(p for p in RESPONSES if "resp-text__3" in p.name).read_bytes()
    cut = data[: len(data) // 2]
    result = reduce(cut)
    assert result.verdict is not None
    assert result.verdict.status == "truncated" and not result.verdict.ok
    assert result.verdict.last_sequence_number is not None
    with pytest.raises(TruncatedStreamError) as info:
        reduce(cut, strict=True)
    assert info.value.partial == result
    assert "sequence_number" in str(info.value)


@pytest.mark.recordings
def test_incomplete_chat_is_reported_and_strict_raises() -> None:
    paths = [p for p in PATHS if "max-tokens" in p.name]
    assert paths, "no recording of a stream stopped by max_tokens"
    result = reduce(paths[0])
    assert result.verdict is not None and result.verdict.status == "incomplete"
    assert result.verdict.reason == "length"
    with pytest.raises(IncompleteStreamError):
        reduce(paths[0], strict=True)


@pytest.mark.recordings
def test_failed_stream_strict_raises_api_error() -> None:
    paths = [p for p in PATHS if "resp-failed" in p.name]
    assert paths, "no recording of a failed response"
    result = reduce(paths[0])
    assert result.verdict is not None and result.verdict.status in ("failed", "errored")
    with pytest.raises(APIStreamError) as info:
        reduce(paths[0], strict=True)
    assert info.value.partial == result


def test_decode_error_keeps_what_was_reduced() -> None:
    body = (
        b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
        b'"choices":[{"index":0,"delta":{"content":"kept"},"finish_reason":null}]}\n\n'
        b"data: {broken\n\n"
    )
    with pytest.raises(EventDecodeError) as info:
        reduce(body)
    partial = info.value.partial
    assert isinstance(partial, ChatCompletion)
    assert partial.choices[0].message.content == "kept"
    assert partial.verdict is not None and partial.verdict.status == "truncated"


def test_empty_stream() -> None:
    # Empty input is no event stream; keep-alives alone are a stream cut before its
    # first event.
    with pytest.raises(streamkit.errors.NotEventStreamError, match="the input is empty"):
        reduce(b"")
    result = reduce(b": keep-alive\n\n")
    assert result.verdict is not None and result.verdict.status == "truncated"


@pytest.mark.recordings
@pytest.mark.anyio
async def test_areduce_matches_reduce() -> None:
    sample = PATHS[:: max(1, len(PATHS) // 12)]
    assert len(sample) >= 12
    for path in sample:
        data = path.read_bytes()

        async def source(data: bytes = data):  # type: ignore[no-untyped-def]
            for chunk in random_chunks(data, seed=1, hi=500):
                yield chunk

        got = await areduce(source())
        want = reduce(data)
        assert got == want and got.verdict == want.verdict


@pytest.mark.recordings
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10**6), st.data())
def test_combined_reducers_equal_separate_runs(seed: int, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(PATHS))
    raw = path.read_bytes()
    events = list(iter_events(random_chunks(raw, seed=seed, hi=300), errors="yield"))
    api = "chat" if path.parent.name == "chat" else "responses"
    together = combine(
        streamkit.reducer_for(api),
        streamkit.TextReducer(),
        streamkit.ToolCallsReducer(),
        streamkit.UsageReducer(),
    ).run(events)
    separate = tuple(
        r.run(events)
        for r in (
            streamkit.reducer_for(api),
            streamkit.TextReducer(),
            streamkit.ToolCallsReducer(),
            streamkit.UsageReducer(),
        )
    )
    assert together == separate


@pytest.mark.recordings
def test_iter_finished_reports_each_tool_call_once_with_parsed_arguments() -> None:
    from streamkit.reducers import TextDone, ToolCallDone

    calls_compared = texts_compared = 0
    for path in PATHS:
        finished = list(streamkit.io.iter_finished(path.read_bytes()))
        calls = [f for f in finished if isinstance(f, ToolCallDone) and f.kind == "function"]
        expected = [
            c
            for c in streamkit.ToolCallsReducer().run(iter_events(path, errors="yield"))
            if c.kind == "function"
        ]
        assert sorted((c.call_id or "", c.arguments) for c in calls) == sorted(
            (c.call_id or "", c.arguments) for c in expected
        ), path.name
        calls_compared += len(expected)
        texts = "".join(f.text for f in finished if isinstance(f, TextDone))
        if path.parent.name == "responses" and reduce(path).verdict.ok:  # type: ignore[union-attr]
            assert texts == streamkit.TextReducer().run(iter_events(path, errors="yield")), (
                path.name
            )
            texts_compared += bool(texts)
    assert calls_compared > 0 and texts_compared > 0


def test_auto_api_from_an_unknown_first_event() -> None:
    # A Responses stream that opens with an event type streamkit does not know
    # is still folded by the Responses reducer.
    head = b'event: response.brand_new\ndata: {"type":"response.brand_new"}\n\n'
    body = head + demo_stream("responses-text")
    result = streamkit.reduce(body)
    assert isinstance(result, streamkit.Response)
    assert result.verdict.status == "completed"


# --------------------------------------------------------------------------- #
# fold_stream: the same fold, for callers that want more than the object
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("name", ["responses-tools", "chat-text", "messages-thinking"])
def test_fold_stream_is_the_fold_of_reduce(name: str) -> None:
    data = demo_stream(name)
    seen: list[object] = []
    folded = fold_stream(random_chunks(data, seed=3), on_event=seen.append)
    final = reduce(data)
    assert folded.result == final and folded.result.verdict == final.verdict
    assert folded.api == name.split("-")[0] and folded.error is None
    assert folded.bytes == len(data) and folded.events == len(seen)
    assert seen == list(iter_events(data, errors="yield"))
    assert type(folded.reducer) is type(streamkit.reducer_for(folded.api))


def test_an_on_event_error_ends_the_pass_after_its_event_was_folded() -> None:
    data = demo_stream("chat-text")
    calls: list[object] = []

    def third(event: object) -> None:
        calls.append(event)
        if len(calls) % 3 == 0:
            raise RuntimeError("enough")

    # Not a StreamError: it propagates, unless stop_on names it.
    with pytest.raises(RuntimeError):
        fold_stream(data, on_event=third)
    calls.clear()
    folded = fold_stream(data, on_event=third, stop_on=Exception)
    assert isinstance(folded.error, RuntimeError)
    assert folded.events == 3 and folded.result.verdict.status == "truncated"


def test_fold_stream_returns_a_decoding_error_with_the_object_before_it() -> None:
    good = demo_stream("chat-text")
    cut = good.index(b"data:", 500)
    data = good[:cut] + b"data: {broken\n\n" + good[cut:]
    folded = fold_stream(data)
    assert isinstance(folded.error, EventDecodeError)
    assert folded.error.partial is folded.result
    assert folded.result.verdict.status == "truncated" and folded.events > 0
    html = fold_stream(b"<html>502</html>")
    assert isinstance(html.error, streamkit.errors.NotEventStreamError)
    assert (html.api, html.events, html.result.verdict.status) == ("chat", 0, "truncated")
    assert fold_stream(b"<html>502</html>", "messages").api == "messages"


def test_fold_stream_policy_reaches_every_integrity_check() -> None:
    data = demo_stream("responses-text")
    # The same sequence number twice: a duplicate.
    first = data.index(b'"sequence_number":3')
    data = data[:first] + data[first:].replace(b'"sequence_number":4', b'"sequence_number":3', 1)
    with pytest.warns(streamkit.errors.StreamIntegrityWarning):
        fold_stream(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = fold_stream(data, policy="ignore")
    assert [i.kind for i in quiet.reducer.sequence_issues] == ["duplicate", "gap"]
    with pytest.raises(streamkit.errors.StreamIntegrityError):
        streamkit.reducer_for("responses", policy="raise").run(iter_events(data))

"""Every input gets a true answer: input that is no event stream, Chat/Completions
streams without ``[DONE]``, numbers re-encoded as sent, and errors that say at which
byte they happened."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from helpers import chunkings, random_chunks, recording_params, recording_paths
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import streamkit
from streamkit import ChatCompletion, Completion, SSEDecoder, StreamError, cli, encode_events
from streamkit.errors import (
    APIMismatchError,
    APIStreamError,
    EventDecodeError,
    EventTooLargeError,
    IncompleteStreamError,
    NotEventStreamError,
    TruncatedStreamError,
    UnexpectedEventError,
)
from streamkit.events import Done, ResponseCompletedEvent, encode_event
from streamkit.testing import demo_stream

PATHS = recording_paths()
CHAT = recording_paths("chat")

# --------------------------------------------------------------------------- #
# Streams built here
# --------------------------------------------------------------------------- #


def sse(payload: dict[str, Any] | str, eol: str = "\n", event: str | None = None) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload)
    head = f"event: {event}{eol}" if event else ""
    return f"{head}data: {data}{eol}{eol}".encode()


def chat_chunk(
    content: str | None = None, finish: str | None = None, **fields: Any
) -> dict[str, Any]:
    choices = (
        []
        if fields.pop("no_choices", False)
        else [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]
    )
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1776381833,
        "model": "m",
        "choices": choices,
        **fields,
    }


USAGE = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
CHAT_BODY = [
    sse(chat_chunk("Hel")),
    sse(chat_chunk("lo")),
    sse(chat_chunk(None, "stop")),
    sse(chat_chunk(no_choices=True, usage=USAGE)),
]
DONE = b"data: [DONE]\n\n"


def completion_chunk(text: str, finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 1776381833,
        "model": "m",
        "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish}],
    }


def collect(source: Any, **options: Any) -> list[Any]:
    return list(streamkit.iter_events(source, **options))


async def acollect(source: Any, **options: Any) -> list[Any]:
    return [e async for e in streamkit.aiter_events(source, **options)]


async def achunks(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for c in chunks:
        yield c


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- #
# 1. Input that is not an event stream
# --------------------------------------------------------------------------- #

HTML = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>\n"
NOT_STREAMS = {
    "html": HTML,
    "json": b'{"a":1}',
    "json-error": b'{"error": {"message": "Incorrect API key provided", "type": "invalid"}}\n',
    "text": b"Internal Server Error",
    "random": random.Random(7).randbytes(3000),
    "empty": b"",
    "blank-lines": b"\n\r\n\n",
}


@pytest.mark.parametrize("data", list(NOT_STREAMS.values()), ids=list(NOT_STREAMS))
def test_not_an_event_stream_is_a_typed_error_everywhere(data: bytes) -> None:
    for name, chunks in chunkings(data, bytewise=len(data) < 200, seed=3):
        with pytest.raises(NotEventStreamError) as info:
            streamkit.reduce(chunks)
        exc = info.value
        assert isinstance(exc, StreamError), name
        assert str(exc).startswith("no server-sent events found; "), name
        assert (exc.offset, exc.index, exc.excerpt) == (0, 0, data[:80]), name
        assert exc.partial is None  # nothing is made up
        with pytest.raises(NotEventStreamError):
            collect(chunks)
        with pytest.raises(NotEventStreamError):
            list(streamkit.io.iter_frame_events(chunks))
        with pytest.raises(NotEventStreamError):
            list(streamkit.io.iter_finished(chunks))
        with pytest.raises(NotEventStreamError):
            streamkit.reduce(chunks, strict=True)  # not "truncated": not a stream at all
    assert streamkit.errors.NotEventStreamError is NotEventStreamError


@pytest.mark.anyio
async def test_not_an_event_stream_async() -> None:
    for data in NOT_STREAMS.values():
        chunks = random_chunks(data, seed=1) if data else []
        with pytest.raises(NotEventStreamError):
            await streamkit.areduce(achunks(chunks))
        with pytest.raises(NotEventStreamError):
            await acollect(achunks(chunks))
        with pytest.raises(NotEventStreamError):
            [p async for p in streamkit.io.aiter_frame_events(achunks(chunks))]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (HTML, "no server-sent events found; the input starts with '<!DOCTYPE html>'"),
        (b"", "no server-sent events found; the input is empty"),
        (b'{"a":1}', "no server-sent events found; the input starts with '{\"a\":1}'"),
        (
            b"\x00\x01bin\xff",
            "no server-sent events found; the input starts with '\\x00\\x01bin\ufffd'",
        ),
        (b"\n\nx", "no server-sent events found; the input starts with '\\n\\nx'"),
        (b"x" * 500, "no server-sent events found; the input starts with '" + "x" * 60 + "'..."),
    ],
)
def test_not_an_event_stream_message_quotes_the_start(data: bytes, message: str) -> None:
    with pytest.raises(NotEventStreamError) as info:
        streamkit.reduce(data)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "data",
    [
        b": keep-alive\n\n",
        b":\n:\n",
        b"\xef\xbb\xbf: ping\r\n\r\n",
        b"event: ping\n\n",
        b"retry: 1000\n\n",
        b"id: 7\n",
        b'data: {"id":"chatcmpl-1"',  # cut inside its first event
        b"data",
    ],
)
def test_a_stream_cut_before_its_first_event_is_truncated(data: bytes) -> None:
    """Comments (keep-alives) and SSE fields make an event stream, even without an
    event: such a stream was cut before its first event, as reduce reports."""
    for _, chunks in chunkings(data, seed=5):
        assert collect(chunks) == []
        result = streamkit.reduce(chunks)
        assert result.verdict is not None and result.verdict.status == "truncated"
        with pytest.raises(TruncatedStreamError):
            streamkit.reduce(chunks, strict=True)


def test_junk_before_the_events_does_not_hide_them() -> None:
    # An unknown field line is legal SSE and ignored; the events after it count.
    data = b"<html>\n" + b"".join(CHAT_BODY) + DONE
    result = streamkit.reduce(data)
    assert isinstance(result, ChatCompletion) and result.verdict is not None
    assert result.verdict.status == "completed"
    assert result.choices[0].message.content == "Hello"


@pytest.mark.parametrize("command", ["reduce", "events", "text", "stats"])
def test_cli_exit_code_for_input_that_is_no_event_stream(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(HTML)
    code, out, err = run_cli(capsys, command, str(page))
    assert code == cli.EXIT_NOT_EVENT_STREAM == 7
    assert "streamkit: " in err
    assert "no server-sent events found; the input starts with '<!DOCTYPE html>'" in err
    if command != "stats":
        assert out == ""  # no object, event or text is made up
    empty = tmp_path / "empty.sse"
    empty.write_bytes(b"")
    code, out, err = run_cli(capsys, command, str(empty))
    assert code == 7 and "no server-sent events found; the input is empty" in err
    assert cli.EXIT_CODES[7].startswith("not an event stream")


# --------------------------------------------------------------------------- #
# 2. Chat / Completions without [DONE]
# --------------------------------------------------------------------------- #


def test_chat_without_done_is_unterminated_not_completed() -> None:
    complete = b"".join(CHAT_BODY) + DONE
    result = streamkit.reduce(complete)
    assert result.verdict is not None and result.verdict.status == "completed"
    for body in (b"".join(CHAT_BODY), b"".join(CHAT_BODY[:3])):  # usage chunk lost, or not
        result = streamkit.reduce(body)
        assert result.verdict is not None
        assert result.verdict.status == "unterminated"
        assert result.verdict.reason == "no [DONE] after finish_reason"
        assert not result.verdict.ok
        assert result.choices[0].message.content == "Hello"  # the content is complete
        with pytest.raises(TruncatedStreamError) as info:
            streamkit.reduce(body, strict=True)
        assert info.value.partial == result
        assert info.value.verdict == result.verdict
        assert info.value.offset == len(body)  # where the bytes ended
        assert "[DONE]" in str(info.value)
    # Without a finish_reason the stream stays truncated.
    result = streamkit.reduce(b"".join(CHAT_BODY[:2]))
    assert result.verdict is not None and result.verdict.status == "truncated"


def test_chat_stopped_for_length_without_done_is_unterminated() -> None:
    body = sse(chat_chunk("x")) + sse(chat_chunk(None, "length"))
    result = streamkit.reduce(body)
    assert result.verdict is not None and result.verdict.status == "unterminated"
    result = streamkit.reduce(body + DONE)
    assert result.verdict is not None
    assert (result.verdict.status, result.verdict.reason) == ("incomplete", "length")


def test_completions_without_done_is_unterminated() -> None:
    body = sse(completion_chunk("Hi")) + sse(completion_chunk("!", "stop"))
    result = streamkit.reduce(body)
    assert isinstance(result, Completion) and result.verdict is not None
    assert (result.verdict.status, result.verdict.reason) == (
        "unterminated",
        "no [DONE] after finish_reason",
    )
    final = streamkit.reduce(body + DONE)
    assert final.verdict is not None and final.verdict.status == "completed"


@pytest.mark.recordings
@pytest.mark.parametrize("path", recording_params(CHAT))
def test_removing_done_from_a_recording_makes_it_unterminated(path: Path) -> None:
    data = path.read_bytes()
    frames = list(streamkit.io.iter_frames(data))
    kept = [f for f in frames if bytes(f.data) != b"[DONE]"]
    body = b"".join(
        encode_event(streamkit.events.UnknownEvent(type="", raw=bytes(f.data)), api="chat")
        for f in kept
    )
    full = streamkit.reduce(data)
    cut = streamkit.reduce(body)
    assert full.verdict is not None and cut.verdict is not None
    assert cut.choices == full.choices and cut.usage == full.usage
    assert cut.verdict.status == "unterminated"
    if len(kept) < len(frames):
        assert full.verdict.status in ("completed", "incomplete")


@pytest.mark.recordings
@pytest.mark.parametrize("path", recording_params(PATHS))
def test_a_cut_stream_is_never_reported_as_success(path: Path) -> None:
    """``verdict.ok`` only when the stream's end marker (``[DONE]``, or the
    terminal ``response.completed``) is among the bytes."""
    data = path.read_bytes()
    rng = random.Random(path.name)
    # Random cuts, and cuts inside the end marker, where success is closest.
    near_end = [len(data) - 1, len(data) - 2, data.rfind(b"[DONE]"), data.rfind(b"data: [DONE]")]
    cuts = sorted({len(data), *(rng.randrange(len(data)) for _ in range(12)), *near_end} - {-1})
    for cut in cuts:
        prefix = data[:cut]
        try:
            events = collect(prefix, errors="yield")
            result = streamkit.reduce(prefix)
        except NotEventStreamError:
            assert cut < 16  # too little of the first line to tell
            continue
        assert result.verdict is not None
        if result.verdict.ok:
            end = (
                Done if isinstance(result, ChatCompletion | Completion) else ResponseCompletedEvent
            )
            assert any(isinstance(e, end) for e in events), cut


# --------------------------------------------------------------------------- #
# 3. Numbers re-encode as the server sent them
# --------------------------------------------------------------------------- #


def numbers(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from numbers(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from numbers(v, f"{path}[{i}]")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, value


def same_numbers(original: bytes, encoded: bytes) -> None:
    """Every number of ``original`` that ``encoded`` still has is of the same type
    and value (unknown keys are dropped on encoding, so only common paths count)."""
    mine = dict(numbers(json.loads(encoded)))
    for path, value in numbers(json.loads(original)):
        if path in mine:
            assert type(mine[path]) is type(value) and mine[path] == value, path


RESPONSE_CREATED = (
    b'{"type":"response.created","sequence_number":0,"response":{"id":"resp_1",'
    b'"object":"response","created_at":1776381833,"status":"in_progress",'
    b'"completed_at":1776381840,"model":"gpt-4.1","output":[],"error":null,'
    b'"incomplete_details":null,"parallel_tool_calls":true,"temperature":1,'
    b'"top_p":0.95,"instructions":null,"metadata":{},"tools":[],"tool_choice":"auto"}}'
)


def test_integer_timestamps_and_sampling_numbers_stay_integers() -> None:
    (event,) = collect(sse(RESPONSE_CREATED.decode(), event="response.created"))
    encoded = encode_event(event)
    for text in (b'"created_at":1776381833,', b'"completed_at":1776381840,', b'"temperature":1,'):
        assert text in encoded
    assert b'"top_p":0.95' in encoded
    same_numbers(RESPONSE_CREATED, encoded.split(b"data: ", 1)[1])
    assert type(event.response.created_at) is int


def test_logprob_integers_stay_integers() -> None:
    token = {"token": "a", "logprob": 0, "bytes": [97], "top_logprobs": []}
    payload = chat_chunk("a") | {}
    payload["choices"][0]["logprobs"] = {
        "content": [token, token | {"logprob": -0.5}],
        "refusal": None,
    }
    (event,) = collect(sse(payload), api="chat")
    encoded = encode_event(event)
    assert b'"logprob":0,' in encoded and b'"logprob":-0.5,' in encoded


def test_reduce_output_keeps_integers(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = demo_stream("responses-text")
    final = streamkit.reduce(data)
    assert type(final.created_at) is int
    path = tmp_path / "stream.sse"
    path.write_bytes(data)
    code, out, _ = run_cli(capsys, "reduce", str(path))
    assert code == 0
    server = next(e for e in collect(data) if isinstance(e, ResponseCompletedEvent))
    assert f'"created_at":{server.response.created_at},'.encode() in out.encode()
    assert type(json.loads(out)["created_at"]) is int
    # Before any lifecycle event the placeholder says 0, an integer too.
    placeholder = streamkit.ResponseReducer().result()
    assert msgspec.json.encode(placeholder).startswith(
        b'{"id":"","object":"response","created_at":0,'
    )


@pytest.mark.recordings
@pytest.mark.parametrize("path", recording_params(PATHS))
def test_recordings_re_encode_numbers_as_sent(path: Path) -> None:
    frames = list(streamkit.io.iter_frame_events(path.read_bytes(), errors="yield"))
    assert frames
    for frame, event in frames:
        if isinstance(event, Done):
            continue
        encoded = encode_event(event)
        payload = encoded.split(b"data: ", 1)[1].rstrip(b"\n")
        same_numbers(bytes(frame.data), payload)


# --------------------------------------------------------------------------- #
# 4. Errors say where they happened
# --------------------------------------------------------------------------- #

GOOD = json.dumps(chat_chunk("x"))


@st.composite
def broken_streams(draw: st.DrawFn) -> tuple[bytes, int, int]:
    """A Chat stream with one bad event; returns (bytes, the bad event's index, the
    offset where it begins: right after the event before it, or 0 / 3 after a BOM)."""
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    count = draw(st.integers(1, 6))
    bad = draw(st.integers(0, count - 1))
    bom = draw(st.booleans())
    out = b"\xef\xbb\xbf" if bom else b""
    start = len(out)
    for i in range(count):
        block = ""
        if draw(st.booleans()):
            block += f": keep-alive{eol}"
            if draw(st.booleans()):
                block += eol  # a block of its own: it still counts toward this event
        if draw(st.booleans()):
            block += f"id: {i}{eol}"
        if i == bad:
            start = len(out)
            block += draw(
                st.sampled_from(
                    [
                        f"data: {{broken{eol}{eol}",
                        f"data: {{{eol}data: 1{eol}{eol}",  # two data lines
                        f"data: [1, 2]{eol}{eol}",
                    ]
                )
            )
        else:
            block += f"data: {GOOD}{eol}{eol}"
        out += block.encode()
    return out, bad, start


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_streams(), st.integers(0, 2**32), st.sampled_from([1, 7, 60, 400, 10**6]))
def test_decode_error_offset_is_where_the_event_begins(
    stream: tuple[bytes, int, int], seed: int, hi: int
) -> None:
    data, bad, start = stream
    chunks = random_chunks(data, seed=seed, hi=hi)
    with pytest.raises(EventDecodeError) as info:
        collect(chunks, api="chat")
    assert (info.value.index, info.value.offset) == (bad, start)
    assert f"at byte {start}" in str(info.value)
    with pytest.raises(EventDecodeError) as info:
        list(streamkit.io.iter_frame_events(chunks))
    assert (info.value.index, info.value.offset) == (bad, start)
    with pytest.raises(EventDecodeError) as info:
        streamkit.reduce(chunks)
    assert (info.value.index, info.value.offset) == (bad, start)
    assert bad == 0 or info.value.partial is not None


def test_decode_error_from_reduce_carries_the_offset() -> None:
    with pytest.raises(EventDecodeError) as info:
        streamkit.reduce(b'data: {"x"\n\n')
    assert (info.value.index, info.value.offset) == (0, 0)
    first = sse(chat_chunk("kept"))
    with pytest.raises(EventDecodeError) as info:
        streamkit.reduce(first + b": ping\n\ndata: {broken\n\n")
    assert (info.value.index, info.value.offset) == (1, len(first))
    assert str(info.value).startswith(f"event #1 (message) at byte {len(first)}: invalid JSON")


@pytest.mark.anyio
async def test_async_errors_carry_the_offset() -> None:
    first = sse(chat_chunk("kept"))
    data = first + b"data: {broken\n\n"
    chunks = random_chunks(data, seed=2, hi=20)
    with pytest.raises(EventDecodeError) as info:
        await acollect(achunks(chunks))
    assert info.value.offset == len(first)
    with pytest.raises(EventDecodeError) as info:
        await streamkit.areduce(achunks(chunks))
    assert info.value.offset == len(first)
    with pytest.raises(EventDecodeError) as info:
        [p async for p in streamkit.io.aiter_frame_events(achunks(chunks))]
    assert info.value.offset == len(first)


def test_api_mismatch_and_strict_errors_carry_the_offset() -> None:
    head = sse(chat_chunk("a"))
    data = head + sse(completion_chunk("b"))
    for _, chunks in chunkings(data, seed=4):
        with pytest.raises(APIMismatchError) as mismatch:
            collect(chunks)
        assert mismatch.value.offset == len(head)
    body = b"".join(CHAT_BODY) + DONE
    for _, chunks in chunkings(body + b"data: late\n\n", seed=4):
        with pytest.raises(UnexpectedEventError) as late:
            collect(chunks, strict=True)
        assert (late.value.index, late.value.offset) == (5, len(body))


def test_api_errors_carry_the_offset() -> None:
    head = sse(chat_chunk("a"))
    error = sse({"error": {"message": "overloaded", "type": "server_error", "code": None}})
    data = head + error + DONE
    for _, chunks in chunkings(data, seed=6):
        with pytest.raises(APIStreamError) as info:
            collect(chunks)
        assert (info.value.index, info.value.offset) == (1, len(head))
    # Through reduce (strict), the error is the verdict's: at the end of what was read.
    with pytest.raises(APIStreamError) as info:
        streamkit.reduce(data, strict=True)
    assert info.value.offset == len(data)


@pytest.mark.recordings
def test_server_errors_in_recordings_point_at_their_event() -> None:
    failed = [p for p in recording_paths("responses") if "resp-failed" in p.name]
    assert failed, "no recording of a failed response"
    for path in failed:
        raw = path.read_bytes()
        for name, chunks in chunkings(raw, bytewise=False, seed=8):
            with pytest.raises(APIStreamError) as info:
                collect(chunks)
            offset, kind = info.value.offset, info.value.event_type
            assert offset is not None and kind is not None, name
            assert raw[offset:].startswith(f"event: {kind}\n".encode()), name


def test_verdict_errors_carry_the_bytes_read() -> None:
    cut = demo_stream("responses-text")[:20_000]
    with pytest.raises(TruncatedStreamError) as truncated:
        streamkit.reduce(cut, strict=True)
    assert truncated.value.offset == len(cut)
    assert f"at byte {len(cut)}" in str(truncated.value)
    stopped = sse(chat_chunk("x")) + sse(chat_chunk(None, "length")) + DONE
    with pytest.raises(IncompleteStreamError) as incomplete:
        streamkit.reduce(stopped, strict=True)
    assert incomplete.value.offset == len(stopped)


def test_sse_errors_keep_their_own_offset() -> None:
    head = sse(chat_chunk("a"))
    decoder = SSEDecoder(max_event_bytes=100)
    with pytest.raises(EventTooLargeError) as info:
        streamkit.reduce([head[:10], head[10:] + b"data: " + b"x" * 300], decoder=decoder)
    assert info.value.offset == 0  # the first event already exceeds the limit
    big = SSEDecoder(max_event_bytes=len(head) + 10)
    with pytest.raises(EventTooLargeError) as info:
        streamkit.reduce(head + b"data: " + b"x" * 300 + b"\n\n", decoder=big)
    assert info.value.offset == len(head)


@pytest.mark.recordings
@pytest.mark.parametrize("path", recording_params(PATHS[::9]))
def test_offsets_of_corrupted_recordings_under_every_chunking(path: Path) -> None:
    """A payload broken in the middle of a real stream is reported at the byte
    where its event begins, whatever the chunking."""
    data = path.read_bytes()
    frames = list(streamkit.io.iter_frames(data))
    k = len(frames) // 2
    body = b"".join(encode_events(collect(data, errors="yield")[:k]))
    broken = body + b"event: broken\ndata: {oops\n\n" + data[-50:]
    for name, chunks in chunkings(broken, bytewise=False, seed=k):
        with pytest.raises(EventDecodeError) as info:
            streamkit.reduce(chunks)
        assert (info.value.index, info.value.offset) == (k, len(body)), name

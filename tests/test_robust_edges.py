"""Hostile payloads at every layer: JSON nested past the recursion limit, garbage in
the middle of a stream, servers that keep a connection busy without ever sending an
event, and readers that poll tool-call progress after every delta. Whatever comes in,
what comes out is a ``StreamError`` (with the partial result where there is one),
forwarded bytes keep flowing, and the work stays linear."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import msgspec
import pytest
from servers import IN_PROCESS_URL, AsyncInProcess, InProcess, Stall, Switch, server

import streamkit
import streamkit.http as sh
from streamkit import ToolCallsReducer, UsageReducer, tee
from streamkit.archive import iter_rows, reduce_stream
from streamkit.convert import Converter, convert
from streamkit.errors import EventDecodeError, StreamError, StreamTimeoutError
from streamkit.events import (
    ChatCompletionChunk,
    ResponseCompletedEvent,
    ResponseOutputItemDoneEvent,
    decode_event_tolerant,
    decode_message_event_tolerant,
)
from streamkit.io import atee
from streamkit.models.responses import ToolSearchCall, UnknownItem
from streamkit.reducers import _small
from streamkit.reducers.responses._verify import TOO_DEEP
from streamkit.testing import demo_stream
from streamkit.testing.replay import Recording, ReplayApp

APIS = ["auto", "responses", "chat", "completions", "messages"]
DEEP = 100_000  # far past any recursion limit


@pytest.fixture(scope="module")
def srv() -> Iterator[tuple[Switch, str]]:
    with server() as s:
        yield s


def frames(name: str) -> list[bytes]:
    """The events of a demo stream, each with its blank line."""
    return [f + b"\n\n" for f in demo_stream(name).split(b"\n\n") if f.strip()]


def chunked(data: bytes, size: int = 97) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def deep_payloads() -> list[bytes]:
    opened = b"[" * DEEP
    return [
        b'{"":' + opened,  # unterminated
        b'{"":' + opened + b"]" * DEEP + b"}",  # well-formed
        b'{"type":"response.output_text.delta","delta":' + opened,
        b'{"type":"content_block_delta","index":0,"delta":' + opened,
        b'{"type":"brand_new_kind","x":' + opened,
        b'{"choices":' + opened,
        b'{"error":' + opened,
        b'{"object":"chat.completion.chunk","choices":[],"x":' + opened,
    ]


def assert_too_deep(exc: BaseException) -> None:
    assert isinstance(exc, EventDecodeError), repr(exc)
    assert "nests too deep" in str(exc)
    assert exc.excerpt.startswith(b"{")
    assert exc.index is not None


def recursion_is_intact() -> None:
    """The interpreter can still recurse almost to its limit after the error."""

    def down(n: int) -> int:
        return 0 if n == 0 else 1 + down(n - 1)

    here = len(_stack())
    assert down(sys.getrecursionlimit() - here - 50) > 0


def _stack() -> list[object]:
    frame, out = sys._getframe(), []
    while frame is not None:
        out.append(frame)
        frame = frame.f_back  # type: ignore[assignment]
    return out


def sse_app(body: bytes, status: int = 200, ctype: bytes = b"text/event-stream") -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", ctype)]}
        )
        for part in chunked(body, 4096):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


# Deep nesting --------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("payload", deep_payloads(), ids=range(len(deep_payloads())))
def test_deep_nesting_is_a_decode_error_in_every_api(api: str, payload: bytes) -> None:
    for body in (b"data: " + payload + b"\n\n", b"event: x\ndata:" + payload + b"\n\n"):
        with pytest.raises(EventDecodeError) as info:
            list(streamkit.iter_events(chunked(body, 1000), api=api))  # type: ignore[arg-type]
        assert_too_deep(info.value)
        assert info.value.index == 0 and info.value.offset == 0
    recursion_is_intact()


def test_deep_nesting_as_the_first_payload_says_so() -> None:
    body = b'data:{"":' + b"[" * DEEP + b"\n\n"
    with pytest.raises(EventDecodeError) as info:
        list(streamkit.iter_events(body))
    assert_too_deep(info.value)
    assert info.value.index == 0 and info.value.offset == 0
    recursion_is_intact()


@pytest.mark.parametrize("types", [None, ["response.output_text.delta"]])
def test_deep_nesting_after_good_events_keeps_their_place(types: list[str] | None) -> None:
    head = frames("responses-text")[:5]
    bad = b'event: response.output_text.delta\ndata: {"type":"x","a":' + b"[" * DEEP + b"\n\n"
    body = b"".join(head) + bad
    seen: list[Any] = []
    with pytest.raises(EventDecodeError) as info:
        for event in streamkit.iter_events(chunked(body), types=types):
            seen.append(event)
    assert_too_deep(info.value)
    assert info.value.index == 5
    assert info.value.offset == len(b"".join(head))
    assert seen == list(streamkit.iter_events(b"".join(head), types=types))


def test_decode_event_tolerant_reports_deep_json_as_a_decode_error() -> None:
    for payload in deep_payloads()[:5]:
        with pytest.raises(msgspec.DecodeError, match="nests too deep"):
            decode_event_tolerant(payload)
    recursion_is_intact()


@pytest.mark.parametrize("name", ["responses-text", "chat-text", "messages-text"])
def test_reduce_keeps_the_partial_object_on_deep_nesting(name: str) -> None:
    head = frames(name)[:4]
    body = b"".join(head) + b'data: {"":' + b"[" * DEEP + b"\n\n"
    with pytest.raises(EventDecodeError) as info:
        streamkit.reduce(chunked(body))
    assert_too_deep(info.value)
    partial = info.value.partial
    assert partial is not None
    assert partial.verdict.status == "truncated"
    assert partial == streamkit.reduce(b"".join(head))


@pytest.mark.anyio
async def test_areduce_keeps_the_partial_object_on_deep_nesting(anyio_backend: str) -> None:
    head = frames("chat-text")[:4]
    body = b"".join(head) + b'data: {"":' + b"[" * DEEP + b"\n\n"
    with pytest.raises(EventDecodeError) as info:
        await streamkit.areduce(chunked(body))
    assert_too_deep(info.value)
    assert info.value.partial == streamkit.reduce(b"".join(head))


def test_http_reduce_keeps_the_partial_object_on_deep_nesting() -> None:
    head = frames("responses-text")[:6]
    body = b"".join(head) + b'data: {"":' + b"[" * DEEP + b"\n\n"
    with httpx.Client(transport=InProcess(sse_app(body)), base_url=IN_PROCESS_URL) as client:
        with pytest.raises(EventDecodeError) as info:
            sh.reduce(client, "POST", "/v1/responses", json={"stream": True}, resume=False)
        with pytest.raises(EventDecodeError):
            with sh.stream(client, "POST", "/v1/responses", json={}, resume=False) as events:
                list(events)
    assert_too_deep(info.value)
    assert info.value.partial == streamkit.reduce(b"".join(head))
    recursion_is_intact()


@pytest.mark.anyio
async def test_http_areduce_keeps_the_partial_object_on_deep_nesting(anyio_backend: str) -> None:
    head = frames("messages-text")[:3]
    body = b"".join(head) + b'event: ping\ndata: {"type":"ping","x":' + b"[" * DEEP + b"\n\n"
    transport = AsyncInProcess(sse_app(body))
    async with httpx.AsyncClient(transport=transport, base_url=IN_PROCESS_URL) as client:
        with pytest.raises(EventDecodeError) as info:
            await sh.areduce(client, "POST", "/v1/messages", json={"stream": True})
    assert_too_deep(info.value)
    assert info.value.partial == streamkit.reduce(b"".join(head))


def test_a_deeply_nested_error_body_is_still_an_unexpected_response() -> None:
    body = b'{"error":' + b"[" * 4000
    app = sse_app(body, status=500, ctype=b"application/json")
    with httpx.Client(transport=InProcess(app), base_url=IN_PROCESS_URL) as client:
        with pytest.raises(streamkit.errors.UnexpectedResponseError) as info:
            sh.reduce(client, "POST", "/v1/responses", json={})
    assert info.value.status_code == 500 and info.value.server_message is None


def deep_json() -> list[bytes]:
    """Whole JSON documents nested ``DEEP`` levels: objects and arrays,
    terminated and not."""
    return [
        b'{"a":' * DEEP,
        b'{"a":' * DEEP + b"1" + b"}" * DEEP,
        b"[" * DEEP,
        b"[" * DEEP + b"]" * DEEP,
        b'{"body":' + b"[" * DEEP,
        b'{"body":"data: x\\n\\n","meta":' + b"[" * DEEP + b"]" * DEEP + b"}",
    ]


def test_decode_message_event_tolerant_reports_deep_json_as_a_decode_error() -> None:
    for payload in deep_payloads() + deep_json():
        with pytest.raises(msgspec.DecodeError, match="nests too deep"):
            decode_message_event_tolerant(payload)
    recursion_is_intact()


def test_a_deep_archive_record_is_a_bad_record_row(tmp_path: Path) -> None:
    good = msgspec.json.encode({"id": "ok", "body": demo_stream("chat-text").decode()})
    lines = [good, *deep_json(), good]
    path = tmp_path / "streams.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    rows = list(iter_rows([path]))
    assert [r.source for r in rows] == ["ok", *(f"{path}#{i}" for i in range(2, 8)), "ok"]
    assert rows[0] == rows[-1] and rows[0].verdict == "completed"
    for row in rows[1:-1]:
        assert row.error_type == "BadRecordError", row
        assert "nests too deep" in (row.error or "")
        assert row.verdict is None and row.events == 0
    recursion_is_intact()


def test_deep_tool_arguments_are_not_ok_in_an_archive_row() -> None:
    body = demo_stream("responses-tools")
    arguments = b'{\\"amount\\":250,\\"from\\":\\"CAD\\",\\"to\\":\\"NOK\\"}'
    assert arguments in body
    for deep in (b"[" * DEEP + b"]" * DEEP, b"[" * DEEP):
        row = reduce_stream("deep", body.replace(arguments, deep))
        assert row.error_type is None and row.verdict == "completed"
        assert row.tool_calls == 2 and row.tool_args_ok is False
    assert reduce_stream("plain", body).tool_args_ok is True
    recursion_is_intact()


def test_the_replay_server_answers_a_deep_request_body_with_400() -> None:
    app = ReplayApp([("gpt-4.1", demo_stream("responses-text"))])
    with httpx.Client(transport=InProcess(app), base_url=IN_PROCESS_URL) as client:
        for body in deep_json():
            for path in ("/v1/responses", "/v1/chat/completions", "/v1/messages"):
                answer = client.post(path, content=body)
                assert answer.status_code == 400, (path, answer.text[:200])
                error = answer.json()["error"]
                assert "nests too deep" in error["message"]
                assert error["type"] == "invalid_request_error"
        # The server goes on serving.
        answer = client.post("/v1/responses", json={"model": "gpt-4.1", "stream": True})
        assert streamkit.reduce(answer.content).verdict.ok
    recursion_is_intact()


def test_a_recording_with_a_deep_event_loads_and_is_served_verbatim() -> None:
    parts = frames("responses-text")
    deep = b'event: x\ndata: {"type":"x","sequence_number":' + b"[" * DEEP + b"\n\n"
    recording = Recording.load(("deep", b"".join(parts[:3]) + deep + b"".join(parts[3:])))
    assert recording.api == "responses" and len(recording.events) == len(parts) + 1
    assert recording.sequence_numbers[3] is None
    assert recording.sequence_numbers[:3] == [0, 1, 2]
    assert recording.sequence_numbers[4] == 3
    app = ReplayApp([recording])
    with httpx.Client(transport=InProcess(app), base_url=IN_PROCESS_URL) as client:
        answer = client.post("/v1/responses", json={"model": "deep", "stream": True})
    assert answer.status_code == 200
    with pytest.raises(EventDecodeError) as info:
        streamkit.reduce(answer.content)
    assert_too_deep(info.value)
    assert info.value.index == 3


def deep_list(depth: int) -> Any:
    """A Python list nested ``depth`` levels (built without recursion)."""
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def test_verify_reports_deep_unknown_items_without_recursing() -> None:
    """Values of any depth reach the verify checks through events built in code
    (or decoded higher up the call stack than the fold runs): they are compared
    as JSON text, or reported as too deep to compare."""
    events = list(streamkit.iter_events(demo_stream("responses-text")))
    done = ResponseOutputItemDoneEvent(
        output_index=1,
        sequence_number=len(events) - 1,
        item=UnknownItem(item_type="brand_new", raw=msgspec.Raw(b"[" * DEEP + b"]" * DEEP)),
    )
    completed = events[-1]
    assert isinstance(completed, ResponseCompletedEvent)
    other = UnknownItem(item_type="brand_new", raw=msgspec.Raw(b"[" * DEEP + b"1" + b"]" * DEEP))
    response = msgspec.structs.replace(
        completed.response, output=[*completed.response.output, other]
    )
    end = msgspec.structs.replace(completed, response=response, sequence_number=len(events))
    reducer = streamkit.reducer_for("responses", verify=True)
    for event in [*events[:-1], done, end]:
        reducer.step(event)
    result = reducer.finish()
    assert result.verdict.ok and len(result.output) == 2
    (divergence,) = reducer.divergences
    assert divergence.path == "output[1].raw"
    assert divergence.fold == "[" * DEEP + "]" * DEEP
    assert divergence.server == "[" * DEEP + "1" + "]" * DEEP
    recursion_is_intact()


def test_verify_reports_values_too_deep_to_compare() -> None:
    events = list(streamkit.iter_events(demo_stream("responses-text")))
    call = ToolSearchCall(
        id="ts_1", call_id="c", execution="server", arguments=deep_list(DEEP), status="completed"
    )
    done = ResponseOutputItemDoneEvent(output_index=1, sequence_number=len(events) - 1, item=call)
    completed = events[-1]
    assert isinstance(completed, ResponseCompletedEvent)
    server_call = msgspec.structs.replace(call, arguments=deep_list(DEEP))
    response = msgspec.structs.replace(
        completed.response, output=[*completed.response.output, server_call]
    )
    end = msgspec.structs.replace(completed, response=response, sequence_number=len(events))
    reducer = streamkit.reducer_for("responses", verify=True)
    for event in [*events[:-1], done, end]:
        reducer.step(event)
    assert reducer.finish().verdict.ok
    assert [(d.path, d.fold, d.server) for d in reducer.divergences] == [
        ("output[1]", TOO_DEEP, TOO_DEEP)
    ]
    recursion_is_intact()


@pytest.mark.parametrize("to", ["responses", "messages", "chat"])
@pytest.mark.parametrize("depth", [0, 600], ids=["flat", "nested"])
def test_convert_drops_a_chunk_typed_payload_that_is_no_chunk(to: str, depth: int) -> None:
    """A Chat payload saying ``"type": "chat.completion.chunk"`` without the
    chunk's fields is an unknown event to the decoder; the converter reports it
    lost instead of failing to read it as a chunk."""
    parts = frames("chat-text")
    nested = b"[" * depth + b"]" * depth
    odd = b'data: {"type":"chat.completion.chunk","x":' + (nested or b"1") + b"}\n\n"
    body = b"".join(parts[:2]) + odd + b"".join(parts[2:])
    converter = Converter(to)  # type: ignore[arg-type]
    events = list(convert(body, to, converter=converter))  # type: ignore[arg-type]
    plain = list(convert(b"".join(parts), to))  # type: ignore[arg-type]
    encoded = b"".join(streamkit.encode_events(events, api=to))  # type: ignore[arg-type]
    expected = b"".join(streamkit.encode_events(plain, api=to))  # type: ignore[arg-type]
    assert streamkit.reduce(encoded) == streamkit.reduce(expected)
    if to != "chat":  # Chat to Chat passes every event through as it is
        assert any("chat.completion.chunk" in str(entry) for entry in converter.lost)
    recursion_is_intact()


# The tee keeps forwarding -------------------------------------------------------------


def deep_stream(name: str) -> tuple[list[bytes], bytes]:
    parts = frames(name)
    body = b"".join(parts[:5]) + b'data: {"":' + b"[" * DEEP + b"\n\n" + b"".join(parts[5:])
    return chunked(body, 500), b"".join(parts[:5])


@pytest.mark.parametrize("name", ["responses-text", "chat-text", "messages-text"])
def test_tee_forwards_a_deeply_nested_payload_and_records_the_error(name: str) -> None:
    upstream, head = deep_stream(name)
    t = tee(upstream, streamkit.reducer_for(name.split("-")[0]))  # type: ignore[call-overload]
    sent = list(t)
    assert len(sent) == len(upstream) and all(a is b for a, b in zip(sent, upstream, strict=True))
    assert_too_deep(t.error)  # type: ignore[arg-type]
    assert t.result == streamkit.reduce(head)
    assert t.error is not None and t.error.partial == t.result


@pytest.mark.anyio
async def test_atee_forwards_a_deeply_nested_payload(anyio_backend: str) -> None:
    upstream, _ = deep_stream("chat-text")
    t = atee(upstream, UsageReducer())
    sent = [chunk async for chunk in t]
    assert b"".join(sent) == b"".join(upstream)
    assert_too_deep(t.error)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(40))
def test_tee_forwards_random_garbage_mid_stream(seed: int) -> None:
    rng = random.Random(seed)
    parts = frames(rng.choice(["responses-text", "chat-text", "messages-tools"]))
    at = rng.randrange(1, len(parts))
    garbage = rng.randbytes(rng.randrange(1, 3000))
    # Sometimes as a payload of its own, so the event decoder has to judge it.
    junk = b"data: " + garbage + b"\n\n" if seed % 2 else garbage
    body = b"".join(parts[:at]) + junk + b"".join(parts[at:])
    upstream = chunked(body, rng.randrange(1, 700))
    t = tee(upstream, ToolCallsReducer())
    sent = list(t)
    assert all(a is b for a, b in zip(sent, upstream, strict=True))
    assert t.error is None or isinstance(t.error, StreamError)
    if seed % 2 and b"\n" not in garbage and b"\r" not in garbage:
        assert isinstance(t.error, StreamError)


def test_tee_wraps_a_parser_defect_and_keeps_forwarding(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamkit.events._decoder import EventDecoder

    calls = 0
    original = EventDecoder.decode_into

    def broken(self: EventDecoder, frames: Any, out: list[Any]) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise ValueError("decoder defect")
        original(self, frames, out)

    monkeypatch.setattr(EventDecoder, "decode_into", broken)
    upstream = chunked(demo_stream("chat-text"), 200)
    t = tee(upstream, UsageReducer())
    assert list(t) == upstream
    assert isinstance(t.error, StreamError)
    assert isinstance(t.error.__cause__, ValueError)
    assert "decoder defect" in str(t.error)
    t = tee(upstream, UsageReducer(), errors="raise")
    calls = 0
    sent: list[bytes] = []
    with pytest.raises(StreamError, match="decoder defect"):
        for chunk in t:
            sent.append(chunk)
    assert sent == upstream[: len(sent)] and len(sent) >= 1


# Idle deadline ---------------------------------------------------------------------------


class Busy:
    """Sends ``head``, then ``filler`` every few milliseconds, never another event,
    until the client goes away (or a bound of seconds passes, so the server thread
    cannot outlive a failing test for long)."""

    def __init__(self, head: bytes, filler: Callable[[int], bytes], bound: float = 20.0) -> None:
        self.head = head
        self.filler = filler
        self.bound = bound
        self.connections = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.connections += 1
        start = {"type": "http.response.start", "status": 200}
        await send({**start, "headers": [(b"content-type", b"text/event-stream")]})
        await send({"type": "http.response.body", "body": self.head, "more_body": True})

        async def pings() -> None:
            with anyio.move_on_after(self.bound):
                for i in range(1_000_000):
                    await send(
                        {"type": "http.response.body", "body": self.filler(i), "more_body": True}
                    )
                    await anyio.sleep(0.005)
            group.cancel_scope.cancel()

        async with anyio.create_task_group() as group:
            group.start_soon(pings)
            while (await receive())["type"] != "http.disconnect":
                pass
            group.cancel_scope.cancel()


def comment_lines(i: int) -> bytes:
    return b": ping\n"  # never a blank line: no event is ever dispatched


def messages_pings(i: int) -> bytes:
    return b'event: ping\ndata: {"type": "ping"}\n\n'


def responses_keepalives(i: int) -> bytes:
    return b'event: keepalive\ndata: {"type":"keepalive","sequence_number":%d}\n\n' % (3 + i)


BUSY = [
    ("chat-text", "/v1/chat/completions", comment_lines),
    ("messages-text", "/v1/messages", messages_pings),
    ("responses-text", "/v1/responses", responses_keepalives),
]


@pytest.mark.parametrize(("name", "path", "filler"), BUSY, ids=[b[0] for b in BUSY])
def test_idle_timeout_ends_a_busy_stream_without_events(
    srv: tuple[Switch, str], name: str, path: str, filler: Callable[[int], bytes]
) -> None:
    switch, base = srv
    head = frames(name)[:3]
    app = Busy(b"".join(head), filler)
    with switch.using(app), httpx.Client(base_url=base) as client:
        with pytest.raises(StreamTimeoutError) as info:
            sh.reduce(client, "POST", path, json={}, idle_timeout=0.3, max_idle_lines=1000)
    assert "idle_timeout=0.3" in str(info.value)
    assert info.value.partial == streamkit.reduce(b"".join(head))
    assert app.connections == 1  # a live connection is not resumed


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "path", "filler"), BUSY, ids=[b[0] for b in BUSY])
async def test_async_idle_timeout_ends_a_busy_stream_without_events(
    srv: tuple[Switch, str],
    name: str,
    path: str,
    filler: Callable[[int], bytes],
    anyio_backend: str,
) -> None:
    switch, base = srv
    head = frames(name)[:3]
    app = Busy(b"".join(head), filler)
    with switch.using(app):
        async with httpx.AsyncClient(base_url=base) as client:
            with pytest.raises(StreamTimeoutError) as info:
                await sh.areduce(client, "POST", path, json={}, idle_timeout=0.3)
    assert info.value.partial == streamkit.reduce(b"".join(head))
    assert app.connections == 1


def test_idle_timeout_ends_a_silent_stream_without_resuming(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    head = frames("responses-text")[:3]
    stall = Stall(b"".join(head))
    # The client's own read timeout is long: the idle deadline shortens it.
    with switch.using(stall), httpx.Client(base_url=base, timeout=30.0) as client:
        with pytest.raises(StreamTimeoutError) as info:
            sh.reduce(client, "POST", "/v1/responses", json={}, idle_timeout=0.3)
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert info.value.partial == streamkit.reduce(b"".join(head))
    assert stall.connections == 1


@pytest.mark.anyio
async def test_async_idle_timeout_ends_a_silent_stream(
    srv: tuple[Switch, str], anyio_backend: str
) -> None:
    switch, base = srv
    stall = Stall(b"".join(frames("chat-text")[:2]))
    seen: list[Any] = []
    with switch.using(stall):
        async with httpx.AsyncClient(base_url=base, timeout=None) as client:
            with pytest.raises(StreamTimeoutError) as info:
                async with sh.astream(
                    client, "POST", "/v1/chat/completions", json={}, idle_timeout=0.3
                ) as events:
                    async for event in events:
                        seen.append(event)
    assert len(seen) == 2 and all(isinstance(e, ChatCompletionChunk) for e in seen)
    assert info.value.index == 2


def test_idle_timeout_does_not_count_the_consumers_time(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    body = demo_stream("chat-text")
    app = sse_app(body)
    with switch.using(app), httpx.Client(base_url=base) as client:
        with sh.stream(client, "POST", "/v1/chat", json={}, idle_timeout=0.3) as events:
            seen = []
            for event in events:
                if len(seen) < 2:
                    anyio.run(anyio.sleep, 0.4)  # slower than the deadline
                seen.append(event)
    assert seen == list(streamkit.iter_events(body))


def test_idle_timeout_leaves_a_live_stream_alone(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    body = demo_stream("responses-tools")
    with switch.using(sse_app(body)), httpx.Client(base_url=base) as client:
        final = sh.reduce(client, "POST", "/v1/responses", json={}, idle_timeout=10.0)
    assert final == streamkit.reduce(body) and final.verdict.ok


@pytest.mark.parametrize("bad", [0, -1.0])
def test_idle_timeout_must_be_positive(bad: float) -> None:
    with httpx.Client(transport=InProcess(sse_app(b"")), base_url=IN_PROCESS_URL) as client:
        with pytest.raises(ValueError, match="idle_timeout"):
            sh.reduce(client, "POST", "/x", idle_timeout=bad)


# Tool-call progress read after every delta ------------------------------------------


def argument_deltas(n: int) -> Iterable[bytes]:
    start = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "delta": {
                    "tool_calls": [
                        {"index": 0, "id": "call_1", "function": {"name": "f", "arguments": ""}}
                    ]
                },
            }
        ],
    }
    yield b"data: " + msgspec.json.encode(start) + b"\n\n"
    pieces = ['{"xs": ['] + [f"{i}, " for i in range(n - 2)] + ["0]}"]
    for piece in pieces:
        chunk = dict(start)
        tool = {"index": 0, "function": {"arguments": piece}}
        chunk["choices"] = [{"index": 0, "delta": {"tool_calls": [tool]}}]
        yield b"data: " + msgspec.json.encode(chunk) + b"\n\n"


def test_in_progress_joins_each_piece_once(monkeypatch: pytest.MonkeyPatch) -> None:
    joined = 0

    def counting(pieces: list[str]) -> str:
        nonlocal joined
        joined += len(pieces)
        return "".join(pieces)

    monkeypatch.setattr(_small, "_join", counting)
    n = 3000
    reducer = ToolCallsReducer(partial=True)
    text = ""
    deltas = 0
    for event in streamkit.iter_events(b"".join(argument_deltas(n)), api="chat"):
        reducer.step(event)
        (progress,) = reducer.in_progress()
        delta = event.choices[0].delta.tool_calls[0].function.arguments  # type: ignore[union-attr]
        text += delta or ""
        deltas += bool(delta)
        assert progress.arguments == text
    assert deltas == n
    # Re-joining every piece on each read would be n * (n + 1) / 2 pieces.
    assert joined <= 2 * n
    assert progress.partial == {"xs": [*range(n - 2), 0]}
    assert reducer.result() == []  # no finish_reason yet: still streaming

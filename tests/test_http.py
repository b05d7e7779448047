"""streamkit.http against the replay server: every stream read in process through
httpx (sync and async) and the openai SDK; over real sockets (uvicorn on 127.0.0.1),
connections cut mid-stream and resumed, stalls, and misbehaving peers."""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgspec
import openai
import pytest
from helpers import recording_params, recording_paths
from servers import (
    IN_PROCESS_URL,
    AsyncInProcess,
    IgnoreStartingAfter,
    InProcess,
    KeepAlive,
    Stall,
    Switch,
    error_500,
    html_200,
    server,
)

import streamkit
import streamkit.http as sh
from streamkit.events import event_type
from streamkit.testing import demo_stream
from streamkit.testing.replay import Recording, ReplayApp

FAST = sh.Resume(backoff=0, max_attempts=3)


@pytest.fixture(scope="module")
def srv() -> Iterator[tuple[Switch, str]]:
    with server() as s:
        yield s


# Streams ----------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """A stream under test: a real recording or a demo stream streamkit generates."""

    name: str
    body: bytes

    @functools.cached_property
    def recording(self) -> Recording:
        return Recording.load((self.name, self.body))

    @property
    def endpoint(self) -> str:
        return "/v1/responses" if self.recording.api == "responses" else "/v1/chat/completions"

    @functools.cached_property
    def events(self) -> list[Any]:
        return list(streamkit.iter_events(self.body, errors="yield"))

    @functools.cached_property
    def final(self) -> Any:
        return streamkit.reduce(self.body)

    def app(self, **options: Any) -> ReplayApp:
        return ReplayApp([self.recording], **options)


@functools.cache
def stream_of(source: Path | str) -> Stream:
    """A real recording by path, or a demo stream (streamkit.testing) by name."""
    if isinstance(source, Path):
        return Stream(source.stem, source.read_bytes())
    return Stream(source, demo_stream(source))


def sequence(events: list[Any]) -> list[int]:
    return [
        e.sequence_number for e in events if isinstance(getattr(e, "sequence_number", None), int)
    ]


def resumable(stream: Stream) -> bool:
    """A Responses stream with an id and a sequence number on every event."""
    events = stream.events
    has_id = any(isinstance(getattr(getattr(e, "response", None), "id", None), str) for e in events)
    return has_id and len(sequence(events)) == len(events)


def with_demo(names: list[str], paths: list[Path]) -> list[Any]:
    """Parameters: demo streams (always run) then real recordings (the corpus)."""
    return [pytest.param(n, id=f"demo/{n}") for n in names] + recording_params(paths)


ALL = recording_paths()
RESUMABLE = [p for p in recording_paths("responses") if resumable(stream_of(p))]
SMALL_RESUMABLE = [p for p in RESUMABLE if len(stream_of(p).events) <= 80]
DEMO = ["responses-text", "responses-tools", "chat-text", "chat-tools"]
DEMO_RESPONSES = ["responses-text", "responses-tools"]
#: A short resumable Responses stream for the tests of one behaviour.
SHORT = "responses-tools"
SHORT_CHAT = "chat-text"


def resumable_stream(source: Path | str) -> Stream:
    stream = stream_of(source)
    assert resumable(stream), f"{stream.name} has no response id or misses sequence numbers"
    return stream


# Every stream in process -------------------------------------------------------


@pytest.mark.parametrize("source", with_demo(DEMO, ALL))
def test_sync_stream_equals_file(source: Path | str) -> None:
    s = stream_of(source)
    app = s.app(chunk_sizes=(1, 200), seed=len(s.name))
    with httpx.Client(transport=InProcess(app), base_url=IN_PROCESS_URL) as client:
        with sh.stream(client, "POST", s.endpoint, json={"stream": True}, errors="yield") as es:
            events = list(es)
        final = sh.reduce(client, "POST", s.endpoint, json={"stream": True})
    assert events == s.events
    assert final == s.final
    assert app.requests[0].headers["accept"] == "text/event-stream"


@pytest.mark.anyio
@pytest.mark.parametrize("source", with_demo(DEMO, ALL))
async def test_async_stream_equals_file(source: Path | str, anyio_backend: str) -> None:
    s = stream_of(source)
    app = s.app(chunk_sizes=(1, 200), seed=7)
    async with httpx.AsyncClient(transport=AsyncInProcess(app), base_url=IN_PROCESS_URL) as client:
        async with sh.astream(
            client, "POST", s.endpoint, json={"stream": True}, errors="yield"
        ) as es:
            events = [e async for e in es]
        final = await sh.areduce(client, "POST", s.endpoint, json={"stream": True})
    assert events == s.events
    assert final == s.final


def _sdk_call(sdk: Any, s: Stream) -> tuple[Any, dict[str, Any]]:
    if s.recording.api == "responses":
        return sdk.responses.with_streaming_response.create, {"input": "hi"}
    messages = [{"role": "user", "content": "hi"}]
    return sdk.chat.completions.with_streaming_response.create, {"messages": messages}


@pytest.mark.parametrize("source", with_demo(DEMO, ALL))
def test_openai_sdk_raw_response(source: Path | str) -> None:
    s = stream_of(source)
    app = s.app(chunk_sizes=(1, 200), seed=3)
    with httpx.Client(transport=InProcess(app)) as http:
        sdk = openai.OpenAI(
            base_url=f"{IN_PROCESS_URL}/v1", api_key="test", max_retries=0, http_client=http
        )
        create, kwargs = _sdk_call(sdk, s)
        # The SDK's raw bytes, parsed by streamkit instead of the SDK's parser.
        with create(model=s.name, stream=True, **kwargs) as raw:
            final = streamkit.reduce(raw.iter_bytes())
        with create(model=s.name, stream=True, **kwargs) as raw:
            with sh.stream(raw, errors="yield") as es:
                events = list(es)
    assert final == s.final
    assert events == s.events
    assert app.requests[0].recording == s.name


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the SDK's async client needs asyncio
@pytest.mark.parametrize("source", with_demo(DEMO, ALL[::9]))
async def test_openai_sdk_async_raw_response(source: Path | str, anyio_backend: str) -> None:
    s = stream_of(source)
    app = s.app(chunk_sizes=(1, 200), seed=5)
    async with httpx.AsyncClient(transport=AsyncInProcess(app)) as http:
        sdk = openai.AsyncOpenAI(
            base_url=f"{IN_PROCESS_URL}/v1", api_key="test", max_retries=0, http_client=http
        )
        create, kwargs = _sdk_call(sdk, s)
        async with create(model=s.name, stream=True, **kwargs) as raw:
            final = await streamkit.areduce(raw.iter_bytes())
    assert final == s.final


def test_in_process_transport_keeps_the_apps_chunks() -> None:
    s = stream_of(SHORT)
    app = s.app(chunk_sizes=(1, 64), seed=11)
    with httpx.Client(transport=InProcess(app), base_url=IN_PROCESS_URL) as client:
        with client.stream("POST", s.endpoint, json={"stream": True}) as response:
            chunks = list(response.iter_raw())
    assert b"".join(chunks) == s.body
    assert len(chunks) >= len(s.body) // 64 and max(map(len, chunks)) <= 64


@pytest.mark.anyio
async def test_in_process_transport_reports_a_cut_body(anyio_backend: str) -> None:
    s = stream_of(SHORT)
    app = s.app(cut_every=2, cut_partial=True)
    async with httpx.AsyncClient(transport=AsyncInProcess(app), base_url=IN_PROCESS_URL) as client:
        with pytest.raises(sh.ConnectionLostError) as info:
            await sh.areduce(client, "POST", s.endpoint, json={"stream": True}, resume=False)
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
    assert info.value.partial.verdict.last_sequence_number == sequence(s.events)[1]


def test_already_open_response(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    s = resumable_stream(SHORT)
    with switch.using(s.app(cut_every=2, cut_partial=True)) as app:
        with httpx.Client(base_url=base) as client:
            with client.stream("POST", "/v1/responses", json={"stream": True}) as response:
                # Without a client to reconnect with, a drop is an error...
                with pytest.raises(sh.ConnectionLostError) as info:
                    with sh.stream(response) as es:
                        list(es)
                assert info.value.index == 2
            with client.stream("POST", "/v1/responses", json={"stream": True}) as response:
                # ...and with one it resumes.
                with sh.stream(response, resume=FAST, resume_client=client) as es:
                    seen = list(es)
                    assert es.resumes > 0
    assert seen == s.events
    assert app.requests[-1].method == "GET"


# Resume over sockets -----------------------------------------------------------------


def _resume_case(
    switch: Switch, base: str, s: Stream, **app_options: Any
) -> tuple[list[Any], Any, ReplayApp]:
    app = s.app(chunk_sizes=(1, 200), **app_options)
    with switch.using(app), httpx.Client(base_url=base) as client:
        with sh.stream(
            client, "POST", "/v1/responses", json={"stream": True}, resume=FAST, errors="yield"
        ) as es:
            events = list(es)
            assert es.response_id is not None
        final = sh.reduce(client, "POST", "/v1/responses", json={"stream": True}, resume=FAST)
    return events, final, app


@pytest.mark.parametrize("mode", ["abort", "eof"])
@pytest.mark.parametrize("source", with_demo(DEMO_RESPONSES, RESUMABLE))
def test_resume_mid_event(srv: tuple[Switch, str], source: Path | str, mode: str) -> None:
    switch, base = srv
    s = resumable_stream(source)
    n = len(s.events)
    every = max(1, n // 4)  # about four drops per stream, each inside an event
    events, final, app = _resume_case(
        switch, base, s, cut_every=every, cut_partial=True, cut_mode=mode
    )
    assert sequence(events) == sequence(s.events)  # 0 lost, 0 twice
    assert events == s.events
    assert final == s.final
    gets = [r for r in app.requests if r.method == "GET"]
    assert len(gets) == 2 * ((n - 1) // every)
    assert all(r.query["stream"] == "true" for r in gets)


@pytest.mark.parametrize("source", with_demo([SHORT], SMALL_RESUMABLE))
def test_resume_at_every_event_boundary(srv: tuple[Switch, str], source: Path | str) -> None:
    switch, base = srv
    s = resumable_stream(source)
    events, final, app = _resume_case(switch, base, s, cut_every=1)
    assert sequence(events) == sequence(s.events)
    assert final == s.final
    # Each resume asks for exactly what follows the last event received.
    gets = [r for r in app.requests if r.method == "GET"]
    half = len(gets) // 2
    assert [int(r.query["starting_after"]) for r in gets[:half]] == sequence(s.events)[:-1]


@pytest.mark.parametrize("source", with_demo(DEMO_RESPONSES, RESUMABLE[::5]))
def test_resume_at_random_byte_offsets(srv: tuple[Switch, str], source: Path | str) -> None:
    switch, base = srv
    s = resumable_stream(source)
    rng = random.Random(len(s.body))
    # First connection cut anywhere; each resume cut again a little later.
    cuts = [rng.randrange(1, len(s.body)), *(rng.randrange(1, 400) for _ in range(3))]
    app = s.app(chunk_sizes=(1, 64), cut_at=cuts)
    with switch.using(app), httpx.Client(base_url=base) as client:
        final = sh.reduce(
            client, "POST", "/v1/responses", json={"stream": True}, resume=sh.Resume(backoff=0)
        )
    assert final == s.final


@pytest.mark.anyio
@pytest.mark.parametrize("source", with_demo([SHORT], RESUMABLE[::6]))
async def test_async_resume(
    srv: tuple[Switch, str], source: Path | str, anyio_backend: str
) -> None:
    switch, base = srv
    s = resumable_stream(source)
    app = s.app(chunk_sizes=(1, 200), cut_every=2, cut_partial=True)
    with switch.using(app):
        async with httpx.AsyncClient(base_url=base) as client:
            async with sh.astream(
                client, "POST", "/v1/responses", json={"stream": True}, resume=FAST
            ) as es:
                events = [e async for e in es]
    assert sequence(events) == sequence(s.events)
    assert events == s.events


def test_resume_drops_events_a_server_sends_again(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    s = resumable_stream(SHORT)
    cut = len(s.body) // 2  # the first connection drops halfway
    inner = s.app(chunk_sizes=(1, 200), cut_at=[cut])
    with switch.using(IgnoreStartingAfter(inner)), httpx.Client(base_url=base) as client:
        with sh.stream(client, "POST", "/v1/responses", json={"stream": True}, resume=FAST) as es:
            events = list(es)
            assert es.resumes == 1
    assert sequence(events) == sequence(s.events)
    assert events == s.events


def test_resume_keeps_query_and_headers(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    app = resumable_stream(SHORT).app(cut_every=2)
    with switch.using(app), httpx.Client(base_url=base) as client:
        sh.reduce(
            client,
            "POST",
            "/openai/v1/responses",
            params={"api-version": "preview"},
            headers={"Authorization": "Bearer k", "x-custom": "1"},
            json={"stream": True},
            resume=FAST,
        )
    get = next(r for r in app.requests if r.method == "GET")
    assert get.path.startswith("/openai/v1/responses/")
    assert get.path.rsplit("/", 1)[1] == app.catalog[0].response_id
    assert get.query["api-version"] == "preview"
    assert get.headers["authorization"] == "Bearer k"
    assert get.headers["x-custom"] == "1"
    assert "content-type" not in get.headers


def test_generic_sse_resumes_with_last_event_id(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    s = stream_of(SHORT_CHAT)
    assert len(s.events) > 6
    app = s.app(chunk_sizes=(1, 200), ids=True, retry=1, cut_every=3, cut_partial=True)
    with switch.using(app), httpx.Client(base_url=base) as client:
        with sh.stream(
            client, "POST", "/v1/chat/completions", json={"stream": True}, resume=FAST
        ) as es:
            events = list(es)
            assert es.resumes > 0
    assert events == s.events
    posts = [r for r in app.requests if r.method == "POST"]
    # Each reconnection names the last event received; the same body is sent.
    assert [r.headers.get("last-event-id") for r in posts[1:]] == [
        str(i) for i in range(2, 3 * len(posts) - 1, 3)
    ]


def test_chat_stream_without_ids_cannot_resume(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    s = stream_of(SHORT_CHAT)
    assert len(s.events) > 6
    with switch.using(s.app(cut_every=3, cut_partial=True)):
        with httpx.Client(base_url=base) as client:
            with pytest.raises(sh.ConnectionLostError) as info:
                sh.reduce(client, "POST", "/v1/chat/completions", json={"stream": True})
    assert "cannot be resumed" in str(info.value)
    assert info.value.partial is not None  # what came before is kept
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)


def test_resume_off(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    s = resumable_stream(SHORT)
    with switch.using(s.app(cut_every=3, cut_partial=True)):
        with httpx.Client(base_url=base) as client:
            with pytest.raises(sh.ConnectionLostError) as info:
                sh.reduce(client, "POST", "/v1/responses", json={"stream": True}, resume=False)
            # A clean early end is a truncated stream, as for a file.
    assert "resuming is off" in str(info.value)
    assert info.value.partial.verdict.status == "truncated"
    with switch.using(s.app(cut_every=3, cut_mode="eof")):
        with httpx.Client(base_url=base) as client:
            final = sh.reduce(client, "POST", "/v1/responses", json={"stream": True}, resume=False)
            with pytest.raises(streamkit.errors.TruncatedStreamError):
                sh.reduce(
                    client,
                    "POST",
                    "/v1/responses",
                    json={"stream": True},
                    resume=False,
                    strict=True,
                )
    assert final.verdict.status == "truncated"
    assert final.verdict.last_sequence_number == sequence(s.events)[2]


def test_gives_up_after_max_attempts(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    s = resumable_stream(SHORT)
    # The first connection delivers 3 events; every later one is cut at once.
    first = len(b"".join(s.recording.events[:3]))
    app = s.app(cut_at=[first, *[0] * 50])
    with switch.using(app), httpx.Client(base_url=base) as client:
        with pytest.raises(sh.ResumeFailedError) as info:
            sh.reduce(
                client,
                "POST",
                "/v1/responses",
                json={"stream": True},
                resume=sh.Resume(max_attempts=3, backoff=0),
            )
    err = info.value
    assert err.attempts == 3
    assert isinstance(err.last_error, httpx.RemoteProtocolError)
    assert err.partial.verdict.last_sequence_number == sequence(s.events)[2]
    assert len([r for r in app.requests if r.method == "GET"]) == 3
    assert isinstance(err, sh.ConnectionLostError)


def test_gives_up_when_the_server_refuses(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    # A server that did not store the response: resuming it gets a 404.
    app = resumable_stream(SHORT).app(cut_every=2)
    app._by_id.clear()
    with switch.using(app), httpx.Client(base_url=base) as client:
        with pytest.raises(sh.ResumeFailedError) as info:
            sh.reduce(client, "POST", "/v1/responses", json={"stream": True}, resume=FAST)
    cause = info.value.last_error
    assert isinstance(cause, sh.UnexpectedResponseError)
    assert cause.status_code == 404
    assert "refused" in str(info.value)


# Bad peers -------------------------------------------------------------------


def test_html_with_status_200(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    with switch.using(html_200), httpx.Client(base_url=base) as client:
        with pytest.raises(sh.UnexpectedResponseError) as info:
            with sh.stream(client, "POST", "/v1/responses", json={}):
                pass
    err = info.value
    assert err.status_code == 200
    assert err.content_type.startswith("text/html")
    assert err.body.startswith(b"<!doctype html>")
    assert len(err.body) <= 4096
    assert "text/event-stream" in str(err) and "<!doctype html>" in str(err)


@pytest.mark.anyio
async def test_500_with_json_error(srv: tuple[Switch, str], anyio_backend: str) -> None:
    switch, base = srv
    with switch.using(error_500):
        async with httpx.AsyncClient(base_url=base) as client:
            with pytest.raises(sh.UnexpectedResponseError) as info:
                await sh.areduce(client, "POST", "/v1/responses", json={})
    err = info.value
    assert err.status_code == 500
    assert err.code == "server_error"
    assert err.error_type == "server_error"
    assert err.server_message == "The server had an error while processing your request."
    assert "HTTP 500" in str(err)


def _head(s: Stream, events: int) -> bytes:
    frames = s.recording.events
    return b"".join(frames[:events]) + frames[events][:20]


def test_stream_that_stalls_mid_event(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    s = resumable_stream(SHORT)
    stall = Stall(_head(s, 3))
    timeout = httpx.Timeout(5.0, read=0.3)
    with switch.using(stall), httpx.Client(base_url=base, timeout=timeout) as client:
        with pytest.raises(sh.StreamTimeoutError) as info:
            sh.reduce(client, "POST", "/v1/responses", json={"stream": True}, resume=False)
        assert info.value.partial.verdict.last_sequence_number == sequence(s.events)[2]
        # With resume on, the resumed stream stalls too: bounded attempts.
        with pytest.raises(sh.ResumeFailedError) as again:
            sh.reduce(
                client,
                "POST",
                "/v1/responses",
                json={"stream": True},
                resume=sh.Resume(max_attempts=2, backoff=0),
            )
    assert isinstance(again.value.last_error, httpx.ReadTimeout)
    assert again.value.partial.verdict.last_sequence_number == sequence(s.events)[2]
    assert stall.connections == 1 + 1 + 2


def test_endless_keepalive_comments(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    s = resumable_stream(SHORT)
    with switch.using(KeepAlive(_head(s, 2)[:-20])), httpx.Client(base_url=base) as client:
        with pytest.raises(streamkit.errors.IdleStreamError) as info:
            sh.reduce(client, "POST", "/v1/responses", json={"stream": True}, max_idle_lines=1000)
    assert info.value.partial.verdict.last_sequence_number == sequence(s.events)[1]


def test_not_found_endpoint(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    with switch.using(stream_of(SHORT).app()), httpx.Client(base_url=base) as client:
        with pytest.raises(sh.UnexpectedResponseError) as info:
            sh.reduce(client, "POST", "/v1/nothing", json={"stream": True})
    assert info.value.status_code == 404
    assert info.value.code == "not_found"


# Arguments -------------------------------------------------------------------


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        sh.Resume(max_attempts=0)
    with pytest.raises(TypeError):
        with sh.stream(object()):
            pass
    with httpx.Client() as client, pytest.raises(TypeError):
        with sh.stream(client):
            pass


def test_resume_delay_honours_retry() -> None:
    from streamkit.http import _Session

    session = _Session(
        "responses",
        sh.Resume(backoff=1, max_backoff=5, jitter=0),
        False,
        None,
        "raise",
        1 << 20,
        None,
    )
    session.attempts = 1
    assert session.delay() == 1
    session.attempts = 3
    assert session.delay() == 4
    session.attempts = 5
    assert session.delay() == 5
    session.retry = 100  # ms, from a ``retry:`` field
    session.attempts = 1
    assert session.delay() == 0.1


def test_event_type_names() -> None:
    s = stream_of(SHORT)
    assert event_type(s.events[0]) == "response.created"
    first_data = s.body.split(b"data: ", 1)[1].split(b"\n")[0]
    assert msgspec.json.decode(first_data)["type"] == "response.created"


def test_corrupt_payload_keeps_what_came_before(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    s = resumable_stream(SHORT)
    frames = s.recording.events
    body = b"".join(frames[:3]) + b"data: {oops\n\n" + b"".join(frames[3:])
    # One chunk: the bad event arrives together with the good ones before it.
    app = ReplayApp([("corrupt", body)], chunk_sizes=(len(body), len(body)))
    with switch.using(app), httpx.Client(base_url=base) as client:
        seen: list[Any] = []
        with pytest.raises(streamkit.errors.EventDecodeError) as info:
            with sh.stream(client, "POST", "/v1/responses", json={"stream": True}) as es:
                seen.extend(es)
        assert sequence(seen) == sequence(s.events)[:3]
        assert info.value.index == 3 and b"{oops" in info.value.excerpt
        with pytest.raises(streamkit.errors.EventDecodeError) as again:
            sh.reduce(client, "POST", "/v1/responses", json={"stream": True})
    assert again.value.partial.verdict.last_sequence_number == sequence(s.events)[2]


def test_drop_after_the_terminal_event_is_not_an_error(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    s = resumable_stream(SHORT)
    # The connection breaks right after the last event: nothing is missing.
    app = s.app(cut_at=[len(b"".join(s.recording.events))])
    with switch.using(app), httpx.Client(base_url=base) as client:
        final = sh.reduce(client, "POST", "/v1/responses", json={"stream": True}, resume=False)
    assert final == s.final
    assert [r.method for r in app.requests] == ["POST"]

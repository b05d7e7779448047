"""streamkit.http over real sockets: a uvicorn server on 127.0.0.1 replays the
shared recordings, cuts connections, and misbehaves."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from helpers import recording_ids, recording_paths
from servers import IgnoreStartingAfter as IgnoreStartingAfterApp
from servers import (
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
from streamkit.replay import Recording, ReplayApp

ALL = recording_paths()
RESPONSES = recording_paths("responses")
FAST = sh.Resume(backoff=0, max_attempts=3)


@pytest.fixture(scope="module")
def srv() -> Iterator[tuple[Switch, str]]:
    with server() as s:
        yield s


def endpoint(path: Path) -> str:
    return "/v1/responses" if path.parent.name == "responses" else "/v1/chat/completions"


def file_events(path: Path) -> list[Any]:
    return list(streamkit.iter_events(path, errors="yield"))


def sequence(events: list[Any]) -> list[int]:
    return [
        e.sequence_number for e in events if isinstance(getattr(e, "sequence_number", None), int)
    ]


def resumable(path: Path) -> bool:
    events = file_events(path)
    has_id = any(isinstance(getattr(getattr(e, "response", None), "id", None), str) for e in events)
    return has_id and len(sequence(events)) == len(events)


RESUMABLE = [p for p in RESPONSES if resumable(p)]


def pacing(path: Path) -> float:
    # Small delays on small recordings keep the whole run short.
    return 0.0002 if path.stat().st_size < 10_000 else 0.0


# Every recording over a socket -------------------------------------------------


@pytest.mark.parametrize("path", ALL, ids=recording_ids(ALL))
def test_sync_stream_equals_file(srv: tuple[Switch, str], path: Path) -> None:
    switch, base = srv
    app = ReplayApp([path], chunk_sizes=(1, 200), delay=pacing(path), seed=len(path.name))
    with switch.using(app), httpx.Client(base_url=base) as client:
        with sh.stream(client, "POST", endpoint(path), json={"stream": True}, errors="yield") as es:
            events = list(es)
        final = sh.reduce(client, "POST", endpoint(path), json={"stream": True})
    assert events == file_events(path)
    assert final == streamkit.reduce(path)
    assert app.requests[0].headers["accept"] == "text/event-stream"


@pytest.mark.anyio
@pytest.mark.parametrize("path", ALL, ids=recording_ids(ALL))
async def test_async_stream_equals_file(
    srv: tuple[Switch, str], path: Path, anyio_backend: str
) -> None:
    switch, base = srv
    app = ReplayApp([path], chunk_sizes=(1, 200), delay=pacing(path), seed=7)
    with switch.using(app):
        async with httpx.AsyncClient(base_url=base) as client:
            async with sh.astream(
                client, "POST", endpoint(path), json={"stream": True}, errors="yield"
            ) as es:
                events = [e async for e in es]
            final = await sh.areduce(client, "POST", endpoint(path), json={"stream": True})
    assert events == file_events(path)
    assert final == streamkit.reduce(path)


@pytest.mark.parametrize("path", ALL, ids=recording_ids(ALL))
def test_openai_sdk_raw_response(srv: tuple[Switch, str], path: Path) -> None:
    openai = pytest.importorskip("openai")
    switch, base = srv
    app = ReplayApp([path], chunk_sizes=(1, 200), delay=pacing(path), seed=3)
    sdk = openai.OpenAI(base_url=f"{base}/v1", api_key="test", max_retries=0)
    with switch.using(app):
        if path.parent.name == "responses":
            create: Any = sdk.responses.with_streaming_response.create
            kwargs: dict[str, Any] = {"input": "hi"}
        else:
            create = sdk.chat.completions.with_streaming_response.create
            kwargs = {"messages": [{"role": "user", "content": "hi"}]}
        # The SDK's raw bytes, parsed by streamkit instead of the SDK's parser.
        with create(model=path.stem, stream=True, **kwargs) as raw:
            final = streamkit.reduce(raw.iter_bytes())
        with create(model=path.stem, stream=True, **kwargs) as raw:
            with sh.stream(raw, errors="yield") as es:
                events = list(es)
    assert final == streamkit.reduce(path)
    assert events == file_events(path)
    assert app.requests[0].recording == path.stem


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the SDK's async client needs asyncio
@pytest.mark.parametrize("path", ALL[::9], ids=recording_ids(ALL[::9]))
async def test_openai_sdk_async_raw_response(
    srv: tuple[Switch, str], path: Path, anyio_backend: str
) -> None:
    openai = pytest.importorskip("openai")
    switch, base = srv
    sdk = openai.AsyncOpenAI(base_url=f"{base}/v1", api_key="test", max_retries=0)
    with switch.using(ReplayApp([path], chunk_sizes=(1, 200), seed=5)):
        if path.parent.name == "responses":
            ctx: Any = sdk.responses.with_streaming_response.create(
                model=path.stem, input="hi", stream=True
            )
        else:
            ctx = sdk.chat.completions.with_streaming_response.create(
                model=path.stem, messages=[{"role": "user", "content": "hi"}], stream=True
            )
        async with ctx as raw:
            final = await streamkit.areduce(raw.iter_bytes())
    assert final == streamkit.reduce(path)
    await sdk.close()


def test_already_open_response(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    path = RESUMABLE[0]
    with switch.using(ReplayApp([path], cut_every=2, cut_partial=True)) as app:
        with httpx.Client(base_url=base) as client:
            with client.stream("POST", "/v1/responses", json={"stream": True}) as response:
                # Without a client to reconnect with, a drop is an error...
                with pytest.raises(sh.ConnectionLostError) as info:
                    with sh.stream(response) as es:
                        seen = list(es) if False else [e for e in es]
                assert info.value.index == 2
            with client.stream("POST", "/v1/responses", json={"stream": True}) as response:
                # ...and with one it resumes.
                with sh.stream(response, resume=FAST, resume_client=client) as es:
                    seen = list(es)
                    assert es.resumes > 0
    assert seen == file_events(path)
    assert app.requests[-1].method == "GET"


# Resume ----------------------------------------------------------------------


def _resume_case(
    switch: Switch, base: str, path: Path, **app_options: Any
) -> tuple[list[Any], Any, ReplayApp]:
    app = ReplayApp([path], chunk_sizes=(1, 200), **app_options)
    with switch.using(app), httpx.Client(base_url=base) as client:
        with sh.stream(
            client, "POST", "/v1/responses", json={"stream": True}, resume=FAST, errors="yield"
        ) as es:
            events = list(es)
            assert es.response_id is not None
        final = sh.reduce(client, "POST", "/v1/responses", json={"stream": True}, resume=FAST)
    return events, final, app


@pytest.mark.parametrize("mode", ["abort", "eof"])
@pytest.mark.parametrize("path", RESUMABLE, ids=recording_ids(RESUMABLE))
def test_resume_mid_event(srv: tuple[Switch, str], path: Path, mode: str) -> None:
    switch, base = srv
    n = len(file_events(path))
    every = max(1, n // 4)  # about four drops per stream, each inside an event
    events, final, app = _resume_case(
        switch, base, path, cut_every=every, cut_partial=True, cut_mode=mode
    )
    expected = file_events(path)
    assert sequence(events) == sequence(expected)  # 0 lost, 0 twice
    assert events == expected
    assert final == streamkit.reduce(path)
    gets = [r for r in app.requests if r.method == "GET"]
    assert len(gets) == 2 * ((n - 1) // every)
    assert all(r.query["stream"] == "true" for r in gets)


SMALL_RESUMABLE = [p for p in RESUMABLE if len(file_events(p)) <= 80]


@pytest.mark.parametrize("path", SMALL_RESUMABLE, ids=recording_ids(SMALL_RESUMABLE))
def test_resume_at_every_event_boundary(srv: tuple[Switch, str], path: Path) -> None:
    switch, base = srv
    events, final, app = _resume_case(switch, base, path, cut_every=1)
    expected = file_events(path)
    assert sequence(events) == sequence(expected)
    assert final == streamkit.reduce(path)
    # Each resume asks for exactly what follows the last event received.
    gets = [r for r in app.requests if r.method == "GET"]
    half = len(gets) // 2
    assert [int(r.query["starting_after"]) for r in gets[:half]] == sequence(expected)[:-1]


@pytest.mark.parametrize("path", RESUMABLE[::5], ids=recording_ids(RESUMABLE[::5]))
def test_resume_at_random_byte_offsets(srv: tuple[Switch, str], path: Path) -> None:
    switch, base = srv
    size = len(path.read_bytes())
    rng = random.Random(size)
    # First connection cut anywhere; each resume cut again a little later.
    cuts = [rng.randrange(1, size), *(rng.randrange(1, 400) for _ in range(3))]
    app = ReplayApp([path], chunk_sizes=(1, 64), cut_at=cuts)
    with switch.using(app), httpx.Client(base_url=base) as client:
        final = sh.reduce(
            client, "POST", "/v1/responses", json={"stream": True}, resume=sh.Resume(backoff=0)
        )
    assert final == streamkit.reduce(path)


@pytest.mark.anyio
@pytest.mark.parametrize("path", RESUMABLE[::6], ids=recording_ids(RESUMABLE[::6]))
async def test_async_resume(srv: tuple[Switch, str], path: Path, anyio_backend: str) -> None:
    switch, base = srv
    app = ReplayApp([path], chunk_sizes=(1, 200), cut_every=2, cut_partial=True)
    with switch.using(app):
        async with httpx.AsyncClient(base_url=base) as client:
            async with sh.astream(
                client, "POST", "/v1/responses", json={"stream": True}, resume=FAST
            ) as es:
                events = [e async for e in es]
    assert sequence(events) == sequence(file_events(path))
    assert events == file_events(path)


def test_resume_drops_events_a_server_sends_again(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    path = max(SMALL_RESUMABLE, key=lambda p: len(file_events(p)))
    cut = len(path.read_bytes()) // 2  # the first connection drops halfway
    inner = ReplayApp([path], chunk_sizes=(1, 200), cut_at=[cut])
    with switch.using(IgnoreStartingAfterApp(inner)), httpx.Client(base_url=base) as client:
        with sh.stream(client, "POST", "/v1/responses", json={"stream": True}, resume=FAST) as es:
            events = list(es)
            assert es.resumes == 1
    assert sequence(events) == sequence(file_events(path))
    assert events == file_events(path)


def test_resume_keeps_query_and_headers(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    path = RESUMABLE[0]
    app = ReplayApp([path], cut_every=2)
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
    assert get.path.startswith("/openai/v1/responses/resp")
    assert get.query["api-version"] == "preview"
    assert get.headers["authorization"] == "Bearer k"
    assert get.headers["x-custom"] == "1"
    assert "content-type" not in get.headers


def test_generic_sse_resumes_with_last_event_id(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    path = next(p for p in recording_paths("chat") if p.stat().st_size < 20_000)
    app = ReplayApp([path], chunk_sizes=(1, 200), ids=True, retry=1, cut_every=3, cut_partial=True)
    with switch.using(app), httpx.Client(base_url=base) as client:
        with sh.stream(
            client, "POST", "/v1/chat/completions", json={"stream": True}, resume=FAST
        ) as es:
            events = list(es)
            assert es.resumes > 0
    assert events == file_events(path)
    posts = [r for r in app.requests if r.method == "POST"]
    # Each reconnection names the last event received; the same body is sent.
    assert [r.headers.get("last-event-id") for r in posts[1:]] == [
        str(i) for i in range(2, 3 * len(posts) - 1, 3)
    ]


def test_chat_stream_without_ids_cannot_resume(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    path = next(p for p in recording_paths("chat") if len(file_events(p)) > 6)
    with switch.using(ReplayApp([path], cut_every=3, cut_partial=True)):
        with httpx.Client(base_url=base) as client:
            with pytest.raises(sh.ConnectionLostError) as info:
                sh.reduce(client, "POST", "/v1/chat/completions", json={"stream": True})
    assert "cannot be resumed" in str(info.value)
    assert info.value.partial is not None  # what came before is kept
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)


def test_resume_off(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    path = RESUMABLE[0]
    with switch.using(ReplayApp([path], cut_every=3, cut_partial=True)):
        with httpx.Client(base_url=base) as client:
            with pytest.raises(sh.ConnectionLostError) as info:
                sh.reduce(client, "POST", "/v1/responses", json={"stream": True}, resume=False)
            # A clean early end is a truncated stream, as for a file.
    assert "resuming is off" in str(info.value)
    assert info.value.partial.verdict.status == "truncated"
    with switch.using(ReplayApp([path], cut_every=3, cut_mode="eof")):
        with httpx.Client(base_url=base) as client:
            final = sh.reduce(client, "POST", "/v1/responses", json={"stream": True}, resume=False)
            with pytest.raises(streamkit.TruncatedStreamError):
                sh.reduce(
                    client,
                    "POST",
                    "/v1/responses",
                    json={"stream": True},
                    resume=False,
                    strict=True,
                )
    assert final.verdict.status == "truncated"
    assert final.verdict.last_sequence_number == 2


def test_gives_up_after_max_attempts(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    path = RESUMABLE[0]
    # The first connection delivers 3 events; every later one is cut at once.
    first = len(b"".join(Recording.load(path).events[:3]))
    app = ReplayApp([path], cut_at=[first, *[0] * 50])
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
    assert err.partial.verdict.last_sequence_number == 2
    assert len([r for r in app.requests if r.method == "GET"]) == 3
    assert isinstance(err, sh.ConnectionLostError)


def test_gives_up_when_the_server_refuses(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    path = RESUMABLE[0]

    # A server that did not store the response: resuming it gets a 404.
    app = ReplayApp([path], cut_every=2)
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


def _head(path: Path, events: int) -> bytes:
    frames = Recording.load(path).events
    return b"".join(frames[:events]) + frames[events][:20]


def test_stream_that_stalls_mid_event(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    path = RESUMABLE[0]
    stall = Stall(_head(path, 3))
    timeout = httpx.Timeout(5.0, read=0.3)
    with switch.using(stall), httpx.Client(base_url=base, timeout=timeout) as client:
        with pytest.raises(sh.StreamTimeoutError) as info:
            sh.reduce(client, "POST", "/v1/responses", json={"stream": True}, resume=False)
        assert info.value.partial.verdict.last_sequence_number == 2
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
    assert again.value.partial.verdict.last_sequence_number == 2
    assert stall.connections == 1 + 1 + 2


def test_endless_keepalive_comments(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    path = RESUMABLE[0]
    with switch.using(KeepAlive(_head(path, 2)[:-20])), httpx.Client(base_url=base) as client:
        with pytest.raises(streamkit.IdleStreamError) as info:
            sh.reduce(client, "POST", "/v1/responses", json={"stream": True}, max_idle_lines=1000)
    assert info.value.partial.verdict.last_sequence_number == 1


def test_not_found_endpoint(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    with switch.using(ReplayApp(RESUMABLE[:1])), httpx.Client(base_url=base) as client:
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
    from streamkit.adapters._http import _Session

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
    events = file_events(RESUMABLE[0])
    assert event_type(events[0]) == "response.created"
    assert (
        msgspec.json.decode(RESUMABLE[0].read_bytes().split(b"data: ", 1)[1].split(b"\n")[0])[
            "type"
        ]
        == "response.created"
    )


def test_corrupt_payload_keeps_what_came_before(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    path = RESUMABLE[0]
    frames = Recording.load(path).events
    body = b"".join(frames[:3]) + b"data: {oops\n\n" + b"".join(frames[3:])
    # One chunk: the bad event arrives together with the good ones before it.
    app = ReplayApp([("corrupt", body)], chunk_sizes=(len(body), len(body)))
    with switch.using(app), httpx.Client(base_url=base) as client:
        seen: list[Any] = []
        with pytest.raises(streamkit.EventDecodeError) as info:
            with sh.stream(client, "POST", "/v1/responses", json={"stream": True}) as es:
                seen.extend(es)
        assert sequence(seen) == [0, 1, 2]
        assert info.value.index == 3 and b"{oops" in info.value.excerpt
        with pytest.raises(streamkit.EventDecodeError) as again:
            sh.reduce(client, "POST", "/v1/responses", json={"stream": True})
    assert again.value.partial.verdict.last_sequence_number == 2


def test_drop_after_the_terminal_event_is_not_an_error(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    path = RESUMABLE[0]
    body = path.read_bytes()
    # The connection breaks right after the last event: nothing is missing.
    app = ReplayApp([path], cut_at=[len(b"".join(Recording.load(path).events))])
    with switch.using(app), httpx.Client(base_url=base) as client:
        final = sh.reduce(client, "POST", "/v1/responses", json={"stream": True}, resume=False)
    assert final == streamkit.reduce(body)
    assert [r.method for r in app.requests] == ["POST"]

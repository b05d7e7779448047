"""Faults over real sockets (uvicorn on 127.0.0.1): a link that delivers one byte
every 50 ms, and servers that resume a dropped stream with a different one (another
response id, sequence numbers that skip or go back, other item ids at an output
index, SSE ids replayed from another point). Each ends in the right result or in its
documented typed error, with ``.partial`` holding the fold from before the fault."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx
import pytest
from servers import Scripted, Switch, Trickle, server

import streamkit
import streamkit.http as sh
from streamkit.errors import StreamIntegrityError, StreamTimeoutError
from streamkit.testing import demo_stream

FAST = sh.Resume(backoff=0, max_attempts=3)


@pytest.fixture(scope="module")
def srv() -> Iterator[tuple[Switch, str]]:
    with server() as s:
        yield s


def frames(name: str) -> list[bytes]:
    """The events of a demo stream, each with its blank line."""
    return [f + b"\n\n" for f in demo_stream(name).split(b"\n\n") if f.strip()]


def sequence(events: list[Any]) -> list[int]:
    return [e.sequence_number for e in events]


# A link delivering one byte every 50 ms --------------------------------------------------

_CHUNK = b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":'
FIRST = _CHUNK + b'[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
SECOND = (
    _CHUNK + b'[{"index":0,"delta":{"content":", over a slow link, one byte at a time."},'
    b'"finish_reason":"stop"}]}\n\n'
)
SLOW = FIRST + SECOND + b"data: [DONE]\n\n"
BYTE_GAP = 0.05
# Shorter than the gap before the second event (a server never sends faster than
# its pace), and seconds longer than the first event takes (a busy machine only
# makes the server slower).
IDLE = len(SECOND) * BYTE_GAP - 1.0


def test_the_slow_stream_leaves_room_on_both_sides_of_the_idle_deadline() -> None:
    assert 250 <= len(SLOW) <= 350  # a few hundred bytes: about 16 s at 50 ms a byte
    assert IDLE - len(FIRST) * BYTE_GAP >= 2.0


def test_one_byte_every_50_ms(srv: tuple[Switch, str]) -> None:
    """Four clients at once on the same slow link: sync and async, each once to the
    end and once with an idle deadline shorter than the gap between two events."""
    switch, base = srv
    expected = streamkit.reduce(SLOW)
    text = "Hi, over a slow link, one byte at a time."
    assert expected.verdict.ok and expected.choices[0].message.content == text
    partial = streamkit.reduce(FIRST)
    trickle = Trickle(SLOW, BYTE_GAP)

    def sync_whole() -> Any:
        with httpx.Client(base_url=base) as client:
            return sh.reduce(client, "POST", "/v1/chat/completions", json={"stream": True})

    def sync_idle() -> Any:
        with httpx.Client(base_url=base) as client:
            try:
                sh.reduce(client, "POST", "/v1/chat/completions", json={}, idle_timeout=IDLE)
            except StreamTimeoutError as exc:
                return exc
        return None

    async def async_both() -> tuple[Any, Any]:
        async with httpx.AsyncClient(base_url=base) as client:
            whole: Any = None
            idle: Any = None

            async def run_whole() -> None:
                nonlocal whole
                whole = await sh.areduce(client, "POST", "/v1/chat/completions", json={})

            async def run_idle() -> None:
                nonlocal idle
                try:
                    await sh.areduce(
                        client, "POST", "/v1/chat/completions", json={}, idle_timeout=IDLE
                    )
                except StreamTimeoutError as exc:
                    idle = exc

            async with anyio.create_task_group() as group:
                group.start_soon(run_whole)
                group.start_soon(run_idle)
        return whole, idle

    with switch.using(trickle), ThreadPoolExecutor(3) as pool:
        futures = [
            pool.submit(sync_whole),
            pool.submit(sync_idle),
            pool.submit(anyio.run, async_both),
        ]
        whole, idle, (async_whole, async_idle) = (f.result(timeout=60) for f in futures)
    assert whole == async_whole == expected
    for error in (idle, async_idle):
        assert isinstance(error, StreamTimeoutError), error
        assert f"idle_timeout={IDLE:g}" in str(error)
        assert error.partial == partial
        assert error.partial.choices[0].message.content == "Hi"
        assert error.index == 1
    assert trickle.connections == 4  # an idle deadline does not reconnect


# A Responses stream resumed with something else ------------------------------------------

RESPONSE = frames("responses-text")
RESPONSE_ID = b"resp_141cb0ffa92080330068a9e23fc5933401a68e14c80911410a"
ITEM_ID = b"msg_141cb0ffa92080330068a9e23f0df9f02f9902709d613a0592"


def responses_case(
    switch: Switch, base: str, resumed: bytes, drop_after: int
) -> tuple[Scripted, Any, Any]:
    """The first connection drops after ``drop_after`` events; the resume gets
    ``resumed``. Returns the server, the error (or None) and the result."""
    app = Scripted([(b"".join(RESPONSE[:drop_after]), False), (resumed, True)])
    with switch.using(app), httpx.Client(base_url=base) as client:
        try:
            final = sh.reduce(client, "POST", "/v1/responses", json={"stream": True}, resume=FAST)
        except streamkit.errors.StreamError as exc:
            return app, exc, None
    return app, None, final


def assert_resumed_after(app: Scripted, last: int) -> None:
    post, get = app.seen[:2]
    assert post.method == "POST" and get.method == "GET"
    assert get.path == "/v1/responses/" + RESPONSE_ID.decode()
    assert get.query == f"stream=true&starting_after={last}"


def test_the_right_continuation_gives_the_whole_response(
    srv: tuple[Switch, str],
) -> None:
    app, error, final = responses_case(*srv, b"".join(RESPONSE[10:]), drop_after=10)
    assert error is None and final == streamkit.reduce(b"".join(RESPONSE))
    assert_resumed_after(app, 9)


@pytest.mark.parametrize("drop_after", [1, 4])
def test_a_resume_that_serves_another_response_is_an_integrity_error(
    srv: tuple[Switch, str], drop_after: int
) -> None:
    other = [f.replace(RESPONSE_ID, b"resp_other") for f in RESPONSE]
    # After one event the next carries a response (response.in_progress); after
    # four, a server that replays from the start shows its id at once.
    resumed = b"".join(other[drop_after:] if drop_after == 1 else other)
    app, error, _ = responses_case(*srv, resumed, drop_after)
    assert isinstance(error, StreamIntegrityError), error
    message = str(error)
    assert "resp_other" in message and RESPONSE_ID.decode() in message
    assert "response id" in message
    assert error.partial == streamkit.reduce(b"".join(RESPONSE[:drop_after]))
    assert len(app.seen) == 2  # not resumed again
    assert_resumed_after(app, drop_after - 1)


def test_a_resume_that_skips_sequence_numbers_is_an_integrity_error(
    srv: tuple[Switch, str],
) -> None:
    app, error, _ = responses_case(*srv, b"".join(RESPONSE[13:]), drop_after=10)
    assert isinstance(error, StreamIntegrityError), error
    assert "sequence_number 13 follows 9: events 10..12 are lost" in str(error)
    assert error.partial == streamkit.reduce(b"".join(RESPONSE[:10]))
    assert error.partial.output[0].content[0].text  # the text before the drop is kept
    assert error.index == 10
    assert len(app.seen) == 2


def test_a_resume_that_skips_one_event_names_it(srv: tuple[Switch, str]) -> None:
    _, error, _ = responses_case(*srv, b"".join(RESPONSE[11:]), drop_after=10)
    assert isinstance(error, StreamIntegrityError)
    assert "sequence_number 11 follows 9: event 10 is lost" in str(error)


@pytest.mark.parametrize(
    "resumed",
    [
        RESPONSE[6:],  # starts before the drop point
        RESPONSE[10:],  # exactly after it (sanity)
        RESPONSE[10:14] + RESPONSE[11:],  # goes back after new events
        RESPONSE[:3] + RESPONSE[9:12] + RESPONSE[10:],  # back twice
    ],
    ids=["earlier", "exact", "back-mid-stream", "back-twice"],
)
def test_a_resume_that_goes_back_drops_what_was_delivered(
    srv: tuple[Switch, str], resumed: list[bytes]
) -> None:
    switch, base = srv
    app = Scripted([(b"".join(RESPONSE[:10]), False), (b"".join(resumed), True)])
    with switch.using(app), httpx.Client(base_url=base) as client:
        with sh.stream(client, "POST", "/v1/responses", json={}, resume=FAST) as events:
            seen = list(events)
            assert events.resumes == 1
    assert sequence(seen) == list(range(len(RESPONSE)))  # nothing lost, nothing twice
    assert seen == list(streamkit.iter_events(b"".join(RESPONSE)))


def test_a_resume_with_another_item_at_an_output_index_is_an_integrity_error(
    srv: tuple[Switch, str],
) -> None:
    resumed = b"".join(f.replace(ITEM_ID, b"msg_other") for f in RESPONSE[10:])
    app, error, _ = responses_case(*srv, resumed, drop_after=10)
    assert isinstance(error, StreamIntegrityError), error
    assert f"output 0 is item 'msg_other', before the drop '{ITEM_ID.decode()}'" in str(error)
    assert error.partial == streamkit.reduce(b"".join(RESPONSE[:10]))
    assert len(app.seen) == 2


def test_stream_delivers_every_event_before_the_contradiction(srv: tuple[Switch, str]) -> None:
    switch, base = srv
    app = Scripted([(b"".join(RESPONSE[:10]), False), (b"".join(RESPONSE[14:]), True)])
    seen: list[Any] = []
    with switch.using(app), httpx.Client(base_url=base) as client:
        with pytest.raises(StreamIntegrityError):
            with sh.stream(client, "POST", "/v1/responses", json={}, resume=FAST) as events:
                seen.extend(events)
    assert sequence(seen) == list(range(10))


@pytest.mark.anyio
async def test_async_resume_with_another_response_is_an_integrity_error(
    srv: tuple[Switch, str], anyio_backend: str
) -> None:
    switch, base = srv
    other = b"".join(f.replace(RESPONSE_ID, b"resp_other") for f in RESPONSE)
    app = Scripted([(b"".join(RESPONSE[:5]), False), (other, True)])
    with switch.using(app):
        async with httpx.AsyncClient(base_url=base) as client:
            with pytest.raises(StreamIntegrityError, match="resp_other") as info:
                await sh.areduce(client, "POST", "/v1/responses", json={}, resume=FAST)
    assert info.value.partial == streamkit.reduce(b"".join(RESPONSE[:5]))
    assert len(app.seen) == 2


# A stream resumed with Last-Event-ID, replayed from another point -----------------------

CHAT = frames("chat-text")


def with_ids(events: list[bytes], ids: list[str]) -> list[bytes]:
    return [b"id: " + i.encode() + b"\n" + e for i, e in zip(ids, events, strict=True)]


NUMBERED = with_ids(CHAT, [str(i) for i in range(len(CHAT))])


@pytest.mark.parametrize("start", [0, 5, 9, 10], ids=["from-0", "earlier", "inclusive", "exact"])
def test_a_last_event_id_resume_from_an_earlier_point_drops_the_replays(
    srv: tuple[Switch, str], start: int
) -> None:
    switch, base = srv
    app = Scripted([(b"".join(NUMBERED[:10]), False), (b"".join(NUMBERED[start:]), True)] * 2)
    with switch.using(app), httpx.Client(base_url=base) as client:
        with sh.stream(client, "POST", "/v1/chat/completions", json={}, resume=FAST) as es:
            events = list(es)
            assert es.resumes == 1
        final = sh.reduce(client, "POST", "/v1/chat/completions", json={}, resume=FAST)
    assert events == list(streamkit.iter_events(b"".join(CHAT)))
    assert final == streamkit.reduce(b"".join(CHAT)) and final.verdict.ok
    assert app.seen[1].method == "POST" and app.seen[1].headers["last-event-id"] == "9"


def test_a_last_event_id_resume_from_a_later_point_is_an_integrity_error(
    srv: tuple[Switch, str],
) -> None:
    switch, base = srv
    app = Scripted([(b"".join(NUMBERED[:10]), False), (b"".join(NUMBERED[12:]), True)])
    with switch.using(app), httpx.Client(base_url=base) as client:
        with pytest.raises(StreamIntegrityError) as info:
            sh.reduce(client, "POST", "/v1/chat/completions", json={}, resume=FAST)
    assert "event id '12' follows '9': events 10..11 are lost" in str(info.value)
    assert info.value.partial == streamkit.reduce(b"".join(CHAT[:10]))
    assert len(app.seen) == 2


def test_ids_that_are_not_numbers_are_trusted(srv: tuple[Switch, str]) -> None:
    """Opaque ids tell nothing of order: what the server sends after the resume is
    taken as the continuation."""
    switch, base = srv
    opaque = with_ids(CHAT, [f"e{i:x}" for i in range(len(CHAT))])
    app = Scripted([(b"".join(opaque[:10]), False), (b"".join(opaque[8:]), True)])
    with switch.using(app), httpx.Client(base_url=base) as client:
        with sh.stream(client, "POST", "/v1/chat/completions", json={}, resume=FAST) as es:
            events = list(es)
    assert app.seen[1].headers["last-event-id"] == "e9"
    expected = list(streamkit.iter_events(b"".join(CHAT[:10] + CHAT[8:])))
    assert events == expected

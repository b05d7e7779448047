"""The compiled SSE decoder against the pure-Python reference.

Both get the same bytes in the same chunks and must agree after every
``feed()`` and at ``close()``: frames, errors (type, index, offset, excerpt,
limit, size, message) and the public state. Also: zero copy in the compiled
path, no reference leaks, and a bounded fixed-seed fuzz run.
"""

from __future__ import annotations

import contextlib
import gc
import os
import random
import subprocess
import sys
import tracemalloc

import pytest
from helpers import split_at
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks import fuzz_sse
from streamkit.sse._decoder import PySSEDecoder, implementation

# Every test needs the compiled decoder: the conftest fixture, restricted to it,
# skips them when it is not built (and fails them under CI).
pytestmark = pytest.mark.parametrize("decoder_cls", ["compiled"], indirect=True)


_TOKENS = [
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"\r\n\r\n",
    b":",
    b": ",
    b": ping",
    b" ",
    b"data",
    b"data:",
    b"data: ",
    b"event:",
    b"event: ",
    b"id:",
    b"id: ",
    b"\x00",
    b"retry:",
    b"retry: ",
    b"42",
    b"0000",
    b"9" * 30,
    b"9" * 5000,
    b"\xef\xbb\xbf",
    b"\xef",
    b"\xbb",
    b"x",
    b"\xff",
    b"\xc3",
    b'{"a": 1}',
]
streams = st.lists(
    st.one_of(
        st.sampled_from(_TOKENS), st.binary(max_size=4), st.binary(min_size=100, max_size=300)
    ),
    max_size=60,
).map(b"".join)
options = st.fixed_dictionaries(
    {},
    optional={
        "max_event_bytes": st.integers(min_value=1, max_value=400),
        "max_idle_lines": st.integers(min_value=0, max_value=6),
    },
)


def _cuts(data: bytes, cuts: list[int], edges: bool) -> list[bytes]:
    if edges:
        # Cut at (or just after) every CR and LF: lone CRs, split CRLFs and
        # blank lines fall on chunk boundaries.
        cuts = cuts + [
            i + (c % 2) for c, i in enumerate(i for i, b in enumerate(data) if b in b"\r\n")
        ]
    return split_at(data, cuts)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    streams,
    st.lists(st.integers(min_value=0, max_value=20_000), max_size=12),
    st.booleans(),
    options,
)
def test_same_outcome_after_every_feed(
    decoder_cls: type, data: bytes, cuts: list[int], edges: bool, opts: dict[str, int]
) -> None:
    fuzz_sse.compare(_cuts(data, cuts, edges), opts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams, options)
def test_same_outcome_byte_by_byte(decoder_cls: type, data: bytes, opts: dict[str, int]) -> None:
    fuzz_sse.compare([data[i : i + 1] for i in range(len(data))], opts)


@pytest.mark.parametrize(
    "chunks",
    [
        [b"\xef", b"\xbb", b"\xbfdata: x\n\n"],
        [b"\xef\xbb", b"data: x\n\n"],
        [b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"],
        [b"retry: " + b"7" * 10_000 + b"\ndata: x\n\n"],
        [b"retry: " + b"0" * 10_000 + b"12\n", b"\n"],
        [b"id: a\x00b\ndata: x\n\nid: 5\n\n"],
        [b"data: ok\n\n" + b"data: " + b"q" * 100 + b"\n\n"],
        [b"data: ok\r\n\r\n" + b": c\r\n" * 10],
        [b"data: " + b"z" * 50, b"z" * 50, b"\n\n"],
        [b"data:\r\n" * 100 + b"\r\n"],
        [b"event: e\n" + b"data: x\n" * 3 + b"\n"],
        [b""],
    ],
)
@pytest.mark.parametrize("limits", [{}, {"max_event_bytes": 40}, {"max_idle_lines": 2}])
def test_edge_cases_agree(chunks: list[bytes], limits: dict[str, int], decoder_cls: type) -> None:
    fuzz_sse.compare(chunks, limits)


def test_inputs_other_than_bytes_agree(decoder_cls: type) -> None:
    for data in (bytearray(b"data: x\n\n"), memoryview(b"event: e\ndata: y\n\n")):
        assert [bytes(f.data) for f in PySSEDecoder().feed(data)] == [
            bytes(f.data) for f in decoder_cls().feed(data)
        ]
    for cls in (PySSEDecoder, decoder_cls):
        with pytest.raises(TypeError):
            cls().feed("data: x\n\n")  # type: ignore[misc, arg-type]


def test_feed_accepts_its_argument_by_name(decoder_cls: type) -> None:
    assert len(decoder_cls().feed(data=b"data: x\n\n")) == 1


def test_default_limit_is_the_same(decoder_cls: type) -> None:
    # The limit is not readable; an event just over the default shows it.
    size = 64 * 1024 * 1024
    chunk = b"data: " + b"x" * (size - 7) + b"\n"  # exactly the limit
    for cls in (PySSEDecoder, decoder_cls):
        dec = cls()
        dec.feed(chunk)
        with pytest.raises(Exception, match="max_event_bytes=67108864"):
            dec.feed(b"y")


def test_implementation_reports_the_compiled_decoder(decoder_cls: type) -> None:
    import streamkit

    assert implementation() == streamkit.implementation() == "compiled"
    assert streamkit.SSEDecoder is decoder_cls


def test_no_extensions_switch_selects_pure_python(decoder_cls: type) -> None:
    code = (
        "import streamkit, streamkit.sse._decoder as s; "
        "print(streamkit.implementation(), streamkit.SSEDecoder is s.PySSEDecoder, s.CSSEDecoder)"
    )
    env = {**os.environ, "STREAMKIT_NO_EXTENSIONS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["python", "True", "None"]


def test_compiled_decoder_is_usable_without_init(decoder_cls: type) -> None:
    dec = decoder_cls.__new__(decoder_cls)
    assert [bytes(f.data) for f in dec.feed(b"data: x\n\n")] == [b"x"]


# -- zero copy ---------------------------------------------------------------------------------


def test_compiled_frames_view_the_fed_chunk(decoder_cls: type) -> None:
    chunk = b'event: e\r\ndata: {"a": 1}\r\n\r\ndata: [2]\n\n'
    frames = decoder_cls().feed(chunk)
    assert [f.data.obj for f in frames] == [chunk, chunk]
    assert [bytes(f.data) for f in frames] == [b'{"a": 1}', b"[2]"]


def test_compiled_split_event_is_copied_once_not_kept(decoder_cls: type) -> None:
    first = b'data: {"a":'
    before = sys.getrefcount(first)
    dec = decoder_cls()
    assert dec.feed(first) == []
    assert sys.getrefcount(first) == before
    second = b' 1}\n\ndata: "b"\n\n'
    one, two = dec.feed(second)
    assert bytes(one.data) == b'{"a": 1}'
    assert one.data.obj is not first and one.data.obj is not second
    assert two.data.obj is second


def test_compiled_pending_data_does_not_keep_the_chunk(decoder_cls: type) -> None:
    chunk = b"data: " + b"x" * 1000 + b"\r\n"
    before = sys.getrefcount(chunk)
    dec = decoder_cls()
    assert dec.feed(chunk) == []
    assert sys.getrefcount(chunk) == before
    (frame,) = dec.feed(b"\r\n")
    assert bytes(frame.data) == b"x" * 1000


# -- leaks and memory ---------------------------------------------------------------------------


def _feed_many(cls: type, count: int) -> None:
    rng = random.Random(7)
    events = [b'data: {"i": %d}\n\n' % i for i in range(100)]
    events += [b"event: e\r\ndata: a\r\ndata: b\r\n\r\n", b": ping\n\n", b"id: 3\nretry: 5\n\n"]
    dec = cls()
    for i in range(count):
        event = rng.choice(events)
        if i % 3 == 0:
            cut = rng.randint(1, len(event) - 1)
            dec.feed(event[:cut])
            dec.feed(event[cut:])
        else:
            dec.feed(event)
    dec.close()


def _resident() -> int | None:
    """This process's resident memory in bytes (Linux), else None."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def test_a_million_small_feeds_keep_memory_flat(decoder_cls: type) -> None:
    _feed_many(decoder_cls, 50_000)  # warm caches and free lists
    gc.collect()
    before = _resident()
    if before is None:  # no /proc: fewer feeds, traced allocations instead
        tracemalloc.start()
        try:
            start = tracemalloc.get_traced_memory()[0]
            _feed_many(decoder_cls, 200_000)
            gc.collect()
            growth = tracemalloc.get_traced_memory()[0] - start
        finally:
            tracemalloc.stop()
        assert growth < 1_000_000, growth
        return
    _feed_many(decoder_cls, 1_000_000)
    gc.collect()
    growth = (_resident() or 0) - before
    # One leaked chunk, frame or view per feed would be well over 50 MB.
    assert growth < 16 * 2**20, growth


def test_errors_do_not_leak(decoder_cls: type) -> None:
    def run() -> None:
        for _ in range(20_000):
            dec = decoder_cls(max_event_bytes=8, max_idle_lines=1)
            for chunk in (b"data: ok\n\n", b"data: " + b"x" * 20 + b"\n\n"):
                try:
                    dec.feed(chunk)
                except Exception:
                    continue
            with contextlib.suppress(Exception):
                dec.close()

    run()
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        run()
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert growth < 500_000, growth


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"])
def test_memory_per_event_is_bounded_by_the_limit(eol: bytes, decoder_cls: type) -> None:
    # Many tiny data lines in one chunk: the error comes before the event's
    # data grows much beyond the limit, in either implementation.
    limit = 200_000
    chunk = (b"data:" + eol) * 400_000
    for cls in (PySSEDecoder, decoder_cls):
        dec = cls(max_event_bytes=limit)
        gc.collect()
        tracemalloc.start()
        try:
            with pytest.raises(Exception, match="max_event_bytes"):
                dec.feed(chunk)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 4 * limit, (cls, peak)


# -- fuzz ---------------------------------------------------------------------------------------


def test_fuzz_recordings_and_generated_streams(decoder_cls: type) -> None:
    stats = fuzz_sse.fuzz(budget=20.0, seed=20240607, seeds=fuzz_sse.corpus(limit=80))
    assert stats["cases"] > 100
    assert stats["frames"] > 1000

"""The framing layer: bytes → SSE frames.

Contenders, all over the same pre-split chunk list, each counting frames:

- ``streamkit``: ``streamkit.SSEDecoder.feed`` per chunk, then ``close()``.
- ``openai``: openai-python's own decoder, ``openai._streaming.SSEDecoder().iter_bytes``,
  what ``openai.Stream`` iterates.
- ``httpx-sse``: what ``httpx_sse.EventSource.iter_sse()`` runs over a real
  response, mirrored from its source (httpx-sse 0.4.3): ``Response.iter_text()``
  (``httpx._decoders.TextDecoder``, empty pieces dropped as ``ByteChunker`` and
  ``TextChunker`` drop them) → ``httpx_sse._decoders.SSELineDecoder`` with its
  final ``flush()`` → ``line.rstrip("\\n")`` → ``httpx_sse._decoders.SSEDecoder.decode``.
  Only the per-chunk generator hops of ``iter_raw``/``iter_bytes`` and the
  identity content decoder are left out, which makes this contender slightly
  faster than the real thing, never slower.
- ``floor``: ``b"".join(chunks).split(b"\\n\\n")`` and the ``data: `` line of
  each block sliced out with ``find``: no framing rules at all, the practical
  speed limit of a framer written in Python.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

from benchmarks import _inputs
from benchmarks._layers import Case, Contender, Extra, ExtraRow, Layer, Scale, Target, register
from benchmarks._timing import paired

__all__ = [
    "COMPILED",
    "LAYER",
    "big_chunks",
    "large_event",
    "one_event",
    "pure_missing",
    "small_chunks",
]


def _compiled() -> bool:
    from streamkit import implementation

    return implementation() == "compiled"


#: streamkit's compiled SSE decoder is in use (the guards below are for it);
#: without it (not built, or STREAMKIT_NO_EXTENSIONS set) the pure-Python guards apply.
COMPILED = _compiled()

# -- guards (--check) -------------------------------------------------------------------------
# Targets not met today get a regression guard about 60-70% of the worst of
# several --check runs (quick scale, 2 busy cores) instead of half the target.
# The compiled decoder meets the framing targets (full run: 9.4-11.8x at 64 KiB, 7.4-9.2x
# at random 1-200 B, 8.7-10x at one event per read) but one: the 50 MiB event in 1 KiB
# chunks, 4.1-4.2x (12-15x on the 5 MiB quick one), where writing 50 MiB into fresh
# memory costs more (page faults) than all the parsing. Guards: half the target.
# The pure-Python decoder does not meet them; its guards follow.
# Framing vs httpx-sse is not at its 5x target: streamkit measured 1.7-2.4x at 64 KiB,
# where both do one regex/split pass per chunk in C and what is left is per-frame Python.
GUARD_HX_BIG = 1.1  # ~65% of the worst measured (1.67x, recordings-chat)
WHY_HX_BIG = "target not met (measured 1.7-2.4x); regression guard at ~65% of the worst run"
# Random 1-200 B chunks: about one feed() per frame, and feed()'s fixed Python cost
# (~2.5 µs) is what httpx-sse spends per line; measured 0.95-1.3x (full run: 0.95x).
GUARD_HX_SMALL = 0.65  # ~65% of the worst measured (1.00x, chat-tools)
WHY_HX_SMALL = "target not met (measured 0.95-1.3x); regression guard at ~65% of the worst run"
# One 50 MiB event (5 MiB quick): both are bound by copying the bytes; httpx-sse's
# str.splitlines is as fast as a memcpy. Measured 1.2-1.7x.
GUARD_HX_LARGE = 0.8  # ~65% of the worst measured (1.17x, in one chunk)
WHY_HX_LARGE = "target not met (measured 1.2-1.7x); regression guard at ~65% of the worst run"
# One event per read: one feed() per frame, as at random chunks; measured 1.0-1.3x.
GUARD_HX_EVENT = 0.65
WHY_HX_EVENT = "target not met (measured 1.0-1.3x); regression guard at ~65% of the worst run"
if COMPILED:
    GUARD_HX_BIG = GUARD_HX_SMALL = GUARD_HX_LARGE = GUARD_HX_EVENT = 2.5
    WHY_HX_BIG = WHY_HX_SMALL = WHY_HX_EVENT = ""
    WHY_HX_LARGE = "not met at full scale (4.1-4.2x: page faults of the 50 MiB copy)"


def big_chunks(case: Case) -> bool:
    return case.chunking == "64KiB"


def small_chunks(case: Case) -> bool:
    return case.chunking == "rand1-200"


def one_event(case: Case) -> bool:
    return case.chunking == "1event"


def large_event(case: Case) -> bool:
    return case.input == "large-event"


def pure_missing() -> str | None:
    """Why the pure-Python contender is not run: the subject is it already."""
    if not COMPILED:
        return "the C extension is not built or is disabled: streamkit runs in pure Python"
    return None


#: What the frames are compared by in the untimed validation: (event, data).
Frame = tuple[str, bytes]


def _decoder_options(case: Case) -> dict[str, Any]:
    opts = {}
    if "max_event_bytes" in case.options:
        opts["max_event_bytes"] = case.options["max_event_bytes"]
    return opts


# -- streamkit ----------------------------------------------------------------------------


def _streamkit(case: Case, pure: bool = False) -> Callable[[], int]:
    from streamkit.sse._decoder import PySSEDecoder, SSEDecoder

    cls = PySSEDecoder if pure else SSEDecoder
    chunks = case.chunks
    opts = _decoder_options(case)

    def run() -> int:
        # Counts like the peers do (they do not keep their frames either).
        d = cls(**opts)
        feed = d.feed
        n = 0
        for c in chunks:
            n += len(feed(c))
        return n + len(d.close())

    return run


def _streamkit_py(case: Case) -> Callable[[], int]:
    return _streamkit(case, pure=True)


def _streamkit_frames(case: Case, pure: bool = False) -> list[Frame]:
    from streamkit.sse._decoder import PySSEDecoder, SSEDecoder

    d = (PySSEDecoder if pure else SSEDecoder)(**_decoder_options(case))
    frames = []
    for c in case.chunks:
        frames += d.feed(c)
    frames += d.close()
    return [(f.event, bytes(f.data)) for f in frames]


def _streamkit_py_frames(case: Case) -> list[Frame]:
    return _streamkit_frames(case, pure=True)


# -- openai-python ------------------------------------------------------------------------


def _openai_missing() -> str | None:
    try:
        from openai._streaming import SSEDecoder  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        return f"openai not importable: {exc}"
    return None


def _openai(case: Case) -> Callable[[], int]:
    from openai._streaming import SSEDecoder

    chunks = case.chunks

    def run() -> int:
        n = 0
        for _sse in SSEDecoder().iter_bytes(iter(chunks)):
            n += 1
        return n

    return run


def _openai_frames(case: Case) -> list[Frame]:
    from openai._streaming import SSEDecoder

    return [
        (sse.event or "message", sse.data.encode("utf-8"))
        for sse in SSEDecoder().iter_bytes(iter(case.chunks))
    ]


# -- httpx-sse -----------------------------------------------------------------------------


def _httpx_sse_missing() -> str | None:
    try:
        import httpx._decoders  # noqa: F401
        import httpx_sse._decoders  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        return f"httpx-sse not importable: {exc}"
    return None


def _httpx_sse_events(chunks: list[bytes]) -> Iterator[Any]:
    """``EventSource(response).iter_sse()`` over a response whose body arrives as
    ``chunks`` (identity encoding, UTF-8, ``chunk_size=None``), mirrored from
    httpx 0.28 ``Response.iter_text`` and httpx-sse 0.4.3 ``_iter_sse_lines`` /
    ``EventSource.iter_sse``."""
    from httpx._decoders import TextDecoder
    from httpx_sse._decoders import SSEDecoder, SSELineDecoder

    def iter_text() -> Iterator[str]:  # httpx.Response.iter_text
        decoder = TextDecoder(encoding="utf-8")
        for byte_content in chunks:
            if not byte_content:  # ByteChunker(None) drops empty chunks
                continue
            text_content = decoder.decode(byte_content)
            if text_content:  # TextChunker(None) drops empty text
                yield text_content
        text_content = decoder.flush()
        if text_content:
            yield text_content

    def iter_sse_lines() -> Iterator[str]:  # httpx_sse._api._iter_sse_lines
        decoder = SSELineDecoder()
        for text in iter_text():
            yield from decoder.decode(text)
        yield from decoder.flush()

    decoder = SSEDecoder()  # httpx_sse.EventSource.iter_sse
    for line in iter_sse_lines():
        line = line.rstrip("\n")
        sse = decoder.decode(line)
        if sse is not None:
            yield sse


def _httpx_sse(case: Case) -> Callable[[], int]:
    chunks = case.chunks

    def run() -> int:
        n = 0
        for _sse in _httpx_sse_events(chunks):
            n += 1
        return n

    return run


def _httpx_sse_frames(case: Case) -> list[Frame]:
    return [
        (sse.event or "message", sse.data.encode("utf-8")) for sse in _httpx_sse_events(case.chunks)
    ]


# -- the floor -----------------------------------------------------------------------------


def _floor(case: Case) -> Callable[[], int]:
    chunks = case.chunks

    def run() -> int:
        n = 0
        for block in b"".join(chunks).split(b"\n\n"):
            i = block.find(b"data: ")
            if i < 0:
                continue
            j = block.find(b"\n", i)
            _data = block[i + 6 :] if j < 0 else block[i + 6 : j]
            n += 1
        return n

    return run


CONTENDERS = (
    Contender(
        "streamkit",
        "streamkit.SSEDecoder: feed() per chunk, close()",
        _streamkit,
        role="subject",
        collect=_streamkit_frames,
    ),
    Contender(
        "streamkit-py",
        "streamkit.sse.PySSEDecoder (the pure-Python decoder): feed() per chunk, close()",
        _streamkit_py,
        collect=_streamkit_py_frames,
        unavailable=pure_missing,
    ),
    Contender(
        "openai",
        "openai._streaming.SSEDecoder().iter_bytes(iter(chunks))",
        _openai,
        collect=_openai_frames,
        unavailable=_openai_missing,
    ),
    Contender(
        "httpx-sse",
        "httpx TextDecoder -> httpx_sse SSELineDecoder -> SSEDecoder.decode (= iter_sse)",
        _httpx_sse,
        collect=_httpx_sse_frames,
        unavailable=_httpx_sse_missing,
    ),
    Contender(
        "floor",
        'b"".join + split(b"\\n\\n") + find/slice the data: line; no framing rules',
        _floor,
        role="floor",
    ),
)

# -- cases ------------------------------------------------------------------------------------


def _cases(scale: Scale) -> Iterator[Case]:
    for spec in _inputs.standard_inputs(scale.factor, not scale.check):
        data = spec.build()
        if data is None:
            continue  # recordings absent
        for chunking in spec.chunkings:
            chunks = _inputs.chunk(data, chunking, seed=len(data))
            yield Case(
                input=spec.name,
                title=spec.title,
                api=spec.api,
                chunking=chunking,
                data=data,
                chunks=chunks,
                deltas=spec.deltas,
                options=dict(spec.options),
            )


# -- extras: linearity and memory ------------------------------------------------------------


def _case(name: str, data: bytes, chunking: str, **options: Any) -> Case:
    chunks = _inputs.chunk(data, chunking, seed=len(data))
    return Case(name, name, None, chunking, data, chunks, options=options)


def _linearity(scale: Scale, reps: int) -> list[ExtraRow]:
    rows = []
    # At least 5k / 10k deltas: shorter runs are too short to time on a busy machine.
    small, big = scale.n(20_000, 5_000), scale.n(40_000, 10_000)
    data_s, data_b = _inputs.responses_text(small), _inputs.responses_text(big)
    for chunking in ("64KiB", "rand1-200"):
        a = _streamkit(_case("s", data_s, chunking))
        b = _streamkit(_case("b", data_b, chunking))
        a()
        b()
        pair = paired(a, b, reps)
        ratio, medians = pair.ratio, pair.medians
        rows.append(
            ExtraRow(
                f"streamkit time, Responses text {big:,} / {small:,} deltas, {chunking}",
                ratio,
                "x",
                f"≈ {len(data_b) / len(data_s):.2f} (bytes ratio); quadratic would be ≈ 4",
                ok=ratio <= 1.3 * len(data_b) / len(data_s),
                # 1.5x the bytes ratio: clear of noise, far below quadratic (2x).
                guard_ok=ratio <= 1.5 * len(data_b) / len(data_s),
                guard=f"≤ {1.5 * len(data_b) / len(data_s):.2f}",
                detail={"bytes": [len(data_s), len(data_b)], "median_s": medians},
            )
        )
    size = max(2**20, round(_inputs.LARGE_EVENT_BYTES * scale.factor))
    data = _inputs.large_event(size)
    opts = {"max_event_bytes": 64 * 2**20}
    whole = _streamkit(_case("whole", data, "whole", **opts))
    kib = _streamkit(_case("1KiB", data, "1KiB", **opts))
    whole()
    kib()
    pair = paired(whole, kib, reps)
    ratio, medians = pair.ratio, pair.medians
    rows.append(
        ExtraRow(
            f"streamkit time, {size / 2**20:.0f} MiB event in 1 KiB chunks / in one chunk",
            ratio,
            "x",
            "small constant (per-feed overhead); growing with size would be quadratic",
            ok=None,
            detail={"bytes": len(data), "chunks": -(-len(data) // 1024), "median_s": medians},
        )
    )
    return rows


def _peak(fn: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _memory(scale: Scale, reps: int) -> list[ExtraRow]:
    """tracemalloc peak of each decoder on the large event in 1 KiB chunks, the
    chunk list allocated beforehand (not counted)."""
    size = max(2**20, round(_inputs.LARGE_EVENT_BYTES * scale.factor))
    data = _inputs.large_event(size)
    case = _case("large-event", data, "1KiB", max_event_bytes=64 * 2**20)
    rows = []
    for contender in CONTENDERS:
        if contender.unavailable() is not None:
            continue
        peak = _peak(contender.make(case))  # type: ignore[arg-type]
        sub = contender.role == "subject"
        rows.append(
            ExtraRow(
                f"tracemalloc peak, {contender.name}, {size / 2**20:.0f} MiB event in 1 KiB chunks",
                peak / len(data),
                "x event",
                "≈ 1 (one copy of the event, plus buffer slack)" if sub else "informative",
                ok=(peak / len(data) <= 1.6) if sub else None,
                detail={"peak_bytes": peak, "event_bytes": len(data)},
            )
        )
    return rows


LAYER = register(
    Layer(
        name="framing",
        description="bytes → SSE frames",
        unit="frames",
        contenders=CONTENDERS,
        cases=_cases,
        targets=(
            Target(
                "httpx-sse",
                5.0,
                guard=GUARD_HX_BIG,
                applies=big_chunks,
                scope="64KiB",
                why=WHY_HX_BIG,
            ),
            Target(
                "httpx-sse",
                5.0,
                guard=GUARD_HX_SMALL,
                applies=small_chunks,
                scope="rand1-200",
                why=WHY_HX_SMALL,
            ),
            Target(
                "httpx-sse",
                5.0,
                guard=GUARD_HX_EVENT,
                applies=one_event,
                scope="1event",
                why=WHY_HX_EVENT,
            ),
            Target(
                "httpx-sse",
                5.0,
                guard=GUARD_HX_LARGE,
                applies=large_event,
                scope="large event",
                why=WHY_HX_LARGE,
            ),
        ),
        extras=(Extra("linearity", _linearity), Extra("memory", _memory, in_check=False)),
    )
)

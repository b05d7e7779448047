"""Differential fuzzing of the compiled SSE decoder against the pure-Python one.

``python -m benchmarks.fuzz_sse --budget SECONDS [--seed N]`` feeds both
decoders the same mutated streams (the shared recordings and generated
streams, mutated byte-wise and line-wise) at random chunkings, with random
limits, and requires the same result after every ``feed()`` and at
``close()``: frames, errors (type, index, offset, excerpt, limit, size) and
state. A mismatch prints a reproducer and exits with status 1. The test suite
runs a short fixed-seed pass (tests/test_sse_differential.py).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = ["Mismatch", "compare", "corpus", "fuzz", "main", "mutate", "split_randomly"]

#: The stream as the decoder saw it after one call: the frames returned or the
#: error raised, then the public state.
Outcome = tuple[Any, ...]


class Mismatch(AssertionError):
    """The two decoders disagreed; ``chunks`` and ``options`` reproduce it."""

    def __init__(self, message: str, chunks: list[bytes], options: dict[str, Any]) -> None:
        self.chunks = chunks
        self.options = options
        super().__init__(f"{message}\noptions={options!r}\nchunks={chunks!r}")


def _error(exc: BaseException) -> tuple[Any, ...]:
    return (
        type(exc).__name__,
        getattr(exc, "index", None),
        getattr(exc, "offset", None),
        getattr(exc, "excerpt", None),
        getattr(exc, "limit", None),
        getattr(exc, "size", None),
        str(exc),
    )


def _state(dec: Any) -> tuple[Any, ...]:
    return (
        dec.last_event_id,
        dec.retry,
        dec.frames_dispatched,
        dec.bytes_fed,
        dec.pending_bytes,
        dec.truncated,
    )


def _call(dec: Any, fn: Callable[[], list[Any]]) -> Outcome:
    try:
        frames = fn()
    except Exception as exc:
        result: Any = ("error", _error(exc))
    else:
        result = [(f.event, bytes(f.data), f.id, f.retry) for f in frames]
    return (result, _state(dec))


def outcomes(cls: type, chunks: Iterable[bytes], options: dict[str, Any]) -> list[Outcome]:
    """What ``cls(**options)`` answers to each chunk, then to ``close()`` twice."""
    dec = cls(**options)
    out = [_call(dec, lambda c=c: dec.feed(c)) for c in chunks]
    out.append(_call(dec, dec.close))
    out.append(_call(dec, dec.close))
    return out


def compare(chunks: list[bytes], options: dict[str, Any]) -> int:
    """Feed both implementations; raise ``Mismatch`` unless every outcome agrees.
    Returns the number of frames."""
    from streamkit.sse._decoder import CSSEDecoder, PySSEDecoder

    if CSSEDecoder is None:
        raise RuntimeError("the C extension streamkit.sse._sse_c is not available")
    expected = outcomes(PySSEDecoder, chunks, options)
    got = outcomes(CSSEDecoder, chunks, options)
    for i, (want, have) in enumerate(zip(expected, got, strict=True)):
        if want != have:
            step = f"feed #{i}" if i < len(chunks) else "close()"
            raise Mismatch(f"{step}: python {want!r}\n       compiled {have!r}", chunks, options)
    return sum(len(o[0]) for o in expected if isinstance(o[0], list))


# -- inputs -----------------------------------------------------------------------------------

_TOKENS = (
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"\r\n\r\n",
    b":",
    b": ping\n",
    b"data: ",
    b"data:",
    b"data",
    b"event: ",
    b"id: ",
    b"id: \x00",
    b"retry: ",
    b"retry: 1500\n",
    b"retry: " + b"9" * 5000 + b"\n",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xc3",
    b'{"type":"x"}',
)
_EOLS = (b"\n", b"\r\n", b"\r")


def _generated(rng: random.Random) -> bytes:
    """A stream of events in one line-ending style or mixed ones."""
    style = rng.choice((*_EOLS, None))
    out = []
    if rng.random() < 0.2:
        out.append(b"\xef\xbb\xbf")
    for _ in range(rng.randint(0, 30)):
        eol = style if style is not None else rng.choice(_EOLS)
        lines = []
        if rng.random() < 0.3:
            lines.append(b"event: " + rng.choice((b"delta", b"done", b"", b"\xff")))
        if rng.random() < 0.1:
            lines.append(b"id: " + str(rng.randint(0, 99)).encode())
        if rng.random() < 0.05:
            lines.append(b"retry: " + str(rng.randint(0, 10 ** rng.randint(1, 25))).encode())
        if rng.random() < 0.1:
            lines.append(b": keep-alive")
        for _ in range(rng.choice((0, 1, 1, 1, 2, 5))):
            lines.append(b"data: " + rng.randbytes(rng.randint(0, 40)).replace(b"\n", b"n"))
        out.append(eol.join(lines) + eol + eol)
    return b"".join(out)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """A few random edits: byte flips, token insertions, deletions, duplicated
    ranges and changed line endings."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        kind = rng.randrange(6)
        at = rng.randint(0, len(buf))
        if kind == 0 and buf:
            buf[min(at, len(buf) - 1)] = rng.randrange(256)
        elif kind == 1:
            buf[at:at] = rng.choice(_TOKENS)
        elif kind == 2:
            del buf[at : at + rng.randint(1, 64)]
        elif kind == 3:
            buf[at:at] = buf[at : at + rng.randint(1, 300)]
        elif kind == 4:
            eol = rng.choice(_EOLS)
            end = min(len(buf), at + rng.randint(1, 2000))
            buf[at:end] = bytes(buf[at:end]).replace(b"\r\n", b"\n").replace(b"\n", eol)
        else:
            buf[at:at] = rng.randbytes(rng.randint(1, 8))
    return bytes(buf)


def split_randomly(data: bytes, rng: random.Random) -> list[bytes]:
    """One of several chunkings: whole, byte by byte, random sizes, at line
    endings (so CR and LF fall on chunk edges), one event per read."""
    kind = rng.randrange(6)
    if kind == 0 or not data:
        return [data]
    if kind == 1 and len(data) <= 4000:
        return [data[i : i + 1] for i in range(len(data))]
    if kind in (2, 1):
        hi = rng.choice((3, 16, 200, 4096))
        cuts = []
        pos = 0
        while pos < len(data):
            pos += rng.randint(1, hi)
            cuts.append(pos)
    elif kind == 3:
        cuts = [i + rng.choice((0, 1)) for i, b in enumerate(data) if b in b"\r\n"]
    elif kind == 4:
        cuts = []
        pos = data.find(b"\n\n")
        while pos >= 0:
            cuts.append(pos + 2)
            pos = data.find(b"\n\n", pos + 2)
    else:
        cuts = sorted(rng.sample(range(1, len(data) + 1), min(len(data), rng.randint(1, 12))))
    pieces, last = [], 0
    for cut in sorted(set(cuts)):
        if last < cut <= len(data):
            pieces.append(data[last:cut])
            last = cut
    if last < len(data):
        pieces.append(data[last:])
    return pieces


def _options(rng: random.Random, size: int) -> dict[str, Any]:
    options: dict[str, Any] = {}
    roll = rng.random()
    if roll < 0.3:
        options["max_event_bytes"] = rng.randint(1, 64)
    elif roll < 0.5:
        options["max_event_bytes"] = rng.randint(1, max(1, size))
    if rng.random() < 0.3:
        options["max_idle_lines"] = rng.randint(0, 6)
    return options


def corpus(limit: int | None = None) -> list[bytes]:
    """The shared recordings (``STREAMKIT_RECORDINGS`` or ../shared/recordings),
    possibly none."""
    root = Path(
        os.environ.get(
            "STREAMKIT_RECORDINGS", Path(__file__).resolve().parents[2] / "shared" / "recordings"
        )
    )
    paths = sorted(root.glob("*/*.sse")) if root.is_dir() else []
    return [p.read_bytes() for p in paths[:limit]]


def fuzz(budget: float, seed: int, seeds: list[bytes] | None = None) -> dict[str, int]:
    """Run for about ``budget`` seconds; raise ``Mismatch`` at the first
    disagreement. Returns counts (cases, bytes, frames)."""
    rng = random.Random(seed)
    seeds = corpus() if seeds is None else seeds
    stats = {"cases": 0, "bytes": 0, "frames": 0}
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        if seeds and rng.random() < 0.5:
            data = rng.choice(seeds)
            if len(data) > 20_000:
                start = rng.randrange(len(data) - 20_000)
                data = data[start : start + 20_000]
        else:
            data = _generated(rng)
        if rng.random() < 0.9:
            data = mutate(data, rng)
        chunks = split_randomly(data, rng)
        stats["frames"] += compare(chunks, _options(rng, len(data)))
        stats["cases"] += 1
        stats["bytes"] += len(data)
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fuzz_sse", description=__doc__)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds to run (60)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"fuzzing the compiled SSE decoder for {args.budget:g} s, seed {seed}")
    try:
        stats = fuzz(args.budget, seed)
    except Mismatch as exc:
        print(f"MISMATCH (seed {seed}):\n{exc}", file=sys.stderr)
        return 1
    print(f"ok: {stats['cases']:,} cases, {stats['bytes']:,} bytes, {stats['frames']:,} frames")
    return 0


if __name__ == "__main__":
    sys.exit(main())

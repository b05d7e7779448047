"""Memory bounds under endless input: an endless event, endless comments,
endless ``id:`` lines and a 1 GiB data line, each generated on the fly and
stopped by its documented limit (``max_event_bytes``, ``max_idle_lines``),
with the process's resident memory growth bounded.

Each case runs in a fresh interpreter so that its peak RSS (``VmHWM`` in
/proc/self/status) is its own. The bounds are generous multiples of the
limit: they catch a copy per line or a buffer that is never released, not
allocator noise.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from streamkit.sse._decoder import CSSEDecoder

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads RSS from /proc/self/status"
)

MiB = 1 << 20

# The child feeds ``chunk`` repeatedly (one object: the source itself costs no
# memory) after an optional ``head``, up to ``cap`` bytes, through ``layer``,
# and reports how it stopped, how much it consumed and how its RSS grew.
_CHILD = textwrap.dedent(
    """
    import json, sys
    import streamkit
    import streamkit.io
    from streamkit.sse._decoder import CSSEDecoder, PySSEDecoder

    def status(key):
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        raise KeyError(key)

    spec = json.loads(sys.argv[1])
    head = spec["head"].encode("latin-1")
    chunk = spec["chunk"].encode("latin-1") * spec["repeat"]
    cap = spec["cap"]
    fed = 0

    def source():
        global fed
        if head:
            fed += len(head)
            yield head
        while fed < cap:
            fed += len(chunk)
            yield chunk

    impl = {"python": PySSEDecoder, "compiled": CSSEDecoder}[spec["impl"]]
    limits = {k: spec[k] for k in ("max_event_bytes", "max_idle_lines") if spec.get(k) is not None}
    decoder = impl(**limits)
    start = status("VmRSS")
    outcome = {"error": None}
    try:
        if spec["layer"] == "frames":
            outcome["items"] = sum(1 for _ in streamkit.io.iter_frames(source(), decoder=decoder))
        elif spec["layer"] == "events":
            outcome["items"] = sum(1 for _ in streamkit.iter_events(source(), decoder=decoder))
        else:
            streamkit.reduce(source(), decoder=decoder)
    except streamkit.StreamError as exc:
        outcome["error"] = type(exc).__name__
        outcome["limit"] = getattr(exc, "limit", None)
    outcome["fed"] = fed
    outcome["growth"] = status("VmHWM") - start
    print(json.dumps(outcome))
    """
)


def _run(**spec: Any) -> dict[str, Any]:
    spec.setdefault("head", "")
    spec.setdefault("repeat", 1)
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


IMPLS = [
    "python",
    pytest.param(
        "compiled",
        marks=pytest.mark.skipif(CSSEDecoder is None, reason="the C extension is not built"),
    ),
]
EOLS = {"LF": "\n", "CRLF": "\r\n", "CR": "\r"}


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("eol", list(EOLS))
@pytest.mark.parametrize("layer", ["frames", "events"])
def test_an_endless_event_of_small_data_lines_stops_at_max_event_bytes(
    impl: str, eol: str, layer: str
) -> None:
    limit = 16 * MiB
    line = "data: " + "x" * 10 + EOLS[eol]  # many small lines: the costly case per byte
    out = _run(
        impl=impl,
        layer=layer,
        chunk=line,
        repeat=4096,
        cap=20 * limit,
        max_event_bytes=limit,
    )
    assert out["error"] == "EventTooLargeError" and out["limit"] == limit
    assert out["fed"] <= limit + 2 * len(line) * 4096  # stopped at the limit, not the cap
    assert out["growth"] <= 4 * limit + 48 * MiB, out


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("eol", list(EOLS))
@pytest.mark.parametrize(
    "line", [": ping", "id: 42", "event: keepalive", "retry: 1000", "unknown: field"]
)
def test_endless_lines_without_an_event_stop_at_max_idle_lines(
    impl: str, eol: str, line: str
) -> None:
    chunk = line + EOLS[eol]
    out = _run(
        impl=impl,
        layer="frames",
        head="data: {}" + EOLS[eol] * 2,  # one event first: the count is per idle run
        chunk=chunk,
        repeat=1000,
        cap=64 * MiB,
        max_idle_lines=10_000,
    )
    assert out["error"] == "IdleStreamError" and out["limit"] == 10_000
    # 10,001 idle lines, read 1,000 per chunk (a CR at a chunk's end may wait
    # for the next chunk to know whether an LF follows).
    assert out["fed"] <= len("data: {}" + EOLS[eol] * 2) + 12_000 * len(chunk)
    assert out["growth"] <= 48 * MiB, out


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("line", [": ping\n", "id: 42\n", ": ping\r\n", "event: x\r"])
def test_endless_idle_lines_without_an_idle_limit_stop_at_max_event_bytes(
    impl: str, line: str
) -> None:
    # Without max_idle_lines an event counts from its first byte, comments
    # included, so the event size limit ends the run of lines.
    limit = 16 * MiB
    out = _run(
        impl=impl, layer="events", chunk=line, repeat=8192, cap=20 * limit, max_event_bytes=limit
    )
    assert out["error"] == "EventTooLargeError" and out["limit"] == limit
    assert out["fed"] <= limit + 2 * 8192 * len(line)
    assert out["growth"] <= 4 * limit + 48 * MiB, out


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("layer", ["frames", "reduce"])
def test_a_1_gib_data_line_stops_at_the_default_max_event_bytes(impl: str, layer: str) -> None:
    # The default limit (64 MiB) stops a 1 GiB line without a newline, fed in
    # 1 MiB reads, long before its end.
    out = _run(
        impl=impl,
        layer=layer,
        head="data: ",
        chunk="x" * 4096,
        repeat=256,
        cap=1 << 30,
    )
    assert out["error"] == "EventTooLargeError" and out["limit"] == 64 * MiB
    assert out["fed"] <= 64 * MiB + 2 * MiB
    assert out["growth"] <= 3 * 64 * MiB + 48 * MiB, out

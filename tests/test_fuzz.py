"""A bounded, fixed-seed run of the fuzz harness (benchmarks/fuzz.py) over every
layer, and the harness's own machinery: mutators, oracles, minimization and
reproducer files."""

from __future__ import annotations

import random
import runpy
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import fuzz
from streamkit.testing import responses_stream


def test_bounded_run_over_every_layer_finds_nothing() -> None:
    # The budget bounds the run; the minimum count proves it really ran.
    report = fuzz.run(35.0, seed=20260301, minimize_budget=20.0)
    assert [f.line() for f in report.failures] == []
    assert sum(report.failed.values()) == 0
    assert report.inputs >= 500
    assert set(report.calls) == set(fuzz.LAYERS)
    assert all(report.calls[layer] >= 20 for layer in fuzz.LAYERS)


def test_generated_streams_alone_find_nothing() -> None:
    # Without recordings (they are optional) the generated streams still
    # cover every API.
    report = fuzz.run(8.0, seed=7, recordings=[], minimize_budget=10.0)
    assert [f.line() for f in report.failures] == []
    assert report.inputs >= 100


def test_mutators_reach_the_structures_they_name() -> None:
    rng = random.Random(3)
    body = responses_stream(seed=1, text_words=5, tool_calls=1)
    mutated = [fuzz.mutate(body, body, rng) for _ in range(400)]
    assert sum(m != body for m in mutated) > 350
    joined = b"\n".join(mutated)
    assert b"\x00" in joined  # NUL bytes
    assert b"[[[[[[[[[[" in joined  # deep nesting
    assert b'_index":-1' in joined or b'_index": -1' in joined  # negative index fields
    assert b"9" * 400 in joined  # huge numbers
    assert b"\r\n" in joined and b"\r" in joined.replace(b"\r\n", b"")  # CR/LF swaps


@pytest.fixture
def fake_layer() -> Iterator[str]:
    """A layer with a planted bug: it fails on any input holding both
    ``BUG`` and a later ``!``."""

    def layer(chunks: list[bytes], rng: random.Random) -> None:
        data = b"".join(chunks)
        at = data.find(b"BUG")
        if at >= 0 and data.find(b"!", at) >= 0:
            raise KeyError("planted")

    fuzz.LAYERS["planted"] = layer
    try:
        yield "planted"
    finally:
        del fuzz.LAYERS["planted"]


def test_check_reports_an_exception_that_is_no_stream_error(fake_layer: str) -> None:
    assert fuzz.check(fake_layer, [b"fine"]) is None
    message = fuzz.check(fake_layer, [b"a BUG", b" here!"])
    assert message is not None and message.startswith("KeyError at test_fuzz.py")


def test_minimize_finds_the_smallest_failing_input(fake_layer: str) -> None:
    noise = bytes(random.Random(1).randbytes(3000)).replace(b"!", b".").replace(b"BUG", b"bug")
    chunks = [noise[:1000], noise[1000:2000] + b"BUG", noise[2000:] + b"xx!yy"]
    assert fuzz.minimize(fake_layer, chunks, seed=0, budget=30.0) == [b"BUG!"]


def test_failures_are_minimized_and_written_as_reproducers(
    fake_layer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every generated stream holds a "BUG" and a "!" once the mutators are
    # replaced by planting them.
    monkeypatch.setattr(fuzz, "mutate", lambda data, other, rng: data + b"BUG ! " + data)
    report = fuzz.run(
        3.0, seed=1, out=tmp_path, recordings=[], minimize_budget=20.0, layers=[fake_layer]
    )
    assert report.failed["planted"] >= 1
    (failure,) = report.failures  # one reproducer per distinct failure
    assert failure.chunks == [b"BUG!"]
    assert failure.path is not None and failure.path.parent == tmp_path
    loaded = runpy.run_path(str(failure.path))
    assert loaded["LAYER"] == "planted" and loaded["CHUNKS"] == [b"BUG!"]
    assert fuzz.check(loaded["LAYER"], loaded["CHUNKS"], loaded["SEED"]) is not None
    assert "planted" in report.table()

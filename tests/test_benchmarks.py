"""The benchmark suite's machinery on tiny inputs: it runs, the contenders agree,
and ``--json`` has the keys the chart and CI read. No timing assertions."""

from __future__ import annotations

import gc
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import _events, _inputs
from benchmarks.__main__ import main
from benchmarks._layers import Scale
from benchmarks._runner import Options, run


@pytest.fixture(autouse=True)
def _unfreeze() -> Iterator[None]:
    # The runner gc.freeze()s what is alive before timing; give it back.
    yield
    gc.unfreeze()


def _tiny(layers: list[str]) -> Options:
    return Options(
        layers=layers,
        scale=Scale(0.0025, quick=True),  # 50 deltas per stream
        repeat=1,
        extras=False,
        only=["responses-text", "chat-text"],
        out=io.StringIO(),
        log=io.StringIO(),
    )


def test_layers_run_and_agree() -> None:
    opts = _tiny(["framing", "events", "final"])
    report, ok = run(opts)
    assert ok, report["failures"]
    assert set(report) >= {"machine", "mode", "layers", "targets", "ok", "failures", "wall_s"}
    assert set(report["machine"]) >= {"python", "versions", "cpu"}
    for name in ("framing", "events", "final"):
        cases = report["layers"][name]["cases"]
        assert cases, name
        for case in cases:
            assert not case["problems"], case["problems"]
            assert set(case) >= {"input", "chunking", "results", "ratios", "targets"}
            assert "streamkit" in case["results"]
    assert isinstance(opts.out, io.StringIO)
    assert "## targets" in opts.out.getvalue()


def test_json_output(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    argv = ["--layer", "framing", "--scale", "0.0025", "--repeat", "1", "--no-extras"]
    assert main([*argv, "--input", "chat-text", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    case = report["layers"]["framing"]["cases"][0]
    assert case["results"]["streamkit"]["median_s"] > 0
    assert all("speedup" in r for r in case["ratios"].values())
    assert all({"target", "guard", "pass", "guard_pass"} <= set(t) for t in case["targets"])


def test_long_stream_is_generated_lazily() -> None:
    chunks, largest = _events.long_stream(3 * 10**6, template_deltas=100)
    total = sum(len(c) for c in chunks)
    assert total >= 3 * 10**6
    assert 0 < largest < 10**6


def test_inputs_are_seeded() -> None:
    assert _inputs.chat_tools(60) == _inputs.chat_tools(60)
    data = _inputs.responses_text(60)
    assert b"".join(_inputs.chunk(data, "rand1-200", seed=1)) == data

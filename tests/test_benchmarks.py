"""The benchmark suite's machinery on tiny inputs: it runs, the contenders agree,
and ``--json`` has the keys the chart and CI read. No timing assertions."""

from __future__ import annotations

import gc
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from benchmarks import _events, _inputs, _runner, _timing
from benchmarks.__main__ import main
from benchmarks._layers import Case, Contender, Layer, Scale, Target
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


# --------------------------------------------------------------------------- #
# Ratios from alternating runs, on a fake clock (deterministic: no real timing)
# --------------------------------------------------------------------------- #


class FakeClock:
    """A CPU clock that only the fake contenders move: each run costs its
    contender's price, times the machine's slowdown at that moment."""

    def __init__(self, slow_runs: range = range(0)) -> None:
        self.now = 0.0
        self.runs = 0
        self.slow_runs = slow_runs  # the runs a loaded machine slows down 3x

    def __call__(self) -> float:
        return self.now

    def contender(self, price: float, items: int = 3) -> Callable[[], int]:
        def run() -> int:
            self.now += price * (3.0 if self.runs in self.slow_runs else 1.0)
            self.runs += 1
            return items

        return run


def test_alternate_compares_each_run_with_the_runs_around_it() -> None:
    order: list[str] = []

    def side(name: str, values: list[float]) -> Callable[[], float]:
        it = iter(values)

        def run() -> float:
            order.append(name)
            return next(it)

        return run

    a = side("a", [1, 3, 5, 7, 9])
    base, (b, c) = _timing.alternate(a, [side("b", [10, 20]), side("c", [30, 40])], rounds=2)
    assert order == ["a", "b", "a", "c", "a", "c", "a", "b", "a"]
    assert base == [1, 3, 5, 7, 9]
    assert (b.a, b.b) == ([2, 8], [10, 20])
    assert (c.a, c.b) == ([4, 6], [30, 40])
    assert b.ratios == [5, 2.5] and b.ratio == 3.75


def test_paired_times_with_the_benchmark_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(_timing, "clock", clock)
    pair = _timing.paired(clock.contender(1.0), clock.contender(2.5), rounds=4)
    assert pair.ratio == 2.5
    assert pair.medians == [1.0, 2.5]
    assert len(pair.a) == len(pair.b) == 4


@pytest.mark.parametrize("slow_runs", [range(0), range(6, 12), range(1, 5)])
def test_a_slow_stretch_cancels_out_of_the_speedup(
    slow_runs: range, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The peer costs twice the subject; a stretch of runs slowed 3x (another job
    # loading the machine) lands on both sides of the ratios it touches.
    clock = FakeClock(slow_runs)
    monkeypatch.setattr(_timing, "clock", clock)
    layer = Layer(
        name="fake",
        description="fake",
        unit="items",
        contenders=(
            Contender("streamkit", "subject", lambda case: clock.contender(1.0), role="subject"),
            Contender("peer", "twice as slow", lambda case: clock.contender(2.0)),
        ),
        cases=lambda scale: [],
        targets=(Target("peer", 2.0, guard=1.9),),
    )
    case = Case("input", "input", None, "64KiB", b"x" * 10, [b"x" * 10])
    opts = Options(layers=[], scale=Scale(), repeat=11, out=io.StringIO(), log=io.StringIO())
    res = _runner._measure(layer, case, opts)
    assert res["rounds"] == 11 and not res["problems"]
    assert len(res["results"]["streamkit"]["times_s"]) == 12  # one more than the peer's
    assert res["ratios"]["peer"]["speedup"] == 2.0
    (target,) = res["targets"]
    assert target["guard_pass"] and target["pass"]

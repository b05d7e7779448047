"""``python -m benchmarks --summarize``: one compact Markdown summary of a
``--json`` report (ranges per layer and chunking, targets, extras, environment)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.__main__ import main
from benchmarks.summary import summarize


def _case(
    input: str, chunking: str, ratios: dict[str, float], targets: list[tuple[str, float]]
) -> dict[str, Any]:
    return {
        "input": input,
        "chunking": chunking,
        "results": {"streamkit": {"median_s": 0.01}},
        "ratios": {peer: {"speedup": value} for peer, value in ratios.items()},
        "targets": [
            {
                "peer": peer,
                "target": goal,
                "speedup": ratios[peer],
                "pass": ratios[peer] >= goal,
                "guard": goal / 2,
                "guard_pass": True,
            }
            for peer, goal in targets
        ],
    }


def _report() -> dict[str, Any]:
    goal = [("httpx-sse", 5.0)]
    framing = [
        _case("a", "64KiB", {"streamkit-py": 4.0, "httpx-sse": 10.0, "floor": 3.0}, goal),
        _case("b", "64KiB", {"streamkit-py": 5.0, "httpx-sse": 12.0, "floor": 2.0}, goal),
        _case("c", "64KiB", {"streamkit-py": 4.0, "httpx-sse": 8.0, "floor": 2.5}, goal),
        _case("a", "rand1-200", {"streamkit-py": 8.0, "httpx-sse": 4.0, "floor": 1.0}, goal),
        _case("b", "rand1-200", {"streamkit-py": 8.0, "httpx-sse": 6.0, "floor": 1.2}, goal),
        _case("c", "rand1-200", {"streamkit-py": 8.0, "httpx-sse": 7.0, "floor": 1.1}, goal),
    ]
    linear = {
        "name": "reduce time, 40k / 20k deltas",
        "value": 2.01,
        "unit": "x",
        "expect": "≤ 2.2",
        "ok": True,
    }
    memory = {"name": "peak, 50 MiB event", "value": 1.12, "unit": "x event", "ok": None}
    return {
        "machine": {
            "cpu": "Test CPU",
            "cpu_count": 2,
            "cpus_usable": 2,
            "load_average": [1.0, 0.5, 0.25],
            "platform": "Linux",
            "python": "CPython 3.11.7",
            "versions": {"streamkit": "0.1.0", "httpx-sse": "0.4.3"},
            "streamkit_git": "abc1234",
            "streamkit_decoder": "compiled",
            "date": "2025-01-02T03:04:05+00:00",
        },
        "mode": "full",
        "scale": 1.0,
        "repeat": 9,
        "clock": "time.thread_time",
        "wall_s": 600.0,
        "layers": {
            "framing": {"cases": framing, "extras": {"linearity": [linear], "memory": [memory]}},
            "events": {"cases": [], "extras": {}},
        },
        "targets": [],
        "ok": True,
        "failures": [],
    }


def _ranges(text: str) -> str:
    """``~`` for the en dash the summary writes ranges with."""
    return text.replace("~", "\u2013")


def test_one_row_per_layer_and_chunking_with_ranges_and_targets() -> None:
    text = summarize(_report())
    rows = [line for line in text.splitlines() if line.startswith("| framing |")]
    assert len(rows) == 2  # 64 KiB and random chunks; no per-case rows
    big, small = rows
    # compiled range / pure range: the pure ratio is the peer's over streamkit-py's.
    assert _ranges("| 8.00~12.0 / 2.00~2.50 |") in big
    assert _ranges("| 2.00~3.00 / 0.40~0.75 |") in big
    assert _ranges("| 4.00~5.00 |") in big  # compiled over pure
    assert big.endswith("≥ 5 httpx-sse: met |")
    assert _ranges("| 4.00~7.00 / 0.50~0.88 |") in small
    assert _ranges("| 1.00~1.20 / 0.12~0.15 |") in small
    assert "**not met** (1 of 3, worst 4.00)" in small


def test_environment_extras_and_absent_layers() -> None:
    text = summarize(_report())
    assert "date 2025-01-02T03:04:05+00:00" in text
    assert "git abc1234" in text and "Test CPU" in text and "httpx-sse 0.4.3" in text
    assert "(compiled in this run)" in text
    assert "reduce time, 40k / 20k deltas: **2.01x** (expected ≤ 2.2): met" in text
    assert "peak, 50 MiB event: **1.12 x event**" in text
    # A layer with no cases (and any layer the suite has but the run lacks) is named.
    assert "Not in this run: events" in text
    assert "| events |" not in text


def test_date_falls_back_to_the_files_time(tmp_path: Path) -> None:
    report = _report()
    del report["machine"]["date"]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    assert "(time of the JSON file)" in summarize(report, path)
    assert "date unknown" in summarize(report)


def test_summarize_option_prints_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(_report()), encoding="utf-8")
    assert main(["--summarize", str(path)]) == 0
    assert capsys.readouterr().out == summarize(_report(), path)


def test_summarize_with_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "r.json"
    path.write_text(json.dumps(_report()), encoding="utf-8")
    png = tmp_path / "chart.png"
    assert main(["--summarize", str(path), "--chart", str(png)]) == 0
    assert png.read_bytes().startswith(b"\x89PNG")
    assert "| framing |" in capsys.readouterr().out

"""One compact Markdown summary of a ``python -m benchmarks --json`` report.

``python -m benchmarks --summarize RESULTS.json`` (or ``python -m benchmarks.summary
RESULTS.json``) prints, for every layer and chunking, the range over the inputs of
streamkit's speedup over each peer and over the floor, the pure-Python decoder's
beside it, and whether each target is met; then the linearity and memory lines and
the environment the run was made in. The per-case tables stay in the JSON and in the
run's own output.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["main", "summarize"]

SUBJECT = "streamkit"
#: The pure-Python decoder's contender: its ratios are shown beside the subject's.
PURE = "streamkit-py"
#: Column titles for the peers, in table order; other peers follow, the floor last.
_PEER_TITLES = {"openai": "openai-python", "httpx-sse": "httpx-sse", "anthropic": "anthropic SDK"}
#: Ranges are written with an en dash, as in the README.
_DASH = "\u2013"
_CHUNKINGS = {
    "64KiB": "64 KiB",
    "rand1-200": f"random 1{_DASH}200 B",
    "1event": "one event per read",
    "1KiB": "1 KiB",
    "whole": "one read",
}


def _num(x: float) -> str:
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _span(values: Iterable[float]) -> str:
    vs = sorted(values)
    if not vs:
        return ""
    lo, hi = _num(vs[0]), _num(vs[-1])
    return lo if lo == hi else f"{lo}{_DASH}{hi}"


def _peers(cases: list[dict[str, Any]]) -> list[str]:
    """The peers of a layer's cases in column order (``floor`` last, the pure
    decoder left out: it has its own place in every cell)."""
    seen: list[str] = []
    for case in cases:
        for name in case["ratios"]:
            if name not in seen and name != PURE:
                seen.append(name)
    known = [p for p in _PEER_TITLES if p in seen]
    other = [p for p in seen if p not in _PEER_TITLES and p != "floor"]
    return known + other + (["floor"] if "floor" in seen else [])


def _cell(cases: list[dict[str, Any]], peer: str) -> str:
    """``compiled / pure`` ranges of the speedup over ``peer``.

    The pure decoder's ratio over a peer is the peer's paired ratio divided by
    the pure decoder's, both taken against the same streamkit runs, so load on
    the machine cancels from it as from the others.
    """
    subject = [c["ratios"][peer]["speedup"] for c in cases if peer in c["ratios"]]
    if not subject:
        return ""
    pure = [
        c["ratios"][peer]["speedup"] / c["ratios"][PURE]["speedup"]
        for c in cases
        if peer in c["ratios"] and PURE in c["ratios"]
    ]
    return f"{_span(subject)} / {_span(pure)}" if pure else _span(subject)


def _targets(cases: list[dict[str, Any]]) -> str:
    """Each target the cases carry: met on every case, or not (with the worst)."""
    found: dict[tuple[str, float], list[dict[str, Any]]] = {}
    for case in cases:
        for t in case["targets"]:
            found.setdefault((t["peer"], t["target"]), []).append(t)
    parts = []
    for (peer, goal), hits in found.items():
        name = _PEER_TITLES.get(peer, peer)
        if all(t["pass"] for t in hits):
            parts.append(f"≥ {goal:g} {name}: met")
        else:
            missed = sum(not t["pass"] for t in hits)
            worst = min(t["speedup"] for t in hits)
            parts.append(
                f"≥ {goal:g} {name}: **not met** ({missed} of {len(hits)}, worst {_num(worst)})"
            )
    return "; ".join(parts) or "-"


def _chunking_label(name: str, cases: list[dict[str, Any]]) -> str:
    label = _CHUNKINGS.get(name, name)
    inputs = sorted({c["input"] for c in cases})
    # A chunking only a few inputs are fed in (e.g. the one large event) names them.
    return f"{label} ({', '.join(inputs)})" if len(inputs) <= 2 else label


def _layer_rows(name: str, cases: list[dict[str, Any]], peers: list[str]) -> list[str]:
    by_chunking: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        by_chunking.setdefault(case["chunking"], []).append(case)
    rows = []
    for chunking, group in by_chunking.items():
        pure = [c["ratios"][PURE]["speedup"] for c in group if PURE in c["ratios"]]
        cells = [
            name,
            _chunking_label(chunking, group),
            str(len(group)),
            *(_cell(group, p) for p in peers),
            _span(pure) or "",
            _targets(group),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _extra_line(layer: str, row: dict[str, Any]) -> str:
    unit = row["unit"]
    value = f"{row['value']:.2f}{unit if unit == 'x' else ' ' + unit}"
    status = {True: "met", False: "**not met**", None: ""}[row.get("ok")]
    expect = row.get("expect", "")
    note = f" (expected {expect})" if expect and expect != "informative" else ""
    tail = f": {status}" if status else ""
    return f"- {layer}: {row['name']}: **{value}**{note}{tail}"


def _registered() -> list[str]:
    """The layers the suite has now, to name those a report lacks."""
    try:
        from benchmarks._runner import load_layers

        return list(load_layers())
    except ImportError:  # a layer's peer or streamkit itself missing: name none
        return []


def _run_date(report: dict[str, Any], source: Path | None) -> str:
    date = report.get("machine", {}).get("date")
    if date:
        return str(date)
    if source is not None:
        # Reports written before the run recorded its date: the file's time,
        # which is when the run ended.
        mtime = datetime.datetime.fromtimestamp(source.stat().st_mtime, datetime.UTC)
        return f"{mtime.isoformat(timespec='minutes')} (time of the JSON file)"
    return "unknown"


def _header(report: dict[str, Any], source: Path | None) -> list[str]:
    m = report.get("machine", {})
    versions = ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items())
    decoder = m.get("streamkit_decoder")
    load = m.get("load_average")
    lines = [
        f"- **run**: {report.get('mode', '?')}, scale {report.get('scale', 1):g}, "
        f"{report.get('repeat', '?')} rounds per case, {report.get('wall_s', 0) / 60:.0f} min; "
        f"date {_run_date(report, source)}; git {m.get('streamkit_git') or 'unknown'}",
        f"- **machine**: {m.get('cpu', '?')}, {m.get('cpu_count', '?')} CPUs "
        f"({m.get('cpus_usable', '?')} usable)"
        + (f", load average {', '.join(f'{x:g}' for x in load)} at the start" if load else "")
        + f"; {m.get('platform', '?')}",
        f"- **Python**: {m.get('python', '?')}; {versions}",
        f"- **timing**: {report.get('clock', '?')}; streamkit and each peer alternate run by "
        "run; a speedup is the median of peer time / the streamkit runs either side "
        "(> 1: streamkit faster)",
        f"- **contenders**: `{SUBJECT}` is `streamkit.SSEDecoder`"
        + (f" ({decoder} in this run)" if decoder else "")
        + f", `{PURE}` the pure-Python decoder `streamkit.sse.PySSEDecoder`",
    ]
    return lines


def summarize(report: dict[str, Any], source: Path | None = None) -> str:
    """The Markdown summary of ``report`` (as written by ``--json``); ``source``
    is the file it was read from, for the date of runs that did not record one."""
    out = [
        "# streamkit benchmark results",
        "",
        "Summary of one `python -m benchmarks --json` run, written by "
        "`python -m benchmarks --summarize RESULTS.json`; every case, time and "
        "ratio is in the JSON and in the run's output. Chart: "
        "[`results.png`](results.png).",
        "",
        *_header(report, source),
        "",
        "Cells: the range over the inputs (synthetic streams, the scaling series and the "
        f"recordings) of the speedup of `{SUBJECT}` / of `{PURE}` over each peer "
        f"(peer time / their time; > 1: faster). `vs {PURE}`: how much faster the "
        "compiled decoder's pipeline is than the same pipeline on the pure-Python one.",
        "",
    ]
    layers = report.get("layers", {})
    absent = [name for name in _registered() if not layers.get(name, {}).get("cases")]
    for name, layer in layers.items():
        cases = layer["cases"]
        if not cases:
            continue
        peers = _peers(cases)
        titles = [_PEER_TITLES.get(p, p) for p in peers]
        out += [
            "| layer | chunking | inputs | "
            + " | ".join(f"vs {t}" for t in titles)
            + f" | vs {PURE} | targets |",
            "|---|---|--:|" + "--:|" * (len(peers) + 1) + "---|",
            *_layer_rows(name, cases, peers),
            "",
        ]
    linearity = [
        _extra_line(n, r)
        for n, layer in layers.items()
        for key, rows in layer.get("extras", {}).items()
        if key == "linearity"
        for r in rows
    ]
    memory = [
        _extra_line(n, r)
        for n, layer in layers.items()
        for key, rows in layer.get("extras", {}).items()
        if key != "linearity"
        for r in rows
    ]
    if linearity:
        out += ["**Linearity** (time ratios; linear in the bytes = the bytes ratio):", ""]
        out += [*linearity, ""]
    if memory:
        out += ["**Memory** (tracemalloc peaks; RSS over a stream generated on the fly):", ""]
        out += [*memory, ""]
    if absent:
        out.append(
            f"Not in this run: {', '.join(absent)} "
            f"(`python -m benchmarks --layer {absent[0]}` runs one)."
        )
    failures = report.get("failures") or []
    if failures:
        out.append(f"Problems in this run: {'; '.join(failures)}.")
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.summary",
        description="print the Markdown summary of a report written by python -m benchmarks --json",
    )
    parser.add_argument("report", metavar="RESULTS.json")
    args = parser.parse_args(argv)
    path = Path(args.report)
    sys.stdout.write(summarize(json.loads(path.read_text(encoding="utf-8")), path))
    return 0


if __name__ == "__main__":
    sys.exit(main())

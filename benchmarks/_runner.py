"""Measurement, validation, the tables, ``--json`` and ``--check``.

For every case of a layer: each contender runs once untimed (warm-up and item
count), the contenders that can return their items are compared with the
subject's, then ``repeat`` rounds (more for short cases) run the subject and
the peers alternately, S P S Q S Q S P S ..., ``gc.collect()`` before each run
and the CPU time of the thread around it (``_timing``). A contender's time is
the median of its runs; "streamkit speedup" over a peer is the median over its
runs of peer time / the mean time of the streamkit runs just before and after
(> 1: streamkit is faster), so load that slows the machine for a while slows
both sides of a ratio and cancels. Targets and guards look at those ratios
only, never at absolute times.
"""

from __future__ import annotations

import cProfile
import datetime
import gc
import importlib
import importlib.metadata
import math
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from benchmarks._layers import LAYER_MODULES, LAYERS, Case, Contender, ExtraRow, Layer, Scale
from benchmarks._timing import CLOCK, alternate, timed

__all__ = ["Options", "load_layers", "machine_info", "profile", "run"]

#: Cases whose rounds would take less than this get more rounds (up to 5x).
MIN_CASE_SECONDS = 0.5
_PACKAGES = ("streamkit", "msgspec", "orjson", "openai", "httpx-sse", "httpx", "anthropic")


@dataclass
class Options:
    layers: list[str]
    scale: Scale
    repeat: int
    check: bool = False
    extras: bool = True
    only: list[str] = field(default_factory=list)  # input name filters (substrings)
    out: TextIO = sys.stdout  # the human table
    #: Cases whose rounds would take less CPU time than this get more rounds (up to 5x).
    min_case_s: float = MIN_CASE_SECONDS
    log: TextIO = sys.stderr  # progress


def load_layers() -> dict[str, Layer]:
    for module in LAYER_MODULES:
        importlib.import_module(f"{__package__}.{module}")
    return LAYERS


# -- machine info ----------------------------------------------------------------------------


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _git() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{rev}{' (modified)' if dirty else ''}" if rev else None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "load_average": load,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "versions": {name: _version(name) for name in _PACKAGES},
        "streamkit_git": _git(),
        "streamkit_decoder": _decoder(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def _decoder() -> str:
    """Which SSE decoder ``streamkit.SSEDecoder`` is in this run: "compiled" or "python"."""
    import streamkit

    return streamkit.implementation()


def _print_machine(info: dict[str, Any], out: TextIO) -> None:
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    print(f"platform : {info['platform']}", file=out)
    print(
        f"cpu      : {info['cpu']} ({info['cpu_count']} CPUs, {info['cpus_usable']} usable;"
        f" load average {info['load_average']})",
        file=out,
    )
    print(f"python   : {info['python']}", file=out)
    print(f"versions : {versions}", file=out)
    if info["streamkit_git"]:
        print(f"streamkit: git {info['streamkit_git']}", file=out)
    print(f"decoder  : {info['streamkit_decoder']}; run started {info['date']}", file=out)


# -- measuring one case --------------------------------------------------------------------------


def _describe(a: Any) -> str:
    event, data = a if isinstance(a, tuple) and len(a) == 2 else (None, a)
    text = repr(bytes(data[:60])) + ("..." if len(data) > 60 else "") if data is not None else ""
    return f"event={event!r} data({len(data)} B)={text}" if event is not None else repr(a)[:120]


def _is_frame(x: Any) -> bool:
    return isinstance(x, tuple) and len(x) == 2 and isinstance(x[1], (bytes, bytearray))


def _compare(subject: list[Any], other: list[Any], name: str, subject_name: str) -> str | None:
    """None when equal, else where they first differ."""
    if subject == other:
        return None
    for i, (a, b) in enumerate(zip(subject, other, strict=False)):
        if a != b and _is_frame(a) and _is_frame(b) and a[0] == b[0]:
            da, db = bytes(a[1]), bytes(b[1])
            pairs = enumerate(zip(da, db, strict=False))
            at = next((k for k, (x, y) in pairs if x != y), min(len(da), len(db)))
            lo = max(0, at - 20)
            return (
                f"{name} differs from {subject_name} at item {i} (event {a[0]!r}), data "
                f"byte {at} ({len(da)} B vs {len(db)} B): {subject_name} "
                f"{da[lo : at + 20]!r}, {name} {db[lo : at + 20]!r}"
            )
        if a != b:
            return (
                f"{name} differs from {subject_name} at item {i}: "
                f"{subject_name} {_describe(a)}; {name} {_describe(b)}"
            )
    longer = other if len(other) > len(subject) else subject
    extra = longer[min(len(subject), len(other))]
    return (
        f"{name} has {len(other)} items, {subject_name} {len(subject)}; "
        f"first extra: {_describe(extra)}"
    )


def _measure(layer: Layer, case: Case, opts: Options) -> dict[str, Any]:
    contenders: list[tuple[Contender, Callable[[], int]]] = []
    skipped: dict[str, str] = {}
    guarded = {t.peer for t in layer.targets}
    for c in layer.contenders:
        why = c.unavailable()
        if not why and opts.check and c.role != "subject" and c.name not in guarded:
            why = "no guard compares with it; --check skips it"
        fn = None if why else c.make(case)
        if fn is None:
            skipped[c.name] = why or "does not apply"
        else:
            contenders.append((c, fn))
    subject = layer.subject.name
    problems: list[str] = []

    # Untimed: items compared with the subject's.
    collected = {c.name: c.collect(case) for c, _ in contenders if c.collect is not None}
    if subject in collected:
        for name, items in collected.items():
            if name != subject:
                diff = _compare(collected[subject], items, name, subject)
                if diff:
                    problems.append(diff)
    del collected

    # Warm-up, item counts.
    counts: dict[str, int] = {}
    warm: dict[str, float] = {}
    for c, fn in contenders:
        warm[c.name], counts[c.name] = timed(fn)
    # Everything alive now (the peers' imported modules: tens of thousands of
    # objects for openai and pydantic) is moved out of the collector's sight, so
    # that gc.collect() before each run is cheap and the collections the
    # contenders trigger while timed walk their own objects, not the harness's.
    gc.freeze()
    if len(set(counts.values())) > 1:
        problems.append(
            f"{layer.unit} counts disagree: "
            + ", ".join(f"{name} {n:,}" for name, n in counts.items())
        )

    # The subject and the peers alternate, S P S Q S Q S P S ... (``_timing``):
    # each peer run is compared with the subject runs either side of it, so
    # whatever slows the machine for a while slows both sides of the ratios it
    # touches.
    lead = next((fn for c, fn in contenders if c.name == subject), None)
    peers = [(c, fn) for c, fn in contenders if c.name != subject]
    # Short cases get more rounds (up to 5x) so that noise averages out.
    # A round: every contender once, and the subject once more per extra peer.
    round_s = sum(warm.values()) + max(len(peers) - 1, 0) * warm.get(subject, 0.0)
    rounds = opts.repeat
    if round_s * rounds < opts.min_case_s:
        rounds = min(5 * rounds, math.ceil(opts.min_case_s / max(round_s, 1e-9)))

    times: dict[str, list[float]] = {c.name: [] for c, _ in contenders}

    def runner(c: Contender, fn: Callable[[], int]) -> Callable[[], float]:
        def one() -> float:
            dt, n = timed(fn)
            times[c.name].append(dt)
            if n != counts[c.name]:
                problems.append(f"{c.name} returned {n} {layer.unit}, then {counts[c.name]}")
            return dt

        return one

    # Peer time / subject time around it, by peer.
    within: dict[str, list[float]] = {}
    if lead is not None and peers:
        _, pairs = alternate(
            runner(layer.subject, lead), [runner(c, fn) for c, fn in peers], rounds
        )
        within = {c.name: pair.ratios for (c, _), pair in zip(peers, pairs, strict=True)}
    else:
        for _ in range(rounds):
            for c, fn in contenders:
                runner(c, fn)()

    results = {}
    for name, ts in times.items():
        med = statistics.median(ts)
        results[name] = {
            "median_s": med,
            "min_s": min(ts),
            "times_s": ts,
            "mb_per_s": case.nbytes / med / 1e6,
            "items_per_s": counts[name] / med,
            "items": counts[name],
        }
    ratios: dict[str, dict[str, float]] = {}
    for name, paired in within.items():
        ratios[name] = {
            "speedup": statistics.median(paired),
            "speedup_of_medians": statistics.median(times[name])
            / statistics.median(times[subject]),
            "speedup_min": min(paired),
            "speedup_max": max(paired),
        }
    targets = []
    for t in layer.targets:
        if not t.applies(case) or t.peer not in ratios:
            continue
        value = ratios[t.peer]["speedup"]
        targets.append(
            {
                "peer": t.peer,
                "label": t.label,
                "target": t.ratio,
                "guard": t.guard_ratio,
                "speedup": value,
                "pass": value >= t.ratio,
                "guard_pass": value >= t.guard_ratio,
            }
        )
    roles = {c.name: c.role for c, _ in contenders}
    return {
        "input": case.input,
        "title": case.title,
        "api": case.api,
        "chunking": case.chunking,
        "bytes": case.nbytes,
        "chunks": len(case.chunks),
        "deltas": case.deltas,
        "items": counts.get(subject),
        "roles": roles,
        "results": results,
        "ratios": ratios,
        "targets": targets,
        "rounds": rounds,
        "skipped": skipped,
        "problems": problems,
    }


# -- formatting ------------------------------------------------------------


def _si(x: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.2f}{unit}"
    return f"{x:.3g}"


def _table(rows: list[list[str]], align: str) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]

    def fmt(row: list[str]) -> str:
        cells = [
            cell.rjust(w) if a == "r" else cell.ljust(w)
            for cell, w, a in zip(row, widths, align, strict=True)
        ]
        return "| " + " | ".join(cells) + " |"

    sep = (
        "|"
        + "|".join(
            "-" * (w + 1) + ":" if a == "r" else "-" * (w + 2)
            for w, a in zip(widths, align, strict=True)
        )
        + "|"
    )
    return [fmt(rows[0]), sep, *(fmt(r) for r in rows[1:])]


def _target_note(res: dict[str, Any], peer: str, check: bool) -> str:
    for t in res["targets"]:
        if t["peer"] == peer:
            if check:
                return f" (guard ≥ {t['guard']:g}: {'ok' if t['guard_pass'] else 'FAIL'})"
            return f" (target ≥ {t['target']:g}: {'PASS' if t['pass'] else 'FAIL'})"
    return ""


def _unit(layer: Layer, n: int | None) -> str:
    return layer.unit[:-1] if n == 1 and layer.unit.endswith("s") else layer.unit


def _print_case(layer: Layer, res: dict[str, Any], opts: Options) -> None:
    out = opts.out
    subject = layer.subject.name
    head = (
        f"{res['input']} / {res['chunking']}: {res['title']}; {res['bytes'] / 1e6:.2f} MB, "
        f"{res['items'] or 0:,} {_unit(layer, res['items'])}, {res['chunks']:,} chunks"
    )
    print(f"\n{head}", file=out)
    rows = [["contender", "median ms", "MB/s", f"{layer.unit}/s", f"{subject} speedup"]]
    for name, r in res["results"].items():
        if name == subject:
            vs = "1.00"
        else:
            vs = f"{res['ratios'][name]['speedup']:.2f}" + _target_note(res, name, opts.check)
        rows.append(
            [name, f"{r['median_s'] * 1e3:.2f}", f"{r['mb_per_s']:.1f}", _si(r["items_per_s"]), vs]
        )
    for line in _table(rows, "lrrrl"):
        print(line, file=out)
    for name, why in res["skipped"].items():
        print(f"  ({name} skipped: {why})", file=out)
    for p in res["problems"]:
        print(f"  PROBLEM: {p}", file=out)
    out.flush()


def _print_summary(layer: Layer, results: list[dict[str, Any]], opts: Options) -> None:
    out = opts.out
    subject = layer.subject.name
    peers = [c.name for c in layer.contenders if c.name != subject]
    goal = {t.peer: t.ratio for t in layer.targets}

    print(
        f"\n## {layer.name} ({layer.description}): {subject} speedup, "
        "peer time / streamkit time, median of paired rounds (> 1: streamkit faster)",
        file=out,
    )
    labels = [f"vs {p}" + (f" (≥{goal[p]:g})" if p in goal else "") for p in peers]
    header = ["input", "chunking", "MB", f"{subject} MB/s", *labels, "status"]
    rows = [header]
    for res in results:
        cells = [
            res["input"],
            res["chunking"],
            f"{res['bytes'] / 1e6:.2f}",
            f"{res['results'][subject]['mb_per_s']:.1f}" if subject in res["results"] else "-",
        ]
        guards = {t["peer"]: t["guard"] for t in res["targets"]}
        for p in peers:
            cell = f"{res['ratios'][p]['speedup']:.2f}" if p in res["ratios"] else "-"
            if opts.check and p in guards and p in res["ratios"]:
                cell += f" (guard {guards[p]:g})"
            cells.append(cell)
        status = _case_status(res, opts.check)
        cells.append(status)
        rows.append(cells)
    for line in _table(rows, "llrr" + "r" * len(peers) + "l"):
        print(line, file=out)


def _case_status(res: dict[str, Any], check: bool) -> str:
    if res["problems"]:
        return "MISMATCH"
    key = "guard_pass" if check else "pass"
    if not res["targets"]:
        return "-"
    return "PASS" if all(t[key] for t in res["targets"]) else "FAIL"


def _print_extras(rows: list[ExtraRow], opts: Options) -> None:
    if not rows:
        return
    out = opts.out
    table = [["measurement", "value", "expected", "guard", "status"]]
    for row in rows:
        status = "-" if row.ok is None else ("PASS" if row.ok else "FAIL")
        if opts.check and row.guard_ok is not None:
            status = "ok" if row.guard_ok else "FAIL (guard)"
        table.append([row.name, _extra_value(row), row.expect, row.guard or "-", status])
    print(file=out)
    for line in _table(table, "lrlll"):
        print(line, file=out)


def _extra_value(row: ExtraRow) -> str:
    return f"{row.value:.2f}{row.unit if row.unit == 'x' else ' ' + row.unit}"


def _target_rows(layer: Layer, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per target of the layer: its worst case, PASS/FAIL, guard."""
    rows = []
    for t in layer.targets:
        hits = [
            (res, x)
            for res in results
            for x in res["targets"]
            if x["label"] == t.label and x["target"] == t.ratio
        ]
        if not hits:
            continue
        worst_res, worst = min(hits, key=lambda h: h[1]["speedup"])
        rows.append(
            {
                "layer": layer.name,
                "target": f"{layer.name}: {t.label} ≥ {t.ratio:g}x",
                "cases": len(hits),
                "worst": f"{worst['speedup']:.2f}x ({worst_res['input']} / "
                f"{worst_res['chunking']})",
                "median": statistics.median(x["speedup"] for _, x in hits),
                "pass": all(x["pass"] for _, x in hits),
                "guard": f"≥ {t.guard_ratio:g}x",
                "guard_pass": all(x["guard_pass"] for _, x in hits),
                "why": t.why,
            }
        )
    return rows


def _extra_target_rows(layer: Layer, rows: list[ExtraRow]) -> list[dict[str, Any]]:
    return [
        {
            "layer": layer.name,
            "target": f"{layer.name}: {r.target}",
            "cases": 1,
            "worst": _extra_value(r),
            "median": r.value,
            "pass": bool(r.ok),
            "guard": r.guard or "-",
            "guard_pass": r.guard_ok is not False,
            "why": "",
        }
        for r in rows
        if r.target
    ]


def _print_targets(rows: list[dict[str, Any]], opts: Options) -> None:
    if not rows:
        return
    out = opts.out
    print("\n## targets (PASS/FAIL: the target; --check fails only below the guard)", file=out)
    table = [["target", "cases", "worst case", "status", "guard", "guard status"]]
    for r in rows:
        table.append(
            [
                r["target"],
                str(r["cases"]),
                r["worst"],
                "PASS" if r["pass"] else "FAIL",
                r["guard"],
                "ok" if r["guard_pass"] else "FAIL",
            ]
        )
    for line in _table(table, "lrllll"):
        print(line, file=out)
    notes = [r for r in rows if r["why"]]
    for r in notes:
        print(f"  - {r['target']}: guard {r['guard']}: {r['why']}", file=out)


# -- the run --------------------------------------------------------------------------------------


def _matches(res_input: str, only: list[str]) -> bool:
    return not only or any(o in res_input for o in only)


def run(opts: Options) -> tuple[dict[str, Any], bool]:
    """Run the selected layers; print the tables; return (report, ok)."""
    layers = load_layers()
    info = machine_info()
    out, log = opts.out, opts.log
    _print_machine(info, out)
    mode = (
        "check (quick; exit 1 below a guard)"
        if opts.check
        else ("quick" if opts.scale.quick else "full")
    )
    print(
        f"mode     : {mode}; scale {opts.scale.factor:g}; {opts.repeat} rounds per case (up "
        f"to 5x more for cases under {opts.min_case_s:g} s); streamkit and the peers "
        "alternate (S P S Q S ...); speedup = median of peer time / the streamkit runs "
        "either side",
        file=out,
    )
    print(
        f"timing   : {CLOCK}; gc.collect() before each run; GC enabled",
        file=out,
    )
    report: dict[str, Any] = {
        "machine": info,
        "mode": mode,
        "scale": opts.scale.factor,
        "repeat": opts.repeat,
        "clock": CLOCK,
        "layers": {},
    }
    ok = True
    failures: list[str] = []
    target_rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for name in opts.layers:
        layer = layers[name]
        print(f"\n# layer {layer.name}: {layer.description}", file=out)
        for c in layer.contenders:
            why = c.unavailable()
            note = f" [unavailable: {why}]" if why else ""
            print(f"  - {c.name} ({c.role}): {c.description}{note}", file=out)
        results = []
        for case in layer.cases(opts.scale):
            if not _matches(case.input, opts.only):
                continue
            t0 = time.perf_counter()
            print(
                f"[{time.perf_counter() - started:6.1f}s] {layer.name}: {case.name} ...",
                file=log,
                flush=True,
            )
            res = _measure(layer, case, opts)
            del case
            res["wall_s"] = time.perf_counter() - t0
            results.append(res)
            _print_case(layer, res, opts)
            if res["problems"]:
                ok = False
                failures += [f"{res['input']} / {res['chunking']}: {p}" for p in res["problems"]]
            for t in res["targets"]:
                passed = t["guard_pass"] if opts.check else True
                if not passed:
                    ok = False
                    failures.append(
                        f"{res['input']} / {res['chunking']}: speedup over {t['peer']} "
                        f"{t['speedup']:.2f} < guard {t['guard']:g}"
                    )
        extras: dict[str, list[dict[str, Any]]] = {}
        extra_rows: list[ExtraRow] = []
        if opts.extras and not opts.only:
            for extra in layer.extras:
                if opts.check and not extra.in_check:
                    continue
                print(
                    f"[{time.perf_counter() - started:6.1f}s] {layer.name}: {extra.name} ...",
                    file=log,
                    flush=True,
                )
                rows = extra.run(opts.scale, opts.repeat)
                extra_rows += rows
                extras[extra.name] = [
                    {
                        "name": r.name,
                        "value": r.value,
                        "unit": r.unit,
                        "expect": r.expect,
                        "ok": r.ok,
                        "guard_ok": r.guard_ok,
                        "guard": r.guard,
                        "target": r.target,
                        **r.detail,
                    }
                    for r in rows
                ]
                for r in rows:
                    if opts.check and r.guard_ok is False:
                        ok = False
                        failures.append(f"{r.name}: {_extra_value(r)} (guard {r.guard})")
        _print_summary(layer, results, opts)
        _print_extras(extra_rows, opts)
        report["layers"][name] = {"cases": results, "extras": extras}
        target_rows += _target_rows(layer, results) + _extra_target_rows(layer, extra_rows)
    _print_targets(target_rows, opts)
    report["targets"] = target_rows
    report["wall_s"] = time.perf_counter() - started
    report["ok"] = ok
    report["failures"] = failures
    print(f"\nwall time {report['wall_s']:.1f}s", file=out)
    if failures:
        print("\nFAILURES:" if opts.check or not ok else "\nproblems:", file=out)
        for f in failures:
            print(f"  - {f}", file=out)
    elif opts.check:
        print("check: all guards ok", file=out)
    out.flush()
    return report, ok


def profile(opts: Options, case_name: str, top: int = 25) -> bool:
    """cProfile the subject of each selected layer on one case, named
    ``INPUT/CHUNKING`` (e.g. ``responses-text/rand1-200``); print the ``top``
    functions by own time. Returns False when no case has that name."""
    layers = load_layers()
    want_input, _, want_chunking = case_name.replace(" ", "").partition("/")
    found = False
    for name in opts.layers:
        layer = layers[name]
        for case in layer.cases(opts.scale):
            if case.input != want_input or (want_chunking and case.chunking != want_chunking):
                continue
            found = True
            fn = layer.subject.make(case)
            if fn is None:
                continue
            fn()  # warm-up
            gc.collect()
            prof = cProfile.Profile()
            t0 = time.perf_counter()
            prof.runcall(fn)
            wall = time.perf_counter() - t0
            print(
                f"\n# cProfile of {layer.subject.name}, layer {layer.name}, {case.name}: "
                f"{case.nbytes / 1e6:.2f} MB, {len(case.chunks):,} chunks, "
                f"{wall * 1e3:.1f} ms under the profiler",
                file=opts.out,
            )
            stats = pstats.Stats(prof, stream=opts.out)
            stats.strip_dirs().sort_stats("tottime").print_stats(top)
    return found

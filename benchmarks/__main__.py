"""``python -m benchmarks [--quick] [--check] [--layer NAME] [--json [PATH]] [--chart PNG]``,
``python -m benchmarks --summarize RESULTS.json``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks._layers import LAYER_MODULES, Scale
from benchmarks._runner import MIN_CASE_SECONDS, Options, load_layers, profile, run

QUICK_FACTOR = 0.1
#: --check runs at half the quick size: the peers it compares with (httpx-sse,
#: openai's full pipeline) are slow, and the ratios do not depend on the size.
CHECK_FACTOR = 0.05
#: --check rounds per case: openai's fold, the slowest peer, takes 100-300 ms a
#: run even at CHECK_FACTOR; and the CPU time below which a case gets more rounds
#: (up to 5x). The ratios are taken between neighbouring runs timed in CPU time,
#: so they settle in fewer rounds than wall-clock ones; this keeps --check within
#: 90 s on two cores while other jobs load them.
CHECK_REPEAT = 5
CHECK_MIN_CASE_SECONDS = 0.25


def main(argv: list[str] | None = None) -> int:
    layers = load_layers()
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="streamkit vs. its peers, layer by layer (ratios measured in one run).",
    )
    parser.add_argument(
        "--layer",
        action="append",
        choices=sorted(layers),
        help="run only this layer (repeatable; default: all of "
        + ", ".join(m.lstrip("_") for m in LAYER_MODULES)
        + ")",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"inputs scaled by {QUICK_FACTOR:g} (CI)"
    )
    parser.add_argument("--scale", type=float, help="inputs scaled by this factor")
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"inputs scaled by {CHECK_FACTOR:g}, only what the guards need; exit 1 when a "
        "ratio falls below its guard, or contenders disagree (for CI, under 90 s)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        help="rounds per case, more for short cases (default: 5 with --check, 7 quick, 9 full)",
    )
    parser.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="SUBSTRING",
        help="run only inputs whose name contains this (repeatable; skips the extras)",
    )
    parser.add_argument(
        "--profile",
        metavar="INPUT/CHUNKING",
        help="instead of timing: cProfile streamkit on one case, e.g. responses-text/rand1-200",
    )
    parser.add_argument("--no-extras", action="store_true", help="skip linearity and memory")
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="PATH",
        help="write the results as JSON to PATH, or to stdout (the table then goes to stderr)",
    )
    parser.add_argument(
        "--chart",
        metavar="PNG",
        help="also draw the speedups as a chart (needs matplotlib, in the bench extra)",
    )
    parser.add_argument(
        "--from-json",
        metavar="PATH",
        help="do not run: read a report written by --json (use with --chart)",
    )
    parser.add_argument(
        "--summarize",
        metavar="PATH",
        help="do not run: print the Markdown summary of a report written by --json "
        "(with --chart PNG, also draw its chart)",
    )
    args = parser.parse_args(argv)
    if args.summarize:
        from benchmarks.summary import summarize

        path = Path(args.summarize)
        report = json.loads(path.read_text(encoding="utf-8"))
        if args.chart:
            from benchmarks._chart import chart

            chart(report, args.chart)
        sys.stdout.write(summarize(report, path))
        return 0
    if args.from_json:
        if not args.chart:
            parser.error("--from-json needs --chart")
        from benchmarks._chart import chart

        chart(json.loads(Path(args.from_json).read_text(encoding="utf-8")), args.chart)
        return 0

    quick = args.quick or args.check
    default = CHECK_FACTOR if args.check else (QUICK_FACTOR if quick else 1.0)
    factor = args.scale if args.scale else default
    repeat = args.repeat or (CHECK_REPEAT if args.check else 7 if quick else 9)
    if repeat < 1:
        parser.error("--repeat must be >= 1")
    to_stdout = args.json == "-"
    opts = Options(
        layers=args.layer or list(layers),
        scale=Scale(factor, quick, args.check),
        repeat=repeat,
        check=args.check,
        extras=not args.no_extras,
        only=args.input,
        out=sys.stderr if to_stdout else sys.stdout,
        min_case_s=CHECK_MIN_CASE_SECONDS if args.check else MIN_CASE_SECONDS,
    )
    if args.profile:
        if not profile(opts, args.profile):
            parser.error(f"no case named {args.profile!r} (see the table for names)")
        return 0
    report, ok = run(opts)
    if args.chart:
        from benchmarks._chart import chart

        chart(report, args.chart)
    if args.json:
        text = json.dumps(report, indent=2, ensure_ascii=False)
        if to_stdout:
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

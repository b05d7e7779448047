"""Test configuration: async tests run on both asyncio and trio; tests that need the
real corpus (see helpers.py) are skipped without it, or failed when ``CI`` is set."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import pytest
from helpers import CORPORA, Corpus

#: Tests that needed a missing corpus, by marker (each test counted once).
_NEEDED = pytest.StashKey[Counter[str]]()


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_configure(config: pytest.Config) -> None:
    for corpus in CORPORA:
        config.addinivalue_line(
            "markers",
            f"{corpus.marker}: needs {corpus.what} (${corpus.env}); skipped without them, "
            "failed when CI is set",
        )
    config.stash[_NEEDED] = Counter()


def _missing(corpus: Corpus) -> str:
    return f"{corpus.what} not found at {_shown(corpus)}"


def _shown(corpus: Corpus) -> str:
    # Relative to where pytest runs when that is short (../shared/recordings).
    relative = os.path.relpath(corpus.path)
    return relative if not relative.startswith(os.path.join("..", "..")) else str(corpus.path)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    for corpus in CORPORA:
        mark = item.get_closest_marker(corpus.marker)
        if mark is None:
            continue
        if not corpus.present():
            item.config.stash[_NEEDED][corpus.marker] += 1
            hint = f"set {corpus.env}={corpus.example}"
            if in_ci():
                pytest.fail(f"CI is set and {_missing(corpus)} ({hint})", pytrace=False)
            pytest.skip(f"{_missing(corpus)} ({hint} to run it)")
        if any(m.kwargs.get("empty") for m in item.iter_markers(corpus.marker)):
            pytest.fail(
                f"none of the {corpus.what} at {_shown(corpus)} matches this test's selection",
                pytrace=False,
            )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Iterator[None]:
    # A wrapper, so the line comes after the short test summary, just above the counts.
    yield
    needed = terminalreporter.config.stash[_NEEDED]
    missing = [c for c in CORPORA if needed[c.marker]]
    if not missing:
        return
    count = sum(needed.values())
    what = ", ".join(_missing(c) for c in missing)
    hint = ", ".join(f"{c.env}={c.example}" for c in missing)
    if in_ci():
        line = f"streamkit: {count} tests failed because CI is set: {what} (set {hint})"
        terminalreporter.write_line(line, red=True, bold=True)
    else:
        line = f"streamkit: {count} tests skipped: {what} (set {hint} to run them)"
        terminalreporter.write_line(line, yellow=True)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session", params=["python", "compiled"])
def decoder_cls(request: pytest.FixtureRequest) -> type:
    """Each SSE decoder implementation in turn: the pure-Python reference and
    the C extension. The compiled one is skipped when it was not built (or is
    disabled by ``STREAMKIT_NO_EXTENSIONS``); under ``CI=true`` a missing build
    fails instead, so CI cannot silently test only one of them."""
    from streamkit.sse._decoder import CSSEDecoder, PySSEDecoder

    if request.param == "python":
        return PySSEDecoder
    if CSSEDecoder is None:
        if os.environ.get("STREAMKIT_NO_EXTENSIONS"):
            pytest.skip("the C extension is disabled by STREAMKIT_NO_EXTENSIONS")
        if in_ci():
            pytest.fail("CI is set and the C extension streamkit.sse._sse_c is not built")
        pytest.skip("the C extension streamkit.sse._sse_c is not built")
    return CSSEDecoder

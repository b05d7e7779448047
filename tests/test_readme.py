"""The README stays true: its commands match CI, its Python examples run and
its console examples print what they show."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

README = (REPO / "README.md").read_text()


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_first_lines_are_the_two_commands() -> None:
    first = blocks("sh")[0].strip().splitlines()
    assert len(first) == 2
    demo, tests = first
    assert "pip install ." in demo and demo.endswith("streamkit demo")
    assert "pip install -e '.[test]'" in tests
    ci = (REPO / ".ci" / "run").read_text()
    test_command = tests.split("&&")[-1].strip()
    assert test_command in ci.splitlines()


def python_blocks() -> list[tuple[int, str]]:
    """Each python block with the README line it starts on."""
    return [
        (README[: m.start(1)].count("\n") + 1, m.group(1))
        for m in re.finditer(r"```python\n(.*?)```", README, flags=re.S)
    ]


@pytest.mark.parametrize("line,code", python_blocks(), ids=lambda v: str(v)[:12])
def test_python_examples_run(line: int, code: str) -> None:
    # Padding puts the block on its README lines, so tracebacks point there.
    namespace: dict[str, object] = {}
    exec(compile("\n" * (line - 1) + code, "README.md", "exec"), namespace)


def console_steps() -> list[tuple[str, list[str]]]:
    """``$ command`` lines of the console blocks, each with the output lines
    shown under it."""
    steps: list[tuple[str, list[str]]] = []
    for block in blocks("console"):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
    return steps


def matches(expected: str, actual: str) -> bool:
    """``...`` in a shown output line stands for any text."""
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual) is not None


@pytest.mark.parametrize("command,shown", console_steps(), ids=lambda v: str(v)[:40])
def test_console_examples_run(command: str, shown: list[str]) -> None:
    # The shell finds the `streamkit` and `python` of this environment.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-c", "exec 2>&1\n" + command],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = result.stdout.splitlines()
    assert len(lines) == len(shown), result.stdout
    for expected, actual in zip(shown, lines, strict=True):
        assert matches(expected, actual), (expected, actual)

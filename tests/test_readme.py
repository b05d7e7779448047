"""The README stays true: its commands match CI and its Python examples run."""

from __future__ import annotations

import re

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


def test_python_examples_run() -> None:
    examples = blocks("python")
    assert examples
    for code in examples:
        namespace: dict[str, object] = {}
        exec(compile(code, "README.md", "exec"), namespace)

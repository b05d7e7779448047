"""The package is ruff-clean and mypy --strict clean (configured in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

from helpers import REPO


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, check=False
    )


def test_ruff() -> None:
    paths = [p for p in ("streamkit", "tests", "benchmarks", "examples") if (REPO / p).is_dir()]
    result = run("ruff", "check", *paths)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    paths = [p for p in ("streamkit", "tests", "benchmarks", "examples") if (REPO / p).is_dir()]
    result = run("ruff", "format", "--check", *paths)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict() -> None:
    result = run("mypy", "--strict", "streamkit")
    assert result.returncode == 0, result.stdout + result.stderr

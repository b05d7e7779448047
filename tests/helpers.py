"""Shared test helpers: where the real corpus lives, parameters over it, and chunkings.

The corpus is data from other projects that the repository does not ship: real
recorded streams (``$STREAMKIT_RECORDINGS``, else ``../shared/recordings`` beside the
repository) and the OpenAI OpenAPI description (``$STREAMKIT_SPEC``, else ``spec``
beside the recordings). Tests that read it carry the ``recordings`` or ``openapi``
marker; conftest.py skips them when it is missing (and fails them when ``CI`` is set).
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]


def _from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value else default


#: Real recorded streams: ``chat/*.sse``, ``responses/*.sse`` and ``MANIFEST.tsv``.
RECORDINGS = _from_env("STREAMKIT_RECORDINGS", REPO.parent / "shared" / "recordings")
#: The directory holding ``openai-openapi.json``.
SPEC = _from_env("STREAMKIT_SPEC", RECORDINGS.parent / "spec")
OPENAPI_FILE = SPEC / "openai-openapi.json"


@dataclass(frozen=True)
class Corpus:
    """One part of the corpus: the marker of the tests that need it and where it is."""

    marker: str
    what: str
    path: Path
    env: str
    example: str

    def present(self) -> bool:
        return self.path.exists()


RECORDINGS_CORPUS = Corpus(
    "recordings", "real recordings", RECORDINGS, "STREAMKIT_RECORDINGS", "/path/to/recordings"
)
OPENAPI_CORPUS = Corpus(
    "openapi", "the OpenAI OpenAPI description", OPENAPI_FILE, "STREAMKIT_SPEC", "/path/to/spec"
)
CORPORA = (RECORDINGS_CORPUS, OPENAPI_CORPUS)


# -- recordings ---------------------------------------------------------------------------


def recording_paths(api: str | None = None) -> list[Path]:
    """The real Chat and Responses recordings, or those of one ``api`` directory
    ("chat", "responses", "messages"); [] without the corpus, so modules can build
    their parameter lists at import time."""
    if not RECORDINGS.is_dir():
        return []
    dirs = [api] if api else ["chat", "responses"]
    return sorted(p for d in dirs for p in (RECORDINGS / d).glob("*.sse"))


def _params(
    corpus: Corpus, values: Sequence[Any], ids: Sequence[str] | None, width: int
) -> list[Any]:
    """``values`` as parameters marked with the corpus's marker. An empty list becomes
    one placeholder, so the test still collects: skipped without the corpus, failed
    when the corpus is there but none of it matched the test's selection."""
    mark = getattr(pytest.mark, corpus.marker)
    if not values:
        placeholder = (None,) * width
        return [pytest.param(*placeholder, id=f"no-{corpus.marker}", marks=mark(empty=True))]
    if ids is None:
        ids = [
            f"{v.parent.name}/{v.name}" if isinstance(v, Path) else str(v).replace("/", "-")
            for v in values
        ]
    return [
        pytest.param(*(v if width > 1 else (v,)), id=i, marks=mark)
        for v, i in zip(values, ids, strict=True)
    ]


def recording_params(values: Sequence[Any], ids: Sequence[str] | None = None) -> list[Any]:
    """Parameters over recordings (paths or names) for ``pytest.mark.parametrize``."""
    return _params(RECORDINGS_CORPUS, values, ids, 1)


# -- the OpenAI OpenAPI description ---------------------------------------------------------


@functools.cache
def openapi_schemas() -> dict[str, Any]:
    """``components.schemas`` of the OpenAI OpenAPI description, read once."""
    if not OPENAPI_FILE.is_file():
        raise LookupError(
            f"the OpenAPI description is not at {OPENAPI_FILE}: a test that reads it "
            "needs @pytest.mark.openapi"
        )
    schemas: dict[str, Any] = json.loads(OPENAPI_FILE.read_text("utf-8"))["components"]["schemas"]
    return schemas


class LazySchemas(Mapping[str, Any]):
    """``openapi_schemas()`` read on first use, so modules import without the spec."""

    def __getitem__(self, name: str) -> Any:
        return openapi_schemas()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(openapi_schemas())

    def __len__(self) -> int:
        return len(openapi_schemas())


SCHEMAS = LazySchemas()


def have_openapi() -> bool:
    return OPENAPI_CORPUS.present()


def openapi_params(
    values: Sequence[Any], ids: Sequence[str] | None = None, width: int = 1
) -> list[Any]:
    """Parameters derived from the OpenAPI description (``width`` values each)."""
    return _params(OPENAPI_CORPUS, values, ids, width)


# -- chunkings ------------------------------------------------------------------------------


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    points = [0, *sorted(c for c in cuts if 0 < c < len(data)), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points) if b > a]


def random_chunks(data: bytes, seed: int, lo: int = 1, hi: int = 200) -> list[bytes]:
    rng = random.Random(seed)
    out, pos = [], 0
    while pos < len(data):
        step = rng.randint(lo, hi)
        out.append(data[pos : pos + step])
        pos += step
    return out


def chunkings(
    data: bytes, *, bytewise: bool = True, seed: int = 0
) -> Iterator[tuple[str, list[bytes]]]:
    """Feed plans for the same input, as h11's tests do: whole, 64 KiB,
    byte by byte, and random 1-200 byte splits."""
    yield "whole", [data]
    yield "64KiB", [data[i : i + 65536] for i in range(0, len(data), 65536)]
    if bytewise:
        yield "bytewise", [data[i : i + 1] for i in range(len(data))]
    yield "random", random_chunks(data, seed)

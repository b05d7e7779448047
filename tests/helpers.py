"""Shared test helpers: recordings and chunkings."""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECORDINGS = Path(os.environ.get("STREAMKIT_RECORDINGS", REPO.parent / "shared" / "recordings"))


def recording_paths(api: str | None = None) -> list[Path]:
    """Every shared recording (``api`` = "chat" or "responses" to filter)."""
    if not RECORDINGS.is_dir():
        return []
    dirs = [api] if api else ["chat", "responses"]
    return sorted(p for d in dirs for p in (RECORDINGS / d).glob("*.sse"))


def recording_ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name}/{p.name}" for p in paths]


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

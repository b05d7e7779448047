"""Every shared real recording frames cleanly, identically under every chunking."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import chunkings, recording_ids, recording_paths

from streamkit import SSEDecoder, iter_frames
from streamkit.data import RECORDINGS, recording

PATHS = recording_paths()


@pytest.mark.skipif(not PATHS, reason="shared recordings not present")
@pytest.mark.parametrize("path", PATHS, ids=recording_ids(PATHS))
def test_recording_frames_under_every_chunking(path: Path) -> None:
    data = path.read_bytes()
    seen = {}
    for name, chunks in chunkings(data, seed=len(data)):
        dec = SSEDecoder()
        frames = [f for chunk in chunks for f in dec.feed(chunk)] + dec.close()
        seen[name] = [(f.event, bytes(f.data), f.id, f.retry) for f in frames]
        assert not dec.truncated, name
    reference = seen.pop("whole")
    assert reference, "no frames"
    for name, frames in seen.items():
        assert frames == reference, name
    for event, payload, _, _ in reference:
        assert payload == b"[DONE]" or payload.startswith(b"{"), (event, payload[:40])


def test_recordings_are_present_in_ci() -> None:
    import os

    if os.environ.get("CI"):
        assert len(PATHS) >= 100


@pytest.mark.parametrize("name", sorted(RECORDINGS))
def test_bundled_recording_frames(name: str) -> None:
    frames = list(iter_frames(recording(name)))
    assert frames
    # Responses streams name every event; Chat streams send bare data lines.
    if name.startswith("responses"):
        assert all(f.event != "message" for f in frames)
    else:
        assert all(f.event == "message" for f in frames)
        assert bytes(frames[-1].data) == b"[DONE]"

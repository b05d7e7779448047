"""Every real recording frames cleanly, identically under every chunking."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import chunkings, recording_params, recording_paths

from streamkit import SSEDecoder
from streamkit.io import iter_frames
from streamkit.testing import DEMO_STREAMS, demo_stream

PATHS = recording_paths()


@pytest.mark.recordings
@pytest.mark.parametrize("path", recording_params(PATHS))
def test_recording_frames_under_every_chunking(decoder_cls: type[SSEDecoder], path: Path) -> None:
    data = path.read_bytes()
    seen = {}
    for name, chunks in chunkings(data, seed=len(data)):
        dec = decoder_cls()
        frames = [f for chunk in chunks for f in dec.feed(chunk)] + dec.close()
        seen[name] = [(f.event, bytes(f.data), f.id, f.retry) for f in frames]
        assert not dec.truncated, name
    reference = seen.pop("whole")
    assert reference, "no frames"
    for name, frames in seen.items():
        assert frames == reference, name
    for event, payload, _, _ in reference:
        assert payload == b"[DONE]" or payload.startswith(b"{"), (event, payload[:40])


@pytest.mark.recordings
def test_recordings_hold_both_apis() -> None:
    # A corpus that is present but thin would let the tests over it pass on little.
    assert len(recording_paths("responses")) >= 50
    assert len(recording_paths("chat")) >= 30
    assert len(PATHS) >= 100


@pytest.mark.parametrize("name", sorted(DEMO_STREAMS))
def test_demo_stream_frames(name: str) -> None:
    frames = list(iter_frames(demo_stream(name)))
    assert frames
    # Responses and Messages streams name every event; Chat streams send bare
    # data lines and end with [DONE].
    if name.startswith(("responses", "messages")):
        assert all(f.event != "message" for f in frames)
    else:
        assert all(f.event == "message" for f in frames)
        assert bytes(frames[-1].data) == b"[DONE]"

"""Differential test: SSEDecoder against a literal, text-based transcription of
the WHATWG "Parsing/Interpreting an event stream" algorithm."""

from __future__ import annotations

import re

from helpers import split_at
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit import SSEDecoder
from streamkit.sse._decoder import RETRY_MAX

Frame = tuple[str, str, str, int | None]


def reference(stream: bytes) -> tuple[list[Frame], str, int | None]:
    """The spec, step by step, on decoded text (slow and obviously right)."""
    text = stream.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = re.split("\r\n|\r|\n", text)[:-1]  # the last piece has no line ending yet
    frames: list[Frame] = []
    data, event_type, id_buffer, last_event_id, retry = "", "", "", "", None
    for line in lines:
        if line == "":
            last_event_id = id_buffer
            if data == "":
                event_type = ""
                continue
            if data.endswith("\n"):
                data = data[:-1]
            frames.append((event_type or "message", data, last_event_id, retry))
            data, event_type = "", ""
            continue
        if line.startswith(":"):
            continue
        if ":" in line:
            field, value = line.split(":", 1)
            if value.startswith(" "):
                value = value[1:]
        else:
            field, value = line, ""
        if field == "event":
            event_type = value
        elif field == "data":
            data += value + "\n"
        elif field == "id":
            if "\x00" not in value:
                id_buffer = value
        elif field == "retry" and value and all(c in "0123456789" for c in value):
            # Any run of digits is valid; the decoder clamps what no clock could wait.
            retry = min(int(value), RETRY_MAX)
    return frames, last_event_id, retry


def ours(cls: type[SSEDecoder], chunks: list[bytes]) -> tuple[list[Frame], str, int | None]:
    dec = cls()
    frames = [f for c in chunks for f in dec.feed(c)] + dec.close()
    return [(f.event, f.text, f.id, f.retry) for f in frames], dec.last_event_id, dec.retry


_TOKENS = [
    b"\n",
    b"\r",
    b"\r\n",
    b":",
    b": ",
    b" ",
    b"data",
    b"data:",
    b"data: ",
    b"event:",
    b"id:",
    b"id",
    b"retry:",
    b"retry: ",
    b"\xef\xbb\xbf",
    b"\x00",
    b"42",
    b"7",
    b"9" * 25,
    b"x",
    b"\xff",
    b"\xc3",
    b"\xa9",
    b"e\xcc\x81",
]
streams = st.lists(st.one_of(st.sampled_from(_TOKENS), st.binary(max_size=3)), max_size=80).map(
    b"".join
)


@settings(max_examples=1500)
@given(streams, st.lists(st.integers(min_value=0, max_value=300), max_size=10))
def test_matches_reference_algorithm(
    decoder_cls: type[SSEDecoder], stream: bytes, cuts: list[int]
) -> None:
    assert ours(decoder_cls, split_at(stream, cuts)) == reference(stream)


def test_reference_sanity() -> None:
    # The reference itself on a known case, so a broken oracle cannot pass silently.
    assert reference(b"\xef\xbb\xbfid: 1\nevent: e\ndata: a\ndata\n\nretry: 5\n")[0] == [
        ("e", "a\n", "1", None)
    ]

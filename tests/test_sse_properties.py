"""Property tests: chunking invariance and encode/decode round trips."""

from __future__ import annotations

import re

from helpers import split_at
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit import SSEDecoder
from streamkit.sse._encoder import encode_sse

# Bytes rich in what the parser cares about, plus arbitrary noise.
_TOKENS = [
    b"\n",
    b"\r",
    b"\r\n",
    b":",
    b" ",
    b"data",
    b"event",
    b"id",
    b"retry",
    b"\xef\xbb\xbf",
    b"\x00",
    b"123",
    b"x",
    b"\xff",
    b'{"a":1}',
]
sse_ish = st.lists(st.one_of(st.sampled_from(_TOKENS), st.binary(max_size=4)), max_size=60).map(
    b"".join
)


def run(cls: type[SSEDecoder], chunks: list[bytes]) -> tuple[object, ...]:
    dec = cls()
    frames = []
    for chunk in chunks:
        frames += dec.feed(chunk)
    frames += dec.close()
    return (
        [(f.event, bytes(f.data), f.id, f.retry) for f in frames],
        dec.last_event_id,
        dec.retry,
        dec.truncated,
    )


@settings(max_examples=400)
@given(sse_ish, st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_any_split_gives_the_same_frames(
    decoder_cls: type[SSEDecoder], data: bytes, cuts: list[int]
) -> None:
    assert run(decoder_cls, split_at(data, cuts)) == run(decoder_cls, [data])


@settings(max_examples=100)
@given(sse_ish)
def test_byte_by_byte_equals_whole(decoder_cls: type[SSEDecoder], data: bytes) -> None:
    assert run(decoder_cls, [data[i : i + 1] for i in range(len(data))]) == run(decoder_cls, [data])


_line_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=12
)
frame_spec = st.tuples(
    _line_text.filter(bool),  # event type (empty would read back as "message")
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40
    ),  # data, CR/LF allowed
    _line_text.map(lambda s: s.replace("\x00", "")),  # id
    st.none() | st.integers(min_value=0, max_value=10**12),  # retry
)


@settings(max_examples=200)
@given(
    st.lists(frame_spec, max_size=8), st.lists(st.integers(min_value=0, max_value=2000), max_size=8)
)
def test_frames_to_sse_to_frames_is_identity(
    decoder_cls: type[SSEDecoder], specs: list[tuple[str, str, str, int | None]], cuts: list[int]
) -> None:
    stream = b"".join(
        encode_sse(data, event=event, id=id_, retry=retry) for event, data, id_, retry in specs
    )
    got, *_ = run(decoder_cls, split_at(stream, cuts))
    expected = []
    retry_in_effect = None
    for event, data, id_, retry in specs:
        if retry is not None:
            retry_in_effect = retry
        normalised = re.sub("\r\n|\r", "\n", data).encode()
        expected.append((event, normalised, id_, retry_in_effect))
    assert got == expected

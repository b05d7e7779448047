"""SSEDecoder against the WHATWG HTML event-stream rules, one rule at a time.

Every expectation is checked under every chunking (whole, 64 KiB, byte by byte,
random splits): the decoder must not care where chunks end.
"""

from __future__ import annotations

import sys

import pytest
from helpers import chunkings, random_chunks

from streamkit import (
    EventTooLargeError,
    IdleStreamError,
    SSEDecoder,
    SSEFrame,
    StreamClosedError,
    StreamError,
)


def decode(
    data: bytes, **opts: object
) -> tuple[list[tuple[str, bytes, str, int | None]], SSEDecoder]:
    """Decode ``data`` under every chunking; assert they agree; return one result."""
    results = []
    for name, chunks in chunkings(data):
        dec = SSEDecoder(**opts)  # type: ignore[arg-type]
        frames: list[SSEFrame] = []
        for chunk in chunks:
            frames += dec.feed(chunk)
        frames += dec.close()
        got = [(f.event, bytes(f.data), f.id, f.retry) for f in frames]
        results.append((name, got, dec.last_event_id, dec.retry, dec.truncated))
    first = results[0]
    for other in results[1:]:
        assert other[1:] == first[1:], f"{other[0]} differs from {first[0]}"
    final = SSEDecoder(**opts)  # type: ignore[arg-type]
    final.feed(data)
    final.close()
    return first[1], final


def frames_of(data: bytes) -> list[tuple[str, bytes, str, int | None]]:
    return decode(data)[0]


# -- "Interpreting an event stream": fields ----------------------------------------


def test_data_field_and_default_event_type() -> None:
    assert frames_of(b"data: hello\n\n") == [("message", b"hello", "", None)]


def test_exactly_one_space_after_colon_is_stripped() -> None:
    assert frames_of(b"data:hello\n\n") == [("message", b"hello", "", None)]
    assert frames_of(b"data:  two\n\n") == [("message", b" two", "", None)]
    assert frames_of(b"data:\thello\n\n") == [("message", b"\thello", "", None)]


def test_line_without_colon_is_field_with_empty_value() -> None:
    # "data" alone appends an empty line plus LF to the data buffer.
    assert frames_of(b"data\n\n") == [("message", b"", "", None)]
    assert frames_of(b"data\ndata\n\n") == [("message", b"\n", "", None)]
    assert frames_of(b"data:\n\n") == [("message", b"", "", None)]


def test_multiple_data_lines_join_with_lf_and_final_lf_removed() -> None:
    assert frames_of(b"data: a\ndata: b\ndata:\ndata: c\n\n") == [
        ("message", b"a\nb\n\nc", "", None)
    ]


def test_event_field_sets_type() -> None:
    assert frames_of(b"event: delta\ndata: x\n\n") == [("delta", b"x", "", None)]


def test_empty_event_field_gives_message() -> None:
    assert frames_of(b"event:\ndata: x\n\n") == [("message", b"x", "", None)]


def test_event_type_is_reset_after_each_dispatch() -> None:
    assert frames_of(b"event: a\ndata: 1\n\ndata: 2\n\n") == [
        ("a", b"1", "", None),
        ("message", b"2", "", None),
    ]


def test_event_type_is_reset_even_when_nothing_is_dispatched() -> None:
    assert frames_of(b"event: a\n\ndata: 2\n\n") == [("message", b"2", "", None)]


def test_empty_data_buffer_dispatches_nothing() -> None:
    assert frames_of(b"event: ping\n\n\n\nid: 3\n\n") == []


def test_comments_are_ignored() -> None:
    assert frames_of(b": hello\n:\ndata: x\n: between\n\n") == [("message", b"x", "", None)]


def test_unknown_fields_are_ignored() -> None:
    assert frames_of(b"foo: bar\nDATA: no\nData: no\ndata: yes\n\n") == [
        ("message", b"yes", "", None)
    ]


def test_field_names_are_exact() -> None:
    # Only "data" exactly: a leading space or a trailing one makes another name.
    assert frames_of(b" data: x\ndata : y\n\n") == []


def test_id_is_kept_across_events_and_cleared_by_empty_value() -> None:
    got, dec = decode(
        b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\ndata: d\n\nid:\ndata: e\n\n"
    )
    assert [(f[1], f[2]) for f in got] == [
        (b"a", "1"),
        (b"b", "1"),
        (b"c", ""),
        (b"d", "2"),
        (b"e", ""),
    ]
    assert dec.last_event_id == ""


def test_id_with_nul_is_ignored() -> None:
    got, dec = decode(b"id: 7\ndata: a\n\nid: x\x00y\ndata: b\n\n")
    assert [f[2] for f in got] == ["7", "7"]
    assert dec.last_event_id == "7"


def test_id_becomes_last_event_id_at_dispatch_even_without_data() -> None:
    got, dec = decode(b"id: 9\n\n")
    assert got == []
    assert dec.last_event_id == "9"


def test_id_of_unterminated_event_is_not_applied() -> None:
    got, dec = decode(b"id: 1\ndata: a\n\nid: 2\ndata: b\n")
    assert [f[2] for f in got] == ["1"]
    assert dec.last_event_id == "1"
    assert dec.truncated


def test_retry_only_when_all_ascii_digits() -> None:
    got, dec = decode(
        b"retry: 1000\ndata: a\n\nretry: 12a\ndata: b\n\nretry: \ndata: c\n\nretry: -5\n"
        b"retry: \xd9\xa3\ndata: d\n\nretry:2500\ndata: e\n\n"
    )
    assert [f[3] for f in got] == [1000, 1000, 1000, 1000, 2500]
    assert dec.retry == 2500


def test_retry_applies_when_its_line_is_parsed() -> None:
    # The spec sets the reconnection time on the field itself, not at dispatch.
    _, dec = decode(b"retry: 3000\n")
    assert dec.retry == 3000


def test_retry_is_none_until_set() -> None:
    assert frames_of(b"data: x\n\n") == [("message", b"x", "", None)]


# -- "Parsing an event stream": lines, BOM, encoding ---------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending(eol: bytes) -> None:
    data = b"event: e" + eol + b"data: a" + eol + b"data: b" + eol + eol + b"data: c" + eol + eol
    assert frames_of(data) == [("e", b"a\nb", "", None), ("message", b"c", "", None)]


def test_mixed_line_endings() -> None:
    data = b"data: a\r\ndata: b\rdata: c\n\r\n" + b"data: d\r\r"
    assert frames_of(data) == [("message", b"a\nb\nc", "", None), ("message", b"d", "", None)]


def test_cr_then_lf_in_next_chunk_is_one_line_ending() -> None:
    dec = SSEDecoder()
    assert dec.feed(b"data: a\r") == []
    # Were the LF a second line ending, it would be a blank line dispatching "a".
    assert dec.feed(b"\ndata: b\r") == []
    frames = dec.feed(b"\n\r\n")
    assert [bytes(f.data) for f in frames] == [b"a\nb"]


def test_cr_lf_split_after_blank_line() -> None:
    dec = SSEDecoder()
    assert [bytes(f.data) for f in dec.feed(b"data: a\r\n\r")] == [b"a"]
    assert dec.feed(b"\n") == []
    assert [bytes(f.data) for f in dec.feed(b"data: b\r\n\r\n")] == [b"b"]


def test_lone_cr_then_other_byte_is_a_line_ending() -> None:
    dec = SSEDecoder()
    dec.feed(b"data: a\r")
    assert [bytes(f.data) for f in dec.feed(b"\r")] == [b"a"]


def test_one_leading_bom_is_stripped() -> None:
    assert frames_of(b"\xef\xbb\xbfdata: x\n\n") == [("message", b"x", "", None)]


def test_only_one_bom_is_stripped() -> None:
    # The second BOM becomes part of the field name "\ufeffdata", which is ignored.
    assert frames_of(b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\ndata: y\n\n") == [
        ("message", b"y", "", None)
    ]


@pytest.mark.parametrize("cut", [1, 2])
def test_bom_split_across_chunks(cut: int) -> None:
    data = b"\xef\xbb\xbfdata: x\n\n"
    dec = SSEDecoder()
    frames = dec.feed(data[:cut]) + dec.feed(data[cut:3]) + dec.feed(data[3:])
    assert [bytes(f.data) for f in frames] == [b"x"]


def test_bom_prefix_that_is_not_a_bom_is_kept() -> None:
    assert frames_of(b"\xef\xbbdata: x\n\ndata: y\n\n") == [("message", b"y", "", None)]


def test_bom_later_in_stream_is_not_stripped() -> None:
    assert frames_of(b"data: a\n\n\xef\xbb\xbfdata: b\n\n") == [("message", b"a", "", None)]


def test_invalid_utf8_in_event_and_id_is_replaced() -> None:
    got = frames_of(b"event: a\xffb\nid: \xc3(\ndata: \xff\xfe\n\n")
    assert got == [("a\ufffdb", b"\xff\xfe", "\ufffd(", None)]


def test_data_keeps_raw_bytes_and_text_is_the_spec_string() -> None:
    frame = SSEDecoder().feed("data: h\u00e9llo \U0001f600\n\n".encode())[0]
    assert frame.text == "h\u00e9llo \U0001f600"
    assert SSEDecoder().feed(b"data: \xff\n\n")[0].text == "\ufffd"


# -- end of stream ------------------------------------------------------------------


def test_unterminated_event_is_not_dispatched_but_reported() -> None:
    got, dec = decode(b"data: a\n\ndata: b\n")
    assert [f[1] for f in got] == [b"a"]
    assert dec.truncated
    assert dec.pending_bytes == len(b"data: b\n")


def test_partial_line_at_eof_is_truncated() -> None:
    _, dec = decode(b'data: a\n\ndata: {"par')
    assert dec.truncated


def test_clean_end_is_not_truncated() -> None:
    _, dec = decode(b"data: a\n\n: trailing comment\n")
    assert not dec.truncated
    _, dec = decode(b"data: a\n\nevent: x\n")
    assert not dec.truncated


def test_close_is_idempotent_and_feed_after_close_fails() -> None:
    dec = SSEDecoder()
    dec.feed(b"data: a\n\n")
    assert dec.close() == []
    assert dec.close() == []
    with pytest.raises(StreamClosedError):
        dec.feed(b"data: b\n\n")


def test_state_properties() -> None:
    dec = SSEDecoder()
    dec.feed(b"data: a\n\ndata: b\n\nda")
    assert dec.frames_dispatched == 2
    assert dec.bytes_fed == 20
    assert dec.pending_bytes == 2


def test_input_types() -> None:
    for data in (bytearray(b"data: x\n\n"), memoryview(b"data: x\n\n")):
        assert [bytes(f.data) for f in SSEDecoder().feed(data)] == [b"x"]


def test_empty_feed() -> None:
    assert SSEDecoder().feed(b"") == []


# -- zero copy and memory ---------------------------------------------------------------


def test_frame_inside_one_chunk_is_a_view_of_that_chunk() -> None:
    chunk = b'event: e\ndata: {"a": 1}\n\ndata: [2]\n\n'
    frames = SSEDecoder().feed(chunk)
    assert [f.data.obj for f in frames] == [chunk, chunk]
    assert bytes(frames[0].data) == b'{"a": 1}'


def test_frame_split_across_chunks_does_not_view_either_chunk() -> None:
    dec = SSEDecoder()
    first, second = b'data: {"a":', b" 1}\n\n"
    assert dec.feed(first) == []
    (frame,) = dec.feed(second)
    assert bytes(frame.data) == b'{"a": 1}'
    assert frame.data.obj is not first and frame.data.obj is not second


def test_pending_event_does_not_keep_the_chunk_alive() -> None:
    chunk = b"data: " + b"x" * 1000 + b"\n"  # a complete data line, event not yet terminated
    before = sys.getrefcount(chunk)
    dec = SSEDecoder()
    assert dec.feed(chunk) == []
    assert sys.getrefcount(chunk) == before
    (frame,) = dec.feed(b"\n")
    assert bytes(frame.data) == b"x" * 1000


def test_long_event_in_tiny_chunks_is_linear_and_exact() -> None:
    payload = b"y" * 200_000
    dec = SSEDecoder()
    frames = []
    for chunk in random_chunks(b"data: " + payload + b"\n\n", seed=3, lo=1, hi=64):
        frames += dec.feed(chunk)
    assert [bytes(f.data) for f in frames] == [payload]


# -- limits and errors --------------------------------------------------------------------


def test_event_too_large_names_the_limit() -> None:
    with pytest.raises(EventTooLargeError) as info:
        SSEDecoder(max_event_bytes=16).feed(b"data: " + b"z" * 40 + b"\n\n")
    err = info.value
    assert err.limit == 16
    assert "max_event_bytes=16" in str(err)
    assert err.excerpt.startswith(b"data: zzz")
    assert isinstance(err, StreamError)


def test_event_too_large_across_chunks_bounds_memory() -> None:
    dec = SSEDecoder(max_event_bytes=100)
    dec.feed(b"data: " + b"a" * 50)
    with pytest.raises(EventTooLargeError):
        dec.feed(b"a" * 60)


def test_error_after_frames_in_same_feed_is_deferred() -> None:
    dec = SSEDecoder(max_event_bytes=20)
    frames = dec.feed(b"data: ok\n\ndata: " + b"q" * 30 + b"\n\n")
    assert [bytes(f.data) for f in frames] == [b"ok"]
    with pytest.raises(EventTooLargeError) as info:
        dec.close()
    assert info.value.index == 1


def test_size_limit_is_chunking_invariant() -> None:
    data = b"data: 1\n\n" + b"data: " + b"w" * 300 + b"\n\n"
    for _, chunks in chunkings(data):
        dec = SSEDecoder(max_event_bytes=100)
        got = []
        with pytest.raises(EventTooLargeError):
            for chunk in chunks:
                got += dec.feed(chunk)
            dec.close()
        assert [bytes(f.data) for f in got] == [b"1"]


def test_idle_guard_trips_on_endless_comments() -> None:
    dec = SSEDecoder(max_idle_lines=10)
    with pytest.raises(IdleStreamError) as info:
        for _ in range(100):
            dec.feed(b": keep-alive\n\n")
    assert "max_idle_lines=10" in str(info.value)


def test_idle_guard_resets_on_events() -> None:
    dec = SSEDecoder(max_idle_lines=4)
    for _ in range(100):
        assert len(dec.feed(b": ping\nevent: e\ndata: x\n\n")) == 1


def test_idle_guard_is_off_by_default() -> None:
    dec = SSEDecoder()
    dec.feed(b":\n\n" * 100_000)
    assert dec.frames_dispatched == 0


def test_invalid_options() -> None:
    with pytest.raises(ValueError):
        SSEDecoder(max_event_bytes=0)
    with pytest.raises(ValueError):
        SSEDecoder(max_idle_lines=-1)


def test_frame_repr_shows_bytes() -> None:
    frame = SSEDecoder().feed(b"event: e\ndata: hi\n\n")[0]
    assert repr(frame) == "SSEFrame(event='e', data=b'hi', id='', retry=None)"

"""SSEDecoder against the WHATWG HTML event-stream rules, one rule at a time.

Every expectation is checked under every chunking (whole, 64 KiB, byte by byte,
random splits): the decoder must not care where chunks end.
"""

from __future__ import annotations

import sys

import pytest
from helpers import chunkings, random_chunks

from streamkit import SSEDecoder, SSEFrame, StreamError
from streamkit.errors import EventTooLargeError, IdleStreamError, StreamClosedError


def decode(
    cls: type[SSEDecoder], data: bytes, **opts: object
) -> tuple[list[tuple[str, bytes, str, int | None]], SSEDecoder]:
    """Decode ``data`` with ``cls`` under every chunking; assert they agree;
    return one result."""
    results = []
    for name, chunks in chunkings(data):
        dec = cls(**opts)  # type: ignore[arg-type]
        frames: list[SSEFrame] = []
        for chunk in chunks:
            frames += dec.feed(chunk)
        frames += dec.close()
        got = [(f.event, bytes(f.data), f.id, f.retry) for f in frames]
        results.append((name, got, dec.last_event_id, dec.retry, dec.truncated))
    first = results[0]
    for other in results[1:]:
        assert other[1:] == first[1:], f"{other[0]} differs from {first[0]}"
    final = cls(**opts)  # type: ignore[arg-type]
    final.feed(data)
    final.close()
    return first[1], final


def frames_of(cls: type[SSEDecoder], data: bytes) -> list[tuple[str, bytes, str, int | None]]:
    return decode(cls, data)[0]


# -- "Interpreting an event stream": fields ----------------------------------------


def test_data_field_and_default_event_type(decoder_cls: type[SSEDecoder]) -> None:
    assert frames_of(decoder_cls, b"data: hello\n\n") == [("message", b"hello", "", None)]


def test_exactly_one_space_after_colon_is_stripped(decoder_cls: type[SSEDecoder]) -> None:
    assert frames_of(decoder_cls, b"data:hello\n\n") == [("message", b"hello", "", None)]
    assert frames_of(decoder_cls, b"data:  two\n\n") == [("message", b" two", "", None)]
    assert frames_of(decoder_cls, b"data:\thello\n\n") == [("message", b"\thello", "", None)]


def test_line_without_colon_is_field_with_empty_value(decoder_cls: type[SSEDecoder]) -> None:
    # "data" alone appends an empty line plus LF to the data buffer.
    assert frames_of(decoder_cls, b"data\n\n") == [("message", b"", "", None)]
    assert frames_of(decoder_cls, b"data\ndata\n\n") == [("message", b"\n", "", None)]
    assert frames_of(decoder_cls, b"data:\n\n") == [("message", b"", "", None)]


def test_multiple_data_lines_join_with_lf_and_final_lf_removed(
    decoder_cls: type[SSEDecoder],
) -> None:
    assert frames_of(decoder_cls, b"data: a\ndata: b\ndata:\ndata: c\n\n") == [
        ("message", b"a\nb\n\nc", "", None)
    ]


def test_event_field_sets_type(decoder_cls: type[SSEDecoder]) -> None:
    assert frames_of(decoder_cls, b"event: delta\ndata: x\n\n") == [("delta", b"x", "", None)]


def test_empty_event_field_gives_message(decoder_cls: type[SSEDecoder]) -> None:
    assert frames_of(decoder_cls, b"event:\ndata: x\n\n") == [("message", b"x", "", None)]


def test_event_type_is_reset_after_each_dispatch(decoder_cls: type[SSEDecoder]) -> None:
    assert frames_of(decoder_cls, b"event: a\ndata: 1\n\ndata: 2\n\n") == [
        ("a", b"1", "", None),
        ("message", b"2", "", None),
    ]


def test_event_type_is_reset_even_when_nothing_is_dispatched(decoder_cls: type[SSEDecoder]) -> None:
    assert frames_of(decoder_cls, b"event: a\n\ndata: 2\n\n") == [("message", b"2", "", None)]


def test_empty_data_buffer_dispatches_nothing(decoder_cls: type[SSEDecoder]) -> None:
    assert frames_of(decoder_cls, b"event: ping\n\n\n\nid: 3\n\n") == []


def test_comments_are_ignored(decoder_cls: type[SSEDecoder]) -> None:
    assert frames_of(decoder_cls, b": hello\n:\ndata: x\n: between\n\n") == [
        ("message", b"x", "", None)
    ]


def test_unknown_fields_are_ignored(decoder_cls: type[SSEDecoder]) -> None:
    assert frames_of(decoder_cls, b"foo: bar\nDATA: no\nData: no\ndata: yes\n\n") == [
        ("message", b"yes", "", None)
    ]


def test_field_names_are_exact(decoder_cls: type[SSEDecoder]) -> None:
    # Only "data" exactly: a leading space or a trailing one makes another name.
    assert frames_of(decoder_cls, b" data: x\ndata : y\n\n") == []


def test_id_is_kept_across_events_and_cleared_by_empty_value(decoder_cls: type[SSEDecoder]) -> None:
    got, dec = decode(
        decoder_cls,
        b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\ndata: d\n\nid:\ndata: e\n\n",
    )
    assert [(f[1], f[2]) for f in got] == [
        (b"a", "1"),
        (b"b", "1"),
        (b"c", ""),
        (b"d", "2"),
        (b"e", ""),
    ]
    assert dec.last_event_id == ""


def test_id_with_nul_is_ignored(decoder_cls: type[SSEDecoder]) -> None:
    got, dec = decode(decoder_cls, b"id: 7\ndata: a\n\nid: x\x00y\ndata: b\n\n")
    assert [f[2] for f in got] == ["7", "7"]
    assert dec.last_event_id == "7"


def test_id_becomes_last_event_id_at_dispatch_even_without_data(
    decoder_cls: type[SSEDecoder],
) -> None:
    got, dec = decode(decoder_cls, b"id: 9\n\n")
    assert got == []
    assert dec.last_event_id == "9"


def test_id_of_unterminated_event_is_not_applied(decoder_cls: type[SSEDecoder]) -> None:
    got, dec = decode(decoder_cls, b"id: 1\ndata: a\n\nid: 2\ndata: b\n")
    assert [f[2] for f in got] == ["1"]
    assert dec.last_event_id == "1"
    assert dec.truncated


def test_retry_only_when_all_ascii_digits(decoder_cls: type[SSEDecoder]) -> None:
    got, dec = decode(
        decoder_cls,
        b"retry: 1000\ndata: a\n\nretry: 12a\ndata: b\n\nretry: \ndata: c\n\nretry: -5\n"
        b"retry: \xd9\xa3\ndata: d\n\nretry:2500\ndata: e\n\n",
    )
    assert [f[3] for f in got] == [1000, 1000, 1000, 1000, 2500]
    assert dec.retry == 2500


def test_retry_applies_when_its_line_is_parsed(decoder_cls: type[SSEDecoder]) -> None:
    # The spec sets the reconnection time on the field itself, not at dispatch.
    _, dec = decode(decoder_cls, b"retry: 3000\n")
    assert dec.retry == 3000


def test_retry_is_none_until_set(decoder_cls: type[SSEDecoder]) -> None:
    assert frames_of(decoder_cls, b"data: x\n\n") == [("message", b"x", "", None)]


# -- "Parsing an event stream": lines, BOM, encoding ---------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending(decoder_cls: type[SSEDecoder], eol: bytes) -> None:
    data = b"event: e" + eol + b"data: a" + eol + b"data: b" + eol + eol + b"data: c" + eol + eol
    assert frames_of(decoder_cls, data) == [("e", b"a\nb", "", None), ("message", b"c", "", None)]


def test_mixed_line_endings(decoder_cls: type[SSEDecoder]) -> None:
    data = b"data: a\r\ndata: b\rdata: c\n\r\n" + b"data: d\r\r"
    assert frames_of(decoder_cls, data) == [
        ("message", b"a\nb\nc", "", None),
        ("message", b"d", "", None),
    ]


def test_cr_then_lf_in_next_chunk_is_one_line_ending(decoder_cls: type[SSEDecoder]) -> None:
    dec = decoder_cls()
    assert dec.feed(b"data: a\r") == []
    # Were the LF a second line ending, it would be a blank line dispatching "a".
    assert dec.feed(b"\ndata: b\r") == []
    frames = dec.feed(b"\n\r\n")
    assert [bytes(f.data) for f in frames] == [b"a\nb"]


def test_cr_lf_split_after_blank_line(decoder_cls: type[SSEDecoder]) -> None:
    dec = decoder_cls()
    assert [bytes(f.data) for f in dec.feed(b"data: a\r\n\r")] == [b"a"]
    assert dec.feed(b"\n") == []
    assert [bytes(f.data) for f in dec.feed(b"data: b\r\n\r\n")] == [b"b"]


def test_lone_cr_then_other_byte_is_a_line_ending(decoder_cls: type[SSEDecoder]) -> None:
    dec = decoder_cls()
    dec.feed(b"data: a\r")
    assert [bytes(f.data) for f in dec.feed(b"\r")] == [b"a"]


def test_one_leading_bom_is_stripped(decoder_cls: type[SSEDecoder]) -> None:
    assert frames_of(decoder_cls, b"\xef\xbb\xbfdata: x\n\n") == [("message", b"x", "", None)]


def test_only_one_bom_is_stripped(decoder_cls: type[SSEDecoder]) -> None:
    # The second BOM becomes part of the field name "\ufeffdata", which is ignored.
    assert frames_of(decoder_cls, b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\ndata: y\n\n") == [
        ("message", b"y", "", None)
    ]


@pytest.mark.parametrize("cut", [1, 2])
def test_bom_split_across_chunks(decoder_cls: type[SSEDecoder], cut: int) -> None:
    data = b"\xef\xbb\xbfdata: x\n\n"
    dec = decoder_cls()
    frames = dec.feed(data[:cut]) + dec.feed(data[cut:3]) + dec.feed(data[3:])
    assert [bytes(f.data) for f in frames] == [b"x"]


def test_bom_prefix_that_is_not_a_bom_is_kept(decoder_cls: type[SSEDecoder]) -> None:
    assert frames_of(decoder_cls, b"\xef\xbbdata: x\n\ndata: y\n\n") == [
        ("message", b"y", "", None)
    ]


def test_bom_later_in_stream_is_not_stripped(decoder_cls: type[SSEDecoder]) -> None:
    assert frames_of(decoder_cls, b"data: a\n\n\xef\xbb\xbfdata: b\n\n") == [
        ("message", b"a", "", None)
    ]


def test_invalid_utf8_in_event_and_id_is_replaced(decoder_cls: type[SSEDecoder]) -> None:
    got = frames_of(decoder_cls, b"event: a\xffb\nid: \xc3(\ndata: \xff\xfe\n\n")
    assert got == [("a\ufffdb", b"\xff\xfe", "\ufffd(", None)]


def test_data_keeps_raw_bytes_and_text_is_the_spec_string(decoder_cls: type[SSEDecoder]) -> None:
    frame = decoder_cls().feed("data: h\u00e9llo \U0001f600\n\n".encode())[0]
    assert frame.text == "h\u00e9llo \U0001f600"
    assert decoder_cls().feed(b"data: \xff\n\n")[0].text == "\ufffd"


# -- end of stream ------------------------------------------------------------------


def test_unterminated_event_is_not_dispatched_but_reported(decoder_cls: type[SSEDecoder]) -> None:
    got, dec = decode(decoder_cls, b"data: a\n\ndata: b\n")
    assert [f[1] for f in got] == [b"a"]
    assert dec.truncated
    assert dec.pending_bytes == len(b"data: b\n")


def test_partial_line_at_eof_is_truncated(decoder_cls: type[SSEDecoder]) -> None:
    _, dec = decode(decoder_cls, b'data: a\n\ndata: {"par')
    assert dec.truncated


def test_clean_end_is_not_truncated(decoder_cls: type[SSEDecoder]) -> None:
    _, dec = decode(decoder_cls, b"data: a\n\n: trailing comment\n")
    assert not dec.truncated
    _, dec = decode(decoder_cls, b"data: a\n\nevent: x\n")
    assert not dec.truncated


def test_close_is_idempotent_and_feed_after_close_fails(decoder_cls: type[SSEDecoder]) -> None:
    dec = decoder_cls()
    dec.feed(b"data: a\n\n")
    assert dec.close() == []
    assert dec.close() == []
    with pytest.raises(StreamClosedError):
        dec.feed(b"data: b\n\n")


def test_state_properties(decoder_cls: type[SSEDecoder]) -> None:
    dec = decoder_cls()
    dec.feed(b"data: a\n\ndata: b\n\nda")
    assert dec.frames_dispatched == 2
    assert dec.bytes_fed == 20
    assert dec.pending_bytes == 2


def test_input_types(decoder_cls: type[SSEDecoder]) -> None:
    for data in (bytearray(b"data: x\n\n"), memoryview(b"data: x\n\n")):
        assert [bytes(f.data) for f in decoder_cls().feed(data)] == [b"x"]


def test_empty_feed(decoder_cls: type[SSEDecoder]) -> None:
    assert decoder_cls().feed(b"") == []


# -- zero copy and memory ---------------------------------------------------------------


def test_frame_inside_one_chunk_is_a_view_of_that_chunk(decoder_cls: type[SSEDecoder]) -> None:
    chunk = b'event: e\ndata: {"a": 1}\n\ndata: [2]\n\n'
    frames = decoder_cls().feed(chunk)
    assert [f.data.obj for f in frames] == [chunk, chunk]
    assert bytes(frames[0].data) == b'{"a": 1}'


def test_frame_split_across_chunks_does_not_view_either_chunk(
    decoder_cls: type[SSEDecoder],
) -> None:
    dec = decoder_cls()
    first, second = b'data: {"a":', b" 1}\n\n"
    assert dec.feed(first) == []
    (frame,) = dec.feed(second)
    assert bytes(frame.data) == b'{"a": 1}'
    assert frame.data.obj is not first and frame.data.obj is not second


def test_pending_event_does_not_keep_the_chunk_alive(decoder_cls: type[SSEDecoder]) -> None:
    chunk = b"data: " + b"x" * 1000 + b"\n"  # a complete data line, event not yet terminated
    before = sys.getrefcount(chunk)
    dec = decoder_cls()
    assert dec.feed(chunk) == []
    assert sys.getrefcount(chunk) == before
    (frame,) = dec.feed(b"\n")
    assert bytes(frame.data) == b"x" * 1000


def test_long_event_in_tiny_chunks_is_linear_and_exact(decoder_cls: type[SSEDecoder]) -> None:
    payload = b"y" * 200_000
    dec = decoder_cls()
    frames = []
    for chunk in random_chunks(b"data: " + payload + b"\n\n", seed=3, lo=1, hi=64):
        frames += dec.feed(chunk)
    assert [bytes(f.data) for f in frames] == [payload]


# -- limits and errors --------------------------------------------------------------------


def test_event_too_large_names_the_limit(decoder_cls: type[SSEDecoder]) -> None:
    with pytest.raises(EventTooLargeError) as info:
        decoder_cls(max_event_bytes=16).feed(b"data: " + b"z" * 40 + b"\n\n")
    err = info.value
    assert err.limit == 16
    assert "max_event_bytes=16" in str(err)
    assert err.excerpt.startswith(b"data: zzz")
    assert isinstance(err, StreamError)


def test_event_too_large_across_chunks_bounds_memory(decoder_cls: type[SSEDecoder]) -> None:
    dec = decoder_cls(max_event_bytes=100)
    dec.feed(b"data: " + b"a" * 50)
    with pytest.raises(EventTooLargeError):
        dec.feed(b"a" * 60)


def test_error_after_frames_in_same_feed_is_deferred(decoder_cls: type[SSEDecoder]) -> None:
    dec = decoder_cls(max_event_bytes=20)
    frames = dec.feed(b"data: ok\n\ndata: " + b"q" * 30 + b"\n\n")
    assert [bytes(f.data) for f in frames] == [b"ok"]
    with pytest.raises(EventTooLargeError) as info:
        dec.close()
    assert info.value.index == 1


def test_size_limit_is_chunking_invariant(decoder_cls: type[SSEDecoder]) -> None:
    data = b"data: 1\n\n" + b"data: " + b"w" * 300 + b"\n\n"
    for _, chunks in chunkings(data):
        dec = decoder_cls(max_event_bytes=100)
        got = []
        with pytest.raises(EventTooLargeError):
            for chunk in chunks:
                got += dec.feed(chunk)
            dec.close()
        assert [bytes(f.data) for f in got] == [b"1"]


def test_idle_guard_trips_on_endless_comments(decoder_cls: type[SSEDecoder]) -> None:
    dec = decoder_cls(max_idle_lines=10)
    with pytest.raises(IdleStreamError) as info:
        for _ in range(100):
            dec.feed(b": keep-alive\n\n")
    assert "max_idle_lines=10" in str(info.value)


def test_idle_guard_resets_on_events(decoder_cls: type[SSEDecoder]) -> None:
    dec = decoder_cls(max_idle_lines=4)
    for _ in range(100):
        assert len(dec.feed(b": ping\nevent: e\ndata: x\n\n")) == 1


def test_idle_guard_is_off_by_default(decoder_cls: type[SSEDecoder]) -> None:
    dec = decoder_cls()
    dec.feed(b":\n\n" * 100_000)
    assert dec.frames_dispatched == 0


def test_invalid_options(decoder_cls: type[SSEDecoder]) -> None:
    with pytest.raises(ValueError):
        decoder_cls(max_event_bytes=0)
    with pytest.raises(ValueError):
        decoder_cls(max_idle_lines=-1)


def test_frame_repr_shows_bytes(decoder_cls: type[SSEDecoder]) -> None:
    frame = decoder_cls().feed(b"event: e\ndata: hi\n\n")[0]
    assert repr(frame) == "SSEFrame(event='e', data=b'hi', id='', retry=None)"


# -- one definition in every mode: retry bounds, idle lines, deferred errors, memory ---------


def test_huge_retry_is_clamped_not_an_error(decoder_cls: type[SSEDecoder]) -> None:
    from streamkit.sse._decoder import RETRY_MAX

    got, dec = decode(decoder_cls, b"retry: " + b"9" * 10_000 + b"\ndata: a\n\n")
    assert [f[3] for f in got] == [RETRY_MAX]
    assert dec.retry == RETRY_MAX
    _, dec = decode(decoder_cls, b"retry: 9223372036854775808\n\n")
    assert dec.retry == RETRY_MAX
    _, dec = decode(decoder_cls, b"retry: 9223372036854775806\n\n")
    assert dec.retry == 9223372036854775806
    _, dec = decode(decoder_cls, b"retry: " + b"0" * 10_000 + b"250\n\n")
    assert dec.retry == 250


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_retry_takes_effect_at_the_end_of_its_event(
    decoder_cls: type[SSEDecoder], eol: bytes
) -> None:
    dec = decoder_cls()
    dec.feed(b"retry: 5" + eol + b"data: x" + eol)
    assert dec.retry is None
    (frame,) = dec.feed(eol + b"retry: 7" + eol)
    assert (frame.retry, dec.retry) == (5, 5)
    dec.close()
    assert dec.retry == 7


def _idle_error(
    cls: type[SSEDecoder], chunks: list[bytes], limit: int
) -> tuple[int | None, int | None, bytes, int]:
    dec = cls(max_idle_lines=limit)
    frames = 0
    with pytest.raises(IdleStreamError) as info:
        for chunk in chunks:
            frames += len(dec.feed(chunk))
        dec.close()
    err = info.value
    return err.index, err.offset, err.excerpt, frames


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_idle_lines_have_one_definition_in_every_mode_and_chunking(
    decoder_cls: type[SSEDecoder], eol: bytes
) -> None:
    # Comments, id and event lines without any blank line: no event ever ends.
    lines = [b": keep-alive", b"id: 1", b"event: e", b"retry: 10", b"foo"] * 4
    data = b"data: first" + eol + eol + eol.join(lines) + eol
    # The first data line is not idle; the blank line that ends its event
    # dispatches. Then the 4th idle line (index 3) is the first beyond 3.
    line_start = len(b"data: first" + eol + eol) + sum(len(x + eol) for x in lines[:3])
    expected = (1, line_start, lines[3], 1)
    for name, chunks in chunkings(data):
        assert _idle_error(decoder_cls, chunks, 3) == expected, name


def test_idle_lines_on_lf_stream_are_enforced_before_the_size_limit(
    decoder_cls: type[SSEDecoder],
) -> None:
    dec = decoder_cls(max_idle_lines=10, max_event_bytes=10_000)
    with pytest.raises(IdleStreamError):
        dec.feed(b": ping\n" * 100)


def test_named_event_lines_count_then_reset_at_dispatch(decoder_cls: type[SSEDecoder]) -> None:
    for eol in (b"\n", b"\r\n"):
        data = (b"event: e" + eol + b"data: x" + eol + eol) * 50
        got, _ = decode(decoder_cls, data, max_idle_lines=1)
        assert len(got) == 50
        with pytest.raises(IdleStreamError):
            decoder_cls(max_idle_lines=0).feed(data)


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_error_after_frames_of_the_same_feed_is_deferred_in_every_mode(
    decoder_cls: type[SSEDecoder], eol: bytes
) -> None:
    chunks = [
        b"data: ok" + eol + eol + b"data: " + b"q" * 30 + eol + eol,
        b"data: ok" + eol + eol + b": a" + eol + b": b" + eol + b": c" + eol,
    ]
    for chunk, opts in zip(chunks, [{"max_event_bytes": 20}, {"max_idle_lines": 2}], strict=True):
        dec = decoder_cls(**opts)  # type: ignore[arg-type]
        frames = dec.feed(chunk)
        assert [bytes(f.data) for f in frames] == [b"ok"]
        with pytest.raises((EventTooLargeError, IdleStreamError)) as info:
            dec.feed(b"data: more" + eol + eol)
        assert info.value.index == 1
        with pytest.raises(StreamClosedError):
            dec.feed(b"data: more" + eol + eol)


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"])
def test_error_excerpt_and_offset_point_at_the_event(
    decoder_cls: type[SSEDecoder], eol: bytes
) -> None:
    head = b"data: ok" + eol + eol
    event = b"event: big" + eol + b"data: " + b"z" * 100 + eol + eol
    dec = decoder_cls(max_event_bytes=50)
    dec.feed(head)
    with pytest.raises(EventTooLargeError) as info:
        dec.feed(event)
    err = info.value
    assert (err.index, err.offset, err.limit) == (1, len(head), 50)
    # The event is reported at the line that takes it over the limit.
    assert err.size == len(b"event: big" + eol + b"data: " + b"z" * 100 + eol)
    assert err.excerpt == event[:80]

"""Property tests of the converters: random valid streams of each API convert
without error into streams their reducers accept, and how the input bytes are
chunked never changes the output."""

from __future__ import annotations

import warnings
from typing import Any

from helpers import random_chunks
from hypothesis import given, settings
from hypothesis import strategies as st
from test_convert_support import strict_reduce

from streamkit.convert import Converter, convert
from streamkit.events import encode_events
from streamkit.testing import chat_stream, messages_stream, responses_stream

TARGETS = st.sampled_from(["responses", "chat", "messages"])


@st.composite
def streams(draw: Any) -> bytes:
    api = draw(st.sampled_from(["responses", "chat", "messages"]))
    seed = draw(st.integers(0, 10_000))
    words = draw(st.integers(0, 40))
    tools = draw(st.integers(0 if words else 1, 4))
    if api == "responses":
        refusal = draw(st.booleans()) and not tools and words > 0
        return responses_stream(
            seed=seed,
            text_words=words,
            tool_calls=tools,
            reasoning=draw(st.booleans()),
            refusal=refusal,
            preamble=draw(st.booleans()) and words > 0 and tools > 0,
        )
    if api == "chat":
        return chat_stream(
            seed=seed,
            text_words=words,
            tool_calls=tools,
            usage=draw(st.booleans()),
            preamble=draw(st.booleans()) and words > 0 and tools > 0,
        )
    return messages_stream(
        seed=seed,
        text_words=words,
        tool_calls=tools,
        thinking=draw(st.booleans()),
        preamble=draw(st.booleans()) and words > 0 and tools > 0,
    )


@settings(max_examples=60, deadline=None)
@given(body=streams(), to=TARGETS, cut=st.floats(0.01, 1.0), seed=st.integers(0, 99))
def test_random_streams_convert_in_any_chunking(
    body: bytes, to: str, cut: float, seed: int
) -> None:
    whole = list(convert(body, to))  # type: ignore[arg-type]
    assert list(convert(random_chunks(body, seed, 1, 64), to)) == whole  # type: ignore[arg-type]
    out = b"".join(encode_events(whole, api=to))  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert strict_reduce(out, to).verdict.status == "completed"
    # Any prefix converts too, into a stream that is not mistaken for a success
    # unless the source's terminal event was in it.
    prefix = body[: max(1, int(len(body) * cut))]
    conv = Converter(to)  # type: ignore[arg-type]
    events = list(convert(prefix, to, converter=conv))  # type: ignore[arg-type]
    if events:
        status = strict_reduce(b"".join(encode_events(events, api=to)), to).verdict.status  # type: ignore[arg-type]
        # Not ended: cut before any finish (truncated), or, for a Chat target,
        # after every finish_reason but before [DONE] (unterminated).
        expected = {"completed"} if conv.result().ended else {"truncated", "unterminated"}
        assert status in expected

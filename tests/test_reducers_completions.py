"""CompletionReducer: legacy ``text_completion`` streams folded into a ``Completion``."""

from __future__ import annotations

import warnings
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.events._common import Done, UnknownEvent
from streamkit.events.completions import COMPLETION_CHUNK_DECODER, CompletionChunk
from streamkit.events.errors import ErrorDetail, StreamErrorEvent
from streamkit.models import ServerError
from streamkit.models.completions import Completion
from streamkit.reducers._finished import TextDone
from streamkit.reducers._integrity import StreamIntegrityError, StreamIntegrityWarning
from streamkit.reducers.completions import CompletionReducer, CompletionStreamEvent

USAGE = {"prompt_tokens": 4, "completion_tokens": 6, "total_tokens": 10}


def chunk(*choices: dict[str, Any], **fields: Any) -> CompletionChunk:
    body: dict[str, Any] = {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 1690759702,
        "model": "gpt-3.5-turbo-instruct",
        "choices": list(choices),
    }
    body.update(fields)
    # Through the real decoder, as a stream would be.
    return COMPLETION_CHUNK_DECODER.decode(msgspec.json.encode(body))


def ch(
    index: int = 0, text: str = "", finish_reason: str | None = None, logprobs: Any = None
) -> dict[str, Any]:
    return {"index": index, "text": text, "logprobs": logprobs, "finish_reason": finish_reason}


def lp(*tokens: str, offset: int = 0) -> dict[str, Any]:
    return {
        "tokens": list(tokens),
        "token_logprobs": [-0.5] * len(tokens),
        "top_logprobs": [{t: -0.5} for t in tokens],
        "text_offset": [offset + i for i in range(len(tokens))],
    }


def run(
    events: list[CompletionStreamEvent], **options: Any
) -> tuple[Completion, CompletionReducer]:
    r = CompletionReducer(**options)
    return r.run(events), r


def status(result: Completion) -> tuple[str, str | None]:
    assert result.verdict is not None
    return result.verdict.status, result.verdict.reason


def test_spec_like_stream() -> None:
    events: list[CompletionStreamEvent] = [
        chunk(ch(0, "This", logprobs=lp("This")), ch(1, "A", logprobs=lp("A")), usage=None),
        chunk(ch(1, " cat", logprobs=lp(" cat", offset=1)), usage=None),
        chunk(ch(0, " is", logprobs=lp(" is", offset=4)), usage=None),
        chunk(ch(0, "", "stop"), ch(1, "", "length"), usage=None),
        chunk(usage=USAGE),
        Done(),
    ]
    result, r = run(events)
    assert result.object == "text_completion"
    assert (result.id, result.model, result.created) == (
        "cmpl-1",
        "gpt-3.5-turbo-instruct",
        1690759702,
    )
    assert [(c.index, c.text, c.finish_reason) for c in result.choices] == [
        (0, "This is", "stop"),
        (1, "A cat", "length"),
    ]
    logprobs = result.choices[0].logprobs
    assert logprobs is not None
    assert msgspec.to_builtins(logprobs) == {
        "tokens": ["This", " is"],
        "token_logprobs": [-0.5, -0.5],
        "top_logprobs": [{"This": -0.5}, {" is": -0.5}],
        "text_offset": [0, 4],
    }
    assert msgspec.to_builtins(result.usage) == USAGE
    assert status(result) == ("incomplete", "length")
    assert r.saw_done and r.events == 6 and r.integrity_issues == []


def test_choices_any_order() -> None:
    result, _ = run([chunk(ch(2, "c")), chunk(ch(0, "a")), chunk(ch(1, "b"), ch(0, "A", "stop"))])
    assert [(c.index, c.text) for c in result.choices] == [(0, "aA"), (1, "b"), (2, "c")]


def test_logprobs_partial_arrays_and_null() -> None:
    result, _ = run(
        [
            chunk(ch(0, "a", logprobs={"tokens": ["a"]}), ch(1, "b")),
            chunk(ch(0, "b", logprobs={"tokens": ["b"], "token_logprobs": [-1.0]})),
            chunk(ch(0, "", "stop", logprobs=None), ch(1, "", "stop")),
        ]
    )
    assert msgspec.to_builtins(result.choices[0].logprobs) == {
        "tokens": ["a", "b"],
        "token_logprobs": [-1.0],
    }
    assert result.choices[1].logprobs is None


def test_header_from_first_chunk_that_has_it() -> None:
    result, _ = run(
        [
            chunk(id="", model="", created=0, system_fingerprint=None),
            chunk(ch(0, "x"), id="cmpl-A", model="m", created=3, system_fingerprint="fp_a"),
            chunk(ch(0, "", "stop"), id="cmpl-B", model="n", created=4, system_fingerprint="fp_b"),
        ]
    )
    assert (result.id, result.model, result.created, result.system_fingerprint) == (
        "cmpl-A",
        "m",
        3,
        "fp_a",
    )


def test_usage_not_erased_or_summed() -> None:
    later = {"prompt_tokens": 4, "completion_tokens": 9, "total_tokens": 13}
    result, _ = run([chunk(ch(0, "x", "stop")), chunk(usage=USAGE), chunk(usage=None), chunk()])
    assert msgspec.to_builtins(result.usage) == USAGE
    result, _ = run([chunk(ch(0, "x"), usage=USAGE), chunk(ch(0, "", "stop"), usage=later)])
    assert msgspec.to_builtins(result.usage) == later


def test_result_is_snapshot_and_in_progress() -> None:
    r = CompletionReducer()
    r.step(chunk(ch(0, "a", logprobs=lp("a"))))
    first = r.result()
    before = msgspec.json.encode(first)
    r.step(chunk(ch(0, "b", "stop", logprobs=lp("b"))))
    r.step(Done())
    assert msgspec.json.encode(first) == before
    assert status(first) == ("in_progress", None)
    final = r.finish()
    assert final.choices[0].text == "ab"
    assert status(final) == ("completed", None)


@pytest.mark.parametrize(
    ("events", "want"),
    [
        ([], ("truncated", None)),
        ([Done()], ("truncated", None)),
        ([chunk(usage=USAGE)], ("truncated", None)),
        ([chunk(ch(0, "x"))], ("truncated", None)),
        ([chunk(ch(0, "x", "stop"), ch(1, "y"))], ("truncated", None)),
        ([chunk(ch(0, "x", "stop"))], ("unterminated", "no [DONE] after finish_reason")),
        ([chunk(ch(0, "x", "stop")), Done()], ("completed", None)),
        ([chunk(ch(0, "x", "length")), Done()], ("incomplete", "length")),
        ([chunk(ch(0, "x", "content_filter")), Done()], ("incomplete", "content_filter")),
        (
            [chunk(ch(0, "x", "content_filter")), chunk(usage=USAGE)],
            ("unterminated", "no [DONE] after finish_reason"),
        ),
        (
            [chunk(ch(0, "x", "stop")), UnknownEvent(type="x", raw=b"{}"), Done()],
            ("completed", None),
        ),
    ],
)
def test_verdicts(events: list[CompletionStreamEvent], want: tuple[str, str | None]) -> None:
    result, _ = run(events)
    assert status(result) == want
    assert result.verdict is not None and result.verdict.events == len(events)


def test_errored() -> None:
    error = ErrorDetail(message="boom", code=500)
    result, _ = run([chunk(ch(0, "x")), StreamErrorEvent(error=error)])
    assert result.verdict is not None
    assert (result.verdict.status, result.verdict.error) == (
        "errored",
        ServerError(code=500, message="boom", raw={"error": {"message": "boom", "code": 500}}),
    )


@pytest.mark.parametrize(
    ("index", "message"),
    [
        (-1, "choice index -1 is negative"),
        (1001, "choice index 1001 jumps from -1 to 1001"),
    ],
)
def test_integrity(index: int, message: str) -> None:
    events: list[CompletionStreamEvent] = [chunk(ch(index, "x", "stop"))]
    result, r = run(events, index_policy="ignore")
    assert r.integrity_issues == [message]
    assert [c.index for c in result.choices] == [index]
    with pytest.warns(StreamIntegrityWarning) as caught:
        run(events)
    assert [str(w.message) for w in caught] == [message]
    assert caught[0].filename.endswith("_base.py")  # points at feed(), the caller
    with pytest.raises(StreamIntegrityError, match="choice index"):
        run(events, index_policy="raise")


def test_non_int_index_dropped() -> None:
    bad = chunk(ch(0, "x"))
    bad.choices[0].index = None  # type: ignore[assignment]  # bypasses validation
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result, r = run([bad, chunk(ch(0, "y", "stop"))], index_policy="ignore")
    assert [c.text for c in result.choices] == ["y"]
    assert r.integrity_issues == ["choice index is not an integer (None); choice dropped"]


def test_take_finished() -> None:
    r = CompletionReducer()
    r.step(chunk(ch(0, "a"), ch(1, "b")))
    assert r.take_finished() == []
    r.step(chunk(ch(1, "c", "stop")))
    r.step(chunk(ch(1, "", "stop")))
    assert r.take_finished() == [TextDone(text="bc", choice_index=1)]
    r.finish()
    assert r.take_finished() == []  # choice 0 was cut off: never reported


# --- checkpoints -------------------------------------------------------------------------

TEXT = st.text(max_size=4)


@st.composite
def streams(draw: st.DrawFn) -> list[CompletionStreamEvent]:
    n = draw(st.integers(1, 3))
    per_choice: list[list[dict[str, Any]]] = []
    for i in range(n):
        pieces = draw(st.lists(TEXT, max_size=5))
        with_lp = draw(st.booleans())
        entries = [ch(i, p, logprobs=lp(p) if with_lp else None) for p in pieces]
        reason = draw(st.sampled_from(["stop", "length", None]))
        if reason:
            entries.append(ch(i, "", reason))
        per_choice.append(entries)
    tickets = draw(st.permutations([i for i, e in enumerate(per_choice) for _ in e]))
    cursors = [0] * n
    events: list[CompletionStreamEvent] = []
    for i in tickets:
        events.append(chunk(per_choice[i][cursors[i]]))
        cursors[i] += 1
    if draw(st.booleans()):
        events.append(chunk(usage=USAGE))
    if draw(st.booleans()):
        events.append(StreamErrorEvent(error=ErrorDetail(message="x")))
    if draw(st.booleans()):
        events.append(Done())
    return events


def outcome(r: CompletionReducer, finished: list[Any]) -> tuple[Any, ...]:
    result = r.finish()
    return (
        msgspec.json.encode(result),
        result.verdict,
        r.integrity_issues,
        r.saw_done,
        finished + r.take_finished(),
    )


@settings(max_examples=150, deadline=None)
@given(events=streams(), data=st.data())
def test_checkpoint_restore_anywhere(
    events: list[CompletionStreamEvent], data: st.DataObject
) -> None:
    straight = CompletionReducer()
    for e in events:
        straight.step(e)
    expected = outcome(straight, [])

    cut = data.draw(st.integers(0, len(events)))
    r = CompletionReducer()
    finished: list[Any] = []
    for e in events[:cut]:
        r.step(e)
    if data.draw(st.booleans()):
        finished = r.take_finished()
    restored = CompletionReducer.restore(r.checkpoint())
    assert isinstance(restored, CompletionReducer)
    for e in events[cut:]:
        restored.step(e)
    assert outcome(restored, finished) == expected

    # Oracle: plain concatenation per index.
    texts: dict[int, str] = {}
    for e in events:
        if isinstance(e, CompletionChunk):
            for c in e.choices:
                texts[c.index] = texts.get(c.index, "") + c.text
    result = msgspec.json.decode(expected[0])
    assert {c["index"]: c["text"] for c in result["choices"]} == texts

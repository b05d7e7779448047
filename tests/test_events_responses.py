"""Responses API stream events: spec coverage, recordings, tolerance, round trips."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import msgspec
import pytest
from helpers import have_openapi, openapi_params, recording_params, recording_paths
from hypothesis import given
from hypothesis import strategies as st
from test_models_responses import (
    ROUND_TRIP_SETTINGS,
    SCHEMAS,
    for_type,
    spec_errors,
    union_members,
)

import streamkit
from streamkit.events.responses import (
    RESPONSE_EVENT_CLASSES,
    RESPONSE_EVENT_DECODER,
    RESPONSE_EVENT_TYPES,
    ResponseCompletedEvent,
    ResponseErrorEvent,
    ResponseKeepaliveEvent,
    ResponseOutputItemAddedEvent,
    ResponseStreamEvent,
    decode_event_tolerant,
)
from streamkit.models import Model
from streamkit.models.responses import (
    UNKNOWN_ITEM_TAG,
    FunctionToolCall,
    OutputMessage,
    UnknownItem,
)
from streamkit.testing import demo_stream

RECORDING_PATHS = recording_paths("responses")

EVENT_MEMBERS = union_members("ResponseStreamEvent") if have_openapi() else []
#: Known event types that the spec's union lacks, by where they come from.
NEWER_THAN_SPEC = {
    "response.compaction.compacting": "openai-python 3.54 SDK",
    "response.apply_patch_call_operation_diff.delta": "recordings",
    "response.apply_patch_call_operation_diff.done": "recordings",
    "keepalive": "public SDK bug reports",
}


# --------------------------------------------------------------------------- #
# Spec coverage
# --------------------------------------------------------------------------- #


@pytest.mark.openapi
def test_event_types_are_the_spec_members_plus_newer_ones() -> None:
    spec_tags = {tag for _, tag in EVENT_MEMBERS}
    assert len(spec_tags) == 58
    assert spec_tags | set(NEWER_THAN_SPEC) == RESPONSE_EVENT_TYPES
    assert set(RESPONSE_EVENT_CLASSES) == RESPONSE_EVENT_TYPES
    assert len(RESPONSE_EVENT_TYPES) == 62


@pytest.mark.openapi
@pytest.mark.parametrize(
    ("schema_name", "tag"), openapi_params(EVENT_MEMBERS, [n for n, _ in EVENT_MEMBERS], width=2)
)
def test_event_matches_spec(schema_name: str, tag: str) -> None:
    cls = RESPONSE_EVENT_CLASSES[tag]
    assert cls.__struct_config__.tag == tag
    assert cls.__name__ == schema_name
    assert spec_errors(schema_name, cls) == []


@pytest.mark.openapi
def test_event_union_matches_spec() -> None:
    assert spec_errors("ResponseStreamEvent", ResponseStreamEvent) == []


def test_every_event_class_is_documented() -> None:
    for cls in RESPONSE_EVENT_CLASSES.values():
        assert cls.__doc__ and cls.__doc__.strip(), cls.__name__


def test_every_delta_event_declares_obfuscation() -> None:
    deltas = [cls for tag, cls in RESPONSE_EVENT_CLASSES.items() if tag.endswith(".delta")]
    assert len(deltas) == 13
    for cls in deltas:
        assert "obfuscation" in {f.name for f in msgspec.structs.fields(cls)}, cls.__name__


@pytest.mark.openapi
def test_subset_has_every_member_schema() -> None:
    for name, _ in [*EVENT_MEMBERS, *union_members("OutputItem")]:
        assert name in SCHEMAS


# --------------------------------------------------------------------------- #
# Recordings
# --------------------------------------------------------------------------- #


def payloads(path: Path) -> list[bytes]:
    """The ``data`` of every event of a recording, ``[DONE]`` excluded."""
    data = path.read_bytes()
    try:
        from streamkit.sse._decoder import SSEDecoder
    except ImportError:  # pragma: no cover - the SSE decoder is a sibling module
        blocks = data.replace(b"\r\n", b"\n").split(b"\n\n")
        frames = [
            b"\n".join(
                line[5:].removeprefix(b" ")
                for line in block.split(b"\n")
                if line.startswith(b"data:")
            )
            for block in blocks
        ]
    else:
        decoder = SSEDecoder()
        frames = [bytes(f.data) for f in decoder.feed(data) + decoder.close()]
    return [f for f in frames if f and f != b"[DONE]"]


def expected_json(typed: Any, original: Any) -> Any:
    """``original`` without the keys the typed object does not know.

    Walks the decoded object and the original JSON together: keys a Struct
    does not declare are dropped, everything else (including ``Any`` fields)
    is kept as is.
    """
    if isinstance(typed, UnknownItem):
        return {"type": UNKNOWN_ITEM_TAG, "item_type": original["type"], "raw": original}
    if isinstance(typed, msgspec.Struct):
        assert isinstance(original, dict)
        config = typed.__struct_config__
        out: dict[str, Any] = {}
        if config.tag_field is not None:
            out[config.tag_field] = original[config.tag_field]
        for field in msgspec.structs.fields(typed):
            if field.encode_name in original:
                value = getattr(typed, field.name)
                out[field.encode_name] = expected_json(value, original[field.encode_name])
        return out
    if isinstance(typed, list):
        assert isinstance(original, list)
        assert len(typed) == len(original)
        return [expected_json(t, o) for t, o in zip(typed, original, strict=True)]
    if isinstance(typed, dict):
        assert isinstance(original, dict)
        return {k: expected_json(typed[k], v) for k, v in original.items()}
    return original


def decode(payload: bytes) -> ResponseStreamEvent:
    try:
        return RESPONSE_EVENT_DECODER.decode(payload)
    except msgspec.ValidationError:
        event = decode_event_tolerant(payload)
        assert event is not None, payload[:200]
        return event


@pytest.mark.recordings
@pytest.mark.parametrize("path", recording_params(RECORDING_PATHS))
def test_recording_round_trip(path: Path) -> None:
    events = payloads(path)
    assert events
    for payload in events:
        event = decode(payload)
        original = json.loads(payload)
        assert type(event) is RESPONSE_EVENT_CLASSES[original["type"]]
        assert json.loads(msgspec.json.encode(event)) == expected_json(event, original)


@pytest.mark.recordings
def test_recordings_need_no_tolerance() -> None:
    """Every recorded event fits the fast decoder; the tolerant one agrees."""
    assert RECORDING_PATHS
    for path in RECORDING_PATHS:
        for payload in payloads(path):
            event = RESPONSE_EVENT_DECODER.decode(payload)
            if isinstance(event, ResponseCompletedEvent | ResponseOutputItemAddedEvent):
                assert decode_event_tolerant(payload) == event


def test_expected_json_drops_only_unknown_keys() -> None:
    payload = (
        b'{"type":"response.output_text.delta","item_id":"m","output_index":0,'
        b'"content_index":0,"delta":"x","logprobs":[],"sequence_number":3,"brand_new":1}'
    )
    event = RESPONSE_EVENT_DECODER.decode(payload)
    expected = expected_json(event, json.loads(payload))
    assert "brand_new" not in expected
    assert json.loads(msgspec.json.encode(event)) == expected


# --------------------------------------------------------------------------- #
# Tolerance
# --------------------------------------------------------------------------- #

MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "status": "completed",
    "role": "assistant",
    "content": [{"type": "output_text", "text": "hi", "annotations": [], "logprobs": []}],
}
CALL = {
    "type": "function_call",
    "id": "fc_1",
    "call_id": "call_1",
    "name": "f",
    "arguments": "{}",
    "status": "completed",
}
FUTURE_ITEM = {"type": "hologram_call", "id": "h_1", "projection": {"x": [1, 2.5]}}


def completed(output: list[dict[str, Any]]) -> bytes:
    response = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1763474589,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "model": "gpt-5",
        "output": output,
        "parallel_tool_calls": True,
        "temperature": 1,
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1,
        "metadata": {},
    }
    event = {"type": "response.completed", "sequence_number": 9, "response": response}
    return json.dumps(event).encode()


def test_unknown_event_type_returns_none() -> None:
    payload = b'{"type":"response.teleport.started","sequence_number":1,"item_id":"x"}'
    with pytest.raises(msgspec.ValidationError):
        RESPONSE_EVENT_DECODER.decode(payload)
    assert decode_event_tolerant(payload) is None
    assert decode_event_tolerant(b'{"sequence_number":1}') is None
    assert decode_event_tolerant(b'{"type":7}') is None


def test_unknown_item_in_output_item_added() -> None:
    payload = json.dumps(
        {
            "type": "response.output_item.added",
            "sequence_number": 4,
            "output_index": 2,
            "item": FUTURE_ITEM,
        }
    ).encode()
    with pytest.raises(msgspec.ValidationError):
        RESPONSE_EVENT_DECODER.decode(payload)
    event = decode_event_tolerant(payload)
    assert isinstance(event, ResponseOutputItemAddedEvent)
    assert (event.output_index, event.sequence_number) == (2, 4)
    item = event.item
    assert isinstance(item, UnknownItem)
    assert item.type == "hologram_call"
    assert json.loads(bytes(item.raw)) == FUTURE_ITEM


def test_unknown_item_in_completed_response_output() -> None:
    payload = completed([MESSAGE, FUTURE_ITEM, CALL])
    with pytest.raises(msgspec.ValidationError):
        RESPONSE_EVENT_DECODER.decode(payload)
    event = decode_event_tolerant(payload)
    assert isinstance(event, ResponseCompletedEvent)
    output = event.response.output
    assert isinstance(output, list)
    assert isinstance(output[0], OutputMessage)
    assert isinstance(output[1], UnknownItem)
    assert output[1].type == "hologram_call"
    assert json.loads(bytes(output[1].raw)) == FUTURE_ITEM
    assert isinstance(output[2], FunctionToolCall)
    assert output[2].call_id == "call_1"


def test_known_event_with_wrong_field_still_raises() -> None:
    payload = b'{"type":"response.output_text.delta","item_id":"m","output_index":"zero",'
    payload += b'"content_index":0,"delta":"x","logprobs":[]}'
    with pytest.raises(msgspec.ValidationError):
        RESPONSE_EVENT_DECODER.decode(payload)
    with pytest.raises(msgspec.ValidationError, match="output_index"):
        decode_event_tolerant(payload)


def test_unknown_item_does_not_hide_other_errors() -> None:
    event = json.loads(completed([FUTURE_ITEM]))
    event["response"]["parallel_tool_calls"] = "yes"
    with pytest.raises(msgspec.ValidationError, match="parallel_tool_calls"):
        decode_event_tolerant(json.dumps(event).encode())


def test_malformed_known_item_raises() -> None:
    broken = {k: v for k, v in MESSAGE.items() if k != "content"}
    payload = completed([broken])
    with pytest.raises(msgspec.ValidationError, match="content"):
        decode_event_tolerant(payload)


def test_non_object_payload_raises() -> None:
    with pytest.raises(msgspec.ValidationError):
        decode_event_tolerant(b"[1, 2]")


def test_null_item_and_missing_sequence_number_decode() -> None:
    event = RESPONSE_EVENT_DECODER.decode(
        b'{"type":"response.output_item.added","output_index":0,"item":null}'
    )
    assert isinstance(event, ResponseOutputItemAddedEvent)
    assert event.item is None
    assert event.sequence_number is msgspec.UNSET


def test_keepalive_and_nested_error_events() -> None:
    keepalive = RESPONSE_EVENT_DECODER.decode(b'{"type":"keepalive","sequence_number":466}')
    assert keepalive == ResponseKeepaliveEvent(sequence_number=466)
    error = RESPONSE_EVENT_DECODER.decode(
        b'{"type":"error","sequence_number":2,"error":{"type":"insufficient_quota",'
        b'"code":"insufficient_quota","message":"quota","param":null}}'
    )
    assert isinstance(error, ResponseErrorEvent)
    assert error.message is msgspec.UNSET
    assert not isinstance(error.error, msgspec.UnsetType)
    assert error.error.code == "insufficient_quota"


# --------------------------------------------------------------------------- #
# Round trips of generated events
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("cls", list(RESPONSE_EVENT_CLASSES.values()), ids=lambda c: c.__name__)
@ROUND_TRIP_SETTINGS
@given(data=st.data())
def test_event_round_trip(cls: type[Model], data: st.DataObject) -> None:
    event = data.draw(for_type(cls))
    assert RESPONSE_EVENT_DECODER.decode(msgspec.json.encode(event)) == event


# New kinds nested inside known events ------------------------------------------

_NEW_ANNOTATION = b'"annotations":[{"type":"brand_new_citation","url":"u","x":1}]'


def test_new_annotation_kind_keeps_the_stream_going() -> None:
    body = demo_stream("responses-text").replace(b'"annotations":[]', _NEW_ANNOTATION)
    events = list(streamkit.iter_events(body))
    unknown = [e for e in events if isinstance(e, streamkit.events.UnknownEvent)]
    # The content_part events carry the annotation outside any item: unknown.
    assert [e.type for e in unknown] == [
        "response.content_part.added",
        "response.content_part.done",
    ]
    assert b"brand_new_citation" in unknown[0].raw
    # Items holding it become UnknownItem, with the item's JSON kept; the item
    # streamed as a message is that message, so no integrity warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", streamkit.errors.StreamIntegrityWarning)
        response = streamkit.reduce(body)
    assert response.verdict.status == "completed"
    (item,) = response.output
    assert isinstance(item, streamkit.models.UnknownItem) and item.type == "message"
    raw = msgspec.json.decode(item.raw)
    assert raw["content"][0]["annotations"][0]["type"] == "brand_new_citation"
    assert raw["content"][0]["text"] == streamkit.TextReducer().run(streamkit.iter_events(body))
    # Re-encoding writes the server's item back.
    again = list(streamkit.iter_events(b"".join(streamkit.encode_events(events))))
    assert again == events


def test_new_part_kind_in_a_part_event_is_an_unknown_event() -> None:
    payload = (
        b'{"type":"response.content_part.added","sequence_number":4,"output_index":0,'
        b'"content_index":0,"item_id":"m","part":{"type":"output_video","frames":3}}'
    )
    (event,) = streamkit.iter_events(b"data: " + payload + b"\n\n", "responses")
    assert event == streamkit.events.UnknownEvent(type="response.content_part.added", raw=payload)
    with pytest.raises(streamkit.errors.UnknownEventError):
        list(streamkit.iter_events(b"data: " + payload + b"\n\n", "responses", strict=True))


def test_a_bad_value_that_is_not_a_new_kind_still_fails() -> None:
    payload = (
        b'{"type":"response.content_part.added","sequence_number":4,"output_index":"zero",'
        b'"content_index":0,"item_id":"m","part":{"type":"output_text","text":"","annotations":[]}}'
    )
    with pytest.raises(streamkit.errors.EventDecodeError, match="output_index"):
        list(streamkit.iter_events(b"data: " + payload + b"\n\n", "responses"))

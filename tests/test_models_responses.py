"""Responses API final objects: spec coverage and JSON round trips.

Also hosts the two helpers ``test_events_responses`` reuses: a checker that
walks an OpenAPI schema and a msgspec type together, and a Hypothesis strategy
builder for msgspec types.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest
from helpers import SCHEMAS as OPENAPI_SCHEMAS
from helpers import have_openapi, openapi_params
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamkit.models import Model
from streamkit.models.responses import (
    OUTPUT_ITEM_CLASSES,
    OUTPUT_ITEM_TYPES,
    UNKNOWN_ITEM_TAG,
    OutputItem,
    OutputMessage,
    OutputText,
    Response,
    UnknownItem,
    UrlCitation,
)

# The OpenAI OpenAPI description, read on first use: tests reading it are marked openapi.
SCHEMAS = OPENAPI_SCHEMAS


# --------------------------------------------------------------------------- #
# Spec checker
# --------------------------------------------------------------------------- #

_PRIMITIVES: dict[str, tuple[type[mi.Type], ...]] = {
    "string": (mi.StrType,),
    "integer": (mi.IntType,),
    "number": (mi.FloatType,),
    "boolean": (mi.BoolType,),
    "null": (mi.NoneType,),
}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name not in SCHEMAS:
            raise LookupError(f"schema {name} is not in the OpenAPI description")
        schema = SCHEMAS[name]
    return schema


def flatten_object(schema: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """Properties and required names of an object schema, resolving ``allOf``."""
    schema = resolve(schema)
    props: dict[str, Any] = dict(schema.get("properties", {}))
    required = set(schema.get("required", ()))
    for part in schema.get("allOf", ()):
        p, r = flatten_object(part)
        props.update(p)
        required |= r
    return props, required


def members(t: mi.Type) -> list[mi.Type]:
    return list(t.types) if isinstance(t, mi.UnionType) else [t]


def struct_for(tag_enum: list[str] | None, t: mi.Type) -> mi.StructType | None:
    structs = [m for m in members(t) if isinstance(m, mi.StructType)]
    if tag_enum is None:
        untagged = [s for s in structs if s.tag is None]
        return untagged[0] if len(untagged) == 1 else (structs[0] if len(structs) == 1 else None)
    for s in structs:
        if s.tag in tag_enum:
            return s
    # an untagged Struct with a plain `type` field accepts any type string
    for s in structs:
        if s.tag is None and any(f.encode_name == "type" for f in s.fields):
            return s
    return None


def check_schema(schema: dict[str, Any], t: mi.Type, path: str, errors: list[str]) -> None:
    """Report where msgspec type ``t`` cannot hold every value ``schema`` allows.

    Checks that every property the spec defines is a Struct field, that a field
    the spec makes optional has a default, that nullable values accept None,
    and that primitive kinds match. ``Any`` accepts everything.
    """
    if isinstance(t, mi.AnyType):
        return
    schema = resolve(schema)
    if "allOf" in schema or "properties" in schema:
        props, required = flatten_object(schema)
        check_object(props, required, t, path, errors)
        return
    for key in ("anyOf", "oneOf"):
        if key in schema:
            for option in schema[key]:
                check_schema(option, t, path, errors)
            return
    kind = schema.get("type")
    found = members(t)
    if kind in _PRIMITIVES:
        if not any(isinstance(m, _PRIMITIVES[kind]) for m in found):
            errors.append(f"{path}: spec allows {kind}, type is {t}")
    elif kind == "array":
        lists = [m for m in found if isinstance(m, mi.ListType)]
        if not lists:
            errors.append(f"{path}: spec allows an array, type is {t}")
        else:
            check_schema(schema.get("items", {}), lists[0].item_type, path + "[]", errors)
    elif kind == "object":
        dicts = [m for m in found if isinstance(m, mi.DictType)]
        if not dicts:
            errors.append(f"{path}: spec allows a free-form object, type is {t}")
        elif isinstance(schema.get("additionalProperties"), dict):
            check_schema(schema["additionalProperties"], dicts[0].value_type, path + "{}", errors)
    elif kind is None:
        errors.append(f"{path}: spec allows any value, type is {t}")


def check_object(
    props: dict[str, Any], required: set[str], t: mi.Type, path: str, errors: list[str]
) -> None:
    tag_enum = props.get("type", {}).get("enum")
    struct = struct_for(tag_enum, t)
    if struct is None:
        errors.append(f"{path}: no Struct for object (type={tag_enum}) in {t}")
        return
    fields = {f.encode_name: f for f in struct.fields}
    name = struct.cls.__name__
    for prop, sub in props.items():
        if prop == "type" and struct.tag_field == "type":
            continue
        field = fields.get(prop)
        if field is None:
            errors.append(f"{path}.{prop}: property missing from {name}")
            continue
        if field.required and prop not in required:
            errors.append(f"{path}.{prop}: optional in the spec, required in {name}")
        check_schema(sub, field.type, f"{path}.{prop}", errors)


def spec_errors(schema_name: str, tp: Any) -> list[str]:
    errors: list[str] = []
    check_schema(ref(schema_name), mi.type_info(tp), schema_name, errors)
    return errors


def union_members(schema_name: str) -> list[tuple[str, str]]:
    """(schema name, type tag) of each member of a discriminated union."""
    schema = SCHEMAS[schema_name]
    out = []
    for option in schema.get("oneOf") or schema["anyOf"]:
        name = option["$ref"].rsplit("/", 1)[1]
        props, _ = flatten_object(option)
        (tag,) = props["type"]["enum"]
        out.append((name, tag))
    return out


# --------------------------------------------------------------------------- #
# Hypothesis strategies for msgspec types
# --------------------------------------------------------------------------- #

_INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
_TEXT = st.text(max_size=12)
JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | _INT64 | _FLOATS | _TEXT,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_TEXT, inner, max_size=2),
    max_leaves=4,
)
_STRUCT_CACHE: dict[type, st.SearchStrategy[Any]] = {}


def strategy_for(t: mi.Type) -> st.SearchStrategy[Any]:
    """A strategy producing valid values of the msgspec type ``t``."""
    if isinstance(t, mi.AnyType):
        return JSON_VALUES
    if isinstance(t, mi.NoneType):
        return st.none()
    if isinstance(t, mi.BoolType):
        return st.booleans()
    if isinstance(t, mi.IntType):
        return _INT64
    if isinstance(t, mi.FloatType):
        return _FLOATS
    if isinstance(t, mi.StrType):
        return _TEXT
    if isinstance(t, mi.RawType):
        return JSON_VALUES.map(lambda v: msgspec.Raw(msgspec.json.encode(v)))
    if isinstance(t, mi.ListType):
        return st.lists(strategy_for(t.item_type), max_size=2)
    if isinstance(t, mi.DictType):
        return st.dictionaries(_TEXT, strategy_for(t.value_type), max_size=2)
    if isinstance(t, mi.UnionType):
        return st.one_of([strategy_for(m) for m in t.types])
    if isinstance(t, mi.StructType):
        return struct_strategy(t)
    raise TypeError(f"no strategy for {t}")


def struct_strategy(t: mi.StructType) -> st.SearchStrategy[Any]:
    if t.cls not in _STRUCT_CACHE:
        # deferred: built on first draw, so building the parent stays cheap
        _STRUCT_CACHE[t.cls] = st.deferred(lambda: _build_struct(t))
    return _STRUCT_CACHE[t.cls]


def _build_struct(t: mi.StructType) -> st.SearchStrategy[Any]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for f in t.fields:
        value = strategy_for(f.type)
        fields[f.name] = value if f.required else st.just(msgspec.UNSET) | value
    return st.fixed_dictionaries(fields).map(lambda kw: t.cls(**kw))


def for_type(tp: Any) -> st.SearchStrategy[Any]:
    return strategy_for(mi.type_info(tp))


ROUND_TRIP_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --------------------------------------------------------------------------- #
# Tests
# --------------------------------------------------------------------------- #

ITEM_MEMBERS = union_members("OutputItem") if have_openapi() else []


@pytest.mark.openapi
def test_every_output_item_kind_has_a_struct() -> None:
    spec_tags = {tag for _, tag in ITEM_MEMBERS}
    assert len(spec_tags) == 28
    assert spec_tags - OUTPUT_ITEM_TYPES == set()
    assert OUTPUT_ITEM_TYPES - spec_tags == set()
    assert UNKNOWN_ITEM_TAG not in OUTPUT_ITEM_TYPES


@pytest.mark.openapi
@pytest.mark.parametrize(
    ("schema_name", "tag"), openapi_params(ITEM_MEMBERS, [n for n, _ in ITEM_MEMBERS], width=2)
)
def test_output_item_matches_spec(schema_name: str, tag: str) -> None:
    cls = OUTPUT_ITEM_CLASSES[tag]
    assert cls.__struct_config__.tag == tag
    assert spec_errors(schema_name, cls) == []


@pytest.mark.openapi
def test_output_item_union_matches_spec() -> None:
    assert spec_errors("OutputItem", OutputItem) == []


@pytest.mark.openapi
def test_response_matches_spec() -> None:
    assert spec_errors("Response", Response) == []


@pytest.mark.openapi
def test_response_has_every_flattened_property() -> None:
    props, required = flatten_object(SCHEMAS["Response"])
    names = {f.encode_name for f in msgspec.structs.fields(Response)}
    assert set(props) - names == set()
    # every required property that is also defined is a field
    assert (required & set(props)) - names == set()


class _IncompleteMessage(Model, kw_only=True, tag_field="type", tag="message"):
    """A message Struct missing `status` and with a too-strict `phase`."""

    id: str
    role: str
    content: list[OutputText]
    phase: str


@pytest.mark.openapi
def test_spec_checker_can_fail() -> None:
    errors = spec_errors("OutputMessage", _IncompleteMessage)
    assert any(e.endswith(".status: property missing from _IncompleteMessage") for e in errors)
    assert any(".phase: optional in the spec" in e for e in errors)
    assert any(".phase: spec allows null" in e for e in errors)
    # a RefusalContent part has nowhere to go
    assert any("content[]: no Struct for object (type=['refusal'])" in e for e in errors)


def test_unknown_item_exposes_wire_type_and_raw() -> None:
    raw = b'{"type":"hologram","id":"h_1"}'
    item = UnknownItem(item_type="hologram", raw=msgspec.Raw(raw))
    assert item.type == "hologram"
    assert bytes(item.raw) == raw
    encoded = json.loads(msgspec.json.encode(item))
    assert encoded == {"type": UNKNOWN_ITEM_TAG, "item_type": "hologram", "raw": json.loads(raw)}


def test_output_message_decodes_from_wire_json() -> None:
    payload = {
        "id": "msg_1",
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [
            {
                "type": "output_text",
                "text": "hi",
                "annotations": [
                    {
                        "type": "url_citation",
                        "url": "https://example.com",
                        "start_index": 0,
                        "end_index": 2,
                        "title": "Example",
                    }
                ],
                "logprobs": [],
            }
        ],
    }
    item = msgspec.json.decode(json.dumps(payload), type=OutputItem)
    assert isinstance(item, OutputMessage)
    part = item.content[0]
    assert isinstance(part, OutputText)
    assert isinstance(part.annotations[0], UrlCitation)
    assert json.loads(msgspec.json.encode(item)) == payload


def test_response_tolerates_null_usage_and_user() -> None:
    payload = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1746812437,
        "status": "in_progress",
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "model": "gpt-4.1",
        "output": [],
        "parallel_tool_calls": True,
        "temperature": 1.0,
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "usage": None,
        "user": None,
        "metadata": {},
    }
    response = msgspec.json.decode(json.dumps(payload), type=Response)
    assert response.usage is None
    assert json.loads(msgspec.json.encode(response)) == payload


@pytest.mark.parametrize(
    "cls", [*OUTPUT_ITEM_CLASSES.values(), UnknownItem], ids=lambda c: c.__name__
)
@ROUND_TRIP_SETTINGS
@given(data=st.data())
def test_output_item_round_trip(cls: type[Model], data: st.DataObject) -> None:
    item = data.draw(for_type(cls))
    assert msgspec.json.decode(msgspec.json.encode(item), type=OutputItem) == item


@ROUND_TRIP_SETTINGS
@given(response=for_type(Response))
def test_response_round_trip(response: Response) -> None:
    assert msgspec.json.decode(msgspec.json.encode(response), type=Response) == response

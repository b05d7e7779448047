"""Spec-coverage helpers shared by the Chat and Completions type tests: compare a
Struct's fields with a schema of the OpenAI OpenAPI description. The description is
read on first use (tests that use these helpers carry ``@pytest.mark.openapi``)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import msgspec
from helpers import SCHEMAS


def _deref(node: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref``s and unwrap ``anyOf: [X, null]`` down to the object schema."""
    while True:
        if "$ref" in node:
            node = SCHEMAS[node["$ref"].rsplit("/", 1)[1]]
            continue
        branches = [b for b in node.get("anyOf", []) if b.get("type") != "null"]
        if len(branches) == 1:
            node = branches[0]
            continue
        return node


def _spec_nullable(node: dict[str, Any]) -> bool:
    if node.get("nullable") or node.get("type") == "null":
        return True
    if "$ref" in node and _spec_nullable(SCHEMAS[node["$ref"].rsplit("/", 1)[1]]):
        return True
    return any(_spec_nullable(b) for b in node.get("anyOf", []) + node.get("oneOf", []))


def spec_object(schema: str, *path: str) -> dict[str, Any]:
    """The object schema at ``path`` ("[]" steps into array items) below ``schema``."""
    node = _deref(SCHEMAS[schema])
    for step in path:
        node = _deref(node["items"] if step == "[]" else node["properties"][step])
    return node


def struct_fields(cls: type[msgspec.Struct]) -> dict[str, tuple[bool, bool]]:
    """Wire name -> (required, nullable) for every field, the tag field included."""
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    out: dict[str, tuple[bool, bool]] = {}
    for f in info.fields:
        members = f.type.types if isinstance(f.type, msgspec.inspect.UnionType) else (f.type,)
        nullable = any(isinstance(m, msgspec.inspect.NoneType) for m in members)
        out[f.encode_name] = (f.required, nullable)
    if info.tag_field is not None:
        out[info.tag_field] = (True, False)
    return out


def check_coverage(
    cls: type[msgspec.Struct],
    schema: dict[str, Any],
    *,
    extra: Collection[str] = (),
    optional: Collection[str] = (),
    nullable: Collection[str] = (),
) -> None:
    """Fail unless ``cls`` declares exactly the spec's properties (plus ``extra``) with
    the spec's required/nullable flags, except for the listed relaxations."""
    fields = struct_fields(cls)
    props: dict[str, Any] = schema["properties"]
    required = set(schema.get("required", ()))
    assert set(props) - set(fields) == set(), "spec properties missing from the Struct"
    assert set(fields) - set(props) == set(extra), "fields the spec does not define"
    assert {n for n in required if not fields[n][0]} == set(optional), "relaxed required"
    assert {n for n in props if n not in required and fields[n][0]} == set(), "over-required"
    spec_null = {n for n, p in props.items() if _spec_nullable(p)}
    assert spec_null - {n for n in props if fields[n][1]} == set(), "spec allows null"
    assert {n for n in props if fields[n][1]} - spec_null == set(nullable), "relaxed null"

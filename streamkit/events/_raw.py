"""What a server sent beyond the Structs: lossless events and final objects.

msgspec ignores JSON keys a Struct does not declare, which is what keeps
decoding fast and tolerant of new fields, but a gateway that re-encodes such an
event would drop them. In lossless mode (``lossless=True`` on ``EventDecoder``,
``iter_events``, ``reduce`` and their twins) each top-level event keeps the
payload it was decoded from, in the instance ``__dict__`` that ``Wire``
Structs have room for (not a field: msgspec neither encodes nor compares it).
Nothing is kept or parsed otherwise, so the default path pays nothing.

* ``encode_event`` forwards the payload byte for byte when the event was not
  modified, and otherwise encodes the event with every key the Struct does not
  declare put back at any depth (``_merged``).
* ``extra_fields`` parses the payload once, on first use, and keeps the result.
* Reducers in lossless mode give the final object the extra fields of the
  server's final object (``set_extra_fields``).
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from streamkit.events.messages import (
    MESSAGE_EVENT_CLASSES,
    UnknownDelta,
    decode_message_event_tolerant,
)
from streamkit.events.responses import RESPONSE_EVENT_CLASSES, decode_event_tolerant
from streamkit.models._base import Wire
from streamkit.models.messages import UnknownBlock
from streamkit.models.responses import UnknownItem

__all__ = ["extra_fields", "raw_payload", "replace"]

_RAW = "_streamkit_raw"  # bytes: the payload as received
_EXTRA = "_streamkit_extra"  # dict: the extra fields, once worked out
_VERBATIM = (UnknownItem, UnknownBlock, UnknownDelta)  # already their raw JSON

W = TypeVar("W", bound=Wire)


def raw_payload(obj: object) -> bytes | None:
    """The JSON payload an event was decoded from, byte for byte, when it was
    decoded in lossless mode; None otherwise (and for final objects, which no
    single payload holds)."""
    if isinstance(obj, Wire):
        raw = obj.__dict__.get(_RAW)
        if isinstance(raw, bytes):
            return raw
    return None


def extra_fields(obj: object) -> dict[str, Any]:
    """The top-level JSON fields a server sent that the object's Struct does
    not declare, as decoded JSON (``{}`` when there were none, or when the
    object was not decoded in lossless mode).

    For an event, they come from its payload (parsed on the first call, then
    kept). For a final object reduced in lossless mode (``Response``,
    ``ChatCompletion``, ``Message``, ``Completion``), they are those of the
    server's final object: the ``response`` of ``response.completed`` (or
    ``incomplete`` / ``failed``), the chunks' top-level fields (the last value
    of each), the ``message`` of ``message_start`` updated by
    ``message_delta``. Fields deeper down are in ``raw_payload``.
    """
    if not isinstance(obj, Wire):
        return {}
    state = obj.__dict__
    extra = state.get(_EXTRA)
    if isinstance(extra, dict):
        return extra
    raw = state.get(_RAW)
    if not isinstance(raw, bytes):
        return {}
    extra = unknown_keys(type(obj), _parse(raw))
    state[_EXTRA] = extra
    return extra


def replace(event: W, /, **changes: Any) -> W:
    """``msgspec.structs.replace`` that keeps what the server sent: the copy
    re-encodes (``encode_event``) with the original's extra fields. (A plain
    ``msgspec.structs.replace`` gives a copy without them.)"""
    copy = msgspec.structs.replace(event, **changes)
    raw = event.__dict__.get(_RAW)
    if raw is not None:
        copy.__dict__[_RAW] = raw
    return copy


# -- used by the decoder, the encoder and the reducers -----------------------------


def keep(events: list[Any], payload: bytes) -> None:
    """Lossless mode: attach ``payload`` to each of ``events`` that can hold
    it (``Done`` and ``UnknownEvent`` carry what they need already)."""
    for event in events:
        if isinstance(event, Wire):
            event.__dict__[_RAW] = payload


def set_extra_fields(obj: Wire, extra: dict[str, Any]) -> None:
    """Give a final object the extra fields of the server's final object."""
    obj.__dict__[_EXTRA] = extra


def nested_extra(event: Wire, key: str) -> dict[str, Any] | None:
    """The unknown keys of the object under ``key`` in a lossless event's
    payload (e.g. the ``response`` of ``response.completed``), judged against
    ``type(getattr(event, key))``; None when the event kept no payload."""
    raw = event.__dict__.get(_RAW)
    if not isinstance(raw, bytes):
        return None
    sub = _parse(raw).get(key)
    value = getattr(event, key, None)
    if not isinstance(sub, dict) or not isinstance(value, msgspec.Struct):
        return {}
    return unknown_keys(type(value), sub)


def unknown_keys(cls: type[Any], obj: Any) -> dict[str, Any]:
    """The keys of the JSON object ``obj`` that Struct ``cls`` does not declare."""
    if not isinstance(obj, dict):
        return {}
    known = _shape(cls)[1]
    return {k: v for k, v in obj.items() if k not in known}


def lossless_payload(event: Wire, raw: bytes, encoder: msgspec.json.Encoder, plain: Any) -> bytes:
    """The JSON to send for a lossless event: ``raw`` itself when the event
    still equals what it decodes to, else ``plain`` (the event as the encoder
    would write it, unknown items already restored) with the payload's
    undeclared keys put back."""
    cls = type(event)
    decoder = _DECODERS.get(cls)
    if decoder is None:
        decoder = _DECODERS[cls] = msgspec.json.Decoder(cls)
    try:
        try:
            again: Any = decoder.decode(raw)
        except msgspec.ValidationError:
            # Decoded by a tolerant path (an item or block of an unknown kind
            # kept raw): decode it the same way.
            again = _tolerant(cls, raw)
        if again == event:
            return raw
    except (msgspec.MsgspecError, RecursionError):
        pass  # cannot tell: merge below
    built = msgspec.json.decode(encoder.encode(plain))
    return encoder.encode(_merged(event, built, _parse(raw)))


# -- internals ------------------------------------------------------------------------

_DECODERS: dict[type[Any], msgspec.json.Decoder[Any]] = {}
_RESPONSE_CLASSES = frozenset(RESPONSE_EVENT_CLASSES.values())
_MESSAGE_CLASSES = frozenset(MESSAGE_EVENT_CLASSES.values())
_SHAPES: dict[type[Any], tuple[tuple[tuple[str, str, Any], ...], frozenset[str]]] = {}


def _tolerant(cls: type[Any], raw: bytes) -> Any:
    if cls in _RESPONSE_CLASSES:
        return decode_event_tolerant(raw)
    if cls in _MESSAGE_CLASSES:
        return decode_message_event_tolerant(raw)
    return None


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        obj = msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return {}
    return obj if isinstance(obj, dict) else {}


def _shape(cls: type[Any]) -> tuple[tuple[tuple[str, str, Any], ...], frozenset[str]]:
    """Per Struct class: (attribute, JSON name, default) of each field, and
    every JSON key it declares (its tag field included)."""
    shape = _SHAPES.get(cls)
    if shape is None:
        fields = tuple(
            (
                f.name,
                f.encode_name,
                f.default if f.default_factory is msgspec.NODEFAULT else f.default_factory(),
            )
            for f in msgspec.structs.fields(cls)
        )
        known = {enc for _, enc, _ in fields}
        tag_field = cls.__struct_config__.tag_field
        if tag_field is not None:
            known.add(tag_field)
        shape = _SHAPES[cls] = (fields, frozenset(known))
    return shape


def _merged(value: Any, built: Any, raw: Any) -> Any:
    """``built`` (the JSON of ``value`` as encoded now) with what ``raw`` (the
    JSON it was decoded from) had beyond ``value``'s Structs, at every depth.

    A declared field the payload did not have and that still holds its default
    is left out again, so an event keeps the keys it came with; a declared
    field keeps its current value (a change is never undone).
    """
    if isinstance(value, msgspec.Struct):
        if isinstance(value, _VERBATIM) or not (isinstance(built, dict) and isinstance(raw, dict)):
            return built
        fields, known = _shape(type(value))
        for attr, enc, default in fields:
            if enc not in built:
                continue
            if enc in raw:
                built[enc] = _merged(getattr(value, attr), built[enc], raw[enc])
            elif default is not msgspec.NODEFAULT and _same(getattr(value, attr), default):
                del built[enc]
        for key, item in raw.items():
            if key not in known and key not in built:
                built[key] = item
        return built
    if (
        isinstance(value, list | tuple)
        and isinstance(built, list)
        and isinstance(raw, list)
        and len(value) == len(built) == len(raw)
    ):
        return [_merged(v, b, r) for v, b, r in zip(value, built, raw, strict=True)]
    if isinstance(value, dict) and isinstance(built, dict) and isinstance(raw, dict):
        for key, item in built.items():
            if key in raw:
                built[key] = _merged(value.get(key), item, raw[key])
        return built
    return built


def _same(value: Any, default: Any) -> bool:
    if value is default:
        return True
    try:
        return bool(value == default) and type(value) is type(default)
    except Exception:  # an exotic value whose == raises: not the default
        return False

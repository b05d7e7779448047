"""The event layer: bytes → typed events, and the final-object layer: bytes →
the final ``Response`` / ``ChatCompletion``.

Events contenders (each counts events, ``[DONE]`` excluded):

- ``streamkit``: ``streamkit.iter_events(chunks, api)``.
- ``openai``: openai-python's typed stream: its SSE decoder, ``json.loads`` and
  ``construct_type`` into its event union / ``ChatCompletionChunk`` (what
  ``openai.Stream`` does per event).
- ``httpx-sse``: httpx-sse's decoder (as in the framing layer) + ``json.loads``
  (untyped dicts).
- ``floor``: join, split on blank lines, slice the ``data:`` line and
  msgspec-decode it into streamkit's own Structs: no framing rules, no checks.

Final-object contenders (each produces one object):

- ``streamkit``: ``streamkit.reduce(chunks, api)``.
- ``openai``: openai-python's full pipeline: its typed stream as above, folded
  by ``ResponseStreamState`` / ``ChatCompletionStreamState``.
- ``floor``: the events floor followed by no fold at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from . import _framing, _inputs
from ._layers import Case, Contender, Layer, Scale, Target, register

__all__ = ["EVENTS", "FINAL"]


def _cases(scale: Scale) -> Iterator[Case]:
    for spec in _inputs.standard_inputs(scale.factor):
        # Synthetic single streams only: the concatenated recordings hold many
        # streams (and many [DONE]s), which the event iterators rightly stop at.
        if spec.api not in ("responses", "chat") or spec.group not in ("main", "scaling"):
            continue
        data = spec.build()
        if data is None:
            continue
        for chunking in spec.chunkings:
            yield Case(
                input=spec.name,
                title=spec.title,
                api=spec.api,
                chunking=chunking,
                data=data,
                chunks=_inputs.chunk(data, chunking, seed=len(data)),
                deltas=spec.deltas,
            )


# -- streamkit ------------------------------------------------------------------------------


def _sk_events(case: Case) -> Callable[[], int]:
    from streamkit import Done, iter_events

    chunks, api = case.chunks, case.api

    def run() -> int:
        n = 0
        for event in iter_events(chunks, api, errors="yield"):  # type: ignore[arg-type]
            if event.__class__ is not Done:
                n += 1
        return n

    return run


def _sk_final(case: Case) -> Callable[[], int]:
    from streamkit import reduce

    chunks, api = case.chunks, case.api

    def run() -> int:
        reduce(chunks, api)  # type: ignore[arg-type]
        return 1

    return run


# -- openai-python -----------------------------------------------------------------------------


def _openai_types(api: str | None) -> Any:
    from openai.types.chat import ChatCompletionChunk
    from openai.types.responses import ResponseStreamEvent

    return ResponseStreamEvent if api == "responses" else ChatCompletionChunk


def _openai_typed(chunks: list[bytes], api: str | None) -> Iterator[Any]:
    from openai._models import construct_type
    from openai._streaming import SSEDecoder

    cast_to = _openai_types(api)
    for sse in SSEDecoder().iter_bytes(iter(chunks)):
        if sse.data.startswith("[DONE]"):
            break
        yield construct_type(type_=cast_to, value=json.loads(sse.data))


def _oa_events(case: Case) -> Callable[[], int]:
    chunks, api = case.chunks, case.api

    def run() -> int:
        return sum(1 for _ in _openai_typed(chunks, api))

    return run


def _oa_final(case: Case) -> Callable[[], int]:
    from openai import omit
    from openai.lib.streaming.chat._completions import ChatCompletionStreamState
    from openai.lib.streaming.responses._responses import ResponseStreamState

    chunks, api = case.chunks, case.api

    def run() -> int:
        if api == "responses":
            state: Any = ResponseStreamState(input_tools=omit, text_format=omit)
            for event in _openai_typed(chunks, api):
                state.handle_event(event)
        else:
            state = ChatCompletionStreamState()
            for chunk in _openai_typed(chunks, api):
                state.handle_chunk(chunk)
            state.get_final_completion()
        return 1

    return run


def _openai_missing() -> str | None:
    try:
        import openai.lib.streaming.chat._completions
        import openai.lib.streaming.responses._responses  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        return f"openai not importable: {exc}"
    return None


# -- httpx-sse -----------------------------------------------------------------------------------


def _hx_events(case: Case) -> Callable[[], int]:
    chunks = case.chunks

    def run() -> int:
        n = 0
        for sse in _framing._httpx_sse_events(chunks):
            if sse.data.startswith("[DONE]"):
                break
            json.loads(sse.data)
            n += 1
        return n

    return run


# -- the floor ------------------------------------------------------------------------------------


def _floor_events(case: Case) -> Callable[[], int]:
    from streamkit.events import CHAT_CHUNK_DECODER, RESPONSE_EVENT_DECODER

    chunks = case.chunks
    decode = (RESPONSE_EVENT_DECODER if case.api == "responses" else CHAT_CHUNK_DECODER).decode

    def run() -> int:
        n = 0
        for block in b"".join(chunks).split(b"\n\n"):
            i = block.find(b"data: ")
            if i < 0:
                continue
            j = block.find(b"\n", i)
            data = memoryview(block)[i + 6 : j if j >= 0 else len(block)]
            if data == b"[DONE]":
                break
            decode(data)
            n += 1
        return n

    return run


def _floor_final(case: Case) -> Callable[[], int]:
    events = _floor_events(case)

    def run() -> int:
        events()
        return 1

    return run


EVENTS = register(
    Layer(
        name="events",
        description="bytes → typed events",
        unit="events",
        contenders=(
            Contender(
                "streamkit", "streamkit.iter_events(chunks, api)", _sk_events, role="subject"
            ),
            Contender(
                "openai",
                "openai SSEDecoder + json.loads + construct_type (its typed stream)",
                _oa_events,
                unavailable=_openai_missing,
            ),
            Contender(
                "httpx-sse",
                "httpx-sse decoder + json.loads (untyped)",
                _hx_events,
                unavailable=_framing._httpx_sse_missing,
            ),
            Contender(
                "floor",
                "split on blank lines + slice data: + msgspec decode into streamkit Structs",
                _floor_events,
                role="floor",
            ),
        ),
        cases=_cases,
        targets=(
            Target("floor", 0.6),
            Target("httpx-sse", 3.0),
            Target("openai", 50.0),
        ),
    )
)

FINAL = register(
    Layer(
        name="final",
        description="bytes → final Response / ChatCompletion",
        unit="objects",
        contenders=(
            Contender("streamkit", "streamkit.reduce(chunks, api)", _sk_final, role="subject"),
            Contender(
                "openai",
                "openai typed stream + ResponseStreamState / ChatCompletionStreamState",
                _oa_final,
                unavailable=_openai_missing,
            ),
            Contender("floor", "the events floor, no fold", _floor_final, role="floor"),
        ),
        cases=_cases,
        targets=(Target("openai", 100.0),),
    )
)

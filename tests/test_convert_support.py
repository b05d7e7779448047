"""What the conversion tests share: the final objects of every API in one
comparable form, and the official SDK accumulators fed with converted bytes."""

from __future__ import annotations

import json
import warnings
from typing import Any

import msgspec
from anthropic.lib.streaming import _messages as anthropic_stream
from openai import ContentFilterFinishReasonError, LengthFinishReasonError, omit
from openai._models import construct_type
from openai.lib.streaming.chat._completions import ChatCompletionStreamState
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.chat import ChatCompletionChunk as SDKChunk
from openai.types.responses import ResponseStreamEvent as SDKResponseEvent

import streamkit
from streamkit.convert import (
    CHAT_FINISH_TO_STOP,
    MESSAGES_TO_STOP,
    RESPONSES_INCOMPLETE_TO_STOP,
    STOP_TO_CHAT_FINISH,
    STOP_TO_MESSAGES,
    STOP_TO_RESPONSES,
    Converter,
    convert,
)
from streamkit.events import encode_events
from streamkit.models import ChatCompletion, Message, Response
from streamkit.reducers import ChatCompletionReducer, MessageReducer, ResponseReducer

SEP = "\n\n"


def convert_bytes(body: Any, to: str, **options: Any) -> tuple[bytes, Converter]:
    conv = Converter(to, **options)  # type: ignore[arg-type]
    events = list(convert(body, to, converter=conv))  # type: ignore[arg-type]
    return b"".join(encode_events(events, api=to)), conv  # type: ignore[arg-type]


def payloads(body: bytes) -> list[tuple[str | None, dict[str, Any]]]:
    """(SSE event name, JSON payload) of every frame but ``[DONE]``."""
    out = []
    for frame in streamkit.sse.SSEDecoder().feed(body):
        data = bytes(frame.data)
        if data == b"[DONE]":
            continue
        out.append((frame.event if frame.event != "message" else None, json.loads(data)))
    return out


# --------------------------------------------------------------------------- #
# Streamkit's own reducers, as strict as they get
# --------------------------------------------------------------------------- #


def strict_reduce(body: bytes, api: str) -> Any:
    """The final object by streamkit's reducer with verify and every policy
    set to raise; Responses divergences must be empty."""
    events = streamkit.iter_events(body, api=api, errors="yield")  # type: ignore[arg-type]
    if api == "responses":
        reducer: Any = ResponseReducer(verify=True, sequence_policy="raise", index_policy="raise")
        result = reducer.run(events)
        assert reducer.divergences == []
        return result
    if api == "chat":
        return ChatCompletionReducer(index_policy="raise").run(events)
    return MessageReducer(index_policy="raise").run(events)


# --------------------------------------------------------------------------- #
# The official SDK accumulators
# --------------------------------------------------------------------------- #


def sdk_final(body: bytes, api: str) -> dict[str, Any]:
    """What the target's official SDK accumulator makes of the bytes (as a
    dict), or None when the stream has no final object for it (no terminal event)."""
    frames = payloads(body)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if api == "chat":
            state: Any = ChatCompletionStreamState()
            chunks = 0
            for _, p in frames:
                if p.get("object") == "chat.completion.chunk":
                    state.handle_chunk(SDKChunk.model_validate(p))
                    chunks += 1
            assert chunks
            try:
                completion = state.get_final_completion()
            except (ContentFilterFinishReasonError, LengthFinishReasonError):
                # The SDK refuses to parse a filtered or cut completion; its snapshot holds it.
                completion = state.current_completion_snapshot
            done: dict[str, Any] = completion.to_dict(mode="json")
            return done
        if api == "responses":
            rstate: Any = ResponseStreamState(input_tools=omit, text_format=omit)
            final = None
            for _, p in frames:
                event = construct_type(type_=SDKResponseEvent, value=p)
                for out in rstate.handle_event(event):
                    if out.type in ("response.completed",) or out.type in (
                        "response.incomplete",
                        "response.failed",
                    ):
                        final = out.response
            assert final is not None
            response: dict[str, Any] = final.to_dict(mode="json")
            return response
        snapshot: Any = None
        bufs: dict[int, bytes] = {}
        for _, p in frames:
            if p["type"] in ("ping", "error"):
                continue
            snapshot = anthropic_stream.accumulate_event(
                event=p, current_snapshot=snapshot, json_bufs=bufs
            )
        assert snapshot is not None
        message: dict[str, Any] = snapshot.to_dict(mode="json")
        return message


# --------------------------------------------------------------------------- #
# Final objects in one comparable form
# --------------------------------------------------------------------------- #


def _args(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else {}
    except ValueError:
        return text


def project(obj: Any) -> dict[str, Any]:
    """text, refusal, reasoning, tool calls (id, name, parsed arguments),
    canonical stop reason, canonical usage, signatures / encrypted state."""
    if isinstance(obj, ChatCompletion):
        return _project_chat(_builtins(obj))
    if isinstance(obj, Response):
        return _project_responses(_builtins(obj))
    if isinstance(obj, Message):
        return _project_messages(_builtins(obj))
    if "choices" in obj:
        return _project_chat(obj)
    if obj.get("object") == "response":
        return _project_responses(obj)
    return _project_messages(obj)


def _builtins(obj: Any) -> Any:
    return msgspec.json.decode(msgspec.json.encode(obj))


def _project_chat(d: dict[str, Any]) -> dict[str, Any]:
    choice = next((c for c in d.get("choices") or [] if c["index"] == 0), None)
    message = (choice or {}).get("message") or {}
    calls = [
        (t["id"], t["function"]["name"], _args(t["function"]["arguments"]))
        for t in message.get("tool_calls") or []
    ]
    fc = message.get("function_call")
    if fc:
        calls.append((None, fc["name"], _args(fc["arguments"])))
    finish = (choice or {}).get("finish_reason")
    u = d.get("usage")
    return {
        "text": message.get("content") or "",
        "refusal": message.get("refusal") or "",
        "reasoning": "",
        "calls": calls,
        "stop": CHAT_FINISH_TO_STOP.get(finish, finish) if finish else None,
        "usage": _usage(
            u,
            "prompt_tokens",
            "completion_tokens",
            ("prompt_tokens_details", "cached_tokens"),
            ("completion_tokens_details", "reasoning_tokens"),
        ),
        "sealed": [],
    }


def _usage(u: Any, i: str, o: str, cached: tuple[str, str], reasoning: tuple[str, str]) -> Any:
    if not u:
        return None
    return (
        u[i],
        u[o],
        ((u.get(cached[0]) or {}).get(cached[1])) or 0,
        ((u.get(reasoning[0]) or {}).get(reasoning[1])) or 0,
    )


def _project_responses(d: dict[str, Any]) -> dict[str, Any]:
    text, refusal, reasoning, calls, sealed = [], [], [], [], []
    for item in d.get("output") or []:
        kind = item.get("type")
        if kind == "message":
            for part in item.get("content") or []:
                if part["type"] == "output_text":
                    text.append(part["text"])
                elif part["type"] == "refusal":
                    refusal.append(part["refusal"])
        elif kind == "reasoning":
            texts = [s["text"] for s in item.get("summary") or []]
            texts += [c["text"] for c in item.get("content") or []]
            joined = SEP.join(t for t in texts if t)
            if joined:
                reasoning.append(joined)
            if item.get("encrypted_content") is not None:
                sealed.append(item["encrypted_content"])
        elif kind == "function_call":
            calls.append((item["call_id"], item["name"], _args(item["arguments"])))
    status = d.get("status")
    if status == "completed":
        stop = "tool_use" if calls else "end_turn"
    elif status == "incomplete":
        reason = (d.get("incomplete_details") or {}).get("reason")
        stop = RESPONSES_INCOMPLETE_TO_STOP.get(reason, reason)
    else:
        stop = status
    u = d.get("usage")
    return {
        "text": "".join(text),
        "refusal": "".join(refusal),
        "reasoning": SEP.join(reasoning),
        "calls": calls,
        "stop": stop,
        "usage": _usage(
            u,
            "input_tokens",
            "output_tokens",
            ("input_tokens_details", "cached_tokens"),
            ("output_tokens_details", "reasoning_tokens"),
        ),
        "sealed": sealed,
    }


def _project_messages(d: dict[str, Any]) -> dict[str, Any]:
    text, reasoning, calls, sealed = [], [], [], []
    for block in d.get("content") or []:
        kind = block.get("type")
        if kind == "text":
            text.append(block["text"])
        elif kind == "thinking":
            if block["thinking"]:
                reasoning.append(block["thinking"])
            if block.get("signature"):
                sealed.append(block["signature"])
        elif kind == "redacted_thinking":
            sealed.append(block["data"])
        elif kind == "tool_use":
            calls.append((block["id"], block["name"], block["input"]))
    reason = d.get("stop_reason")
    u = d.get("usage")
    usage = None
    if u:
        read = u.get("cache_read_input_tokens") or 0
        written = u.get("cache_creation_input_tokens") or 0
        details = u.get("output_tokens_details") or {}
        usage = (
            u["input_tokens"] + read + written,
            u["output_tokens"],
            read,
            details.get("thinking_tokens") or 0,
        )
    return {
        "text": "".join(text),
        "refusal": "",
        "reasoning": SEP.join(reasoning),
        "calls": calls,
        "stop": MESSAGES_TO_STOP.get(reason, reason) if reason else None,
        "usage": usage,
        "sealed": sealed,
    }


def target_stop(stop: str | None, to: str) -> str | None:
    """The canonical stop reason the target gives back for a source's one."""
    if stop is None or stop not in STOP_TO_MESSAGES:
        return stop
    if to == "chat":
        return CHAT_FINISH_TO_STOP[STOP_TO_CHAT_FINISH[stop]]
    if to == "messages":
        return MESSAGES_TO_STOP[STOP_TO_MESSAGES[stop]]
    status, reason = STOP_TO_RESPONSES[stop]
    if status == "completed":
        return "tool_use" if stop == "tool_use" else "end_turn"
    return RESPONSES_INCOMPLETE_TO_STOP[reason]  # type: ignore[index]


def expected(source: dict[str, Any], to: str, source_api: str) -> dict[str, Any]:
    """What the target's projection must equal, given the source's."""
    out = dict(source)
    if to == "messages":
        # Messages has no refusal content: the refusal arrives as text.
        out["text"] = source["text"] + source["refusal"]
        out["refusal"] = ""
    if source_api == "responses" and to != "responses" and source["stop"] == "end_turn":
        out["stop"] = "tool_use" if source["calls"] else "end_turn"
    stop = out["stop"]
    if to == "responses" and stop == "end_turn" and source["calls"]:
        stop = "tool_use"
    out["stop"] = target_stop(stop, to)
    if to == "responses" and source_api != "responses" and out["stop"] in ("end_turn", "tool_use"):
        out["stop"] = "tool_use" if source["calls"] else "end_turn"
    out["calls"] = [(name, args) for _, name, args in source["calls"]]
    if source_api == "responses":
        # The server encrypts reasoning state afresh each time it serializes an
        # item: the values in output_item.done and response.completed differ.
        out["sealed"] = len(source["sealed"])
    if to == "messages" and out["usage"] is None:
        out["usage"] = (0, 0, 0, 0)  # Messages always sends usage (reported lost)
    elif to == "messages" and out["usage"][2] > out["usage"][0]:
        # Messages' input parts add up to the input: cached tokens beyond the
        # input a server reported cannot be carried.
        inp, outp, _, reasoning = out["usage"]
        out["usage"] = (inp, outp, inp, reasoning)
    return out


def comparable(projection: dict[str, Any], source_api: str = "") -> dict[str, Any]:
    out = dict(projection)
    if source_api == "responses":
        out["sealed"] = len(projection["sealed"])
    out["calls"] = [(name, args) for _, name, args in projection["calls"]]
    return out


def chat_reasoning(body: bytes) -> tuple[str, list[str]]:
    """The reasoning a Chat stream carries in provider extensions
    (``reasoning_content``, ``reasoning``, ``reasoning_details``) of choice 0,
    blocks joined as the other projections join them, and its signatures /
    encrypted state."""
    blocks: list[list[str]] = []
    sealed: list[str] = []
    open_block = False
    for _, p in payloads(body):
        for choice in p.get("choices") or []:
            if choice.get("index") != 0:
                continue
            d = choice.get("delta") or {}
            if d.get("content") or d.get("refusal") or d.get("tool_calls"):
                open_block = False
            details = d.get("reasoning_details") or []
            text = d.get("reasoning_content") or d.get("reasoning")
            if not text:
                text = "".join(x.get("text") or x.get("summary") or "" for x in details)
            if text:
                if not open_block:
                    blocks.append([])
                    open_block = True
                blocks[-1].append(text)
            for x in details:
                seal = x.get("signature") or x.get("data")
                if seal is not None:
                    sealed.append(seal)
                    open_block = False
    return SEP.join("".join(b) for b in blocks if "".join(b)), sealed

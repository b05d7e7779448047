"""Seeded synthetic streams, byte for byte like the OpenAI API sends them, and
the chunkings they are fed in.

Shapes and field order follow the real recordings in ``shared/recordings``
(``responses/pydantic-ai__resp-text__3.sse``, ``*reasoning-summary*``,
``*tool-call*``; ``chat/pydantic-ai__chat-text__1.sse``,
``chat/pydantic-ai__chat-parallel-tools__1.sse``). Every generator takes a seed
and uses its own ``random.Random``: the same arguments give the same bytes.

Deltas are short word pieces (1-12 characters) with some non-ASCII text (sent
raw as UTF-8, like the API does) and some characters JSON escapes (``\\n``,
``\\"``). Like the API, each delta event carries an ``obfuscation`` string that
pads the delta to 16 characters.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CHUNKINGS",
    "InputSpec",
    "chat_text",
    "chat_tools",
    "chunk",
    "large_event",
    "recordings",
    "recording_files",
    "recordings_dir",
    "responses_reasoning_tools",
    "responses_text",
    "standard_inputs",
]

DEFAULT_DELTAS = 20_000
SCALING_DELTAS = (5_000, 10_000, 20_000, 40_000)
LARGE_EVENT_BYTES = 50 * 2**20
RANDOM_CHUNK = (1, 200)

_B62 = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"

# -- word pieces ------------------------------------------------------------------

_WORD_TEXT = (
    "the of and to in a is that for it as was with be by on not he I this are or his "
    "from at which but have an they you were her she there one all we their has been "
    "would more if will when so what no can said who up about out them into time some "
    "could than its only other new two may then do first any my now such like our over "
    "man me even most made after also did many before must through back years where much "
    "your way well down should because each just those people how too little state good "
    "very make world still own see men work long get here between both life being under "
    "never day same another know while last might us great old year off come since "
    "against go came right used take three forest river sunlight whisper gentle ancient "
    "shadow morning golden quietly beneath branches wandering lantern harbor mountain "
    "function request response stream parser buffer decoder payload latency throughput "
    "configuration implementation asynchronous serialization"
)
_WORDS = _WORD_TEXT.split()
# Pieces of longer words, as tokenizers cut them.
_PIECES = ("ing", "ed", "tion", "al", "ly", "er", "ment", "ness", "ous", "ive", "un", "re")
_PUNCT = (",", ".", ";", ":", "!", "?", " (", ")", " -", "'s", "'t")
_UNICODE = (
    "\u2019s",
    "\u2019ll",
    " “",
    "”",
    " —",
    "…",
    " café",
    " naïve",
    " Zürich",
    " señor",
    " über",
    " 東京",
    "は",
    "です",
    " 😊",
    " π",
    "≈",
    " Straße",
    " résumé",
    "é",
)
# Characters JSON escapes: newlines, quotes, a tab, a backslash.
_ESCAPED = ("\n", "\n\n", ".\n\n", ' "', '"', '."', ":\n", "\t", "\\", "\n-")


def _pieces(rng: random.Random, n: int) -> Iterator[str]:
    """``n`` text deltas of 1-12 characters."""
    words, pieces, punct, uni, esc = _WORDS, _PIECES, _PUNCT, _UNICODE, _ESCAPED
    rand = rng.random
    choice = rng.choice
    for _ in range(n):
        r = rand()
        if r < 0.74:
            w = choice(words)
            yield (" " + w)[:12] if rand() < 0.9 else w[:12]
        elif r < 0.80:
            yield choice(pieces)
        elif r < 0.88:
            yield choice(punct)
        elif r < 0.94:
            yield choice(uni)
        else:
            yield choice(esc)


def _arg_pieces(rng: random.Random, n: int, key: str) -> list[str]:
    """``n`` pieces (1-12 characters) of one JSON arguments string, like the
    model streams a function call's arguments."""
    text = "".join(_pieces(rng, n))
    args = json.dumps({key: text, "limit": 10}, ensure_ascii=False, separators=(",", ":"))
    out: list[str] = []
    pos = 0
    # Cut into n pieces of 1-12 characters whose concatenation is ``args``.
    remaining = n
    while remaining > 1:
        left = len(args) - pos
        avg = left / remaining
        size = max(1, min(12, round(rng.uniform(0.5, 1.5) * avg)))
        size = min(size, left - (remaining - 1))
        out.append(args[pos : pos + max(1, size)])
        pos += max(1, size)
        remaining -= 1
    out.append(args[pos:])
    return out


# -- JSON and SSE helpers -------------------------------------------------------------


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class _Writer:
    """Collects SSE events as the server writes them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.parts: list[str] = []
        self.seq = 0

    def responses(self, obj: dict[str, Any]) -> None:
        """A Responses event: ``event:`` line, ``data:`` line, blank line."""
        self.parts.append(f"event: {obj['type']}\ndata: {_dumps(obj)}\n\n")
        self.seq += 1

    def data(self, payload: str) -> None:
        """A Chat Completions event: ``data:`` line, blank line."""
        self.parts.append(f"data: {payload}\n\n")

    def obfuscation(self, delta: str) -> str:
        size = max(0, 16 - len(delta))
        return "".join(self.rng.choices(_B62, k=size))

    def token(self, alphabet: str, k: int) -> str:
        return "".join(self.rng.choices(alphabet, k=k))

    def bytes(self) -> bytes:
        return "".join(self.parts).encode("utf-8")


def _response(
    rid: str,
    created_at: int,
    *,
    status: str,
    model: str,
    output: list[Any],
    completed_at: int | None = None,
    usage: dict[str, Any] | None = None,
    reasoning: dict[str, Any] | None = None,
    tools: list[Any] | None = None,
    service_tier: str = "auto",
) -> dict[str, Any]:
    """The Response object, fields in the order the API sends them."""
    return {
        "id": rid,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": False,
        "completed_at": completed_at,
        "error": None,
        "frequency_penalty": 0.0,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "max_tool_calls": None,
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "presence_penalty": 0.0,
        "previous_response_id": None,
        "prompt_cache_key": None,
        "prompt_cache_retention": None,
        "reasoning": reasoning or {"effort": None, "summary": None},
        "safety_identifier": None,
        "service_tier": service_tier,
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": tools or [],
        "top_logprobs": 0,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": {},
    }


def _usage(input_tokens: int, output_tokens: int, reasoning: int = 0) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output_tokens,
    }


# -- Responses API ------------------------------------------------------------------------


def responses_text(deltas: int = DEFAULT_DELTAS, seed: int = 1) -> bytes:
    """A Responses text stream: created, in_progress, message item and part
    added, ``deltas`` x ``response.output_text.delta``, the ``.done`` events and
    ``response.completed`` with the full final response."""
    rng = random.Random(seed)
    w = _Writer(rng)
    rid = "resp_" + w.token(_HEX, 50)
    mid = "msg_" + w.token(_HEX, 50)
    created = 1_776_000_000 + rng.randrange(1_000_000)
    model = "gpt-4.1-2025-04-14"

    def resp(status: str, **kw: Any) -> dict[str, Any]:
        return _response(rid, created, status=status, model=model, **kw)

    w.responses(
        {
            "type": "response.created",
            "response": resp("in_progress", output=[]),
            "sequence_number": w.seq,
        }
    )
    w.responses(
        {
            "type": "response.in_progress",
            "response": resp("in_progress", output=[]),
            "sequence_number": w.seq,
        }
    )
    item = {
        "id": mid,
        "type": "message",
        "status": "in_progress",
        "content": [],
        "role": "assistant",
    }
    w.responses(
        {
            "type": "response.output_item.added",
            "item": item,
            "output_index": 0,
            "sequence_number": w.seq,
        }
    )
    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
    w.responses(
        {
            "type": "response.content_part.added",
            "content_index": 0,
            "item_id": mid,
            "output_index": 0,
            "part": part,
            "sequence_number": w.seq,
        }
    )
    texts: list[str] = []
    for delta in _pieces(rng, deltas):
        texts.append(delta)
        w.responses(
            {
                "type": "response.output_text.delta",
                "content_index": 0,
                "delta": delta,
                "item_id": mid,
                "logprobs": [],
                "obfuscation": w.obfuscation(delta),
                "output_index": 0,
                "sequence_number": w.seq,
            }
        )
    text = "".join(texts)
    w.responses(
        {
            "type": "response.output_text.done",
            "content_index": 0,
            "item_id": mid,
            "logprobs": [],
            "output_index": 0,
            "sequence_number": w.seq,
            "text": text,
        }
    )
    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
    w.responses(
        {
            "type": "response.content_part.done",
            "content_index": 0,
            "item_id": mid,
            "output_index": 0,
            "part": part,
            "sequence_number": w.seq,
        }
    )
    item = {
        "id": mid,
        "type": "message",
        "status": "completed",
        "content": [part],
        "role": "assistant",
    }
    w.responses(
        {
            "type": "response.output_item.done",
            "item": item,
            "output_index": 0,
            "sequence_number": w.seq,
        }
    )
    final = resp(
        "completed",
        output=[item],
        completed_at=created + 8,
        usage=_usage(25, deltas),
        service_tier="default",
    )
    w.responses({"type": "response.completed", "response": final, "sequence_number": w.seq})
    return w.bytes()


_TOOLS = [
    {
        "type": "function",
        "description": "Search the knowledge base.",
        "name": "search_docs",
        "parameters": {
            "additionalProperties": False,
            "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
            "required": ["query", "limit"],
            "type": "object",
        },
        "strict": True,
    },
    {
        "type": "function",
        "description": "Search the web.",
        "name": "web_search",
        "parameters": {
            "additionalProperties": False,
            "properties": {"q": {"type": "string"}, "limit": {"type": "integer"}},
            "required": ["q", "limit"],
            "type": "object",
        },
        "strict": True,
    },
]


def responses_reasoning_tools(deltas: int = DEFAULT_DELTAS, seed: int = 2) -> bytes:
    """A Responses stream with a reasoning item (two summary parts streamed as
    ``reasoning_summary_text.delta``) followed by two parallel function calls
    whose ``function_call_arguments.delta`` events interleave. 40% of the
    deltas are summary text, 60% arguments."""
    rng = random.Random(seed)
    w = _Writer(rng)
    rid = "resp_" + w.token(_HEX, 50)
    rsid = "rs_" + w.token(_HEX, 50)
    created = 1_776_000_000 + rng.randrange(1_000_000)
    model = "gpt-5.4-2026-03-05"
    reasoning = {"effort": "medium", "summary": "detailed"}

    def resp(status: str, **kw: Any) -> dict[str, Any]:
        return _response(
            rid, created, status=status, model=model, reasoning=reasoning, tools=_TOOLS, **kw
        )

    for kind in ("response.created", "response.in_progress"):
        w.responses(
            {"type": kind, "sequence_number": w.seq, "response": resp("in_progress", output=[])}
        )
    w.responses(
        {
            "type": "response.output_item.added",
            "sequence_number": w.seq,
            "output_index": 0,
            "item": {"id": rsid, "type": "reasoning", "summary": []},
        }
    )
    n_summary = deltas * 2 // 5
    n_args = deltas - n_summary
    summaries: list[dict[str, Any]] = []
    for index, count in enumerate((n_summary // 2, n_summary - n_summary // 2)):
        w.responses(
            {
                "type": "response.reasoning_summary_part.added",
                "sequence_number": w.seq,
                "item_id": rsid,
                "output_index": 0,
                "summary_index": index,
                "part": {"type": "summary_text", "text": ""},
            }
        )
        texts = ["**Planning", " the", " search", "**\n\n"][: min(4, count)]
        texts += list(_pieces(rng, count - len(texts)))
        for delta in texts:
            w.responses(
                {
                    "type": "response.reasoning_summary_text.delta",
                    "sequence_number": w.seq,
                    "item_id": rsid,
                    "output_index": 0,
                    "summary_index": index,
                    "delta": delta,
                    "obfuscation": w.obfuscation(delta),
                }
            )
        text = "".join(texts)
        w.responses(
            {
                "type": "response.reasoning_summary_text.done",
                "sequence_number": w.seq,
                "item_id": rsid,
                "output_index": 0,
                "summary_index": index,
                "text": text,
            }
        )
        part = {"type": "summary_text", "text": text}
        summaries.append(part)
        w.responses(
            {
                "type": "response.reasoning_summary_part.done",
                "sequence_number": w.seq,
                "item_id": rsid,
                "output_index": 0,
                "summary_index": index,
                "part": part,
            }
        )
    reasoning_item = {"id": rsid, "type": "reasoning", "summary": summaries}
    w.responses(
        {
            "type": "response.output_item.done",
            "sequence_number": w.seq,
            "output_index": 0,
            "item": reasoning_item,
        }
    )

    calls = []
    for index, (name, key) in enumerate((("search_docs", "query"), ("web_search", "q")), 1):
        call = {
            "id": "fc_" + w.token(_HEX, 50),
            "type": "function_call",
            "status": "in_progress",
            "arguments": "",
            "call_id": "call_" + w.token(_B62, 24),
            "name": name,
        }
        count = n_args // 2 if index == 1 else n_args - n_args // 2
        calls.append((index, call, _arg_pieces(rng, count, key)))
        w.responses(
            {
                "type": "response.output_item.added",
                "item": call,
                "output_index": index,
                "sequence_number": w.seq,
            }
        )
    # Interleave the two calls' argument deltas.
    cursors = [0, 0]
    while cursors[0] < len(calls[0][2]) or cursors[1] < len(calls[1][2]):
        k = rng.randrange(2)
        if cursors[k] >= len(calls[k][2]):
            k = 1 - k
        index, call, pieces = calls[k]
        delta = pieces[cursors[k]]
        cursors[k] += 1
        w.responses(
            {
                "type": "response.function_call_arguments.delta",
                "delta": delta,
                "item_id": call["id"],
                "obfuscation": w.obfuscation(delta),
                "output_index": index,
                "sequence_number": w.seq,
            }
        )
    done_items = []
    for index, call, pieces in calls:
        args = "".join(pieces)
        w.responses(
            {
                "type": "response.function_call_arguments.done",
                "arguments": args,
                "item_id": call["id"],
                "output_index": index,
                "sequence_number": w.seq,
            }
        )
        done = {**call, "status": "completed", "arguments": args}
        done_items.append(done)
    for (index, _call, _args), done in zip(calls, done_items, strict=True):
        w.responses(
            {
                "type": "response.output_item.done",
                "item": done,
                "output_index": index,
                "sequence_number": w.seq,
            }
        )
    final = resp(
        "completed",
        output=[reasoning_item, *done_items],
        completed_at=created + 30,
        usage=_usage(412, deltas, n_summary),
        service_tier="default",
    )
    w.responses({"type": "response.completed", "response": final, "sequence_number": w.seq})
    return w.bytes()


# -- Chat Completions ----------------------------------------------------------------------


def _chat_chunk(
    w: _Writer,
    head: str,
    delta: dict[str, Any] | None,
    finish: str | None,
    usage: Any = None,
    usage_first: bool = False,
) -> None:
    choices = (
        []
        if delta is None
        else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
    )
    text = delta.get("content") if delta else None
    obf = w.obfuscation(text if isinstance(text, str) else "")
    if usage_first:
        body = f'{head},"usage":{_dumps(usage)},"choices":{_dumps(choices)}'
    else:
        body = f'{head},"choices":{_dumps(choices)},"usage":{_dumps(usage)}'
    w.data(f'{body},"obfuscation":"{obf}"}}')


def _chat_head(w: _Writer, rng: random.Random) -> str:
    cid = "chatcmpl-" + w.token(_B62, 29)
    created = 1_754_000_000 + rng.randrange(1_000_000)
    fp = "fp_" + w.token(_HEX, 10)
    return (
        f'{{"id":"{cid}","object":"chat.completion.chunk","created":{created},'
        f'"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"{fp}"'
    )


def _chat_usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def chat_text(deltas: int = DEFAULT_DELTAS, seed: int = 3) -> bytes:
    """A Chat Completions text stream: role chunk, ``deltas`` content chunks,
    the finish_reason chunk, the usage-only chunk and ``data: [DONE]``."""
    rng = random.Random(seed)
    w = _Writer(rng)
    head = _chat_head(w, rng)
    _chat_chunk(w, head, {"role": "assistant", "content": "", "refusal": None}, None)
    for delta in _pieces(rng, deltas):
        _chat_chunk(w, head, {"content": delta}, None)
    _chat_chunk(w, head, {}, "stop")
    _chat_chunk(w, head, None, None, usage=_chat_usage(14, deltas))
    w.data("[DONE]")
    return w.bytes()


_CHAT_TOOLS = ("get_weather", "search_docs", "get_stock_price", "lookup_user")


def chat_tools(deltas: int = DEFAULT_DELTAS, seed: int = 4, calls: int = 8) -> bytes:
    """A Chat Completions stream with ``calls`` parallel tool calls: for each, a
    chunk with index, id, type and function name, then its argument pieces
    (``deltas`` argument chunks in all); finish_reason ``tool_calls``, usage,
    ``[DONE]``."""
    rng = random.Random(seed)
    w = _Writer(rng)
    head = _chat_head(w, rng)
    _chat_chunk(w, head, {"role": "assistant", "content": None}, None, usage_first=True)
    per_call = [deltas // calls + (1 if i < deltas % calls else 0) for i in range(calls)]
    for index, count in enumerate(per_call):
        name = _CHAT_TOOLS[index % len(_CHAT_TOOLS)]
        start = {
            "index": index,
            "id": "call_" + w.token(_B62, 24),
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        _chat_chunk(w, head, {"tool_calls": [start]}, None, usage_first=True)
        for piece in _arg_pieces(rng, count, "query"):
            delta = {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
            _chat_chunk(w, head, delta, None, usage_first=True)
    _chat_chunk(w, head, {}, "tool_calls")
    _chat_chunk(w, head, None, None, usage=_chat_usage(364, deltas))
    w.data("[DONE]")
    return w.bytes()


# -- one large event, recordings ----------------------------------------------------------


def large_event(size: int = LARGE_EVENT_BYTES, seed: int = 5) -> bytes:
    """One event of ``size`` payload bytes: ``data: `` + a JSON object carrying
    one big base64 string (an image-generation partial image) + blank line."""
    rng = random.Random(seed)
    head = (
        '{"type":"response.image_generation_call.partial_image","item_id":"ig_'
        + "".join(rng.choices(_HEX, k=50))
        + '","output_index":0,"partial_image_index":0,"sequence_number":3,'
        '"partial_image_b64":"'
    )
    tail = '"}'
    n_b64 = max(4, size - len(head) - len(tail)) // 4 * 4
    raw = rng.randbytes(n_b64 // 4 * 3)
    payload = head.encode() + base64.b64encode(raw) + tail.encode()
    return b"data: " + payload + b"\n\n"


def recordings_dir() -> Path | None:
    """``$STREAMKIT_RECORDINGS``, else ``shared/recordings`` beside the repo."""
    env = os.environ.get("STREAMKIT_RECORDINGS")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "recordings"
    return path if path.is_dir() else None


def recording_files(api: str, factor: float = 1.0) -> list[Path]:
    """The recordings of one API in name order; below ``factor`` 1 (``--quick``)
    an evenly spread subset, every ``round(1 / factor)``-th file."""
    root = recordings_dir()
    if root is None:
        return []
    files = sorted((root / api).glob("*.sse"))
    step = max(1, round(1 / factor)) if factor < 1 else 1
    return files[::step]


def recordings(api: str, factor: float = 1.0) -> bytes | None:
    """The recordings of one API (``responses`` or ``chat``, a subset below
    ``factor`` 1) concatenated in name order, or None when absent. A file not
    ending in a blank line gets one, so that no event runs into the next file's."""
    files = recording_files(api, factor)
    if not files:
        return None
    parts = []
    for path in files:
        body = path.read_bytes()
        if not body.endswith((b"\n\n", b"\r\n\r\n", b"\r\r")):
            body += b"\n\n"
        parts.append(body)
    return b"".join(parts)


# -- chunkings -------------------------------------------------------------------------------

CHUNKINGS: dict[str, str] = {
    "64KiB": "64 KiB chunks",
    "rand1-200": "random 1-200 B chunks (seeded)",
    "1event": "one event per read (each chunk ends where an event does)",
    "1KiB": "1 KiB chunks",
    "whole": "one chunk",
}


#: The end of an event: a line ending, then the blank line (any line endings).
_EVENT_END = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")


def chunk(data: bytes, chunking: str, seed: int = 0) -> list[bytes]:
    """Split ``data`` into a list of ``bytes`` (copies), before any timing."""
    if chunking == "whole":
        return [bytes(data)]
    if chunking in ("64KiB", "1KiB"):
        size = 64 * 1024 if chunking == "64KiB" else 1024
        return [data[i : i + size] for i in range(0, len(data), size)]
    if chunking == "1event":
        # What a network read holds in real traffic: about one event (servers
        # flush each event as it is produced).
        out, pos = [], 0
        for m in _EVENT_END.finditer(data):
            out.append(data[pos : m.end()])
            pos = m.end()
        if pos < len(data):
            out.append(data[pos:])
        return out
    if chunking == "rand1-200":
        rng = random.Random(0x5EED ^ seed)
        lo, hi = RANDOM_CHUNK
        randint = rng.randint
        out = []
        pos, n = 0, len(data)
        while pos < n:
            step = randint(lo, hi)
            out.append(data[pos : pos + step])
            pos += step
        return out
    raise ValueError(f"unknown chunking {chunking!r}")


# -- the standard input set -------------------------------------------------------------------


@dataclass(frozen=True)
class InputSpec:
    """An input, built on demand (``build()``), with the chunkings to feed it in."""

    name: str
    title: str
    api: str | None
    deltas: int
    group: str  # "main", "scaling", "large", "recordings", "messages"
    chunkings: tuple[str, ...]
    build: Callable[[], bytes | None]
    options: tuple[tuple[str, Any], ...] = ()


def _messages_input(kind: str, events: int) -> bytes:
    # Imported here: ``_messages`` builds on this module's helpers.
    from benchmarks import _messages

    build = _messages.messages_text if kind == "text" else _messages.messages_tools
    return build(events)


def standard_inputs(factor: float = 1.0, scaling: bool = True) -> list[InputSpec]:
    """The inputs every layer can use, scaled by ``factor`` (``--quick``);
    ``scaling=False`` leaves out the scaling series."""

    def n(full: int) -> int:
        return max(50, round(full * factor))

    main = ("64KiB", "rand1-200", "1event")
    d = n(DEFAULT_DELTAS)
    specs = [
        InputSpec(
            "responses-text",
            f"Responses text, {d:,} deltas",
            "responses",
            d,
            "main",
            main,
            lambda: responses_text(d),
        ),
        InputSpec(
            "responses-reasoning-tools",
            f"Responses reasoning summary + 2 parallel calls, {d:,} deltas",
            "responses",
            d,
            "main",
            main,
            lambda: responses_reasoning_tools(d),
        ),
        InputSpec(
            "chat-text", f"Chat text, {d:,} deltas", "chat", d, "main", main, lambda: chat_text(d)
        ),
        InputSpec(
            "chat-tools",
            f"Chat 8 parallel tool calls, {d:,} deltas",
            "chat",
            d,
            "main",
            main,
            lambda: chat_tools(d),
        ),
    ]
    # Anthropic Messages streams (the layers of ``_messages.py`` time them).
    specs += [
        InputSpec(
            "messages-text",
            f"Messages text, {d:,} events",
            "messages",
            d,
            "messages",
            main,
            lambda: _messages_input("text", d),
        ),
        InputSpec(
            "messages-tools",
            f"Messages text + a tool use whose input streams in pieces, {d:,} events",
            "messages",
            d,
            "messages",
            main,
            lambda: _messages_input("tools", d),
        ),
    ]
    for full in SCALING_DELTAS if scaling else ():
        k = n(full)
        if full == DEFAULT_DELTAS:
            continue  # the same bytes as responses-text
        specs.append(
            InputSpec(
                f"responses-text-{full // 1000}k",
                f"Responses text, {k:,} deltas (scaling)",
                "responses",
                k,
                "scaling",
                main,
                lambda k=k: responses_text(k),
            )
        )
    size = max(2**20, round(LARGE_EVENT_BYTES * factor))
    specs.append(
        InputSpec(
            "large-event",
            f"one {size / 2**20:.0f} MiB event",
            None,
            0,
            "large",
            ("1KiB", "whole"),
            lambda: large_event(size),
            (("max_event_bytes", 64 * 2**20),),
        )
    )
    for api in ("responses", "chat"):
        count = len(recording_files(api, factor))
        specs.append(
            InputSpec(
                f"recordings-{api}",
                f"shared recordings, {api}, {count} concatenated",
                api,
                0,
                "recordings",
                main,
                lambda api=api: recordings(api, factor),
            )
        )
    return specs

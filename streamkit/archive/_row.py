"""One recorded stream → one row: ``reduce_stream`` and the ``StreamRow`` it returns.

Pure and picklable: no I/O, no global state, importable without the optional
dependencies, so any executor (a process pool, Dask, Ray) can call it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import msgspec

from streamkit.io._reduce import fold_stream
from streamkit.models._usage import usage_summary
from streamkit.models.chat import ChatCompletion
from streamkit.models.completions import Completion
from streamkit.models.messages import Message, TextBlock
from streamkit.models.responses import (
    CustomToolCall,
    FunctionToolCall,
    MCPToolCall,
    OutputMessage,
    Response,
)
from streamkit.models.responses import OutputText as OutputTextPart
from streamkit.reducers import Reducer

__all__ = ["ReducerFactory", "StreamRow", "error_row", "reduce_stream"]

#: What ``reducer=`` takes: a callable returning a fresh reducer for each stream.
ReducerFactory: TypeAlias = Callable[[], Reducer[Any, Any]]

_UNSET = msgspec.UNSET
_META_ENCODER = msgspec.json.Encoder()


class StreamRow(msgspec.Struct, kw_only=True, frozen=True):
    """The summary of one recorded stream: one row of an archive's table.

    The schema is stable (new columns are only ever added at the end):

    * ``source``: where the stream came from: the file path for a stream file,
      the record's ``id`` for a JSON-lines record that has one, else
      ``path#N`` (``N``: the 1-based line number).
    * ``api``: ``responses``, ``chat``, ``completions`` or ``messages``; None when
      no event could be read.
    * ``model``: the model the stream names.
    * ``verdict``: how the stream ended (``completed``, ``incomplete``, ``failed``,
      ``errored``, ``truncated``, ``unterminated``; see ``streamkit.Verdict``),
      also for a stream cut by a decoding error (the verdict of what was folded
      before it). None when there is no object at all (not an event stream, a
      record that could not be read).
    * ``reason``: the verdict's reason (``max_output_tokens``, ``length``, ...).
    * ``finish_reason``: Chat and Completions: choice 0's ``finish_reason``;
      Responses: ``incomplete_details.reason`` when set, else the response's
      ``status``; Messages: ``stop_reason``.
    * ``input_tokens``, ``output_tokens``, ``total_tokens``, ``cached_tokens``,
      ``reasoning_tokens``: the usage the server reported (None when it did
      not). Chat and Completions report ``prompt_tokens`` / ``completion_tokens``
      under these names. Messages: ``input_tokens`` counts every input token
      (uncached, cache writes and cache reads), ``cached_tokens`` the cache
      reads, ``total_tokens`` input plus output.
    * ``events``: events decoded; ``bytes``: size of the stream's bytes.
    * ``text_chars``: characters of output text (Responses: every
      ``output_text`` part; Chat / Completions: choice 0; Messages: text
      blocks). Refusals, reasoning and tool arguments are not counted.
    * ``tool_calls``: calls of client tools (Responses: function, custom and MCP
      calls; Chat: choice 0's tool calls and legacy ``function_call``; Messages:
      ``tool_use``, ``server_tool_use`` and ``mcp_tool_use`` blocks).
    * ``tool_args_ok``: every call's JSON arguments parse (free-text custom tool
      input is not JSON and not checked); True when there were no calls.
    * ``error_type`` / ``error``: why the stream could not be read in full (the
      exception's class name: ``NotEventStreamError``, ``EventDecodeError``,
      ``CorruptArchiveError``, ``BadRecordError``, ...) and its message; else
      for a ``failed`` or ``errored`` verdict the server's error ``code`` (or
      ``type``) and message.
    * ``meta``: the record's other keys as a JSON object text (JSON-lines
      archives), or None.
    * ``value``: with ``reducer=``: that reducer's result on the same events,
      as JSON builtins (``msgspec.to_builtins``, with tuples as lists: the value
      JSON gives back); None without one, or when it failed.

    Counters (``text_chars``, ``tool_calls``, ``tool_args_ok``) are None when
    there is no object.
    """

    source: str
    api: str | None = None
    model: str | None = None
    verdict: str | None = None
    reason: str | None = None
    finish_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    events: int = 0
    bytes: int = 0
    text_chars: int | None = None
    tool_calls: int | None = None
    tool_args_ok: bool | None = None
    error_type: str | None = None
    error: str | None = None
    meta: str | None = None
    value: Any = None


def _meta_text(meta: Mapping[str, Any] | None) -> str | None:
    if not meta:
        return None
    return _META_ENCODER.encode(meta).decode("utf-8")


def error_row(
    source_id: str,
    exc: BaseException,
    *,
    size: int = 0,
    meta: Mapping[str, Any] | str | None = None,
) -> StreamRow:
    """The row of a stream that could not even be read (a corrupt archive member,
    a record that is not a stream): its error and nothing else."""
    return StreamRow(
        source=source_id,
        bytes=size,
        error_type=type(exc).__name__,
        error=str(exc),
        meta=meta if isinstance(meta, str) or meta is None else _meta_text(meta),
    )


class _Guarded:
    """Calls a user reducer's ``step`` and remembers whether it raised (the
    exception still ends the pass)."""

    __slots__ = ("failed", "step")

    def __init__(self, step: Callable[[Any], None]) -> None:
        self.step = step
        self.failed = False

    def __call__(self, event: Any) -> None:
        try:
            self.step(event)
        except Exception:
            self.failed = True
            raise


def reduce_stream(
    source_id: str,
    body: bytes | bytearray | memoryview | str,
    meta: Mapping[str, Any] | None = None,
    *,
    reducer: ReducerFactory | None = None,
) -> StreamRow:
    """Reduce one recorded stream to its ``StreamRow``.

    ``body`` is the stream's bytes (a ``str`` is encoded as UTF-8), its API
    detected from the first event as ``streamkit.reduce`` does, and folded by
    the same reducer. ``meta`` (JSON-serializable) is stored as the row's
    ``meta`` JSON text. ``reducer`` is a factory (called once per stream)
    whose reducer sees the same events; its result, as JSON builtins, becomes
    ``value``.

    Never raises for a bad stream: a body that is not an event stream, a
    decoding error, or an exception of the ``reducer`` gives a row with
    ``error_type`` and ``error``, and the columns of what was folded before.
    Top-level and side-effect free, so it pickles to any executor.
    """
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    user = reducer() if reducer is not None else None
    guarded = _Guarded(user.step) if user is not None else None
    # Integrity findings are kept quiet: a run over thousands of streams must not
    # print a warning per event. Any exception ends the stream's pass, not the
    # run: a reducer's bug must cost one row.
    try:
        folded = fold_stream(
            data,
            policy="ignore",
            on_event=guarded,
            stop_on=Exception,
        )
    except Exception as exc:  # the fold's own finish() failed after an error
        return error_row(source_id, exc, size=len(data), meta=meta)
    failure = folded.error
    # A pass that ended before its first event has no object; a stream of
    # keep-alive comments only has the verdict of ``streamkit.reduce`` for it,
    # truncated, with no API to name.
    count = folded.events
    result = folded.result if count or failure is None else None
    api = folded.api if count else None
    value: Any = None
    if user is not None and guarded is not None and not guarded.failed:
        try:
            # Through JSON: the same builtins wherever the row is made or read
            # back (a tuple comes back from msgpack or Parquet as a list).
            value = msgspec.json.decode(_META_ENCODER.encode(user.finish()))
        except Exception as exc:
            failure = failure or exc
    return _row(source_id, data, meta, api, count, result, folded.reducer, failure, value)


def _row(
    source_id: str,
    data: bytes,
    meta: Mapping[str, Any] | None,
    api: str | None,
    count: int,
    result: Any,
    fold: Reducer[Any, Any] | None,
    failure: BaseException | None,
    value: Any,
) -> StreamRow:
    fields: dict[str, Any] = {}
    if result is not None:
        fields = _summary(result, fold)
    if failure is not None:
        fields["error_type"] = type(failure).__name__
        fields["error"] = str(failure)
    return StreamRow(
        source=source_id,
        api=api,
        events=count,
        bytes=len(data),
        meta=_meta_text(meta),
        value=value,
        **fields,
    )


# --------------------------------------------------------------------------- #
# Reading the final objects
# --------------------------------------------------------------------------- #


def _get(obj: Any, name: str) -> Any:
    """``obj.name`` (or ``obj[name]``), None for missing, unset or null."""
    if obj is None or obj is _UNSET:
        return None
    value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return None if value is _UNSET else value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _summary(result: Any, fold: Reducer[Any, Any] | None) -> dict[str, Any]:
    verdict = result.verdict
    fields: dict[str, Any] = {"model": _get(result, "model") or None}
    if verdict is not None:
        fields["verdict"] = verdict.status
        fields["reason"] = verdict.reason
        error = verdict.error
        if verdict.status in ("failed", "errored") and error is not None:
            fields["error_type"] = _text(error.code if error.code is not None else error.type)
            fields["error"] = error.message
    usage = usage_summary(result)
    if usage is not None:
        fields.update(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            total_tokens=usage.total_tokens,
            cached_tokens=usage.cached_tokens,
            reasoning_tokens=usage.reasoning_tokens,
        )
    if isinstance(result, Response):
        fields.update(_responses(result))
    elif isinstance(result, ChatCompletion):
        fields.update(_chat(result))
    elif isinstance(result, Completion):
        fields.update(_completions(result))
    elif isinstance(result, Message):
        fields.update(_messages(result, fold))
    return fields


def _arguments_ok(arguments: Any) -> bool:
    if not isinstance(arguments, str):
        return arguments is not None
    try:
        json.loads(arguments)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
        return False
    return True


def _responses(response: Response) -> dict[str, Any]:
    status = _get(response, "status")
    incomplete = _get(_get(response, "incomplete_details"), "reason")
    chars = calls = 0
    ok = True
    for item in _get(response, "output") or ():
        cls = type(item)
        if cls is OutputMessage:
            for part in item.content:
                if type(part) is OutputTextPart:
                    chars += len(part.text)
        elif cls is FunctionToolCall or cls is MCPToolCall:
            calls += 1
            ok = ok and _arguments_ok(item.arguments)
        elif cls is CustomToolCall:
            calls += 1
    return {
        "finish_reason": _text(incomplete or status),
        "text_chars": chars,
        "tool_calls": calls,
        "tool_args_ok": ok,
    }


def _choice0(choices: list[Any]) -> Any:
    return next((c for c in choices if c.index == 0), None)


def _chat(chat: ChatCompletion) -> dict[str, Any]:
    choice = _choice0(chat.choices)
    chars = calls = 0
    ok = True
    finish = None
    if choice is not None:
        finish = choice.finish_reason
        message = choice.message
        chars = len(message.content or "")
        for call in _get(message, "tool_calls") or ():
            calls += 1
            function = _get(call, "function")
            if function is not None:  # custom tools take free text
                ok = ok and _arguments_ok(function.arguments)
        legacy = _get(message, "function_call")
        if legacy is not None:
            calls += 1
            ok = ok and _arguments_ok(legacy.arguments)
    return {"finish_reason": finish, "text_chars": chars, "tool_calls": calls, "tool_args_ok": ok}


def _completions(completion: Completion) -> dict[str, Any]:
    choice = _choice0(completion.choices)
    return {
        "finish_reason": choice.finish_reason if choice is not None else None,
        "text_chars": len(choice.text) if choice is not None else 0,
        "tool_calls": 0,
        "tool_args_ok": True,
    }


_MESSAGE_TOOL_BLOCKS = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})


def _messages(message: Message, fold: Reducer[Any, Any] | None) -> dict[str, Any]:
    chars = sum(len(b.text) for b in message.content if type(b) is TextBlock)
    calls = 0
    for block in message.content:
        config = getattr(type(block), "__struct_config__", None)
        if config is not None and config.tag in _MESSAGE_TOOL_BLOCKS:
            calls += 1
    # The reducer parses each tool input once, when its block stops, and keeps
    # the outcome in its state; a block cut before its stop is parsed here.
    blocks = getattr(getattr(fold, "state", None), "blocks", None) or {}
    ok = True
    for b in blocks.values():
        if _get(b, "kind") not in _MESSAGE_TOOL_BLOCKS:
            continue
        if _get(b, "parsed"):
            ok = ok and _get(b, "parse_error") is None
        elif any(_get(b, "json") or ()):
            ok = ok and _arguments_ok("".join(b.json))
    return {
        "finish_reason": message.stop_reason,
        "text_chars": chars,
        "tool_calls": calls,
        "tool_args_ok": ok,
    }

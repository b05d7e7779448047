"""The divergence checks of ``ResponseReducer(verify=True)``.

Values built from the deltas are compared with the server's own values (``*.done``
events, ``response.output_item.done`` items, the terminal response) as JSON-like
builtins; every leaf that differs becomes a :class:`Divergence` with its path in the
final Response.

Walking a value costs a level of recursion per level of nesting, and the fold may
run deeper in the call stack than the decoder that accepted the payload. So an
unknown item's raw JSON nested deeper than ``MAX_ARGUMENT_DEPTH`` is compared as its
JSON text, and a value too deep to walk where the comparison runs is reported as a
divergence at its path, with ``TOO_DEEP`` for both values (the check cannot tell
them equal): never a ``RecursionError``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET

from streamkit.models.responses import (
    ApplyPatchCreateFileOperation,
    ApplyPatchToolCall,
    ApplyPatchUpdateFileOperation,
    CodeInterpreterToolCall,
    CustomToolCall,
    FunctionShellCall,
    FunctionShellCallOutput,
    FunctionToolCall,
    MCPToolCall,
    OutputItem,
    OutputMessage,
    OutputText,
    ReasoningItem,
    UnknownItem,
)
from streamkit.reducers._arguments import argument_depth_error
from streamkit.reducers.responses._state import Divergence, _Slot, slot_item

__all__ = [
    "TOO_DEEP",
    "compare",
    "delta_view",
    "diff",
    "item_type",
    "to_builtins_view",
    "verify_item",
]

_TOLERANCE = 1e-6

#: Both values of a divergence whose values nest too deep to compare.
TOO_DEEP = "(nested too deep to compare)"


class _TooDeep(dict[str, Any]):
    """The view of a value too deep to turn into builtins here: empty, so code
    that edits views works on it, and ``compare`` always reports it."""


def _raw_hook(obj: Any) -> Any:
    if isinstance(obj, msgspec.Raw):
        data = bytes(memoryview(obj))
        text = data.decode("utf-8", "replace")
        if argument_depth_error(text) is None:
            try:
                return msgspec.json.decode(data)
            except RecursionError:  # the call stack is already deep here
                pass
        # Compared as text: exact, and without walking the nesting.
        return text
    # msgspec's hook protocol: NotImplementedError means "type not supported".
    raise NotImplementedError(type(obj).__name__)


def to_builtins_view(obj: Any) -> Any:
    """``obj`` as JSON-like builtins (UnknownItem's raw JSON decoded, or kept as
    its text when it nests deeper than ``MAX_ARGUMENT_DEPTH``)."""
    try:
        return msgspec.to_builtins(obj, enc_hook=_raw_hook)
    except RecursionError:
        # msgspec leaves each level it entered: the interpreter is intact.
        return _TooDeep()


def _same(a: Any, b: Any, tolerant: bool) -> bool:
    if a == b:
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y, tolerant) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], tolerant) for k in a)
    if (
        tolerant
        and isinstance(a, int | float)
        and isinstance(b, int | float)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        return abs(a - b) <= _TOLERANCE
    return False


def diff(path: str, fold: Any, server: Any, out: list[Divergence]) -> None:
    """Append a Divergence for every leaf where ``fold`` and ``server`` differ.

    Logprob values are compared with an absolute tolerance of 1e-6: the server
    rounds them to six decimals in ``output_item.done`` and the final response
    while the deltas carry full precision.
    """
    if fold == server:
        return
    if isinstance(fold, dict) and isinstance(server, dict):
        for key in {**fold, **server}:
            diff(f"{path}.{key}", fold.get(key), server.get(key), out)
        return
    if isinstance(fold, list) and isinstance(server, list) and len(fold) == len(server):
        for i, (a, b) in enumerate(zip(fold, server, strict=True)):
            diff(f"{path}[{i}]", a, b, out)
        return
    if not _same(fold, server, "logprob" in path):
        out.append(Divergence(path=path, fold=fold, server=server))


def delta_view(item: OutputItem | None) -> dict[str, Any]:
    """The values of ``item`` that deltas build, keyed by path inside the item."""
    view: dict[str, Any] = {}
    if isinstance(item, OutputMessage):
        for i, part in enumerate(item.content):
            if isinstance(part, OutputText):
                view[f"content[{i}].text"] = part.text
                view[f"content[{i}].annotations"] = to_builtins_view(part.annotations)
                view[f"content[{i}].logprobs"] = to_builtins_view(part.logprobs or [])
            else:
                view[f"content[{i}].refusal"] = part.refusal
    elif isinstance(item, ReasoningItem):
        for i, summary in enumerate(item.summary):
            view[f"summary[{i}].text"] = summary.text
        for i, content in enumerate(item.content or ()):
            view[f"content[{i}].text"] = content.text
    elif isinstance(item, FunctionToolCall | MCPToolCall):
        view["arguments"] = item.arguments
    elif isinstance(item, CustomToolCall):
        view["input"] = item.input
    elif isinstance(item, CodeInterpreterToolCall):
        view["code"] = item.code or ""
    elif isinstance(item, ApplyPatchToolCall):
        op = item.operation
        if isinstance(op, ApplyPatchCreateFileOperation | ApplyPatchUpdateFileOperation):
            view["operation.diff"] = op.diff
    elif isinstance(item, FunctionShellCall):
        for i, command in enumerate(item.action.commands):
            view[f"action.commands[{i}]"] = command
    elif isinstance(item, FunctionShellCallOutput):
        for i, chunk in enumerate(item.output):
            view[f"output[{i}].stdout"] = chunk.stdout
            view[f"output[{i}].stderr"] = chunk.stderr
    return view


def item_type(item: OutputItem | None) -> str | None:
    """The wire type of an output item."""
    if item is None:
        return None
    if isinstance(item, UnknownItem):
        return item.item_type
    return str(type(item).__struct_config__.tag)


def compare(known: list[Divergence], path: str, fold: Any, server: Any) -> None:
    """Add to ``known`` the divergences between ``fold`` and ``server`` at ``path``
    that it does not hold yet (one with ``TOO_DEEP`` values when they nest too
    deep to compare)."""
    if type(fold) is not _TooDeep and type(server) is not _TooDeep:
        try:
            found: list[Divergence] = []
            diff(path, fold, server, found)
            known.extend(d for d in found if d not in known)
            return
        except RecursionError:
            # Values this deep come from a payload decoded higher up the call
            # stack than this comparison runs.
            pass
    if not any(d.path == path and isinstance(d.fold, str) and d.fold == TOO_DEEP for d in known):
        known.append(Divergence(path=path, fold=TOO_DEEP, server=TOO_DEEP))


def verify_view(known: list[Divergence], index: int, slot: _Slot, server: OutputItem) -> None:
    """Compare the delta-built values of the item at ``index`` with ``server``'s."""
    fold_view = delta_view(slot_item(slot, final=False))
    server_view = delta_view(server)
    for key in {**fold_view, **server_view}:
        compare(known, f"output[{index}].{key}", fold_view.get(key), server_view.get(key))


def verify_item(known: list[Divergence], index: int, slot: _Slot, server: OutputItem) -> None:
    """Compare the fold of the item at ``index`` with the server's ``output_item.done``
    value: its kind, its delta-built values, and its status when events set one."""
    fold = slot_item(slot, final=False)
    if fold is not None and type(fold) is not type(server):
        compare(known, f"output[{index}].type", item_type(fold), item_type(server))
        return
    verify_view(known, index, slot, server)
    status = getattr(server, "status", UNSET)
    if slot.status is not None and status is not UNSET and fold is not None:
        compare(known, f"output[{index}].status", getattr(fold, "status", None), status)

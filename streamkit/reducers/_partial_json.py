"""Incremental best-effort parsing of streamed JSON text (tool-call arguments).

LLM tool calls stream their JSON arguments as string deltas (``'{"ci'``,
``'ty": "Par'``, ``'is"}'``). ``PartialJSON`` parses them as they arrive and
gives the value parsed so far at any moment, in linear total time, where
re-parsing the whole prefix on every delta would be quadratic.
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = ["PartialJSON"]

# Parser states.
_VALUE: Final = 0  # expecting a value: at the start, after ':' or after ',' in an array
_VALUE_OR_END: Final = 1  # after '[': a value or ']'
_KEY_OR_END: Final = 2  # after '{': a key or '}'
_KEY: Final = 3  # after ',' in an object
_COLON: Final = 4  # after a key
_AFTER: Final = 5  # after a value inside a container: ',' or the closer
_STRING: Final = 6
_ESCAPE: Final = 7  # after a backslash in a string
_UNICODE: Final = 8  # inside the four hex digits of \uXXXX
_NUMBER: Final = 9
_LITERAL: Final = 10
_DONE: Final = 11  # a whole top-level value was parsed; only whitespace may follow

_EXPECTED: Final = {
    _VALUE: "a value",
    _VALUE_OR_END: "a value or ']'",
    _KEY_OR_END: "a string key or '}'",
    _KEY: "a string key",
    _COLON: "':'",
    _DONE: "end of input",
}

# Number states: a DFA over -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
_N_MINUS: Final = 0
_N_ZERO: Final = 1  # accepting
_N_INT: Final = 2  # accepting
_N_DOT: Final = 3
_N_FRAC: Final = 4  # accepting
_N_E: Final = 5
_N_ESIGN: Final = 6
_N_EXP: Final = 7  # accepting
_N_ACCEPTING: Final = (False, True, True, False, True, False, False, True)
_N_DIGIT_RUN: Final = (False, False, True, False, True, False, False, True)


def _num_next(ns: int, c: str) -> int:
    """The number state after ``c``, or -1 when ``c`` cannot continue the number."""
    if "0" <= c <= "9":
        if ns in (_N_INT, _N_FRAC, _N_EXP):
            return ns
        if ns == _N_MINUS:
            return _N_ZERO if c == "0" else _N_INT
        if ns == _N_DOT:
            return _N_FRAC
        if ns in (_N_E, _N_ESIGN):
            return _N_EXP
        return -1  # after a leading 0
    if c == ".":
        return _N_DOT if ns in (_N_ZERO, _N_INT) else -1
    if c == "e" or c == "E":
        return _N_E if ns in (_N_ZERO, _N_INT, _N_FRAC) else -1
    if c == "+" or c == "-":
        return _N_ESIGN if ns == _N_E else -1
    return -1


# Runs skipped in C rather than character by character.
_STRING_RUN: Final = re.compile(r'[^"\\\x00-\x1f]+').match
_WS_RUN: Final = re.compile(r"[ \t\n\r]+").match
_DIGIT_RUN: Final = re.compile(r"[0-9]+").match
_HEX4: Final = re.compile(r"[0-9a-fA-F]{4}").match
# Whole simple tokens. A number must be followed by a character that cannot continue it
# (so "12" of "123" is not taken); group 1 or 2 is set only for a float.
_SIMPLE_STRING: Final = re.compile(r'"([^"\\\x00-\x1f]*)"').match
_SIMPLE_KEY: Final = re.compile(r'"([^"\\\x00-\x1f]*)"[ \t\n\r]*:[ \t\n\r]*').match
_COMMA_KEY: Final = re.compile(r',[ \t\n\r]*"([^"\\\x00-\x1f]*)"[ \t\n\r]*:[ \t\n\r]*').match
_SIMPLE_NUMBER: Final = re.compile(
    r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?(?=[^-+.eE0-9])"
).match
_MAX_FAST_NUMBER: Final = 4000  # longer ones go the slow way (int() limits the digits)

_WS: Final = " \t\n\r"
_HEX: Final = "0123456789abcdefABCDEF"
_ESCAPES: Final = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_LITERALS: Final[dict[str, tuple[str, Any]]] = {
    "t": ("true", True),
    "f": ("false", False),
    "n": ("null", None),
}

# What value() inserted into the innermost open container (undone by the next feed).
_PROV_NONE: Final = 0
_PROV_LIST: Final = 1  # appended to a list
_PROV_NEW_KEY: Final = 2  # added a key to a dict
_PROV_REPLACED: Final = 3  # replaced a duplicate key's earlier value (kept in _prov_prev)

_NOTHING: Final[Any] = object()

_STATE_VERSION: Final = 1


class PartialJSON:
    """Incremental parser for a JSON text that arrives in pieces.

    ``feed()`` each delta as it streams, read ``value()`` at any moment, and
    call ``finish()`` when the stream ends. Total work is linear in the text
    length: each character is scanned once (runs of plain string characters,
    digits and whitespace are skipped by regexes, in C), and the parser keeps
    the partially built containers, so ``value()`` never re-parses. A read
    costs O(1) when nothing was fed since the last one, otherwise O(depth +
    length of the string or number still streaming): Python strings are
    immutable, so a growing string is copied on each read that sees it grow.
    Only strict JSON is accepted (no NaN/Infinity, no raw control characters
    in strings).

    ``value()`` is the best-effort value of the text so far: what
    ``json.loads`` gives for the text with its unfinished tail trimmed and the
    missing closers appended. That is:

    * containers still open are included, with their complete members;
    * a string still streaming is included as its decoded prefix, without an
      unfinished escape (``\\`` or ``\\u00``) and without a final ``\\uD8xx``
      high surrogate that the next escape may pair;
    * a number still streaming is included when its text so far is itself a
      valid JSON number (``12`` of ``123``), and left out when it is not
      (``-``, ``1.``, ``1e``, ``1e+``);
    * an unfinished key, a key without a value yet and an unfinished literal
      (``tru``) are left out;
    * with nothing to show yet (no text, or just ``-`` or ``tru`` at top level)
      the value is ``None``; ``complete`` tells that from a parsed ``null``.

    ``value()`` returns the parser's own objects, not copies: treat them as
    read-only, since mutating them corrupts later results. They are live:
    ``feed()`` adds members to the containers still open and takes the pending
    string or number out, and the next ``value()`` puts it back updated, so a
    returned object is accurate until the next ``feed()``. Keep a snapshot with
    ``copy.deepcopy(value())``. (Returning copies of the open containers
    instead would make reading after every delta quadratic for large objects.)

    Checkpoints: ``to_state()`` / ``from_state()`` (the state is the text).
    """

    __slots__ = (
        "_cache",
        "_dirty",
        "_error",
        "_error_at",
        "_finished",
        "_finished_at",
        "_hex",
        "_high",
        "_key",
        "_key_string",
        "_lit_pos",
        "_lit_value",
        "_lit_word",
        "_materialized",
        "_ns",
        "_num_parts",
        "_offset",
        "_pieces",
        "_prov",
        "_prov_prev",
        "_root",
        "_scanned",
        "_stack",
        "_state",
        "_str_done",
        "_str_parts",
        "_text",
    )

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._text: str | None = ""
        self._offset = 0  # characters fed before the current delta
        self._state = _VALUE
        self._stack: list[Any] = []  # open containers, outermost first
        self._root: Any = None  # the top-level value once complete (or its open container)
        self._key = ""  # the pending key of the innermost open object
        # The string being parsed: decoded pieces, plus the prefix already joined by value().
        self._key_string = False
        self._str_parts: list[str] = []
        self._str_done = ""
        self._high = -1  # a decoded \uD8xx high surrogate awaiting its low half
        self._hex = ""
        self._ns = _N_MINUS
        self._num_parts: list[str] = []
        self._lit_word = ""
        self._lit_pos = 0
        self._lit_value: Any = None
        self._prov = _PROV_NONE
        self._prov_prev: Any = None
        self._cache: Any = None
        self._dirty = False
        self._error: str | None = None
        self._error_at: int | None = None
        self._finished = False
        self._finished_at: int | None = None
        # Instrumentation for the linearity tests: characters consumed by feed(),
        # and characters copied while materializing pending strings and numbers.
        self._scanned = 0
        self._materialized = 0

    # -- public API --------------------------------------------------------

    @property
    def complete(self) -> bool:
        """True once the text is one whole JSON value (plus optional whitespace).

        A top-level number counts only once a delimiter follows it or
        ``finish()`` was called, since ``12`` may still become ``123``. False
        whenever ``error`` is set (including trailing garbage after a value).
        """
        return self._state == _DONE and self._error is None

    @property
    def error(self) -> str | None:
        """Why the text can no longer be valid JSON (with the character offset), or None.

        Set by ``feed()`` or ``finish()``, never raised. After an error,
        ``value()`` keeps the value of the text before the offending character.
        """
        return self._error

    def text(self) -> str:
        """The whole text fed so far (joined lazily, cached)."""
        text = self._text
        if text is None:
            text = self._text = "".join(self._pieces)
            self._pieces = [text]
        return text

    def to_state(self) -> dict[str, Any]:
        """A checkpoint for ``from_state``: a plain dict (the text, and where finish() came)."""
        return {"version": _STATE_VERSION, "text": self.text(), "finished_at": self._finished_at}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PartialJSON:
        """A parser continuing from ``to_state()``; re-feeds the text (linear, once)."""
        if state.get("version") != _STATE_VERSION:
            raise ValueError(f"unsupported PartialJSON state version: {state.get('version')!r}")
        text = state["text"]
        finished_at = state.get("finished_at")
        parser = cls()
        if finished_at is None:
            parser.feed(text)
        else:
            parser.feed(text[:finished_at])
            parser.finish()
            parser.feed(text[finished_at:])
        return parser

    def finish(self) -> None:
        """Declare the end of input.

        Settles a trailing top-level number (``123`` becomes complete) and sets
        ``error`` if the text is not a complete JSON value. Idempotent; any
        non-empty ``feed()`` afterwards sets ``error``.
        """
        if self._finished:
            return
        self._finished = True
        self._finished_at = self._offset
        if self._error is not None:
            return
        if self._prov:
            self._retract()
        self._dirty = True
        end = self._offset
        if self._state == _NUMBER:
            if not _N_ACCEPTING[self._ns]:
                self._fail(end, "incomplete number")
                return
            number = self._end_number(end)
            if number is _NOTHING:
                return
            self._state = self._emit(number)
        if self._state != _DONE:
            self._fail(end, "unexpected end of input")

    def value(self) -> Any:
        """The best-effort value of the text so far: read-only and live (see the class)."""
        if not self._dirty:
            return self._cache
        self._dirty = False
        tail = self._pending_tail()
        stack = self._stack
        if not stack:
            result = self._root if tail is _NOTHING else tail
        else:
            if tail is not _NOTHING:
                # Insert the pending scalar in place; the next feed() takes it out again.
                top = stack[-1]
                if type(top) is list:
                    top.append(tail)
                    self._prov = _PROV_LIST
                else:
                    key = self._key
                    if key in top:
                        self._prov_prev = top[key]
                        self._prov = _PROV_REPLACED
                    else:
                        self._prov = _PROV_NEW_KEY
                    top[key] = tail
            result = self._root
        self._cache = result
        return result

    def feed(self, delta: str) -> None:
        """Append ``delta`` to the text and parse it (work proportional to ``len(delta)``)."""
        if not delta:
            return
        self._pieces.append(delta)
        self._text = None
        base = self._offset
        self._offset = base + len(delta)
        if self._error is not None:
            return
        if self._finished:
            self._fail(base, "data fed after finish()")
            return
        if self._prov:
            self._retract()
        self._dirty = True

        state = self._state
        stack = self._stack
        n = len(delta)
        i = 0
        while i < n:
            if state == _STRING:
                parts = self._str_parts
                m = _STRING_RUN(delta, i)
                if m is not None:
                    if self._high >= 0:
                        self._flush_high()
                    j = m.end()
                    parts.append(delta[i:j])
                    i = j
                    if i == n:
                        break
                c = delta[i]
                if c == '"':
                    i += 1
                    if self._high >= 0:
                        self._flush_high()
                    s = self._str_done + "".join(parts)
                    self._str_parts = []
                    self._str_done = ""
                    if self._key_string:
                        self._key = s
                        state = _COLON
                    else:
                        state = self._emit(s)
                elif c == "\\":
                    # Decode the whole escape here when the delta holds it.
                    decoded = _ESCAPES.get(delta[i + 1 : i + 2])
                    if decoded is not None:
                        if self._high >= 0:
                            self._flush_high()
                        parts.append(decoded)
                        i += 2
                    elif delta.startswith("u", i + 1) and (m := _HEX4(delta, i + 2)) is not None:
                        self._decode_unicode(int(m.group(), 16))
                        i += 6
                    else:
                        i += 1
                        state = _ESCAPE
                else:
                    self._fail(base + i, f"control character {c!r} in string")
                    break
                continue

            c = delta[i]
            if c in _WS and (state <= _AFTER or state == _DONE):
                # Whitespace between tokens (numbers and literals see it as a delimiter).
                m = _WS_RUN(delta, i)
                i = m.end() if m is not None else i + 1
                continue

            if state == _AFTER:
                top = stack[-1]
                if c == ",":
                    if type(top) is dict:
                        m = _COMMA_KEY(delta, i)
                        if m is not None:  # the next simple key and its colon in one go
                            self._key = m.group(1)
                            state = _VALUE
                            i = m.end()
                            continue
                        state = _KEY
                    else:
                        state = _VALUE
                elif (c == "}" and type(top) is dict) or (c == "]" and type(top) is list):
                    stack.pop()
                    state = _AFTER if stack else _DONE
                else:
                    self._fail(base + i, f"unexpected {c!r} (expected ',' or a closing bracket)")
                    break
                i += 1
            elif state in (_VALUE, _VALUE_OR_END):
                # Fast paths take a whole simple token the delta holds in one regex match;
                # anything else (cut-off tokens, escapes, errors) goes character by character.
                if c == '"':
                    m = _SIMPLE_STRING(delta, i)
                    if m is not None:
                        state = self._emit(m.group(1))
                        i = m.end()
                        continue
                    self._key_string = False
                    state = _STRING
                elif c == "{":
                    container: Any = {}
                    self._emit(container)
                    stack.append(container)
                    state = _KEY_OR_END
                elif c == "[":
                    container = []
                    self._emit(container)
                    stack.append(container)
                    state = _VALUE_OR_END
                elif c == "-" or "0" <= c <= "9":
                    m = _SIMPLE_NUMBER(delta, i)
                    if m is not None and m.end() - i <= _MAX_FAST_NUMBER:
                        token = m.group()
                        number = int(token) if m.lastindex is None else float(token)
                        state = self._emit(number)
                        i = m.end()
                        continue
                    self._ns = _N_MINUS if c == "-" else _N_ZERO if c == "0" else _N_INT
                    self._num_parts = [c]
                    state = _NUMBER
                elif c in _LITERALS:
                    word, literal = _LITERALS[c]
                    if delta.startswith(word, i):
                        state = self._emit(literal)
                        i += len(word)
                        continue
                    self._lit_word = word
                    self._lit_value = literal
                    self._lit_pos = 1
                    state = _LITERAL
                elif c == "]" and state == _VALUE_OR_END:
                    stack.pop()
                    state = _AFTER if stack else _DONE
                else:
                    self._fail(base + i, f"unexpected {c!r} (expected {_EXPECTED[state]})")
                    break
                i += 1
            elif state in (_KEY, _KEY_OR_END):
                if c == '"':
                    m = _SIMPLE_KEY(delta, i)
                    if m is not None:
                        self._key = m.group(1)
                        state = _VALUE
                        i = m.end()
                        continue
                    self._key_string = True
                    state = _STRING
                elif c == "}" and state == _KEY_OR_END:
                    stack.pop()
                    state = _AFTER if stack else _DONE
                else:
                    self._fail(base + i, f"unexpected {c!r} (expected {_EXPECTED[state]})")
                    break
                i += 1
            elif state == _COLON:
                if c != ":":
                    self._fail(base + i, f"unexpected {c!r} (expected ':')")
                    break
                state = _VALUE
                i += 1
            elif state == _NUMBER:
                ns = self._ns
                if _N_DIGIT_RUN[ns]:
                    m = _DIGIT_RUN(delta, i)
                    if m is not None:
                        j = m.end()
                        self._num_parts.append(delta[i:j])
                        i = j
                        continue
                nxt = _num_next(ns, c)
                if nxt >= 0:
                    self._ns = nxt
                    self._num_parts.append(c)
                    i += 1
                elif _N_ACCEPTING[ns]:
                    number = self._end_number(base + i)
                    if number is _NOTHING:
                        break
                    # The delimiter is handled by the next state, so no i += 1.
                    state = self._emit(number)
                else:
                    self._fail(base + i, f"unexpected {c!r} in number")
                    break
            elif state == _ESCAPE:
                decoded = _ESCAPES.get(c)
                if decoded is not None:
                    if self._high >= 0:
                        self._flush_high()
                    self._str_parts.append(decoded)
                    state = _STRING
                elif c == "u":
                    self._hex = ""
                    state = _UNICODE
                else:
                    self._fail(base + i, f"invalid escape '\\{c}' in string")
                    break
                i += 1
            elif state == _UNICODE:
                if c not in _HEX:
                    self._fail(base + i, f"invalid \\u escape: {c!r} is not a hex digit")
                    break
                i += 1
                hex_digits = self._hex = self._hex + c
                if len(hex_digits) == 4:
                    self._decode_unicode(int(hex_digits, 16))
                    state = _STRING
            elif state == _LITERAL:
                word = self._lit_word
                if c != word[self._lit_pos]:
                    self._fail(base + i, f"unexpected {c!r} (expected {word!r})")
                    break
                i += 1
                self._lit_pos += 1
                if self._lit_pos == len(word):
                    state = self._emit(self._lit_value)
            else:  # _DONE
                self._fail(base + i, f"unexpected {c!r} after the end of the JSON value")
                break

        self._state = state
        self._scanned += i

    # -- internals ---------------------------------------------------------

    def _fail(self, at: int, message: str) -> None:
        # The state is left as it was at the failing character, so value() keeps
        # the best-effort value of the text before it.
        self._error = f"{message} at offset {at}"
        self._error_at = at

    def _emit(self, value: Any) -> int:
        """Attach a finished value (or a newly opened container); return the next state."""
        stack = self._stack
        if not stack:
            self._root = value
            return _DONE
        top = stack[-1]
        if type(top) is list:
            top.append(value)
        else:
            top[self._key] = value
        return _AFTER

    def _number(self) -> Any:
        """The value of the number text so far (in an accepting state), or _NOTHING."""
        parts = self._num_parts
        text = "".join(parts) if len(parts) != 1 else parts[0]
        self._num_parts = [text]
        self._materialized += len(text)
        try:
            return int(text) if self._ns in (_N_ZERO, _N_INT) else float(text)
        except ValueError:  # more digits than int() accepts (sys.get_int_max_str_digits())
            return _NOTHING

    def _end_number(self, at: int) -> Any:
        number = self._number()
        if number is _NOTHING:
            self._fail(at, "number too long")
        return number

    def _flush_high(self) -> None:
        # The pending high surrogate is not followed by a low one: keep it alone (as json does).
        self._str_parts.append(chr(self._high))
        self._high = -1

    def _decode_unicode(self, code: int) -> None:
        high = self._high
        if high >= 0:
            self._high = -1
            if 0xDC00 <= code <= 0xDFFF:
                self._str_parts.append(chr(0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)))
                return
            self._str_parts.append(chr(high))
        if 0xD800 <= code <= 0xDBFF:
            self._high = code
        else:
            self._str_parts.append(chr(code))

    def _pending_tail(self) -> Any:
        """The value of the scalar still being streamed, or _NOTHING."""
        state = self._state
        if state in (_STRING, _ESCAPE, _UNICODE):
            if self._key_string:
                return _NOTHING
            parts = self._str_parts
            if parts:
                # Join only the pieces fed since the last read onto the cached
                # prefix, extended in place when nothing else holds it (CPython
                # resizes a string with one holder instead of copying it).
                s = self._str_done
                self._str_done = ""
                s += "".join(parts)
                self._str_done = s
                parts.clear()
                self._materialized += len(s)
                return s
            return self._str_done
        if state == _NUMBER and _N_ACCEPTING[self._ns]:
            return self._number()
        return _NOTHING

    def _retract(self) -> None:
        """Take out the pending scalar that value() inserted into the innermost container."""
        top = self._stack[-1]
        prov = self._prov
        if prov == _PROV_LIST:
            top.pop()
        elif prov == _PROV_NEW_KEY:
            del top[self._key]
        else:
            top[self._key] = self._prov_prev
            self._prov_prev = None
        self._prov = _PROV_NONE

    def __repr__(self) -> str:
        status = "error" if self._error else "complete" if self.complete else "partial"
        return f"<PartialJSON {status}, {self._offset} chars>"

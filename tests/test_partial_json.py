"""PartialJSON: incremental best-effort parsing of streamed JSON text.

The properties compare the parser, at every prefix, against slow reference
functions written independently of it: ``ref_value`` tokenizes the prefix with
regexes, trims the incomplete tail, appends the closers and calls
``json.loads``; ``viable`` says whether a prefix can still be completed into
valid JSON.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import sys
from types import FrameType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamkit.reducers import _partial_json
from streamkit.reducers._partial_json import PartialJSON

# -- reference implementation ------------------------------------------------

_UNIT = r'(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})'
_TOKEN = re.compile(
    rf"""
    (?P<ws>[ \t\n\r]+)
  | (?P<str>"{_UNIT}*")
  | (?P<pstr>"{_UNIT}*(?:\\(?:u[0-9a-fA-F]{{0,3}})?)?\Z)   # a string cut by the end of text
  | (?P<num>[-0-9][-+.eE0-9]*)                               # exactly a number in valid JSON
  | (?P<lit>[a-z]+)
  | (?P<punct>[{{}}\[\]:,])
    """,
    re.VERBOSE,
)
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_HIGH_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}")
_LITERAL_WORDS = ("true", "false", "null")


def tokenize(text: str) -> list[tuple[str, str]] | None:
    """(kind, text) tokens, or None when the text does not tokenize."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.lastgroup is None:
            return None
        tokens.append((m.lastgroup, m.group()))
        pos = m.end()
    return tokens


def open_containers(tokens: list[tuple[str, str]]) -> list[str] | None:
    stack: list[str] = []
    for kind, tok in tokens:
        if kind == "punct" and tok in "{[":
            stack.append(tok)
        elif kind == "punct" and tok in "}]":
            if not stack:
                return None
            stack.pop()
    return stack


def closers(stack: list[str]) -> str:
    return "".join("}" if c == "{" else "]" for c in reversed(stack))


def last_is_key(tokens: list[tuple[str, str]]) -> bool:
    """Is the last (non-whitespace) token a string in key position?"""
    if len(tokens) < 2 or tokens[-1][0] not in ("str", "pstr"):
        return False
    stack = open_containers(tokens)
    return stack is not None and stack[-1:] == ["{"] and tokens[-2][1] in ("{", ",")


def close_partial_string(tok: str) -> str:
    """A cut-off string token -> a complete one holding its best-effort prefix: drop an
    unfinished escape, and a final high surrogate escape that may still get its pair."""
    m = re.match(f"(?:{_UNIT})*", tok[1:])
    assert m is not None
    units = re.findall(_UNIT, m.group())  # what follows them is an unfinished escape
    if units and _HIGH_SURROGATE_ESCAPE.fullmatch(units[-1]):
        units.pop()
    return '"' + "".join(units) + '"'


def ref_value(prefix: str) -> Any:
    """The best-effort value of a viable JSON prefix, the slow and obvious way."""
    tokens = tokenize(prefix)
    assert tokens is not None, prefix
    if tokens:
        kind, tok = tokens[-1]
        if kind == "pstr":
            tokens[-1] = ("str", close_partial_string(tok))
        elif kind == "num" and not _NUMBER.fullmatch(tok):
            tokens.pop()  # '-', '1.', '1e', '1e+': not a number yet
        elif kind == "lit" and tok not in _LITERAL_WORDS:
            tokens.pop()
    tokens = [t for t in tokens if t[0] != "ws"]
    while tokens:
        if tokens[-1] == ("punct", ","):
            tokens.pop()
        elif tokens[-1] == ("punct", ":"):
            tokens.pop()
            tokens.pop()  # the key
        elif last_is_key(tokens):
            tokens.pop()
        else:
            break
    if not tokens:
        return None
    stack = open_containers(tokens)
    assert stack is not None
    return json.loads("".join(t for _, t in tokens) + closers(stack))


def viable(prefix: str) -> bool:
    """Can ``prefix`` still be completed into valid JSON? (Complete it canonically.)"""
    tokens = tokenize(prefix)
    if tokens is None:
        return False
    if not tokens:
        return True
    kind, tok = tokens[-1]
    if kind == "pstr":
        m = re.search(r"\\(u[0-9a-fA-F]{0,3})?\Z", tok)
        if m is None:
            tokens[-1] = ("str", tok + '"')
        elif m.group(1) is None:
            tokens[-1] = ("str", tok + 'n"')
        else:
            tokens[-1] = ("str", tok + "0" * (5 - len(m.group(1))) + '"')
    elif kind == "num" and not _NUMBER.fullmatch(tok):
        tokens[-1] = ("num", tok + "0")
    elif kind == "lit" and tok not in _LITERAL_WORDS:
        words = [w for w in _LITERAL_WORDS if w.startswith(tok)]
        if not words:
            return False
        tokens[-1] = ("lit", words[0])
    significant = [t for t in tokens if t[0] != "ws"]
    stack = open_containers(significant)
    if stack is None:
        return False
    suffix = ""
    if significant:
        last = significant[-1]
        if last == ("punct", ":"):
            suffix = "0"
        elif last == ("punct", ","):
            suffix = '"":0' if stack and stack[-1] == "{" else "0"
        elif last_is_key(significant):
            suffix = ":0"
    else:
        suffix = "0"
    try:
        json.loads("".join(t for _, t in tokens) + suffix + closers(stack))
    except ValueError:
        return False
    return True


def ref_complete(text: str, finished: bool = False) -> bool:
    """A whole value; a top-level number needs a delimiter after it unless finished."""
    try:
        json.loads(text)
    except ValueError:
        return False
    return finished or not text[-1].isdigit()


def canon(value: Any) -> Any:
    """A form whose equality is strict: types (True vs 1 vs 1.0), float bits, key order."""
    if isinstance(value, dict):
        return ("dict", [(k, canon(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [canon(v) for v in value])
    if isinstance(value, float):
        return ("float", repr(value))
    return (type(value).__name__, value)


# -- strategies ----------------------------------------------------------------

# Characters that need escaping, surrogates (lone and paired), and JSON punctuation.
_tricky_chars = st.sampled_from(
    list('"\\/\n\t\x00\x1f\x7fé\u2028\ufeff中\U0001f600\ud83d\ude00 {}[]:,-1e')
)
_chars = st.characters() | _tricky_chars
_strings = st.text(_chars, max_size=12)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _strings
)
json_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(_strings, children, max_size=5)
    ),
    max_leaves=12,
)


@st.composite
def json_texts(draw: st.DrawFn) -> str:
    value = draw(json_values)
    indent = draw(st.sampled_from([None, None, 0, 2, "\t"]))
    separators = draw(st.sampled_from([None, (",", ":"), (" , ", " : ")]))
    text = json.dumps(value, ensure_ascii=draw(st.booleans()), indent=indent, separators=separators)
    pad = st.text(st.sampled_from(" \t\n\r"), max_size=2)
    return draw(pad) + text + draw(pad)


def split(data: st.DataObject, text: str) -> list[str]:
    """``text`` cut into random deltas."""
    cuts = data.draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=len(text)))
    points = [0, *sorted(cuts), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(points) if b > a]


def feed_all(text: str, deltas: list[str] | None = None) -> PartialJSON:
    parser = PartialJSON()
    for delta in deltas if deltas is not None else [text]:
        parser.feed(delta)
    return parser


# -- properties ----------------------------------------------------------------

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.data())
def test_random_deltas_match_reference(data: st.DataObject) -> None:
    text = data.draw(json_texts())
    deltas = split(data, text)
    parser = PartialJSON()
    fed = ""
    for delta in deltas:
        parser.feed(delta)
        fed += delta
        if data.draw(st.booleans()):  # sometimes skip reads: value() must catch up
            assert canon(parser.value()) == canon(ref_value(fed)), fed
        assert parser.error is None, (fed, parser.error)
        assert parser.complete == ref_complete(fed), fed
        assert parser.text() == fed
    assert canon(parser.value()) == canon(ref_value(text))
    parser.finish()
    assert parser.error is None
    assert parser.complete
    assert canon(parser.value()) == canon(json.loads(text))


@settings(max_examples=100, deadline=None)
@given(json_texts())
def test_every_prefix_one_char_at_a_time(text: str) -> None:
    parser = PartialJSON()
    for i, c in enumerate(text, 1):
        parser.feed(c)
        prefix = text[:i]
        assert canon(parser.value()) == canon(ref_value(prefix)), prefix
        assert parser.complete == ref_complete(prefix), prefix
        assert viable(prefix)
    parser.finish()
    assert parser.complete and parser.error is None
    assert canon(parser.value()) == canon(json.loads(text))


@st.composite
def corrupted_texts(draw: st.DrawFn) -> str:
    text = draw(json_texts())
    pos = draw(st.integers(0, len(text)))
    how = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
    junk: str = draw(
        st.sampled_from([*'{}[]:,"\\ -+.0123eEtrufalsnx', "\x01", "\x0b", "\xa0", "\\u", "\\ud8"])
    )
    if how == "insert":
        return text[:pos] + junk + text[pos:]
    if how == "delete":
        return text[:pos] + text[pos + 1 :]
    if how == "replace":
        return text[:pos] + junk + text[pos + 1 :]
    return text[:pos]


@FAST
@given(corrupted_texts(), st.data())
def test_invalid_text_errors_at_the_first_bad_character(text: str, data: st.DataObject) -> None:
    parser = feed_all(text, split(data, text))
    parser.finish()
    try:
        expected = json.loads(text)
    except ValueError:
        pass
    else:
        assert parser.error is None and parser.complete
        assert canon(parser.value()) == canon(expected)
        return
    assert parser.error is not None and not parser.complete
    at = parser._error_at
    assert at is not None and f"at offset {at}" in parser.error
    assert viable(text[:at]), (text, at)
    if at < len(text):
        assert not viable(text[: at + 1]), (text, at)
    # The value is that of the valid text before the error point.
    assert canon(parser.value()) == canon(ref_value(text[:at]))
    assert parser.text() == text


@settings(max_examples=50, deadline=None)
@given(json_texts(), st.data())
def test_checkpoint_restore(text: str, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(text)))
    parser = feed_all(text[:cut])
    restored = PartialJSON.from_state(json.loads(json.dumps(parser.to_state())))
    assert canon(restored.value()) == canon(parser.value())
    assert restored.complete == parser.complete
    restored.feed(text[cut:])
    restored.finish()
    assert canon(restored.value()) == canon(json.loads(text))


# -- examples --------------------------------------------------------------------


def values_after_each(deltas: list[str]) -> list[Any]:
    parser = PartialJSON()
    out = []
    for delta in deltas:
        parser.feed(delta)
        out.append(copy.deepcopy(parser.value()))
    return out


def test_tool_call_arguments_stream() -> None:
    assert values_after_each(['{"ci', 'ty": "Par', 'is"}']) == [
        {},
        {"city": "Par"},
        {"city": "Paris"},
    ]


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("", None),
        ("  ", None),
        ("{", {}),
        ('{"a', {}),
        ('{"a"', {}),
        ('{"a":', {}),
        ('{"a": ', {}),
        ('{"a": "', {"a": ""}),
        ('{"a": "x\\', {"a": "x"}),
        ('{"a": "x\\u00', {"a": "x"}),
        ('{"a": "x\\u00e9', {"a": "xé"}),
        ('{"a": "\\ud83d', {"a": ""}),
        ('{"a": "\\ud83d\\', {"a": ""}),
        ('{"a": "\\ud83d\\ude0', {"a": ""}),
        ('{"a": "\\ud83d\\ude00', {"a": "\U0001f600"}),
        ('{"a": "\\ud83dx', {"a": "\ud83dx"}),
        ('{"a": "\\ud83d\\n', {"a": "\ud83d\n"}),
        ('{"a": [', {"a": []}),
        ('{"a": [1, {"b', {"a": [1, {}]}),
        ('{"a": t', {}),
        ('{"a": tru', {}),
        ('{"a": true', {"a": True}),
        ('{"a": n', {}),
        ('{"a": -', {}),
        ('{"a": 0', {"a": 0}),
        ('{"a": 12', {"a": 12}),
        ('{"a": 1.', {}),
        ('{"a": 1.5', {"a": 1.5}),
        ('{"a": 1.5e', {}),
        ('{"a": 1.5e-', {}),
        ('{"a": 1.5e-2', {"a": 0.015}),
        ('{"a": 1, ', {"a": 1}),
        ('{"a": 1, "b": ', {"a": 1}),
        ('{"a": 1, "a": ', {"a": 1}),
        ('{"a": 1, "a": 2', {"a": 2}),
        ('{"a": 1, "a": 2.', {"a": 1}),
        ("[", []),
        ("[1, ", [1]),
        ('["ab', ["ab"]),
        ("[[[", [[[]]]),
        ('"ab', "ab"),
        ("-", None),
        ("12", 12),
        ("tru", None),
        ("null", None),
    ],
)
def test_prefix_values(prefix: str, expected: Any) -> None:
    for deltas in ([prefix], list(prefix)):
        parser = PartialJSON()
        for delta in deltas:
            parser.feed(delta)
            parser.value()  # reads in between must not disturb parsing
        assert canon(parser.value()) == canon(expected)
        assert parser.error is None
    assert canon(ref_value(prefix)) == canon(expected)


def test_escape_and_surrogate_split_across_deltas() -> None:
    assert values_after_each(['"a\\', 'n"']) == ["a", "a\n"]
    assert values_after_each(['["\\ud8', "3d", "\\", "u", "de", "00", '"]']) == [
        [""],
        [""],
        [""],
        [""],
        [""],
        ["\U0001f600"],
        ["\U0001f600"],
    ]


def test_numbers_split_across_deltas() -> None:
    assert values_after_each(["[-", "1", "2.", "5e", "+", "3", "]"]) == [
        [],
        [-1],
        [],
        [],
        [],
        [-12500.0],
        [-12500.0],
    ]


def test_complete_and_finish() -> None:
    parser = feed_all("12")
    assert not parser.complete and parser.value() == 12
    parser.finish()
    assert parser.complete and parser.error is None and parser.value() == 12

    parser = feed_all("12 ")
    assert parser.complete

    parser = feed_all('{"a": 1}')
    assert parser.complete
    parser.feed("  \n")
    assert parser.complete
    parser.finish()
    parser.finish()  # idempotent
    assert parser.complete and parser.error is None

    for text, at in [("", 0), ("1.", 2), ('{"a": 1', 7), ('"ab', 3), ("tru", 3), ("-", 1)]:
        parser = feed_all(text)
        assert not parser.complete and parser.error is None
        parser.finish()
        assert not parser.complete
        assert parser.error is not None and f"at offset {at}" in parser.error, text
        assert parser._error_at == at

    parser = feed_all("true")
    assert parser.complete  # a literal is settled at its last letter


def test_feed_after_finish_is_an_error() -> None:
    parser = feed_all("[1]")
    parser.finish()
    parser.feed(" ")
    assert parser.error is not None and "after finish" in parser.error
    assert not parser.complete
    assert parser.value() == [1]


@pytest.mark.parametrize(
    ("text", "at", "expected"),
    [
        ('{"a" 1', 5, {}),
        ("}", 0, None),
        ("]", 0, None),
        ('{"a": 1}x', 8, {"a": 1}),
        ('{"a": 1} {', 9, {"a": 1}),
        ("1 2", 2, 1),
        ("[1 2]", 3, [1]),
        ("[1,]", 3, [1]),
        ('{"a": 1,}', 8, {"a": 1}),
        ("{1: 2}", 1, {}),
        ("[01]", 2, [0]),
        ("[-]", 2, []),
        ("[1.]", 3, []),
        ("[1.e5]", 3, []),
        ("[1e]", 3, []),
        ("[12-3]", 3, [12]),
        ("[tru]", 4, []),
        ("[trux]", 4, []),
        ("[nul l]", 4, []),
        ('["a\x01b"]', 3, ["a"]),
        ('["a\\x"]', 4, ["a"]),
        ('["a\\u12g4"]', 7, ["a"]),
        ('["\\ud83d\\u12"]', 12, [""]),
        ('{"a": [1, 2}', 11, {"a": [1, 2]}),
        ('{"a": "b"]', 9, {"a": "b"}),
        ("[NaN]", 1, []),
        ("[Infinity]", 1, []),
        ("\ufeff{}", 0, None),
        ("[1,\x0b2]", 3, [1]),
        ("[1,\xa02]", 3, [1]),
        ('{"a": "Par', None, {"a": "Par"}),
    ],
)
def test_invalid_inputs(text: str, at: int | None, expected: Any) -> None:
    # at=None: the text is a valid prefix, and finish() reports the unexpected end.
    error_at = len(text) if at is None else at
    assert canon(ref_value(text[:error_at])) == canon(expected)
    for deltas in ([text], list(text)):
        parser = feed_all(text, deltas)
        if at is None:
            assert parser.error is None
            parser.finish()
        assert parser.error is not None and not parser.complete
        assert parser._error_at == error_at, parser.error
        assert canon(parser.value()) == canon(expected)
        # Nothing more is parsed, but the text is still recorded.
        parser.feed("[1]")
        assert canon(parser.value()) == canon(expected)
        assert parser.text() == text + "[1]"


def test_number_too_long_for_int_is_an_error() -> None:
    digits = "1" * (sys.get_int_max_str_digits() + 10)
    parser = feed_all(f"[{digits}]")
    assert parser.error is not None and "too long" in parser.error
    assert parser.value() == []


def test_value_is_cached_and_reads_do_not_disturb_parsing() -> None:
    parser = PartialJSON()
    parser.feed('{"a": [1, "xy')
    first = parser.value()
    assert parser.value() is first
    assert first == {"a": [1, "xy"]}
    parser.feed('z"], "b": 2')
    # The live object is updated in place (the parser's own); the pending "xy" was replaced.
    assert parser.value() is first
    assert first == {"a": [1, "xyz"], "b": 2}
    parser.feed("}")
    assert parser.value() == {"a": [1, "xyz"], "b": 2}


def test_checkpoint_after_finish_and_after_error() -> None:
    parser = feed_all("[1]")
    parser.finish()
    parser.feed("x")
    restored = PartialJSON.from_state(parser.to_state())
    assert restored.error == parser.error and restored.value() == [1]

    parser = feed_all('{"a": 1}}')
    restored = PartialJSON.from_state(parser.to_state())
    assert restored.error == parser.error and restored.value() == {"a": 1}

    with pytest.raises(ValueError, match="version"):
        PartialJSON.from_state({"version": 99, "text": ""})


# -- linearity (counted work, not timing) ---------------------------------------


def test_linear_for_many_small_members_reading_after_every_delta() -> None:
    items = [{"id": i, "name": f"n{i % 97}", "ok": i % 2 == 0, "w": i / 8} for i in range(4500)]
    text = json.dumps({"items": items, "note": "é\\\n"})
    n = len(text)
    assert n > 200_000
    parser = PartialJSON()
    for c in text:
        parser.feed(c)
        parser.value()
    assert parser.complete and parser.value() == json.loads(text)
    assert parser._scanned <= 3 * n
    # Each read materializes only the pending scalar (here at most ~7 characters).
    assert parser._materialized <= 8 * n


def test_linear_for_one_long_string() -> None:
    body = ('Paris é 中 \U0001f600 \\ " \n ' * 8000)[:200_000]
    text = json.dumps({"text": body, "n": 1})
    n = len(text)
    parser = PartialJSON()
    reads = 0
    for i, c in enumerate(text):
        parser.feed(c)
        if i % 1000 == 0:
            parser.value()
            reads += 1
    assert parser.value() == {"text": body, "n": 1}
    assert parser._scanned <= 3 * n
    # A read copies the pending string once (Python strings are immutable), and nothing more.
    assert parser._materialized <= (reads + 1) * n


def test_long_string_pending_value_is_joined_incrementally() -> None:
    parser = PartialJSON()
    parser.feed('{"t": "')
    for _ in range(100):
        parser.feed("abcdefghij" * 10)
        value = parser.value()
    assert value == {"t": "abcdefghij" * 1000}
    parser.feed('"}')
    assert parser.value() == {"t": "abcdefghij" * 1000}
    assert parser.complete


def traced_lines(texts: list[str]) -> int:
    """Lines of the parser's Python code executed feeding ``texts`` one character at a
    time and reading ``value()`` after every character."""
    count = 0
    module_file = _partial_json.__file__

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        count += 1
        return local

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == module_file else None

    sys.settrace(tracer)
    try:
        for text in texts:
            parser = PartialJSON()
            for c in text:
                parser.feed(c)
                parser.value()
    finally:
        sys.settrace(None)
    return count


def test_python_work_scales_linearly() -> None:
    # Catches Python-level rescans (of the text, the stack or a container) that the
    # character counters would not see: twice the input must cost about twice the lines.
    def text(n: int) -> str:
        members = {f"k{i}": [i, f"v{i}", {"x": i / 4, "y": [True, None]}] for i in range(n)}
        return json.dumps({"data": members, "s": "é\\n" * n}, indent=1)

    small, large = text(150), text(300)
    assert 1.9 < len(large) / len(small) < 2.1
    ratio = traced_lines([large]) / traced_lines([small])
    assert ratio < 2.15, ratio

"""The ``streamkit`` command line: every command on every shared recording, checked
against the library; stdin and pipes; exit codes; help; colour, progress and pacing."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
import pytest
from helpers import recording_params, recording_paths

import streamkit
from streamkit import cli
from streamkit.cli import COMMANDS as COMMAND_REGISTRY
from streamkit.cli import _common, _demo, _replay, build_parser
from streamkit.events import (
    ChatCompletionChunk,
    CompletionChunk,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseTextDeltaEvent,
    StreamErrorEvent,
)
from streamkit.events.messages import (
    ContentBlockDeltaEvent,
    InputJSONDelta,
    TextDelta,
    ThinkingDelta,
)
from streamkit.testing import DEMO_STREAMS, demo_stream, responses_stream

PATHS = recording_paths()
MESSAGES_PATHS = recording_paths("messages")
COMMANDS = ["events", "reduce", "text", "stats", "frames", "replay", "demo"]

# The documented verdict -> exit code table, restated independently of the CLI.
VERDICT_CODES = {
    "completed": 0,
    "incomplete": 3,
    "failed": 4,
    "errored": 4,
    "truncated": 5,
    "unterminated": 5,
}


@pytest.fixture(autouse=True)
def _plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def type_name(event: Any) -> str:
    """Event type names as the CLI documents them, derived here from the payloads."""
    if isinstance(event, streamkit.events.UnknownEvent):
        return event.type
    if isinstance(event, streamkit.events.Done):
        return "[DONE]"
    if isinstance(event, StreamErrorEvent):
        return "error"
    if isinstance(event, ChatCompletionChunk):
        return "chat.completion.chunk"
    if isinstance(event, CompletionChunk):
        return "text_completion"
    return str(msgspec.to_builtins(event)["type"])


def expected_text(path: Path | bytes) -> str:
    events = list(streamkit.iter_events(path, errors="yield"))
    if any(isinstance(e, ContentBlockDeltaEvent) for e in events):
        return expected_messages_text(events)
    text = streamkit.TextReducer().run(events)
    return text + "\n" if text and not text.endswith("\n") else text


def expected_messages_text(events: list[Any]) -> str:
    """What ``text`` prints of a Messages stream: the text deltas, and each run of
    thinking set apart by a "(thinking)" line before it and a blank line around."""
    out = ""
    kind = None
    for event in events:
        if not isinstance(event, ContentBlockDeltaEvent):
            continue
        delta = event.delta
        if isinstance(delta, TextDelta) and delta.text:
            if kind == "thinking":
                out += "\n" if out.endswith("\n") else "\n\n"
            out, kind = out + delta.text, "text"
        elif isinstance(delta, ThinkingDelta) and delta.thinking:
            if kind != "thinking":
                if out:
                    out += "\n" if out.endswith("\n") else "\n\n"
                out += "(thinking)\n"
            out, kind = out + delta.thinking, "thinking"
    return out + "\n" if out and not out.endswith("\n") else out


def split_lines(out: str) -> list[str]:
    """Output lines (only LF ends a line: str.splitlines also splits on U+2028...)."""
    assert out == "" or out.endswith("\n")
    return out.split("\n")[:-1]


def cut(data: bytes, at: int) -> bytes:
    """The first ``at`` bytes of a stream, cut inside an event."""
    return data[:at]


# --------------------------------------------------------------------------- #
# Every command on every recording
# --------------------------------------------------------------------------- #

needs_recordings = pytest.mark.recordings


@needs_recordings
@pytest.mark.parametrize("path", recording_params(PATHS))
def test_events_match_library(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = list(streamkit.iter_events(path, errors="yield"))
    code, out, err = run_cli(capsys, "events", str(path))
    lines = split_lines(out)
    assert len(lines) == len(events)
    for line, event in zip(lines, events, strict=True):
        if isinstance(event, streamkit.events.UnknownEvent):
            assert json.loads(line) == json.loads(event.raw)
        elif isinstance(event, streamkit.events.Done):
            assert json.loads(line) == {"type": "[DONE]"}
        else:
            assert msgspec.json.decode(line, type=type(event)) == event
    has_error = any(
        isinstance(e, ResponseErrorEvent | ResponseFailedEvent | StreamErrorEvent) for e in events
    )
    assert code == (4 if has_error else 0)
    assert err == ""


@needs_recordings
@pytest.mark.parametrize("path", recording_params(PATHS))
def test_reduce_matches_library(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    final = streamkit.reduce(path)
    assert final.verdict is not None
    code, out, err = run_cli(capsys, "reduce", str(path))
    assert out.encode() == msgspec.json.encode(final) + b"\n"
    assert code == VERDICT_CODES[final.verdict.status]
    assert (err == "") == (final.verdict.status == "completed")


@needs_recordings
@pytest.mark.parametrize("path", recording_params(PATHS))
def test_reduce_verify_on_recordings(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reducer = streamkit.ResponseReducer(verify=True, sequence_policy="ignore")
    final = streamkit.reduce(path)
    assert final.verdict is not None
    if path.parent.name == "responses":
        reducer.run(streamkit.iter_events(path, errors="yield"))
    code, out, err = run_cli(capsys, "reduce", "--verify", str(path))
    assert out.encode() == msgspec.json.encode(final) + b"\n"
    assert code == (6 if reducer.divergences else VERDICT_CODES[final.verdict.status])
    assert "divergence" not in err or reducer.divergences
    if path.parent.name == "chat":
        assert "compares Responses streams only" in err


@needs_recordings
@pytest.mark.parametrize("path", recording_params(PATHS))
def test_text_matches_output_text(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    final = streamkit.reduce(path)
    assert final.verdict is not None
    code, out, _ = run_cli(capsys, "text", str(path))
    assert out == expected_text(path)
    assert code == VERDICT_CODES[final.verdict.status]


@needs_recordings
@pytest.mark.parametrize("path", recording_params(PATHS))
def test_stats_json_matches_library(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = list(streamkit.iter_events(path, errors="yield"))
    final = streamkit.reduce(path)
    assert final.verdict is not None
    code, out, err = run_cli(capsys, "stats", "--json", str(path))
    assert code == 0 and err == ""
    (record,) = json.loads(out)
    assert record["file"] == str(path)
    assert record["api"] == path.parent.name
    assert record["bytes"] == path.stat().st_size
    assert record["events"] == len(events)
    assert record["events_by_type"] == dict(Counter(type_name(e) for e in events))
    assert record["verdict"]["status"] == final.verdict.status
    assert record["verdict"]["reason"] == final.verdict.reason
    assert record["verdict"]["last_sequence_number"] == final.verdict.last_sequence_number
    usage = final.usage
    assert record["usage"] == (
        None if usage is None or usage is msgspec.UNSET else msgspec.to_builtins(usage)
    )
    assert record["integrity"] == [] and record["sequence_issues"] == []
    assert record["error"] is None


@needs_recordings
@pytest.mark.parametrize("path", recording_params(PATHS))
def test_frames_match_library(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frames = list(streamkit.io.iter_frames(path))
    code, out, err = run_cli(capsys, "frames", str(path))
    records = [json.loads(line) for line in split_lines(out)]
    assert code == 0 and err == ""
    assert [r["index"] for r in records] == list(range(len(frames)))
    assert [(r["event"], r["data"]) for r in records] == [(f.event, f.text) for f in frames]


@needs_recordings
def test_stats_table_of_all_recordings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "stats", *map(str, PATHS))
    assert code == 0 and err == ""
    assert "\x1b[" not in out  # not a terminal: no colour
    summary, by_type = out.split("\n\n")
    lines = summary.splitlines()
    assert lines[0].split() == [
        *("FILE", "API", "BYTES", "EVENTS", "VERDICT", "IN", "OUT", "TOTAL", "INTEGRITY")
    ]
    assert len(lines) == 1 + len(PATHS)
    # Aligned: the API column starts at the same offset on every line.
    offsets = {line.index(" responses ") if " responses " in line else None for line in lines}
    offsets.discard(None)
    assert len(offsets) == 1
    assert by_type.splitlines()[0].split() == ["FILE", "EVENT", "TYPE", "COUNT"]
    statuses = Counter(line.split()[4] for line in lines[1:])
    expected = Counter(v.status for p in PATHS if (v := streamkit.reduce(p).verdict) is not None)
    assert statuses == expected


# --------------------------------------------------------------------------- #
# Demo streams and their commands; @NAME
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("name", sorted(DEMO_STREAMS))
def test_demo_streams_through_every_command(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"{name}.sse"
    path.write_bytes(demo_stream(name))
    final = streamkit.reduce(path)
    assert final.verdict is not None and final.verdict.ok
    assert run_cli(capsys, "reduce", str(path))[1].encode() == msgspec.json.encode(final) + b"\n"
    assert run_cli(capsys, "text", str(path))[1] == expected_text(path)
    assert run_cli(capsys, "events", str(path))[0] == 0
    assert run_cli(capsys, "frames", str(path))[0] == 0


@pytest.mark.parametrize("command", ["events", "reduce", "text", "frames"])
@pytest.mark.parametrize("name", sorted(DEMO_STREAMS))
def test_at_name_reads_a_demo_stream(
    name: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"{name}.sse"
    path.write_bytes(demo_stream(name))
    named = run_cli(capsys, command, f"@{name}")
    assert named[0] == 0 and (named[1] or command == "text")  # a refusal has no text
    assert named == run_cli(capsys, command, str(path))


def test_at_name_in_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tools.sse"
    path.write_bytes(demo_stream("chat-tools"))
    code, out, _ = run_cli(capsys, "stats", "--json", "@chat-tools", str(path))
    named, from_file = json.loads(out)
    assert code == 0 and named["file"] == "@chat-tools"
    assert {**named, "file": ""} == {**from_file, "file": ""}


@pytest.mark.parametrize("command", ["events", "reduce", "text", "stats", "frames"])
def test_unknown_at_name_is_a_usage_error(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, command, "@nope")
    assert code == cli.EXIT_USAGE and out == ""
    assert err.startswith("streamkit: no demo stream named @nope; the demo streams are: @")
    assert all(f"@{name}" in err for name in DEMO_STREAMS)


def test_a_file_whose_name_starts_with_at_is_read_by_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    data = demo_stream("chat-tools")
    (tmp_path / "@chat-text").write_bytes(data)
    code, out, _ = run_cli(capsys, "reduce", "./@chat-text")
    assert code == 0 and out.encode() == msgspec.json.encode(streamkit.reduce(data)) + b"\n"
    assert run_cli(capsys, "reduce", "@chat-text")[1] != out


def test_replay_serves_demo_streams_by_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served: list[Any] = []
    monkeypatch.setattr(_replay, "serve", lambda app, *args, **kwargs: served.append(app))
    code, _, err = run_cli(capsys, "replay", "@chat-text", "@responses-tools", "--port", "0")
    assert code == 0 and "replaying chat-text, responses-tools" in err
    (app,) = served
    assert [(r.name, r.raw) for r in app.catalog] == [
        ("chat-text", demo_stream("chat-text")),
        ("responses-tools", demo_stream("responses-tools")),
    ]
    code, _, err = run_cli(capsys, "replay", "@nope")
    assert code == cli.EXIT_USAGE and "no demo stream named @nope" in err
    assert len(served) == 1


# --------------------------------------------------------------------------- #
# events options
# --------------------------------------------------------------------------- #


def test_events_types_filter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.sse"
    path.write_bytes(demo_stream("responses-tools"))
    wanted = {"response.output_text.delta", "response.completed"}
    code, out, _ = run_cli(capsys, "events", "--types", ",".join(sorted(wanted)), str(path))
    types = [json.loads(line)["type"] for line in split_lines(out)]
    expected = [type_name(e) for e in streamkit.iter_events(path) if type_name(e) in wanted]
    assert code == 0 and types == expected and set(types) == wanted


def test_events_unknown_and_done(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    first = demo_stream("responses-text").split(b"\n\n")[0] + b"\n\n"
    body = first + b'data: {"type":"response.future_thing",\ndata: "x": 1}\n\n'
    path = tmp_path / "u.sse"
    path.write_bytes(body)
    code, out, _ = run_cli(capsys, "events", str(path))
    lines = split_lines(out)
    assert code == 0 and len(lines) == 2
    # The unknown event's payload, kept on one line.
    assert json.loads(lines[1]) == {"type": "response.future_thing", "x": 1}

    chat = tmp_path / "c.sse"
    chat.write_bytes(demo_stream("chat-text"))
    code, out, _ = run_cli(capsys, "events", "--types", "[DONE]", str(chat))
    assert code == 0 and out == '{"type":"[DONE]"}\n'


def test_events_api_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.sse"
    path.write_bytes(demo_stream("responses-text"))
    code, out, _ = run_cli(capsys, "events", "--api", "responses", str(path))
    assert code == 0 and len(split_lines(out)) == len(list(streamkit.iter_events(path)))
    code, _, err = run_cli(capsys, "events", "--api", "chat", str(path))
    assert code == cli.EXIT_STREAM_ERROR
    assert err.startswith("streamkit: ") and "event #0" in err


# --------------------------------------------------------------------------- #
# stdin and pipes
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("wrap", [True, False], ids=["text-stdin", "binary-stdin"])
def test_stdin(wrap: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    data = demo_stream("chat-tools")

    def stdin() -> Any:
        raw = io.BytesIO(data)
        return io.TextIOWrapper(raw) if wrap else raw

    monkeypatch.setattr(sys, "stdin", stdin())
    code, out, _ = run_cli(capsys, "reduce", "-")
    assert code == 0 and out.encode() == msgspec.json.encode(streamkit.reduce(data)) + b"\n"
    monkeypatch.setattr(sys, "stdin", stdin())
    code, out, _ = run_cli(capsys, "events", "-")
    assert code == 0 and len(split_lines(out)) == len(list(streamkit.iter_events(data)))
    monkeypatch.setattr(sys, "stdin", stdin())
    code, out, _ = run_cli(capsys, "stats", "--json", "-")
    assert code == 0 and json.loads(out)[0]["file"] == "<stdin>"


def _streamkit(*args: str) -> list[str]:
    return [sys.executable, "-m", "streamkit.cli", *args]


def test_pipe_to_head_is_quiet(tmp_path: Path) -> None:
    # Far more output than a pipe buffer holds, so the writer meets the closed pipe.
    big = tmp_path / "big.sse"
    big.write_bytes(demo_stream("responses-text") * 8)
    with big.open("rb") as stdin:
        producer = subprocess.Popen(
            _streamkit("events", "-"), stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert producer.stdout is not None
        head = subprocess.run(
            ["head", "-n", "1"], stdin=producer.stdout, capture_output=True, check=True
        )
        producer.stdout.close()
        _, err = producer.communicate(timeout=60)
    first = json.loads(head.stdout)
    assert first["type"] == "response.created"
    assert err == b""
    assert producer.returncode == 0


def test_pipe_output_matches_in_process(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    path = tmp_path / "s.sse"
    path.write_bytes(demo_stream("responses-tools"))
    done = subprocess.run(
        _streamkit("text", "-"), input=path.read_bytes(), capture_output=True, check=False
    )
    assert done.returncode == 0 and done.stderr == b""
    assert done.stdout.decode() == run_cli(capsys, "text", str(path))[1]


# --------------------------------------------------------------------------- #
# Exit codes
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("command", ["events", "reduce", "text", "stats", "frames"])
def test_missing_file(command: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "missing.sse"
    code, out, err = run_cli(capsys, command, str(missing))
    assert code == cli.EXIT_USAGE == 2
    assert out == ""
    assert err == f"streamkit: cannot open {missing}: No such file or directory\n"


def test_stats_goes_on_after_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.sse"
    good.write_bytes(demo_stream("chat-text"))
    code, out, err = run_cli(capsys, "stats", "--json", str(tmp_path / "nope.sse"), str(good))
    assert code == 2 and "cannot open" in err
    assert [r["file"] for r in json.loads(out)] == [str(good)]


def corrupt(data: bytes) -> bytes:
    """The stream with its third payload replaced by invalid JSON."""
    frames = data.split(b"\n\n")
    frames[2] = b'data: {"type": "response.output_text.delta", "delta": oops'
    return b"\n\n".join(frames)


@pytest.mark.parametrize("command", ["events", "reduce", "text"])
def test_corrupt_stream(command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.sse"
    path.write_bytes(corrupt(demo_stream("responses-text")))
    code, out, err = run_cli(capsys, command, str(path))
    assert code == cli.EXIT_STREAM_ERROR == 1
    assert err.startswith("streamkit: event #2")
    assert "invalid JSON" in err
    if command == "events":  # the events before the error were printed
        assert len(split_lines(out)) == 2
    if command == "reduce":  # and the object reduced before it
        assert json.loads(out)["id"].startswith("resp_")


def test_corrupt_stream_in_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.sse"
    path.write_bytes(corrupt(demo_stream("responses-text")))
    code, out, err = run_cli(capsys, "stats", "--json", str(path))
    assert code == 1 and "event #2" in err
    (record,) = json.loads(out)
    assert record["events"] == 2 and "invalid JSON" in record["error"]
    code, out, _ = run_cli(capsys, "stats", str(path))
    assert code == 1 and " error " in split_lines(out)[1]


@pytest.mark.parametrize("name", ["responses-text", "chat-text"])
@pytest.mark.parametrize("command", ["reduce", "text"])
def test_truncated_stream(
    name: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = demo_stream(name)
    path = tmp_path / "cut.sse"
    path.write_bytes(cut(data, len(data) // 2))
    assert streamkit.reduce(path).verdict == streamkit.reduce(cut(data, len(data) // 2)).verdict
    code, out, err = run_cli(capsys, command, str(path))
    assert code == cli.EXIT_TRUNCATED == 5
    assert "stream truncated" in err
    if command == "text":
        assert out == expected_text(path) and out


def test_frames_truncated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cut.sse"
    path.write_bytes(demo_stream("chat-text")[:-5])
    code, out, err = run_cli(capsys, "frames", str(path))
    assert code == 5 and "truncated" in err and out


def test_verify_divergence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # One delta changed: the text built from the deltas no longer matches the
    # server's output_text.done / output_item.done / response.completed.
    events = list(streamkit.iter_events(demo_stream("responses-tools")))
    at = next(i for i, e in enumerate(events) if isinstance(e, ResponseTextDeltaEvent))
    delta: Any = events[at]
    events[at] = msgspec.structs.replace(delta, delta=delta.delta + "!")
    path = tmp_path / "diverged.sse"
    path.write_bytes(b"".join(streamkit.encode_events(events)))
    code, out, err = run_cli(capsys, "reduce", "--verify", str(path))
    assert code == cli.EXIT_DIVERGED == 6
    assert f"streamkit: divergence at output[{delta.output_index}].content[0].text" in err
    assert json.loads(out)["status"] == "completed"
    # Without --verify the same stream is simply completed.
    assert run_cli(capsys, "reduce", str(path))[0] == 0


def test_incomplete_and_api_error_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert cli.EXIT_INCOMPLETE == 3 and cli.EXIT_API_ERROR == 4
    data = demo_stream("chat-text").replace(b'"finish_reason":"stop"', b'"finish_reason":"length"')
    path = tmp_path / "length.sse"
    path.write_bytes(data)
    code, _, err = run_cli(capsys, "reduce", str(path))
    assert code == 3 and "incomplete: length" in err
    error = tmp_path / "error.sse"
    error.write_bytes(b'data: {"error": {"message": "overloaded", "code": "busy"}}\n\n')
    code, _, err = run_cli(capsys, "reduce", str(error))
    assert code == 4 and "overloaded (code='busy')" in err
    code, out, _ = run_cli(capsys, "events", str(error))
    assert code == 4 and json.loads(out)["error"]["message"] == "overloaded"


@pytest.mark.parametrize(
    "args",
    [[], ["reduce"], ["nope"], ["events", "--api", "bogus", "x"], ["text", "--rate", "0", "x"]],
    ids=["no-command", "no-file", "unknown-command", "bad-api", "bad-rate"],
)
def test_usage_errors(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, *args)
    assert code == 2 and out == "" and "usage: streamkit" in err


# --------------------------------------------------------------------------- #
# Help, the parser, the demo
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help(command: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--help"] if command is None else [command, "--help"]
    code, out, _ = run_cli(capsys, *args)
    assert code == 0
    assert out.startswith("usage: streamkit")
    # The table once, in the main help; a command's help points there.
    for number, meaning in cli.EXIT_CODES.items():
        assert (f"{number:>3}  {meaning}" in out) == (command is None)
    if command is not None:
        assert out.rstrip().endswith("exit codes: see streamkit --help")
    if command is None:
        for name in COMMANDS:
            assert name in out


def test_exit_codes_documented_in_module_docstring() -> None:
    doc = cli.__doc__ or ""
    for name in cli.__all__:
        if name.startswith("EXIT_") and name != "EXIT_CODES":
            value = getattr(cli, name)
            assert f"{value:>3}  ``{name}``" in doc, name
    assert len(set(cli.EXIT_CODES)) == len(cli.EXIT_CODES) == 10


def test_a_command_is_one_register_function(capsys: pytest.CaptureFixture[str]) -> None:
    def add_hello(sub: Any) -> None:
        parser = sub.add_parser("hello", help="say hello")
        parser.set_defaults(run=lambda args: 7)

    parser = build_parser([*COMMAND_REGISTRY, add_hello])
    args = parser.parse_args(["hello"])
    assert args.run(args) == 7
    assert "hello" in parser.format_help()
    # The default parser is unchanged.
    assert "hello" not in build_parser().format_help()


def shown_pieces(data: bytes) -> list[str]:
    """What the demo shows of a stream as it arrives: text, reasoning summary,
    refusal and tool call pieces (Responses, or choice 0 of a Chat stream)."""
    pieces = []
    for event in streamkit.iter_events(data):
        if isinstance(event, ContentBlockDeltaEvent):
            delta: Any = event.delta
            if isinstance(delta, TextDelta | ThinkingDelta | InputJSONDelta):
                pieces.append(getattr(delta, "text", None) or getattr(delta, "thinking", None))
                if isinstance(delta, InputJSONDelta):
                    pieces[-1] = delta.partial_json
        elif isinstance(event, ChatCompletionChunk):
            for choice in event.choices:
                delta: Any = choice.delta
                calls = delta.tool_calls or []
                pieces += [p for p in (delta.content, delta.refusal) if isinstance(p, str)]
                pieces += [c.function.arguments for c in calls if c.function.arguments]
        elif isinstance(getattr(event, "delta", None), str):
            pieces.append(event.delta)  # type: ignore[union-attr]
    return [p for p in pieces if p]


@pytest.mark.parametrize("name", sorted(DEMO_STREAMS))
def test_demo(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    data = demo_stream(name)
    final = streamkit.reduce(data)
    args = ["demo"] if name == "responses-text" else ["demo", "--stream", name]
    code, out, err = run_cli(capsys, *args)
    assert code == 0 and err == ""
    assert out.startswith(f"streamkit demo: @{name} ({DEMO_STREAMS[name]})\n{len(data):,} bytes")
    # Everything a user would see arrive, in order.
    text = streamkit.TextReducer().run(streamkit.iter_events(data))
    assert text in out
    calls = streamkit.ToolCallsReducer().run(streamkit.iter_events(data))
    for call in calls:
        assert f"tool call: {call.name}({call.arguments})\n" in out
    output = final.output if isinstance(final, streamkit.Response) else []
    summaries = [part.text for item in output for part in getattr(item, "summary", [])]
    if summaries:
        assert "(reasoning summary)\n" + "\n\n".join(summaries) + "\n\n" in out
    if "refusal" in name:
        assert "refusal: I" in out
    assert text or calls or "refusal" in name
    assert f"id {final.id}" in " ".join(out.split())
    assert "Final object" in out and "Events by type" in out and "usage" in out
    total = next(line for line in split_lines(out) if line.split()[:1] == ["total"])
    assert total.split()[1] == str(len(list(streamkit.iter_events(data))))
    assert "MB/s" in out and "events/s" in out
    assert "\x1b[" not in out


def test_demo_usage_row(capsys: pytest.CaptureFixture[str]) -> None:
    final = streamkit.reduce(demo_stream("responses-reasoning"))
    usage: Any = final.usage
    code, out, _ = run_cli(capsys, "demo", "--stream", "responses-reasoning")
    row = next(line for line in split_lines(out) if line.split()[:1] == ["usage"])
    assert code == 0 and row.split(None, 1)[1] == (
        f"{usage.input_tokens:,} input ({usage.input_tokens_details.cached_tokens:,} cached) "
        f"+ {usage.output_tokens:,} output "
        f"({usage.output_tokens_details.reasoning_tokens:,} reasoning) "
        f"= {usage.total_tokens:,} tokens"
    )


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Sleeps recorded instead of slept, on a clock only sleeping moves."""
    clock = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(_common.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(_common.time, "sleep", sleep)
    return sleeps


@pytest.mark.parametrize("name", sorted(DEMO_STREAMS))
def test_demo_live_is_paced_token_by_token(
    name: str, fake_clock: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "demo", "--live", "--stream", name)[0] == 0
    pieces = shown_pieces(demo_stream(name))
    # A wait for the first token, then each further piece at the token rate.
    assert fake_clock[0] == _demo.FIRST_TOKEN_SECONDS
    assert len(fake_clock) == len(pieces)
    rate = _demo.TOKENS_PER_SECOND
    assert fake_clock[1:] == pytest.approx([1 / rate] * (len(pieces) - 1))


def test_demo_is_live_only_on_a_terminal(
    fake_clock: list[float], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "demo")[0] == 0  # stdout is not a terminal
    assert fake_clock == []
    tty = FakeTTY()
    monkeypatch.setattr(sys, "stdout", tty)
    assert cli.main(["demo", "--no-live"]) == 0
    assert fake_clock == []
    assert cli.main(["demo"]) == 0
    assert len(fake_clock) == len(shown_pieces(demo_stream("responses-text")))
    assert "\x1b[" in tty.getvalue()


# --------------------------------------------------------------------------- #
# text --live, pacing, colour, progress
# --------------------------------------------------------------------------- #


def test_text_live(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.sse"
    path.write_bytes(demo_stream("chat-text"))
    code, out, _ = run_cli(capsys, "text", "--live", "--rate", "100000", str(path))
    assert code == 0 and out == expected_text(path)


def test_pacer_sleeps_until_each_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(_common.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(_common.time, "sleep", sleep)
    pacer = _common.Pacer(4.0)
    pacer.wait()  # the first event is due at once
    clock[0] += 0.1  # printing took 0.1 s: the next sleep is shorter, not later
    pacer.wait()
    pacer.wait()
    clock[0] += 1.0  # running late: no sleep at all
    pacer.wait()
    assert sleeps == pytest.approx([0.15, 0.25])
    with pytest.raises(ValueError):
        _common.Pacer(0)


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "s.sse"
    path.write_bytes(demo_stream("chat-text"))
    tty = FakeTTY()
    monkeypatch.setattr(sys, "stdout", tty)
    assert cli.main(["stats", str(path)]) == 0
    assert "\x1b[32mcompleted\x1b[0m" in tty.getvalue()
    # Colour does not disturb the alignment: the cells line up as without it.
    plain = FakeTTY()
    monkeypatch.setattr(sys, "stdout", plain)
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.main(["stats", str(path)]) == 0
    assert "\x1b[" not in plain.getvalue()
    stripped = tty.getvalue().replace("\x1b[32m", "").replace("\x1b[1m", "").replace("\x1b[0m", "")
    assert stripped == plain.getvalue()


def test_progress_only_when_stderr_is_a_terminal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.sse"
    path.write_bytes(responses_stream(text_words=400))  # more than one read
    monkeypatch.setattr(_common, "PROGRESS_THRESHOLD", 10)  # any input counts as long
    code, _, err = run_cli(capsys, "reduce", str(path))
    assert code == 0 and err == ""  # stderr is not a terminal
    tty = FakeTTY()
    monkeypatch.setattr(sys, "stderr", tty)
    code = cli.main(["reduce", str(path)])
    capsys.readouterr()
    assert code == 0
    shown = tty.getvalue()
    size, first = path.stat().st_size, _common._CHUNK
    assert first < size
    mib = 1024 * 1024
    expected = f"{first / mib:.1f} / {size / mib:.1f} MiB ({100 * first // size}%)"
    assert f"\rstreamkit: reading {path}: {expected}" in shown
    assert shown.endswith("\r\x1b[K")  # erased at the end


def test_broken_pipe_in_process_is_quiet(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "s.sse"
    path.write_bytes(demo_stream("chat-text"))

    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError

    monkeypatch.setattr(sys, "stdout", Closed())
    assert cli.main(["text", str(path)]) == 0
    assert capsys.readouterr().err == ""


def test_integrity_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A stream sent twice: every sequence_number of the second copy is a duplicate.
    data = demo_stream("responses-reasoning") * 2
    path = tmp_path / "twice.sse"
    path.write_bytes(data)
    reducer = streamkit.ResponseReducer(sequence_policy="ignore")
    reducer.run(streamkit.iter_events(data))
    issues = [msgspec.to_builtins(i) for i in reducer.sequence_issues]
    assert len(issues) > 5 and {i["kind"] for i in issues} == {"duplicate"}

    code, out, err = run_cli(capsys, "stats", "--json", str(path))
    (record,) = json.loads(out)
    assert code == 0 and record["sequence_issues"] == issues
    assert len(record["integrity"]) == len(issues)
    assert record["integrity"][0].startswith(f"event #{issues[0]['index']}: sequence_number")

    code, out, err = run_cli(capsys, "stats", str(path))
    assert f"{len(issues)} duplicates" in split_lines(out)[1]

    code, _, err = run_cli(capsys, "reduce", str(path))
    warnings = split_lines(err)
    assert len(warnings) == 6  # the first five, then how many more
    assert warnings[0].startswith("streamkit: warning: event #")
    assert f"{len(issues) - 5} more integrity findings" in warnings[5]


# --------------------------------------------------------------------------- #
# Anthropic Messages recordings
# --------------------------------------------------------------------------- #


@needs_recordings
@pytest.mark.parametrize("path", recording_params(MESSAGES_PATHS))
def test_messages_recording_through_every_command(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    final = streamkit.reduce(path)
    assert isinstance(final, streamkit.Message) and final.verdict is not None
    code = VERDICT_CODES[final.verdict.status]
    for api in ("auto", "messages"):
        events = list(streamkit.iter_events(path, "messages", errors="yield"))
        got, out, _ = run_cli(capsys, "events", "--api", api, str(path))
        assert got == 0
        assert [json.loads(line)["type"] for line in split_lines(out)] == [
            json.loads(msgspec.json.encode(e))["type"] for e in events
        ]
        got, out, _ = run_cli(capsys, "reduce", "--api", api, str(path))
        printed = json.loads(out)
        assert got == code
        assert printed["id"] == final.id and len(printed["content"]) == len(final.content)
        # Blocks are printed as the API sends them, whatever streamkit knows of them.
        assert all(not block["type"].startswith("streamkit.") for block in printed["content"])
        got, out, _ = run_cli(capsys, "text", "--api", api, str(path))
        assert got == code and out == expected_text(path)
    got, out, _ = run_cli(capsys, "stats", "--json", str(path))
    [record] = json.loads(out)
    assert got == 0 and record["api"] == "messages"
    assert record["verdict"]["status"] == final.verdict.status
    assert record["usage"] == msgspec.to_builtins(final.usage)


@needs_recordings
def test_messages_text_shows_thinking_apart(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    [path] = [p for p in MESSAGES_PATHS if p.name == "prism__thinking__1.sse"] or [None]
    assert path is not None, "no thinking recording"
    final = streamkit.reduce(path)
    assert isinstance(final, streamkit.Message)
    thinking, text = (getattr(b, "thinking", None) or getattr(b, "text", "") for b in final.content)
    code, out, _ = run_cli(capsys, "text", str(path))
    assert code == 0
    assert out == f"(thinking)\n{thinking}\n\n{text}\n"
    # Dimmed on a terminal, the text itself not.
    tty = FakeTTY()
    monkeypatch.setattr(sys, "stdout", tty)
    assert cli.main(["text", str(path)]) == 0
    shown = tty.getvalue()
    assert "\x1b[2m(thinking)\x1b[0m\n" in shown and text in shown


@needs_recordings
def test_messages_stats_count_cached_prompt_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    [path] = [p for p in MESSAGES_PATHS if p.name == "ruby_llm__cache-usage__1.sse"] or [None]
    assert path is not None, "no cache usage recording"
    code, out, _ = run_cli(capsys, "stats", "--json", str(path))
    [record] = json.loads(out)
    usage = record["usage"]
    assert code == 0
    assert usage["cache_read_input_tokens"] > 0 and usage["cache_creation_input_tokens"] > 0
    assert usage["cache_creation"]["ephemeral_5m_input_tokens"] > 0
    prompt = (
        usage["input_tokens"]
        + usage["cache_read_input_tokens"]
        + usage["cache_creation_input_tokens"]
    )
    code, out, _ = run_cli(capsys, "stats", str(path))
    header, row = split_lines(out)[:2]
    cells = dict(zip(header.split(), row.split(), strict=True))
    assert cells["IN"] == f"{prompt:,}" and cells["OUT"] == f"{usage['output_tokens']:,}"
    assert cells["TOTAL"] == f"{prompt + usage['output_tokens']:,}"


@needs_recordings
def test_messages_recording_read_as_another_api(capsys: pytest.CaptureFixture[str]) -> None:
    path = MESSAGES_PATHS[0]
    for api in ("chat", "responses"):
        code, _, err = run_cli(capsys, "reduce", "--api", api, str(path))
        assert code == cli.EXIT_STREAM_ERROR
        assert "this looks like a messages stream" in err and "use --api messages" in err


def test_messages_types_filter_and_choice(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "events", "--types", "message_start,message_stop", "@messages-text"
    )
    assert code == 0
    assert [json.loads(line)["type"] for line in split_lines(out)] == [
        "message_start",
        "message_stop",
    ]
    code, _, err = run_cli(capsys, "text", "--choice", "1", "@messages-text")
    assert code == cli.EXIT_USAGE and "a Messages stream has only choice 0" in err


def test_responses_index_findings_are_reported_as_warnings_of_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = demo_stream("responses-text")
    delta = data.index(b'"output_index":0', data.index(b"response.output_text.delta"))
    bad = data[:delta] + data[delta:].replace(b'"output_index":0', b'"output_index":-1', 1)
    path = tmp_path / "bad-index.sse"
    path.write_bytes(bad)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said by the command, not as a Python warning
        code, _, err = run_cli(capsys, "reduce", str(path))
    assert code == cli.EXIT_OK
    assert err.startswith("streamkit: warning: event #") and "output_index -1 is negative" in err
    code, out, _ = run_cli(capsys, "stats", "--json", str(path))
    [record] = json.loads(out)
    assert any("output_index -1" in issue for issue in record["integrity"])


# --------------------------------------------------------------------------- #
# Chat reasoning in `text`
# --------------------------------------------------------------------------- #

COMPATIBLE_PATHS = recording_paths("chat-compatible")


def render_pieces(pieces: list[tuple[str, str]]) -> str:
    """``text`` output of (kind, text) pieces: thinking set apart as for Messages."""
    out = ""
    kind = None
    for what, text in pieces:
        if not text:
            continue
        if what == "text":
            if kind == "thinking":
                out += "\n" if out.endswith("\n") else "\n\n"
            out, kind = out + text, "text"
        else:
            if kind != "thinking":
                if out:
                    out += "\n" if out.endswith("\n") else "\n\n"
                out += "(thinking)\n"
            out, kind = out + text, "thinking"
    return out + "\n" if out and not out.endswith("\n") else out


def chat_pieces(body: bytes, choice: int = 0) -> list[tuple[str, str]]:
    """What one Chat choice says, read from the raw JSON: per delta, its reasoning
    (``reasoning_content``, else ``reasoning``, else the text and summaries of
    ``reasoning_details``) then its content (Mistral's parts in order)."""
    decoder = streamkit.sse.SSEDecoder()
    pieces: list[tuple[str, str]] = []
    for frame in decoder.feed(body) + decoder.close():
        if bytes(frame.data) == b"[DONE]":
            continue
        for c in json.loads(bytes(frame.data)).get("choices") or []:
            d = c.get("delta") or {}
            if c["index"] != choice:
                continue
            reasoning = d.get("reasoning_content") or d.get("reasoning")
            if not reasoning:
                reasoning = "".join(
                    x.get("text") or x.get("summary") or ""
                    for x in d.get("reasoning_details") or []
                )
            pieces.append(("thinking", reasoning or ""))
            content = d.get("content")
            if isinstance(content, str):
                pieces.append(("text", content))
            for part in content if isinstance(content, list) else []:
                if part.get("type") == "text":
                    pieces.append(("text", part["text"]))
                elif part.get("type") == "thinking":
                    pieces.append(("thinking", "".join(p["text"] for p in part["thinking"])))
    return pieces


@needs_recordings
@pytest.mark.parametrize("path", recording_params(COMPATIBLE_PATHS))
def test_text_shows_chat_reasoning(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    final = streamkit.reduce(path)
    code, out, _ = run_cli(capsys, "text", str(path))
    assert out == render_pieces(chat_pieces(path.read_bytes()))
    assert code == VERDICT_CODES[final.verdict.status]
    reasoning = final.choices[0].message.reasoning_text  # type: ignore[union-attr]
    assert ("(thinking)\n" in out) == bool(reasoning)


def _chat_frame(choices: list[dict[str, Any]]) -> bytes:
    head = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    return b"data: " + json.dumps({**head, "choices": choices}).encode() + b"\n\n"


def test_text_chat_reasoning_of_the_chosen_choice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = b"".join(
        [
            _chat_frame(
                [
                    {"index": 0, "delta": {"reasoning_content": "zero thinks"}},
                    {"index": 1, "delta": {"reasoning": "one thinks"}},
                ]
            ),
            _chat_frame(
                [
                    {
                        "index": 1,
                        "delta": {
                            "reasoning": "",
                            "reasoning_details": [
                                {"type": "reasoning.summary", "summary": ", sums up"},
                                {"type": "reasoning.encrypted", "data": "opaque"},
                            ],
                        },
                    }
                ]
            ),
            _chat_frame([{"index": 0, "delta": {"content": "Zero."}, "finish_reason": "stop"}]),
            _chat_frame([{"index": 1, "delta": {"content": "One."}, "finish_reason": "stop"}]),
            b"data: [DONE]\n\n",
        ]
    )
    path = tmp_path / "reasoning.sse"
    path.write_bytes(body)
    code, out, _ = run_cli(capsys, "text", str(path))
    assert (code, out) == (0, "(thinking)\nzero thinks\n\nZero.\n")
    code, out, _ = run_cli(capsys, "text", "--choice", "1", str(path))
    assert (code, out) == (0, "(thinking)\none thinks, sums up\n\nOne.\n")
    # Dimmed on a terminal, the text itself not.
    tty = FakeTTY()
    monkeypatch.setattr(sys, "stdout", tty)
    assert cli.main(["text", str(path)]) == 0
    assert tty.getvalue() == "\x1b[2m(thinking)\x1b[0m\n\x1b[2mzero thinks\x1b[0m\n\nZero.\n"


def test_text_chat_without_reasoning_is_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "text", "@chat-text")
    assert code == 0 and "(thinking)" not in out
    assert out == expected_text(demo_stream("chat-text"))


@pytest.mark.parametrize(
    "path",
    recording_params([p for d in ("chat-compatible", "messages") for p in recording_paths(d)]),
)
def test_events_lossless_prints_each_payload_as_sent(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "events", "--lossless", str(path))
    lines = [json.loads(line) for line in out.splitlines()]
    frames = [f for f in streamkit.io.iter_frames([path.read_bytes()]) if f.data != b"[DONE]"]
    assert [line for line in lines if line != {"type": "[DONE]"}] == [
        json.loads(bytes(f.data)) for f in frames
    ]
    assert code in (0, 4)

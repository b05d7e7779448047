"""The command line's usage contract: mistakes end in one ``streamkit: ...`` line and
a fitting exit code, options are spelt alike across commands, JSON output is compact,
and advice is worded for the command line."""

from __future__ import annotations

import argparse
import json
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import streamkit
from streamkit import cli
from streamkit.cli import COMMANDS
from streamkit.cli._commands import EVENT_TYPES
from streamkit.errors import EventDecodeError
from streamkit.events import RESPONSE_EVENT_TYPES
from streamkit.events.messages import MESSAGE_EVENT_TYPES
from streamkit.testing import chat_stream, responses_stream


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    """The single ``streamkit: ...`` line a failed command printed."""
    assert err.startswith("streamkit: ") and err.endswith("\n"), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err[len("streamkit: ") : -1]


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _chat_chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
    chunk = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def two_choices() -> bytes:
    """A Chat stream with choices 0 and 1 (``n=2``), their chunks interleaved."""
    return b"".join(
        [
            _chat_chunk(0, {"role": "assistant", "content": "A"}),
            _chat_chunk(1, {"role": "assistant", "content": "B"}),
            _chat_chunk(0, {"content": "a"}),
            _chat_chunk(1, {"content": "b"}),
            _chat_chunk(0, {}, "stop"),
            _chat_chunk(1, {}, "stop"),
            b"data: [DONE]\n\n",
        ]
    )


def two_completions() -> bytes:
    """A legacy Completions stream with choices 0 and 1."""
    chunks = [
        {"index": 0, "text": "x", "finish_reason": None},
        {"index": 1, "text": "y", "finish_reason": None},
        {"index": 0, "text": "", "finish_reason": "stop"},
        {"index": 1, "text": "", "finish_reason": "stop"},
    ]
    body = b"".join(
        b"data: "
        + json.dumps(
            {
                "id": "cmpl-1",
                "object": "text_completion",
                "created": 1,
                "model": "m",
                "choices": [{**c, "logprobs": None}],
            }
        ).encode()
        + b"\n\n"
        for c in chunks
    )
    return body + b"data: [DONE]\n\n"


# --------------------------------------------------------------------------- #
# replay: a missing extra, a taken port
# --------------------------------------------------------------------------- #


def test_replay_without_uvicorn_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "chat.sse", chat_stream())
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # `import uvicorn` raises ImportError
    code, out, err = run_cli(capsys, "replay", path, "--port", "0")
    assert code == cli.EXIT_USAGE == 2
    assert out == ""
    assert one_line(err) == "replay needs uvicorn: pip install 'streamkit[server]'"


def test_replay_on_a_port_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("uvicorn")
    path = write(tmp_path, "chat.sse", chat_stream())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run_cli(capsys, "replay", path, "--host", "127.0.0.1", "--port", str(port))
    assert code == cli.EXIT_ADDRESS_IN_USE == 8
    assert code not in (cli.EXIT_INCOMPLETE, cli.EXIT_USAGE)
    assert out == ""
    message = one_line(err)
    assert f"127.0.0.1:{port}" in message and "address already in use" in message
    assert "--port" in message


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_replay_rejects_an_impossible_port(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "replay", "x.sse", "--port", port)
    assert code == 2 and out == "" and "argument --port" in err


def test_replay_cannot_open_an_unreadable_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("uvicorn")
    path = write(tmp_path, "chat.sse", chat_stream())

    def unreadable(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", unreadable)
    code, _, err = run_cli(capsys, "replay", path, "--port", "0")
    assert code == 2
    assert one_line(err) == f"cannot open {path}: Permission denied"


# --------------------------------------------------------------------------- #
# text --choice
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("build", "texts"),
    [(two_choices, ["Aa", "Bb"]), (two_completions, ["x", "y"])],
    ids=["chat", "completions"],
)
def test_choice_in_range_prints_that_choice(
    build: Callable[[], bytes],
    texts: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write(tmp_path, "n2.sse", build())
    for index, text in enumerate(texts):
        code, out, err = run_cli(capsys, "text", "--choice", str(index), path)
        assert (code, out, err) == (0, text + "\n", "")


@pytest.mark.parametrize("build", [two_choices, two_completions], ids=["chat", "completions"])
def test_choice_out_of_range_is_a_usage_error(
    build: Callable[[], bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "n2.sse", build())
    code, out, err = run_cli(capsys, "text", "--choice", "2", path)
    assert code == cli.EXIT_USAGE
    assert out == ""
    assert one_line(err) == "--choice 2: this stream has choices 0-1"


def test_choice_of_a_responses_stream(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = responses_stream(text_words=20)
    path = write(tmp_path, "r.sse", data)
    code, out, _ = run_cli(capsys, "text", "--choice", "0", path)
    assert code == 0 and out.strip() == streamkit.TextReducer().run(streamkit.iter_events(data))
    code, out, err = run_cli(capsys, "text", "--choice", "1", path)
    assert code == 2 and out == ""
    assert one_line(err).startswith("--choice 1: a Responses stream has only choice 0")


def test_choice_is_not_checked_against_a_stream_without_choices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An error payload alone: the verdict decides the exit code, not the choice.
    path = write(tmp_path, "e.sse", b'data: {"error": {"message": "overloaded"}}\n\n')
    code, _, err = run_cli(capsys, "text", "--choice", "3", path)
    assert code == cli.EXIT_API_ERROR and "overloaded" in err


@pytest.mark.parametrize("choice", ["-1", "first"])
def test_choice_must_be_an_index(choice: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "text", "--choice", choice, "x.sse")
    assert code == 2 and out == "" and "argument --choice" in err


# --------------------------------------------------------------------------- #
# events --types
# --------------------------------------------------------------------------- #


def test_the_known_event_types() -> None:
    assert set(EVENT_TYPES) == set(RESPONSE_EVENT_TYPES) | set(MESSAGE_EVENT_TYPES) | {
        "chat.completion.chunk",
        "text_completion",
        "error",
        "[DONE]",
    }
    assert len(EVENT_TYPES) == len(set(EVENT_TYPES))


def test_unknown_types_are_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "r.sse", responses_stream(text_words=20))
    code, out, err = run_cli(
        capsys, "events", "--types", "response.output_text.delta,response.output_txt.done", path
    )
    assert code == cli.EXIT_USAGE and out == ""
    message = one_line(err)
    assert message.startswith(
        "--types: unknown event type response.output_txt.done "
        "(did you mean response.output_text.done?); the event types are: "
    )
    assert message.split("the event types are: ")[1].split(", ") == list(EVENT_TYPES)


@pytest.mark.parametrize("value", ["", " , "])
def test_empty_types_are_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "events", "--types", value, "x.sse")
    assert code == 2 and out == ""
    assert one_line(err) == "--types needs at least one event type"


@pytest.mark.parametrize(
    "data",
    [responses_stream(text_words=20, tool_calls=1, reasoning=True), chat_stream(tool_calls=1)],
    ids=["responses", "chat"],
)
def test_every_known_type_is_accepted(
    data: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "s.sse", data)
    code, everything, _ = run_cli(capsys, "events", path)
    assert code == 0
    code, filtered, err = run_cli(capsys, "events", "--types", ",".join(EVENT_TYPES), path)
    assert (code, err) == (0, "")
    assert filtered == everything


# --------------------------------------------------------------------------- #
# One spelling, one JSON style, CLI wording, public names
# --------------------------------------------------------------------------- #


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_the_same_option_is_spelt_alike_in_every_command() -> None:
    spellings: dict[str, dict[tuple[Any, ...], list[str]]] = {}
    values: dict[str, list[tuple[str, list[Any]]]] = {}
    for name, parser in _subparsers().items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            concept = "input" if action.dest in ("file", "files") else action.dest
            spelling = (tuple(action.option_strings), action.metavar)
            spellings.setdefault(concept, {}).setdefault(spelling, []).append(name)
            if action.choices is not None:
                values.setdefault(concept, []).append((name, list(action.choices)))
    for concept, seen in spellings.items():
        assert len(seen) == 1, f"{concept} is spelt {len(seen)} ways: {seen}"
    # Choices appear in one order; a command may offer fewer of them (convert
    # reads no legacy Completions streams), never other ones.
    for concept, lists in values.items():
        widest = max((c for _, c in lists), key=len)
        for name, choices in lists:
            assert choices == [c for c in widest if c in choices], (concept, name, choices)
    # The input of every command but demo is FILE.
    ((_, metavar),) = spellings["input"]
    assert metavar == "FILE"


def test_the_exit_code_table_is_in_the_main_help_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, main_help, _ = run_cli(capsys, "--help")
    assert code == 0
    for number, meaning in cli.EXIT_CODES.items():
        assert main_help.count(f"{number:>3}  {meaning}") == 1
    for name, parser in _subparsers().items():
        text = parser.format_help()
        assert "exit codes: see streamkit --help" in text, name
        assert cli.EXIT_CODES[cli.EXIT_ADDRESS_IN_USE] not in text, name


def test_frames_and_events_print_the_same_compact_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Non-ASCII text and a payload with a line break exercise escaping.
    path = write(tmp_path, "c.sse", chat_stream(text_words=30) + b"id: 7\nretry: 10\n\n")
    for command in ("frames", "events"):
        code, out, _ = run_cli(capsys, command, path)
        assert code == 0
        lines = out.splitlines()
        assert lines
        for line in lines:
            compact = json.dumps(json.loads(line), ensure_ascii=False, separators=(",", ":"))
            assert line == compact, command


def test_frames_keep_id_and_retry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "f.sse", b'id: 7\nretry: 10\ndata: {"a": "\xc3\xa9"}\n\n')
    code, out, _ = run_cli(capsys, "frames", path)
    assert code == 0
    assert out == '{"index":0,"event":"message","data":"{\\"a\\": \\"é\\"}","id":"7","retry":10}\n'


def test_hints_are_worded_for_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "r.sse", responses_stream(text_words=20))
    for command in ("events", "reduce", "text", "stats"):
        code, _, err = run_cli(capsys, command, "--api", "chat", path)
        assert code == cli.EXIT_STREAM_ERROR, command
        assert "use --api responses or --api auto" in err, command
        assert "api=" not in err, command
    code, out, _ = run_cli(capsys, "stats", "--json", "--api", "chat", path)
    (record,) = json.loads(out)
    assert "parsed as --api chat; use --api responses" in record["error"]


def test_a_stream_error_a_command_lets_through_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def add_boom(sub: Any) -> None:
        def boom(args: argparse.Namespace) -> int:
            raise EventDecodeError("not a chat chunk; pass api='completions'", index=3)

        sub.add_parser("boom").set_defaults(run=boom)

    build = cli.build_parser
    monkeypatch.setattr(cli, "build_parser", lambda: build([*COMMANDS, add_boom]))
    code, out, err = run_cli(capsys, "boom")
    assert code == cli.EXIT_STREAM_ERROR and out == ""
    message = one_line(err)
    assert message == "event #3: not a chat chunk; use --api completions"
    assert "_errors" not in err and "EventDecodeError" not in err

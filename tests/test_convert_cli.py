"""``streamkit convert`` and the replay server's ``--as`` / ``serve_as``."""

from __future__ import annotations

from pathlib import Path

import anthropic
import openai
import pytest

import streamkit
from streamkit import cli
from streamkit.testing import demo_stream, messages_stream
from streamkit.testing.replay import ReplayApp, serving


def run(capsysbinary: pytest.CaptureFixture[bytes], *args: str) -> tuple[int, bytes, str]:
    code = cli.main(list(args))
    out, err = capsysbinary.readouterr()
    return code, out, err.decode()


@pytest.mark.parametrize("to", ["responses", "chat", "messages"])
def test_convert_writes_the_target_stream(
    capsysbinary: pytest.CaptureFixture[bytes], to: str
) -> None:
    code, out, _ = run(capsysbinary, "convert", "@chat-tools", "--to", to)
    assert code == cli.EXIT_OK
    converted = streamkit.reduce(out)
    assert converted.verdict.status == "completed"
    from streamkit.convert import convert
    from streamkit.events import encode_events

    assert out == b"".join(encode_events(convert(demo_stream("chat-tools"), to), api=to))


def test_convert_reports_what_is_lost(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    code, _out, err = run(capsysbinary, "convert", "@chat-refusal", "--to", "messages")
    assert code == cli.EXIT_OK
    assert "not carried to messages: refusal" in err


def test_convert_exit_code_follows_the_source(
    capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path
) -> None:
    path = tmp_path / "cut.sse"
    body = demo_stream("responses-tools")
    path.write_bytes(body[: len(body) // 2])
    code, out, _ = run(capsysbinary, "convert", str(path), "--to", "chat")
    assert code == cli.EXIT_TRUNCATED
    assert streamkit.reduce(out).verdict.status == "truncated"
    empty = tmp_path / "empty.sse"
    empty.write_bytes(b"<html>nope</html>")
    assert run(capsysbinary, "convert", str(empty), "--to", "chat")[0] == cli.EXIT_NOT_EVENT_STREAM
    assert run(capsysbinary, "convert", str(path), "--to", "nope")[0] == cli.EXIT_USAGE


def test_replay_serves_any_recording_as_messages() -> None:
    app = ReplayApp([("gpt-4o", demo_stream("chat-tools"))], serve_as="messages")
    with serving(app) as url:
        client = anthropic.Anthropic(base_url=url, api_key="sk-unused")
        with client.messages.stream(
            model="gpt-4o", max_tokens=10, messages=[{"role": "user", "content": "Hi"}]
        ) as stream:
            final = stream.get_final_message()
    names = [b.name for b in final.content if b.type == "tool_use"]
    assert names == ["get_weather", "get_weather"] and final.stop_reason == "tool_use"


def test_replay_serves_messages_as_responses() -> None:
    body = messages_stream(seed=9, text_words=30)
    app = ReplayApp([("claude", body)], serve_as="responses")
    with serving(app) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-unused")
        with client.responses.stream(model="claude", input="Hi") as stream:
            final = stream.get_final_response()
    assert final.output_text == streamkit.reduce(body).content[0].text


def test_replay_as_option(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    parser = cli.build_parser()
    args = parser.parse_args(["replay", "@chat-text", "--as", "messages"])
    assert args.serve_as == "messages"

"""``streamkit replay``: a real process serving recordings to real clients, once
with demo streams streamkit generates and once with the real recordings."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from helpers import recording_paths

import streamkit
from streamkit.cli import main
from streamkit.testing import demo_stream
from streamkit.testing.replay import Recording

DEMO = ["responses-text", "responses-tools", "chat-text", "chat-tools"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_files(root: Path) -> list[Path]:
    """The demo streams as files laid out like the recordings: ``<api>/<name>.sse``."""
    paths = []
    for name in DEMO:
        body = demo_stream(name)
        path = root / Recording.load((name, body)).api / f"{name}.sse"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        paths.append(path)
    return paths


@pytest.fixture(
    scope="module",
    params=["demo", pytest.param("recordings", marks=pytest.mark.recordings)],
)
def replay(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[Path]]]:
    """``streamkit replay`` in a subprocess: its base URL and the files it serves."""
    if request.param == "demo":
        paths = demo_files(tmp_path_factory.mktemp("demo"))
    else:
        paths = recording_paths()
    assert paths
    port = _free_port()
    command = [sys.executable, "-m", "streamkit.cli", "replay", *map(str, paths)]
    command += ["--port", str(port), "--chunks", "1-300", "--delay", "0"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/v1/models", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "") from None
                time.sleep(0.05)
        yield base, paths
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_models_lists_the_recordings(replay: tuple[str, list[Path]]) -> None:
    base, paths = replay
    models = httpx.get(f"{base}/v1/models").json()["data"]
    assert sorted(m["id"] for m in models) == sorted(p.stem for p in paths)


def test_every_recording_is_served(replay: tuple[str, list[Path]]) -> None:
    base, paths = replay
    with httpx.Client(base_url=base, timeout=30) as client:
        for path in paths:
            url = "/v1/responses" if path.parent.name == "responses" else "/v1/chat/completions"
            body = {"model": path.stem, "stream": True}
            with client.stream("POST", url, json=body) as response:
                assert response.headers["content-type"].startswith("text/event-stream")
                final = streamkit.reduce(response.iter_bytes())
            assert final == streamkit.reduce(path), path.name
            # Without "stream": true, the reduced object as JSON.
            plain = client.post(url, json={"model": path.stem}).json()
            assert plain["id"] == final.id


def test_openai_sdk_against_replay(replay: tuple[str, list[Path]]) -> None:
    base, paths = replay
    path = next(p for p in paths if p.parent.name == "responses")
    sdk = openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)
    with sdk.responses.with_streaming_response.create(
        model=path.stem, input="hi", stream=True
    ) as raw:
        assert streamkit.reduce(raw.iter_bytes()) == streamkit.reduce(path)


def test_replay_rejects_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(tmp_path / "nope.sse")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_replay_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "--help"]) == 0
    assert "starting_after" in capsys.readouterr().out


@pytest.mark.parametrize("bad", ["0-5", "9-3", "x"])
def test_replay_rejects_bad_chunks(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "f.sse", "--chunks", bad]) == 2
    assert "MIN" in capsys.readouterr().err


def test_python_dash_m_streamkit() -> None:
    body = demo_stream("chat-text")
    result = subprocess.run(
        [sys.executable, "-m", "streamkit", "text", "-"],
        input=body,
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0
    text = streamkit.TextReducer().run(streamkit.iter_events(body))
    assert text and result.stdout.decode() == text + ("" if text.endswith("\n") else "\n")

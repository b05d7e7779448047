"""streamkit.archive: one row per recorded stream, the same rows in this process,
in a process pool and on a Dask cluster; inputs plain, gzip, zstd and JSON lines,
damaged ones included; Parquet and JSON-lines output; bounded memory; the
``streamkit archive`` command."""

from __future__ import annotations

import base64
import gzip
import json
import pickle
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from helpers import RECORDINGS, recording_params

import streamkit
from streamkit import cli
from streamkit.archive import (
    ROW_COLUMNS,
    SCHEMA_VERSION,
    StreamRow,
    arrow_schema,
    iter_rows,
    reduce_stream,
    to_arrow,
    to_bag,
    to_dataframe,
    write_jsonl,
    write_parquet,
)
from streamkit.testing import chat_stream, demo_stream, responses_stream

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
zstandard = pytest.importorskip("zstandard")

DEMOS = [
    "responses-text",
    "responses-tools",
    "responses-reasoning",
    "responses-refusal",
    "chat-text",
    "chat-tools",
    "chat-refusal",
]


def usage_and_tools() -> streamkit.reducers.Reducer[Any, Any]:
    """A reducer factory the workers can import (tests also use a lambda)."""
    return streamkit.combine(streamkit.UsageReducer(), streamkit.ToolCallsReducer())


def chat_chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    chunk = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-test",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def bad_arguments_stream() -> bytes:
    """A Chat stream whose one tool call has arguments that are not JSON."""
    call = {"index": 0, "id": "call_1", "type": "function"}
    return (
        chat_chunk({"role": "assistant"})
        + chat_chunk({"tool_calls": [{**call, "function": {"name": "f", "arguments": '{"a": '}}]})
        + chat_chunk({}, "tool_calls")
        + b"data: [DONE]\n\n"
    )


# --------------------------------------------------------------------------- #
# reduce_stream
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("name", DEMOS)
def test_row_of_a_demo_stream_agrees_with_the_library(name: str) -> None:
    body = demo_stream(name)
    row = reduce_stream(name, body)
    final = streamkit.reduce(body)
    events = list(streamkit.iter_events(body))
    assert row.source == name and row.bytes == len(body)
    assert row.api == ("responses" if name.startswith("responses") else "chat")
    assert row.model == final.model
    assert row.verdict == "completed" and row.reason is None
    assert row.events == len(events) == final.verdict.events
    assert row.text_chars == len(streamkit.TextReducer().run(iter(events)))
    calls = streamkit.ToolCallsReducer().run(iter(events))
    assert row.tool_calls == len(calls)
    assert row.tool_args_ok is True
    assert row.error_type is None and row.error is None and row.meta is None
    usage = final.usage
    if row.api == "responses":
        assert row.finish_reason == "completed"
        assert (row.input_tokens, row.output_tokens, row.total_tokens) == (
            usage.input_tokens,
            usage.output_tokens,
            usage.total_tokens,
        )
        assert row.cached_tokens == usage.input_tokens_details.cached_tokens
        assert row.reasoning_tokens == usage.output_tokens_details.reasoning_tokens
    else:
        assert row.finish_reason == final.choices[0].finish_reason
        assert (row.input_tokens, row.output_tokens, row.total_tokens) == (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens,
        )
        assert row.cached_tokens == usage.prompt_tokens_details.cached_tokens


def test_tool_calls_are_counted_and_their_arguments_checked() -> None:
    row = reduce_stream("tools", responses_stream(seed=3, text_words=0, tool_calls=3))
    assert (row.tool_calls, row.tool_args_ok) == (3, True)
    row = reduce_stream("chat", chat_stream(seed=3, text_words=0, tool_calls=2))
    assert (row.tool_calls, row.tool_args_ok, row.finish_reason) == (2, True, "tool_calls")
    row = reduce_stream("bad-args", bad_arguments_stream())
    assert (row.verdict, row.tool_calls, row.tool_args_ok) == ("completed", 1, False)


def test_a_cut_stream_is_truncated_and_an_html_body_is_an_error() -> None:
    body = demo_stream("responses-tools")
    row = reduce_stream("cut", body[: len(body) // 3])
    assert row.verdict == "truncated" and row.error_type is None
    assert row.finish_reason == "in_progress" and row.input_tokens is None
    assert 0 < row.events < reduce_stream("whole", body).events

    html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    row = reduce_stream("html", html, {"tenant": "acme"})
    assert row.error_type == "NotEventStreamError" and "502 Bad Gateway" in row.error
    assert row.verdict is None and row.api is None and row.events == 0
    assert (row.text_chars, row.tool_calls, row.tool_args_ok) == (None, None, None)
    assert json.loads(row.meta) == {"tenant": "acme"}


def test_a_decoding_error_keeps_what_was_folded_before_it() -> None:
    good = chat_stream(seed=1)
    head = good[: good.index(b"data:", 2000)]
    row = reduce_stream("broken", head + b'data: {"choices": [\n\n' + good[len(head) :])
    assert row.error_type == "EventDecodeError" and row.error
    assert row.api == "chat" and row.verdict == "truncated"
    assert row.events == len(list(streamkit.iter_events(head)))
    assert row.text_chars and row.text_chars > 0


def test_server_errors_fill_error_type_and_message() -> None:
    payload = {"error": {"message": "The server is overloaded", "type": "server_error"}}
    body = chat_chunk({"role": "assistant", "content": "Hi"})
    body += b"data: " + json.dumps(payload).encode() + b"\n\n"
    row = reduce_stream("errored", body)
    assert (row.verdict, row.error_type, row.error) == (
        "errored",
        "server_error",
        "The server is overloaded",
    )
    assert row.text_chars == 2


def test_incomplete_chat_stream_reports_its_finish_reason() -> None:
    body = chat_chunk({"role": "assistant", "content": "abc"}) + chat_chunk({}, "length")
    body += b"data: [DONE]\n\n"
    row = reduce_stream("length", body)
    assert (row.verdict, row.reason, row.finish_reason) == ("incomplete", "length", "length")


def test_a_text_body_is_its_utf8_bytes() -> None:
    body = demo_stream("chat-text")
    assert reduce_stream("s", body.decode()) == reduce_stream("s", body)


def test_a_declared_reducer_gives_a_value_column() -> None:
    body = demo_stream("chat-tools")
    row = reduce_stream("v", body, reducer=lambda: streamkit.combine(streamkit.UsageReducer()))
    expected = streamkit.combine(streamkit.UsageReducer()).run(streamkit.iter_events(body))
    assert row.value == json.loads(msgspec.json.encode(expected))
    row = reduce_stream("v", body, reducer=usage_and_tools)
    usage, calls = row.value
    assert usage["completion_tokens"] == row.output_tokens
    assert [c["parsed"] for c in calls] == [
        json.loads(c.arguments)
        for c in streamkit.ToolCallsReducer().run(streamkit.iter_events(body))
    ]
    assert row.verdict == "completed" and row.tool_calls == 2
    assert reduce_stream("v", body).value is None


def test_a_failing_reducer_costs_a_row_not_the_run() -> None:
    def explode(state: int, event: Any) -> int:
        if state == 5:
            raise RuntimeError("reducer bug")
        return state + 1

    row = reduce_stream(
        "x", demo_stream("chat-text"), reducer=lambda: streamkit.reducers.fold(explode, 0)
    )
    assert (row.error_type, row.error, row.value) == ("RuntimeError", "reducer bug", None)
    assert row.api == "chat" and row.events == 6


def test_reduce_stream_and_rows_pickle() -> None:
    row = reduce_stream("p", demo_stream("responses-refusal"), {"k": [1, 2]})
    assert pickle.loads(pickle.dumps(row)) == row
    assert pickle.loads(pickle.dumps(reduce_stream)) is reduce_stream


def test_importing_streamkit_leaves_the_archive_and_its_dependencies_alone() -> None:
    code = textwrap.dedent(
        """
        import sys
        import streamkit
        assert "streamkit.archive" not in sys.modules
        before = set(sys.modules)
        import streamkit.archive
        new = {name.split(".")[0] for name in set(sys.modules) - before}
        heavy = new & {"dask", "distributed", "pyarrow", "pandas", "zstandard", "numpy"}
        assert not heavy, heavy
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- #
# Archives
# --------------------------------------------------------------------------- #


def record(body: bytes, **fields: Any) -> str:
    return json.dumps({**fields, "body": body.decode()}) + "\n"


def b64_record(body: bytes, **fields: Any) -> str:
    return json.dumps({**fields, "body_b64": base64.b64encode(body).decode()}) + "\n"


def jsonl_text(count: int, *, offset: int = 0, ids: bool = True) -> str:
    """``count`` records of generated streams, text and base64 bodies, with and
    without ids, with metadata."""
    lines = []
    for i in range(offset, offset + count):
        body = responses_stream(seed=i, text_words=30) if i % 2 else chat_stream(seed=i)
        if i % 3 == 0:
            lines.append(b64_record(body, model="m", ts=i))
        elif i % 3 == 1 and ids:
            lines.append(record(body, id=f"req-{i}", tenant=f"t{i % 4}"))
        else:
            lines.append(record(body))
    return "".join(lines)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of every input kind, damaged members included."""
    root = tmp_path_factory.mktemp("archive")
    (root / "sse").mkdir()
    (root / "sse" / "a.sse").write_bytes(demo_stream("chat-tools"))
    (root / "sse" / "b.sse.gz").write_bytes(gzip.compress(demo_stream("responses-tools")))
    (root / "sse" / "c.sse.zst").write_bytes(
        zstandard.ZstdCompressor().compress(demo_stream("responses-reasoning"))
    )
    cut = demo_stream("responses-text")
    (root / "sse" / "d-cut.sse").write_bytes(cut[: len(cut) // 2])
    (root / "sse" / "e-page.sse").write_bytes(b"<!DOCTYPE html><html>Service Unavailable</html>")
    whole = gzip.compress(demo_stream("chat-text"))
    (root / "sse" / "f-damaged.sse.gz").write_bytes(whole[: len(whole) // 2])
    (root / "sse" / "notes.txt").write_text("not an archive file: skipped in folders")

    text = jsonl_text(40)
    bad = (
        "this line is not JSON\n"
        "\n"
        + json.dumps({"id": "page", "body": "<html><body>Bad Gateway</body></html>"})
        + "\n"
        + json.dumps({"id": "nobody", "model": "m"})
        + "\n"
        + json.dumps({"id": "not-b64", "body_b64": "***"})
        + "\n"
        + "[1, 2, 3]\n"
        + record(cut[: len(cut) // 3], id="cut")
    )
    (root / "lines").mkdir()
    (root / "lines" / "plain.jsonl").write_text(text + bad)
    (root / "lines" / "small.jsonl.gz").write_bytes(
        gzip.compress(jsonl_text(6, offset=50).encode())
    )
    (root / "lines" / "small.jsonl.zst").write_bytes(
        zstandard.ZstdCompressor().compress(jsonl_text(6, offset=60).encode())
    )
    damaged = gzip.compress(jsonl_text(20, offset=70, ids=False).encode())
    (root / "lines" / "zz-damaged.jsonl.gz").write_bytes(damaged[: len(damaged) * 2 // 3])
    zst = zstandard.ZstdCompressor().compress(jsonl_text(20, offset=90, ids=False).encode())
    (root / "lines" / "zz-damaged.jsonl.zst").write_bytes(zst[: len(zst) * 2 // 3])
    return root


def by_source(rows: list[StreamRow]) -> dict[str, StreamRow]:
    table = {row.source: row for row in rows}
    assert len(table) == len(rows)
    return table


def test_every_input_kind_gives_its_rows(archive: Path) -> None:
    rows = list(iter_rows([archive]))
    table = by_source(rows)
    sse = archive / "sse"
    assert table[str(sse / "a.sse")].verdict == "completed"
    assert table[str(sse / "b.sse.gz")].tool_calls == 2
    assert table[str(sse / "c.sse.zst")].reasoning_tokens == 192
    assert table[str(sse / "d-cut.sse")].verdict == "truncated"
    assert table[str(sse / "e-page.sse")].error_type == "NotEventStreamError"
    damaged = table[str(sse / "f-damaged.sse.gz")]
    assert damaged.error_type == "CorruptArchiveError" and damaged.verdict == "truncated"
    assert str(sse / "notes.txt") not in table

    plain = archive / "lines" / "plain.jsonl"
    assert table["req-1"].meta == '{"tenant":"t1"}' and table["req-1"].verdict == "completed"
    first = table[f"{plain}#1"]  # base64 body, no id
    assert first.verdict == "completed" and json.loads(first.meta) == {"model": "m", "ts": 0}
    assert table[f"{plain}#3"].meta is None
    assert table[f"{plain}#41"].error_type == "BadRecordError"
    assert f"{plain}#42" not in table  # a blank line
    assert table["page"].error_type == "NotEventStreamError"
    assert (
        table["nobody"].error_type == "BadRecordError" and table["nobody"].meta == '{"model":"m"}'
    )
    assert table["not-b64"].error_type == "BadRecordError"
    assert table[f"{plain}#46"].error_type == "BadRecordError"
    assert table["cut"].verdict == "truncated"

    for name in ("zz-damaged.jsonl.gz", "zz-damaged.jsonl.zst"):
        path = archive / "lines" / name
        mine = [r for r in rows if r.source.startswith(f"{path}#")]
        *good, last = mine
        # The records before the damage are read; the damage is the last row.
        assert 3 <= len(good) < 20 and all(r.verdict == "completed" for r in good), name
        assert last.error_type == "CorruptArchiveError" and last.verdict is None, name
        assert [r.source for r in mine] == [f"{path}#{n}" for n in range(1, len(mine) + 1)]

    completed = [r for r in rows if r.verdict == "completed"]
    assert len(completed) >= 60
    assert all(r.error_type is None for r in completed)


def test_rows_come_in_file_then_line_order(archive: Path) -> None:
    rows = list(iter_rows([archive / "lines" / "plain.jsonl", archive / "sse" / "a.sse"]))
    assert rows[-1].source == str(archive / "sse" / "a.sse")
    plain = str(archive / "lines" / "plain.jsonl")
    numbers = [int(r.source.rsplit("#", 1)[1]) for r in rows if r.source.startswith(plain)]
    assert numbers == sorted(numbers) and numbers[0] == 1
    ids = [int(r.source[4:]) for r in rows if r.source.startswith("req-")]
    assert ids == sorted(ids)


def test_missing_paths_and_extras_fail_before_any_work(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(FileNotFoundError):
        next(iter_rows([archive / "sse" / "a.sse", archive / "nope.sse"]))
    monkeypatch.setitem(sys.modules, "zstandard", None)
    with pytest.raises(ImportError, match=r"streamkit\[archive\]"):
        next(iter_rows([archive / "sse" / "c.sse.zst"]))


def test_process_pool_gives_the_same_rows(archive: Path) -> None:
    local = list(iter_rows([archive], reducer=usage_and_tools))
    # Small partitions: the JSON-lines file is cut into byte ranges, and the
    # compressed ones are sent as batches of lines.
    pooled = list(iter_rows([archive], jobs=2, reducer=usage_and_tools, partition_size=64 * 1024))
    assert pooled == local
    assert all(r.value is not None for r in local if r.verdict == "completed")


def test_process_pool_ships_a_lambda_reducer(archive: Path) -> None:
    factory = lambda: streamkit.combine(streamkit.UsageReducer())  # noqa: E731
    rows = list(iter_rows([archive / "sse"], jobs=2, reducer=factory))
    assert rows == list(iter_rows([archive / "sse"], reducer=factory))


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    """A Dask cluster of two worker processes for the tests of this module."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def arrow_frame(rows: list[StreamRow]) -> Any:
    pd = pytest.importorskip("pandas")
    return to_arrow(rows).to_pandas(types_mapper=pd.ArrowDtype)


def test_dask_gives_the_same_rows(archive: Path, dask_client: Any) -> None:
    local = list(iter_rows([archive], reducer=usage_and_tools))
    bag = to_bag([archive], reducer=usage_and_tools, partition_size=64 * 1024)
    assert bag.npartitions > 3
    assert bag.compute() == local
    frame = to_dataframe([archive], reducer=usage_and_tools, partition_size=64 * 1024).compute()
    expected = arrow_frame(local)
    assert list(frame.columns) == [name for name, _, _ in ROW_COLUMNS]
    assert frame.reset_index(drop=True).equals(expected)


@pytest.mark.recordings
def test_recordings_give_the_same_rows_everywhere(tmp_path: Path, dask_client: Any) -> None:
    # Every shared recording as a file, and again as the records of a JSON-lines archive.
    paths = sorted(RECORDINGS.rglob("*.sse"))
    archive = tmp_path / "recordings.jsonl"
    with open(archive, "w") as fh:
        for path in paths:
            fh.write(b64_record(path.read_bytes(), id=path.name, api_dir=path.parent.name))
    local = list(iter_rows([RECORDINGS, archive]))
    assert len(local) == 2 * len(paths)
    assert list(iter_rows([RECORDINGS, archive], jobs=2, partition_size=256 * 1024)) == local
    assert to_bag([RECORDINGS, archive], partition_size=256 * 1024).compute() == local
    for path, row in zip(paths, local, strict=False):
        assert row.source == str(path)
        twin = local[len(paths) + paths.index(path)]
        assert msgspec.structs.replace(twin, source=row.source, meta=None) == row


@pytest.mark.parametrize("path", recording_params(sorted(RECORDINGS.rglob("*.sse"))))
def test_recording_rows_agree_with_reduce(path: Path) -> None:
    body = path.read_bytes()
    row = reduce_stream(str(path), body)
    try:
        final = streamkit.reduce(body)
    except streamkit.errors.NotEventStreamError:
        assert row.error_type == "NotEventStreamError" and row.verdict is None
        return
    except streamkit.StreamError as exc:
        assert row.error_type == type(exc).__name__
        final = exc.partial
        if final is None:
            assert row.verdict is None
            return
    assert row.verdict == final.verdict.status and row.model == (final.model or None)
    assert row.reason == final.verdict.reason


# --------------------------------------------------------------------------- #
# Writers
# --------------------------------------------------------------------------- #


def test_parquet_round_trip_with_the_documented_schema(archive: Path, tmp_path: Path) -> None:
    rows = list(iter_rows([archive], reducer=usage_and_tools))
    out = tmp_path / "rows.parquet"
    assert write_parquet(iter(rows), out, batch_rows=16) == len(rows)
    table = pq.read_table(out)
    schema = arrow_schema()
    assert table.schema.equals(schema, check_metadata=True)
    assert table.schema.metadata[b"streamkit.schema"] == SCHEMA_VERSION.encode()
    assert [(f.name, str(f.type), f.nullable) for f in schema] == [
        (name, "bool" if kind == "bool" else kind, null) for name, kind, null in ROW_COLUMNS
    ]
    assert pq.ParquetFile(out).num_row_groups == -(-len(rows) // 16)
    back = []
    for record_ in table.to_pylist():
        value = record_.pop("value")
        back.append(StreamRow(**record_, value=None if value is None else json.loads(value)))
    assert back == rows
    assert table.equals(to_arrow(rows))


def test_jsonl_round_trip(archive: Path, tmp_path: Path) -> None:
    rows = list(iter_rows([archive / "lines" / "plain.jsonl"], reducer=usage_and_tools))
    out = tmp_path / "rows.jsonl"
    assert write_jsonl(rows, out) == len(rows)
    decoder = msgspec.json.Decoder(StreamRow)
    assert [decoder.decode(line) for line in out.read_bytes().splitlines()] == rows
    first = json.loads(out.read_bytes().splitlines()[0])
    assert list(first) == [name for name, _, _ in ROW_COLUMNS]


def test_jsonl_to_a_text_file(tmp_path: Path) -> None:
    rows = [reduce_stream("x", demo_stream("chat-refusal"))]
    with open(tmp_path / "rows.jsonl", "w") as fh:
        write_jsonl(rows, fh)
    assert json.loads((tmp_path / "rows.jsonl").read_text())["source"] == "x"


# --------------------------------------------------------------------------- #
# Memory
# --------------------------------------------------------------------------- #

ARCHIVE_MB = 200


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 200 MB of JSON lines: a few dozen distinct streams, repeated."""
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    lines = [record(responses_stream(seed=i), id=f"r{i}").encode() for i in range(12)]
    lines += [record(chat_stream(seed=i), id=f"c{i}").encode() for i in range(12)]
    block = b"".join(lines)
    with open(path, "wb") as fh:
        while fh.tell() < ARCHIVE_MB * 1_000_000:
            fh.write(block)
    return path


@pytest.mark.parametrize("jobs", [1, 2])
def test_memory_is_bounded_by_the_largest_stream(big_archive: Path, jobs: int) -> None:
    code = textwrap.dedent(
        f"""
        import resource, sys
        from streamkit.archive import iter_rows
        if __name__ == "__main__":
            rows = 0
            for row in iter_rows([sys.argv[1]], jobs={jobs}):
                assert row.verdict == "completed", row
                rows += 1
            print(rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        """
    )
    script = big_archive.parent / f"measure_{jobs}.py"
    script.write_text(code)
    # Linux keeps the peak of the pre-exec image in ru_maxrss, so the measuring
    # process is started by a small one, not forked from this big test process.
    launcher = (
        "import subprocess, sys; "
        "print(subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True).stdout)"
    )
    result = subprocess.run(
        [sys.executable, "-c", launcher, sys.executable, str(script), str(big_archive)],
        check=True,
        capture_output=True,
        text=True,
    )
    rows, peak_kib = map(int, result.stdout.split())
    size = big_archive.stat().st_size
    assert rows > 3000
    # The process that reads the archive holds at most a few tasks' worth of it.
    assert peak_kib * 1024 < size / 4, (peak_kib, size)


# --------------------------------------------------------------------------- #
# Command line
# --------------------------------------------------------------------------- #

SUMMARY = re.compile(
    r"^streamkit: archive: ([\d,]+) streams from ([\d,]+) files \((.*)\), ([\d,]+) errors, "
    r"[\d,.]+ MB in [\d.]+ s \([\d,.]+ MB/s\) -> (.+)$"
)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def summary(err: str) -> re.Match[str]:
    last = err.rstrip("\n").rsplit("\n", 1)[-1].split("\r")[-1].replace("\x1b[K", "")
    match = SUMMARY.match(last)
    assert match, err
    return match


def test_cli_writes_parquet_and_a_summary(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rows.parquet"
    code, stdout, err = run_cli(capsys, "archive", str(archive), "--out", str(out), "-j", "2")
    assert code == 0 and stdout == ""
    rows = list(iter_rows([archive]))
    assert pq.read_table(out).equals(to_arrow(rows))
    match = summary(err)
    assert int(match[1].replace(",", "")) == len(rows)
    completed = sum(r.verdict == "completed" for r in rows)
    assert f"{completed:,} completed" in match[3]
    unreadable = sum(r.verdict is None for r in rows)
    assert f"{unreadable:,} unreadable" in match[3]
    errors = sum(r.error_type is not None and r.verdict not in ("failed", "errored") for r in rows)
    assert int(match[4]) == errors and match[5] == str(out)
    assert not list(tmp_path.glob("*.partial"))


def test_cli_writes_json_lines_to_stdout_and_files(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = list(iter_rows([archive / "lines"]))
    code, stdout, err = run_cli(capsys, "archive", str(archive / "lines"), "--jobs", "1")
    assert code == 0
    decoder = msgspec.json.Decoder(StreamRow)
    assert [decoder.decode(line) for line in stdout.splitlines()] == rows
    assert summary(err)[5] == "stdout"
    out = tmp_path / "rows.jsonl"
    code, stdout, _ = run_cli(capsys, "archive", str(archive / "lines"), "-o", str(out))
    assert code == 0 and stdout == ""
    assert [decoder.decode(line) for line in out.read_bytes().splitlines()] == rows


def test_cli_progress_bar_when_asked(archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "archive", str(archive / "sse"), "--progress", "-j", "1")
    assert code == 0
    assert re.search(r"\[[#-]+\] \d+/6 files .* MB .* streams/s +ETA", err), err
    code, _, err = run_cli(capsys, "archive", str(archive / "sse"), "--no-progress", "-j", "1")
    assert "ETA" not in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{archive}/missing.sse"], "no such file or folder"),
        (["{archive}/sse", "--out", "{archive}/rows.csv"], "must end in .parquet or .jsonl"),
        (["{archive}/sse", "--out", "{archive}/no/such/rows.jsonl"], "no such folder"),
    ],
)
def test_cli_usage_errors(
    archive: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, stdout, err = run_cli(capsys, "archive", *(a.format(archive=archive) for a in args))
    assert code == 2 and stdout == ""
    assert err.startswith("streamkit: ") and message in err and err.count("\n") == 1


def test_cli_jobs_must_be_positive(archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "archive", str(archive), "--jobs", "0")
    assert code == 2 and "at least 1" in err


@pytest.mark.parametrize(
    ("module", "args"),
    [("pyarrow", ["--out", "{tmp}/rows.parquet"]), ("zstandard", ["--out", "-"])],
)
def test_cli_missing_extra_is_a_usage_error_with_the_pip_hint(
    archive: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    args: list[str],
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    code, stdout, err = run_cli(
        capsys, "archive", str(archive / "sse"), *(a.format(tmp=tmp_path) for a in args)
    )
    assert code == 2 and stdout == ""
    assert "pip install 'streamkit[archive]'" in err
    assert not list(tmp_path.iterdir())


def test_cli_on_a_dask_cluster(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], dask_client: Any
) -> None:
    out = tmp_path / "rows.jsonl"
    address = dask_client.scheduler_info()["address"]
    code, _, err = run_cli(capsys, "archive", str(archive), "--dask", address, "-o", str(out))
    assert code == 0, err
    decoder = msgspec.json.Decoder(StreamRow)
    assert [decoder.decode(line) for line in out.read_bytes().splitlines()] == list(
        iter_rows([archive])
    )
    assert summary(err)[5] == str(out)


def test_cli_lists_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0 and re.search(r"^\s+archive\s+reduce archives", out, re.MULTILINE)

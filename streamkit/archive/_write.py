"""Writing rows: JSON lines, and Parquet with a fixed Arrow schema (pyarrow)."""

from __future__ import annotations

import importlib
import io
import os
from collections.abc import Iterable, Iterator
from typing import IO, Any, Final

import msgspec

from streamkit.archive._read import MissingDependencyError
from streamkit.archive._row import StreamRow

__all__ = [
    "ROW_COLUMNS",
    "SCHEMA_VERSION",
    "arrow_schema",
    "require_pyarrow",
    "to_arrow",
    "write_jsonl",
    "write_parquet",
]

#: Stored in the Parquet file's schema metadata under ``b"streamkit.schema"``.
SCHEMA_VERSION: Final = "stream-row/1"

#: (column, Arrow type name, nullable) in order; ``meta`` and ``value`` hold
#: JSON text.
ROW_COLUMNS: Final = (
    ("source", "string", False),
    ("api", "string", True),
    ("model", "string", True),
    ("verdict", "string", True),
    ("reason", "string", True),
    ("finish_reason", "string", True),
    ("input_tokens", "int64", True),
    ("output_tokens", "int64", True),
    ("total_tokens", "int64", True),
    ("cached_tokens", "int64", True),
    ("reasoning_tokens", "int64", True),
    ("events", "int64", False),
    ("bytes", "int64", False),
    ("text_chars", "int64", True),
    ("tool_calls", "int64", True),
    ("tool_args_ok", "bool", True),
    ("error_type", "string", True),
    ("error", "string", True),
    ("meta", "string", True),
    ("value", "string", True),
)

_JSON: Final = msgspec.json.Encoder()
_BATCH_ROWS: Final = 32_768
_FLUSH_BYTES: Final = 1024 * 1024


def require_pyarrow() -> Any:
    """The ``pyarrow`` module, or ``MissingDependencyError`` with the pip hint."""
    try:
        return importlib.import_module("pyarrow")
    except ImportError:
        raise MissingDependencyError(
            "Parquet and Arrow output need pyarrow: pip install 'streamkit[archive]'"
        ) from None


def arrow_schema() -> Any:
    """The Arrow schema of the rows (``ROW_COLUMNS``): strings, int64 counts, a
    bool, and ``meta`` / ``value`` as JSON text; versioned in its metadata."""
    pa = require_pyarrow()
    types = {"string": pa.string(), "int64": pa.int64(), "bool": pa.bool_()}
    fields = [pa.field(name, types[kind], nullable=null) for name, kind, null in ROW_COLUMNS]
    return pa.schema(fields, metadata={"streamkit.schema": SCHEMA_VERSION})


def _value_text(value: Any) -> str | None:
    return None if value is None else _JSON.encode(value).decode("utf-8")


def _batch(rows: list[StreamRow], schema: Any) -> Any:
    pa = require_pyarrow()
    columns: dict[str, list[Any]] = {}
    for name, _, _ in ROW_COLUMNS:
        if name == "value":
            columns[name] = [_value_text(r.value) for r in rows]
        else:
            columns[name] = [getattr(r, name) for r in rows]
    return pa.RecordBatch.from_pydict(columns, schema=schema)


def _batches(rows: Iterable[StreamRow], size: int) -> Iterator[list[StreamRow]]:
    batch: list[StreamRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def to_arrow(rows: Iterable[StreamRow]) -> Any:
    """The rows as an Arrow table of ``arrow_schema()`` (all in memory: for a
    whole archive prefer ``write_parquet``, which writes in batches)."""
    pa = require_pyarrow()
    schema = arrow_schema()
    return pa.Table.from_batches(
        [_batch(b, schema) for b in _batches(rows, _BATCH_ROWS)], schema=schema
    )


def write_parquet(
    rows: Iterable[StreamRow],
    path: str | os.PathLike[str],
    *,
    batch_rows: int = _BATCH_ROWS,
    compression: str = "zstd",
) -> int:
    """Write the rows to a Parquet file of ``arrow_schema()``, ``batch_rows`` at a
    time (one row group each; never all rows in memory); return how many."""
    require_pyarrow()
    pq = importlib.import_module("pyarrow.parquet")

    schema = arrow_schema()
    count = 0
    with pq.ParquetWriter(os.fspath(path), schema, compression=compression) as writer:
        for batch in _batches(rows, batch_rows):
            writer.write_batch(_batch(batch, schema))
            count += len(batch)
    return count


def write_jsonl(rows: Iterable[StreamRow], path_or_file: str | os.PathLike[str] | IO[Any]) -> int:
    """Write the rows as JSON lines (one object per row, every column, ``value``
    as JSON) to a path or an open file (binary or text); return how many."""
    if isinstance(path_or_file, str | os.PathLike):
        with open(path_or_file, "wb") as fh:
            return _write_jsonl(rows, fh)
    return _write_jsonl(rows, path_or_file)


def _write_jsonl(rows: Iterable[StreamRow], out: IO[Any]) -> int:
    text = isinstance(out, io.TextIOBase)
    buffer = bytearray()
    count = 0

    def flush() -> None:
        out.write(buffer.decode("utf-8") if text else bytes(buffer))
        buffer.clear()

    for row in rows:
        _JSON.encode_into(row, buffer, -1)
        buffer += b"\n"
        count += 1
        if len(buffer) >= _FLUSH_BYTES:
            flush()
    if buffer:
        flush()
    return count

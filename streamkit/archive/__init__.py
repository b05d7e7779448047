"""Reduce archives of recorded streams to one row per stream, on one machine or
on a Dask cluster.

Inputs (files, or folders searched recursively for these names, in sorted
order; a file named explicitly is read whatever its name):

* ``NAME.sse``: one recorded stream, the raw bytes of the HTTP response body
  (Server-Sent Events of any API ``streamkit.reduce`` detects). ``NAME.sse.gz``
  (gzip) and ``NAME.sse.zst`` (zstandard; needs the ``zstandard`` package,
  ``pip install 'streamkit[archive]'``) hold the same, compressed. A file is
  one stream: its bytes are read whole.
* ``NAME.jsonl`` (also ``.jsonl.gz``, ``.jsonl.zst``): JSON lines, one stream per
  line, as a JSON object::

      {"id": "req_123", "body": "event: response.created\\ndata: {...}\\n\\n...", "model": "gpt-5"}
      {"id": "req_124", "body_b64": "ZXZlbnQ6IHJlc3BvbnNlLmNyZWF0ZWQK...", "tenant": "acme"}

  ``body`` is the SSE text as a JSON string (UTF-8), or ``body_b64`` the bytes
  in standard base64 (for bodies that are not valid UTF-8); exactly one of the
  two. ``id`` (optional; a string, or any JSON value used as its JSON text)
  becomes the row's ``source``, else ``PATH#LINE`` (1-based line number).
  Every other key (``model``, ``ts``, ``tenant``, ...) is metadata, carried
  into the row's ``meta`` column as a JSON object text. Blank lines are
  skipped. A JSON-lines file is read line by line, so memory is bounded by the
  largest stream, never by the archive.

A line that is not such a record, a body that is not an event stream (an HTML
error page), a cut stream or a damaged compressed file never stops a run: it
is a row, with ``verdict`` and / or ``error_type`` and ``error``.

API:

* ``reduce_stream(source_id, body, meta=None, *, reducer=None) -> StreamRow``:
  one stream; pure, top-level and picklable, for any executor.
* ``iter_rows(paths, *, jobs=1, reducer=None)``: every row, in order (file, then
  line); ``jobs=N`` uses a process pool.
* ``write_jsonl(rows, path_or_file)``, ``write_parquet(rows, path)`` (pyarrow,
  with ``arrow_schema()``), ``to_arrow(rows)``.
* ``to_bag(paths)`` / ``to_dataframe(paths)``: the same rows as a Dask bag or
  dataframe (``pip install 'streamkit[dask]'``).

Importing this package imports neither pyarrow nor Dask nor zstandard; the
functions that need them do, and raise ``MissingDependencyError`` (an
``ImportError`` naming the extra to install) when they are missing.
"""

from streamkit.archive._dask import plan_tasks, to_bag, to_dataframe
from streamkit.archive._local import cpu_count, iter_results, iter_rows
from streamkit.archive._read import (
    DEFAULT_PARTITION_SIZE,
    STREAM_SUFFIXES,
    BadRecordError,
    CorruptArchiveError,
    MissingDependencyError,
    Task,
    discover,
    task_rows,
)
from streamkit.archive._row import ReducerFactory, StreamRow, reduce_stream
from streamkit.archive._write import (
    ROW_COLUMNS,
    SCHEMA_VERSION,
    arrow_schema,
    to_arrow,
    write_jsonl,
    write_parquet,
)

__all__ = [
    "DEFAULT_PARTITION_SIZE",
    "ROW_COLUMNS",
    "SCHEMA_VERSION",
    "STREAM_SUFFIXES",
    "BadRecordError",
    "CorruptArchiveError",
    "MissingDependencyError",
    "ReducerFactory",
    "StreamRow",
    "Task",
    "arrow_schema",
    "cpu_count",
    "discover",
    "iter_results",
    "iter_rows",
    "plan_tasks",
    "reduce_stream",
    "task_rows",
    "to_arrow",
    "to_bag",
    "to_dataframe",
    "write_jsonl",
    "write_parquet",
]

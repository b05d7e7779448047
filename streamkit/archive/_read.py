"""Finding, opening and splitting archives of recorded streams.

A run is planned as a list of ``Task`` objects, each a few ``Part`` objects
(whole files, or byte ranges of one uncompressed JSON-lines file cut at line
boundaries) or a ``Batch`` (lines of a compressed JSON-lines file read by the
planner). A task holds names and offsets, never stream bytes, except a batch,
so it is cheap to send to another process or machine.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import os
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any, Final, cast

import msgspec

from streamkit.archive._row import ReducerFactory, StreamRow, error_row, reduce_stream

__all__ = [
    "DEFAULT_PARTITION_SIZE",
    "STREAM_SUFFIXES",
    "Batch",
    "BadRecordError",
    "CorruptArchiveError",
    "MissingDependencyError",
    "Part",
    "Task",
    "discover",
    "iter_batches",
    "iter_records",
    "open_member",
    "plan",
    "require_zstandard",
    "task_rows",
]

#: Input bytes per task (a byte range of a big JSON-lines file, or a group of
#: small files): big enough that per-task overhead is noise, small enough that
#: one archive still spreads over every core.
DEFAULT_PARTITION_SIZE: Final = 8 * 1024 * 1024

#: The file names a folder is searched for (files named explicitly are read
#: whatever their name: as JSON lines when it ends in .jsonl[.gz|.zst], else as
#: one stream).
STREAM_SUFFIXES: Final = (
    ".sse",
    ".sse.gz",
    ".sse.zst",
    ".jsonl",
    ".jsonl.gz",
    ".jsonl.zst",
)

_READ: Final = 1024 * 1024
_ZSTD_HINT: Final = "pip install 'streamkit[archive]'"


class CorruptArchiveError(Exception):
    """A compressed file that cannot be decompressed to its end (truncated,
    damaged); the streams read before the damage still count."""


class BadRecordError(ValueError):
    """A JSON-lines record that is not ``{"body": ...}`` or ``{"body_b64": ...}``
    (not JSON, JSON nested too deep to decode, not an object, no body, bad
    base64)."""


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message names the extra."""


def require_zstandard() -> Any:
    """The ``zstandard`` module, or ``MissingDependencyError`` with the pip hint."""
    try:
        import zstandard
    except ImportError:
        raise MissingDependencyError(
            f"reading .zst files needs the zstandard package: {_ZSTD_HINT}"
        ) from None
    return zstandard


# --------------------------------------------------------------------------- #
# Names and files
# --------------------------------------------------------------------------- #


def _layout(path: str) -> tuple[str, str]:
    """(kind, codec) of a file from its name: kind ``sse`` or ``jsonl``, codec
    ``""``, ``"gz"`` or ``"zst"``."""
    name = os.path.basename(path).lower()
    codec = ""
    if name.endswith(".gz"):
        codec, name = "gz", name[:-3]
    elif name.endswith(".zst"):
        codec, name = "zst", name[:-4]
    return ("jsonl" if name.endswith(".jsonl") else "sse"), codec


def discover(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """The files to read, in run order: each path as given, a folder's archive
    files (``STREAM_SUFFIXES``) found recursively in sorted order. A file named
    twice is read once. Raises ``FileNotFoundError`` for a path that does not
    exist."""
    found: dict[str, None] = {}
    for given in paths:
        path = os.fspath(given)
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if name.lower().endswith(STREAM_SUFFIXES) and not name.startswith("."):
                        found.setdefault(os.path.join(root, name), None)
        elif os.path.exists(path):
            found.setdefault(path, None)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return list(found)


class _ZstdReader(io.RawIOBase):
    """Zstandard frames, one after the other, that notice a cut: a frame that
    ends with the file raises ``CorruptArchiveError`` (``zstandard``'s own
    stream reader returns the bytes so far as if the file were whole)."""

    def __init__(self, raw: IO[bytes], zstd: Any) -> None:
        self._raw = raw
        self._zstd = zstd
        self._dobj: Any = None
        self._pending = b""
        self._out = b""
        self._at = 0
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._at >= len(self._out):
            if self._eof:
                return 0
            self._fill()
        n = min(len(buffer), len(self._out) - self._at)
        buffer[:n] = self._out[self._at : self._at + n]
        self._at += n
        return n

    def _fill(self) -> None:
        chunk = self._pending or self._raw.read(_READ)
        self._pending = b""
        if not chunk:
            if self._dobj is not None and not self._dobj.eof:
                raise CorruptArchiveError("zstd data ends inside a frame (truncated file)")
            self._eof = True
            return
        if self._dobj is None:
            self._dobj = self._zstd.ZstdDecompressor().decompressobj()
        try:
            self._out = self._dobj.decompress(chunk)
        except self._zstd.ZstdError as exc:
            raise CorruptArchiveError(f"zstd: {exc}") from None
        self._at = 0
        if self._dobj.eof:  # the frame ended; what follows is the next frame
            self._pending = self._dobj.unused_data
            self._dobj = None

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


def open_member(path: str, codec: str) -> tuple[IO[bytes], IO[bytes]]:
    """Open ``path`` for reading its decompressed bytes: (reader, raw file). The
    raw file's position tells how much of the file has been read."""
    if codec == "zst":
        zstd = require_zstandard()
    raw = open(path, "rb")  # noqa: SIM115 - closed with the reader
    if codec == "gz":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb")), raw
    if codec == "zst":
        return cast(IO[bytes], io.BufferedReader(_ZstdReader(raw, zstd), _READ)), raw
    return raw, raw


#: What decompressors raise on damaged data.
_DAMAGE: Final = (EOFError, zlib.error, gzip.BadGzipFile, CorruptArchiveError)


def _damage(path: str, exc: BaseException) -> CorruptArchiveError:
    if isinstance(exc, CorruptArchiveError):
        return CorruptArchiveError(f"{path}: {exc}")
    return CorruptArchiveError(f"{path}: {type(exc).__name__}: {exc}")


# --------------------------------------------------------------------------- #
# Units of work
# --------------------------------------------------------------------------- #


class Part(msgspec.Struct, frozen=True, kw_only=True):
    """A whole file, or the lines of an uncompressed JSON-lines file that start
    in ``[start, end)`` (``end`` -1: to the end), the first one being line
    ``line``."""

    name: str  # the path as the rows name it
    path: str  # the path to open (absolute: workers may run elsewhere)
    kind: str
    codec: str
    start: int = 0
    end: int = -1
    line: int = 1


class Batch(msgspec.Struct, frozen=True, kw_only=True):
    """Lines of a compressed JSON-lines file, read by the planner: (line number,
    line bytes) pairs; ``damage`` is the error that ended the file, if any, as
    the (source, error_type, error) of its row."""

    name: str
    lines: list[tuple[int, bytes]]
    damage: tuple[str, str, str] | None = None


class Task(msgspec.Struct, frozen=True, kw_only=True):
    """One unit of work: parts (or a batch), the input bytes it covers (for
    progress) and the number of files it finishes."""

    parts: tuple[Part, ...] = ()
    batch: Batch | None = None
    weight: int = 0
    files: int = 0


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _cuts(path: str, size: int, target: int) -> list[tuple[int, int]]:
    """(offset, line number) of the starts of the ranges of about ``target``
    bytes an uncompressed JSON-lines file is cut into, each at a line start.
    One sequential read counts the lines."""
    starts = [0]
    with open(path, "rb") as fh:
        while starts[-1] + target < size:
            fh.seek(starts[-1] + target - 1)
            fh.readline()  # to the start of the next line
            cut = fh.tell()
            if cut >= size:
                break
            starts.append(cut)
        out = [(0, 1)]
        line = 1
        fh.seek(0)
        for a, b in zip(starts, [*starts[1:], size], strict=True):
            remaining = b - a
            while remaining > 0:
                block = fh.read(min(_READ, remaining))
                if not block:
                    break
                line += block.count(b"\n")
                remaining -= len(block)
            if b < size:
                out.append((b, line))
    return out


def plan(
    paths: Sequence[str],
    *,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    split_compressed: bool = False,
) -> Iterator[Task]:
    """The tasks of a run over ``paths`` (from ``discover``), in output order.

    Small files are grouped up to ``partition_size`` input bytes per task; an
    uncompressed JSON-lines file bigger than that is cut into ranges of about
    that size. A compressed JSON-lines file is one task, or with
    ``split_compressed`` is read here and sent as batches of lines (a gzip or
    zstd stream cannot be entered in the middle). Lazy: a batch is read only
    when the consumer asks for its task.
    """
    if partition_size < 1:
        raise ValueError("partition_size must be positive")
    group: list[Part] = []
    weight = 0

    def flush() -> Task:
        nonlocal group, weight
        task = Task(parts=tuple(group), weight=weight, files=len(group))
        group, weight = [], 0
        return task

    for name in paths:
        kind, codec = _layout(name)
        path = os.path.abspath(name)
        size = _size(path)
        if kind == "jsonl" and codec and split_compressed:
            if group:
                yield flush()
            yield from iter_batches(name, path, codec, partition_size)
            continue
        if kind == "jsonl" and not codec and size > partition_size:
            if group:
                yield flush()
            cuts = _cuts(path, size, partition_size)
            for i, (start, line) in enumerate(cuts):
                last = i == len(cuts) - 1
                end = -1 if last else cuts[i + 1][0]
                part = Part(
                    name=name, path=path, kind=kind, codec=codec, start=start, end=end, line=line
                )
                yield Task(
                    parts=(part,),
                    weight=(size if last else end) - start,
                    files=int(last),
                )
            continue
        if group and weight + size > partition_size:
            yield flush()
        group.append(Part(name=name, path=path, kind=kind, codec=codec))
        weight += size
    if group:
        yield flush()


def iter_batches(name: str, path: str, codec: str, batch_bytes: int) -> Iterator[Task]:
    """Tasks of the lines of a compressed JSON-lines file, about ``batch_bytes``
    of decompressed lines each (the last one finishes the file, and carries the
    damage that ended it, if any)."""
    try:
        reader, raw = open_member(path, codec)
    except OSError as exc:
        yield Task(batch=Batch(name=name, lines=[], damage=_oserror(name, exc)), files=1)
        return
    lines: list[tuple[int, bytes]] = []
    held = 0
    read = 0
    number = 0
    damage: tuple[str, str, str] | None = None
    with reader, raw:
        try:
            for number, line in enumerate(reader, 1):
                lines.append((number, line))
                held += len(line)
                if held >= batch_bytes:
                    at = raw.tell()
                    yield Task(batch=Batch(name=name, lines=lines), weight=at - read)
                    lines, held, read = [], 0, at
        except _DAMAGE as exc:
            damage = (f"{name}#{number + 1}", "CorruptArchiveError", str(_damage(name, exc)))
        except OSError as exc:
            damage = _oserror(name, exc)
        size = _size(path)
    yield Task(
        batch=Batch(name=name, lines=lines, damage=damage), weight=max(size - read, 0), files=1
    )


def _oserror(name: str, exc: OSError) -> tuple[str, str, str]:
    return name, type(exc).__name__, str(exc)


def _error_row(damage: tuple[str, str, str]) -> StreamRow:
    source, kind, message = damage
    return StreamRow(source=source, error_type=kind, error=message)


# --------------------------------------------------------------------------- #
# Reading streams
# --------------------------------------------------------------------------- #


def _decode_record(line: bytes) -> dict[str, Any]:
    try:
        record = msgspec.json.decode(line)
    except msgspec.DecodeError as exc:
        raise BadRecordError(f"not JSON: {exc}") from None
    except RecursionError:
        # msgspec leaves each level it entered: the interpreter is intact.
        raise BadRecordError(
            "not a record: its JSON nests too deep (deeper than the Python recursion limit)"
        ) from None
    if not isinstance(record, dict):
        raise BadRecordError(f"not a JSON object but {type(record).__name__}")
    return record


def record_row(name: str, number: int, line: bytes, reducer: ReducerFactory | None) -> StreamRow:
    """The row of line ``number`` of a JSON-lines archive."""
    source = f"{name}#{number}"
    try:
        record = _decode_record(line)
    except BadRecordError as exc:
        return error_row(source, exc, size=len(line))
    key = record.pop("id", None)
    if key is not None:
        source = key if isinstance(key, str) else msgspec.json.encode(key).decode("utf-8")
    body = record.pop("body", None)
    b64 = record.pop("body_b64", None)
    try:
        data = _body(body, b64)
    except BadRecordError as exc:
        return error_row(source, exc, size=len(line), meta=record)
    return reduce_stream(source, data, record, reducer=reducer)


def _body(body: Any, b64: Any) -> bytes:
    if body is not None and b64 is not None:
        raise BadRecordError("a record has either body or body_b64, not both")
    if isinstance(body, str):
        # A lone surrogate escape (\ud800) is kept as its bytes, not dropped.
        return body.encode("utf-8", "surrogatepass")
    if isinstance(b64, str):
        try:
            return base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRecordError(f"body_b64 is not base64: {exc}") from None
    if body is None and b64 is None:
        raise BadRecordError("no body or body_b64")
    raise BadRecordError("body and body_b64 must be strings")


def iter_records(part: Part) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of the non-blank lines of a JSON-lines part. A damaged
    compressed file raises ``CorruptArchiveError`` after its last good line,
    with the number of the line it broke in as ``args[1]``."""
    reader, raw = open_member(part.path, part.codec)
    with reader, raw:
        if part.start:
            reader.seek(part.start)
        at = part.start
        number = part.line - 1
        try:
            for line in reader:
                number += 1
                if part.end >= 0 and at >= part.end:
                    return
                at += len(line)
                if line.strip():
                    yield number, line
        except _DAMAGE as exc:
            raise CorruptArchiveError(str(_damage(part.name, exc)), number + 1) from None


def _file_row(part: Part, reducer: ReducerFactory | None) -> StreamRow:
    """The row of a stream file: all its (decompressed) bytes are one stream; a
    damaged file's row carries the damage and the fold of the bytes before it."""
    try:
        reader, raw = open_member(part.path, part.codec)
    except OSError as exc:
        return _error_row(_oserror(part.name, exc))
    pieces: list[bytes] = []
    damage: BaseException | None = None
    with reader, raw:
        # read1: one decompression step at a time, so the bytes before damage are kept.
        read = getattr(reader, "read1", reader.read)
        try:
            while chunk := read(_READ):
                pieces.append(chunk)
        except _DAMAGE as exc:
            damage = _damage(part.name, exc)
        except OSError as exc:
            damage = exc
    row = reduce_stream(part.name, b"".join(pieces), reducer=reducer)
    if damage is None:
        return row
    return msgspec.structs.replace(row, error_type=type(damage).__name__, error=str(damage))


def part_rows(part: Part, reducer: ReducerFactory | None) -> Iterator[StreamRow]:
    """The rows of one part, in order."""
    if part.kind == "sse":
        yield _file_row(part, reducer)
        return
    try:
        for number, line in iter_records(part):
            yield record_row(part.name, number, line, reducer)
    except CorruptArchiveError as exc:
        yield _error_row((f"{part.name}#{exc.args[1]}", "CorruptArchiveError", exc.args[0]))
    except OSError as exc:
        yield _error_row(_oserror(part.name, exc))


def task_rows(task: Task, reducer: ReducerFactory | None = None) -> list[StreamRow]:
    """The rows of one task, in order: what every executor runs."""
    rows: list[StreamRow] = []
    for part in task.parts:
        rows.extend(part_rows(part, reducer))
    batch = task.batch
    if batch is not None:
        for number, line in batch.lines:
            if line.strip():
                rows.append(record_row(batch.name, number, line, reducer))
        if batch.damage is not None:
            rows.append(_error_row(batch.damage))
    return rows

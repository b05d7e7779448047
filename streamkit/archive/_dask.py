"""Reducing an archive on a Dask cluster: a bag of rows, or a dataframe."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from streamkit.archive._local import prepare
from streamkit.archive._read import (
    DEFAULT_PARTITION_SIZE,
    MissingDependencyError,
    Task,
    plan,
    task_rows,
)
from streamkit.archive._row import ReducerFactory, StreamRow
from streamkit.archive._write import require_pyarrow, to_arrow

if TYPE_CHECKING:
    import dask.bag
    import dask.dataframe

__all__ = ["plan_tasks", "to_bag", "to_dataframe"]

_DASK_HINT = "pip install 'streamkit[dask]'"


def _require(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(f"{module} is not installed: {_DASK_HINT}") from None


def plan_tasks(
    paths: Iterable[str | os.PathLike[str]], *, partition_size: int = DEFAULT_PARTITION_SIZE
) -> list[Task]:
    """The tasks of a cluster run: groups of small files, byte ranges of big
    JSON-lines files, one task per compressed JSON-lines file (a gzip or zstd
    stream cannot be entered in the middle: split such archives into several
    files to spread one over the cluster). Each task names its files by
    absolute path, so the workers must see the same files."""
    return list(plan(prepare(paths), partition_size=partition_size))


def _partition(tasks: list[Task], reducer: ReducerFactory | None) -> list[StreamRow]:
    rows: list[StreamRow] = []
    for task in tasks:
        rows.extend(task_rows(task, reducer))
    return rows


def to_bag(
    paths: Iterable[str | os.PathLike[str]],
    *,
    reducer: ReducerFactory | None = None,
    partition_size: int = DEFAULT_PARTITION_SIZE,
) -> dask.bag.Bag:
    """A Dask bag of the ``StreamRow`` of every stream under ``paths``, one
    partition per task of ``plan_tasks`` (about ``partition_size`` input bytes),
    each computed by ``reduce_stream`` on a worker: ``.compute()`` equals
    ``list(iter_rows(paths))``. The files are listed (and big JSON-lines files
    cut at line boundaries) here, when the bag is made."""
    bag = _require("dask.bag")
    tasks = plan_tasks(paths, partition_size=partition_size)
    if not tasks:
        empty: dask.bag.Bag = bag.from_sequence([], npartitions=1)
        return empty
    seeds = bag.from_sequence(tasks, npartitions=len(tasks))
    rows: dask.bag.Bag = seeds.map_partitions(_partition, reducer)
    return rows


def _frame(task: Task, reducer: ReducerFactory | None) -> Any:
    pd = _require("pandas")
    return to_arrow(task_rows(task, reducer)).to_pandas(types_mapper=pd.ArrowDtype)


def to_dataframe(
    paths: Iterable[str | os.PathLike[str]],
    *,
    reducer: ReducerFactory | None = None,
    partition_size: int = DEFAULT_PARTITION_SIZE,
) -> dask.dataframe.DataFrame:
    """A Dask dataframe of the rows, with the columns and types of
    ``arrow_schema()`` (pyarrow-backed pandas dtypes: nullable integers stay
    integers; ``meta`` and ``value`` are JSON text), one partition per task as
    in ``to_bag``. Needs ``dask[dataframe]`` and pyarrow."""
    dd = _require("dask.dataframe")
    pd = _require("pandas")
    require_pyarrow()
    tasks = plan_tasks(paths, partition_size=partition_size)
    meta = to_arrow([]).to_pandas(types_mapper=pd.ArrowDtype)
    if not tasks:
        empty: dask.dataframe.DataFrame = dd.from_pandas(meta, npartitions=1)
        return empty
    frame: dask.dataframe.DataFrame = dd.from_map(
        _frame, tasks, reducer=reducer, meta=meta, label="streamkit-archive"
    )
    return frame

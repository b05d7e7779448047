"""The public surface: every public module's ``__all__`` is true, the top level
stays small, and ``import streamkit`` pulls in no I/O dependency."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
import types

import pytest

import streamkit

PUBLIC_MODULES = [
    "streamkit",
    "streamkit.errors",
    "streamkit.sse",
    "streamkit.models",
    "streamkit.events",
    "streamkit.events.responses",
    "streamkit.events.chat",
    "streamkit.events.completions",
    "streamkit.events.messages",
    "streamkit.reducers",
    "streamkit.io",
    "streamkit.http",
    "streamkit.testing",
    "streamkit.cli",
]


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_names_exist_once_and_are_public(name: str) -> None:
    module = importlib.import_module(name)
    names = module.__all__
    assert len(names) == len(set(names)), "a name is listed twice"
    for attr in names:
        assert not attr.startswith("_"), attr
        assert hasattr(module, attr), f"{name}.__all__ lists {attr}, which does not exist"


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_public_objects_belong_to_streamkit(name: str) -> None:
    module = importlib.import_module(name)
    for attr in module.__all__:
        obj = getattr(module, attr)
        if isinstance(obj, types.ModuleType):
            assert obj.__name__.startswith("streamkit."), attr
        elif inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__module__.startswith("streamkit"), (attr, obj.__module__)


def test_the_top_level_is_small_and_reexports_its_subpackages() -> None:
    assert len(streamkit.__all__) <= 30
    homes = ["streamkit.sse", "streamkit.events", "streamkit.io", "streamkit.models"]
    homes += ["streamkit.reducers", "streamkit.errors"]
    for attr in streamkit.__all__:
        obj = getattr(streamkit, attr)
        assert any(getattr(importlib.import_module(h), attr, None) is obj for h in homes), attr


def test_every_error_derives_from_stream_error() -> None:
    from streamkit import errors

    for attr in errors.__all__:
        obj = getattr(errors, attr)
        if attr.endswith("Error"):
            assert issubclass(obj, errors.StreamError), attr


def test_reducer_and_model_names_do_not_collide() -> None:
    from streamkit import models, reducers

    assert not set(reducers.__all__) & set(models.__all__)


def test_import_streamkit_imports_no_io_dependency() -> None:
    code = (
        "import sys, streamkit, streamkit.testing\n"
        "bad = [m for m in ('httpx', 'anyio', 'uvicorn', 'dask', 'pyarrow') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    code = "import sys, streamkit; streamkit.http; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = streamkit.no_such_name  # type: ignore[attr-defined]

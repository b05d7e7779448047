"""Build of the optional C extension ``streamkit.sse._sse_c``.

The project metadata lives in pyproject.toml; this file only declares the
extension. Where it cannot be compiled (no C compiler, no Python headers), the
install goes on in pure Python and says so: ``streamkit.implementation()``
then returns ``"python"``. ``STREAMKIT_NO_EXTENSIONS=1`` at build time skips
the compilation, and at run time makes streamkit ignore a built extension.
"""

from __future__ import annotations

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """``build_ext`` that turns a failed compilation into a warning."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            self._warn(exc)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._warn(exc)

    @staticmethod
    def _warn(exc: BaseException) -> None:
        bar = "*" * 76
        print(
            f"\n{bar}\nWARNING: the C extension streamkit.sse._sse_c could not be compiled "
            f"({type(exc).__name__}: {exc}).\nstreamkit is installed in pure Python: "
            f"correct, but slower.\n{bar}\n",
            file=sys.stderr,
        )


def _extensions() -> list[Extension]:
    if os.environ.get("STREAMKIT_NO_EXTENSIONS"):
        return []
    flags = os.environ.get("STREAMKIT_CFLAGS", "").split()
    return [
        Extension(
            "streamkit.sse._sse_c",
            ["streamkit/sse/_sse_c.c"],
            extra_compile_args=flags,
            extra_link_args=[f for f in flags if f.startswith("-fsanitize")],
        )
    ]


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})

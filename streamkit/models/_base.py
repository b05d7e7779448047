"""The base class every streamkit Struct derives from."""

from __future__ import annotations

import msgspec

__all__ = ["Model"]


class Model(msgspec.Struct, kw_only=True, gc=False):
    """Base for every decoded object.

    ``gc=False`` is safe because decoded JSON cannot form reference cycles, and
    it makes decoding large streams cheaper. (msgspec applies ``kw_only`` only to
    the fields a class itself declares, so subclasses that want keyword-only
    construction say so themselves.)
    Unknown JSON fields are ignored (msgspec's default), which is what lets newer
    server fields pass through without breaking decoding.
    """

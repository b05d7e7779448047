"""The base class every streamkit Struct derives from."""

from __future__ import annotations

import msgspec

__all__ = ["Model", "Wire"]


class Model(msgspec.Struct, kw_only=True, gc=False):
    """Base for every decoded object.

    ``gc=False`` is safe because decoded JSON cannot form reference cycles, and
    it makes decoding large streams cheaper. (msgspec applies ``kw_only`` only to
    the fields a class itself declares, so subclasses that want keyword-only
    construction say so themselves.)
    Unknown JSON fields are ignored (msgspec's default), which is what lets newer
    server fields pass through without breaking decoding.
    """


class Wire(Model, dict=True, gc=True):
    """Base of the objects a server sends whole: top-level events and final
    objects. ``dict=True`` gives each instance room for what the Struct does
    not declare (the payload as received, in lossless mode) without a field
    that msgspec would encode or compare; a plain ``Model`` has no such room.
    """

"""Real recordings bundled with streamkit for the demo and tests (see PROVENANCE.md)."""

from __future__ import annotations

from importlib import resources

__all__ = ["recording", "RECORDINGS"]

#: Bundled recordings by short name.
RECORDINGS = {
    "responses-text": "responses-text.sse",
}


def recording(name: str) -> bytes:
    """The bytes of a bundled recording, by short name (see ``RECORDINGS``)."""
    try:
        filename = RECORDINGS[name]
    except KeyError:
        raise KeyError(f"no bundled recording {name!r}; have {sorted(RECORDINGS)}") from None
    return resources.files(__package__).joinpath(filename).read_bytes()

"""Typed stream events streamkit decodes.

``responses``: the OpenAI Responses API stream; ``chat``: Chat Completions chunks;
``completions``: legacy Completions chunks; ``messages``: the Anthropic Messages
API stream; ``errors``: in-stream error payloads;
``UnknownEvent`` and ``Done`` (the ``[DONE]`` sentinel) are shared;
``raw_payload``, ``extra_fields`` and ``replace`` reach what a server sent beyond
the Structs (lossless mode).
"""

from __future__ import annotations

from streamkit.events import (
    _common,
    _decoder,
    _encoder,
    _names,
    _raw,
    chat,
    completions,
    errors,
    messages,
    responses,
)
from streamkit.events._common import *
from streamkit.events._decoder import *
from streamkit.events._encoder import *
from streamkit.events._names import *
from streamkit.events._raw import *
from streamkit.events.chat import *
from streamkit.events.completions import *
from streamkit.events.errors import *
from streamkit.events.messages import *
from streamkit.events.responses import *

# Built from the modules' own lists: a name is declared public once, where it is defined.
__all__: list[str] = []
__all__ += _common.__all__
__all__ += _decoder.__all__
__all__ += _encoder.__all__
__all__ += _names.__all__
__all__ += _raw.__all__
__all__ += chat.__all__
__all__ += completions.__all__
__all__ += errors.__all__
__all__ += messages.__all__
__all__ += responses.__all__

"""adapters: DashScope native SSE and OpenAI chat.completion.chunk streams, exactly.

The package is layered (see docs/index.md): ``adapters.sse`` turns bytes into
SSE frames and back; the provider codecs (``adapters.openai``) turn frames
into the normalized events of ``adapters.events`` and back. This module
re-exports the public names and the facade (``decode``, ``adecode``,
``encode``).

Note: the distribution is called ``stream-adapters``; it cannot share an
environment with the unrelated distribution called ``adapters``, which uses the
same import name.
"""

from adapters._bridge import Converter, Dropped, aconvert, convert, iter_convert
from adapters._check import Violation, check
from adapters._convert import adecode, decode, detect_provider, encode
from adapters._errors import AdapterError, DecodeError, Diagnostic, EncodeError
from adapters._version import __version__
from adapters.events import (
    EVENT_ADAPTER,
    ChoiceStart,
    Comment,
    End,
    ErrorEvent,
    Event,
    Finish,
    FinishReason,
    FunctionCallDelta,
    Logprobs,
    Passthrough,
    ReasoningDelta,
    RefusalDelta,
    Resync,
    StreamStart,
    TextDelta,
    ToolCallDelta,
    UnknownFrame,
    Usage,
)

__all__ = [
    "EVENT_ADAPTER",
    "AdapterError",
    "ChoiceStart",
    "Comment",
    "Converter",
    "DecodeError",
    "Diagnostic",
    "Dropped",
    "EncodeError",
    "End",
    "ErrorEvent",
    "Event",
    "Finish",
    "FinishReason",
    "FunctionCallDelta",
    "Logprobs",
    "Passthrough",
    "ReasoningDelta",
    "RefusalDelta",
    "Resync",
    "StreamStart",
    "TextDelta",
    "ToolCallDelta",
    "UnknownFrame",
    "Usage",
    "Violation",
    "__version__",
    "aconvert",
    "adecode",
    "check",
    "convert",
    "decode",
    "detect_provider",
    "encode",
    "iter_convert",
]

# Public classes live in private modules; make their reprs and docs say where
# users import them from. (Event classes keep ``adapters.events``.)
for _name in ("AdapterError", "Converter", "DecodeError", "Diagnostic", "Dropped", "EncodeError"):
    globals()[_name].__module__ = __name__
del _name

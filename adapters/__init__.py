"""adapters: DashScope native SSE and OpenAI chat.completion.chunk streams, exactly.

The package is layered (see docs/index.md): ``adapters.sse`` turns bytes into
SSE frames and back; the provider codecs and the normalized event model build
on it. This module re-exports the public names.

Note: the distribution is called ``stream-adapters``; it cannot share an
environment with the unrelated distribution called ``adapters``, which uses the
same import name.
"""

from ._errors import AdapterError, DecodeError, Diagnostic, EncodeError
from ._version import __version__

__all__ = [
    "AdapterError",
    "DecodeError",
    "Diagnostic",
    "EncodeError",
    "__version__",
]

# Public classes live in private modules; make their reprs and docs say where
# users import them from.
for _name in ("AdapterError", "DecodeError", "Diagnostic", "EncodeError"):
    globals()[_name].__module__ = __name__
del _name

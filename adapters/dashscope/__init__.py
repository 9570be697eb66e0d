"""The DashScope native streaming format (``id:`` / ``event:result`` / ``:HTTP_STATUS``).

:class:`Decoder` turns bytes into normalized events, :class:`Encoder` turns
events into bytes, the differ turns cumulative snapshots into deltas and
back, and the wire models describe the frames themselves. See
docs/dashscope.md.
"""

from adapters.dashscope._diff import (
    Accumulator,
    Differ,
    NotExtending,
    accumulate,
    diff,
    extension,
)
from adapters.dashscope._reader import Decoder, Mode
from adapters.dashscope._writer import Encoder

__all__ = [
    "Accumulator",
    "Decoder",
    "Differ",
    "Encoder",
    "Mode",
    "NotExtending",
    "accumulate",
    "diff",
    "extension",
]

for _name in (
    "Accumulator",
    "Decoder",
    "Differ",
    "Encoder",
    "NotExtending",
    "accumulate",
    "diff",
    "extension",
):
    globals()[_name].__module__ = __name__
del _name

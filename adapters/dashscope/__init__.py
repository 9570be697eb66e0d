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
from adapters.dashscope._wire import (
    ContentPart,
    ErrorFrame,
    Message,
    Output,
    OutputTokensDetails,
    PromptTokensDetails,
    ResultChoice,
    ResultFrame,
    ToolCall,
    ToolCallFunction,
    UsageInfo,
    finish_reason,
)
from adapters.dashscope._writer import Encoder

__all__ = [
    "Accumulator",
    "ContentPart",
    "Decoder",
    "Differ",
    "Encoder",
    "ErrorFrame",
    "Message",
    "Mode",
    "NotExtending",
    "Output",
    "OutputTokensDetails",
    "PromptTokensDetails",
    "ResultChoice",
    "ResultFrame",
    "ToolCall",
    "ToolCallFunction",
    "UsageInfo",
    "accumulate",
    "diff",
    "extension",
    "finish_reason",
]

for _name in __all__:
    if _name != "Mode":
        globals()[_name].__module__ = __name__
del _name

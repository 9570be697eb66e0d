"""The OpenAI ``chat.completion.chunk`` streaming format.

:class:`Decoder` turns bytes into normalized events, :class:`Encoder` turns
events into bytes, and the wire models describe the chunks themselves. See
docs/openai.md.
"""

from adapters.openai._reader import Decoder
from adapters.openai._wire import (
    ChatCompletionChunk,
    ChoiceDelta,
    ChoiceDeltaFunctionCall,
    ChoiceDeltaToolCall,
    ChoiceDeltaToolCallFunction,
    ChoiceLogprobs,
    ChunkChoice,
    CompletionTokensDetails,
    CompletionUsage,
    ErrorBody,
    ErrorChunk,
    PromptTokensDetails,
)
from adapters.openai._writer import Encoder

__all__ = [
    "ChatCompletionChunk",
    "ChoiceDelta",
    "ChoiceDeltaFunctionCall",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ChoiceLogprobs",
    "ChunkChoice",
    "CompletionTokensDetails",
    "CompletionUsage",
    "Decoder",
    "Encoder",
    "ErrorBody",
    "ErrorChunk",
    "PromptTokensDetails",
]

for _name in __all__:
    globals()[_name].__module__ = __name__
del _name

"""Pydantic models of OpenAI ``chat.completion.chunk`` payloads, as sent.

Strategy: these models describe the wire, not our events. They are exact about
presence -- a key that was absent stays absent, ``null`` stays ``null`` (dump
with ``exclude_unset=True``) -- and keep every key they do not know
(``extra="allow"``: vendor keys such as ``reasoning_content``, OpenRouter's
``native_finish_reason`` or DeepSeek's ``prompt_cache_hit_tokens`` survive in
``model_extra``), so a chunk re-dumps to equal JSON.

Field list: the OpenAI API reference for the chat completion chunk object
(https://platform.openai.com/docs/api-reference/chat-streaming/streaming) and
the vendor extensions seen in recordings (``reasoning_content``: DeepSeek,
DashScope compatible mode; ``reasoning``: vLLM, OpenRouter, Ollama).

The reader (``_reader.py``) does not build these models: it checks the same
shapes by hand on plain dicts, which is several times faster, and knows things
a model cannot (a tool call's first fragment, a choice's finish). These models
are for code that wants typed chunks; tests/test_openai_wire.py validates every
recorded chunk with them and checks it dumps back to the same JSON.

>>> chunk = ChatCompletionChunk.model_validate_json(
...     '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
...     '"choices":[{"index":0,"delta":{"content":"Hi","x_vendor":1},"finish_reason":null}]}'
... )
>>> chunk.choices[0].delta.content, chunk.choices[0].delta.model_extra
('Hi', {'x_vendor': 1})
>>> chunk.model_dump_json(exclude_unset=True)[-60:]
'delta":{"content":"Hi","x_vendor":1},"finish_reason":null}]}'
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

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
    "ErrorBody",
    "ErrorChunk",
    "PromptTokensDetails",
]


class _Wire(BaseModel):
    # strict: a number where a string belongs is a wire error, not coerced.
    model_config = ConfigDict(extra="allow", strict=True)


class ChoiceDeltaFunctionCall(_Wire):
    """Legacy ``delta.function_call`` fragment."""

    name: str | None = None
    arguments: str | None = None


class ChoiceDeltaToolCallFunction(_Wire):
    """``delta.tool_calls[].function``."""

    name: str | None = None
    arguments: str | None = None


class ChoiceDeltaToolCall(_Wire):
    """One entry of ``delta.tool_calls``: a fragment of the call at ``index``."""

    index: int
    id: str | None = None
    type: str | None = None
    function: ChoiceDeltaToolCallFunction | None = None


class ChoiceDelta(_Wire):
    """``choices[].delta``: what this chunk adds to the choice."""

    role: str | None = None
    content: str | None = None
    refusal: str | None = None
    #: Vendor extension (DeepSeek, DashScope compatible mode, SGLang, Kimi, GLM).
    reasoning_content: str | None = None
    #: Vendor extension (vLLM after late 2025, OpenRouter, Ollama, Groq).
    reasoning: str | None = None
    tool_calls: list[ChoiceDeltaToolCall] | None = None
    function_call: ChoiceDeltaFunctionCall | None = None


class ChoiceLogprobs(_Wire):
    """``choices[].logprobs``: token log probabilities."""

    content: list[dict[str, Any]] | None = None
    refusal: list[dict[str, Any]] | None = None


class ChunkChoice(_Wire):
    """One entry of ``choices``."""

    index: int
    delta: ChoiceDelta
    logprobs: ChoiceLogprobs | None = None
    finish_reason: str | None = None


class PromptTokensDetails(_Wire):
    """``usage.prompt_tokens_details``."""

    cached_tokens: int | None = None
    audio_tokens: int | None = None


class CompletionTokensDetails(_Wire):
    """``usage.completion_tokens_details``."""

    reasoning_tokens: int | None = None
    audio_tokens: int | None = None
    accepted_prediction_tokens: int | None = None
    rejected_prediction_tokens: int | None = None


class CompletionUsage(_Wire):
    """``usage``: token counts for the whole request."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None


class ErrorBody(_Wire):
    """The ``error`` object of a mid-stream error."""

    message: str | None = None
    type: str | None = None
    param: str | None = None
    code: str | int | None = None


class ChatCompletionChunk(_Wire):
    """One ``data:`` payload of a Chat Completions stream."""

    id: str | None = None
    object: str | None = None
    created: int | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
    choices: list[ChunkChoice]
    usage: CompletionUsage | None = None
    #: Random padding OpenAI adds to every chunk (``stream_options.include_obfuscation``).
    obfuscation: str | None = None
    #: Some vendors (OpenRouter) put a mid-stream error inside a normal chunk.
    error: ErrorBody | None = None


class ErrorChunk(_Wire):
    """A mid-stream error sent on its own: ``data: {"error": {...}}``."""

    error: ErrorBody

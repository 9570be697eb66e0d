"""Pydantic models of DashScope native streaming payloads, as sent.

Strategy: these models describe the wire, not our events. Like the OpenAI ones
they are exact about presence (dump with ``exclude_unset=True``) and keep every
key they do not know (``extra="allow"``: ``search_info``, ``tool_info``,
``plugins``, image and audio token counts...), so a frame re-dumps to equal
JSON. DashScope's one wire quirk with a meaning is normalized here, once:
``finish_reason`` is the *string* ``"null"`` while a choice is generating;
:func:`finish_reason` (which the reader uses) and the models' ``reason``
property read it, absence and JSON ``null`` as "not finished".

Field list: the DashScope API reference for text and multimodal generation
(https://help.aliyun.com/zh/model-studio/qwen-api-via-dashscope) and the keys
seen in recordings (``fixtures/dashscope/``). The reader does not build these
models (it checks the same shapes by hand on plain dicts, which is faster);
tests/test_dashscope_wire.py validates every recorded frame with them.

>>> frame = ResultFrame.model_validate_json(
...     '{"output":{"choices":[{"message":{"content":[{"text":"Hi"}],"role":"assistant"},'
...     '"finish_reason":"null"}]},"usage":{"input_tokens":3,"image_tokens":9},"request_id":"r"}'
... )
>>> choice = frame.output.choices[0]
>>> choice.message.content[0].text, choice.finish_reason, choice.reason
('Hi', 'null', None)
>>> frame.usage.input_tokens, frame.usage.model_extra
(3, {'image_tokens': 9})
>>> frame.model_dump_json(exclude_unset=True)[-61:]
'"usage":{"input_tokens":3,"image_tokens":9},"request_id":"r"}'
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ContentPart",
    "ErrorFrame",
    "Message",
    "Output",
    "OutputTokensDetails",
    "PromptTokensDetails",
    "ResultChoice",
    "ResultFrame",
    "ToolCall",
    "ToolCallFunction",
    "UsageInfo",
    "finish_reason",
]


def finish_reason(value: object) -> str | None:
    """A wire ``finish_reason`` as a reason, or ``None`` for "not finished":
    DashScope's string ``"null"``, a JSON ``null``, or no value at all.

    >>> finish_reason("null"), finish_reason(None), finish_reason("stop")
    (None, None, 'stop')
    """
    if value is None or value == "null" or type(value) is not str:
        return None
    return value


class _Wire(BaseModel):
    # strict: a number where a string belongs is a wire error, not coerced.
    model_config = ConfigDict(extra="allow", strict=True)


class ToolCallFunction(_Wire):
    """``tool_calls[].function``: the name on the first fragment, argument text."""

    name: str | None = None
    arguments: str | None = None


class ToolCall(_Wire):
    """One entry of ``message.tool_calls``: a fragment (incremental output) or
    the call so far (cumulative). Continuations carry ``id: ""`` and no name."""

    index: int | None = None
    id: str | None = None
    type: str | None = None
    function: ToolCallFunction | None = None


class ContentPart(_Wire):
    """One item of list content (multimodal endpoint): ``{"text": ...}``, or
    another kind (``image_hw``, ``ocr_result``) kept in ``model_extra``."""

    text: str | None = None


class Message(_Wire):
    """``output.choices[].message``."""

    role: str | None = None
    content: str | list[ContentPart] | None = None
    reasoning_content: str | None = None
    tool_calls: list[ToolCall] | None = None


class ResultChoice(_Wire):
    """``output.choices[]`` (``result_format="message"``)."""

    message: Message | None = None
    finish_reason: str | None = None
    index: int | None = None
    logprobs: dict[str, object] | None = None

    @property
    def reason(self) -> str | None:
        """The finish reason, ``None`` while generating (``"null"``)."""
        return finish_reason(self.finish_reason)


class Output(_Wire):
    """``output``: ``text`` and ``finish_reason`` (``result_format="text"``) or ``choices``."""

    text: str | None = None
    finish_reason: str | None = None
    choices: list[ResultChoice] | None = None

    @property
    def reason(self) -> str | None:
        """The text format's finish reason, ``None`` while generating (``"null"``)."""
        return finish_reason(self.finish_reason)


class PromptTokensDetails(_Wire):
    """``usage.prompt_tokens_details`` (``cached_tokens``; explicit-cache keys kept)."""

    cached_tokens: int | None = None


class OutputTokensDetails(_Wire):
    """``usage.output_tokens_details`` (``reasoning_tokens``, ``text_tokens``...)."""

    reasoning_tokens: int | None = None


class UsageInfo(_Wire):
    """``usage``: running totals, on every frame."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    prompt_tokens_details: PromptTokensDetails | None = None
    output_tokens_details: OutputTokensDetails | None = None


class ResultFrame(_Wire):
    """The data of an ``event:result`` frame."""

    output: Output
    usage: UsageInfo | None = None
    request_id: str | None = None


class ErrorFrame(_Wire):
    """The data of an ``event:error`` frame (its status is in the frame's
    ``:HTTP_STATUS/NNN`` comment, not here)."""

    code: str | int | None = None
    message: str | None = None
    request_id: str | None = None

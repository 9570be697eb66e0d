"""The normalized event model: one vocabulary for every provider's stream.

Strategy: a stream, whichever wire it came from, is a sequence of small frozen
events, tagged by ``type`` (the union :data:`Event` discriminates on it). Each
event says one neutral thing: a piece of text for choice 1, a tool call's
argument fragment, a finish reason, the usage totals. Readers (wire -> events)
and writers (events -> wire) of each provider meet here and nowhere else.

Two rules make round-trips exact without making the model provider-shaped:

* Facts with a neutral home are fields (``TextDelta.text``, ``Usage.cached_tokens``).
* Everything else a provider sent -- per-chunk ids, ``system_fingerprint``,
  ``obfuscation``, unknown keys, key order, per-frame usage snapshots -- rides
  along in :attr:`wire`, keyed by provider name (``{"openai": {...}}``). The
  writer of that provider reads it back to reproduce the original frames; any
  other writer ignores it. ``wire`` takes no part in ``==`` or ``hash``: two
  events are equal when they *say* the same thing, as two
  :class:`~adapters.sse.SSEFrame` objects are equal whatever their layout.

Events built in code are validated (strict types: ``TextDelta(text=1)`` is a
``ValidationError``). The readers build theirs through :func:`_trusted`, which
skips validation because the reader has already checked each value: a stream
has tens of thousands of events and validation would cost as much as parsing.

>>> from adapters.events import TextDelta, Finish, EVENT_ADAPTER
>>> TextDelta(text="你好", choice=1)
TextDelta(type='text_delta', choice=1, text='你好')
>>> Finish(raw_reason="tool_calls")
Finish(type='finish', choice=0, reason='tool_calls', raw_reason='tool_calls')
>>> EVENT_ADAPTER.validate_json('{"type": "end"}')
End(type='end', choice=None)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, ClassVar, Literal, TypeAlias, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticSerializationError

__all__ = [
    "EVENT_ADAPTER",
    "ChoiceStart",
    "Comment",
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
    "ResyncChannel",
    "StreamStart",
    "TextDelta",
    "ToolCallDelta",
    "UnknownFrame",
    "Usage",
    "dump_jsonl",
    "load_jsonl",
    "normalize_finish_reason",
]

#: The normalized finish reasons. ``"other"`` means the provider said something
#: not in this list; its own word is always in :attr:`Finish.raw_reason`.
FinishReason: TypeAlias = Literal[
    "stop", "length", "tool_calls", "content_filter", "function_call", "other"
]

_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
    "function_call": "function_call",
}


def normalize_finish_reason(raw: str) -> FinishReason:
    """Map a provider's finish reason to the normalized enum.

    >>> normalize_finish_reason("tool_calls"), normalize_finish_reason("abort")
    ('tool_calls', 'other')
    """
    return _REASONS.get(raw, "other")


def _non_empty(text: str) -> str:
    if not text:
        raise ValueError("a delta's text is never empty (an empty piece is no event)")
    return text


# A Python check, not Field(min_length=1): the length constraint would make
# pydantic-core convert the string, which fails on a lone surrogate that a
# stream may legally carry as a "\\ud800" escape.
_Text = Annotated[str, AfterValidator(_non_empty)]


def _wire_field() -> Any:
    return Field(
        default=None,
        repr=False,
        description="Provider layout and facts with no neutral home, keyed by provider "
        "name; read by that provider's writer, ignored by ==.",
    )


class _EventBase(BaseModel):
    """Shared behaviour: frozen, strict, equality without ``wire``."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    #: Fields compared by ``==``: every field but ``wire`` (filled per class).
    _compared: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._compared = tuple(name for name in cls.model_fields if name != "wire")
        cls._fields_set = set(cls.model_fields)

    _fields_set: ClassVar[set[str]] = set()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented if not isinstance(other, _EventBase) else False
        mine, theirs = self.__dict__, other.__dict__
        return all(mine[name] == theirs[name] for name in self._compared)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        # Values may be lists of dicts (logprobs); their JSON text stands in for them.
        # Lists (logprobs) count by length only: consistent with ==, which finds
        # -1 and -1.0 equal where any text of them would differ.
        mine = self.__dict__
        return hash(
            (
                type(self).__name__,
                *(
                    len(value) if type(value) is list else value
                    for value in (mine[name] for name in self._compared)
                ),
            )
        )


_E = TypeVar("_E", bound=_EventBase)
_new = object.__new__
# The slots pydantic gives every model, set directly: what model_construct does,
# without its per-field loop. (Setting them through object.__setattr__ costs a
# name lookup each; the descriptors' own setters do not.)
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def _trusted(cls: type[_E], values: dict[str, Any]) -> _E:
    """Build an event from values a reader has already checked, without validation.

    ``values`` must name every field of ``cls`` (the reader's tables do), in
    declaration order so dumps list them in that order.
    """
    event = _new(cls)
    _set_dict(event, values)
    # One set per class, shared: pydantic copies it before changing it (model_copy).
    _set_fields(event, cls._fields_set)
    _set_extra(event, None)
    _set_private(event, None)
    return event


class StreamStart(_EventBase):
    """The response began: what identifies it.

    OpenAI gives ``id``, ``model`` and ``created`` on every chunk; the reader
    emits this once, from the first chunk. DashScope native frames carry only a
    ``request_id``.
    """

    type: Literal["stream_start"] = "stream_start"
    #: Always ``None``: the start belongs to the whole stream.
    choice: None = None
    #: The response id (OpenAI ``id``, e.g. ``chatcmpl-...``).
    id: str | None = None
    #: The model name the provider reported.
    model: str | None = None
    #: Creation time, Unix seconds.
    created: int | None = None
    #: The provider's request id (DashScope ``request_id``).
    request_id: str | None = None
    wire: dict[str, Any] | None = _wire_field()


class ChoiceStart(_EventBase):
    """A choice's first chunk: the speaker's role (OpenAI ``delta.role``)."""

    type: Literal["choice_start"] = "choice_start"
    #: Which choice (OpenAI ``choices[].index``; 0 unless ``n > 1``).
    choice: int = Field(default=0, ge=0)
    #: ``"assistant"`` in every response seen so far.
    role: str = "assistant"
    wire: dict[str, Any] | None = _wire_field()


class TextDelta(_EventBase):
    """A piece of the answer text, to append to what came before."""

    type: Literal["text_delta"] = "text_delta"
    #: Which choice the text belongs to.
    choice: int = Field(default=0, ge=0)
    #: The new text (never the whole text so far); never empty.
    text: _Text
    wire: dict[str, Any] | None = _wire_field()


class ReasoningDelta(_EventBase):
    """A piece of the model's reasoning (``reasoning_content`` / ``reasoning``)."""

    type: Literal["reasoning_delta"] = "reasoning_delta"
    #: Which choice the reasoning belongs to.
    choice: int = Field(default=0, ge=0)
    #: The new reasoning text; never empty.
    text: _Text
    wire: dict[str, Any] | None = _wire_field()


class RefusalDelta(_EventBase):
    """A piece of a refusal message (OpenAI ``delta.refusal``)."""

    type: Literal["refusal_delta"] = "refusal_delta"
    #: Which choice refuses.
    choice: int = Field(default=0, ge=0)
    #: The new refusal text; never empty.
    text: _Text
    wire: dict[str, Any] | None = _wire_field()


class ToolCallDelta(_EventBase):
    """A fragment of a tool call: its start (id and name) and/or argument text.

    Fragments of one call share ``(choice, index)``; append their ``arguments``
    to get the call's JSON arguments. ``id`` and ``name`` are ``None`` on
    continuation fragments (DashScope sends ``"id": ""`` there, which the
    readers treat the same way).
    """

    type: Literal["tool_call_delta"] = "tool_call_delta"
    #: Which choice calls the tool.
    choice: int = Field(default=0, ge=0)
    #: Position of the call among the choice's tool calls (parallel calls).
    index: int = Field(default=0, ge=0)
    #: The call id, on the call's first fragment.
    id: str | None = None
    #: The function name, on the call's first fragment.
    name: str | None = None
    #: A fragment of the JSON arguments (possibly ``""``).
    arguments: str = ""
    wire: dict[str, Any] | None = _wire_field()


class FunctionCallDelta(_EventBase):
    """A fragment of a legacy ``function_call`` (the deprecated ``functions`` API)."""

    type: Literal["function_call_delta"] = "function_call_delta"
    #: Which choice calls the function.
    choice: int = Field(default=0, ge=0)
    #: The function name, on the first fragment.
    name: str | None = None
    #: A fragment of the JSON arguments.
    arguments: str = ""
    wire: dict[str, Any] | None = _wire_field()


#: What a :class:`Resync` replaces: the answer text, the reasoning, or one
#: part of a tool call.
ResyncChannel: TypeAlias = Literal[
    "text", "reasoning", "tool_call_id", "tool_call_name", "tool_call_arguments"
]


class Resync(_EventBase):
    """A cumulative stream's snapshot that did not extend the one before it.

    DashScope's ``incremental_output=false`` repeats the whole value in every
    frame; normally each snapshot begins with the previous one and the reader
    emits only what it adds. When one does not (a model or gateway rewrote
    earlier text), a decoder run with ``on_mismatch="resync"`` emits this
    instead of failing: the value so far *is now* :attr:`text`. Replace what
    was accumulated for this channel; never append it.

    Only a cumulative DashScope stream can say this; other writers refuse it.
    """

    type: Literal["resync"] = "resync"
    #: Which choice.
    choice: int = Field(default=0, ge=0)
    #: Which value was rewritten.
    channel: ResyncChannel = "text"
    #: The tool call's index, for the ``tool_call_*`` channels; else ``None``.
    index: int | None = Field(default=None, ge=0)
    #: The whole value as it now stands (possibly shorter than before).
    text: str
    wire: dict[str, Any] | None = _wire_field()


class Logprobs(_EventBase):
    """Token log probabilities for the text (or refusal) of the same chunk.

    Each item is an OpenAI token-logprob object as sent:
    ``{"token", "logprob", "bytes", "top_logprobs"}``.
    """

    type: Literal["logprobs"] = "logprobs"
    #: Which choice.
    choice: int = Field(default=0, ge=0)
    #: Log probabilities of the content tokens, or ``None``.
    content: list[dict[str, Any]] | None = None
    #: Log probabilities of the refusal tokens, or ``None``.
    refusal: list[dict[str, Any]] | None = None
    wire: dict[str, Any] | None = _wire_field()


class Finish(_EventBase):
    """A choice ended, and why.

    Give either field; the other follows: ``Finish(reason="stop")`` writes
    ``"stop"``, ``Finish(raw_reason="abort")`` has ``reason="other"``.
    """

    type: Literal["finish"] = "finish"
    #: Which choice finished.
    choice: int = Field(default=0, ge=0)
    #: The normalized reason.
    reason: FinishReason = "stop"
    #: The provider's own string, exactly as sent.
    raw_reason: str = "stop"
    wire: dict[str, Any] | None = _wire_field()

    @model_validator(mode="before")
    @classmethod
    def _complete(cls, data: Any) -> Any:
        if isinstance(data, dict):
            has_reason, has_raw = "reason" in data, "raw_reason" in data
            if has_raw and not has_reason and isinstance(data["raw_reason"], str):
                data = {**data, "reason": normalize_finish_reason(data["raw_reason"])}
            elif has_reason and not has_raw and data["reason"] != "other":
                data = {**data, "raw_reason": data["reason"]}
            elif has_reason and not has_raw:
                raise ValueError('reason="other" needs the provider\'s raw_reason')
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Finish:
        if normalize_finish_reason(self.raw_reason) != self.reason:
            raise ValueError(
                f"reason {self.reason!r} does not match raw_reason {self.raw_reason!r} "
                f"(which normalizes to {normalize_finish_reason(self.raw_reason)!r})"
            )
        return self


class Usage(_EventBase):
    """Token counts for the whole response: the final totals, never a sum of frames.

    Counters with no neutral field (audio, image, accepted-prediction tokens,
    costs...) stay in :attr:`wire` in the provider's shape.
    """

    type: Literal["usage"] = "usage"
    #: Always ``None``: usage covers every choice.
    choice: None = None
    #: Prompt tokens (OpenAI ``prompt_tokens``, DashScope ``input_tokens``).
    input_tokens: int | None = Field(default=None, ge=0)
    #: Generated tokens (``completion_tokens`` / ``output_tokens``).
    output_tokens: int | None = Field(default=None, ge=0)
    #: Total as the provider reported it (not recomputed).
    total_tokens: int | None = Field(default=None, ge=0)
    #: Prompt tokens served from cache (``prompt_tokens_details.cached_tokens``).
    cached_tokens: int | None = Field(default=None, ge=0)
    #: Reasoning tokens (``completion_tokens_details.reasoning_tokens``).
    reasoning_tokens: int | None = Field(default=None, ge=0)
    wire: dict[str, Any] | None = _wire_field()


class ErrorEvent(_EventBase):
    """An error the provider reported inside the stream.

    This is valid wire (an OpenAI ``{"error": ...}`` chunk, a DashScope
    ``event:error``), so it is an event, not an exception.
    """

    type: Literal["error"] = "error"
    #: Always ``None``: an error ends the whole stream.
    choice: None = None
    #: HTTP status the provider attached (DashScope ``:HTTP_STATUS/400``), if any.
    status: int | None = None
    #: The provider's error code, as sent (a string, or a number for some vendors).
    code: str | int | None = None
    #: The error message.
    message: str | None = None
    #: OpenAI ``error.type`` (e.g. ``"invalid_request_error"``).
    error_type: str | None = None
    #: OpenAI ``error.param``: the request parameter at fault.
    param: str | None = None
    #: The provider's request id.
    request_id: str | None = None
    wire: dict[str, Any] | None = _wire_field()


class Comment(_EventBase):
    """An SSE comment line (a keep-alive such as ``: OPENROUTER PROCESSING``)."""

    type: Literal["comment"] = "comment"
    #: Always ``None``.
    choice: None = None
    #: The comment without its leading colon (``" OPENROUTER PROCESSING"``).
    text: str
    wire: dict[str, Any] | None = _wire_field()


class Passthrough(_EventBase):
    """A well-formed frame that says nothing neutral (an empty delta, a
    moderation chunk); it is kept so that re-encoding loses no frame.

    Its content is in :attr:`wire`; writers for other providers skip it.
    """

    type: Literal["passthrough"] = "passthrough"
    #: Always ``None``.
    choice: None = None
    #: Whose frame this is: ``"openai"`` or ``"dashscope"``.
    provider: str
    wire: dict[str, Any] | None = _wire_field()


class UnknownFrame(_EventBase):
    """A frame the reader could not interpret, kept rather than dropped.

    Unknown SSE event names always become this; so do malformed frames when a
    decoder runs with ``strict=False`` (a diagnostic says what was wrong).
    """

    type: Literal["unknown_frame"] = "unknown_frame"
    #: Always ``None``.
    choice: None = None
    #: Whose stream it was found in.
    provider: str
    #: The SSE ``event`` field, or ``None``.
    event: str | None = None
    #: The SSE ``data`` field, or ``None``.
    data: str | None = None
    #: Why it was not understood.
    problem: str
    wire: dict[str, Any] | None = _wire_field()


class End(_EventBase):
    """The stream ended as its protocol says a stream ends: OpenAI's
    ``data: [DONE]``; for a protocol with no end marker, the end of the input
    after every choice finished.

    A stream that stops short gets no ``End``: the decoders report it (see
    their ``strict``) rather than invent this event.
    """

    type: Literal["end"] = "end"
    #: Always ``None``.
    choice: None = None
    wire: dict[str, Any] | None = _wire_field()


#: Any normalized event; pydantic picks the class from the ``type`` tag.
Event: TypeAlias = Annotated[
    StreamStart
    | ChoiceStart
    | TextDelta
    | ReasoningDelta
    | RefusalDelta
    | ToolCallDelta
    | FunctionCallDelta
    | Resync
    | Logprobs
    | Finish
    | Usage
    | ErrorEvent
    | Comment
    | Passthrough
    | UnknownFrame
    | End,
    Field(discriminator="type"),
]

#: Validates and dumps :data:`Event` values (``validate_json``, ``dump_json``...).
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)

#: The classes of :data:`Event`, for ``isinstance`` (the writers' first check).
_EVENT_CLASSES: tuple[type[_EventBase], ...] = get_args(get_args(Event)[0])


def dump_jsonl(events: Iterable[Event], *, wire: bool = True) -> Iterator[str]:
    """One JSON line (with its ``\\n``) per event; ``wire=False`` leaves out :attr:`wire`.

    >>> list(dump_jsonl([TextDelta(text="hi")]))
    ['{"type":"text_delta","choice":0,"text":"hi","wire":null}\\n']
    """
    exclude = None if wire else {"wire"}
    for event in events:
        try:
            yield event.model_dump_json(exclude=exclude) + "\n"
        except PydanticSerializationError:
            # Text with a lone surrogate (from a "\\ud800" escape in the stream)
            # cannot be UTF-8; JSON can still say it, as an escape.
            record = event.model_dump(exclude=exclude)
            yield json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n"


def load_jsonl(lines: Iterable[str | bytes]) -> Iterator[Event]:
    """Events back from :func:`dump_jsonl` output; blank lines are skipped."""
    for line in lines:
        if line.strip():
            try:
                yield EVENT_ADAPTER.validate_json(line)
            except ValidationError:
                # The fast parser refuses lone surrogate escapes; the standard
                # library reads them (and a real error is raised again below).
                yield EVENT_ADAPTER.validate_python(json.loads(line))

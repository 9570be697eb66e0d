"""Cross-format conversion: one provider's bytes in, the other's (or events) out.

Strategy: a :class:`Converter` is the facade's decoder run (provider sniffing
included) feeding the target's encoder, event by event, so bytes go out as
soon as the frame that makes them is read (a gateway adds no buffering). The
facts one format has and the other lacks are filled in one place,
:meth:`Converter._adapt`, from the arguments or from deterministic defaults:

========================  ==========================================================
OpenAI wants              it comes from (first that is given)
========================  ==========================================================
``id``                    ``id=``; the stream's own id; ``"chatcmpl-" + request_id``;
                          ``ids()`` (default: always ``"chatcmpl-0"``)
``model``                 ``model=``; the stream's own model; ``"unknown"``
``created``               ``created=``; the stream's own; ``int(clock())`` (default: 0)
error ``type``            the error's own; from its HTTP status
                          (:func:`adapters.translate.openai_error_type`)
========================  ==========================================================

DashScope wants a ``request_id``: ``request_id=``, the stream's own, else the
OpenAI response id without its ``chatcmpl-`` prefix. What the target cannot
carry is dropped and reported, never silently: see :class:`Dropped` and
docs/convert.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from adapters._convert import Provider, Source, _check_mode, _chunks, _options, _Run
from adapters._errors import AdapterError, Diagnostic
from adapters._json import parse_json
from adapters.dashscope import Encoder as DashScopeEncoder
from adapters.events import (
    ErrorEvent,
    Event,
    FunctionCallDelta,
    Logprobs,
    Passthrough,
    RefusalDelta,
    StreamStart,
    UnknownFrame,
    dump_jsonl,
)
from adapters.openai import Encoder as OpenAIEncoder
from adapters.translate import dashscope_error_code, openai_error_type

__all__ = ["Converter", "Dropped", "aconvert", "convert", "iter_convert"]

Target = Literal["openai", "dashscope", "events"]

#: Keys of a DashScope frame's ``output`` / top level / ``usage`` that the
#: OpenAI form carries (everything else is reported as dropped).
_DS_TOP = frozenset({"output", "usage", "request_id"})
_DS_OUTPUT = frozenset({"choices", "text", "finish_reason"})
_DS_USAGE = frozenset(
    {
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "prompt_tokens_details",
        "output_tokens_details",
        "cached_tokens",
    }
)
#: Keys inside usage details that the OpenAI usage carries.
_DS_USAGE_DETAILS = {
    "prompt_tokens_details": frozenset({"cached_tokens"}),
    "output_tokens_details": frozenset({"reasoning_tokens"}),
}
_DS_CHOICE = frozenset({"message", "finish_reason", "index", "logprobs"})
_DS_MESSAGE = frozenset({"role", "content", "reasoning_content", "tool_calls"})
#: Keys of an OpenAI chunk that DashScope carries.
_OAI_TOP = frozenset({"id", "object", "created", "model", "choices", "usage"})
_OAI_CHOICE = frozenset({"index", "delta", "logprobs", "finish_reason"})
#: (``refusal`` and ``function_call`` are reported as their own kinds.)
_OAI_DELTA = frozenset(
    {"role", "content", "reasoning_content", "reasoning", "tool_calls", "refusal", "function_call"}
)


@dataclass(frozen=True, slots=True)
class Dropped:
    """Something the target format cannot carry, left out of a conversion.

    One per kind of loss and stream, with how often it happened. ``kind`` is
    stable (see the table in docs/convert.md); ``frame`` is the zero-based
    number of the first source frame it happened in, when known.
    """

    #: Machine-readable: ``"refusal"``, ``"function_call"``, ``"unknown_frame"``,
    #: ``"field"`` (a key of the source frames with no home), ``"passthrough"``.
    kind: str
    #: What was left out, e.g. ``output.search_info`` or ``refusal text``.
    what: str
    #: Zero-based number of the first frame it was in, when known.
    frame: int | None
    #: How many times (events, or frames for a field).
    count: int


class Converter:
    """Convert a stream chunk by chunk: sans-I/O, bytes in and bytes out.

    >>> from adapters import Converter
    >>> conv = Converter(to="openai", provider="dashscope", model="qwen-plus")
    >>> out = conv.feed(b'id:1\\nevent:result\\n:HTTP_STATUS/200\\ndata:{"output":'
    ...                 b'{"choices":[{"message":{"content":"Hi","role":"assistant"},'
    ...                 b'"finish_reason":"stop"}]},"usage":{"input_tokens":3,'
    ...                 b'"output_tokens":1,"total_tokens":4},"request_id":"r-1"}\\n\\n')
    >>> out += conv.close()
    >>> print(out.decode()[:91])
    data: {"id":"chatcmpl-r-1","object":"chat.completion.chunk","created":0,"model":"qwen-plus"
    >>> out.decode().endswith("data: [DONE]\\n\\n")
    True

    :param to: ``"openai"``, ``"dashscope"``, or ``"events"`` (JSON Lines).
    :param provider: the input's format, or ``"auto"``.
    :param mode: a DashScope input's mode (``"auto"`` tells from the frames).
    :param output_mode: ``to="dashscope"``: ``"incremental"`` or ``"cumulative"``.
    :param id: the OpenAI response id to write (see the module's table).
    :param model: the model name to write when the input has none.
    :param created: the creation time to write when the input has none.
    :param request_id: the DashScope ``request_id`` to write.
    :param include_usage: ``to="openai"``: ``True`` puts usage in one last
        chunk with ``choices: []``, ``False`` leaves it out, ``None`` (the
        default) writes it where it comes (DashScope's comes last anyway).
    :param result_format: ``to="dashscope"``: ``"message"`` (``output.choices``)
        or ``"text"`` (``output.text``), as the request asked.
    :param content: ``to="dashscope"``: message content as a ``"string"`` or, as
        the multimodal endpoint answers, a ``"list"`` of ``{"text": ...}`` items.
    :param clock: returns Unix seconds, for ``created``; default always 0, so
        the same input gives the same bytes. Pass ``time.time`` in a gateway.
    :param ids: returns a response id when nothing else gives one.
    :param wire: keep the input's layout on events (``to="events"``, or for
        an exact same-format re-encoding). Default: when the target is the
        input's own format or events.
    :param dropped: if given, a :class:`Dropped` for each kind of loss is
        appended when the stream ends (looking costs a parse of each frame).
    """

    def __init__(
        self,
        to: Target,
        provider: Provider = "auto",
        mode: Literal["auto", "incremental", "cumulative"] = "auto",
        *,
        output_mode: Literal["incremental", "cumulative"] = "incremental",
        id: str | None = None,  # noqa: A002 - OpenAI's name for it
        model: str | None = None,
        created: int | None = None,
        request_id: str | None = None,
        include_usage: bool | None = None,
        result_format: Literal["message", "text"] = "message",
        content: Literal["string", "list"] = "string",
        clock: Callable[[], float] | None = None,
        ids: Callable[[], str] | None = None,
        strict: bool = True,
        wire: bool | None = None,
        on_mismatch: Literal["error", "resync"] = "error",
        split_glued: bool = False,
        dropped: list[Dropped] | None = None,
    ) -> None:
        _check_mode(mode)
        if to not in {"openai", "dashscope", "events"}:
            raise ValueError(f"to must be 'openai', 'dashscope' or 'events', not {to!r}")
        if wire is None:
            wire = to == "events" or provider in {"auto", to} or dropped is not None
        self.to = to
        self._run = _Run(provider, _options(mode, strict, wire, on_mismatch, split_glued))
        self._wire = wire
        self._id = id
        self._model = model
        self._created = created
        self._request_id = request_id
        self._clock = clock
        self._ids = ids
        self._said_id: str | None = None  # the request_id DashScope frames carry
        self._pending: AdapterError | None = None
        self._tail: list[Event] | None = None  # what drain() found
        self._dropped = dropped
        self._losses: dict[tuple[str, str], list[int | None]] = {}
        self._looked: int | None = None  # the last frame whose keys were looked at
        self._encoder: OpenAIEncoder | DashScopeEncoder | None = None
        if to == "openai":
            self._encoder = OpenAIEncoder(include_usage=include_usage)
        elif to == "dashscope":
            self._encoder = DashScopeEncoder(
                mode=output_mode,
                result_format=result_format,
                content=content,
            )  # request_id= reaches the frames through the stream start (a rename)
        self._closed = False

    @property
    def provider(self) -> str | None:
        """The input's format, once known (``None`` while still sniffing)."""
        return self._run.provider if self._run.decoder is not None else None

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """What the decoder repaired or tolerated so far."""
        return self._run.decoder.diagnostics if self._run.decoder is not None else []

    def feed(self, data: bytes) -> bytes:
        """Output for the frames this chunk completes (possibly ``b""``)."""
        events = self.events(data)
        return self.write(events) if events else b""

    def events(self, data: bytes) -> list[Event]:
        """The events a chunk completes, as the target will see them (defaults
        filled in), without encoding them: for callers that inspect first."""
        return [self._adapt(event) for event in self._run.feed(data)]

    def drain(self) -> list[Event]:
        """The events the end of input completes, adapted, without writing them:
        for callers that inspect before they answer. :meth:`close` writes them."""
        if self._tail is None:
            self._tail = [self._adapt(event) for event in self._run.close()]
        return self._tail

    def close(self) -> bytes:
        """Output for the rest of the input.

        An error the end of input shows (a truncated stream, in strict mode)
        is raised by this call if there is nothing left to write, else by the
        next call, so that the output before it is not lost: call ``close()``
        until it returns ``b""`` (as :func:`iter_convert` does).
        """
        if self._pending is not None:
            pending, self._pending = self._pending, None
            raise pending
        if self._closed:
            return b""
        self._closed = True
        error: AdapterError | None = None
        out = b""
        try:
            events = self.drain()
        except AdapterError as exc:  # still write what the encoder holds
            events, error = [], exc
        try:
            out += self.write(events) if events else b""
            if self._encoder is not None:
                out += self._encoder.close()
            if error is None:
                self._run.finish()
        except AdapterError as exc:
            error = exc
        finally:
            self._report()
        if error is not None:
            if not out:
                raise error
            self._pending = error
        return out

    def write(self, events: Iterable[Event]) -> bytes:
        """Encode events that were already adapted (see :meth:`events`)."""
        if self._encoder is None:
            return "".join(dump_jsonl(events, wire=self._wire)).encode("utf-8")
        encode = self._encoder.encode
        return b"".join([encode(event) for event in events])

    # ------------------------------------------------------------ internals

    def _adapt(self, event: Event) -> Event:
        """Fill in what the target needs and the input lacks; note losses."""
        if self._dropped is not None:
            self._note(event)
        if type(event) is StreamStart:
            return self._start(event)
        if type(event) is ErrorEvent:
            if self.to == "openai" and event.error_type is None:
                if event.status is not None:
                    error_type = openai_error_type(event.status)
                    return event.model_copy(update={"error_type": error_type})
            elif self.to == "dashscope":
                update: dict[str, Any] = {}
                if event.request_id is None and self._said_id:
                    update["request_id"] = self._said_id
                if event.code is None:  # DashScope errors always name one
                    update["code"] = (
                        dashscope_error_code(event.status) if event.status else "InternalError"
                    )
                return event.model_copy(update=update) if update else event
        return event

    def _start(self, event: StreamStart) -> StreamStart:
        update: dict[str, Any] = {}
        if self.to == "openai":
            request_id = self._request_id or event.request_id
            if self._id is not None or event.id is None:
                update["id"] = self._id or (
                    f"chatcmpl-{request_id}" if request_id else self._new_id()
                )
            if self._model is not None or event.model is None:
                update["model"] = self._model or "unknown"
            if self._created is not None or event.created is None:
                update["created"] = self._created if self._created is not None else self._now()
        elif self.to == "dashscope":
            if self._request_id is not None:
                update["request_id"] = self._request_id
            elif event.request_id is None:
                # The inverse of "chatcmpl-" + request_id above: a round trip
                # gives the original request_id back.
                update["request_id"] = (event.id or self._new_id()).removeprefix("chatcmpl-")
            self._said_id = self._request_id or update.get("request_id") or event.request_id
        return event.model_copy(update=update) if update else event

    def _new_id(self) -> str:
        return self._ids() if self._ids is not None else "chatcmpl-0"

    def _now(self) -> int:
        return int(self._clock()) if self._clock is not None else 0

    # ------------------------------------------------------------ losses

    def _loss(self, kind: str, what: str, frame: int | None) -> None:
        seen = self._losses.setdefault((kind, what), [frame, 0])
        seen[1] = (seen[1] or 0) + 1

    def _note(self, event: Event) -> None:
        source = self._run.provider
        if self.to in {"events", source}:
            return
        frame = _frame_of(event, source)
        if isinstance(event, RefusalDelta) and self.to == "dashscope":
            self._loss("refusal", "refusal text", frame)
        elif isinstance(event, Logprobs) and event.refusal and self.to == "dashscope":
            self._loss("refusal", "refusal logprobs", frame)
        elif isinstance(event, FunctionCallDelta) and self.to == "dashscope":
            self._loss("function_call", "legacy function_call delta", frame)
        elif isinstance(event, UnknownFrame):
            self._loss("unknown_frame", f"event: {event.event}", frame)
        elif isinstance(event, Passthrough):
            self._loss("passthrough", "a frame that said nothing", frame)
        if frame is not None and frame != self._looked and type(event) is not ErrorEvent:
            self._looked = frame
            self._fields(event, source, frame)

    def _fields(self, event: Event, source: str, frame: int | None) -> None:
        """Keys of the source frame the target has no home for (looked at once
        per frame, on its first event)."""
        layout = (event.wire or {}).get(source)
        data = layout.get("data") if type(layout) is dict else None
        if type(data) is not str:
            return
        try:
            obj = parse_json(data)
        except ValueError:
            return
        if type(obj) is not dict:
            return
        if source == "dashscope":
            usage = obj.get("usage")
            if type(usage) is dict:
                for key in usage.keys() - _DS_USAGE:
                    self._loss("field", f"usage.{key}", frame)
                for key, known in _DS_USAGE_DETAILS.items():
                    details = usage.get(key)
                    for inner in details.keys() - known if type(details) is dict else ():
                        self._loss("field", f"usage.{key}.{inner}", frame)
            for key in obj.keys() - _DS_TOP:
                self._loss("field", key, frame)
            output = obj.get("output")
            if type(output) is dict:
                for key in output.keys() - _DS_OUTPUT:
                    self._loss("field", f"output.{key}", frame)
                choices = output.get("choices")
                for choice in choices if type(choices) is list else ():
                    if type(choice) is dict:
                        self._choice_fields(choice, frame)
        else:
            for key in obj.keys() - _OAI_TOP:
                self._loss("field", key, frame)
            choices = obj.get("choices")
            for choice in choices if type(choices) is list else ():
                if type(choice) is not dict:
                    continue
                for key in choice.keys() - _OAI_CHOICE:
                    self._loss("field", f"choices[].{key}", frame)
                delta = choice.get("delta")
                for key in delta.keys() - _OAI_DELTA if type(delta) is dict else ():
                    self._loss("field", f"choices[].delta.{key}", frame)

    def _choice_fields(self, choice: dict[str, Any], frame: int | None) -> None:
        for key in choice.keys() - _DS_CHOICE:
            self._loss("field", f"output.choices[].{key}", frame)
        message = choice.get("message")
        if type(message) is not dict:
            return
        for key in message.keys() - _DS_MESSAGE:
            self._loss("field", f"output.choices[].message.{key}", frame)
        content = message.get("content")
        for item in content if type(content) is list else ():
            for key in item.keys() - {"text"} if type(item) is dict else ():
                self._loss("field", f"output.choices[].message.content[].{key}", frame)

    def _report(self) -> None:
        if self._dropped is None:
            return
        for (kind, what), (frame, count) in self._losses.items():
            self._dropped.append(Dropped(kind, what, frame, count or 0))


def _frame_of(event: Event, source: str) -> int | None:
    layout = (event.wire or {}).get(source)
    frame = layout.get("frame") if type(layout) is dict else None
    return frame if type(frame) is int else None


def iter_convert(source: Source, to: Target, **options: Any) -> Iterator[bytes]:
    """The converted stream, piece by piece as the input is read.

    Takes :class:`Converter`'s options. Output already produced is yielded
    before an error in the input is raised.
    """
    converter = Converter(to, **options)
    for chunk in _chunks(source):
        out = converter.feed(chunk)
        if out:
            yield out
    while tail := converter.close():
        yield tail


async def aconvert(
    source: AsyncIterable[bytes], to: Target, **options: Any
) -> AsyncIterator[bytes]:
    """The async twin of :func:`iter_convert`: an async iterator of bytes."""
    converter = Converter(to, **options)
    async for chunk in source:
        out = converter.feed(chunk)
        if out:
            yield out
    while tail := converter.close():
        yield tail


def convert(source: Source, to: Target, **options: Any) -> bytes:
    """Decode a stream and write it in another format, as one ``bytes``.

    >>> import adapters
    >>> raw = (b'data: {"id":"c1","object":"chat.completion.chunk","created":7,"model":"m",'
    ...        b'"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}\\n\\n'
    ...        b'data: [DONE]\\n\\n')
    >>> for line in adapters.convert(raw, to="dashscope").decode().splitlines():
    ...     print(line[:60])
    id:1
    event:result
    :HTTP_STATUS/200
    data:{"output":{"choices":[{"message":{"content":"Hi","role"
    <BLANKLINE>
    id:2
    event:result
    :HTTP_STATUS/200
    data:{"output":{"choices":[{"message":{"content":"","role":"
    <BLANKLINE>

    Options are :class:`Converter`'s: ``provider``, ``mode``, ``output_mode``,
    ``id``, ``model``, ``created``, ``request_id``, ``include_usage``,
    ``clock``, ``ids``, ``strict``, ``dropped``...
    """
    return b"".join(iter_convert(source, to, **options))

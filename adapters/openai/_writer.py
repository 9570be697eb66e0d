"""Normalized events -> OpenAI ``chat.completion.chunk`` SSE.

Strategy: two ways to write, chosen per frame.

* **Put back.** Events decoded from an OpenAI stream carry their frame's data
  text in ``wire["openai"]`` (all events of one frame share it). The encoder
  gathers the events of one frame, parses the chunk again and walks it in the
  reader's order, checking that the events are the ones the chunk holds. An
  unchanged frame is written as it came. Values the caller changed (redacted
  text, a renamed model) are written into a copy at the same places -- also
  into vendor keys that repeated the same value -- every other key kept. If
  the events no longer match the chunk (one was removed or added), the frame
  is written the second way.
* **Canonical.** One chunk per content event, in OpenAI's key order and compact
  separators: ``{"id","object","created","model","choices":[{"index","delta",
  "logprobs","finish_reason"}]}``; the role chunk is ``{"role":"assistant",
  "content":"","refusal":null}`` as OpenAI sends it; usage is its own chunk
  with ``choices: []``; an error is ``{"error": {"message","type","param",
  "code"}}``, which the official SDK raises as ``APIError``; :class:`End` is
  ``data: [DONE]``.

Both ways write ``data: <json>`` with one space, LF line ends, a blank line
after each frame (``adapters.sse`` conventions for OpenAI).
"""

from __future__ import annotations

import copy
import enum
import json
from collections.abc import Iterable
from typing import Any

from adapters._errors import EncodeError
from adapters._json import parse_json
from adapters.events import (
    _EVENT_CLASSES,
    ChoiceStart,
    Comment,
    End,
    ErrorEvent,
    Event,
    Finish,
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
from adapters.openai._reader import error_body
from adapters.sse import SSEFrame, encode_frame

__all__ = ["Encoder"]

PROVIDER = "openai"
_HEAD = ("id", "model", "created")

#: Layout keys of a frame that is just ``data: ...``: anything else (an event
#: name, an id) is written through the SSE encoder.
_PLAIN = frozenset({"frame", "data"})


class _Drop(enum.Enum):
    """A put-back frame with nothing left to say (a usage-only chunk whose usage
    moved to the end): it is not written."""

    DROP = enum.auto()


_DROP = _Drop.DROP


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _frame_bytes(data: str) -> bytes:
    try:
        return f"data: {data}\n\n".encode()
    except UnicodeEncodeError:  # a lone surrogate from a \\ud800 escape: escape it again
        return f"data: {json.dumps(json.loads(data), separators=(',', ':'))}\n\n".encode()


class _MismatchError(Exception):
    """The events of a frame are not the ones its chunk holds."""


class _Walk:
    """Check a group of events against a decoded chunk; collect changed values."""

    def __init__(
        self,
        events: list[Event],
        finished: dict[int, str],
        started: set[int],
        renames: dict[str, tuple[Any, Any]],
    ) -> None:
        self.events = events
        self.pos = 0
        self.changes: list[tuple[tuple[Any, ...], Any]] = []
        self.finished = dict(finished)  # committed by the encoder if the walk succeeds
        self.started = set(started)
        self.renames = renames

    def take(self, cls: type[Any], choice: int | None = None) -> Any:
        if self.pos < len(self.events):
            event = self.events[self.pos]
            if type(event) is cls and (choice is None or event.choice == choice):
                self.pos += 1
                return event
        return None

    def need(self, cls: type[Any], choice: int | None = None) -> Any:
        event = self.take(cls, choice)
        if event is None:
            raise _MismatchError
        return event

    def put(self, path: tuple[Any, ...], old: Any, new: Any) -> None:
        if old != new:
            self.changes.append((path, new))

    def echo(
        self, path: tuple[Any, ...], holder: dict[str, Any], key: str, old: Any, new: Any
    ) -> None:
        """A vendor key that repeats a value the events carry follows its changes."""
        if old != new and key in holder and holder[key] == old:
            self.changes.append(((*path, key), new))


def _same_or(value: Any, empty: Any) -> Any:
    return empty if value is None or value == "" else value


def _walk_chunk(chunk: dict[str, Any], walk: _Walk) -> None:
    choices = chunk.get("choices")
    if type(choices) is list:
        start = walk.take(StreamStart)
        for key in _HEAD:
            if start is not None:
                walk.put((key,), chunk.get(key), getattr(start, key))
            elif key in walk.renames and chunk.get(key) == walk.renames[key][0]:
                walk.put((key,), chunk[key], walk.renames[key][1])
        for k, choice in enumerate(choices):
            index = choice["index"]
            delta = choice["delta"]
            base = ("choices", k, "delta")
            if delta.get("role") is not None:
                begun = walk.take(ChoiceStart, index)
                if begun is not None:
                    walk.put((*base, "role"), delta["role"], begun.role)
                    walk.started.add(index)
                elif index not in walk.started:
                    raise _MismatchError  # a repeat is layout; a first role needs its event
            key = "reasoning_content" if delta.get("reasoning_content") else "reasoning"
            if delta.get(key):
                old = delta[key]
                new = walk.need(ReasoningDelta, index).text
                walk.put((*base, key), old, new)
                other = delta.get("reasoning") if key == "reasoning_content" else None
                if other and other != old:  # both keys, different texts: two events
                    walk.put((*base, "reasoning"), other, walk.need(ReasoningDelta, index).text)
                walk.echo(base, delta, "reasoning", old, new)  # vLLM sent both for a while
                for j, detail in enumerate(delta.get("reasoning_details") or ()):
                    if type(detail) is dict:  # OpenRouter repeats the text here
                        walk.echo((*base, "reasoning_details", j), detail, "text", old, new)
            content = delta.get("content")
            if type(content) is list:
                _walk_parts(content, (*base, "content"), index, walk)
            elif content:
                walk.put((*base, "content"), content, walk.need(TextDelta, index).text)
            if delta.get("refusal"):
                walk.put((*base, "refusal"), delta["refusal"], walk.need(RefusalDelta, index).text)
            function_call = delta.get("function_call")
            if function_call is not None:
                event = walk.need(FunctionCallDelta, index)
                fpath: tuple[Any, ...] = (*base, "function_call")
                walk.put((*fpath, "name"), _same_or(function_call.get("name"), None), event.name)
                walk.put(
                    (*fpath, "arguments"),
                    _same_or(function_call.get("arguments"), ""),
                    event.arguments,
                )
            for j, call in enumerate(delta.get("tool_calls") or ()):
                event = walk.need(ToolCallDelta, index)
                tpath: tuple[Any, ...] = (*base, "tool_calls", j)
                function = call.get("function") or {}
                walk.put((*tpath, "index"), call["index"], event.index)
                walk.put((*tpath, "id"), _same_or(call.get("id"), None), event.id)
                walk.put(
                    (*tpath, "function", "name"), _same_or(function.get("name"), None), event.name
                )
                walk.put(
                    (*tpath, "function", "arguments"),
                    _same_or(function.get("arguments"), ""),
                    event.arguments,
                )
            logprobs = choice.get("logprobs")
            if logprobs is not None:
                event = walk.need(Logprobs, index)
                walk.put(
                    ("choices", k, "logprobs", "content"), logprobs.get("content"), event.content
                )
                walk.put(
                    ("choices", k, "logprobs", "refusal"), logprobs.get("refusal"), event.refusal
                )
            reason = choice.get("finish_reason")
            if reason:
                finish = walk.take(Finish, index)
                if finish is not None:
                    walk.put(("choices", k, "finish_reason"), reason, finish.raw_reason)
                    walk.echo(
                        ("choices", k), choice, "native_finish_reason", reason, finish.raw_reason
                    )
                    walk.finished[index] = finish.raw_reason
                elif walk.finished.get(index) != reason:
                    raise _MismatchError  # a repeat is layout; a first finish needs its event
    usage = chunk.get("usage")
    if usage is not None:
        _walk_usage(usage, walk.need(Usage, None), ("usage",), walk)
    error = chunk.get("error")
    if error:
        _walk_error(error, ("error",), walk)


def _walk_usage(usage: dict[str, Any], event: Usage, path: tuple[Any, ...], walk: _Walk) -> None:
    prompt = usage.get("prompt_tokens_details") or {}
    completion = usage.get("completion_tokens_details") or {}
    walk.put((*path, "prompt_tokens"), usage.get("prompt_tokens"), event.input_tokens)
    walk.put((*path, "completion_tokens"), usage.get("completion_tokens"), event.output_tokens)
    walk.put((*path, "total_tokens"), usage.get("total_tokens"), event.total_tokens)
    walk.put(
        (*path, "prompt_tokens_details", "cached_tokens"),
        prompt.get("cached_tokens"),
        event.cached_tokens,
    )
    walk.put(
        (*path, "completion_tokens_details", "reasoning_tokens"),
        completion.get("reasoning_tokens"),
        event.reasoning_tokens,
    )


def _walk_parts(parts: list[Any], path: tuple[Any, ...], choice: int, walk: _Walk) -> None:
    for k, part in enumerate(parts):
        if part.get("type") == "text" and part["text"]:
            walk.put((*path, k, "text"), part["text"], walk.need(TextDelta, choice).text)
        elif part.get("type") == "thinking":
            for j, piece in enumerate(part["thinking"]):
                if piece["text"]:
                    event = walk.need(ReasoningDelta, choice)
                    walk.put((*path, k, "thinking", j, "text"), piece["text"], event.text)


def _walk_error(error: Any, path: tuple[Any, ...], walk: _Walk) -> None:
    event = walk.need(ErrorEvent, None)
    if type(error) is not dict:
        walk.put(path, error, event.message)
        return
    walk.put((*path, "message"), error.get("message"), event.message)
    walk.put((*path, "type"), error.get("type"), event.error_type)
    walk.put((*path, "param"), error.get("param"), event.param)
    walk.put((*path, "code"), error.get("code"), event.code)
    if "request_id" in error or event.request_id is not None:
        walk.put((*path, "request_id"), error.get("request_id"), event.request_id)
    status_key = "status_code" if "status_code" in error else "status"
    status = error.get(status_key)
    if type(status) is int or event.status is not None:
        walk.put((*path, status_key), status, event.status)


def _apply(root: Any, changes: list[tuple[tuple[Any, ...], Any]]) -> Any:
    root = copy.deepcopy(root)
    for path, value in changes:
        if not path:
            return value
        target = root
        for step in path[:-1]:
            if type(target) is dict and target.get(step) is None:
                target[step] = {}
            target = target[step]
        if value is None and type(target) is dict and path[-1] not in target:
            continue
        target[path[-1]] = value
    return root


class Encoder:
    """Turn normalized events into OpenAI ``chat.completion.chunk`` SSE bytes.

    >>> from adapters.events import StreamStart, TextDelta, Finish, End
    >>> enc = Encoder()
    >>> out = b"".join(enc.encode(e) for e in [
    ...     StreamStart(id="c1", model="m", created=1), TextDelta(text="Hi"),
    ...     Finish(reason="stop"), End()]) + enc.close()
    >>> print(out.decode())
    data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",...
    <BLANKLINE>
    data: {...,"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}
    <BLANKLINE>
    data: [DONE]
    <BLANKLINE>
    <BLANKLINE>

    :meth:`encode` may return ``b""``: the events of one decoded frame are
    held until the frame is complete. :meth:`close` returns the rest.

    :param id: response id for chunks when the events carry none (no
        :class:`~adapters.events.StreamStart`, or one with ``id=None``).
    :param model: the model name, likewise.
    :param created: the creation time, likewise.
    :param include_usage: ``None`` (default): usage is written as OpenAI does
        for ``stream_options.include_usage``, in its own ``choices: []`` chunk
        last before ``[DONE]`` (or before an error that ends the stream), except
        that a decoded frame that carried usage is put back where it was.
        ``True``: always so, also for usage that rode on a decoded frame (which
        keeps its other content and gets ``"usage": null``; the moved usage
        keeps the counters and vendor keys it had); with several usage events
        (running totals) the last one is written. No usage chunk is invented
        when the events have none. ``False``: usage is left out, as OpenAI does
        when the request did not ask for it.
    """

    def __init__(
        self,
        *,
        id: str | None = None,  # noqa: A002 - OpenAI's name for it
        model: str | None = None,
        created: int | None = None,
        include_usage: bool | None = None,
    ) -> None:
        self._defaults = {"id": id, "model": model, "created": created}
        self.include_usage = include_usage
        self._head: dict[str, Any] = dict(self._defaults)
        self._prefix = ""
        self._set_prefix()
        self._group: list[Event] = []
        self._group_key: int | None = None
        self._held_usage: Usage | None = None
        self._finished: dict[int, str] = {}
        self._started: set[int] = set()
        #: Head values a StreamStart changed: {key: (as decoded, as now)}.
        self._renames: dict[str, tuple[Any, Any]] = {}

    def _set_prefix(self) -> None:
        head = self._head
        self._prefix = (
            f'{{"id":{_dumps(head["id"])},"object":"chat.completion.chunk",'
            f'"created":{_dumps(head["created"])},"model":{_dumps(head["model"])},'
        )

    # ------------------------------------------------------------------ API

    def encode(self, event: Event) -> bytes:
        """Bytes for the frames this event completes (possibly none yet)."""
        if isinstance(event, Resync):
            raise EncodeError(
                "a resync event (a rewritten cumulative snapshot) has no OpenAI form: "
                "chunks can only append to what came before",
                kind="unencodable_event",
                provider=PROVIDER,
            )
        if not isinstance(event, _EVENT_CLASSES):
            raise EncodeError(
                f"expected an adapters event, got {type(event).__name__}",
                kind="not_an_event",
                provider=PROVIDER,
            )
        out = b""
        wire = event.wire
        layout = wire.get(PROVIDER) if wire else None
        key = layout.get("frame") if type(layout) is dict else None
        if self._group:
            if key is not None and key == self._group_key:
                if type(event) is Usage and self.include_usage:
                    self._held_usage = event
                self._group.append(event)
                return b""
            # (A usage of the next frame is held only after this one is out:
            # were this one the end, it would take that usage before [DONE].)
            out = self._flush_group()
        if type(event) is Usage and key is not None and self.include_usage:
            self._held_usage = event  # and its frame is put back without it
        if type(event) is Usage and key is None:
            # Usage of no decoded frame goes where OpenAI puts it: in its own
            # chunk, last before [DONE] (or before an error that ends the stream).
            if self.include_usage is False:
                return out
            if self._held_usage is not None and self.include_usage is None:
                out += self._usage_chunk(self._held_usage)  # running totals: each one
            self._held_usage = event
            return out
        if key is None:
            if type(event) is End or type(event) is ErrorEvent:
                out += self._release_usage()
            return out + self._canonical(event)
        self._group = [event]
        self._group_key = key
        return out

    def _release_usage(self) -> bytes:
        held, self._held_usage = self._held_usage, None
        return b"" if held is None else self._usage_chunk(held)

    def _flush_group(self) -> bytes:
        ends = any(type(e) is End or type(e) is ErrorEvent for e in self._group)
        return (self._release_usage() if ends else b"") + self._flush()

    def close(self) -> bytes:
        """Bytes of a frame still being gathered (and a held usage chunk)."""
        out = self._flush_group() if self._group else b""
        return out + self._release_usage()

    def encode_all(self, events: Iterable[Event]) -> bytes:
        """Every event, then :meth:`close`, as one ``bytes``."""
        return b"".join(self.encode(event) for event in events) + self.close()

    # ------------------------------------------------------------ put back

    def _flush(self) -> bytes:
        group, self._group, self._group_key = self._group, [], None
        for event in group:
            if type(event) is StreamStart:
                self._start(event)
        comments = tuple(e.text for e in group if type(e) is Comment)
        body = [e for e in group if type(e) is not Comment]
        # Comments of a data block carry only the frame number; the rest its layout.
        layout: dict[str, Any] = (body or group)[0].wire[PROVIDER]  # type: ignore[index]
        data: str | None = None
        if body and "data" not in layout and all(type(e) is Passthrough for e in body):
            # A block of id / retry / ignored lines: as it came, if it was kept.
            raw = layout.get("raw")
            if type(raw) is str:
                return raw.encode("utf-8", "surrogatepass")
        elif body:
            put = self._put_back(layout, body)
            if put is None:  # the events no longer match the frame
                return b"".join(self._canonical(e) for e in group)
            if put is _DROP:
                if not comments:
                    return b""
            else:
                data = put
        if (
            data is not None
            and not comments
            and _PLAIN.issuperset(layout)
            and "\n" not in data
            and "\r" not in data
        ):
            return _frame_bytes(data)
        fields = [layout.get(name) for name in ("event", "id", "retry")]
        if data is None and not comments and fields == [None, None, None]:
            return b""  # nothing an SSE block could say
        frame = SSEFrame(
            event=fields[0], data=data, id=fields[1], retry=fields[2], comments=comments
        )
        return encode_frame(frame)

    def _put_back(self, layout: dict[str, Any], body: list[Event]) -> str | _Drop | None:
        """The data of a decoded frame whose events are ``body``; ``None`` if the
        events no longer match it; :data:`_DROP` if nothing is left to write."""
        first = body[0]
        if type(first) is End and len(body) == 1:
            return "[DONE]"
        if type(first) is UnknownFrame and len(body) == 1:
            return first.data
        data = layout.get("data")
        if type(data) is not str:
            return None
        events = [e for e in body if type(e) is not Passthrough]
        walk = _Walk(events, self._finished, self._started, self._renames)
        try:
            if layout.get("event") == "error":
                return self._put_back_error(data, walk)
            try:
                chunk = parse_json(data)
            except ValueError:
                return None
            if type(chunk) is not dict:
                return None
            _walk_chunk(chunk, walk)
        except (_MismatchError, LookupError, TypeError, AttributeError):
            # The events differ from the frame, or the frame is not what the
            # reader would have accepted (a hand-edited wire): write canonically.
            return None
        if walk.pos != len(events):
            return None
        self._finished, self._started = walk.finished, walk.started
        if self.include_usage is not None and chunk.get("usage") is not None:
            if chunk.get("choices") == [] and all(type(e) in {Usage, StreamStart} for e in events):
                return _DROP  # a usage-only chunk: its usage is moved or left out
            walk.changes.append((("usage",), None))
        if not walk.changes:
            return data  # unchanged: the frame's own text, whatever its style
        return _dumps(_apply(chunk, walk.changes))

    def _put_back_error(self, data: str, walk: _Walk) -> str | None:
        body = error_body(data)
        if type(body) is dict:
            if "error" in body:
                _walk_error(body["error"], ("error",), walk)
            else:
                _walk_error(body, (), walk)
            if walk.pos != len(walk.events):
                return None
            return _dumps(_apply(body, walk.changes)) if walk.changes else data
        event = walk.need(ErrorEvent, None)
        if walk.pos != len(walk.events) or event.message is None:
            return None
        if event.message == body:
            return data
        # The message changed: write it the way the frame had it, JSON string or text.
        return _dumps(event.message) if data.lstrip().startswith('"') else event.message

    def _start(self, event: StreamStart) -> None:
        chunk = _decoded_chunk(event)
        if chunk is not None:
            for key in _HEAD:
                if chunk.get(key) != getattr(event, key):
                    self._renames[key] = (chunk.get(key), getattr(event, key))
        for key in _HEAD:
            value = getattr(event, key)
            self._head[key] = value if value is not None else self._defaults[key]
        self._set_prefix()

    # ------------------------------------------------------------ canonical

    def _chunk(
        self, choice: int, delta: str, finish: str = "null", logprobs: str = "null"
    ) -> bytes:
        return _frame_bytes(
            f'{self._prefix}"choices":[{{"index":{choice},"delta":{{{delta}}},'
            f'"logprobs":{logprobs},"finish_reason":{finish}}}]}}'
        )

    def _canonical(self, event: Event) -> bytes:
        if isinstance(event, TextDelta):
            return self._chunk(event.choice, f'"content":{_dumps(event.text)}')
        if isinstance(event, ReasoningDelta):
            return self._chunk(event.choice, f'"reasoning_content":{_dumps(event.text)}')
        if isinstance(event, ToolCallDelta):
            function: dict[str, Any] = {"name": event.name} if event.name is not None else {}
            function["arguments"] = event.arguments
            call: dict[str, Any] = {"index": event.index}
            if event.id is not None:
                call["id"] = event.id
                call["type"] = "function"
            call["function"] = function
            return self._chunk(event.choice, f'"tool_calls":[{_dumps(call)}]')
        if isinstance(event, StreamStart):
            self._start(event)
            return b""
        if isinstance(event, ChoiceStart):
            self._started.add(event.choice)
            return self._chunk(
                event.choice, f'"role":{_dumps(event.role)},"content":"","refusal":null'
            )
        if isinstance(event, Finish):
            self._finished[event.choice] = event.raw_reason
            return self._chunk(event.choice, "", finish=_dumps(event.raw_reason))
        if isinstance(event, RefusalDelta):
            return self._chunk(event.choice, f'"refusal":{_dumps(event.text)}')
        if isinstance(event, FunctionCallDelta):
            function = {"name": event.name} if event.name is not None else {}
            function["arguments"] = event.arguments
            return self._chunk(event.choice, f'"function_call":{_dumps(function)}')
        if isinstance(event, Logprobs):
            logprobs = _dumps({"content": event.content, "refusal": event.refusal})
            return self._chunk(event.choice, "", logprobs=logprobs)
        if isinstance(event, Usage):
            # With include_usage set, usage is held for the end (or left out).
            return b"" if self.include_usage is not None else self._usage_chunk(event)
        if isinstance(event, ErrorEvent):
            error: dict[str, Any] = {
                "message": event.message,
                "type": event.error_type,
                "param": event.param,
                "code": event.code,
            }
            if event.status is not None:
                error["status_code"] = event.status
            if event.request_id is not None:
                error["request_id"] = event.request_id
            return _frame_bytes(_dumps({"error": error}))
        if isinstance(event, Comment):
            return encode_frame(SSEFrame(comments=(event.text,)))
        if isinstance(event, End):
            return b"data: [DONE]\n\n"
        if isinstance(event, UnknownFrame) and event.provider == PROVIDER:
            return encode_frame(SSEFrame(event=event.event, data=event.data))
        return b""  # another provider's frame, or a passthrough without its frame

    def _usage_chunk(self, event: Usage) -> bytes:
        """The usage chunk written last (``include_usage=True``), or for a Usage
        event with no frame of its own: the frame's usage object if it was
        decoded from one, with the event's counts."""
        chunk = _decoded_chunk(event)
        original = chunk.get("usage") if chunk is not None else None
        if type(original) is dict:
            walk = _Walk([], {}, set(), {})
            _walk_usage(original, event, ("usage",), walk)
            if chunk is not None and chunk.get("choices") == []:
                # It came in a usage chunk of its own: that chunk, as it came.
                return _frame_bytes(_dumps(_apply(chunk, walk.changes)))
            usage = _apply({"usage": original}, walk.changes)["usage"]
            return _frame_bytes(f'{self._prefix}"choices":[],"usage":{_dumps(usage)}}}')
        counts = (
            ("prompt_tokens", event.input_tokens),
            ("completion_tokens", event.output_tokens),
            ("total_tokens", event.total_tokens),
        )
        usage = {key: value for key, value in counts if value is not None}
        if event.cached_tokens is not None:
            usage["prompt_tokens_details"] = {"cached_tokens": event.cached_tokens}
        if event.reasoning_tokens is not None:
            usage["completion_tokens_details"] = {"reasoning_tokens": event.reasoning_tokens}
        return _frame_bytes(f'{self._prefix}"choices":[],"usage":{_dumps(usage)}}}')


def _decoded_chunk(event: Event) -> dict[str, Any] | None:
    """The chunk of the decoded frame an event came from, if it has one."""
    wire = event.wire
    layout = wire.get(PROVIDER) if wire else None
    if type(layout) is not dict or type(layout.get("data")) is not str:
        return None
    try:
        chunk = parse_json(layout["data"])
    except ValueError:
        return None
    return chunk if type(chunk) is dict else None

"""Normalized events -> DashScope native SSE.

Strategy: events are gathered into frames, and a frame is built as a JSON
object; a finishing frame is held back until the next event, so that a
:class:`Usage` event that follows it (the final totals) can still go into it.

* Events decoded from a DashScope frame carry that frame (``wire``). They are
  gathered by frame number, and the frame is written back *as it came* when
  the events still say exactly what it said: the writer reads the original
  frame again with a reader of its own and compares. Otherwise the frame is
  rebuilt from the events, on the original object, so unknown keys, usage
  snapshots, ``search_info`` and key order stay.
* Other events become frames the way DashScope sends them: one piece per
  frame (a choice's role rides with its first piece), written as soon as
  the event arrives, so a gateway adds no delay. Only a frame with a finish
  waits, for the :class:`~adapters.events.Usage` event that may follow it.
* ``mode="cumulative"`` writes every value as the whole so far (an
  :class:`~adapters.dashscope.Accumulator`); ``"incremental"`` writes pieces.

What DashScope cannot carry is left out and said in docs/dashscope.md:
refusals, legacy ``function_call`` deltas, other providers' frames.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Literal

from adapters._errors import EncodeError
from adapters._json import dumps as _dumps
from adapters._json import parse_json
from adapters.dashscope._diff import Accumulator
from adapters.dashscope._reader import (
    PROVIDER,
    Decoder,
    _BadFrameError,
    usage_counts,
)
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
from adapters.sse import SSEFrame, encode_frame

__all__ = ["Encoder"]


# Where an event goes in a frame, in the reader's order.
_RANK: dict[type[Any], int] = {
    ChoiceStart: 0,
    ReasoningDelta: 1,
    TextDelta: 2,
    Resync: 2,
    ToolCallDelta: 3,
    Logprobs: 4,
    Finish: 5,
}
_BOM = "\ufeff"


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")


def _data(value: Any) -> str:
    """A frame's JSON. Text with a lone surrogate (from a ``"\\ud800"`` escape
    in the stream) cannot be UTF-8; JSON can still say it, as an escape."""
    text = _dumps(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":"))
    return text


class _Part:
    """What a frame says for one choice."""

    __slots__ = ("finish", "logprobs", "reasoning", "role", "text", "tools")

    def __init__(self) -> None:
        self.role: str | None = None
        self.reasoning: list[str] = []
        self.text: list[str] = []
        self.tools: dict[int, list[Any]] = {}  # index -> [id, name, arguments pieces]
        self.logprobs: list[Any] = []
        self.finish: str | None = None


class _Held:
    """A built frame, written once the next event shows nothing more goes into it."""

    __slots__ = ("layout", "obj", "text")

    def __init__(
        self, text: str | None, obj: dict[str, Any] | None, layout: dict[str, Any] | None
    ) -> None:
        self.text = text  # the data as it came (None: serialize obj)
        self.obj = obj
        self.layout = layout


class Encoder:
    """Write normalized events as a DashScope native stream.

    >>> import json
    >>> from adapters.events import StreamStart, ChoiceStart, TextDelta, Finish, Usage, End
    >>> from adapters.sse import decode_frames
    >>> raw = Encoder(mode="cumulative").encode_all([
    ...     StreamStart(request_id="r1"), ChoiceStart(), TextDelta(text="我爱"),
    ...     TextDelta(text="吃"), Finish(), Usage(input_tokens=3, output_tokens=2), End()])
    >>> print(raw.decode()[:73])
    id:1
    event:result
    :HTTP_STATUS/200
    data:{"output":{"choices":[{"message":
    >>> for frame in decode_frames(raw):
    ...     body = json.loads(frame.data)
    ...     choice = body["output"]["choices"][0]
    ...     print(frame.id, choice["message"]["content"], choice["finish_reason"],
    ...           body.get("usage"), body["request_id"])
    1 我爱 null None r1
    2 我爱吃 null None r1
    3 我爱吃 stop {'output_tokens': 2, 'input_tokens': 3} r1

    :param mode: ``"incremental"`` (each frame carries the new piece) or
        ``"cumulative"`` (each frame carries the whole value so far).
    :param result_format: ``"message"`` (``output.choices``) or ``"text"``
        (``output.text``, one choice only) for frames built from events; a
        decoded frame keeps its own format.
    :param content: ``"string"`` (the text-generation endpoint) or ``"list"``
        (``[{"text": ...}]``, the multimodal endpoint) for built frames.
    :param request_id: the ``request_id`` of every built frame; by default the
        stream's :class:`~adapters.events.StreamStart` ``request_id``, and none
        if it has none.

    DashScope sends running usage totals on every frame; events carry only the
    totals, which come last. So a built frame carries the latest usage known
    when it is written (none before the first :class:`~adapters.events.Usage`),
    and the frame just before a Usage event gets those totals. A decoded frame
    keeps its own snapshot.
    """

    def __init__(
        self,
        *,
        mode: Literal["incremental", "cumulative"] = "incremental",
        result_format: Literal["message", "text"] = "message",
        content: Literal["string", "list"] = "string",
        request_id: str | None = None,
    ) -> None:
        if mode not in {"incremental", "cumulative"}:
            raise ValueError(f"mode must be 'incremental' or 'cumulative', not {mode!r}")
        if result_format not in {"message", "text"}:
            raise ValueError(f"result_format must be 'message' or 'text', not {result_format!r}")
        if content not in {"string", "list"}:
            raise ValueError(f"content must be 'string' or 'list', not {content!r}")
        self.mode = mode
        self.result_format = result_format
        self.content = content
        self._cumulative = mode == "cumulative"
        self._fixed_request_id = request_id is not None
        self._request_id = request_id
        self._renamed: tuple[str | None, str | None] | None = None
        self._group: list[Event] = []
        self._group_key: int | None = None  # the decoded frame being gathered, if any
        self._held: _Held | None = None
        self._count = 0  # frames written
        self._acc = Accumulator()
        self._tools: dict[int, dict[int, list[str]]] = {}  # choice -> index -> [id, name]
        self._logprobs: dict[int, list[Any]] = {}
        self._roles: dict[int, str] = {}
        self._usage: dict[str, Any] | None = None
        self._checkers: dict[str, Decoder] = {}
        self._in_step = True  # every decoded frame so far was written as it came
        self._unplaced = False  # a Usage event that no written frame carries yet
        self._last_choice: int | None = None  # the choice of the latest built frame

    # ------------------------------------------------------------------ API

    def encode(self, event: Event) -> bytes:
        """Bytes for the frames this event completes (possibly none yet)."""
        if not isinstance(event, _EVENT_CLASSES):
            raise EncodeError(
                f"expected an adapters event, got {type(event).__name__}",
                kind="not_an_event",
                provider=PROVIDER,
            )
        if isinstance(event, Resync) and not self._cumulative:
            raise EncodeError(
                "a resync event (a rewritten snapshot) needs mode='cumulative': an "
                "incremental stream can only append",
                kind="unencodable_event",
                provider=PROVIDER,
            )
        wire = event.wire
        layout = wire.get(PROVIDER) if wire else None
        key = layout.get("frame") if type(layout) is dict else None
        if isinstance(event, StreamStart):
            self._start(event)
        rank = _RANK.get(type(event))
        if key is not None and (rank is not None or isinstance(event, StreamStart | Passthrough)):
            out = self._flush() if self._group and self._group_key != key else b""
            self._group.append(event)
            self._group_key = key
            return out
        if rank is not None:
            return self._gather(event, rank)
        if isinstance(event, StreamStart | RefusalDelta | FunctionCallDelta):
            return b""  # nothing DashScope can say (see docs/dashscope.md)
        out = self._flush(hold=isinstance(event, Usage))
        if isinstance(event, Usage):
            self._put_usage(event)
            return out
        out += self._release()
        if isinstance(event, ErrorEvent | End):
            out += self._place_usage()
        return out + self._alone(event, layout)

    def _place_usage(self) -> bytes:
        """A Usage event that came after the last frame was written: in a frame
        of its own, so that it is not lost."""
        if not self._unplaced:
            return b""
        self._build([], None, empty=True)
        return self._release()

    def _gather(self, event: Event, rank: int) -> bytes:
        """A built frame: a choice's role goes with the event after it; every
        other event is a frame, written at once (a gateway adds no delay)."""
        joins = (
            len(self._group) == 1
            and self._group_key is None
            and isinstance(self._group[0], ChoiceStart)
            and self._group[0].choice == event.choice
            and rank > 0
        )
        out = b"" if joins else self._flush()
        self._group.append(event)
        if rank == 0:  # a role waits for the choice's first content
            return out
        return out + self._flush()

    def _alone(self, event: Event, layout: dict[str, Any] | None) -> bytes:
        """An event that is a frame of its own (or none)."""
        raw = layout.get("raw") if type(layout) is dict else None
        if isinstance(event, ErrorEvent):
            return self._error(event, layout)
        if isinstance(event, Comment):
            if type(raw) is str:
                return _utf8(raw)
            return encode_frame(SSEFrame(comments=(event.text,)), space=False)
        if isinstance(event, Passthrough) and event.provider == PROVIDER:
            # A frame that said nothing, built: written as an empty frame.
            self._build([event], None, empty=True)
            return self._release()
        if isinstance(event, UnknownFrame) and event.provider == PROVIDER:
            self._count += 1
            if type(raw) is str:
                return _utf8(raw)
            frame = SSEFrame(id=str(self._count), event=event.event, data=event.data)
            return encode_frame(frame, space=False)
        return b""  # End (DashScope has no end marker), or another provider's frame

    def close(self) -> bytes:
        """Bytes of the frames still gathered or held."""
        return self._flush() + self._release() + self._place_usage()

    def encode_all(self, events: Iterable[Event]) -> bytes:
        """Every event, then :meth:`close`, as one ``bytes``."""
        return b"".join(self.encode(event) for event in events) + self.close()

    # ------------------------------------------------------------ frames

    def _start(self, event: StreamStart) -> None:
        if self._fixed_request_id:
            return
        layout = (event.wire or {}).get(PROVIDER)
        if type(layout) is dict and type(layout.get("data")) is str:
            try:
                obj = parse_json(layout["data"])
            except ValueError:
                obj = None
            original = obj.get("request_id") if type(obj) is dict else None
            if original != event.request_id:
                self._renamed = (original, event.request_id)
        self._request_id = event.request_id

    def _flush(self, *, hold: bool = False) -> bytes:
        """Build the gathered frame; write the one held before it (and this
        one too, unless it finishes a choice or ``hold`` asks to keep it)."""
        if not self._group:
            return b""
        group, key = self._group, self._group_key
        self._group, self._group_key = [], None
        out = self._release()
        layout: dict[str, Any] | None = None
        if key is not None:
            wired = group[0].wire or {}
            layout = wired.get(PROVIDER)
        self._build(group, layout)
        if not hold and not any(isinstance(event, Finish) for event in group):
            # Only a finishing frame waits, for the Usage event that may follow it.
            out += self._release()
        return out

    def _release(self) -> bytes:
        held, self._held = self._held, None
        if held is None:
            return b""
        self._count += 1
        layout = held.layout or {}
        raw = layout.get("raw")
        if held.text is None and held.obj is None and type(raw) is str:
            return _utf8(raw)
        text = held.text if held.text is not None else _data(held.obj)
        number = layout.get("frame")
        if (
            held.text is not None
            and type(raw) is str
            and (layout.get("id") is not None or number == self._count - 1)
        ):
            out = raw
        else:
            frame_id = layout.get("id")
            comments = layout.get("comments", ["HTTP_STATUS/200"])
            lines = f"id:{frame_id if frame_id is not None else self._count}\nevent:result\n"
            lines += "".join(f":{comment}\n" for comment in comments)
            out = f"{lines}data:{text}\n\n"
        if layout.get("bom") and self._count == 1:
            out = _BOM + out
        return _utf8(out)

    def _checker(self, mode: str) -> Decoder:
        checker = self._checkers.get(mode)
        if checker is None:
            checker = self._checkers[mode] = Decoder(mode=mode, wire=False)  # type: ignore[arg-type]
        return checker

    def _build(
        self, group: list[Event], layout: dict[str, Any] | None, *, empty: bool = False
    ) -> None:
        parts = self._parts(group)
        if empty and self._last_choice is not None:
            # A frame that says nothing still names the choice being generated,
            # as DashScope's own empty frames do (clients read choices[0]);
            # cumulative output repeats its text so far.
            parts[self._last_choice] = _Part()
        data = layout.get("data") if layout is not None else None
        if data is None and layout is not None and type(layout.get("raw")) is str:
            # A block of id lines or lines the standard ignores: as it came.
            self._held = _Held(None, None, layout)
            return
        template: dict[str, Any] | None = None
        if type(data) is str:
            try:
                template = parse_json(data)
            except ValueError:
                template = None
            if type(template) is not dict or type(template.get("output")) is not dict:
                template = None
        if template is not None and layout is not None:
            source = layout.get("mode", "incremental")
            if self._same(template, group, source) and source == self.mode and self._in_step:
                self._held = _Held(data, None, layout)
                return
            if self._cumulative:
                self._in_step = False
        obj = self._render(parts, template)
        self._held = _Held(None, obj, layout)

    def _same(self, template: dict[str, Any], group: list[Event], source: str) -> bool:
        """Whether the events say exactly what the decoded frame says."""
        if self._renamed is not None and template.get("request_id") == self._renamed[0]:
            return False
        expected: list[Event] = []
        try:
            self._checker(source).read_result(template, template["output"], None, expected)
        except _BadFrameError:
            return False
        said = [event for event in group if type(event) is not Passthrough]
        return [event for event in expected if type(event) is not Usage] == said

    def _parts(self, group: list[Event]) -> dict[int, _Part]:
        """What the events say, per choice; the accumulated values updated."""
        parts: dict[int, _Part] = {}
        acc = self._acc
        for event in group:
            if type(event) not in _RANK:
                continue
            choice: int = event.choice  # type: ignore[assignment]
            self._last_choice = choice
            part = parts.get(choice)
            if part is None:
                part = parts[choice] = _Part()
            if isinstance(event, TextDelta):
                part.text.append(event.text)
                acc.add((choice, "text", 0), event.text)
            elif isinstance(event, ReasoningDelta):
                part.reasoning.append(event.text)
                acc.add((choice, "reasoning", 0), event.text)
            elif isinstance(event, ToolCallDelta):
                self._tool_call(event, part)
            elif isinstance(event, ChoiceStart):
                part.role = event.role
                self._roles[choice] = event.role
            elif isinstance(event, Logprobs):
                items = event.content or []
                part.logprobs.extend(items)
                self._logprobs.setdefault(choice, []).extend(items)
            elif isinstance(event, Finish):
                part.finish = event.raw_reason
            elif isinstance(event, Resync):
                self._resync(event, part)
        return parts

    def _tool_call(self, event: ToolCallDelta, part: _Part) -> None:
        calls = self._tools.setdefault(event.choice, {})
        call = calls.setdefault(event.index, ["", ""])
        if event.id:
            call[0] += event.id
        if event.name:
            call[1] += event.name
        self._acc.add((event.choice, "tool_call_arguments", event.index), event.arguments)
        piece = part.tools.get(event.index)
        if piece is None:
            part.tools[event.index] = [event.id, event.name, event.arguments]
        else:  # two fragments of one call in one frame: merged
            piece[0] = (piece[0] or "") + (event.id or "") or None
            piece[1] = (piece[1] or "") + (event.name or "") or None
            piece[2] += event.arguments

    def _resync(self, event: Resync, part: _Part) -> None:
        channel = event.channel
        if channel in {"text", "reasoning"}:
            self._acc.reset((event.choice, channel, 0), event.text)
            return
        index = event.index or 0
        call = self._tools.setdefault(event.choice, {}).setdefault(index, ["", ""])
        if channel == "tool_call_id":
            call[0] = event.text
        elif channel == "tool_call_name":
            call[1] = event.text
        else:
            self._acc.reset((event.choice, "tool_call_arguments", index), event.text)
        part.tools.setdefault(index, [None, None, ""])

    # ------------------------------------------------------------ building

    def _render(self, parts: dict[int, _Part], template: dict[str, Any] | None) -> dict[str, Any]:
        if template is None:
            obj: dict[str, Any] = {"output": {}}
            text_format = self.result_format == "text"
        else:
            obj = template
            output = template["output"]
            text_format = "choices" not in output and "text" in output
        output = obj["output"]
        if template is not None and not parts and "choices" not in output and not text_format:
            return obj  # an output this writer does not interpret (deep research): as it came
        if text_format:
            self._render_text(output, parts)
        else:
            self._render_choices(output, parts)
        if template is None:
            if self._usage is not None:
                obj["usage"] = self._usage
                self._unplaced = False
            if self._request_id is not None:
                obj["request_id"] = self._request_id
        elif self._renamed is not None and obj.get("request_id") == self._renamed[0]:
            obj["request_id"] = self._renamed[1]
        return obj

    def _render_text(self, output: dict[str, Any], parts: dict[int, _Part]) -> None:
        if any(choice != 0 for choice in parts):
            raise EncodeError(
                f'result_format="text" carries one choice; events name choice {max(parts)}',
                kind="unencodable_event",
                provider=PROVIDER,
            )
        part = parts.get(0) or _Part()
        if part.tools or part.reasoning:
            raise EncodeError(
                'result_format="text" carries only text; use result_format="message" '
                "for reasoning and tool calls",
                kind="unencodable_event",
                provider=PROVIDER,
            )
        output["finish_reason"] = part.finish or "null"
        output["text"] = self._acc.get((0, "text", 0)) if self._cumulative else "".join(part.text)

    def _render_choices(self, output: dict[str, Any], parts: dict[int, _Part]) -> None:
        old = output.get("choices")
        old_choices = old if type(old) is list else []
        by_index: dict[int, dict[str, Any]] = {}
        for position, choice in enumerate(old_choices):
            if type(choice) is dict:
                index = choice.get("index", position)
                if type(index) is int:
                    by_index.setdefault(index, choice)
        order = [*by_index, *(c for c in parts if c not in by_index)]
        choices = [
            self._render_choice(index, parts.get(index) or _Part(), by_index.get(index))
            for index in order
        ]
        output["choices"] = choices

    def _render_choice(
        self, index: int, part: _Part, template: dict[str, Any] | None
    ) -> dict[str, Any]:
        if template is None:
            template = {"message": {}, "index": index, "finish_reason": "null"}
        message = template.get("message")
        if type(message) is not dict:
            message = template["message"] = {}
        cumulative = self._cumulative
        acc = self._acc
        # content: always present, in the template's form (string or parts)
        text = acc.get((index, "text", 0)) if cumulative else "".join(part.text)
        content = message.get("content")
        as_list = type(content) is list or ("content" not in message and self.content == "list")
        if as_list:
            others = [
                item
                for item in (content if type(content) is list else [])
                if not (type(item) is dict and "text" in item)
            ]
            message["content"] = ([{"text": text}] if text else []) + others
        else:
            message["content"] = text
        reasoning = acc.get((index, "reasoning", 0)) if cumulative else "".join(part.reasoning)
        if reasoning or "reasoning_content" in message:
            message["reasoning_content"] = reasoning
        calls = self._render_calls(index, part, message.get("tool_calls"))
        if calls:
            message["tool_calls"] = calls
        else:
            message.pop("tool_calls", None)
        message["role"] = part.role or self._roles.get(index) or message.get("role") or "assistant"
        if cumulative and self._logprobs.get(index):
            template["logprobs"] = {"content": list(self._logprobs[index])}
        elif part.logprobs:
            template["logprobs"] = {"content": part.logprobs}
        else:
            template.pop("logprobs", None)
        template["finish_reason"] = part.finish or "null"
        return template

    def _render_calls(self, choice: int, part: _Part, old: object) -> list[dict[str, Any]]:
        templates: dict[int, dict[str, Any]] = {}
        if type(old) is list:
            for position, call in enumerate(old):
                if type(call) is dict:
                    at = call.get("index", position)
                    if type(at) is int:
                        templates.setdefault(at, call)
        calls: list[dict[str, Any]] = []
        if self._cumulative:
            known = self._tools.get(choice, {})
            for index, (call_id, name) in sorted(known.items()):
                arguments = self._acc.get((choice, "tool_call_arguments", index))
                calls.append(_call(templates.get(index), index, call_id, name, arguments))
            return calls
        for index, (call_id, name, arguments) in part.tools.items():
            calls.append(_call(templates.get(index), index, call_id or "", name, arguments))
        return calls

    # ------------------------------------------------------------ usage, errors

    def _put_usage(self, event: Usage) -> None:
        counts = {
            "input_tokens": event.input_tokens,
            "output_tokens": event.output_tokens,
            "total_tokens": event.total_tokens,
            "cached_tokens": event.cached_tokens,
            "reasoning_tokens": event.reasoning_tokens,
        }
        held = self._held
        current: dict[str, Any] | None = None
        obj: Any = None
        if held is not None:
            obj = held.obj
            if obj is None and held.text is not None:
                try:
                    obj = parse_json(held.text)
                except ValueError:
                    obj = None
            if type(obj) is dict and type(obj.get("usage")) is dict:
                current = obj["usage"]
                try:
                    if usage_counts(current) == counts:
                        self._usage = current
                        return  # the frame already says it
                except _BadFrameError:
                    pass
        snapshot = ((event.wire or {}).get(PROVIDER) or {}).get("usage")
        base = current if current is not None else snapshot
        usage = _usage_object(base if type(base) is dict else None, counts)
        self._usage = usage
        if held is None or type(obj) is not dict:
            # Every frame so far is written: the next built frame carries it, or
            # else an empty frame of its own (see _place_usage).
            self._unplaced = True
            return
        if "usage" not in obj and "request_id" in obj:  # DashScope's order
            request_id = obj.pop("request_id")
            obj["usage"] = usage
            obj["request_id"] = request_id
        else:
            obj["usage"] = usage
        held.obj, held.text = obj, None

    def _error(self, event: ErrorEvent, layout: dict[str, Any] | None) -> bytes:
        out = self._error_frame(event, layout)
        if type(layout) is dict and layout.get("bom") and self._count == 1:
            return _BOM.encode() + out
        return out

    def _error_frame(self, event: ErrorEvent, layout: dict[str, Any] | None) -> bytes:
        self._count += 1
        if type(layout) is dict and type(layout.get("data")) is str:
            comments = tuple(layout.get("comments", _status_comments(event.status)))
            frame = SSEFrame(event="error", data=layout["data"], comments=comments)
            try:
                again = Decoder(mode="incremental", wire=False).read_frame(frame)
            except Exception:  # noqa: BLE001 - any failure means "not the same"
                again = []
            if again == [event]:
                raw = layout.get("raw")
                if type(raw) is str and layout.get("frame") == self._count - 1:
                    return _utf8(raw)
                frame_id = layout.get("id", str(self._count))
                return encode_frame(frame.replace(id=frame_id), space=False)
        body: dict[str, Any] = {}
        if event.code is not None:
            body["code"] = event.code
        if event.message is not None:
            body["message"] = event.message
        request_id = event.request_id
        if request_id is not None:
            body["request_id"] = request_id
        frame = SSEFrame(
            id=str(self._count),
            event="error",
            data=_data(body),
            comments=_status_comments(event.status),
        )
        return encode_frame(frame, space=False)


def _status_comments(status: int | None) -> tuple[str, ...]:
    return () if status is None else (f"HTTP_STATUS/{status}",)


def _call(
    template: dict[str, Any] | None,
    index: int,
    call_id: str | None,
    name: str | None,
    arguments: str,
) -> dict[str, Any]:
    if template is None:
        call: dict[str, Any] = {"index": index, "id": call_id or "", "type": "function"}
        function: dict[str, Any] = {}
    else:
        call = template
        call["index"] = index
        call["id"] = call_id or ""
        old = call.get("function")
        function = old if type(old) is dict else {}
    if name:
        function["name"] = name
    else:
        function.pop("name", None)
    function.pop("arguments", None)
    function["arguments"] = arguments
    call["function"] = function
    return call


def _usage_object(base: dict[str, Any] | None, counts: dict[str, int | None]) -> dict[str, Any]:
    """A DashScope usage object saying ``counts``, on ``base`` (kept keys) if given."""
    usage: dict[str, Any] = {} if base is None else json.loads(json.dumps(base))
    for key in ("total_tokens", "output_tokens", "input_tokens"):
        value = counts[key]
        if value is None:
            usage.pop(key, None)
        else:
            usage[key] = value
    for outer, inner, value in (
        ("prompt_tokens_details", "cached_tokens", counts["cached_tokens"]),
        ("output_tokens_details", "reasoning_tokens", counts["reasoning_tokens"]),
    ):
        details = usage.get(outer)
        if value is None:
            if type(details) is dict:
                details.pop(inner, None)
            if inner == "cached_tokens":
                usage.pop("cached_tokens", None)
            continue
        if inner == "cached_tokens" and "cached_tokens" in usage and type(details) is not dict:
            usage["cached_tokens"] = value  # qwen-doc-turbo's top-level spelling
            continue
        if type(details) is not dict:
            details = usage[outer] = {}
        details[inner] = value
    return usage

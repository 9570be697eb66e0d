"""OpenAI ``chat.completion.chunk`` SSE -> normalized events.

Strategy: :class:`Decoder` runs the SSE framing decoder, then reads each frame
by table: the SSE ``event`` name picks a handler (none / ``message`` -> chunk,
``error`` -> error, anything else -> :class:`~adapters.events.UnknownFrame`).
A chunk is read in one fixed order -- stream start, then per choice: role,
reasoning, content, refusal, function call, tool calls, logprobs, finish; then
usage, then error -- which the writer mirrors when it puts a decoded chunk back.

Shapes are checked by hand on the dicts the JSON parser returns (``type(x) is
str``), not by building the wire models: that is where the time of a decoder
goes. ``_wire.py`` describes the chunks for typed access; the reader accepts a
little more (Mistral's content parts) and checks more (counts are not negative,
a tool call is opened before it continues). The common chunk -- one piece of
text or of a tool call's arguments -- takes an inline path, which a property
test holds to the same results as the general reader.

Facts from the API and from recordings, each used below:

* "data: [DONE]" ends the stream -- compared as the whole ``data`` field, so a
  model that *says* ``[DONE]`` changes nothing.
* The role arrives on a choice's first chunk (some vendors repeat it on every
  chunk; a repeat is layout, not an event).
* A tool call's first fragment has ``id`` and ``function.name``; continuations
  have neither, or (DashScope compatible mode) ``"id": ""``. Calls are keyed by
  ``(choice, index)``.
* ``finish_reason`` comes once per choice, often on a chunk whose delta is
  ``{}``; OpenRouter repeats it on a later empty chunk (a repeat of the same
  value is layout).
* With ``stream_options.include_usage`` the last chunk before ``[DONE]`` has
  ``choices: []`` and the usage; other vendors put usage on the finish chunk.
* Mid-stream errors: ``data: {"error": {...}}`` (OpenAI, vLLM, SGLang), an
  ``error`` key inside a normal chunk (OpenRouter), or ``event: error`` (Groq).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic_core import from_json

from adapters._errors import DecodeError, Diagnostic
from adapters._json import parse_json
from adapters._shape import ShapeError, StopDecoding, expected
from adapters.events import (
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
    StreamStart,
    TextDelta,
    ToolCallDelta,
    UnknownFrame,
    Usage,
    _new,
    _set_dict,
    _set_extra,
    _set_fields,
    _set_private,
    _trusted,
    normalize_finish_reason,
)
from adapters.sse import DEFAULT_MAX_BUFFER_SIZE, SSEDecoder, SSEFrame

__all__ = ["Decoder"]

PROVIDER = "openai"
DONE = "[DONE]"
CHUNK_OBJECT = "chat.completion.chunk"


_BadChunkError = ShapeError


def _expected(path: str, what: str, value: object) -> ShapeError:
    return expected("invalid_chunk", path, what, value)


def _opt_str(value: object, path: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _expected(path, "a string or null", value)


def _opt_int(value: object, path: str) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise _expected(path, "an integer or null", value)


def error_body(data: str) -> Any:
    """What an ``event: error`` frame says: its JSON object, else its message.

    A JSON string is the message; any other data (plain text, or JSON that is
    not an object) is taken as text, as it came.
    """
    try:
        body = parse_json(data)
    except ValueError:
        return data
    return body if type(body) is dict or type(body) is str else data


def _parse(data: str) -> Any:
    try:
        return parse_json(data)
    except ValueError as exc:
        shown = data if len(data) <= 40 else data[:37] + "..."
        raise _BadChunkError(
            "invalid_json",
            f"data is not JSON ({exc}); expected a chat.completion.chunk "
            f"object or [DONE], got {shown!r}",
        ) from None


_StopError = StopDecoding


class _Choice:
    """What the reader remembers about one choice."""

    __slots__ = ("finished", "function_open", "started", "tools")

    def __init__(self) -> None:
        self.started = False  # a role was seen
        self.finished: str | None = None  # the raw finish reason, once seen
        self.tools: set[int] = set()  # tool-call indexes opened
        self.function_open = False

    def snapshot(self) -> tuple[bool, str | None, set[int], bool]:
        return self.started, self.finished, set(self.tools), self.function_open

    def restore(self, saved: tuple[bool, str | None, set[int], bool]) -> None:
        self.started, self.finished, self.tools, self.function_open = saved


class Decoder:
    """Feed bytes of an OpenAI-format stream; get normalized events.

    >>> dec = Decoder()
    >>> dec.feed(b'data: {"id":"c1","object":"chat.completion.chunk","created":1,'
    ...          b'"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},'
    ...          b'"finish_reason":null}]}\\n\\n')
    [StreamStart(type='stream_start', choice=None, id='c1', model='m', created=1,
                 request_id=None),
     TextDelta(type='text_delta', choice=0, text='Hi')]
    >>> dec.feed(b'data: [DONE]\\n\\n'), dec.close()
    ([End(type='end', choice=None)], [])

    :param strict: with ``True`` (the default) malformed input raises
        :class:`~adapters.DecodeError` naming the frame and what was expected:
        data that is not JSON, a chunk of the wrong shape, a tool-call fragment
        for an index no earlier fragment opened, content after a choice's
        finish, data after ``[DONE]``, and a stream that ends before ``[DONE]``
        with a choice unfinished (``kind="truncated"``). ``False`` permits all
        of these: each is recorded in :attr:`diagnostics`, a frame that cannot
        be read becomes an :class:`~adapters.events.UnknownFrame`, and the rest
        is decoded as sent.
    :param wire: attach each frame's parsed chunk (and SSE layout) to its
        events as ``wire={"openai": {...}}``, which lets the encoder write the
        frames back exactly. ``False`` gives lean events.
    :param max_buffer_size: bound on one SSE block, see
        :class:`~adapters.sse.SSEDecoder`.
    :param strict_utf8: see :class:`~adapters.sse.SSEDecoder`.
    """

    #: Take the inline path for the common chunk (tests turn it off to compare).
    _fast = True

    def __init__(
        self,
        *,
        strict: bool = True,
        wire: bool = True,
        max_buffer_size: int = DEFAULT_MAX_BUFFER_SIZE,
        strict_utf8: bool = False,
    ) -> None:
        self.strict = strict
        self.wire = wire
        self._sse = SSEDecoder(max_buffer_size=max_buffer_size, strict_utf8=strict_utf8)
        self._own: list[Diagnostic] = []
        self._frame = 0  # number of the next frame
        self._offset = 0  # byte offset where the next frame's text starts
        self._started = False
        self._choices: dict[int, _Choice] = {}
        self._done = False
        self._errored = False
        self._closed = False
        self._failure: DecodeError | None = None
        self._at = (0, 0)  # offset and number of the frame being read
        # Lenient mode reads a bad frame not at all: what reading it changed is
        # undone. (index, state before or None if new) per choice touched.
        self._undo: list[tuple[int, tuple[bool, str | None, set[int], bool] | None]] | None = None
        self._saved = (False, False, False)
        # Handlers by SSE event name; the chunk, if the frame's data was parsed already.
        self._handlers: dict[str | None, Callable[[SSEFrame, int, list[Event], Any], None]] = {
            None: self._read_chunk_frame,
            "": self._read_chunk_frame,
            "message": self._read_chunk_frame,
            "error": self._read_error_frame,
        }

    # ------------------------------------------------------------------ API

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Everything repaired or tolerated so far, framing and chunks, in input order."""
        return sorted(self._sse.diagnostics + self._own, key=lambda d: (d.offset, d.frame))

    def feed(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Add bytes; return the events of the frames they complete."""
        if self._failure is not None:
            raise self._failure
        frames = self._sse.feed(data)
        if self._replaced(frames):
            return self._read_frames(frames, self._exact_starts(frames))
        return self._read_frames(frames)

    def close(self) -> list[Event]:
        """End of input: read a final unterminated frame, then check the stream ended."""
        if self._failure is not None:
            raise self._failure
        if self._closed:
            return []
        frames = self._sse.close()
        if self._replaced(frames):
            events = self._read_frames(frames, self._exact_starts(frames))
        else:
            events = self._read_frames(frames)
        self._closed = True
        self._check_end()
        return events

    def read_frame(self, frame: SSEFrame) -> list[Event]:
        """Read one already-decoded SSE frame (for callers with their own framing)."""
        if self._failure is not None:
            raise self._failure
        return self._read_frames([frame])

    # ------------------------------------------------------------ internals

    def _replaced(self, frames: list[SSEFrame]) -> bool:
        """Whether a frame may hold a U+FFFD put in for invalid bytes (only
        looked for once the framing layer has repaired something)."""
        if not self._sse.diagnostics and not self._sse.diagnostics_dropped:
            return False
        return any(
            frame[6] is not None and not frame[6].isascii() and "\ufffd" in frame[6]
            for frame in frames
        )

    def _exact_starts(self, frames: list[SSEFrame]) -> list[int]:
        """Where each frame starts in the input, when the framing layer replaced
        invalid bytes in this batch: a U+FFFD stands for one to three of them,
        so counting the text again is not exact. Counting back from where the
        framing layer says the last frame ends is, for the frames after the
        last replacement; counting on from the batch's start is, for those
        before the first one."""
        sizes: list[int] = []
        number = self._frame
        for frame in frames:
            body: str | None = frame[6]
            size = 0
            if body is not None:
                size = len((body + frame[7]).encode("utf-8", "surrogatepass"))
                if number == 0 and self._sse.bom:
                    size += 3
            sizes.append(size)
            number += 1
        replaced = [bool(frame[6]) and "\ufffd" in frame[6] for frame in frames]
        starts: list[int] = []
        forward = self._offset
        backward = self._sse.frames_end - sum(sizes)
        for index, size in enumerate(sizes):
            starts.append(backward if not any(replaced[index:]) else forward)
            forward += size
            backward += size
        starts.append(self._sse.frames_end)  # where the next batch starts
        return starts

    def _read_frames(self, frames: list[SSEFrame], starts: list[int] | None = None) -> list[Event]:
        """Read frames; ``starts``: their exact byte offsets (and then where the
        next batch starts), else counted here from their text."""
        out: list[Event] = []
        number = self._frame
        offset = self._offset
        try:
            for index, frame in enumerate(frames):
                if starts is not None:
                    offset = starts[index]
                start = offset
                body: str | None = frame[6]
                if body is not None:
                    end: str = frame[7]
                    if body.isascii() and end.isascii():  # O(1) in CPython
                        offset += len(body) + len(end)
                    else:
                        offset += len((body + end).encode("utf-8", "surrogatepass"))
                    if number == 0 and self._sse.bom:
                        offset += 3
                self._read_frame(frame, number, start, out)
                number += 1
        except _StopError:
            number += 1
        finally:
            self._frame = number
            self._offset = starts[-1] if starts is not None else offset
        return out

    def _read_frame(self, frame: SSEFrame, number: int, start: int, out: list[Event]) -> None:
        """Read one frame into ``out``; raise _StopError when decoding must stop."""
        data: str | None = frame[1]
        if (
            data is not None
            and frame[0] is None
            and not frame[4]
            and frame[2] is None
            and frame[3] is None
            and frame[5]
            and not self._done
            and data != DONE
        ):
            # The common frame, ``data: {...}`` and nothing else: parsed here, and
            # its commonest kind read here; the rest goes on, parsed, to the handler.
            try:
                chunk = from_json(data, allow_inf_nan=False, cache_strings="keys")
            except ValueError:
                chunk = None  # the handler parses again, and explains
            if type(chunk) is dict and self._started and self._fast:
                plain = _plain_delta(chunk, self._choices)
                if plain is not None:
                    wire = {PROVIDER: {"frame": number, "data": data}} if self.wire else None
                    # Most chunks of a stream: one choice, one piece of text or of a
                    # tool call's arguments. Built as _trusted does, inline.
                    event: Event
                    if type(plain[1]) is str:
                        event = _new(TextDelta)
                        _set_dict(
                            event,
                            {
                                "type": "text_delta",
                                "choice": plain[0],
                                "text": plain[1],
                                "wire": wire,
                            },
                        )
                        _set_fields(event, _TEXT_FIELDS)
                    else:
                        event = _new(ToolCallDelta)
                        _set_dict(
                            event,
                            {
                                "type": "tool_call_delta",
                                "choice": plain[0],
                                "index": plain[1][0],
                                "id": None,
                                "name": None,
                                "arguments": plain[1][1],
                                "wire": wire,
                            },
                        )
                        _set_fields(event, _TOOL_FIELDS)
                    _set_extra(event, None)
                    _set_private(event, None)
                    out.append(event)
                    return
        else:
            chunk = None
        if frame[4]:
            self._comments(frame, number, out)
        if data is None:
            if not frame[4]:
                # A block with only id / retry / event lines: no content, kept.
                out.append(_trusted(Passthrough, self._base(frame, number)))
            return
        if not frame[5]:
            self._note(
                "unterminated_frame",
                "the input ended without the blank line that ends this frame; "
                "read as if it were there",
                start,
                number,
            )
        self._at = (start, number)
        handler = self._handlers.get(frame[0], self._read_unknown_frame)
        first = len(out)
        if not self.strict:
            self._begin()
        try:
            handler(frame, number, out, chunk)
        except _BadChunkError as bad:
            del out[first:]  # a frame is read whole or not at all
            if self._problem(bad, frame, number, start, out):
                raise _StopError from None

    def _base(self, frame: SSEFrame, number: int) -> dict[str, Any]:
        values: dict[str, Any] = {"type": "passthrough", "choice": None, "provider": PROVIDER}
        wire = self._wire(frame, number, None)
        if wire is not None and frame.raw is not None:
            # A block of id / retry / ignored lines: kept as it came (it may
            # hold no field at all that an encoder could write).
            wire[PROVIDER]["raw"] = frame.raw
        values["wire"] = wire
        return values

    def _wire(self, frame: SSEFrame, number: int, data: str | None) -> dict[str, Any] | None:
        """What the encoder needs to write this frame back: its number, its data
        text (a string costs the garbage collector nothing; the encoder parses
        it again), and any SSE fields besides ``data``."""
        if not self.wire:
            return None
        layout: dict[str, Any] = {"frame": number}
        if data is not None:
            layout["data"] = data
        if frame[0] is not None:
            layout["event"] = frame[0]
        if frame[2] is not None:
            layout["id"] = frame[2]
        if frame[3] is not None:
            layout["retry"] = frame[3]
        return {PROVIDER: layout}

    def _comments(self, frame: SSEFrame, number: int, out: list[Event]) -> None:
        if frame[1] is None:
            wire = self._wire(frame, number, None)
        else:  # comments inside a data block carry only that block's frame number
            wire = {PROVIDER: {"frame": number}} if self.wire else None
        out.extend(
            _trusted(Comment, {"type": "comment", "choice": None, "text": text, "wire": wire})
            for text in frame[4]
        )

    def _tolerate(self, kind: str, message: str) -> None:
        """A problem the frame can be read past: an error if strict, else a diagnostic."""
        if self.strict:
            raise _BadChunkError(kind, message)
        self._note(kind, message, *self._at)

    def _note(self, kind: str, message: str, offset: int, frame: int) -> None:
        self._own.append(Diagnostic(kind, message, offset, frame))

    def _begin(self) -> None:
        """Lenient mode: remember the state a frame may change."""
        self._undo = []
        self._saved = (self._started, self._errored, self._done)

    def _rollback(self) -> None:
        assert self._undo is not None
        for index, saved in reversed(self._undo):
            if saved is None:
                self._choices.pop(index, None)
            else:
                self._choices[index].restore(saved)
        self._started, self._errored, self._done = self._saved

    def _problem(
        self, bad: _BadChunkError, frame: SSEFrame, number: int, start: int, out: list[Event]
    ) -> bool:
        """Deal with a frame that cannot be read; ``True`` if decoding must stop.

        Strict: the decoder fails, and the error is raised now if no event came
        before it in this call, else by the next call (so that the events of the
        good frames before it are not lost). Lenient: the frame's effects are
        undone, and it becomes an UnknownFrame with a diagnostic.
        """
        if self.strict:
            self._failure = DecodeError(
                bad.message, kind=bad.kind, offset=start, frame=number, provider=PROVIDER
            )
            if not out:
                raise self._failure
            return True
        self._rollback()
        self._note(bad.kind, bad.message, start, number)
        out.append(self._unknown(frame, number, bad.message))
        return False

    def _unknown(self, frame: SSEFrame, number: int, problem: str) -> Event:
        return _trusted(
            UnknownFrame,
            {
                "type": "unknown_frame",
                "choice": None,
                "provider": PROVIDER,
                "event": frame[0],
                "data": frame[1],
                "problem": problem,
                "wire": self._wire(frame, number, None),
            },
        )

    def _check_end(self) -> None:
        if self._done or self._errored:
            return
        offset = self._sse.offset
        choices = self._choices.values()
        if choices and all(choice.finished is not None for choice in choices):
            self._note(
                "missing_done",
                "the stream ended after every choice finished but without data: [DONE]",
                offset,
                self._frame,
            )
            return
        message = (
            "the stream ended before data: [DONE]"
            + (
                " with no chunk at all"
                if not choices
                else ", and choice "
                + ", ".join(str(i) for i, c in self._choices.items() if c.finished is None)
                + " never sent a finish_reason"
            )
            + "; expected a finish_reason for every choice, then [DONE]"
        )
        if self.strict:
            error = DecodeError(
                message, kind="truncated", offset=offset, frame=self._frame, provider=PROVIDER
            )
            self._failure = error
            raise error
        self._note("truncated", message, offset, self._frame)

    # ------------------------------------------------------------ handlers

    def _read_unknown_frame(
        self, frame: SSEFrame, number: int, out: list[Event], parsed: Any = None
    ) -> None:
        out.append(self._unknown(frame, number, f"unknown SSE event type {frame[0]!r}"))

    def _read_error_frame(
        self, frame: SSEFrame, number: int, out: list[Event], parsed: Any = None
    ) -> None:
        data: str = frame[1]
        body = error_body(data)
        wire = self._wire(frame, number, data)
        if type(body) is dict and "error" in body:
            out.append(self._error_event(body["error"], "error", wire))
        else:
            out.append(self._error_event(body, "data", wire))

    def _error_event(self, error: object, path: str, wire: dict[str, Any] | None) -> Event:
        self._errored = True
        values: dict[str, Any] = {
            "type": "error",
            "choice": None,
            "status": None,
            "code": None,
            "message": None,
            "error_type": None,
            "param": None,
            "request_id": None,
            "wire": wire,
        }
        if type(error) is str:
            values["message"] = error
        elif type(error) is dict:
            values["message"] = _opt_str(error.get("message"), f"{path}.message")
            values["error_type"] = _opt_str(error.get("type"), f"{path}.type")
            values["param"] = _opt_str(error.get("param"), f"{path}.param")
            code = error.get("code")
            if code is not None and type(code) is not str and type(code) is not int:
                raise _expected(f"{path}.code", "a string, an integer or null", code)
            values["code"] = code
            status = error.get("status_code", error.get("status"))
            if type(status) is int:
                values["status"] = status
            request_id = error.get("request_id")
            if type(request_id) is str:
                values["request_id"] = request_id
        else:
            raise _expected(path, "an object or a string", error)
        return _trusted(ErrorEvent, values)

    def _read_chunk_frame(
        self, frame: SSEFrame, number: int, out: list[Event], parsed: Any = None
    ) -> None:
        data: str = frame[1]
        if data == DONE:
            if self._done:
                self._tolerate(
                    "data_after_done", "a second data: [DONE]; expected the end of the stream"
                )
            self._done = True
            out.append(
                _trusted(
                    End, {"type": "end", "choice": None, "wire": self._wire(frame, number, None)}
                )
            )
            return
        if self._done:
            self._tolerate(
                "data_after_done", "data after data: [DONE]; expected the end of the stream"
            )
        chunk = parsed if type(parsed) is dict else _parse(data)
        if type(chunk) is not dict:
            raise _expected("data", "a chat.completion.chunk object or [DONE]", chunk)
        wire = self._wire(frame, number, data)
        first = len(out)
        self._read_chunk(chunk, wire, out)
        if len(out) == first:
            out.append(
                _trusted(
                    Passthrough,
                    {"type": "passthrough", "choice": None, "provider": PROVIDER, "wire": wire},
                )
            )

    def _read_chunk(
        self, chunk: dict[str, Any], wire: dict[str, Any] | None, out: list[Event]
    ) -> None:
        choices = chunk.get("choices")
        error = chunk.get("error")
        if choices is None:
            if not error:
                if "choices" in chunk:
                    raise _expected("choices", "an array", None)
                raise _BadChunkError(
                    "invalid_chunk",
                    "expected a chat.completion.chunk (with a choices array) or an "
                    f"error object, got an object with keys {sorted(chunk)[:8]}",
                )
        elif type(choices) is not list:
            raise _expected("choices", "an array", choices)
        else:
            obj = chunk.get("object")
            if obj is not None and obj != CHUNK_OBJECT:
                raise _BadChunkError(
                    "invalid_chunk",
                    f'object: expected "chat.completion.chunk", got {obj!r}',
                )
            if not self._started:
                self._started = True
                out.append(
                    _trusted(
                        StreamStart,
                        {
                            "type": "stream_start",
                            "choice": None,
                            "id": _opt_str(chunk.get("id"), "id"),
                            "model": _opt_str(chunk.get("model"), "model"),
                            "created": _opt_int(chunk.get("created"), "created"),
                            "request_id": None,
                            "wire": wire,
                        },
                    )
                )
            for position, choice in enumerate(choices):
                self._read_choice(choice, position, wire, out)
        usage = chunk.get("usage")
        if usage is not None:
            out.append(self._usage(usage, wire))
        if error:
            out.append(self._error_event(error, "error", wire))

    def _read_choice(
        self, choice: object, position: int, wire: dict[str, Any] | None, out: list[Event]
    ) -> None:
        # Error paths are spelled out only when raising: this runs once a chunk.
        if type(choice) is not dict:
            raise _expected(f"choices[{position}]", "an object", choice)
        index = choice.get("index")
        if type(index) is not int or index < 0:
            raise _expected(f"choices[{position}].index", "a non-negative integer", index)
        delta = choice.get("delta")
        if type(delta) is not dict:
            raise _expected(f"choices[{position}].delta", "an object", delta)
        state = self._choices.get(index)
        if self._undo is not None:
            self._undo.append((index, None if state is None else state.snapshot()))
        if state is None:
            state = self._choices[index] = _Choice()
        if len(delta) == 1 and state.finished is None:
            # The common chunk: one piece of text, nothing else to look at.
            content = delta.get("content")
            if (
                type(content) is str
                and choice.get("finish_reason") is None
                and choice.get("logprobs") is None
            ):
                if content:
                    out.append(
                        _trusted(
                            TextDelta,
                            {"type": "text_delta", "choice": index, "text": content, "wire": wire},
                        )
                    )
                return
        role = delta.get("role")
        if role is not None:
            if type(role) is not str:
                raise _expected(f"choices[{position}].delta.role", "a string or null", role)
            if not state.started:
                state.started = True
                out.append(
                    _trusted(
                        ChoiceStart,
                        {"type": "choice_start", "choice": index, "role": role, "wire": wire},
                    )
                )
        content_from = len(out)
        key = "reasoning_content"
        reasoning = delta.get(key)
        if not reasoning:
            if reasoning is not None and reasoning != "":
                raise _expected(f"choices[{position}].delta.{key}", "a string or null", reasoning)
            key = "reasoning"
            reasoning = delta.get(key)
        if reasoning:
            if type(reasoning) is not str:
                raise _expected(f"choices[{position}].delta.{key}", "a string or null", reasoning)
            out.append(
                _trusted(
                    ReasoningDelta,
                    {"type": "reasoning_delta", "choice": index, "text": reasoning, "wire": wire},
                )
            )
            other = delta.get("reasoning") if key == "reasoning_content" else None
            if other and other != reasoning:
                # Both vendor keys, saying different things: neither is dropped.
                if type(other) is not str:
                    raise _expected(
                        f"choices[{position}].delta.reasoning", "a string or null", other
                    )
                out.append(
                    _trusted(
                        ReasoningDelta,
                        {"type": "reasoning_delta", "choice": index, "text": other, "wire": wire},
                    )
                )
        content = delta.get("content")
        if content:
            if type(content) is str:
                out.append(
                    _trusted(
                        TextDelta,
                        {"type": "text_delta", "choice": index, "text": content, "wire": wire},
                    )
                )
            elif type(content) is list:
                _read_parts(content, index, f"choices[{position}].delta.content", wire, out)
            else:
                raise _expected(
                    f"choices[{position}].delta.content",
                    "a string, an array of parts or null",
                    content,
                )
        elif content is not None and content not in ("", []):
            raise _expected(f"choices[{position}].delta.content", "a string or null", content)
        refusal = delta.get("refusal")
        if refusal:
            if type(refusal) is not str:
                raise _expected(f"choices[{position}].delta.refusal", "a string or null", refusal)
            out.append(
                _trusted(
                    RefusalDelta,
                    {"type": "refusal_delta", "choice": index, "text": refusal, "wire": wire},
                )
            )
        elif refusal is not None and refusal != "":
            raise _expected(f"choices[{position}].delta.refusal", "a string or null", refusal)
        function_call = delta.get("function_call")
        if function_call is not None:
            out.append(
                self._function_call(
                    function_call, index, state, f"choices[{position}].delta.function_call", wire
                )
            )
        tool_calls = delta.get("tool_calls")
        if tool_calls is not None:
            if type(tool_calls) is not list:
                raise _expected(
                    f"choices[{position}].delta.tool_calls", "an array or null", tool_calls
                )
            for k, call in enumerate(tool_calls):
                out.append(self._tool_call(call, index, state, position, k, wire))
        if state.finished is not None and len(out) > content_from:
            self._tolerate(
                "content_after_finish",
                f"choices[{position}]: content for choice {index} after its finish_reason "
                f"{state.finished!r}; expected nothing more for this choice",
            )
        logprobs = choice.get("logprobs")
        if logprobs is not None:
            if type(logprobs) is not dict:
                raise _expected(f"choices[{position}].logprobs", "an object or null", logprobs)
            lp_content = logprobs.get("content")
            lp_refusal = logprobs.get("refusal")
            if lp_content is not None and type(lp_content) is not list:
                raise _expected(
                    f"choices[{position}].logprobs.content", "an array or null", lp_content
                )
            if lp_refusal is not None and type(lp_refusal) is not list:
                raise _expected(
                    f"choices[{position}].logprobs.refusal", "an array or null", lp_refusal
                )
            out.append(
                _trusted(
                    Logprobs,
                    {
                        "type": "logprobs",
                        "choice": index,
                        "content": lp_content,
                        "refusal": lp_refusal,
                        "wire": wire,
                    },
                )
            )
        reason = choice.get("finish_reason")
        if reason:
            if type(reason) is not str:
                raise _expected(f"choices[{position}].finish_reason", "a string or null", reason)
            if state.finished is not None and reason == state.finished:
                return  # a repeat of the same reason is layout (OpenRouter sends one)
            if state.finished is not None:
                self._tolerate(
                    "content_after_finish",
                    f"choices[{position}].finish_reason: {reason!r} after choice {index} already "
                    f"finished with {state.finished!r}; expected one finish_reason per choice",
                )
            state.finished = reason  # (a second, different one only when lenient: as sent)
            out.append(
                _trusted(
                    Finish,
                    {
                        "type": "finish",
                        "choice": index,
                        "reason": normalize_finish_reason(reason),
                        "raw_reason": reason,
                        "wire": wire,
                    },
                )
            )
        elif reason is not None and reason != "":
            raise _expected(f"choices[{position}].finish_reason", "a string or null", reason)

    def _tool_call(  # noqa: PLR0917 - the reader's private per-fragment step
        self,
        call: object,
        choice: int,
        state: _Choice,
        position: int,
        k: int,
        wire: dict[str, Any] | None,
    ) -> Event:
        # Checks are inlined and error paths built only when raising: a stream of
        # tool calls runs this once per fragment.
        if type(call) is not dict:
            raise _expected(f"choices[{position}].delta.tool_calls[{k}]", "an object", call)
        index = call.get("index")
        if type(index) is not int or index < 0:
            raise _expected(
                f"choices[{position}].delta.tool_calls[{k}].index", "a non-negative integer", index
            )
        call_id = call.get("id")
        _check_fragment_str(call_id, position, k, ".id")
        _check_fragment_str(call.get("type"), position, k, ".type")
        function = call.get("function")
        name = arguments = None
        if function is not None:
            if type(function) is not dict:
                raise _expected(
                    f"choices[{position}].delta.tool_calls[{k}].function",
                    "an object or null",
                    function,
                )
            name = function.get("name")
            _check_fragment_str(name, position, k, ".function.name")
            arguments = function.get("arguments")
            _check_fragment_str(arguments, position, k, ".function.arguments")
        call_id = call_id or None  # DashScope's compatible mode sends "" on continuations
        name = name or None
        if index not in state.tools:
            if call_id is None and name is None:
                self._tolerate(
                    "unopened_tool_call",
                    f"choices[{position}].delta.tool_calls[{k}]: a continuation fragment for "
                    f"tool call {index} of choice {choice}, which no earlier fragment opened; "
                    "expected id and function.name on a call's first fragment",
                )
            state.tools.add(index)
        return _trusted(
            ToolCallDelta,
            {
                "type": "tool_call_delta",
                "choice": choice,
                "index": index,
                "id": call_id,
                "name": name,
                "arguments": arguments or "",
                "wire": wire,
            },
        )

    def _function_call(
        self, call: object, choice: int, state: _Choice, path: str, wire: dict[str, Any] | None
    ) -> Event:
        if type(call) is not dict:
            raise _expected(path, "an object or null", call)
        name = _opt_str(call.get("name"), f"{path}.name") or None
        arguments = _opt_str(call.get("arguments"), f"{path}.arguments")
        if not state.function_open:
            if name is None:
                self._tolerate(
                    "unopened_tool_call",
                    f"{path}: a continuation of a function_call that no fragment with a "
                    "name opened; expected function_call.name on the first fragment",
                )
            state.function_open = True
        return _trusted(
            FunctionCallDelta,
            {
                "type": "function_call_delta",
                "choice": choice,
                "name": name,
                "arguments": arguments or "",
                "wire": wire,
            },
        )

    def _usage(self, usage: object, wire: dict[str, Any] | None) -> Event:
        if type(usage) is not dict:
            raise _expected("usage", "an object or null", usage)
        prompt_details = usage.get("prompt_tokens_details")
        completion_details = usage.get("completion_tokens_details")
        if prompt_details is not None and type(prompt_details) is not dict:
            raise _expected("usage.prompt_tokens_details", "an object or null", prompt_details)
        if completion_details is not None and type(completion_details) is not dict:
            raise _expected(
                "usage.completion_tokens_details", "an object or null", completion_details
            )
        return _trusted(
            Usage,
            {
                "type": "usage",
                "choice": None,
                "input_tokens": _count(usage.get("prompt_tokens"), "usage.prompt_tokens"),
                "output_tokens": _count(usage.get("completion_tokens"), "usage.completion_tokens"),
                "total_tokens": _count(usage.get("total_tokens"), "usage.total_tokens"),
                "cached_tokens": _count(
                    prompt_details.get("cached_tokens") if prompt_details else None,
                    "usage.prompt_tokens_details.cached_tokens",
                ),
                "reasoning_tokens": _count(
                    completion_details.get("reasoning_tokens") if completion_details else None,
                    "usage.completion_tokens_details.reasoning_tokens",
                ),
                "wire": wire,
            },
        )


_TEXT_FIELDS = TextDelta._fields_set
_TOOL_FIELDS = ToolCallDelta._fields_set


def _plain_delta(chunk: dict[str, Any], choices: dict[int, _Choice]) -> tuple[int, Any] | None:
    """The chunk's one choice index and its delta's one value, if the chunk is
    the common kind -- one piece of text, or one argument fragment of an open
    tool call, for a choice under way -- else ``None`` (the general reader
    takes it). Everything the general reader would check is checked here."""
    listed = chunk.get("choices")
    if type(listed) is not list or len(listed) != 1:
        return None
    choice = listed[0]
    if type(choice) is not dict:
        return None
    delta = choice.get("delta")
    index = choice.get("index")
    if type(delta) is not dict or len(delta) != 1 or type(index) is not int:
        return None
    state = choices.get(index)
    if (
        state is None
        or state.finished is not None
        or choice.get("finish_reason") is not None
        or choice.get("logprobs") is not None
        or chunk.get("usage") is not None
        or chunk.get("error")
        or chunk.get("object", CHUNK_OBJECT) != CHUNK_OBJECT
    ):
        return None
    text = delta.get("content")
    if type(text) is str:
        return (index, text) if text else None
    calls = delta.get("tool_calls")
    if type(calls) is not list or len(calls) != 1:
        return None
    call = calls[0]
    if type(call) is not dict or len(call) != 2:
        return None
    function = call.get("function")
    number = call.get("index")
    if type(function) is not dict or len(function) != 1 or type(number) is not int:
        return None
    arguments = function.get("arguments")
    if type(arguments) is not str or number not in state.tools:
        return None
    return index, (number, arguments)


def _check_fragment_str(value: object, position: int, k: int, where: str) -> None:
    if value is not None and type(value) is not str:
        raise _expected(
            f"choices[{position}].delta.tool_calls[{k}]{where}", "a string or null", value
        )


def _read_parts(
    parts: list[Any], choice: int, path: str, wire: dict[str, Any] | None, out: list[Event]
) -> None:
    """Content as a list of parts (Mistral's reasoning models).

    ``{"type": "text", "text": ...}`` is answer text; ``{"type": "thinking",
    "thinking": [{"type": "text", "text": ...}]}`` is reasoning. Parts of other
    types carry nothing neutral and stay in ``wire``.
    """
    for k, part in enumerate(parts):
        if type(part) is not dict:
            raise _expected(f"{path}[{k}]", "an object", part)
        kind = part.get("type")
        if kind == "text":
            text = part.get("text")
            if type(text) is not str:
                raise _expected(f"{path}[{k}].text", "a string", text)
            if text:  # an empty piece says nothing, as "content": "" does not
                out.append(
                    _trusted(
                        TextDelta,
                        {"type": "text_delta", "choice": choice, "text": text, "wire": wire},
                    )
                )
        elif kind == "thinking":
            inner = part.get("thinking")
            if type(inner) is not list:
                raise _expected(f"{path}[{k}].thinking", "an array", inner)
            for j, piece in enumerate(inner):
                text = piece.get("text") if type(piece) is dict else None
                if type(text) is not str:
                    raise _expected(f"{path}[{k}].thinking[{j}].text", "a string", text)
                if text:
                    out.append(
                        _trusted(
                            ReasoningDelta,
                            {
                                "type": "reasoning_delta",
                                "choice": choice,
                                "text": text,
                                "wire": wire,
                            },
                        )
                    )


def _count(value: object, path: str) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    raise _expected(path, "a non-negative integer or null", value)

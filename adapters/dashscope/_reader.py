"""DashScope native SSE -> normalized events.

Strategy: :class:`Decoder` runs the SSE framing decoder and reads each frame
by its event name: ``result`` is a piece of the response, ``error`` an error
the server reported, anything else an :class:`~adapters.events.UnknownFrame`.
A result frame is read in one fixed order -- stream start, then per choice:
role, reasoning, content, tool calls, logprobs, finish -- which the writer
mirrors. Shapes are checked by hand on the parsed dicts (``_wire.py`` holds the
typed models for users); that is where a decoder's time goes.

Facts from recordings (docs/dashscope.md has the sources), each used below:

* Every frame is ``id:N`` (from 1), ``event:result``, ``:HTTP_STATUS/200``,
  ``data:{...}``, with no space after the colons and no ``[DONE]``: the
  stream just ends after the frame whose ``finish_reason`` is not ``"null"``.
* The HTTP status of an ``event:error`` frame is only in its comment
  (``:HTTP_STATUS/400``); its data is ``{"code", "message", "request_id"}``.
* ``finish_reason`` is the *string* ``"null"`` while generating (or absent).
* ``usage`` holds running totals on every frame: the last one is the answer.
* ``result_format="text"`` puts ``text`` and ``finish_reason`` in ``output``;
  ``"message"`` has ``output.choices[]`` (``index`` only on newer models),
  with ``content`` a string, or a list of ``{"text": ...}`` parts (maybe
  ``[]``) on the multimodal endpoint.
* Tool-call continuations carry ``"id": ""`` and no ``name``; fragments are
  merged by ``index``, and one frame may carry two indexes.
* ``incremental_output=false`` repeats the whole value in every frame; the
  :mod:`~adapters.dashscope._diff` rules turn those snapshots into deltas.
"""

from __future__ import annotations

import bisect
import contextlib
from typing import Any, Literal

from adapters._errors import DecodeError, Diagnostic
from adapters._json import LARGE, parse_json
from adapters._shape import ShapeError, StopDecoding, expected
from adapters.dashscope._diff import NotExtending
from adapters.dashscope._wire import finish_reason
from adapters.events import (
    ChoiceStart,
    Comment,
    End,
    ErrorEvent,
    Event,
    Finish,
    Logprobs,
    Passthrough,
    ReasoningDelta,
    Resync,
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

__all__ = ["Decoder", "Mode"]

PROVIDER = "dashscope"
#: How a stream's text is sent: each frame the new piece, or the whole value so far.
Mode = Literal["incremental", "cumulative"]

#: Frames held while ``mode="auto"`` cannot tell yet; then it says so and reads
#: them as incremental.
AUTO_LIMIT = 1024
#: Extensions (a value that begins with the previous value of its channel and
#: is longer) that make ``mode="auto"`` decide on cumulative.
AUTO_EXTENSIONS = 2

_STATUS = "HTTP_STATUS/"


_BadFrameError = ShapeError
_StopError = StopDecoding


def _expected(path: str, what: str, value: object) -> ShapeError:
    return expected("invalid_frame", path, what, value)


def _opt_str(value: object, path: str) -> str | None:
    if value is None or type(value) is str:
        return value
    raise _expected(path, "a string or null", value)


def _count(value: object, path: str) -> int | None:
    if value is None:
        return None
    if type(value) is int and value >= 0:
        return value
    raise _expected(path, "a non-negative integer", value)


def _finish_reason(value: object, path: str) -> str | None:
    """``finish_reason`` read by the wire layer's rule, with its type checked."""
    if value is not None and type(value) is not str:
        raise _expected(path, 'a finish reason string ("null" while generating)', value)
    return finish_reason(value)


def status_of(comments: tuple[str, ...]) -> int | None:
    """The status a frame's ``:HTTP_STATUS/NNN`` comment carries, if any.

    >>> status_of(("HTTP_STATUS/429",)), status_of(()), status_of(("HTTP_STATUS/x",))
    (429, None, None)
    """
    for comment in comments:
        if comment.startswith(_STATUS):
            digits = comment[len(_STATUS) :]
            if digits.isascii() and digits.isdigit() and len(digits) <= 3:
                return int(digits)
    return None


_USAGE_NAMES = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cached_tokens",
    "reasoning_tokens",
)
_USAGE_PATHS = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "prompt_tokens_details.cached_tokens",
    "output_tokens_details.reasoning_tokens",
)


def _usage_values(usage: dict[str, Any]) -> tuple[object, ...]:
    prompt = usage.get("prompt_tokens_details")
    cached = prompt.get("cached_tokens") if type(prompt) is dict else None
    if cached is None:
        cached = usage.get("cached_tokens")
    output = usage.get("output_tokens_details")
    return (
        usage.get("input_tokens"),
        usage.get("output_tokens"),
        usage.get("total_tokens"),
        cached,
        output.get("reasoning_tokens") if type(output) is dict else None,
    )


def _usage_ok(usage: dict[str, Any]) -> bool:
    """Whether every count :func:`usage_counts` reads is absent or a non-negative int."""
    for value in _usage_values(usage):
        if value is not None and (type(value) is not int or value < 0):
            return False
    return True


def usage_counts(usage: dict[str, Any], path: str = "usage") -> dict[str, int | None]:
    """The neutral counts of a DashScope ``usage`` object (running totals).

    ``cached_tokens`` comes from ``prompt_tokens_details.cached_tokens`` or,
    as qwen-doc-turbo sends it, a top-level ``cached_tokens``.

    >>> counts = usage_counts({"input_tokens": 8, "output_tokens": 2, "cached_tokens": 4})
    >>> counts["input_tokens"], counts["cached_tokens"], counts["total_tokens"]
    (8, 4, None)
    """
    values = _usage_values(usage)
    for value, where in zip(values, _USAGE_PATHS, strict=True):
        _count(value, f"{path}.{where}")
    return dict(zip(_USAGE_NAMES, values, strict=True))  # type: ignore[arg-type]


class _Choice:
    """What the reader remembers about one choice."""

    __slots__ = ("finished", "started", "tools")

    def __init__(self) -> None:
        self.started = False  # a role was seen
        self.finished: str | None = None  # the raw finish reason, once seen
        self.tools: set[int] = set()  # tool-call indexes opened

    def copy(self) -> _Choice:
        other = _Choice()
        other.started, other.finished, other.tools = self.started, self.finished, set(self.tools)
        return other


_TEXT_FIELDS = TextDelta._fields_set
_REASONING_FIELDS = ReasoningDelta._fields_set
_TOOL_FIELDS = ToolCallDelta._fields_set
_DONE = object()  # _quick read the frame
_OK = ("HTTP_STATUS/200",)
_new_tuple = tuple.__new__
_UNSEEN = object()


class Decoder:
    """Feed bytes of a DashScope native stream; get normalized events.

    >>> dec = Decoder(mode="incremental")
    >>> dec.feed(b'id:1\\nevent:result\\n:HTTP_STATUS/200\\ndata:{"output":{"choices":'
    ...          b'[{"message":{"content":"Hi","role":"assistant"},"finish_reason":"stop"}]},'
    ...          b'"usage":{"input_tokens":3,"output_tokens":1},"request_id":"r1"}\\n\\n')
    [StreamStart(type='stream_start', choice=None, id=None, model=None, created=None,
                 request_id='r1'),
     ChoiceStart(type='choice_start', choice=0, role='assistant'),
     TextDelta(type='text_delta', choice=0, text='Hi'),
     Finish(type='finish', choice=0, reason='stop', raw_reason='stop'),
     Usage(type='usage', choice=None, input_tokens=3, output_tokens=1, total_tokens=None,
           cached_tokens=None, reasoning_tokens=None)]
    >>> dec.close()
    [End(type='end', choice=None)]

    :param mode: ``"incremental"`` (each frame carries the new piece, as with
        ``incremental_output=true``), ``"cumulative"`` (each frame repeats the
        whole value so far), or ``"auto"`` (the default) to tell from the
        frames: see :attr:`mode`.
    :param strict: with ``True`` (the default) malformed input raises
        :class:`~adapters.DecodeError` naming the frame, its byte offset and
        what was expected. ``False`` records each problem in
        :attr:`diagnostics`, reads a frame that cannot be read as an
        :class:`~adapters.events.UnknownFrame`, and goes on.
    :param on_mismatch: what a cumulative snapshot that does not extend the
        previous one does: ``"error"`` (the default) raises
        ``DecodeError(kind="not_cumulative")``; ``"resync"`` emits a
        :class:`~adapters.events.Resync` event carrying the new whole value.
        (Lenient decoding resyncs too, with a diagnostic.)
    :param split_glued: some recorders drop the blank line between frames, so
        the standard reads the whole stream as one block. ``True`` starts a new
        frame at each ``id:`` line that follows another line of a block (DashScope
        begins every frame with ``id:``); each split is a diagnostic. Off by
        default: a conforming stream never needs it.
    :param wire: attach each frame's data and layout to its events as
        ``wire={"dashscope": {...}}``, so the encoder can write the frames
        back exactly. ``False`` gives lean events.
    :param max_buffer_size: bound on one SSE block, see
        :class:`~adapters.sse.SSEDecoder`.
    :param strict_utf8: see :class:`~adapters.sse.SSEDecoder`.
    """

    #: Take the inline path for the common frame (tests turn it off to compare).
    _fast = True

    def __init__(
        self,
        *,
        mode: Literal["auto", "incremental", "cumulative"] = "auto",
        strict: bool = True,
        on_mismatch: Literal["error", "resync"] = "error",
        split_glued: bool = False,
        wire: bool = True,
        max_buffer_size: int = DEFAULT_MAX_BUFFER_SIZE,
        strict_utf8: bool = False,
    ) -> None:
        if mode not in {"auto", "incremental", "cumulative"}:
            raise ValueError(f"mode must be 'auto', 'incremental' or 'cumulative', not {mode!r}")
        if on_mismatch not in {"error", "resync"}:
            raise ValueError(f"on_mismatch must be 'error' or 'resync', not {on_mismatch!r}")
        self.strict = strict
        self.wire = wire
        self.on_mismatch = on_mismatch
        self._cumulative: bool | None = None if mode == "auto" else mode == "cumulative"
        self._sse = SSEDecoder(max_buffer_size=max_buffer_size, strict_utf8=strict_utf8)
        self._glue: _Unglue | None = _Unglue(max_buffer_size) if split_glued else None
        self._own: list[Diagnostic] = []
        self._frame = 0  # number of the next frame
        self._offset = 0  # byte offset where the next frame's text starts
        self._started = False
        self._choices: dict[int, _Choice] = {}
        # Cumulative: the latest snapshot per (choice, channel, index).
        self._snapshots: dict[tuple[int, str, int], str] = {}
        self._logprobs: dict[int, int] = {}  # cumulative: logprob items seen per choice
        self._usage: dict[str, Any] | None = None  # the latest usage snapshot
        self._usage_sent = True  # the latest snapshot was emitted as a Usage event
        self._errored = False
        self._closed = False
        self._failure: DecodeError | None = None
        self._at = (0, 0)  # offset and number of the frame being read
        # mode="auto": frames held until the mode is known, and what they showed.
        self._pending: list[tuple[SSEFrame, int, int, Any]] = []
        self._seen: dict[tuple[int, str, int], Any] = {}
        self._extensions = 0
        self._ambiguous = False
        self._statuses: dict[tuple[str, ...], int | None] = {}
        # Bytes the inline path holds: the start of a frame not complete yet
        # (None while the framing layer reads).
        self._scan: list[bytes] | None = None
        self._scan_size = 0

    # ------------------------------------------------------------------ API

    @property
    def mode(self) -> Mode | None:
        """``"incremental"`` or ``"cumulative"``; ``None`` while ``mode="auto"``
        has not decided.

        Auto mode holds frames back (at most :data:`AUTO_LIMIT`) until they
        tell: a value that does not begin with its channel's previous value,
        or a tool-call continuation with ``"id": ""``, means incremental; two
        values that each extend the previous one of their channel, or a
        repeated tool-call id, mean cumulative. A stream that never tells (one
        piece of text per channel; or every piece happening to extend the
        last) is read as incremental, and when the choice mattered a
        ``mode_undetermined`` diagnostic says so. Pass the mode to read
        without holding anything back.
        """
        if self._cumulative is None:
            return None
        return "cumulative" if self._cumulative else "incremental"

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Everything repaired or tolerated so far, framing and frames, in input order."""
        found = self._sse.diagnostics + self._own
        return sorted(found, key=lambda d: (d.offset, d.frame))

    def feed(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Add bytes; return the events of the frames they complete."""
        if self._failure is not None:
            raise self._failure
        if self._glue is not None:
            data = self._glue.feed(bytes(data), self)
        elif self._fast and self._started and self._cumulative is not None:
            if self._scan is None:
                back = self._sse._take_back()
                if back is not None:
                    self._scan = [back] if back else []
                    self._scan_size = len(back)
            if self._scan is not None:
                return self._read_bytes(bytes(data))
        return self._read_frames(self._sse.feed(data))

    def _read_bytes(self, data: bytes) -> list[Event]:
        """The inline path on bytes, below the framing layer: frames laid out
        exactly as DashScope writes them (``id:N``, ``event:result``,
        ``:HTTP_STATUS/200``, one ``data:`` line, a blank line) whose content the
        inline path reads are read straight from the bytes. At the first frame
        that is anything else, the rest goes to the framing layer, which is in
        the state it would be in had it read every byte itself.
        """
        parts = self._scan
        if parts:  # the start of a frame is held
            if b"\n" not in data and b"\r" not in data:
                # Still inside that frame: gather, and look at it once it is whole.
                parts.append(data)
                self._scan_size += len(data)
                if self._scan_size <= self._sse.max_buffer_size:
                    return []
                self._scan = None  # longer than a frame may be: the framing layer says so
                return self._framing(b"".join(parts), [])
            scan = b"".join(parts) + data
        else:
            scan = data
        out: list[Event] = []
        pos = 0
        number = self._frame
        last_id: bytes | None = None
        status = b"\nevent:result\n:HTTP_STATUS/200\ndata:"
        wait = False  # stopped at the start of a frame that has not all arrived
        try:
            while not self._errored:
                left = len(scan) - pos
                if not left:
                    wait = True
                    break
                frame_id = b"%d" % (number + 1)
                head = b"id:" + frame_id + status
                if left < len(head):
                    wait = head.startswith(scan[pos:])
                    break
                if not scan.startswith(head, pos):
                    break
                # One memchr for the data line's end, which must be followed by
                # the blank line (a two-byte search is many times slower).
                start = pos + len(head)
                end = scan.find(b"\n", start)
                if end < 0 or end + 1 == len(scan):
                    # The rest has not arrived, unless CRs end its lines.
                    wait = scan.find(b"\r", pos) < 0
                    break
                if end + 2 - pos > self._sse.max_buffer_size:
                    break  # larger than a frame may be: the framing layer says so
                if (
                    scan[end + 1] != 10  # "\n": one data line, then the blank line
                    or scan.find(b"\r", start, end) >= 0
                    or scan.startswith(b" ", start)
                ):
                    break
                body = scan[start:end]
                text: str | None = None
                if len(body) > LARGE:  # long text: decoded once, for the parser and wire
                    try:
                        text = body.decode("utf-8")
                    except UnicodeDecodeError:
                        break  # the framing layer repairs it, and says so
                obj: Any
                try:
                    obj = parse_json(body if text is None else text)
                except ValueError:
                    obj = None  # the general reader parses again, and explains
                if (
                    obj is None
                    or self._quick_obj(obj, body if text is None else text, number, out, None)
                    is not _DONE
                ):
                    # Laid out as usual, read by the general reader (parsed already).
                    if text is None:
                        try:
                            text = body.decode("utf-8")
                        except UnicodeDecodeError:
                            break
                    frame = _new_tuple(
                        SSEFrame,
                        (
                            "result",
                            text,
                            frame_id.decode(),
                            None,
                            _OK,
                            True,
                            head.decode("ascii") + text,  # the frame's own text, as read
                            "\n\n",
                        ),
                    )
                    try:
                        self._read_frame(frame, number, self._sse.offset + pos, out, obj)
                    except _StopError:
                        pos, number, last_id = end + 2, number + 1, frame_id
                        return out
                pos = end + 2
                number += 1
                last_id = frame_id
        finally:
            if pos:
                self._sse._skip(pos, number - self._frame, last_id)
                self._frame = number
                self._offset = self._sse.offset
        rest = scan[pos:]
        if wait and len(rest) <= self._sse.max_buffer_size:
            # Every whole frame was read: keep the start of the next one.
            self._scan = [rest] if rest else []
            self._scan_size = len(rest)
            return out
        self._scan = None  # back to the framing layer
        return self._framing(rest, out)

    def _framing(self, data: bytes, out: list[Event]) -> list[Event]:
        """Feed the framing layer and read its frames after the events in ``out``,
        which a failure leaves to be returned first (it comes with the next call)."""
        try:
            frames = self._sse.feed(data)
        except DecodeError as error:
            if not out:
                raise
            self._failure = error
            return out
        return self._read_frames(frames, out=out)

    def close(self) -> list[Event]:
        """End of input: read a final unterminated frame (and any held by
        ``mode="auto"``), then check the stream ended.

        Strict: when the stream turns out to be cut short (or a held frame is
        bad) after this call produced events, they are returned and the error
        is raised by the next call: call ``close()`` until it returns ``[]``
        (:func:`adapters.decode` does), or check :attr:`failure`.
        """
        if self._failure is not None:
            raise self._failure
        if self._closed:
            return []
        events: list[Event] = []
        if self._scan is not None:
            held, self._scan = b"".join(self._scan), None
            if held:
                events = self._framing(held, events)
                if self.failure is not None:  # raised by the next call
                    self._closed = True
                    return events
        if self._glue is not None:
            rest = self._glue.close(self)
            if rest:
                events = self._framing(rest, events)
        if self.failure is None:
            try:
                closing = self._sse.close()
            except DecodeError as error:
                if not events:
                    raise
                self._failure = error  # raised by the next call, after these events
                closing = []
            events = self._read_frames(closing, out=events)
        if self._failure is None and self._cumulative is None:
            # A failure is kept, and raised below if no event came before it.
            with contextlib.suppress(_StopError):
                self._decide(cumulative=False, out=events, undecided=True)
        self._closed = True
        failure = self.failure
        if failure is not None:
            if events:
                return events
            raise failure
        self._finish_stream(events)
        return events

    @property
    def failure(self) -> DecodeError | None:
        """The error this decoder failed with, if it did (it raises it on every call)."""
        return self._failure

    def read_frame(self, frame: SSEFrame) -> list[Event]:
        """Read one already-decoded SSE frame (for callers with their own framing).

        Its bytes are not this decoder's input: byte offsets in errors and
        diagnostics count only what :meth:`feed` was given.
        """
        if self._failure is not None:
            raise self._failure
        return self._read_frames([frame], framed=False)

    # ------------------------------------------------------------ framing

    def _read_frames(
        self, frames: list[SSEFrame], *, framed: bool = True, out: list[Event] | None = None
    ) -> list[Event]:
        """Read frames (into ``out``, after the events already there); ``framed``
        when they come from this decoder's framing layer.

        Byte offsets are counted only when a frame needs one (the general path
        reports them in errors and diagnostics): the inline path needs none, and
        the framing layer knows where its last frame ended. Frames handed to
        :meth:`read_frame` are no bytes of this decoder's input: they do not
        move its offsets.
        """
        if out is None:
            out = []
        first = self._frame
        number = first
        base = self._offset  # byte offset of frames[counted]
        if first == 0 and framed and self._sse.bom:
            base = 3  # the first frame starts after the byte order mark
        counted = 0
        try:
            for index, frame in enumerate(frames):
                if (
                    self._cumulative is not None
                    and self._started
                    and frame[0] == "result"
                    and frame[5]
                    and frame[1] is not None
                    and not self._errored
                    and self._fast
                ):
                    # Most frames of a stream: one piece of one choice's text or
                    # reasoning. Read inline; anything else goes on, parsed.
                    parsed = self._quick(frame, number, out)
                    if parsed is not _DONE:
                        base, counted = self._count_to(frames, index, base, counted)
                        self._read_frame(frame, number, base, out, parsed)
                else:
                    base, counted = self._count_to(frames, index, base, counted)
                    if self._cumulative is None:
                        self._hold(frame, number, base, out)
                    else:
                        self._read_frame(frame, number, base, out, None)
                number += 1
        except _StopError:
            number += 1
        finally:
            self._frame = number
            if framed:
                self._offset = self._sse.frames_end
        return out

    @staticmethod
    def _count_to(frames: list[SSEFrame], index: int, base: int, counted: int) -> tuple[int, int]:
        """The byte offset of ``frames[index]``, from that of ``frames[counted]``."""
        for frame in frames[counted:index]:
            body: str | None = frame[6]
            if body is not None:
                end: str = frame[7]
                if body.isascii() and end.isascii():  # O(1) in CPython
                    base += len(body) + len(end)
                else:
                    base += len((body + end).encode("utf-8", "surrogatepass"))
            counted += 1
        return base, counted

    def _read_frame(
        self, frame: SSEFrame, number: int, start: int, out: list[Event], parsed: Any
    ) -> None:
        """Read one frame into ``out``; raise _StopError when decoding must stop."""
        data: str | None = frame[1]
        event = frame[0]
        if data is None:
            wire = self._wire(frame, number, None, None)
            if frame[4]:
                out.extend(
                    _trusted(Comment, {"type": "comment", "choice": None, "text": t, "wire": wire})
                    for t in frame[4]
                )
            else:  # id / retry lines and nothing else
                out.append(
                    _trusted(
                        Passthrough,
                        {"type": "passthrough", "choice": None, "provider": PROVIDER, "wire": wire},
                    )
                )
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
        first = len(out)
        saved = None if self.strict else self._save()
        try:
            if event == "result" or event is None or event == "":
                self._read_result(frame, number, out, parsed)
            elif event == "error":
                self._read_error(frame, number, out, parsed)
            else:
                out.append(self._unknown(frame, number, f"unknown SSE event type {event!r}"))
        except _BadFrameError as bad:
            del out[first:]  # a frame is read whole or not at all
            if self.strict:
                self._failure = DecodeError(
                    bad.message,
                    kind=bad.kind,
                    offset=self._source_offset(start),
                    frame=number,
                    provider=PROVIDER,
                )
                if not out:
                    raise self._failure from None
                raise _StopError from None
            assert saved is not None
            self._restore(saved)
            self._note(bad.kind, bad.message, start, number)
            out.append(self._unknown(frame, number, bad.message))

    def _wire(
        self, frame: SSEFrame, number: int, data: str | None, status: int | None
    ) -> dict[str, Any] | None:
        """What the encoder needs to write this frame back: its number, its
        data text, and its layout where it is not DashScope's own."""
        if not self.wire:
            return None
        layout: dict[str, Any] = {"frame": number}
        if data is not None:
            layout["data"] = data
        if self._cumulative:
            layout["mode"] = "cumulative"
        if number == 0 and self._sse.bom:
            layout["bom"] = True
        body: str | None = frame[6]
        if body is not None:
            # DashScope's own layout: result frames say :HTTP_STATUS/200, error
            # frames their status. Anything else is kept to be written back.
            if frame[0] != "error":
                status = 200
            if not _own_layout(body, frame[7], number, frame[0], status, data):
                raw = body + frame[7]
                layout["raw"] = raw
                if frame[2] != str(number + 1):
                    layout["id"] = frame[2]
                if frame[4] != _comments(status):
                    layout["comments"] = list(frame[4])
        return {PROVIDER: layout}

    def _status(self, comments: tuple[str, ...]) -> int | None:
        # The framing layer hands every frame with the same head the same tuple.
        found = self._statuses.get(comments, _UNSEEN)
        if found is _UNSEEN:
            found = self._statuses[comments] = status_of(comments)
        return found  # type: ignore[return-value]

    def _quick(self, frame: SSEFrame, number: int, out: list[Event]) -> Any:
        """The common frame, read inline: one choice, already started and not
        finished, one non-empty piece of text (string, or a single text part)
        or of reasoning, ``finish_reason`` ``"null"``, no tool calls or logprobs.

        Returns ``_DONE`` when it read the frame, else what it parsed (for the
        general reader, which then explains any problem). Nothing is changed
        before the frame is known to be one of these.
        """
        data: str = frame[1]
        try:
            obj = parse_json(data)
        except ValueError:
            return None
        return self._quick_obj(obj, data, number, out, frame)

    def _quick_obj(
        self, obj: Any, data: str | bytes, number: int, out: list[Event], frame: SSEFrame | None
    ) -> Any:
        """:meth:`_quick` on a parsed frame; ``frame`` is ``None`` when the
        caller checked that it is laid out as DashScope lays frames out."""
        if type(obj) is not dict:
            return obj
        output = obj.get("output")
        if type(output) is not dict:
            return obj
        choices = output.get("choices")
        if type(choices) is not list or len(choices) != 1:
            return obj
        choice = choices[0]
        if type(choice) is not dict or "logprobs" in choice:
            return obj
        reason = choice.get("finish_reason")
        if reason is not None and reason != "null":
            return obj
        message = choice.get("message")
        if type(message) is not dict:
            return obj
        index = choice.get("index", 0)
        if type(index) is not int:
            return obj
        state = self._choices.get(index)
        if state is None or not state.started or state.finished is not None:
            return obj
        role = message.get("role")
        if role is not None and type(role) is not str:
            return obj
        content = message.get("content")
        if type(content) is not str:
            if type(content) is list and len(content) == 1:
                part = content[0]
                if type(part) is not dict or len(part) != 1:
                    return obj
                content = part.get("text")
                if type(content) is not str:
                    return obj
            elif content is None or content == []:
                content = ""
            else:
                return obj
        reasoning = message.get("reasoning_content", "")
        if type(reasoning) is not str:
            return obj
        calls = message.get("tool_calls")
        tool = -1
        if calls is not None:
            # A tool call's continuation: one fragment of arguments for a call
            # already opened, no id (or ""), no name.
            if self._cumulative or content or reasoning or type(calls) is not list:
                return obj
            if len(calls) != 1:
                return obj
            call = calls[0]
            if type(call) is not dict:
                return obj
            tool = call.get("index", 0)
            if type(tool) is not int or tool not in state.tools or call.get("id"):
                return obj
            function = call.get("function")
            if type(function) is not dict or function.get("name"):
                return obj
            text = function.get("arguments")
            if type(text) is not str or not text:
                return obj
            if "id" in call and type(call["id"]) is not str:
                return obj
            if "name" in function and type(function["name"]) is not str:
                return obj
            channel = "tool"
        elif content:
            if reasoning:
                return obj
            text, channel = content, "text"
        elif reasoning:
            text, channel = reasoning, "reasoning"
        else:
            return obj
        request_id = obj.get("request_id")
        if request_id is not None and type(request_id) is not str:
            return obj
        usage = obj.get("usage")
        new_usage = usage is not None and usage != self._usage
        if new_usage and (type(usage) is not dict or not _usage_ok(usage)):
            return obj
        if self._cumulative:
            key = (index, channel, 0)
            previous = self._snapshots.get(key, "")
            if not text.startswith(previous) or len(text) == len(previous):
                return obj
            self._snapshots[key] = text
            text = text[len(previous) :]
        if new_usage:
            self._usage, self._usage_sent = usage, False
        if self.wire:
            # Bytes from below the framing layer: the parser took them, so UTF-8.
            kept: str = data.decode("utf-8") if isinstance(data, bytes) else data
            if frame is not None and not _own_layout(
                frame[6], frame[7], number, "result", 200, kept
            ):
                wire: dict[str, Any] | None = self._wire(frame, number, kept, 200)
            else:
                layout: dict[str, Any] = {"frame": number, "data": kept}
                if self._cumulative:
                    layout["mode"] = "cumulative"
                wire = {PROVIDER: layout}
        else:
            wire = None
        if channel == "text":
            out.append(_delta(TextDelta, "text_delta", _TEXT_FIELDS, index, text, wire))
        elif channel == "reasoning":
            out.append(
                _delta(ReasoningDelta, "reasoning_delta", _REASONING_FIELDS, index, text, wire)
            )
        else:
            event = _new(ToolCallDelta)
            _set_dict(
                event,
                {
                    "type": "tool_call_delta",
                    "choice": index,
                    "index": tool,
                    "id": None,
                    "name": None,
                    "arguments": text,
                    "wire": wire,
                },
            )
            _set_fields(event, _TOOL_FIELDS)
            _set_extra(event, None)
            _set_private(event, None)
            out.append(event)
        return _DONE

    # ------------------------------------------------------------ problems

    def _tolerate(self, kind: str, message: str) -> None:
        """A problem the frame can be read past: an error if strict, else a diagnostic."""
        if self.strict:
            raise _BadFrameError(kind, message)
        self._note(kind, message, *self._at)

    def _source_offset(self, offset: int) -> int:
        """An offset of the framing layer as one of the input (``split_glued``
        hands the framing layer a blank line before each glued frame)."""
        return offset if self._glue is None else self._glue.source_offset(offset)

    def _note(self, kind: str, message: str, offset: int, frame: int) -> None:
        self._own.append(Diagnostic(kind, message, offset, frame))

    def _save(self) -> tuple[Any, ...]:
        return (
            self._started,
            {k: c.copy() for k, c in self._choices.items()},
            dict(self._snapshots),
            dict(self._logprobs),
            self._usage,
            self._usage_sent,
            self._errored,
        )

    def _restore(self, saved: tuple[Any, ...]) -> None:
        (
            self._started,
            self._choices,
            self._snapshots,
            self._logprobs,
            self._usage,
            self._usage_sent,
            self._errored,
        ) = saved

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
                "wire": self._wire(frame, number, None, self._status(frame[4])),
            },
        )

    def _finish_stream(self, out: list[Event]) -> None:
        """After the last frame: the final usage, then End -- or a truncation report."""
        if self._errored:
            return
        self._emit_usage(out)
        choices = self._choices.values()
        if choices and all(choice.finished is not None for choice in choices):
            out.append(_trusted(End, {"type": "end", "choice": None, "wire": None}))
            return
        message = (
            "the stream ended"
            + (
                " with no result frame at all"
                if not choices
                else " before choice "
                + ", ".join(str(i) for i, c in self._choices.items() if c.finished is None)
                + " sent a finish_reason"
            )
            + '; expected a frame whose finish_reason is not "null", or an event:error frame'
        )
        if self.strict:
            self._failure = DecodeError(
                message,
                kind="truncated",
                offset=self._source_offset(self._sse.offset),
                frame=self._frame,
                provider=PROVIDER,
            )
            if out:
                return
            raise self._failure
        self._note("truncated", message, self._sse.offset, self._frame)

    # ------------------------------------------------------------ auto mode

    def _hold(self, frame: SSEFrame, number: int, start: int, out: list[Event]) -> None:
        parsed = None
        if frame[1] is not None and frame[0] in {"result", None, ""}:
            try:
                parsed = parse_json(frame[1])
            except ValueError:
                parsed = None  # read (and explained) when the frame is read
        self._pending.append((frame, number, start, parsed))
        verdict = self._evidence(parsed) if type(parsed) is dict else None
        if verdict is None and len(self._pending) > AUTO_LIMIT:
            verdict, undecided = False, True
            self._note(
                "mode_undetermined",
                f"{AUTO_LIMIT} frames did not tell incremental from cumulative output; "
                "read as incremental (pass mode=... to choose)",
                start,
                number,
            )
        else:
            undecided = False
        if verdict is not None:
            self._decide(cumulative=verdict, out=out, undecided=undecided)

    def _decide(self, *, cumulative: bool, out: list[Event], undecided: bool) -> None:
        self._cumulative = cumulative
        pending, self._pending = self._pending, []
        if undecided and self._ambiguous and pending:
            frame, number, start = pending[-1][:3]
            self._note(
                "mode_undetermined",
                "the frames did not tell incremental from cumulative output (every "
                "repeated value extended the one before it); read as incremental, "
                "the default (pass mode=... to choose)",
                start,
                number,
            )
        self._seen.clear()
        for frame, number, start, parsed in pending:
            # A failure raises _StopError (or the error itself): frames after it are not read.
            self._read_frame(frame, number, start, out, parsed)

    def _evidence(self, obj: dict[str, Any]) -> bool | None:
        """What a parsed frame says about the mode: True cumulative, False
        incremental, None nothing yet."""
        output = obj.get("output")
        if type(output) is not dict:
            return None
        values: list[tuple[tuple[int, str, int], object]] = []
        choices = output.get("choices")
        if type(choices) is list:
            for position, choice in enumerate(choices):
                if type(choice) is not dict:
                    continue
                index = choice.get("index", position)
                index = index if type(index) is int else position
                logprobs = choice.get("logprobs")
                if type(logprobs) is dict and type(logprobs.get("content")) is list:
                    values.append(((index, "logprobs", 0), logprobs["content"]))
                message = choice.get("message")
                if type(message) is not dict:
                    continue
                content = message.get("content")
                if type(content) is list:
                    values.extend(
                        ((index, "text", k), part.get("text"))
                        for k, part in enumerate(content)
                        if type(part) is dict
                    )
                else:
                    values.append(((index, "text", 0), content))
                values.append(((index, "reasoning", 0), message.get("reasoning_content")))
                calls = message.get("tool_calls")
                if type(calls) is list:
                    for k, call in enumerate(calls):
                        if type(call) is not dict:
                            continue
                        at = call.get("index", k)
                        at = at if type(at) is int else k
                        call_id = call.get("id")
                        seen_id = self._seen.get((index, "tool_call_id", at))
                        if type(call_id) is str and seen_id:
                            if call_id == "":
                                return False  # a continuation: incremental
                            if call_id == seen_id:
                                return True  # the id repeated: cumulative
                        if type(call_id) is str and call_id:
                            self._seen[index, "tool_call_id", at] = call_id
                        function = call.get("function")
                        if type(function) is dict:
                            values.append(
                                ((index, "tool_call_arguments", at), function.get("arguments"))
                            )
        else:
            values.append(((0, "text", 0), output.get("text")))
        for key, value in values:
            if not value or (type(value) is not str and type(value) is not list):
                continue
            previous = self._seen.get(key)
            self._seen[key] = value
            if previous is None:
                continue
            if value[: len(previous)] != previous:
                return False
            self._ambiguous = True  # the two readings differ from here on
            if len(value) > len(previous):
                self._extensions += 1
                if self._extensions >= AUTO_EXTENSIONS:
                    return True
        return None

    # ------------------------------------------------------------ frames

    def _read_error(self, frame: SSEFrame, number: int, out: list[Event], parsed: Any) -> None:
        data: str = frame[1]
        try:
            body = parsed if parsed is not None else parse_json(data)
        except ValueError:
            body = data
        status = self._status(frame[4])
        wire = self._wire(frame, number, data, status)
        self._error_event(body, status, wire, out)

    def _error_event(
        self, body: object, status: int | None, wire: dict[str, Any] | None, out: list[Event]
    ) -> None:
        values: dict[str, Any] = {
            "type": "error",
            "choice": None,
            "status": status,
            "code": None,
            "message": None,
            "error_type": None,
            "param": None,
            "request_id": None,
            "wire": wire,
        }
        if type(body) is dict:
            code = body.get("code")
            if code is not None and type(code) is not str and type(code) is not int:
                raise _expected("code", "a string, an integer or null", code)
            values["code"] = code
            message = body.get("message", body.get("msg"))
            values["message"] = _opt_str(message, "message")
            values["request_id"] = _opt_str(body.get("request_id"), "request_id")
        elif type(body) is str:
            values["message"] = body
        else:
            raise _expected("data", "an error object", body)
        self._emit_usage(out)
        self._errored = True
        out.append(_trusted(ErrorEvent, values))

    def _read_result(self, frame: SSEFrame, number: int, out: list[Event], parsed: Any) -> None:
        data: str = frame[1]
        if type(parsed) is dict:
            obj = parsed
        else:
            try:
                obj = parse_json(data)
            except ValueError as exc:
                shown = data if len(data) <= 40 else data[:37] + "..."
                raise _BadFrameError(
                    "invalid_json",
                    f"data is not JSON ({exc}); expected a DashScope result object, got {shown!r}",
                ) from None
        if type(obj) is not dict:
            raise _expected("data", "a result object", obj)
        output = obj.get("output")
        status = self._status(frame[4])
        wire = self._wire(frame, number, data, status)
        if output is None and "code" in obj and "output" not in obj:
            # An error sent as a result frame (some gateways): an error all the same.
            self._error_event(obj, status, wire, out)
            return
        if type(output) is not dict:
            raise _expected("output", "an object", output)
        first = len(out)
        self.read_result(obj, output, wire, out)
        if len(out) == first:
            out.append(
                _trusted(
                    Passthrough,
                    {"type": "passthrough", "choice": None, "provider": PROVIDER, "wire": wire},
                )
            )

    def read_result(
        self,
        obj: dict[str, Any],
        output: dict[str, Any],
        wire: dict[str, Any] | None,
        out: list[Event],
    ) -> None:
        """Read a parsed result object into events (the writer checks frames with this)."""
        if self._errored:
            self._tolerate("data_after_error", "a result frame after event:error")
        request_id = _opt_str(obj.get("request_id"), "request_id")
        if not self._started:
            self._started = True
            out.append(
                _trusted(
                    StreamStart,
                    {
                        "type": "stream_start",
                        "choice": None,
                        "id": None,
                        "model": None,
                        "created": None,
                        "request_id": request_id,
                        "wire": wire,
                    },
                )
            )
        usage = obj.get("usage")
        if usage is not None:
            if type(usage) is not dict:
                raise _expected("usage", "an object", usage)
            if usage != self._usage:
                usage_counts(usage)  # checked here, counted when emitted
                self._usage = usage
                self._usage_sent = False
        choices = output.get("choices")
        if choices is not None:
            if type(choices) is not list:
                raise _expected("output.choices", "an array", choices)
            for position, choice in enumerate(choices):
                self._read_choice(choice, position, wire, out)
        elif "text" in output or "finish_reason" in output:
            self._read_text_output(output, wire, out)
        if self._choices and all(c.finished is not None for c in self._choices.values()):
            self._emit_usage(out)

    def _emit_usage(self, out: list[Event]) -> None:
        if self._usage_sent or self._usage is None:
            return
        self._usage_sent = True
        values: dict[str, Any] = {"type": "usage", "choice": None, **usage_counts(self._usage)}
        values["wire"] = {PROVIDER: {"usage": self._usage}} if self.wire else None
        out.append(_trusted(Usage, values))

    def _choice(self, index: int) -> _Choice:
        state = self._choices.get(index)
        if state is None:
            state = self._choices[index] = _Choice()
        return state

    def _read_text_output(
        self, output: dict[str, Any], wire: dict[str, Any] | None, out: list[Event]
    ) -> None:
        state = self._choice(0)
        text = _opt_str(output.get("text"), "output.text")
        if text:
            if self._cumulative:
                text = self._snap(0, "text", 0, text, "output.text", out, wire)
            if text:
                self._check_open(state, 0)
                out.append(_delta(TextDelta, "text_delta", _TEXT_FIELDS, 0, text, wire))
        reason = _finish_reason(output.get("finish_reason"), "output.finish_reason")
        if reason is not None:
            self._finish(state, 0, reason, wire, out)

    def _check_open(self, state: _Choice, index: int) -> None:
        if state.finished is not None:
            self._tolerate(
                "content_after_finish",
                f"choice {index} sent content after its finish_reason "
                f"{state.finished!r}; expected the end of the choice",
            )

    def _finish(
        self, state: _Choice, index: int, reason: str, wire: dict[str, Any] | None, out: list[Event]
    ) -> None:
        if state.finished is not None:
            if state.finished != reason:
                self._tolerate(
                    "finish_changed",
                    f"choice {index} finished with {state.finished!r}, "
                    f"then with {reason!r}; expected one finish_reason",
                )
            return
        state.finished = reason
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

    def _snap(  # noqa: PLR0917 - the reader's private per-value step
        self,
        choice: int,
        channel: str,
        index: int,
        value: str,
        path: str,
        out: list[Event],
        wire: dict[str, Any] | None,
    ) -> str:
        """Cumulative: what ``value`` adds to the channel's previous snapshot."""
        key = (choice, channel, index)
        previous = self._snapshots.get(key, "")
        if value.startswith(previous):
            self._snapshots[key] = value
            return value[len(previous) :]
        problem = NotExtending(key, previous, value)
        if self.on_mismatch != "resync":
            self._tolerate("not_cumulative", f"{path}: {problem}")
        self._snapshots[key] = value
        whole = value
        out.append(
            _trusted(
                Resync,
                {
                    "type": "resync",
                    "choice": choice,
                    "channel": "text" if channel == "text" else channel,
                    "index": index if channel.startswith("tool_call") else None,
                    "text": whole,
                    "wire": wire,
                },
            )
        )
        return ""

    def _read_choice(
        self, choice: object, position: int, wire: dict[str, Any] | None, out: list[Event]
    ) -> None:
        path = f"output.choices[{position}]"
        if type(choice) is not dict:
            raise _expected(path, "an object", choice)
        index = choice.get("index", position)
        if type(index) is not int or index < 0:
            raise _expected(f"{path}.index", "a non-negative integer", index)
        state = self._choice(index)
        message = choice.get("message")
        if message is not None:
            if type(message) is not dict:
                raise _expected(f"{path}.message", "an object", message)
            self._read_message(message, index, state, f"{path}.message", wire, out)
        logprobs = choice.get("logprobs")
        if logprobs is not None:
            self._read_logprobs(logprobs, index, f"{path}.logprobs", wire, out)
        reason = _finish_reason(choice.get("finish_reason"), f"{path}.finish_reason")
        if reason is not None:
            self._finish(state, index, reason, wire, out)

    def _read_message(  # noqa: PLR0917 - the reader's private per-choice step
        self,
        message: dict[str, Any],
        index: int,
        state: _Choice,
        path: str,
        wire: dict[str, Any] | None,
        out: list[Event],
    ) -> None:
        cumulative = self._cumulative
        role = message.get("role")
        if not state.started and role is not None:
            if type(role) is not str:
                raise _expected(f"{path}.role", "a string", role)
            state.started = True
            out.append(
                _trusted(
                    ChoiceStart,
                    {"type": "choice_start", "choice": index, "role": role, "wire": wire},
                )
            )
        reasoning = message.get("reasoning_content")
        if reasoning is not None:
            if type(reasoning) is not str:
                raise _expected(f"{path}.reasoning_content", "a string", reasoning)
            if reasoning and cumulative:
                reasoning = self._snap(
                    index, "reasoning", 0, reasoning, f"{path}.reasoning_content", out, wire
                )
            if reasoning:
                self._check_open(state, index)
                out.append(
                    _delta(
                        ReasoningDelta, "reasoning_delta", _REASONING_FIELDS, index, reasoning, wire
                    )
                )
        content = message.get("content")
        if type(content) is str:
            if content and cumulative:
                content = self._snap(index, "text", 0, content, f"{path}.content", out, wire)
            if content:
                self._check_open(state, index)
                out.append(_delta(TextDelta, "text_delta", _TEXT_FIELDS, index, content, wire))
        elif type(content) is list:
            texts: list[str] = []
            for k, part in enumerate(content):
                if type(part) is not dict:
                    raise _expected(f"{path}.content[{k}]", "an object", part)
                text = part.get("text")
                if text is None:
                    continue  # image_hw, ocr_result...: kept in wire
                if type(text) is not str:
                    raise _expected(f"{path}.content[{k}].text", "a string", text)
                if text:
                    texts.append(text)
            if cumulative and texts:
                # The answer is the items' text in order: as one snapshot, so
                # that an item growing before a later one is not misread.
                whole = self._snap(index, "text", 0, "".join(texts), f"{path}.content", out, wire)
                texts = [whole] if whole else []
            for text in texts:
                self._check_open(state, index)
                out.append(_delta(TextDelta, "text_delta", _TEXT_FIELDS, index, text, wire))
        elif content is not None:
            raise _expected(f"{path}.content", "a string or an array of parts", content)
        calls = message.get("tool_calls")
        if calls is not None:
            if type(calls) is not list:
                raise _expected(f"{path}.tool_calls", "an array", calls)
            for k, call in enumerate(calls):
                self._tool_call(call, index, state, f"{path}.tool_calls[{k}]", k, wire, out)

    def _tool_call(  # noqa: PLR0917 - the reader's private per-fragment step
        self,
        call: object,
        choice: int,
        state: _Choice,
        path: str,
        position: int,
        wire: dict[str, Any] | None,
        out: list[Event],
    ) -> None:
        if type(call) is not dict:
            raise _expected(path, "an object", call)
        index = call.get("index", position)
        if type(index) is not int or index < 0:
            raise _expected(f"{path}.index", "a non-negative integer", index)
        call_id = _opt_str(call.get("id"), f"{path}.id")
        function = call.get("function")
        if function is None:
            function = {}
        elif type(function) is not dict:
            raise _expected(f"{path}.function", "an object", function)
        name = _opt_str(function.get("name"), f"{path}.function.name")
        arguments = _opt_str(function.get("arguments"), f"{path}.function.arguments") or ""
        new = index not in state.tools
        if self._cumulative:
            if call_id:
                call_id = self._snap(
                    choice, "tool_call_id", index, call_id, f"{path}.id", out, wire
                )
            if name:
                name = self._snap(
                    choice, "tool_call_name", index, name, f"{path}.function.name", out, wire
                )
            if arguments:
                arguments = self._snap(
                    choice,
                    "tool_call_arguments",
                    index,
                    arguments,
                    f"{path}.function.arguments",
                    out,
                    wire,
                )
        if not new and not call_id and not name and not arguments:
            # Incremental: an empty continuation (qwen3.6 closes a call so before
            # opening the next); cumulative: the call repeated as it stood. Either
            # way it says nothing, and the writer puts such frames back as they came.
            return
        if not self._cumulative and new and not call_id and not name and arguments:
            self._tolerate(
                "unopened_tool_call",
                f"{path}: a continuation (no id, no name) of tool call {index}, "
                "which no earlier fragment opened; expected its id and function.name first",
            )
        self._check_open(state, choice)
        state.tools.add(index)
        out.append(
            _trusted(
                ToolCallDelta,
                {
                    "type": "tool_call_delta",
                    "choice": choice,
                    "index": index,
                    "id": call_id or None,
                    "name": name or None,
                    "arguments": arguments,
                    "wire": wire,
                },
            )
        )

    def _read_logprobs(
        self, logprobs: object, index: int, path: str, wire: dict[str, Any] | None, out: list[Event]
    ) -> None:
        if type(logprobs) is not dict:
            raise _expected(path, "an object", logprobs)
        content = logprobs.get("content")
        if content is None:
            return
        if type(content) is not list:
            raise _expected(f"{path}.content", "an array", content)
        if self._cumulative:
            seen = self._logprobs.get(index, 0)
            if len(content) < seen:
                self._tolerate(
                    "not_cumulative",
                    f"{path}.content: {len(content)} items after {seen}; "
                    "expected the list so far, then more",
                )
                seen = 0
            self._logprobs[index] = len(content)
            content = content[seen:]
        if content:
            out.append(
                _trusted(
                    Logprobs,
                    {
                        "type": "logprobs",
                        "choice": index,
                        "content": content,
                        "refusal": None,
                        "wire": wire,
                    },
                )
            )


def _delta(  # noqa: PLR0917 - built as _trusted does, inline: most events of a stream
    cls: type[Event], tag: str, fields: set[str], choice: int, text: str, wire: Any
) -> Event:
    event = _new(cls)
    _set_dict(event, {"type": tag, "choice": choice, "text": text, "wire": wire})
    _set_fields(event, fields)
    _set_extra(event, None)
    _set_private(event, None)
    return event


def _comments(status: int | None) -> tuple[str, ...]:
    return () if status is None else (f"{_STATUS}{status}",)


def _own_layout(  # noqa: PLR0917 - one frame's parts
    body: str, end: str, number: int, event: str | None, status: int | None, data: str | None
) -> bool:
    """Whether a block is exactly what DashScope writes for frame ``number``:
    ``id:N``, ``event:...``, ``:HTTP_STATUS/NNN``, ``data:...``, a blank line.

    Checked without building the frame's text: the head, the length, and the
    data in its place.
    """
    head = f"id:{number + 1}\n"
    if event is not None:
        head += f"event:{event}\n"
    if status is not None:
        head += f":{_STATUS}{status}\n"
    # The framing layer hands a block either as its text and the blank line
    # ("\n\n") apart, or (when it met a CR in the chunk) as one text.
    if end == "\n\n":
        stop = len(body)
    elif not end and body.endswith("\n\n"):
        stop = len(body) - 2
    else:
        return False
    if data is None:
        return body[:stop] + "\n" == head
    head += "data:"
    return (
        stop == len(head) + len(data) and body.startswith(head) and body.startswith(data, len(head))
    )


class _Unglue:
    """``split_glued``: a blank line before each ``id:`` line that follows
    another line of the same block (a recorder dropped it).

    It counts the input's bytes and blocks itself, so each split is reported
    at the same offset and frame however the input is cut into chunks.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._line = b""  # the current line, until its end arrives
        self._in_block = False  # a non-blank line came since the last blank one
        self._at = 0  # input bytes before the current line
        self._blocks = 0  # blocks ended so far: the number of the current one
        self._out = 0  # bytes handed on (the input plus the blank lines added)
        #: Where each added newline is in what was handed on, in order.
        self.inserted: list[int] = []

    def source_offset(self, offset: int) -> int:
        """The input's byte offset for one in what was handed on."""
        return offset - bisect.bisect_left(self.inserted, offset)

    def feed(self, data: bytes, owner: Decoder) -> bytes:
        text = self._line + data
        out: list[bytes] = []
        start = 0
        while True:
            end = text.find(b"\n", start)
            if end < 0:
                break
            self._take(text[start : end + 1], owner, out)
            start = end + 1
        self._line = text[start:]
        if len(self._line) > self._limit:  # let the framing layer refuse it
            out.append(self._line)
            self._at += len(self._line)
            self._out += len(self._line)
            self._line = b""
            self._in_block = True
        return b"".join(out)

    def _take(self, line: bytes, owner: Decoder, out: list[bytes]) -> None:
        blank = line.lstrip(b"\xef\xbb\xbf") in {b"\n", b"\r\n", b""}
        if not blank and line.startswith(b"id:") and self._in_block:
            out.append(b"\n")
            self.inserted.append(self._out)
            self._out += 1
            self._blocks += 1
            owner._note(
                "glued_frames",
                "a new frame's id: line followed another line with no blank line "
                "between them; split there (split_glued=True)",
                self._at,
                self._blocks,
            )
        elif blank and self._in_block:
            self._blocks += 1
        self._in_block = not blank
        self._at += len(line)
        self._out += len(line)
        out.append(line)

    def close(self, owner: Decoder) -> bytes:
        rest, self._line = self._line, b""
        if not rest:
            return b""
        out: list[bytes] = []
        self._take(rest, owner, out)
        return b"".join(out)

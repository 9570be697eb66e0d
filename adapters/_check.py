"""The conformance checker: every way a recorded stream breaks its protocol, not just the first.

Strategy
--------
The decoders stop at the first problem (or, lenient, repair and go on); a
checker must instead *report*, with a stable rule id, every finding, and say
where each one is. So it reads the stream itself, one layer at a time:

* the SSE layer is :class:`adapters.sse.SSEDecoder`, which keeps each frame's
  exact text (``raw``), so line endings and line lengths can be looked at, and
  which records invalid UTF-8 and ignored lines as diagnostics;
* each frame's JSON is then held against the rules of its provider, below,
  by small state machines of the checker's own (the decoders are not asked
  whether a frame is right; they are asked one thing only, see the next point);
* whether a DashScope stream is cumulative is what
  ``adapters.dashscope.Decoder(mode="auto")`` decides (its :attr:`mode`), so
  the checker and the library never disagree about a stream's mode. Findings
  that depend on the mode (a snapshot that does not extend the previous one;
  an ``"id": ""`` continuation of a call never opened) are held until the
  mode is known.

Numbering is the library's: ``frame`` is the zero-based number of the SSE
frame (as in :class:`adapters.DecodeError` and ``adapters frames``), and
``offset`` the byte offset of the frame's start in the whole input -- where
its text starts, blank lines before the block included, as in decode errors.
Findings about the stream as a whole (it ended too early) name the frame that
never came and the end of the input.

Frames a recorder glued together (no blank line between two DashScope
frames, so SSE reads them as one block) are reported once per missing blank
line and then checked as the frames they were meant to be, numbered as
``adapters.dashscope.Decoder(split_glued=True)`` numbers them.

Sources of the rules: the WHATWG HTML Standard, section 9.2
(https://html.spec.whatwg.org/multipage/server-sent-events.html); OpenAI's
API reference for the chat completion chunk object and
``stream_options.include_usage``; the DashScope API reference and the
recorded streams described in ``docs/dashscope.md``.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal, TypeAlias

from adapters._convert import (
    _SNIFF_LIMIT,
    Provider,
    Source,
    _chunks,
    complete_blocks,
    detect_provider,
)
from adapters._errors import DecodeError
from adapters._json import parse_json
from adapters.dashscope import Decoder as DashScopeDecoder
from adapters.openai import Decoder as OpenAIDecoder
from adapters.sse import DEFAULT_MAX_BUFFER_SIZE, SSEDecoder, SSEFrame

__all__ = ["DEFAULT_MAX_LINE_SIZE", "RULES", "Severity", "Violation", "check"]

#: How bad a finding is: ``"error"`` breaks the protocol (a conforming client
#: loses or misreads something); ``"warning"`` deviates from what the provider
#: itself sends, but clients cope.
Severity: TypeAlias = Literal["error", "warning"]

#: Default bound on one line, in bytes (:func:`check`'s ``max_line_size``).
DEFAULT_MAX_LINE_SIZE: Final = 1024 * 1024

_E: Final = "error"
_W: Final = "warning"

#: Every rule: its id, its severity, and what it means in one line.
RULES: Final[Mapping[str, tuple[Severity, str]]] = MappingProxyType(
    {
        # -- SSE framing (WHATWG HTML 9.2.6), both providers
        "SSE001": (_E, "invalid UTF-8 (a browser shows U+FFFD instead)"),
        "SSE002": (_W, "the last block has no blank line after it (a browser never dispatches it)"),
        "SSE003": (_W, "the stream mixes line endings (LF, CRLF, CR)"),
        "SSE004": (_E, "a line longer than max_line_size bytes"),
        "SSE005": (_E, "a block grew past the SSE buffer bound; checking stopped there"),
        "SSE006": (_W, "a line the standard ignores (unknown field, bad retry, id with NUL)"),
        "SSE007": (_E, "neither OpenAI nor DashScope framing; only the SSE rules were checked"),
        # -- OpenAI chat.completion.chunk
        "OAI001": (_E, "data is neither JSON nor [DONE]"),
        "OAI002": (_E, "not a chat.completion.chunk (object, choices or a choice malformed)"),
        "OAI003": (_E, "delta.role on a choice's later chunk, not only its first"),
        "OAI004": (_E, 'finish_reason is "" (null until the choice finishes)'),
        "OAI005": (_E, "a second, different finish_reason for a choice"),
        "OAI006": (_W, "the same finish_reason repeated for a choice"),
        "OAI007": (_E, "content for a choice after its finish_reason"),
        "OAI008": (_E, "[DONE] came while a choice had no finish_reason"),
        "OAI009": (_E, "a tool call index opened out of order (0, 1, 2 per choice)"),
        "OAI010": (_E, "id or function.name on a tool call's later fragment"),
        "OAI011": (_W, "a tool call opened without an id or a function.name"),
        "OAI012": (_W, "a tool call's concatenated arguments are not JSON"),
        "OAI013": (_W, "usage on a chunk that has choices (the usage chunk has choices: [])"),
        "OAI014": (_E, "a chunk with choices, or more usage, after the usage chunk"),
        "OAI015": (_E, "data after [DONE] (a second [DONE] included)"),
        "OAI016": (_E, "id, model or created differs from the first chunk's (once per field)"),
        "OAI017": (_E, "the stream ended unfinished: no [DONE], no error, a choice unfinished"),
        "OAI018": (_W, "the stream ended without [DONE] after every choice finished"),
        # -- DashScope native
        "DS001": (_E, "id: does not count up from 1 by one"),
        "DS002": (_W, "no :HTTP_STATUS/NNN comment"),
        "DS003": (_E, ":HTTP_STATUS does not match the event (result <-> 200, error <-> other)"),
        "DS004": (_E, "event: is neither result nor error"),
        "DS005": (_E, "data is not JSON"),
        "DS006": (_E, "not a DashScope payload (no data, no output object, malformed part)"),
        "DS007": (_E, "a cumulative stream's value does not extend the previous one"),
        "DS008": (_E, "a result frame for a choice that already finished"),
        "DS009": (_W, 'finish_reason of an unfinished choice is not the string "null"'),
        "DS010": (_W, "request_id differs from the first frame's"),
        "DS011": (_E, "a usage total decreased"),
        "DS012": (_W, "total_tokens is not input_tokens + output_tokens"),
        "DS013": (_E, 'a tool-call continuation ("id": "") for an index never opened'),
        "DS014": (_E, "a frame after the error frame"),
        "DS015": (_E, "the stream ended unfinished: no finishing frame, no error frame"),
        "DS016": (_E, "frames glued together: no blank line before an id: line"),
    }
)


@dataclass(frozen=True, slots=True)
class Violation:
    """One finding of :func:`check`.

    >>> Violation("OAI004", "error", 'finish_reason is ""', frame=2, offset=310)
    Violation(rule='OAI004', severity='error', message='finish_reason is ""', frame=2, offset=310)
    """

    #: Stable rule id (see :data:`RULES` and docs/check.md), e.g. ``"DS001"``.
    rule: str
    #: ``"error"`` or ``"warning"``, the rule's severity.
    severity: Severity
    #: What was found and what was expected, on one line.
    message: str
    #: Zero-based number of the frame, as in :class:`adapters.DecodeError`;
    #: ``None`` for a finding about no frame in particular.
    frame: int | None = None
    #: Byte offset of the frame's start in the whole input, when known.
    offset: int | None = None


_RULE_ORDER: Final = {rule: number for number, rule in enumerate(RULES)}
_Candidate: TypeAlias = tuple[Literal["incremental", "cumulative"], Violation]
_MISSING: Final[Any] = object()
_EOL: Final = re.compile(r"\r\n|\r|\n")
_EOL_NAMES: Final = {"\n": "LF", "\r\n": "CRLF", "\r": "CR"}
_GLUED: Final = re.compile(r"[\r\n]id:")
_STATUS_PREFIX: Final = "HTTP_STATUS/"


def _violation(rule: str, message: str, frame: int | None, offset: int | None) -> Violation:
    return Violation(rule, RULES[rule][0], message, frame, offset)


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _line_bytes(line: str) -> int:
    """The input bytes of a decoded line, at the least: a U+FFFD that the SSE
    layer put in for invalid bytes stood for one to three of them, counted as
    one (so that a line is never called too long for its replacements)."""
    size = len(line.encode("utf-8", "surrogatepass"))
    return size - 2 * line.count("\ufffd")


def _byte_size(raw: str, pending: bytes | bytearray) -> int:
    """How many input bytes (from the start of ``pending``) decoded to ``raw``.

    Exact without decoding again unless the text holds U+FFFD, which may
    stand for one to three invalid bytes: then the bytes are decoded again as
    the SSE layer did (maximal invalid subsequences, as WHATWG says), until
    they give as many characters as ``raw`` has.
    """
    if "\ufffd" not in raw:
        return len(raw.encode("utf-8"))
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    target = len(raw)
    count = 0
    for index in range(len(pending)):
        count += len(decoder.decode(pending[index : index + 1]))
        if count >= target:
            return index + 1
    return len(pending)


# ---------------------------------------------------------------- OpenAI


class _Shape:
    """The library's own reader, one frame at a time: a part of a type it refuses
    (``invalid_chunk`` / ``invalid_frame``) is a shape finding, so that nothing
    :func:`adapters.decode` cannot read passes as clean."""

    def __init__(self, provider: Literal["openai", "dashscope"]) -> None:
        self.provider = provider
        self.decoder: OpenAIDecoder | DashScopeDecoder | None = None

    def problem(self, frame: SSEFrame) -> str | None:
        if self.decoder is None:
            self.decoder = (
                OpenAIDecoder(wire=False)
                if self.provider == "openai"
                else DashScopeDecoder(mode="incremental", wire=False)
            )
        try:
            self.decoder.read_frame(frame)
        except DecodeError as exc:
            self.decoder = None  # a reader that failed reads no more; start afresh
            if exc.kind in {"invalid_chunk", "invalid_frame"}:
                return exc.message
        return None


@dataclass
class _Call:
    frame: int
    offset: int
    arguments: list[str] = field(default_factory=list)


@dataclass
class _OpenAIChoice:
    chunks: int = 0
    finished: str | None = None
    calls: dict[int, _Call] = field(default_factory=dict)


# A delta key whose non-empty value is content for the choice.
_CONTENT_KEYS: Final = ("content", "reasoning_content", "reasoning", "refusal", "function_call")


class _OpenAIRules:
    """The chat.completion.chunk stream grammar, one frame at a time."""

    def __init__(self, found: list[Violation]) -> None:
        self.shape = _Shape("openai")
        self.found = found
        self.done: int | None = None  # frame of [DONE]
        self.errored = False
        self.identity: dict[str, object] = {}
        self.changed: set[str] = set()  # identity fields already reported
        self.choices: dict[int, _OpenAIChoice] = {}
        self.usage: int | None = None  # frame of the usage chunk

    def report(self, rule: str, message: str, frame: int, offset: int) -> None:
        self.found.append(_violation(rule, message, frame, offset))

    def frame(
        self, frame: SSEFrame, number: int, offset: int, _data: bytes | bytearray, _start: int
    ) -> int:
        """Check one SSE frame; return how many protocol frames it held (one)."""
        data = frame.data
        if data is None:
            return 1  # comments (keep-alives), id- or event-only blocks: no chunk
        if self.done is not None:
            self.report(
                "OAI015",
                f"data after [DONE] (frame {self.done}); expected [DONE] to be the last data",
                number,
                offset,
            )
            return 1
        if data == "[DONE]":
            self.done = number
            for index, choice in self.choices.items():
                if choice.finished is None and not self.errored:
                    self.report(
                        "OAI008",
                        f"[DONE] while choice {index} has no finish_reason; expected one "
                        "finish_reason per choice before [DONE]",
                        number,
                        offset,
                    )
            return 1
        try:
            chunk = parse_json(data)
        except (ValueError, RecursionError):
            self.report(
                "OAI001",
                f"data is not JSON: {_short(data)}; expected a chunk object or [DONE]",
                number,
                offset,
            )
            return 1
        if type(chunk) is not dict:
            self.report("OAI002", f"data is {_short(chunk)}, not a chunk object", number, offset)
            return 1
        if frame.event == "error" or chunk.get("error"):
            # An in-band error (OpenAI/vLLM {"error": ...}, Groq's event: error,
            # OpenRouter's error inside a chunk) is valid wire and ends the stream.
            self.errored = True
            if "object" not in chunk:
                return 1
        before = len(self.found)
        self.chunk(chunk, number, offset)
        if not any(v.rule == "OAI002" for v in self.found[before:]):
            problem = self.shape.problem(frame)
            if problem is not None:
                self.report("OAI002", problem, number, offset)
        return 1

    def chunk(self, chunk: dict[str, Any], number: int, offset: int) -> None:
        kind = chunk.get("object", _MISSING)
        if kind != "chat.completion.chunk":
            said = "no object field" if kind is _MISSING else f"object {_short(kind)}"
            self.report(
                "OAI002",
                f'{said}; expected "object": "chat.completion.chunk"',
                number,
                offset,
            )
            return
        for key in ("id", "model", "created"):
            value = chunk.get(key, _MISSING)
            first = self.identity.setdefault(key, value)
            if key in self.changed:
                continue  # reported once per field: a clock that ticks would say it every chunk
            if value != first or type(value) is not type(first):
                self.changed.add(key)
                was = "absent" if first is _MISSING else _short(first)
                now = "absent" if value is _MISSING else _short(value)
                self.report(
                    "OAI016",
                    f"{key} is {now}, the first chunk's was {was}; expected the same on every "
                    "chunk",
                    number,
                    offset,
                )
        choices = chunk.get("choices")
        if type(choices) is not list:
            self.report(
                "OAI002", f"choices is {_short(choices)}; expected an array", number, offset
            )
            return
        usage = chunk.get("usage")
        if usage is not None:
            if choices:
                self.report(
                    "OAI013",
                    "usage on a chunk with choices; expected usage on a last chunk with "
                    "choices: [] (stream_options.include_usage)",
                    number,
                    offset,
                )
            if self.usage is not None:
                self.report(
                    "OAI014",
                    f"usage again after the usage chunk (frame {self.usage}); expected one",
                    number,
                    offset,
                )
            else:
                self.usage = number
        elif choices and self.usage is not None:
            self.report(
                "OAI014",
                f"a chunk with choices after the usage chunk (frame {self.usage}); expected "
                "the usage chunk last before [DONE]",
                number,
                offset,
            )
        for position, choice in enumerate(choices):
            self.choice(choice, position, number, offset)

    def choice(self, choice: object, position: int, number: int, offset: int) -> None:
        where = f"choices[{position}]"
        if type(choice) is not dict:
            self.report(
                "OAI002", f"{where} is {_short(choice)}; expected an object", number, offset
            )
            return
        index = choice.get("index")
        if type(index) is not int:
            self.report(
                "OAI002", f"{where}.index is {_short(index)}; expected an integer", number, offset
            )
            return
        state = self.choices.setdefault(index, _OpenAIChoice())
        state.chunks += 1
        delta = choice.get("delta")
        if delta is None:
            delta = {}
        if type(delta) is not dict:
            self.report(
                "OAI002", f"{where}.delta is {_short(delta)}; expected an object", number, offset
            )
            delta = {}
        if delta.get("role") is not None and state.chunks > 1:
            self.report(
                "OAI003",
                f"delta.role {_short(delta['role'])} on a later chunk of choice {index}; "
                "expected it on the choice's first chunk only (clients that add up deltas "
                "repeat it)",
                number,
                offset,
            )
        calls = delta.get("tool_calls")
        has_content = any(delta.get(key) not in (None, "", []) for key in _CONTENT_KEYS) or bool(
            calls
        )
        if state.finished is not None and has_content:
            self.report(
                "OAI007",
                f"content for choice {index} after its finish_reason {state.finished!r}; "
                "expected nothing more for this choice",
                number,
                offset,
            )
        if calls is not None:
            if type(calls) is list:
                for k, call in enumerate(calls):
                    self.tool_call(
                        call, state, index, f"{where}.delta.tool_calls[{k}]", number, offset
                    )
            else:
                self.report(
                    "OAI002",
                    f"{where}.delta.tool_calls is {_short(calls)}; expected an array",
                    number,
                    offset,
                )
        reason = choice.get("finish_reason")
        if reason == "":
            self.report(
                "OAI004",
                f'{where}.finish_reason is ""; expected null until the choice finishes, then '
                'a reason such as "stop"',
                number,
                offset,
            )
        elif type(reason) is str:
            if state.finished is None:
                state.finished = reason
                self.arguments(state, index)
            elif reason == state.finished:
                self.report(
                    "OAI006",
                    f"finish_reason {reason!r} again for choice {index}; expected it once",
                    number,
                    offset,
                )
            else:
                self.report(
                    "OAI005",
                    f"finish_reason {reason!r} for choice {index}, which already finished "
                    f"with {state.finished!r}; expected one finish_reason per choice",
                    number,
                    offset,
                )
        elif reason is not None:
            self.report(
                "OAI002",
                f"{where}.finish_reason is {_short(reason)}; expected a string or null",
                number,
                offset,
            )

    def tool_call(  # noqa: PLR0917 - one fragment and where it is
        self, call: object, state: _OpenAIChoice, choice: int, where: str, number: int, offset: int
    ) -> None:
        if type(call) is not dict or type(call.get("index")) is not int:
            self.report(
                "OAI002",
                f"{where} is {_short(call)}; expected an object with an integer index",
                number,
                offset,
            )
            return
        index: int = call["index"]
        function = call.get("function")
        if type(function) is not dict:
            function = {}
        call_id = call.get("id")
        name = function.get("name")
        opened = state.calls.get(index)
        if opened is None:
            if index != len(state.calls):
                self.report(
                    "OAI009",
                    f"tool call index {index} opened for choice {choice}; expected index "
                    f"{len(state.calls)} (calls open in order from 0)",
                    number,
                    offset,
                )
            if not call_id or not name:
                missing = " and ".join(
                    what for what, value in (("id", call_id), ("function.name", name)) if not value
                )
                self.report(
                    "OAI011",
                    f"tool call {index} of choice {choice} opened without {missing}; expected "
                    "both on a call's first fragment",
                    number,
                    offset,
                )
            opened = state.calls[index] = _Call(number, offset)
        elif call_id or name:
            self.report(
                "OAI010",
                f"{where} repeats "
                + " and ".join(
                    what for what, value in (("id", call_id), ("function.name", name)) if value
                )
                + f" of tool call {index}; expected them on the call's first fragment only "
                "(clients that add up fragments double them)",
                number,
                offset,
            )
        arguments = function.get("arguments")
        if type(arguments) is str:
            opened.arguments.append(arguments)

    def arguments(self, state: _OpenAIChoice, choice: int) -> None:
        """At a choice's finish: each call's arguments, put together, should be JSON."""
        for index, call in state.calls.items():
            text = "".join(call.arguments)
            try:
                parse_json(text)
            except (ValueError, RecursionError):
                self.report(
                    "OAI012",
                    f"the arguments of tool call {index} of choice {choice} are not JSON: "
                    f"{_short(text)}",
                    call.frame,
                    call.offset,
                )

    def close(self, number: int, end: int) -> None:
        if self.done is not None or self.errored:
            return
        unfinished = [i for i, c in self.choices.items() if c.finished is None]
        if self.choices and not unfinished:
            self.report(
                "OAI018",
                "the stream ended after every choice finished but without data: [DONE]",
                number,
                end,
            )
            return
        said = (
            "no chunk at all"
            if not self.choices
            else "choice " + ", ".join(map(str, unfinished)) + " never finished"
        )
        self.report(
            "OAI017",
            f"the stream ended with {said}, no [DONE] and no error; expected a finish_reason "
            "for every choice, then [DONE]",
            number,
            end,
        )


# ---------------------------------------------------------------- DashScope


@dataclass
class _DashScopeChoice:
    finished: str | None = None
    finish_frame: int = 0
    opened: set[int] = field(default_factory=set)


class _DashScopeRules:
    """The DashScope native stream grammar, one frame at a time."""

    def __init__(self, found: list[Violation]) -> None:
        self.shape = _Shape("dashscope")
        self.pieces: list[tuple[int, int]] = []  # the last glued block's frames
        self.found = found
        self.held: list[_Candidate] = []  # findings that depend on the mode
        self.next_id = 1
        self.error: int | None = None  # frame of the error frame
        self.request_id: str | None = None
        self.usage: dict[str, int] = {}
        self.usage_sum_reported = False
        self.choices: dict[int, _DashScopeChoice] = {}
        self.last: dict[tuple[object, ...], str] = {}  # the latest value per channel

    def report(self, rule: str, message: str, frame: int, offset: int) -> None:
        self.found.append(_violation(rule, message, frame, offset))

    def frame(
        self, frame: SSEFrame, number: int, offset: int, data: bytes | bytearray, start: int
    ) -> int:
        """Check one SSE frame; return how many protocol frames it held.

        ``data`` holds the input from ``start``, where the frame's text begins
        (``offset`` may be one more: see :meth:`_Checker.take`).
        """
        raw = frame.raw
        if raw is not None and frame.data is not None and _GLUED.search(raw):
            parts = self.unglue(raw, offset, data, start)
            if len(parts) > 1:
                self.pieces = [(number + k, at) for k, (_, at) in enumerate(parts)]
                for k, (part, at) in enumerate(parts):
                    if k:
                        self.report(
                            "DS016",
                            "an id: line follows another line of the same block; expected a "
                            "blank line between frames (SSE reads them as one event)",
                            number + k,
                            at,
                        )
                    self.one(part, number + k, at)
                return len(parts)
        self.one(frame, number, offset)
        return 1

    @staticmethod
    def unglue(
        raw: str, offset: int, data: bytes | bytearray, base: int
    ) -> list[tuple[SSEFrame, int]]:
        """The frames of a glued block: a new one at each ``id:`` line after another line."""
        pieces: list[tuple[str, int]] = []  # (text, byte offset)
        start = 0  # where the current piece's text starts in raw
        position = 0
        seen_line = False
        at = offset
        end = base  # byte offset where the current piece's text starts
        for match in _EOL.finditer(raw):
            line = raw[position : match.start()]
            if line.startswith("id:") and seen_line:
                text = raw[start:position]
                pieces.append((text, at))
                end += _byte_size(text, data[end - base :])
                at = end
                start = position
            if line:
                seen_line = True
            position = match.end()
        pieces.append((raw[start:], at))
        out: list[tuple[SSEFrame, int]] = []
        for text, at_ in pieces:
            decoder = SSEDecoder()
            # A blank line first: it makes no frame, and a U+FEFF that starts
            # the text is not taken for a byte order mark.
            frames = decoder.feed(b"\n" + text.encode("utf-8")) + decoder.close()
            if frames:
                out.append((frames[0], at_))
        return out

    def one(self, frame: SSEFrame, number: int, offset: int) -> None:
        if frame.data is None and frame.id is None and frame.event is None:
            return  # comments or ignored lines only: no frame of the protocol
        before = len(self.found)
        self.rules_of(frame, number, offset)
        found = {v.rule for v in self.found[before:]}
        if frame.data is not None and not found & {"DS005", "DS006", "DS014"}:
            problem = self.shape.problem(frame)
            if problem is not None:
                self.report("DS006", problem, number, offset)

    def rules_of(self, frame: SSEFrame, number: int, offset: int) -> None:
        expected = str(self.next_id)
        if frame.id != expected:
            self.report(
                "DS001",
                f"id is {_short(frame.id) if frame.id is not None else 'missing'}; expected "
                f"id:{expected} (ids count up from 1)",
                number,
                offset,
            )
        if frame.id is not None and frame.id.isascii() and frame.id.isdigit():
            self.next_id = int(frame.id) + 1
        else:
            self.next_id += 1
        event = frame.event
        if event not in {"result", "error"}:
            self.report(
                "DS004",
                f"event is {_short(event) if event is not None else 'missing'}; expected "
                "event:result or event:error",
                number,
                offset,
            )
        self.status(frame, number, offset)
        if self.error is not None:
            self.report(
                "DS014",
                f"a frame after the error frame (frame {self.error}); expected the stream to "
                "end there",
                number,
                offset,
            )
            return
        if frame.data is None:
            self.report("DS006", "a frame with no data line", number, offset)
            return
        try:
            payload = parse_json(frame.data)
        except (ValueError, RecursionError):
            self.report(
                "DS005",
                f"data is not JSON: {_short(frame.data)}; expected one JSON object",
                number,
                offset,
            )
            return
        if type(payload) is not dict:
            self.report("DS006", f"data is {_short(payload)}; expected an object", number, offset)
            return
        request_id = payload.get("request_id")
        if type(request_id) is str:
            if self.request_id is None:
                self.request_id = request_id
            elif request_id != self.request_id:
                self.report(
                    "DS010",
                    f"request_id {_short(request_id)}, the first frame's was "
                    f"{_short(self.request_id)}; expected one request_id per stream",
                    number,
                    offset,
                )
        if event == "error":
            self.error = number
            return
        self.check_usage(payload.get("usage"), number, offset)
        output = payload.get("output")
        if type(output) is not dict:
            self.report(
                "DS006",
                f"output is {_short(output) if 'output' in payload else 'missing'}; expected "
                "an object",
                number,
                offset,
            )
            return
        choices = output.get("choices")
        if type(choices) is list:
            for position, choice in enumerate(choices):
                if type(choice) is not dict:
                    self.report(
                        "DS006",
                        f"output.choices[{position}] is {_short(choice)}; expected an object",
                        number,
                        offset,
                    )
                    continue
                index = choice.get("index", position)
                if type(index) is not int:
                    index = position
                message = choice.get("message")
                self.choice(
                    index,
                    choice.get("finish_reason", _MISSING),
                    message if type(message) is dict else {},
                    number,
                    offset,
                )
        elif "text" in output or "finish_reason" in output:
            # result_format "text": one choice, its text in output.text.
            text = output.get("text")
            self.choice(0, output.get("finish_reason", _MISSING), {}, number, offset, text=text)

    def status(self, frame: SSEFrame, number: int, offset: int) -> None:
        statuses = [
            c[len(_STATUS_PREFIX) :] for c in frame.comments if c.startswith(_STATUS_PREFIX)
        ]
        if not statuses:
            self.report(
                "DS002",
                "no :HTTP_STATUS/NNN comment; DashScope writes the real HTTP status there",
                number,
                offset,
            )
            return
        status = statuses[-1]
        event = frame.event
        if not (status.isascii() and status.isdigit()):
            self.report("DS003", f":HTTP_STATUS/{status} is not a status code", number, offset)
        elif event == "result" and status != "200":
            self.report(
                "DS003",
                f":HTTP_STATUS/{status} on an event:result frame; expected 200",
                number,
                offset,
            )
        elif event == "error" and status == "200":
            self.report(
                "DS003",
                ":HTTP_STATUS/200 on an event:error frame; expected the error's status",
                number,
                offset,
            )

    def check_usage(self, usage: object, number: int, offset: int) -> None:
        if type(usage) is not dict:
            return
        counts: dict[str, int] = {}
        for key in ("input_tokens", "output_tokens", "total_tokens"):
            value = usage.get(key)
            if type(value) is not int:
                continue
            counts[key] = value
            before = self.usage.get(key)
            if before is not None and value < before:
                self.report(
                    "DS011",
                    f"usage.{key} went down from {before} to {value}; expected running totals",
                    number,
                    offset,
                )
            self.usage[key] = value
        if len(counts) == 3 and not self.usage_sum_reported:
            total = counts["input_tokens"] + counts["output_tokens"]
            if counts["total_tokens"] != total:
                self.usage_sum_reported = True  # once: it is usually so on every frame
                self.report(
                    "DS012",
                    f"usage.total_tokens is {counts['total_tokens']}, input_tokens + "
                    f"output_tokens is {total}",
                    number,
                    offset,
                )

    def choice(
        self,
        index: int,
        reason: object,
        message: dict[str, Any],
        number: int,
        offset: int,
        *,
        text: object = None,
    ) -> None:
        state = self.choices.setdefault(index, _DashScopeChoice())
        if state.finished is not None:
            self.report(
                "DS008",
                f"a result frame for choice {index}, which finished with {state.finished!r} "
                f"(frame {state.finish_frame}); expected nothing more for it",
                number,
                offset,
            )
            return
        values: list[tuple[tuple[object, ...], object]] = [
            ((index, "text"), text),
            ((index, "reasoning_content"), message.get("reasoning_content")),
        ]
        content = message.get("content")
        if type(content) is list:
            # One value, the items' text joined in order, as the decoder diffs it.
            texts = [item.get("text") for item in content if type(item) is dict]
            values.append(((index, "content"), "".join(t for t in texts if type(t) is str)))
        else:
            values.append(((index, "content"), content))
        calls = message.get("tool_calls")
        if type(calls) is list:
            for k, call in enumerate(calls):
                values += self.tool_call(call, state, index, k, number, offset)
        for key, value in values:
            if type(value) is not str or not value:
                continue  # an empty value says nothing (as the decoder reads it)
            before = self.last.get(key)
            if before is not None and not value.startswith(before):
                self.held.append(
                    (
                        "cumulative",
                        _violation(
                            "DS007",
                            f"{self.channel(key)} of choice {index} is {_short(value, 40)}, "
                            f"which does not begin with the previous {_short(before, 40)}; "
                            "expected each snapshot to extend the last",
                            number,
                            offset,
                        ),
                    )
                )
            self.last[key] = value
        if reason == "null":
            return
        if type(reason) is str and reason:
            state.finished = reason
            state.finish_frame = number
        elif reason is _MISSING or reason is None or reason == "":
            said = "missing" if reason is _MISSING else json.dumps(reason)
            self.report(
                "DS009",
                f'finish_reason of choice {index} is {said}; expected the string "null" '
                "until the choice finishes",
                number,
                offset,
            )
        else:
            self.report(
                "DS006",
                f"finish_reason of choice {index} is {_short(reason)}; expected a string",
                number,
                offset,
            )

    @staticmethod
    def channel(key: tuple[object, ...]) -> str:
        names = {
            "text": "output.text",
            "reasoning_content": "reasoning_content",
            "content": "content",
            "id": "the id of tool call {}",
            "name": "the name of tool call {}",
            "arguments": "the arguments of tool call {}",
        }
        name = names[str(key[1])]
        if len(key) > 2:
            return name.format(key[2]) if "{}" in name else f"{name}[{key[2]}].text"
        return name

    def tool_call(  # noqa: PLR0917 - one call of one choice and where it is
        self,
        call: object,
        state: _DashScopeChoice,
        choice: int,
        position: int,
        number: int,
        offset: int,
    ) -> list[tuple[tuple[object, ...], object]]:
        if type(call) is not dict or type(call.get("index")) is not int:
            self.report(
                "DS006",
                f"tool_calls[{position}] of choice {choice} is {_short(call)}; expected an "
                "object with an integer index (calls merge by index)",
                number,
                offset,
            )
            return []
        index: int = call["index"]
        call_id = call.get("id")
        if index not in state.opened:
            state.opened.add(index)
            if not call_id:
                self.held.append(
                    (
                        "incremental",
                        _violation(
                            "DS013",
                            f'tool call {index} of choice {choice} continues ("id": '
                            f"{_short(call_id)}) but was never opened; expected its first "
                            "fragment, with its id, before",
                            number,
                            offset,
                        ),
                    )
                )
        function = call.get("function")
        if type(function) is not dict:
            function = {}
        return [
            ((choice, "id", index), call_id),
            ((choice, "name", index), function.get("name")),
            ((choice, "arguments", index), function.get("arguments")),
        ]

    def close(self, number: int, end: int, mode: str) -> None:
        self.found.extend(finding for needs, finding in self.held if needs == mode)
        self.held.clear()
        if self.error is not None:
            return
        unfinished = [i for i, c in self.choices.items() if c.finished is None]
        if self.choices and not unfinished:
            return
        said = (
            "no result with choices or text at all"
            if not self.choices
            else "choice " + ", ".join(map(str, unfinished)) + " never finished"
        )
        self.report(
            "DS015",
            f"the stream ended with {said} and no error frame; expected a frame whose "
            'finish_reason is not "null", or an event:error frame',
            number,
            end,
        )


# ---------------------------------------------------------------- the run


class _Checker:
    """One checking run: sniff, frame, hand frames to the provider's rules."""

    def __init__(
        self,
        provider: Provider,
        mode: Literal["auto", "incremental", "cumulative"],
        max_line_size: int,
    ) -> None:
        self.found: list[Violation] = []
        self.provider: str | None = None if provider == "auto" else provider
        self.mode = mode
        self.max_line_size = max_line_size
        self.sniffing = provider == "auto"
        self.head = b""  # input held while the provider is sniffed
        self.sse = SSEDecoder(max_buffer_size=max(DEFAULT_MAX_BUFFER_SIZE, max_line_size + 2))
        self.failed = False
        self.rules: _OpenAIRules | _DashScopeRules | None = None
        self.mode_decoder: DashScopeDecoder | None = None
        self.pending = bytearray()  # input bytes not yet attributed to a frame
        self.at = 0  # byte offset of the next frame
        self.bom_done = False
        self.number = 0  # number of the next frame
        #: Per SSE block, its frames as (number, offset): one, or the pieces of a
        #: glued block.
        self.block_numbers: list[list[tuple[int, int]]] = []
        self.diagnostics_seen = 0
        self.eols: list[str] = []  # line endings met, in order
        self.cr_pending: tuple[int | None, int] | None = None  # a CR that may be half a CRLF
        self.previous_raw_cr = False
        if self.provider is not None:
            self.start()

    def start(self) -> None:
        if self.provider == "openai":
            self.rules = _OpenAIRules(self.found)
        elif self.provider == "dashscope":
            self.rules = _DashScopeRules(self.found)
            if self.mode == "auto":
                self.mode_decoder = DashScopeDecoder(
                    mode="auto", strict=False, wire=False, split_glued=True
                )
        else:
            self.found.append(
                _violation(
                    "SSE007",
                    f"cannot tell the format from the first {len(self.head)} bytes; expected "
                    "OpenAI 'data: ' lines or DashScope 'id:' / 'event:result' / "
                    "':HTTP_STATUS/' lines (pass provider=...)",
                    None,
                    0,
                )
            )

    def feed(self, chunk: bytes) -> None:
        if self.sniffing:
            self.head += chunk
            found = detect_provider(complete_blocks(self.head))
            if found is None and len(self.head) < _SNIFF_LIMIT:
                return
            self.sniffing = False
            self.provider = found or detect_provider(self.head) or "none"
            self.start()
            chunk, self.head = self.head, b""
        self.frame_bytes(chunk)

    def frame_bytes(self, chunk: bytes) -> None:
        if self.failed or not chunk:
            return
        if self.mode_decoder is not None:
            try:
                self.mode_decoder.feed(chunk)
            except DecodeError:
                self.mode_decoder = None
        self.pending += chunk
        try:
            frames = self.sse.feed(chunk)
        except DecodeError as error:
            self.fail(error)
            return
        self.take(frames, final=False)

    def fail(self, error: DecodeError) -> None:
        self.failed = True
        # The SSE layer fails only on a block past its bound (strict UTF-8 is off).
        self.found.append(_violation("SSE005", error.message, self.number, self.at))

    def take(self, frames: list[SSEFrame], *, final: bool) -> None:
        if frames and not self.bom_done:
            self.bom_done = True
            if self.sse.bom:
                del self.pending[:3]
                self.at = 3
        for k, frame in enumerate(frames):
            raw = frame.raw or ""
            last = final and k == len(frames) - 1
            size = len(self.pending) if last else _byte_size(raw, self.pending)
            offset = self.at
            if self.previous_raw_cr and raw.startswith("\n"):
                offset += 1  # the LF of a CRLF whose CR ended the previous frame
            number = self.number
            self.block_numbers.append([(number, offset)])
            self.lines(raw, number, offset)
            if not frame.complete:
                self.found.append(
                    _violation(
                        "SSE002",
                        "the stream ended inside a block (no blank line after it), which a "
                        "browser discards; expected a blank line after every event",
                        number,
                        offset,
                    )
                )
            if self.rules is None:
                self.number += 1
            else:
                count = self.rules.frame(frame, number, offset, self.pending, self.at)
                if count > 1 and isinstance(self.rules, _DashScopeRules):
                    self.block_numbers[-1] = self.rules.pieces
                self.number += count
            del self.pending[:size]
            self.at += size
            self.previous_raw_cr = raw.endswith("\r")
        self.diagnose(final=final)

    def diagnose(self, *, final: bool) -> None:
        """SSE diagnostics (invalid UTF-8, ignored lines) of frames already placed."""
        diagnostics = self.sse.diagnostics
        while self.diagnostics_seen < len(diagnostics):
            diagnostic = diagnostics[self.diagnostics_seen]
            if diagnostic.frame >= len(self.block_numbers) and not final:
                break  # its frame is not complete yet
            self.diagnostics_seen += 1
            if diagnostic.frame < len(self.block_numbers):
                pieces = self.block_numbers[diagnostic.frame]
                # The piece of a glued block the byte is in.
                number, offset = next(
                    (p for p in reversed(pieces) if p[1] <= diagnostic.offset), pieces[0]
                )
            else:
                number, offset = self.number, self.at
            if diagnostic.kind == "invalid_utf8":
                self.found.append(
                    _violation(
                        "SSE001", f"byte {diagnostic.offset}: {diagnostic.message}", number, offset
                    )
                )
            else:
                self.found.append(_violation("SSE006", diagnostic.message, number, offset))

    def lines(self, raw: str, number: int | None, offset: int) -> None:
        """Line endings and line lengths of one frame's text."""
        position = 0
        if self.cr_pending is not None:
            cr_frame, cr_offset = self.cr_pending
            self.cr_pending = None
            if raw.startswith("\n"):
                self.eol("\r\n", cr_frame, cr_offset)
                position = 1
            else:
                self.eol("\r", cr_frame, cr_offset)
        limit = self.max_line_size
        for match in _EOL.finditer(raw, position):
            line = raw[position : match.start()]
            if len(line) > limit // 4 and _line_bytes(line) > limit:
                self.found.append(
                    _violation(
                        "SSE004",
                        f"a line of {_line_bytes(line)} bytes, over max_line_size={limit}",
                        number,
                        offset,
                    )
                )
                limit = 1 << 62  # once per frame
            ending = match.group()
            if ending == "\r" and match.end() == len(raw):
                self.cr_pending = (number, offset)  # a CRLF split across frames?
            else:
                self.eol(ending, number, offset)
            position = match.end()
        line = raw[position:]
        if len(line) > limit // 4 and _line_bytes(line) > limit:
            self.found.append(
                _violation(
                    "SSE004",
                    f"a line of {_line_bytes(line)} bytes, over max_line_size={limit}",
                    number,
                    offset,
                )
            )

    def eol(self, ending: str, number: int | None, offset: int) -> None:
        if ending in self.eols:
            return
        self.eols.append(ending)
        if len(self.eols) == 2:
            first = self.eols[0]
            self.found.append(
                _violation(
                    "SSE003",
                    f"a {_EOL_NAMES[ending]} line ending in a stream that also uses "
                    f"{_EOL_NAMES[first]}; expected one kind throughout",
                    number,
                    offset,
                )
            )

    def close(self) -> list[Violation]:
        if self.sniffing:
            self.sniffing = False
            self.provider = detect_provider(self.head) or "none"
            self.start()
            head, self.head = self.head, b""
            self.frame_bytes(head)
        if not self.failed:
            try:
                frames = self.sse.close()
            except DecodeError as error:
                self.fail(error)
            else:
                self.take(frames, final=True)
                # Blank lines after the last frame belong to no frame.
                trailer = self.sse.trailer
                # (Its first LF may be that of a CRLF whose CR ended the last frame.)
                split = self.previous_raw_cr and trailer.startswith("\n")
                self.lines(trailer, None, self.at + split)
        if self.cr_pending is not None:
            self.eol("\r", *self.cr_pending)
        self.diagnose(final=True)
        end = self.at + len(self.pending)
        if self.failed:
            pass  # the stream was not read to its end: nothing to say about how it ends
        elif isinstance(self.rules, _OpenAIRules):
            self.rules.close(self.number, end)
        elif isinstance(self.rules, _DashScopeRules):
            self.rules.close(self.number, end, self.decided_mode())
        # Input order; findings about the stream as a whole come last.
        # (by offset, then frame, then rule: the order in which a frame's
        # findings are met depends on where the input was cut; this does not).
        return sorted(
            self.found,
            key=lambda v: (
                v.offset is None,
                v.offset or 0,
                v.frame is None,
                v.frame or 0,
                _RULE_ORDER[v.rule],
            ),
        )

    def decided_mode(self) -> str:
        if self.mode != "auto":
            return self.mode
        decoder = self.mode_decoder
        if decoder is None:
            return "incremental"
        with contextlib.suppress(DecodeError):
            decoder.close()  # an undecided stream is decided (incremental) here
        return decoder.mode or "incremental"


def check(
    source: Source,
    provider: Provider = "auto",
    *,
    mode: Literal["auto", "incremental", "cumulative"] = "auto",
    max_line_size: int = DEFAULT_MAX_LINE_SIZE,
) -> list[Violation]:
    """Every rule a recorded stream breaks, with where: a list of :class:`Violation`.

    It does not stop at the first finding, and it raises nothing for bad
    input: whatever the bytes, the answer is a list (an unreadable *path* still
    raises :class:`OSError`).

    >>> raw = (b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
    ...        b'"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},'
    ...        b'"finish_reason":""}]}\\n\\n')
    >>> for found in check(raw):
    ...     print(found.rule, found.severity, found.frame, found.offset)
    OAI004 error 0 0
    OAI017 error 1 163
    >>> check(raw.replace(b'""', b'"stop"') + b"data: [DONE]\\n\\n")
    []

    :param source: the bytes, a path, or an iterable of byte chunks.
    :param provider: ``"openai"``, ``"dashscope"``, or ``"auto"`` to tell
        from the first bytes (as :func:`adapters.decode` does).
    :param mode: a DashScope stream's output mode; ``"auto"`` asks
        ``adapters.dashscope.Decoder(mode="auto")``, which reads an undecided
        stream as incremental.
    :param max_line_size: the longest line, in bytes, before ``SSE004``.
    :returns: the findings in input order; those about the stream as a whole
        (it ended unfinished) last. See :data:`RULES` for every rule.
    """
    if provider not in {"auto", "openai", "dashscope"}:
        raise ValueError(f"provider must be 'auto', 'openai' or 'dashscope', not {provider!r}")
    if mode not in {"auto", "incremental", "cumulative"}:
        raise ValueError(f"mode must be 'auto', 'incremental' or 'cumulative', not {mode!r}")
    if max_line_size < 1:
        raise ValueError("max_line_size must be at least 1")
    checker = _Checker(provider, mode, max_line_size)
    for chunk in _chunks(source):
        checker.feed(bytes(chunk))
    return checker.close()

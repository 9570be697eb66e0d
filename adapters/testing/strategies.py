"""Hypothesis strategies: SSE frames and byte streams, chunkings, event streams.

Strategy: generate what the decoder must cope with, weighted towards what real
streams look like but reaching every rule of the WHATWG text. ``sse_frames()``
builds frames that can be encoded canonically; ``sse_bytes()`` builds whole
streams line by line, mixing line endings, comments, fields with and without a
space, fields with no colon, unknown and mis-cased field names, invalid
``retry`` values, ids with NUL, a BOM, and text in Chinese, emoji and other
characters outside the Basic Multilingual Plane; ``chunkings(data)`` cuts any
byte string into chunks at arbitrary places, inside multi-byte characters too.
``event_streams(provider=...)`` builds sequences of normalized events that
the provider's format can carry, so that decoding their encoding gives them
back; ``dashscope_streams(mode=...)`` renders DashScope ones as bytes.
"""

from __future__ import annotations

import itertools
from typing import Any, Literal

from hypothesis import strategies as st

from adapters.events import (
    ChoiceStart,
    Comment,
    End,
    ErrorEvent,
    Event,
    Finish,
    FunctionCallDelta,
    Logprobs,
    ReasoningDelta,
    RefusalDelta,
    StreamStart,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from adapters.sse import SSEFrame

__all__ = [
    "chunkings",
    "dashscope_streams",
    "event_streams",
    "field_text",
    "sse_bytes",
    "sse_frames",
]

# Characters that matter here: ASCII, the SSE syntax characters themselves, CJK
# (the common case for these providers), astral-plane emoji (surrogate pairs in
# UTF-16, four bytes in UTF-8), U+FEFF (a BOM when first), U+FFFD, NUL, and the
# line-break-like characters that must NOT end an SSE line (U+0085, U+2028, VT, FF).
_SPECIAL = ":\0 \t\ufeff\ufffd\x85\u2028\u2029\x0b\x0c"
_CJK = "通义千问的一是在不了有和人这中大为上个国我以要他"
_ASTRAL = "🙂😀🚀𝄞𠀀"


def field_text(*, allow_cr_lf: bool = False) -> st.SearchStrategy[str]:
    """Text for a field value or comment: no CR or LF unless asked for."""
    alphabet = st.one_of(
        st.sampled_from("abcXYZ019 {}\"',[]" + _SPECIAL + _CJK + _ASTRAL),
        st.characters(
            codec="utf-8",
            exclude_characters="" if allow_cr_lf else "\r\n",
        ),
    )
    return st.text(alphabet, max_size=24)


@st.composite
def sse_frames(draw: st.DrawFn, *, complete: bool | None = True) -> SSEFrame:
    """A frame that encodes canonically and decodes back to itself.

    ``complete=None`` also draws frames cut off at the end (use those only as
    the last frame of a stream).
    """
    event = draw(st.none() | field_text())
    id_ = draw(st.none() | field_text().map(lambda s: s.replace("\0", "")))
    retry = draw(st.none() | st.integers(min_value=0, max_value=10**12))
    comments = tuple(draw(st.lists(field_text(), max_size=3)))
    data = draw(st.none() | st.lists(field_text(), min_size=1, max_size=4).map("\n".join))
    if event is None and id_ is None and retry is None and not comments and data is None:
        data = draw(field_text())
    is_complete = draw(st.booleans()) if complete is None else complete
    return SSEFrame(event, data, id_, retry, comments, is_complete)


_NAMES = st.sampled_from(
    ["data", "data", "data", "event", "id", "retry", "Data", "DATA", "x", "", "event "]
)
_EOL = st.sampled_from(["\n", "\n", "\n", "\r\n", "\r"])


@st.composite
def _line(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["field", "field", "field", "bare", "comment", "retry"]))
    if kind == "comment":
        return ":" + draw(field_text())
    if kind == "bare":  # a line with no colon: the whole line is the field name
        return draw(st.sampled_from(["data", "event", "id", "retry", "unknown"]))
    name = draw(_NAMES)
    if kind == "retry":
        name = "retry"
        value = draw(
            st.sampled_from(["0", "1000", "007", " 5", "+5", "5a", "", "\u0663", "99999"])
            | st.integers(min_value=0, max_value=10**15).map(str)
        )
    else:
        value = draw(field_text())
    separator = draw(st.sampled_from([":", ": ", ":  ", ":\t"]))
    return name + separator + value


@st.composite
def _provider_block(draw: st.DrawFn) -> list[str]:
    """The lines of a block as the providers write them, sometimes slightly off."""
    data = "data:" + draw(st.sampled_from(["", " "])) + draw(field_text())
    if draw(st.booleans()):
        return [data]  # OpenAI: one data line
    lines = [
        "id:" + draw(st.sampled_from(["1", "2", "17", " 3", "", "4\0"])),
        "event:" + draw(st.sampled_from(["result", "error", " result", ""])),
        ":HTTP_STATUS/" + draw(st.sampled_from(["200", "400"])),
        data,
    ]
    # Now and then a line goes missing, is doubled, or a stray line joins.
    if draw(st.integers(0, 3)) == 0:
        del lines[draw(st.integers(0, 3))]
    if draw(st.integers(0, 3)) == 0:
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, draw(_line() | st.sampled_from(lines)))
    return lines


@st.composite
def sse_bytes(draw: st.DrawFn, *, line_endings: str = "any", invalid_utf8: bool = False) -> bytes:
    """A whole event stream as bytes.

    :param line_endings: ``"any"`` mixes LF, CRLF and CR; ``"lf"`` uses LF only
        (the decoder's fast path).
    :param invalid_utf8: also splice in bytes that are not UTF-8.
    """
    eol = st.just("\n") if line_endings == "lf" else _EOL
    parts: list[str] = []
    if draw(st.integers(0, 9)) == 0:
        parts.append("\ufeff")
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.integers(0, 2)) == 0:
            parts.extend(line + draw(eol) for line in draw(_provider_block()))
        else:
            lines = draw(st.lists(st.tuples(_line(), eol), max_size=4))
            parts.extend(line + end for line, end in lines)
        parts.append(draw(eol))  # the blank line that ends the block
        if draw(st.integers(0, 5)) == 0:
            parts.append(draw(eol))  # an extra blank line
    if draw(st.booleans()):
        # The stream may end inside a block, or inside a line.
        parts.append(draw(_line()))
        if draw(st.booleans()):
            parts.append(draw(eol))
    data = "".join(parts).encode("utf-8")
    if invalid_utf8 and data:
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xe4\xb8", b"\xed\xa0\x80", b"\x80"]))
        at = draw(st.integers(0, len(data)))
        data = data[:at] + bad + data[at:]
    return data


@st.composite
def chunkings(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """``data`` cut into chunks at arbitrary places (empty chunks included)."""
    if not data:
        return [b""]
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=12)))
    points = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


# ------------------------------------------------------------- event streams

_TEXT = st.text(
    st.one_of(
        st.sampled_from('ab "\\\n\t{}' + _CJK + _ASTRAL + "\u2028\x00"),
        st.characters(codec="utf-8"),
    ),
    max_size=12,
)
# Finish reasons: OpenAI's own, plus ones other vendors send (kept raw as "other").
_REASONS = st.sampled_from(
    ["stop", "length", "tool_calls", "content_filter", "function_call", "abort", "eos"]
)
_COUNT = st.none() | st.integers(min_value=0, max_value=2**40)


@st.composite
def _logprobs(draw: st.DrawFn) -> list[dict[str, Any]] | None:
    tokens = draw(st.lists(_TEXT, max_size=2))
    if not tokens and draw(st.booleans()):
        return None
    return [
        {
            "token": token,
            "logprob": draw(st.floats(max_value=0, allow_nan=False, allow_infinity=False)),
            "bytes": list(token.encode()),
            "top_logprobs": [],
        }
        for token in tokens
    ]


def _tool_call(
    draw: st.DrawFn, choice: int, open_calls: int, continuation: st.SearchStrategy[str]
) -> ToolCallDelta:
    """A new call's first fragment (id, maybe a name, arguments), or a
    continuation of an open one with arguments drawn from ``continuation``."""
    if open_calls == 0 or draw(st.booleans()):
        return ToolCallDelta(
            choice=choice,
            index=open_calls,
            id=draw(_TEXT.filter(bool)),
            name=draw(st.none() | _TEXT.filter(bool)),
            arguments=draw(_TEXT),
        )
    index = draw(st.integers(min_value=0, max_value=open_calls - 1))
    return ToolCallDelta(choice=choice, index=index, arguments=draw(continuation))


@st.composite
def _choice_events(draw: st.DrawFn, choice: int) -> list[Event]:
    """One choice's events in order: start, content fragments, finish (maybe)."""
    events: list[Event] = [ChoiceStart(choice=choice)]
    open_calls = 0
    function_open = False
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        kind = draw(
            st.sampled_from(
                ["text", "reasoning", "refusal", "tool", "tool", "function", "logprobs"]
            )
        )
        if kind == "text":
            events.append(TextDelta(choice=choice, text=draw(_TEXT.filter(bool))))
        elif kind == "reasoning":
            events.append(ReasoningDelta(choice=choice, text=draw(_TEXT.filter(bool))))
        elif kind == "refusal":
            events.append(RefusalDelta(choice=choice, text=draw(_TEXT.filter(bool))))
        elif kind == "tool":
            call = _tool_call(draw, choice, open_calls, _TEXT)
            events.append(call)
            open_calls = max(open_calls, call.index + 1)
        elif kind == "function":
            name = None if function_open else draw(_TEXT.filter(bool))
            function_open = True
            events.append(FunctionCallDelta(choice=choice, name=name, arguments=draw(_TEXT)))
        else:
            events.append(
                Logprobs(choice=choice, content=draw(_logprobs()), refusal=draw(_logprobs()))
            )
    if draw(st.integers(min_value=0, max_value=9)):  # mostly finished
        events.append(Finish(choice=choice, raw_reason=draw(_REASONS)))
    return events


@st.composite
def _dashscope_choice(draw: st.DrawFn, choice: int, text_format: bool) -> list[Event]:
    """One choice's events as DashScope carries them, in either mode."""
    events: list[Event] = [] if text_format else [ChoiceStart(choice=choice)]
    kinds = ["text"] if text_format else ["text", "reasoning", "tool", "tool", "logprobs"]
    open_calls = 0
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        kind = draw(st.sampled_from(kinds))
        if kind == "text":
            events.append(TextDelta(choice=choice, text=draw(_TEXT.filter(bool))))
        elif kind == "reasoning":
            events.append(ReasoningDelta(choice=choice, text=draw(_TEXT.filter(bool))))
        elif kind == "tool":
            # A continuation says something to DashScope only with arguments.
            call = _tool_call(draw, choice, open_calls, _TEXT.filter(bool))
            events.append(call)
            open_calls = max(open_calls, call.index + 1)
        else:
            content = draw(_logprobs().filter(bool))
            events.append(Logprobs(choice=choice, content=content))
    if draw(st.integers(min_value=0, max_value=9)):  # mostly finished
        reason = draw(st.sampled_from(["stop", "length", "tool_calls", "abort"]))
        events.append(Finish(choice=choice, raw_reason=reason))
    return events


def _dashscope_events(draw: st.DrawFn, result_format: Literal["message", "text"]) -> list[Event]:
    text_format = result_format == "text"
    events: list[Event] = [Comment(text=text) for text in draw(st.lists(field_text(), max_size=1))]
    request_id = draw(st.none() | _TEXT)
    events.append(StreamStart(request_id=request_id))
    count = 1 if text_format else draw(st.integers(1, 3))
    queues = [draw(_dashscope_choice(choice, text_format)) for choice in range(count)]
    if not any(queues):
        queues[0].append(TextDelta(text="x"))  # at least one result frame
    while any(queues):
        queue = draw(st.sampled_from([q for q in queues if q]))
        events.append(queue.pop(0))
    finished = {e.choice for e in events if isinstance(e, Finish)}
    # Usage goes into the frame that finishes the last choice (where DashScope
    # has the final totals); a stream cut short carries the totals so far only
    # in the frames the writer has not written yet, so it gets none here.
    if len(finished) == count and isinstance(events[-1], Finish) and draw(st.booleans()):
        events.append(
            Usage(
                input_tokens=draw(_COUNT),
                output_tokens=draw(_COUNT),
                total_tokens=draw(_COUNT),
                cached_tokens=draw(_COUNT),
                reasoning_tokens=draw(_COUNT),
            )
        )
    if len(finished) < count or draw(st.integers(min_value=0, max_value=4)) == 0:
        events.append(
            ErrorEvent(
                status=draw(st.none() | st.integers(min_value=100, max_value=599)),
                code=draw(st.none() | _TEXT | st.integers(min_value=0, max_value=999)),
                message=draw(st.none() | _TEXT),
                request_id=draw(st.none() | st.just(request_id) | _TEXT),
            )
        )
    else:
        events.append(End())
    return events


@st.composite
def event_streams(
    draw: st.DrawFn,
    provider: Literal["openai", "dashscope"] = "openai",
    *,
    result_format: Literal["message", "text"] = "message",
) -> list[Event]:
    """A sequence of normalized events the provider's format can carry.

    For ``"openai"``: comments (keep-alives), a stream start, one to three
    choices whose events interleave (text, reasoning, refusal, parallel tool
    calls with argument fragments split anywhere, legacy function calls,
    logprobs, a finish), usage, and either ``[DONE]`` or a mid-stream error.

    For ``"dashscope"`` (either mode): a stream start with a request id, one
    to three choices (one with ``result_format="text"``, text only), each with
    its role, reasoning, text, parallel tool calls and logprobs, a finish; the
    final usage; then the end, or an error frame (with its HTTP status) for a
    stream that stops short. Nothing DashScope cannot carry: no refusals, no
    model name, no empty tool-call continuation.

    Texts mix ASCII, JSON syntax, Chinese, emoji and astral characters.
    """
    if provider == "dashscope":
        return _dashscope_events(draw, result_format)
    if provider != "openai":
        raise ValueError(f"provider must be 'openai' or 'dashscope', not {provider!r}")
    events: list[Event] = [Comment(text=text) for text in draw(st.lists(field_text(), max_size=2))]
    events.append(
        StreamStart(
            id=draw(st.none() | _TEXT),
            model=draw(st.none() | _TEXT),
            created=draw(st.none() | st.integers(min_value=0, max_value=2**40)),
        )
    )
    queues = [draw(_choice_events(choice)) for choice in range(draw(st.integers(1, 3)))]
    # Interleave the choices, each keeping its own order.
    while any(queues):
        queue = draw(st.sampled_from([q for q in queues if q]))
        events.append(queue.pop(0))
    if draw(st.booleans()):
        events.append(
            Usage(
                input_tokens=draw(_COUNT),
                output_tokens=draw(_COUNT),
                total_tokens=draw(_COUNT),
                cached_tokens=draw(_COUNT),
                reasoning_tokens=draw(_COUNT),
            )
        )
    unfinished = any(
        not isinstance(q[-1], Finish)
        for q in [[e for e in events if e.choice == c] for c in range(3)]
        if q
    )
    if unfinished or draw(st.integers(min_value=0, max_value=4)) == 0:
        events.append(
            ErrorEvent(
                message=draw(st.none() | _TEXT),
                code=draw(st.none() | _TEXT | st.integers(min_value=0, max_value=999)),
                error_type=draw(st.none() | _TEXT),
                param=draw(st.none() | _TEXT),
                status=draw(st.none() | st.integers(min_value=100, max_value=599)),
            )
        )
        if draw(st.booleans()):
            events.append(End())
    else:
        events.append(End())
    return events


@st.composite
def dashscope_streams(
    draw: st.DrawFn,
    mode: Literal["incremental", "cumulative"] = "incremental",
    *,
    result_format: Literal["message", "text"] = "message",
) -> bytes:
    """A valid DashScope native stream, as bytes, in the given mode."""
    from adapters.dashscope import Encoder  # noqa: PLC0415 - keeps this module light

    events = draw(event_streams("dashscope", result_format=result_format))
    content = draw(st.sampled_from(["string", "list"]))
    encoder = Encoder(mode=mode, result_format=result_format, content=content)  # type: ignore[arg-type]
    return encoder.encode_all(events)

"""Hypothesis strategies for testing code that reads or writes these streams.

Strategy: generate what a stream consumer must cope with, weighted towards
what real streams look like but reaching every rule of the specifications.
Four families, each built on the one before:

* SSE framing. ``sse_frames()`` builds frames that can be encoded
  canonically; ``sse_bytes()`` builds whole streams line by line, mixing line
  endings, comments, fields with and without a space, fields with no colon,
  unknown and mis-cased field names, invalid ``retry`` values, ids with NUL, a
  BOM, and text in Chinese, emoji and other characters outside the Basic
  Multilingual Plane; ``chunkings(data)`` cuts any byte string into chunks at
  arbitrary places, inside multi-byte characters too.
* Normalized events. ``event_streams(provider=...)`` builds sequences of
  events that the provider's format can carry, so that decoding their encoding
  gives them back (DESIGN.md, "Round-trip, defined").
* Valid wire bytes. ``openai_streams()`` and ``dashscope_streams(mode=...)``
  render event streams with the library's own encoders, so every stream they
  draw decodes, re-encodes to the same bytes, and passes ``adapters.check``
  with no error (with ``clean=True``, with no finding at all).
* Invalid wire bytes. ``invalid_openai_streams()``,
  ``invalid_dashscope_streams()`` and ``invalid_sse_streams()`` take a clean
  stream and break it in one specific way; each draws an :class:`Invalid`
  tagged with the id of the checker rule (``adapters.check``) that the break
  violates, so a negative test knows what it expects.

Breaking a stream works on its frames (``adapters.sse.decode_frames``): a frame
left alone is written back byte for byte, a changed or new one is written in
the provider's layout, and DashScope ids are counted again after frames were
inserted or removed (except where the ids are the break).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal, TypeAlias

from hypothesis import strategies as st

from adapters.dashscope import Encoder as DashScopeEncoder
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
from adapters.openai import Encoder as OpenAIEncoder
from adapters.sse import SSEFrame, decode_frames, encode_frame

__all__ = [
    "INVALID_RULES",
    "Invalid",
    "chunkings",
    "dashscope_streams",
    "event_streams",
    "field_text",
    "invalid_dashscope_streams",
    "invalid_openai_streams",
    "invalid_sse_streams",
    "openai_streams",
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


def sse_bytes(*, line_endings: str = "any", invalid_utf8: bool = False) -> st.SearchStrategy[bytes]:
    """A whole event stream as bytes.

    :param line_endings: ``"any"`` mixes LF, CRLF and CR; ``"lf"`` uses LF only
        (the decoder's fast path).
    :param invalid_utf8: also splice in bytes that are not UTF-8.
    """
    if line_endings not in {"any", "lf"}:
        raise ValueError(f"line_endings must be 'any' or 'lf', not {line_endings!r}")
    return _sse_bytes(line_endings=line_endings, invalid_utf8=invalid_utf8)


@st.composite
def _sse_bytes(draw: st.DrawFn, *, line_endings: str, invalid_utf8: bool) -> bytes:
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
# Names and ids as providers make them, now and then any text at all.
_WORD = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz_0123456789"), min_size=1, max_size=10)
_CALL_ID = _WORD.map("call_".__add__) | _TEXT.filter(bool)
_NAME = st.sampled_from(["get_weather", "search", "查询天气", "run_code"]) | _TEXT.filter(bool)
# Finish reasons: OpenAI's own, plus ones other vendors send (kept raw as "other").
_REASONS = st.sampled_from(
    ["stop", "length", "tool_calls", "content_filter", "function_call", "abort", "eos"]
)
_COUNT = st.none() | st.integers(min_value=0, max_value=2**40)

# JSON for tool-call arguments: objects whose keys and strings mix ASCII,
# Chinese, emoji and characters JSON must escape.
_KEY = st.text(st.sampled_from("abcxyz_" + _CJK[:6] + "🙂"), min_size=1, max_size=6)
_JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEY, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def _json_arguments(draw: st.DrawFn) -> str:
    value = draw(st.dictionaries(_KEY, _JSON_VALUE, max_size=4))
    return json.dumps(
        value,
        ensure_ascii=draw(st.booleans()),
        separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])),
    )


def _pieces(draw: st.DrawFn, text: str) -> list[str]:
    """``text`` cut at arbitrary code points (empty pieces included)."""
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=5)))
    return [text[a:b] for a, b in itertools.pairwise([0, *cuts, len(text)])]


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


def _parallel_calls(
    draw: st.DrawFn, choice: int, first: int, *, dashscope: bool, clean: bool
) -> list[ToolCallDelta]:
    """One to three parallel tool calls, from index ``first`` on, whose JSON
    arguments are cut anywhere and whose fragments interleave; each call opens
    (id, name, first piece) after the one before it opened, as OpenAI requires."""
    calls: list[list[ToolCallDelta]] = []
    for index in range(first, first + draw(st.integers(1, 3))):
        arguments = draw(_json_arguments()) if clean or draw(st.integers(0, 4)) else draw(_TEXT)
        head, *rest = _pieces(draw, arguments)
        if dashscope:
            # An empty continuation is no DashScope frame at all.
            rest = [piece for piece in rest if piece]
        name = draw(_NAME) if clean else draw(st.none() | _NAME)
        opening = ToolCallDelta(
            choice=choice, index=index, id=draw(_CALL_ID), name=name, arguments=head
        )
        calls.append(
            [opening, *(ToolCallDelta(choice=choice, index=index, arguments=p) for p in rest)]
        )
    out: list[ToolCallDelta] = []
    opened = 0
    while any(calls):
        ready = [k for k, queue in enumerate(calls) if queue and k <= opened]
        k = draw(st.sampled_from(ready))
        opened += k == opened
        out.append(calls[k].pop(0))
    return out


def _finish_now(draw: st.DrawFn, finish: bool | None) -> bool:
    return finish if finish is not None else draw(st.integers(min_value=0, max_value=9)) > 0


@st.composite
def _choice_events(
    draw: st.DrawFn,
    choice: int,
    *,
    dashscope: bool = False,
    text_format: bool = False,
    clean: bool = False,
    finish: bool | None = None,
) -> list[Event]:
    """One choice's events in order: its start (role), content, a finish (maybe).

    Content comes in one of two shapes: reasoning, then the answer (or an
    OpenAI refusal), then parallel tool calls, as reasoning models send it; or
    any mix of pieces in any order, which the formats can carry just as well.
    """
    if text_format:  # DashScope result_format "text": text and a finish only
        events: list[Event] = [
            TextDelta(choice=choice, text=draw(_TEXT.filter(bool)))
            for _ in range(draw(st.integers(0, 6)))
        ]
        if _finish_now(draw, finish):
            reason = draw(
                st.sampled_from(["stop", "length"] if clean else ["stop", "length", "abort"])
            )
            events.append(Finish(choice=choice, raw_reason=reason))
        return events
    events = [ChoiceStart(choice=choice)]
    called = False
    if draw(st.booleans()):
        for _ in range(draw(st.integers(0, 3))):
            events.append(ReasoningDelta(choice=choice, text=draw(_TEXT.filter(bool))))
        refuses = not dashscope and draw(st.integers(0, 5)) == 0
        answer = RefusalDelta if refuses else TextDelta
        for _ in range(draw(st.integers(0, 3))):
            events.append(answer(choice=choice, text=draw(_TEXT.filter(bool))))
        if draw(st.booleans()):
            called = True
            events += _parallel_calls(draw, choice, 0, dashscope=dashscope, clean=clean)
    else:
        kinds = ["text", "reasoning", "logprobs"]
        if not dashscope:
            kinds += ["refusal", "function"]
        if not clean:  # single fragments with any text as arguments
            kinds += ["tool", "tool"]
        open_calls = 0
        function_open = False
        for _ in range(draw(st.integers(min_value=0, max_value=6))):
            kind = draw(st.sampled_from(kinds))
            if kind == "text":
                events.append(TextDelta(choice=choice, text=draw(_TEXT.filter(bool))))
            elif kind == "reasoning":
                events.append(ReasoningDelta(choice=choice, text=draw(_TEXT.filter(bool))))
            elif kind == "refusal":
                events.append(RefusalDelta(choice=choice, text=draw(_TEXT.filter(bool))))
            elif kind == "tool":
                # A continuation says something to DashScope only with arguments.
                call = _tool_call(
                    draw, choice, open_calls, _TEXT.filter(bool) if dashscope else _TEXT
                )
                events.append(call)
                open_calls = max(open_calls, call.index + 1)
            elif kind == "function":
                name = None if function_open else draw(_TEXT.filter(bool))
                function_open = True
                events.append(FunctionCallDelta(choice=choice, name=name, arguments=draw(_TEXT)))
            elif dashscope:
                content = draw(_logprobs().filter(bool))
                events.append(Logprobs(choice=choice, content=content))
            else:
                events.append(
                    Logprobs(choice=choice, content=draw(_logprobs()), refusal=draw(_logprobs()))
                )
        if draw(st.integers(0, 3)) == 0:
            called = True
            events += _parallel_calls(draw, choice, open_calls, dashscope=dashscope, clean=clean)
    if _finish_now(draw, finish):
        if clean:
            reason = "tool_calls" if called else draw(st.sampled_from(["stop", "length"]))
        elif dashscope:
            reason = draw(st.sampled_from(["stop", "length", "tool_calls", "abort"]))
        else:
            reason = draw(_REASONS)
        events.append(Finish(choice=choice, raw_reason=reason))
    return events


def _interleave(draw: st.DrawFn, queues: list[list[Event]]) -> list[Event]:
    """The choices' events interleaved, each choice keeping its own order."""
    events: list[Event] = []
    while any(queues):
        queue = draw(st.sampled_from([q for q in queues if q]))
        events.append(queue.pop(0))
    return events


def _usage(draw: st.DrawFn, *, clean: bool) -> Usage:
    if not clean:
        return Usage(
            input_tokens=draw(_COUNT),
            output_tokens=draw(_COUNT),
            total_tokens=draw(_COUNT),
            cached_tokens=draw(_COUNT),
            reasoning_tokens=draw(_COUNT),
        )
    # As the providers count: the total is the sum; cached and reasoning
    # tokens are parts of the input and of the output.
    given = draw(st.integers(0, 2**31))
    made = draw(st.integers(0, 2**31))
    return Usage(
        input_tokens=given,
        output_tokens=made,
        total_tokens=given + made,
        cached_tokens=draw(st.none() | st.integers(0, given)),
        reasoning_tokens=draw(st.none() | st.integers(0, made)),
    )


def _openai_events(
    draw: st.DrawFn,
    *,
    n: int | None = None,
    clean: bool = False,
    usage: bool | None = None,
    complete: bool = False,
) -> list[Event]:
    events: list[Event] = [Comment(text=text) for text in draw(st.lists(field_text(), max_size=2))]
    events.append(
        StreamStart(
            id=draw(st.none() | _WORD.map("chatcmpl-".__add__) | _TEXT),
            model=draw(st.none() | st.sampled_from(["gpt-4o", "qwen-plus"]) | _TEXT),
            created=draw(st.none() | st.integers(min_value=0, max_value=2**40)),
        )
    )
    count = n if n is not None else draw(st.integers(1, 3))
    finish = True if complete else None
    queues = [draw(_choice_events(choice, clean=clean, finish=finish)) for choice in range(count)]
    events += _interleave(draw, queues)
    if draw(st.booleans()) if usage is None else usage:
        events.append(_usage(draw, clean=clean))
    finished = {e.choice for e in events if isinstance(e, Finish)}
    if not complete and (len(finished) < count or draw(st.integers(0, 4)) == 0):
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


def _dashscope_events(
    draw: st.DrawFn,
    result_format: Literal["message", "text"] = "message",
    *,
    n: int | None = None,
    clean: bool = False,
    complete: bool = False,
) -> list[Event]:
    text_format = result_format == "text"
    events: list[Event] = [Comment(text=text) for text in draw(st.lists(field_text(), max_size=1))]
    request_id = draw(st.uuids().map(str) if clean else st.none() | _TEXT)
    events.append(StreamStart(request_id=request_id))
    count = n if n is not None else 1 if text_format else draw(st.integers(1, 3))
    finish = True if complete else None
    queues = [
        draw(
            _choice_events(
                choice, dashscope=True, text_format=text_format, clean=clean, finish=finish
            )
        )
        for choice in range(count)
    ]
    if not any(queues):
        queues[0].append(TextDelta(text="x"))  # at least one result frame
    events += _interleave(draw, queues)
    finished = {e.choice for e in events if isinstance(e, Finish)}
    # Usage goes into the frame that finishes the last choice (where DashScope
    # has the final totals); a stream cut short carries the totals so far only
    # in the frames the writer has not written yet, so it gets none here.
    if len(finished) == count and isinstance(events[-1], Finish) and draw(st.booleans()):
        events.append(_usage(draw, clean=clean))
    if not complete and (len(finished) < count or draw(st.integers(0, 4)) == 0):
        # DashScope sends an error with its HTTP status (never 200: that is a
        # result's) and the stream's request id.
        status = st.integers(400, 599) if clean else st.none() | st.integers(100, 599)
        events.append(
            ErrorEvent(
                status=draw(status.filter(lambda s: s != 200)),
                code=draw(st.none() | _TEXT | st.integers(min_value=0, max_value=999)),
                message=draw(st.none() | _TEXT),
                request_id=draw(
                    st.just(request_id) if clean else st.none() | st.just(request_id) | _TEXT
                ),
            )
        )
    else:
        events.append(End())
    return events


def event_streams(
    provider: Literal["openai", "dashscope"] = "openai",
    *,
    result_format: Literal["message", "text"] = "message",
    n: int | None = None,
    clean: bool = False,
) -> st.SearchStrategy[list[Event]]:
    """A sequence of normalized events the provider's format can carry.

    ``adapters.decode(adapters.encode(events, provider=p), provider=p) == events``
    for every sequence drawn (for DashScope in either mode).

    For ``"openai"``: comments (keep-alives), a stream start, one to three
    choices whose events interleave -- reasoning then text, a refusal,
    parallel tool calls whose JSON arguments are cut anywhere, legacy function
    calls, logprobs, a finish -- then usage, and either ``[DONE]`` or a
    mid-stream error.

    For ``"dashscope"`` (either mode): a stream start with a request id, one
    to three choices (one with ``result_format="text"``, text only), each with
    its role, reasoning, text, parallel tool calls and logprobs, a finish; the
    final usage; then the end, or an error frame (with its HTTP status) for a
    stream that stops short. Nothing DashScope cannot carry: no refusals, no
    model name, no empty tool-call continuation.

    Texts mix ASCII, JSON syntax, Chinese, emoji and astral characters.

    :param n: the number of choices (the request's ``n``); by default one to
        three (one for ``result_format="text"``).
    :param clean: only what the provider itself sends, so that the encoded
        stream passes ``adapters.check`` with no finding, not even a warning:
        every tool call opens with an id and a name and its arguments are
        JSON, usage totals add up, a DashScope error carries its HTTP status
        and the stream's request id.
    """
    if n is not None and n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    if result_format not in {"message", "text"}:
        raise ValueError(f"result_format must be 'message' or 'text', not {result_format!r}")
    if provider == "dashscope":
        _check_result_format(result_format, n)
        return _events(lambda draw: _dashscope_events(draw, result_format, n=n, clean=clean))
    if provider != "openai":
        raise ValueError(f"provider must be 'openai' or 'dashscope', not {provider!r}")
    return _events(lambda draw: _openai_events(draw, n=n, clean=clean))


@st.composite
def _events(draw: st.DrawFn, build: Callable[[st.DrawFn], list[Event]]) -> list[Event]:
    return build(draw)


def _check_result_format(result_format: str, n: int | None) -> None:
    if result_format not in {"message", "text"}:
        raise ValueError(f"result_format must be 'message' or 'text', not {result_format!r}")
    if result_format == "text" and n not in {None, 1}:
        raise ValueError('result_format="text" carries one choice only')


# ------------------------------------------------------------- valid bytes


def openai_streams(
    *, n: int | None = None, include_usage: bool | None = None, clean: bool = False
) -> st.SearchStrategy[bytes]:
    """A valid OpenAI ``chat.completion.chunk`` stream, as bytes.

    The events of ``event_streams("openai")``, written by
    :class:`adapters.openai.Encoder`: ``data: `` lines, one chunk each, and
    ``data: [DONE]`` (or an in-band error).

    :param n: the number of choices; by default one to three.
    :param include_usage: ``True``: every stream ends with the usage chunk
        (``choices: []``) that ``stream_options.include_usage`` asks for;
        ``False``: no stream has usage; ``None``: either.
    :param clean: see :func:`event_streams`: no finding from ``adapters.check``
        at all, warnings included.
    """
    _check_n(n)
    encoder_usage = include_usage

    def build(draw: st.DrawFn) -> bytes:
        events = _openai_events(draw, n=n, clean=clean, usage=include_usage)
        return OpenAIEncoder(include_usage=encoder_usage).encode_all(events)

    return _bytes(build)


def dashscope_streams(
    mode: Literal["incremental", "cumulative"] = "incremental",
    *,
    result_format: Literal["message", "text"] = "message",
    content: Literal["string", "list"] | None = None,
    n: int | None = None,
    clean: bool = False,
) -> st.SearchStrategy[bytes]:
    """A valid DashScope native stream, as bytes, in the given mode.

    The events of ``event_streams("dashscope")``, written by
    :class:`adapters.dashscope.Encoder`: ``id:``, ``event:result``,
    ``:HTTP_STATUS/200`` and ``data:`` lines per frame; each frame carries the
    new piece (``mode="incremental"``, ``incremental_output=true``) or the
    whole value so far (``"cumulative"``).

    :param result_format: ``"message"`` (``output.choices``) or ``"text"``
        (``output.text``).
    :param content: a message's ``content`` as a string or as a list of
        ``{"text": ...}`` parts (multimodal models); by default either.
    :param n: the number of choices; by default one to three.
    :param clean: see :func:`event_streams`.
    """
    _check_mode(mode)
    _check_n(n)
    _check_result_format(result_format, n)
    if content not in {None, "string", "list"}:
        raise ValueError(f"content must be 'string' or 'list', not {content!r}")

    def build(draw: st.DrawFn) -> bytes:
        events = _dashscope_events(draw, result_format, n=n, clean=clean)
        shape = content or draw(st.sampled_from(["string", "list"]))
        encoder = DashScopeEncoder(mode=mode, result_format=result_format, content=shape)  # type: ignore[arg-type]
        return encoder.encode_all(events)

    return _bytes(build)


@st.composite
def _bytes(draw: st.DrawFn, build: Callable[[st.DrawFn], bytes]) -> bytes:
    return build(draw)


def _check_n(n: int | None) -> None:
    if n is not None and n < 1:
        raise ValueError(f"n must be at least 1, not {n}")


def _check_mode(mode: str | None) -> None:
    if mode not in {"incremental", "cumulative"}:
        raise ValueError(f"mode must be 'incremental' or 'cumulative', not {mode!r}")


# ------------------------------------------------------------- invalid bytes


@dataclass(frozen=True, slots=True)
class Invalid:
    """A stream broken in one specific way, tagged with the rule it breaks.

    ``adapters.check(invalid.data, provider=invalid.provider, mode=invalid.mode
    or "auto")`` reports :attr:`rule` (among whatever else the break causes).

    >>> Invalid(b"data: [DONE]\\n\\n" * 2, "OAI015", "openai")
    Invalid(data=b'data: [DONE]\\n\\ndata: [DONE]\\n\\n', rule='OAI015', ...)
    """

    #: The stream's bytes.
    data: bytes
    #: The id of the checker rule the break violates (see docs/check.md).
    rule: str
    #: Whose format the stream is in: ``"openai"`` or ``"dashscope"``.
    provider: Literal["openai", "dashscope"]
    #: A DashScope stream's output mode (``"incremental"`` or ``"cumulative"``);
    #: ``None`` for OpenAI.
    mode: Literal["incremental", "cumulative"] | None = None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


class _Stream:
    """A clean stream's frames, to break; frames left alone keep their bytes."""

    def __init__(self, raw: bytes, provider: str) -> None:
        self.frames: list[SSEFrame] = decode_frames(raw)
        self.provider = provider

    def payload(self, at: int) -> Any:
        data = self.frames[at].data
        assert data is not None
        return json.loads(data)

    def put(self, at: int, payload: Any) -> None:
        self.frames[at] = self.frames[at].replace(data=_dumps(payload))

    def insert(self, at: int, like: int, payload: Any) -> None:
        """A new frame at ``at``: frame ``like`` with another payload."""
        self.frames.insert(at, self.frames[like].replace(data=_dumps(payload)))

    def pieces(self, *, renumber: bool = True) -> list[bytes]:
        frames = self.frames
        if renumber and self.provider == "dashscope":
            frames = _renumbered(frames)
        return [encode_frame(frame, space=self.provider == "openai") for frame in frames]

    def render(self, *, renumber: bool = True) -> bytes:
        return b"".join(self.pieces(renumber=renumber))


def _renumbered(frames: list[SSEFrame]) -> list[SSEFrame]:
    """DashScope ids counted again from 1 (comment-only blocks have none)."""
    out: list[SSEFrame] = []
    number = 1
    for frame in frames:
        if frame.data is None and frame.id is None and frame.event is None:
            out.append(frame)
            continue
        out.append(frame if frame.id == str(number) else frame.replace(id=str(number)))
        number += 1
    return out


_Breaker: TypeAlias = Callable[[st.DrawFn, _Stream], bytes]

# ---- SSE framing, either provider


def _sse_invalid_utf8(draw: st.DrawFn, s: _Stream) -> bytes:
    pieces = s.pieces()
    # A character cut in half (a recorder that split bytes), or a stray byte
    # in a comment line.
    cut = [
        (k, at)
        for k, piece in enumerate(pieces)
        for at, byte in enumerate(piece)
        if byte >= 0xC2 and at + 1 < len(piece) and piece[at + 1] & 0xC0 == 0x80
    ]
    halve = bool(cut) and draw(st.booleans())
    if halve:
        k, at = draw(st.sampled_from(cut))
        pieces[k] = pieces[k][: at + 1] + pieces[k][at + 2 :]
    else:
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xe4\xb8", b"\xed\xa0\x80", b"\x80"]))
        pieces.insert(draw(st.integers(0, len(pieces))), b": " + bad + b"\n\n")
    return b"".join(pieces)


def _sse_no_final_blank_line(_draw: st.DrawFn, s: _Stream) -> bytes:
    return s.render()[:-1]


def _sse_mixed_line_endings(draw: st.DrawFn, s: _Stream) -> bytes:
    pieces = s.pieces()
    k = draw(st.integers(0, len(pieces) - 1))
    ending = draw(st.sampled_from([b"\r\n", b"\r"]))
    if len(pieces) > 1 and draw(st.booleans()):
        pieces[k] = pieces[k].replace(b"\n", ending)  # one frame in another style
    else:
        pieces[k] = pieces[k][:-1] + ending  # only the blank line that ends it
    return b"".join(pieces)


def _sse_ignored_line(draw: st.DrawFn, s: _Stream) -> bytes:
    pieces = s.pieces()
    k = draw(st.integers(0, len(pieces) - 1))
    line = draw(st.sampled_from([b"foo: bar", b"retry: 1s", b"Data: x", b"retry:-1", b"x-id:7"]))
    pieces[k] = pieces[k][:-1] + line + b"\n\n"
    return b"".join(pieces)


# ---- OpenAI


def _chunks(s: _Stream) -> list[int]:
    return [k for k, f in enumerate(s.frames) if f.data is not None and f.data != "[DONE]"]


def _entries(s: _Stream, at: int) -> list[dict[str, Any]]:
    choices: list[dict[str, Any]] = s.payload(at).get("choices") or []
    return choices


def _finishes(s: _Stream) -> list[tuple[int, dict[str, Any]]]:
    """(frame, choice entry) of every choice's finish."""
    return [
        (k, entry)
        for k in _chunks(s)
        for entry in _entries(s, k)
        if entry.get("finish_reason") is not None
    ]


def _roles(s: _Stream) -> list[int]:
    return [k for k in _chunks(s) if any("role" in (e.get("delta") or {}) for e in _entries(s, k))]


def _done(s: _Stream) -> int:
    return next(k for k, f in enumerate(s.frames) if f.data == "[DONE]")


def _chunk_like(s: _Stream, at: int, *choices: dict[str, Any]) -> dict[str, Any]:
    chunk: dict[str, Any] = s.payload(at)
    chunk.pop("usage", None)
    chunk["choices"] = list(choices)
    return chunk


def _entry(index: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}


def _oai_not_json(draw: st.DrawFn, s: _Stream) -> bytes:
    at = draw(st.sampled_from([k for k, f in enumerate(s.frames) if f.data is not None]))
    data = draw(st.sampled_from(["{", "[DONE] ", "DONE", '{"choices": [}', "data: {}", ""]))
    s.frames.insert(at, SSEFrame(data=data))
    return s.render()


def _oai_not_a_chunk(draw: st.DrawFn, s: _Stream) -> bytes:
    at = draw(st.sampled_from(_chunks(s)))
    chunk = s.payload(at)
    how = draw(st.sampled_from(["object", "no object", "choices", "choice", "index"]))
    if how == "object":
        chunk["object"] = draw(st.sampled_from(["chat.completion", "text_completion", ""]))
    elif how == "no object":
        del chunk["object"]
    elif how == "choices":
        chunk["choices"] = draw(st.sampled_from([{}, "x", None]))
    elif chunk["choices"]:
        chunk["choices"][0] = "x" if how == "choice" else {**chunk["choices"][0], "index": "0"}
    else:
        chunk["choices"] = [1]
    s.put(at, chunk)
    return s.render()


def _oai_repeated_role(draw: st.DrawFn, s: _Stream) -> bytes:
    at = draw(st.sampled_from(_roles(s)))
    s.frames.insert(at + 1, s.frames[at])
    return s.render()


def _oai_empty_finish_reason(draw: st.DrawFn, s: _Stream) -> bytes:
    at = draw(st.sampled_from(_roles(s)))
    chunk = s.payload(at)
    for entry in chunk["choices"]:
        entry["finish_reason"] = ""
    s.put(at, chunk)
    return s.render()


def _after_finish(draw: st.DrawFn, s: _Stream, make: Callable[[str], dict[str, Any]]) -> bytes:
    at, entry = draw(st.sampled_from(_finishes(s)))
    s.insert(
        at + 1, at, _chunk_like(s, at, make(entry["finish_reason"]) | {"index": entry["index"]})
    )
    return s.render()


def _oai_second_finish(draw: st.DrawFn, s: _Stream) -> bytes:
    return _after_finish(draw, s, lambda r: _entry(0, {}, "length" if r == "stop" else "stop"))


def _oai_same_finish(draw: st.DrawFn, s: _Stream) -> bytes:
    return _after_finish(draw, s, lambda r: _entry(0, {}, r))


def _oai_content_after_finish(draw: st.DrawFn, s: _Stream) -> bytes:
    key = draw(st.sampled_from(["content", "reasoning_content", "refusal"]))
    text = draw(_TEXT.filter(bool))
    return _after_finish(draw, s, lambda _: _entry(0, {key: text}))


def _oai_done_unfinished(draw: st.DrawFn, s: _Stream) -> bytes:
    at, entry = draw(st.sampled_from(_finishes(s)))
    chunk = s.payload(at)
    for other in chunk["choices"]:
        if other["index"] == entry["index"]:
            other["finish_reason"] = None
    s.put(at, chunk)
    return s.render()


def _before_finish(
    draw: st.DrawFn, s: _Stream, make: Callable[[int, str, str], list[list[dict[str, Any]]]]
) -> bytes:
    """New chunks of tool-call fragments just before a choice's finish.

    ``make(next_index, id, name)`` gives the ``tool_calls`` of each new chunk,
    ``next_index`` being the index the choice's next call would take.
    """
    at, entry = draw(st.sampled_from(_finishes(s)))
    choice = entry["index"]
    opened = {
        call["index"]
        for k in _chunks(s)[: _chunks(s).index(at)]
        for e in _entries(s, k)
        if e["index"] == choice
        for call in (e.get("delta") or {}).get("tool_calls") or []
    }
    calls = make(len(opened), draw(_CALL_ID), draw(_NAME))
    for offset, tool_calls in enumerate(calls):
        chunk = _chunk_like(s, at, _entry(choice, {"tool_calls": tool_calls}))
        s.insert(at + offset, at, chunk)
    return s.render()


def _call(index: int, call_id: str | None, name: str | None, arguments: str) -> dict[str, Any]:
    function: dict[str, Any] = {"arguments": arguments}
    if name is not None:
        function = {"name": name, **function}
    call: dict[str, Any] = {"index": index, "type": "function", "function": function}
    return call if call_id is None else {"index": index, "id": call_id, **call}


def _oai_tool_index_skipped(draw: st.DrawFn, s: _Stream) -> bytes:
    skip = draw(st.integers(1, 3))
    return _before_finish(draw, s, lambda k, i, n: [[_call(k + skip, i, n, "{}")]])


def _oai_tool_id_repeated(draw: st.DrawFn, s: _Stream) -> bytes:
    again = draw(st.sampled_from(["id", "name", "both"]))

    def make(k: int, call_id: str, name: str) -> list[list[dict[str, Any]]]:
        later = _call(k, call_id if again != "name" else None, name if again != "id" else None, "}")
        return [[_call(k, call_id, name, "{")], [later]]

    return _before_finish(draw, s, make)


def _oai_tool_unnamed(draw: st.DrawFn, s: _Stream) -> bytes:
    missing = draw(st.sampled_from(["id", "name", "both"]))
    return _before_finish(
        draw,
        s,
        lambda k, i, n: [
            [_call(k, None if missing != "name" else i, None if missing != "id" else n, "{}")]
        ],
    )


def _oai_tool_arguments_not_json(draw: st.DrawFn, s: _Stream) -> bytes:
    arguments = draw(st.sampled_from(["{", '{"a":', "not json", "{'a': 1}", ""]))
    return _before_finish(draw, s, lambda k, i, n: [[_call(k, i, n, arguments)]])


_USAGE: Final = {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}


def _oai_usage_on_choice_chunk(_draw: st.DrawFn, s: _Stream) -> bytes:
    # Usage on the last chunk with choices (as some vendors send it), instead
    # of a chunk of its own.
    own = [k for k in _chunks(s) if not _entries(s, k) and s.payload(k).get("usage")]
    usage = s.payload(own[0])["usage"] if own else _USAGE
    for k in reversed(own):
        del s.frames[k]
    last = [k for k in _chunks(s) if _entries(s, k)][-1]
    chunk = s.payload(last)
    chunk["usage"] = usage
    s.put(last, chunk)
    return s.render()


def _oai_choices_after_usage(draw: st.DrawFn, s: _Stream) -> bytes:
    first = _roles(s)[0]  # every choice finishes after its role chunk
    chunk = _chunk_like(s, first)
    chunk["usage"] = _USAGE
    s.insert(first + 1, first, chunk)
    return s.render()


def _oai_data_after_done(draw: st.DrawFn, s: _Stream) -> bytes:
    after = s.frames[draw(st.sampled_from([*_chunks(s), _done(s)]))]
    s.frames.append(after)
    return s.render()


def _oai_identity_changed(draw: st.DrawFn, s: _Stream) -> bytes:
    at = draw(st.sampled_from(_chunks(s)[1:]))
    chunk = s.payload(at)
    key = draw(st.sampled_from(["id", "model", "created"]))
    was = chunk.get(key)
    if key == "created":
        chunk[key] = (was or 0) + draw(st.integers(1, 60))
    else:
        chunk[key] = (was or "") + draw(st.sampled_from(["-2", "x", "-mini"]))
    s.put(at, chunk)
    return s.render()


def _oai_unfinished(_draw: st.DrawFn, s: _Stream) -> bytes:
    del s.frames[min(at for at, _ in _finishes(s)) :]
    return s.render()


def _oai_no_done(_draw: st.DrawFn, s: _Stream) -> bytes:
    del s.frames[_done(s)]
    return s.render()


# ---- DashScope


def _results(s: _Stream) -> list[int]:
    return [k for k, f in enumerate(s.frames) if f.event == "result" and f.data is not None]


def _protocol(s: _Stream) -> list[int]:
    return [k for k, f in enumerate(s.frames) if f.data is not None]


def _finishing(payload: dict[str, Any]) -> bool:
    output = payload["output"]
    if "choices" in output:
        return any(c.get("finish_reason") not in {"null", None} for c in output["choices"])
    return output.get("finish_reason") not in {"null", None}


def _first_finish(s: _Stream) -> int:
    return next(k for k in _results(s) if _finishing(s.payload(k)))


def _unfinished_copy(s: _Stream, at: int) -> dict[str, Any]:
    """The finishing frame ``at`` as a frame before it: only the choices it
    finishes, not finished yet, without usage. In either mode it says nothing
    the finishing frame does not say again."""
    payload: dict[str, Any] = s.payload(at)
    payload.pop("usage", None)
    output = payload["output"]
    if "choices" in output:
        output["choices"] = [
            c for c in output["choices"] if c.get("finish_reason") not in {"null", None}
        ]
        for choice in output["choices"]:
            choice["finish_reason"] = "null"
    else:
        output["finish_reason"] = "null"
    return payload


def _with_copy(s: _Stream) -> int:
    """Insert an unfinished copy before the first finishing frame; its position."""
    at = _first_finish(s)
    s.insert(at, at, _unfinished_copy(s, at))
    return at


def _ds_id_gap(draw: st.DrawFn, s: _Stream) -> bytes:
    s.frames = _renumbered(s.frames)
    at = draw(st.sampled_from(_protocol(s)))
    number = int(s.frames[at].id or 0)
    new = draw(st.sampled_from([str(number + 1), str(number + 2), "0", "", "a"]))
    s.frames[at] = s.frames[at].replace(id=new)
    return s.render(renumber=False)


def _ds_no_status(draw: st.DrawFn, s: _Stream) -> bytes:
    at = draw(st.sampled_from(_protocol(s)))
    s.frames[at] = s.frames[at].replace(comments=())
    return s.render()


def _ds_status_mismatch(draw: st.DrawFn, s: _Stream) -> bytes:
    at = draw(st.sampled_from(_results(s)))
    status = draw(st.sampled_from(["400", "500", "429", "OK"]))
    s.frames[at] = s.frames[at].replace(comments=("HTTP_STATUS/" + status,))
    return s.render()


def _ds_unknown_event(draw: st.DrawFn, s: _Stream) -> bytes:
    at = draw(st.sampled_from(_protocol(s)))
    event = draw(st.sampled_from(["message", "Result", "results", "", None]))
    s.frames[at] = s.frames[at].replace(event=event)
    return s.render()


def _ds_not_json(draw: st.DrawFn, s: _Stream) -> bytes:
    at = draw(st.sampled_from(_protocol(s)))
    data = draw(st.sampled_from(["{", "{bad", "[DONE]", '{"output":}', "data:{}"]))
    s.frames[at] = s.frames[at].replace(data=data)
    return s.render()


def _ds_not_a_payload(draw: st.DrawFn, s: _Stream) -> bytes:
    at = draw(st.sampled_from(_results(s)))
    payload = s.payload(at)
    how = draw(st.sampled_from(["null", "missing", "list", "array", "choice"]))
    if how == "null":
        payload["output"] = None
    elif how == "missing":
        del payload["output"]
    elif how == "list":
        payload["output"] = []
    elif how == "array":
        payload = [payload]
    elif "choices" in payload["output"]:
        payload["output"]["choices"] = ["x"]
    else:
        payload["output"]["finish_reason"] = 1
    s.put(at, payload)
    return s.render()


def _ds_rewritten(draw: st.DrawFn, s: _Stream) -> bytes:
    # Before the finishing frame, a snapshot that says more than it; then the
    # finishing frame says something else (cumulative mode only). Both values
    # are non-empty: an empty one says "nothing here", never a rewrite.
    at = _first_finish(s)
    before = _unfinished_copy(s, at)
    after = s.payload(at)
    more = draw(_TEXT.filter(bool))
    other = draw(_TEXT.filter(lambda text: bool(text) and not text.startswith(more)))
    for payload, tail in ((before, more), (after, other)):
        output = payload["output"]
        if "choices" in output:
            number = before["output"]["choices"][0].get("index", 0)
            choice = next(c for c in output["choices"] if c.get("index", 0) == number)
            choice["message"]["content"] = choice["message"].get("content", "") + tail
        else:
            output["text"] = output.get("text", "") + tail
    s.put(at, after)
    s.insert(at, at, before)
    return s.render()


def _ds_after_finish(_draw: st.DrawFn, s: _Stream) -> bytes:
    at = _first_finish(s)
    s.frames.insert(at + 1, s.frames[at])
    return s.render()


def _ds_finish_not_null(draw: st.DrawFn, s: _Stream) -> bytes:
    at = _with_copy(s)
    payload = s.payload(at)
    output = payload["output"]
    parts = output.get("choices", [output])
    how = draw(st.sampled_from(["null", "", "missing"]))
    for part in parts:
        if how == "missing":
            del part["finish_reason"]
        else:
            part["finish_reason"] = None if how == "null" else ""
    s.put(at, payload)
    return s.render()


def _ds_request_id_changed(draw: st.DrawFn, s: _Stream) -> bytes:
    at = _with_copy(s) + 1  # the finishing frame, never the first
    payload = s.payload(at)
    payload["request_id"] = str(payload.get("request_id")) + draw(st.sampled_from(["-2", "x"]))
    s.put(at, payload)
    return s.render()


def _ds_usage_decreased(draw: st.DrawFn, s: _Stream) -> bytes:
    at = _with_copy(s)
    given, made = draw(st.integers(0, 1000)), draw(st.integers(0, 1000))
    less = draw(st.integers(1, 1000))
    for k, output_tokens in ((at, made + less), (at + 1, made)):
        payload = s.payload(k)
        payload["usage"] = {
            "input_tokens": given,
            "output_tokens": output_tokens,
            "total_tokens": given + output_tokens,
        }
        s.put(k, payload)
    return s.render()


def _ds_usage_sum(draw: st.DrawFn, s: _Stream) -> bytes:
    at = _results(s)[-1]
    payload = s.payload(at)
    given, made = draw(st.integers(0, 1000)), draw(st.integers(0, 1000))
    total = draw(st.integers(0, 3000).filter(lambda t: t != given + made))
    payload["usage"] = {"input_tokens": given, "output_tokens": made, "total_tokens": total}
    s.put(at, payload)
    return s.render()


def _ds_continuation_unopened(draw: st.DrawFn, s: _Stream) -> bytes:
    # In an incremental stream, a fragment with "id": "" continues a call
    # opened before: here, of an index no frame opened.
    at = _with_copy(s)
    payload = s.payload(at)
    choice = payload["output"]["choices"][0]
    number = choice.get("index", 0)
    opened = [
        call.get("index", 0)
        for k in _results(s)
        for c in s.payload(k)["output"].get("choices", [])
        if c.get("index", 0) == number
        for call in c.get("message", {}).get("tool_calls") or []
    ]
    index = max(opened, default=-1) + draw(st.integers(1, 3))
    arguments = draw(_TEXT.filter(bool))
    choice["message"]["tool_calls"] = [_call(index, "", None, arguments)]
    s.put(at, payload)
    return s.render()


def _ds_after_error(draw: st.DrawFn, s: _Stream) -> bytes:
    request_id = s.payload(_protocol(s)[0]).get("request_id")
    body = {"request_id": request_id, "code": "InternalError", "message": "internal error"}
    error = SSEFrame(
        event="error", id="0", comments=("HTTP_STATUS/500",), data=_dumps(body), complete=True
    )
    s.frames.append(error)
    s.frames.append(draw(st.sampled_from([error, *(s.frames[k] for k in _results(s))])))
    return s.render()


def _ds_unfinished(_draw: st.DrawFn, s: _Stream) -> bytes:
    del s.frames[_first_finish(s) :]
    return s.render()


def _ds_glued(draw: st.DrawFn, s: _Stream) -> bytes:
    _with_copy(s)
    pieces = s.pieces()
    protocol = _protocol(s)
    k = draw(st.sampled_from([k for k in protocol if k + 1 in protocol]))
    pieces[k] = pieces[k][:-1]
    return b"".join(pieces)


_SSE_BREAKERS: Final[dict[str, _Breaker]] = {
    "SSE001": _sse_invalid_utf8,
    "SSE002": _sse_no_final_blank_line,
    "SSE003": _sse_mixed_line_endings,
    "SSE006": _sse_ignored_line,
}
_BREAKERS: Final[dict[str, dict[str, _Breaker]]] = {
    "openai": {
        **_SSE_BREAKERS,
        "OAI001": _oai_not_json,
        "OAI002": _oai_not_a_chunk,
        "OAI003": _oai_repeated_role,
        "OAI004": _oai_empty_finish_reason,
        "OAI005": _oai_second_finish,
        "OAI006": _oai_same_finish,
        "OAI007": _oai_content_after_finish,
        "OAI008": _oai_done_unfinished,
        "OAI009": _oai_tool_index_skipped,
        "OAI010": _oai_tool_id_repeated,
        "OAI011": _oai_tool_unnamed,
        "OAI012": _oai_tool_arguments_not_json,
        "OAI013": _oai_usage_on_choice_chunk,
        "OAI014": _oai_choices_after_usage,
        "OAI015": _oai_data_after_done,
        "OAI016": _oai_identity_changed,
        "OAI017": _oai_unfinished,
        "OAI018": _oai_no_done,
    },
    "dashscope": {
        **_SSE_BREAKERS,
        "DS001": _ds_id_gap,
        "DS002": _ds_no_status,
        "DS003": _ds_status_mismatch,
        "DS004": _ds_unknown_event,
        "DS005": _ds_not_json,
        "DS006": _ds_not_a_payload,
        "DS007": _ds_rewritten,
        "DS008": _ds_after_finish,
        "DS009": _ds_finish_not_null,
        "DS010": _ds_request_id_changed,
        "DS011": _ds_usage_decreased,
        "DS012": _ds_usage_sum,
        "DS013": _ds_continuation_unopened,
        "DS014": _ds_after_error,
        "DS015": _ds_unfinished,
        "DS016": _ds_glued,
    },
}
# Rules that only one DashScope mode can break: a snapshot that does not
# extend the last is a rewrite only in a cumulative stream, and a continuation
# of an unopened call is one only in an incremental stream.
_ONLY_MODE: Final = {"DS007": "cumulative", "DS013": "incremental"}

#: The checker rules each invalid strategy can break, by provider (SSE rules
#: under both). Not here: ``SSE004`` and ``SSE005`` (they need a line or block
#: of a megabyte and more) and ``SSE007`` (a stream of neither format).
INVALID_RULES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {provider: tuple(breakers) for provider, breakers in _BREAKERS.items()}
)

_Mode: TypeAlias = Literal["incremental", "cumulative"]


@st.composite
def _invalid(draw: st.DrawFn, provider: str, rules: tuple[str, ...], mode: _Mode | None) -> Invalid:
    rule = draw(st.sampled_from(rules))
    breaker = _BREAKERS[provider][rule]
    if provider == "openai":
        raw = OpenAIEncoder().encode_all(_openai_events(draw, clean=True, complete=True))
        return Invalid(breaker(draw, _Stream(raw, provider)), rule, "openai")
    only = _ONLY_MODE.get(rule)
    chosen: _Mode = draw(st.sampled_from(["incremental", "cumulative"])) if mode is None else mode
    if only is not None:
        chosen = "cumulative" if only == "cumulative" else "incremental"
    result_format = "message" if rule == "DS013" else draw(st.sampled_from(["message", "text"]))
    content = "string" if rule == "DS007" else draw(st.sampled_from(["string", "list"]))
    events = _dashscope_events(draw, result_format, clean=True, complete=True)  # type: ignore[arg-type]
    encoder = DashScopeEncoder(mode=chosen, result_format=result_format, content=content)  # type: ignore[arg-type]
    raw = encoder.encode_all(events)
    return Invalid(breaker(draw, _Stream(raw, provider)), rule, "dashscope", chosen)


def _rules(
    provider: str, rule: str | None, mode: str | None, *, sse: bool = False
) -> tuple[str, ...]:
    known = tuple(r for r in INVALID_RULES[provider] if r.startswith("SSE") or not sse)
    usable = tuple(r for r in known if mode is None or _ONLY_MODE.get(r, mode) == mode)
    if rule is None:
        return usable
    if rule not in known:
        raise ValueError(
            f"rule {rule!r} is not one these {provider} streams can break; they break "
            + ", ".join(known)
        )
    if rule not in usable:
        raise ValueError(f"rule {rule!r} can only be broken in mode={_ONLY_MODE[rule]!r}")
    return (rule,)


def invalid_openai_streams(*, rule: str | None = None) -> st.SearchStrategy[Invalid]:
    """An OpenAI stream broken in one way, as an :class:`Invalid` tagged with
    the rule it breaks.

    A clean stream (``openai_streams(clean=True)``, every choice finished,
    ``[DONE]``) is broken as the rule says: ``[DONE]`` dropped, a chunk that
    is not JSON, a role repeated, ``finish_reason: ""``, a tool call opened
    out of order or its id repeated, ``model`` changed mid-stream, data after
    ``[DONE]``, invalid UTF-8, mixed line endings...

    :param rule: break this rule only (one of ``INVALID_RULES["openai"]``);
        by default any of them.
    """
    return _invalid("openai", _rules("openai", rule, None), None)


def invalid_dashscope_streams(
    mode: _Mode | None = None, *, rule: str | None = None
) -> st.SearchStrategy[Invalid]:
    """A DashScope native stream broken in one way, as an :class:`Invalid`
    tagged with the rule it breaks.

    A clean stream (``dashscope_streams(clean=True)``, every choice finished)
    is broken as the rule says: an id skipped, a status that does not match
    the event, a cumulative snapshot that goes back, the request id changed,
    usage totals that go down, a continuation of a tool call never opened, a
    frame after the error frame, the stream cut short, frames glued together,
    invalid UTF-8, mixed line endings...

    :param mode: the stream's mode; by default either (``DS007`` is always
        cumulative, ``DS013`` always incremental).
    :param rule: break this rule only (one of ``INVALID_RULES["dashscope"]``);
        by default any of them.
    """
    if mode is not None:
        _check_mode(mode)
    return _invalid("dashscope", _rules("dashscope", rule, mode), mode)


def invalid_sse_streams(
    provider: Literal["openai", "dashscope"] | None = None, *, rule: str | None = None
) -> st.SearchStrategy[Invalid]:
    """A stream whose SSE framing is broken in one way (invalid UTF-8, no
    blank line at the end, mixed line endings, a line the standard ignores),
    as an :class:`Invalid` tagged with the ``SSE`` rule it breaks.

    :param provider: the format of the stream; by default either.
    :param rule: break this rule only (``"SSE001"``, ``"SSE002"``, ``"SSE003"``
        or ``"SSE006"``); by default any of them.
    """
    if provider not in {None, "openai", "dashscope"}:
        raise ValueError(f"provider must be 'openai' or 'dashscope', not {provider!r}")
    providers = ["openai", "dashscope"] if provider is None else [provider]
    return st.one_of([_invalid(p, _rules(p, rule, None, sse=True), None) for p in providers])

"""The laws of the DashScope codec and of the differ, over generated input."""

from __future__ import annotations

import contextlib
import itertools
from typing import Literal, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters import DecodeError, decode, encode
from adapters.dashscope import (
    Accumulator,
    Decoder,
    Differ,
    Encoder,
    NotExtending,
    accumulate,
    diff,
    extension,
)
from adapters.events import Event, Resync
from adapters.testing.strategies import chunkings, dashscope_streams, event_streams

Mode = Literal["incremental", "cumulative"]
MODES: list[Mode] = ["incremental", "cumulative"]

# Text with what breaks naive diffing: CJK, emoji, astral characters, combining
# marks, lone surrogates (legal in JSON escapes), and repeated phrases.
TEXT = st.text(
    st.one_of(
        st.sampled_from("我爱吃苹果🍎𠀀e\u0301 ab"),
        st.characters(),  # surrogates included
    ),
    max_size=8,
)


def decoded(
    data: bytes | list[bytes], mode: Literal["auto", Mode], **options: object
) -> list[Event]:
    decoder = Decoder(mode=mode, **options)  # type: ignore[arg-type]
    chunks = [data] if isinstance(data, bytes) else data
    events: list[Event] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    events += decoder.close()
    assert decoder.close() == []
    return events


# ------------------------------------------------------------------ the differ


@given(st.lists(TEXT, max_size=12))
def test_diff_of_accumulate_is_identity(deltas: list[str]) -> None:
    assert diff(accumulate(deltas)) == deltas


@given(st.lists(TEXT, max_size=12))
def test_accumulate_of_diff_is_identity(deltas: list[str]) -> None:
    snapshots = accumulate(deltas)  # every valid snapshot sequence is one of these
    assert accumulate(diff(snapshots)) == snapshots


@given(TEXT, TEXT, TEXT)
def test_a_snapshot_that_does_not_extend_is_refused(common: str, old: str, new: str) -> None:
    previous, snapshot = common + old, common + new
    differ = Differ()
    differ.step("k", previous)
    if snapshot.startswith(previous):
        assert differ.step("k", snapshot) == snapshot[len(previous) :]
        assert extension(previous, snapshot) == snapshot[len(previous) :]
        return
    with pytest.raises(NotExtending) as info:
        differ.step("k", snapshot)
    assert extension(previous, snapshot) is None
    at = info.value.at
    # The reported position is exactly where the two first differ.
    assert previous[:at] == snapshot[:at]
    assert at == min(len(previous), len(snapshot)) or previous[at] != snapshot[at]
    assert differ.values["k"] == previous  # the failed step changed nothing


@given(st.lists(st.tuples(st.sampled_from("abc"), TEXT), max_size=20))
def test_keys_are_independent(steps: list[tuple[str, str]]) -> None:
    acc, differ = Accumulator(), Differ()
    for key, delta in steps:
        assert differ.step(key, acc.add(key, delta)) == delta
    assert {k: acc.get(k) for k in "abc"} == {k: differ.values.get(k, "") for k in "abc"}


# ------------------------------------------------------------------ events


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("result_format", ["message", "text"])
@pytest.mark.parametrize("content", ["string", "list"])
@given(data=st.data())
def test_decode_of_encode_is_identity(
    mode: Mode, result_format: Literal["message", "text"], content: str, data: st.DataObject
) -> None:
    events = data.draw(event_streams("dashscope", result_format=result_format))
    raw = Encoder(mode=mode, result_format=result_format, content=content).encode_all(events)  # type: ignore[arg-type]
    assert decoded(raw, mode) == events
    assert decoded(raw, mode, wire=False) == events


@given(events=event_streams("dashscope"))
def test_modes_carry_the_same_events(events: list[Event]) -> None:
    """Incremental -> cumulative -> incremental is the identity, bytes and events."""
    incremental = encode(events, provider="dashscope", mode="incremental")
    cumulative = encode(events, provider="dashscope", mode="cumulative")
    from_cumulative = list(decode(cumulative, provider="dashscope", mode="cumulative", wire=False))
    assert from_cumulative == events
    assert encode(from_cumulative, provider="dashscope") == incremental
    # ... and through the wire-carrying path too
    again = list(decode(cumulative, provider="dashscope", mode="cumulative"))
    back = list(
        decode(encode(again, provider="dashscope"), provider="dashscope", mode="incremental")
    )
    assert back == events


@pytest.mark.parametrize("mode", MODES)
@given(data=st.data())
def test_encode_of_decode_is_identity(mode: Mode, data: st.DataObject) -> None:
    raw = data.draw(dashscope_streams(mode))
    events = decoded(raw, mode)
    assert Encoder(mode=mode).encode_all(events) == raw


@pytest.mark.parametrize("mode", MODES)
@given(data=st.data())
def test_chunking_does_not_matter(mode: Mode, data: st.DataObject) -> None:
    raw = data.draw(dashscope_streams(mode))
    chunks = data.draw(chunkings(raw))
    assert decoded(chunks, mode) == decoded(raw, mode)
    assert decoded(chunks, "auto") == decoded(raw, "auto")


@pytest.mark.parametrize("mode", MODES)
@given(data=st.data())
def test_auto_mode_is_right_or_says_it_could_not_tell(mode: Mode, data: st.DataObject) -> None:
    raw = data.draw(dashscope_streams(mode))
    decoder = Decoder()
    events = decoder.feed(raw) + decoder.close()
    if events != decoded(raw, mode):
        # Wrong only when the frames could not tell, and then it says so.
        assert (mode, decoder.mode) == ("cumulative", "incremental")
        assert "mode_undetermined" in {d.kind for d in decoder.diagnostics}
    else:
        assert decoder.mode in {mode, "incremental"}


@pytest.mark.parametrize("strict", [True, False])
@given(st.binary(max_size=300))
def test_any_bytes_give_events_or_a_decode_error(strict: bool, data: bytes) -> None:
    for mode in ("auto", "incremental", "cumulative"):
        if strict:
            with contextlib.suppress(DecodeError):  # and nothing else
                decoded(data, mode)
        else:  # lenient: whatever the bytes, events and diagnostics, never an exception
            decoder = Decoder(mode=mode, strict=False)
            events = decoder.feed(data) + decoder.close()
            assert all(isinstance(event, get_args(get_args(Event)[0])) for event in events)


@given(data=st.data())
def test_edited_snapshots_resync_instead_of_failing(data: st.DataObject) -> None:
    """A cumulative stream whose snapshot is rewritten: an error by default, and a
    Resync event carrying the new whole value with on_mismatch="resync"."""
    first = data.draw(TEXT.filter(bool))
    # (An empty value says "nothing here" in either mode, never a rewrite.)
    second = data.draw(TEXT.filter(lambda t: bool(t) and not t.startswith(first)))
    frames = [
        (f'{{"output":{{"text":{_json(first)},"finish_reason":"null"}}}}'),
        (f'{{"output":{{"text":{_json(second)},"finish_reason":"stop"}}}}'),
    ]
    raw = "".join(
        f"id:{n}\nevent:result\n:HTTP_STATUS/200\ndata:{frame}\n\n"
        for n, frame in enumerate(frames, 1)
    ).encode()
    with pytest.raises(DecodeError) as info:
        decoded(raw, "cumulative")
    assert info.value.kind == "not_cumulative"
    assert info.value.frame == 1
    events = decoded(raw, "cumulative", on_mismatch="resync")
    resyncs = [e for e in events if isinstance(e, Resync)]
    assert resyncs == [Resync(channel="text", text=second)]
    # The cumulative writer says it again; the incremental one refuses.
    assert (
        decoded(
            encode(events, provider="dashscope", mode="cumulative"),
            "cumulative",
            on_mismatch="resync",
        )
        == events
    )


def _json(text: str) -> str:
    import json

    return json.dumps(text)


class GeneralOnly(Decoder):
    """The decoder without its inline path for the common frame."""

    _fast = False


def _with_wire(events: list[Event]) -> list[tuple[Event, object]]:
    return [(event, event.wire) for event in events]


@pytest.mark.parametrize("mode", MODES)
@given(data=st.data())
def test_the_inline_path_agrees_with_the_general_reader(mode: Mode, data: st.DataObject) -> None:
    raw = data.draw(dashscope_streams(mode))
    chunks = data.draw(chunkings(raw))
    for strict in (True, False):
        fast, general = Decoder(mode=mode, strict=strict), GeneralOnly(mode=mode, strict=strict)
        outcome = []
        for decoder in (fast, general):
            try:
                events = [e for chunk in chunks for e in decoder.feed(chunk)] + decoder.close()
                outcome.append(_with_wire(events))
            except DecodeError as error:
                outcome.append([(error.kind, error.frame, error.offset)])  # type: ignore[list-item]
        assert outcome[0] == outcome[1]
        assert fast.diagnostics == general.diagnostics


_CALLS = [
    [{"index": 0, "id": "", "type": "function", "function": {"arguments": "{}"}}],
    [{"index": 0, "function": {"arguments": "x"}}],
    [{"function": {"arguments": "x"}}],
    [{"index": 0, "id": "c2", "function": {"arguments": "x"}}],
    [{"index": 3, "id": "", "function": {"arguments": "x"}}],
    [{"index": 0, "function": {"name": "g", "arguments": "x"}}],
    [{"index": 0, "function": {"name": "", "arguments": "x"}}],
    [{"index": 0, "function": {"arguments": ""}}],
    [{"index": 0, "function": {"arguments": 5}}],
    [{"index": 0, "id": 5, "function": {"arguments": "x"}}],
    [{"index": 0, "function": {"name": 5, "arguments": "x"}}],
    [{"index": 0, "function": "x"}],
    [{"index": True, "function": {"arguments": "x"}}],
    [1],
    [{"index": 0, "function": {"arguments": "x"}}, {"index": 0, "function": {"arguments": "y"}}],
]
_ODD: st.SearchStrategy[object] = st.sampled_from(_CALLS) | st.sampled_from(
    [
        None,
        "",
        "x",
        "吃",
        0,
        -1,
        True,
        1.5,
        [],
        [{"text": "a"}],
        [{"text": "a", "x": 1}],
        [{"text": 1}],
        [{"image": "u"}],
        [{"text": "a"}, {"text": "b"}],
        {},
        "null",
        "stop",
    ]
)


@st.composite
def _near_miss(draw: st.DrawFn) -> bytes:
    """A stream whose middle frame is the common frame with one thing changed."""
    import json

    message: dict[str, object] = draw(
        st.sampled_from(
            [
                {"content": "a", "role": "assistant"},
                {"content": "", "tool_calls": _CALLS[0], "role": "assistant"},
            ]
        )
    )
    message = dict(message)
    choice: dict[str, object] = {"message": message, "finish_reason": "null"}
    body: dict[str, object] = {
        "output": {"choices": [choice]},
        "usage": {"input_tokens": 1, "output_tokens": 2},
        "request_id": "r",
    }
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["message", "choice", "body"]))
        target = {"message": message, "choice": choice, "body": body}[where]
        key = draw(
            st.sampled_from(
                {
                    "message": ["content", "reasoning_content", "role", "tool_calls", "extra"],
                    "choice": ["finish_reason", "index", "logprobs", "message"],
                    "body": ["usage", "request_id", "output"],
                }[where]
            )
        )
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(_ODD)
    opened = [{"index": 0, "id": "c", "type": "function", "function": {"name": "f"}}]
    first = {
        "output": {
            "choices": [
                {
                    "message": {"content": "", "role": "assistant", "tool_calls": opened},
                    "finish_reason": "null",
                }
            ]
        },
        "request_id": "r",
    }
    last = {"output": {"choices": [{"message": {"content": ""}, "finish_reason": "stop"}]}}
    frames = [first, body, body, last]
    head = "event:result\n:HTTP_STATUS/200\ndata:"
    return b"".join(
        f"id:{n}\n{head}{json.dumps(f, ensure_ascii=False)}\n\n".encode()
        for n, f in enumerate(frames, 1)
    )


@pytest.mark.parametrize("mode", MODES)
@given(raw=_near_miss())
def test_the_inline_path_agrees_on_near_misses(mode: Mode, raw: bytes) -> None:
    for strict in (True, False):
        outcome = []
        for decoder in (Decoder(mode=mode, strict=strict), GeneralOnly(mode=mode, strict=strict)):
            try:
                # Frame by frame: after the first, the inline path reads the bytes.
                pieces = [piece + b"\n\n" for piece in raw.split(b"\n\n") if piece]
                events = [e for piece in pieces for e in decoder.feed(piece)]
                outcome.append(_with_wire(events + decoder.close()))
            except DecodeError as error:
                outcome.append([(error.kind, error.frame, error.offset)])  # type: ignore[list-item]
        assert outcome[0] == outcome[1]


@pytest.mark.parametrize("mode", MODES)
@given(data=st.data())
def test_an_error_names_the_exact_frame_and_byte_offset(mode: Mode, data: st.DataObject) -> None:
    """However many frames the inline path read before it, and however the input
    is cut, a bad frame is reported at its own number and byte offset."""
    from adapters.sse import decode_frames

    raw = data.draw(dashscope_streams(mode))
    frames = decode_frames(raw)
    bad = data.draw(st.integers(min_value=0, max_value=len(frames) - 1))
    offset = sum(len((f.raw or "").encode()) for f in frames[:bad])
    head = b"\xef\xbb\xbf" if data.draw(st.booleans()) else b""
    broken = head + raw[:offset] + b"id:x\nevent:result\ndata:{bad\n\n" + raw[offset:]
    chunks = data.draw(chunkings(broken))
    with pytest.raises(DecodeError) as info:
        decoded(chunks, mode)
    assert (info.value.kind, info.value.frame) == ("invalid_json", bad)
    assert info.value.offset == offset + len(head)


def _canonical_frame(n: int, data: bytes) -> bytes:
    return b"id:%d\nevent:result\n:HTTP_STATUS/200\ndata:" % n + data + b"\n\n"


_FIRST = (
    b'{"output":{"choices":[{"message":{"content":"a","role":"assistant"},'
    b'"finish_reason":"null"}]},"request_id":"r"}'
)


def _piece(message: bytes) -> bytes:
    return b'{"output":{"choices":[{"message":{' + message + b'},"finish_reason":"null"}]}}'


_LONG = "长".encode() * 3000
_MIDDLE = [
    _piece(b'"content":"' + _LONG + b'","role":"assistant"'),
    _piece(b'"content":"b","role":"assistant"'),
    _piece(b'"content":"\xff","role":"assistant"'),
    _piece(b'"content":"c",\r"role":"assistant"'),
    b" " + _piece(b'"content":"d","role":"assistant"'),
    _piece(
        b'"content":"e","tool_calls":[{"index":0,"id":"c",'
        b'"function":{"name":"f","arguments":"{}"}}],"role":"assistant"'
    ),
    b'{"output":{"choices":[{"message":{"content":"' + _LONG + b'",}]}}',
    b"{not json",
    _piece(b'"content":"g","role":"assistant"').replace(b"]}}", b']},\n"x":1}'),
]
_LAST = (
    b'{"output":{"choices":[{"message":{"content":"","role":"assistant"},"finish_reason":"stop"}]}}'
)


@given(
    middle=st.lists(st.sampled_from(range(len(_MIDDLE))), min_size=1, max_size=4),
    skip_id=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=1 << 20), max_size=12),
    limit=st.sampled_from([1 << 16, 12_000]),
)
def test_the_byte_path_agrees_with_the_framing_layer(
    middle: list[int], skip_id: bool, cuts: list[int], limit: int
) -> None:
    """Below the framing layer the inline path reads canonical frames itself;
    whatever the frames (long, invalid UTF-8, a CR, a leading space, tool calls,
    bad JSON, two lines), and however cut, it gives what the framing layer and
    the general reader give, errors and their offsets included."""
    frames = [_FIRST, *(_MIDDLE[k] for k in middle), _LAST]
    raw = b"".join(
        _canonical_frame(n + (1 if skip_id and n > 2 else 0), f) for n, f in enumerate(frames, 1)
    )
    points = [0, *sorted(c % (len(raw) + 1) for c in cuts), len(raw)]
    chunks = [raw[a:b] for a, b in itertools.pairwise(points)]
    for strict in (True, False):
        outcome = []
        for cls in (Decoder, GeneralOnly):
            decoder = cls(mode="incremental", strict=strict, max_buffer_size=limit)
            try:
                events = [e for chunk in chunks for e in decoder.feed(chunk)]
                events += decoder.close()
                events += decoder.close()
                outcome.append((_with_wire(events), decoder.diagnostics))
            except DecodeError as error:
                outcome.append(([(error.kind, error.frame, error.offset)], []))  # type: ignore[list-item]
        assert outcome[0] == outcome[1]

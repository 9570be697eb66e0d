"""The DashScope native codec on real recordings, hand-made edge cases, and bad input.

Recordings: decode -> encode gives the recording back byte for byte, or (for the
two whose recorder dropped the blank lines between frames) the same frames with
JSON-equal data; under any chunking; the normalized events are snapshotted
(tests/__snapshots__/test_dashscope_codec/, readable JSON).
"""

from __future__ import annotations

import itertools
import json
import random
import re
from pathlib import Path
from typing import Any, Literal

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

import adapters
from adapters import DecodeError, EncodeError
from adapters.cli import main
from adapters.dashscope import Decoder, Encoder
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
    RefusalDelta,
    Resync,
    StreamStart,
    TextDelta,
    ToolCallDelta,
    UnknownFrame,
    Usage,
)
from adapters.sse import decode_frames

FIXTURES = Path(__file__).parent.parent / "fixtures" / "dashscope"
RECORDINGS = sorted(FIXTURES.glob("*.sse"))
GLUED = {
    "cnblogs-message-incremental-qwen-max",
    "cnblogs-reasoning-incremental-qwen-plus-latest",
}


def _decode(data: bytes, chunks: list[bytes] | None = None, **options: Any) -> list[Event]:
    decoder = Decoder(**options)
    events: list[Event] = []
    for chunk in chunks if chunks is not None else [data]:
        events += decoder.feed(chunk)
    events += decoder.close()
    assert decoder.close() == []  # raises what the last call found, if anything
    return events


def _random_chunks(data: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, 60)))
    points = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


def _frame(
    body: dict[str, Any] | str, n: int = 1, event: str = "result", status: int = 200
) -> bytes:
    data = (
        body
        if isinstance(body, str)
        else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    )
    return f"id:{n}\nevent:{event}\n:HTTP_STATUS/{status}\ndata:{data}\n\n".encode()


def _message(content: Any = "", finish: str = "null", **message: Any) -> dict[str, Any]:
    return {
        "output": {
            "choices": [
                {
                    "message": {"content": content, **message, "role": "assistant"},
                    "finish_reason": finish,
                }
            ]
        },
        "usage": {"input_tokens": 1, "output_tokens": 1},
        "request_id": "r",
    }


def _json_frames(data: bytes) -> list[tuple[Any, ...]]:
    return [
        (f.id, f.event, f.comments, json.loads(f.data) if f.data else f.data)
        for f in decode_frames(data)
    ]


def _unglue(data: bytes) -> bytes:
    """A blank line before each id: line that follows another line."""
    return re.sub(rb"(?<=[^\n]\n)id:", b"\nid:", data)


# ------------------------------------------------------------------ recordings


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_recording_round_trips_under_any_chunking(path: Path) -> None:
    data = path.read_bytes()
    glued = path.stem in GLUED
    whole = _decode(data, split_glued=glued)
    again = adapters.encode(whole, provider="dashscope", mode=_mode_of(whole))
    if glued:
        # The blank lines the recorder dropped come back; every frame is the same.
        assert _json_frames(again) == _json_frames(_unglue(data))
        assert again == _unglue(data)
    else:
        assert again == data
    for seed in range(3):
        assert _decode(data, _random_chunks(data, seed), split_glued=glued) == whole
    assert list(adapters.decode(path, split_glued=glued)) == whole  # provider and mode: auto
    assert _decode(data, [data[i : i + 1] for i in range(len(data))], split_glued=glued) == whole


def _mode_of(events: list[Event]) -> Literal["incremental", "cumulative"]:
    for event in events:
        layout = (event.wire or {}).get("dashscope") or {}
        if layout.get("mode") == "cumulative":
            return "cumulative"
    return "incremental"


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_recording_events_snapshot(path: Path, snapshot: SnapshotAssertion) -> None:
    events = _decode(path.read_bytes(), wire=False, split_glued=path.stem in GLUED)
    assert [event.model_dump(mode="json") for event in events] == snapshot(
        extension_class=JSONSnapshotExtension
    )


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_recording_in_the_other_mode_says_the_same(path: Path) -> None:
    """Cumulative <-> incremental: the same content, both ways, with and without wire."""
    glued = path.stem in GLUED
    for wire in (True, False):
        events = _decode(path.read_bytes(), wire=wire, split_glued=glued)
        fmt = "text" if b'"output":{"finish_reason"' in path.read_bytes() else "message"
        for mode in ("incremental", "cumulative"):
            raw = Encoder(mode=mode, result_format=fmt).encode_all(events)  # type: ignore[arg-type]
            assert _decode(raw, mode=mode) == events
            auto = Decoder()
            told = auto.feed(raw) + auto.close()
            # auto mode is right, or it says it could not tell
            undetermined = "mode_undetermined" in {d.kind for d in auto.diagnostics}
            assert told == events or (mode == "cumulative" and undetermined)


def test_the_cumulative_recording_is_told_apart_by_auto_mode() -> None:
    data = (FIXTURES / "aliyun-docs-farui-plus-cumulative-message.sse").read_bytes()
    decoder = Decoder()
    events = decoder.feed(data) + decoder.close()
    assert decoder.mode == "cumulative"
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    last = json.loads(decode_frames(data)[-1].data or "")
    assert text == last["output"]["choices"][0]["message"]["content"]  # the last snapshot, once
    assert [type(e) for e in events] == [
        StreamStart,
        ChoiceStart,
        TextDelta,
        TextDelta,
        TextDelta,
        Finish,
        Usage,
        End,
    ]
    # Read as incremental, the same bytes would repeat the answer four times over.
    wrong = "".join(e.text for e in _decode(data, mode="incremental") if isinstance(e, TextDelta))
    assert len(wrong) > 2 * len(text)


def test_recordings_in_incremental_mode_are_told_at_the_second_frame() -> None:
    data = (FIXTURES / "cnblogs-text-incremental-qwen-max.sse").read_bytes()
    frames = data.split(b"\n\n")
    decoder = Decoder()
    first = decoder.feed(frames[0] + b"\n\n")
    assert (first, decoder.mode) == ([], None)  # held until the frames tell
    second = decoder.feed(frames[1] + b"\n\n")
    assert decoder.mode == "incremental"
    assert [type(e) for e in second] == [StreamStart, TextDelta, TextDelta]


# ------------------------------------------------------------------ reading


def test_glued_frames_fail_by_default_and_split_when_asked() -> None:
    data = (FIXTURES / "cnblogs-message-incremental-qwen-max.sse").read_bytes()
    with pytest.raises(DecodeError) as info:
        _decode(data)
    assert info.value.kind == "invalid_json"
    decoder = Decoder(split_glued=True)
    events = decoder.feed(data) + decoder.close()
    assert events[-1] == End()
    assert {d.kind for d in decoder.diagnostics} == {"glued_frames", "unterminated_frame"}
    assert sum(d.kind == "glued_frames" for d in decoder.diagnostics) == 9


def test_error_stream_and_its_status() -> None:
    data = (FIXTURES / "cnblogs-error-invalid-parameter.sse").read_bytes()
    events = _decode(data)
    assert events == [
        ErrorEvent(
            status=400,
            code="InvalidParameter",
            message="Role must be user or assistant and Content length must be greater than 0",
            request_id="7671ecd8-93cc-9ee9-bc89-739f0fd8b809",
        )
    ]


def test_error_after_results_ends_the_stream_with_the_usage_so_far() -> None:
    data = _frame(_message("Hi")) + _frame(
        {"code": "DataInspectionFailed", "message": "bad output", "request_id": "r"},
        n=2,
        event="error",
        status=400,
    )
    events = _decode(data)
    assert [type(e) for e in events] == [StreamStart, ChoiceStart, TextDelta, Usage, ErrorEvent]
    assert events[-1] == ErrorEvent(
        status=400, code="DataInspectionFailed", message="bad output", request_id="r"
    )
    assert adapters.encode(events, provider="dashscope") == data


def test_text_format_and_string_null_finish_reason() -> None:
    data = _frame({"output": {"finish_reason": "null", "text": "1+"}, "request_id": "r"}) + _frame(
        {"output": {"finish_reason": "stop", "text": "1=2"}, "request_id": "r"}, n=2
    )
    assert _decode(data, mode="incremental") == [
        StreamStart(request_id="r"),
        TextDelta(text="1+"),
        TextDelta(text="1=2"),
        Finish(),
        End(),
    ]


def test_list_content_parts_and_other_items() -> None:
    frame = _message([{"text": "看"}, {"image_hw": [1, 2]}, {"text": "图"}], finish="stop")
    # Incremental: each item's piece, in order. Cumulative: the items' text in
    # order is one snapshot (so an item growing before a later one reads right).
    pieces = _decode(_frame(frame), mode="incremental")
    assert [e for e in pieces if isinstance(e, TextDelta)] == [
        TextDelta(text="看"),
        TextDelta(text="图"),
    ]
    events = _decode(_frame(frame), mode="cumulative")
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta(text="看图")]
    assert adapters.encode(pieces, provider="dashscope", mode="incremental") == _frame(frame)
    assert adapters.encode(events, provider="dashscope", mode="cumulative") == _frame(frame)


def test_tool_call_fragments_merge_by_index_and_empty_ids_are_continuations() -> None:
    data = (FIXTURES / "cnblogs-mm-reasoning-parallel-toolcalls-qwen3-6-plus.sse").read_bytes()
    calls: dict[int, list[str]] = {}
    for event in _decode(data):
        if isinstance(event, ToolCallDelta):
            if event.id is not None:
                calls[event.index] = [event.id, event.name or "", ""]
            calls[event.index][2] += event.arguments
    assert {i: (c[1], json.loads(c[2])) for i, c in calls.items()} == {
        0: ("get_current_weather", {"location": "浙江省杭州市"}),
        1: ("get_current_weather", {"location": "上海市"}),
    }


def test_cumulative_tool_calls_repeat_ids_and_names_and_grow_arguments() -> None:
    def frame(arguments: str, finish: str = "null", more: bool = False) -> dict[str, Any]:
        calls = [
            {
                "index": 0,
                "id": "call_1",
                "type": "function",
                "function": {"name": "f", "arguments": arguments},
            }
        ]
        if more:
            calls.append(
                {
                    "index": 1,
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "g", "arguments": "{}"},
                }
            )
        return _message("", finish, tool_calls=calls)

    data = (
        _frame(frame(""))
        + _frame(frame('{"a"'), n=2)
        + _frame(frame('{"a": 1}'), n=3)
        + _frame(frame('{"a": 1}', "tool_calls", more=True), n=4)
    )
    decoder = Decoder()
    events = decoder.feed(data) + decoder.close()
    assert decoder.mode == "cumulative"  # the repeated id told
    assert [e for e in events if isinstance(e, ToolCallDelta)] == [
        ToolCallDelta(index=0, id="call_1", name="f"),
        ToolCallDelta(index=0, arguments='{"a"'),
        ToolCallDelta(index=0, arguments=": 1}"),
        ToolCallDelta(index=1, id="call_2", name="g", arguments="{}"),
    ]
    assert adapters.encode(events, provider="dashscope", mode="cumulative") == data


def test_usage_is_the_last_snapshot_with_details() -> None:
    usage = {
        "total_tokens": 30,
        "output_tokens": 20,
        "input_tokens": 10,
        "prompt_tokens_details": {"cached_tokens": 4},
        "output_tokens_details": {"reasoning_tokens": 7},
        "image_tokens": 3,
    }
    first = {**_message("a"), "usage": {"input_tokens": 10, "output_tokens": 1}}
    last = {**_message("b", "stop"), "usage": usage}
    events = _decode(_frame(first) + _frame(last, n=2))
    found = [e for e in events if isinstance(e, Usage)]
    assert found == [
        Usage(
            input_tokens=10, output_tokens=20, total_tokens=30, cached_tokens=4, reasoning_tokens=7
        )
    ]
    assert found[0].wire == {"dashscope": {"usage": usage}}
    # qwen-doc-turbo's top-level cached_tokens
    doc = {**_message("a", "stop"), "usage": {"input_tokens": 5, "cached_tokens": 2}}
    assert next(e for e in _decode(_frame(doc)) if isinstance(e, Usage)).cached_tokens == 2


def test_empty_and_no_usage_frames_are_kept_as_passthrough() -> None:
    data = (
        _frame({"output": {"choices": []}, "request_id": "r"})
        + _frame(_message("x"), n=2)
        + _frame(_message(""), n=3)
        + _frame(_message("", "stop"), n=4)
    )
    events = _decode(data, mode="incremental")
    assert [type(e) for e in events] == [
        StreamStart,
        ChoiceStart,
        TextDelta,
        Passthrough,
        Finish,
        Usage,
        End,
    ]
    assert adapters.encode(events, provider="dashscope") == data


def test_unknown_event_names_comments_and_ignored_blocks_are_kept() -> None:
    data = (
        b": keep-alive\n\n"
        + _frame(_message("x"))
        + b'id:2\nevent:progress\ndata:{"p":1}\n\n'
        + b"... elided ...\n\n"
        + _frame(_message("", "stop"), n=4)
    )
    events = _decode(data, mode="incremental")
    assert events[0] == Comment(text=" keep-alive")
    unknown = [e for e in events if isinstance(e, UnknownFrame)]
    assert unknown == [
        UnknownFrame(
            provider="dashscope",
            event="progress",
            data='{"p":1}',
            problem="unknown SSE event type 'progress'",
        )
    ]
    assert adapters.encode(events, provider="dashscope") == data


def test_a_leading_bom_and_a_missing_final_blank_line_come_back() -> None:
    data = "\ufeff".encode() + _frame(_message("x", "stop"))[:-1]
    decoder = Decoder()
    events = decoder.feed(data) + decoder.close()
    assert events[-1] == End()
    assert [d.kind for d in decoder.diagnostics] == ["unterminated_frame"]
    assert adapters.encode(events, provider="dashscope") == data


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("data", "mode", "kind", "frame", "says"),
    [
        (b"id:1\nevent:result\ndata:{not json\n\n", "incremental", "invalid_json", 0, "not JSON"),
        (_frame("[1]"), "incremental", "invalid_frame", 0, "data: expected a result object"),
        (_frame({"output": 1}), "incremental", "invalid_frame", 0, "output: expected an object"),
        (
            _frame({"output": {"choices": {}}}),
            "incremental",
            "invalid_frame",
            0,
            "output.choices: expected an array",
        ),
        (_frame(_message(5)), "incremental", "invalid_frame", 0, "message.content"),
        (
            _frame({**_message("x"), "usage": {"input_tokens": -1}}),
            "incremental",
            "invalid_frame",
            0,
            "usage.input_tokens",
        ),
        (
            _frame(_message("x", finish=7)),  # type: ignore[arg-type]
            "incremental",
            "invalid_frame",
            0,
            "finish_reason",
        ),
        (
            _frame(_message(""))
            + _frame(
                _message("", tool_calls=[{"index": 3, "id": "", "function": {"arguments": "{}"}}]),
                n=2,
            ),
            "incremental",
            "unopened_tool_call",
            1,
            "tool call 3",
        ),
        (
            _frame(_message("a", "stop")) + _frame(_message("late"), n=2),
            "incremental",
            "content_after_finish",
            1,
            "after its finish_reason",
        ),
        (
            _frame(_message("我爱吃")) + _frame(_message("我不吃"), n=2),
            "cumulative",
            "not_cumulative",
            1,
            "differ at code point 1",
        ),
        (_frame(_message("a")), "incremental", "truncated", 1, "before choice 0"),
        (b"", "incremental", "truncated", 0, "no result frame"),
        (
            _frame({"code": "x", "message": "m"}, event="error") + _frame(_message("a"), n=2),
            "incremental",
            "data_after_error",
            1,
            "after event:error",
        ),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "output-number",
        "choices-object",
        "content-number",
        "negative-usage",
        "finish-number",
        "unopened-tool-call",
        "content-after-finish",
        "not-cumulative",
        "truncated",
        "empty",
        "data-after-error",
    ],
)
def test_bad_input_names_frame_offset_and_expectation(
    data: bytes, mode: str, kind: str, frame: int, says: str
) -> None:
    with pytest.raises(DecodeError) as info:
        _decode(data, mode=mode)
    error = info.value
    assert (error.kind, error.frame, error.provider) == (kind, frame, "dashscope")
    assert says in error.message
    if kind != "truncated":
        offset = sum(len((f.raw or "").encode()) for f in decode_frames(data)[:frame])
        assert error.offset == offset
    # The same input read leniently never raises, and reports what it tolerated.
    lenient = Decoder(mode=mode, strict=False)  # type: ignore[arg-type]
    lenient.feed(data)
    lenient.close()
    assert kind in [d.kind for d in lenient.diagnostics]


def test_events_before_a_strict_error_come_first_and_the_decoder_stays_failed() -> None:
    decoder = Decoder(mode="incremental")
    events = decoder.feed(_frame(_message("a")) + b"id:2\nevent:result\ndata:{bad\n\n")
    assert [type(e) for e in events] == [StreamStart, ChoiceStart, TextDelta]
    with pytest.raises(DecodeError) as info:
        decoder.feed(b"")
    assert info.value.frame == 1
    with pytest.raises(DecodeError):
        decoder.close()


def test_lenient_mode_undoes_what_a_rejected_frame_changed() -> None:
    bad = _message("x", tool_calls=[{"index": 0, "id": "c", "function": {"name": 5}}])
    data = _frame(_message("a")) + _frame(bad, n=2) + _frame(_message("b", "stop"), n=3)
    decoder = Decoder(mode="incremental", strict=False)
    events = decoder.feed(data) + decoder.close()
    assert [type(e) for e in events] == [
        StreamStart,
        ChoiceStart,
        TextDelta,
        UnknownFrame,
        TextDelta,
        Finish,
        Usage,
        End,
    ]
    assert "x" not in [e.text for e in events if isinstance(e, TextDelta)]


def test_resync_policy_and_lenient_mode() -> None:
    data = _frame(_message("我爱吃")) + _frame(_message("我不吃", "stop"), n=2)
    events = _decode(data, mode="cumulative", on_mismatch="resync")
    assert [e for e in events if isinstance(e, TextDelta | Resync)] == [
        TextDelta(text="我爱吃"),
        Resync(channel="text", text="我不吃"),
    ]
    assert adapters.encode(events, provider="dashscope", mode="cumulative") == data
    with pytest.raises(EncodeError) as info:
        adapters.encode(events, provider="dashscope", mode="incremental")
    assert info.value.kind == "unencodable_event"
    with pytest.raises(EncodeError) as openai:
        adapters.encode(events, provider="openai")
    assert openai.value.kind == "unencodable_event"
    lenient = Decoder(mode="cumulative", strict=False)
    assert lenient.feed(data) + lenient.close() == events
    assert "not_cumulative" in [d.kind for d in lenient.diagnostics]


def test_auto_mode_that_cannot_tell_says_so() -> None:
    data = _frame(_message("Hi")) + _frame(_message("Hi there", "stop"), n=2)
    decoder = Decoder()
    events = decoder.feed(data) + decoder.close()
    assert decoder.mode == "incremental"
    assert [d.kind for d in decoder.diagnostics] == ["mode_undetermined"]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "HiHi there"
    # One piece per channel: either reading is the same, and nothing is said.
    quiet = Decoder()
    quiet.feed(_frame(_message("Hi", "stop")))
    quiet.close()
    assert quiet.diagnostics == []


# ------------------------------------------------------------------ writing


def test_canonical_frames_in_dashscope_style() -> None:
    events: list[Event] = [
        StreamStart(request_id="r1"),
        ChoiceStart(),
        ReasoningDelta(text="想"),
        TextDelta(text="你好"),
        ToolCallDelta(index=0, id="call_1", name="f", arguments='{"a":'),
        ToolCallDelta(index=1, id="call_2", name="g", arguments="{}"),
        ToolCallDelta(index=0, arguments="1}"),
        Logprobs(content=[{"token": "你", "logprob": -0.1}]),
        Finish(raw_reason="tool_calls"),
        Usage(
            input_tokens=5, output_tokens=7, total_tokens=12, cached_tokens=0, reasoning_tokens=1
        ),
        End(),
    ]
    raw = Encoder().encode_all(events)
    frames = raw.decode().split("\n\n")
    assert len(frames) == 8  # seven frames and the end
    assert frames[0] == (
        'id:1\nevent:result\n:HTTP_STATUS/200\ndata:{"output":{"choices":[{"message":'
        '{"content":"","reasoning_content":"想","role":"assistant"},"index":0,'
        '"finish_reason":"null"}]},"request_id":"r1"}'
    )
    assert frames[2] == (
        'id:3\nevent:result\n:HTTP_STATUS/200\ndata:{"output":{"choices":[{"message":'
        '{"content":"","tool_calls":[{"index":0,"id":"call_1","type":"function","function":'
        '{"name":"f","arguments":"{\\"a\\":"}}],"role":"assistant"},"index":0,'
        '"finish_reason":"null"}]},"request_id":"r1"}'
    )
    assert (
        '"tool_calls":[{"index":0,"id":"","type":"function","function":{"arguments":"1}"}}]'
        in frames[4]
    )
    assert frames[6].endswith(
        '"finish_reason":"tool_calls"}]},"usage":{"total_tokens":12,"output_tokens":7,'
        '"input_tokens":5,"prompt_tokens_details":{"cached_tokens":0},'
        '"output_tokens_details":{"reasoning_tokens":1}},"request_id":"r1"}'
    )
    assert _decode(raw, mode="incremental") == events


def test_error_comment_and_unknown_frames_canonical() -> None:
    events: list[Event] = [
        Comment(text="ping"),
        ErrorEvent(status=429, code="Throttling", message="slow down", request_id="r"),
    ]
    raw = Encoder().encode_all(events)
    assert raw == (
        b":ping\n\nid:1\nevent:error\n:HTTP_STATUS/429\n"
        b'data:{"code":"Throttling","message":"slow down","request_id":"r"}\n\n'
    )
    assert _decode(raw) == events
    unknown = UnknownFrame(provider="dashscope", event="x", data="y", problem="p")
    assert Encoder().encode_all([unknown]) == b"id:1\nevent:x\ndata:y\n\n"


def test_what_dashscope_cannot_carry() -> None:
    assert Encoder().encode_all([RefusalDelta(text="no")]) == b""
    with pytest.raises(EncodeError, match="one choice"):
        Encoder(result_format="text").encode_all([TextDelta(choice=1, text="x")])
    with pytest.raises(EncodeError, match="only text"):
        Encoder(result_format="text").encode_all([ReasoningDelta(text="x")])
    with pytest.raises(EncodeError) as info:
        Encoder().encode(object())  # type: ignore[arg-type]
    assert info.value.kind == "not_an_event"
    with pytest.raises(ValueError, match="mode"):
        Encoder(mode="x")  # type: ignore[arg-type]


def test_edited_events_are_written_into_the_recorded_frames() -> None:
    path = FIXTURES / "cnblogs-toolcalls-parallel-incremental-qwen-max.sse"
    events = _decode(path.read_bytes())
    edited = [
        e.model_copy(update={"arguments": '{"location": "北京市"}'})
        if isinstance(e, ToolCallDelta) and e.index == 1 and e.id is None
        else e
        for e in events
    ]
    edited[0] = events[0].model_copy(update={"request_id": "renamed"})
    raw = adapters.encode(edited, provider="dashscope")
    frames = decode_frames(raw)
    assert all(json.loads(f.data or "")["request_id"] == "renamed" for f in frames)
    last = json.loads(frames[-1].data or "")
    call = last["output"]["choices"][0]["message"]["tool_calls"][0]
    assert call["function"]["arguments"] == '{"location": "北京市"}'
    assert last["usage"]["prompt_tokens_details"] == {"cached_tokens": 0}  # the rest stays
    assert _decode(raw) == edited


def test_removed_text_leaves_the_frame_and_a_changed_usage_is_written() -> None:
    path = FIXTURES / "cnblogs-text-incremental-qwen-max.sse"
    events = _decode(path.read_bytes())
    kept = [e for e in events if not (isinstance(e, TextDelta) and e.text == "1+")]
    kept = [e.model_copy(update={"output_tokens": 99}) if isinstance(e, Usage) else e for e in kept]
    raw = adapters.encode(kept, provider="dashscope")
    again = _decode(raw)
    assert again == kept
    assert next(e for e in again if isinstance(e, Usage)).output_tokens == 99
    first = json.loads(decode_frames(raw)[0].data or "")
    assert first["output"] == {"finish_reason": "null", "text": ""}


def test_usage_before_any_frame_goes_on_every_built_frame() -> None:
    raw = Encoder().encode_all(
        [Usage(input_tokens=1), StreamStart(), ChoiceStart(), TextDelta(text="a"), Finish(), End()]
    )
    assert all(json.loads(f.data or "")["usage"] == {"input_tokens": 1} for f in decode_frames(raw))


def test_the_cli_converts_between_modes(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    source = FIXTURES / "cnblogs-toolcalls-parallel-incremental-qwen-max.sse"
    out = tmp_path / "cumulative.sse"
    assert (
        main(["convert", str(source), "--to", "dashscope", "--mode", "cumulative", "-o", str(out)])
        == 0
    )
    assert main(["convert", str(out), "--to", "dashscope", "--input-mode", "cumulative"]) == 0
    # incremental -> cumulative -> incremental gives the recording back, byte for byte
    assert capsysbinary.readouterr().out == source.read_bytes()
    glued = FIXTURES / "cnblogs-message-incremental-qwen-max.sse"
    assert main(["convert", str(glued), "--to", "events"]) == 1
    assert main(["convert", str(glued), "--to", "events", "--split-glued", "--no-wire"]) == 0


def test_a_usage_after_the_last_written_frame_gets_a_frame_of_its_own() -> None:
    """Built frames go out at once; a Usage event that comes after an unfinished
    choice's last frame is not lost: it is written in an empty frame."""
    events: list[Event] = [
        StreamStart(request_id="r"),
        ChoiceStart(),
        TextDelta(text="partial"),
        Usage(input_tokens=3, output_tokens=2),
        ErrorEvent(status=500, code="InternalError", message="boom"),
    ]
    raw = Encoder().encode_all(events)
    frames = decode_frames(raw)
    assert json.loads(frames[1].data or "") == {
        "output": {
            "choices": [
                {
                    "message": {"content": "", "role": "assistant"},
                    "index": 0,
                    "finish_reason": "null",
                }
            ]
        },
        "usage": {"output_tokens": 2, "input_tokens": 3},
        "request_id": "r",
    }
    assert [type(e) for e in _decode(raw)] == [
        StreamStart,
        ChoiceStart,
        TextDelta,
        Passthrough,
        Usage,
        ErrorEvent,
    ]


def test_a_built_frame_is_written_as_soon_as_its_event_arrives() -> None:
    encoder = Encoder()
    assert encoder.encode(StreamStart(request_id="r")) == b""
    assert encoder.encode(ChoiceStart()) == b""  # the role waits for the first piece
    assert b'"content":"Hi"' in encoder.encode(TextDelta(text="Hi"))
    assert encoder.encode(Finish()) == b""  # waits for a Usage event
    last = encoder.encode(Usage(output_tokens=1)) + encoder.encode(End()) + encoder.close()
    assert b'"finish_reason":"stop"' in last
    assert b'"usage":{"output_tokens":1}' in last


def _choice_frame(choice: Any) -> bytes:
    return _frame({"output": {"choices": [choice]}, "request_id": "r"})


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (_choice_frame(5), "output.choices[0]: expected an object"),
        (_choice_frame({"index": "0"}), "output.choices[0].index"),
        (_choice_frame({"message": []}), "output.choices[0].message: expected an object"),
        (_choice_frame({"message": {"role": 1}}), "message.role"),
        (_choice_frame({"message": {"reasoning_content": 1}}), "message.reasoning_content"),
        (_choice_frame({"message": {"content": [1]}}), "message.content[0]: expected an object"),
        (_choice_frame({"message": {"content": [{"text": 1}]}}), "message.content[0].text"),
        (_choice_frame({"message": {"tool_calls": {}}}), "message.tool_calls: expected an array"),
        (_choice_frame({"message": {"tool_calls": [1]}}), "tool_calls[0]: expected an object"),
        (_choice_frame({"message": {"tool_calls": [{"index": -1}]}}), "tool_calls[0].index"),
        (_choice_frame({"message": {"tool_calls": [{"function": 1}]}}), "tool_calls[0].function"),
        (_choice_frame({"logprobs": 1}), "logprobs: expected an object"),
        (_choice_frame({"logprobs": {"content": 1}}), "logprobs.content: expected an array"),
        (_frame({**_message("x"), "usage": 1}), "usage: expected an object"),
        (_frame({**_message("x"), "request_id": 1}), "request_id"),
        (_frame({"code": [1], "message": "m"}, event="error"), "code: expected a string"),
        (_frame({"code": "c", "message": 1}, event="error"), "message: expected a string"),
        (_frame("[1]", event="error"), "data: expected an error object"),
    ],
)
def test_malformed_frames_name_the_offending_path(data: bytes, path: str) -> None:
    with pytest.raises(DecodeError) as info:
        _decode(data, mode="incremental")
    assert path in info.value.message
    assert info.value.frame == 0


def test_error_shapes_that_are_still_errors() -> None:
    text = _frame("plain words", event="error", status=503)
    assert _decode(text) == [ErrorEvent(status=503, message="plain words")]
    # A gateway's error sent as a result frame is an error all the same.
    as_result = _frame({"code": "Throttling", "msg": "slow", "request_id": "q"}, status=429)
    assert _decode(as_result) == [
        ErrorEvent(status=429, code="Throttling", message="slow", request_id="q")
    ]


def test_a_second_different_finish_and_repeated_finish() -> None:
    same = _frame(_message("a", "stop")) + _frame(_message("", "stop"), n=2)
    assert [type(e) for e in _decode(same)].count(Finish) == 1
    changed = _frame(_message("a", "stop")) + _frame(_message("", "length"), n=2)
    with pytest.raises(DecodeError) as info:
        _decode(changed)
    assert info.value.kind == "finish_changed"


def test_arguments_and_failures_of_the_decoder_itself() -> None:
    with pytest.raises(ValueError, match="mode"):
        Decoder(mode="both")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="on_mismatch"):
        Decoder(on_mismatch="ignore")  # type: ignore[arg-type]
    decoder = Decoder(mode="incremental")
    frames = decode_frames(_frame(_message("a", "stop")))
    assert [type(e) for e in decoder.read_frame(frames[0])] == [
        StreamStart,
        ChoiceStart,
        TextDelta,
        Finish,
        Usage,
    ]
    assert decoder.close() == [End()]
    assert decoder.close() == []
    assert decoder.failure is None
    held = Decoder()  # auto mode holds the frame: the error comes when it is read
    assert held.feed(b"id:1\nevent:result\ndata:nope\n\n") == []
    with pytest.raises(DecodeError):
        held.close()
    broken = Decoder(mode="incremental")
    with pytest.raises(DecodeError):
        broken.feed(b"id:1\nevent:result\ndata:nope\n\n")
    assert broken.failure is not None
    with pytest.raises(DecodeError):
        broken.read_frame(frames[0])


def test_auto_mode_gives_up_after_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.dashscope import _reader

    monkeypatch.setattr(_reader, "AUTO_LIMIT", 2)
    empty = _message("")
    data = b"".join(_frame(empty, n=n) for n in range(1, 5)) + _frame(_message("a", "stop"), n=5)
    decoder = Decoder()
    events = decoder.feed(data) + decoder.close()
    assert decoder.mode == "incremental"
    assert "mode_undetermined" in [d.kind for d in decoder.diagnostics]
    assert events[-1] == End()


def test_cumulative_logprobs_and_a_shrinking_list() -> None:
    item = {"token": "a", "logprob": -1.0}

    def frame(n: int, items: list[Any], finish: str = "null") -> bytes:
        body = _message("a" * len(items), finish)
        body["output"]["choices"][0]["logprobs"] = {"content": items}
        return _frame(body, n=n)

    data = frame(1, [item]) + frame(2, [item, item], "stop")
    logprobs = [e for e in _decode(data, mode="cumulative") if isinstance(e, Logprobs)]
    assert logprobs == [Logprobs(content=[item]), Logprobs(content=[item])]
    assert (
        adapters.encode(_decode(data, mode="cumulative"), provider="dashscope", mode="cumulative")
        == data
    )
    shrinking = frame(1, [item, item]) + frame(2, [item], "stop")
    with pytest.raises(DecodeError) as info:
        _decode(shrinking, mode="cumulative", on_mismatch="resync")
    assert info.value.kind == "not_cumulative"


def test_glued_frames_split_across_chunks_and_at_the_very_end() -> None:
    data = (FIXTURES / "cnblogs-message-incremental-qwen-max.sse").read_bytes()
    whole = _decode(data, split_glued=True)
    assert (
        _decode(data, [data[i : i + 3] for i in range(0, len(data), 3)], split_glued=True) == whole
    )
    # the last frame's id: line arriving without its line end
    two = (
        _frame(_message("a"))[:-1]
        + b"id:2\nevent:result\ndata:"
        + json.dumps(_message("", "stop")).encode()
    )
    events = _decode(two[: two.rindex(b"id:2")], split_glued=True, strict=False)
    assert events[:3] == [StreamStart(request_id="r"), ChoiceStart(), TextDelta(text="a")]
    assert [type(e) for e in _decode(two, split_glued=True)][-1] is End


def test_lone_surrogates_are_written_as_escapes() -> None:
    data = _frame('{"output":{"text":"\\ud800x","finish_reason":"stop"},"request_id":"r"}')
    events = _decode(data)
    assert TextDelta(text="\ud800x") in events
    for mode in ("incremental", "cumulative"):
        raw = Encoder(mode=mode, result_format="text").encode_all(
            [e for e in events if not isinstance(e, StreamStart)] + [StreamStart(request_id="r")]
        )
        assert b"\\ud800x" in raw
        assert TextDelta(text="\ud800x") in _decode(raw, mode=mode)


def test_encoder_options() -> None:
    for bad in ({"result_format": "json"}, {"content": "parts"}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            Encoder(**bad)  # type: ignore[arg-type]
    raw = Encoder(request_id="fixed", content="list").encode_all(
        [StreamStart(request_id="ignored"), ChoiceStart(), TextDelta(text="a"), Finish(), End()]
    )
    bodies = [json.loads(f.data or "") for f in decode_frames(raw)]
    assert {b["request_id"] for b in bodies} == {"fixed"}
    assert bodies[0]["output"]["choices"][0]["message"]["content"] == [{"text": "a"}]
    assert bodies[1]["output"]["choices"][0]["message"]["content"] == []


def test_resync_of_tool_call_parts_in_cumulative_output() -> None:
    events: list[Event] = [
        StreamStart(request_id="r"),
        ChoiceStart(),
        ToolCallDelta(index=0, id="c1", name="f", arguments='{"a":1'),
        Resync(channel="tool_call_arguments", index=0, text='{"b":2}'),
        Resync(channel="tool_call_name", index=0, text="g"),
        Resync(channel="tool_call_id", index=0, text="c2"),
        Resync(channel="reasoning", text="again"),
        Finish(raw_reason="tool_calls"),
        End(),
    ]
    raw = Encoder(mode="cumulative").encode_all(events)
    last = json.loads(decode_frames(raw)[-1].data or "")
    call = last["output"]["choices"][0]["message"]["tool_calls"][0]
    assert (call["id"], call["function"]) == ("c2", {"name": "g", "arguments": '{"b":2}'})
    assert last["output"]["choices"][0]["message"]["reasoning_content"] == "again"


def test_an_uninterpreted_output_is_written_back_in_the_other_mode_too() -> None:
    body = {"output": {"message": {"phase": "answer", "content": "x"}}, "request_id": "r"}
    data = _frame(body) + _frame(_message("a", "stop"), n=2)
    events = _decode(data, mode="incremental")
    assert (
        _json_frames(adapters.encode(events, provider="dashscope", mode="cumulative"))[0]
        == (_json_frames(data)[0])
    )


def test_a_changed_usage_keeps_the_providers_own_spelling() -> None:
    body = {**_message("a", "stop"), "usage": {"input_tokens": 5, "cached_tokens": 2}}
    events = _decode(_frame(body))
    edited = [
        e.model_copy(update={"cached_tokens": 3, "input_tokens": None})
        if isinstance(e, Usage)
        else e
        for e in events
    ]
    last = json.loads(decode_frames(adapters.encode(edited, provider="dashscope"))[-1].data or "")
    assert last["usage"] == {"cached_tokens": 3}


def test_a_bom_before_an_error_stream_comes_back() -> None:
    data = "\ufeff".encode() + _frame({"code": "c", "message": "m"}, event="error", status=401)
    events = _decode(data)
    assert events == [ErrorEvent(status=401, code="c", message="m")]
    assert adapters.encode(events, provider="dashscope") == data
    changed = [events[0].model_copy(update={"status": 403})]
    assert adapters.encode(changed, provider="dashscope") == data.replace(b"401", b"403")


def test_glued_split_diagnostics_do_not_depend_on_chunking() -> None:
    """Each split is reported at the offset of its id: line in the input, and the
    frame it starts, however the input is cut."""
    data = (FIXTURES / "cnblogs-reasoning-incremental-qwen-plus-latest.sse").read_bytes()

    def splits(chunks: list[bytes]) -> list[tuple[int, int]]:
        decoder = Decoder(mode="incremental", split_glued=True)
        for chunk in chunks:
            decoder.feed(chunk)
        decoder.close()
        return [(d.offset, d.frame) for d in decoder.diagnostics if d.kind == "glued_frames"]

    whole = splits([data])
    assert whole[0] == (data.index(b"\nid:2\n") + 1, 1)
    assert [frame for _, frame in whole] == list(range(1, len(whole) + 1))
    assert splits([data[i : i + 1] for i in range(len(data))]) == whole
    assert splits([data[i : i + 7] for i in range(0, len(data), 7)]) == whole

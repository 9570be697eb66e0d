"""The OpenAI codec on real recordings, on hand-made edge cases, and on bad input.

Recordings: decode -> encode gives the recording back byte for byte (they are
all in their sender's own compact style), under any chunking; the normalized
events are snapshotted (tests/__snapshots__/test_openai_codec/, readable JSON).
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

import adapters
from adapters import DecodeError
from adapters.cli import main
from adapters.events import (
    ChoiceStart,
    Comment,
    End,
    ErrorEvent,
    Event,
    Finish,
    Passthrough,
    ReasoningDelta,
    StreamStart,
    TextDelta,
    ToolCallDelta,
    UnknownFrame,
    Usage,
    dump_jsonl,
    load_jsonl,
)
from adapters.openai import Decoder, Encoder
from adapters.sse import decode_frames

FIXTURES = Path(__file__).parent.parent / "fixtures" / "openai"
RECORDINGS = sorted(FIXTURES.glob("*.sse"))


def _decode(data: bytes, chunks: list[bytes] | None = None, **options: Any) -> list[Event]:
    decoder = Decoder(**options)
    events: list[Event] = []
    for chunk in chunks if chunks is not None else [data]:
        events += decoder.feed(chunk)
    return events + decoder.close()


def _random_chunks(data: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, 60)))
    points = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


def _chunk(choices: list[dict[str, Any]] | None = None, **extra: Any) -> bytes:
    body: dict[str, Any] = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 7,
        "model": "m",
    }
    if choices is not None:
        body["choices"] = choices
    body.update(extra)
    return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"


def _choice(index: int = 0, finish: Any = None, **delta: Any) -> dict[str, Any]:
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}


DONE = b"data: [DONE]\n\n"


# --------------------------------------------------------------- recordings


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_recording_round_trips_byte_for_byte_under_any_chunking(path: Path) -> None:
    data = path.read_bytes()
    whole = _decode(data)
    assert adapters.encode(whole, provider="openai") == data
    for seed in range(3):
        assert _decode(data, _random_chunks(data, seed)) == whole
    assert list(adapters.decode(path, provider="openai")) == whole
    assert list(adapters.decode(data)) == whole  # provider="auto" recognises it


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_recording_events_snapshot(path: Path, snapshot: SnapshotAssertion) -> None:
    events = _decode(path.read_bytes(), wire=False)
    assert [event.model_dump(mode="json") for event in events] == snapshot(
        extension_class=JSONSnapshotExtension
    )


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_recording_without_wire_encodes_to_json_equal_content(path: Path) -> None:
    """The canonical writer (no wire) keeps every neutral fact: decoding its
    output gives the same events."""
    events = _decode(path.read_bytes(), wire=False)
    again = _decode(adapters.encode(events, provider="openai"), wire=False)
    # Frames with nothing neutral in them (empty deltas) have no canonical form.
    assert again == [e for e in events if not isinstance(e, Passthrough)]


def test_canonical_writer_uses_openais_key_order_and_separators() -> None:
    """Byte for byte against a 2024 OpenAI recording, once the one field the
    canonical form has no source for (system_fingerprint) is removed from it."""
    data = (FIXTURES / "openai-python-text-usage-gpt-4o.sse").read_bytes()
    expected = b""
    for frame in decode_frames(data):
        assert frame.data is not None
        if frame.data == "[DONE]":
            expected += DONE
            continue
        chunk = json.loads(frame.data)
        del chunk["system_fingerprint"]
        text = json.dumps(chunk, ensure_ascii=False, separators=(",", ":"))
        expected += b"data: " + text.encode() + b"\n\n"
    events = _decode(data, wire=False)
    assert adapters.encode(events, provider="openai") == expected


def test_changed_events_are_written_in_place_of_the_recorded_values() -> None:
    data = (FIXTURES / "openai-python-tool-call-gpt-4o.sse").read_bytes()
    events = _decode(data)
    changed = [
        e.model_copy(update={"arguments": e.arguments.upper()})
        if isinstance(e, ToolCallDelta)
        else e
        for e in events
    ]
    out = adapters.encode(changed, provider="openai")
    frames = decode_frames(out)
    original = decode_frames(data)
    assert len(frames) == len(original)
    for got, was in zip(frames, original, strict=True):
        assert got.data is not None
        assert was.data is not None
        if got.data == "[DONE]":
            continue
        # Everything but the argument text is as recorded (fingerprint, nulls, order).
        chunk = json.loads(was.data)
        for choice in chunk["choices"]:
            for call in choice["delta"].get("tool_calls") or ():
                call["function"]["arguments"] = call["function"]["arguments"].upper()
        assert got.data == json.dumps(chunk, ensure_ascii=False, separators=(",", ":"))
    arguments = "".join(e.arguments for e in _decode(out) if isinstance(e, ToolCallDelta))
    assert arguments == "".join(e.arguments for e in changed if isinstance(e, ToolCallDelta))


def test_removed_events_take_their_content_out_of_the_frame() -> None:
    data = (FIXTURES / "openai-python-text-usage-gpt-4o.sse").read_bytes()
    events = _decode(data)
    kept = [e for e in events if not (isinstance(e, TextDelta) and "unable" in e.text)]
    assert len(kept) == len(events) - 1
    again = _decode(adapters.encode(kept, provider="openai"), wire=False)
    assert "".join(e.text for e in again if isinstance(e, TextDelta)) == "".join(
        e.text for e in kept if isinstance(e, TextDelta)
    )


# --------------------------------------------------------------- semantics


def test_role_only_on_first_chunk_and_repeats_are_layout() -> None:
    data = (
        _chunk([_choice(role="assistant", content="")])
        + _chunk([_choice(role="assistant", content="a")])
        + _chunk([_choice(role="assistant", content="", finish="stop")])
        + DONE
    )
    events = _decode(data)
    assert [type(e) for e in events] == [StreamStart, ChoiceStart, TextDelta, Finish, End]
    assert adapters.encode(events, provider="openai") == data


def test_tool_call_continuations_with_empty_id_merge_by_choice_and_index() -> None:
    """DashScope compatible mode repeats "id":"" and "type" on continuations."""
    first = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "f", "arguments": ""},
    }
    cont = {"index": 0, "id": "", "type": "function", "function": {"arguments": '{"a":'}}
    second = {
        "index": 1,
        "id": "call_2",
        "type": "function",
        "function": {"name": "g", "arguments": "{}"},
    }
    data = (
        _chunk([_choice(role="assistant", content=None, tool_calls=[first])])
        + _chunk([_choice(tool_calls=[cont, second])])
        + _chunk([_choice(finish="tool_calls")])
        + DONE
    )
    events = _decode(data)
    calls = [e for e in events if isinstance(e, ToolCallDelta)]
    assert [(c.index, c.id, c.name, c.arguments) for c in calls] == [
        (0, "call_1", "f", ""),
        (0, None, None, '{"a":'),
        (1, "call_2", "g", "{}"),
    ]
    assert adapters.encode(events, provider="openai") == data


def test_interleaved_choices_keep_their_own_state() -> None:
    data = (
        _chunk([_choice(0, role="assistant", content="")])
        + _chunk([_choice(1, role="assistant", content="")])
        + _chunk([_choice(1, content="b")])
        + _chunk([_choice(0, content="a")])
        + _chunk([_choice(1, finish="length")])
        + _chunk([_choice(0, finish="stop")])
        + _chunk([], usage={"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5})
        + DONE
    )
    events = _decode(data)
    assert [(type(e).__name__, e.choice) for e in events[1:-1]] == [
        ("ChoiceStart", 0),
        ("ChoiceStart", 1),
        ("TextDelta", 1),
        ("TextDelta", 0),
        ("Finish", 1),
        ("Finish", 0),
        ("Usage", None),
    ]
    assert events[-2] == Usage(input_tokens=3, output_tokens=2, total_tokens=5)


def test_done_is_the_whole_data_field_only() -> None:
    data = _chunk([_choice(role="assistant", content="[DONE]", finish="stop")]) + DONE
    events = _decode(data)
    assert TextDelta(text="[DONE]") in events
    assert isinstance(events[-1], End)
    with pytest.raises(DecodeError) as info:
        _decode(b"data: [DONE] \n\n")
    assert info.value.kind == "invalid_json"
    assert info.value.frame == 0


def test_keepalive_comments_are_kept_as_events() -> None:
    data = b": ping\n\n" + _chunk([_choice(role="assistant", content="", finish="stop")]) + DONE
    events = _decode(data)
    assert events[0] == Comment(text=" ping")
    assert adapters.encode(events, provider="openai") == data


def test_usage_details_and_unknown_usage_keys() -> None:
    usage = {
        "prompt_tokens": 10,
        "completion_tokens": 4,
        "total_tokens": 14,
        "prompt_tokens_details": {"cached_tokens": 8, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 3},
        "cost": 0.5,
    }
    data = (
        _chunk([_choice(role="assistant", content="", finish="stop")])
        + _chunk([], usage=usage)
        + DONE
    )
    events = _decode(data)
    assert (
        Usage(
            input_tokens=10, output_tokens=4, total_tokens=14, cached_tokens=8, reasoning_tokens=3
        )
        in events
    )
    assert adapters.encode(events, provider="openai") == data


@pytest.mark.parametrize(
    "frame",
    [
        b'data: {"error":{"message":"boom","type":"server_error","param":null,"code":null}}\n\n',
        (
            b'event: error\ndata: {"error":{"message":"boom","type":"invalid_request_error",'
            b'"code":"tool_use_failed","status_code":400}}\n\n'
        ),
        b"event: error\ndata: boom\n\n",
    ],
    ids=["data-error", "event-error", "event-error-text"],
)
def test_mid_stream_errors_are_events_and_end_the_stream(frame: bytes) -> None:
    data = _chunk([_choice(role="assistant", content="partial")]) + frame
    events = _decode(data)  # no [DONE], yet not truncated: the error ended it
    error = events[-1]
    assert isinstance(error, ErrorEvent)
    assert error.message == "boom"
    assert adapters.encode(events, provider="openai") == data


def test_error_inside_a_normal_chunk() -> None:
    data = (
        _chunk([_choice(role="assistant", content="")], error={"code": 400, "message": "limit"})
        + DONE
    )
    events = _decode(data)
    assert ErrorEvent(code=400, message="limit") in events
    assert adapters.encode(events, provider="openai") == data


def test_unknown_event_names_become_unknown_frames() -> None:
    data = (
        b"event: ping\ndata: {}\n\n"
        + _chunk([_choice(role="assistant", content="", finish="stop")])
        + DONE
    )
    events = _decode(data)
    assert isinstance(events[0], UnknownFrame)
    assert events[0].event == "ping"
    assert adapters.encode(events, provider="openai") == data


def test_reasoning_from_either_vendor_key() -> None:
    data = (
        _chunk([_choice(role="assistant", content=None, reasoning_content="think")])
        + _chunk([_choice(reasoning="more")])
        + _chunk([_choice(content="ok", finish="stop")])
        + DONE
    )
    events = _decode(data)
    assert [e.text for e in events if isinstance(e, ReasoningDelta)] == ["think", "more"]
    assert adapters.encode(events, provider="openai") == data


# --------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("data", "kind", "frame", "says"),
    [
        (b"data: {not json\n\n", "invalid_json", 0, "not JSON"),
        (b"data: [1,2]\n\n", "invalid_chunk", 0, "expected a chat.completion.chunk"),
        (_chunk(None), "invalid_chunk", 0, "choices"),
        (_chunk([_choice(content=5)]), "invalid_chunk", 0, "choices[0].delta.content"),
        (_chunk([{"index": "0", "delta": {}}]), "invalid_chunk", 0, "choices[0].index"),
        (
            _chunk([_choice(role="assistant", content="")])
            + _chunk([_choice(tool_calls=[{"index": 2, "function": {"arguments": "{}"}}])]),
            "unopened_tool_call",
            1,
            "tool call 2",
        ),
        (
            _chunk([_choice(role="assistant", content="", finish="stop")])
            + _chunk([_choice(content="late")]),
            "content_after_finish",
            1,
            "after its finish_reason",
        ),
        (
            _chunk([_choice(role="assistant", content="", finish="stop")])
            + DONE
            + _chunk([_choice(content="x")]),
            "data_after_done",
            2,
            "after data: [DONE]",
        ),
        (
            _chunk([_choice(role="assistant", content="a")]),
            "truncated",
            1,
            "never sent a finish_reason",
        ),
        (b"", "truncated", 0, "no chunk at all"),
        (
            _chunk([_choice(role="assistant")], object="chat.completion"),
            "invalid_chunk",
            0,
            '"chat.completion.chunk"',
        ),
        (_chunk([], usage={"prompt_tokens": -1}), "invalid_chunk", 0, "usage.prompt_tokens"),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "no-choices",
        "content-number",
        "index-string",
        "unopened-tool-call",
        "content-after-finish",
        "data-after-done",
        "truncated",
        "empty",
        "wrong-object",
        "negative-usage",
    ],
)
def test_bad_input_names_frame_and_expectation(
    data: bytes, kind: str, frame: int, says: str
) -> None:
    with pytest.raises(DecodeError) as info:
        _decode(data)
    error = info.value
    assert (error.kind, error.frame, error.provider) == (kind, frame, "openai")
    assert says in error.message
    assert error.offset is not None
    if kind not in {"truncated"}:
        assert error.offset == sum(len((f.raw or "").encode()) for f in decode_frames(data)[:frame])
    # The same input read leniently never raises, and reports what it tolerated.
    lenient = Decoder(strict=False)
    lenient.feed(data)
    lenient.close()
    assert kind in [d.kind for d in lenient.diagnostics]


def test_lenient_keeps_unreadable_frames_as_unknown_frames() -> None:
    data = (
        b"data: {oops\n\n" + _chunk([_choice(role="assistant", content="a", finish="stop")]) + DONE
    )
    decoder = Decoder(strict=False)
    events = decoder.feed(data) + decoder.close()
    assert isinstance(events[0], UnknownFrame)
    assert events[0].data == "{oops"
    assert TextDelta(text="a") in events
    assert adapters.encode(events, provider="openai") == data


def test_a_failed_decoder_stays_failed() -> None:
    decoder = Decoder()
    with pytest.raises(DecodeError) as first:
        decoder.feed(b"data: nope\n\n")
    with pytest.raises(DecodeError) as again:
        decoder.feed(_chunk([_choice(content="x")]))
    assert again.value is first.value
    with pytest.raises(DecodeError):
        decoder.close()


def test_missing_done_after_every_finish_is_a_diagnostic_not_an_error() -> None:
    data = _chunk([_choice(role="assistant", content="a", finish="stop")])
    decoder = Decoder()
    events = decoder.feed(data) + decoder.close()
    assert not any(isinstance(e, End) for e in events)
    assert [d.kind for d in decoder.diagnostics] == ["missing_done"]
    assert adapters.encode(events, provider="openai") == data


def test_encoder_include_usage_moves_usage_last_or_drops_it() -> None:
    events: list[Event] = [
        StreamStart(id="c1", model="m", created=7),
        Usage(input_tokens=1, output_tokens=2, total_tokens=3),
        ChoiceStart(),
        TextDelta(text="x"),
        Finish(),
        End(),
    ]
    moved = _decode(adapters.encode(events, provider="openai", include_usage=True))
    assert [type(e) for e in moved] == [StreamStart, ChoiceStart, TextDelta, Finish, Usage, End]
    dropped = _decode(adapters.encode(events, provider="openai", include_usage=False))
    assert not any(isinstance(e, Usage) for e in dropped)


def test_encoder_refuses_what_is_not_an_event() -> None:
    with pytest.raises(adapters.EncodeError) as info:
        Encoder().encode({"type": "text_delta"})  # type: ignore[arg-type]
    assert info.value.kind == "not_an_event"


_FIRST = {"role": "assistant", "content": ""}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"choices": [5]}, "choices[0]: expected an object"),
        ({"choices": [{"index": 0, "delta": []}]}, "choices[0].delta: expected an object"),
        ({"choices": "x"}, "choices: expected an array"),
        ({"choices": None}, "choices: expected an array"),
        ({"choices": [_choice(role=1)]}, "choices[0].delta.role"),
        ({"choices": [_choice(reasoning_content=1)]}, "choices[0].delta.reasoning_content"),
        ({"choices": [_choice(reasoning=[1])]}, "choices[0].delta.reasoning"),
        ({"choices": [_choice(content=[1])]}, "choices[0].delta.content[0]: expected an object"),
        ({"choices": [_choice(content=[{"type": "text", "text": 1}])]}, "content[0].text"),
        (
            {"choices": [_choice(content=[{"type": "thinking", "thinking": 1}])]},
            "content[0].thinking",
        ),
        (
            {"choices": [_choice(content=[{"type": "thinking", "thinking": [1]}])]},
            "thinking[0].text",
        ),
        ({"choices": [_choice(content={"a": 1})]}, "an array of parts"),
        ({"choices": [_choice(refusal=1)]}, "choices[0].delta.refusal"),
        ({"choices": [_choice(refusal=True)]}, "choices[0].delta.refusal"),
        ({"choices": [_choice(tool_calls={})]}, "choices[0].delta.tool_calls"),
        ({"choices": [_choice(tool_calls=[1])]}, "tool_calls[0]: expected an object"),
        ({"choices": [_choice(tool_calls=[{"index": -1}])]}, "tool_calls[0].index"),
        ({"choices": [_choice(tool_calls=[{"index": 0, "id": 3}])]}, "tool_calls[0].id"),
        (
            {"choices": [_choice(tool_calls=[{"index": 0, "function": "f"}])]},
            "tool_calls[0].function",
        ),
        ({"choices": [_choice(function_call="f")]}, "delta.function_call: expected an object"),
        (
            {"choices": [_choice(function_call={"arguments": "{}"})]},
            "function_call.name on the first",
        ),
        ({"choices": [{**_choice(), "logprobs": 1}]}, "choices[0].logprobs"),
        ({"choices": [{**_choice(), "logprobs": {"content": 1}}]}, "logprobs.content"),
        ({"choices": [{**_choice(), "logprobs": {"refusal": 1}}]}, "logprobs.refusal"),
        ({"choices": [_choice(finish=1)]}, "choices[0].finish_reason"),
        ({"choices": [_choice(finish=True)]}, "choices[0].finish_reason"),
        ({"choices": [], "usage": 3}, "usage: expected an object"),
        ({"choices": [], "usage": {"prompt_tokens_details": 1}}, "usage.prompt_tokens_details"),
        (
            {"choices": [], "usage": {"completion_tokens_details": 1}},
            "usage.completion_tokens_details",
        ),
        ({"choices": [], "usage": {"total_tokens": True}}, "usage.total_tokens"),
        ({"choices": [], "id": 5}, "id: expected a string or null, got a number"),
        ({"choices": [], "created": "now"}, "created: expected an integer"),
        ({"error": {"message": 1}}, "error.message"),
        ({"error": {"code": [1]}}, "error.code"),
        ({"error": 5}, "error: expected an object or a string"),
        ({"hello": 1}, "keys ['hello']"),
    ],
)
def test_malformed_chunks_name_the_offending_path(body: dict[str, Any], path: str) -> None:
    data = b"data: " + json.dumps(body).encode() + b"\n\n"
    with pytest.raises(DecodeError) as info:
        _decode(data)
    assert path in info.value.message
    assert info.value.kind == ("unopened_tool_call" if "first" in path else "invalid_chunk")


def test_list_content_parts_round_trip() -> None:
    parts = [
        {"type": "thinking", "thinking": [{"type": "text", "text": "hm"}]},
        {"type": "text", "text": "yes"},
        {"type": "image", "url": "x"},
    ]
    data = (
        _chunk([_choice(role="assistant", content=parts)]) + _chunk([_choice(finish="stop")]) + DONE
    )
    events = _decode(data)
    assert ReasoningDelta(text="hm") in events
    assert TextDelta(text="yes") in events
    assert adapters.encode(events, provider="openai") == data
    changed = [
        e.model_copy(update={"text": "no"}) if isinstance(e, TextDelta) else e for e in events
    ]
    assert b'"text":"no"' in adapters.encode(changed, provider="openai")


def test_frames_without_data_and_comments_inside_blocks_are_kept() -> None:
    data = (
        b"id: 7\n\nretry: 10\n\n: note\n"
        + _chunk([_choice(role="assistant", content="", finish="stop")])
        + DONE
    )
    events = _decode(data)
    assert [type(e).__name__ for e in events[:3]] == ["Passthrough", "Passthrough", "Comment"]
    assert adapters.encode(events, provider="openai") == data
    # Without the layout there is nothing to write for a block with no content.
    lean = _decode(data, wire=False)
    assert b"id: 7" not in adapters.encode(lean, provider="openai")


def test_error_event_frames_with_other_bodies() -> None:
    data = (
        _chunk([_choice(role="assistant", content="")])
        + b'event: error\ndata: {"message":"m","code":"c"}\n\n'
    )
    events = _decode(data)
    assert events[-1] == adapters.ErrorEvent(message="m", code="c")
    assert adapters.encode(events, provider="openai") == data
    changed = [*events[:-1], events[-1].model_copy(update={"message": "n"})]
    assert b'"message":"n"' in adapters.encode(changed, provider="openai")
    text = _chunk([_choice(role="assistant", content="")]) + b"event: error\ndata: plain\n\n"
    events = _decode(text)
    renamed = [*events[:-1], events[-1].model_copy(update={"message": "other"})]
    assert adapters.encode(renamed, provider="openai").endswith(b"event: error\ndata: other\n\n")


def test_second_done_and_repeated_finish() -> None:
    with pytest.raises(DecodeError) as info:
        _decode(_chunk([_choice(role="assistant", content="", finish="stop")]) + DONE + DONE)
    assert info.value.kind == "data_after_done"
    again = _chunk([_choice(role="assistant", content="", finish="stop")]) + _chunk(
        [_choice(finish="stop")]
    )
    events = _decode(again + DONE)  # the same reason again is layout (OpenRouter does this)
    assert sum(isinstance(e, Finish) for e in events) == 1
    assert adapters.encode(events, provider="openai") == again + DONE
    changed = _chunk([_choice(role="assistant", content="", finish="stop")]) + _chunk(
        [_choice(finish="length")]
    )
    with pytest.raises(DecodeError, match="already finished"):
        _decode(changed + DONE)


def test_function_call_round_trip_and_encoder_defaults() -> None:
    data = (
        _chunk(
            [_choice(role="assistant", content=None, function_call={"name": "f", "arguments": ""})]
        )
        + _chunk([_choice(function_call={"arguments": "{}"})])
        + _chunk([_choice(finish="function_call")])
        + DONE
    )
    events = _decode(data)
    assert adapters.encode(events, provider="openai") == data
    lean = [e for e in _decode(data, wire=False) if not isinstance(e, StreamStart)]
    out = adapters.encode(lean, provider="openai", id="x", model="y", created=1)
    assert _decode(out)[0] == StreamStart(id="x", model="y", created=1)
    assert [e for e in _decode(out) if not isinstance(e, StreamStart)] == lean


# ------------------------------------------------------ found in review


def _role_chunk() -> bytes:
    return _chunk([_choice(role="assistant", content="")])


def test_deep_nesting_is_a_decode_error_not_a_crash() -> None:
    deep = b"data: " + b"[" * 100_000 + b"\n\n"
    with pytest.raises(DecodeError) as info:
        _decode(deep)
    assert info.value.kind == "invalid_json"
    nested = b'data: {"choices":[],"x":' + b"[" * 5000 + b"]" * 5000 + b"}\n\n"
    decoder = Decoder(strict=False)
    events = decoder.feed(_role_chunk() + nested)
    assert isinstance(events[-1], UnknownFrame)
    assert [d.kind for d in decoder.diagnostics] == ["invalid_json"]
    # Under event: error, data that cannot be parsed is the message, as text.
    error = Decoder().feed(b"event: error\ndata: " + b"[" * 5000 + b"\n\n")
    assert error == [ErrorEvent(message="[" * 5000)]


def test_non_finite_numbers_are_not_json() -> None:
    for number in (b"NaN", b"Infinity", b"-Infinity"):
        body = b'{"choices":[],"usage":{"cost":' + number + b"}}"
        with pytest.raises(DecodeError) as info:
            _decode(_role_chunk() + b"data: " + body + b"\n\n")
        assert info.value.kind == "invalid_json"


@pytest.mark.parametrize("block", [b"x-vendor: 1\n\n", b"retry: abc\n\n", b"id: a\x00b\n\n"])
def test_blocks_of_ignored_lines_are_kept_and_written_back(block: bytes) -> None:
    data = _role_chunk() + block + _chunk([_choice(finish="stop")]) + DONE
    events = _decode(data)
    assert isinstance(events[2], Passthrough)
    assert adapters.encode(events, provider="openai") == data


def test_lenient_mode_undoes_what_a_rejected_frame_changed() -> None:
    bad_role = _chunk([_choice(role="assistant", content=5)])
    data = bad_role + _role_chunk() + _chunk([_choice(finish="stop")]) + DONE
    events = Decoder(strict=False).feed(data)
    assert [type(e).__name__ for e in events] == [
        "UnknownFrame",
        "StreamStart",
        "ChoiceStart",
        "Finish",
        "End",
    ]
    via_general_path = b"id: 1\n" + bad_role
    events = Decoder(strict=False).feed(via_general_path + _role_chunk())
    assert [type(e).__name__ for e in events] == ["UnknownFrame", "StreamStart", "ChoiceStart"]
    bad_finish = _chunk([_choice(finish="stop")], usage=5)
    events = Decoder(strict=False).feed(
        _role_chunk() + bad_finish + _chunk([_choice(finish="stop")])
    )
    assert sum(isinstance(e, Finish) for e in events) == 1
    decoder = Decoder(strict=False)
    decoder.feed(_role_chunk() + b'data: {"error":{"message":1}}\n\n')
    decoder.close()
    assert "truncated" in [d.kind for d in decoder.diagnostics]


def test_lone_surrogates_survive_hash_json_lines_and_the_cli(tmp_path: Path) -> None:
    surrogate = (
        b'data: {"choices":[{"index":0,"delta":{"content":"a\\ud800b"},"finish_reason":"stop"}]}'
    )
    data = _role_chunk() + surrogate + b"\n\n" + DONE
    events = _decode(data)
    text = next(e for e in events if isinstance(e, TextDelta))
    assert text.text == "a\ud800b"
    assert isinstance(hash(text), int)
    lines = list(dump_jsonl(events))
    assert list(load_jsonl(lines)) == events
    assert adapters.encode(list(load_jsonl(lines)), provider="openai") == data
    path = tmp_path / "lone.sse"
    path.write_bytes(data)
    assert main(["convert", str(path), "--to", "events", "-o", str(tmp_path / "out.jsonl")]) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [(b'"quoted"', "quoted"), (b"null", "null"), (b"true", "true"), (b"plain text", "plain text")],
)
def test_error_frames_whose_data_is_not_an_object(body: bytes, message: str) -> None:
    data = _role_chunk() + b"event: error\ndata: " + body + b"\n\n"
    events = _decode(data)
    assert events[-1] == adapters.ErrorEvent(message=message)
    assert adapters.encode(events, provider="openai") == data
    changed = [*events[:-1], events[-1].model_copy(update={"message": "new"})]
    again = _decode(adapters.encode(changed, provider="openai"))
    assert again[-1] == adapters.ErrorEvent(message="new")


def test_events_before_a_strict_error_are_not_lost(tmp_path: Path) -> None:
    good = _role_chunk() + _chunk([_choice(content="kept")])
    decoder = Decoder()
    events = decoder.feed(good + b"data: {bad\n\n")
    assert TextDelta(text="kept") in events
    with pytest.raises(DecodeError) as info:
        decoder.close()
    assert info.value.frame == 2
    assert [e.type for e in _collect(adapters.decode(good + b"data: {bad\n\n"))] == [
        "stream_start",
        "choice_start",
        "text_delta",
    ]
    path = tmp_path / "bad.sse"
    path.write_bytes(good + b"data: {bad\n\n")
    out = tmp_path / "out.sse"
    assert main(["convert", str(path), "--to", "openai", "-o", str(out)]) == 1
    assert out.read_bytes() == good


def _collect(events: Any) -> list[Event]:
    found: list[Event] = []
    with pytest.raises(DecodeError):
        found.extend(events)
    return found


def test_renaming_the_model_renames_it_in_every_chunk() -> None:
    data = (FIXTURES / "openai-python-tool-call-gpt-4o.sse").read_bytes()
    decoded = _decode(data)
    start = decoded[0]
    assert isinstance(start, StreamStart)
    assert start.model is not None
    assert start.id is not None
    events = [
        e.model_copy(update={"model": "my-alias", "id": "chatcmpl-NEW"})
        if isinstance(e, StreamStart)
        else e
        for e in decoded
    ]
    out = adapters.encode(events, provider="openai")
    assert start.model.encode() in data
    assert start.model.encode() not in out
    assert start.id.encode() not in out
    assert out.count(b'"model":"my-alias"') == len(decode_frames(data)) - 1
    assert _decode(out) == events


def test_include_usage_keeps_the_layout_of_the_frames_it_takes_usage_from() -> None:
    data = (FIXTURES / "pydantic-ai-deepseek-reasoner-reasoning-content.sse").read_bytes()
    events = _decode(data)
    moved = adapters.encode(events, provider="openai", include_usage=True)
    frames = [json.loads(f.data) for f in decode_frames(moved) if f.data and f.data != "[DONE]"]
    finish = next(f for f in frames if f["choices"] and f["choices"][0]["finish_reason"])
    assert finish["usage"] is None
    assert finish["system_fingerprint"] == frames[0]["system_fingerprint"]
    assert finish["choices"][0]["delta"] == {"content": "", "reasoning_content": None}
    last = frames[-1]
    assert last["choices"] == []
    assert "prompt_cache_hit_tokens" in last["usage"]
    assert _decode(moved)[-2] == next(e for e in events if isinstance(e, Usage))
    left_out = adapters.encode(events, provider="openai", include_usage=False)
    assert not any(isinstance(e, Usage) for e in _decode(left_out))
    assert b"prompt_cache_hit_tokens" not in left_out
    plain = (FIXTURES / "openai-python-text-usage-gpt-4o.sse").read_bytes()
    assert adapters.encode(_decode(plain), provider="openai", include_usage=True) == plain


def test_edits_reach_vendor_keys_that_repeat_the_value() -> None:
    data = (
        _role_chunk()
        + _chunk([_choice(reasoning_content="secret plan", reasoning="secret plan")])
        + _chunk([{**_choice(finish="length"), "native_finish_reason": "length"}])
        + DONE
    )
    events = _decode(data)
    redacted = [
        e.model_copy(update={"text": "[redacted]"}) if isinstance(e, ReasoningDelta) else e
        for e in events
    ]
    redacted = [
        Finish(choice=0, raw_reason="stop", wire=e.wire) if isinstance(e, Finish) else e
        for e in redacted
    ]
    out = adapters.encode(redacted, provider="openai")
    assert b"secret" not in out
    assert b'"native_finish_reason":"stop"' in out


def test_empty_part_lists_are_empty_content() -> None:
    data = _chunk([_choice(role="assistant", content=[])]) + _chunk([_choice(finish="stop")]) + DONE
    events = _decode(data)
    assert [type(e) for e in events] == [StreamStart, ChoiceStart, Finish, End]
    assert adapters.encode(events, provider="openai") == data


def test_removed_events_do_not_come_back_through_repeated_layout() -> None:
    data = (
        _role_chunk()
        + _chunk([_choice(content="a", finish="stop")])
        + _chunk([_choice(role="assistant", content="", finish="stop")])
        + DONE
    )
    events = _decode(data)
    assert isinstance(events[-2], Passthrough)  # the repeat carries nothing new
    without_finish = [e for e in events if not isinstance(e, Finish)]
    again = _decode(adapters.encode(without_finish, provider="openai"), strict=False)
    assert not any(isinstance(e, Finish) for e in again)


# ---------------------------------------------- canonical form, one event each

_HEAD = '{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m",'


def _choice_json(delta: str, *, logprobs: str = "null", finish: str = "null") -> str:
    return (
        f'{_HEAD}"choices":[{{"index":0,"delta":{{{delta}}},'
        f'"logprobs":{logprobs},"finish_reason":{finish}}}]}}'
    )


CANONICAL: list[tuple[Event, bytes]] = [
    (ChoiceStart(), _choice_json('"role":"assistant","content":"","refusal":null').encode()),
    (TextDelta(text="你好"), _choice_json('"content":"你好"').encode()),
    (ReasoningDelta(text="hm"), _choice_json('"reasoning_content":"hm"').encode()),
    (adapters.RefusalDelta(text="no"), _choice_json('"refusal":"no"').encode()),
    (
        ToolCallDelta(index=1, id="call_1", name="f", arguments=""),
        _choice_json(
            '"tool_calls":[{"index":1,"id":"call_1","type":"function",'
            '"function":{"name":"f","arguments":""}}]'
        ).encode(),
    ),
    (
        ToolCallDelta(index=1, arguments='{"a"'),
        _choice_json('"tool_calls":[{"index":1,"function":{"arguments":"{\\"a\\""}}]').encode(),
    ),
    (
        adapters.FunctionCallDelta(name="f", arguments="{}"),
        _choice_json('"function_call":{"name":"f","arguments":"{}"}').encode(),
    ),
    (
        adapters.Logprobs(
            content=[{"token": "a", "logprob": -0.5, "bytes": [97], "top_logprobs": []}]
        ),
        _choice_json(
            "",
            logprobs='{"content":[{"token":"a","logprob":-0.5,"bytes":[97],"top_logprobs":[]}],'
            '"refusal":null}',
        ).encode(),
    ),
    (Finish(raw_reason="length"), _choice_json("", finish='"length"').encode()),
    (
        ErrorEvent(message="m", code="c", error_type="t", param="p", status=429, request_id="r"),
        (
            b'{"error":{"message":"m","type":"t","param":"p","code":"c",'
            b'"status_code":429,"request_id":"r"}}'
        ),
    ),
    (
        Usage(input_tokens=3, output_tokens=2, total_tokens=5, cached_tokens=1, reasoning_tokens=0),
        (
            f'{_HEAD}"choices":[],"usage":{{"prompt_tokens":3,"completion_tokens":2,'
            '"total_tokens":5,"prompt_tokens_details":{"cached_tokens":1},'
            '"completion_tokens_details":{"reasoning_tokens":0}}}'
        ).encode(),
    ),
]


@pytest.mark.parametrize(("event", "data"), CANONICAL, ids=lambda v: getattr(v, "type", ""))
def test_canonical_form_of_each_event_both_ways(event: Event, data: bytes) -> None:
    """One table drives the writer (event -> bytes) and the reader (bytes -> event)."""
    start = StreamStart(id="c1", model="m", created=7)
    body = adapters.encode([start, event], provider="openai")
    assert body == b"data: " + data + b"\n\n"
    opened: list[Event] = [start]
    if isinstance(event, ToolCallDelta) and event.id is None:
        opened.append(ToolCallDelta(index=1, id="call_1", name="f"))
    if not isinstance(event, ErrorEvent | Usage | ChoiceStart):
        opened.append(ChoiceStart())
    raw = adapters.encode([*opened, event], provider="openai")
    decoded = Decoder(strict=False).feed(raw)
    assert decoded[-1] == event


def test_canonical_comment_and_unknown_frame_keep_their_lines() -> None:
    events: list[Event] = [
        adapters.Comment(text=" keep-alive"),
        UnknownFrame(provider="openai", event="ping", data="{}", problem="unknown"),
        UnknownFrame(provider="dashscope", event="x", data="y", problem="not ours"),
        Passthrough(provider="openai"),
    ]
    assert (
        adapters.encode(events, provider="openai") == b": keep-alive\n\nevent: ping\ndata: {}\n\n"
    )


def test_usage_is_written_last_before_done_or_an_error() -> None:
    usage = Usage(input_tokens=1, output_tokens=2, total_tokens=3)
    later = Usage(input_tokens=1, output_tokens=4, total_tokens=5)
    start = StreamStart(id="c", model="m", created=1)
    events: list[Event] = [start, ChoiceStart(), usage, TextDelta(text="x"), Finish(), End()]
    assert [type(e) for e in _decode(adapters.encode(events, provider="openai"))] == [
        StreamStart,
        ChoiceStart,
        TextDelta,
        Finish,
        Usage,
        End,
    ]
    running: list[Event] = [
        start,
        ChoiceStart(),
        usage,
        TextDelta(text="x"),
        later,
        Finish(),
        End(),
    ]
    got = [e for e in _decode(adapters.encode(running, provider="openai")) if isinstance(e, Usage)]
    assert got == [usage, later]  # running totals: each one, in order, none lost
    erring: list[Event] = [start, ChoiceStart(), usage, ErrorEvent(message="boom")]
    assert [type(e) for e in _decode(adapters.encode(erring, provider="openai"))][-2:] == [
        Usage,
        ErrorEvent,
    ]
    last_only = adapters.encode(running, provider="openai", include_usage=True)
    assert [e for e in _decode(last_only) if isinstance(e, Usage)] == [later]


def test_a_decoded_frame_with_an_id_line_and_an_empty_delta_is_kept() -> None:
    data = (
        _role_chunk()
        + b"id: 7\n"
        + _chunk([_choice(content="")])
        + _chunk([_choice(finish="stop")])
        + DONE
    )
    events = _decode(data)
    assert isinstance(events[2], Passthrough)
    assert adapters.encode(events, provider="openai") == data


def test_offsets_count_a_leading_bom() -> None:
    data = "\ufeff".encode() + _role_chunk() + b"data: {oops\n\n"
    with pytest.raises(DecodeError) as info:
        _decode(data)
    assert info.value.offset == 3 + len(_role_chunk())


def test_two_reasoning_keys_with_different_texts_are_two_events() -> None:
    data = (
        _role_chunk()
        + _chunk([_choice(reasoning_content="A", reasoning="B")])
        + _chunk([_choice(finish="stop")])
        + DONE
    )
    events = _decode(data)
    assert [e.text for e in events if isinstance(e, ReasoningDelta)] == ["A", "B"]
    assert adapters.encode(events, provider="openai") == data
    redacted = [
        e.model_copy(update={"text": "x"}) if isinstance(e, ReasoningDelta) else e for e in events
    ]
    out = adapters.encode(redacted, provider="openai")
    assert b'"reasoning_content":"x","reasoning":"x"' in out


def test_empty_text_is_no_event() -> None:
    from pydantic import ValidationError

    for cls in (TextDelta, ReasoningDelta, adapters.RefusalDelta):
        with pytest.raises(ValidationError, match="never empty"):
            cls(text="")
    parts = [
        {"type": "text", "text": ""},
        {"type": "thinking", "thinking": [{"type": "text", "text": ""}]},
    ]
    data = (
        _chunk([_choice(role="assistant", content=parts)]) + _chunk([_choice(finish="stop")]) + DONE
    )
    events = _decode(data)
    assert [type(e) for e in events] == [StreamStart, ChoiceStart, Finish, End]
    assert adapters.encode(events, provider="openai") == data


def test_equal_logprobs_hash_alike() -> None:
    a = adapters.Logprobs(content=[{"token": "a", "logprob": -1}])
    b = adapters.Logprobs(content=[{"token": "a", "logprob": -1.0}])
    assert a == b
    assert hash(a) == hash(b)


def test_diagnostics_are_reported_also_when_decoding_fails() -> None:
    found: list[adapters.Diagnostic] = []
    data = _role_chunk().replace(b'""', b'"\xff"') + b"data: {bad\n\n"
    with pytest.raises(DecodeError):
        list(adapters.decode(data, diagnostics=found))
    assert [d.kind for d in found] == ["invalid_utf8"]


def test_close_twice_and_a_failed_decoder_on_read_frame() -> None:
    decoder = Decoder()
    events = decoder.feed(_role_chunk() + _chunk([_choice(finish="stop")]) + DONE)
    assert isinstance(events[-1], End)
    assert decoder.close() == []
    assert decoder.close() == []
    failed = Decoder()
    with pytest.raises(DecodeError) as first:
        failed.feed(b"data: nope\n\n")
    with pytest.raises(DecodeError) as again:
        failed.read_frame(decode_frames(_role_chunk())[0])
    assert again.value is first.value


def test_read_frame_takes_frames_from_other_framing() -> None:
    decoder = Decoder()
    events: list[Event] = []
    for frame in decode_frames(
        _role_chunk() + _chunk([_choice(content="hi", finish="stop")]) + DONE
    ):
        events += decoder.read_frame(frame)
    assert [type(e) for e in events] == [StreamStart, ChoiceStart, TextDelta, Finish, End]


def test_lone_surrogates_in_built_events_are_escaped_on_the_wire() -> None:
    events: list[Event] = [
        StreamStart(id="c", model="m", created=1),
        ChoiceStart(),
        TextDelta(text="a\ud800"),
        Finish(),
        End(),
    ]
    raw = adapters.encode(events, provider="openai")
    assert b"\\ud800" in raw
    assert _decode(raw) == events


def test_changed_error_request_id_is_written_in_place() -> None:
    data = _role_chunk() + b'data: {"error":{"message":"m","request_id":"r1"}}\n\n'
    events = _decode(data)
    assert events[-1] == ErrorEvent(message="m", request_id="r1")
    changed = [*events[:-1], events[-1].model_copy(update={"request_id": "r2"})]
    assert adapters.encode(changed, provider="openai") == data.replace(b"r1", b"r2")


def test_a_usage_only_frame_with_a_comment_keeps_the_comment_when_usage_moves() -> None:
    data = (
        _role_chunk()
        + _chunk([_choice(finish="stop")])
        + b": note\n"
        + _chunk([], usage={"prompt_tokens": 1})
        + DONE
    )
    events = _decode(data)
    moved = adapters.encode(events, provider="openai", include_usage=True)
    assert b": note\n\n" in moved
    assert [type(e) for e in _decode(moved)][-3:] == [adapters.Comment, Usage, End]


def test_include_usage_writes_one_usage_chunk_for_a_usage_repeated_after_the_end() -> None:
    """A decoded usage moved after [DONE] and repeated: include_usage=True wrote it
    twice (once taken by the end's frame); it should write one usage chunk."""
    path = (
        Path(__file__).parent.parent / "fixtures" / "openai" / "openai-python-logprobs-gpt-4o.sse"
    )
    events = list(adapters.decode(path))
    usage = next(e for e in events if isinstance(e, adapters.Usage))
    end = next(e for e in events if isinstance(e, adapters.End))
    body = [e for e in events if not isinstance(e, adapters.Usage | adapters.End)]
    raw = adapters.encode([*body, end, usage, usage], provider="openai", include_usage=True)
    again = list(adapters.decode(raw, provider="openai", strict=False))
    assert [e for e in again if isinstance(e, adapters.Usage)] == [usage]

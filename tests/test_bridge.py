"""Cross-format conversion: ``adapters.convert`` / ``Converter`` in both directions.

DashScope -> OpenAI is read back by the official ``openai`` SDK (served through
``httpx.MockTransport``, cut at awkward places); OpenAI -> DashScope is read
back by our DashScope reader, whose agreement with the official ``dashscope``
SDK is tested in test_dashscope_sdk.py. The expected side is always computed
from the source's own events, never written down. Every row of the table in
docs/convert.md has a test here.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adapters
from adapters import Converter, Dropped, EncodeError
from adapters.events import (
    ChoiceStart,
    Comment,
    End,
    ErrorEvent,
    Event,
    Finish,
    FunctionCallDelta,
    Passthrough,
    RefusalDelta,
    Resync,
    StreamStart,
    TextDelta,
    ToolCallDelta,
    UnknownFrame,
    Usage,
)
from adapters.testing.strategies import event_streams

from .support import split_at
from .test_openai_sdk import Seen, _cut, _sdk, accumulate, expected_from

FIXTURES = Path(__file__).parent.parent / "fixtures"
DASHSCOPE = sorted((FIXTURES / "dashscope").glob("*.sse"))
OPENAI = sorted((FIXTURES / "openai").glob("*.sse"))
#: Recordings with frames glued together by whoever recorded them.
GLUED = {"cnblogs-message-incremental-qwen-max", "cnblogs-reasoning-incremental-qwen-plus-latest"}


def _options(path: Path) -> dict[str, Any]:
    return {"split_glued": True} if path.stem in GLUED or "aliyun-docs" in path.stem else {}


def _without(seen: Seen, *names: str) -> dict[str, Any]:
    content = seen.content()
    for name in names:
        content.pop(name)
    return content


def _error(events: Sequence[Event]) -> ErrorEvent | None:
    errors = [event for event in events if isinstance(event, ErrorEvent)]
    return errors[-1] if errors else None


# ------------------------------------------------------------ DashScope -> OpenAI


@pytest.mark.parametrize("how", ["whole", "every7", "after-each-lf"])
@pytest.mark.parametrize("path", DASHSCOPE, ids=[p.stem for p in DASHSCOPE])
def test_dashscope_recordings_reach_the_openai_sdk(path: Path, how: str) -> None:
    source = list(adapters.decode(path, **_options(path)))
    data = adapters.convert(path, to="openai", model="qwen-test", **_options(path))
    outcome = _sdk(_cut(data, how))
    # Text, reasoning, tool calls (ids, names, arguments), finish reasons and
    # usage with cached and reasoning tokens: all that the recording said.
    assert accumulate(outcome.chunks).content() == expected_from(source).content()
    request_id = next((e.request_id for e in source if isinstance(e, StreamStart)), None)
    for chunk in outcome.chunks:
        assert (chunk.id, chunk.model, chunk.created) == (f"chatcmpl-{request_id}", "qwen-test", 0)
    error = _error(source)
    if error is None:
        assert outcome.error is None
    else:
        assert outcome.error is not None
        assert outcome.error.message == error.message
        body = outcome.error.body
        assert isinstance(body, dict)
        assert (body["code"], body["status_code"]) == (error.code, error.status)
        assert body["type"] == "invalid_request_error"  # from the 400 status


def test_dashscope_usage_is_one_last_chunk_without_choices() -> None:
    path = FIXTURES / "dashscope" / "cnblogs-mm-reasoning-parallel-toolcalls-qwen3-6-plus.sse"
    source = list(adapters.decode(path))
    usage = next(e for e in source if isinstance(e, Usage))
    for include_usage in (True, None):
        outcome = _sdk([adapters.convert(path, to="openai", include_usage=include_usage)])
        last = outcome.chunks[-1]
        assert last.choices == []
        assert last.usage is not None
        assert last.usage.prompt_tokens == usage.input_tokens
        assert last.usage.completion_tokens == usage.output_tokens
        details = last.usage.completion_tokens_details
        assert details is not None
        assert details.reasoning_tokens == usage.reasoning_tokens
        assert all(chunk.usage is None for chunk in outcome.chunks[:-1])
    outcome = _sdk([adapters.convert(path, to="openai", include_usage=False)])
    assert all(chunk.usage is None for chunk in outcome.chunks)


def test_cached_tokens_cross_over() -> None:
    events: list[Event] = [
        StreamStart(request_id="r"),
        ChoiceStart(),
        TextDelta(text="好"),
        Finish(reason="stop", raw_reason="stop"),
        Usage(input_tokens=9, output_tokens=1, total_tokens=10, cached_tokens=8),
        End(),
    ]
    data = adapters.encode(events, provider="dashscope")
    usage = _sdk([adapters.convert(data, to="openai")]).chunks[-1].usage
    assert usage is not None
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 8


@pytest.mark.parametrize(
    ("status", "sdk_type"),
    [(400, "invalid_request_error"), (401, "authentication_error"), (429, "rate_limit_error")],
)
def test_dashscope_error_after_text_raises_in_the_sdk_with_status_and_code(
    status: int, sdk_type: str
) -> None:
    events: list[Event] = [
        StreamStart(request_id="r-9"),
        ChoiceStart(),
        TextDelta(text="partial"),
        ErrorEvent(status=status, code="Throttling", message="slow down", request_id="r-9"),
    ]
    data = adapters.encode(events, provider="dashscope")
    outcome = _sdk(split_at(adapters.convert(data, to="openai"), range(5, 4000, 5)))
    assert accumulate(outcome.chunks).text == {0: "partial"}
    assert isinstance(outcome.error, openai.APIError)
    assert outcome.error.message == "slow down"
    body = outcome.error.body
    assert isinstance(body, dict)
    assert body == {
        "message": "slow down",
        "type": sdk_type,
        "param": None,
        "code": "Throttling",
        "status_code": status,
        "request_id": "r-9",
    }


@settings(max_examples=60, deadline=None)
@given(
    events=event_streams(provider="dashscope"),
    mode=st.sampled_from(["incremental", "cumulative"]),
    data=st.data(),
)
def test_dashscope_to_openai_keeps_what_both_carry(
    events: list[Event], mode: str, data: st.DataObject
) -> None:
    raw = adapters.encode(events, provider="dashscope", mode=mode)  # type: ignore[arg-type]
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=8))
    converted = adapters.convert(split_at(raw, sorted(cuts)), to="openai", mode=mode)
    back = list(adapters.decode(converted, provider="openai"))
    assert expected_from(back).content() == expected_from(events).content()
    error = _error(events)
    if error is not None:
        got = _error(back)
        assert got is not None
        assert (got.status, got.code, got.message) == (error.status, error.code, error.message)


# ------------------------------------------------------------ OpenAI -> DashScope


@pytest.mark.parametrize("mode", ["incremental", "cumulative"])
@pytest.mark.parametrize("path", OPENAI, ids=[p.stem for p in OPENAI])
def test_openai_recordings_become_dashscope_in_either_mode(path: Path, mode: str) -> None:
    source = list(adapters.decode(path))
    dropped: list[Dropped] = []
    data = adapters.convert(path, to="dashscope", output_mode=mode, dropped=dropped)
    back = list(adapters.decode(data, provider="dashscope", mode=mode))  # type: ignore[arg-type]
    # Refusals and legacy function calls have no DashScope form: reported as dropped.
    assert _without(expected_from(back), "refusal", "refusal_logprobs", "functions") == _without(
        expected_from(source), "refusal", "refusal_logprobs", "functions"
    )
    kinds = {loss.kind for loss in dropped}
    assert ("refusal" in kinds) == any(isinstance(e, RefusalDelta) for e in source)
    assert ("function_call" in kinds) == any(isinstance(e, FunctionCallDelta) for e in source)
    start = next(e for e in source if isinstance(e, StreamStart))
    assert all(
        json.loads(line[5:]).get("request_id") == (start.id or "").removeprefix("chatcmpl-")
        for line in data.decode().splitlines()
        if line.startswith("data:")
    )
    error = _error(source)
    if error is not None:
        got = _error(back)
        assert got is not None
        assert (got.code, got.message) == (error.code, error.message)


def _carried_by_dashscope(event: Event) -> bool:
    return not isinstance(event, RefusalDelta | FunctionCallDelta)


@settings(max_examples=60, deadline=None)
@given(events=event_streams(provider="openai"), mode=st.sampled_from(["incremental", "cumulative"]))
def test_openai_to_dashscope_keeps_what_both_carry(events: list[Event], mode: str) -> None:
    raw = adapters.encode(events, provider="openai")
    converted = adapters.convert(raw, to="dashscope", output_mode=mode)
    back = list(adapters.decode(converted, provider="dashscope", mode=mode, strict=False))  # type: ignore[arg-type]
    kept = [event for event in events if _carried_by_dashscope(event)]
    skip = ("refusal", "refusal_logprobs", "functions")
    assert _without(expected_from(back), *skip) == _without(expected_from(kept), *skip)


# ------------------------------------------------------------ facts one side lacks


def test_the_same_input_gives_the_same_bytes() -> None:
    path = DASHSCOPE[0]
    assert adapters.convert(path, to="openai", **_options(path)) == adapters.convert(
        path, to="openai", **_options(path)
    )


def test_clock_and_id_source_are_injectable() -> None:
    events: list[Event] = [StreamStart(), ChoiceStart(), TextDelta(text="x"), Finish(), End()]
    data = adapters.encode(events, provider="dashscope", request_id=None)
    ticks = iter([1700000000.9])
    out = adapters.convert(data, to="openai", clock=lambda: next(ticks), ids=lambda: "chatcmpl-x1")
    chunk = _sdk([out]).chunks[0]
    assert (chunk.id, chunk.created, chunk.model) == ("chatcmpl-x1", 1700000000, "unknown")


def test_arguments_win_over_the_streams_own_facts() -> None:
    path = OPENAI[0]
    out = adapters.convert(path, to="openai", id="chatcmpl-mine", model="m2", created=5)
    chunks = _sdk([out]).chunks
    assert {(c.id, c.model, c.created) for c in chunks} == {("chatcmpl-mine", "m2", 5)}
    first = next(e for e in adapters.decode(path) if isinstance(e, StreamStart))
    kept = _sdk([adapters.convert(path, to="openai")]).chunks[0]
    assert (kept.id, kept.model, kept.created) == (first.id, first.model, first.created)


def test_request_id_argument_reaches_every_dashscope_frame() -> None:
    out = adapters.convert(OPENAI[0], to="dashscope", request_id="req-7").decode()
    ids = {
        json.loads(line[5:])["request_id"] for line in out.splitlines() if line.startswith("data:")
    }
    assert ids == {"req-7"}


# ------------------------------------------------------------ streaming


def test_output_leaves_as_soon_as_the_first_frame_is_read() -> None:
    data = (
        FIXTURES / "dashscope" / "cnblogs-toolcalls-parallel-incremental-qwen-max.sse"
    ).read_bytes()
    first_frame_end = data.index(b"\n\n") + 2
    # A gateway knows the mode it asked for; "auto" would wait for a second frame.
    converter = Converter("openai", provider="dashscope", mode="incremental")
    out = converter.feed(data[:first_frame_end])
    assert out.startswith(b"data: {")
    assert out.endswith(b"\n\n")
    rest = converter.feed(data[first_frame_end:]) + converter.close()
    assert out + rest == adapters.convert(data, to="openai")


def test_iter_convert_yields_before_the_input_ends() -> None:
    data = (
        FIXTURES / "dashscope" / "cnblogs-toolcalls-parallel-incremental-qwen-max.sse"
    ).read_bytes()
    frames = [frame + b"\n\n" for frame in data.split(b"\n\n") if frame]
    pulled: list[int] = []

    def source() -> Any:
        for number, frame in enumerate(frames):
            pulled.append(number)
            yield frame

    pieces = adapters.iter_convert(source(), to="openai", mode="incremental")
    next(pieces)
    assert pulled == [0]
    auto = adapters.iter_convert(source(), to="openai")
    pulled.clear()
    next(auto)
    assert pulled == [0, 1]  # auto mode tells from the second frame


def test_aconvert_is_the_async_twin() -> None:
    path = DASHSCOPE[1]
    data = path.read_bytes()

    async def chunks() -> AsyncIterator[bytes]:
        for piece in split_at(data, range(3, len(data), 3)):
            await asyncio.sleep(0)
            yield piece

    async def run() -> bytes:
        return b"".join([piece async for piece in adapters.aconvert(chunks(), to="openai")])

    assert asyncio.run(run()) == adapters.convert(data, to="openai")


def test_an_error_in_the_input_comes_after_the_output_before_it() -> None:
    data = adapters.encode(
        [StreamStart(request_id="r"), ChoiceStart(), TextDelta(text="ok"), End()],
        provider="dashscope",
    )
    out: list[bytes] = []
    with pytest.raises(adapters.DecodeError) as caught:
        out.extend(adapters.iter_convert(data + b"id:9\nevent:result\ndata:{oops\n\n", to="openai"))
    assert caught.value.kind == "invalid_json"
    assert b'"content":"ok"' in b"".join(out)


def test_converter_rejects_an_unknown_target() -> None:
    with pytest.raises(ValueError, match="to must be"):
        Converter("xml")  # type: ignore[arg-type]


# ------------------------------------------------------------ what cannot be carried


def _losses(data: bytes, to: str, **options: Any) -> dict[str, Dropped]:
    dropped: list[Dropped] = []
    adapters.convert(data, to=to, dropped=dropped, **options)  # type: ignore[arg-type]
    return {loss.what: loss for loss in dropped}


def test_row_refusal_is_dropped_and_reported() -> None:
    path = FIXTURES / "openai" / "openai-python-refusal-gpt-4o.sse"
    refusals = [e for e in adapters.decode(path) if isinstance(e, RefusalDelta)]
    loss = _losses(path.read_bytes(), "dashscope")["refusal text"]
    assert (loss.kind, loss.count) == ("refusal", len(refusals))
    out = adapters.convert(path, to="dashscope")
    assert not any(isinstance(e, RefusalDelta) for e in adapters.decode(out))


def test_row_legacy_function_call_is_dropped_and_reported() -> None:
    events: list[Event] = [
        StreamStart(id="c", model="m", created=1),
        ChoiceStart(),
        FunctionCallDelta(name="f", arguments="{}"),
        Finish(reason="function_call", raw_reason="function_call"),
        End(),
    ]
    loss = _losses(adapters.encode(events, provider="openai"), "dashscope")
    assert loss["legacy function_call delta"].kind == "function_call"


def test_row_openai_only_chunk_keys_are_dropped_and_reported() -> None:
    path = FIXTURES / "openai" / "openai-python-text-usage-gpt-4o.sse"
    frames = sum(1 for line in path.read_bytes().splitlines() if b"system_fingerprint" in line)
    loss = _losses(path.read_bytes(), "dashscope")["system_fingerprint"]
    assert (loss.kind, loss.count, loss.frame) == ("field", frames, 0)
    assert b"system_fingerprint" not in adapters.convert(path, to="dashscope")


def test_row_search_info_and_usage_extras_are_dropped_and_reported() -> None:
    path = FIXTURES / "dashscope" / "cnblogs-search-info-qwen-plus.sse"
    losses = _losses(path.read_bytes(), "openai")
    assert losses["output.search_info"].kind == "field"
    assert "usage.plugins" in losses
    assert b"search_info" not in adapters.convert(path, to="openai")
    vl = FIXTURES / "dashscope" / "cnblogs-vl-list-content-qwen-vl-plus.sse"
    assert "usage.image_tokens" in _losses(vl.read_bytes(), "openai")


def test_row_known_keys_are_not_reported() -> None:
    path = FIXTURES / "dashscope" / "cnblogs-toolcalls-parallel-incremental-qwen-max.sse"
    assert _losses(path.read_bytes(), "openai") == {}
    assert _losses(path.read_bytes(), "dashscope") == {}  # same format: nothing lost


def test_row_unknown_frames_are_dropped_and_reported() -> None:
    data = adapters.encode(
        [StreamStart(request_id="r"), ChoiceStart(), TextDelta(text="a"), Finish(), End()],
        provider="dashscope",
    )
    odd = b"id:9\nevent:progress\ndata:{}\n\n"
    loss = _losses(odd + data, "openai")["event: progress"]
    assert loss.kind == "unknown_frame"
    out = adapters.convert(odd + data, to="openai")
    assert not any(isinstance(e, UnknownFrame) for e in adapters.decode(out))


def test_row_frames_that_say_nothing_are_dropped_and_reported() -> None:
    path = FIXTURES / "openai" / "pydantic-ai-openrouter-keepalive-midstream-error.sse"
    passthroughs = [e for e in adapters.decode(path) if isinstance(e, Passthrough)]
    assert passthroughs
    assert _losses(path.read_bytes(), "dashscope")["a frame that said nothing"].kind == (
        "passthrough"
    )


def test_row_resync_cannot_become_openai() -> None:
    snapshots = [b'"Hello"', b'"Help"']
    data = b"".join(
        b'id:%d\nevent:result\n:HTTP_STATUS/200\ndata:{"output":{"text":%s,'
        b'"finish_reason":"null"},"request_id":"r"}\n\n' % (n, text)
        for n, text in enumerate(snapshots, 1)
    )
    events = list(adapters.decode(data, mode="cumulative", on_mismatch="resync", strict=False))
    assert any(isinstance(e, Resync) for e in events)
    with pytest.raises(EncodeError) as caught:
        adapters.convert(data, to="openai", mode="cumulative", on_mismatch="resync", strict=False)
    assert caught.value.kind == "unencodable_event"


def test_row_error_status_and_code_survive_both_ways() -> None:
    error = ErrorEvent(status=429, code="Throttling.RateQuota", message="quota", request_id="r")
    ds = adapters.encode([StreamStart(request_id="r"), error], provider="dashscope")
    oai = adapters.convert(ds, to="openai")
    back = _error(list(adapters.decode(oai)))
    assert back is not None
    assert (back.status, back.code, back.message, back.error_type) == (
        429,
        "Throttling.RateQuota",
        "quota",
        "rate_limit_error",
    )
    again = _error(list(adapters.decode(adapters.convert(oai, to="dashscope"))))
    assert again is not None
    assert (again.status, again.code, again.message) == (429, "Throttling.RateQuota", "quota")


def test_row_tool_calls_keep_ids_names_and_arguments() -> None:
    events: list[Event] = [
        StreamStart(request_id="r"),
        ChoiceStart(),
        ToolCallDelta(index=0, id="call_a", name="get_weather", arguments='{"city":'),
        ToolCallDelta(index=1, id="call_b", name="get_time", arguments='{"tz":"Asia/Shanghai"}'),
        ToolCallDelta(index=0, arguments='"杭州"}'),
        Finish(reason="tool_calls", raw_reason="tool_calls"),
        End(),
    ]
    for mode in ("incremental", "cumulative"):
        raw = adapters.encode(events, provider="dashscope", mode=mode)
        seen = accumulate(_sdk([adapters.convert(raw, to="openai")]).chunks)
        assert {key: (c.ids, c.names, c.arguments) for key, c in seen.tools.items()} == {
            (0, 0): (["call_a"], ["get_weather"], '{"city":"杭州"}'),
            (0, 1): (["call_b"], ["get_time"], '{"tz":"Asia/Shanghai"}'),
        }
        assert seen.finish == {0: {"tool_calls"}}


def test_row_comments_are_kept_both_ways() -> None:
    events: list[Event] = [
        Comment(text=" keep-alive"),
        StreamStart(request_id="r"),
        ChoiceStart(),
        TextDelta(text="x"),
        Finish(),
        End(),
    ]
    ds = adapters.encode(events, provider="dashscope")
    oai = adapters.convert(ds, to="openai")
    assert oai.startswith(b": keep-alive\n\n")
    back = adapters.convert(oai, to="dashscope")
    assert [e for e in adapters.decode(back) if isinstance(e, Comment)] == [
        Comment(text=" keep-alive")
    ]


def test_row_list_content_keeps_its_text_only() -> None:
    path = FIXTURES / "dashscope" / "cnblogs-vl-list-content-qwen-vl-plus.sse"
    text = "".join(e.text for e in adapters.decode(path) if isinstance(e, TextDelta))
    chunks = _sdk([adapters.convert(path, to="openai")]).chunks
    assert accumulate(chunks).text == {0: text}
    assert all(isinstance(c.choices[0].delta.content, str | None) for c in chunks if c.choices)
    item = {"image_hw": [[1024, 768]]}
    frame = (
        b'id:1\nevent:result\n:HTTP_STATUS/200\ndata:{"output":{"choices":[{"message":'
        b'{"content":[%s,{"text":"dog"}],"role":"assistant"},"finish_reason":"stop"}]},'
        b'"request_id":"r"}\n\n' % json.dumps(item).encode()
    )
    loss = _losses(frame, "openai")["output.choices[].message.content[].image_hw"]
    assert (loss.kind, loss.frame, loss.count) == ("field", 0, 1)
    assert b"image_hw" not in adapters.convert(frame, to="openai")

"""The official ``openai`` SDK as a real client of what our OpenAI encoder writes.

Our bytes are served through ``httpx.MockTransport``, cut into awkward chunks,
to ``client.chat.completions.create(stream=True)`` (sync and async) and to the
SDK's own accumulator (``client.chat.completions.stream``). What the SDK builds
from its ``ChatCompletionChunk`` objects must be what our events say: the
expected side is always computed from the events, never written down.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import typing
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam
from openai.types.completion_usage import CompletionUsage

import adapters
from adapters.events import (
    ChoiceStart,
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
from adapters.openai import Encoder

from .support import decode as decode_frames
from .support import split_at

RECORDINGS = sorted((Path(__file__).parent.parent / "fixtures" / "openai").glob("*.sse"))
SMALLEST = min(RECORDINGS, key=lambda path: path.stat().st_size)
BASE_URL = "http://test.invalid/v1"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
#: The ``object`` every chunk carries, as the SDK's own type declares it.
(CHUNK_OBJECT,) = typing.get_args(ChatCompletionChunk.model_fields["object"].annotation)


# ------------------------------------------------------------------ serving bytes


class _Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: Sequence[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


class _AsyncChunks(httpx.AsyncByteStream):
    def __init__(self, chunks: Sequence[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            await asyncio.sleep(0)
            yield chunk


def _check_request(request: httpx.Request) -> None:
    assert request.method == "POST"
    assert request.url.path == "/v1/chat/completions"
    assert json.loads(request.content)["stream"] is True


def _transport(chunks: Sequence[bytes]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        _check_request(request)
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, stream=_Chunks(chunks))

    return httpx.MockTransport(handler)


def _async_transport(chunks: Sequence[bytes]) -> httpx.MockTransport:
    async def handler(request: httpx.Request) -> httpx.Response:
        await request.aread()
        _check_request(request)
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, stream=_AsyncChunks(chunks))

    return httpx.MockTransport(handler)


def _untyped(client: httpx.Client | httpx.AsyncClient) -> Any:
    """The SDK annotates ``http_client`` as ``httpx2.Client``, yet takes an ``httpx``
    client as well (``openai._httpx2.is_legacy_httpx_sync_client``)."""
    return client


def _client(chunks: Sequence[bytes]) -> openai.OpenAI:
    http = httpx.Client(transport=_transport(chunks))
    return openai.OpenAI(
        api_key="test", base_url=BASE_URL, http_client=_untyped(http), max_retries=0
    )


def _async_client(chunks: Sequence[bytes]) -> openai.AsyncOpenAI:
    http = httpx.AsyncClient(transport=_async_transport(chunks))
    return openai.AsyncOpenAI(
        api_key="test", base_url=BASE_URL, http_client=_untyped(http), max_retries=0
    )


@dataclass
class Outcome:
    """What the SDK yielded, and the error it raised after them (if any)."""

    chunks: list[ChatCompletionChunk]
    error: openai.APIError | None


def _sdk(chunks: Sequence[bytes]) -> Outcome:
    got: list[ChatCompletionChunk] = []
    with (
        _client(chunks) as client,
        client.chat.completions.create(model="m", messages=MESSAGES, stream=True) as stream,
    ):
        try:
            for chunk in stream:
                assert isinstance(chunk, ChatCompletionChunk)
                got.append(chunk)
        except openai.APIError as exc:
            return Outcome(got, exc)
    return Outcome(got, None)


async def _async_sdk(chunks: Sequence[bytes]) -> Outcome:
    got: list[ChatCompletionChunk] = []
    async with _async_client(chunks) as client:
        stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        async with stream:
            try:
                async for chunk in stream:
                    assert isinstance(chunk, ChatCompletionChunk)
                    got.append(chunk)
            except openai.APIError as exc:
                return Outcome(got, exc)
    return Outcome(got, None)


def _cut(data: bytes, how: str) -> list[bytes]:
    if how == "whole":
        return [data]
    if how == "every7":
        return split_at(data, range(7, len(data), 7))
    if how == "after-each-lf":  # every blank line that ends a frame arrives on its own
        return split_at(data, [i + 1 for i, byte in enumerate(data) if byte == 0x0A])
    assert how == "bytewise"
    return [data[i : i + 1] for i in range(len(data))]


# ------------------------------------------------------------------ accumulation


@dataclass
class Call:
    """One tool (or legacy function) call: every id and name sent, the arguments joined."""

    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    arguments: str = ""


@dataclass
class Seen:
    """What a client reading the stream ends up with, per choice."""

    roles: dict[int, set[str]] = field(default_factory=dict)
    text: dict[int, str] = field(default_factory=dict)
    refusal: dict[int, str] = field(default_factory=dict)
    reasoning: dict[int, str] = field(default_factory=dict)
    tools: dict[tuple[int, int], Call] = field(default_factory=dict)
    functions: dict[int, Call] = field(default_factory=dict)
    logprobs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    refusal_logprobs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    finish: dict[int, set[str]] = field(default_factory=dict)
    usage: tuple[int | None, ...] | None = None

    def content(self) -> dict[str, Any]:
        """Everything but the roles (the SDK's own accumulator does not keep them apart)."""
        return {
            "text": self.text,
            "refusal": self.refusal,
            "reasoning": self.reasoning,
            "tools": self.tools,
            "functions": self.functions,
            "logprobs": self.logprobs,
            "refusal_logprobs": self.refusal_logprobs,
            "finish": self.finish,
            "usage": self.usage,
        }


def _append(into: dict[int, str], choice: int, text: str | None) -> None:
    if text:
        into[choice] = into.get(choice, "") + text


def _extend(into: dict[int, list[dict[str, Any]]], choice: int, items: list[Any] | None) -> None:
    if items:
        into.setdefault(choice, []).extend(items)


def _add_call(call: Call, id: str | None, name: str | None, arguments: str | None) -> None:  # noqa: A002
    if id:
        call.ids.append(id)
    if name:
        call.names.append(name)
    call.arguments += arguments or ""


def expected_from(events: Iterable[Event]) -> Seen:
    """What our events say a client should see."""
    seen = Seen()
    for event in events:
        match event:
            case ChoiceStart():
                seen.roles.setdefault(event.choice, set()).add(event.role)
            case TextDelta():
                _append(seen.text, event.choice, event.text)
            case RefusalDelta():
                _append(seen.refusal, event.choice, event.text)
            case ReasoningDelta():
                _append(seen.reasoning, event.choice, event.text)
            case ToolCallDelta():
                call = seen.tools.setdefault((event.choice, event.index), Call())
                _add_call(call, event.id, event.name, event.arguments)
            case FunctionCallDelta():
                call = seen.functions.setdefault(event.choice, Call())
                _add_call(call, None, event.name, event.arguments)
            case Logprobs():
                _extend(seen.logprobs, event.choice, event.content)
                _extend(seen.refusal_logprobs, event.choice, event.refusal)
            case Finish():
                seen.finish.setdefault(event.choice, set()).add(event.raw_reason)
            case Usage():
                seen.usage = (
                    event.input_tokens,
                    event.output_tokens,
                    event.total_tokens,
                    event.cached_tokens,
                    event.reasoning_tokens,
                )
            case _:
                pass
    return seen


def _usage(usage: CompletionUsage) -> tuple[int | None, ...]:
    prompt, completion = usage.prompt_tokens_details, usage.completion_tokens_details
    return (
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.total_tokens,
        prompt.cached_tokens if prompt is not None else None,
        completion.reasoning_tokens if completion is not None else None,
    )


def _reasoning(model: Any) -> str | None:
    """``reasoning_content`` (DeepSeek, vLLM) or ``reasoning`` (Groq, OpenRouter): SDK extras."""
    extra: dict[str, Any] = model.model_extra or {}
    value = extra.get("reasoning_content") or extra.get("reasoning")
    assert value is None or isinstance(value, str)
    return value


def accumulate(chunks: Iterable[ChatCompletionChunk]) -> Seen:
    """What the SDK's chunk objects add up to."""
    seen = Seen()
    for chunk in chunks:
        for choice in chunk.choices:
            index, delta = choice.index, choice.delta
            if delta.role is not None:
                seen.roles.setdefault(index, set()).add(delta.role)
            _append(seen.text, index, delta.content)
            _append(seen.refusal, index, delta.refusal)
            _append(seen.reasoning, index, _reasoning(delta))
            if delta.function_call is not None:
                function = delta.function_call
                call = seen.functions.setdefault(index, Call())
                _add_call(call, None, function.name, function.arguments)
            for tool in delta.tool_calls or ():
                call = seen.tools.setdefault((index, tool.index), Call())
                function_ = tool.function
                name = function_.name if function_ is not None else None
                arguments = function_.arguments if function_ is not None else None
                _add_call(call, tool.id, name, arguments)
            if choice.logprobs is not None:
                content, refusal = choice.logprobs.content, choice.logprobs.refusal
                _extend(seen.logprobs, index, [t.to_dict() for t in content or ()])
                _extend(seen.refusal_logprobs, index, [t.to_dict() for t in refusal or ()])
            if choice.finish_reason is not None:
                seen.finish.setdefault(index, set()).add(choice.finish_reason)
        if chunk.usage is not None:
            seen.usage = _usage(chunk.usage)
    return seen


def _frame_of(event: Event) -> Any:
    """The decoded frame an event came from (the reader's ``wire`` layout), if any."""
    layout = (event.wire or {}).get("openai")
    return layout.get("frame") if isinstance(layout, dict) else None


def split_at_error(events: Sequence[Event]) -> tuple[list[Event], ErrorEvent | None]:
    """The events a client sees before an error aborts the stream, and the error.

    The SDK raises on the chunk that holds the error, so events that shared the
    error's frame (OpenRouter puts usage next to its ``error`` key) never reach it.
    """
    for position, event in enumerate(events):
        if isinstance(event, ErrorEvent):
            frame = _frame_of(event)
            before = list(events[:position])
            while frame is not None and before and _frame_of(before[-1]) == frame:
                before.pop()
            return before, event
    return list(events), None


def payloads(data: bytes) -> list[dict[str, Any]]:
    """The JSON chunks a client should yield: every data frame before ``[DONE]`` or an error."""
    out: list[dict[str, Any]] = []
    for frame in decode_frames([data]):
        if frame.data is None:
            continue
        if frame.data == "[DONE]":
            break
        chunk = json.loads(frame.data)
        if chunk.get("error"):
            break
        out.append(chunk)
    return out


def check_error(error: openai.APIError | None, event: ErrorEvent) -> None:
    assert error is not None, "the SDK did not raise on the error frame"
    assert event.message
    assert error.message == event.message
    assert isinstance(error.body, dict)
    assert error.body.get("code") == event.code
    assert error.body.get("type") == event.error_type


def check_outcome(outcome: Outcome, data: bytes, events: Sequence[Event]) -> None:
    """The SDK parsed every chunk we wrote, and they add up to what the events say."""
    before, error_event = split_at_error(events)
    assert [chunk.to_dict() for chunk in outcome.chunks] == payloads(data)
    assert all(chunk.object == CHUNK_OBJECT for chunk in outcome.chunks)
    starts = [event for event in events if isinstance(event, StreamStart)]
    if starts and outcome.chunks:
        first = outcome.chunks[0]
        assert (first.id, first.model, first.created) == (
            starts[0].id,
            starts[0].model,
            starts[0].created,
        )
    assert accumulate(outcome.chunks) == expected_from(before)
    if error_event is None:
        assert outcome.error is None, outcome.error
    else:
        check_error(outcome.error, error_event)


# ------------------------------------------------------------------ 1. recordings


def _recording_cases() -> Iterator[Any]:
    for path in RECORDINGS:
        cuts = ["whole", "every7", "after-each-lf"] + (["bytewise"] if path == SMALLEST else [])
        for how in cuts:
            yield pytest.param(path, how, id=f"{path.stem}-{how}")


@pytest.mark.parametrize("wire", [True, False], ids=["put-back", "canonical"])
@pytest.mark.parametrize(("path", "how"), list(_recording_cases()))
def test_sdk_reads_every_recording_reencoded(path: Path, how: str, wire: bool) -> None:
    # wire=True re-encodes the recorded frames; wire=False drops the layout, so
    # the canonical writer writes each event as OpenAI would.
    events = list(adapters.decode(path, provider="openai", wire=wire))
    data = adapters.encode(events, provider="openai")
    chunks = _cut(data, how)
    if how != "whole":
        assert len(chunks) > 1
    outcome = _sdk(chunks)
    assert outcome.chunks, "the SDK yielded nothing"
    check_outcome(outcome, data, events)


def test_the_recordings_cover_what_the_sdk_accumulates() -> None:
    """Test 1 is only as strong as its inputs: each kind of content occurs somewhere."""
    kinds: set[type[Any]] = set()
    for path in RECORDINGS:
        kinds |= {type(event) for event in adapters.decode(path, provider="openai")}
    wanted = {TextDelta, RefusalDelta, ReasoningDelta, ToolCallDelta, Logprobs, Usage, ErrorEvent}
    assert wanted <= kinds
    # and at least one recording has several choices
    assert any(
        len({e.choice for e in adapters.decode(path, provider="openai") if e.type == "finish"}) > 1
        for path in RECORDINGS
    )


# ------------------------------------------------------------------ 2. built by hand


def _hand_built(*, usage_last: bool = True) -> list[Event]:
    """Two choices: text and two interleaved tool calls in fragments; reasoning, text and
    a refusal; then usage. No wire layout, so the canonical writer writes it all."""
    tool_args = ['{"ci', 'ty": "Pa', 'ris"}']
    other_args = ["", '{"city"', ': "Lyon"', "}"]
    events: list[Event] = [
        StreamStart(id="chatcmpl-hand", model="gpt-hand", created=1_700_000_000),
        ChoiceStart(choice=0),
        ChoiceStart(choice=1),
        ReasoningDelta(choice=1, text="The user greets; "),
        ReasoningDelta(choice=1, text="answer in French."),
        TextDelta(choice=0, text="Let me check "),
        TextDelta(choice=1, text="Bonjour"),
        TextDelta(choice=0, text="the weather."),
        ToolCallDelta(choice=0, index=0, id="call_a", name="get_weather"),
        ToolCallDelta(choice=0, index=1, id="call_b", name="get_weather"),
    ]
    for pair in itertools.zip_longest(tool_args, other_args):  # the two calls interleave
        events += [
            ToolCallDelta(choice=0, index=index, arguments=arguments)
            for index, arguments in enumerate(pair)
            if arguments is not None
        ]
    events += [TextDelta(choice=1, text=" à tous ✨"), RefusalDelta(choice=1, text="…no")]
    usage = Usage(
        input_tokens=31, output_tokens=17, total_tokens=48, cached_tokens=8, reasoning_tokens=3
    )
    finishes: list[Event] = [Finish(choice=0, reason="tool_calls"), Finish(choice=1, reason="stop")]
    events += [*finishes, usage] if usage_last else [usage, *finishes]
    events.append(End())
    return events


@pytest.mark.parametrize("how", ["whole", "every7", "bytewise"])
def test_sdk_reads_hand_built_events(how: str) -> None:
    events = _hand_built()
    assert all(event.wire is None for event in events)
    data = adapters.encode(events, provider="openai")
    outcome = _sdk(_cut(data, how))
    check_outcome(outcome, data, events)
    seen = accumulate(outcome.chunks)
    # the scenario really has what it claims
    assert len(seen.tools) == 2
    assert set(seen.text) == {0, 1}
    assert all(len(call.ids) == 1 for call in seen.tools.values())


def test_include_usage_puts_usage_in_a_last_chunk_without_choices() -> None:
    events = _hand_built(usage_last=False)  # usage given before the finishes
    usage = next(event for event in events if isinstance(event, Usage))
    data = adapters.encode(events, provider="openai", include_usage=True)
    outcome = _sdk(_cut(data, "every7"))
    check_outcome(outcome, data, events)
    last = outcome.chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert _usage(last.usage) == expected_from([usage]).usage
    assert all(chunk.usage is None for chunk in outcome.chunks[:-1])


def test_include_usage_false_leaves_usage_out() -> None:
    events = _hand_built()
    outcome = _sdk([adapters.encode(events, provider="openai", include_usage=False)])
    assert outcome.error is None
    assert all(chunk.usage is None for chunk in outcome.chunks)
    without_usage = [event for event in events if not isinstance(event, Usage)]
    assert accumulate(outcome.chunks) == expected_from(without_usage)


def test_encoder_defaults_identify_chunks_without_a_stream_start() -> None:
    events = [event for event in _hand_built() if not isinstance(event, StreamStart)]
    ident = ("chatcmpl-default", "gpt-default", 1_234_567)
    data = Encoder(id=ident[0], model=ident[1], created=ident[2]).encode_all(events)
    outcome = _sdk(_cut(data, "every7"))
    check_outcome(outcome, data, events)
    assert {(c.id, c.model, c.created) for c in outcome.chunks} == {ident}


# ------------------------------------------------------------------ 3. errors


def test_error_event_mid_stream_raises_api_error_after_earlier_chunks() -> None:
    events: list[Event] = [
        StreamStart(id="chatcmpl-err", model="m", created=1),
        ChoiceStart(),
        TextDelta(text="partial "),
        TextDelta(text="answer"),
        ErrorEvent(message="boom", code="server_error", error_type="server_error"),
        TextDelta(text="never seen"),
        Finish(),
        End(),
    ]
    data = adapters.encode(events, provider="openai")
    for how in ("whole", "every7"):
        outcome = _sdk(_cut(data, how))
        assert isinstance(outcome.error, openai.APIError)
        assert outcome.error.message == "boom"
        assert isinstance(outcome.error.body, dict)
        assert outcome.error.body["code"] == "server_error"
        assert outcome.error.body["type"] == "server_error"
        assert outcome.error.code == "server_error"
        assert outcome.error.type == "server_error"
        assert accumulate(outcome.chunks) == expected_from(events[:4])
        assert len(outcome.chunks) == 3  # role, two texts


# ------------------------------------------------------------------ 4. async client


@pytest.mark.parametrize("path", RECORDINGS, ids=[path.stem for path in RECORDINGS])
def test_async_client_accumulates_like_the_sync_one(path: Path) -> None:
    events = list(adapters.decode(path, provider="openai"))
    data = adapters.encode(events, provider="openai")
    chunks = _cut(data, "every7")
    sync = _sdk(chunks)
    got = asyncio.run(_async_sdk(chunks))
    assert [c.to_dict() for c in got.chunks] == [c.to_dict() for c in sync.chunks]
    assert accumulate(got.chunks) == accumulate(sync.chunks)
    assert (got.error is None) == (sync.error is None)
    if got.error is not None and sync.error is not None:
        assert (got.error.message, got.error.body) == (sync.error.message, sync.error.body)
    check_outcome(got, data, events)


# ------------------------------------------------------------------ 5. the SDK's accumulator


def _from_completion(completion: Any) -> Seen:
    """A ``ChatCompletion``-shaped snapshot from ``openai.lib.streaming``, as :class:`Seen`."""
    seen = Seen()
    for choice in completion.choices:
        index, message = choice.index, choice.message
        _append(seen.text, index, message.content)
        _append(seen.refusal, index, message.refusal)
        _append(seen.reasoning, index, _reasoning(message))
        if message.function_call is not None:
            function = message.function_call
            _add_call(
                seen.functions.setdefault(index, Call()), None, function.name, function.arguments
            )
        # The accumulator merges tool-call fragments into list slots by their index.
        for position, tool in enumerate(message.tool_calls or ()):
            call = seen.tools.setdefault((index, position), Call())
            _add_call(call, tool.id, tool.function.name, tool.function.arguments)
        if choice.logprobs is not None:
            content, refusal = choice.logprobs.content, choice.logprobs.refusal
            _extend(seen.logprobs, index, [t.to_dict() for t in content or ()])
            _extend(seen.refusal_logprobs, index, [t.to_dict() for t in refusal or ()])
        if choice.finish_reason:
            seen.finish[index] = {choice.finish_reason}
    if completion.usage is not None:
        seen.usage = _usage(completion.usage)
    return seen


def check_stream_helper(data: bytes, events: Sequence[Event]) -> None:
    """``client.chat.completions.stream`` (``ChatCompletionStreamState`` underneath)."""
    before, error_event = split_at_error(events)
    expected = expected_from(before).content()
    error: openai.APIError | None = None
    with (
        _client(_cut(data, "every7")) as client,
        client.chat.completions.stream(model="m", messages=MESSAGES) as stream,
    ):
        try:
            for _ in stream:
                pass
        except openai.APIError as exc:
            error = exc
        assert _from_completion(stream.current_completion_snapshot).content() == expected
        if error_event is None:
            assert error is None, error
            assert _from_completion(stream.get_final_completion()).content() == expected
        else:
            check_error(error, error_event)


@pytest.mark.parametrize("path", RECORDINGS, ids=[path.stem for path in RECORDINGS])
def test_sdk_stream_helper_accumulates_what_the_recordings_say(path: Path) -> None:
    events = list(adapters.decode(path, provider="openai", wire=False))
    check_stream_helper(adapters.encode(events, provider="openai"), events)


def test_sdk_stream_helper_accumulates_hand_built_events() -> None:
    events = _hand_built()
    check_stream_helper(adapters.encode(events, provider="openai"), events)

"""``adapters.httpx``: the official ``openai`` SDK in front of DashScope native.

The upstream is ``httpx.MockTransport`` replaying recorded DashScope bytes (or
our encoding of a recording in the other mode), cut at random places; the
client is an unmodified ``openai.OpenAI`` / ``AsyncOpenAI`` whose
``http_client`` has our transport. What the SDK accumulates must be what the
recording says (computed from the recording's events, never written down).
The reverse direction, the ``dashscope`` SDK in front of an OpenAI-compatible
upstream, is in test_gateway.py.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam

import adapters
from adapters.events import ErrorEvent, Event, StreamStart, TextDelta, Usage
from adapters.httpx import (
    AsyncDashScopeTransport,
    DashScopeTransport,
    aiter_events,
    detect_response_provider,
    iter_events,
)
from adapters.testing.strategies import event_streams

from .support import split_at
from .test_openai_sdk import Seen, accumulate, expected_from

FIXTURES = Path(__file__).parent.parent / "fixtures" / "dashscope"
#: What a live DashScope endpoint sends: recordings kept whole. (The glued
#: recordings and the documentation example with elided frames are not.)
LIVE = sorted(
    path
    for path in FIXTURES.glob("*.sse")
    if path.stem
    not in {
        "cnblogs-message-incremental-qwen-max",
        "cnblogs-reasoning-incremental-qwen-plus-latest",
        "aliyun-docs-farui-plus-cumulative-message",
    }
)
BASE_URL = "https://dashscope.test/api/v1"
GENERATION = "/api/v1/services/aigc/text-generation/generation"
MULTIMODAL = "/api/v1/services/aigc/multimodal-generation/generation"
SSE = {"content-type": "text/event-stream;charset=UTF-8"}
USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "你好"}]
NOW = 1767225600


def _random_cuts(data: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    cuts, at = [], 0
    while at < len(data):
        at += rng.randint(1, 40)
        cuts.append(at)
    return [piece for piece in split_at(data, cuts) if piece]


class _Replay(httpx.SyncByteStream):
    def __init__(self, chunks: Sequence[bytes], pulled: list[int] | None = None) -> None:
        self.chunks = chunks
        self.pulled = pulled

    def __iter__(self) -> Iterator[bytes]:
        for number, chunk in enumerate(self.chunks):
            if self.pulled is not None:
                self.pulled.append(number)
            yield chunk


class _AsyncReplay(httpx.AsyncByteStream):
    def __init__(self, chunks: Sequence[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            await asyncio.sleep(0)
            yield chunk


class Upstream:
    """A DashScope stand-in: records each request, answers with given bytes."""

    def __init__(
        self,
        data: bytes = b"",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        seed: int = 0,
        pulled: list[int] | None = None,
    ) -> None:
        self.data = data
        self.status = status
        self.headers = SSE if headers is None else headers
        self.seed = seed
        self.pulled = pulled
        self.requests: list[httpx.Request] = []

    def body(self, number: int = -1) -> Any:
        return json.loads(self.requests[number].content)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        chunks = _random_cuts(self.data, self.seed)
        return httpx.Response(
            self.status, headers=self.headers, stream=_Replay(chunks, self.pulled)
        )

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        chunks = _random_cuts(self.data, self.seed)
        return httpx.Response(self.status, headers=self.headers, stream=_AsyncReplay(chunks))


def _untyped(client: httpx.Client | httpx.AsyncClient) -> Any:
    return client  # the SDK's annotation names its own httpx fork; it takes httpx's


def _client(upstream: Upstream, **options: Any) -> openai.OpenAI:
    transport = DashScopeTransport(
        httpx.MockTransport(upstream), clock=lambda: NOW + 0.75, **options
    )
    http = httpx.Client(transport=transport)
    return openai.OpenAI(
        api_key="sk-test", base_url=BASE_URL, http_client=_untyped(http), max_retries=0
    )


def _stream(
    client: openai.OpenAI, model: str = "qwen-plus", **extra: Any
) -> list[ChatCompletionChunk]:
    with client.chat.completions.create(
        model=model, messages=USER, stream=True, stream_options={"include_usage": True}, **extra
    ) as stream:
        return list(stream)


def _expected(path_or_data: Path | bytes, mode: str = "auto") -> tuple[Seen, list[Event]]:
    events = list(adapters.decode(path_or_data, provider="dashscope", mode=mode))  # type: ignore[arg-type]
    return expected_from(events), events


# ------------------------------------------------------------ streaming


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("path", LIVE, ids=[p.stem for p in LIVE])
def test_the_openai_sdk_reads_dashscope_recordings_through_the_transport(
    path: Path, seed: int
) -> None:
    seen, events = _expected(path)
    upstream = Upstream(path.read_bytes(), seed=seed)
    client = _client(upstream)
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    if errors and not any(isinstance(e, TextDelta) for e in events):
        # The whole stream is an error: the SDK raises its matching exception.
        with pytest.raises(openai.BadRequestError) as caught:
            _stream(client)
        assert caught.value.status_code == errors[0].status
        assert caught.value.code == errors[0].code
        assert caught.value.message.endswith(errors[0].message or "")
        return
    chunks = _stream(client)
    assert accumulate(chunks).content() == seen.content()
    request_id = next(e.request_id for e in events if isinstance(e, StreamStart))
    assert {(c.id, c.model, c.created) for c in chunks} == {
        (f"chatcmpl-{request_id}", "qwen-plus", NOW)
    }
    # What went upstream: the native path, the SSE headers, deltas asked for.
    sent = upstream.requests[0]
    assert sent.url == BASE_URL.removesuffix("/api/v1") + GENERATION
    assert sent.headers["x-dashscope-sse"] == "enable"
    assert sent.headers["accept"] == "text/event-stream"
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert upstream.body()["parameters"]["incremental_output"] is True
    assert upstream.body()["input"]["messages"] == [{"role": "user", "content": "你好"}]


SAYING = [
    path for path in LIVE if b'"text"' in path.read_bytes() or b"content" in path.read_bytes()
]


@pytest.mark.parametrize("path", SAYING, ids=[p.stem for p in SAYING])
def test_cumulative_output_asked_for_is_diffed_back(path: Path) -> None:
    events = list(adapters.decode(path))
    cumulative = adapters.encode(events, provider="dashscope", mode="cumulative")
    upstream = Upstream(cumulative, seed=5)
    chunks = _stream(_client(upstream, incremental_output=False))
    assert upstream.body()["parameters"]["incremental_output"] is False
    assert accumulate(chunks).content() == expected_from(events).content()


@settings(max_examples=40, deadline=None)
@given(events=event_streams(provider="dashscope"), seed=st.integers(0, 2**16))
def test_generated_streams_reach_the_sdk_whatever_the_cuts(events: list[Event], seed: int) -> None:
    data = adapters.encode(events, provider="dashscope")
    upstream = Upstream(data, seed=seed)
    said = [e for e in events if not isinstance(e, StreamStart)]
    first_error = bool(said) and isinstance(said[0], ErrorEvent)
    error = next((e for e in events if isinstance(e, ErrorEvent)), None)
    if error is None:
        chunks = _stream(_client(upstream))
        assert accumulate(chunks).content() == expected_from(events).content()
        return
    # The whole stream an error: an HTTP error; else raised mid-stream.
    expected = openai.APIStatusError if first_error else openai.APIError
    with pytest.raises(expected) as caught:
        _stream(_client(upstream))
    raised = caught.value
    if first_error:
        assert isinstance(raised, openai.APIStatusError)
        assert raised.status_code == (error.status if (error.status or 0) >= 400 else 500)
    elif error.message:  # (else the SDK says a message of its own)
        assert raised.message == error.message
    assert isinstance(raised.body, dict)
    assert raised.body["code"] == error.code


def test_the_first_chunk_reaches_the_client_before_the_second_frame_is_read() -> None:
    path = FIXTURES / "cnblogs-toolcalls-parallel-incremental-qwen-max.sse"
    frames = [frame + b"\n\n" for frame in path.read_bytes().split(b"\n\n") if frame.strip()]
    pulled: list[int] = []
    got: list[tuple[int, int]] = []  # (chunks the client had, upstream chunks pulled)

    class Frames(Upstream):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return httpx.Response(200, headers=SSE, stream=_Replay(frames, pulled))

    with _client(Frames()).chat.completions.create(
        model="qwen-max", messages=USER, stream=True
    ) as stream:
        for number, _chunk in enumerate(stream, 1):
            got.append((number, len(pulled)))
    # The first chunk (the role) and the first tool call fragment came from
    # frame 1 alone; no frame was read ahead of what the client had asked for.
    assert got[0] == (1, 1)
    assert all(pulled_ <= number for number, pulled_ in got)


def test_usage_is_left_out_unless_asked_for() -> None:
    path = FIXTURES / "cnblogs-text-incremental-qwen-max.sse"
    client = _client(Upstream(path.read_bytes()))
    with client.chat.completions.create(model="qwen-max", messages=USER, stream=True) as stream:
        chunks = list(stream)
    assert all(chunk.usage is None for chunk in chunks)
    with_usage = _stream(client)
    assert with_usage[-1].choices == []
    assert with_usage[-1].usage is not None


def test_a_multimodal_model_goes_to_the_multimodal_endpoint() -> None:
    path = FIXTURES / "cnblogs-vl-list-content-qwen-vl-plus.sse"
    upstream = Upstream(path.read_bytes())
    messages: list[ChatCompletionMessageParam] = [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": "https://example.invalid/dog.png"}},
                {"type": "text", "text": "这是什么"},
            ],
        }
    ]
    with _client(upstream).chat.completions.create(
        model="qwen-vl-plus", messages=messages, stream=True
    ) as stream:
        chunks = list(stream)
    assert upstream.requests[0].url.path == MULTIMODAL
    assert upstream.body()["input"]["messages"][0]["content"] == [
        {"image": "https://example.invalid/dog.png"},
        {"text": "这是什么"},
    ]
    assert accumulate(chunks).text == expected_from(list(adapters.decode(path))).text


# ------------------------------------------------------------ errors


def _native_error(status: int, code: str, message: str) -> bytes:
    body = json.dumps({"code": code, "message": message, "request_id": "rq-1"})
    return f"id:1\nevent:error\n:HTTP_STATUS/{status}\ndata:{body}\n\n".encode()


@pytest.mark.parametrize(
    ("status", "code", "exception"),
    [
        (400, "InvalidParameter", openai.BadRequestError),
        (401, "InvalidApiKey", openai.AuthenticationError),
        (403, "AccessDenied", openai.PermissionDeniedError),
        (404, "ModelNotFound", openai.NotFoundError),
        (429, "Throttling.RateQuota", openai.RateLimitError),
        (500, "InternalError", openai.InternalServerError),
    ],
)
@pytest.mark.parametrize("http_status", ["same", "200"])
def test_an_error_stream_raises_the_matching_openai_exception(
    status: int, code: str, exception: type[openai.APIStatusError], http_status: str
) -> None:
    upstream = Upstream(
        _native_error(status, code, "说明"), status=status if http_status == "same" else 200
    )
    with pytest.raises(exception) as caught:
        _stream(_client(upstream))
    assert caught.value.status_code == status
    assert caught.value.code == code
    assert "说明" in caught.value.message
    assert caught.value.body == {
        "message": "说明",
        "type": caught.value.type,
        "param": None,
        "code": code,
    }


@pytest.mark.parametrize(
    ("status", "exception"),
    [
        (401, openai.AuthenticationError),
        (429, openai.RateLimitError),
        (400, openai.BadRequestError),
    ],
)
@pytest.mark.parametrize("stream", [True, False])
def test_a_json_error_answer_raises_the_matching_openai_exception(
    status: int, exception: type[openai.APIStatusError], stream: bool
) -> None:
    body = json.dumps({"code": "Code", "message": "why", "request_id": "rq"}).encode()
    upstream = Upstream(body, status=status, headers={"content-type": "application/json"})
    with pytest.raises(exception) as caught:
        _client(upstream).chat.completions.create(model="qwen-plus", messages=USER, stream=stream)
    assert (caught.value.status_code, caught.value.code) == (status, "Code")


def test_an_error_after_content_is_raised_mid_stream() -> None:
    events: list[Event] = [
        StreamStart(request_id="r"),
        TextDelta(text="部分"),
        ErrorEvent(status=500, code="InternalError", message="boom", request_id="r"),
    ]
    upstream = Upstream(adapters.encode(events, provider="dashscope"))
    got: list[ChatCompletionChunk] = []
    with (
        pytest.raises(openai.APIError) as caught,
        _client(upstream).chat.completions.create(
            model="qwen-plus", messages=USER, stream=True
        ) as stream,
    ):
        got.extend(stream)
    assert caught.value.message == "boom"
    assert accumulate(got).text == {0: "部分"}


# ------------------------------------------------------------ non-streaming


def test_a_non_streaming_request_gets_a_chat_completion() -> None:
    answer = {
        "output": {
            "choices": [
                {
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": "",
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "index": 0,
                                "function": {"name": "get_weather", "arguments": '{"city":"杭州"}'},
                            }
                        ],
                    },
                }
            ]
        },
        "usage": {
            "input_tokens": 20,
            "output_tokens": 5,
            "total_tokens": 25,
            "prompt_tokens_details": {"cached_tokens": 16},
        },
        "request_id": "rq-2",
    }
    upstream = Upstream(json.dumps(answer).encode(), headers={"content-type": "application/json"})
    completion = _client(upstream).chat.completions.create(
        model="qwen-plus", messages=USER, temperature=0.2, max_tokens=64
    )
    sent = upstream.requests[0]
    assert "x-dashscope-sse" not in sent.headers
    parameters = upstream.body()["parameters"]
    assert "incremental_output" not in parameters  # DashScope rejects it without streaming
    assert (parameters["temperature"], parameters["max_tokens"]) == (0.2, 64)
    assert completion.id == "chatcmpl-rq-2"
    assert completion.created == NOW
    assert completion.model == "qwen-plus"
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert (call.id, call.function.name, call.function.arguments) == (
        "call_1",
        "get_weather",
        '{"city":"杭州"}',
    )
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (20, 5)
    assert completion.usage.prompt_tokens_details is not None
    assert completion.usage.prompt_tokens_details.cached_tokens == 16


def test_other_requests_pass_through_unchanged() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"object": "list", "data": []})

    http = httpx.Client(transport=DashScopeTransport(httpx.MockTransport(handler)))
    client = openai.OpenAI(api_key="k", base_url=BASE_URL, http_client=_untyped(http))
    assert list(client.models.list()) == []
    assert seen[0].url == BASE_URL + "/models"


def test_the_default_wrapped_transport_is_plain_http() -> None:
    transport = DashScopeTransport()
    assert isinstance(transport._transport, httpx.HTTPTransport)
    transport.close()


# ------------------------------------------------------------ async


def test_async_openai_reads_through_the_async_transport() -> None:
    path = FIXTURES / "cnblogs-mm-reasoning-parallel-toolcalls-qwen3-6-plus.sse"
    upstream = Upstream(path.read_bytes(), seed=9)

    async def run() -> list[ChatCompletionChunk]:
        transport = AsyncDashScopeTransport(
            httpx.MockTransport(upstream.handle_async), clock=lambda: NOW
        )
        async with openai.AsyncOpenAI(
            api_key="sk-test",
            base_url=BASE_URL,
            http_client=_untyped(httpx.AsyncClient(transport=transport)),
            max_retries=0,
        ) as client:
            stream = await client.chat.completions.create(
                model="qwen3.6-plus",
                messages=USER,
                stream=True,
                stream_options={"include_usage": True},
            )
            return [chunk async for chunk in stream]

    chunks = asyncio.run(run())
    assert accumulate(chunks).content() == expected_from(list(adapters.decode(path))).content()


def test_async_errors_raise_the_matching_exception() -> None:
    upstream = Upstream(_native_error(429, "Throttling", "slow"), status=429)

    async def run() -> None:
        transport = AsyncDashScopeTransport(httpx.MockTransport(upstream.handle_async))
        async with openai.AsyncOpenAI(
            api_key="k",
            base_url=BASE_URL,
            http_client=_untyped(httpx.AsyncClient(transport=transport)),
            max_retries=0,
        ) as client:
            await client.chat.completions.create(model="qwen-plus", messages=USER, stream=True)

    with pytest.raises(openai.RateLimitError):
        asyncio.run(run())


# ------------------------------------------------------------ iter_events


def _response(
    data: bytes, path: str, status: int = 200, headers: dict[str, str] | None = None
) -> httpx.Response:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers or SSE, stream=_Replay(_random_cuts(data, 3)))

    client = httpx.Client(transport=httpx.MockTransport(handler))
    return client.send(client.build_request("POST", "https://h.test" + path), stream=True)


def test_iter_events_reads_both_providers_and_tells_them_from_the_path() -> None:
    ds = (FIXTURES / "cnblogs-toolcalls-parallel-incremental-qwen-max.sse").read_bytes()
    oai = (FIXTURES.parent / "openai" / "openai-python-tool-call-gpt-4o.sse").read_bytes()
    for data, path, provider in (
        (ds, GENERATION, "dashscope"),
        (oai, "/v1/chat/completions", "openai"),
    ):
        response = _response(data, path)
        assert detect_response_provider(response) == provider
        assert list(iter_events(response)) == list(adapters.decode(data))
    unknown = _response(oai, "/somewhere")
    assert detect_response_provider(unknown) is None
    assert list(iter_events(unknown)) == list(adapters.decode(oai))  # told from the bytes


def test_iter_events_turns_a_json_error_answer_into_an_error_event() -> None:
    body = json.dumps({"code": "InvalidApiKey", "message": "bad key", "request_id": "x"})
    response = _response(body.encode(), GENERATION, 401, {"content-type": "application/json"})
    assert list(iter_events(response)) == [
        ErrorEvent(status=401, code="InvalidApiKey", message="bad key", request_id="x")
    ]
    text = _response(b"gateway timeout", GENERATION, 504, {"content-type": "text/plain"})
    assert list(iter_events(text)) == [ErrorEvent(status=504, message="gateway timeout")]


def test_aiter_events_is_the_async_twin() -> None:
    data = (FIXTURES / "cnblogs-search-info-qwen-plus.sse").read_bytes()

    async def run() -> list[Event]:
        async def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, headers=SSE, stream=_AsyncReplay(_random_cuts(data, 4)))

        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with client, client.stream("POST", "https://h.test" + GENERATION) as response:
            return [event async for event in aiter_events(response)]

    events = asyncio.run(run())
    assert events == list(adapters.decode(data))
    assert isinstance(events[-2], Usage)

"""Review of the bridge (``adapters._bridge``, ``adapters.httpx``, ``adapters.translate``).

Regressions from an adversarial review: each test is a bug a gateway user hit,
named for the behaviour now required; its docstring says what was seen before
the fix and what should be seen.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx
import openai
import pytest

import adapters
from adapters import translate
from adapters.httpx import AsyncDashScopeTransport, DashScopeTransport, OpenAITransport

BASE_URL = "https://dashscope.test/api/v1"
SSE = {"content-type": "text/event-stream;charset=UTF-8"}
USER: Any = [{"role": "user", "content": "hi"}]
GENERATION = "https://gateway.test/api/v1/services/aigc/text-generation/generation"
MULTIMODAL = "https://gateway.test/api/v1/services/aigc/multimodal-generation/generation"


def _ds_frame(number: int, content: str, finish: str) -> bytes:
    data = {
        "output": {
            "choices": [
                {"message": {"content": content, "role": "assistant"}, "finish_reason": finish}
            ]
        },
        "usage": {"input_tokens": 3, "output_tokens": number, "total_tokens": 3 + number},
        "request_id": "r-1",
    }
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"id:{number}\nevent:result\n:HTTP_STATUS/200\ndata:{body}\n\n".encode()


DASHSCOPE = _ds_frame(1, "Hel", "null") + _ds_frame(2, "lo", "stop")


def _oai_chunk(delta: dict[str, Any], finish: str | None = None, **choice: Any) -> bytes:
    data = {
        "id": "chatcmpl-7",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, **choice}],
    }
    return b"data: " + json.dumps(data).encode() + b"\n\n"


OPENAI_STREAM = (
    _oai_chunk({"role": "assistant", "content": "Hel"})
    + _oai_chunk({"content": "lo"}, "stop")
    + b'data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1,"model":"gpt-4o",'
    b'"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n'
    b"data: [DONE]\n\n"
)
COMPLETION = {
    "id": "chatcmpl-7",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
}


class _Chunks(httpx.SyncByteStream):
    """An upstream body that remembers whether it was closed."""

    def __init__(self, chunks: Sequence[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks

    def close(self) -> None:
        self.closed = True


class _AsyncChunks(httpx.AsyncByteStream):
    def __init__(self, chunks: Sequence[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            await asyncio.sleep(0)
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


def _untyped(client: httpx.Client | httpx.AsyncClient) -> Any:
    return client  # the SDK's annotation names its own httpx fork; it takes httpx's


def _openai_client(handler: Any, **options: Any) -> openai.OpenAI:
    transport = DashScopeTransport(httpx.MockTransport(handler), clock=lambda: 5, **options)
    return openai.OpenAI(
        api_key="sk-test",
        base_url=BASE_URL,
        http_client=_untyped(httpx.Client(transport=transport)),
        max_retries=0,
    )


def _gateway(handler: Any) -> httpx.Client:
    """A DashScope-speaking client in front of an OpenAI-compatible upstream."""
    return httpx.Client(
        transport=OpenAITransport(httpx.MockTransport(handler), base_url="https://openai.test/v1")
    )


def _openai_upstream(request: httpx.Request) -> httpx.Response:
    if json.loads(request.content).get("stream"):
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=OPENAI_STREAM
        )
    return httpx.Response(200, json=COMPLETION)


def _data(raw: bytes) -> list[dict[str, Any]]:
    return [
        json.loads(line[5:])
        for line in raw.decode().splitlines()
        if line.startswith("data:") and line[5:].strip() != "[DONE]"
    ]


# ------------------------------------------------------------ OpenAITransport (DashScope clients)


def test_openai_transport_answers_result_format_text_whole() -> None:
    """result_format "text" answer has output.choices, output.text None; should have output.text."""
    body = {
        "model": "gpt-4o",
        "input": {"messages": [{"role": "user", "content": "hi"}]},
        "parameters": {"result_format": "text"},
    }
    with _gateway(_openai_upstream) as client:
        answer = client.post(GENERATION, json=body).json()
    assert answer["output"].get("text") == "Hello"
    assert "choices" not in answer["output"]


def test_openai_transport_answers_result_format_text_streaming() -> None:
    """result_format "text" stream frames have choices, not text; should carry output.text."""
    body = {
        "model": "gpt-4o",
        "input": {"messages": [{"role": "user", "content": "hi"}]},
        "parameters": {"result_format": "text", "incremental_output": True},
    }
    with _gateway(_openai_upstream) as client:
        raw = client.post(GENERATION, json=body, headers={"X-DashScope-SSE": "enable"}).read()
    frames = _data(raw)
    assert all("text" in frame["output"] for frame in frames)
    assert "".join(frame["output"]["text"] for frame in frames) == "Hello"


@pytest.mark.parametrize("stream", [False, True])
def test_openai_transport_answers_the_multimodal_endpoint_with_list_content(stream: bool) -> None:
    """Multimodal-endpoint answers have string content; should be [{"text": ...}] lists."""
    body: dict[str, Any] = {
        "model": "gpt-4o",
        "input": {"messages": [{"role": "user", "content": [{"text": "hi"}]}]},
        "parameters": {"result_format": "message", "incremental_output": True},
    }
    headers = {"X-DashScope-SSE": "enable"} if stream else {}
    with _gateway(_openai_upstream) as client:
        raw = client.post(MULTIMODAL, json=body, headers=headers).read()
    frames = _data(raw) if stream else [json.loads(raw)]
    contents = [
        choice["message"]["content"] for frame in frames for choice in frame["output"]["choices"]
    ]
    assert contents
    assert all(isinstance(content, list) for content in contents)


def test_openai_error_without_code_gets_a_dashscope_code() -> None:
    """OpenAI error with code null -> event:error without "code"; should get translate's code."""
    error = {"message": "slow down", "type": "rate_limit_error", "param": None, "code": None}
    raw = _oai_chunk({"role": "assistant", "content": "a"}) + (
        b"data: " + json.dumps({"error": {**error, "status_code": 429}}).encode() + b"\n\n"
    )
    out = adapters.convert(raw, to="dashscope", provider="openai", strict=False)
    errors = [frame for frame in _data(out) if "output" not in frame]
    assert len(errors) == 1
    _, expected = translate.openai_error_to_dashscope({"error": error}, 429)
    assert errors[0].get("code") == expected["code"] == "Throttling"


# ------------------------------------------------------------ DashScopeTransport (OpenAI clients)


def test_a_streaming_request_answered_with_json_still_streams() -> None:
    """Stream answered with 200 JSON yields no chunks, no error; should yield the text."""
    answer = {
        "output": {
            "choices": [
                {"message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}
            ]
        },
        "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2},
        "request_id": "r-2",
    }

    def upstream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answer)

    client = _openai_client(upstream)
    try:
        with client.chat.completions.create(model="qwen-plus", messages=USER, stream=True) as s:
            text = "".join(c.delta.content or "" for chunk in s for c in chunk.choices)
    except openai.APIError:
        return  # an error is an acceptable answer too; silence is not
    assert text == "hello"


@pytest.mark.parametrize(
    ("content_type", "content"),
    [("text/html", b"<html>maintenance</html>"), ("application/json", b'{"output": {"cho')],
)
def test_a_non_json_success_answer_is_a_bad_gateway(content_type: str, content: bytes) -> None:
    """200 non-JSON answer gave a completion with choices None (and cut JSON a
    DecodeError about the request body); both should be a 502 APIStatusError."""

    def upstream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": content_type}, content=content)

    client = _openai_client(upstream)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="qwen-plus", messages=USER)
    assert caught.value.status_code == 502


@pytest.mark.parametrize("stream", [False, True])
def test_an_sse_framed_error_labelled_json_keeps_its_code(stream: bool) -> None:
    """400 JSON-typed SSE error body: code None, message raw SSE; should be InvalidParameter."""
    body = (
        b"id:1\nevent:error\n:HTTP_STATUS/400\n"
        b'data:{"code":"InvalidParameter","message":"<400> InternalError.Algo.InvalidParameter: '
        b'Range of max_tokens should be [1, 32768]","request_id":"f19efcde"}\n'
    )

    def upstream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, headers={"content-type": "application/json"}, content=body)

    client = _openai_client(upstream)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="qwen-plus", messages=USER, stream=stream)
    assert caught.value.code == "InvalidParameter"
    assert "event:error" not in caught.value.message


def test_upstream_is_closed_when_its_first_frame_is_bad() -> None:
    """A bad first upstream frame raises and leaks the upstream response; should close it."""
    streams: list[_Chunks] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        streams.append(_Chunks([b"data: {not json\n\n"]))
        return httpx.Response(200, headers=SSE, stream=streams[-1])

    client = _openai_client(upstream)
    with (
        pytest.raises((adapters.AdapterError, openai.APIError)),
        client.chat.completions.create(model="qwen-plus", messages=USER, stream=True) as s,
    ):
        list(s)
    assert streams[0].closed


def test_async_upstream_is_closed_when_its_first_frame_is_bad() -> None:
    """Async: a bad first upstream frame leaks the upstream response; should close it."""
    streams: list[_AsyncChunks] = []

    async def upstream(request: httpx.Request) -> httpx.Response:
        await request.aread()
        streams.append(_AsyncChunks([b"data: {not json\n\n"]))
        return httpx.Response(200, headers=SSE, stream=streams[-1])

    async def main() -> None:
        transport = AsyncDashScopeTransport(httpx.MockTransport(upstream), clock=lambda: 5)
        async with httpx.AsyncClient(transport=transport) as http:
            client = openai.AsyncOpenAI(
                api_key="sk-test", base_url=BASE_URL, http_client=_untyped(http), max_retries=0
            )
            with pytest.raises((adapters.AdapterError, openai.APIError)):  # noqa: PT012
                stream = await client.chat.completions.create(
                    model="qwen-plus", messages=USER, stream=True
                )
                async with stream:
                    async for _ in stream:
                        pass

    asyncio.run(main())
    assert streams[0].closed


def test_hop_by_hop_headers_are_not_forwarded() -> None:
    """Upstream gets Transfer-Encoding and Content-Length both; hop-by-hop must not pass."""
    sent: list[httpx.Request] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, headers=SSE, content=DASHSCOPE)

    body = json.dumps({"model": "qwen-plus", "messages": USER, "stream": True}).encode()
    with httpx.Client(transport=DashScopeTransport(httpx.MockTransport(upstream))) as client:
        client.post(BASE_URL + "/chat/completions", content=iter([body])).read()
    headers = sent[0].headers
    assert "content-length" in headers
    assert "transfer-encoding" not in headers


# ------------------------------------------------------------ Converter


def test_nested_dashscope_usage_keys_are_reported_when_dropped() -> None:
    """Usage detail keys vanish with dropped=[] empty; should be carried or reported."""
    usage = {
        "input_tokens": 3,
        "output_tokens": 2,
        "total_tokens": 5,
        "prompt_tokens_details": {"cached_tokens": 1, "cache_creation_input_tokens": 7},
        "output_tokens_details": {"reasoning_tokens": 1, "text_tokens": 1},
    }
    data = {
        "output": {
            "choices": [
                {"message": {"content": "hi", "role": "assistant"}, "finish_reason": "stop"}
            ]
        },
        "usage": usage,
        "request_id": "r-1",
    }
    raw = b"id:1\nevent:result\n:HTTP_STATUS/200\ndata:" + json.dumps(data).encode() + b"\n\n"
    dropped: list[adapters.Dropped] = []
    out = adapters.convert(raw, to="openai", provider="dashscope", dropped=dropped).decode()
    for key in ("cache_creation_input_tokens", "text_tokens"):
        assert key in out or any(key in loss.what for loss in dropped), key


def test_openai_choice_and_delta_keys_are_reported_when_dropped() -> None:
    """delta.annotations / native_finish_reason vanish unreported; should be in dropped."""
    annotations = [{"type": "url_citation", "url_citation": {"url": "https://example.com"}}]
    raw = (
        _oai_chunk({"role": "assistant", "content": "Hel", "annotations": annotations})
        + _oai_chunk({"content": "lo"}, "stop", native_finish_reason="end_turn")
        + b"data: [DONE]\n\n"
    )
    dropped: list[adapters.Dropped] = []
    out = adapters.convert(raw, to="dashscope", provider="openai", dropped=dropped).decode()
    for key in ("annotations", "native_finish_reason"):
        assert key in out or any(key in loss.what for loss in dropped), key


@pytest.mark.parametrize("output_mode", ["incremental", "cumulative"])
def test_request_id_argument_wins_for_dashscope_input(output_mode: str) -> None:
    """DashScope->DashScope with request_id="NEW" keeps "r-1"; the argument should win."""
    out = adapters.convert(
        DASHSCOPE, to="dashscope", provider="dashscope", request_id="NEW", output_mode=output_mode
    )
    assert {frame["request_id"] for frame in _data(out)} == {"NEW"}

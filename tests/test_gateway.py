"""The reverse bridge: the official ``dashscope`` SDK in front of an OpenAI-compatible server.

A small gateway on 127.0.0.1, built on ``adapters.httpx.OpenAITransport``,
takes the SDK's native requests and sends them to an OpenAI-format upstream:
``httpx.MockTransport`` replaying recorded OpenAI streams, cut at random
places. What ``dashscope.Generation.call`` yields must add up to what the
recording says (computed from its events). The gateway is the one of
docs/gateway.md, with the request log a test needs.
"""

from __future__ import annotations

import asyncio
import json
import random
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import GeneratorType
from typing import Any

import dashscope
import httpx
import pytest
from dashscope.api_entities.dashscope_response import GenerationResponse

import adapters
from adapters.events import ErrorEvent, Event, RefusalDelta, TextDelta
from adapters.httpx import AsyncOpenAITransport, OpenAITransport

from .support import split_at
from .test_dashscope_sdk import expected_from, read_cumulative, read_incremental

FIXTURES = Path(__file__).parent.parent / "fixtures" / "openai"
RECORDINGS = sorted(FIXTURES.glob("*.sse"))
API_KEY = "sk-test-not-a-key"
UPSTREAM = "https://openai.test/v1"


class Upstream:
    """The OpenAI-format server: answers every request with the given bytes."""

    def __init__(self) -> None:
        self.data = b""
        self.status = 200
        self.content_type = "text/event-stream"
        self.requests: list[httpx.Request] = []
        self.seed = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        rng = random.Random(self.seed)
        cuts, at = [], 0
        while at < len(self.data):
            at += rng.randint(1, 50)
            cuts.append(at)
        pieces = [piece for piece in split_at(self.data, cuts) if piece]
        return httpx.Response(
            self.status, headers={"content-type": self.content_type}, stream=_Pieces(pieces)
        )


class _Pieces(httpx.SyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces


class _Gateway(ThreadingHTTPServer):
    client: httpx.Client

    def server_bind(self) -> None:  # no reverse name lookup of 127.0.0.1
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class _Handler(BaseHTTPRequestHandler):
    """Forward the request through the bridging client; stream the answer back."""

    protocol_version = "HTTP/1.1"
    server: _Gateway

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        request = self.server.client.build_request(
            "POST", self.path, headers=dict(self.headers.items()), content=body
        )
        response = self.server.client.send(request, stream=True)
        try:
            self.send_response(response.status_code)
            self.send_header("Content-Type", response.headers["content-type"])
            self.send_header("Connection", "close")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in response.iter_bytes():
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        finally:
            response.close()
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[str, Upstream]]:
    upstream = Upstream()
    server = _Gateway(("127.0.0.1", 0), _Handler)
    server.client = httpx.Client(
        base_url="http://gateway.invalid",
        transport=OpenAITransport(httpx.MockTransport(upstream), base_url=UPSTREAM),
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host!s}:{port}/api/v1", upstream
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        server.client.close()
        dashscope.close_shared_sync_session()


def _messages(text: str) -> Any:
    return [{"role": "user", "content": text}]  # the SDK's annotation wants its own class


def _call(base: str, *, incremental: bool = True, **extra: Any) -> list[dict[str, Any]]:
    responses = dashscope.Generation.call(
        model="gpt-4o",
        messages=_messages("杭州天气？"),
        api_key=API_KEY,
        base_address=base,
        result_format="message",
        stream=True,
        incremental_output=incremental,
        **extra,
    )
    assert isinstance(responses, GeneratorType)
    return [json.loads(json.dumps(response, ensure_ascii=False)) for response in responses]


def _before_error(events: list[Event]) -> list[Event]:
    out: list[Event] = []
    for event in events:
        if isinstance(event, ErrorEvent):
            break
        if not isinstance(event, RefusalDelta):  # DashScope has no refusal (docs/convert.md)
            out.append(event)
    return out


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("path", RECORDINGS, ids=[p.stem for p in RECORDINGS])
def test_the_dashscope_sdk_reads_openai_recordings_through_the_gateway(
    gateway: tuple[str, Upstream], path: Path, seed: int
) -> None:
    base, upstream = gateway
    upstream.data, upstream.seed, upstream.requests = path.read_bytes(), seed, []
    events = list(adapters.decode(path))
    responses = _call(base)
    error = next((e for e in events if isinstance(e, ErrorEvent)), None)
    said = [r for r in responses if r["status_code"] == 200]
    seen = read_incremental(said)
    want = expected_from(_before_error(events))
    if error is not None:
        # The SDK stops at the error frame and yields it (always as status 400,
        # see test_dashscope_sdk.py), after everything said before it.
        assert responses[-1]["status_code"] != 200
        assert responses[-1]["message"] == (error.message or "")
        want.usage = seen.usage  # the error cut the stream before the final totals
    assert (seen.text, seen.reasoning, seen.tools, seen.finish) == (
        want.text,
        want.reasoning,
        want.tools,
        want.finish,
    )
    if error is None:
        assert seen.usage == want.usage
    # What went upstream: an OpenAI chat request, streaming, asking for usage.
    (sent,) = upstream.requests
    assert sent.url == UPSTREAM + "/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    body = json.loads(sent.content)
    assert body["messages"] == [{"role": "user", "content": "杭州天气？"}]
    assert (body["stream"], body["stream_options"]) == (True, {"include_usage": True})
    assert "incremental_output" not in body


def test_the_request_id_is_the_openai_response_id(gateway: tuple[str, Upstream]) -> None:
    base, upstream = gateway
    path = FIXTURES / "openai-python-text-usage-gpt-4o.sse"
    upstream.data, upstream.requests = path.read_bytes(), []
    responses = _call(base)
    first = next(
        json.loads(line[6:]) for line in path.read_text().splitlines() if line.startswith("data: {")
    )
    assert {r["request_id"] for r in responses} == {first["id"].removeprefix("chatcmpl-")}


def test_cumulative_output_for_a_client_that_asks_for_it(gateway: tuple[str, Upstream]) -> None:
    """The SDK always asks for pieces; a client that asks for snapshots gets them."""
    base, upstream = gateway
    path = FIXTURES / "openai-python-tool-call-gpt-4o.sse"
    upstream.data, upstream.requests = path.read_bytes(), []
    body = {
        "model": "gpt-4o",
        "input": {"messages": [{"role": "user", "content": "hi"}]},
        "parameters": {"result_format": "message", "incremental_output": False},
    }
    response = httpx.post(
        base + "/services/aigc/text-generation/generation",
        json=body,
        headers={"Authorization": f"Bearer {API_KEY}", "X-DashScope-SSE": "enable"},
    )
    frames = [
        json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")
    ]
    seen = read_cumulative(frames)
    want = expected_from(_before_error(list(adapters.decode(path))))
    assert (seen.text, seen.tools, seen.finish) == (want.text, want.tools, want.finish)


def test_a_non_streaming_call_gets_a_native_response(gateway: tuple[str, Upstream]) -> None:
    base, upstream = gateway
    completion = {
        "id": "chatcmpl-9",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "晴", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
    }
    upstream.data, upstream.requests = json.dumps(completion).encode(), []
    upstream.content_type = "application/json"
    try:
        response = dashscope.Generation.call(
            model="gpt-4o",
            messages=_messages("天气"),
            api_key=API_KEY,
            base_address=base,
            result_format="message",
        )
    finally:
        upstream.content_type = "text/event-stream"
    assert isinstance(response, GenerationResponse)
    assert response.status_code == 200
    assert response.request_id == "9"  # the OpenAI id without its prefix
    assert response.output.choices[0].message.content == "晴"
    assert response.output.choices[0].finish_reason == "stop"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (5, 1)
    assert json.loads(upstream.requests[0].content)["stream"] is False


@pytest.mark.parametrize(
    ("status", "code"), [(401, "invalid_api_key"), (429, "rate_limit_exceeded")]
)
def test_an_upstream_http_error_reaches_the_sdk_with_its_status(
    gateway: tuple[str, Upstream], status: int, code: str
) -> None:
    base, upstream = gateway
    error = {"error": {"message": "nope", "type": "x", "param": None, "code": code}}
    upstream.data, upstream.status, upstream.requests = json.dumps(error).encode(), status, []
    upstream.content_type = "application/json"
    try:
        responses = _call(base)
    finally:
        upstream.status, upstream.content_type = 200, "text/event-stream"
    assert [(r["status_code"], r["code"], r["message"]) for r in responses] == [
        (status, code, "nope")
    ]


def test_text_said_before_an_upstream_error_is_kept(gateway: tuple[str, Upstream]) -> None:
    base, upstream = gateway
    path = FIXTURES / "pydantic-ai-openrouter-keepalive-midstream-error.sse"
    upstream.data, upstream.requests = path.read_bytes(), []
    events = list(adapters.decode(path))
    responses = _call(base)
    assert any(isinstance(e, TextDelta) for e in events) or any(
        r["status_code"] == 200 for r in responses
    )
    assert responses[-1]["status_code"] != 200


# ------------------------------------------------------------ the transport alone


NATIVE = "http://gateway.invalid/api/v1/services/aigc/text-generation/generation"


def _native(incremental: bool = True) -> dict[str, Any]:
    return {
        "model": "gpt-4o",
        "input": {"messages": [{"role": "user", "content": "hi"}]},
        "parameters": {"result_format": "message", "incremental_output": incremental},
    }


def test_without_a_base_url_the_upstream_is_the_same_host() -> None:
    upstream = Upstream()
    upstream.data = (FIXTURES / "openai-python-refusal-gpt-4o.sse").read_bytes()
    client = httpx.Client(transport=OpenAITransport(httpx.MockTransport(upstream)))
    response = client.post(NATIVE, json=_native(), headers={"X-DashScope-SSE": "enable"})
    assert upstream.requests[0].url == "http://gateway.invalid/api/v1/chat/completions"
    assert response.headers["content-type"] == "text/event-stream;charset=UTF-8"
    assert response.text.startswith("id:1\nevent:result\n:HTTP_STATUS/200\ndata:")


def test_other_requests_pass_the_openai_transport_unchanged() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    client = httpx.Client(transport=OpenAITransport(httpx.MockTransport(handler)))
    assert client.get("http://gateway.invalid/api/v1/tasks/1").status_code == 204
    assert seen[0].url.path == "/api/v1/tasks/1"


def test_a_request_body_that_is_not_json_is_a_decode_error() -> None:
    client = httpx.Client(transport=OpenAITransport(httpx.MockTransport(Upstream())))
    with pytest.raises(adapters.DecodeError) as caught:
        client.post(NATIVE, content=b"{not json")
    assert caught.value.kind == "invalid_body"
    with pytest.raises(adapters.DecodeError):
        client.post(NATIVE, content=b"[1, 2]")


def test_an_openai_stream_that_is_only_an_error_is_an_http_error() -> None:
    upstream = Upstream()
    upstream.data = (
        b'data: {"error": {"message": "overloaded", "type": "server_error", '
        b'"param": null, "code": "busy"}}\n\n'
    )
    client = httpx.Client(transport=OpenAITransport(httpx.MockTransport(upstream)))
    response = client.post(NATIVE, json=_native(), headers={"X-DashScope-SSE": "enable"})
    assert response.status_code == 500
    assert response.json() == {"code": "busy", "message": "overloaded"}


def test_an_upstream_answer_that_is_not_json_is_passed_on_as_a_message() -> None:
    upstream = Upstream()
    upstream.data, upstream.status, upstream.content_type = b"bad gateway", 502, "text/plain"
    client = httpx.Client(transport=OpenAITransport(httpx.MockTransport(upstream)))
    response = client.post(NATIVE, json=_native())
    assert response.status_code == 502
    assert response.json() == {"message": "bad gateway", "code": None}


def test_the_async_openai_transport_streams_native_frames() -> None:
    path = FIXTURES / "openai-python-parallel-tool-calls-gpt-4o.sse"
    data = path.read_bytes()

    async def handler(request: httpx.Request) -> httpx.Response:
        await request.aread()
        assert json.loads(request.content)["stream"] is True
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=data)

    async def run() -> bytes:
        transport = AsyncOpenAITransport(httpx.MockTransport(handler), base_url=UPSTREAM)
        async with httpx.AsyncClient(transport=transport) as client:
            response = await client.post(
                NATIVE, json=_native(), headers={"X-DashScope-SSE": "enable"}
            )
            return await response.aread()

    native = asyncio.run(run())
    events = list(adapters.decode(native, provider="dashscope", mode="incremental"))
    want = expected_from(_before_error(list(adapters.decode(path))))
    assert expected_from(events).tools == want.tools
    assert expected_from(events).finish == want.finish

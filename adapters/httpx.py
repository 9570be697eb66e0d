"""httpx integration: read events from a response, and transports that bridge.

The only module of the package that imports httpx.

* :func:`iter_events` / :func:`aiter_events` read normalized events from an
  ``httpx.Response`` as its body arrives, telling the provider from the request
  path, the headers and the first bytes.
* :class:`DashScopeTransport` / :class:`AsyncDashScopeTransport` let an
  unmodified official ``openai`` client talk to a DashScope native endpoint:
  a chat completions request is rewritten (``adapters.translate``), sent on to
  the native generation endpoint, and its answer converted back, streaming
  frame by frame or whole.
* :class:`OpenAITransport` / :class:`AsyncOpenAITransport` are the reverse: a
  DashScope native request is sent to an OpenAI-compatible ``/chat/completions``
  endpoint, and its answer written back in DashScope's native format. A gateway
  in front of DashScope clients is a thin HTTP server around one of these
  (docs/gateway.md).

Strategy: a transport wraps another (by default a plain
``httpx.HTTPTransport``), so connection pooling, proxies, TLS and retries stay
httpx's. The streaming body is a byte stream that pulls one upstream chunk at a
time through an :class:`adapters.Converter`: nothing is buffered beyond the
frame being read. Before the response is handed to the client, the transport
reads just far enough to see the first event: an upstream error that is the
whole stream (DashScope's ``event:error`` with ``:HTTP_STATUS/429``, say)
becomes an HTTP error response with that status, so the client raises its
matching exception (``openai.RateLimitError``...).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Literal

import httpx

from adapters import translate
from adapters._bridge import Converter
from adapters._convert import Provider, adecode, decode
from adapters._errors import AdapterError, DecodeError
from adapters.events import ErrorEvent, Event, StreamStart

__all__ = [
    "AsyncDashScopeTransport",
    "AsyncOpenAITransport",
    "DashScopeTransport",
    "OpenAITransport",
    "aiter_events",
    "detect_response_provider",
    "iter_events",
]

_CHAT_PATH = "/chat/completions"
_NATIVE_MARK = "/services/aigc/"
_API_ROOT = "/api/v1"
_SSE = "text/event-stream"
#: Upstream headers that describe the upstream body, not the one we send.
_BODY_HEADERS = frozenset(
    {"content-length", "content-encoding", "content-type", "transfer-encoding"}
)
#: Request headers not to forward: those the new body and path replace, and the
#: hop-by-hop ones (RFC 9110 section 7.6.1), which belong to the client's own
#: connection. Accept-Encoding is set to what httpx always decodes.
_REQUEST_DROP = frozenset(
    {
        "content-length",
        "content-type",
        "accept",
        "accept-encoding",
        "host",
        "x-dashscope-sse",
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_ACCEPT_ENCODING = {"Accept-Encoding": "gzip, deflate"}


# ------------------------------------------------------------------ reading


def detect_response_provider(response: httpx.Response) -> Literal["openai", "dashscope"] | None:
    """The provider a response comes from, from its request's path and headers.

    ``None`` when they do not tell (then the first bytes do).

    >>> import httpx
    >>> request = httpx.Request("POST", "https://example.invalid/v1/chat/completions")
    >>> detect_response_provider(httpx.Response(200, request=request))
    'openai'
    """
    try:
        request: httpx.Request | None = response.request
    except RuntimeError:  # a response built without a request
        request = None
    if request is not None:
        path = request.url.path
        if _NATIVE_MARK in path or request.headers.get("x-dashscope-sse") is not None:
            return "dashscope"
        if path.endswith(_CHAT_PATH):
            return "openai"
    return None


def _provider(response: httpx.Response, provider: Provider) -> Provider:
    if provider != "auto":
        return provider
    return detect_response_provider(response) or "auto"


def _json_error(response: httpx.Response, content: bytes) -> Event | None:
    """A JSON (not SSE) error body: one error event with the HTTP status."""
    if _SSE in response.headers.get("content-type", "") or response.is_success:
        return None
    try:
        body = json.loads(content)
    except ValueError:
        return ErrorEvent(status=response.status_code, message=content.decode("utf-8", "replace"))
    if not isinstance(body, dict):
        return ErrorEvent(status=response.status_code, message=str(body))
    inner = body.get("error")
    error: dict[str, Any] = inner if isinstance(inner, dict) else body
    request_id = body.get("request_id")
    return ErrorEvent(
        status=response.status_code,
        code=error.get("code"),
        message=error.get("message"),
        error_type=error.get("type"),
        param=error.get("param"),
        request_id=request_id if isinstance(request_id, str) else None,
    )


def iter_events(
    response: httpx.Response,
    provider: Provider = "auto",
    mode: Literal["auto", "incremental", "cumulative"] = "auto",
    **options: Any,
) -> Iterator[Event]:
    """Normalized events of a streaming ``httpx.Response``, as its body arrives.

    Takes :func:`adapters.decode`'s options. A non-2xx response whose body is
    JSON (an error the server answered instead of a stream) gives one
    :class:`~adapters.events.ErrorEvent` with the HTTP status.

    >>> import httpx, adapters.httpx
    >>> response = httpx.Response(200, content=b'data: {"id":"c","object":'
    ...     b'"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
    ...     b'"delta":{"content":"Hi"},"finish_reason":"stop"}]}\\n\\ndata: [DONE]\\n\\n')
    >>> [e.type for e in adapters.httpx.iter_events(response)]
    ['stream_start', 'text_delta', 'finish', 'end']
    """
    if not response.is_success and _SSE not in response.headers.get("content-type", ""):
        event = _json_error(response, response.read())
        if event is not None:
            yield event
            return
    yield from decode(response.iter_bytes(), _provider(response, provider), mode, **options)


async def aiter_events(
    response: httpx.Response,
    provider: Provider = "auto",
    mode: Literal["auto", "incremental", "cumulative"] = "auto",
    **options: Any,
) -> AsyncIterator[Event]:
    """The async twin of :func:`iter_events`."""
    if not response.is_success and _SSE not in response.headers.get("content-type", ""):
        event = _json_error(response, await response.aread())
        if event is not None:
            yield event
            return
    async for event in adecode(
        response.aiter_bytes(), _provider(response, provider), mode, **options
    ):
        yield event


# ------------------------------------------------------------------ bridging


class _Plan:
    """One bridged exchange: the rewritten request and how to read the answer."""

    def __init__(
        self,
        request: httpx.Request,
        content: bytes,
        *,
        to: Literal["openai", "dashscope"],
        options: dict[str, Any],
    ) -> None:
        self.to = to
        self.options = options
        self.multimodal = False
        self.result_format: Literal["message", "text"] = "message"
        body = _load_body(content)
        if to == "openai":  # an OpenAI client in front of DashScope
            native = translate.openai_request_to_dashscope(
                body, incremental_output=options["incremental_output"]
            )
            self.stream = native.stream
            self.model = str(body.get("model", ""))
            self.include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            self.incremental = bool(native.body.get("parameters", {}).get("incremental_output"))
            root = request.url.path[: -len(_CHAT_PATH)]
            root = root.removesuffix(_API_ROOT)
            url = request.url.copy_with(path=root + native.path)
            headers = _forward_headers(request, native.headers)
            self.request = httpx.Request(
                request.method, url, headers=headers, content=_dump(native.body),
                extensions=request.extensions,
            )  # fmt: skip
        else:  # a DashScope client in front of an OpenAI-compatible server
            self.stream = request.headers.get("x-dashscope-sse", "").lower() == "enable" or bool(
                (body.get("parameters") or {}).get("stream")
            )
            self.model = str(body.get("model", ""))
            parameters = body.get("parameters") or {}
            self.incremental = bool(parameters.get("incremental_output"))
            # Answer in the format asked for: DashScope's default is "text"
            # (output.text); the multimodal endpoint answers list content.
            self.multimodal = "multimodal-generation" in request.url.path
            asked = parameters.get("result_format")
            self.result_format = "message" if asked == "message" or self.multimodal else "text"
            openai_body = translate.dashscope_request_to_openai(body, stream=self.stream)
            base = options["base_url"]
            if base is not None:
                url = httpx.URL(str(base).rstrip("/") + _CHAT_PATH)
            else:
                root = request.url.path.split(_NATIVE_MARK, 1)[0]
                url = request.url.copy_with(path=root + _CHAT_PATH)
            extra = {"Content-Type": "application/json"}
            if self.stream:
                extra["Accept"] = _SSE
            headers = _forward_headers(request, extra)
            self.request = httpx.Request(
                request.method, url, headers=headers, content=_dump(openai_body),
                extensions=request.extensions,
            )  # fmt: skip

    def converter(self) -> Converter:
        if self.to == "openai":
            return Converter(
                "openai",
                provider="dashscope",
                mode="incremental" if self.incremental else "cumulative",
                model=self.model or None,
                include_usage=self.include_usage,
                clock=self.options["clock"],
                ids=self.options["ids"],
            )
        return Converter(
            "dashscope",
            provider="openai",
            output_mode="incremental" if self.incremental else "cumulative",
            result_format=self.result_format,
            content="list" if self.multimodal else "string",
        )

    def whole(
        self, status: int, headers: httpx.Headers, content: bytes, body: dict[str, Any] | None
    ) -> httpx.Response:
        """A non-streaming answer (``body``: ``content`` parsed, ``None`` when it
        is no JSON object), or an error answered instead of a stream."""
        kept = _kept_headers(headers)
        if status >= 400 or body is None:
            # An answer that is not one (HTML from a proxy, SSE to a plain
            # request, broken JSON) is a bad gateway, never a success without choices.
            return self._error(status if status >= 400 else 502, kept, content, body)
        if self.to == "openai":
            out = translate.dashscope_response_to_openai(
                body,
                model=self.model,
                created=int(self.options["clock"]()),
            )
        else:
            out = translate.openai_response_to_dashscope(
                body, result_format=self.result_format, multimodal=self.multimodal
            )
        return httpx.Response(status, headers=kept, json=out)

    def _error(
        self, status: int, kept: dict[str, str], content: bytes, body: dict[str, Any] | None
    ) -> httpx.Response:
        if body is None:
            body = {"message": content.decode("utf-8", "replace"), "code": None}
        if self.to == "openai":
            status, out = translate.dashscope_error_to_openai(body, status)
        elif isinstance(body.get("error"), dict):
            status, out = translate.openai_error_to_dashscope(body, status)
        else:
            out = body
        return httpx.Response(status, headers=kept, json=out)

    def stream_error(self, event: ErrorEvent, headers: httpx.Headers) -> httpx.Response:
        """An upstream stream that is nothing but an error: an HTTP error."""
        status = event.status if event.status is not None and event.status >= 400 else None
        if status is None:
            # No status (or a 2xx one): the one its OpenAI type names, else 400,
            # as the official dashscope SDK reads it (not retried as a fault).
            status = _TYPE_STATUS.get(event.error_type or "", 400)
        body: dict[str, Any] = {"code": event.code, "message": event.message or ""}
        if event.request_id is not None:
            body["request_id"] = event.request_id
        if self.to == "openai":
            status, out = translate.dashscope_error_to_openai(body, status)
        else:
            error = {
                "message": event.message or "",
                "type": event.error_type,
                "param": event.param,
                "code": event.code,
            }
            status, out = translate.openai_error_to_dashscope(
                {"error": error}, status, request_id=event.request_id
            )
        return httpx.Response(status, headers=_kept_headers(headers), json=out)


#: The HTTP status an OpenAI error type stands for (the inverse of
#: :data:`adapters.translate.OPENAI_ERROR_TYPES`, first status of each type).
_TYPE_STATUS: dict[str, int] = {}
for _status, _type in sorted(translate.OPENAI_ERROR_TYPES.items()):
    _TYPE_STATUS.setdefault(_type, _status)
del _status, _type


def _json_object(content: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _load_body(content: bytes) -> dict[str, Any]:
    try:
        body = json.loads(content)
    except ValueError as exc:
        raise DecodeError(
            f"the request body is not JSON ({exc}); expected a chat request object",
            kind="invalid_body",
        ) from None
    if not isinstance(body, dict):
        raise DecodeError("the request body is not a JSON object", kind="invalid_body")
    return body


def _dump(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _forward_headers(request: httpx.Request, extra: dict[str, str]) -> dict[str, str]:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _REQUEST_DROP}
    headers.update(_ACCEPT_ENCODING)
    headers.update(extra)
    return headers


def _kept_headers(headers: httpx.Headers) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in _BODY_HEADERS}


def _is_bridged(request: httpx.Request, to: str) -> bool:
    if request.method != "POST":
        return False
    path = request.url.path
    return path.endswith(_CHAT_PATH) if to == "openai" else _NATIVE_MARK in path


def _said(events: list[Event]) -> bool:
    return any(type(event) is not StreamStart for event in events)


def _drain(converter: Converter) -> list[Event]:
    """The whole upstream body was read before it said anything: its end."""
    try:
        return converter.drain()
    except AdapterError:
        return []  # close() raises it again, to the client reading the body


class _ConvertedStream(httpx.SyncByteStream):
    def __init__(
        self,
        converter: Converter,
        first: bytes,
        upstream: Iterator[bytes],
        response: httpx.Response,
    ) -> None:
        self._converter = converter
        self._first = first
        self._upstream = upstream
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        if self._first:
            yield self._first
        for chunk in self._upstream:
            out = self._converter.feed(chunk)
            if out:
                yield out
        while tail := self._converter.close():
            yield tail

    def close(self) -> None:
        self._response.close()


class _AsyncConvertedStream(httpx.AsyncByteStream):
    def __init__(
        self,
        converter: Converter,
        first: bytes,
        upstream: AsyncIterator[bytes],
        response: httpx.Response,
    ) -> None:
        self._converter = converter
        self._first = first
        self._upstream = upstream
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._first:
            yield self._first
        async for chunk in self._upstream:
            out = self._converter.feed(chunk)
            if out:
                yield out
        while tail := self._converter.close():
            yield tail

    async def aclose(self) -> None:
        await self._response.aclose()


def _options(
    clock: Callable[[], float],
    ids: Callable[[], str] | None,
    incremental_output: bool,
    base_url: str | httpx.URL | None = None,
) -> dict[str, Any]:
    return {
        "clock": clock,
        "ids": ids,
        "incremental_output": incremental_output,
        "base_url": base_url,
    }


class _Bridge:
    """What the sync and async transports share: everything but the I/O."""

    to: Literal["openai", "dashscope"]
    _options: dict[str, Any]

    def _plan(self, request: httpx.Request, content: bytes) -> _Plan:
        return _Plan(request, content, to=self.to, options=self._options)

    @staticmethod
    def _upstream(plan: _Plan, response: httpx.Response) -> httpx.Response:
        # A Response of our own over the raw stream, so that content-encoding
        # is undone by httpx as it reads.
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=response.stream,
            request=plan.request,
            extensions=response.extensions,
        )

    @staticmethod
    def _streams(plan: _Plan, upstream: httpx.Response) -> bool:
        return (
            plan.stream
            and upstream.status_code < 400
            and _SSE in upstream.headers.get("content-type", "")
        )

    def _whole(self, plan: _Plan, upstream: httpx.Response, content: bytes) -> httpx.Response:
        """A non-streaming answer; for an error, what it says, however it is framed."""
        status = upstream.status_code
        body = _json_object(content)
        if status >= 400 and body is None:
            # An error sent as SSE (DashScope does so, also labelled as JSON).
            source: Provider = "dashscope" if self.to == "openai" else "openai"
            try:
                events = list(decode(content, source, strict=False))
            except AdapterError:
                events = []
            for event in events:
                if type(event) is ErrorEvent:
                    update = {"status": event.status or status}
                    return plan.stream_error(event.model_copy(update=update), upstream.headers)
        if plan.stream and status < 400:
            return self._as_stream(plan, upstream, body if body is not None else content)
        return plan.whole(status, upstream.headers, content, body)

    def _as_stream(
        self, plan: _Plan, upstream: httpx.Response, body: dict[str, Any] | bytes
    ) -> httpx.Response:
        """A streaming request the upstream answered whole: the answer as a
        stream of one frame, so that the client gets what it asked for (a
        body that is not JSON is read as the stream, whatever its label)."""
        if isinstance(body, bytes):
            frame = body
        elif self.to == "openai":  # a DashScope response is a final frame's data
            frame = b"id:1\nevent:result\n:HTTP_STATUS/200\ndata:" + _dump(body) + b"\n\n"
        else:  # a chat.completion, as the one chunk that says all of it
            choices = [c for c in body.get("choices") or () if isinstance(c, dict)]
            chunk = dict(body, object="chat.completion.chunk")
            chunk["choices"] = [
                {k: v for k, v in c.items() if k != "message"} | {"delta": c.get("message") or {}}
                for c in choices
            ]
            frame = b"data: " + _dump(chunk) + b"\n\ndata: [DONE]\n\n"
        converter = plan.converter()
        try:
            data = converter.feed(frame)
            while tail := converter.close():
                data += tail
        except AdapterError:
            if isinstance(body, bytes):
                return plan.whole(502, upstream.headers, body, None)
            return plan.whole(502, upstream.headers, _dump(body), body)
        return httpx.Response(upstream.status_code, headers=self._headers(upstream), content=data)

    def _answer(
        self, plan: _Plan, upstream: httpx.Response, converter: Converter, events: list[Event]
    ) -> httpx.Response | bytes:
        """An HTTP error response if the stream is only an error, else the first bytes."""
        said = [e for e in events if type(e) is not StreamStart]
        if said and type(said[0]) is ErrorEvent:
            return plan.stream_error(said[0], upstream.headers)
        return converter.write(events)

    def _headers(self, upstream: httpx.Response) -> dict[str, str]:
        headers = _kept_headers(upstream.headers)
        headers["content-type"] = _SSE + (
            "; charset=utf-8" if self.to == "openai" else ";charset=UTF-8"
        )
        return headers

    def _handle(self, inner: httpx.BaseTransport, request: httpx.Request) -> httpx.Response:
        if not _is_bridged(request, self.to):
            return inner.handle_request(request)
        plan = self._plan(request, request.read())
        upstream = self._upstream(plan, inner.handle_request(plan.request))
        if not self._streams(plan, upstream):
            try:
                content = upstream.read()
            finally:
                upstream.close()
            return self._whole(plan, upstream, content)
        converter = plan.converter()
        chunks = upstream.iter_bytes()
        events: list[Event] = []
        try:
            for chunk in chunks:  # just far enough to see the first event
                events += converter.events(chunk)
                if _said(events):
                    break
            else:
                events += _drain(converter)
            answer = self._answer(plan, upstream, converter, events)
        except BaseException:
            upstream.close()
            raise
        if isinstance(answer, httpx.Response):
            upstream.close()
            return answer
        return httpx.Response(
            upstream.status_code,
            headers=self._headers(upstream),
            stream=_ConvertedStream(converter, answer, chunks, upstream),
            extensions=upstream.extensions,
        )

    async def _ahandle(
        self, inner: httpx.AsyncBaseTransport, request: httpx.Request
    ) -> httpx.Response:
        if not _is_bridged(request, self.to):
            return await inner.handle_async_request(request)
        plan = self._plan(request, await request.aread())
        upstream = self._upstream(plan, await inner.handle_async_request(plan.request))
        if not self._streams(plan, upstream):
            try:
                content = await upstream.aread()
            finally:
                await upstream.aclose()
            return self._whole(plan, upstream, content)
        converter = plan.converter()
        chunks = upstream.aiter_bytes()
        events: list[Event] = []
        try:
            async for chunk in chunks:
                events += converter.events(chunk)
                if _said(events):
                    break
            else:
                events += _drain(converter)
            answer = self._answer(plan, upstream, converter, events)
        except BaseException:
            await upstream.aclose()
            raise
        if isinstance(answer, httpx.Response):
            await upstream.aclose()
            return answer
        return httpx.Response(
            upstream.status_code,
            headers=self._headers(upstream),
            stream=_AsyncConvertedStream(converter, answer, chunks, upstream),
            extensions=upstream.extensions,
        )


_DASHSCOPE_DOC = """

    ``openai.OpenAI(base_url="https://dashscope.aliyuncs.com/api/v1",
    http_client=httpx.Client(transport=DashScopeTransport()))``: the SDK's
    ``POST {base_url}/chat/completions`` goes to
    ``/api/v1/services/aigc/text-generation/generation`` (multimodal models to
    ``.../multimodal-generation/generation``) on the same host; any other
    request passes through unchanged. The answer comes back as
    ``chat.completion.chunk`` SSE (or a ``chat.completion``), errors as the
    HTTP error the SDK raises its matching exception for.

    :param transport: the transport that really sends (default: a plain
        httpx HTTP transport).
    :param incremental_output: ask DashScope for deltas (the default) or for
        cumulative snapshots, which are diffed back into deltas.
    :param clock: Unix seconds for the ``created`` of every chunk (default:
        ``time.time``; inject a fixed one for reproducible output).
    :param ids: the response id when DashScope gives no ``request_id``.
"""


class DashScopeTransport(_Bridge, httpx.BaseTransport):
    __doc__ = "An httpx transport: an OpenAI client in front of DashScope native." + _DASHSCOPE_DOC

    def __init__(
        self,
        transport: httpx.BaseTransport | None = None,
        *,
        incremental_output: bool = True,
        clock: Callable[[], float] = time.time,
        ids: Callable[[], str] | None = None,
    ) -> None:
        self._transport = transport if transport is not None else httpx.HTTPTransport()
        self.to = "openai"
        self._options = _options(clock, ids, incremental_output)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._handle(self._transport, request)

    def close(self) -> None:
        self._transport.close()


class AsyncDashScopeTransport(_Bridge, httpx.AsyncBaseTransport):
    __doc__ = "The async twin of :class:`DashScopeTransport`, for ``AsyncOpenAI``." + _DASHSCOPE_DOC

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        incremental_output: bool = True,
        clock: Callable[[], float] = time.time,
        ids: Callable[[], str] | None = None,
    ) -> None:
        self._transport = transport if transport is not None else httpx.AsyncHTTPTransport()
        self.to = "openai"
        self._options = _options(clock, ids, incremental_output)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._ahandle(self._transport, request)

    async def aclose(self) -> None:
        await self._transport.aclose()


_OPENAI_DOC = """

    A ``POST`` to a DashScope native generation path
    (``.../services/aigc/text-generation/generation`` or the multimodal one)
    goes to ``{base_url}/chat/completions`` (default: the same host, the path
    before ``/services/aigc/``), translated; the answer comes back in
    DashScope's native format: SSE frames in the mode the request asked for
    (``incremental_output``), or a native response body. Any other request
    passes through unchanged.

    :param transport: the transport that really sends (default: a plain
        httpx HTTP transport).
    :param base_url: the OpenAI-compatible API root, e.g.
        ``"https://api.openai.com/v1"``.
"""


class OpenAITransport(_Bridge, httpx.BaseTransport):
    __doc__ = "An httpx transport: DashScope native requests to an OpenAI-compatible server." + (
        _OPENAI_DOC
    )

    def __init__(
        self,
        transport: httpx.BaseTransport | None = None,
        *,
        base_url: str | httpx.URL | None = None,
    ) -> None:
        self._transport = transport if transport is not None else httpx.HTTPTransport()
        self.to = "dashscope"
        self._options = _options(time.time, None, True, base_url)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._handle(self._transport, request)

    def close(self) -> None:
        self._transport.close()


class AsyncOpenAITransport(_Bridge, httpx.AsyncBaseTransport):
    __doc__ = "The async twin of :class:`OpenAITransport`." + _OPENAI_DOC

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        base_url: str | httpx.URL | None = None,
    ) -> None:
        self._transport = transport if transport is not None else httpx.AsyncHTTPTransport()
        self.to = "dashscope"
        self._options = _options(time.time, None, True, base_url)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._ahandle(self._transport, request)

    async def aclose(self) -> None:
        await self._transport.aclose()

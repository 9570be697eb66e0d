"""The facade: ``decode`` / ``adecode`` / ``encode`` over any provider.

Strategy: a source is bytes, a path, or an iterable (sync or async) of byte
chunks; all three become a stream of chunks fed to the provider's sans-I/O
decoder, and its events are yielded as they come (a large recording is never
held whole in memory). ``provider="auto"`` looks at the first bytes: OpenAI
streams write ``data: `` with a space and no ``id:`` lines; DashScope native
frames begin ``id:`` and carry ``event:result`` / ``:HTTP_STATUS/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, NoReturn, Protocol, TypeAlias

from adapters._errors import DecodeError, Diagnostic
from adapters.dashscope import Decoder as DashScopeDecoder
from adapters.dashscope import Encoder as DashScopeEncoder
from adapters.events import Event
from adapters.openai import Decoder as OpenAIDecoder
from adapters.openai import Encoder as OpenAIEncoder

__all__ = ["Provider", "Source", "adecode", "decode", "detect_provider", "encode"]

#: A provider name as the facade takes it.
Provider: TypeAlias = Literal["auto", "openai", "dashscope"]
#: What :func:`decode` reads: the bytes, a path to a file, or chunks of bytes.
Source: TypeAlias = bytes | bytearray | memoryview | str | os.PathLike[str] | Iterable[bytes]

_CHUNK = 64 * 1024
_SNIFF_LIMIT = 64 * 1024
_DASHSCOPE = re.compile(rb"^(?:id:\S|event:(?:result|error)\r?$|:HTTP_STATUS/)", re.MULTILINE)
_OPENAI = re.compile(rb"^(?:data: |event: )", re.MULTILINE)


class _Decoder(Protocol):
    @property
    def diagnostics(self) -> list[Diagnostic]: ...
    def feed(self, data: bytes) -> list[Event]: ...
    def close(self) -> list[Event]: ...


def detect_provider(head: bytes) -> Literal["openai", "dashscope"] | None:
    """Which format the first bytes of a stream are in, or ``None`` if they cannot tell yet.

    >>> detect_provider(b'data: {"id":"chatcmpl-1","object":"chat.completion.chunk"')
    'openai'
    >>> detect_provider(b'id:1\\nevent:result\\n:HTTP_STATUS/200\\ndata:{"output":')
    'dashscope'
    >>> detect_provider(b": keep-alive\\n\\n") is None
    True
    """
    if _DASHSCOPE.search(head):
        return "dashscope"
    if _OPENAI.search(head) or b'"chat.completion.chunk"' in head:
        return "openai"
    return None


def complete_blocks(head: bytes) -> bytes:
    """The part of ``head`` up to the end of its last complete SSE block.

    Sniffing looks at complete blocks only, so that where the input happens to
    be cut cannot change the answer: ``id: 1`` / ``event: result`` lines (with
    the optional space) look like OpenAI's until the block's ``:HTTP_STATUS/``
    comment arrives.
    """
    end = max(
        (
            at + len(mark)
            for mark in (b"\n\n", b"\r\n\r\n", b"\r\r")
            if (at := head.rfind(mark)) >= 0
        ),
        default=0,
    )
    return head[:end]


def _decoder(provider: str, options: dict[str, Any]) -> _Decoder:
    options = dict(options)
    dashscope = options.pop("dashscope")
    if provider == "openai":
        return OpenAIDecoder(**options)
    if provider == "dashscope":
        return DashScopeDecoder(**options, **dashscope)
    raise ValueError(f"provider must be 'auto', 'openai' or 'dashscope', not {provider!r}")


def _chunks(source: Source) -> Iterator[bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        yield bytes(source)
    elif isinstance(source, str | os.PathLike):
        with Path(source).open("rb") as file:
            while chunk := file.read(_CHUNK):
                yield chunk
    else:
        yield from source


class _Run:
    """One decoding run: sniff the provider if asked, then feed the decoder."""

    def __init__(self, provider: str, options: dict[str, Any]) -> None:
        self.provider = provider
        self.options = options
        self.decoder: _Decoder | None = None
        self.head = b""
        if provider != "auto":
            self.decoder = _decoder(provider, options)

    def feed(self, chunk: bytes) -> list[Event]:
        if self.decoder is None:
            self.head += chunk
            found = detect_provider(complete_blocks(self.head))
            if found is None and len(self.head) < _SNIFF_LIMIT:
                return []
            return self._start(found or detect_provider(self.head))
        return self.decoder.feed(chunk)

    def _start(self, found: str | None) -> list[Event]:
        if found is None:
            self._unknown()
        self.decoder = _decoder(found, self.options)
        self.provider = found
        head, self.head = self.head, b""
        return self.decoder.feed(head)

    def _unknown(self) -> NoReturn:
        raise DecodeError(
            "cannot tell the stream's format from its first "
            f"{len(self.head)} bytes; expected OpenAI 'data: ' lines or DashScope "
            "'id:' / 'event:result' / ':HTTP_STATUS/' lines (pass provider=...)",
            kind="unknown_provider",
            offset=0,
        )

    def close(self) -> list[Event]:
        if self.decoder is None:
            # The input ended before a complete block told: the whole of it.
            events = self._start(detect_provider(self.head))
            return events + self._started().close()
        return self.decoder.close()

    def _started(self) -> _Decoder:
        assert self.decoder is not None
        return self.decoder

    def finish(self) -> None:
        """Raise an error found by the last close() after the events it returned."""
        assert self.decoder is not None
        self.decoder.close()


def decode(
    source: Source,
    provider: Provider = "auto",
    mode: Literal["auto", "incremental", "cumulative"] = "auto",
    *,
    strict: bool = True,
    wire: bool = True,
    on_mismatch: Literal["error", "resync"] = "error",
    split_glued: bool = False,
    diagnostics: list[Diagnostic] | None = None,
) -> Iterator[Event]:
    """Normalized events of a stream, yielded as the input is read.

    >>> import adapters
    >>> raw = (b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
    ...        b'"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}\\n\\n'
    ...        b'data: [DONE]\\n\\n')
    >>> [event.type for event in adapters.decode(raw)]
    ['stream_start', 'text_delta', 'finish', 'end']

    :param source: the bytes, a path, or an iterable of byte chunks.
    :param provider: ``"openai"``, ``"dashscope"``, or ``"auto"`` to tell from
        the first bytes.
    :param mode: DashScope's output mode: ``"incremental"``, ``"cumulative"``,
        or ``"auto"`` to tell from the frames (see
        :attr:`adapters.dashscope.Decoder.mode`). OpenAI streams are always
        incremental, and ignore it.
    :param strict: see :class:`adapters.openai.Decoder` and
        :class:`adapters.dashscope.Decoder`.
    :param wire: attach what re-encoding needs (the frames' data and layout).
    :param on_mismatch: DashScope cumulative streams: ``"resync"`` turns a
        snapshot that does not extend the previous one into a
        :class:`~adapters.events.Resync` event instead of an error.
    :param split_glued: DashScope: split frames a recorder glued together
        with no blank line between them (see :class:`adapters.dashscope.Decoder`).
    :param diagnostics: if given, the decoder's diagnostics (invalid UTF-8
        repaired, a missing ``[DONE]``, what lenient decoding tolerated) are
        appended to this list when decoding ends, also when it ends in an error.
    """
    _check_mode(mode)
    run = _Run(provider, _options(mode, strict, wire, on_mismatch, split_glued))
    try:
        for chunk in _chunks(source):
            yield from run.feed(chunk)
        yield from run.close()
        run.finish()
    finally:  # also when the input is bad: what was repaired before is reported
        if diagnostics is not None and run.decoder is not None:
            diagnostics.extend(run.decoder.diagnostics)


async def adecode(
    source: AsyncIterable[bytes] | bytes,
    provider: Provider = "auto",
    mode: Literal["auto", "incremental", "cumulative"] = "auto",
    *,
    strict: bool = True,
    wire: bool = True,
    on_mismatch: Literal["error", "resync"] = "error",
    split_glued: bool = False,
    diagnostics: list[Diagnostic] | None = None,
) -> AsyncIterator[Event]:
    """The async twin of :func:`decode`, over an async iterable of byte chunks."""
    _check_mode(mode)
    run = _Run(provider, _options(mode, strict, wire, on_mismatch, split_glued))
    try:
        if isinstance(source, bytes):
            for event in run.feed(source):
                yield event
        else:
            async for chunk in source:
                for event in run.feed(chunk):
                    yield event
        for event in run.close():
            yield event
        run.finish()
    finally:
        if diagnostics is not None and run.decoder is not None:
            diagnostics.extend(run.decoder.diagnostics)


def _options(
    mode: str, strict: bool, wire: bool, on_mismatch: str, split_glued: bool
) -> dict[str, Any]:
    return {
        "strict": strict,
        "wire": wire,
        "dashscope": {"mode": mode, "on_mismatch": on_mismatch, "split_glued": split_glued},
    }


def _check_mode(mode: str) -> None:
    if mode not in {"auto", "incremental", "cumulative"}:
        raise ValueError(f"mode must be 'auto', 'incremental' or 'cumulative', not {mode!r}")


def encode(
    events: Iterable[Event],
    provider: Literal["openai", "dashscope"],
    mode: Literal["incremental", "cumulative"] = "incremental",
    **options: Any,
) -> bytes:
    """Write events in a provider's format.

    >>> import adapters
    >>> from adapters.events import StreamStart, TextDelta, Finish, End
    >>> raw = adapters.encode([StreamStart(id="c1", model="m", created=1),
    ...                        TextDelta(text="Hi"), Finish(), End()], provider="openai")
    >>> for line in raw.decode().splitlines():
    ...     print(line[:73])
    data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m"
    <BLANKLINE>
    data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m"
    <BLANKLINE>
    data: [DONE]
    <BLANKLINE>

    :param mode: DashScope only: ``"incremental"`` (the default) or ``"cumulative"``.
    :param options: passed to the provider's encoder (for OpenAI: ``id``,
        ``model``, ``created``, ``include_usage``, see :class:`adapters.openai.Encoder`;
        for DashScope: ``result_format``, ``content``, ``request_id``, see
        :class:`adapters.dashscope.Encoder`).
    """
    if provider == "openai":
        if mode != "incremental":
            raise ValueError("OpenAI streams are always incremental; mode is for DashScope")
        return OpenAIEncoder(**options).encode_all(events)
    if provider == "dashscope":
        return DashScopeEncoder(mode=mode, **options).encode_all(events)
    raise ValueError(f"provider must be 'openai' or 'dashscope', not {provider!r}")

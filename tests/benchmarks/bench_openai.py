"""OpenAI chat.completion.chunk decoding throughput: adapters.openai against today's paths.

Run: ``make bench`` (or ``python tests/benchmarks/bench_openai.py --help``).

What is measured: bytes in, decoded chunks out -- SSE framing *and* the JSON
and object building on top, which is where a client spends its time. Every
contender gets the same bytes, cut into the same pieces, in the same process,
alternating rounds so that a slow patch of the machine hits all of them alike;
the best round of each counts. Contenders:

* ``adapters``: ``adapters.openai.Decoder()`` (``wire=True``, the default:
  events carry the parsed chunk, so they can be written back exactly), and
  ``Decoder(wire=False)`` (lean events). Output: normalized events.
* ``openai SDK``: what ``openai.Stream`` runs for ``chat.completions.create(
  stream=True)``, minus HTTP: its ``SSEDecoder.iter_bytes``, then per event what
  ``Stream.__stream__`` does (see :func:`run_openai`). Output: ``ChatCompletionChunk``
  models.
* ``httpx-sse + json.loads``: ``httpx_sse``'s line and event decoders, driven
  the way ``EventSource.iter_sse`` drives them, then ``json.loads`` per event.
  Output: dicts.
* ``split + orjson``: the practical floor -- split the bytes on blank lines and
  ``orjson.loads`` what follows ``data: ``. Not a conforming SSE decoder (no CR
  line ends, comments, multi-line data, BOM, ...); it shows what is left once
  the work is only JSON. Output: dicts.

Workloads: two recordings of the real API from ``fixtures/openai`` -- plain
text with usage, and parallel tool calls -- each kept as recorded at both ends
(the role chunk; the finish and usage chunks, then ``data: [DONE]``), with the
chunks in between repeated to about ``--events`` chunks. Each is fed per event
(what a server's flushes give) and in 16 KiB pieces (what a busy connection
gives). Before timing, every contender's output is checked against the text,
tool-call arguments, finish reasons and usage read from the stream with
``json.loads``, so a faster wrong answer cannot win.

"chunks/s" counts ``chat.completion.chunk`` objects decoded per second (not
the pieces the bytes are fed in). The ratio column is "how many times faster
the default adapters decoder is than this contender"; above 1.0 is faster.
"""

from __future__ import annotations

import argparse
import codecs
import gc
import json
import platform
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from adapters.events import End, Finish, TextDelta, ToolCallDelta, Usage
from adapters.openai import Decoder

Chunks = list[bytes]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "openai"
STREAMS = {
    "text + usage": "openai-python-text-usage-gpt-4o.sse",
    "parallel tool calls": "openai-python-parallel-tool-calls-gpt-4o.sse",
}
DONE_BLOCK = b"data: [DONE]\n\n"

#: Targets for the default decoder (normalized events, wire=True), worst workload.
TARGET_VS_SDK = 25.0
TARGET_VS_HTTPX_SSE = 1.0


# ------------------------------------------------------------------ workloads


def per_event(stream: bytes) -> Chunks:
    return [part + b"\n\n" for part in stream.split(b"\n\n")[:-1]]


def fixed(stream: bytes, size: int = 16 * 1024) -> Chunks:
    return [stream[i : i + size] for i in range(0, len(stream), size)]


def _has_content(block: bytes) -> bool:
    chunk = json.loads(block.removeprefix(b"data: "))
    return any(
        choice["delta"].get("content") or choice["delta"].get("tool_calls")
        for choice in chunk["choices"]
    )


def build_stream(fixture: str, events: int) -> bytes:
    """The recording with its content chunks repeated to about ``events`` chunks."""
    blocks = per_event((FIXTURES / fixture).read_bytes())
    if blocks[-1] != DONE_BLOCK or any(not b.startswith(b"data: {") for b in blocks[:-1]):
        raise ValueError(f"{fixture}: expected data: {{...}} blocks, then data: [DONE]")
    blocks.pop()
    content = [i for i, block in enumerate(blocks) if _has_content(block)]
    head, tail = blocks[: content[0]], blocks[content[-1] + 1 :]
    middle = blocks[content[0] : content[-1] + 1]
    repeats = max(1, round((events - len(head) - len(tail)) / len(middle)))
    return b"".join([*head, *middle * repeats, *tail, DONE_BLOCK])


@dataclass(frozen=True)
class Summary:
    """What a correct decoding of a workload must contain, in order."""

    chunks: int  # chat.completion.chunk objects
    texts: tuple[str, ...]  # non-empty delta.content, one per chunk that has it
    arguments: tuple[str, ...]  # delta.tool_calls[].function.arguments, one per fragment
    finishes: tuple[str, ...]  # finish_reason values
    usages: int  # chunks with a usage object


def summarize_dicts(chunks: list[Any]) -> Summary:
    """Summary of chunks given as dicts or as the SDK's models (``.model_dump()``d)."""
    texts: list[str] = []
    arguments: list[str] = []
    finishes: list[str] = []
    usages = 0
    for chunk in chunks:
        for choice in chunk["choices"]:
            delta = choice["delta"]
            if delta.get("content"):
                texts.append(delta["content"])
            arguments.extend(
                (call.get("function") or {}).get("arguments") or ""
                for call in delta.get("tool_calls") or ()
            )
            if choice.get("finish_reason"):
                finishes.append(choice["finish_reason"])
        usages += chunk.get("usage") is not None
    return Summary(len(chunks), tuple(texts), tuple(arguments), tuple(finishes), usages)


def expected_summary(stream: bytes) -> Summary:
    blocks = per_event(stream)
    return summarize_dicts([json.loads(block[6:]) for block in blocks[:-1]])


def workloads(events: int) -> Iterator[tuple[str, str, Chunks, bytes]]:
    for name, fixture in STREAMS.items():
        stream = build_stream(fixture, events)
        yield name, "per-event", per_event(stream), stream
        yield name, "16 KiB", fixed(stream), stream


# ------------------------------------------------------------------ contenders
# Each returns what a consumer would collect: a list of the objects it yields.


class Drop:
    """What a streaming consumer (a gateway) keeps of the output: nothing. Each
    item is produced and handed over, then let go."""

    def append(self, item: object) -> None:
        pass

    def extend(self, items: object) -> None:
        pass


Out = list[Any] | Drop


def _run_decoder(decoder: Decoder, chunks: Chunks, out: Out) -> Out:
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    out.extend(decoder.close())
    return out


def run_adapters(chunks: Chunks, out: Out) -> Out:
    return _run_decoder(Decoder(), chunks, out)


def run_adapters_lean(chunks: Chunks, out: Out) -> Out:
    return _run_decoder(Decoder(wire=False), chunks, out)


@cache
def _openai_sdk() -> tuple[Any, Any, Callable[[Any], bool]]:
    """The SDK's own per-chunk step, bound once (as ``Stream.__init__`` does)."""
    import openai
    from openai._utils import is_mapping
    from openai.types.chat import ChatCompletionChunk

    # No request is made: the client is only asked to turn data into a model.
    client = openai.OpenAI(api_key="sk-benchmark", max_retries=0)
    return client._process_response_data, ChatCompletionChunk, is_mapping


def run_openai(chunks: Chunks, out: Out) -> Out:
    """``openai.Stream.__stream__`` for chat.completions (legacy stream mode), minus HTTP.

    In the installed SDK (checked on openai 3.54) ``__stream__`` runs, per SSE
    event: ``startswith("[DONE]")`` -> stop; the ``thread.*`` event check;
    ``sse.json()`` (``json.loads``); an ``error`` key check; then the client's
    ``_process_response_data(data=..., cast_to=ChatCompletionChunk, response=...)``,
    which (no ``build`` classmethod, no strict validation by default) ends in
    ``construct_type(type_=ChatCompletionChunk, value=data)``. The same calls
    are made here, on the same client method. ``response`` is read only on the
    error path, so None stands in for the HTTP response.
    """
    from openai._streaming import SSEDecoder as OpenAIDecoder

    process_data, cast_to, is_mapping = _openai_sdk()
    for sse in OpenAIDecoder().iter_bytes(iter(chunks)):
        if sse.data.startswith("[DONE]"):
            break
        if sse.event and sse.event.startswith("thread."):
            raise AssertionError("no Assistants events in these workloads")
        data = sse.json()
        if is_mapping(data) and data.get("error"):
            raise AssertionError("no error events in these workloads")
        out.append(process_data(data=data, cast_to=cast_to, response=None))
    return out


def run_httpx_sse(chunks: Chunks, out: Out) -> Out:
    """As in bench_sse.py: what ``EventSource.iter_sse`` runs, then ``json.loads``."""
    from httpx_sse._decoders import SSEDecoder as HttpxSSEDecoder
    from httpx_sse._decoders import SSELineDecoder

    text_decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    lines = SSELineDecoder()
    decoder = HttpxSSEDecoder()
    loads = json.loads
    for chunk in chunks:
        text = text_decoder.decode(chunk)
        if not text:
            continue
        for line in lines.decode(text):
            sse = decoder.decode(line)
            if sse is not None and sse.data != "[DONE]":
                out.append(loads(sse.data))
    for line in lines.flush():
        sse = decoder.decode(line)
        if sse is not None and sse.data != "[DONE]":
            out.append(loads(sse.data))
    return out


def run_floor(chunks: Chunks, out: Out) -> Out:
    """The least a Python client can do: split on blank lines, orjson what follows ``data: ``."""
    from orjson import loads

    rest = b""
    for chunk in chunks:
        parts = (rest + chunk).split(b"\n\n")
        rest = parts.pop()
        for part in parts:
            if part != b"data: [DONE]":
                out.append(loads(part[6:]))
    return out


CONTENDERS: dict[str, Callable[[Chunks, Out], Out]] = {
    "adapters": run_adapters,
    "adapters wire=False": run_adapters_lean,
    "openai SDK": run_openai,
    "httpx-sse + json.loads": run_httpx_sse,
    "split + orjson (floor)": run_floor,
}


def summarize(name: str, out: list[Any], expected: Summary) -> Summary:
    if name.startswith("adapters"):
        texts: list[str] = []
        arguments: list[str] = []
        finishes: list[str] = []
        usages = ends = 0
        for event in out:
            if type(event) is TextDelta:
                texts.append(event.text)
            elif type(event) is ToolCallDelta:
                arguments.append(event.arguments)
            elif type(event) is Finish:
                finishes.append(event.raw_reason)
            elif type(event) is Usage:
                usages += 1
            elif type(event) is End:
                ends += 1
        if ends != 1:
            raise AssertionError(f"{name}: {ends} End events, expected 1")
        # Normalized events are not one per chunk; the chunk count is not theirs.
        return Summary(expected.chunks, tuple(texts), tuple(arguments), tuple(finishes), usages)
    if name == "openai SDK":
        from openai.types.chat import ChatCompletionChunk

        if not all(type(chunk) is ChatCompletionChunk for chunk in out):
            raise AssertionError(f"{name}: not every item is a ChatCompletionChunk")
        return summarize_dicts([chunk.model_dump() for chunk in out])
    return summarize_dicts(out)


def verify(name: str, out: list[Any], expected: Summary) -> str | None:
    got = summarize(name, out, expected)
    for field in ("chunks", "texts", "arguments", "finishes", "usages"):
        mine, theirs = getattr(got, field), getattr(expected, field)
        if mine != theirs:
            count = len(mine) if isinstance(mine, tuple) else mine
            want = len(theirs) if isinstance(theirs, tuple) else theirs
            return f"{field}: got {count}, expected {want}" + (
                " (same count, different values)" if count == want else ""
            )
    return None


# ------------------------------------------------------------------ timing


def _once(fn: Callable[[Chunks, Out], Out], chunks: Chunks, keep: bool) -> float:
    # Every contender starts from the same collector state: no garbage left by
    # the one before counts against it.
    gc.collect()
    start = time.perf_counter()
    fn(chunks, [] if keep else Drop())
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40_000, help="chunks per stream")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds; the best counts")
    args = parser.parse_args(argv)

    import httpx_sse
    import openai
    import orjson

    print(
        f"python {platform.python_version()} on {platform.machine()}; "
        f"openai {openai.__version__}, httpx-sse {httpx_sse.__version__}, "
        f"orjson {orjson.__version__}; about {args.events} chunks per stream, "
        f"best of {args.rounds} rounds"
    )
    cases = list(workloads(args.events))
    for stream_name, feed, chunks, stream in cases:
        if feed == "per-event":
            print(f"- {stream_name}: {len(chunks) - 1} chunks + [DONE], {len(stream) / 1e6:.1f} MB")
    worst: dict[str, float] = {}
    for keep in (True, False):
        print(
            "\n"
            + (
                "Output kept (a logger collecting the events):"
                if keep
                else "Output handed on and let go (a gateway streaming the events):"
            )
            + "\n\n"
            "| stream | fed | contender | ms | MB/s | k chunks/s | adapters is N× as fast |\n"
            "|---|---|---|---:|---:|---:|---:|"
        )
        for stream_name, feed, chunks, stream in cases:
            expected = expected_summary(stream)
            if len(expected.texts) + len(expected.arguments) < expected.chunks * 0.9:
                raise AssertionError(f"{stream_name}: the workload is not mostly content chunks")
            for name, fn in CONTENDERS.items():
                kept: list[Any] = []
                fn(chunks, kept)
                problem = verify(name, kept, expected)
                if problem is not None:
                    print(f"{name} is wrong on {stream_name}, {feed}: {problem}", file=sys.stderr)
                    return 2
            times = dict.fromkeys(CONTENDERS, float("inf"))
            for _ in range(args.rounds):
                for name, fn in CONTENDERS.items():
                    times[name] = min(times[name], _once(fn, chunks, keep))
            ours = times["adapters"]
            for name, seconds in times.items():
                ratio = seconds / ours
                key = f"{name} ({'kept' if keep else 'streamed'})"
                worst[key] = min(worst.get(key, float("inf")), ratio)
                print(
                    f"| {stream_name} | {feed} | {name} | {seconds * 1e3:.1f} "
                    f"| {len(stream) / seconds / 1e6:.1f} | {expected.chunks / seconds / 1e3:.0f} "
                    f"| {'—' if name == 'adapters' else f'{ratio:.2f}'} |"
                )
    for mode in ("kept", "streamed"):
        sdk, httpx = worst[f"openai SDK ({mode})"], worst[f"httpx-sse + json.loads ({mode})"]
        print(
            f"\nadapters (default, normalized events), output {mode}, worst workload: "
            f"{sdk:.1f}× the openai SDK path (target ≥ {TARGET_VS_SDK:g}×: "
            f"{'met' if sdk >= TARGET_VS_SDK else 'MISSED'}), "
            f"{httpx:.2f}× httpx-sse + json.loads (target > {TARGET_VS_HTTPX_SSE:g}×: "
            f"{'met' if httpx > TARGET_VS_HTTPX_SSE else 'MISSED'})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

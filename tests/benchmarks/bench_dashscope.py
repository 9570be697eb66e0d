"""DashScope native SSE decoding throughput: adapters.dashscope against the official SDK's path.

Run: ``make bench`` (or ``python tests/benchmarks/bench_dashscope.py --help``;
``--profile`` prints where the adapters decoder spends its time instead).

What is measured: bytes of a DashScope native stream (``id:N`` /
``event:result`` / ``:HTTP_STATUS/200`` / ``data:{...}``) in, one decoded
object per frame (or normalized events) out -- SSE framing *and* the JSON and
object building on top. Every contender gets the same bytes in the same
process, alternating rounds so that a slow patch of the machine hits all of
them alike; each round starts from a collected heap; the best round counts.
Contenders:

* ``adapters``: ``adapters.dashscope.Decoder`` -- ``Decoder()`` (``mode="auto"``,
  ``wire=True``: the defaults, the reference of the "× default" column),
  ``Decoder(mode="incremental")`` or ``Decoder(mode="cumulative")`` (the
  stream's own mode, named: nothing is held back while auto mode decides),
  each also with ``wire=False`` (lean events, no frame data attached). Output:
  normalized events; on cumulative streams the decoder computes each delta.
* ``dashscope SDK``: what ``dashscope.Generation.call(..., stream=True)`` runs
  once the HTTP response has arrived, minus the network. The installed SDK
  (checked on dashscope 2.0.2) builds an ``HttpRequest`` whose ``call()``
  returns ``(item for item in self._handle_request())``; ``_handle_request``
  posts with ``requests`` and then ``yield``\\ s each item of
  ``HttpRequest._handle_response(response)``; ``Generation.call`` wraps that in
  ``(GenerationResponse.from_api_response(rsp) for rsp in response)``. Measured
  here, on the SDK's own functions (see :func:`run_sdk`):

  - ``dashscope.api_entities.http_request.HttpRequest._handle_response``: the
    status / ``text/event-stream`` check, then per event of
    ``dashscope.common.utils._handle_stream(response)`` -- which iterates
    ``requests.Response.iter_lines()`` (``iter_content(512)`` + ``splitlines``)
    and reads the ``id:`` / ``event:`` / ``data:`` lines -- ``json.loads`` of
    the data and a ``DashScopeAPIResponse``;
  - ``dashscope.api_entities.dashscope_response.GenerationResponse.from_api_response``
    per item (``GenerationOutput`` / ``Choice`` / ``Message`` /
    ``GenerationUsage`` dict subclasses);
  - the two generator layers of ``HttpRequest.call`` and ``_handle_request``.

  The response is a real ``requests.Response``: ``status_code=200``,
  ``content-type: text/event-stream;charset=UTF-8`` (as recorded), and
  ``raw = io.BytesIO(stream)``, so ``requests`` reads its own 512-byte pieces
  (the ``iter_lines`` default) whatever the "fed" column says. Not measured:
  building the request, the POST, urllib3's socket reads. On the cumulative
  stream the SDK path is the one with no client-side merging (what it runs
  when the server sends cumulative frames and no merge was asked for): each
  frame's snapshot is handed on as it came, no delta is computed. Output:
  ``GenerationResponse`` objects.
* ``httpx-sse + json.loads``: ``httpx_sse``'s line and event decoders driven
  the way ``EventSource.iter_sse`` drives them, then ``json.loads`` per event,
  as in bench_openai.py. Output: dicts.
* ``split + orjson``: the floor -- split the bytes on blank lines and
  ``orjson.loads`` what follows the ``data:`` line. Not a conforming SSE
  decoder; it shows what is left once the work is only JSON. Output: dicts.

Workloads, synthesized deterministically from the shapes of the recordings in
``fixtures/dashscope``, with running ``usage`` totals. Frames are written as
DashScope writes them: ``id`` rising from 1, compact JSON, UTF-8 text as is
(checked at start: every recorded data line, and the tool-call recording as a
whole, come back byte for byte this way).

* ``message, incremental``: the frames of
  ``cnblogs-reasoning-incremental-qwen-plus-latest.sse`` (Chinese pieces):
  its reasoning frames repeated for the first quarter, its answer frames for
  the rest, its ``stop`` frame last; usage climbs by the recorded steps.
* ``tool calls, incremental``: the shapes of
  ``cnblogs-toolcalls-parallel-incremental-qwen-max.sse``: 40 tool calls one
  after the other, each an opening fragment (``id``, ``name``) and then
  continuations (``"id": ""``) carrying pieces of a JSON arguments document
  with Chinese text; ``tool_calls`` on the last fragment; usage climbs by one
  token per two characters.
* ``message, cumulative``: the shape of
  ``aliyun-docs-farui-plus-cumulative-message.sse``: every frame repeats the
  whole answer so far (its text, cycled), growing by a few characters a
  frame to tens of KB.

Each is fed per frame (what a server's flushes give) and in 16 KiB pieces
(what a busy connection gives). Before timing, every contender's output is
checked against the pieces, tool-call fragments, finish reasons and final
usage read from the stream with ``json.loads`` (snapshots turned into pieces
for the contenders that hand snapshots on), so a faster wrong answer cannot win.

"k frames/s" counts DashScope frames decoded per second, "MB/s" input bytes.
"× SDK" is the SDK's time over the row's (above 1.0: faster than the SDK);
"× default" is the row's time over ``Decoder()``'s. With the output kept, the
collector's passes over everything kept so far count too (the floor's
dicts suffer most), as they do for a real consumer.

After the tables: our decoder's time on each stream and on one twice as long
(time per input byte should not grow: linear time), and the tracemalloc peak
while decoding with each feed's events let go, against the final snapshot.
"""

from __future__ import annotations

import argparse
import codecs
import cProfile
import gc
import io
import json
import platform
import pstats
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from itertools import cycle, islice
from pathlib import Path
from typing import Any, Literal

from adapters.dashscope import Decoder
from adapters.events import (
    End,
    Finish,
    ReasoningDelta,
    Resync,
    TextDelta,
    ToolCallDelta,
    Usage,
)

Chunks = list[bytes]
Kind = Literal["incremental", "cumulative"]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dashscope"
MESSAGE_FIXTURE = "cnblogs-reasoning-incremental-qwen-plus-latest.sse"
TOOLS_FIXTURE = "cnblogs-toolcalls-parallel-incremental-qwen-max.sse"
CUMULATIVE_FIXTURE = "aliyun-docs-farui-plus-cumulative-message.sse"
TOOL_CALLS = 40

DEFAULT = "adapters Decoder()"
SDK = "dashscope SDK"
FLOOR = "split + orjson (floor)"

#: Targets for the default decoder (normalized events), worst workload of each kind.
TARGET_VS_SDK_INCREMENTAL = 6.0
TARGET_VS_SDK_CUMULATIVE = 4.0
TARGET_MBPS_CUMULATIVE = 400.0


# ------------------------------------------------------------------ workloads


def dumps(value: Any) -> str:
    """JSON as DashScope writes it: compact, text as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def frame_bytes(number: int, payload: dict[str, Any]) -> bytes:
    return f"id:{number}\nevent:result\n:HTTP_STATUS/200\ndata:{dumps(payload)}\n\n".encode()


def recorded(fixture: str) -> list[dict[str, Any]]:
    """A recording's frames, by a line reader (glued frames included)."""
    raw = (FIXTURES / fixture).read_bytes()
    return [json.loads(line[5:]) for line in raw.splitlines() if line.startswith(b"data:")]


def check_encoding() -> None:
    """The frames are written as DashScope writes them: every recorded data line
    comes back byte for byte, and so does a whole recording with blank lines
    between its frames."""
    for fixture in (MESSAGE_FIXTURE, TOOLS_FIXTURE, CUMULATIVE_FIXTURE):
        raw = (FIXTURES / fixture).read_bytes()
        lines = [line[5:] for line in raw.splitlines() if line.startswith(b"data:")]
        if [dumps(json.loads(line)).encode() for line in lines] != lines:
            raise AssertionError(f"{fixture}: re-encoded data lines differ from the recording")
    raw = (FIXTURES / TOOLS_FIXTURE).read_bytes()
    if b"".join(frame_bytes(n, p) for n, p in enumerate(recorded(TOOLS_FIXTURE), 1)) != raw:
        raise AssertionError(f"{TOOLS_FIXTURE}: re-encoded frames differ from the recording")


def tokens(piece: str) -> int:
    """A stand-in token count for a generated piece (the running usage totals)."""
    return len(piece) // 2 + 1


def _message(template: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """``template`` (a message-format frame) with its first choice's message changed."""
    choice = template["output"]["choices"][0]
    message = {**choice["message"], **changes}
    return {
        **template,
        "output": {**template["output"], "choices": [{**choice, "message": message}]},
    }


def _finished(payload: dict[str, Any], reason: str) -> dict[str, Any]:
    choice = payload["output"]["choices"][0]
    return {
        **payload,
        "output": {**payload["output"], "choices": [{**choice, "finish_reason": reason}]},
    }


def message_stream(frames: int) -> bytes:
    """Reasoning pieces for a quarter of the frames, answer pieces for the rest."""
    *pieces, last = recorded(MESSAGE_FIXTURE)
    steps: list[tuple[int, int]] = []  # recorded (output, reasoning) token steps per frame
    output = reasoning = 0
    for payload in pieces:
        details = payload["usage"]["output_tokens_details"]
        steps.append(
            (
                payload["usage"]["output_tokens"] - output,
                details["reasoning_tokens"] - reasoning,
            )
        )
        output, reasoning = payload["usage"]["output_tokens"], details["reasoning_tokens"]
    thinking = [
        (p, s)
        for p, s in zip(pieces, steps, strict=True)
        if p["output"]["choices"][0]["message"]["reasoning_content"]
    ]
    answer = [
        (p, s)
        for p, s in zip(pieces, steps, strict=True)
        if p["output"]["choices"][0]["message"]["content"]
    ]
    first = (frames - 1) // 4
    sequence = [
        *islice(cycle(thinking), first),
        *islice(cycle(answer), frames - 1 - first),
        (last, (0, 0)),
    ]
    input_tokens = last["usage"]["input_tokens"]
    output = reasoning = 0
    out = []
    for number, (template, (step, step_reasoning)) in enumerate(sequence, 1):
        output += step
        reasoning += step_reasoning
        usage = {
            "total_tokens": input_tokens + output,
            "output_tokens": output,
            "input_tokens": input_tokens,
            "output_tokens_details": {"reasoning_tokens": reasoning},
        }
        out.append(frame_bytes(number, {**template, "usage": usage}))
    return b"".join(out)


def _chinese() -> str:
    """The text of the recordings, for generated pieces (no character JSON escapes)."""
    text = [
        p["output"]["choices"][0]["message"].get(key) or ""
        for p in recorded(MESSAGE_FIXTURE)
        for key in ("reasoning_content", "content")
    ]
    text.append(recorded(CUMULATIVE_FIXTURE)[-1]["output"]["choices"][0]["message"]["content"])
    return "".join(text).replace("\n", "")


#: Piece lengths, in characters, cycled: a few characters a frame, as recorded.
SIZES = (3, 5, 8, 2, 6, 4, 7, 5)
LAST = 4  # the length of the last piece


def _length(count: int) -> int:
    """How long a text :func:`cut` makes ``count`` pieces of."""
    return sum(islice(cycle(SIZES), count - 1)) + LAST


def _repeat(text: str, length: int) -> str:
    return (text * (length // len(text) + 1))[:length]


def cut(text: str, count: int) -> list[str]:
    """``text`` (``_length(count)`` characters) as ``count`` pieces, lengths from SIZES."""
    if len(text) != _length(count):
        raise ValueError(f"expected {_length(count)} characters, got {len(text)}")
    pieces: list[str] = []
    start = 0
    for size in islice(cycle(SIZES), count - 1):
        pieces.append(text[start : start + size])
        start += size
    pieces.append(text[start:])
    return pieces


def _arguments(length: int, text: str) -> str:
    """A JSON arguments document of ``length`` characters (its start, if that is too short)."""
    place = _place()
    note = _repeat(text, max(0, length - len(dumps({"location": place, "note": ""}))))
    document = dumps({"location": place, "note": note})[:length]
    if len(document) != length:
        raise AssertionError("the arguments text needs escapes; pick text without them")
    return document


def _place() -> str:
    """The place the recorded calls ask about ("浙江省杭州市")."""
    _, continuation, *_ = recorded(TOOLS_FIXTURE)
    arguments = continuation["output"]["choices"][0]["message"]["tool_calls"][0]["function"][
        "arguments"
    ]
    return str(json.loads('{"location": "' + arguments)["location"])


def tool_stream(frames: int, calls: int = TOOL_CALLS) -> bytes:
    """``calls`` tool calls one after the other, each in ``frames // calls`` fragments."""
    opening, continuation, _, closing = recorded(TOOLS_FIXTURE)
    name = opening["output"]["choices"][0]["message"]["tool_calls"][0]["function"]["name"]
    reason = closing["output"]["choices"][0]["finish_reason"]
    text = _chinese()
    input_tokens = opening["usage"]["input_tokens"]
    per_call = max(2, frames // calls)
    output = 0
    number = 0
    out = []
    for index in range(calls):
        call_id = f"call_{(index + 1) * 0x9E3779B97F4A7C15 & (1 << 88) - 1:022x}"
        pieces = cut(_arguments(_length(per_call), text), per_call)
        for k, piece in enumerate(pieces):
            template = opening if k == 0 else continuation
            call = template["output"]["choices"][0]["message"]["tool_calls"][0]
            function = {**call["function"], "arguments": piece}
            if k == 0:
                function["name"] = name
            fragment = {
                **call,
                "index": index,
                "id": call_id if k == 0 else "",
                "function": function,
            }
            payload = _message(template, tool_calls=[fragment])
            if index == calls - 1 and k == per_call - 1:
                payload = _finished(payload, reason)
            output += tokens(piece)
            usage = {
                **template["usage"],
                "total_tokens": input_tokens + output,
                "output_tokens": output,
            }
            number += 1
            out.append(frame_bytes(number, {**payload, "usage": usage}))
    return b"".join(out)


def cumulative_stream(frames: int) -> bytes:
    """Every frame the whole answer so far (the recorded answer, cycled); ``stop`` on the last."""
    first, *_, last = recorded(CUMULATIVE_FIXTURE)
    text = last["output"]["choices"][0]["message"]["content"]
    reason = last["output"]["choices"][0]["finish_reason"]
    input_tokens = last["usage"]["input_tokens"]
    output = 0
    snapshot = ""
    out = []
    for number, piece in enumerate(cut(_repeat(text, _length(frames)), frames), 1):
        snapshot += piece
        output += tokens(piece)
        payload = _message(first, content=snapshot)
        if number == frames:
            payload = _finished(payload, reason)
        usage = {
            "total_tokens": input_tokens + output,
            "input_tokens": input_tokens,
            "output_tokens": output,
        }
        out.append(frame_bytes(number, {**payload, "usage": usage}))
    return b"".join(out)


def per_frame(stream: bytes) -> Chunks:
    return [part + b"\n\n" for part in stream.split(b"\n\n")[:-1]]


def fixed(stream: bytes, size: int = 16 * 1024) -> Chunks:
    return [stream[i : i + size] for i in range(0, len(stream), size)]


@dataclass(frozen=True)
class Summary:
    """What a correct decoding of a workload must contain, in order."""

    frames: int
    texts: tuple[str, ...]  # content pieces (deltas), non-empty
    reasoning: tuple[str, ...]  # reasoning_content pieces, non-empty
    calls: tuple[tuple[int, str | None, str | None, str], ...]  # index, id, name, arguments
    finishes: tuple[str, ...]
    usage: tuple[int | None, int | None, int | None]  # final input, output, total tokens


def summarize_dicts(payloads: list[Any], kind: Kind) -> Summary:
    """Summary of frames given as dicts (or the SDK's dict subclasses); on a
    cumulative stream each value is turned into what it adds to the previous one."""
    snapshots: dict[str, str] = {}

    def piece(channel: str, value: str) -> str:
        if kind == "incremental":
            return value
        previous = snapshots.get(channel, "")
        if not value.startswith(previous):
            raise AssertionError(f"{channel}: a snapshot does not extend the one before it")
        snapshots[channel] = value
        return value[len(previous) :]

    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[tuple[int, str | None, str | None, str]] = []
    finishes: list[str] = []
    usage: dict[str, Any] = {}
    for payload in payloads:
        for choice in payload["output"]["choices"]:
            message = choice.get("message") or {}
            if message.get("reasoning_content"):
                delta = piece("reasoning", message["reasoning_content"])
                if delta:
                    reasoning.append(delta)
            if message.get("content"):
                delta = piece("text", message["content"])
                if delta:
                    texts.append(delta)
            for call in message.get("tool_calls") or ():
                function = call.get("function") or {}
                calls.append(
                    (
                        call["index"],
                        call.get("id") or None,
                        function.get("name") or None,
                        function.get("arguments") or "",
                    )
                )
            if choice.get("finish_reason") not in {None, "null"}:
                finishes.append(choice["finish_reason"])
        usage = payload.get("usage") or usage
    return Summary(
        len(payloads),
        tuple(texts),
        tuple(reasoning),
        tuple(calls),
        tuple(finishes),
        (usage.get("input_tokens"), usage.get("output_tokens"), usage.get("total_tokens")),
    )


def expected_summary(stream: bytes, kind: Kind) -> Summary:
    return summarize_dicts([json.loads(b.split(b"\ndata:", 1)[1]) for b in per_frame(stream)], kind)


@dataclass(frozen=True)
class Workload:
    stream: str
    kind: Kind
    feed: str
    chunks: Chunks
    data: bytes  # the same bytes, whole (what the SDK's response reads from)
    expected: Summary


STREAMS: dict[str, tuple[Kind, Callable[[int], bytes]]] = {
    "message, incremental": ("incremental", message_stream),
    "tool calls, incremental": ("incremental", tool_stream),
    "message, cumulative": ("cumulative", cumulative_stream),
}


def workloads(frames: int, cumulative_frames: int) -> Iterator[Workload]:
    for name, (kind, build) in STREAMS.items():
        stream = build(cumulative_frames if kind == "cumulative" else frames)
        expected = expected_summary(stream, kind)
        yield Workload(name, kind, "per-frame", per_frame(stream), stream, expected)
        yield Workload(name, kind, "16 KiB", fixed(stream), stream, expected)


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
Contender = Callable[[Workload, Out], Out]


def _adapters(mode: Literal["auto", "named"], wire: bool) -> Contender:
    def run(w: Workload, out: Out) -> Out:
        decoder = Decoder(mode=w.kind if mode == "named" else "auto", wire=wire)
        for chunk in w.chunks:
            out.extend(decoder.feed(chunk))
        out.extend(decoder.close())
        return out

    return run


@cache
def _sdk() -> tuple[Any, Callable[[Any], Any]]:
    """The SDK's request object (no request is made) and its per-item step."""
    from dashscope.api_entities.dashscope_response import GenerationResponse
    from dashscope.api_entities.http_request import HttpRequest

    request = HttpRequest(
        url="https://dashscope.aliyuncs.com/api/v1/services/aigc/text-generation/generation",
        api_key="sk-benchmark",
        http_method="POST",
        stream=True,
    )
    return request, GenerationResponse.from_api_response


def sdk_response(data: bytes) -> Any:
    """A ``requests.Response`` as ``session.post(..., stream=True)`` returns it,
    with the body in memory."""
    import requests

    response = requests.Response()
    response.status_code = 200
    response.headers["content-type"] = "text/event-stream;charset=UTF-8"
    response.raw = io.BytesIO(data)  # shares the bytes: no copy
    return response


def run_sdk(w: Workload, out: Out) -> Out:
    """``Generation.call(stream=True)`` once the response is in (see the module docstring)."""
    request, from_api_response = _sdk()
    response = sdk_response(w.data)

    def handle_request() -> Iterator[Any]:  # HttpRequest._handle_request, after the POST
        yield from request._handle_response(response)

    items = (item for item in handle_request())  # HttpRequest.call
    for rsp in (from_api_response(rsp) for rsp in items):  # Generation.call
        out.append(rsp)
    return out


def run_httpx_sse(w: Workload, out: Out) -> Out:
    """As in bench_openai.py: what ``EventSource.iter_sse`` runs, then ``json.loads``."""
    from httpx_sse._decoders import SSEDecoder as HttpxSSEDecoder
    from httpx_sse._decoders import SSELineDecoder

    text_decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    lines = SSELineDecoder()
    decoder = HttpxSSEDecoder()
    loads = json.loads
    for chunk in w.chunks:
        text = text_decoder.decode(chunk)
        if not text:
            continue
        for line in lines.decode(text):
            sse = decoder.decode(line)
            if sse is not None:
                out.append(loads(sse.data))
    for line in lines.flush():
        sse = decoder.decode(line)
        if sse is not None:
            out.append(loads(sse.data))
    return out


def run_floor(w: Workload, out: Out) -> Out:
    """The least a Python client can do: split on blank lines, orjson the ``data:`` line."""
    from orjson import loads

    rest = b""
    for chunk in w.chunks:
        parts = (rest + chunk).split(b"\n\n")
        rest = parts.pop()
        for part in parts:
            out.append(loads(part[part.index(b"\ndata:") + 6 :]))
    return out


CONTENDERS: dict[str, Contender] = {
    DEFAULT: _adapters("auto", wire=True),
    "adapters Decoder(wire=False)": _adapters("auto", wire=False),
    "adapters Decoder(mode=…)": _adapters("named", wire=True),
    "adapters Decoder(mode=…, wire=False)": _adapters("named", wire=False),
    SDK: run_sdk,
    "httpx-sse + json.loads": run_httpx_sse,
    FLOOR: run_floor,
}


def summarize(name: str, out: list[Any], w: Workload) -> Summary:
    if name.startswith("adapters"):
        texts: list[str] = []
        reasoning: list[str] = []
        calls: list[tuple[int, str | None, str | None, str]] = []
        finishes: list[str] = []
        usage: tuple[int | None, int | None, int | None] = (None, None, None)
        ends = 0
        for event in out:
            if type(event) is TextDelta:
                texts.append(event.text)
            elif type(event) is ReasoningDelta:
                reasoning.append(event.text)
            elif type(event) is ToolCallDelta:
                calls.append((event.index, event.id, event.name, event.arguments))
            elif type(event) is Finish:
                finishes.append(event.raw_reason)
            elif type(event) is Usage:
                usage = (event.input_tokens, event.output_tokens, event.total_tokens)
            elif type(event) is End:
                ends += 1
            elif type(event) is Resync:
                raise AssertionError(f"{name}: a resync on a well-formed stream")
        if ends != 1:
            raise AssertionError(f"{name}: {ends} End events, expected 1")
        # Normalized events are not one per frame; the frame count is not theirs.
        return Summary(
            w.expected.frames,
            tuple(texts),
            tuple(reasoning),
            tuple(calls),
            tuple(finishes),
            usage,
        )
    if name == SDK:
        from dashscope.api_entities.dashscope_response import GenerationResponse

        if not all(type(r) is GenerationResponse and r.status_code == 200 for r in out):
            raise AssertionError(f"{name}: not every item is a GenerationResponse with status 200")
    return summarize_dicts(out, w.kind)


def verify(name: str, out: list[Any], w: Workload) -> str | None:
    got = summarize(name, out, w)
    for field in ("frames", "texts", "reasoning", "calls", "finishes", "usage"):
        mine, theirs = getattr(got, field), getattr(w.expected, field)
        if mine != theirs:
            count = len(mine) if isinstance(mine, tuple) else mine
            want = len(theirs) if isinstance(theirs, tuple) else theirs
            return f"{field}: got {count}, expected {want}" + (
                " (same count, different values)" if count == want else ""
            )
    return None


# ------------------------------------------------------------------ timing


def _once(fn: Contender, w: Workload, keep: bool) -> float:
    # Every contender starts from the same collector state: no garbage left by
    # the one before counts against it.
    gc.collect()
    start = time.perf_counter()
    fn(w, [] if keep else Drop())
    return time.perf_counter() - start


def _best(fn: Contender, w: Workload, keep: bool, rounds: int) -> float:
    return min(_once(fn, w, keep) for _ in range(rounds))


Times = dict[tuple[str, str, bool, str], float]  # (stream, feed, keep, contender) -> best s


def check(cases: list[Workload]) -> bool:
    for w in cases:
        for name, fn in CONTENDERS.items():
            kept: list[Any] = []
            fn(w, kept)
            problem = verify(name, kept, w)
            if problem is not None:
                print(f"{name} is wrong on {w.stream}, {w.feed}: {problem}", file=sys.stderr)
                return False
    return True


def tables(cases: list[Workload], rounds: int) -> Times:
    times: Times = {}
    for keep in (True, False):
        print(
            "\n"
            + (
                "Output kept (a logger collecting everything):"
                if keep
                else "Output handed on and let go (a gateway streaming it):"
            )
            + "\n\n| stream | fed | contender | ms | MB/s | k frames/s | × SDK | × default |\n"
            "|---|---|---|---:|---:|---:|---:|---:|"
        )
        for w in cases:
            best = dict.fromkeys(CONTENDERS, float("inf"))
            for _ in range(rounds):
                for name, fn in CONTENDERS.items():
                    best[name] = min(best[name], _once(fn, w, keep))
            sdk, ours = best[SDK], best[DEFAULT]
            for name, seconds in best.items():
                times[w.stream, w.feed, keep, name] = seconds
                print(
                    f"| {w.stream} | {w.feed} | {name} | {seconds * 1e3:.1f} "
                    f"| {len(w.data) / seconds / 1e6:.1f} "
                    f"| {w.expected.frames / seconds / 1e3:.1f} "
                    f"| {sdk / seconds:.2f} | {seconds / ours:.2f} |"
                )
    return times


def targets(cases: list[Workload], times: Times) -> None:
    """Worst case over streams and feeds of each adapters decoder, against the targets."""
    print(
        "\nTargets, worst stream and feed (kept / let go):\n\n"
        "| decoder | incremental: × SDK | cumulative: × SDK | cumulative: MB/s |\n"
        "|---|---:|---:|---:|"
    )
    verdicts = []
    for name in (n for n in CONTENDERS if n.startswith("adapters")):
        cells = []
        for kind, measure in (
            ("incremental", "ratio"),
            ("cumulative", "ratio"),
            ("cumulative", "MB/s"),
        ):
            pair = []
            for keep in (True, False):
                values = [
                    times[w.stream, w.feed, keep, SDK] / times[w.stream, w.feed, keep, name]
                    if measure == "ratio"
                    else len(w.data) / times[w.stream, w.feed, keep, name] / 1e6
                    for w in cases
                    if w.kind == kind
                ]
                pair.append(min(values))
            cells.append(pair)
            if name == DEFAULT:
                target = {
                    ("incremental", "ratio"): TARGET_VS_SDK_INCREMENTAL,
                    ("cumulative", "ratio"): TARGET_VS_SDK_CUMULATIVE,
                    ("cumulative", "MB/s"): TARGET_MBPS_CUMULATIVE,
                }[kind, measure]
                unit = "×" if measure == "ratio" else " MB/s"
                verdicts.append(
                    f"{kind} {'vs the SDK' if measure == 'ratio' else 'throughput'}: "
                    f"{min(pair):.1f}{unit} (target ≥ {target:g}{unit}: "
                    f"{'met' if min(pair) >= target else 'MISSED'})"
                )
        print(
            f"| {name} | {cells[0][0]:.2f} / {cells[0][1]:.2f} | {cells[1][0]:.2f} / "
            f"{cells[1][1]:.2f} | {cells[2][0]:.0f} / {cells[2][1]:.0f} |"
        )
    print(f"\n{DEFAULT}, worst case: " + "; ".join(verdicts))


def _named(kind: Kind) -> str:
    return f"Decoder(mode={kind!r})"


def linearity(frames: int, cumulative_frames: int, rounds: int) -> float:
    """Time per input byte of the default and the named-mode decoder at two sizes;
    returns the worst growth of time per byte."""
    print(
        "\nLinear time: each stream at two sizes, fed per frame, events let go.\n\n"
        "| stream | decoder | frames | MB | ms | ns/byte | input × | time × | "
        "time per byte × |\n|---|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    worst = 0.0
    for name, (kind, build) in STREAMS.items():
        size = cumulative_frames if kind == "cumulative" else frames
        pair = [_bare(name, kind, build(n)) for n in (size, 2 * size)]
        for label, mode in (("Decoder()", "auto"), (_named(kind), "named")):
            fn = _adapters("auto" if mode == "auto" else "named", wire=True)
            small, large = (_best(fn, w, keep=False, rounds=rounds) for w in pair)
            grow = len(pair[1].data) / len(pair[0].data)
            worst = max(worst, large / small / grow)
            for w, seconds in zip(pair, (small, large), strict=True):
                ratios = (
                    f"{grow:.2f} | {large / small:.2f} | {large / small / grow:.2f}"
                    if w is pair[1]
                    else " | | "
                )
                print(
                    f"| {name} | {label} | {w.expected.frames} | {len(w.data) / 1e6:.1f} "
                    f"| {seconds * 1e3:.1f} | {seconds / len(w.data) * 1e9:.2f} | {ratios} |"
                )
    return worst


def _bare(name: str, kind: Kind, stream: bytes, feed: str = "per-frame") -> Workload:
    """A workload whose output is not checked (timing and memory runs)."""
    chunks = per_frame(stream) if feed == "per-frame" else fixed(stream)
    frames = stream.count(b"\n\n")
    return Workload(name, kind, feed, chunks, stream, Summary(frames, (), (), (), (), (None,) * 3))


def _peak(w: Workload) -> int:
    decoder = Decoder()
    gc.collect()
    tracemalloc.start()
    try:
        for chunk in w.chunks:
            decoder.feed(chunk)  # the events are let go at once
        decoder.close()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def memory(frames: int, cumulative_frames: int) -> float:
    """tracemalloc peaks of Decoder() at two sizes; returns the worst growth of the
    peak over the growth of the final snapshot (incremental: over 1)."""
    print(
        "\nBounded memory: tracemalloc peak while Decoder() decodes, each feed's events "
        "let go (the input is allocated before; fed in 16 KiB, one feed returns some 40 "
        "frames' events at once). The snapshot is the final content, in UTF-8.\n\n"
        "| stream | frames | input MB | snapshot KB | largest frame KB | fed | peak KB "
        "| peak ÷ snapshot | peak ÷ largest frame |\n"
        "|---|---:|---:|---:|---:|---|---:|---:|---:|"
    )
    peaks: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for name, (kind, build) in STREAMS.items():
        size = cumulative_frames if kind == "cumulative" else frames
        for n in (size, 2 * size):
            stream = build(n)
            blocks = per_frame(stream)
            last = json.loads(blocks[-1].split(b"\ndata:", 1)[1])
            content = last["output"]["choices"][0]["message"].get("content") or ""
            snapshot = len(content.encode()) if kind == "cumulative" else 0
            largest = max(map(len, blocks))
            for feed in ("per-frame", "16 KiB"):
                peak = _peak(_bare(name, kind, stream, feed))
                peaks.setdefault((name, feed), []).append((peak, snapshot))
                print(
                    f"| {name} | {n} | {len(stream) / 1e6:.1f} | {snapshot / 1e3:.1f} "
                    f"| {largest / 1e3:.1f} | {feed} | {peak / 1e3:.1f} "
                    f"| {f'{peak / snapshot:.1f}' if snapshot else '—'} "
                    f"| {peak / largest:.1f} |"
                )
    return max(
        (large / small) / (snap_large / snap_small if snap_small else 1.0)
        for ((small, snap_small), (large, snap_large)) in peaks.values()
    )


def profile(frames: int, cumulative_frames: int, top: int) -> None:
    """cProfile of ``Decoder()`` (the defaults), fed per frame, events let go."""
    for name, (kind, build) in STREAMS.items():
        w = _bare(name, kind, build(cumulative_frames if kind == "cumulative" else frames))
        fn = _adapters("auto", wire=True)
        profiler = cProfile.Profile()
        gc.collect()
        profiler.enable()
        fn(w, Drop())
        profiler.disable()
        stats: Any = pstats.Stats(profiler)
        total = stats.total_tt
        print(f"\n{name}: {len(w.data) / 1e6:.1f} MB, {total * 1e3:.0f} ms under the profiler\n")
        print(
            "| function | calls | own ms | own share | with callees ms |\n|---|---:|---:|---:|---:|"
        )
        rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)
        for (file, line, func), (_, calls, own, cumulative, _) in rows[:top]:
            where = f" ({Path(file).name}:{line})" if line else ""
            print(
                f"| `{func}`{where} | {calls} | {own * 1e3:.1f} | {own / total:.1%} "
                f"| {cumulative * 1e3:.1f} |"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--frames",
        "--events",  # the other benchmarks' name, so that one BENCH_ARGS serves all
        type=int,
        default=40_000,
        help="frames per incremental stream",
    )
    parser.add_argument(
        "--cumulative-frames", type=int, default=2_500, help="frames of the cumulative stream"
    )
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the best counts")
    parser.add_argument(
        "--profile", action="store_true", help="print cProfile hot spots of Decoder() instead"
    )
    parser.add_argument("--top", type=int, default=20, help="with --profile: rows per stream")
    args = parser.parse_args(argv)

    check_encoding()
    if args.profile:
        profile(args.frames, args.cumulative_frames, args.top)
        return 0

    versions = ", ".join(
        f"{package} {version(package)}"
        for package in ("dashscope", "requests", "httpx-sse", "orjson")
    )
    print(
        f"python {platform.python_version()} on {platform.machine()}; {versions}; "
        f"best of {args.rounds} rounds"
    )
    cases = list(workloads(args.frames, args.cumulative_frames))
    for w in cases:
        if w.feed == "per-frame":
            print(f"- {w.stream}: {w.expected.frames} frames, {len(w.data) / 1e6:.1f} MB")
    if not check(cases):
        return 2
    times = tables(cases, args.rounds)
    targets(cases, times)
    time_growth = linearity(args.frames // 2, args.cumulative_frames // 2, args.rounds)
    memory_growth = memory(args.frames // 8, args.cumulative_frames // 2)
    print(
        f"\nLinear time: time per input byte grows at most {time_growth:.2f}× when the "
        f"stream doubles (target: about 1, ≤ 1.25: "
        f"{'met' if time_growth <= 1.25 else 'MISSED'}). Bounded memory: the peak grows "
        f"at most {memory_growth:.2f}× the final snapshot (incremental: not at all) when "
        f"the stream doubles (target ≤ 1.25: {'met' if memory_growth <= 1.25 else 'MISSED'})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

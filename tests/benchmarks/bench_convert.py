"""DashScope native -> OpenAI chunk conversion throughput: what a gateway does per frame.

Run: ``make bench`` (or ``python tests/benchmarks/bench_convert.py --help``).

What is measured: bytes of a DashScope native stream in, the bytes of the
equivalent OpenAI ``chat.completion.chunk`` SSE stream out (each piece handed
on and let go, as a gateway does). The streams are bench_dashscope.py's
(synthesized from the recordings' shapes), fed one frame at a time. Contenders:

* ``adapters``: ``adapters.Converter("openai", provider="dashscope",
  mode=...)``: validated decoding (strict: a malformed frame is an error
  naming where it is), cumulative snapshots diffed, the OpenAI writer.
* ``dashscope SDK + json.dumps``: how a Python gateway built on the official
  SDK converts: the SDK's own stream path (bench_dashscope.py's ``run_sdk``:
  ``_handle_stream``, ``DashScopeAPIResponse``, ``GenerationResponse``), then
  one OpenAI chunk dict per item, written with ``json.dumps``. It reads
  ``output.choices[0].message`` (content, reasoning, tool calls, finish) and
  the usage of the last item; on a cumulative stream it slices each snapshot
  after the previous one's length, unchecked, as such gateways do.
* ``split + orjson``: the floor -- split on blank lines, ``orjson.loads`` the
  ``data:`` line, a dict per frame, ``orjson.dumps``. No SSE rules, no checks.

Every contender's output is checked to carry the same text, reasoning and tool
arguments before anything is timed; the best of ``--rounds`` counts.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
from collections.abc import Callable, Iterator
from importlib.metadata import version
from typing import Any

import orjson
from bench_dashscope import (  # type: ignore[import-not-found]  # beside this script
    Drop,
    Workload,
    cumulative_stream,
    expected_summary,
    message_stream,
    per_frame,
    run_sdk,
    tool_stream,
)

from adapters import Converter

Run = Callable[[Workload, Any], None]


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-x",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def run_adapters(w: Workload, out: Any) -> None:
    converter = Converter("openai", provider="dashscope", mode=w.kind, model="m")
    for chunk in w.chunks:
        out.append(converter.feed(chunk))
    while tail := converter.close():
        out.append(tail)


class _Seen:
    """What has been said per channel, for slicing cumulative snapshots."""

    def __init__(self) -> None:
        self.said: dict[str, int] = {}

    def new(self, key: str, value: str, cumulative: bool) -> str:
        if not cumulative:
            return value
        start = self.said.get(key, 0)
        self.said[key] = len(value)
        return value[start:]


def _convert_message(message: Any, seen: _Seen, cumulative: bool) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    content = message.get("content")
    if isinstance(content, str) and content:
        delta["content"] = seen.new("content", content, cumulative)
    reasoning = message.get("reasoning_content")
    if reasoning:
        delta["reasoning_content"] = seen.new("reasoning", reasoning, cumulative)
    calls = message.get("tool_calls")
    if calls:
        out = []
        for call in calls:
            function = call.get("function") or {}
            key = f"call{call.get('index', 0)}"
            arguments = seen.new(key, function.get("arguments") or "", cumulative)
            item: dict[str, Any] = {
                "index": call.get("index", 0),
                "function": {"arguments": arguments},
            }
            if call.get("id"):
                item["id"] = call["id"]
                item["type"] = "function"
                item["function"]["name"] = function.get("name")
            out.append(item)
        delta["tool_calls"] = out
    return delta


def run_sdk_gateway(w: Workload, out: Any) -> None:
    items: list[Any] = []
    run_sdk(w, items)  # the SDK's own path, GenerationResponse objects
    seen = _Seen()
    cumulative = w.kind == "cumulative"
    usage = None
    for rsp in items:
        choice = rsp.output.choices[0]
        finish = choice.finish_reason if choice.finish_reason not in (None, "null") else None
        chunk = _chunk(_convert_message(choice.message, seen, cumulative), finish)
        out.append(b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n")
        usage = rsp.usage
    if usage is not None:
        total = {"prompt_tokens": usage.input_tokens, "completion_tokens": usage.output_tokens}
        chunk = _chunk({}) | {"choices": [], "usage": total}
        out.append(b"data: " + json.dumps(chunk).encode() + b"\n\n")
    out.append(b"data: [DONE]\n\n")


def run_floor(w: Workload, out: Any) -> None:
    seen = _Seen()
    cumulative = w.kind == "cumulative"
    for block in w.data.split(b"\n\n"):
        at = block.find(b"\ndata:")
        if at < 0:
            continue
        payload = orjson.loads(block[at + 6 :])
        choice = payload["output"]["choices"][0]
        finish = choice.get("finish_reason")
        delta = _convert_message(choice.get("message") or {}, seen, cumulative)
        chunk = _chunk(delta, finish if finish != "null" else None)
        out.append(b"data: " + orjson.dumps(chunk) + b"\n\n")
    out.append(b"data: [DONE]\n\n")


CONTENDERS: dict[str, Run] = {
    "adapters": run_adapters,
    "dashscope SDK + json.dumps": run_sdk_gateway,
    "split + orjson": run_floor,
}


def said(pieces: list[bytes]) -> tuple[str, str, str]:
    """Text, reasoning and tool arguments an OpenAI client adds up."""
    text: list[str] = []
    reasoning: list[str] = []
    arguments: list[str] = []
    for block in b"".join(pieces).split(b"\n\n"):
        if not block.startswith(b"data: {"):
            continue
        chunk = json.loads(block[6:])
        for choice in chunk["choices"]:
            delta = choice["delta"]
            text.append(delta.get("content") or "")
            reasoning.append(delta.get("reasoning_content") or "")
            calls = delta.get("tool_calls") or ()
            arguments.extend(call["function"].get("arguments") or "" for call in calls)
    return "".join(text), "".join(reasoning), "".join(arguments)


def workloads(frames: int, cumulative_frames: int) -> Iterator[Workload]:
    for name, kind, build, count in (
        ("message, incremental", "incremental", message_stream, frames),
        ("tool calls, incremental", "incremental", tool_stream, frames),
        ("message, cumulative", "cumulative", cumulative_stream, cumulative_frames),
    ):
        stream = build(count)
        yield Workload(
            name, kind, "per-frame", per_frame(stream), stream, expected_summary(stream, kind)
        )


def _once(fn: Run, w: Workload) -> float:
    gc.collect()
    start = time.perf_counter()
    fn(w, Drop())
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", "--events", type=int, default=40_000)
    parser.add_argument("--cumulative-frames", type=int, default=2_500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    versions = ", ".join(f"{p} {version(p)}" for p in ("dashscope", "orjson"))
    print(f"python {platform.python_version()}; {versions}; best of {args.rounds} rounds")
    print("\n| stream | contender | ms | k frames/s | × SDK gateway |\n|---|---|---:|---:|---:|")
    for w in workloads(args.frames, args.cumulative_frames):
        reference: tuple[str, str, str] | None = None
        for name, fn in CONTENDERS.items():
            kept: list[bytes] = []
            fn(w, kept)
            got = said(kept)
            if reference is None:
                reference = got
            elif got != reference:
                print(f"{name} disagrees on {w.stream}", file=sys.stderr)
                return 2
        best = dict.fromkeys(CONTENDERS, float("inf"))
        for _ in range(args.rounds):
            for name, fn in CONTENDERS.items():
                best[name] = min(best[name], _once(fn, w))
        sdk = best["dashscope SDK + json.dumps"]
        for name, seconds in best.items():
            print(
                f"| {w.stream} | {name} | {seconds * 1e3:.1f} "
                f"| {w.expected.frames / seconds / 1e3:.1f} | {sdk / seconds:.2f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

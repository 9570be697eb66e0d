"""SSE framing throughput: adapters.sse against the decoders users have today.

Run: ``make bench`` (or ``python tests/benchmarks/bench_sse.py --help``).

What is measured: bytes in, frames out, no JSON parsing. Every decoder gets the
same bytes, cut into the same chunks, in the same process, alternating rounds
so that a slow patch of the machine hits all of them alike; the best round of
each counts. Peers:

* ``openai``: the official SDK's internal ``openai._streaming.SSEDecoder``
  driven by its own ``iter_bytes`` (what ``openai.Stream`` runs).
* ``httpx-sse``: ``httpx_sse``'s line decoder and event decoder, driven the way
  its ``EventSource.iter_sse`` drives them: bytes to text with an incremental
  UTF-8 decoder (what ``httpx.Response.iter_text`` does), then lines, then events.

Workloads (generated, deterministic): an OpenAI-style stream (``data: {...}``
blocks, one line each) and a DashScope-style stream (``id:``, ``event:``,
``:HTTP_STATUS/200`` and ``data:`` lines), each with text that mixes Chinese
and ASCII; each cut per event (what a server's flushes give) and into 16 KiB
chunks (what a busy connection gives). Every decoder's output is checked
against ours before timing, so a faster wrong answer cannot win.

The ratios are "how many times faster than the peer"; above 1.0 is faster.
"""

from __future__ import annotations

import argparse
import codecs
import json
import platform
import random
import sys
import time
from collections.abc import Callable, Iterator

from adapters.sse import SSEDecoder

Chunks = list[bytes]

_CJK = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"  # noqa: E501
_WORDS = ["the", "model", "stream", "token", "Qwen", "delta", "chunk", "is", "a", "of", "42", "ok"]


def _text(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return "".join(rng.choice(_CJK) for _ in range(rng.randint(1, 8)))
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 4))) + rng.choice(" ,.")


def openai_stream(events: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    head = {"id": "chatcmpl-AbCdEf0123456789", "object": "chat.completion.chunk"}
    out = []
    for _ in range(events):
        chunk = {
            **head,
            "created": 1732513944,
            "model": "qwen-plus",
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "delta": {"content": _text(rng)},
                    "logprobs": None,
                    "finish_reason": None,
                }
            ],
        }
        out.append(
            b"data: "
            + json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode()
            + b"\n\n"
        )
    out.append(b"data: [DONE]\n\n")
    return b"".join(out)


def dashscope_stream(events: int, seed: int = 11) -> bytes:
    rng = random.Random(seed)
    out = []
    total = 0
    for n in range(1, events + 1):
        total += rng.randint(1, 6)
        payload = {
            "output": {
                "choices": [
                    {
                        "message": {"content": _text(rng), "role": "assistant"},
                        "finish_reason": "null" if n < events else "stop",
                    }
                ]
            },
            "usage": {"total_tokens": 20 + total, "input_tokens": 20, "output_tokens": total},
            "request_id": "5b441aa7-0b9c-9fbc-ae0a-e2b212b71eac",
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        out.append(f"id:{n}\nevent:result\n:HTTP_STATUS/200\ndata:{body}\n\n".encode())
    return b"".join(out)


def per_event(stream: bytes) -> Chunks:
    return [part + b"\n\n" for part in stream.split(b"\n\n")[:-1]]


def fixed(stream: bytes, size: int = 16 * 1024) -> Chunks:
    return [stream[i : i + size] for i in range(0, len(stream), size)]


# ------------------------------------------------------------------ decoders
# Each returns (event type, data) for every event a browser would dispatch
# (type "message" when the block named none), so
# that their answers can be compared before they are timed.


def run_adapters(chunks: Chunks) -> list[tuple[str, str]]:
    decoder = SSEDecoder()
    out = []
    for chunk in chunks:
        for frame in decoder.feed(chunk):
            if frame.data is not None:
                out.append((frame.event or "message", frame.data))  # noqa: PERF401 - as consumers do
    # A block cut off by the end of the input is returned by close(); a browser
    # would drop it, and so do the peers.
    out.extend(
        (frame.event or "message", frame.data)
        for frame in decoder.close()
        if frame.data is not None and frame.complete
    )
    return out


def run_openai(chunks: Chunks) -> list[tuple[str, str]]:
    from openai._streaming import SSEDecoder as OpenAIDecoder

    return [(sse.event or "message", sse.data) for sse in OpenAIDecoder().iter_bytes(iter(chunks))]


def run_httpx_sse(chunks: Chunks) -> list[tuple[str, str]]:
    from httpx_sse._decoders import SSEDecoder as HttpxSSEDecoder
    from httpx_sse._decoders import SSELineDecoder

    text_decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    lines = SSELineDecoder()
    decoder = HttpxSSEDecoder()
    out = []
    for chunk in chunks:
        text = text_decoder.decode(chunk)
        if not text:
            continue
        for line in lines.decode(text):
            sse = decoder.decode(line)
            if sse is not None:
                out.append((sse.event or "message", sse.data))
    for line in lines.flush():
        sse = decoder.decode(line)
        if sse is not None:
            out.append((sse.event or "message", sse.data))
    return out


DECODERS: dict[str, Callable[[Chunks], list[tuple[str, str]]]] = {
    "adapters": run_adapters,
    "openai": run_openai,
    "httpx-sse": run_httpx_sse,
}


def _best(fn: Callable[[Chunks], object], chunks: Chunks, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(chunks)
        best = min(best, time.perf_counter() - start)
    return best


def workloads(events: int) -> Iterator[tuple[str, Chunks, int]]:
    for name, stream in (
        ("openai-style", openai_stream(events)),
        ("dashscope-style", dashscope_stream(events)),
    ):
        yield f"{name}, per-event chunks", per_event(stream), len(stream)
        yield f"{name}, 16 KiB chunks", fixed(stream), len(stream)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40_000, help="events per stream")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds; the best counts")
    args = parser.parse_args(argv)

    import httpx_sse
    import openai

    print(
        f"python {platform.python_version()} on {platform.machine()}; "
        f"openai {openai.__version__}, httpx-sse {httpx_sse.__version__}; "
        f"{args.events} events per stream, best of {args.rounds} rounds"
    )
    worst_ratio = float("inf")
    for label, chunks, size in workloads(args.events):
        expected = run_adapters(chunks)
        for name, fn in DECODERS.items():
            got = fn(chunks)
            if got != expected:
                print(f"{name} disagrees with adapters on {label}", file=sys.stderr)
                return 2
        times = dict.fromkeys(DECODERS, float("inf"))
        for _ in range(args.rounds):
            for name, fn in DECODERS.items():
                times[name] = min(times[name], _best(fn, chunks, 1))
        ours = times["adapters"]
        print(f"\n{label}: {size / 1e6:.1f} MB, {len(expected)} events, {len(chunks)} chunks")
        for name, seconds in times.items():
            ratio = seconds / ours
            if name != "adapters":
                worst_ratio = min(worst_ratio, ratio)
            note = "" if name == "adapters" else f"  adapters is {ratio:.2f}x as fast"
            print(
                f"  {name:10} {seconds * 1e3:8.1f} ms  {size / seconds / 1e6:7.1f} MB/s"
                f"  {len(expected) / seconds / 1e3:7.0f} k events/s{note}"
            )
    print(f"\nslowest ratio against any peer: {worst_ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

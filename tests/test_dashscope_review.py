"""Regressions from an adversarial review of the DashScope decoder's inline paths.

`GeneralOnly` is the decoder with its inline path turned off (as in
tests/test_dashscope_properties.py). docs/dashscope.md ("Speed") promises that any
frame not read inline goes to the general reader, "which would have given the same
events (a property test holds the two to it, errors and byte offsets included)".
"""

from __future__ import annotations

import json

import pytest

import adapters
from adapters import DecodeError
from adapters.dashscope import Decoder
from adapters.sse import decode_frames


class GeneralOnly(Decoder):
    _fast = False


def frame(n: int, data: bytes) -> bytes:
    """A frame laid out exactly as DashScope writes it."""
    return b"id:%d\nevent:result\n:HTTP_STATUS/200\ndata:" % n + data + b"\n\n"


def piece(text: str, finish: str = "null", extra: str = "") -> bytes:
    content = json.dumps(text, ensure_ascii=False)
    return (
        f'{{"output":{{"choices":[{{"message":{{"content":{content},"role":"assistant"}},'
        f'"finish_reason":"{finish}"}}]}}{extra}}}'
    ).encode()


FIRST = frame(1, piece("a", extra=',"request_id":"r"'))
SECOND = frame(2, piece("b"))
LAST = frame(3, piece("", "stop"))


def run(cls: type[Decoder], chunks: list[bytes], **options: object) -> object:
    """Per-call events (with wire) and diagnostics, or the error's kind/frame/offset."""
    decoder = cls(**options)  # type: ignore[arg-type]
    calls: list[object] = []
    try:
        calls.extend([(e, e.wire) for e in decoder.feed(chunk)] for chunk in chunks)
        calls.extend([(e, e.wire) for e in decoder.close()] for _ in range(2))
    except DecodeError as error:
        calls.append(("error", error.kind, error.frame, error.offset))
    return calls, decoder.diagnostics


# ---------------------------------------------------------------- severity: high


@pytest.mark.parametrize("strict", [True, False])
def test_a_result_frame_without_data_is_no_crash(strict: bool) -> None:
    """A block `event:result` with no `data:` line, once the stream has started and the
    mode is known, crashes the inline path: `Decoder._quick` calls len(frame.data) on
    None -> TypeError.

    Expected: events or a DecodeError, nothing else (docs/dashscope.md round-trip table:
    "arbitrary bytes give events or a DecodeError, nothing else"; SSEDecoder/Decoder
    feed contract). The general reader reads it as a Passthrough, as it reads any
    frame with nothing to say. The same bytes come out of the encoder for an
    UnknownFrame(provider="dashscope", event="result", data=None), so a stream the
    library wrote can crash its own reader.
    """
    raw = FIRST + b"id:2\nevent:result\n\n" + LAST
    expected = run(GeneralOnly, [raw], mode="incremental", strict=strict)
    assert run(Decoder, [raw], mode="incremental", strict=strict) == expected
    # ... and through the facade, as a user would call it:
    events = list(adapters.decode(raw, provider="dashscope", mode="incremental", strict=strict))
    assert [e.type for e in events][3] == "passthrough"


def test_events_read_inline_come_before_the_next_frames_error() -> None:
    """feed() gets a chunk holding a canonical frame (read on the byte path) and then a
    frame the byte path hands to the framing layer (here: `:HTTP_STATUS/500`, not the
    canonical layout) whose data is bad. `_read_bytes` returns
    `out + self._read_frames(...)`, and `_read_frames` raises the DecodeError at once
    because *its own* list is empty, so the byte path's events ('b') are dropped.

    Expected (docs/dashscope.md "Bad input"): "Events decoded before an error are
    returned first; the error comes from the next call". The general reader returns
    [TextDelta('b')] and raises on the next call.
    """
    bad = b'id:3\nevent:result\n:HTTP_STATUS/500\ndata:{"output":5}\n\n'
    decoder = Decoder(mode="incremental")
    decoder.feed(FIRST)
    events = decoder.feed(SECOND + bad)  # 'b' first; the error with the next call
    assert [(e.type, getattr(e, "text", None)) for e in events] == [("text_delta", "b")]
    with pytest.raises(DecodeError) as info:
        decoder.close()
    assert (info.value.kind, info.value.frame) == ("invalid_frame", 2)


def test_events_read_inline_come_before_a_framing_error() -> None:
    """Same hole, other trigger: strict_utf8=True and invalid UTF-8 in the frame after
    a canonical one; `self._sse.feed(rest)` raises directly and 'b' is dropped.
    (docs/sse.md: "the frames completed before the offending byte are still returned
    and the error is raised by the next call".)"""
    decoder = Decoder(mode="incremental", strict_utf8=True)
    decoder.feed(FIRST)
    events = decoder.feed(SECOND + frame(3, b'"\xff"'))
    assert [(e.type, getattr(e, "text", None)) for e in events] == [("text_delta", "b")]


# ---------------------------------------------------------------- severity: medium


def test_the_byte_path_keeps_max_buffer_size() -> None:
    """A frame longer than max_buffer_size that arrives whole in one chunk is read by
    the byte path; only the *held* tail is ever compared with the bound.

    Expected (docs/sse.md "Bounds": "A longer one raises
    DecodeError(kind="buffer_overflow")"; Decoder's max_buffer_size: "bound on one SSE
    block"): buffer_overflow at frame 1, as the general reader reports it. Whether a
    bound holds must not depend on which path reads the frame or on the chunking.
    """
    big = frame(2, piece("x" * 300))
    raw = [FIRST, big + LAST]
    expected = run(GeneralOnly, raw, mode="incremental", max_buffer_size=200)
    assert expected[0][-1][:3] == ("error", "buffer_overflow", 1)  # type: ignore[index]
    assert run(Decoder, raw, mode="incremental", max_buffer_size=200) == expected


def test_cr_only_line_endings_do_not_hold_events_back() -> None:
    """With CR line endings (legal SSE; docs/sse.md follows WHATWG line for line), once
    the byte path holds the start of a frame it only looks for "\\n": every later chunk
    is appended to the held bytes, and no event comes out until close() (or until 16 MiB
    have piled up). A live stream stalls.

    Expected: Decoder.feed "return[s] the events of the frames they complete", as the
    general reader does: one text delta per completed frame, as it arrives.
    """

    def cr(data: bytes) -> bytes:
        return data.replace(b"\n", b"\r")

    frames = [cr(FIRST), *(cr(frame(n, piece(f"t{n}"))) for n in range(2, 6))]
    frames.append(cr(frame(6, piece("", "stop"))))
    chunks = [part for f in frames for part in (f[:10], f[10:])]
    assert run(Decoder, chunks, mode="incremental") == run(GeneralOnly, chunks, mode="incremental")


def test_cumulative_list_items_are_one_value_in_order() -> None:
    """Cumulative (incremental_output=false) multimodal content with two text parts.
    Snapshots: ["a","x"] -> ["ab","x"] -> ["ab","xy"]. Each item is diffed separately
    and its piece appended to the one text channel, so the deltas read "a","x","b","y"
    = "axby", while DashScope's message is "ab" + "xy" = "abxy". The reader's own
    Resync for this channel says the whole value is the items joined in order
    ("abZ" in the resync variant), so the two disagree.

    Expected (docs/dashscope.md "Cumulative and incremental output": the reader turns
    the snapshots of the whole value into deltas; accumulate(diff(s)) == s): the text
    deltas add up to the value the frames carry, "abxy" -- or, where an append cannot
    say it, a Resync/not_cumulative, never silently reordered text.
    """

    def msg(items: list[str], finish: str = "null") -> bytes:
        content = [{"text": t} for t in items]
        body = {
            "output": {
                "choices": [
                    {"message": {"content": content, "role": "assistant"}, "finish_reason": finish}
                ]
            },
            "request_id": "r",
        }
        return json.dumps(body, separators=(",", ":")).encode()

    raw = (
        frame(1, msg(["a", "x"])) + frame(2, msg(["ab", "x"])) + frame(3, msg(["ab", "xy"], "stop"))
    )
    events = list(
        adapters.decode(raw, provider="dashscope", mode="cumulative", on_mismatch="resync")
    )
    text = ""
    for event in events:
        if event.type == "text_delta":
            text += event.text
        elif event.type == "resync" and event.channel == "text":
            text = event.text
    assert text == "abxy"


# ---------------------------------------------------------------- severity: low


def test_read_frame_then_feed_offsets_agree_between_paths() -> None:
    """read_frame() (a decoded frame with raw text) mixed with feed(): the inline path
    places the next bad frame with the framing layer's byte count (153, the bytes fed),
    the general path adds the read_frame frame's raw length (289).

    Expected: the two paths agree on DecodeError kind, frame and offset
    (docs/dashscope.md "Speed": "errors and byte offsets included").
    """
    outcome = []
    for cls in (Decoder, GeneralOnly):
        decoder = cls(mode="incremental")
        decoder.feed(FIRST)
        decoder.read_frame(decode_frames(SECOND)[0])
        try:
            decoder.feed(frame(3, b"{bad") + frame(4, piece("", "stop")))
            decoder.close()
            decoder.close()
        except DecodeError as error:
            outcome.append((error.kind, error.frame, error.offset))
    assert outcome[0] == outcome[1]

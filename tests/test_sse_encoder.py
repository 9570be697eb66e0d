"""encode_frame: exact bytes for decoded frames, a canonical layout for built ones,
and EncodeError for what would not decode back to itself."""

from __future__ import annotations

import pytest

from adapters import EncodeError
from adapters.sse import SSEFrame, decode_frames, encode_frame, encode_frames


def test_decoded_frames_keep_their_layout() -> None:
    # DashScope writes no space after the colon, OpenAI one; a keep-alive is a
    # comment; CRLF stays CRLF; field order is whatever the sender chose.
    data = (
        b'id:1\nevent:result\n:HTTP_STATUS/200\ndata:{"a":1}\n\n'
        b": OPENROUTER PROCESSING\n\n"
        b'data: {"b":2}\r\n\r\n'
        b"data:x\nid:9\nevent:e\n\n"
    )
    frames = decode_frames(data)
    assert [encode_frame(f) for f in frames] == [
        b'id:1\nevent:result\n:HTTP_STATUS/200\ndata:{"a":1}\n\n',
        b": OPENROUTER PROCESSING\n\n",
        b'data: {"b":2}\r\n\r\n',
        b"data:x\nid:9\nevent:e\n\n",
    ]
    assert encode_frames(frames) == data


def test_preserve_false_rewrites_in_the_requested_style() -> None:
    [frame] = decode_frames(b"data:x\nid:9\nevent:e\n\n")
    assert encode_frame(frame, preserve=False) == b"id: 9\nevent: e\ndata: x\n\n"
    assert encode_frame(frame, preserve=False, space=False, line_ending="\r\n") == (
        b"id:9\r\nevent:e\r\ndata:x\r\n\r\n"
    )


def test_canonical_order_and_styles() -> None:
    frame = SSEFrame(
        event="result", data="a\nb", id="1", retry=3000, comments=("HTTP_STATUS/200", " ping")
    )
    assert encode_frame(frame) == (
        b"id: 1\nevent: result\nretry: 3000\n:HTTP_STATUS/200\n: ping\ndata: a\ndata: b\n\n"
    )
    assert encode_frame(frame, space=False, line_ending="\r") == (
        b"id:1\revent:result\rretry:3000\r:HTTP_STATUS/200\r: ping\rdata:a\rdata:b\r\r"
    )


def test_a_value_starting_with_a_space_keeps_it_in_either_style() -> None:
    # The decoder strips exactly one leading space, so " x" needs "data:  x".
    frame = SSEFrame(data=" x", event=" e")
    for space in (True, False):
        written = encode_frame(frame, space=space)
        assert written == b"event:  e\ndata:  x\n\n"
        assert decode_frames(written) == [frame]


def test_empty_values_are_written_without_trailing_space() -> None:
    assert encode_frame(SSEFrame(data="", event="", id="")) == b"id:\nevent:\ndata:\n\n"
    assert decode_frames(b"id:\nevent:\ndata:\n\n") == [SSEFrame(data="", event="", id="")]


def test_an_incomplete_frame_is_written_without_its_blank_line() -> None:
    frame = SSEFrame(event="error", data="{}", complete=False)
    assert encode_frame(frame, space=False) == b"event:error\ndata:{}\n"


def test_unicode_is_utf8() -> None:
    assert encode_frame(SSEFrame(data="通义🙂")) == "data: 通义🙂\n\n".encode()


@pytest.mark.parametrize(
    ("frame", "why"),
    [
        (SSEFrame(), "no field"),
        (SSEFrame(data="a\rb"), "CR"),
        (SSEFrame(event="a\nb"), "line break"),
        (SSEFrame(comments=("a\r\nb",)), "line break"),
        (SSEFrame(id="a\nb"), "line break"),
        (SSEFrame(id="a\0b"), "NULL"),
        (SSEFrame(retry=-1), "non-negative"),
        (SSEFrame(retry=True), "non-negative"),
        (SSEFrame(data="\ud800"), "not valid Unicode"),
    ],
)
def test_frames_that_would_not_decode_back_are_refused(frame: SSEFrame, why: str) -> None:
    with pytest.raises(EncodeError, match=why) as caught:
        encode_frame(frame)
    assert caught.value.kind == "unencodable_frame"
    assert caught.value.provider == "sse"


def test_an_unknown_line_ending_is_refused() -> None:
    with pytest.raises(EncodeError, match="line_ending"):
        encode_frame(SSEFrame(data="x"), line_ending="\n\n")  # type: ignore[arg-type]


def test_a_replaced_frame_is_written_canonically() -> None:
    [frame] = decode_frames(b"data:x\n\n")
    assert encode_frame(frame.replace(data="y")) == b"data: y\n\n"

"""SSEDecoder behaviour beyond the vector table: what it keeps that a browser
drops, its bounds, its error contract and its diagnostics."""

from __future__ import annotations

import array
import pickle
import sys

import pytest

from adapters import DecodeError, EncodeError
from adapters.sse import SSEDecoder, SSEFrame, decode_frames, encode_frame

from .support import decode

DASHSCOPE_ERROR = (
    b"id:1\nevent:error\n:HTTP_STATUS/400\n"
    b'data:{"code":"InvalidParameter","message":"Role must be user or assistant",'
    b'"request_id":"7671ecd8"}'
)


def test_comments_are_kept_in_order_without_the_colon() -> None:
    # WHATWG: "If the line starts with a U+003A COLON character (:) -> Ignore the line."
    # A browser ignores it; DashScope puts the real HTTP status there, so we keep it.
    [frame] = decode_frames(b": one\n:HTTP_STATUS/200\ndata:x\n:two\n\n")
    assert frame.comments == (" one", "HTTP_STATUS/200", "two")
    assert frame.data == "x"


def test_blocks_without_data_still_come_back() -> None:
    frames = decode_frames(b": keep-alive\n\nid: 7\n\nevent: ping\n\nretry: 10\n\n")
    assert frames == [
        SSEFrame(comments=(" keep-alive",)),
        SSEFrame(id="7"),
        SSEFrame(event="ping"),
        SSEFrame(retry=10),
    ]


def test_a_dashscope_error_stream_cut_off_at_the_end_is_returned_incomplete() -> None:
    # Real DashScope error streams end without the final blank line; WHATWG would
    # discard the block, which is the only thing the stream says.
    decoder = SSEDecoder()
    assert decoder.feed(DASHSCOPE_ERROR) == []
    [frame] = decoder.close()
    assert frame.complete is False
    assert frame.event == "error"
    assert frame.comments == ("HTTP_STATUS/400",)
    assert frame.data is not None
    assert frame.data.startswith('{"code":"InvalidParameter"')
    assert frame.raw == DASHSCOPE_ERROR.decode()


def test_an_incomplete_block_does_not_set_the_last_event_id() -> None:
    # "Set the last event ID string" happens at dispatch, on a blank line.
    decoder = SSEDecoder()
    decode([b"id: 1\ndata: a\n\nid: 2\ndata: b\n"], decoder)
    assert decoder.last_event_id == "1"


def test_last_event_id_persists_and_updates_on_blocks_without_data() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"id: 5\ndata: a\n\ndata: b\n\nid: 6\n\n")
    assert decoder.last_event_id == "6"
    decoder.feed(b"id\n\n")  # a field with no colon: id = "" resets it
    assert decoder.last_event_id == ""


def test_retry_applies_only_from_terminated_lines() -> None:
    decoder = SSEDecoder()
    decode([b"retry: 100\ndata: a\nretry: 200"], decoder)
    assert decoder.reconnection_time == 100
    decoder = SSEDecoder()
    decode([b"retry: 100\ndata: a\nretry: 200\n"], decoder)
    assert decoder.reconnection_time == 200


def test_an_absurdly_long_retry_is_ignored_and_reported() -> None:
    decoder = SSEDecoder()
    frames = decode([b"retry: " + b"9" * 5000 + b"\ndata: x\n\n"], decoder)
    assert frames == [SSEFrame(data="x")]
    assert [d.kind for d in decoder.diagnostics] == ["ignored_line"]
    assert decoder.reconnection_time is None
    # Leading zeros are not length: this is just 7.
    assert decode_frames(b"retry: " + b"0" * 5000 + b"7\n\n") == [SSEFrame(retry=7)]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (b"retry: 1a", "retry takes ASCII digits only"),
        (b"retry: \xd9\xa3", "retry takes ASCII digits only"),  # ARABIC-INDIC DIGIT THREE
        (b"id: a\x00b", "an id containing U+0000 NULL is ignored"),
        (b"Data: x", "unknown field 'Data' is ignored"),
    ],
)
def test_ignored_lines_are_reported_with_where_they_are(line: bytes, why: str) -> None:
    decoder = SSEDecoder()
    frames = decode([b"data: first\n\n", line + b"\ndata: y\n\n"], decoder)
    assert frames[1].data == "y"
    [diagnostic] = decoder.diagnostics
    assert diagnostic.kind == "ignored_line"
    assert diagnostic.message.startswith(why)
    assert (diagnostic.offset, diagnostic.frame) == (len(b"data: first\n\n"), 1)


def test_a_bom_is_stripped_once_and_noted_on_the_decoder() -> None:
    data = b"\xef\xbb\xbfdata: a\n\n\xef\xbb\xbfdata: b\n\n"
    for chunks in ([data], [data[:1], data[1:2], data[2:]]):
        decoder = SSEDecoder()
        frames = decode(chunks, decoder)
        # The second BOM is content: its line is an unknown field "\ufeffdata".
        assert frames == [SSEFrame(data="a"), SSEFrame()]
        assert decoder.bom is True
        # The BOM belongs to the stream, not to its first frame.
        assert frames[0].raw == "data: a\n\n"
        assert frames[1].raw == "\ufeffdata: b\n\n"
        assert [d.kind for d in decoder.diagnostics] == ["ignored_line"]
    assert SSEDecoder().bom is False


def test_a_crlf_split_across_chunks_is_one_line_end() -> None:
    # WHATWG: a line ends at "a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF)
    # character pair" -- also when the pair arrives in two pieces.
    assert decode([b"data: a\r", b"\ndata: b\r\n\r\n"]) == [SSEFrame(data="a\nb")]
    # ... and a lone CR at the end of one chunk followed by more text is a line end too.
    assert decode([b"data: a\r", b"data: b\r\r"]) == [SSEFrame(data="a\nb")]


def test_utf8_split_inside_a_character() -> None:
    data = "data: 通义千问🙂\n\n".encode()
    for cut in range(len(data)):
        assert decode([data[:cut], data[cut:]]) == [SSEFrame(data="通义千问🙂")]


def test_invalid_utf8_is_replaced_and_reported_by_default() -> None:
    decoder = SSEDecoder()
    frames = decode([b"data: a\xff", b"b\n\ndata: \xe4\xb8"], decoder)
    assert frames == [SSEFrame(data="a\ufffdb"), SSEFrame(data="\ufffd", complete=False)]
    assert [(d.kind, d.offset, d.frame) for d in decoder.diagnostics] == [
        ("invalid_utf8", 7, 0),
        ("invalid_utf8", 17, 1),  # cut off by the end of the input
    ]


def test_strict_utf8_raises_with_the_offset_and_keeps_earlier_frames() -> None:
    decoder = SSEDecoder(strict_utf8=True)
    # The frame completed before the bad byte is returned ...
    assert decoder.feed(b"data: ok\n\ndata: \xc3\x28\n\n") == [SSEFrame(data="ok")]

    # ... and the error follows with the next call, and every call after it.
    def feed_more() -> object:
        return decoder.feed(b"data: more\n\n")

    for call in (feed_more, decoder.close):
        with pytest.raises(DecodeError) as caught:
            call()
        assert (caught.value.kind, caught.value.offset, caught.value.frame) == (
            "invalid_utf8",
            16,
            1,
        )
        assert caught.value.provider == "sse"


def test_invalid_utf8_is_attributed_to_the_frame_it_is_in() -> None:
    data = b"data: a\n\n: \xff\ndata: b\n\ndata: c\xff\n\n"
    for chunks in ([data], [data[:14], data[14:]], [data[i : i + 1] for i in range(len(data))]):
        decoder = SSEDecoder()
        decode(chunks, decoder)
        assert [(d.offset, d.frame) for d in decoder.diagnostics] == [(11, 1), (29, 2)]


def test_strict_utf8_error_with_no_frame_to_return_is_raised_at_once() -> None:
    decoder = SSEDecoder(strict_utf8=True)
    with pytest.raises(DecodeError, match="invalid UTF-8"):
        decoder.feed(b"data: \xff\n\n")


def test_strict_utf8_fails_on_a_character_cut_off_at_the_end() -> None:
    decoder = SSEDecoder(strict_utf8=True)
    decoder.feed(b"data: \xe4\xb8")
    with pytest.raises(DecodeError) as caught:
        decoder.close()
    assert (caught.value.kind, caught.value.offset) == ("invalid_utf8", 6)


@pytest.mark.parametrize(
    "chunks",
    [
        [b"data: " + b"x" * 100 + b"\n\n"],  # one complete oversized event
        [b"data: " + b"x" * 50, b"x" * 50, b"\n\n"],  # growing across chunks
        [b"data: x\r\n" * 20 + b"\r\n"],  # the CR path
        [b"data: x\r\n" * 20],  # the CR path, never finished
        [b"id: 1\n" + b"data: x\n" * 20],  # the LF path, never finished
    ],
)
def test_an_event_over_the_bound_fails_the_decoder(chunks: list[bytes]) -> None:
    decoder = SSEDecoder(max_buffer_size=64)
    with pytest.raises(DecodeError) as caught:
        decode(chunks, decoder)
    assert caught.value.kind == "buffer_overflow"
    assert caught.value.offset == 0
    assert caught.value.frame == 0
    with pytest.raises(DecodeError, match="buffer_overflow"):
        decoder.feed(b"data: fine\n\n")


def test_frames_before_an_oversized_event_are_returned() -> None:
    decoder = SSEDecoder(max_buffer_size=64)
    data = b"data: a\n\n\ndata: b\n\n" + b"data: " + b"x" * 100 + b"\n\n"
    assert decoder.feed(data) == [SSEFrame(data="a"), SSEFrame(data="b")]
    with pytest.raises(DecodeError) as caught:
        decoder.close()
    assert (caught.value.offset, caught.value.frame) == (19, 2)


def test_feeding_after_close_is_an_error_and_close_is_idempotent() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\n")
    assert decoder.close() == []
    assert decoder.close() == []
    with pytest.raises(DecodeError) as caught:
        decoder.feed(b"data: b\n\n")
    assert caught.value.kind == "closed"
    assert decoder.offset == len(b"data: a\n\n")


def test_bytes_like_input_is_accepted() -> None:
    decoder = SSEDecoder()
    frames = decoder.feed(bytearray(b"data: a\n"))
    frames += decoder.feed(memoryview(b"\ndata: \xe4"))
    frames += decoder.feed(b"\xb8\x80\n\n")
    assert frames == [SSEFrame(data="a"), SSEFrame(data="一")]


def test_constructor_rejects_nonsense_bounds() -> None:
    with pytest.raises(ValueError, match="max_buffer_size"):
        SSEDecoder(max_buffer_size=0)
    with pytest.raises(ValueError, match="max_diagnostics"):
        SSEDecoder(max_diagnostics=-1)


def test_diagnostics_beyond_the_cap_are_counted() -> None:
    decoder = SSEDecoder(max_diagnostics=2)
    decoder.feed(b"x: 1\ny: 2\nz: 3\ndata: a\n\n")
    assert len(decoder.diagnostics) == 2
    assert decoder.diagnostics_dropped == 1


def test_a_dashscope_stream_decodes_with_every_field() -> None:
    data = (
        b'id:1\nevent:result\n:HTTP_STATUS/200\ndata:{"a":1}\n\n'
        b'id:2\nevent:result\n:HTTP_STATUS/200\ndata:{"a":2}\n\n'
    )
    frames = decode_frames(data)
    assert frames == [
        SSEFrame("result", '{"a":1}', "1", None, ("HTTP_STATUS/200",)),
        SSEFrame("result", '{"a":2}', "2", None, ("HTTP_STATUS/200",)),
    ]


@pytest.mark.parametrize(
    ("block", "frame"),
    [
        # Variants of the remembered DashScope layout that must not be confused with it.
        (b"id: 1\nevent:result\ndata:x\n\n", SSEFrame("result", "x", "1")),
        (b"id:1\ndata:x\n\n", SSEFrame(data="x", id="1")),
        (b"id:1\nid:2\ndata:x\n\n", SSEFrame(data="x", id="2")),
        (b"id:1\nretry:5\ndata:x\n\n", SSEFrame(data="x", id="1", retry=5)),
        (b"event:a\ndata:x\ndata:y\n\n", SSEFrame("a", "x\ny")),
        (b"id:a\x00\nevent:a\ndata:x\n\n", SSEFrame("a", "x")),
        (b"event:a\nbogus\ndata:x\n\n", SSEFrame("a", "x")),
        (b"data:x\nevent:a\n\n", SSEFrame("a", "x")),
    ],
)
def test_layout_variants(block: bytes, frame: SSEFrame) -> None:
    # Twice, so that the second block meets whatever the first one left remembered.
    assert decode_frames(block + block) == [frame, frame]
    assert decode_frames(block.replace(b"\n", b"\r\n")) == [frame]


def test_many_different_layouts_do_not_grow_memory() -> None:
    decoder = SSEDecoder()
    for n in range(200):
        [frame] = decoder.feed(f"id:{n}\nevent:e{n}\ndata:x\n\n".encode())
        assert frame.event == f"e{n}"
    assert len(decoder._heads) <= 64


def test_frames_are_values() -> None:
    [decoded] = decode_frames(b"data:x\n\n")
    built = SSEFrame(data="x")
    assert decoded == built
    assert (decoded != built) is False
    assert hash(decoded) == hash(built)
    assert decoded.raw == "data:x\n\n"
    assert built.raw is None
    assert decoded != SSEFrame(data="y")
    assert decoded != ("data", "x")
    assert pickle.loads(pickle.dumps(decoded)).raw == "data:x\n\n"
    with pytest.raises(TypeError):
        _ = decoded < built
    with pytest.raises(AttributeError):
        decoded.data = "y"  # type: ignore[misc]


def test_replace_returns_a_frame_without_raw() -> None:
    [frame] = decode_frames(b"id:1\ndata:x\n\n")
    changed = frame.replace(data="y")
    assert changed == SSEFrame(data="y", id="1")
    assert changed.raw is None
    with pytest.raises(TypeError, match="no field 'bogus'"):
        frame.replace(bogus=1)


def test_repr_names_every_field() -> None:
    assert repr(SSEFrame(data="x", comments=["c"])) == (
        "SSEFrame(event=None, data='x', id=None, retry=None, comments=('c',), complete=True)"
    )


def test_a_line_far_longer_than_64_kib_decodes() -> None:
    # Go peers read SSE with bufio.Scanner, whose default 64 KiB token cap aborts
    # the stream on a long line (a base64 image, a cumulative answer).
    payload = "长" * (1 << 20)
    data = ("data:" + payload + "\n\n").encode()
    assert decode([data[i : i + 65536] for i in range(0, len(data), 65536)]) == [
        SSEFrame(data=payload)
    ]


def test_event_error_with_or_without_a_space_is_the_same_field() -> None:
    # The DashScope Python SDK compares the raw line to "event:error" and misses
    # the equally valid "event: error".
    assert decode_frames(b"event:error\ndata:{}\n\nevent: error\ndata:{}\n\n") == [
        SSEFrame(event="error", data="{}"),
        SSEFrame(event="error", data="{}"),
    ]


def test_a_data_value_that_mentions_done_or_error_is_just_data() -> None:
    # Substring tests on payloads change control flow in some peers; here a frame
    # is only ever what its fields say.
    [frame] = decode_frames(b'data: {"text": "say [DONE] or event: error"}\n\n')
    assert frame.event is None
    assert frame.data == '{"text": "say [DONE] or event: error"}'


class CountingScans(SSEDecoder):
    """Counts how often the decoder scans text for blocks."""

    __slots__ = ("scans",)

    def __init__(self) -> None:
        super().__init__()
        self.scans = 0

    def _scan_lf(self, text: str) -> list[SSEFrame]:
        self.scans += 1
        return super()._scan_lf(text)

    def _scan_general(self, text: str) -> list[SSEFrame]:
        self.scans += 1
        return super()._scan_general(text)


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_a_large_event_in_many_chunks_is_scanned_once_not_once_per_chunk(eol: bytes) -> None:
    # Joining and rescanning the held block on every chunk would make decoding
    # time grow with the square of the event's size.
    event = (b"data: " + b"x" * 40 + eol) * 2000 + eol
    decoder = CountingScans()
    frames = decode([event[i : i + 1460] for i in range(0, len(event), 1460)], decoder)
    assert frames == [SSEFrame(data="\n".join(["x" * 40] * 2000))]
    assert decoder.scans <= 3


def test_blank_lines_are_bounded_too() -> None:
    data = b"data: a\n\n" + b"\n" * 100
    for chunks in ([data], [data[:20], data[20:]], [data[i : i + 1] for i in range(len(data))]):
        with pytest.raises(DecodeError) as caught:
            decode(chunks, SSEDecoder(max_buffer_size=16))
        assert caught.value.kind == "buffer_overflow"
        assert "blank lines" in caught.value.message
        assert (caught.value.offset, caught.value.frame) == (9, 1)
    # Up to the bound they are fine, whatever the line ends.
    assert decode_frames(b"\r\n" * 8 + b"data: a\n\n", max_buffer_size=16) == [SSEFrame(data="a")]


@pytest.mark.parametrize("limit", [7, 8, 9])
def test_the_bound_does_not_depend_on_where_a_crlf_is_cut(limit: int) -> None:
    # The block "data:x\r\n" is 8 characters; its blank line does not count.
    data = b"data:x\r\n\r\ndata:y\r\n\r\n"
    outcomes: set[tuple[object, ...]] = set()
    for cut in range(len(data) + 1):
        try:
            frames = decode([data[:cut], data[cut:]], SSEDecoder(max_buffer_size=limit))
        except DecodeError as error:
            outcomes.add(("error", error.offset, error.frame))
        else:
            outcomes.add(("frames", tuple(frames)))
    assert len(outcomes) == 1
    [outcome] = outcomes
    assert outcome[0] == ("error" if limit < 8 else "frames")


def test_an_overflow_after_blank_lines_names_the_right_frame() -> None:
    data = b"\n\n\n\ndata: " + b"x" * 50 + b"\n\n"
    for chunks in ([data], [data[:4], data[4:]]):
        with pytest.raises(DecodeError) as caught:
            decode(chunks, SSEDecoder(max_buffer_size=10))
        assert (caught.value.frame, caught.value.offset) == (0, 4)


def test_only_short_heads_are_remembered() -> None:
    decoder = SSEDecoder()
    long_head = b":" + b"c" * 5000
    for n in range(3):
        [frame] = decoder.feed(b"id:%d\n" % n + long_head + b"\ndata:y\n\n")
        assert frame.comments == ("c" * 5000,)
    assert decoder._heads == {}


def test_invalid_utf8_costs_time_in_proportion_to_its_size() -> None:
    # Each invalid byte is one U+FFFD; only max_diagnostics of them are kept,
    # and the offset bookkeeping for a run of them is one entry.
    decoder = SSEDecoder(max_diagnostics=5)
    data = b"data: " + b"\xff" * 100_000
    for i in range(0, len(data), 4096):
        decoder.feed(data[i : i + 4096])
    [frame] = decoder.feed(b"\n\n")
    assert frame.data == "\ufffd" * 100_000
    assert len(decoder.diagnostics) == 5
    assert decoder.diagnostics_dropped == 100_000 - 5
    assert [d.offset for d in decoder.diagnostics] == [6, 7, 8, 9, 10]


def test_retry_longer_than_python_converts_is_ignored_not_a_crash() -> None:
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        decoder = SSEDecoder()
        assert decode([b"retry: " + b"7" * 2000 + b"\ndata: x\n\n"], decoder) == [
            SSEFrame(data="x")
        ]
        assert decoder.diagnostics[0].message.startswith("a retry value this long is ignored")
        with pytest.raises(EncodeError, match="more digits"):
            encode_frame(SSEFrame(retry=10**700))
    finally:
        sys.set_int_max_str_digits(previous)


def test_reconnection_time_counts_as_soon_as_the_retry_line_ends() -> None:
    decoder = SSEDecoder()

    def after(data: bytes) -> int | None:
        decoder.feed(data)
        return decoder.reconnection_time

    assert after(b"retry: 5") is None  # the line has not ended
    assert after(b"\r") == 5  # a CR ends it
    assert after(b"\nretry: 6\ndata: x\nretry: 7") == 6
    assert decoder.close() == [SSEFrame(data="x", retry=7, complete=False)]
    assert decoder.reconnection_time == 6


def test_memoryviews_of_any_item_size_are_read_as_bytes() -> None:
    data = "data: a中\n\n".encode() + b"  "  # an even length
    words = memoryview(array.array("H", data))
    decoder = SSEDecoder()
    frames = decoder.feed(words[:3]) + decoder.feed(words[3:])
    assert frames == [SSEFrame(data="a中")]
    assert decoder.offset == len(data)
    assert decoder.diagnostics == []


def test_a_frame_is_not_equal_to_a_plain_tuple_and_is_not_ordered() -> None:
    frame = SSEFrame(data="x", id="1")
    as_tuple = (None, "x", "1", None, (), True, None, "")
    assert frame != as_tuple
    assert as_tuple != frame
    assert not frame == as_tuple  # noqa: SIM201 - the == operator itself is under test
    with pytest.raises(TypeError):
        _ = frame < (1,)
    with pytest.raises(TypeError):
        _ = (1,) > frame  # noqa: SIM300 - the reflected comparison is under test
    with pytest.raises(TypeError, match="not one string"):
        SSEFrame(comments="ping")


@pytest.mark.parametrize(
    "frame",
    [SSEFrame(data=1), SSEFrame(id=5), SSEFrame(event=b"x"), SSEFrame(comments=[1])],  # type: ignore[arg-type,list-item]
)
def test_fields_of_the_wrong_type_are_an_encode_error(frame: SSEFrame) -> None:
    with pytest.raises(EncodeError, match="must"):
        encode_frame(frame)

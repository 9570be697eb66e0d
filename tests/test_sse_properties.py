"""Laws of the framing layer, checked by hypothesis.

* decoding is chunking-invariant (frames, diagnostics, last event ID, retry);
* the frames' raw text, concatenated, is the input;
* a browser's view of the frames is what the WHATWG steps give (differential
  test against tests/support.reference);
* the LF fast path, the remembered-layout path and the general path agree;
* encode then decode is the identity on frames, in every style;
* feed/close raise nothing but DecodeError, whatever the bytes (fuzz).
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from adapters import DecodeError
from adapters.sse import SSEDecoder, SSEFrame, decode_frames, encode_frames
from adapters.testing.strategies import chunkings, sse_bytes, sse_frames

from .support import browser_view, decode, reassemble, reference


class GeneralOnly(SSEDecoder):
    """The decoder with its shortcuts switched off: every block takes the general path."""

    __slots__ = ()

    def _scan_lf(self, text: str) -> list[SSEFrame]:
        return self._scan_general(text)


class NoRememberedLayouts(SSEDecoder):
    __slots__ = ()

    def _known_layout(self, part: str, body: str) -> SSEFrame | None:
        return None


def _state(decoder: SSEDecoder) -> tuple[object, ...]:
    return decoder.last_event_id, decoder.reconnection_time, decoder.diagnostics


@given(st.data(), sse_bytes(invalid_utf8=True))
@example(data=None, stream=b"data: a\r\n\r\n")
def test_decoding_does_not_depend_on_chunking(data: st.DataObject, stream: bytes) -> None:
    whole = SSEDecoder()
    expected = decode([stream], whole)
    chunks = data.draw(chunkings(stream)) if data is not None else [stream[:9], stream[9:]]
    pieces = SSEDecoder()
    assert decode(chunks, pieces) == expected
    assert (pieces.last_event_id, pieces.reconnection_time) == (
        whole.last_event_id,
        whole.reconnection_time,
    )
    assert pieces.diagnostics == whole.diagnostics


@given(st.data(), sse_bytes(invalid_utf8=True))
def test_raw_text_of_the_frames_is_the_input(data: st.DataObject, stream: bytes) -> None:
    decoder = SSEDecoder()
    frames = decode(data.draw(chunkings(stream)), decoder)
    assert all(frame.raw is not None for frame in frames)
    assert reassemble(frames, decoder) == stream.decode("utf-8", "replace")
    # The trailer is only what belongs to no frame: blank lines.
    assert decoder.trailer.strip("\r\n") == ""


@given(st.data(), sse_bytes(invalid_utf8=True))
@example(data=None, stream=b"data: x\r\r")
@example(data=None, stream=b"data\n\ndata\ndata\n\ndata:")  # WHATWG's own example
def test_a_browser_sees_what_the_standard_says(data: st.DataObject, stream: bytes) -> None:
    chunks = data.draw(chunkings(stream)) if data is not None else [stream]
    decoder = SSEDecoder()
    events, last_id = browser_view(decode(chunks, decoder))
    expected_events, expected_retry = reference(stream)
    assert events == expected_events
    assert decoder.reconnection_time == expected_retry
    assert decoder.last_event_id == last_id


def _per_block(stream: bytes) -> list[bytes]:
    """Cut after every blank line, the way servers flush events."""
    pieces = stream.split(b"\n\n")
    return [piece + b"\n\n" for piece in pieces[:-1]] + [pieces[-1]]


@given(sse_bytes(line_endings="lf"), st.booleans())
def test_fast_paths_agree_with_the_general_path(stream: bytes, per_block: bool) -> None:
    chunks = _per_block(stream) if per_block else [stream]
    decoders = [SSEDecoder(), GeneralOnly(), NoRememberedLayouts()]
    results = [decode(chunks, decoder) for decoder in decoders]
    assert results[0] == results[1] == results[2]
    assert [f.raw for f in results[0]] == [f.raw for f in results[1]] == [f.raw for f in results[2]]
    assert _state(decoders[0]) == _state(decoders[1]) == _state(decoders[2])


@given(
    st.lists(sse_frames(), max_size=6),
    st.none() | sse_frames(complete=None),
    st.booleans(),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.data(),
)
def test_encoding_then_decoding_is_the_identity(
    frames: list[SSEFrame],
    last: SSEFrame | None,
    space: bool,
    line_ending: str,
    data: st.DataObject,
) -> None:
    if last is not None:
        frames = [*frames, last]
    written = encode_frames(frames, space=space, line_ending=line_ending)  # type: ignore[arg-type]
    decoder = SSEDecoder()
    decoded = decode(data.draw(chunkings(written)), decoder)
    assert decoded == frames
    # And a decoded stream re-encodes to exactly the same bytes.
    assert encode_frames(decoded) + decoder.trailer.encode() == written


@given(
    st.binary(max_size=512) | sse_bytes(invalid_utf8=True),
    st.data(),
    st.integers(min_value=1, max_value=64) | st.just(1 << 20),
    st.booleans(),
)
def test_any_bytes_raise_nothing_but_decode_error(
    stream: bytes, data: st.DataObject, limit: int, strict: bool
) -> None:
    decoder = SSEDecoder(max_buffer_size=limit, strict_utf8=strict)
    error: DecodeError | None = None
    try:
        for chunk in data.draw(chunkings(stream)):
            decoder.feed(chunk)
        decoder.close()
    except DecodeError as raised:
        error = raised
    if error is None:
        return
    assert error.offset is not None
    assert 0 <= error.offset <= len(stream)
    assert error.frame is not None
    assert error.frame >= 0
    # A failed decoder stays failed, with the same error.
    with pytest.raises(DecodeError) as again:
        decoder.close()
    assert again.value is error


@given(sse_bytes())
def test_decode_frames_accepts_bytes_and_chunk_iterables(stream: bytes) -> None:
    assert decode_frames(stream) == decode_frames(iter([stream[:5], stream[5:]]))


@given(
    sse_bytes(invalid_utf8=True),
    st.data(),
    st.integers(min_value=1, max_value=40),
    st.booleans(),
)
def test_errors_do_not_depend_on_chunking(
    stream: bytes, data: st.DataObject, limit: int, strict: bool
) -> None:
    def outcome(chunks: list[bytes]) -> tuple[list[SSEFrame], tuple[str, int | None, int | None]]:
        decoder = SSEDecoder(max_buffer_size=limit, strict_utf8=strict)
        frames: list[SSEFrame] = []
        try:
            for chunk in chunks:
                frames += decoder.feed(chunk)
            frames += decoder.close()
        except DecodeError as error:
            return frames, (error.kind, error.offset, error.frame)
        return frames, ("ok", None, None)

    assert outcome(data.draw(chunkings(stream))) == outcome([stream])

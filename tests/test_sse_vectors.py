"""The table of WHATWG vectors (tests/vectors/sse_whatwg.json), both directions.

Each vector names where it comes from: the WHATWG HTML Standard's own examples
(section 9.2 "Server-sent events"), web-platform-tests' eventsource/ suite,
Chromium's parser tests, and the test suites of public SSE parsers. Its
`events` are what a browser dispatches, `reconnection_time` the last valid
`retry` applied.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from adapters import EncodeError
from adapters.sse import SSEDecoder, SSEFrame, decode_frames, encode_frame, encode_frames

from .support import Dispatched, browser_view, chunkings, decode, reassemble, reference

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "vectors" / "sse_whatwg.json").read_text("utf-8")
)


def raw_input(vector: dict[str, Any]) -> bytes:
    if "input_b64" in vector:
        return base64.b64decode(vector["input_b64"])
    return str(vector["input"]).encode("utf-8")


def expected(vector: dict[str, Any]) -> list[Dispatched]:
    return [Dispatched(e["type"], e["data"], e["last_event_id"]) for e in vector["events"]]


def test_the_table_is_substantial_and_cited() -> None:
    assert len(VECTORS) >= 100
    assert len({v["name"] for v in VECTORS}) == len(VECTORS)
    assert all(v["source"].strip() for v in VECTORS)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_decoding_matches_the_browser_under_every_chunking(vector: dict[str, Any]) -> None:
    data = raw_input(vector)
    for label, chunks in chunkings(data, vector.get("chunks", ())):
        decoder = SSEDecoder()
        frames = decode(chunks, decoder)
        events, _ = browser_view(frames)
        assert events == expected(vector), label
        assert decoder.reconnection_time == vector["reconnection_time"], label


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_the_reference_interpreter_agrees(vector: dict[str, Any]) -> None:
    # The reference in tests/support.py is the differential oracle of the
    # property tests; it has to pass the same table first.
    events, reconnection = reference(raw_input(vector))
    assert events == expected(vector)
    assert reconnection == vector["reconnection_time"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_encoding_the_frames_gives_back_the_input(vector: dict[str, Any]) -> None:
    data = raw_input(vector)
    for label, chunks in chunkings(data, vector.get("chunks", ())):
        decoder = SSEDecoder()
        frames = decode(chunks, decoder)
        assert reassemble(frames, decoder) == data.decode("utf-8", "replace"), label


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_canonical_encoding_decodes_to_the_same_frames(vector: dict[str, Any]) -> None:
    frames = decode_frames(raw_input(vector))
    # A block made only of lines the standard ignores decodes to a frame with no
    # field; there is nothing canonical to write for it (its raw text is).
    empty = SSEFrame(complete=False), SSEFrame()
    for frame in frames:
        if frame.replace(complete=True) in empty:
            with pytest.raises(EncodeError):
                encode_frame(frame, preserve=False)
    frames = [f for f in frames if f.replace(complete=True) not in empty]
    for space in (True, False):
        for line_ending in ("\n", "\r\n", "\r"):
            written = encode_frames(frames, preserve=False, space=space, line_ending=line_ending)
            assert decode_frames(written) == frames, (space, line_ending)

"""Laws of the OpenAI codec (DESIGN.md, "Round-trip, defined"), over generated input.

* events: ``decode(encode(e)) == e`` for any event sequence OpenAI can carry;
* wire: re-encoding decoded bytes gives the same bytes (the put-back path);
* chunking: any cutting of the bytes decodes to the same events;
* totality: any bytes give events or a DecodeError, nothing else.
"""

from __future__ import annotations

import contextlib

from hypothesis import given
from hypothesis import strategies as st

import adapters
from adapters import DecodeError
from adapters.events import Event
from adapters.openai import Decoder
from adapters.testing.strategies import chunkings, event_streams, sse_bytes


def _decode(chunks: list[bytes], **options: bool) -> list[Event]:
    decoder = Decoder(**options)
    events: list[Event] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events + decoder.close()


@given(event_streams(provider="openai"))
def test_decode_inverts_encode(events: list[Event]) -> None:
    raw = adapters.encode(events, provider="openai")
    assert _decode([raw]) == events
    assert list(adapters.decode(raw, provider="openai")) == events


@given(event_streams(provider="openai"))
def test_encoding_decoded_bytes_gives_the_same_bytes(events: list[Event]) -> None:
    raw = adapters.encode(events, provider="openai")
    decoded = _decode([raw])
    assert adapters.encode(decoded, provider="openai") == raw
    # Without the frames' layout the canonical writer gives the same bytes too.
    assert adapters.encode(_decode([raw], wire=False), provider="openai") == raw


@given(st.data())
def test_any_chunking_gives_the_same_events(data: st.DataObject) -> None:
    raw = adapters.encode(data.draw(event_streams(provider="openai")), provider="openai")
    assert _decode(data.draw(chunkings(raw))) == _decode([raw])


@given(st.binary() | sse_bytes())
def test_any_bytes_give_events_or_decode_error(raw: bytes) -> None:
    with contextlib.suppress(DecodeError):  # the one exception strict decoding may raise
        _decode([raw])
    _decode([raw], strict=False)  # lenient decoding raises nothing on small input

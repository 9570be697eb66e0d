"""Laws of the OpenAI codec (DESIGN.md, "Round-trip, defined"), over generated input.

* events: ``decode(encode(e)) == e`` for any event sequence OpenAI can carry;
* wire: re-encoding decoded bytes gives the same bytes (the put-back path);
* chunking: any cutting of the bytes decodes to the same events;
* totality: any bytes give events or a DecodeError, nothing else.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import adapters
from adapters import DecodeError
from adapters.events import Event, TextDelta, ToolCallDelta, Usage
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


class GeneralOnly(Decoder):
    """The decoder without its inline path for common chunks."""

    _fast = False


_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(-1, 2), st.text(max_size=3), st.just([]), st.just({})
)
_CALL = st.fixed_dictionaries(
    {},
    optional={
        "index": st.integers(-1, 2) | _VALUE,
        "function": st.fixed_dictionaries({}, optional={"arguments": _VALUE, "name": _VALUE})
        | _VALUE,
        "id": _VALUE,
    },
)
_DELTA = st.fixed_dictionaries(
    {},
    optional={
        "content": _VALUE | st.text(max_size=3),
        "tool_calls": st.lists(_CALL, max_size=2) | _VALUE,
        "role": _VALUE,
    },
)
_CHOICE = st.fixed_dictionaries(
    {"index": st.integers(0, 1) | _VALUE, "delta": _DELTA | _VALUE},
    optional={"finish_reason": _VALUE, "logprobs": _VALUE},
)
_CHUNK = st.fixed_dictionaries(
    {"choices": st.lists(_CHOICE, max_size=2) | _VALUE},
    optional={
        "object": st.just("chat.completion.chunk") | _VALUE,
        "usage": _VALUE,
        "error": _VALUE,
    },
)


def _outcome(decoder: Decoder, raw: bytes) -> tuple[list[Event], list[str]] | tuple[str, str]:
    try:
        events = decoder.feed(raw) + decoder.close()
    except DecodeError as error:
        return error.kind, error.message
    return events, [d.kind for d in decoder.diagnostics]


# Chunks of the shapes the inline path takes, with one thing perhaps off.
_NEAR = st.builds(
    lambda delta, extra, choice_extra, index: {
        "object": "chat.completion.chunk",
        "choices": [{"index": index, "delta": delta, **choice_extra}],
        **extra,
    },
    st.sampled_from(
        [
            {"content": "x"},
            {"content": ""},
            {"tool_calls": [{"index": 0, "function": {"arguments": "{"}}]},
            {"tool_calls": [{"index": 1, "function": {"arguments": "{"}}]},
            {"tool_calls": [{"index": 0, "function": {"arguments": 5}}]},
            {"tool_calls": [{"index": True, "function": {"arguments": "{"}}]},
        ]
    ),
    st.sampled_from(
        [{}, {"usage": None}, {"usage": {}}, {"error": {"message": "m"}}, {"object": "x"}]
    ),
    st.sampled_from([{}, {"finish_reason": None}, {"finish_reason": "stop"}, {"logprobs": {}}]),
    st.sampled_from([0, 0, 1, True, -1]),
)


@given(st.lists(_NEAR | _CHUNK, max_size=6), st.booleans())
def test_inline_path_agrees_with_the_general_reader(chunks: list[object], strict: bool) -> None:
    opening = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "delta": {
                    "role": "assistant",
                    "tool_calls": [{"index": 0, "id": "t", "function": {"name": "f"}}],
                },
            }
        ],
    }
    raw = b"".join(b"data: " + json.dumps(chunk).encode() + b"\n\n" for chunk in [opening, *chunks])
    fast = _outcome(Decoder(strict=strict), raw)
    general = _outcome(GeneralOnly(strict=strict), raw)
    assert fast == general


@given(event_streams(provider="openai"))
def test_inline_path_agrees_on_generated_streams(events: list[Event]) -> None:
    raw = adapters.encode(events, provider="openai")
    assert _outcome(Decoder(), raw) == _outcome(GeneralOnly(), raw)


RECORDED = [
    list(adapters.decode(path, provider="openai"))
    for path in sorted((Path(__file__).parent.parent / "fixtures" / "openai").glob("*.sse"))
]


@st.composite
def _edited(draw: st.DrawFn) -> list[Event]:
    """A decoded recording with events dropped, repeated, moved or changed."""
    events = list(draw(st.sampled_from(RECORDED)))
    for _ in range(draw(st.integers(1, 6))):
        if not events:
            break
        at = draw(st.integers(0, len(events) - 1))
        action = draw(st.sampled_from(["drop", "repeat", "move", "change"]))
        if action == "drop":
            del events[at]
        elif action == "repeat":
            events.insert(at, events[at])
        elif action == "move":
            events.insert(draw(st.integers(0, len(events) - 1)), events.pop(at))
        else:
            event = events[at]
            for name, value in (
                ("text", "x"),
                ("arguments", "{}"),
                ("model", "m2"),
                ("message", "e"),
            ):
                if name in type(event).model_fields:
                    events[at] = event.model_copy(update={name: value})
                    break
    return events


@given(_edited(), st.sampled_from([None, True, False]))
def test_edited_streams_always_encode_to_what_they_say(
    events: list[Event], include_usage: bool | None
) -> None:
    """Whatever is done to decoded events, encoding raises nothing and writes
    them -- put back where they still match their frame, canonically where
    not: every text and argument fragment given comes back, in order."""
    raw = adapters.encode(events, provider="openai", include_usage=include_usage)
    decoder = Decoder(strict=False, wire=False)
    again = decoder.feed(raw) + decoder.close()
    texts = [e.text for e in events if isinstance(e, TextDelta)]
    assert [e.text for e in again if isinstance(e, TextDelta)] == texts
    arguments = [e.arguments for e in events if isinstance(e, ToolCallDelta) and e.arguments]
    assert [e.arguments for e in again if isinstance(e, ToolCallDelta) and e.arguments] == arguments
    usage = [e for e in again if isinstance(e, Usage)]
    if include_usage is False:
        assert usage == []
    elif include_usage:
        assert len(usage) <= 1

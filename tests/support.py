"""Helpers shared by the tests: chunkings, a browser's view of frames, and a
reference interpreter written straight from the WHATWG text for differential tests."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from adapters.sse import SSEDecoder, SSEFrame


@dataclass(frozen=True)
class Dispatched:
    """What a browser's EventSource hands to its listeners."""

    type: str
    data: str
    last_event_id: str


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    points = [0, *sorted({c for c in cuts if 0 < c < len(data)}), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points) if b > a] or [b""]


def chunkings(data: bytes, given: Sequence[int] = ()) -> Iterator[tuple[str, list[bytes]]]:
    """Whole, as the source delivered it, one byte at a time, and at every single cut."""
    yield "whole", [data]
    if given:
        yield "given", split_at(data, given)
    yield "bytewise", [data[i : i + 1] for i in range(len(data))]
    if len(data) <= 400:
        for cut in range(1, len(data)):
            yield f"cut@{cut}", [data[:cut], data[cut:]]


def decode(chunks: Iterable[bytes], decoder: SSEDecoder | None = None) -> list[SSEFrame]:
    decoder = decoder or SSEDecoder()
    frames: list[SSEFrame] = []
    for chunk in chunks:
        frames += decoder.feed(chunk)
    frames += decoder.close()
    return frames


def reassemble(frames: Iterable[SSEFrame], decoder: SSEDecoder) -> str:
    """The stream again: a BOM if it had one, every frame's raw text, the trailer."""
    text = "".join(frame.raw or "" for frame in frames) + decoder.trailer
    return "\ufeff" + text if decoder.bom else text


def browser_view(frames: Iterable[SSEFrame]) -> tuple[list[Dispatched], str]:
    """Replay frames the way WHATWG's dispatch steps treat the blocks they came from.

    "Set the last event ID string of the event source to the value of the last
    event ID buffer" (at every blank line), "If the data buffer is an empty
    string, [...] return", type "message" unless the event type buffer is set;
    and "If the file ends in the middle of an event, before the final empty
    line, the incomplete event is not dispatched."
    """
    last_id = ""
    out: list[Dispatched] = []
    for frame in frames:
        if not frame.complete:
            continue
        if frame.id is not None:
            last_id = frame.id
        if frame.data is not None:
            out.append(Dispatched(frame.event or "message", frame.data, last_id))
    return out, last_id


_LINE = re.compile(r"\r\n|\r|\n")


def reference(data: bytes) -> tuple[list[Dispatched], int | None]:
    """WHATWG 9.2.6, step by step, on a whole input (no chunking, no shortcuts)."""
    text = data.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    pieces = _LINE.split(text)
    # The last piece was not followed by a line end: "any pending data must be discarded".
    lines = pieces[:-1]
    data_buffer = ""
    event_type = ""
    id_buffer = ""
    last_event_id = ""
    reconnection: int | None = None
    out: list[Dispatched] = []
    for line in lines:
        if line == "":
            last_event_id = id_buffer
            if data_buffer == "":
                event_type = ""
                continue
            if data_buffer.endswith("\n"):
                data_buffer = data_buffer[:-1]
            out.append(Dispatched(event_type or "message", data_buffer, last_event_id))
            data_buffer = ""
            event_type = ""
            continue
        if line.startswith(":"):
            continue
        if ":" in line:
            name, value = line.split(":", 1)
            if value.startswith(" "):
                value = value[1:]
        else:
            name, value = line, ""
        if name == "event":
            event_type = value
        elif name == "data":
            data_buffer += value + "\n"
        elif name == "id":
            if "\0" not in value:
                id_buffer = value
        elif name == "retry" and value != "" and all(c in "0123456789" for c in value):
            reconnection = int(value)
    return out, reconnection

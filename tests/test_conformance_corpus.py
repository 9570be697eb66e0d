"""The outside corpus in ../shared/conformance/ (not shipped; skipped without it).

It was gathered independently of this project: WHATWG vectors from nine peer test
suites, and real recorded streams. Nothing of it is copied here; these tests read it
in place when it is there.
"""

from __future__ import annotations

import base64
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

import adapters
from adapters.events import Passthrough, UnknownFrame
from adapters.sse import SSEDecoder

from .support import Dispatched, browser_view, decode, reassemble

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "conformance"
VECTORS = CORPUS / "sse" / "vectors.jsonl"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="no ../shared/conformance here")


def _vectors() -> list[dict[str, Any]]:
    if not VECTORS.is_file():
        return []
    # split("\n"), not splitlines(): the vectors hold U+2028, which splitlines() splits on.
    lines = VECTORS.read_text("utf-8").split("\n")
    return [json.loads(line) for line in lines if line.strip()]


def _recordings() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.glob("*/*.sse"))


@pytest.mark.parametrize("vector", _vectors(), ids=lambda v: v["name"])
def test_outside_vectors(vector: dict[str, Any]) -> None:
    data = base64.b64decode(vector["input_b64"])
    cuts = [0, *vector.get("splits", []), len(data)]
    for chunks in (
        [data],
        [data[a:b] for a, b in itertools.pairwise(cuts)],
        [data[i : i + 1] for i in range(len(data))],
    ):
        decoder = SSEDecoder()
        events, last_id = browser_view(decode(chunks, decoder))
        want = [Dispatched(e["event"], e["data"], e["id"] or "") for e in vector["expected"]]
        assert events == want
        assert (last_id or None) == vector["last_event_id"]
        assert decoder.reconnection_time == vector["reconnection_time"]


@pytest.mark.parametrize("path", _recordings(), ids=lambda p: f"{p.parent.name}--{p.stem}")
def test_outside_recordings_round_trip(path: Path) -> None:
    data = path.read_bytes()
    decoder = SSEDecoder()
    frames = decode([data], decoder)
    assert reassemble(frames, decoder) == data.decode("utf-8", "replace")


def _openai_streams() -> list[Path]:
    folder = CORPUS / "openai"
    if not folder.is_dir():
        return []
    return sorted([*folder.glob("*.sse"), *folder.glob("*.chunks.txt")])


def _openai_bytes(path: Path) -> bytes:
    if path.name.endswith(".chunks.txt"):
        # The corpus's replay rule: one chunk a line, framed as data: <line>, then [DONE].
        lines = path.read_text("utf-8").split("\n")
        return b"".join(f"data: {line}\n\n".encode() for line in lines if line.strip()) + (
            b"data: [DONE]\n\n"
        )
    return path.read_bytes()


@pytest.mark.parametrize("path", _openai_streams(), ids=lambda p: p.name)
def test_outside_openai_streams_decode_strictly_and_encode_back(path: Path) -> None:
    data = _openai_bytes(path)
    events = list(adapters.decode(data, provider="openai"))
    assert events, "a recorded stream gives events"
    assert not any(isinstance(e, UnknownFrame) for e in events)
    again = adapters.encode(events, provider="openai")
    # Byte for byte; a last frame with no blank line after it gets its blank line.
    assert again == (data if data.endswith(b"\n\n") else data + b"\n")
    cut = [data[i : i + 97] for i in range(0, len(data), 97)]
    assert list(adapters.decode(cut, provider="openai")) == events
    # The canonical writer keeps every neutral fact.
    lean = list(adapters.decode(data, provider="openai", wire=False))
    canonical = adapters.encode(lean, provider="openai")
    assert list(adapters.decode(canonical, provider="openai", wire=False)) == [
        e for e in lean if not isinstance(e, Passthrough)
    ]

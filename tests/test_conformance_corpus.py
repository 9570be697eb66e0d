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
from typing import Any, Literal

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


def _native_streams() -> list[tuple[Path, Literal["incremental", "cumulative"]]]:
    manifest = CORPUS / "dashscope" / "native.manifest"
    if not manifest.is_file():
        return []
    entries: list[tuple[Path, Literal["incremental", "cumulative"]]] = []
    for line in manifest.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, mode = line.split()
            assert mode in {"incremental", "cumulative"}
            entries.append(
                (manifest.parent / name, "cumulative" if mode == "cumulative" else "incremental")
            )
    return entries


def _json_frames(data: bytes) -> list[tuple[Any, ...]]:
    def value(text: str | None) -> Any:
        try:
            return json.loads(text or "")
        except ValueError:
            return text

    frames = decode([data])
    return [(f.id, f.event, f.comments, value(f.data)) for f in frames if f.data is not None]


@pytest.mark.parametrize("entry", _native_streams(), ids=lambda e: e[0].name)
def test_outside_dashscope_streams(
    entry: tuple[Path, Literal["incremental", "cumulative"]],
) -> None:
    """Every held-out native recording: read in its recorded mode with nothing left
    uninterpreted, written back to the same frames, and its mode told by auto mode
    (or, for fragments too short to tell, said to be undetermined)."""
    path, mode = entry
    data = path.read_bytes()
    # Some copies lost the blank lines between frames (the corpus README says which).
    glued = data.count(b"\nid:") > data.count(b"\n\nid:")
    found: list[adapters.Diagnostic] = []
    events = list(
        adapters.decode(
            data,
            provider="dashscope",
            mode=mode,
            strict=False,
            split_glued=glued,
            diagnostics=found,
        )
    )
    assert events
    assert not any(isinstance(e, UnknownFrame) for e in events)
    assert {d.kind for d in found} <= {
        "glued_frames",
        "unterminated_frame",
        "ignored_line",
        "truncated",
    }
    again = adapters.encode(events, provider="dashscope", mode=mode)
    expected = data.replace(b"\nid:", b"\n\nid:") if glued else data
    assert _json_frames(again) == _json_frames(expected)
    if not glued:
        assert again == data  # byte for byte, BOMs and missing final blank lines included
    auto: list[adapters.Diagnostic] = []
    told = list(
        adapters.decode(
            data, provider="dashscope", strict=False, split_glued=glued, diagnostics=auto
        )
    )
    assert told == events or "mode_undetermined" in {d.kind for d in auto}

"""Every shipped recording: exact round trip under any chunking, provenance, and a
snapshot of its frames (tests/__snapshots__/, readable JSON)."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from adapters.sse import SSEDecoder, SSEFrame, encode_frames

from .support import decode, reassemble

FIXTURES = Path(__file__).parent.parent / "fixtures"
RECORDINGS = sorted(FIXTURES.glob("*/*.sse"))


def _id(path: Path) -> str:
    return f"{path.parent.name}--{path.stem}"


def _random_chunks(data: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, 40)))
    points = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


def _sidecar(path: Path) -> str:
    return path.with_name(path.name + ".source.md").read_text("utf-8")


def _as_json(frame: SSEFrame) -> dict[str, Any]:
    return {
        "event": frame.event,
        "id": frame.id,
        "retry": frame.retry,
        "comments": list(frame.comments),
        "complete": frame.complete,
        "data": frame.data,
    }


def test_there_are_recordings_of_both_providers() -> None:
    providers = {path.parent.name for path in RECORDINGS}
    assert providers == {"dashscope", "openai"}
    assert len(RECORDINGS) >= 12


@pytest.mark.parametrize("path", RECORDINGS, ids=_id)
def test_every_recording_has_provenance(path: Path) -> None:
    sidecar = path.with_name(path.name + ".source.md")
    assert sidecar.is_file(), f"{sidecar.name} is missing"
    text = sidecar.read_text("utf-8")
    # A repository commit, or (for a documentation example) the page's address.
    assert "commit" in text.lower() or "https://" in text
    assert "/" in text
    assert path.name in (FIXTURES / "README.md").read_text("utf-8")


@pytest.mark.parametrize("path", RECORDINGS, ids=_id)
def test_recordings_round_trip_byte_for_byte_under_any_chunking(path: Path) -> None:
    data = path.read_bytes()
    expected = None
    for chunks in (
        [data],
        [data[i : i + 1] for i in range(len(data))],
        *(_random_chunks(data, seed) for seed in range(5)),
    ):
        decoder = SSEDecoder(strict_utf8=True)
        frames = decode(chunks, decoder)
        assert encode_frames(frames) + decoder.trailer.encode() == data
        assert reassemble(frames, decoder).encode() == data
        # Only a documentation example whose author elided frames has lines the
        # standard ignores (its sidecar says so).
        allowed = {"ignored_line"} if "elided" in _sidecar(path) else set()
        assert {d.kind for d in decoder.diagnostics} <= allowed
        if expected is None:
            expected = frames
        assert frames == expected


@pytest.mark.parametrize("path", RECORDINGS, ids=_id)
def test_recording_frames_snapshot(path: Path, snapshot: SnapshotAssertion) -> None:
    frames = decode([path.read_bytes()])
    assert [_as_json(f) for f in frames] == snapshot(extension_class=JSONSnapshotExtension)

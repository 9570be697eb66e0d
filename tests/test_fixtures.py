"""Every shipped recording: exact round trip under any chunking, provenance,
conformance, and snapshots (tests/__snapshots__/test_fixtures/) of its frames
(JSON), its normalized events (JSON Lines) and its conversion to the other
provider (SSE).

The tests run once per recording through the package's own pytest plugin
(docs/testing.md): the ``adapters_recordings`` marker, the ``assert_conforms``
and ``assert_round_trips`` fixtures, and the ``events_snapshot`` and
``sse_snapshot`` fixtures, exactly as another project would use them.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

import adapters
from adapters.sse import SSEDecoder, SSEFrame, encode_frames
from adapters.testing import recordings
from adapters.testing.pytest_plugin import Recordings

from .support import decode, reassemble

FIXTURES = Path(__file__).parent.parent / "fixtures"
RECORDINGS = sorted(FIXTURES.glob("*/*.sse"))
# Two recorders dropped the blank line between frames; the decoders read them
# with split_glued=True (see docs/dashscope.md), and they cannot round-trip.
GLUED = {
    "cnblogs-message-incremental-qwen-max",
    "cnblogs-reasoning-incremental-qwen-plus-latest",
}


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


def test_there_are_recordings_of_both_providers(recording: Recordings) -> None:
    providers = {path.parent.name for path in RECORDINGS}
    assert providers == {"dashscope", "openai"}
    assert len(RECORDINGS) >= 12
    # The plugin's folder (the adapters_fixtures ini option's default) is this one,
    # and the helper for plain parametrize sees the same recordings.
    assert recording.folder == FIXTURES
    assert recording.all() == RECORDINGS
    assert [param.values[0] for param in recordings(FIXTURES)] == RECORDINGS


@pytest.mark.adapters_recordings
def test_every_recording_has_provenance(recording_path: Path) -> None:
    path = recording_path
    sidecar = path.with_name(path.name + ".source.md")
    assert sidecar.is_file(), f"{sidecar.name} is missing"
    text = sidecar.read_text("utf-8")
    # A repository commit, or (for a documentation example) the page's address.
    assert "commit" in text.lower() or "https://" in text
    assert "/" in text
    assert path.name in (FIXTURES / "README.md").read_text("utf-8")


@pytest.mark.adapters_recordings
def test_recordings_round_trip_byte_for_byte_under_any_chunking(recording_path: Path) -> None:
    path = recording_path
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


@pytest.mark.adapters_recordings
def test_recording_frames_snapshot(recording_path: Path, snapshot: SnapshotAssertion) -> None:
    frames = decode([recording_path.read_bytes()])
    assert [_as_json(f) for f in frames] == snapshot(extension_class=JSONSnapshotExtension)


@pytest.mark.adapters_recordings
def test_recording_conforms_or_has_its_findings_recorded(
    recording_path: Path, assert_conforms: Callable[..., list[adapters.Violation]]
) -> None:
    """Clean of errors, or with exactly the findings of its NAME.sse.check.json."""
    found = assert_conforms(recording_path)
    if not recording_path.with_name(recording_path.name + ".check.json").is_file():
        assert not [v for v in found if v.severity == "error"]


@pytest.mark.adapters_recordings
def test_recording_round_trips_through_events(
    recording_path: Path, assert_round_trips: Callable[..., list[adapters.Event]]
) -> None:
    if recording_path.stem in GLUED:
        with pytest.raises(AssertionError, match=r"does not round-trip: .*not JSON"):
            assert_round_trips(recording_path)
    else:
        events = assert_round_trips(recording_path)
        assert events == list(adapters.decode(recording_path))


@pytest.mark.adapters_recordings
def test_recording_events_snapshot(
    recording_path: Path, events_snapshot: SnapshotAssertion
) -> None:
    """The normalized events, one JSON line each (without the wire layout)."""
    glued = recording_path.stem in GLUED
    events = list(adapters.decode(recording_path, split_glued=glued, wire=False))
    assert events == events_snapshot


@pytest.mark.adapters_recordings
def test_recording_converted_snapshot(
    recording_path: Path, sse_snapshot: SnapshotAssertion
) -> None:
    """The recording written by the other provider's writer, as a .sse file."""
    other: Literal["openai", "dashscope"] = (
        "openai" if recording_path.parent.name == "dashscope" else "dashscope"
    )
    glued = recording_path.stem in GLUED
    assert adapters.convert(recording_path, to=other, split_glued=glued) == sse_snapshot

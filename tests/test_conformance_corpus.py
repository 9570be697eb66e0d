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

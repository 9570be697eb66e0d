"""fixtures/README.md indexes every recording, and what it says about each is true.

The index table gives each recording's provider, mode, model and check result;
these tests hold it to the files themselves, to ``adapters.check`` (and the
``.check.json`` findings recorded next to a recording), and to an exact
decode -> encode round trip. The summary quoted under "The corpus, normalized"
is held to a real ``adapters normalize`` run.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

import adapters
from adapters._corpus import Summary, normalize_corpus, normalize_file
from adapters.dashscope import Decoder as DashScopeDecoder
from adapters.sse import decode_frames

FIXTURES = Path(__file__).parent.parent / "fixtures"
README = FIXTURES / "README.md"
RECORDINGS = sorted(path.relative_to(FIXTURES).as_posix() for path in FIXTURES.glob("**/*.sse"))
#: Recordings whose recorder dropped the blank lines between frames (their
#: findings say DS016 on every frame after the first).
GLUED = {
    "dashscope/cnblogs-message-incremental-qwen-max.sse",
    "dashscope/cnblogs-reasoning-incremental-qwen-plus-latest.sse",
}
COLUMNS = ["recording", "provider", "mode", "format", "model", "exercises", "source", "check"]


def _index() -> dict[str, dict[str, str]]:
    """The rows of the index table, by recording path."""
    text = README.read_text("utf-8")
    section = text.split("## Index", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, dict[str, str]] = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == len(COLUMNS), line
        row = dict(zip(COLUMNS, cells, strict=True))
        path = row["recording"].strip("`")
        assert path not in rows, f"{path} is listed twice"
        rows[path] = row
    return rows


INDEX = _index()


def _rules(cell: str) -> Counter[str]:
    """``"DS016 ×9, SSE002 ×1"`` -> the count per rule; ``"clean"`` -> nothing."""
    if cell == "clean":
        return Counter()
    found: Counter[str] = Counter()
    for item in cell.split(", "):
        match = re.fullmatch(r"([A-Z]+\d{3}) ×(\d+)", item)
        assert match is not None, f"cannot read {item!r} in the check column"
        found[match[1]] += int(match[2])
    return found


def test_the_index_lists_every_recording_and_nothing_else() -> None:
    assert sorted(INDEX) == RECORDINGS
    assert len(RECORDINGS) >= 12


@pytest.mark.parametrize("path", RECORDINGS)
def test_the_index_says_what_the_library_reads(path: str) -> None:
    row = INDEX[path]
    record = normalize_file(FIXTURES / path, FIXTURES, split_glued=path in GLUED)
    assert record.error is None
    assert record.path == path
    assert (row["provider"], row["mode"]) == (record.provider, record.mode)
    assert path.split("/", maxsplit=1)[0] == record.provider  # the folder says it too
    models = {event["model"] for event in record.events if event["type"] == "stream_start"}
    if record.provider == "openai":
        assert models == {row["model"].strip("`")}
        assert row["format"] == "chunk"
    else:  # native frames name no model: the sidecar's request does
        sidecar = (FIXTURES / (path + ".source.md")).read_text("utf-8")
        assert row["model"] in sidecar
    assert row["exercises"]
    assert row["source"]


@pytest.mark.parametrize("path", RECORDINGS)
def test_the_check_column_matches_the_checker_and_the_recorded_findings(path: str) -> None:
    found = adapters.check(FIXTURES / path)
    listed = _rules(INDEX[path]["check"])
    assert Counter(v.rule for v in found) == listed
    recorded = FIXTURES / (path + ".check.json")
    if listed:
        expected = json.loads(recorded.read_text("utf-8"))
        assert Counter(item["rule"] for item in expected) == listed
    else:
        assert not recorded.exists()


@pytest.mark.parametrize("path", RECORDINGS)
def test_every_recording_round_trips(path: str) -> None:
    """decode -> encode (same provider, same mode) gives the recording back byte for
    byte; the glued ones give back their frames, with the blank lines restored."""
    data = (FIXTURES / path).read_bytes()
    glued = path in GLUED
    if INDEX[path]["provider"] == "openai":
        again = adapters.encode(adapters.decode(data, provider="openai"), provider="openai")
    else:
        decoder = DashScopeDecoder(split_glued=glued)
        events = decoder.feed(data) + decoder.close()
        assert decoder.mode == INDEX[path]["mode"]
        again = adapters.encode(events, provider="dashscope", mode=decoder.mode)
    if not glued:
        assert again == data
        return
    unglued = re.sub(rb"(?<=[^\n]\n)id:", b"\nid:", data)
    assert again == unglued
    assert [
        (f.id, f.event, f.comments, json.loads(f.data or "null")) for f in decode_frames(again)
    ] == [(f.id, f.event, f.comments, json.loads(f.data or "null")) for f in decode_frames(unglued)]


def test_the_quoted_summary_is_a_real_run() -> None:
    text = README.read_text("utf-8")
    section = text.split("## The corpus, normalized", 1)[1]
    quoted = section.split("```\n", 2)[1].rstrip("\n")
    summary = Summary()
    for record in normalize_corpus(FIXTURES, split_glued=True):
        summary.add(record)
    assert quoted == summary.table()
    unsplit = Summary()
    for record in normalize_corpus(FIXTURES):
        unsplit.add(record)
    assert sorted(record.path for record in unsplit.broken) == sorted(GLUED)

"""The DashScope wire models against every recorded frame: each validates, and
dumps back (``exclude_unset``) to the same JSON, unknown keys included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from adapters.dashscope import ErrorFrame, ResultFrame, finish_reason
from adapters.sse import decode_frames

FIXTURES = Path(__file__).parent.parent / "fixtures" / "dashscope"


def _payloads() -> list[tuple[str, str | None, str]]:
    found: list[tuple[str, str | None, str]] = []
    for path in sorted(FIXTURES.glob("*.sse")):
        data = path.read_bytes()
        if data.count(b"\nid:") > data.count(b"\n\nid:"):  # glued: one frame a data line
            lines = [line for line in data.decode().splitlines() if line.startswith("data:")]
            found += [(f"{path.stem}#{n}", "result", line[5:]) for n, line in enumerate(lines)]
            continue
        for number, frame in enumerate(decode_frames(data)):
            if frame.data is not None:
                found.append((f"{path.stem}#{number}", frame.event, frame.data))
    return found


PAYLOADS = _payloads()


def test_there_are_payloads() -> None:
    assert len(PAYLOADS) > 80


@pytest.mark.parametrize(("where", "event", "data"), PAYLOADS, ids=[p[0] for p in PAYLOADS])
def test_every_recorded_frame_validates_and_dumps_back(
    where: str, event: str | None, data: str
) -> None:
    model = ErrorFrame if event == "error" else ResultFrame
    frame = model.model_validate_json(data)
    assert json.loads(frame.model_dump_json(exclude_unset=True)) == json.loads(data), where
    if isinstance(frame, ResultFrame) and frame.output.choices:
        choice = frame.output.choices[0]
        assert choice.reason == finish_reason(
            json.loads(data)["output"]["choices"][0].get("finish_reason")
        )
        assert choice.reason != "null"


def test_wire_models_are_strict_about_types() -> None:
    with pytest.raises(ValidationError):
        ResultFrame.model_validate({"output": {"choices": [{"index": "0"}]}})
    with pytest.raises(ValidationError):
        ResultFrame.model_validate({"request_id": "x"})  # no output
    assert finish_reason(7) is None

"""The OpenAI wire models against every recorded chunk: each validates, and dumps
back (``exclude_unset``) to the same JSON, unknown vendor keys included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from adapters.openai import ChatCompletionChunk, ErrorChunk
from adapters.sse import decode_frames

FIXTURES = Path(__file__).parent.parent / "fixtures" / "openai"


def _payloads() -> list[tuple[str, str]]:
    found = []
    for path in sorted(FIXTURES.glob("*.sse")):
        for number, frame in enumerate(decode_frames(path.read_bytes())):
            if frame.data is not None and frame.data != "[DONE]":
                found.append((f"{path.stem}#{number}", frame.data))
    return found


PAYLOADS = _payloads()


def test_there_are_payloads() -> None:
    assert len(PAYLOADS) > 400


@pytest.mark.parametrize(("where", "data"), PAYLOADS, ids=[where for where, _ in PAYLOADS])
def test_every_recorded_chunk_validates_and_dumps_back(where: str, data: str) -> None:
    model = ErrorChunk if '"choices"' not in data else ChatCompletionChunk
    chunk = model.model_validate_json(data)
    assert json.loads(chunk.model_dump_json(exclude_unset=True)) == json.loads(data), where


def test_wire_models_are_strict_about_types() -> None:
    with pytest.raises(ValidationError):
        ChatCompletionChunk.model_validate({"choices": [{"index": "0", "delta": {}}]})
    with pytest.raises(ValidationError):
        ChatCompletionChunk.model_validate({"id": "x"})  # no choices

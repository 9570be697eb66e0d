"""The facade (decode / adecode / encode / detect_provider), the event model's
own rules, and ``adapters convert`` on the command line."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError

import adapters
from adapters import DecodeError
from adapters.cli import main
from adapters.events import (
    EVENT_ADAPTER,
    End,
    Event,
    Finish,
    TextDelta,
    ToolCallDelta,
    Usage,
    dump_jsonl,
    load_jsonl,
)

FIXTURE = (
    Path(__file__).parent.parent / "fixtures" / "openai" / "openai-python-tool-call-gpt-4o.sse"
)
DASHSCOPE = (
    Path(__file__).parent.parent
    / "fixtures"
    / "dashscope"
    / "cnblogs-text-incremental-qwen-max.sse"
)


def test_sources_bytes_path_str_and_chunks_agree() -> None:
    data = FIXTURE.read_bytes()
    whole = list(adapters.decode(data))
    assert list(adapters.decode(FIXTURE)) == whole
    assert list(adapters.decode(str(FIXTURE))) == whole
    assert list(adapters.decode(bytearray(data))) == whole
    assert list(adapters.decode(data[i : i + 5] for i in range(0, len(data), 5))) == whole
    # provider="auto" keeps buffering while the first bytes cannot tell.
    sniffed = list(adapters.decode([b":", b" hi\n\n", data]))
    assert sniffed == list(adapters.decode(b": hi\n\n" + data, provider="openai"))
    assert sniffed[1:] == whole


def test_adecode_is_the_async_twin() -> None:
    data = FIXTURE.read_bytes()

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 11):
            yield data[i : i + 11]

    async def run() -> tuple[list[Event], list[Event]]:
        streamed = [event async for event in adapters.adecode(chunks())]
        whole = [event async for event in adapters.adecode(data, provider="openai")]
        return streamed, whole

    streamed, whole = asyncio.run(run())
    assert streamed == whole == list(adapters.decode(data))


def test_detect_provider() -> None:
    assert adapters.detect_provider(FIXTURE.read_bytes()[:40]) == "openai"
    assert adapters.detect_provider(DASHSCOPE.read_bytes()[:40]) == "dashscope"
    assert adapters.detect_provider(b"") is None


def test_unknown_format_is_a_decode_error() -> None:
    with pytest.raises(DecodeError) as info:
        list(adapters.decode(b"hello world\n"))
    assert info.value.kind == "unknown_provider"
    with pytest.raises(DecodeError) as big:
        list(adapters.decode([b"x" * 70_000]))
    assert big.value.kind == "unknown_provider"


def test_dashscope_is_detected_and_decoded_with_its_mode() -> None:
    events = list(adapters.decode(DASHSCOPE))
    assert events[0] == adapters.StreamStart(request_id=events[0].request_id)  # type: ignore[union-attr]
    assert events[-1] == End()
    again = adapters.encode(events, provider="dashscope")
    assert again == DASHSCOPE.read_bytes()
    cumulative = adapters.encode(events, provider="dashscope", mode="cumulative")
    assert list(adapters.decode(cumulative, mode="cumulative")) == events
    assert list(adapters.decode(cumulative)) == events  # auto tells
    # Read in the wrong mode, cumulative frames repeat text: why the mode matters.
    wrong = list(adapters.decode(cumulative, mode="incremental", provider="dashscope"))
    assert len(wrong) >= len(events)
    assert wrong != events


def test_openai_has_no_cumulative_mode() -> None:
    with pytest.raises(ValueError, match="incremental"):
        adapters.encode([End()], provider="openai", mode="cumulative")


def test_bad_arguments_are_value_errors() -> None:
    with pytest.raises(ValueError, match="provider"):
        list(adapters.decode(b"", provider="nope"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mode"):
        list(adapters.decode(b"", mode="nope"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="provider"):
        adapters.encode([], provider="nope")  # type: ignore[arg-type]


def test_diagnostics_are_handed_back() -> None:
    found: list[adapters.Diagnostic] = []
    data = FIXTURE.read_bytes().replace(b"data: [DONE]\n\n", b"")
    list(adapters.decode(data, diagnostics=found))
    assert [d.kind for d in found] == ["missing_done"]


# ------------------------------------------------------------------ events


def test_events_are_frozen_strict_and_compare_without_wire() -> None:
    event = TextDelta(text="a", wire={"openai": {"frame": 1}})
    with pytest.raises(ValidationError):
        event.text = "b"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        TextDelta(text=1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        TextDelta(text="a", extra=1)  # type: ignore[call-arg]
    assert event == TextDelta(text="a")
    assert hash(event) == hash(TextDelta(text="a"))
    assert event != TextDelta(text="a", choice=1)
    assert event != ToolCallDelta(arguments="a")
    assert event != "a"
    assert len({event, TextDelta(text="a"), TextDelta(text="b")}) == 2


def test_finish_reason_and_raw_reason_follow_each_other() -> None:
    assert Finish(reason="length").raw_reason == "length"
    assert Finish(raw_reason="abort").reason == "other"
    assert Finish().raw_reason == "stop"
    with pytest.raises(ValidationError, match="raw_reason"):
        Finish(reason="other")
    with pytest.raises(ValidationError, match="does not match"):
        Finish(reason="stop", raw_reason="length")


def test_json_lines_round_trip() -> None:
    events = list(adapters.decode(FIXTURE))
    lines = list(dump_jsonl(events))
    back = list(load_jsonl([*lines, "\n"]))
    assert back == events
    assert [e.wire for e in back] == [e.wire for e in events]
    lean = [json.loads(line) for line in dump_jsonl(events, wire=False)]
    assert all("wire" not in record for record in lean)
    assert EVENT_ADAPTER.validate_python(lean[-1]) == End()
    assert adapters.encode(back, provider="openai") == FIXTURE.read_bytes()


def test_usage_rejects_negative_counts() -> None:
    with pytest.raises(ValidationError):
        Usage(input_tokens=-1)


# --------------------------------------------------------------------- cli


def test_convert_to_events_and_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "events.jsonl"
    assert main(["convert", str(FIXTURE), "--to", "events", "-o", str(out)]) == 0
    events = list(load_jsonl(out.read_text("utf-8").splitlines()))
    assert events == list(adapters.decode(FIXTURE))
    copy = tmp_path / "copy.sse"
    assert main(["convert", str(FIXTURE), "--to", "openai", "-o", str(copy)]) == 0
    assert copy.read_bytes() == FIXTURE.read_bytes()
    assert main(["convert", str(FIXTURE), "--to", "events", "--no-wire"]) == 0
    assert '"wire"' not in capsys.readouterr().out


def test_convert_reports_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.sse"
    bad.write_bytes(b'data: {"choices": 5}\n\n')
    assert main(["convert", str(bad), "--to", "events"]) == 1
    assert "frame 0" in capsys.readouterr().err
    assert main(["convert", str(bad), "--to", "events", "--lenient"]) == 0
    captured = capsys.readouterr()
    assert '"unknown_frame"' in captured.out
    assert "expected an array" in captured.err
    assert main(["convert", str(tmp_path / "missing.sse"), "--to", "events"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["convert", str(tmp_path), "--to", "events"]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_convert_reads_stdin() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "adapters", "convert", "-", "--to", "openai"],
        input=FIXTURE.read_bytes(),
        capture_output=True,
        check=True,
    )
    assert result.stdout == FIXTURE.read_bytes()

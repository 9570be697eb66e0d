"""The `adapters` command: frames as JSON Lines, byte-identical copies, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.cli import main

FIXTURES = Path(__file__).parent.parent / "fixtures"
TOOL_CALLS = FIXTURES / "dashscope" / "cnblogs-toolcalls-parallel-incremental-qwen-max.sse"


def test_frames_prints_one_json_object_per_frame(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frames", str(TOOL_CALLS)]) == 0
    lines = capsys.readouterr().out.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["frame"] for r in records] == [0, 1, 2, 3]
    assert records[0]["event"] == "result"
    assert records[0]["id"] == "1"
    assert records[0]["comments"] == ["HTTP_STATUS/200"]
    assert json.loads(records[3]["data"])["output"]["choices"][0]["finish_reason"] == "tool_calls"
    assert "浙江省杭州市" in lines[1]  # not \u-escaped


def test_frames_format_sse_copies_byte_for_byte(tmp_path: Path) -> None:
    for path in sorted(FIXTURES.glob("*/*.sse")):
        out = tmp_path / path.name
        assert main(["frames", str(path), "--format", "sse", "-o", str(out)]) == 0
        assert out.read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbfid:1\nevent:error\n:HTTP_STATUS/400\ndata:{}",  # only frame from close()
        b"\xef\xbb\xbf\n\n",  # no frame at all
        b"\xef\xbb\xbfdata: a\n\n\n",
    ],
)
def test_a_copy_keeps_the_byte_order_mark(tmp_path: Path, data: bytes) -> None:
    source, copy = tmp_path / "in.sse", tmp_path / "out.sse"
    source.write_bytes(data)
    assert main(["frames", str(source), "--format", "sse", "-o", str(copy)]) == 0
    assert copy.read_bytes() == data


def test_an_incomplete_frame_is_marked(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "dashscope" / "cnblogs-error-invalid-parameter.sse"
    assert main(["frames", str(path)]) == 0
    [record] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert record["complete"] is False
    assert record["event"] == "error"


def test_a_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frames", "no/such/file.sse"]) == 2
    assert "no such file: no/such/file.sse" in capsys.readouterr().err


def test_diagnostics_and_errors_go_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.sse"
    bad.write_bytes(b"data: caf\xc3\n\n")
    assert main(["frames", str(bad)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["data"] == "caf\ufffd"
    assert "byte 9, frame 0: invalid UTF-8" in captured.err
    assert main(["frames", str(bad), "--strict-utf8"]) == 1
    assert "[invalid_utf8]" in capsys.readouterr().err


def test_stdin_and_stdout_through_the_console_script() -> None:
    data = TOOL_CALLS.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "adapters", "frames", "-", "--format", "sse"],
        input=data,
        capture_output=True,
        check=True,
    )
    assert result.stdout == data


def test_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["frames", "--help"])
    assert exited.value.code == 0
    assert "examples:" in capsys.readouterr().out

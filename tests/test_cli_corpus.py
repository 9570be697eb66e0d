"""The command line over recorded streams: normalize, redact, several inputs, clear errors."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import adapters
from adapters._corpus import Progress, normalize_corpus
from adapters._redact import detect_format, redact
from adapters.cli import main
from adapters.sse import decode_frames

FIXTURES = Path(__file__).parent.parent / "fixtures"
TEXT = FIXTURES / "dashscope" / "cnblogs-text-incremental-qwen-max.sse"
TOOL_CALL = FIXTURES / "openai" / "openai-python-tool-call-gpt-4o.sse"
KEY = "sk-" + "a1B2c3D4e5F6g7H8i9J0k_-z"  # a made-up key of the real shape


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


# ---------------------------------------------------------------- normalize


def test_normalize_the_fixtures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "corpus.jsonl"
    assert main(["normalize", str(FIXTURES), "-o", str(out), "--split-glued"]) == 0
    records = _lines(out)
    paths = [record["path"] for record in records]
    assert paths == sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("*/*.sse"))
    by_path = {record["path"]: record for record in records}
    farui = by_path["dashscope/aliyun-docs-farui-plus-cumulative-message.sse"]
    assert (farui["provider"], farui["mode"], farui["error"]) == ("dashscope", "cumulative", None)
    tool = by_path["openai/openai-python-tool-call-gpt-4o.sse"]
    assert (tool["provider"], tool["mode"]) == ("openai", "incremental")
    # The events are the library's, without wire layout; the findings adapters.check's.
    expected = [
        e.model_dump(mode="json", exclude={"wire"}) for e in adapters.decode(TOOL_CALL, wire=False)
    ]
    assert tool["events"] == expected
    groq = by_path["openai/pydantic-ai-groq-tool-use-failed-event-error-gpt-oss-120b.sse"]
    assert [f["rule"] for f in groq["findings"]] == ["OAI016"]
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == [
        "provider",
        "mode",
        "files",
        "events",
        "errors",
        "warnings",
    ]
    assert "dashscope  cumulative       1" in table
    assert "broken files: 0" in table


def test_a_broken_file_is_reported_and_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "deep" / "er").mkdir(parents=True)
    (corpus / "a.sse").write_bytes(TOOL_CALL.read_bytes())
    (corpus / "deep" / "er" / "b.sse").write_bytes(TEXT.read_bytes())
    (corpus / "deep" / "junk.sse").write_bytes(b"hello, world\n")
    broken_json = TEXT.read_bytes().replace(b'data:{"output"', b'data:{"output" oops', 1)
    (corpus / "deep" / "bad.sse").write_bytes(broken_json)
    (corpus / "dangling.sse").symlink_to(corpus / "gone.sse")
    (corpus / "notes.txt").write_text("not a recording")
    out = tmp_path / "out.jsonl"
    assert main(["normalize", str(corpus), "-o", str(out)]) == 1
    records = {record["path"]: record for record in _lines(out)}
    assert list(records) == [
        "a.sse",
        "dangling.sse",
        "deep/bad.sse",
        "deep/er/b.sse",
        "deep/junk.sse",
    ]
    assert records["a.sse"]["error"] is None
    assert records["deep/er/b.sse"]["error"] is None
    assert records["dangling.sse"]["error"]["kind"] == "unreadable"
    bad = records["deep/bad.sse"]
    assert bad["error"]["kind"] == "invalid_json"
    assert bad["error"]["offset"] == 0
    assert bad["events"] == []
    assert "DS005" in {f["rule"] for f in bad["findings"]}
    assert records["deep/junk.sse"]["error"]["kind"] == "unknown_provider"
    table = capsys.readouterr().out
    assert "broken files: 3" in table
    assert "deep/bad.sse: [invalid_json]" in table
    assert "dangling.sse: [unreadable]" in table
    assert "deep/junk.sse: [unknown_provider]" in table


def test_jobs_do_not_change_the_output(tmp_path: Path) -> None:
    one, two, auto = tmp_path / "1.jsonl", tmp_path / "2.jsonl", tmp_path / "auto.jsonl"
    assert main(["normalize", str(FIXTURES), "-o", str(one), "--jobs", "1"]) == 1
    assert main(["normalize", str(FIXTURES), "-o", str(two), "--jobs", "2"]) == 1
    assert main(["normalize", str(FIXTURES), "-o", str(auto), "-j", "auto"]) == 1
    assert one.read_bytes() == two.read_bytes() == auto.read_bytes()
    assert len(one.read_bytes().splitlines()) == len(list(FIXTURES.glob("*/*.sse")))


def test_normalize_api_is_the_same_in_a_pool() -> None:
    alone = list(normalize_corpus(FIXTURES, split_glued=True))
    pooled = list(normalize_corpus(FIXTURES, split_glued=True, jobs=2))
    assert alone == pooled
    assert all(record.error is None for record in alone)


def test_glob_and_provider_options(tmp_path: Path) -> None:
    provider = ["--provider", "openai"]
    out = tmp_path / "out.jsonl"
    code = main(
        ["normalize", str(FIXTURES), "-o", str(out), "--glob", "openai-python-*.sse", *provider]
    )
    assert code == 0
    records = _lines(out)
    assert len(records) == 6
    assert {record["provider"] for record in records} == {"openai"}


def test_normalize_to_stdout_puts_the_table_on_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    buffer = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buffer))
    assert main(["normalize", str(FIXTURES / "openai"), "-o", "-"]) == 0
    records = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert len(records) == 9
    assert "broken files: 0" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_is_drawn_only_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    assert main(["normalize", str(FIXTURES / "openai"), "-o", str(out)]) == 0
    assert capsys.readouterr().err == ""  # not a terminal: no bar
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["normalize", str(FIXTURES / "openai"), "-o", str(out)]) == 0
    drawn = terminal.getvalue()
    assert "[" in drawn
    assert "9/9" in drawn
    assert "1/9" in drawn
    assert drawn.endswith("\r")  # the line is cleared at the end


def test_progress_counts_and_fills() -> None:
    terminal = _Terminal()
    bar = Progress(4, terminal)
    assert bar.enabled
    for name in "abcd":
        bar.advance(name)
    assert bar.done == 4
    last = terminal.getvalue().split("\r")[-1]
    assert "4/4 d" in last
    assert "." not in last.split("]")[0]  # full
    bar.close()
    plain = io.StringIO()
    quiet = Progress(4, plain)
    quiet.advance("a")
    quiet.close()
    assert plain.getvalue() == ""


def test_normalize_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.jsonl"
    assert main(["normalize", str(tmp_path / "missing"), "-o", str(out)]) == 2
    assert "no such directory" in capsys.readouterr().err
    assert main(["normalize", str(TEXT), "-o", str(out)]) == 2
    assert "is not a directory" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("nothing to see")
    assert main(["normalize", str(empty), "-o", str(out)]) == 2
    assert "no recordings matching '*.sse' under" in capsys.readouterr().err
    assert not out.exists()
    assert main(["normalize", str(FIXTURES), "-o", str(tmp_path / "no" / "dir.jsonl")]) == 2
    assert "cannot write" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["normalize", str(FIXTURES), "-o", str(out), "--jobs", "many"])
    assert "expected a number of processes or 'auto'" in capsys.readouterr().err


# ---------------------------------------------------------------- redact


def _exchange(body: bytes, *, secret_in_request: bool = True) -> bytes:
    request = b'{"model":"qwen-max","input":{"prompt":"hi"},"parameters":{}}'
    auth = b"Authorization: Bearer " + KEY.encode() + b"\r\n" if secret_in_request else b""
    return (
        b"POST /api/v1/services/aigc/text-generation/generation HTTP/1.1\r\n"
        b"Host: dashscope.aliyuncs.com\r\n" + auth + b"Content-Type: application/json\r\n"
        b"X-DashScope-SSE: enable\r\n"
        b"Content-Length: %d\r\n\r\n" % len(request) + request + b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: text/event-stream;charset=UTF-8\r\n"
        b"Set-Cookie: acw_tc=0a47318e17; path=/; HttpOnly; Max-Age=1800\r\n\r\n" + body
    )


def _frames(data: bytes) -> list[tuple[object, ...]]:
    return [(f.id, f.event, f.comments, f.data, f.complete) for f in decode_frames(data)]


def test_redact_an_http_exchange_keeps_the_body_byte_for_byte(tmp_path: Path) -> None:
    body = TEXT.read_bytes()
    source, target = tmp_path / "exchange.http", tmp_path / "shared.http"
    source.write_bytes(_exchange(body))
    assert main(["redact", str(source), "-o", str(target)]) == 0
    shared = target.read_bytes()
    assert KEY.encode() not in shared
    assert b"acw_tc=0a47318e17" not in shared
    assert b"\r\nAuthorization: Bearer <redacted>\r\n" in shared
    assert b"\r\nSet-Cookie: acw_tc=<redacted>; path=/; HttpOnly; Max-Age=1800\r\n" in shared
    assert shared.endswith(b"\r\n\r\n" + body)
    response = shared.split(b"\r\n\r\n", 2)[2]
    assert _frames(response) == _frames(body)
    # Nothing else changed: the same lines but two.
    before, after = source.read_bytes().split(b"\r\n"), shared.split(b"\r\n")
    assert len(before) == len(after)
    assert sum(a != b for a, b in zip(before, after, strict=True)) == 2


def test_a_key_in_a_data_field_is_replaced_and_the_stream_still_decodes() -> None:
    body = TOOL_CALL.read_bytes().replace(
        b'"system_fingerprint":"fp_845eaabc1f"',
        b'"system_fingerprint":"fp_845eaabc1f","echo":"key ' + KEY.encode() + b'"',
        1,
    )
    done = redact(body)
    assert done.format == "sse"
    assert dict(done.counts) == {"sk- key": 1}
    assert done.data == body.replace(KEY.encode(), b"sk-<redacted>")
    events = list(adapters.decode(done.data, wire=False))
    assert events == list(adapters.decode(TOOL_CALL, wire=False))
    assert adapters.check(done.data) == []


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*/*.sse")), ids=lambda p: p.name)
def test_a_recording_without_secrets_is_left_alone(path: Path) -> None:
    data = path.read_bytes()
    done = redact(data)
    assert (done.format, done.total, done.data) == ("sse", 0, data)


def test_redact_chunked_and_content_length_bodies_keep_their_lengths_true() -> None:
    body = TEXT.read_bytes().replace(b'"request_id"', b'"api_key":"abc","request_id"', 1)
    pieces = [body[:120], body[120:]]
    chunked = b"".join(b"%X\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    done = redact(head + chunked)
    assert dict(done.counts) == {"JSON member": 1}
    rest = done.data.removeprefix(head)
    size, _, rest = rest.partition(b"\r\n")
    first = rest[: int(size, 16)]
    assert rest[int(size, 16) : int(size, 16) + 2] == b"\r\n"
    assert first == pieces[0].replace(b'"api_key":"abc"', b'"api_key":"<redacted>"')
    sized = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    done = redact(sized)
    new_body = body.replace(b'"abc"', b'"<redacted>"')
    assert done.data == b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(new_body) + new_body


def test_redact_query_parameters_and_proxy_headers() -> None:
    raw = (
        b"GET /v1/models?key=AIzaSyA&alt=sse&access_token=ya29.a0 HTTP/1.1\n"
        b"Proxy-Authorization: Basic dXNlcjpwYXNz\n"
        b"X-Api-Key: 0123456789\n"
        b"api-key: abcdef\n"
        b"Cookie: session=1; theme=dark\n\n"
    )
    done = redact(raw)
    assert done.data == (
        b"GET /v1/models?key=<redacted>&alt=sse&access_token=<redacted> HTTP/1.1\n"
        b"Proxy-Authorization: Basic <redacted>\n"
        b"X-Api-Key: <redacted>\n"
        b"api-key: <redacted>\n"
        b"Cookie: session=<redacted>; theme=<redacted>\n\n"
    )
    assert redact(done.data).data == done.data  # twice is once
    assert redact(done.data).total == 0


def test_redact_a_curl_transcript() -> None:
    body = TEXT.read_bytes()
    raw = (
        b"*   Trying 47.96.1.1:443...\n"
        b"> POST /api/v1/services/aigc/text-generation/generation HTTP/2\n"
        b"> host: dashscope.aliyuncs.com\n"
        b"> authorization: Bearer " + KEY.encode() + b"\n"
        b">\n< HTTP/2 200\n< set-cookie: acw_tc=abc; path=/\n<\n" + body
    )
    done = redact(raw)
    assert done.format == "curl"
    assert b"> authorization: Bearer <redacted>\n" in done.data
    assert b"< set-cookie: acw_tc=<redacted>; path=/\n" in done.data
    assert done.data.endswith(b"<\n" + body)


def _har(body: str, *, base64_body: bool = False) -> bytes:
    content: dict[str, object] = {"size": len(body.encode()), "mimeType": "text/event-stream"}
    if base64_body:
        content.update(text=base64.b64encode(body.encode()).decode(), encoding="base64")
    else:
        content["text"] = body
    entry = {
        "request": {
            "method": "POST",
            "url": "https://api.openai.com/v1/chat/completions?api_key=abc",
            "headers": [
                {"name": "authorization", "value": f"Bearer {KEY}"},
                {"name": "content-type", "value": "application/json"},
            ],
            "cookies": [{"name": "__cf_bm", "value": "xyz"}],
            "queryString": [{"name": "api_key", "value": "abc"}],
            "postData": {"mimeType": "application/json", "text": '{"stream": true}'},
        },
        "response": {"status": 200, "headers": [], "content": content},
    }
    creator = {"name": "test", "version": "1"}
    har = {"log": {"version": "1.2", "creator": creator, "entries": [entry]}}
    return json.dumps(har, indent=2, ensure_ascii=False).encode()


@pytest.mark.parametrize("base64_body", [False, True])
def test_redact_a_har_file(tmp_path: Path, base64_body: bool) -> None:
    body = TEXT.read_text("utf-8").replace("request_id", f'note":"{KEY}","request_id', 1)
    source = tmp_path / "session.har"
    source.write_bytes(_har(body, base64_body=base64_body))
    done = redact(source.read_bytes())
    assert done.format == "har"
    entry = json.loads(done.data)["log"]["entries"][0]
    request = entry["request"]
    assert request["headers"][0]["value"] == "Bearer <redacted>"
    assert request["headers"][1]["value"] == "application/json"
    assert request["cookies"][0]["value"] == "<redacted>"
    assert request["queryString"][0]["value"] == "<redacted>"
    assert request["url"].endswith("?api_key=<redacted>")
    text = entry["response"]["content"]["text"]
    if base64_body:
        text = base64.b64decode(text).decode()
    assert text == body.replace(KEY, "sk-<redacted>")
    assert list(adapters.decode(text.encode(), wire=False)) == list(
        adapters.decode(TEXT, wire=False)
    )
    # The JSON layout is kept: the same lines, only those with a secret differ.
    before, after = source.read_text("utf-8").splitlines(), done.data.decode().splitlines()
    assert len(before) == len(after)
    changed = {b.strip()[:8] for b, a in zip(before, after, strict=True) if a != b}
    assert changed <= {'"url": "', '"value":', '"text": '}


def test_redact_a_json_body() -> None:
    raw = b'{\n  "model": "qwen-max",\n  "api_key": "abc",\n  "header": "Bearer tok-1234"\n}\n'
    done = redact(raw)
    assert done.format == "json"
    assert done.data == (
        b'{\n  "model": "qwen-max",\n  "api_key": "<redacted>",\n'
        b'  "header": "Bearer <redacted>"\n}\n'
    )


def test_format_detection() -> None:
    assert detect_format(_exchange(b"")) == "http"
    assert detect_format(b"HTTP/1.1 200 OK\r\n\r\n") == "http"
    assert detect_format(_har("")) == "har"
    assert detect_format(TEXT.read_bytes()) == "sse"
    assert detect_format(b": keep-alive\n\n") == "sse"
    assert detect_format(b"\x00\x01binary") is None


def test_redact_cli_reports_and_refuses_unknown_formats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = tmp_path / "in.http", tmp_path / "out.http"
    source.write_bytes(_exchange(TEXT.read_bytes()))
    assert main(["redact", str(source), "-o", str(target)]) == 0
    err = capsys.readouterr().err
    assert f"{source} (http): redacted 2 secrets" in err
    assert "Authorization header 1" in err
    assert "Set-Cookie header 1" in err
    assert main(["redact", str(TEXT), "-o", str(target)]) == 0
    assert "no secrets found" in capsys.readouterr().err
    assert target.read_bytes() == TEXT.read_bytes()
    unknown = tmp_path / "notes.bin"
    unknown.write_bytes(b"\x00\x01 what is this")
    assert main(["redact", str(unknown), "-o", str(tmp_path / "x")]) == 2
    assert "cannot tell the format" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert main(["redact", str(TEXT), "--format", "har"]) == 2
    assert "not a JSON document" in capsys.readouterr().err
    assert main(["redact", str(tmp_path / "missing.http")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_redact_stdin_to_stdout() -> None:
    data = _exchange(TEXT.read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "adapters", "redact", "-"],
        input=data,
        capture_output=True,
        check=True,
    )
    assert result.stdout == redact(data).data
    assert b"redacted 2 secrets" in result.stderr


# ---------------------------------------------------------------- convert and check


def test_convert_several_inputs_into_a_directory(tmp_path: Path) -> None:
    out = tmp_path / "converted"
    assert main(["convert", str(TEXT), str(TOOL_CALL), "--to", "openai", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([TEXT.name, TOOL_CALL.name])
    assert (out / TEXT.name).read_bytes() == adapters.convert(TEXT, to="openai")
    assert main(["convert", str(TEXT), str(TOOL_CALL), "--to", "events", "-o", str(out)]) == 0
    assert (out / (TEXT.stem + ".jsonl")).is_file()
    # One input and -o DIR: DIR/<name>.<ext> as well.
    assert main(["convert", str(TEXT), "--to", "dashscope", "-o", str(tmp_path)]) == 0
    assert (tmp_path / TEXT.name).read_bytes() == TEXT.read_bytes()


def test_convert_several_inputs_as_events_to_stdout(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    assert main(["convert", str(TEXT), str(TOOL_CALL), "--to", "events", "--no-wire"]) == 0
    lines = capsysbinary.readouterr().out.splitlines()
    types = [json.loads(line)["type"] for line in lines]
    assert types.count("stream_start") == 2
    assert types.count("end") == 2
    first = len(list(adapters.decode(TEXT)))
    assert types[first - 1] == "end"
    assert types[first] == "stream_start"


def test_convert_refuses_what_would_mix_or_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["convert", str(TEXT), str(TOOL_CALL), "--to", "openai"]) == 2
    assert "need -o DIR" in capsys.readouterr().err
    afile = tmp_path / "out.sse"
    afile.write_bytes(b"")
    assert main(["convert", str(TEXT), str(TOOL_CALL), "--to", "openai", "-o", str(afile)]) == 2
    assert "-o must be a directory" in capsys.readouterr().err
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / TEXT.name).write_bytes(TEXT.read_bytes())
    code = main(["convert", str(TEXT), str(twin / TEXT.name), "--to", "events", "-o", "x"])
    assert code == 2
    assert "would both be written" in capsys.readouterr().err
    code = main(["convert", str(twin / TEXT.name), "--to", "dashscope", "-o", str(twin)])
    assert code == 2
    assert "would overwrite its input" in capsys.readouterr().err
    assert main(["convert", "-", "-", "--to", "events"]) == 2
    assert "only once" in capsys.readouterr().err


def test_convert_goes_on_after_a_missing_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(
        ["convert", str(tmp_path / "gone.sse"), str(TEXT), "--to", "events", "-o", str(out)]
    )
    assert code == 2
    assert "no such file" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == [TEXT.stem + ".jsonl"]


def test_convert_stdin_into_a_directory(tmp_path: Path) -> None:
    out = ["-o", str(tmp_path)]
    subprocess.run(
        [sys.executable, "-m", "adapters", "convert", "-", str(TOOL_CALL), "--to", "events", *out],
        input=TEXT.read_bytes(),
        check=True,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["stdin.jsonl", TOOL_CALL.stem + ".jsonl"]
    )


def test_check_several_files_and_stdin(capsys: pytest.CaptureFixture[str]) -> None:
    groq = FIXTURES / "openai" / "pydantic-ai-groq-tool-use-failed-event-error-gpt-oss-120b.sse"
    assert main(["check", str(TEXT), str(TOOL_CALL)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["check", str(TEXT), str(groq), "--format", "json"]) == 1
    records = json.loads(capsys.readouterr().out)
    assert [(r["path"], r["rule"]) for r in records] == [(str(groq), "OAI016")]
    result = subprocess.run(
        [sys.executable, "-m", "adapters", "check", "-", str(TEXT)],
        input=groq.read_text("utf-8"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.startswith("-:61:18025: OAI016 error: ")


def test_check_a_missing_file_and_a_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(tmp_path / "gone.sse"), str(TEXT)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["check", str(tmp_path)]) == 2
    assert "is a directory, expected a recorded stream" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["convert", "check", "frames", "normalize", "redact"])
def test_every_command_has_examples_in_its_help(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text
    assert f"adapters {command} " in text.split("examples:", 1)[1]


def test_redact_edge_cases() -> None:
    body = TEXT.read_bytes()
    # A capture that kept "Transfer-Encoding: chunked" but stored the decoded body.
    decoded = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    assert redact(decoded).data == decoded
    # Blank lines between two messages, and a request with no body.
    two = b"GET /?access_token=abc HTTP/1.1\n\n\nHTTP/1.1 200 OK\nContent-Length: 0\n\n"
    assert redact(two).data == two.replace(b"=abc", b"=<redacted>")
    with pytest.raises(ValueError, match="expected a request line"):
        redact(body, "http")
    with pytest.raises(ValueError, match="format must be"):
        redact(body, "yaml")  # type: ignore[arg-type]
    raw = json.dumps(
        {"Authorization": "Token abc", "content": {"encoding": "base64", "text": "!!"}}
    ).encode()
    done = redact(raw, "json")
    assert json.loads(done.data) == {
        "Authorization": "Token <redacted>",
        "content": {"encoding": "base64", "text": "!!"},
    }
    assert dict(done.counts) == {"Authorization header": 1}
    # A cookie with no value, and one already redacted, stay as they are.
    cookies = b"HTTP/1.1 204 No Content\r\nSet-Cookie: flag; Path=/\r\nCookie: a=<redacted>\r\n\r\n"
    assert redact(cookies).total == 0

"""Review tests for the command line, the corpus normalizer and the redactor.

Regressions from an adversarial review: each test names the behaviour required;
its docstring says what was seen before the fix and what should be seen.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest

from adapters._redact import redact
from adapters.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
TOOL_CALL = FIXTURES / "openai" / "openai-python-tool-call-gpt-4o.sse"


# ---------------------------------------------------------------- convert / frames


def test_convert_refuses_to_overwrite_its_single_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Now `convert x.sse -o x.sse` truncates x.sse to 0 bytes and exits 1 (data lost);
    should refuse before writing (exit 2, "would overwrite its input"), as docs/cli.md says."""
    recording = tmp_path / "x.sse"
    shutil.copyfile(TOOL_CALL, recording)
    code = main(["convert", str(recording), "--to", "openai", "-o", str(recording)])
    assert recording.read_bytes() == TOOL_CALL.read_bytes()
    assert code == 2
    assert "overwrite its input" in capsys.readouterr().err


def test_frames_refuses_to_overwrite_its_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Now `frames x.sse --format sse -o x.sse` empties x.sse and exits 0; should refuse
    (exit 2) and leave the recording as it was."""
    recording = tmp_path / "x.sse"
    shutil.copyfile(TOOL_CALL, recording)
    code = main(["frames", str(recording), "--format", "sse", "-o", str(recording)])
    assert recording.read_bytes() == TOOL_CALL.read_bytes()
    assert code == 2
    capsys.readouterr()


def test_convert_of_an_input_in_no_known_format_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Now an input whose format cannot be told exits 1; docs/cli.md: exit status 2 means
    an input could not be used at all, "an unknown format" included."""
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"lunch at noon\n")
    code = main(["convert", str(notes), "--to", "events"])
    assert "cannot tell" in capsys.readouterr().err
    assert code == 2


def test_the_convert_help_example_over_the_dashscope_fixtures_succeeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Now `adapters convert fixtures/dashscope/*.sse --to openai -o converted/` (from
    convert --help) exits 1 and leaves two empty .sse files (the glued recordings need
    --split-glued); the shipped example should work on the shipped fixtures."""
    with pytest.raises(SystemExit):
        main(["convert", "--help"])
    example = next(
        line
        for line in capsys.readouterr().out.splitlines()
        if "fixtures/dashscope/*.sse" in line and "adapters convert" in line
    )
    args = example.split("#")[0].split()[1:]  # drop "adapters" and the comment
    inputs = sorted(str(p) for p in (FIXTURES / "dashscope").glob("*.sse"))
    star = args.index("fixtures/dashscope/*.sse")
    args[star : star + 1] = inputs
    args[args.index("-o") + 1] = str(tmp_path / "converted")
    assert main(args) == 0
    assert all(p.stat().st_size > 0 for p in (tmp_path / "converted").iterdir())


def test_convert_one_input_with_a_trailing_slash_output_goes_into_that_directory(
    tmp_path: Path,
) -> None:
    """Now `-o converted/` (missing dir, one input, as the --help example with a glob that
    matches one file) writes a FILE named `converted`; should make converted/<name>.sse."""
    out = str(tmp_path / "converted") + "/"
    assert main(["convert", str(TOOL_CALL), "--to", "openai", "-o", out]) == 0
    assert (tmp_path / "converted").is_dir()
    assert (tmp_path / "converted" / TOOL_CALL.name).is_file()


# ---------------------------------------------------------------- normalize


def test_normalize_with_an_absolute_glob_says_why_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Now `--glob /abs/*.sse` ends in a NotImplementedError traceback; should be an
    `adapters normalize: ...` message and exit 2 (DIR holds no matching file)."""
    code = main(["normalize", str(FIXTURES), "-o", str(tmp_path / "o.jsonl"), "--glob", "/x/*.sse"])
    assert code == 2
    assert capsys.readouterr().err.startswith("adapters normalize: ")


# ---------------------------------------------------------------- redact: secrets left behind


def test_redact_curl_http2_info_lines_hide_header_secrets() -> None:
    """Now curl >= 8 `* [HTTP/2] [1] [api-key: ...]` / `[cookie: ...]` / `[authorization:
    Basic ...]` lines keep the secrets that the `> ` lines lose; all copies should go."""
    key = b"0123456789abcdef0123456789abcdef"
    transcript = (
        b"*   Trying 20.0.0.1:443...\n"
        b"* [HTTP/2] [1] OPENED stream for https://x.openai.azure.com/openai/v1/chat\n"
        b"* [HTTP/2] [1] [:method: POST]\n"
        b"* [HTTP/2] [1] [api-key: " + key + b"]\n"
        b"* [HTTP/2] [1] [cookie: sid=SESSIONSECRET]\n"
        b"* [HTTP/2] [1] [authorization: Basic dXNlcjpwYXNzd29yZA==]\n"
        b"> POST /openai/v1/chat HTTP/2\n"
        b"> api-key: " + key + b"\n"
        b"> cookie: sid=SESSIONSECRET\n"
        b"> authorization: Basic dXNlcjpwYXNzd29yZA==\n"
        b">\n"
        b"< HTTP/2 200\n"
        b"<\n"
        b"data: [DONE]\n\n"
    )
    done = redact(transcript)
    assert done.format == "curl"
    for secret in (key, b"SESSIONSECRET", b"dXNlcjpwYXNzd29yZA=="):
        assert secret not in done.data


def test_redact_hides_a_key_split_across_chunks_of_a_chunked_body() -> None:
    """Now a request body sent chunked, with the key cut by a chunk boundary, keeps the whole
    key (each chunk is redacted alone); the de-chunked body should be redacted."""
    body = b'{"model": "qwen-max", "api_key": "sk-0123456789abcdefghijklmnop"}'
    cut = body.index(b"sk-") + 6
    first, second = body[:cut], body[cut:]
    exchange = (
        b"POST /v1/chat/completions HTTP/1.1\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n" % len(first)
        + first
        + b"\r\n"
        + b"%x\r\n" % len(second)
        + second
        + b"\r\n0\r\n\r\n"
    )
    done = redact(exchange).data
    assert b"0123" not in done
    assert b"ghijklmnop" not in done


def test_redact_json_headers_object_hides_cookie_and_proxy_authorization() -> None:
    """Now in a JSON log `{"headers": {...}}` Authorization and X-Api-Key are redacted but
    Cookie and Proxy-Authorization (documented secret headers) are left as they were."""
    log = {
        "request": {
            "headers": {
                "Authorization": "Bearer tok123",
                "Proxy-Authorization": "Basic cHJveHk6c2VjcmV0",
                "Cookie": "sid=SESSIONSECRET",
            }
        }
    }
    done = redact(json.dumps(log).encode(), "json").data
    assert b"tok123" not in done
    assert b"cHJveHk6c2VjcmV0" not in done
    assert b"SESSIONSECRET" not in done


def test_redact_har_form_post_text_like_its_params() -> None:
    """Now a HAR form post has `params` api_key redacted but the same key kept in
    `postData.text` ("api_key=SECRET&..."); both copies should go."""
    har = {
        "log": {
            "version": "1.2",
            "entries": [
                {
                    "request": {
                        "method": "POST",
                        "url": "https://example.com/token",
                        "postData": {
                            "mimeType": "application/x-www-form-urlencoded",
                            "text": "api_key=FORMSECRET123&model=qwen",
                            "params": [
                                {"name": "api_key", "value": "FORMSECRET123"},
                                {"name": "model", "value": "qwen"},
                            ],
                        },
                    }
                }
            ],
        }
    }
    done = redact(json.dumps(har, indent=1).encode())
    assert done.format == "har"
    assert b"FORMSECRET123" not in done.data


def test_redact_har_base64_content_wrapped_over_lines() -> None:
    """Now base64 `content.text` wrapped at 76 columns (MIME style) is not decoded, so the
    bearer token inside stays; it should be decoded, redacted and encoded again."""
    body = b'data: {"note":"Bearer SECRETTOKEN0123456789"}\n\n' * 4
    har = {
        "log": {
            "version": "1.2",
            "entries": [
                {
                    "response": {
                        "content": {
                            "mimeType": "text/event-stream",
                            "encoding": "base64",
                            "text": base64.encodebytes(body).decode("ascii"),
                        }
                    }
                }
            ],
        }
    }
    done = redact(json.dumps(har).encode())
    text = json.loads(done.data)["log"]["entries"][0]["response"]["content"]["text"]
    assert b"SECRETTOKEN" not in base64.b64decode(re.sub(r"\s", "", text))


def test_redact_hides_every_copy_of_a_duplicated_json_member() -> None:
    """Now `{"api_key": "A", "api_key": "B"}` keeps the first value (only the span of the
    last duplicate is rewritten); every secret member should be redacted."""
    done = redact(b'{"api_key": "FIRSTSECRET", "api_key": "SECONDSECRET"}').data
    assert b"FIRSTSECRET" not in done
    assert b"SECONDSECRET" not in done


# ---------------------------------------------------------------- redact: changes beyond secrets


def test_redact_leaves_the_word_bearer_in_model_text_alone() -> None:
    """Now model text "Bearer of bad news" becomes "Bearer <redacted> bad news" in an SSE body;
    prose is not a token and the stream should come out byte for byte."""
    chunk = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "Bearer of bad news"}}],
    }
    body = b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"
    assert redact(body, "sse").data == body


def test_an_interrupted_command_says_so_and_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C during a command gave a traceback; it should say so and exit 130."""
    from adapters import cli

    def interrupted(*_: object, **__: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_check", interrupted)
    assert cli.main(["check", "-"]) == 130
    assert "adapters check: interrupted" in capsys.readouterr().err

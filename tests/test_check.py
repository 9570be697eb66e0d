"""The conformance checker: every rule caught where it happens, nothing on good streams.

The rule-by-rule cases are the examples of docs/check.md (which also run as
doctests): here each is run again, also cut into chunks, and the page is held
to having, for every rule, an example that breaks it and one that does not.
"""

from __future__ import annotations

import ast
import dataclasses
import doctest
import io
import json
import re
import sys
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import adapters
from adapters._check import DEFAULT_MAX_LINE_SIZE, RULES, Violation, check
from adapters.cli import main
from adapters.events import ErrorEvent
from adapters.testing.strategies import chunkings, event_streams, sse_bytes

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "check.md"
FIXTURES = sorted((ROOT / "fixtures").glob("*/*.sse"))
CORPUS = ROOT.parent / "shared" / "conformance"


def _key(found: list[Violation]) -> list[tuple[str, int | None, int | None]]:
    return [(v.rule, v.frame, v.offset) for v in found]


def _cuts(raw: bytes) -> list[list[bytes]]:
    """Chunkings of a doc example: byte by byte when small, else a few cuts."""
    if len(raw) <= 2048:
        return [[raw[i : i + 1] for i in range(len(raw))], [raw[:7], raw[7:]]]
    step = 1 << 20
    return [[raw[i : i + step] for i in range(0, len(raw), step)]]


# ------------------------------------------------------------ the rule table


def test_rules_have_stable_ids_one_severity_and_one_line() -> None:
    assert RULES, "the checker has rules"
    for rule, (severity, description) in RULES.items():
        assert re.fullmatch(r"(SSE|OAI|DS)\d{3}", rule), rule
        assert severity in {"error", "warning"}
        assert description
        assert "\n" not in description
    # Ids run without gaps within each family, so a removed rule is noticed.
    for family in ("SSE", "OAI", "DS"):
        numbers = sorted(int(r[len(family) :]) for r in RULES if r.startswith(family))
        assert numbers == list(range(1, len(numbers) + 1)), family


def test_the_page_lists_every_rule_with_its_severity() -> None:
    text = PAGE.read_text("utf-8")
    for rule, (severity, _) in RULES.items():
        assert re.search(rf"^\| \[`{rule}`\]\(#{rule.lower()}\) \| {severity} \|", text, re.M), rule
        assert f"\n### {rule}\n" in text, f"no example section for {rule}"


def test_violation_is_a_frozen_value() -> None:
    found = Violation("DS001", "error", "id is '3'; expected id:2", frame=1, offset=218)
    assert found == Violation("DS001", "error", "id is '3'; expected id:2", 1, 218)
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.rule = "DS002"  # type: ignore[misc]
    assert adapters.check is check
    assert adapters.Violation is Violation


# ------------------------------------------------------- the page's examples


def _page_sections() -> tuple[list[doctest.Example], dict[str, list[doctest.Example]]]:
    text = PAGE.read_text("utf-8")
    setup_text, *rest = re.split(r"^### ", text, flags=re.M)
    parser = doctest.DocTestParser()
    sections: dict[str, list[doctest.Example]] = {}
    for section in rest:
        rule, _, body = section.partition("\n")
        sections[rule.strip()] = parser.get_examples(body)
    return parser.get_examples(setup_text), sections


def _run_page(rule: str) -> list[tuple[Any, Any]]:
    """Run the page's setup, then the rule's examples with a ``findings`` that
    also checks every chunking; return (result, documented result) pairs."""
    setup, sections = _page_sections()
    namespace: dict[str, Any] = {}
    for example in setup:
        exec(compile(example.source, "check.md", "exec"), namespace)

    def findings(raw: bytes, **options: Any) -> list[tuple[str, int | None, int | None]]:
        whole = check(raw, **options)
        for chunks in _cuts(raw):
            assert check(iter(chunks), **options) == whole
        return _key(whole)

    namespace["findings"] = findings
    pairs = []
    for example in sections[rule]:
        code = compile(example.source, "check.md", "eval" if example.want else "exec")
        if example.want:
            pairs.append((eval(code, namespace), ast.literal_eval(example.want)))
        else:
            exec(code, namespace)
    return pairs


@pytest.mark.parametrize("rule", list(RULES))
def test_each_rule_has_a_failing_and_a_passing_example(rule: str) -> None:
    pairs = _run_page(rule)
    for got, want in pairs:
        assert got == want
    failing = [want for _, want in pairs if any(found[0] == rule for found in want)]
    assert failing, f"no example of {rule} being broken"
    assert [] in [want for _, want in pairs], f"no clean twin for {rule}"
    for want in failing:
        for _, frame, offset in want:
            # Where: a frame number and a byte offset, except for SSE007 (no frame).
            assert offset is not None
            assert frame is not None or rule == "SSE007"


def test_severity_of_each_finding_is_its_rules() -> None:
    raw = b'data: {"object":"x"}\n\ndata: [DONE]\n\ndata: [DONE]\n'
    found = check(raw)
    assert [v.rule for v in found] == ["OAI002", "SSE002", "OAI015"]
    assert all(v.severity == RULES[v.rule][0] for v in found)


def test_every_problem_is_reported_not_only_the_first() -> None:
    def frame(n: int, data: str) -> bytes:
        return f"id:{n}\nevent:result\n:HTTP_STATUS/200\ndata:{data}\n\n".encode()

    good = '{"output":{"choices":[{"message":{"content":"a"},"finish_reason":"null"}]}}'
    raw = frame(1, good) + frame(3, "{bad") + frame(5, good) + frame(6, "[1]")
    found = check(raw)
    assert [(v.rule, v.frame) for v in found] == [
        ("DS001", 1),  # id 3, expected 2
        ("DS005", 1),
        ("DS001", 2),  # id 5, expected 4: one finding per gap
        ("DS006", 3),
        ("DS015", 4),
    ]
    assert [v.offset for v in found][:2] == [0 + len(frame(1, good))] * 2


# ---------------------------------------------------------------- sources


def test_check_reads_bytes_paths_and_chunks(tmp_path: Path) -> None:
    raw = FIXTURES[0].read_bytes()
    path = tmp_path / "x.sse"
    path.write_bytes(raw)
    expected = check(raw)
    assert check(path) == expected
    assert check(str(path)) == expected
    assert check([raw[:10], raw[10:]]) == expected
    assert check(bytearray(raw)) == expected


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="provider"):
        check(b"", provider="anthropic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mode"):
        check(b"", mode="delta")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_line_size"):
        check(b"", max_line_size=0)
    assert DEFAULT_MAX_LINE_SIZE == 1024 * 1024


def test_a_provider_given_is_not_sniffed() -> None:
    # An empty stream: auto cannot tell the format; a named provider says it ended unfinished.
    assert [v.rule for v in check(b"")] == ["SSE007"]
    assert [v.rule for v in check(b"", provider="openai")] == ["OAI017"]
    assert [v.rule for v in check(b"", provider="dashscope")] == ["DS015"]


def test_invalid_utf8_is_placed_in_its_frame_and_later_offsets_stay_exact() -> None:
    ok = b'data: {"object":"chat.completion.chunk","choices":[]}\n\n'
    bad = ok.replace(b"[]", b'[],"x":"\xe4\xb8"')
    raw = bad + ok + b"data: [x\n\n"
    found = check(raw, provider="openai")
    assert [(v.rule, v.frame, v.offset) for v in found] == [
        ("SSE001", 0, 0),
        ("OAI001", 2, len(bad) + len(ok)),
        ("OAI017", 3, len(raw)),
    ]
    at = bad.index(b"\xe4")
    assert f"byte {at}:" in found[0].message


def test_a_crlf_split_across_chunks_is_one_line_end() -> None:
    ok = b'data: {"object":"chat.completion.chunk","choices":[]}\r\n\r\n'
    raw = ok + ok.replace(b"[]", b"[1]")
    whole = check(raw)
    assert [(v.rule, v.frame, v.offset) for v in whole] == [
        ("OAI002", 1, len(ok)),
        ("OAI017", 2, len(raw)),
    ]
    for cut in range(1, len(raw)):
        assert check([raw[:cut], raw[cut:]]) == whole, cut


# ---------------------------------------------------------------- fixtures


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_recordings_pass_or_have_their_findings_recorded(path: Path) -> None:
    """Every recording is clean, or has exactly the findings recorded next to it
    (glued frames, elided frames of a documentation example, vendor quirks)."""
    found = check(path)
    recorded = path.with_name(path.name + ".check.json")
    expected = json.loads(recorded.read_text("utf-8")) if recorded.is_file() else []
    assert [
        {"rule": v.rule, "severity": v.severity, "frame": v.frame, "offset": v.offset}
        for v in found
    ] == expected
    if not recorded.is_file():
        assert not any(v.severity == "error" for v in found)


def test_recorded_findings_belong_to_recordings() -> None:
    for recorded in sorted((ROOT / "fixtures").glob("*/*.check.json")):
        assert recorded.with_name(recorded.name.removesuffix(".check.json")).is_file()


def test_the_glued_recording_is_checked_frame_by_frame() -> None:
    path = ROOT / "fixtures" / "dashscope" / "cnblogs-message-incremental-qwen-max.sse"
    found = check(path)
    glued = [v for v in found if v.rule == "DS016"]
    # Ten frames, nine missing blank lines: each new frame starts at its id: line.
    data = path.read_bytes()
    assert [v.offset for v in glued] == [m.start() + 1 for m in re.finditer(rb"\nid:", data)]
    assert [v.frame for v in glued] == list(range(1, 10))


# ---------------------------------------------------------------- properties

_ALLOWED_WARNINGS = {
    # An error event with no HTTP status is written with no :HTTP_STATUS comment.
    "DS002",
    # The strategies draw usage numbers freely, and error frames with any request id.
    "DS010",
    "DS012",
    # and tool calls whose arguments are any text, some opened without a name.
    "OAI011",
    "OAI012",
}


def _no_200_error(events: list[adapters.Event]) -> bool:
    # An event:error frame written with :HTTP_STATUS/200 breaks DS003 (the
    # strategy may draw that status; DashScope never sends it).
    return not any(isinstance(e, ErrorEvent) and e.status == 200 for e in events)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(["openai", "incremental", "cumulative", "text"]))
def test_what_the_encoders_write_passes(data: st.DataObject, kind: str) -> None:
    provider: Literal["openai", "dashscope"] = "openai" if kind == "openai" else "dashscope"
    if kind == "text":
        events = data.draw(event_streams("dashscope", result_format="text"))
    else:
        events = data.draw(event_streams(provider))
    assume(_no_200_error(events))
    if provider == "openai":
        raw = adapters.encode(events, provider="openai")
        modes: list[Literal["auto", "incremental", "cumulative"]] = ["auto"]
    else:
        mode: Literal["incremental", "cumulative"] = (
            "cumulative" if kind == "cumulative" else "incremental"
        )
        options = {"result_format": "text"} if kind == "text" else {}
        raw = adapters.encode(events, provider="dashscope", mode=mode, **options)
        modes = ["auto", mode]
    for mode_ in modes:
        found = check(raw, mode=mode_)
        errors = [v for v in found if v.severity == "error"]
        assert errors == [], raw
        assert {v.rule for v in found} <= _ALLOWED_WARNINGS
    # Any chunking gives the same findings.
    assert check(iter(data.draw(chunkings(raw)))) == check(raw)


@given(st.data(), st.sampled_from(["incremental", "cumulative"]))
def test_a_cumulative_stream_read_as_such_and_a_rewrite_caught(
    data: st.DataObject, mode: Literal["incremental", "cumulative"]
) -> None:
    events = data.draw(event_streams("dashscope"))
    assume(_no_200_error(events))
    raw = adapters.encode(events, provider="dashscope", mode=mode)
    # Told the mode or not, the checker agrees with the decoder.
    assert [v for v in check(raw) if v.severity == "error"] == []
    assert [v for v in check(raw, mode=mode) if v.severity == "error"] == []


@given(st.binary(max_size=300), st.sampled_from(["auto", "openai", "dashscope"]))
def test_check_never_raises(raw: bytes, provider: Literal["auto", "openai", "dashscope"]) -> None:
    found = check(raw, provider=provider)
    assert all(isinstance(v, Violation) and v.rule in RULES for v in found)
    assert all(v.severity == RULES[v.rule][0] for v in found)
    assert all(v.offset is None or 0 <= v.offset <= len(raw) for v in found)


@given(
    st.data(),
    sse_bytes(invalid_utf8=True),
    st.sampled_from(["openai", "dashscope"]),
)
def test_checking_is_chunking_invariant(
    data: st.DataObject, raw: bytes, provider: Literal["openai", "dashscope"]
) -> None:
    whole = check(raw, provider=provider)
    assert check(iter(data.draw(chunkings(raw))), provider=provider) == whole
    assert check([raw[i : i + 1] for i in range(len(raw))], provider=provider) == whole


# ---------------------------------------------------------------- the command


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_prints_one_finding_a_line_and_fails_on_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = ROOT / "fixtures" / "openai" / "pydantic-ai-openrouter-keepalive-midstream-error.sse"
    status, out, _ = _cli(["check", str(path)], capsys)
    assert status == 1
    lines = out.splitlines()
    assert len(lines) == len(check(path))
    assert lines[0].startswith(f"{path}:18:828: OAI003 error: delta.role 'assistant'")


def test_cli_exits_0_with_warnings_only(capsys: pytest.CaptureFixture[str]) -> None:
    path = ROOT / "fixtures" / "openai" / "pydantic-ai-deepseek-reasoner-reasoning-content.sse"
    clean = ROOT / "fixtures" / "openai" / "openai-python-tool-call-gpt-4o.sse"
    status, out, _ = _cli(["check", str(clean), str(path)], capsys)
    assert status == 0
    assert out.splitlines() == [f"{path}:210:67108: OAI013 warning: " + check(path)[0].message]


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    path = ROOT / "fixtures" / "dashscope" / "aliyun-docs-farui-plus-cumulative-message.sse"
    status, out, _ = _cli(
        ["check", "--format", "json", "--provider", "dashscope", str(path)], capsys
    )
    assert status == 1  # DS001: the page's author elided frames 3 to 26
    records = json.loads(out)
    assert records == [{"path": str(path), **dataclasses.asdict(v)} for v in check(path)]
    assert {r["rule"] for r in records} == {"SSE006", "DS001", "DS016", "SSE002"}


def test_cli_reads_stdin_and_says_which_files_are_missing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    raw = b"data: [DONE]\n\ndata: [DONE]\n\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    missing = tmp_path / "nope.sse"
    status, out, err = _cli(["check", "-", str(missing)], capsys)
    assert status == 2
    assert out == "-:1:14: OAI015 error: " + check(raw)[0].message + "\n"
    assert err == f"adapters check: no such file: {missing}\n"
    status, out, _ = _cli(["check", "--format", "json", str(missing)], capsys)
    assert (status, json.loads(out)) == (2, [])


def test_cli_passes_the_options(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "long.sse"
    path.write_bytes(b"data: [DONE]\n\n")
    assert _cli(["check", str(path), "--max-line-size", "8"], capsys)[:2] == (
        1,
        f"{path}:0:0: SSE004 error: a line of 12 bytes, over max_line_size=8\n",
    )
    status, out, _ = _cli(["check", str(path), "--provider", "dashscope"], capsys)
    assert status == 1
    assert [line.split(": ")[1] for line in out.splitlines()] == [
        "DS001 error",
        "DS002 warning",
        "DS004 error",
        "DS005 error",
        "DS015 error",
    ]


# ---------------------------------------------------------------- the outside corpus

# What the held-out real recordings break, by rule, errors only. Findings here
# are real: frames elided from documentation examples (DS001), frames glued by
# a recorder (DS016), deep-research streams, which have no choices and no
# finish_reason (DS015), vendors repeating role (OAI003: OpenRouter, Z.ai,
# Snowflake) or starting tool calls at index 1 (OAI009), and fragments.
CORPUS_ERRORS: dict[str, set[str]] = {
    "dashscope/cnblogs-audio-qwen-audio-turbo.sse": {"DS016"},
    "dashscope/cnblogs-deepresearch-answer-finished.sse": {"DS015"},
    "dashscope/cnblogs-deepresearch-answer-typing-reference.sse": {"DS015"},
    "dashscope/cnblogs-deepresearch-keep-alive-type.sse": {"DS015"},
    "dashscope/cnblogs-deepresearch-planning-type.sse": {"DS015"},
    "dashscope/cnblogs-deepresearch-web-research-streaming-queries-research-goal.sse": {"SSE007"},
    "dashscope/cnblogs-deepresearch-web-research-streaming-queries.sse": {"DS015"},
    "dashscope/cnblogs-deepresearch-web-research-streaming-web-results-learning-map.sse": {"DS015"},
    "dashscope/cnblogs-deepresearch-web-research-streaming-web-results.sse": {"DS015"},
    "dashscope/cnblogs-deepresearch-web-research-web-result-finished.sse": {"DS015"},
    "dashscope/cnblogs-message-incremental-qwen-max.sse": {"DS016"},
    "dashscope/cnblogs-message-multiturn-qwen-max.sse": {"DS016"},
    "dashscope/cnblogs-message-qwen-long-files.sse": {"DS016"},
    "dashscope/cnblogs-reasoning-qwen-plus-latest-budget10.sse": {"DS016"},
    "dashscope/cnblogs-tool-result-answer-qwen-plus.sse": {"DS016"},
    "dashscope/cnblogs-vl-list-qwen-vl-plus-2024-02.sse": {"DS016"},
    "dashscope/compat-docs-omni-audio-fragment.sse": {"OAI001", "OAI017"},
    "dashscope/compat-docs-vl-reasoning-qvq-max-fragment.sse": {"OAI001", "OAI016"},
    "dashscope/docs-code-interpreter-qwen3-max-fragment.sse": {"DS001"},
    "dashscope/docs-message-incremental-qwen-plus-fragment.sse": {"DS001"},
    "dashscope/docs-reasoning-budget-qwen-plus-fragment.sse": {"DS001"},
    "dashscope/docs-reasoning-qwen-plus-fragment.sse": {"DS001"},
    "dashscope/docs-search-info-qwen-plus-fragment.sse": {"DS001"},
    "dashscope/docs-vl-reasoning-qvq-max-fragment.sse": {"DS001", "DS016"},
    "dashscope/docs2023-text-cumulative-fragment.sse": {"DS001"},
    "dashscope/erda-kimi-message-fragment.sse": {"DS001"},
    "dashscope/erda-qwen-vl-cumulative-fragment.sse": {"DS001"},
    "dashscope/erda-qwen2-72b-text-cumulative-fragment.sse": {"DS015"},
    "dashscope/higress-comment-result-and-error-fragment.sse": {"DS001"},
    "openai/pydantic-ai_openrouter-midstream-error-comments.sse": {"OAI003"},
    "openai/pydantic-ai_openrouter-reasoning.sse": {"OAI003"},
    "openai/pydantic-ai_snowflake-cortex-claude.sse": {"OAI003", "OAI008"},
    "openai/pydantic-ai_zai-glm-reasoning-content.sse": {"OAI003"},
    "openai/vercel-ai_anthropic-compat-tool-index1.sse": {"OAI009"},
}


def _corpus() -> list[Path]:
    return sorted(CORPUS.glob("*/*.sse")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS.is_dir(), reason="no ../shared/conformance here")
@pytest.mark.parametrize("path", _corpus(), ids=lambda p: f"{p.parent.name}--{p.stem}")
def test_outside_recordings(path: Path) -> None:
    name = f"{path.parent.name}/{path.name}"
    found = check(path)
    assert {v.rule for v in found if v.severity == "error"} == CORPUS_ERRORS.get(name, set())
    data = path.read_bytes()
    assert check([data[i : i + 61] for i in range(0, len(data), 61)]) == found


def test_ds007_reads_snapshots_as_the_decoder_does() -> None:
    """An empty value says nothing, and list content is one value, the items'
    text joined: the checker and the cumulative decoder agree on both."""

    def frame(number: int, content: object, finish: str = "null") -> bytes:
        body = {
            "output": {
                "choices": [
                    {"message": {"role": "assistant", "content": content}, "finish_reason": finish}
                ]
            },
            "request_id": "r",
        }
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return f"id:{number}\nevent:result\n:HTTP_STATUS/200\ndata:{data}\n\n".encode()

    for stream in (
        frame(1, "Hel") + frame(2, "") + frame(3, "Hello", "stop"),
        frame(1, [{"text": "ab"}]) + frame(2, [{"text": "a"}, {"text": "bc"}], "stop"),
    ):
        list(adapters.decode(stream, provider="dashscope", mode="cumulative"))  # no error
        rules = {v.rule for v in adapters.check(stream, provider="dashscope", mode="cumulative")}
        assert "DS007" not in rules
    shrunk = frame(1, "Hello") + frame(2, "Help", "stop")
    rules = {v.rule for v in adapters.check(shrunk, provider="dashscope", mode="cumulative")}
    assert "DS007" in rules

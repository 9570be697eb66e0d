"""The pytest plugin and the syrupy extensions, as another project sees them.

Each test writes a small project (an ini file, recordings, a test module) into
a temporary folder and runs pytest on it with ``pytester``. Those runs are
self-contained: their own ini, not this repository's. The plugin reaches them
the way it reaches any project, through the ``pytest11`` entry point of the
installed package. The examples of docs/testing.md that are pytest files are
run here (``PAGE_EXAMPLE``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

import adapters
from adapters.events import End, TextDelta, load_jsonl
from adapters.testing import (
    assert_conforms,
    assert_round_trips,
    expected_findings_path,
    recording_id,
    recordings,
)
from adapters.testing.pytest_plugin import Recordings
from adapters.testing.snapshots import EventsSnapshotExtension, SSESnapshotExtension

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent


def _chunk(delta: dict[str, object], finish: str | None = None) -> bytes:
    body = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"


DONE = b"data: [DONE]\n\n"
#: A stream that keeps the OpenAI protocol.
GOOD = _chunk({"role": "assistant", "content": "Hi"}) + _chunk({}, "stop") + DONE
#: [DONE] while the choice has no finish_reason: OAI008, at frame 1.
BROKEN = _chunk({"role": "assistant", "content": "Hi"}) + DONE
BROKEN_OFFSET = len(_chunk({"role": "assistant", "content": "Hi"}))
#: No [DONE] after the finish: only a warning (OAI018).
NO_DONE = GOOD[: -len(DONE)]

INI = """\
[pytest]
addopts = -p no:cacheprovider
filterwarnings = error
{extra}
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with an ini of its own and three recordings in fixtures/openai/."""
    pytester.makeini(INI.format(extra=""))
    folder = pytester.path / "fixtures" / "openai"
    folder.mkdir(parents=True)
    (folder / "good.sse").write_bytes(GOOD)
    (folder / "broken.sse").write_bytes(BROKEN)
    (folder / "no-done.sse").write_bytes(NO_DONE)
    return pytester


# ----------------------------------------------------------- registration


def test_the_plugin_is_an_entry_point_of_the_package() -> None:
    [plugin] = [ep for ep in entry_points(group="pytest11") if ep.name == "adapters"]
    assert plugin.value == "adapters.testing.pytest_plugin"
    assert plugin.dist is not None
    assert plugin.dist.name == "stream-adapters"


def test_pytest_loads_it_without_being_asked(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra=""))
    config = pytester.parseconfig()
    assert config.pluginmanager.has_plugin("adapters")
    assert config.getini("adapters_fixtures") == "fixtures"
    off = pytester.parseconfig("-p", "no:adapters")
    assert not off.pluginmanager.has_plugin("adapters")


def test_loading_the_plugin_imports_neither_syrupy_nor_hypothesis() -> None:
    code = (
        "import sys, json, adapters.testing.pytest_plugin; "
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    loaded = set(json.loads(result.stdout))
    assert "pytest" in loaded
    assert loaded.isdisjoint({"syrupy", "hypothesis"})


def test_an_unused_plugin_changes_nothing(pytester: pytest.Pytester) -> None:
    """Same tests collected, same outcomes, and no fixture of the plugin set up."""
    pytester.makeini(INI.format(extra=""))
    pytester.makeconftest("import pytest\n\n@pytest.fixture\ndef n():\n    return 2\n")
    pytester.makepyfile(
        test_plain="""
        import pytest

        def test_one(n):
            assert n == 2

        @pytest.mark.parametrize("x", [1, 2])
        def test_two(x):
            assert x < 2
        """
    )
    runs = {}
    for args in ((), ("-p", "no:adapters")):
        result = pytester.runpytest("-v", "--setup-plan", *args)
        # Every fixture set up and torn down, per test.
        runs[args] = [line for line in result.outlines if "::" in line or "SETUP" in line]
        plain = pytester.runpytest("-q", *args)
        plain.assert_outcomes(passed=2, failed=1)
    assert runs[()] == runs[("-p", "no:adapters")]
    plan = "\n".join(runs[()])
    assert "SETUP    F n" in plan
    for name in ("recording", "assert_conforms", "sse_snapshot", "events_snapshot"):
        assert name not in plan


def test_the_plugin_loads_and_reports_clearly_without_syrupy_or_hypothesis(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = project.path / "missing"
    for name in ("syrupy", "hypothesis"):
        (missing / name).mkdir(parents=True)
        (missing / name / "__init__.py").write_text(f"raise ImportError('no {name} here')\n")
    monkeypatch.setenv("PYTHONPATH", str(missing))
    project.makepyfile(
        test_bare="""
        def test_recording(recording, assert_conforms):
            assert_conforms(recording.path("openai/good.sse"))

        def test_snapshot(sse_snapshot):
            pass
        """
    )
    result = project.runpytest_subprocess("-p", "no:syrupy", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*sse_snapshot needs syrupy (pip install*stream-adapters*"])


# --------------------------------------------------------------- recordings


def test_recording_reads_the_folder_the_ini_option_names(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra="adapters_fixtures = streams/recorded"))
    folder = pytester.path / "streams" / "recorded" / "openai"
    folder.mkdir(parents=True)
    (folder / "good.sse").write_bytes(GOOD)
    pytester.makepyfile(
        test_read=f"""
        import pytest

        def test_bytes(recording):
            assert recording("openai/good.sse") == {GOOD!r}
            assert recording.folder.parts[-2:] == ("streams", "recorded")
            assert recording.path("openai/good.sse").is_absolute()

        def test_missing(recording):
            recording("openai/god.sse")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            (
                "*FileNotFoundError: no recording 'openai/god.sse' in *recorded;"
                " did you mean openai/good.sse?"
            )
        ]
    )


def test_a_missing_folder_names_the_ini_option(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra=""))
    pytester.makepyfile(test_read="def test_it(recording):\n    recording('x.sse')\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*no recording 'x.sse' in *fixtures (no such folder; set the adapters_fixtures ini*"]
    )


def test_the_marker_runs_a_test_once_per_recording(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_each="""
        import pytest

        @pytest.mark.adapters_recordings
        def test_each(recording_path):
            assert recording_path.suffix == ".sse"

        @pytest.mark.adapters_recordings(pattern="openai/g*.sse")
        def test_some(recording_path):
            assert recording_path.name == "good.sse"
        """
    )
    result = project.runpytest("--strict-markers", "-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "*test_each[[]openai--broken[]] PASSED*",
            "*test_each[[]openai--good[]] PASSED*",
            "*test_each[[]openai--no-done[]] PASSED*",
            "*test_some[[]openai--good[]] PASSED*",
        ]
    )


def test_the_marker_refuses_a_test_it_cannot_fill(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_wrong="""
        import pytest

        @pytest.mark.adapters_recordings
        def test_no_argument(path):
            pass

        @pytest.mark.adapters_recordings(pattern="nothing/*.sse")
        def test_nothing(recording_path):
            pass
        """
    )
    result = project.runpytest()
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        ["*adapters_recordings needs an argument called recording_path*"], consecutive=False
    )
    project.makepyfile(
        test_wrong="""
        import pytest

        @pytest.mark.adapters_recordings(pattern="nothing/*.sse")
        def test_nothing(recording_path):
            pass
        """
    )
    result = project.runpytest()
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*no recordings match 'nothing/*.sse' in *fixtures*"])


def test_the_recordings_helper_parametrizes_plainly(tmp_path: Path) -> None:
    (tmp_path / "openai").mkdir()
    (tmp_path / "openai" / "b.sse").write_bytes(GOOD)
    (tmp_path / "a.sse").write_bytes(GOOD)
    (tmp_path / "notes.md").write_text("not a recording")
    params = recordings(tmp_path)
    assert [(p.id, p.values) for p in params] == [
        ("a", (tmp_path / "a.sse",)),
        ("openai--b", (tmp_path / "openai" / "b.sse",)),
    ]
    assert recording_id(tmp_path / "openai" / "b.sse", tmp_path) == "openai--b"
    with pytest.raises(FileNotFoundError, match=r"no recordings match '\*\.txt' in "):
        recordings(tmp_path, "*.txt")
    assert repr(Recordings(tmp_path)) == f"Recordings({str(tmp_path)!r})"
    with pytest.raises(FileNotFoundError, match=r"no recording 'zzz/q\.txt' in \S+$"):
        Recordings(tmp_path).path("zzz/q.txt")  # nothing close: no suggestion


# ---------------------------------------------------------- assert_conforms


def test_a_conforming_recording_passes_and_a_broken_one_lists_its_findings(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_conform="""
        def test_good(assert_conforms):
            assert assert_conforms("openai/good.sse") == []

        def test_broken(assert_conforms):
            assert_conforms("openai/broken.sse")

        def test_warning_only(assert_conforms):
            assert [v.rule for v in assert_conforms("openai/no-done.sse")] == ["OAI018"]

        def test_warning_strict(assert_conforms):
            assert_conforms("openai/no-done.sse", strict=True)

        def test_allowed(assert_conforms):
            assert_conforms("openai/broken.sse", allow=["OAI008"])
        """
    )
    result = project.runpytest()
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ test_broken _*",
            (
                "E*AssertionError: */fixtures/openai/broken.sse does not conform:"
                " 1 finding (1 failing)"
            ),
            (
                f"E*OAI008 error   frame 1     byte {BROKEN_OFFSET:<9}"
                "[[]DONE] while choice 0 has no finish_reason*"
            ),
            "*_ test_warning_strict _*",
            "E*OAI018 warning frame 2 *",
        ]
    )
    # The helper's own frames are hidden: the failure points at the test's line.
    assert "_conformance.py" not in result.stdout.str()


def test_expected_findings_next_to_a_recording_are_honoured(project: pytest.Pytester) -> None:
    folder = project.path / "fixtures" / "openai"
    expected = [{"rule": "OAI008", "severity": "error", "frame": 1, "offset": BROKEN_OFFSET}]
    (folder / "broken.sse.check.json").write_text(json.dumps(expected))
    (folder / "no-done.sse.check.json").write_text(json.dumps([{"rule": "OAI017"}]))
    project.makepyfile(
        test_expected="""
        def test_broken(assert_conforms):
            assert [v.rule for v in assert_conforms("openai/broken.sse")] == ["OAI008"]

        def test_wrong_expectation(assert_conforms):
            assert_conforms("openai/no-done.sse")

        def test_allowed_on_both_sides(assert_conforms):
            assert_conforms("openai/broken.sse", allow=["OAI008"])

        def test_given_expectation(assert_conforms):
            assert_conforms("openai/good.sse", expected=[{"rule": "OAI001"}])
        """
    )
    result = project.runpytest()
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ test_wrong_expectation _*",
            (
                "E*AssertionError: */no-done.sse: the findings are not those in"
                " */no-done.sse.check.json"
            ),
            "E*found:",
            "E*OAI018 warning frame 2 *",
            "E*expected:",
            "E*rule='OAI017'",
            "*_ test_given_expectation _*",
            "E*AssertionError: */good.sse: the findings are not those in the expected findings",
            "E*found:",
            "E*(nothing)",
        ]
    )


def test_assert_conforms_takes_bytes_chunks_and_findings() -> None:
    assert assert_conforms(GOOD) == []
    assert assert_conforms(iter([GOOD[:7], GOOD[7:]]), "openai") == []
    found = adapters.check(BROKEN)
    assert assert_conforms(BROKEN, expected=found) == found
    assert assert_conforms(BROKEN, expected=[{"rule": "OAI008", "frame": 1}]) == found
    with pytest.raises(AssertionError, match=r"^the stream does not conform: 1 finding"):
        assert_conforms(BROKEN)
    with pytest.raises(AssertionError, match="SSE004"):
        assert_conforms(GOOD, max_line_size=10)
    with pytest.raises(ValueError, match=r"unknown rule ids in allow: OAI999 \(see"):
        assert_conforms(GOOD, allow=["OAI999"])
    with pytest.raises(TypeError, match="not one string"):
        assert_conforms(GOOD, allow="OAI008")
    with pytest.raises(ValueError, match="'rule' required"):
        assert_conforms(GOOD, expected=[{"frame": 1}])
    with pytest.raises(ValueError, match="'rule' required"):
        assert_conforms(GOOD, expected=[{"rule": "OAI001", "line": 1}])


def test_an_expected_findings_file_must_hold_a_list(tmp_path: Path) -> None:
    path = tmp_path / "x.sse"
    path.write_bytes(BROKEN)
    expected_findings_path(path).write_text('{"rule": "OAI008"}')
    assert expected_findings_path(path).name == "x.sse.check.json"
    with pytest.raises(ValueError, match="expected a JSON list of findings"):
        assert_conforms(path)


def test_the_shipped_expected_findings_are_the_plugins_format() -> None:
    """The recordings' NAME.sse.check.json files are what assert_conforms reads."""
    sidecars = sorted((ROOT / "fixtures").glob("*/*.sse.check.json"))
    assert sidecars
    for sidecar in sidecars:
        recording = sidecar.with_name(sidecar.name.removesuffix(".check.json"))
        assert expected_findings_path(recording) == sidecar
        # A wrong expectation in the file fails: it is really read.
        with pytest.raises(AssertionError, match="the findings are not those in"):
            assert_conforms(recording, expected=[])
        assert assert_conforms(recording) == adapters.check(recording)


# ------------------------------------------------------- assert_round_trips


def test_round_trips_pass_for_exact_streams_and_name_the_first_different_frame(
    project: pytest.Pytester,
) -> None:
    folder = project.path / "fixtures" / "openai"
    (folder / "crlf.sse").write_bytes(GOOD.replace(b"\n", b"\r\n"))
    project.makepyfile(
        test_trip="""
        def test_good(assert_round_trips):
            assert [e.type for e in assert_round_trips("openai/good.sse")][-1] == "end"

        def test_crlf(assert_round_trips):
            assert_round_trips("openai/crlf.sse")

        def test_crlf_same_frames(assert_round_trips):
            assert_round_trips("openai/crlf.sse", exact=False)
        """
    )
    result = project.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            (
                "E*AssertionError: */crlf.sse round-trips to other bytes;"
                " the first differing frame is 0 (byte 0)"
            ),
            "E*recorded:",
            'E*data: {"id":"c1",*',
            "E*encoded:",
        ]
    )


def test_round_trip_failures_say_what_differs(monkeypatch: pytest.MonkeyPatch) -> None:
    # A decode error is reported as the assertion's failure.
    with pytest.raises(AssertionError, match=r"^the stream does not round-trip: .*not JSON"):
        assert_round_trips(b"data: {oops\n\n", "openai")
    with pytest.raises(AssertionError, match="neither OpenAI nor DashScope framing"):
        assert_round_trips(b": hello\n\n")
    # A writer that changed a frame, or lost one, is caught frame by frame.
    real = adapters.encode
    monkeypatch.setattr(adapters, "encode", lambda *a, **k: real(*a, **k).replace(b'"Hi"', b'"Ho"'))
    with pytest.raises(AssertionError, match="other frames; the first differing frame is 0"):
        assert_round_trips(GOOD, exact=False)
    monkeypatch.setattr(adapters, "encode", lambda *a, **k: real(*a, **k)[: -len(DONE)])
    with pytest.raises(
        AssertionError,
        match=r"frame is 2 \(byte \d+\)\n.*\n    data: \[DONE\]\n.*\n    \(no frame\)$",
    ):
        assert_round_trips(GOOD)
    # and so are its other lines (here a comment the recording does not have)
    monkeypatch.setattr(
        adapters, "encode", lambda *a, **k: real(*a, **k).replace(DONE, b": bye\n" + DONE)
    )
    with pytest.raises(AssertionError, match=r"encoded:\n    : bye\n    data: \[DONE\]$"):
        assert_round_trips(GOOD, exact=False)
    # data that is not JSON is compared as text
    monkeypatch.setattr(
        adapters, "encode", lambda *a, **k: real(*a, **k).replace(b"[DONE]", b"[DONE!]")
    )
    with pytest.raises(AssertionError, match="other frames; the first differing frame is 2"):
        assert_round_trips(GOOD, exact=False)


def test_round_trips_read_paths_and_chunks(tmp_path: Path) -> None:
    path = tmp_path / "good.sse"
    path.write_bytes(GOOD)
    events = list(adapters.decode(GOOD))
    assert assert_round_trips(str(path)) == events
    assert assert_round_trips(iter([GOOD[:5], GOOD[5:]]), "openai") == events
    path.write_bytes(GOOD.replace(b"\n", b"\r\n"))
    with pytest.raises(AssertionError, match=r"^\S*good\.sse round-trips to other bytes"):
        assert_round_trips(path)


def test_round_trips_of_dashscope_keep_its_mode() -> None:
    path = ROOT / "fixtures" / "dashscope" / "aliyun-docs-farui-plus-cumulative-message.sse"
    events = assert_round_trips(path)
    assert events == list(adapters.decode(path))
    assert assert_round_trips(path.read_bytes(), "dashscope") == events


# ---------------------------------------------------------------- snapshots


SNAPSHOT_TESTS = """
import adapters

STREAM = {stream!r}

def test_stream(sse_snapshot):
    assert STREAM == sse_snapshot

def test_events(events_snapshot):
    assert list(adapters.decode(STREAM, wire=False)) == events_snapshot

def test_events_of_bytes(events_snapshot):
    assert STREAM == events_snapshot
"""


def test_snapshots_are_readable_files_and_catch_a_change(project: pytest.Pytester) -> None:
    crlf = GOOD.replace(b"\n", b"\r\n")
    project.makepyfile(test_snap=SNAPSHOT_TESTS.format(stream=crlf))
    result = project.runpytest("--snapshot-update")
    result.assert_outcomes(passed=3)
    folder = project.path / "__snapshots__" / "test_snap"
    assert sorted(p.name for p in folder.iterdir()) == [
        "test_events.jsonl",
        "test_events_of_bytes.jsonl",
        "test_stream.sse",
    ]
    # Byte for byte, CRLF kept.
    assert (folder / "test_stream.sse").read_bytes() == crlf
    # One event a line, in the order of the stream, readable back.
    lines = (folder / "test_events.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line)["type"] for line in lines] == [
        "stream_start",
        "choice_start",
        "text_delta",
        "finish",
        "end",
    ]
    assert '"text":"Hi"' in lines[2]
    assert list(load_jsonl(lines)) == list(adapters.decode(crlf))
    assert (folder / "test_events_of_bytes.jsonl").read_text("utf-8") == "\n".join(lines) + "\n"
    project.runpytest().assert_outcomes(passed=3)

    changed = crlf.replace(b'"Hi"', b'"Ho"')
    project.makepyfile(test_snap=SNAPSHOT_TESTS.format(stream=changed))
    result = project.runpytest("-vv")
    result.assert_outcomes(failed=3)
    # The diffs are of lines of text, not of one bytes repr.
    result.stdout.fnmatch_lines(
        ['*- *"content":"Hi"}*', '*+ *"content":"Ho"}*', '*- {"type":"text_delta"*"text":"Hi"}']
    )
    assert (folder / "test_stream.sse").read_bytes() == crlf  # untouched without --update


def test_a_snapshot_no_test_uses_any_more_fails_the_run(project: pytest.Pytester) -> None:
    """syrupy's rule, which holds for these files too: an unused snapshot fails the
    session (unless --snapshot-warn-unused), and --snapshot-update deletes it."""
    project.makepyfile(test_snap=SNAPSHOT_TESTS.format(stream=GOOD))
    project.runpytest("--snapshot-update").assert_outcomes(passed=3)
    project.makepyfile(test_snap=SNAPSHOT_TESTS.format(stream=GOOD).split("def test_events(")[0])
    result = project.runpytest()
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*2 snapshots unused*"])
    assert project.runpytest("--snapshot-warn-unused").ret == pytest.ExitCode.OK
    project.runpytest("--snapshot-update").assert_outcomes(passed=1)
    folder = project.path / "__snapshots__" / "test_snap"
    assert [p.name for p in folder.iterdir()] == ["test_stream.sse"]


def test_the_extensions_refuse_what_they_cannot_store() -> None:
    with pytest.raises(TypeError, match="takes the stream's bytes, not str"):
        SSESnapshotExtension().serialize("data: x\n\n")
    with pytest.raises(TypeError, match="takes the stream's bytes, not list"):
        SSESnapshotExtension().serialize([b"data: x", 1])
    assert SSESnapshotExtension().serialize([b"data: x\n", bytearray(b"\n")]) == b"data: x\n\n"
    with pytest.raises(TypeError, match="takes events or a stream's bytes, not dict"):
        EventsSnapshotExtension().serialize({"type": "end"})
    with pytest.raises(TypeError, match="not a normalized event: 'end'"):
        EventsSnapshotExtension().serialize(["end"])
    assert EventsSnapshotExtension().serialize([TextDelta(text="hi"), End()]) == (
        '{"type":"text_delta","choice":0,"text":"hi"}\n{"type":"end","choice":null}\n'
    )


def test_the_events_extension_can_keep_the_wire_layout() -> None:
    class WithWire(EventsSnapshotExtension):
        wire = True

    lines = str(WithWire().serialize(GOOD)).splitlines()
    assert all('"wire":' in line for line in lines)
    assert list(load_jsonl(lines)) == list(adapters.decode(GOOD))
    assert '"wire"' not in str(EventsSnapshotExtension().serialize(GOOD))


def test_the_sse_diff_shows_invalid_utf8_escaped() -> None:
    diff = SSESnapshotExtension().diff_snapshots(b"data: \xff\n\n", b"data: x\n\n")
    assert diff.splitlines()[:2] == ["- data: x", "+ data: \\xff"]


def test_the_extensions_file_names_do_not_clash_with_json() -> None:
    extensions = {SSESnapshotExtension.file_extension, EventsSnapshotExtension.file_extension}
    assert extensions == {"sse", "jsonl"}
    assert JSONSnapshotExtension.file_extension not in extensions


# ------------------------------------------------------------- the page


def _page_files() -> dict[str, str]:
    """The pytest modules of docs/testing.md: python blocks whose first line
    is a ``# test_*.py`` comment naming the file."""
    text = (ROOT / "docs" / "testing.md").read_text("utf-8")
    files = {}
    for block in re.findall(r"^```python\n(.*?)^```", text, re.M | re.S):
        first, _, body = block.partition("\n")
        if re.fullmatch(r"# test_\w+\.py", first):
            files[first[2:]] = body
    return files


def test_the_pages_example_runs_as_it_says(pytester: pytest.Pytester) -> None:
    files = _page_files()
    assert list(files) == ["test_stream_folder.py", "test_streams.py"]
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\nadapters_fixtures = "fixtures"\n'
        'addopts = ["-p", "no:cacheprovider", "--strict-markers"]\nfilterwarnings = ["error"]\n'
    )
    for provider, name in (("openai", "openai-python-text-usage-gpt-4o.sse"),):
        (pytester.path / "fixtures" / provider).mkdir(parents=True)
        data = (ROOT / "fixtures" / provider / name).read_bytes()
        (pytester.path / "fixtures" / provider / "text.sse").write_bytes(data)
    (pytester.path / "fixtures" / "dashscope").mkdir()
    (pytester.path / "fixtures" / "dashscope" / "text.sse").write_bytes(
        (ROOT / "fixtures" / "dashscope" / "cnblogs-text-incremental-qwen-max.sse").read_bytes()
    )
    (pytester.path / "streams").mkdir()
    (pytester.path / "streams" / "ok.sse").write_bytes(GOOD)
    for name, body in files.items():
        (pytester.path / name).write_text(body, "utf-8")
    result = pytester.runpytest("-v", "--snapshot-update")
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(
        [
            "*test_stream[[]ok[]] PASSED*",
            "*test_recording_conforms[[]dashscope--text[]] PASSED*",
            "*test_recording_conforms[[]openai--text[]] PASSED*",
            "*test_recording_round_trips[[]openai--text[]] PASSED*",
        ]
    )
    snapshots = pytester.path / "__snapshots__" / "test_streams"
    assert sorted(p.name for p in snapshots.iterdir()) == [
        "test_recording_events[dashscope--text].jsonl",
        "test_recording_events[openai--text].jsonl",
        "test_what_we_write.sse",
    ]
    assert (snapshots / "test_what_we_write.sse").read_bytes().startswith(b"id:1\nevent:result\n")
    pytester.runpytest().assert_outcomes(passed=7)


def test_the_pages_failure_listing_is_the_real_one() -> None:
    """The listing shown on the page is what assert_conforms says for BROKEN."""
    text = (ROOT / "docs" / "testing.md").read_text("utf-8")
    with pytest.raises(AssertionError) as caught:
        assert_conforms(BROKEN)
    listing = str(caught.value).replace("the stream", "fixtures/openai/broken.sse", 1)
    assert f"AssertionError: {listing}\n" in text

"""Assertions about recorded streams: they conform, and they round-trip exactly.

Strategy: each assertion is a plain function that raises :class:`AssertionError`
with a message a person can act on -- every finding on its own line with its
rule id, frame and byte offset, or the first frame where a round trip differs
-- so it works under any test runner; the pytest plugin
(:mod:`adapters.testing.pytest_plugin`) only hands the same functions out as
fixtures, with relative paths looked up in the project's recordings folder.

Expected findings live next to a recording, as ``NAME.sse.check.json``: a JSON
list of objects with the keys ``rule``, ``severity``, ``frame`` and ``offset``
(the fields of :class:`adapters.Violation`; ``message`` may be given too). A
key left out matches anything, so ``[{"rule": "SSE002"}]`` is a valid file.
The list is held against the findings in order: the checker reports them in
input order, so the file reads like ``adapters check`` output.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias

import pytest

import adapters
from adapters._check import RULES
from adapters._convert import Source
from adapters.dashscope import Decoder as DashScopeDecoder
from adapters.events import Event
from adapters.sse import SSEFrame, decode_frames

__all__ = [
    "EXPECTED_SUFFIX",
    "Expected",
    "assert_conforms",
    "assert_round_trips",
    "expected_findings_path",
    "recording_id",
    "recordings",
]

#: What is appended to a recording's file name to name its expected findings.
EXPECTED_SUFFIX: Final = ".check.json"

#: Expected findings: a path to a ``.check.json`` file, or the findings
#: themselves (:class:`adapters.Violation` values or mappings with some of
#: the keys ``rule``, ``severity``, ``frame``, ``offset``, ``message``).
Expected: TypeAlias = str | os.PathLike[str] | Sequence[adapters.Violation | Mapping[str, Any]]

_KEYS: Final = ("rule", "severity", "frame", "offset", "message")
_SNIFF: Final = 64 * 1024


def recording_id(path: Path, folder: Path) -> str:
    """The test id of a recording: its path under ``folder``, with ``--``
    between folders (``/`` would vanish from snapshot file names) and the
    ``.sse`` suffix dropped (another suffix stays, so that ``a.sse`` and
    ``a.txt`` do not share an id).

    >>> recording_id(Path("fixtures/openai/text.sse"), Path("fixtures"))
    'openai--text'
    >>> recording_id(Path("fixtures/openai/text.chunks.txt"), Path("fixtures"))
    'openai--text.chunks.txt'
    """
    relative = path.relative_to(folder)
    if relative.suffix == ".sse":
        relative = relative.with_suffix("")
    return "--".join(relative.parts)


def recordings(folder: str | os.PathLike[str], pattern: str = "**/*.sse") -> list[Any]:
    """Every recording under ``folder`` matching ``pattern``, sorted, as
    ``pytest.param(path, id=...)`` values for ``@pytest.mark.parametrize``.

    Ids are :func:`recording_id`'s. A folder with no match is an error, so a
    moved folder cannot turn a parametrized test into zero tests that pass.
    """
    root = Path(folder)
    paths = sorted(path for path in root.glob(pattern) if path.is_file())
    if not paths:
        raise FileNotFoundError(f"no recordings match {pattern!r} in {root}")
    return [pytest.param(path, id=recording_id(path, root)) for path in paths]


def expected_findings_path(recording: str | os.PathLike[str]) -> Path:
    """Where a recording's expected findings are kept: ``NAME.sse.check.json``."""
    path = Path(recording)
    return path.with_name(path.name + EXPECTED_SUFFIX)


def _label(source: object) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return "the stream"


def _line(found: adapters.Violation) -> str:
    frame = "-" if found.frame is None else str(found.frame)
    offset = "-" if found.offset is None else str(found.offset)
    return f"  {found.rule:<7}{found.severity:<8}frame {frame:<6}byte {offset:<9}{found.message}"


def _wanted(entry: adapters.Violation | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(entry, adapters.Violation):
        return {key: getattr(entry, key) for key in _KEYS}
    unknown = set(entry) - set(_KEYS)
    if unknown or "rule" not in entry:
        raise ValueError(
            f"an expected finding has the keys {sorted(_KEYS)} ('rule' required), "
            f"not {sorted(entry)}"
        )
    return dict(entry)


def _load_expected(expected: Expected) -> tuple[list[dict[str, Any]], str]:
    if isinstance(expected, str | os.PathLike):
        path = Path(expected)
        entries = json.loads(path.read_text("utf-8"))
        if not isinstance(entries, list):
            raise ValueError(f"{path}: expected a JSON list of findings")
        return [_wanted(entry) for entry in entries], os.fspath(path)
    return [_wanted(entry) for entry in expected], "the expected findings"


def _describe(wanted: Mapping[str, Any]) -> str:
    return "  " + " ".join(f"{key}={wanted[key]!r}" for key in _KEYS if key in wanted)


def _matches(found: adapters.Violation, wanted: Mapping[str, Any]) -> bool:
    return all(getattr(found, key) == value for key, value in wanted.items())


def assert_conforms(
    source: Source,
    provider: Literal["auto", "openai", "dashscope"] = "auto",
    *,
    allow: Iterable[str] = (),
    expected: Expected | None = None,
    strict: bool = False,
    mode: Literal["auto", "incremental", "cumulative"] = "auto",
    max_line_size: int | None = None,
) -> list[adapters.Violation]:
    """Assert that a stream keeps its protocol, as :func:`adapters.check` sees it.

    Without expected findings, the stream fails on any error-level finding
    (and, with ``strict=True``, on warnings too), like ``adapters check``.
    With them -- ``expected``, or for a path the file :func:`expected_findings_path`
    names, when it exists -- the findings must be exactly those, in order.
    Either way, findings of a rule in ``allow`` are left out first.

    >>> ok = (b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
    ...       b'"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}\\n\\n')
    >>> assert_conforms(ok + b"data: [DONE]\\n\\n")
    []
    >>> [found.rule for found in assert_conforms(ok)]  # no [DONE]: a warning
    ['OAI018']
    >>> assert_conforms(ok, strict=True)
    Traceback (most recent call last):
    ...
    AssertionError: the stream does not conform: 1 finding (1 failing)
      OAI018 warning frame 1     byte 148      the stream ended ... without data: [DONE]
    >>> [found.rule for found in assert_conforms(ok, allow=["OAI018"], strict=True)]
    ['OAI018']

    :param source: the bytes, a path, or an iterable of byte chunks.
    :param provider: ``"openai"``, ``"dashscope"``, or ``"auto"``.
    :param allow: rule ids (docs/check.md) whose findings do not count.
    :param expected: the findings the stream is known to have (see the module
        docstring); overrides the file next to a recording.
    :param strict: without expected findings, fail on warnings too.
    :param mode: a DashScope stream's output mode, as :func:`adapters.check` takes it.
    :param max_line_size: passed on to :func:`adapters.check`.
    :returns: every finding, allowed ones included.
    :raises AssertionError: listing every finding, one a line.
    """
    __tracebackhide__ = True
    if isinstance(allow, str):
        raise TypeError("allow takes an iterable of rule ids, not one string")
    allowed = frozenset(allow)
    if unknown := sorted(allowed - set(RULES)):
        raise ValueError(f"unknown rule ids in allow: {', '.join(unknown)} (see docs/check.md)")
    options: dict[str, Any] = {"mode": mode}
    if max_line_size is not None:
        options["max_line_size"] = max_line_size
    found = adapters.check(source, provider, **options)
    counted = [item for item in found if item.rule not in allowed]
    label = _label(source)
    if expected is None and isinstance(source, str | os.PathLike):
        beside = expected_findings_path(source)
        if beside.is_file():
            expected = beside
    if expected is not None:
        wanted, where = _load_expected(expected)
        wanted = [entry for entry in wanted if entry["rule"] not in allowed]
        same = len(wanted) == len(counted) and all(map(_matches, counted, wanted))
        if not same:
            lines = [f"{label}: the findings are not those in {where}", "found:"]
            lines += [_line(item) for item in counted] or ["  (nothing)"]
            lines += ["expected:"]
            lines += [_describe(entry) for entry in wanted] or ["  (nothing)"]
            raise AssertionError("\n".join(lines))
        return found
    failing = [item for item in counted if strict or item.severity == "error"]
    if failing:
        count = f"{len(counted)} finding{'s' if len(counted) != 1 else ''}"
        lines = [f"{label} does not conform: {count} ({len(failing)} failing)"]
        lines += [_line(item) for item in counted]
        raise AssertionError("\n".join(lines))
    return found


def _read(source: Source) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        return Path(source).read_bytes()
    return b"".join(source)


def _frame_text(frame: SSEFrame | None) -> str:
    if frame is None:
        return "    (no frame)"
    # A decoded frame keeps its text: its first lines, without the blank ones
    # around the block, show where it differs.
    lines = [line for line in (frame.raw or "").splitlines() if line]
    return "\n".join("    " + line for line in lines[:8])


def _same_frame(a: SSEFrame, b: SSEFrame) -> bool:
    if (a.event, a.id, a.retry, a.comments) != (b.event, b.id, b.retry, b.comments):
        return False
    if a.data == b.data:
        return True
    try:
        return bool(json.loads(a.data or "") == json.loads(b.data or ""))
    except ValueError:
        return False


def assert_round_trips(
    source: Source,
    provider: Literal["auto", "openai", "dashscope"] = "auto",
    *,
    exact: bool = True,
) -> list[Event]:
    """Assert that decoding a stream and encoding its events gives the stream back.

    This is the wire round trip of the design: the same frames, with the same
    ``id:``, ``event:`` and comment lines and JSON-equal data; with
    ``exact=True`` (the default) also the same bytes, which holds wherever the
    recording uses the provider's own key order and separators. A DashScope
    stream is written back in the mode it was read in.

    >>> raw = (b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
    ...        b'"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}\\n\\n'
    ...        b'data: [DONE]\\n\\n')
    >>> [event.type for event in assert_round_trips(raw)]
    ['stream_start', 'text_delta', 'finish', 'end']
    >>> crlf = raw.replace(b"\\n", b"\\r\\n")  # the encoder writes LF
    >>> assert_round_trips(crlf)
    Traceback (most recent call last):
    ...
    AssertionError: the stream round-trips to other bytes; the first differing frame is 0 (byte 0)
    ...
    >>> len(assert_round_trips(crlf, exact=False))
    4

    :returns: the decoded events.
    :raises AssertionError: naming the first frame that differs, or the
        decode error.
    """
    __tracebackhide__ = True
    data = _read(source)
    label = _label(source)
    name = adapters.detect_provider(data[:_SNIFF]) if provider == "auto" else provider
    try:
        if name == "dashscope":
            decoder = DashScopeDecoder(mode="auto")
            events = decoder.feed(data) + decoder.close()
            again = adapters.encode(events, "dashscope", decoder.mode or "incremental")
        elif name == "openai":
            events = list(adapters.decode(data, "openai"))
            again = adapters.encode(events, "openai")
        else:
            raise AssertionError(f"{label}: neither OpenAI nor DashScope framing")
    except adapters.AdapterError as error:
        raise AssertionError(f"{label} does not round-trip: {error}") from error
    if again == data:
        return events
    before, after = decode_frames(data), decode_frames(again)
    pairs = list(zip(before, after, strict=False))
    index = next((i for i, (a, b) in enumerate(pairs) if not _same_frame(a, b)), None)
    what = "other frames"
    if index is None and len(before) != len(after):
        index = len(pairs)
    elif index is None:
        if not exact:
            return events
        # The same frames, written differently (key order, separators, line ends).
        what = "other bytes"
        index = next((i for i, (a, b) in enumerate(pairs) if a.raw != b.raw), len(pairs))
    offset = sum(len((frame.raw or "").encode()) for frame in before[:index])
    lines = [
        f"{label} round-trips to {what}; the first differing frame is {index} (byte {offset})",
        "  recorded:",
        _frame_text(before[index] if index < len(before) else None),
        "  encoded:",
        _frame_text(after[index] if index < len(after) else None),
    ]
    raise AssertionError("\n".join(lines))

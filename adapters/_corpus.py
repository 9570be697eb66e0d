"""Normalize a corpus of recorded streams: one JSON line per recording.

Strategy: a corpus is a directory tree of recordings, in either provider's
format. Each file is read whole, its provider told from its first bytes (as
:func:`adapters.decode` does), decoded to normalized events without their wire
layout, and checked (:func:`adapters.check`, which never raises for bad bytes).
The result is one :class:`Record` per file, in path order.

A file that cannot be read or decoded is a *broken* record: it carries an
:class:`Failure` (kind, message, byte offset) and no events, and the run goes
on. Nothing is dropped on the way: every file the pattern matched gives one
record, also a dangling symlink.

With ``jobs > 1`` the files are spread over a process pool; ``map`` hands the
results back in submission order, so the output is the same for any number of
jobs. Each worker gets a path and returns a plain, picklable :class:`Record`.

The progress bar and the summary table are for the command line; they live
here too so that they can be tested without a terminal.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal, TextIO

from adapters._check import check
from adapters._convert import _SNIFF_LIMIT, detect_provider
from adapters._errors import DecodeError
from adapters.dashscope import Decoder as DashScopeDecoder
from adapters.events import Event
from adapters.openai import Decoder as OpenAIDecoder

__all__ = [
    "DEFAULT_PATTERN",
    "Failure",
    "Progress",
    "Record",
    "Summary",
    "find_recordings",
    "normalize_corpus",
    "normalize_file",
    "resolve_jobs",
]

#: The files :func:`find_recordings` looks for by default.
DEFAULT_PATTERN = "*.sse"


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a recording could not be normalized."""

    #: ``"unreadable"`` for a file that cannot be read, else the
    #: :attr:`adapters.DecodeError.kind` (``"unknown_provider"``, ``"invalid_json"``, ...).
    kind: str
    #: What was found, on one line.
    message: str
    #: Byte offset of the problem in the file, when known.
    offset: int | None = None
    #: Zero-based frame number of the problem, when known.
    frame: int | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """One recording, normalized: what a line of ``adapters normalize`` output holds."""

    #: The file's path relative to the corpus root, with ``/`` separators.
    path: str
    #: ``"openai"`` or ``"dashscope"``; ``None`` when it could not be told.
    provider: str | None
    #: ``"incremental"`` or ``"cumulative"`` (DashScope: as the decoder decided;
    #: OpenAI streams are always incremental); ``None`` if decoding failed first.
    mode: str | None
    #: The normalized events without their wire layout, as JSON-ready dicts
    #: (empty for a broken file).
    events: list[dict[str, Any]] = field(default_factory=list)
    #: :func:`adapters.check` findings, as dicts of :class:`adapters.Violation`.
    findings: list[dict[str, Any]] = field(default_factory=list)
    #: What the decoder repaired or tolerated (``kind``, ``message``, ``offset``, ``frame``).
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    #: Set for a broken file, which is reported and otherwise skipped.
    error: Failure | None = None

    def to_json(self) -> str:
        """The record as one line of JSON (no newline); non-ASCII text stays as it is."""
        record = dataclasses.asdict(self)
        try:
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
            line.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate (a "\\ud800" escape in the stream) is no UTF-8;
            # JSON can still say it, as an escape.
            line = json.dumps(record, ensure_ascii=True, separators=(",", ":"))
        return line


def find_recordings(root: str | os.PathLike[str], pattern: str = DEFAULT_PATTERN) -> list[Path]:
    """Every file under ``root`` (recursively) whose name matches ``pattern``, sorted.

    Directories are left out; anything else that matches (a dangling symlink, a
    file that cannot be read) is kept, so that it is reported rather than lost.

    :raises NotADirectoryError: ``root`` is not a directory.
    :raises FileNotFoundError: ``root`` does not exist.
    """
    base = Path(root)
    if not base.exists():
        raise FileNotFoundError(f"no such directory: {root}")
    if not base.is_dir():
        raise NotADirectoryError(f"{root} is not a directory")
    return sorted(
        (path for path in base.rglob(pattern) if not path.is_dir()),
        key=lambda path: path.relative_to(base).as_posix(),
    )


def normalize_file(
    path: str | os.PathLike[str],
    root: str | os.PathLike[str] | None = None,
    *,
    provider: Literal["auto", "openai", "dashscope"] = "auto",
    mode: Literal["auto", "incremental", "cumulative"] = "auto",
    strict: bool = True,
    split_glued: bool = False,
) -> Record:
    """Decode and check one recording; never raises for a bad or unreadable file.

    :param root: what :attr:`Record.path` is relative to (default: the file's folder).
    :param provider: the file's format, or ``"auto"`` to tell from its first bytes.
    :param mode: a DashScope stream's output mode (``"auto"``: as the decoder decides).
    :param strict: ``False`` decodes leniently (see :func:`adapters.decode`).
    :param split_glued: DashScope: split frames recorded with no blank line between them.
    """
    file = Path(path)
    name = file.relative_to(root).as_posix() if root is not None else file.name
    try:
        data = file.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return Record(name, None, None, error=Failure("unreadable", f"cannot read: {reason}"))
    found = detect_provider(data[:_SNIFF_LIMIT]) if provider == "auto" else provider
    findings = [dataclasses.asdict(v) for v in check(data, provider=provider, mode=mode)]
    if found is None:
        unknown = Failure(
            "unknown_provider",
            "neither OpenAI 'data: ' lines nor DashScope 'id:' / 'event:result' / "
            "':HTTP_STATUS/' lines",
            offset=0,
        )
        return Record(name, None, None, findings=findings, error=unknown)
    decoder: OpenAIDecoder | DashScopeDecoder
    if found == "openai":
        decoder = OpenAIDecoder(strict=strict, wire=False)
    else:
        decoder = DashScopeDecoder(mode=mode, strict=strict, wire=False, split_glued=split_glued)
    events: list[Event] = []
    failure: Failure | None = None
    try:
        events = decoder.feed(data)
        events += decoder.close()
    except DecodeError as exc:
        failure = Failure(exc.kind, exc.message, exc.offset, exc.frame)
    diagnostics = [dataclasses.asdict(d) for d in decoder.diagnostics]
    told = decoder.mode if isinstance(decoder, DashScopeDecoder) else "incremental"
    if failure is not None:
        return Record(name, found, told, [], findings, diagnostics, failure)
    dumped = [event.model_dump(mode="json", exclude={"wire"}) for event in events]
    return Record(name, found, told, dumped, findings, diagnostics)


def resolve_jobs(jobs: int | str) -> int:
    """The number of worker processes: ``0`` or ``"auto"`` is every usable core.

    >>> resolve_jobs(3)
    3
    >>> resolve_jobs("auto") >= 1
    True
    """
    if jobs in ("auto", 0, "0"):
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - not on Linux
            return os.cpu_count() or 1
    count = int(jobs)
    if count < 0:
        raise ValueError(f"jobs must be 0 (every core) or more, not {count}")
    return count


def _work(root: Path, options: dict[str, Any], path: Path) -> Record:
    return normalize_file(path, root, **options)


def normalize_corpus(
    root: str | os.PathLike[str],
    *,
    pattern: str = DEFAULT_PATTERN,
    provider: Literal["auto", "openai", "dashscope"] = "auto",
    mode: Literal["auto", "incremental", "cumulative"] = "auto",
    strict: bool = True,
    split_glued: bool = False,
    jobs: int | str = 1,
    paths: Iterable[Path] | None = None,
) -> Iterator[Record]:
    """One :class:`Record` per recording under ``root``, in path order.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "a.sse").write_bytes(
    ...     b'data: {"object":"chat.completion.chunk","choices":[{"index":0,'
    ...     b'"delta":{"content":"Hi"},"finish_reason":"stop"}]}\\n\\ndata: [DONE]\\n\\n')
    >>> _ = (root / "b.sse").write_bytes(b"hello")
    >>> for record in normalize_corpus(root):
    ...     kind = record.error.kind if record.error else None
    ...     print(record.path, record.provider, len(record.events), kind)
    a.sse openai 4 None
    b.sse None 0 unknown_provider

    :param pattern: file names to take (a glob, matched in every folder).
    :param jobs: worker processes; ``1`` works in this process, ``0`` or
        ``"auto"`` uses every core. The output does not depend on it.
    :param paths: the files to normalize, if already found (default:
        :func:`find_recordings`).
    :param provider: see :func:`normalize_file`, as are ``mode``, ``strict``
        and ``split_glued``.
    """
    base = Path(root)
    files = list(paths) if paths is not None else find_recordings(base, pattern)
    options: dict[str, Any] = {
        "provider": provider,
        "mode": mode,
        "strict": strict,
        "split_glued": split_glued,
    }
    work = partial(_work, base, options)
    workers = min(resolve_jobs(jobs), len(files))
    if workers <= 1:
        yield from map(work, files)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        # map() gives results back in the order of ``files``, whatever finishes first.
        yield from pool.map(work, files, chunksize=max(1, len(files) // (workers * 8)))


@dataclass
class Summary:
    """Totals over a run, for the table printed at its end."""

    #: Number of recordings.
    files: int = 0
    #: Decoded files per ``(provider, mode)``.
    streams: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: Events per ``(provider, mode)``.
    events: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: Checker findings per ``(provider, mode, severity)``; broken files count
    #: under ``("broken", "-", severity)``.
    findings: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    #: The broken files, in path order.
    broken: list[Record] = field(default_factory=list)

    def add(self, record: Record) -> None:
        """Count one record in."""
        self.files += 1
        if record.error is not None:
            self.broken.append(record)
            key = ("broken", "-")
        else:
            key = (record.provider or "?", record.mode or "?")
            self.streams[key] += 1
            self.events[key] += len(record.events)
        for finding in record.findings:
            self.findings[(*key, finding["severity"])] += 1

    def table(self) -> str:
        """The summary as a small text table, then the broken files, one a line.

        >>> summary = Summary()
        >>> summary.add(Record("a.sse", "openai", "incremental", [{}, {}]))
        >>> summary.add(Record("b.sse", None, None, error=Failure("unreadable", "cannot read")))
        >>> print(summary.table())
        provider  mode         files  events  errors  warnings
        openai    incremental      1       2       0         0
        broken    -                1       -       0         0
        total                      2       2       0         0
        <BLANKLINE>
        broken files: 1
          b.sse: [unreadable] cannot read
        """
        rows: list[tuple[str, ...]] = [
            ("provider", "mode", "files", "events", "errors", "warnings")
        ]
        keys = [*sorted(self.streams), ("broken", "-")]
        for provider, mode in keys:
            broken = provider == "broken"
            rows.append(
                (
                    provider,
                    mode,
                    str(len(self.broken) if broken else self.streams[(provider, mode)]),
                    "-" if broken else str(self.events[(provider, mode)]),
                    str(self.findings[(provider, mode, "error")]),
                    str(self.findings[(provider, mode, "warning")]),
                )
            )
        totals = Counter[str]()
        for (_, _, severity), count in self.findings.items():
            totals[severity] += count
        rows.append(
            (
                "total",
                "",
                str(self.files),
                str(sum(self.events.values())),
                str(totals["error"]),
                str(totals["warning"]),
            )
        )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = []
        for row in rows:
            cells = [
                cell.ljust(width) if i < 2 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            ]
            lines.append("  ".join(cells).rstrip())
        lines += ["", f"broken files: {len(self.broken)}"]
        for record in self.broken:
            assert record.error is not None
            where = f" (byte {record.error.offset})" if record.error.offset is not None else ""
            lines.append(f"  {record.path}: [{record.error.kind}] {record.error.message}{where}")
        return "\n".join(lines)


class Progress:
    """A one-line progress bar, drawn only when ``stream`` is a terminal.

    >>> import io
    >>> bar = Progress(2, io.StringIO())
    >>> bar.enabled
    False
    >>> bar.advance("a.sse"); bar.close()  # nothing drawn: not a terminal
    """

    def __init__(self, total: int, stream: TextIO | None = None, *, label: str = "") -> None:
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        isatty: Callable[[], bool] | None = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty())
        self._drawn = False

    def advance(self, name: str = "") -> None:
        """One more item done; redraw."""
        self.done += 1
        if self.enabled:
            self._draw(name)

    def _draw(self, name: str) -> None:
        width = shutil.get_terminal_size((80, 24)).columns
        count = f"{self.done}/{self.total}"
        bar_width = max(10, min(40, width // 3))
        filled = bar_width * self.done // max(1, self.total)
        bar = "#" * filled + "." * (bar_width - filled)
        line = f"{self.label}[{bar}] {count} {name}"
        line = line[: max(0, width - 1)]
        self.stream.write("\r" + line.ljust(width - 1))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Clear the bar's line (a terminal keeps what follows clean)."""
        if self._drawn:
            width = shutil.get_terminal_size((80, 24)).columns
            self.stream.write("\r" + " " * (width - 1) + "\r")
            self.stream.flush()
            self._drawn = False

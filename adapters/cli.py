"""The ``adapters`` command line: a thin front end over the library; no protocol logic.

Subcommands (``-`` is standard input/output wherever a file is named; each
``--help`` ends with examples):

``adapters convert IN... [-o OUT] --to events|openai|dashscope [--from auto|openai|dashscope]
[--mode incremental|cumulative] [--input-mode auto|incremental|cumulative] [--no-wire]
[--lenient] [--split-glued] [--resync]``
    Decode recorded streams into normalized events, written as JSON Lines
    (``--to events``), or re-encode them in OpenAI's format (``--to openai``) or
    DashScope's native one (``--to dashscope``, in ``--mode``). With several
    inputs ``-o`` is a directory that gets ``<name>.jsonl`` / ``<name>.sse`` per
    input; without ``-o`` only ``--to events`` writes them to stdout, one after
    another.

``adapters frames IN [-o OUT] [--format json|sse]``
    Decode the SSE framing of a recording and write one JSON object per frame
    (``--format json``, the default) or the frames re-encoded (``--format sse``,
    which gives back the input byte for byte when it is valid UTF-8; invalid
    bytes come back as U+FFFD, and are reported).

``adapters check IN... [--provider auto|openai|dashscope] [--format text|json]``
    Check recorded streams against the protocol rules (docs/check.md): one line
    per finding, ``path:frame:offset: RULE severity: message`` (``-`` for no
    frame), or one JSON array with ``--format json``. Exit status 1 if any
    finding is an error, 2 if an input cannot be read, else 0.

``adapters normalize DIR -o OUT.jsonl [--jobs N|auto] [--provider ...] [--glob PATTERN]``
    A corpus of recordings to one JSON line per stream (``adapters._corpus``),
    with a progress bar on a terminal and a summary table at the end.

``adapters redact IN [-o OUT] [--format auto|http|curl|har|json|sse]``
    Secrets out of a recorded exchange, everything else kept (``adapters._redact``).

Errors name the command and the input (``adapters convert: x.sse: ...``) on
standard error; exit status 2 means an input could not be used at all.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO

from adapters import __version__
from adapters._bridge import Converter, Dropped
from adapters._errors import AdapterError
from adapters.sse import SSEDecoder, SSEFrame, encode_frame

__all__ = ["main"]

_CHUNK = 64 * 1024
_BOM = "\ufeff".encode()

_FRAMES_EXAMPLES = """\
examples:
  adapters frames fixtures/dashscope/cnblogs-toolcalls-parallel-incremental-qwen-max.sse
  curl -sN ... | adapters frames - --format json
  adapters frames recording.sse --format sse -o copy.sse   # a byte-identical copy
"""
_CONVERT_EXAMPLES = """\
examples:
  adapters convert fixtures/openai/openai-python-tool-call-gpt-4o.sse --to events
  adapters convert recording.sse --to events --no-wire -o events.jsonl
  adapters convert fixtures/dashscope/cnblogs-text-incremental-qwen-max.sse \\
      --to dashscope --mode cumulative
  adapters convert fixtures/dashscope/*.sse --split-glued --to openai -o converted/
  adapters convert a.sse b.sse --to events --no-wire > events.jsonl     # one after another
  curl -sN ... | adapters convert - --to openai --include-usage

With several inputs, -o names a directory (made if missing) that gets one
<name>.jsonl (--to events) or <name>.sse file per input ("stdin" for -); one
input with -o DIR goes to DIR/<name>.<ext> too. Without -o, several inputs are
written to standard output one after another, for --to events only.
"""
_CHECK_EXAMPLES = """\
examples:
  adapters check fixtures/openai/*.sse
  adapters check recording.sse --format json
  curl -sN ... | adapters check -
"""
_NORMALIZE_EXAMPLES = """\
examples:
  adapters normalize fixtures -o corpus.jsonl
  adapters normalize recordings/ -o corpus.jsonl --jobs auto --split-glued
  adapters normalize captures/ -o - --glob '*.txt' --provider openai | jq .path

Each output line: {"path", "provider", "mode", "events", "findings",
"diagnostics", "error"}; a broken file (unreadable, undecodable) has "error"
set ({"kind", "message", "offset", "frame"}) and no events. The summary table
goes to standard output (standard error with -o -). Exit status: 0, 1 if any
file is broken, 2 if DIR cannot be read or holds no matching file.
"""
_REDACT_EXAMPLES = """\
examples:
  adapters redact exchange.http -o exchange.shared.http
  adapters redact session.har -o session.shared.har
  adapters redact recording.sse --format sse -o recording.shared.sse
  pbpaste | adapters redact - > clean.txt

Formats (--format auto tells them from the first bytes):
  http  raw HTTP/1.x exchange: request line, headers, blank line, body, status
        line, headers, blank line, body (Content-Length / chunk sizes follow
        a body that changed length; nothing else does)
  curl  a curl -v transcript ("> " / "< " / "* " lines, then the body)
  har   an HTTP Archive (JSON; its layout is kept, only secret strings change)
  json  a JSON body
  sse   a plain body (an .sse recording or any text), byte for byte

Secrets: Authorization, Proxy-Authorization, X-Api-Key, api-key, Cookie and
Set-Cookie header values; "Bearer <token>" and sk-... keys anywhere; query
parameters key=, api_key=, apikey=, access_token=; JSON members such as
"api_key". Each becomes <redacted> (Bearer <redacted>, sk-<redacted>).
What was redacted is counted on standard error. Exit status 2 if the input
cannot be read or is in no known format.
"""
_EXAMPLES = """\
examples:
  adapters convert recording.sse --to events
  adapters check fixtures/*/*.sse
  adapters normalize fixtures -o corpus.jsonl
  adapters redact exchange.http -o shared.http

"adapters COMMAND --help" has more examples for each command.
"""


def _read_chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk


def _frame_json(number: int, frame: SSEFrame) -> str:
    record: dict[str, object] = {"frame": number}
    for name in ("event", "id", "retry"):
        value = getattr(frame, name)
        if value is not None:
            record[name] = value
    if frame.comments:
        record["comments"] = list(frame.comments)
    if frame.data is not None:
        record["data"] = frame.data
    if not frame.complete:
        record["complete"] = False
    return json.dumps(record, ensure_ascii=False)


def _open_input(source: str, files: ExitStack, command: str) -> BinaryIO | None:
    """Standard input for ``-``, else the file (or anything that opens like one,
    a pipe or /dev/stdin); ``None`` after saying why it cannot be read."""
    if source == "-":
        return sys.stdin.buffer
    try:
        return files.enter_context(Path(source).open("rb"))
    except FileNotFoundError:
        print(f"adapters {command}: no such file: {source}", file=sys.stderr)
    except IsADirectoryError:
        print(
            f"adapters {command}: {source} is a directory, expected a recorded stream",
            file=sys.stderr,
        )
    except OSError as exc:
        print(f"adapters {command}: cannot read {source}: {exc.strerror}", file=sys.stderr)
    return None


def _frames(args: argparse.Namespace) -> int:
    source = args.input
    decoder = SSEDecoder(strict_utf8=args.strict_utf8)
    count = 0
    if args.output != "-" and _same_file(source, Path(args.output)):
        print(
            f"adapters frames: writing {args.output} would overwrite its input; choose another -o",
            file=sys.stderr,
        )
        return 2
    with ExitStack() as files:
        reader = _open_input(source, files, "frames")
        if reader is None:
            return 2
        if args.output == "-":
            out: BinaryIO = sys.stdout.buffer
        else:
            out = files.enter_context(Path(args.output).open("wb"))

        def start_copy() -> None:
            # A copy starts as the input did: the BOM belongs to no frame.
            if args.format == "sse" and decoder.bom and count == 0:
                out.write(_BOM)

        def emit(frames: list[SSEFrame]) -> None:
            nonlocal count
            for frame in frames:
                start_copy()
                if args.format == "sse":
                    out.write(encode_frame(frame))
                else:
                    out.write(_frame_json(count, frame).encode("utf-8") + b"\n")
                count += 1

        status = 0
        try:
            for chunk in _read_chunks(reader):
                emit(decoder.feed(chunk))
            emit(decoder.close())
        except AdapterError as exc:
            print(f"adapters frames: {source}: {exc}", file=sys.stderr)
            status = 1
        else:
            if args.format == "sse":
                start_copy()  # a stream of no frame at all
                # Blank lines after the last frame: the copy is byte for byte.
                out.write(decoder.trailer.encode("utf-8"))
        out.flush()
    for diagnostic in decoder.diagnostics:
        print(
            f"adapters frames: {source}: byte {diagnostic.offset}, frame {diagnostic.frame}: "
            f"{diagnostic.message}",
            file=sys.stderr,
        )
    if decoder.diagnostics_dropped:
        print(
            f"adapters frames: {source}: {decoder.diagnostics_dropped} more diagnostics not shown",
            file=sys.stderr,
        )
    return status


_EXTENSIONS = {"events": ".jsonl", "openai": ".sse", "dashscope": ".sse"}


def _stdin_once(inputs: Sequence[str], command: str) -> bool:
    """Standard input can be read once; say so if ``-`` is given twice."""
    if list(inputs).count("-") > 1:
        print(f"adapters {command}: - (standard input) can be given only once", file=sys.stderr)
        return False
    return True


def _same_file(source: str, target: Path) -> bool:
    """Whether writing ``target`` would overwrite the input ``source``."""
    return source != "-" and target.exists() and target.resolve() == Path(source).resolve()


def _convert_targets(args: argparse.Namespace) -> list[Path | None] | None:
    """Where each input goes (``None``: standard output); ``None`` after saying why
    the inputs and ``-o`` do not fit together.

    One input goes to ``-o OUT`` (a file), or into ``OUT/<name>.<ext>`` when OUT
    is a directory. Several inputs go into ``-o DIR`` (made if missing), one file
    each, named after the input with the output format's extension; without
    ``-o`` only ``--to events`` may write them one after another to stdout.
    """
    inputs: list[str] = args.inputs
    if args.output == "-":
        if len(inputs) > 1 and args.to != "events":
            print(
                f"adapters convert: {len(inputs)} inputs --to {args.to} need -o DIR "
                "(SSE streams written one after another would read as one stream); "
                "only --to events writes several inputs to standard output",
                file=sys.stderr,
            )
            return None
        return [None] * len(inputs)
    out = Path(args.output)
    names_a_directory = args.output.endswith(("/", os.sep)) or out.is_dir()
    if len(inputs) == 1 and not names_a_directory:
        if _same_file(inputs[0], out):
            print(
                f"adapters convert: writing {out} would overwrite its input; choose another -o",
                file=sys.stderr,
            )
            return None
        return [out]
    if out.exists() and not out.is_dir():
        print(
            f"adapters convert: with {len(inputs)} inputs -o must be a directory, "
            f"and {args.output} is a file",
            file=sys.stderr,
        )
        return None
    targets: list[Path | None] = []
    for source in inputs:
        name = "stdin" if source == "-" else Path(source).stem
        target = out / (name + _EXTENSIONS[args.to])
        if target in targets:
            print(
                f"adapters convert: two inputs would both be written to {target}; "
                "convert them one at a time",
                file=sys.stderr,
            )
            return None
        if _same_file(source, target):
            print(
                f"adapters convert: writing {target} would overwrite its input; "
                "choose another -o directory",
                file=sys.stderr,
            )
            return None
        targets.append(target)
    return targets


def _convert(args: argparse.Namespace) -> int:
    if not _stdin_once(args.inputs, "convert"):
        return 2
    targets = _convert_targets(args)
    if targets is None:
        return 2
    status = 0
    for source, target in zip(args.inputs, targets, strict=True):
        status = max(status, _convert_one(args, source, target))
    return status


def _convert_one(args: argparse.Namespace, source: str, target: Path | None) -> int:
    dropped: list[Dropped] = []
    with ExitStack() as files:
        reader = _open_input(source, files, "convert")
        if reader is None:
            return 2
        if target is None:
            out: BinaryIO = sys.stdout.buffer
        else:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                out = files.enter_context(target.open("wb"))
            except OSError as exc:
                print(f"adapters convert: cannot write {target}: {exc.strerror}", file=sys.stderr)
                return 2
        converter = Converter(
            args.to,
            provider=args.source_format,
            mode=args.input_mode,
            output_mode=args.mode,
            id=args.id,
            model=args.model,
            created=args.created,
            request_id=args.request_id,
            include_usage=args.include_usage,
            strict=not args.lenient,
            wire=args.wire if args.to == "events" else None,
            on_mismatch="resync" if args.resync else "error",
            split_glued=args.split_glued,
            dropped=dropped,
        )
        status = 0
        try:
            for chunk in _read_chunks(reader):
                out.write(converter.feed(chunk))
            while tail := converter.close():
                out.write(tail)
        except AdapterError as exc:
            print(f"adapters convert: {source}: {exc}", file=sys.stderr)
            status = 2 if exc.kind == "unknown_provider" else 1
        out.flush()
    for diagnostic in converter.diagnostics:
        print(
            f"adapters convert: {source}: byte {diagnostic.offset}, frame {diagnostic.frame}: "
            f"{diagnostic.message}",
            file=sys.stderr,
        )
    for loss in dropped:
        where = f", first in frame {loss.frame}" if loss.frame is not None else ""
        print(
            f"adapters convert: {source}: dropped ({loss.kind}): {loss.what}, "
            f"{loss.count} time{'s' if loss.count != 1 else ''}{where}; "
            f"{args.to} cannot carry it",
            file=sys.stderr,
        )
    return status


def _check(args: argparse.Namespace) -> int:
    from adapters._check import check

    if not _stdin_once(args.inputs, "check"):
        return 2
    status = 0
    records: list[dict[str, object]] = []
    for source in args.inputs:
        with ExitStack() as files:
            reader = _open_input(source, files, "check")
            if reader is None:
                status = 2
                continue
            found = check(
                _read_chunks(reader),
                provider=args.provider,
                mode=args.mode,
                max_line_size=args.max_line_size,
            )
        for violation in found:
            if violation.severity == "error":
                status = max(status, 1)
            if args.format == "json":
                records.append({"path": source, **dataclasses.asdict(violation)})
            else:
                where = ":".join(
                    "-" if value is None else str(value)
                    for value in (violation.frame, violation.offset)
                )
                rule = f"{violation.rule} {violation.severity}"
                print(f"{source}:{where}: {rule}: {violation.message}")
    if args.format == "json":
        print(json.dumps(records, ensure_ascii=False, indent=1))
    return status


def _normalize(args: argparse.Namespace) -> int:
    from adapters._corpus import Progress, Summary, find_recordings, normalize_corpus

    try:
        files = find_recordings(args.directory, args.glob)
    except OSError as exc:
        print(f"adapters normalize: {exc}", file=sys.stderr)
        return 2
    except (ValueError, NotImplementedError):  # pathlib refuses the pattern
        print(
            f"adapters normalize: --glob {args.glob!r} is not a pattern relative to "
            f"{args.directory}; expected something like '*.sse' or 'openai/**/*.sse'",
            file=sys.stderr,
        )
        return 2
    to_stdout = args.output == "-"
    if not to_stdout:  # never read the output as an input (say, with --glob '*')
        files = [path for path in files if path.resolve() != Path(args.output).resolve()]
    if not files:
        print(
            f"adapters normalize: no recordings matching {args.glob!r} under {args.directory}",
            file=sys.stderr,
        )
        return 2
    summary = Summary()
    progress = Progress(len(files), sys.stderr, label="normalize ")
    with ExitStack() as stack:
        if to_stdout:
            out: BinaryIO = sys.stdout.buffer
        else:
            try:
                out = stack.enter_context(Path(args.output).open("wb"))
            except OSError as exc:
                print(
                    f"adapters normalize: cannot write {args.output}: {exc.strerror}",
                    file=sys.stderr,
                )
                return 2
        stack.callback(progress.close)
        records = normalize_corpus(
            args.directory,
            paths=files,
            provider=args.provider,
            mode=args.mode,
            strict=not args.lenient,
            split_glued=args.split_glued,
            jobs=args.jobs,
        )
        for record in records:
            out.write(record.to_json().encode("utf-8") + b"\n")
            summary.add(record)
            progress.advance(record.path)
        out.flush()
    # The table goes where it does not mix with the JSON Lines.
    print(summary.table(), file=sys.stderr if to_stdout else sys.stdout)
    return 1 if summary.broken else 0


def _jobs(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise argparse.ArgumentTypeError(f"expected a number of processes or 'auto', not {value!r}")
    return count


def _redact(args: argparse.Namespace) -> int:
    from adapters._redact import RedactionError, redact

    with ExitStack() as files:
        reader = _open_input(args.input, files, "redact")
        if reader is None:
            return 2
        data = reader.read()
    try:
        done = redact(data, args.format)
    except RedactionError as exc:
        print(f"adapters redact: {args.input}: {exc}", file=sys.stderr)
        return 2
    if args.output == "-":
        sys.stdout.buffer.write(done.data)
        sys.stdout.buffer.flush()
    else:
        try:
            Path(args.output).write_bytes(done.data)
        except OSError as exc:
            print(f"adapters redact: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return 2
    if done.total:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(done.counts.items()))
        report = f"redacted {done.total} secret{'s' if done.total != 1 else ''} ({kinds})"
    else:
        report = "no secrets found; the output is the input unchanged"
    print(f"adapters redact: {args.input} ({done.format}): {report}", file=sys.stderr)
    return 0


def _add_check(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser(
        "check",
        help="check recorded streams against the protocol rules",
        description="Check recorded streams against the SSE, OpenAI and DashScope rules "
        "(docs/check.md) and report every finding with its rule id, frame and byte offset. "
        "Exit status: 1 if any finding is an error, 2 if an input cannot be read, else 0.",
        epilog=_CHECK_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument(
        "inputs", metavar="IN", nargs="+", help="recorded streams; - for standard input"
    )
    check.add_argument(
        "--provider",
        choices=("auto", "openai", "dashscope"),
        default="auto",
        help="the streams' format (default: tell from the first bytes)",
    )
    check.add_argument(
        "--mode",
        choices=("auto", "incremental", "cumulative"),
        default="auto",
        help="a DashScope stream's output mode (default: tell from the frames)",
    )
    check.add_argument(
        "--max-line-size",
        type=int,
        default=1024 * 1024,
        help="the longest line allowed, in bytes (default: 1 MiB)",
    )
    check.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: one finding a line (default); json: one array of findings",
    )
    check.set_defaults(run=_check)


def _add_normalize(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    normalize = commands.add_parser(
        "normalize",
        help="normalize a directory of recordings into one JSON Lines file",
        description="Walk DIR (recursively) for recordings of either provider and write one "
        "JSON line per stream: its path, provider, mode, normalized events (without wire "
        "layout) and checker findings, in path order. A progress bar is drawn on standard "
        "error when it is a terminal; a summary table ends the run.",
        epilog=_NORMALIZE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    normalize.add_argument("directory", metavar="DIR", help="the folder of recordings")
    normalize.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="the JSON Lines file; - for stdout"
    )
    normalize.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=1,
        metavar="N",
        help="worker processes; 0 or auto: every core (default: 1). "
        "The output is the same for any N",
    )
    normalize.add_argument(
        "--provider",
        choices=("auto", "openai", "dashscope"),
        default="auto",
        help="the recordings' format (default: tell each from its first bytes)",
    )
    normalize.add_argument(
        "--mode",
        choices=("auto", "incremental", "cumulative"),
        default="auto",
        help="DashScope output mode (default: as the decoder tells from the frames)",
    )
    normalize.add_argument(
        "--glob",
        default="*.sse",
        metavar="PATTERN",
        help="file names to take, in every folder (default: *.sse)",
    )
    normalize.add_argument(
        "--split-glued",
        action="store_true",
        help="DashScope: split frames recorded with no blank line between them",
    )
    normalize.add_argument(
        "--lenient",
        action="store_true",
        help="repair what can be repaired (reported as diagnostics) instead of failing the file",
    )
    normalize.set_defaults(run=_normalize)


def _add_redact(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    redact = commands.add_parser(
        "redact",
        help="remove API keys and other secrets from a recorded exchange",
        description="Replace API keys, tokens and cookies in a recorded HTTP exchange, "
        "HAR file or stream body with <redacted>, changing nothing else.",
        epilog=_REDACT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    redact.add_argument("input", metavar="IN", help="the recording, or - for standard input")
    redact.add_argument(
        "-o", "--output", default="-", metavar="OUT", help="where to write (default: stdout)"
    )
    redact.add_argument(
        "--format",
        choices=("auto", "http", "curl", "har", "json", "sse"),
        default="auto",
        help="the input's format (default: tell from the first bytes)",
    )
    redact.set_defaults(run=_redact)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adapters",
        description="DashScope native SSE and OpenAI chat.completion.chunk streams, exactly.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_check(commands)
    _add_normalize(commands)
    _add_redact(commands)
    frames = commands.add_parser(
        "frames",
        help="decode the SSE framing of a recording",
        description="Decode the SSE framing of a recording (WHATWG rules; comments, "
        "id-only blocks and a block cut off at the end are kept).",
        epilog=_FRAMES_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    frames.add_argument("input", metavar="IN", help="a recorded stream, or - for standard input")
    frames.add_argument("-o", "--output", default="-", help="where to write (default: stdout)")
    frames.add_argument(
        "--format",
        choices=("json", "sse"),
        default="json",
        help="json: one object per frame (default); sse: the frames re-encoded, byte for byte "
        "(invalid UTF-8 comes back as U+FFFD)",
    )
    frames.add_argument(
        "--strict-utf8",
        action="store_true",
        help="fail on invalid UTF-8 instead of replacing it with U+FFFD",
    )
    frames.set_defaults(run=_frames)
    convert = commands.add_parser(
        "convert",
        help="decode a recorded stream into normalized events, or re-encode it",
        description="Decode a recorded stream and write it as normalized events "
        "(JSON Lines, one event a line), in OpenAI's chat.completion.chunk format, or "
        "in DashScope's native format.",
        epilog=_CONVERT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    convert.add_argument(
        "inputs", metavar="IN", nargs="+", help="recorded streams; - for standard input"
    )
    convert.add_argument(
        "-o",
        "--output",
        default="-",
        help="a file, or a directory for <name>.<ext> files (several inputs need one, "
        "except --to events); default: stdout",
    )
    convert.add_argument(
        "--to", required=True, choices=("events", "openai", "dashscope"), help="the output format"
    )
    convert.add_argument(
        "--from",
        dest="source_format",
        choices=("auto", "openai", "dashscope"),
        default="auto",
        help="the input format (default: tell from the first bytes)",
    )
    convert.add_argument(
        "--mode",
        choices=("incremental", "cumulative"),
        default="incremental",
        help="--to dashscope: each frame the new piece (default) or the whole value so far",
    )
    convert.add_argument(
        "--input-mode",
        choices=("auto", "incremental", "cumulative"),
        default="auto",
        help="a DashScope input's mode (default: tell from the frames)",
    )
    convert.add_argument(
        "--split-glued",
        action="store_true",
        help="DashScope input: split frames recorded with no blank line between them",
    )
    convert.add_argument(
        "--resync",
        action="store_true",
        help="DashScope cumulative input: a snapshot that rewrites earlier text becomes a "
        "resync event instead of an error",
    )
    convert.add_argument(
        "--no-wire",
        dest="wire",
        action="store_false",
        help="leave out the provider layout that exact re-encoding needs (leaner events)",
    )
    convert.add_argument(
        "--lenient",
        action="store_true",
        help="report malformed frames and keep going instead of stopping at the first",
    )
    convert.add_argument(
        "--model",
        help="--to openai: the model name to write (default: the input's, else 'unknown')",
    )
    convert.add_argument(
        "--id",
        help="--to openai: the response id to write "
        "(default: the input's, else 'chatcmpl-' + its request id)",
    )
    convert.add_argument(
        "--created",
        type=int,
        help="--to openai: the creation time to write, Unix seconds (default: the input's, else 0)",
    )
    convert.add_argument(
        "--request-id",
        help="--to dashscope: the request_id to write (default: the input's, else its response id)",
    )
    usage = convert.add_mutually_exclusive_group()
    usage.add_argument(
        "--include-usage",
        dest="include_usage",
        action="store_const",
        const=True,
        help="--to openai: usage in one last chunk with choices: [] "
        "(as stream_options.include_usage)",
    )
    usage.add_argument(
        "--no-usage",
        dest="include_usage",
        action="store_const",
        const=False,
        help="--to openai: leave usage out",
    )
    convert.set_defaults(run=_convert)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except BrokenPipeError:  # e.g. piped into `head`
        return 0
    except KeyboardInterrupt:  # Ctrl-C: say so, not a traceback (what was written stays)
        print(f"adapters {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

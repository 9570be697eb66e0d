"""The ``adapters`` command line: a thin front end over the library; no protocol logic.

Subcommands so far:

``adapters convert IN [-o OUT] --to events|openai|dashscope [--from auto|openai|dashscope]
[--mode incremental|cumulative] [--input-mode auto|incremental|cumulative] [--no-wire]
[--lenient] [--split-glued] [--resync]``
    Decode a recorded stream into normalized events, written as JSON Lines
    (``--to events``), or re-encode it in OpenAI's format (``--to openai``) or
    DashScope's native one (``--to dashscope``, in ``--mode``).

``adapters frames IN [-o OUT] [--format json|sse]``
    Decode the SSE framing of a recording and write one JSON object per frame
    (``--format json``, the default) or the frames re-encoded (``--format sse``,
    which gives back the input byte for byte when it is valid UTF-8; invalid
    bytes come back as U+FFFD, and are reported). ``-`` is standard input/output.

``adapters check IN... [--provider auto|openai|dashscope] [--format text|json]``
    Check recorded streams against the protocol rules (docs/check.md): one line
    per finding, ``path:frame:offset: RULE severity: message`` (``-`` for no
    frame), or one JSON array with ``--format json``. Exit status 1 if any
    finding is an error, 2 if an input cannot be read, else 0.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
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

EXAMPLES = """\
examples:
  adapters convert fixtures/openai/openai-python-tool-call-gpt-4o.sse --to events
  adapters convert recording.sse --to events --no-wire -o events.jsonl
  adapters convert fixtures/dashscope/cnblogs-text-incremental-qwen-max.sse \
      --to dashscope --mode cumulative
  adapters frames fixtures/dashscope/cnblogs-toolcalls-parallel-incremental-qwen-max.sse
  curl -sN ... | adapters frames - --format json
  adapters frames recording.sse --format sse -o copy.sse   # a byte-identical copy
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


def _convert(args: argparse.Namespace) -> int:
    source = args.input
    dropped: list[Dropped] = []
    with ExitStack() as files:
        reader = _open_input(source, files, "convert")
        if reader is None:
            return 2
        out: BinaryIO = (
            sys.stdout.buffer
            if args.output == "-"
            else files.enter_context(Path(args.output).open("wb"))
        )
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
            status = 1
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


def _add_check(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser(
        "check",
        help="check recorded streams against the protocol rules",
        description="Check recorded streams against the SSE, OpenAI and DashScope rules "
        "(docs/check.md) and report every finding with its rule id, frame and byte offset. "
        "Exit status: 1 if any finding is an error, 2 if an input cannot be read, else 0.",
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adapters",
        description="DashScope native SSE and OpenAI chat.completion.chunk streams, exactly.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_check(commands)
    frames = commands.add_parser(
        "frames",
        help="decode the SSE framing of a recording",
        description="Decode the SSE framing of a recording (WHATWG rules; comments, "
        "id-only blocks and a block cut off at the end are kept).",
        epilog=EXAMPLES,
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
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    convert.add_argument("input", metavar="IN", help="a recorded stream, or - for standard input")
    convert.add_argument("-o", "--output", default="-", help="where to write (default: stdout)")
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Remove API keys and other secrets from a recorded exchange before it is shared.

Strategy: change the secrets and nothing else. Every format is edited in
place, by position, never parsed and written back: an SSE body keeps its bytes
(line endings, key order, invalid UTF-8 and all) except where a secret was,
and a HAR file keeps its JSON layout except inside the strings that held one.
A secret is replaced by a fixed marker that keeps its shape, so the result
still reads as what it was (``Authorization: Bearer <redacted>``,
``sk-<redacted>``, ``?key=<redacted>``), and redacting twice changes nothing.

What counts as a secret:

* the values of the headers in :data:`SECRET_HEADERS` (``Authorization``,
  ``Cookie``, ...): the scheme of an ``Authorization`` value and the names
  and attributes of cookies stay, the rest becomes ``<redacted>``;
* anywhere in the text: ``Bearer <token>``; ``sk-`` keys (OpenAI's and
  DashScope's, ``sk-`` then 20 or more of ``[A-Za-z0-9_-]``); URL query
  parameters named in :data:`SECRET_PARAMS` (``?key=``, ``&api_key=``,
  ``access_token=``); and JSON members named in :data:`SECRET_KEYS`
  (``"api_key": "..."``).

Formats (:data:`FORMATS`; ``"auto"`` tells them apart by their first bytes):

``http``
    A raw HTTP/1.x exchange: request line, headers, blank line, body, then the
    status line, headers, blank line, body (as proxies and ``curl --trace-ascii``
    style tools save them). Headers are redacted by name, bodies by the text
    rules. A body's extent is its ``Content-Length``, else its chunked framing,
    else up to the next request or status line. When a body with a
    ``Content-Length`` (or a chunk) changes length, its length is rewritten to
    match: the only change besides the secrets.
``curl``
    A ``curl -v`` transcript: ``> `` request lines, ``< `` response lines,
    ``* `` notes, and the body. Header lines are redacted by name, all other
    lines by the text rules; nothing is recomputed (a transcript is a log).
``har``
    An HTTP Archive (JSON). Secret ``headers`` / ``queryString`` / ``params``
    entries (by ``name``), every ``cookies`` value, secret JSON members, and
    every other string by the text rules -- a response ``content.text``
    holding the SSE body included (base64 text is decoded, redacted and
    encoded again). The ``size`` fields are left as recorded.
``json``
    A JSON body (a request, a non-streaming response): secret members, and
    every other string by the text rules.
``sse``
    A plain body (an ``.sse`` recording, or any text): the text rules, byte
    by byte.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any, Final, Literal, TypeAlias

__all__ = [
    "FORMATS",
    "MARKER",
    "SECRET_HEADERS",
    "SECRET_KEYS",
    "SECRET_PARAMS",
    "Redaction",
    "RedactionError",
    "detect_format",
    "redact",
]

#: What a secret becomes.
MARKER: Final = "<redacted>"
#: A format :func:`redact` reads.
Format: TypeAlias = Literal["http", "curl", "har", "json", "sse"]
#: Every format, in the order ``"auto"`` tries them.
FORMATS: Final[tuple[Format, ...]] = ("har", "json", "http", "curl", "sse")
#: Headers whose values are secrets (lower case).
SECRET_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "set-cookie"}
)
#: URL query parameters whose values are secrets (lower case).
SECRET_PARAMS: Final = frozenset({"key", "api_key", "apikey", "api-key", "access_token"})
#: JSON members whose string values are secrets (lower case).
SECRET_KEYS: Final = frozenset(
    {"api_key", "apikey", "api-key", "x-api-key", "access_token", "authorization"}
)


_CANONICAL: Final = {
    "authorization": "Authorization",
    "proxy-authorization": "Proxy-Authorization",
    "x-api-key": "X-Api-Key",
    "cookie": "Cookie",
    "set-cookie": "Set-Cookie",
}


class RedactionError(ValueError):
    """The input is not in the format asked for, or its format cannot be told."""


@dataclass
class Redaction:
    """The result of :func:`redact`."""

    #: The input with its secrets replaced.
    data: bytes
    #: The format it was read as.
    format: Format
    #: How many secrets of each kind were replaced (e.g. ``"Authorization header"``).
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """How many secrets were replaced in all."""
        return sum(self.counts.values())


# ---------------------------------------------------------------- the text rules

_M = MARKER.encode()
# A token, not a word: 16 or more token characters, or 6 or more with a digit or
# a punctuation mark ("Bearer of bad news" in model text stays).
_BEARER = re.compile(
    rb"(?i)(\bbearer[ \t]+)(?!<redacted>)"
    rb"(?:[A-Za-z0-9._~+/=-]{16,}|(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{6,})"
)
_SK = re.compile(rb"(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}")
_PARAM = re.compile(
    rb"(?i)((?:^|[?&])(?:"
    + b"|".join(re.escape(p.encode()) for p in sorted(SECRET_PARAMS))
    + rb")=)"
    rb"(?!(?:sk-)?<redacted>)[^&\s\"'#<>]+"
)
_JSON_MEMBER = re.compile(
    rb'(?i)("(?:' + b"|".join(re.escape(k.encode()) for k in sorted(SECRET_KEYS)) + rb')"'
    rb'\s*:\s*")(?!<redacted>")(?:[^"\\]|\\.)+(")'
)


def _text(data: bytes, counts: Counter[str]) -> bytes:
    """The text rules, on bytes: only the matched spans change."""

    def sub(
        pattern: re.Pattern[bytes], label: str, repl: Callable[[re.Match[bytes]], bytes]
    ) -> None:
        nonlocal data

        def count(match: re.Match[bytes]) -> bytes:
            counts[label] += 1
            return repl(match)

        data = pattern.sub(count, data)

    # A JSON member first: its value may itself look like a bearer token or a key.
    sub(_JSON_MEMBER, "JSON member", lambda m: m[1] + _M + m[2])
    sub(_BEARER, "Bearer token", lambda m: m[1] + _M)
    sub(_SK, "sk- key", lambda m: b"sk-" + _M)
    sub(_PARAM, "query parameter", lambda m: m[1] + _M)
    return data


def _text_str(text: str, counts: Counter[str]) -> str:
    raw = text.encode("utf-8", "surrogatepass")
    done = _text(raw, counts)
    return text if done == raw else done.decode("utf-8", "surrogatepass")


# ---------------------------------------------------------------- headers

_TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_HEADER = re.compile(rb"(" + _TOKEN + rb")([ \t]*:[ \t]*)(.*?)([ \t]*)(\r?\n|\r)?\Z", re.DOTALL)


def _header_value(name: str, value: bytes, counts: Counter[str]) -> bytes:
    """A secret header's value with its secrets replaced, its shape kept."""
    lower = name.lower()
    label = f"{_CANONICAL.get(lower, name)} header"
    if not value or value.endswith(_M):
        return value
    if lower in {"authorization", "proxy-authorization"}:
        scheme, space, credentials = value.partition(b" ")
        counts[label] += 1
        # "Bearer <token>" keeps its scheme; a bare token goes whole.
        return scheme + space + _M if credentials.strip() else _M
    if lower in {"cookie", "set-cookie"}:
        parts = value.split(b";")
        # Cookie: every name=value pair; Set-Cookie: only the first (the rest are attributes).
        secret = range(len(parts)) if lower == "cookie" else range(1)
        for i in secret:
            cookie, equals, content = parts[i].partition(b"=")
            if equals and content and content != _M:
                parts[i] = cookie + b"=" + _M
        done = b";".join(parts)
        if done != value:
            counts[label] += 1
        return done
    counts[label] += 1
    return _M


def _header_line(line: bytes, counts: Counter[str]) -> bytes:
    """One ``Name: value`` line (with its line ending): by name, else the text rules."""
    match = _HEADER.match(line)
    if match is None or match[1].decode("ascii").lower() not in SECRET_HEADERS:
        return _text(line, counts)
    value = _header_value(match[1].decode("ascii"), match[3], counts)
    return match[1] + match[2] + value + match[4] + (match[5] or b"")


# ---------------------------------------------------------------- HTTP exchange

_REQUEST_LINE = re.compile(rb"[A-Z]+ \S+ HTTP/\d(?:\.\d)?\r?$")
_STATUS_LINE = re.compile(rb"HTTP/\d(?:\.\d)? \d{3}(?: [^\r\n]*)?\r?$")
_START = re.compile(
    rb"^(?:[A-Z]+ \S+ HTTP/\d(?:\.\d)?|HTTP/\d(?:\.\d)? \d{3}(?: [^\r\n]*)?)\r?$", re.MULTILINE
)
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\n|\r)?")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]+)([^\r\n]*)(\r?\n)")


def _is_start(line: bytes) -> bool:
    return bool(_REQUEST_LINE.match(line) or _STATUS_LINE.match(line))


def _lines(data: bytes, pos: int) -> tuple[list[bytes], int]:
    """The head of a message from ``pos``: its lines up to and including the blank one."""
    lines: list[bytes] = []
    while pos < len(data):
        line = _LINE.match(data, pos)
        assert line is not None
        lines.append(line[0])
        pos = line.end()
        if line[0] in (b"\r\n", b"\n", b"\r"):
            break
    return lines, pos


def _chunked(data: bytes, pos: int, counts: Counter[str]) -> tuple[bytes, int] | None:
    """A chunked body from ``pos``, redacted as one body (a secret may straddle
    two chunks) and cut again at the old chunk sizes where it can; ``None`` when
    the bytes do not follow chunked framing (a capture that stored the decoded body)."""
    heads: list[re.Match[bytes]] = []
    endings: list[bytes] = []
    contents: list[bytes] = []
    while True:
        size = _CHUNK_SIZE.match(data, pos)
        if size is None:
            return None
        length = int(size[1], 16)
        start = size.end()
        if length == 0:
            # The last chunk, trailers (headers), and the blank line.
            trailers, end = _lines(data, start)
            last = [size[0]] + [_header_line(line, counts) for line in trailers]
            break
        stop = start + length
        ending = re.match(rb"\r?\n", data[stop : stop + 2])
        if stop > len(data) or ending is None:
            return None
        heads.append(size)
        endings.append(ending[0])
        contents.append(data[start:stop])
        pos = stop + len(ending[0])
    body = b"".join(contents)
    redacted = _text(body, counts)
    if redacted == body:
        return data[heads[0].start() if heads else 0 : end] if heads else b"".join(last), end
    out: list[bytes] = []
    at = 0
    for number, head in enumerate(heads):
        final = number == len(heads) - 1
        piece = redacted[at:] if final else redacted[at : at + len(contents[number])]
        if not piece:
            break
        at += len(piece)
        digits = (b"%X" if head[1].isupper() else b"%x") % len(piece)
        out += [digits, head[2], head[3], piece, endings[number]]
    return b"".join(out + last), end


def _redact_http(data: bytes, counts: Counter[str]) -> bytes:
    out: list[bytes] = []
    pos = 0
    while pos < len(data):
        head, pos = _lines(data, pos)
        if not _is_start(head[0]):
            if head[0].strip():
                raise RedactionError(
                    f"byte {pos - sum(map(len, head))}: expected a request line "
                    f"('POST /path HTTP/1.1') or a status line ('HTTP/1.1 200 OK'), "
                    f"found {head[0][:60]!r}"
                )
            out.append(head[0])  # a blank line between messages
            continue
        lines = [_text(head[0], counts)] + [_header_line(line, counts) for line in head[1:]]
        fields: dict[str, tuple[int, bytes]] = {}
        for number, line in enumerate(head[1:], 1):
            match = _HEADER.match(line)
            if match is not None:
                fields[match[1].decode("ascii").lower()] = (number, match[3])
        body, pos = _http_body(data, pos, fields, lines, counts)
        out += [*lines, body]
    return b"".join(out)


def _http_body(
    data: bytes,
    pos: int,
    fields: dict[str, tuple[int, bytes]],
    lines: list[bytes],
    counts: Counter[str],
) -> tuple[bytes, int]:
    """The body after a head: redacted, with its length header kept true."""
    if b"chunked" in fields.get("transfer-encoding", (0, b""))[1].lower():
        chunked = _chunked(data, pos, counts)
        if chunked is not None:
            return chunked
    length = fields.get("content-length")
    if length is not None and length[1].strip().isdigit():
        end = pos + int(length[1])
        if end <= len(data):
            body = _text(data[pos:end], counts)
            if len(body) != end - pos:
                number = length[0]
                lines[number] = lines[number].replace(length[1], str(len(body)).encode(), 1)
            return body, end
    # No length to go by: up to the next request or status line.
    following = _START.search(data, pos)
    end = following.start() if following is not None else len(data)
    return _text(data[pos:end], counts), end


# ---------------------------------------------------------------- curl -v transcript

_CURL_HEADER = re.compile(rb"([<>] )(.*)", re.DOTALL)
#: curl 8's HTTP/2 and HTTP/3 info lines repeat each request header:
#: ``* [HTTP/2] [1] [authorization: Bearer ...]``.
_CURL_H2_HEADER = re.compile(rb"(\* \[HTTP/[23]\] \[\d+\] \[)([^\]\r\n]*)(\].*)", re.DOTALL)


def _redact_curl(data: bytes, counts: Counter[str]) -> bytes:
    out: list[bytes] = []
    for match in _LINE.finditer(data):
        line = match[0]
        prefixed = _CURL_HEADER.match(line)
        info = _CURL_H2_HEADER.match(line)
        if prefixed is not None:
            out.append(prefixed[1] + _header_line(prefixed[2], counts))
        elif info is not None:
            out.append(info[1] + _header_line(info[2], counts) + info[3])
        else:
            out.append(_text(line, counts))
    return b"".join(out)


# ---------------------------------------------------------------- JSON and HAR

_Path: TypeAlias = tuple[str | int, ...]
_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null|NaN|-?Infinity")


def _string_spans(text: str) -> dict[_Path, tuple[int, int]]:
    """Where each string *value* of a JSON document is (quotes included), by path.

    The document was already read by :func:`json.loads`, so it is valid here.
    """
    spans: dict[_Path, tuple[int, int]] = {}

    def skip(i: int) -> int:
        match = _WS.match(text, i)
        assert match is not None
        return match.end()

    def value(i: int, path: _Path) -> int:
        i = skip(i)
        if text[i] == '"':
            _, end = scanstring(text, i + 1)
            spans[path] = (i, end)
            return int(end)
        if text[i] in "{[":
            close = "}" if text[i] == "{" else "]"
            i = skip(i + 1)
            index = 0
            while text[i] != close:
                if close == "}":
                    key, i = scanstring(text, skip(i) + 1)
                    i = skip(skip(i) + 1)  # the colon
                    i = value(i, (*path, key))
                else:
                    i = value(i, (*path, index))
                index += 1
                i = skip(i)
                if text[i] == ",":
                    i = skip(i + 1)
            return i + 1
        match = _SCALAR.match(text, i)
        assert match is not None, text[i : i + 20]
        return match.end()

    value(0, ())
    return spans


def _redact_json_values(document: Any, counts: Counter[str]) -> dict[_Path, str]:
    """New string values by path, for every string that held a secret."""
    changed: dict[_Path, str] = {}

    def put(path: _Path, old: str, new: str) -> None:
        if new != old:
            changed[path] = new

    def secret(path: _Path, old: str, label: str) -> None:
        if old and old != MARKER:
            counts[label] += 1
            put(path, old, MARKER)

    def walk(node: Any, path: _Path, parent: str | int | None) -> None:
        if isinstance(node, dict):
            name = node.get("name")
            if isinstance(name, str) and isinstance(node.get("value"), str):
                lower = name.lower()
                value = node["value"]
                if parent == "headers" and lower in SECRET_HEADERS:
                    new = _header_value(name, value.encode(), counts).decode()
                    put((*path, "value"), value, new)
                    return
                if parent == "cookies":
                    secret((*path, "value"), value, "HAR cookie")
                    return
                if parent in {"queryString", "params"} and lower in SECRET_PARAMS | SECRET_KEYS:
                    secret((*path, "value"), value, "query parameter")
                    return
            if node.get("encoding") == "base64" and isinstance(node.get("text"), str):
                wrapped = "\n" in node["text"]
                try:  # line-wrapped base64 (76 columns) is base64 too
                    raw = base64.b64decode("".join(node["text"].split()), validate=True)
                except (binascii.Error, ValueError):
                    pass
                else:
                    done = _text(raw, counts)
                    if done != raw:
                        encoded = base64.encodebytes(done) if wrapped else base64.b64encode(done)
                        changed[(*path, "text")] = encoded.decode("ascii")
                    node = {k: v for k, v in node.items() if k != "text"}
            for key, item in node.items():
                if isinstance(item, str) and key.lower() in SECRET_HEADERS | SECRET_KEYS:
                    if key.lower() in SECRET_HEADERS:
                        put((*path, key), item, _header_value(key, item.encode(), counts).decode())
                    else:
                        secret((*path, key), item, "JSON member")
                else:
                    walk(item, (*path, key), key)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, (*path, index), parent)
        elif isinstance(node, str):
            put(path, node, _text_str(node, counts))

    walk(document, (), None)
    return changed


def _redact_json(data: bytes, counts: Counter[str]) -> bytes:
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data[3 if bom else 0 :].decode("utf-8")
        document = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RedactionError(f"not a JSON document: {exc}") from None
    changed = _redact_json_values(document, counts)
    if not changed:
        return data
    spans = _string_spans(text)
    pieces: list[str] = []
    last = 0
    for path, new in sorted(changed.items(), key=lambda item: spans[item[0]]):
        start, end = spans[path]
        literal = text[start:end]
        pieces += [text[last:start], json.dumps(new, ensure_ascii="\\u" in literal)]
        last = end
    pieces.append(text[last:])
    out = "".join(pieces).encode("utf-8")
    # A member repeated in one object (JSON keeps the last): the earlier copies too.
    out = _JSON_MEMBER.sub(lambda m: _left_member(m, counts), out)
    return (b"\xef\xbb\xbf" if bom else b"") + out


def _left_member(match: re.Match[bytes], counts: Counter[str]) -> bytes:
    if _M in match[0]:  # redacted already ("Token <redacted>")
        return match[0]
    counts["JSON member"] += 1
    return match[1] + _M + match[2]


# ---------------------------------------------------------------- the entry point


def _looks_like_har(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and re.search(rb'"log"\s*:\s*\{', head) is not None


def detect_format(data: bytes) -> Format | None:
    """The format of a recording, told from its first bytes; ``None`` if none fits.

    >>> detect_format(b"POST /v1/chat/completions HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
    'http'
    >>> detect_format(b"* Connected\\n> POST / HTTP/1.1\\n")
    'curl'
    >>> detect_format(b'{"log": {"version": "1.2", "entries": []}}')
    'har'
    >>> detect_format(b'data: {"id":"c1"}\\n\\n'), detect_format(b'{"model": "m"}')
    ('sse', 'json')
    >>> detect_format(b"hello") is None
    True
    """
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    first = _LINE.match(text)
    line = first[0] if first is not None else b""
    if _looks_like_har(data):
        return "har"
    if text[:1] in (b"{", b"["):
        return "json"
    if _is_start(line):
        return "http"
    if re.match(rb"[*<>] ", text):
        return "curl"
    if re.match(rb"(?:data|event|id|retry)\s*:|:", text):
        return "sse"
    return None


_REDACTORS: Final[dict[Format, Callable[[bytes, Counter[str]], bytes]]] = {
    "http": _redact_http,
    "curl": _redact_curl,
    "har": _redact_json,
    "json": _redact_json,
    "sse": _text,
}


def redact(data: bytes, format: Format | Literal["auto"] = "auto") -> Redaction:  # noqa: A002
    """Replace the secrets in a recording; everything else stays byte for byte.

    >>> done = redact(b"GET /v1/models?key=abc123 HTTP/1.1\\r\\n"
    ...               b"Authorization: Bearer sk-0123456789abcdefghijklmn\\r\\n\\r\\n")
    >>> for line in done.data.splitlines():
    ...     print(line.decode())
    GET /v1/models?key=<redacted> HTTP/1.1
    Authorization: Bearer <redacted>
    <BLANKLINE>
    >>> done.format, sorted(done.counts.items())
    ('http', [('Authorization header', 1), ('query parameter', 1)])

    :param format: one of :data:`FORMATS`, or ``"auto"`` to tell from the first bytes.
    :raises RedactionError: the format cannot be told, or the data is not in it.
    """
    if format == "auto":
        found = detect_format(data)
        if found is None:
            raise RedactionError(
                "cannot tell the format: expected an HTTP exchange (a request or status "
                "line first), a curl -v transcript ('> ' / '< ' / '* ' lines), a HAR file "
                "or a JSON body ('{'), or an SSE body ('data:' / 'id:' / 'event:' / ':' lines)"
            )
        format = found  # noqa: A001
    if format not in _REDACTORS:
        known = ", ".join(FORMATS)
        raise RedactionError(f"format must be 'auto' or one of {known}, not {format!r}")
    counts: Counter[str] = Counter()
    return Redaction(_REDACTORS[format](data, counts), format, counts)

"""Server-sent events framing: bytes <-> :class:`SSEFrame`, sans I/O.

Strategy
--------
This is the bottom layer of the library and the only one that sees bytes. It
implements the WHATWG HTML Standard, section 9.2.6 "Interpreting an event
stream" (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation),
with three deliberate differences from a browser's ``EventSource``, all of them
in the direction of *keeping* information:

* every non-empty block comes back as a frame, also blocks with no ``data``
  (an ``id``-only block, a comment-only keep-alive); a browser would dispatch
  exactly the frames whose ``data`` is not ``None``;
* comments are kept on the frame (DashScope puts the only copy of the real
  HTTP status in the comment ``:HTTP_STATUS/200``);
* a block cut off by the end of the input is returned by :meth:`SSEDecoder.close`
  with ``complete=False`` instead of being discarded (DashScope error streams
  end without their final blank line).

Every decoded frame remembers the exact text it came from, so
:func:`encode_frame` gives back the original bytes: ``id:1`` stays ``id:1``
(DashScope writes no space after the colon), ``data: x`` stays ``data: x``
(OpenAI writes one), CRLF stays CRLF. Frames built in code are written in a
canonical layout instead (see :func:`encode_frame`).

How the decoder works: bytes are decoded to text as they come (the bytes of a
character split across chunks are held until its end arrives), then the text
of the block being received is kept until a blank line completes it. Line
ends are recognised on the joined text, so a CR at the end of one chunk and an
LF at the start of the next form one CRLF, as the standard requires.

Three shortcuts serve the streams that real servers send, and property tests
hold each to the same frames as the general path: text whose line ends are all
LF is cut into blocks with one ``str.split("\\n\\n")``; a chunk that is exactly
one block (how servers flush events) is recognised by its own line breaks; and
a multi-line layout that repeats on every event (DashScope's ``id``, ``event``,
``:HTTP_STATUS``, ``data``) is interpreted once and then recognised. Anything
with a CR in it takes the general path, line by line.

Memory is bounded: one block (its lines and line ends, not the blank line
that ends it) and one run of blank lines between blocks may not grow beyond
``max_buffer_size`` characters; past that the decoder raises
:class:`~adapters.DecodeError` and stays failed. What else a decoder keeps is
small and capped: remembered layouts (64 short ones), diagnostics
(``max_diagnostics``), and bookkeeping for invalid UTF-8 in the held block.
"""

from __future__ import annotations

import codecs
import re
import threading
from bisect import bisect_right, insort
from codecs import utf_8_decode as _utf8_decode
from collections.abc import Iterable
from itertools import accumulate
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Final, Literal

from ._errors import DecodeError, Diagnostic, EncodeError

__all__ = [
    "DEFAULT_MAX_BUFFER_SIZE",
    "SSEDecoder",
    "SSEFrame",
    "decode_frames",
    "encode_frame",
    "encode_frames",
]

#: Default bound on one block, in characters of decoded text. Precedents: h11
#: bounds an incomplete HTTP head at 16 KiB, eventsource-parser and Node's
#: undici do not bound at all. An SSE event here is one JSON chunk, but a
#: cumulative DashScope stream repeats the whole answer (reasoning included) in
#: every event, and multimodal chunks may carry base64 audio, so the bound is
#: generous: large enough for any real event, small enough that a stream with
#: no blank line cannot exhaust memory.
DEFAULT_MAX_BUFFER_SIZE: Final = 16 * 1024 * 1024

#: How many diagnostics one decoder keeps; later ones are only counted.
DEFAULT_MAX_DIAGNOSTICS: Final = 1000

# A blank line: a line end followed by another ("\r\n" is one line end, so
# "\r\n" followed by a line end is blank, but "\r" followed by "\n" is not).
_BLANK_LINE: Final = re.compile(r"\n[\r\n]|\r\r|\r\n[\r\n]")

# WHATWG: "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE
# FEED (CRLF) character pair, a single U+000A LINE FEED (LF) character, or a
# single U+000D CARRIAGE RETURN (CR) character."  No other character ends a line
# (not U+0085, U+2028, U+2029, VT or FF), which is why str.splitlines() is never
# used here.
_EOL: Final = re.compile(r"\r\n|\r|\n")


_BOM: Final = "\ufeff"


class _Found(threading.local):
    """Invalid UTF-8 met by the current decode call, in this thread."""

    errors: list[tuple[int, int, str]]


_FOUND: Final = _Found()


def _note_invalid(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: replace like "replace" does, and note where."""
    if not isinstance(error, UnicodeDecodeError):  # pragma: no cover - decode only
        raise error
    _FOUND.errors.append((error.start, error.end, error.reason))
    return "\ufffd", error.end


# A codec error handler is looked up by name; this one is the library's own.
_NOTE_INVALID: Final = "adapters.sse.note-invalid"
codecs.register_error(_NOTE_INVALID, _note_invalid)


def _in_input_order(diagnostic: Diagnostic) -> tuple[int, bool]:
    # By offset; at the same offset a repaired byte before the ignored line it
    # starts (an ignored line's offset is that of its block).
    return diagnostic.offset, diagnostic.kind != "invalid_utf8"


# What the lines of a block before its final data line set: event, id, retry, comments.
_Head = tuple[str | None, str | None, int | None, tuple[str, ...]]
_UNKNOWN: Final[Any] = object()
_NO_HEAD: Final[_Head] = (None, None, None, ())
# How many distinct heads a decoder remembers (a stream has one or two), and
# how long one may be (DashScope's is 30 characters).
_MAX_HEADS: Final = 64
_MAX_HEAD_LENGTH: Final = 1024

LineEnding = Literal["\n", "\r\n", "\r"]


_FIELDS: Final = ("event", "data", "id", "retry", "comments", "complete")


class SSEFrame(tuple[Any, ...]):
    """One block of an event stream: the lines between two blank lines.

    Build one in code to encode it (``SSEFrame(data="hi")``); the decoder builds
    them from bytes. Frames are immutable values: two frames are equal when
    their six fields are equal, and they can be hashed. A decoded frame also
    remembers the exact text it came from (see :attr:`raw`), which takes no
    part in comparisons; :meth:`replace` returns a frame without it.

    (A frame is a tuple underneath, because a tuple is the cheapest immutable
    object Python can build and a stream has tens of thousands of frames. Use
    the attributes; the tuple layout is not part of the API.)
    """

    __slots__ = ()

    def __new__(  # noqa: PLR0917 - the six fields, in the order of the standard's prose
        cls,
        event: str | None = None,
        data: str | None = None,
        id: str | None = None,  # noqa: A002 - the SSE field is called id
        retry: int | None = None,
        comments: Iterable[str] = (),
        complete: bool = True,
    ) -> SSEFrame:
        if isinstance(comments, str):
            raise TypeError("comments takes an iterable of comment strings, not one string")
        return _new_tuple(cls, (event, data, id, retry, tuple(comments), complete, None, ""))

    if TYPE_CHECKING:

        @property
        def event(self) -> str | None: ...
        @property
        def data(self) -> str | None: ...
        @property
        def id(self) -> str | None: ...
        @property
        def retry(self) -> int | None: ...
        @property
        def comments(self) -> tuple[str, ...]: ...
        @property
        def complete(self) -> bool: ...

    else:
        event = property(
            itemgetter(0),
            doc="Value of the last ``event`` field, ``None`` if the block had none. "
            "``''`` (an ``event:`` line with no value) means the default type, ``message``.",
        )
        data = property(
            itemgetter(1),
            doc="The ``data`` field values joined with ``'\\n'``, ``None`` if the block had "
            "no ``data`` field. A browser dispatches exactly the blocks where this is not None.",
        )
        id = property(
            itemgetter(2),
            doc="Value of the last ``id`` field that contained no NUL, ``None`` if none. "
            "``''`` resets the last event ID.",
        )
        retry = property(
            itemgetter(3),
            doc="Value of the last ``retry`` field made of ASCII digits only, as an int.",
        )
        comments = property(
            itemgetter(4),
            doc="Comment lines, in order, without their leading ``:`` "
            "(a space after the colon is part of the comment: ``': ping'`` gives ``' ping'``).",
        )
        complete = property(
            itemgetter(5),
            doc="``False`` only for a block cut off by the end of the input, which "
            ":meth:`SSEDecoder.close` returns instead of discarding it.",
        )

    @property
    def raw(self) -> str | None:
        """The exact text this frame was decoded from, or ``None`` if built in code.

        It runs from the end of the previous frame to the blank line that ended
        this one, so it includes blank lines before the block. A byte order mark
        at the start of the stream is no frame's (see :attr:`SSEDecoder.bom`).
        The ``raw`` of every frame of a stream, then the decoder's
        :attr:`~SSEDecoder.trailer`, gives back the stream.

        One edge: a block whose final blank line is a CR that ends a chunk is
        dispatched at once (the standard says a CR ends a line), so if the next
        chunk starts with the LF of a CRLF, that LF is counted with the next
        frame (or the trailer) rather than this one.
        """
        body: str | None = self[6]
        return None if body is None else body + self[7]

    def replace(self, **changes: Any) -> SSEFrame:
        """A copy with some fields changed (and, being new, no :attr:`raw`).

        >>> SSEFrame(data="a", id="1").replace(data="b")
        SSEFrame(event=None, data='b', id='1', retry=None, comments=(), complete=True)
        """
        unknown = changes.keys() - set(_FIELDS)
        if unknown:
            raise TypeError(f"SSEFrame has no field {sorted(unknown)[0]!r}")
        fields = dict(zip(_FIELDS, self[:6], strict=True))
        fields.update(changes)
        return SSEFrame(**fields)

    __replace__ = replace  # copy.replace() on Python 3.13+

    def __repr__(self) -> str:
        inner = ", ".join(
            f"{name}={value!r}" for name, value in zip(_FIELDS, self[:6], strict=True)
        )
        return f"SSEFrame({inner})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SSEFrame):
            return self[:6] == other[:6]
        if isinstance(other, tuple):
            return False  # a frame is not the tuple it is made of
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self[:6])

    # Frames are not ordered, whatever tuples are.
    def __lt__(self, other: object) -> bool:
        raise TypeError("SSEFrame objects are not ordered")

    __le__ = __gt__ = __ge__ = __lt__

    def __reduce__(self) -> tuple[Any, tuple[tuple[Any, ...]]]:
        return (_new_tuple, (SSEFrame, tuple(self)))  # type: ignore[return-value]


_new_tuple = tuple.__new__


class SSEDecoder:
    """Incremental event-stream decoder: feed bytes, get complete frames.

    >>> dec = SSEDecoder()
    >>> dec.feed(b"id:1\\nevent:result\\n:HTTP_STATUS/200\\ndata:{}\\n\\nda")
    [SSEFrame(event='result', data='{}', id='1', retry=None,
              comments=('HTTP_STATUS/200',), complete=True)]
    >>> dec.feed(b"ta: tail")
    []
    >>> dec.close()
    [SSEFrame(event=None, data='tail', id=None, retry=None, comments=(), complete=False)]

    Any way of cutting the input into chunks gives the same frames.
    :meth:`feed` and :meth:`close` raise :class:`~adapters.DecodeError` and
    nothing else, whatever the bytes.

    :param max_buffer_size: the longest a block may grow, in characters of
        decoded text including its line ends. A longer one raises
        ``DecodeError(kind="buffer_overflow")`` and leaves the decoder failed.
        Raising it permits larger events at the cost of memory.
    :param strict_utf8: by default invalid UTF-8 is replaced by U+FFFD as the
        standard says ("Streams must be decoded using the UTF-8 decode
        algorithm"), and each replacement is recorded in :attr:`diagnostics`.
        ``True`` raises ``DecodeError(kind="invalid_utf8")`` instead.
    :param max_diagnostics: how many diagnostics to keep; further ones are
        counted in :attr:`diagnostics_dropped`.
    """

    __slots__ = (
        "_after_cr",
        "_chars",
        "_closed",
        "_error",
        "_fed",
        "_fixes",
        "_frames",
        "_heads",
        "_held",
        "_ignored_lines",
        "_last_head",
        "_last_known",
        "_last_span",
        "_lead",
        "_lead_free",
        "_marks",
        "_ok",
        "_pending",
        "_pieces",
        "_retry",
        "_started",
        "bom",
        "diagnostics",
        "diagnostics_dropped",
        "last_event_id",
        "max_buffer_size",
        "max_diagnostics",
        "strict_utf8",
    )

    def __init__(
        self,
        *,
        max_buffer_size: int = DEFAULT_MAX_BUFFER_SIZE,
        strict_utf8: bool = False,
        max_diagnostics: int = DEFAULT_MAX_DIAGNOSTICS,
    ) -> None:
        if max_buffer_size < 1:
            raise ValueError("max_buffer_size must be at least 1")
        if max_diagnostics < 0:
            raise ValueError("max_diagnostics must not be negative")
        self.max_buffer_size = max_buffer_size
        self.strict_utf8 = strict_utf8
        self.max_diagnostics = max_diagnostics
        #: Repairs and ignored lines met so far, in input order.
        self.diagnostics: list[Diagnostic] = []
        #: Diagnostics not kept because ``max_diagnostics`` was reached.
        self.diagnostics_dropped = 0
        #: WHATWG "last event ID string": the ``id`` of the latest complete
        #: frame that had one; it persists across frames. ``""`` when none.
        self.last_event_id = ""
        self._retry: int | None = None  # the latest valid retry of a dispatched block
        self._fed = 0  # bytes given to feed() so far
        self._held = b""  # the start of a UTF-8 character whose end has not arrived
        self._started = False  # has the first character (and so a possible BOM) been seen?
        #: Whether the stream began with a byte order mark (stripped, as WHATWG says).
        self.bom = False
        self._lead = ""  # blank lines between the previous frame and the next block
        self._lead_free = 0  # 1 when _lead starts with the LF of a CRLF split by a dispatch
        self._after_cr = False  # the last frame ended at a CR that ended its text
        self._pieces: list[str] = []  # text of the block being received, not yet joined
        self._pending = 0  # total length of _pieces
        self._frames = 0  # frames returned so far
        self._ok = True  # not closed and not failed: the one check on the hot path
        self._closed = False
        self._error: DecodeError | None = None  # once failed, every call raises it
        self._ignored_lines: list[tuple[str, str]] = []  # (line, why) of the block just built
        self._heads: dict[str, _Head | None] = {}  # see _known_layout
        self._last_head = ""  # the head of the latest such block, its length and meaning
        self._last_span = -2
        self._last_known: _Head | None = None
        # Invalid UTF-8 found while decoding bytes, reported once the frames are
        # known: (position in the decoded text, message, byte offset, fatal).
        self._marks: list[tuple[int, str, int, bool]] = []
        self._chars = 0  # characters decoded so far
        # Where U+FFFD replaced invalid bytes in the text not yet consumed, as
        # runs: (character position, length, bytes of U+FFFD minus bytes replaced).
        self._fixes: list[tuple[int, int, int]] = []

    # ------------------------------------------------------------------ API

    def feed(self, data: bytes | bytearray | memoryview) -> list[SSEFrame]:
        """Add bytes; return the frames they complete, in order.

        If these bytes break a bound (or strict UTF-8), the frames completed
        before the offending byte are still returned and the error is raised
        by the next call to :meth:`feed` or :meth:`close`; with no such frames
        it is raised at once.
        """
        if not self._ok:
            self._check_open()
        if type(data) is not bytes:
            data = bytes(data)  # a memoryview's len() counts items, not bytes
        size = len(data)
        self._fed += size
        if self._held:
            data = self._held + data
            self._held = b""
        try:
            text, used = _utf8_decode(data, "strict", False)
        except UnicodeDecodeError:
            text, used = self._repair(bytes(data), final=False)
        if used != len(data):
            # An incomplete character at the end: keep its bytes for the next call.
            self._held = bytes(data[used:])
        # Text already held before this call's: needed to place invalid UTF-8.
        carried = len(self._lead) + self._pending if self._marks else 0
        self._chars += len(text)
        frames = self._consume(text) if text else []
        if self._marks:
            self._settle(frames, carried)
        if self._fixes:
            # Offsets are only ever asked for inside the unfinished block.
            held_from = self._chars - self._pending
            self._fixes = [fix for fix in self._fixes if fix[0] + fix[1] > held_from]
        if self._error is not None:
            self._ok = False
            if not frames:
                raise self._error
        return frames

    def close(self) -> list[SSEFrame]:
        """Signal the end of the input; return what it completes.

        That is a block cut off without its final blank line, as a frame with
        ``complete=False`` (WHATWG would discard it; we return it so that no
        input is lost, and a browser-like consumer can drop it). Calling
        ``close()`` again returns ``[]``.
        """
        if self._closed and self._error is None:
            return []
        if not self._ok:
            self._check_open()
        if self._held:
            # The input ended inside a character: U+FFFD, which ends no block.
            held, self._held = self._held, b""
            text = self._repair(held, final=True)[0]
            self._chars += len(text)
            if text:
                self._consume(text)
            self._settle([], 0)
            if self._error is not None:
                self._ok = False
                raise self._error
        self._closed = True
        self._ok = False
        frames: list[SSEFrame] = []
        if self._pieces:
            rest = "".join(self._pieces)
            self._pieces.clear()
            self._pending = 0
            lines = _EOL.split(rest)
            retry = self._retry_of_ended(lines)
            if retry is not None:
                self._retry = retry
            if lines[-1] == "":
                lines.pop()
            frame = self._build(lines, self._lead + rest, "", False)
            self._report_ignored(rest, self._frames)
            self._lead = ""
            frames.append(frame)
            self._frames += 1
        return frames

    @property
    def reconnection_time(self) -> int | None:
        """WHATWG "reconnection time": the latest valid ``retry`` value, in ms.

        As in the standard, a ``retry`` line counts as soon as it has ended,
        also in a block that has not been dispatched yet.
        """
        if self._pieces:
            retry = self._retry_of_ended(_EOL.split("".join(self._pieces)))
            if retry is not None:
                return retry
        return self._retry

    def _retry_of_ended(self, lines: list[str]) -> int | None:
        """The last valid retry among the lines of a held block that have ended.

        ``lines`` is the block split at its line ends: every piece but the last
        has ended (after a final line end the last piece is empty).
        """
        if len(lines) < 2:
            return None
        retry = self._build(lines[:-1], "", "", False).retry
        self._ignored_lines.clear()  # reported when the block is complete
        return retry

    @property
    def offset(self) -> int:
        """Bytes fed so far."""
        return self._fed

    def _take_back(self) -> bytes | None:
        """For a codec's inline path: the bytes of an unfinished block, given
        back as if never fed (``b""`` if none), or ``None`` if the decoder holds
        anything else (blank lines, repaired text, a split CRLF) and must go on.
        """
        if not (
            self._ok
            and self._started
            and not self._lead
            and not self._after_cr
            and not self._marks
            and not self._fixes
        ):
            return None
        text = "".join(self._pieces)
        data = text.encode("utf-8") + self._held
        self._pieces.clear()
        self._pending = 0
        self._held = b""
        self._fed -= len(data)
        self._chars -= len(text)
        return data

    def _skip(self, size: int, frames: int, last_id: bytes | None) -> None:
        """Count ``size`` bytes holding ``frames`` whole frames that a codec read
        itself from a :meth:`_clean` state (its inline path)."""
        self._fed += size
        self._frames += frames
        if last_id is not None:
            self.last_event_id = last_id.decode("ascii")

    @property
    def frames_end(self) -> int:
        """Byte offset just after the last frame returned: where the input that
        belongs to no frame yet (blank lines, an unfinished block) starts.

        Codecs use it to place frames without counting each frame's bytes.
        """
        if not self._pieces and not self._lead and not self._fixes:
            return self._fed - len(self._held)
        return self._offset_of(self._lead + "".join(self._pieces))

    @property
    def trailer(self) -> str:
        """Blank lines after the last frame, which belong to no frame.

        After :meth:`close`, a BOM if :attr:`bom`, the ``raw`` text of every
        frame, then this, is the whole input (with invalid UTF-8 as U+FFFD), so
        a recording can be copied through the decoder byte for byte.
        """
        return self._lead

    # ------------------------------------------------------------ internals

    def _check_open(self) -> None:
        if self._error is not None:
            raise self._error
        raise DecodeError(
            "the decoder was closed; create a new SSEDecoder for a new stream",
            kind="closed",
            offset=self._fed,
            frame=self._frames,
            provider="sse",
        )

    def _fail(self, message: str, *, kind: str, offset: int, frame: int) -> None:
        """Record a failure: nothing more is decoded, the next call raises it."""
        if self._error is None:
            self._error = DecodeError(
                message, kind=kind, offset=offset, frame=frame, provider="sse"
            )

    def _diagnose(self, kind: str, message: str, offset: int, frame: int) -> None:
        # A block's ignored lines are known only once the block is complete, so a
        # diagnostic may arrive after one further on in the input: keep the list
        # in input order.
        insort(self.diagnostics, Diagnostic(kind, message, offset, frame), key=_in_input_order)
        if len(self.diagnostics) > self.max_diagnostics:
            self.diagnostics.pop()
            self.diagnostics_dropped += 1

    def _repair(self, data: bytes, *, final: bool) -> tuple[str, int]:
        """Decode ``data`` (the held bytes and a new chunk) past invalid UTF-8.

        WHATWG "UTF-8 decode" turns each maximal invalid subsequence into one
        U+FFFD, which is also where Python's decoder reports its errors. Each
        one is reported; with ``strict_utf8`` the first one fails the decoder.
        Returns the text and how many bytes it used.
        """
        base = self._fed - len(data)  # offset of data[0] in the input
        if self.strict_utf8:
            try:
                return _utf8_decode(data, "strict", final)
            except UnicodeDecodeError as err:
                good = data[: err.start].decode("utf-8")
                bad = data[err.start : err.end]
                message = f"invalid UTF-8 ({err.reason}: {bad!r}); expected a UTF-8 encoded stream"
                self._marks.append((len(good), message, base + err.start, True))
                # The rest stays undecoded (held), so that offsets into the
                # text before it still count the right bytes.
                return good, err.start
        found: list[tuple[int, int, str]] = []
        _FOUND.errors = found
        text, used = _utf8_decode(data, _NOTE_INVALID, final)
        room = self.max_diagnostics - len(self.diagnostics) - len(self._marks)
        fixes = self._fixes
        chars = 0  # characters of `text` before the current error
        previous = 0  # byte after the previous error
        for start, end, reason in found:
            chars += len(data[previous:start].decode("utf-8"))
            if room > 0:
                bad = data[start:end]
                message = f"invalid UTF-8 ({reason}: {bad!r}) replaced by U+FFFD"
                self._marks.append((chars, message, base + start, False))
                room -= 1
            else:
                self.diagnostics_dropped += 1
            # U+FFFD re-encodes to 3 bytes where it replaced end - start; runs
            # of replacements are kept as one entry (start, length, extra).
            position = self._chars + chars
            if fixes and fixes[-1][0] + fixes[-1][1] == position:
                first, length, extra = fixes[-1]
                fixes[-1] = (first, length + 1, extra + 3 - (end - start))
            else:
                fixes.append((position, 1, 3 - (end - start)))
            chars += 1
            previous = end
        return text, used

    def _settle(self, frames: list[SSEFrame], carried: int) -> None:
        """Report the invalid UTF-8 found by this call, now that its frames are known.

        A mark's position counts characters of the text this call decoded; the
        text of the call's frames runs from ``carried`` characters before it
        (the unfinished block and blank lines left by earlier calls), so the
        frame a mark falls in is the number of frames that end at or before it.
        """
        ends = list(accumulate(len(frame.raw or "") for frame in frames))
        first = self._frames - len(frames)
        for position, message, offset, fatal in self._marks:
            frame = first + bisect_right(ends, carried + position)
            if fatal:
                self._fail(message, kind="invalid_utf8", offset=offset, frame=frame)
            else:
                self._diagnose("invalid_utf8", message, offset, frame)
        self._marks.clear()

    def _offset_of(self, unconsumed: str) -> int:
        """Byte offset of the text that starts ``unconsumed``, the tail of what was decoded."""
        decoded = self._fed - len(self._held)
        size = len(unconsumed.encode("utf-8"))
        start = self._chars - len(unconsumed)
        # Each U+FFFD in it stands for the bytes it replaced, not its own three.
        # (A block never starts inside a run of them: runs hold no line end.)
        size -= sum(extra for first, _, extra in self._fixes if first >= start)
        return decoded - size

    def _consume(self, text: str) -> list[SSEFrame]:
        if not self._started:
            self._started = True
            # WHATWG UTF-8 decode: one leading BOM is stripped, once per stream.
            # A BOM anywhere else is content (a second one makes the first field
            # name start with U+FEFF, an unknown field).
            if text[0] == _BOM:
                self.bom = True
                text = text[1:]
                if not text:
                    return []
        if self._after_cr:
            # The block before ended at a CR that ended its text. An LF now is the
            # rest of that CRLF, not a blank line ("a single U+000D CARRIAGE
            # RETURN (CR) character not followed by a U+000A LINE FEED"). It goes
            # with the next frame's raw text, as the only line end that counts
            # towards no size, so that where a chunk cut the CRLF changes nothing.
            self._after_cr = False
            if text[0] == "\n":
                self._lead += "\n"
                self._lead_free = 1
                text = text[1:]
                if not text:
                    return []
        pieces = self._pieces
        if pieces:
            # Part of a block is held. Unless this text (with the character
            # before it) completes a blank line, it only adds to the block:
            # keep it without joining, so that a large block arriving in many
            # chunks is joined and scanned once, not once per chunk.
            probe = pieces[-1][-1] + text
            if not ("\n\n" in probe if "\r" not in probe else _BLANK_LINE.search(probe)):
                pieces.append(text)
                self._pending += len(text)
                if self._pending > self.max_buffer_size:
                    self._overflow("".join(pieces), self._frames)
                return []
            pieces.append(text)
            text = "".join(pieces)
            pieces.clear()
            self._pending = 0
        if "\r" in text:
            return self._scan_general(text)
        return self._scan_lf(text)

    def _overflow(self, block: str, frame: int, *, blank_lines: bool = False) -> None:
        """Fail: ``block``, the text from the offending block on, is too large."""
        self._pieces.clear()
        self._pending = 0
        what, expected = (
            ("a run of blank lines", "expected events between them")
            if blank_lines
            else ("an event", "expected a blank line after every event")
        )
        self._fail(
            f"{what} grew past max_buffer_size={self.max_buffer_size} characters; {expected}",
            kind="buffer_overflow",
            offset=self._offset_of(block),
            frame=frame,
        )

    def _keep(self, rest: str, frame: int) -> None:
        """Hold the start of a block that is not finished yet."""
        if len(rest) > self.max_buffer_size:
            self._overflow(rest, frame)
            return
        self._pieces.append(rest)
        self._pending = len(rest)

    def _add_lead(self, lead: str, after: str, frame: int) -> bool:
        """Keep blank lines met between blocks; False if there are too many.

        They are kept (for the next frame's raw text) but dispatch nothing; the
        bound applies to them as to a block. ``after`` is the text after them.
        """
        if len(lead) - self._lead_free > self.max_buffer_size:
            self._overflow(lead + after, frame, blank_lines=True)
            return False
        self._lead = lead
        return True

    def _scan_lf(self, text: str) -> list[SSEFrame]:
        """Fast path: ``text`` starts a block and holds no CR, so every line ends at LF.

        A block then ends at the first ``"\\n\\n"``, so one split finds them all.
        A block's size is that of its lines and their line ends, without the
        blank line that ends it: ``len(part) + 1`` here.
        """
        limit = self.max_buffer_size
        if text.endswith("\n\n") and text[0] != "\n" and len(text) - 1 <= limit:
            # Perhaps exactly one whole block, a chunk as servers flush them. Its
            # two layouts below see every line break in it, so they also prove
            # that no blank line hides inside (searching for "\n\n" would cost
            # more than all the rest).
            part = text[:-2]
            frame: SSEFrame | None
            if "\n" not in part:
                if part.startswith("data:"):
                    value = part[6:] if part.startswith(" ", 5) else part[5:]
                    frame = _new_tuple(SSEFrame, (None, value, None, None, (), True, part, "\n\n"))
                else:
                    frame = self._lines_lf(part, part, text, None, 0)
            else:
                frame = self._known_layout(part, part)
            if frame is not None:
                if self._lead:
                    frame = _new_tuple(SSEFrame, (*frame[:6], self._lead + part, "\n\n"))
                    self._lead = ""
                    self._lead_free = 0
                self._frames += 1
                return [frame]
        parts = text.split("\n\n")
        rest = parts.pop()
        frames: list[SSEFrame] = []
        append = frames.append
        base = self._frames
        lead = self._lead
        for index, part in enumerate(parts):
            if not part or part[0] == "\n":
                # Blank lines before the block (or only blank lines): no event.
                body = part.lstrip("\n")
                lead += part[: len(part) - len(body)] if body else part + "\n\n"
                # What follows the blank lines: the block, or the next part.
                after = self._position(parts, index, body) + (0 if body else len(part) + 2)
                if not self._add_lead(lead, text[after:], base + len(frames)):
                    break
                if not body:
                    continue
                part = body  # noqa: PLW2901 - the block proper
            if len(part) >= limit:
                where = text[self._position(parts, index, part) :]
                self._overflow(where, base + len(frames))
                break
            body = part
            if lead:
                body = lead + part
                lead = self._lead = ""
                self._lead_free = 0
            if part.startswith("data:") and "\n" not in part:
                # The overwhelmingly common block: OpenAI's `data: {...}`.
                value = part[6:] if part.startswith(" ", 5) else part[5:]
                append(_new_tuple(SSEFrame, (None, value, None, None, (), True, body, "\n\n")))
            else:
                frame = self._known_layout(part, body)
                if frame is None:
                    self._frames = base + len(frames)
                    frame = self._lines_lf(part, body, text, parts, index)
                append(frame)
        else:
            if rest[:1] == "\n":
                body = rest.lstrip("\n")
                lead += rest[: len(rest) - len(body)]
                rest = body
                if not self._add_lead(lead, rest, base + len(frames)):
                    rest = ""
            if rest:
                self._keep(rest, base + len(frames))
        self._frames = base + len(frames)
        return frames

    def _lines_lf(
        self, part: str, body: str, text: str, parts: list[str] | None, index: int
    ) -> SSEFrame:
        """A block of LF-ended lines that is not of a known layout: the general rules.

        The block is ``parts[index]`` of ``text`` split at blank lines, or all of
        ``text`` when ``parts`` is None; that locates it for diagnostics.
        """
        frame = self._build(part.split("\n"), body, "\n\n", True)
        if self._ignored_lines:
            start = 0 if parts is None else self._position(parts, index, part)
            self._report_ignored(text[start:], self._frames)
        return frame

    def _known_layout(self, part: str, body: str) -> SSEFrame | None:
        """Decode a block laid out as real multi-line events are, or return None.

        DashScope sends every event as ``id:N``, ``event:result``,
        ``:HTTP_STATUS/200``, ``data:{...}``: the lines before the data line
        are the same in every event but for the id. So the block is cut into
        an optional first ``id`` line, the lines after it (the *head*), and a
        final ``data`` line; heads are interpreted once and remembered (the
        short ones: a long head is read by the general rules every time). A
        head holding another ``data`` line, a line the standard ignores or a
        blank line is remembered as unusable, and its blocks take the general
        path.
        """
        cut = part.rfind("\n")
        if cut < 0 or not part.startswith("data:", cut + 1):
            return None
        data = part[cut + 7 :] if part.startswith(" ", cut + 6) else part[cut + 6 :]
        id_: str | None = None
        head_start = 0
        if part.startswith("id:"):
            head_start = part.find("\n") + 1
            id_ = part[4 : head_start - 1] if part.startswith(" ", 3) else part[3 : head_start - 1]
            if "\0" in id_:
                return None
        span = cut - head_start
        if span == self._last_span and part.startswith(self._last_head, head_start):
            # The same head as the block before: the usual case, no new string.
            known = self._last_known
        elif span < 0:
            known = _NO_HEAD
        elif span > _MAX_HEAD_LENGTH:
            return None
        else:
            head = part[head_start:cut]
            known = self._heads.get(head, _UNKNOWN)
            if known is _UNKNOWN:
                known = self._interpret_head(head)
            self._last_head, self._last_span, self._last_known = head, span, known
        if known is None:
            return None
        event, head_id, retry, comments = known
        if head_id is not None:
            id_ = head_id
        if id_ is not None:
            self.last_event_id = id_
        if retry is not None:
            self._retry = retry
        return _new_tuple(SSEFrame, (event, data, id_, retry, comments, True, body, "\n\n"))

    def _interpret_head(self, head: str) -> _Head | None:
        lines = head.split("\n")
        known: _Head | None = None
        # A blank line means this is not one block (see _scan_lf).
        if "" not in lines:
            frame = self._build(lines, "", "", False)
            if frame.data is None and not self._ignored_lines:
                known = (frame.event, frame.id, frame.retry, frame.comments)
            self._ignored_lines.clear()
        if len(self._heads) >= _MAX_HEADS:
            self._heads.clear()
        self._heads[head] = known
        return known

    @staticmethod
    def _position(parts: list[str], index: int, part: str) -> int:
        """Where ``part`` (``parts[index]`` less any leading LFs) starts in the split text.

        With ``part=""``, where ``parts[index]`` itself starts.
        """
        start = sum(len(p) + 2 for p in parts[:index])
        return start + len(parts[index]) - len(part) if part else start

    def _scan_general(self, text: str) -> list[SSEFrame]:
        """Any mix of CR, LF and CRLF; ``text`` starts a block.

        A block's size is that of its lines and their line ends, without the
        blank line that ends it.
        """
        frames: list[SSEFrame] = []
        lines: list[str] = []
        line_start = 0  # where the current line starts
        block_start = 0  # where the current block (after blank lines) starts
        limit = self.max_buffer_size
        size = len(text)
        lead = self._lead
        for match in _EOL.finditer(text):
            start, end = match.span()
            lone_cr_at_end = end == size and text[start] == "\r" and end - start == 1
            if lone_cr_at_end and start != line_start:
                # A CR that ends the text may be the first half of a CRLF whose LF
                # is still on its way. The line is over either way, but nothing
                # needs it yet: keep it, and read it again with what follows.
                break
            if start != line_start:
                lines.append(text[line_start:start])
            elif lines:
                # "If the line is empty (a blank line): Dispatch the event."
                if start - block_start > limit:
                    self._overflow(text[block_start:], self._frames)
                    return frames
                frames.append(self._build(lines, lead + text[block_start:end], "", True))
                if self._ignored_lines:
                    self._report_ignored(text[block_start:], self._frames)
                self._frames += 1
                lead = self._lead = ""
                self._lead_free = 0
                lines = []
                block_start = end
                # A blank line that is a CR ending the text may yet be a CRLF.
                self._after_cr = lone_cr_at_end
            else:
                # A blank line with no block before it dispatches nothing.
                lead += text[line_start:end]
                if not self._add_lead(lead, text[end:], self._frames):
                    return frames
                block_start = end
            line_start = end
        if block_start < size:
            self._keep(text[block_start:], self._frames)
        return frames

    def _build(self, lines: list[str], body: str, end: str, complete: bool) -> SSEFrame:
        """Interpret the lines of one block (WHATWG "process the field")."""
        event: str | None = None
        data: str | None = None
        more: list[str] | None = None  # the data values, once there are two
        id_: str | None = None
        retry: int | None = None
        comments: tuple[str, ...] = ()
        for line in lines:
            # The fields real streams use are recognised by their prefix first
            # (a line that starts "data:" is exactly field "data", value after
            # the colon); every other line goes through the general rule below.
            first = line[0]
            if first == "d" and line.startswith("data:"):
                value = line[6:] if line[5:6] == " " else line[5:]
            elif first == ":":
                # "If the line starts with a U+003A COLON character (:) -> Ignore the
                # line."  We keep it: it is the comment.
                comments = (*comments, line[1:])
                continue
            elif first == "i" and line.startswith("id:"):
                value = line[4:] if line[3:4] == " " else line[3:]
                # "If the field value does not contain U+0000 NULL, then set the
                # last event ID buffer to the field value. Otherwise, ignore the field."
                if "\0" in value:
                    self._ignored_lines.append((line, "an id containing U+0000 NULL is ignored"))
                else:
                    id_ = value
                continue
            elif first == "e" and line.startswith("event:"):
                # "Set the event type buffer to the field value."
                event = line[7:] if line[6:7] == " " else line[6:]
                continue
            else:
                # "If the line contains a U+003A COLON character: Collect the
                # characters on the line before the first U+003A COLON character
                # (:), and let field be that string. Collect the characters on the
                # line after the first U+003A COLON character (:), and let value be
                # that string. If value starts with a U+0020 SPACE character,
                # remove it from value."  "Otherwise, the string is not empty but
                # does not contain a U+003A COLON character: use the whole line as
                # the field name, and the empty string as the field value."
                # (partition does both.)
                name, _, value = line.partition(":")
                if value[:1] == " ":
                    value = value[1:]
                if name == "event":
                    event = value
                    continue
                if name == "id":
                    if "\0" in value:
                        self._ignored_lines.append(
                            (line, "an id containing U+0000 NULL is ignored")
                        )
                    else:
                        id_ = value
                    continue
                if name == "retry":
                    # "If the field value consists of only ASCII digits, then
                    # interpret the field value as an integer in base ten [...].
                    # Otherwise, ignore the field."
                    if value.isascii() and value.isdigit():
                        try:
                            retry = int(value.lstrip("0") or "0")
                        except ValueError:
                            # Longer than Python converts (sys.get_int_max_str_digits).
                            self._ignored_lines.append((line, "a retry value this long is ignored"))
                    else:
                        self._ignored_lines.append((line, "retry takes ASCII digits only"))
                    continue
                if name != "data":
                    # "Otherwise: The field is ignored."
                    self._ignored_lines.append((line, f"unknown field {name!r} is ignored"))
                    continue
            # "Append the field value to the data buffer, then append a single
            # U+000A LINE FEED (LF) character" -- and at dispatch "remove the last
            # character" again: joining the values with LF is the same.
            if data is None:
                data = value
            elif more is None:
                more = [data, value]
            else:
                more.append(value)
        if more is not None:
            data = "\n".join(more)
        if complete:
            # WHATWG dispatch step 1: the last event ID string is set at every
            # blank line that ends a block, whether or not the block had data.
            if id_ is not None:
                self.last_event_id = id_
            if retry is not None:
                self._retry = retry
        return _new_tuple(SSEFrame, (event, data, id_, retry, comments, complete, body, end))

    def _report_ignored(self, unconsumed: str, frame: int) -> None:
        """Report the lines the block just built ignored; ``unconsumed`` starts with it."""
        if not self._ignored_lines:
            return
        offset = self._offset_of(unconsumed)
        for line, why in self._ignored_lines:
            preview = line if len(line) <= 80 else line[:77] + "..."
            self._diagnose("ignored_line", f"{why}: {preview!r}", offset, frame)
        self._ignored_lines.clear()


def decode_frames(
    source: bytes | Iterable[bytes],
    *,
    max_buffer_size: int = DEFAULT_MAX_BUFFER_SIZE,
    strict_utf8: bool = False,
) -> list[SSEFrame]:
    """Decode a whole stream (bytes, or an iterable of byte chunks) to frames.

    >>> decode_frames([b"data: a\\n", b"\\ndata: b\\n\\n"])
    [SSEFrame(event=None, data='a', ...), SSEFrame(event=None, data='b', ...)]
    """
    decoder = SSEDecoder(max_buffer_size=max_buffer_size, strict_utf8=strict_utf8)
    if isinstance(source, bytes | bytearray | memoryview):
        frames = decoder.feed(source)
    else:
        frames = []
        for chunk in source:
            frames += decoder.feed(chunk)
    frames += decoder.close()
    return frames


def _field(name: str, value: str, space: bool) -> str:
    # The decoder strips exactly one leading space, so a value that starts with
    # a space needs the separating space even in the no-space style.
    if not value:
        return name + ":"
    if space or value[0] == " ":
        return name + ": " + value
    return name + ":" + value


def _refuse(message: str) -> EncodeError:
    return EncodeError(message, kind="unencodable_frame", provider="sse")


def encode_frame(
    frame: SSEFrame,
    *,
    preserve: bool = True,
    space: bool = True,
    line_ending: LineEnding = "\n",
) -> bytes:
    """Encode one frame, ending with the blank line that completes it.

    A decoded frame gives back the exact bytes it was decoded from (see
    :attr:`SSEFrame.raw`), unless ``preserve=False``. Any other frame is
    written canonically: ``id``, ``event``, ``retry``, the comments, then one
    ``data`` line per line of data, each line ended by ``line_ending``; with
    ``space=True`` a space follows each field's colon (OpenAI's style), with
    ``space=False`` none does (DashScope's). A frame with ``complete=False``
    is written without the final blank line.

    >>> frame = SSEFrame(event="result", id="1", data="{}", comments=("HTTP_STATUS/200",))
    >>> encode_frame(frame, space=False)
    b'id:1\\nevent:result\\n:HTTP_STATUS/200\\ndata:{}\\n\\n'

    Raises :class:`~adapters.EncodeError` for a frame that would not decode
    back to itself: a line break inside ``event``, ``id`` or a comment, a CR in
    ``data``, a NUL in ``id``, a negative ``retry``, or no field at all.
    """
    if preserve:
        raw = frame.raw
        if raw is not None:
            return raw.encode("utf-8")
    if line_ending not in ("\n", "\r\n", "\r"):
        raise _refuse(f"line_ending must be LF, CRLF or CR, not {line_ending!r}")
    for name in ("event", "data", "id"):
        value = getattr(frame, name)
        if value is not None and not isinstance(value, str):
            raise _refuse(f"{name} must be a str or None, not {type(value).__name__}")
    if not all(isinstance(comment, str) for comment in frame.comments):
        raise _refuse("comments must all be str")
    lines: list[str] = []
    if frame.id is not None:
        if "\0" in frame.id:
            raise _refuse("id contains U+0000 NULL; a decoder would ignore it")
        lines.append(_field("id", frame.id, space))
    if frame.event is not None:
        lines.append(_field("event", frame.event, space))
    if frame.retry is not None:
        if type(frame.retry) is not int or frame.retry < 0:
            raise _refuse(f"retry must be a non-negative int, not {frame.retry!r}")
        try:
            digits = str(frame.retry)
        except ValueError:  # longer than Python converts (sys.get_int_max_str_digits)
            raise _refuse("retry has more digits than a decoder could read back") from None
        lines.append(_field("retry", digits, space))
    lines.extend(":" + comment for comment in frame.comments)
    if frame.data is not None:
        if "\r" in frame.data:
            raise _refuse("data contains CR, which the decoder reads as a line end")
        lines.extend(_field("data", piece, space) for piece in frame.data.split("\n"))
    if not lines:
        raise _refuse("a frame with no field and no comment is a blank line, not a frame")
    for line in lines:
        if "\n" in line or "\r" in line:
            raise _refuse(f"a line break inside a field or comment: {line!r}")
    if frame.complete:
        lines.append("")
    text = line_ending.join(lines) + line_ending
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _refuse(f"text that is not valid Unicode ({exc.reason})") from None


def encode_frames(
    frames: Iterable[SSEFrame],
    *,
    preserve: bool = True,
    space: bool = True,
    line_ending: LineEnding = "\n",
) -> bytes:
    """Encode frames one after the other (see :func:`encode_frame`)."""
    return b"".join(
        encode_frame(frame, preserve=preserve, space=space, line_ending=line_ending)
        for frame in frames
    )

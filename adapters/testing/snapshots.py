"""syrupy extensions that store streams as files a person can read and diff.

Strategy: syrupy's default (amber) format stores ``bytes`` as one long
``b'...'`` repr, and a list of events as nested reprs; neither can be opened
in an editor or replayed with ``adapters convert``. These extensions store
one snapshot per file (syrupy's single-file layout,
``__snapshots__/<test module>/<test name>.<ext>``) in the stream's own
format:

* :class:`SSESnapshotExtension` -- the raw bytes, byte for byte, as ``.sse``
  (line endings included, so a CRLF stream stays CRLF);
* :class:`EventsSnapshotExtension` -- normalized events as JSON Lines,
  ``.jsonl``, one event a line, as ``adapters convert --to events`` writes
  them; so a change in one event is a one-line diff.

Both show a failed comparison as a line diff of the text (syrupy's reporter
would otherwise compare the ``repr`` of the bytes, all on one line).

Use them through the plugin's ``sse_snapshot`` and ``events_snapshot``
fixtures, or directly: ``snapshot.use_extension(EventsSnapshotExtension)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

import adapters
from adapters.events import _EVENT_CLASSES, dump_jsonl

if TYPE_CHECKING:
    from syrupy.types import PropertyFilter, PropertyMatcher, SerializableData, SerializedData

__all__ = ["EventsSnapshotExtension", "SSESnapshotExtension"]


def _text(data: SerializedData) -> str:
    """Snapshot data as text for a diff (bytes that are not UTF-8 shown escaped)."""
    return data.decode("utf-8", errors="backslashreplace") if isinstance(data, bytes) else data


class SSESnapshotExtension(SingleFileSnapshotExtension):
    """A stream's bytes, stored unchanged in a ``.sse`` file.

    Takes ``bytes`` (or ``bytearray``/``memoryview``), or an iterable of byte
    chunks, which are joined: what ``adapters.encode`` returns or what a
    server sent.
    """

    file_extension = "sse"
    _write_mode = WriteMode.BINARY

    def serialize(
        self,
        data: SerializableData,
        *,
        exclude: PropertyFilter | None = None,
        include: PropertyFilter | None = None,
        matcher: PropertyMatcher | None = None,
    ) -> SerializedData:
        """The bytes themselves; ``TypeError`` for anything that is not bytes."""
        if isinstance(data, bytes | bytearray | memoryview):
            return bytes(data)
        if isinstance(data, Iterable) and not isinstance(data, str):
            chunks = list(data)
            if all(isinstance(chunk, bytes | bytearray | memoryview) for chunk in chunks):
                return b"".join(chunks)
        raise TypeError(
            f"an SSE snapshot takes the stream's bytes, not {type(data).__name__}; "
            "for events use EventsSnapshotExtension"
        )

    def diff_lines(
        self, serialized_data: SerializedData, snapshot_data: SerializedData
    ) -> Iterator[str]:
        """Diff the streams line by line, as text (line ends are marked)."""
        return super().diff_lines(_text(serialized_data), _text(snapshot_data))


class EventsSnapshotExtension(SingleFileSnapshotExtension):
    """Normalized events, stored as JSON Lines (``.jsonl``), one event a line.

    Takes an iterable of :data:`adapters.Event` values, or a stream's bytes,
    which are decoded first (``adapters.decode(data)``, provider and mode
    detected). Events are written without their :attr:`wire` layout unless
    :attr:`wire` is set on a subclass: the layout repeats the frames, which
    an SSE snapshot shows better. Read a file back with
    :func:`adapters.events.load_jsonl`.
    """

    file_extension = "jsonl"
    _write_mode = WriteMode.TEXT
    #: Whether each line keeps the event's ``wire`` field (the provider's layout).
    wire: ClassVar[bool] = False

    def serialize(
        self,
        data: SerializableData,
        *,
        exclude: PropertyFilter | None = None,
        include: PropertyFilter | None = None,
        matcher: PropertyMatcher | None = None,
    ) -> SerializedData:
        """One JSON line per event; ``TypeError`` for anything that is not events."""
        if isinstance(data, bytes | bytearray | memoryview):
            events: list[Any] = list(adapters.decode(bytes(data), wire=self.wire))
        elif isinstance(data, Iterable) and not isinstance(data, str | dict):
            events = list(data)
        else:
            raise TypeError(
                f"an events snapshot takes events or a stream's bytes, not {type(data).__name__}"
            )
        for event in events:
            if not isinstance(event, _EVENT_CLASSES):
                raise TypeError(f"not a normalized event: {event!r}")
        return "".join(dump_jsonl(events, wire=self.wire))

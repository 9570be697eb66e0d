"""The library's exceptions and non-fatal diagnostics.

Strategy: one small tree, so a caller can catch "anything this library raises
about a stream" with one ``except`` and still tell whose fault it was::

    AdapterError            base of everything raised on purpose here
     +-- DecodeError        the input (the remote side) broke the wire format
     +-- EncodeError        the caller asked us to write something the wire cannot carry

Every error carries a machine-readable ``kind`` plus *where* it happened: the
byte ``offset`` into the whole input (not into the current chunk), the zero-based
``frame`` number, and the ``provider`` whose format was being read or written.
``str(error)`` puts all of that on one line.

Anomalies that the standards tell a reader to repair rather than reject (invalid
UTF-8 becomes U+FFFD, say) are not exceptions: they are recorded as
:class:`Diagnostic` objects on the decoder that met them, so nothing is repaired
silently.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AdapterError", "DecodeError", "Diagnostic", "EncodeError"]


class AdapterError(Exception):
    """Base class of every exception this library raises on purpose."""

    #: Machine-readable reason, stable across releases (e.g. ``"buffer_overflow"``).
    kind: str
    #: Human-readable explanation: what was found and what was expected.
    message: str
    #: Byte offset into the whole input where the problem starts, when known.
    offset: int | None
    #: Zero-based number of the frame being read or written, when known.
    frame: int | None
    #: ``"sse"``, ``"openai"`` or ``"dashscope"``: whose format was involved.
    provider: str | None

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        offset: int | None = None,
        frame: int | None = None,
        provider: str | None = None,
    ) -> None:
        self.kind = kind
        self.message = message
        self.offset = offset
        self.frame = frame
        self.provider = provider
        super().__init__(self._render())

    def _render(self) -> str:
        where = [
            part
            for part in (
                f"{self.provider}" if self.provider is not None else None,
                f"frame {self.frame}" if self.frame is not None else None,
                f"byte {self.offset}" if self.offset is not None else None,
            )
            if part is not None
        ]
        prefix = f"[{self.kind}] " + (", ".join(where) + ": " if where else "")
        return prefix + self.message


class DecodeError(AdapterError):
    """The input is not valid wire format, or exceeds a configured bound.

    Decoders raise this and nothing else, whatever bytes they are fed.
    """


class EncodeError(AdapterError):
    """The caller asked to write something the wire format cannot represent."""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A repaired or suspicious piece of input, reported instead of raised."""

    #: Machine-readable reason, e.g. ``"invalid_utf8"``.
    kind: str
    #: What was found and what was done about it.
    message: str
    #: Byte offset into the whole input.
    offset: int
    #: Zero-based number of the frame the anomaly belongs to.
    frame: int

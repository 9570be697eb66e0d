"""What the readers share: checking parsed JSON by hand, and stopping.

Both provider readers check the dicts the JSON parser returns with ``type(x)
is ...`` rather than building models (that is where a decoder's time goes),
and say what they expected in one style: ``choices[0].index: expected an
integer, got a string``.
"""

from __future__ import annotations

__all__ = ["ShapeError", "StopDecoding", "expected", "type_name"]


class ShapeError(Exception):
    """A shape problem found while reading one frame; becomes a DecodeError."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class StopDecoding(Exception):  # noqa: N818 - a signal, not an error
    """Decoding stops here: a strict decoder failed after returning some events."""


_NAMES = {
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    list: "an array",
    dict: "an object",
}


def type_name(value: object) -> str:
    """How an expectation names a parsed JSON value's type.

    >>> type_name(None), type_name([]), type_name(1.5)
    ('null', 'an array', 'a number')
    """
    if value is None:
        return "null"
    return _NAMES.get(type(value), type(value).__name__)


def expected(kind: str, path: str, what: str, value: object) -> ShapeError:
    """The error for a value at ``path`` that is not ``what``."""
    return ShapeError(kind, f"{path}: expected {what}, got {type_name(value)}")

"""JSON as the wire formats use it, shared by the provider packages."""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import from_json

__all__ = ["LARGE", "dumps", "parse_json"]

#: Above this many characters the standard library parses faster than the fast
#: parser does (long text, non-ASCII above all: a cumulative stream's frames).
LARGE = 4096


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(data: str | bytes) -> Any:
    """JSON by the RFC 8259 grammar: no NaN or Infinity (a number too large for a
    float, which the grammar allows, reads as infinity, as in the standard library).

    The fast parser refuses a few things the grammar allows (a lone surrogate
    escape such as ``"\\ud800"``); the standard library then decides. It also
    reads long text (over :data:`LARGE` characters), which it does faster.
    ``data`` may be UTF-8 bytes (invalid UTF-8 is a ``ValueError``). Raises
    ``ValueError`` for anything else, including nesting too deep to parse.

    >>> parse_json('{"a": [1, "二"]}'), parse_json('"\\\\ud800"') == "\\ud800"
    ({'a': [1, '二']}, True)
    """
    if len(data) <= LARGE:
        try:
            return from_json(data, allow_inf_nan=False, cache_strings="keys")
        except ValueError:
            pass
    try:
        return json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def dumps(value: Any) -> str:
    """Compact JSON with text as it is (no ``\\u`` escapes): how both providers write."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

"""Cumulative snapshots <-> incremental deltas, exactly.

With ``incremental_output=false`` DashScope repeats the whole value so far in
every frame: ``"我爱"``, ``"我爱吃"``, ``"我爱吃苹果"``. :class:`Differ` turns such
snapshots into the pieces each one adds (``"我爱"``, ``"吃"``, ``"苹果"``), and
:class:`Accumulator` turns pieces back into snapshots. Values are kept apart
by a key: the decoder uses one per choice and channel (content, reasoning,
each tool call's id, name and arguments; list content as its text items joined).

The check is a prefix test on code points (``str.startswith``): a snapshot
must begin with the previous one, character for character. Nothing here
searches inside the text (``str.replace`` would cut a repeated phrase out of
the middle) or slices by length without that check (which would quietly drop
a changed character). A snapshot that does not extend the previous one is
:class:`NotExtending`, for the caller to report or to resynchronize on.

The two are inverses, for any text (Chinese, emoji, astral characters, lone
surrogates):

>>> snapshots = ["我爱", "我爱吃", "我爱吃苹果🍎"]
>>> diff(snapshots)
['我爱', '吃', '苹果🍎']
>>> accumulate(diff(snapshots)) == snapshots
True
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

__all__ = ["Accumulator", "Differ", "NotExtending", "accumulate", "diff", "extension"]


class NotExtending(ValueError):  # noqa: N818 - a condition, named for what it says
    """A snapshot does not begin with the snapshot before it.

    :attr:`previous` and :attr:`snapshot` are the two values; :attr:`at` is the
    first code point where they differ (``len(previous)`` when the snapshot is
    a strict prefix, i.e. shorter).
    """

    def __init__(self, key: Hashable, previous: str, snapshot: str) -> None:
        at = 0
        for at, (old, new) in enumerate(zip(previous, snapshot, strict=False)):  # noqa: B007
            if old != new:
                break
        else:
            at = min(len(previous), len(snapshot))
        self.key = key
        self.previous = previous
        self.snapshot = snapshot
        self.at = at
        super().__init__(
            f"the snapshot does not extend the previous one ({len(previous)} code points): "
            f"they differ at code point {at} "
            f"({_around(previous, at)} before, {_around(snapshot, at)} now)"
        )


def _around(text: str, at: int) -> str:
    piece = text[max(0, at - 8) : at + 8]
    return repr(piece) if piece else "nothing"


def extension(previous: str, snapshot: str) -> str | None:
    """What ``snapshot`` adds to ``previous``, or ``None`` if it does not extend it.

    >>> extension("我爱", "我爱吃"), extension("我爱", "我爱"), extension("我爱", "你好")
    ('吃', '', None)
    """
    if snapshot.startswith(previous):
        return snapshot[len(previous) :]
    return None


class Differ:
    """Snapshots in, deltas out, one running value per key.

    >>> d = Differ()
    >>> d.step("content", "Hel"), d.step("content", "Hello"), d.step("reasoning", "Hm")
    ('Hel', 'lo', 'Hm')
    >>> try:
    ...     d.step("content", "Help")
    ... except NotExtending as exc:
    ...     print(exc.at, exc.previous, exc.snapshot)
    3 Hello Help
    """

    __slots__ = ("values",)

    def __init__(self) -> None:
        #: The latest snapshot of each key.
        self.values: dict[Hashable, str] = {}

    def step(self, key: Hashable, snapshot: str) -> str:
        """The delta from this key's previous snapshot (``""`` at first) to ``snapshot``.

        Raises :class:`NotExtending` (and keeps the previous snapshot) when
        ``snapshot`` does not begin with it.
        """
        previous = self.values.get(key, "")
        if not snapshot.startswith(previous):
            raise NotExtending(key, previous, snapshot)
        self.values[key] = snapshot
        return snapshot[len(previous) :]

    def reset(self, key: Hashable, snapshot: str) -> None:
        """Take ``snapshot`` as the key's value, whatever came before (a resync)."""
        self.values[key] = snapshot


class Accumulator:
    """Deltas in, snapshots out: the inverse of :class:`Differ`.

    >>> a = Accumulator()
    >>> a.add("content", "Hel"), a.add("content", "lo")
    ('Hel', 'Hello')
    """

    __slots__ = ("values",)

    def __init__(self) -> None:
        #: The snapshot so far of each key.
        self.values: dict[Hashable, str] = {}

    def add(self, key: Hashable, delta: str) -> str:
        """Append ``delta`` to the key's value; return the new snapshot."""
        value = self.values.get(key, "") + delta
        self.values[key] = value
        return value

    def get(self, key: Hashable) -> str:
        """The key's snapshot so far (``""`` if nothing was added)."""
        return self.values.get(key, "")

    def reset(self, key: Hashable, snapshot: str) -> None:
        """Replace the key's value (what a resync event says)."""
        self.values[key] = snapshot


def diff(snapshots: Iterable[str]) -> list[str]:
    """The deltas of a sequence of snapshots of one value.

    Raises :class:`NotExtending` at the first snapshot that does not extend
    the one before it.
    """
    differ = Differ()
    return [differ.step(None, snapshot) for snapshot in snapshots]


def accumulate(deltas: Iterable[str]) -> list[str]:
    """The snapshots after each delta of one value: the inverse of :func:`diff`."""
    accumulator = Accumulator()
    return [accumulator.add(None, delta) for delta in deltas]

"""The pytest plugin of the conformance kit: fixtures for recorded streams.

Installing ``stream-adapters[testing]`` registers this module with pytest
(entry point ``pytest11``, name ``adapters``; ``-p no:adapters`` turns it
off). It is opt-in: it adds fixtures, one marker and one ini option, and
changes nothing for a test that uses none of them -- no autouse fixture, no
hook that touches collection except for tests carrying its marker.

* ini option ``adapters_fixtures`` (default ``fixtures``): the folder of
  recordings, relative to the rootdir;
* ``recording`` -- ``recording("openai/text.sse")`` gives the bytes,
  ``recording.path(...)`` the path, ``recording.folder`` the folder;
* marker ``@pytest.mark.adapters_recordings(pattern="**/*.sse")`` -- runs the
  test once per recording, passing its path as the ``recording_path`` argument;
* ``assert_conforms`` and ``assert_round_trips`` -- the functions of
  :mod:`adapters.testing`, with relative paths looked up in the folder;
* ``sse_snapshot`` and ``events_snapshot`` -- syrupy's ``snapshot`` using the
  extensions of :mod:`adapters.testing.snapshots`.

Strategy: pytest imports this module at start-up in every run of every
project where the package is installed, so at import time it needs nothing
but pytest and the library itself; syrupy is imported by the snapshot
fixtures alone (it may be absent, or disabled with ``-p no:syrupy``) and
hypothesis not at all. See docs/testing.md.
"""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import pytest

from adapters import Violation
from adapters.events import Event
from adapters.testing._conformance import assert_conforms as _assert_conforms
from adapters.testing._conformance import assert_round_trips as _assert_round_trips
from adapters.testing._conformance import recording_id

if TYPE_CHECKING:
    from syrupy.assertion import SnapshotAssertion

__all__ = ["Recordings"]

#: The ini option naming the folder of recordings, and its default.
INI_OPTION: Final = "adapters_fixtures"
DEFAULT_FOLDER: Final = "fixtures"
#: The marker that parametrizes a test over the recordings.
MARKER: Final = "adapters_recordings"
#: The argument the marker fills in.
ARGUMENT: Final = "recording_path"
_INSTALL: Final = "pip install 'stream-adapters[testing]'"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``adapters_fixtures`` ini option."""
    parser.addini(
        INI_OPTION,
        "adapters: folder of recorded streams, relative to the rootdir (default: fixtures)",
        default=DEFAULT_FOLDER,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker (so ``--strict-markers`` accepts it)."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(pattern='**/*.sse'): run the test once per recording in the "
        f"{INI_OPTION} folder matching the pattern, passing its path as {ARGUMENT}",
    )


class Recordings:
    """The recorded streams in one folder; calling it with a name gives the bytes.

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.sse").write_bytes(b"data: [DONE]\\n\\n")
    >>> recording = Recordings(folder)
    >>> recording("a.sse")
    b'data: [DONE]\\n\\n'
    >>> recording("b.sse")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no recording 'b.sse' in ...; did you mean a.sse?
    """

    def __init__(self, folder: Path) -> None:
        #: The folder (absolute when it came from the ini option).
        self.folder = folder

    def __repr__(self) -> str:
        return f"Recordings({os.fspath(self.folder)!r})"

    def __call__(self, name: str | os.PathLike[str]) -> bytes:
        """The bytes of the recording ``name`` (a path relative to the folder)."""
        return self.path(name).read_bytes()

    def path(self, name: str | os.PathLike[str]) -> Path:
        """The path of the recording ``name``; ``FileNotFoundError`` naming the
        folder (and the closest names) when there is no such file."""
        path = self.folder / name
        if path.is_file():
            return path
        message = f"no recording {os.fspath(name)!r} in {self.folder}"
        if not self.folder.is_dir():
            message += f" (no such folder; set the {INI_OPTION} ini option)"
        else:
            names = [p.relative_to(self.folder).as_posix() for p in self.all("**/*")]
            close = difflib.get_close_matches(Path(name).as_posix(), names, n=3)
            if close:
                message += f"; did you mean {', '.join(close)}?"
        raise FileNotFoundError(message)

    def all(self, pattern: str = "**/*.sse") -> list[Path]:
        """Every file in the folder matching ``pattern``, sorted."""
        return sorted(path for path in self.folder.glob(pattern) if path.is_file())


def _folder(config: pytest.Config) -> Path:
    value = config.getini(INI_OPTION)
    return config.rootpath / (value if isinstance(value, str) and value else DEFAULT_FOLDER)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize tests marked ``adapters_recordings`` over the recordings."""
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is None:
        return
    if ARGUMENT not in metafunc.fixturenames:
        raise pytest.UsageError(
            f"{metafunc.definition.nodeid}: @pytest.mark.{MARKER} needs an "
            f"argument called {ARGUMENT}"
        )
    pattern = marker.kwargs.get("pattern", marker.args[0] if marker.args else "**/*.sse")
    folder = _folder(metafunc.config)
    paths = Recordings(folder).all(pattern)
    if not paths:
        # An empty parametrization would pass silently; say where we looked.
        raise pytest.UsageError(
            f"{metafunc.definition.nodeid}: no recordings match {pattern!r} in {folder} "
            f"(the {INI_OPTION} ini option names the folder)"
        )
    metafunc.parametrize(ARGUMENT, paths, ids=[recording_id(p, folder) for p in paths])


@pytest.fixture(scope="session")
def recording(pytestconfig: pytest.Config) -> Recordings:
    """The project's recordings: ``recording("openai/text.sse")`` gives the bytes."""
    return Recordings(_folder(pytestconfig))


def _resolve(folder: Path, source: Any) -> Any:
    # A relative path names a recording, as recording() takes it.
    if isinstance(source, str | os.PathLike) and not Path(source).is_absolute():
        return Recordings(folder).path(source)
    return source


@pytest.fixture(scope="session")
def assert_conforms(recording: Recordings) -> Callable[..., list[Violation]]:
    """:func:`adapters.testing.assert_conforms`; relative paths name recordings."""

    @functools.wraps(_assert_conforms)
    def check(source: Any, *args: Any, **kwargs: Any) -> list[Violation]:
        __tracebackhide__ = True
        return _assert_conforms(_resolve(recording.folder, source), *args, **kwargs)

    return check


@pytest.fixture(scope="session")
def assert_round_trips(recording: Recordings) -> Callable[..., list[Event]]:
    """:func:`adapters.testing.assert_round_trips`; relative paths name recordings."""

    @functools.wraps(_assert_round_trips)
    def check(source: Any, *args: Any, **kwargs: Any) -> list[Event]:
        __tracebackhide__ = True
        return _assert_round_trips(_resolve(recording.folder, source), *args, **kwargs)

    return check


def _snapshot(request: pytest.FixtureRequest, kind: Literal["sse", "events"]) -> SnapshotAssertion:
    try:
        from adapters.testing import snapshots  # noqa: PLC0415 - syrupy may be absent
    except ImportError as error:
        pytest.fail(f"{request.fixturename} needs syrupy ({_INSTALL}): {error}", pytrace=False)
    snapshot: SnapshotAssertion = request.getfixturevalue("snapshot")
    if kind == "sse":
        return snapshot.use_extension(snapshots.SSESnapshotExtension)
    return snapshot.use_extension(snapshots.EventsSnapshotExtension)


@pytest.fixture
def sse_snapshot(request: pytest.FixtureRequest) -> SnapshotAssertion:
    """syrupy's ``snapshot``, storing a stream's bytes as a ``.sse`` file."""
    return _snapshot(request, "sse")


@pytest.fixture
def events_snapshot(request: pytest.FixtureRequest) -> SnapshotAssertion:
    """syrupy's ``snapshot``, storing normalized events as a ``.jsonl`` file."""
    return _snapshot(request, "events")

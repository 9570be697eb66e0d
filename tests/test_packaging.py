"""The wheel ships the typed package and the console script."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_the_wheel_ships_py_typed_and_the_console_script(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    [wheel] = tmp_path.glob("stream_adapters-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "adapters/py.typed" in names
    assert "adapters/sse.py" in names
    assert not any(name.startswith(("tests/", "fixtures/")) for name in names)
    [entry_points] = [n for n in names if n.endswith("entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "adapters = adapters.cli:main" in text
    [metadata] = [n for n in names if n.endswith("METADATA")]
    meta = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Requires-Python: >=3.11" in meta
    assert "Provides-Extra: testing" in meta

"""`import adapters` stays light: no test kit, and httpx only from adapters.httpx."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

TEST_KIT = ("hypothesis", "pytest", "syrupy")


@pytest.mark.parametrize("module", ["adapters", "adapters.sse", "adapters.cli"])
def test_importing_the_library_pulls_in_no_test_kit_and_no_httpx(module: str) -> None:
    code = (
        f"import sys, json, {module}; "
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, check=True, text=True
    )
    loaded = set(json.loads(result.stdout))
    assert loaded.isdisjoint({*TEST_KIT, "httpx"}), loaded & {*TEST_KIT, "httpx"}


def test_the_public_names_are_exported() -> None:
    import adapters
    import adapters.sse

    assert set(adapters.__all__) >= {"AdapterError", "DecodeError", "EncodeError", "Diagnostic"}
    for name in adapters.__all__:
        assert hasattr(adapters, name)
    for name in adapters.sse.__all__:
        assert hasattr(adapters.sse, name)
    assert adapters.DecodeError.__module__ == "adapters"
    assert repr(adapters.Diagnostic("k", "m", 0, 0)).startswith("Diagnostic(")


@pytest.mark.parametrize(("module", "other"), [("openai", "dashscope"), ("dashscope", "openai")])
def test_provider_packages_do_not_import_each_other(module: str, other: str) -> None:
    import adapters

    package = Path(adapters.__file__).parent / module
    for path in package.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert f"adapters.{other}" not in text, f"{path.name} imports adapters.{other}"

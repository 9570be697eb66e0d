"""Test support for projects that handle these streams (needs the ``testing`` extra).

* ``adapters.testing.strategies`` holds hypothesis strategies that generate
  valid and adversarial input for each layer (docs/strategies.md);
* :func:`assert_conforms` and :func:`assert_round_trips` assert that a stream
  keeps its protocol (:func:`adapters.check`) and that it decodes and encodes
  back to itself; :func:`recordings` parametrizes a test over a folder of
  recordings;
* ``adapters.testing.pytest_plugin`` hands these out as pytest fixtures, with
  syrupy snapshots of streams (``adapters.testing.snapshots``) as readable
  ``.sse`` and ``.jsonl`` files (docs/testing.md).

Nothing in the rest of the package imports this package, so ``import adapters``
never pulls in hypothesis, pytest or syrupy. Importing this package pulls in
none of them either: the assertions import pytest when first used, the
strategies hypothesis, the snapshots syrupy.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.testing._conformance import (
        EXPECTED_SUFFIX,
        assert_conforms,
        assert_round_trips,
        expected_findings_path,
        recording_id,
        recordings,
    )

__all__ = [
    "EXPECTED_SUFFIX",
    "assert_conforms",
    "assert_round_trips",
    "expected_findings_path",
    "recording_id",
    "recordings",
]


def __getattr__(name: str) -> Any:
    """The assertions, imported when first asked for: ``import
    adapters.testing.strategies`` needs hypothesis, not pytest."""
    if name in __all__:
        from adapters.testing import _conformance  # noqa: PLC0415 - lazy on purpose

        return getattr(_conformance, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The public hypothesis strategies hold the laws they promise.

* valid strategies: what they draw passes ``adapters.check`` with no error
  (with ``clean=True``, with no finding at all); it round-trips as DESIGN.md,
  "Round-trip, defined" says (events, wire and modes laws); and any chunking
  of the bytes decodes to the same events;
* they reach what a stream can say: text, reasoning then content, parallel
  tool calls with arguments cut anywhere, n > 1, usage, errors, Chinese,
  emoji and astral text;
* invalid strategies: every variant is caught by the rule it is tagged with,
  and every rule they list is reached.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

import adapters
from adapters import Violation, check
from adapters._check import RULES
from adapters.events import (
    ErrorEvent,
    Event,
    ReasoningDelta,
    StreamStart,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from adapters.sse import decode_frames
from adapters.testing import strategies
from adapters.testing.strategies import (
    INVALID_RULES,
    Invalid,
    chunkings,
    dashscope_streams,
    event_streams,
    invalid_dashscope_streams,
    invalid_openai_streams,
    invalid_sse_streams,
    openai_streams,
)

Mode = Literal["incremental", "cumulative"]
MODES: list[Mode] = ["incremental", "cumulative"]
KINDS = ["openai", "incremental", "cumulative", "text"]

# What the default (not clean) strategies may draw that the providers never
# send, though it is valid wire: an error with no HTTP status (no
# :HTTP_STATUS comment) or another request id, usage numbers that do not add
# up, tool calls opened without a name or with arguments that are not JSON.
WARNINGS = {"DS002", "DS010", "DS012", "OAI011", "OAI012"}

FAST = settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])


def _draw_stream(data: st.DataObject, kind: str, *, clean: bool) -> tuple[bytes, Mode | None]:
    """Bytes of the kind asked for, and the DashScope mode (None for OpenAI)."""
    if kind == "openai":
        return data.draw(openai_streams(clean=clean)), None
    mode: Mode = "cumulative" if kind == "cumulative" else "incremental"
    result_format: Literal["message", "text"] = "text" if kind == "text" else "message"
    raw = data.draw(dashscope_streams(mode, result_format=result_format, clean=clean))
    return raw, mode


def _decode(source: bytes | list[bytes], mode: Mode | None) -> list[Event]:
    if mode is None:
        return list(adapters.decode(source, provider="openai"))
    return list(adapters.decode(source, provider="dashscope", mode=mode))


# ------------------------------------------------------------ valid streams


@FAST
@given(st.data(), st.sampled_from(KINDS), st.booleans())
def test_valid_streams_pass_the_checker(data: st.DataObject, kind: str, clean: bool) -> None:
    raw, mode = _draw_stream(data, kind, clean=clean)
    found = check(raw, provider="openai" if mode is None else "dashscope", mode=mode or "auto")
    if clean:
        assert found == []
    else:
        assert [v for v in found if v.severity == "error"] == []
        assert {v.rule for v in found} <= WARNINGS


@FAST
@given(st.data(), st.sampled_from(KINDS), st.booleans())
def test_events_law(data: st.DataObject, kind: str, clean: bool) -> None:
    """decode(encode(e, p), p) == e, for both providers and both DashScope modes."""
    if kind == "openai":
        events = data.draw(event_streams("openai", clean=clean))
        assert _decode(adapters.encode(events, provider="openai"), None) == events
        return
    result_format: Literal["message", "text"] = "text" if kind == "text" else "message"
    events = data.draw(event_streams("dashscope", result_format=result_format, clean=clean))
    for mode in MODES:
        raw = adapters.encode(events, "dashscope", mode, result_format=result_format)
        assert _decode(raw, mode) == events


@FAST
@given(st.data(), st.sampled_from(KINDS), st.booleans())
def test_wire_law(data: st.DataObject, kind: str, clean: bool) -> None:
    """encode(decode(x)) == x, byte for byte, for what the bytes strategies draw."""
    raw, mode = _draw_stream(data, kind, clean=clean)
    events = _decode(raw, mode)
    if mode is None:
        assert adapters.encode(events, provider="openai") == raw
    else:
        assert adapters.encode(events, "dashscope", mode) == raw


@FAST
@given(event_streams("dashscope"))
def test_modes_law(events: list[Event]) -> None:
    """The same content cumulative or incremental normalizes the same;
    incremental -> cumulative -> incremental is the identity."""
    incremental = adapters.encode(events, "dashscope", "incremental")
    cumulative = adapters.encode(events, "dashscope", "cumulative")
    from_cumulative = list(adapters.decode(cumulative, "dashscope", "cumulative", wire=False))
    assert from_cumulative == _decode(incremental, "incremental") == events
    assert adapters.encode(from_cumulative, "dashscope", "incremental") == incremental


@FAST
@given(st.data(), st.sampled_from(KINDS))
def test_decoding_is_chunking_invariant(data: st.DataObject, kind: str) -> None:
    raw, mode = _draw_stream(data, kind, clean=data.draw(st.booleans()))
    assert _decode(data.draw(chunkings(raw)), mode) == _decode(raw, mode)


@given(st.data())
def test_chunkings_cut_without_losing_a_byte(data: st.DataObject) -> None:
    raw = data.draw(st.binary(max_size=64))
    chunks = data.draw(chunkings(raw))
    assert b"".join(chunks) == raw
    assert chunks


@FAST
@given(st.data(), st.sampled_from([True, False, None]), st.integers(1, 4))
def test_openai_options(data: st.DataObject, include_usage: bool | None, n: int) -> None:
    raw = data.draw(openai_streams(include_usage=include_usage, n=n))
    events = _decode(raw, None)
    chunks = [
        body
        for frame in decode_frames(raw)
        if frame.data and frame.data != "[DONE]"
        for body in [json.loads(frame.data)]
        if "error" not in body
    ]
    usage = [chunk for chunk in chunks if chunk.get("usage") is not None]
    if include_usage is False:
        assert usage == []
        assert not any(isinstance(e, Usage) for e in events)
    elif include_usage:
        # One usage chunk, choices: [], after every chunk with choices.
        assert usage == [chunks[-1]]
        assert chunks[-1]["choices"] == []
    assert {e.choice for e in events if e.choice is not None} <= set(range(n))


@FAST
@given(st.data(), st.sampled_from(MODES), st.sampled_from(["string", "list"]), st.integers(1, 3))
def test_dashscope_options(data: st.DataObject, mode: Mode, content: str, n: int) -> None:
    raw = data.draw(dashscope_streams(mode, content=content, n=n))  # type: ignore[arg-type]
    events = _decode(raw, mode)
    assert {e.choice for e in events if e.choice is not None} <= set(range(n))
    contents = [
        choice["message"]["content"]
        for frame in decode_frames(raw)
        if frame.event == "result" and frame.data
        for choice in json.loads(frame.data)["output"].get("choices", [])
        if "content" in choice.get("message", {})
    ]
    assert all(type(c) is (list if content == "list" else str) for c in contents)


@pytest.mark.parametrize(
    "make",
    [
        lambda: event_streams("anthropic"),  # type: ignore[arg-type]
        lambda: event_streams("dashscope", result_format="json"),  # type: ignore[arg-type]
        lambda: event_streams("dashscope", result_format="text", n=2),
        lambda: event_streams(n=0),
        lambda: openai_streams(n=0),
        lambda: dashscope_streams("delta"),  # type: ignore[arg-type]
        lambda: dashscope_streams(content="parts"),  # type: ignore[arg-type]
    ],
)
def test_bad_arguments_are_refused_at_once(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case says its own thing
        make()


# ------------------------------------------------------------ what they reach


def _texts(events: list[Event]) -> str:
    return "".join(getattr(e, "text", "") or "" for e in events) + "".join(
        getattr(e, "arguments", "") or "" for e in events
    )


def _reasoning_then_text(events: list[Event]) -> bool:
    for choice in {e.choice for e in events if isinstance(e, ReasoningDelta)}:
        kinds = [type(e) for e in events if e.choice == choice]
        if TextDelta in kinds[kinds.index(ReasoningDelta) :]:
            return True
    return False


def _calls(events: list[Event]) -> dict[tuple[int, int], list[ToolCallDelta]]:
    calls: dict[tuple[int, int], list[ToolCallDelta]] = {}
    for e in events:
        if isinstance(e, ToolCallDelta):
            calls.setdefault((e.choice, e.index), []).append(e)
    return calls


def _json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _parallel_json_split(events: list[Event]) -> bool:
    """Two calls of one choice, one of them JSON cut into three pieces or more,
    one of which is not JSON on its own, and a fragment of the first call
    after the second opened."""
    calls = _calls(events)
    split = any(
        len(fragments) >= 3
        and _json("".join(f.arguments for f in fragments))
        and not all(_json(f.arguments) for f in fragments)
        for fragments in calls.values()
    )
    order = [(e.choice, e.index) for e in events if isinstance(e, ToolCallDelta)]
    interleaved = any(
        (choice, 1) in order and (choice, 0) in order[order.index((choice, 1)) :]
        for choice, _ in calls
    )
    return split and interleaved


FEATURES: dict[str, Callable[[list[Event]], bool]] = {
    "text": lambda events: any(isinstance(e, TextDelta) for e in events),
    "reasoning then content": _reasoning_then_text,
    "parallel tool calls, JSON arguments cut anywhere": _parallel_json_split,
    "n > 1": lambda events: any(e.choice == 2 for e in events),
    "usage with cached and reasoning tokens": lambda events: any(
        isinstance(e, Usage) and e.cached_tokens and e.reasoning_tokens for e in events
    ),
    "error": lambda events: any(isinstance(e, ErrorEvent) for e in events),
    "Chinese": lambda events: any("\u4e00" <= c <= "\u9fff" for c in _texts(events)),
    "emoji": lambda events: "🙂" in _texts(events) or "🚀" in _texts(events),
    "astral": lambda events: any(ord(c) > 0xFFFF for c in _texts(events)),
    "request id": lambda events: any(isinstance(e, StreamStart) and e.request_id for e in events),
}
_SEARCH = settings(
    max_examples=2000,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


REACH = [
    (feature, provider)
    for feature in FEATURES
    for provider in ("openai", "dashscope")
    if (feature, provider) != ("request id", "openai")  # OpenAI streams have none
]


@pytest.mark.parametrize("clean", [False, True], ids=["any", "clean"])
@pytest.mark.parametrize(("feature", "provider"), REACH)
def test_event_streams_reach(
    feature: str, provider: Literal["openai", "dashscope"], clean: bool
) -> None:
    find(event_streams(provider, clean=clean), FEATURES[feature], settings=_SEARCH)


# ------------------------------------------------------------ invalid streams


def _found(invalid: Invalid, chunks: list[bytes] | None = None) -> list[Violation]:
    source: bytes | Iterator[bytes] = invalid.data if chunks is None else iter(chunks)
    return check(source, provider=invalid.provider, mode=invalid.mode or "auto")


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), invalid_openai_streams() | invalid_dashscope_streams() | invalid_sse_streams())
def test_every_invalid_stream_breaks_its_rule(data: st.DataObject, invalid: Invalid) -> None:
    assert invalid.rule in INVALID_RULES[invalid.provider]
    assert (invalid.mode is None) == (invalid.provider == "openai")
    found = _found(invalid)
    assert invalid.rule in {v.rule for v in found}
    # ... however the bytes are cut.
    assert _found(invalid, data.draw(chunkings(invalid.data))) == found


RULES_TO_REACH = [(p, rule) for p, rules in INVALID_RULES.items() for rule in rules]


@settings(max_examples=8, suppress_health_check=[HealthCheck.too_slow])
@pytest.mark.parametrize(("provider", "rule"), RULES_TO_REACH)
@given(data=st.data())
def test_every_listed_rule_is_reached(provider: str, rule: str, data: st.DataObject) -> None:
    if provider == "openai":
        invalid = data.draw(invalid_openai_streams(rule=rule))
    else:
        invalid = data.draw(invalid_dashscope_streams(rule=rule))
    assert (invalid.rule, invalid.provider) == (rule, provider)
    assert rule in {v.rule for v in _found(invalid)}


@settings(max_examples=20)
@given(st.sampled_from(MODES), st.data())
def test_a_mode_asked_for_is_kept(mode: Mode, data: st.DataObject) -> None:
    invalid = data.draw(invalid_dashscope_streams(mode))
    assert invalid.mode == mode
    assert invalid.rule not in {"DS013" if mode == "cumulative" else "DS007"}


@settings(max_examples=20)
@given(invalid_sse_streams())
def test_sse_variants_break_sse_rules(invalid: Invalid) -> None:
    assert invalid.rule.startswith("SSE")
    assert invalid.rule in {v.rule for v in _found(invalid)}


def test_the_rule_lists() -> None:
    for provider, prefix in (("openai", "OAI"), ("dashscope", "DS")):
        rules = INVALID_RULES[provider]
        assert all(rule in RULES for rule in rules)
        # Every rule of the provider's own, in the checker's order.
        assert [r for r in rules if r.startswith(prefix)] == [
            r for r in RULES if r.startswith(prefix)
        ]
        assert [r for r in rules if r.startswith("SSE")] == ["SSE001", "SSE002", "SSE003", "SSE006"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: invalid_openai_streams(rule="DS001"),
        lambda: invalid_openai_streams(rule="SSE004"),
        lambda: invalid_dashscope_streams(rule="OAI001"),
        lambda: invalid_dashscope_streams("incremental", rule="DS007"),
        lambda: invalid_dashscope_streams("cumulative", rule="DS013"),
        lambda: invalid_dashscope_streams("delta"),  # type: ignore[arg-type]
        lambda: invalid_sse_streams(rule="OAI001"),
        lambda: invalid_sse_streams("anthropic"),  # type: ignore[arg-type]
    ],
)
def test_invalid_strategies_refuse_what_they_cannot_draw(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case says its own thing
        make()


def test_invalid_is_a_frozen_value() -> None:
    invalid = Invalid(b"data: [DONE]\n\n", "OAI017", "openai")
    assert invalid == Invalid(b"data: [DONE]\n\n", "OAI017", "openai", None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        invalid.rule = "OAI018"  # type: ignore[misc]


def test_the_module_needs_no_pytest() -> None:
    """The strategies need hypothesis only (the package's __init__ is another matter:
    it holds pytest helpers), so the module is loaded here from its file."""
    path = Path(strategies.__file__)
    code = (
        "import importlib.util, sys\n"
        "sys.modules['pytest'] = sys.modules['_pytest'] = sys.modules['syrupy'] = None\n"
        f"spec = importlib.util.spec_from_file_location('standalone', {str(path)!r})\n"
        "module = sys.modules['standalone'] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "print(sorted(module.__all__) == sorted(set(module.__all__)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, "True\n"), done.stderr

"""Review of the checker (adapters.check) and the public hypothesis strategies.

Regressions from an adversarial review: each test states a behaviour the
documentation promises that the code did not deliver; its docstring says what
was seen before the fix and what should be seen.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import adapters
from adapters import DecodeError, check
from adapters.dashscope import Decoder as DashScopeDecoder
from adapters.testing.strategies import event_streams, sse_bytes

# ----------------------------------------------------------------- helpers


def _compact(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _key(raw: bytes, **options: Any) -> list[tuple[str, int | None, int | None]]:
    return [(v.rule, v.frame, v.offset) for v in check(raw, **options)]


def _chunk(*choices: dict[str, Any], **fields: Any) -> bytes:
    body: dict[str, Any] = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
    }
    body.update(fields)
    body.setdefault("choices", list(choices))
    return b"data: " + _compact(body) + b"\n\n"


def _choice(index: int = 0, finish: str | None = None, **delta: Any) -> dict[str, Any]:
    return {"index": index, "delta": delta, "finish_reason": finish}


DONE = b"data: [DONE]\n\n"
FINISH = _chunk(_choice(finish="stop")) + DONE


def _frame(n: int, data: object, event: str = "result", status: int = 200) -> bytes:
    body = data if isinstance(data, bytes) else _compact(data)
    return b"id:%d\nevent:%s\n:HTTP_STATUS/%d\ndata:%s\n\n" % (n, event.encode(), status, body)


def _payload(output: dict[str, Any], usage: tuple[int, int, int] = (3, 1, 4)) -> dict[str, Any]:
    names = ("input_tokens", "output_tokens", "total_tokens")
    return {"output": output, "usage": dict(zip(names, usage, strict=True)), "request_id": "r1"}


def _result(content: object, finish: str = "null", **message: Any) -> dict[str, Any]:
    body = {"role": "assistant", "content": content, **message}
    return _payload({"choices": [{"message": body, "finish_reason": finish}]})


DS_FINISH = _frame(
    2,
    _payload(
        {"choices": [{"message": {"role": "assistant", "content": ""}, "finish_reason": "stop"}]},
        (3, 2, 5),
    ),
)


# ------------------------------------------- SSE findings inside glued frames


GLUED_FIRST = _frame(1, _result("Hel"))  # 218 bytes; frame 1 starts at 217 once glued
GLUED = (GLUED_FIRST + _frame(2, _result("lo", "stop"))).replace(b"\n\nid:2", b"\nid:2")


def test_invalid_utf8_in_a_glued_frame_is_placed_in_that_frame() -> None:
    """Now SSE001 for a bad byte in the 2nd glued frame says (0, 0); should be (1, 217)."""
    assert len(GLUED_FIRST) - 1 == 217
    raw = GLUED.replace(b'"lo"', b'"l\xffo"')
    found = _key(raw)
    assert ("DS016", 1, 217) in found  # the frame itself is placed right...
    assert ("SSE001", 1, 217) in found  # ...but its invalid byte is not
    assert ("SSE001", 0, 0) not in found


# ------------------------------------------------ sniffing and re-chunking


def _spaced(n: int, data: dict[str, Any]) -> bytes:
    # The same frame as DashScope's, written with the usual space after each
    # colon (as an SSE re-serializer does): SSE reads it identically.
    return b"id: %d\nevent: result\n:HTTP_STATUS/200\ndata: %s\n\n" % (n, _compact(data))


def test_auto_provider_findings_do_not_depend_on_where_the_input_is_cut() -> None:
    """Now a DashScope stream cut after its `event: ` line is sniffed as OpenAI (OAI002 x2,
    OAI017) while the same bytes whole are DashScope and clean; both should give the same."""
    raw = _spaced(1, _result("Hel")) + _spaced(
        2,
        _payload(
            {
                "choices": [
                    {"message": {"role": "assistant", "content": "lo"}, "finish_reason": "stop"}
                ]
            },
            (3, 2, 5),
        ),
    )
    whole = check(raw)
    cut = raw.index(b"event: result\n") + len(b"event: result\n")
    assert check(iter([raw[:cut], raw[cut:]])) == whole
    assert check(iter([raw[i : i + 1] for i in range(len(raw))])) == whole


# ------------------------------------------------------------------ SSE004


def test_sse004_measures_input_bytes_not_replacement_characters() -> None:
    """Now a 263-byte line holding 100 invalid bytes is SSE004 with max_line_size=263
    (each byte counted as the 3 bytes of U+FFFD); SSE004 should not be reported."""
    line = (
        b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
        b'"choices":[{"index":0,"delta":{"role":"assistant","content":"'
        + b"\xff" * 100
        + b'"},"finish_reason":"stop"}]}'
    )
    raw = line + b"\n\n" + DONE
    rules = {rule for rule, _, _ in _key(raw, max_line_size=len(line))}
    assert "SSE001" in rules
    assert "SSE004" not in rules
    # One byte less, and the line is over the bound.
    assert "SSE004" in {rule for rule, _, _ in _key(raw, max_line_size=len(line) - 1)}


# ------------------------------------------- DS006: malformed parts missed


def _ds_message(**message: Any) -> dict[str, Any]:
    return {"choices": [{"message": {"role": "assistant", **message}, "finish_reason": "null"}]}


MALFORMED_DASHSCOPE: dict[str, dict[str, Any]] = {
    "choices is a string": {"choices": "x"},
    "choices is an object": {"choices": {}},
    "message is a string": {"choices": [{"message": "x", "finish_reason": "null"}]},
    "choice index is a string": {
        "choices": [
            {
                "index": "0",
                "message": {"role": "assistant", "content": "a"},
                "finish_reason": "null",
            }
        ]
    },
    "content is a number": _ds_message(content=5),
    "content parts are strings": _ds_message(content=["a"]),
    "reasoning_content is a number": _ds_message(content="", reasoning_content=5),
    "tool_calls is an object": _ds_message(content="", tool_calls={}),
    "tool call function is a string": _ds_message(
        content="", tool_calls=[{"index": 0, "id": "c", "type": "function", "function": "x"}]
    ),
    "output.text is a number": {"text": 5, "finish_reason": "null"},
}


@pytest.mark.parametrize("output", MALFORMED_DASHSCOPE.values(), ids=MALFORMED_DASHSCOPE.keys())
def test_ds006_reports_a_malformed_part_that_decode_refuses(output: dict[str, Any]) -> None:
    """Now check() reports nothing for these payloads, which adapters.decode refuses
    (invalid_frame); DS006 ("malformed part") should be reported at frame 0."""
    raw = _frame(1, _payload(output)) + DS_FINISH
    with pytest.raises(DecodeError):
        list(adapters.decode(raw, provider="dashscope"))
    assert ("DS006", 0, 0) in _key(raw, provider="dashscope")


# ------------------------------------------- OAI002: malformed chunks missed


MALFORMED_OPENAI: dict[str, bytes] = {
    "delta.content is a number": _chunk(_choice(role="assistant", content=5)),
    "tool call function is a string": _chunk(
        _choice(role="assistant", tool_calls=[{"index": 0, "id": "c", "function": "x"}])
    ),
    "choice index is negative": _chunk(_choice(-1, role="assistant", content="a")),
}


@pytest.mark.parametrize("head", MALFORMED_OPENAI.values(), ids=MALFORMED_OPENAI.keys())
def test_oai002_reports_a_malformed_chunk_that_decode_refuses(head: bytes) -> None:
    """Now check() has no OAI002 (nothing, warnings only, or a later OAI008) for chunks that
    adapters.decode refuses (invalid_chunk); OAI002 should be reported at frame 0."""
    raw = head + FINISH
    with pytest.raises(DecodeError):
        list(adapters.decode(raw, provider="openai"))
    assert ("OAI002", 0, 0) in _key(raw, provider="openai")


# ------------------------------------------ decode offsets agree with check


def _decode_error(run: Callable[[], object]) -> DecodeError:
    with pytest.raises(DecodeError) as caught:
        run()
    return caught.value


def test_decode_error_offset_of_a_glued_frame_is_where_its_id_line_starts() -> None:
    """Now Decoder(split_glued=True) says byte 218 for a glued frame whose `id:2` line
    starts at byte 217; should be 217, as check() says (DS005 at (1, 217))."""
    raw = (GLUED_FIRST + _frame(2, b"{oops") + _frame(3, _result("lo", "stop"))).replace(
        b"\n\nid:2", b"\nid:2"
    )
    assert raw[217:221] == b"id:2"
    assert ("DS005", 1, 217) in _key(raw)

    def run() -> None:
        decoder = DashScopeDecoder(split_glued=True)
        decoder.feed(raw)
        decoder.close()

    error = _decode_error(run)
    assert (error.frame, error.offset) == (1, 217)


# ------------------------------------------------ strategies: bad arguments


@pytest.mark.parametrize(
    "make",
    [
        lambda: sse_bytes(line_endings="crlf"),
        lambda: event_streams("openai", result_format="json"),  # type: ignore[arg-type]
    ],
    ids=["sse_bytes line_endings='crlf'", "event_streams openai result_format='json'"],
)
def test_strategies_refuse_a_bad_argument_at_once(make: Callable[[], object]) -> None:
    """Now these are accepted (sse_bytes silently mixes endings; the OpenAI result_format is
    ignored, while the same value is refused for DashScope); should raise ValueError."""
    with pytest.raises(ValueError):  # noqa: PT011 - any message
        make()


def test_decode_error_offset_counts_invalid_utf8_as_its_input_bytes() -> None:
    """After an invalid byte, the OpenAI reader said a later frame started 2 bytes
    late (U+FFFD counted as 3 bytes); it should be the frame's input offset,
    however the input is cut, as check() says."""
    good = (
        b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
        b'"choices":[{"index":0,"delta":{"role":"assistant","content":"a\xffb"},'
        b'"finish_reason":null}]}\n\n'
    )
    raw = good + good.replace(b'"role":"assistant",', b"") + b"data: {oops\n\n"
    start = len(raw) - len(b"data: {oops\n\n")
    assert ("OAI001", 2, start) in _key(raw)
    for cuts in ([len(raw)], [1], [len(good) // 2], [len(good) + 3]):
        size = cuts[0]
        chunks = [raw[i : i + size] for i in range(0, len(raw), size)]

        def run(chunks: list[bytes] = chunks) -> None:
            list(adapters.decode(chunks, provider="openai"))

        error = _decode_error(run)
        assert (error.kind, error.frame, error.offset) == ("invalid_json", 2, start)

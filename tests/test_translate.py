"""Request, response and error bodies between OpenAI chat completions and DashScope native.

Shapes come from the providers' documentation and the research notes:

* DashScope API reference, https://help.aliyun.com/zh/model-studio/qwen-api-via-dashscope
  (``input.messages``, ``parameters.*``, ``output.choices`` / ``output.text``, usage);
* DashScope status codes,
  https://help.aliyun.com/zh/dashscope/developer-reference/return-status-code-description;
* OpenAI chat completions, https://platform.openai.com/docs/api-reference/chat
  (and the ``openai`` SDK's types, which parse what we write).

Real clients are used where it is cheap: the ``openai`` SDK builds request bodies
(captured with ``httpx.MockTransport``) and parses our ``chat.completion`` bodies;
the ``dashscope`` SDK builds native request bodies and parses our native responses
(a small HTTP server on 127.0.0.1 records and answers).
"""

from __future__ import annotations

import copy
import json
import socketserver
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import dashscope
import httpx
import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types.chat import ChatCompletion

from adapters import DecodeError, EncodeError, translate
from adapters.translate import (
    MULTIMODAL_PATH,
    TEXT_GENERATION_PATH,
    DashScopeRequest,
    dashscope_error_to_openai,
    dashscope_request_to_openai,
    dashscope_response_to_openai,
    is_multimodal,
    openai_error_to_dashscope,
    openai_request_to_dashscope,
    openai_response_to_dashscope,
)

Body = dict[str, Any]

USER: Any = {"role": "user", "content": "杭州和上海的天气怎么样？"}


def request(**fields: Any) -> Body:
    return {"model": "qwen-plus", "messages": [USER], **fields}


def parameters(**fields: Any) -> Body:
    got: Body = openai_request_to_dashscope(request(**fields)).body["parameters"]
    return got


# ====================================================================== OpenAI -> DashScope


def test_a_plain_request() -> None:
    got = openai_request_to_dashscope(request())
    assert got == DashScopeRequest(
        path=TEXT_GENERATION_PATH,
        headers={"Content-Type": "application/json"},
        body={
            "model": "qwen-plus",
            "input": {"messages": [USER]},
            "parameters": {"result_format": "message"},
        },
        stream=False,
        multimodal=False,
    )
    assert hash(got) == hash(openai_request_to_dashscope(request()))


def test_a_streaming_request_sends_the_sse_headers_and_asks_for_deltas() -> None:
    # API reference, `stream`: "通过HTTP实现流式输出请在Header中指定X-DashScope-SSE为enable"
    got = openai_request_to_dashscope(request(stream=True, stream_options={"include_usage": True}))
    assert got.stream is True
    assert got.headers == {
        "Content-Type": "application/json",
        "X-DashScope-SSE": "enable",
        "Accept": "text/event-stream",
    }
    assert got.body["parameters"] == {"result_format": "message", "incremental_output": True}


@pytest.mark.parametrize(
    ("keyword", "in_body", "expected"),
    [
        (None, None, True),
        (False, None, False),
        (True, None, True),
        (None, False, False),
        (True, False, True),  # the keyword wins over the body
    ],
)
def test_incremental_output_when_streaming(
    keyword: bool | None, in_body: bool | None, expected: bool
) -> None:
    body = request(stream=True)
    if in_body is not None:
        body["incremental_output"] = in_body
    got = openai_request_to_dashscope(body, incremental_output=keyword)
    assert got.body["parameters"]["incremental_output"] is expected


@pytest.mark.parametrize("keyword", [None, True, False])
@pytest.mark.parametrize("in_body", [None, True, False])
@pytest.mark.parametrize("stream", [None, False])
def test_a_non_streaming_request_never_sends_incremental_output(
    keyword: bool | None, in_body: bool | None, stream: bool | None
) -> None:
    # DashScope rejects incremental_output on a non-streaming call.
    body = request()
    if stream is not None:
        body["stream"] = stream
    if in_body is not None:
        body["incremental_output"] = in_body
    got = openai_request_to_dashscope(body, incremental_output=keyword)
    assert "incremental_output" not in got.body["parameters"]
    assert got.stream is False
    assert "X-DashScope-SSE" not in got.headers


def test_result_format_is_always_message() -> None:
    assert parameters(result_format="message")["result_format"] == "message"
    with pytest.raises(EncodeError) as caught:
        openai_request_to_dashscope(request(result_format="text"))
    assert caught.value.kind == "untranslatable"
    assert "result_format" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("temperature", 0.7),
        ("top_p", 0.8),
        ("top_k", 20),  # an OpenAI-compatible-mode extension
        ("seed", 1234),
        ("presence_penalty", 1.5),
        ("n", 2),
        ("stop", "Observation:"),
        ("stop", ["\n\n", "Observation:"]),
        ("stop", [[37763, 367]]),  # token ids, as a recorded request sent them
        ("tools", [{"type": "function", "function": {"name": "f", "parameters": {}}}]),
        ("tool_choice", "auto"),
        ("tool_choice", "none"),
        ("tool_choice", {"type": "function", "function": {"name": "get_current_weather"}}),
        ("parallel_tool_calls", True),
        ("response_format", {"type": "json_object"}),
        ("response_format", {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}),
        ("logprobs", True),
        ("top_logprobs", 3),
        ("enable_thinking", True),
        ("thinking_budget", 50),
        ("repetition_penalty", 1.05),  # DashScope-only, sent as an extra body field
        ("enable_search", True),
        ("search_options", {"forced_search": True}),
        ("vl_high_resolution_images", True),
    ],
)
def test_same_name_parameters(name: str, value: Any) -> None:
    assert parameters(**{name: value})[name] == value
    back = dashscope_request_to_openai(openai_request_to_dashscope(request(**{name: value})).body)
    assert back[name] == value


@pytest.mark.parametrize("name", ["max_tokens", "max_completion_tokens"])
def test_both_token_limits_become_max_tokens(name: str) -> None:
    assert parameters(**{name: 64}) == {"result_format": "message", "max_tokens": 64}


def test_equal_token_limits_are_one_limit_and_different_ones_raise() -> None:
    assert parameters(max_tokens=8, max_completion_tokens=8)["max_tokens"] == 8
    with pytest.raises(EncodeError) as caught:
        openai_request_to_dashscope(request(max_tokens=8, max_completion_tokens=9))
    assert caught.value.kind == "untranslatable"
    assert "max_completion_tokens" in caught.value.message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("frequency_penalty", 0.5),
        ("logit_bias", {"50256": -100}),
        ("functions", [{"name": "f", "parameters": {}}]),
        ("function_call", "auto"),
        ("audio", {"voice": "alloy", "format": "wav"}),
        ("modalities", ["text", "audio"]),
        ("prediction", {"type": "content", "content": "x"}),
        ("reasoning_effort", "low"),
        ("web_search_options", {}),
        ("verbosity", "low"),
    ],
)
def test_fields_without_a_counterpart_raise_naming_the_field(name: str, value: Any) -> None:
    with pytest.raises(EncodeError) as caught:
        openai_request_to_dashscope(request(**{name: value}))
    assert caught.value.kind == "untranslatable"
    assert caught.value.provider == "dashscope"
    assert caught.value.message.startswith(f"{name}: ")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("frequency_penalty", 0),  # OpenAI's default: no penalty, nothing to carry
        ("frequency_penalty", 0.0),
        ("logit_bias", {}),
        ("functions", []),
        ("modalities", ["text"]),
        ("user", "user-1234"),  # request metadata: no effect on the answer
        ("store", True),
        ("metadata", {"k": "v"}),
        ("service_tier", "auto"),
        ("safety_identifier", "x"),
        ("prompt_cache_key", "x"),
        ("temperature", None),  # null: the default on both sides
        ("stop", None),
    ],
)
def test_fields_that_cannot_change_the_answer_are_left_out(name: str, value: Any) -> None:
    assert parameters(**{name: value}) == {"result_format": "message"}


def test_unknown_fields_go_into_parameters_unless_told_to_raise() -> None:
    body = request(x_vendor_flag={"a": [1]}, enable_search=True)
    assert openai_request_to_dashscope(body).body["parameters"]["x_vendor_flag"] == {"a": [1]}
    with pytest.raises(EncodeError) as caught:
        openai_request_to_dashscope(body, extra="raise")
    assert caught.value.message.startswith("x_vendor_flag: ")
    # fields this module knows pass in raise mode
    known = request(temperature=0.1, enable_search=True, max_tokens=3, stream=False)
    assert openai_request_to_dashscope(known, extra="raise").body["parameters"] == {
        "result_format": "message",
        "max_tokens": 3,
        "temperature": 0.1,
        "enable_search": True,
    }


def test_stream_options() -> None:
    # Native streams carry usage on every event: include_usage has no switch there.
    for options in ({"include_usage": True}, {"include_usage": False}, {}):
        got = openai_request_to_dashscope(request(stream=True, stream_options=options))
        assert "stream_options" not in got.body["parameters"]
    got = openai_request_to_dashscope(
        request(stream=True, stream_options={"include_obfuscation": False})
    )
    assert "stream_options" not in got.body["parameters"]
    with pytest.raises(EncodeError, match=r"stream_options\.continuous_usage_stats"):
        openai_request_to_dashscope(
            request(stream=True, stream_options={"continuous_usage_stats": True})
        )


def test_developer_becomes_system_and_text_parts_join_for_text_models() -> None:
    body = request()
    body["messages"] = [
        {"role": "developer", "content": "Be brief."},
        {
            "role": "system",
            "content": [
                {"type": "text", "text": "Answer in "},
                {"type": "text", "text": "English."},
            ],
        },
        {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
    ]
    got = openai_request_to_dashscope(body)
    assert got.body["input"]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "system", "content": "Answer in English."},
        {"role": "user", "content": "Hi"},
    ]
    assert got.path == TEXT_GENERATION_PATH


def test_text_parts_with_extra_keys_stay_a_list() -> None:
    # explicit cache: cache_control on a content part (DashScope context cache docs)
    part = {"type": "text", "text": "long document", "cache_control": {"type": "ephemeral"}}
    got = openai_request_to_dashscope(request(messages=[{"role": "user", "content": [part]}]))
    assert got.body["input"]["messages"][0]["content"] == [
        {"text": "long document", "cache_control": {"type": "ephemeral"}}
    ]
    assert got.multimodal is False


IMAGE = "https://help-static-aliyun-doc.aliyuncs.com/file-manage-files/zh-CN/20241022/emyrja/dog_and_girl.jpeg"


def test_multimodal_parts() -> None:
    content = [
        {"type": "image_url", "image_url": {"url": IMAGE, "detail": "high"}},
        {"type": "video_url", "video_url": {"url": "https://x/v.mp4"}, "fps": 2},
        {"type": "video", "video": ["https://x/1.jpg", "https://x/2.jpg"]},
        {"type": "input_audio", "input_audio": {"data": "https://x/a.mp3", "format": "mp3"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
        {"type": "text", "text": "What is depicted in the image?"},
    ]
    body = {
        "model": "qwen-vl-max",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": content},
        ],
    }
    got = openai_request_to_dashscope(body)
    assert (got.path, got.multimodal) == (MULTIMODAL_PATH, True)
    assert got.body["input"]["messages"] == [
        {"role": "system", "content": [{"text": "You are a helpful assistant."}]},
        {
            "role": "user",
            "content": [
                {"image": IMAGE},  # `detail` has no per-image counterpart: left out
                {"video": "https://x/v.mp4", "fps": 2},
                {"video": ["https://x/1.jpg", "https://x/2.jpg"]},
                {"audio": "https://x/a.mp3"},
                {"audio": "data:audio/wav;base64,UklGRg=="},
                {"text": "What is depicted in the image?"},
            ],
        },
    ]
    back = dashscope_request_to_openai(got.body)["messages"][1]["content"]
    assert back[0] == {"type": "image_url", "image_url": {"url": IMAGE}}
    assert back[1:] == content[1:]


def test_an_image_part_sends_a_text_model_to_the_multimodal_endpoint() -> None:
    message = {"role": "user", "content": [{"type": "image_url", "image_url": {"url": IMAGE}}]}
    got = openai_request_to_dashscope(request(messages=[message]))
    assert got.path == MULTIMODAL_PATH
    forced = openai_request_to_dashscope(request(messages=[USER]), multimodal=True)
    assert forced.path == MULTIMODAL_PATH
    assert forced.body["input"]["messages"] == [
        {"role": "user", "content": [{"text": USER["content"]}]}
    ]


@pytest.mark.parametrize(
    "part",
    [
        {"type": "file", "file": {"file_id": "file-1"}},
        {"type": "refusal", "refusal": "no"},
        {"type": "image_url", "image_url": {"url": IMAGE, "uuid": "x"}},
        {"type": "input_audio", "input_audio": {"data": "AA==", "format": "wav", "x": 1}},
    ],
)
def test_parts_without_a_counterpart_raise(part: Body) -> None:
    with pytest.raises(EncodeError) as caught:
        openai_request_to_dashscope(request(messages=[{"role": "user", "content": [part]}]))
    assert caught.value.kind == "untranslatable"
    assert caught.value.message.startswith("messages[0].content[0].")


TOOL_CALL = {
    "id": "call_29a870e7106f45deb8add3",
    "type": "function",
    "function": {"name": "get_current_weather", "arguments": '{"location": "杭州"}'},
}


def test_a_tool_call_conversation() -> None:
    # DashScope native keeps OpenAI's tool_calls shape inside the message, and its tool
    # messages take tool_call_id (and also name) (API reference, messages).
    messages = [
        USER,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [TOOL_CALL],
            "reasoning_content": "想想",
        },
        {
            "role": "tool",
            "content": "晴，25度",
            "tool_call_id": TOOL_CALL["id"],
            "name": "get_current_weather",
        },
    ]
    for model, empty in (("qwen-plus", ""), ("qwen3-vl-plus", [])):
        got = openai_request_to_dashscope({"model": model, "messages": messages})
        assistant, tool = got.body["input"]["messages"][1:]
        assert assistant == {
            "role": "assistant",
            "content": empty,
            "tool_calls": [TOOL_CALL],
            "reasoning_content": "想想",
        }
        assert tool["tool_call_id"] == TOOL_CALL["id"]
        assert tool["name"] == "get_current_weather"
        assert dashscope_request_to_openai(got.body)["messages"] == messages


def test_the_function_role_raises() -> None:
    message = {"role": "function", "name": "f", "content": "1"}
    with pytest.raises(EncodeError, match=r"messages\[0\]\.role"):
        openai_request_to_dashscope(request(messages=[message]))


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"messages": [USER]},
        {"model": "qwen-plus"},
        {"model": "qwen-plus", "messages": "hi"},
        {"model": "qwen-plus", "messages": [USER], "stream": "yes"},
        {"model": "qwen-plus", "messages": ["hi"]},
        {"model": "qwen-plus", "messages": [{"content": "hi"}]},
        {"model": "qwen-plus", "messages": [{"role": "user", "content": [{"text": "x"}]}]},
    ],
)
def test_a_body_of_the_wrong_shape_is_a_decode_error(body: Any) -> None:
    with pytest.raises(DecodeError) as caught:
        openai_request_to_dashscope(body)
    assert (caught.value.kind, caught.value.provider) == ("invalid_body", "openai")


def test_the_input_is_neither_changed_nor_shared() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    body = request(
        tools=tools,
        messages=[USER, {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]}],
    )
    before = copy.deepcopy(body)
    got = openai_request_to_dashscope(body)
    got.body["parameters"]["tools"][0]["function"]["name"] = "changed"
    got.body["input"]["messages"][1]["tool_calls"][0]["id"] = "changed"
    assert body == before


# ====================================================================== DashScope -> OpenAI


def test_a_dashscope_request_to_openai() -> None:
    body = {
        "model": "qwen-plus",
        "input": {"messages": [{"role": "system", "content": "s"}, USER]},
        "parameters": {
            "result_format": "message",
            "incremental_output": True,
            "max_tokens": 100,
            "temperature": 0.5,
            "repetition_penalty": 1.1,
            "seed": None,
        },
    }
    assert dashscope_request_to_openai(body, stream=True) == {
        "model": "qwen-plus",
        "messages": [{"role": "system", "content": "s"}, USER],
        "max_tokens": 100,
        "temperature": 0.5,
        "repetition_penalty": 1.1,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    plain = dashscope_request_to_openai(
        body, include_usage=False, max_tokens_field="max_completion_tokens"
    )
    assert plain["stream"] is False
    assert "stream_options" not in plain
    assert plain["max_completion_tokens"] == 100
    assert "max_tokens" not in plain


def test_stream_comes_from_the_caller_or_from_parameters() -> None:
    body: Body = {"model": "m", "input": {"messages": [USER]}, "parameters": {"stream": True}}
    assert dashscope_request_to_openai(body)["stream"] is True
    assert dashscope_request_to_openai(body, stream=False)["stream"] is False
    del body["parameters"]
    assert dashscope_request_to_openai(body)["stream"] is False
    assert dashscope_request_to_openai(body, stream=True)["stream_options"] == {
        "include_usage": True
    }


def test_the_legacy_prompt_is_a_user_message() -> None:
    body = {"model": "qwen-max", "input": {"prompt": "1+1="}}
    assert dashscope_request_to_openai(body)["messages"] == [{"role": "user", "content": "1+1="}]
    # Sending both produced the recorded InvalidParameter error.
    both = {"model": "qwen-max", "input": {"prompt": "1+1=", "messages": [USER]}}
    with pytest.raises(EncodeError, match=r"input\.prompt"):
        dashscope_request_to_openai(both)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"model": "m", "input": {"messages": [USER], "history": []}}, "input.history"),
        ({"model": "m", "input": {"messages": [USER]}, "resources": []}, "resources"),
        ({"model": "m", "input": {"messages": [{"role": "plugin", "content": "x"}]}}, "role"),
        (
            {"model": "m", "input": {"messages": [USER]}, "parameters": {"model": "x"}},
            "parameters.model",
        ),
        (
            {
                "model": "m",
                "input": {"messages": [{"role": "user", "content": [{"image_hw": [1, 2]}]}]},
            },
            "image_hw",
        ),
    ],
)
def test_what_openai_cannot_carry_raises(body: Body, where: str) -> None:
    with pytest.raises(EncodeError) as caught:
        dashscope_request_to_openai(body)
    assert caught.value.kind == "untranslatable"
    assert caught.value.provider == "openai"
    assert where in caught.value.message


@pytest.mark.parametrize(
    "body",
    [
        {"input": {"messages": []}},
        {"model": "m"},
        {"model": "m", "input": {}},
        {"model": "m", "input": {"messages": [USER]}, "parameters": []},
        {
            "model": "m",
            "input": {"messages": [{"role": "user", "content": [{"image": "a", "text": "b"}]}]},
        },
    ],
)
def test_a_dashscope_body_of_the_wrong_shape_is_a_decode_error(body: Body) -> None:
    with pytest.raises(DecodeError) as caught:
        dashscope_request_to_openai(body)
    assert (caught.value.kind, caught.value.provider) == ("invalid_body", "dashscope")


def test_dashscope_content_items_become_openai_parts() -> None:
    # DashScope multimodal content: [{"image"}, {"video": url | [frames]}, {"audio"}, {"text"}]
    content = [
        {"image": IMAGE},
        {"video": ["https://x/1.jpg", "https://x/2.jpg"], "fps": 2},
        {"video": "https://x/v.mp4"},
        {"audio": "https://x/welcome.mp3"},
        {"audio": "https://x/noext"},
        {"text": "图里有什么？"},
    ]
    body = {"model": "qwen-vl-max", "input": {"messages": [{"role": "user", "content": content}]}}
    assert dashscope_request_to_openai(body)["messages"][0]["content"] == [
        {"type": "image_url", "image_url": {"url": IMAGE}},
        {"type": "video", "video": ["https://x/1.jpg", "https://x/2.jpg"], "fps": 2},
        {"type": "video_url", "video_url": {"url": "https://x/v.mp4"}},
        {"type": "input_audio", "input_audio": {"data": "https://x/welcome.mp3", "format": "mp3"}},
        {"type": "input_audio", "input_audio": {"data": "https://x/noext"}},
        {"type": "text", "text": "图里有什么？"},
    ]
    # One plain text item, or none, is a string.
    one = {
        "model": "qwen-vl-max",
        "input": {
            "messages": [
                {"role": "user", "content": [{"text": "hi"}]},
                {"role": "assistant", "content": []},
            ]
        },
    }
    assert dashscope_request_to_openai(one)["messages"] == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": ""},
    ]


def test_dashscope_keys_without_a_counterpart_travel_verbatim() -> None:
    # `partial` (prefix continuation) on an assistant message (API reference, messages)
    body = {
        "model": "qwen-plus",
        "input": {"messages": [USER, {"role": "assistant", "content": "春天", "partial": True}]},
        "parameters": {"result_format": "message", "enable_code_interpreter": True},
    }
    got = dashscope_request_to_openai(body)
    assert got["messages"][1] == {"role": "assistant", "content": "春天", "partial": True}
    assert got["enable_code_interpreter"] is True
    assert openai_request_to_dashscope(got).body == body


# ====================================================================== request round trips

_text = st.text(max_size=12)
_ids = st.text(alphabet="abcdef0123456789", min_size=1, max_size=8)
_urls = _ids.map(lambda s: f"https://x.test/{s}")
_tool_calls = st.lists(
    st.builds(
        lambda i, name, args: {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": name, "arguments": args},
        },
        _ids,
        st.sampled_from(["get_weather", "search"]),
        _text,
    ),
    min_size=1,
    max_size=2,
)
_json_scalars = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | _text
_json = st.recursive(
    _json_scalars.filter(lambda v: v is not None),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_ids, inner, max_size=3),
    max_leaves=6,
)


def _parts() -> st.SearchStrategy[Body]:
    ext = st.sampled_from(["mp3", "wav"])
    return st.one_of(
        st.builds(lambda t: {"type": "text", "text": t}, _text),
        st.builds(
            lambda t: {"type": "text", "text": t, "cache_control": {"type": "ephemeral"}}, _text
        ),
        st.builds(lambda u: {"type": "image_url", "image_url": {"url": u}}, _urls),
        st.builds(lambda u: {"type": "video_url", "video_url": {"url": u}}, _urls),
        st.builds(
            lambda us: {"type": "video", "video": us}, st.lists(_urls, min_size=1, max_size=3)
        ),
        st.builds(
            lambda u, e: {"type": "input_audio", "input_audio": {"data": f"{u}.{e}", "format": e}},
            _urls,
            ext,
        ),
        st.builds(
            lambda d, e: {"type": "input_audio", "input_audio": {"data": d, "format": e}},
            st.text("ABCabc+/=", min_size=1, max_size=8),
            ext,
        ),
    )


def _canonical_content(parts: list[Body]) -> bool:
    """OpenAI content lists that stay lists: not one plain text part."""
    return not (len(parts) == 1 and set(parts[0]) == {"type", "text"}) and bool(parts)


@st.composite
def openai_messages(draw: st.DrawFn, multimodal: bool) -> list[Body]:
    out: list[Body] = []
    if draw(st.booleans()):
        out.append({"role": "system", "content": draw(_text)})
    for _ in range(draw(st.integers(1, 3))):
        if multimodal and draw(st.booleans()):
            content: Any = draw(
                st.lists(_parts(), min_size=1, max_size=3).filter(_canonical_content)
            )
        else:
            content = draw(_text)
        user: Body = {"role": "user", "content": content}
        if draw(st.booleans()):
            user["name"] = draw(_ids)
        out.append(user)
        if draw(st.booleans()):
            calls = draw(_tool_calls)
            assistant: Body = {"role": "assistant", "content": None, "tool_calls": calls}
            if draw(st.booleans()):
                assistant["reasoning_content"] = draw(_text)
            out.append(assistant)
            out += [
                {"role": "tool", "content": draw(_text), "tool_call_id": c["id"]} for c in calls
            ]
        if draw(st.booleans()):
            out.append({"role": "assistant", "content": draw(_text)})
    return out


_PARAMETERS = {
    "temperature": st.floats(0, 2, allow_nan=False),
    "top_p": st.floats(0.01, 1, allow_nan=False),
    "top_k": st.integers(0, 100),
    "seed": st.integers(0, 2**31 - 1),
    "presence_penalty": st.floats(-2, 2, allow_nan=False),
    "n": st.integers(1, 4),
    "stop": _text | st.lists(_text, max_size=3),
    "tools": st.lists(
        st.fixed_dictionaries(
            {
                "type": st.just("function"),
                "function": st.fixed_dictionaries(
                    {"name": _ids, "parameters": st.dictionaries(_ids, _json, max_size=2)}
                ),
            }
        ),
        max_size=2,
    ),
    "tool_choice": st.sampled_from(["auto", "none"])
    | _ids.map(lambda n: {"type": "function", "function": {"name": n}}),
    "parallel_tool_calls": st.booleans(),
    "response_format": st.sampled_from([{"type": "text"}, {"type": "json_object"}]),
    "logprobs": st.booleans(),
    "top_logprobs": st.integers(0, 5),
    "enable_thinking": st.booleans(),
    "thinking_budget": st.integers(1, 1000),
    "max_tokens": st.integers(1, 8192),
    "enable_search": st.booleans(),
    "x_vendor": _json,
}


@st.composite
def openai_requests(draw: st.DrawFn) -> Body:
    """OpenAI request bodies in the form the translation writes back (see docs)."""
    multimodal = draw(st.booleans())
    model = draw(
        st.sampled_from(
            ["qwen-vl-max", "qwen3-vl-plus"]
            if multimodal
            else ["qwen-plus", "qwen3-max", "deepseek-r1"]
        )
    )
    body: Body = {"model": model, "messages": draw(openai_messages(multimodal))}
    names = draw(st.lists(st.sampled_from(sorted(_PARAMETERS)), unique=True, max_size=8))
    for name in names:
        body[name] = draw(_PARAMETERS[name])
    stream = draw(st.booleans())
    body["stream"] = stream
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body


@given(openai_requests())
def test_openai_request_round_trip(body: Body) -> None:
    """OpenAI -> DashScope -> OpenAI is the identity on what both carry."""
    got = openai_request_to_dashscope(body)
    assert got.stream is body["stream"]
    assert ("incremental_output" in got.body["parameters"]) is body["stream"]
    assert json.loads(json.dumps(got.body)) == got.body  # plain JSON
    assert dashscope_request_to_openai(got.body, stream=got.stream) == body


@st.composite
def dashscope_requests(draw: st.DrawFn) -> tuple[Body, bool]:
    """DashScope native bodies as a DashScope client writes them."""
    multimodal = draw(st.booleans())
    model = "qwen-vl-max" if multimodal else "qwen-plus"
    messages: list[Body] = []
    for _ in range(draw(st.integers(1, 3))):
        text = draw(_text)
        if multimodal:
            items: list[Body] = [{"text": text}] if text else []
            items += draw(
                st.lists(
                    st.one_of(
                        _urls.map(lambda u: {"image": u}),
                        _urls.map(lambda u: {"video": u}),
                        st.lists(_urls, min_size=1, max_size=2).map(lambda us: {"video": us}),
                    ),
                    max_size=2,
                )
            )
            if len(items) == 1 and "text" in items[0]:
                items.append({"image": draw(_urls)})
            messages.append({"role": "user", "content": items})
            if draw(st.booleans()):
                messages.append({"role": "assistant", "content": [{"text": text}] if text else []})
        else:
            messages.append({"role": "user", "content": text})
            if draw(st.booleans()):
                messages.append({"role": "assistant", "content": text, "partial": True})
    stream = draw(st.booleans())
    params: Body = {"result_format": "message"}
    if stream:
        params["incremental_output"] = True
    for name in draw(st.lists(st.sampled_from(sorted(_PARAMETERS)), unique=True, max_size=6)):
        params[name] = draw(_PARAMETERS[name])
    if draw(st.booleans()):
        params["repetition_penalty"] = draw(st.floats(0.5, 2, allow_nan=False))
    body = {"model": model, "input": {"messages": messages}, "parameters": params}
    return body, stream


@given(dashscope_requests())
def test_dashscope_request_round_trip(case: tuple[Body, bool]) -> None:
    """DashScope -> OpenAI -> DashScope is the identity on what both carry."""
    body, stream = case
    there = dashscope_request_to_openai(body, stream=stream)
    back = openai_request_to_dashscope(there)
    assert back.body == body
    assert back.stream is stream
    assert back.multimodal is (body["model"] == "qwen-vl-max")


# ====================================================================== responses

RESPONSE: Body = {
    # A non-streaming message-format answer (API reference, response example).
    "output": {
        "choices": [
            {
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "我是阿里云开发的大规模语言模型。"},
            }
        ]
    },
    "usage": {
        "input_tokens": 22,
        "output_tokens": 17,
        "total_tokens": 39,
        "prompt_tokens_details": {"cached_tokens": 0},
    },
    "request_id": "1e51d4b0-4f2a-9d8e-a7e1-0fd9e0b7bbd1",
}


def test_a_dashscope_response_to_openai() -> None:
    got = dashscope_response_to_openai(RESPONSE, model="qwen-plus", created=1700000000)
    assert got == {
        "id": "chatcmpl-1e51d4b0-4f2a-9d8e-a7e1-0fd9e0b7bbd1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "qwen-plus",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "我是阿里云开发的大规模语言模型。",
                    "refusal": None,
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 22,
            "completion_tokens": 17,
            "total_tokens": 39,
            "prompt_tokens_details": {"cached_tokens": 0},
        },
    }
    parsed = ChatCompletion.model_validate(got)
    assert parsed.choices[0].message.content == "我是阿里云开发的大规模语言模型。"
    assert parsed.usage is not None
    assert parsed.usage.prompt_tokens_details is not None
    assert parsed.usage.prompt_tokens_details.cached_tokens == 0


def test_the_id_is_given_or_derived_deterministically() -> None:
    assert dashscope_response_to_openai(RESPONSE, model="m", created=0, id="x")["id"] == "x"
    anonymous = {key: value for key, value in RESPONSE.items() if key != "request_id"}
    first = dashscope_response_to_openai(anonymous, model="m", created=0)["id"]
    assert (
        first == dashscope_response_to_openai(copy.deepcopy(anonymous), model="m", created=0)["id"]
    )
    assert first.startswith("chatcmpl-")
    assert len(first) == len("chatcmpl-") + 24
    other = copy.deepcopy(anonymous)
    other["usage"]["output_tokens"] = 18
    assert dashscope_response_to_openai(other, model="m", created=0)["id"] != first


def test_a_thinking_tool_call_response() -> None:
    body = {
        "output": {
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": "",
                        "reasoning_content": "用户问天气，调用工具。",
                        "tool_calls": [{**TOOL_CALL, "index": 0}],
                    },
                }
            ]
        },
        "usage": {
            "input_tokens": 200,
            "output_tokens": 50,
            "total_tokens": 250,
            "output_tokens_details": {"reasoning_tokens": 30},
        },
        "request_id": "r",
    }
    got = dashscope_response_to_openai(body, model="qwen-plus", created=1)
    message = got["choices"][0]["message"]
    assert message["content"] is None  # OpenAI writes tool-call answers with null content
    assert message["reasoning_content"] == "用户问天气，调用工具。"
    assert got["choices"][0]["finish_reason"] == "tool_calls"
    assert got["usage"]["completion_tokens_details"] == {"reasoning_tokens": 30}
    parsed = ChatCompletion.model_validate(got)
    assert parsed.choices[0].message.tool_calls is not None
    call = parsed.choices[0].message.tool_calls[0]
    assert call.id == TOOL_CALL["id"]
    assert call.type == "function"
    assert call.function.arguments == '{"location": "杭州"}'
    assert openai_response_to_dashscope(got) == body


def test_the_text_result_format() -> None:
    body = {
        "output": {"text": "1+1=2", "finish_reason": "stop"},
        "usage": {"input_tokens": 16, "output_tokens": 6, "total_tokens": 22},
        "request_id": "5b441aa7",
    }
    got = dashscope_response_to_openai(body, model="qwen-max", created=1)
    assert got["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "1+1=2", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ]
    ChatCompletion.model_validate(got)
    assert openai_response_to_dashscope(got, result_format="text") == body


def test_the_null_string_finish_reason_is_none() -> None:
    body = copy.deepcopy(RESPONSE)
    body["output"]["choices"][0]["finish_reason"] = "null"
    got = dashscope_response_to_openai(body, model="m", created=0)
    assert got["choices"][0]["finish_reason"] is None
    assert openai_response_to_dashscope(got) == {
        **body,
        "output": {"choices": [{"index": 0, **body["output"]["choices"][0]}]},
    }


def test_multimodal_list_content_is_joined_text() -> None:
    body = {
        "output": {
            "choices": [
                {
                    "finish_reason": "stop",
                    "message": {
                        "role": "assistant",
                        "content": [{"text": "这是"}, {"text": "一只狗。"}],
                    },
                }
            ]
        },
        "usage": {"input_tokens": 1271, "output_tokens": 5, "image_tokens": 1247},
        "request_id": "r",
    }
    got = dashscope_response_to_openai(body, model="qwen-vl-plus", created=0)
    assert got["choices"][0]["message"]["content"] == "这是一只狗。"
    # old VL usage has no total_tokens; OpenAI's is required: the sum
    assert got["usage"] == {
        "prompt_tokens": 1271,
        "completion_tokens": 5,
        "total_tokens": 1276,
        "image_tokens": 1247,
    }
    ChatCompletion.model_validate(got)
    back = openai_response_to_dashscope(got, multimodal=True)
    assert back["output"]["choices"][0]["message"]["content"] == [{"text": "这是一只狗。"}]


def test_non_text_content_items_cannot_be_an_openai_answer() -> None:
    body = copy.deepcopy(RESPONSE)
    body["output"]["choices"][0]["message"]["content"] = [{"ocr_result": {"words_info": []}}]
    with pytest.raises(EncodeError) as caught:
        dashscope_response_to_openai(body, model="qwen-vl-ocr", created=0)
    assert caught.value.kind == "untranslatable"


def test_usage_details_and_top_level_cached_tokens() -> None:
    body = copy.deepcopy(RESPONSE)
    body["usage"] = {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5, "cached_tokens": 1}
    got = dashscope_response_to_openai(body, model="qwen-doc-turbo", created=0)
    assert got["usage"]["prompt_tokens_details"] == {"cached_tokens": 1}
    assert got["usage"]["cached_tokens"] == 1  # the original key travels too


def test_dashscope_extras_ride_along_and_come_back() -> None:
    body = copy.deepcopy(RESPONSE)
    body["output"]["search_info"] = {"search_results": [{"index": 1, "title": "t", "url": "u"}]}
    got = dashscope_response_to_openai(body, model="qwen-plus", created=0)
    assert got["search_info"] == body["output"]["search_info"]
    assert ChatCompletion.model_validate(got).model_extra == {"search_info": got["search_info"]}
    back = openai_response_to_dashscope(got)
    assert back["output"]["search_info"] == body["output"]["search_info"]


def test_an_error_body_is_not_a_response() -> None:
    error = {"code": "InvalidParameter", "message": "x", "request_id": "r"}
    with pytest.raises(DecodeError, match="dashscope_error_to_openai"):
        dashscope_response_to_openai(error, model="m", created=0)
    with pytest.raises(DecodeError):
        dashscope_response_to_openai({"output": {}}, model="m", created=0)


def test_an_openai_response_to_dashscope() -> None:
    body = {
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion",
        "created": 1741570283,
        "model": "gpt-4o-2024-08-06",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hi!",
                    "refusal": None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 1117,
            "completion_tokens": 46,
            "total_tokens": 1163,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        },
        "service_tier": "default",
        "system_fingerprint": None,
    }
    assert openai_response_to_dashscope(body) == {
        "output": {
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "Hi!"},
                }
            ],
            "service_tier": "default",
        },
        "usage": {
            "input_tokens": 1117,
            "output_tokens": 46,
            "total_tokens": 1163,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        },
        "request_id": "B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
    }
    assert openai_response_to_dashscope(body, request_id="r")["request_id"] == "r"


def test_reasoning_spelled_the_vllm_way_becomes_reasoning_content() -> None:
    body = {
        "id": "chatcmpl-1",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "4", "reasoning": "2+2"},
            }
        ],
    }
    message = openai_response_to_dashscope(body)["output"]["choices"][0]["message"]
    assert message == {"role": "assistant", "content": "4", "reasoning_content": "2+2"}


def test_the_text_result_format_carries_one_plain_choice() -> None:
    body = {
        "id": "chatcmpl-1",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "a"}},
            {"index": 1, "finish_reason": "stop", "message": {"role": "assistant", "content": "b"}},
        ],
    }
    with pytest.raises(EncodeError, match="exactly one choice"):
        openai_response_to_dashscope(body, result_format="text")
    body["choices"] = [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
        }
    ]
    with pytest.raises(EncodeError, match=r"choices\[0\]\.message\.tool_calls"):
        openai_response_to_dashscope(body, result_format="text")


def test_a_chunk_is_not_a_chat_completion() -> None:
    with pytest.raises(DecodeError, match="object"):
        openai_response_to_dashscope({"object": "chat.completion.chunk", "choices": []})


_usage = st.fixed_dictionaries(
    {
        "input_tokens": st.integers(0, 10**6),
        "output_tokens": st.integers(0, 10**6),
        "total_tokens": st.integers(0, 10**6),
    },
    optional={
        "prompt_tokens_details": st.fixed_dictionaries({"cached_tokens": st.integers(0, 100)}),
        "output_tokens_details": st.fixed_dictionaries({"reasoning_tokens": st.integers(0, 100)}),
    },
)


@st.composite
def dashscope_responses(draw: st.DrawFn, finish: st.SearchStrategy[str]) -> Body:
    choices = []
    for index in range(draw(st.integers(1, 2))):
        message: Body = {"role": "assistant", "content": draw(_text)}
        reason = draw(finish)
        if reason == "tool_calls":
            message = {"role": "assistant", "content": "", "tool_calls": draw(_tool_calls)}
        if draw(st.booleans()):
            message["reasoning_content"] = draw(_text)
        choice: Body = {"index": index, "finish_reason": reason, "message": message}
        if draw(st.booleans()):
            top = {"token": "a", "bytes": [97], "logprob": -0.5}
            choice["logprobs"] = {"content": [{**top, "top_logprobs": [top]}]}
        choices.append(choice)
    return {"output": {"choices": choices}, "usage": draw(_usage), "request_id": draw(_ids)}


_FINISHES = st.sampled_from(["stop", "length", "tool_calls"])


@given(dashscope_responses(_FINISHES | st.just("null")))
def test_dashscope_response_round_trip(body: Body) -> None:
    """DashScope -> OpenAI -> DashScope is the identity on what both carry."""
    there = dashscope_response_to_openai(body, model="qwen-plus", created=1)
    assert openai_response_to_dashscope(there) == body


@given(dashscope_responses(_FINISHES), st.integers(0, 2**40))
def test_the_openai_sdk_parses_every_translated_response(body: Body, created: int) -> None:
    got = dashscope_response_to_openai(body, model="qwen-plus", created=created)
    parsed = ChatCompletion.model_validate(got)
    assert parsed.model_dump(exclude_unset=True) == got
    # and the round trip from the OpenAI side
    back = dashscope_response_to_openai(
        openai_response_to_dashscope(got), model="qwen-plus", created=created
    )
    assert back == got


# ====================================================================== errors


@pytest.mark.parametrize(
    ("status", "code", "expected_type"),
    [
        # codes and statuses from the DashScope status-code page
        (400, "InvalidParameter", "invalid_request_error"),
        (400, "DataInspectionFailed", "invalid_request_error"),
        (400, "Arrearage", "invalid_request_error"),
        (401, "InvalidApiKey", "authentication_error"),
        (403, "AccessDenied", "permission_error"),
        (404, "ModelNotFound", "not_found_error"),
        (408, "RequestTimeOut", "timeout_error"),
        (409, "Conflict", "conflict_error"),
        (413, "BadRequest.TooLarge", "request_too_large"),
        (418, "Teapot", "invalid_request_error"),
        (429, "Throttling.RateQuota", "rate_limit_error"),
        (500, "InternalError.Algo", "server_error"),
        (502, "BadGateway", "server_error"),
        (503, "ServiceUnavailable", "service_unavailable_error"),
        (200, "InternalError", "api_error"),
    ],
)
def test_error_table(status: int, code: str, expected_type: str) -> None:
    body = {"code": code, "message": "m", "request_id": "7671ecd8-93cc-9ee9-bc89-739f0fd8b809"}
    got_status, got = dashscope_error_to_openai(body, status)
    assert got_status == status
    assert got == {
        "error": {"message": "m", "type": expected_type, "param": None, "code": code},
        "request_id": "7671ecd8-93cc-9ee9-bc89-739f0fd8b809",
    }
    assert openai_error_to_dashscope(got, status) == (status, body)


@pytest.mark.parametrize(
    ("status", "expected_code"),
    [
        (400, "InvalidParameter"),
        (401, "InvalidApiKey"),
        (403, "AccessDenied"),
        (404, "InvalidParameter"),
        (408, "RequestTimeOut"),
        (413, "BadRequest.TooLarge"),
        (429, "Throttling"),
        (500, "InternalError"),
        (503, "InternalError"),
    ],
)
def test_an_openai_error_without_a_code_gets_one_from_the_status(
    status: int, expected_code: str
) -> None:
    body = {"error": {"message": "m", "type": "invalid_request_error", "param": None, "code": None}}
    got_status, got = openai_error_to_dashscope(body, status)
    assert got_status == status
    assert got["code"] == expected_code
    assert got["message"] == "m"
    assert "request_id" not in got


def test_openai_error_details_are_kept_for_the_way_back() -> None:
    body = {
        "error": {
            "message": "Invalid 'messages[0].role'",
            "type": "invalid_request_error",
            "param": "messages[0].role",
            "code": "invalid_value",
        },
        "request_id": "r-1",
    }
    status, got = openai_error_to_dashscope(body, 400)
    assert got == {
        "code": "invalid_value",
        "message": "Invalid 'messages[0].role'",
        "param": "messages[0].role",
        "request_id": "r-1",
    }
    assert dashscope_error_to_openai(got, status) == (400, body)
    assert openai_error_to_dashscope(body, 400, request_id="x")[1]["request_id"] == "x"


def test_dashscope_error_oddities() -> None:
    # the Python SDK also reads `msg`; an error may come without request_id
    assert dashscope_error_to_openai({"code": "Throttling", "msg": "slow down"}, 429) == (
        429,
        {
            "error": {
                "message": "slow down",
                "type": "rate_limit_error",
                "param": None,
                "code": "Throttling",
            }
        },
    )
    # an internal gateway answered with an OpenAI-shaped error: kept as it is
    shaped = {
        "error": {
            "message": "model 'x' not found",
            "type": "invalid_request_error",
            "code": "model_not_found",
        }
    }
    assert dashscope_error_to_openai(shaped, 404) == (404, shaped)
    with pytest.raises(DecodeError):
        openai_error_to_dashscope({"message": "no error key"}, 400)


_error_status = st.sampled_from([400, 401, 403, 404, 408, 413, 429, 500, 503])


@given(_error_status, _ids, _text, st.none() | _ids)
def test_dashscope_error_round_trip(status: int, code: str, message: str, rid: str | None) -> None:
    body: Body = {"code": code, "message": message}
    if rid is not None:
        body["request_id"] = rid
    there_status, there = dashscope_error_to_openai(body, status)
    assert openai_error_to_dashscope(there, there_status) == (status, body)


@given(
    _error_status,
    _ids,
    _text,
    st.sampled_from(["invalid_request_error", "requests", "server_error"]),
    st.none() | _ids,
)
def test_openai_error_round_trip(
    status: int, code: str, message: str, kind: str, param: str | None
) -> None:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    there = openai_error_to_dashscope(body, status)
    assert dashscope_error_to_openai(there[1], there[0]) == (status, body)


def test_the_openai_sdk_reads_a_translated_error() -> None:
    status, body = dashscope_error_to_openai(
        {"code": "InvalidApiKey", "message": "Invalid API-key provided.", "request_id": "a1c0561c"},
        401,
    )
    client = _openai_client(lambda request: httpx.Response(status, json=body))
    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(
            model="qwen-plus", messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.status_code == 401
    assert caught.value.code == "InvalidApiKey"
    assert caught.value.type == "authentication_error"


# ====================================================================== model routing


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("qwen-plus", False),
        ("qwen-max", False),
        ("qwen3-max", False),
        ("qwen-long", False),
        ("qwq-plus", False),
        ("deepseek-r1", False),
        ("qwen3-coder-plus", False),
        ("qwen-vl-plus", True),
        ("qwen-vl-max-latest", True),
        ("qwen-vl-ocr-latest", True),
        ("qwen2.5-vl-72b-instruct", True),
        ("qwen3-vl-plus", True),
        ("qvq-max", True),
        ("qwen-audio-turbo", True),
        ("qwen2-audio-instruct", True),
        ("qwen3-omni-flash", True),
        ("qwen3.5-plus", True),
        ("qwen3.6-plus", True),
        ("Qwen-VL-Max", True),
    ],
)
def test_is_multimodal_by_model(model: str, expected: bool) -> None:
    assert is_multimodal(model) is expected
    assert is_multimodal(model, [USER]) is expected


# ====================================================================== real clients


def _openai_client(handler: Callable[[httpx.Request], httpx.Response]) -> openai.OpenAI:
    http: Any = httpx.Client(
        transport=httpx.MockTransport(handler)
    )  # the SDK takes an httpx client
    return openai.OpenAI(
        api_key="x", base_url="http://test.invalid/v1", http_client=http, max_retries=0
    )


def _capture_openai(**create: Any) -> Body:
    seen: list[Body] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        if create.get("stream"):
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=b"data: [DONE]\n\n"
            )
        reply = dashscope_response_to_openai(RESPONSE, model=create["model"], created=1)
        return httpx.Response(200, json=reply)

    client = _openai_client(handler)
    result = client.chat.completions.create(**create)
    if create.get("stream"):
        assert list(result) == []
    else:
        assert isinstance(result, ChatCompletion)
        assert result.id == "chatcmpl-" + RESPONSE["request_id"]
    (body,) = seen
    return body


def test_a_request_the_openai_sdk_builds() -> None:
    weather = {
        "type": "function",
        "function": {
            "name": "get_current_weather",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
        },
    }
    sent = _capture_openai(
        model="qwen-plus",
        messages=[
            {"role": "developer", "content": "You are a helpful assistant."},
            {"role": "user", "content": [{"type": "text", "text": "杭州天气？"}]},
            {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
            {"role": "tool", "content": "晴", "tool_call_id": TOOL_CALL["id"]},
        ],
        temperature=0.5,
        top_p=0.8,
        max_completion_tokens=100,
        stop=["Observation:"],
        seed=42,
        presence_penalty=0.5,
        n=1,
        tools=[weather],
        tool_choice="auto",
        parallel_tool_calls=True,
        response_format={"type": "json_object"},
        logprobs=True,
        top_logprobs=2,
        user="u-1",
        extra_body={"top_k": 20, "enable_thinking": False, "thinking_budget": 100},
    )
    got = openai_request_to_dashscope(sent)
    assert got.path == TEXT_GENERATION_PATH
    assert got.stream is False
    assert got.body == {
        "model": "qwen-plus",
        "input": {
            "messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "杭州天气？"},
                {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL]},
                {"role": "tool", "content": "晴", "tool_call_id": TOOL_CALL["id"]},
            ]
        },
        "parameters": {
            "result_format": "message",
            "max_tokens": 100,
            "temperature": 0.5,
            "top_p": 0.8,
            "stop": ["Observation:"],
            "seed": 42,
            "presence_penalty": 0.5,
            "n": 1,
            "tools": [weather],
            "tool_choice": "auto",
            "parallel_tool_calls": True,
            "response_format": {"type": "json_object"},
            "logprobs": True,
            "top_logprobs": 2,
            "top_k": 20,
            "enable_thinking": False,
            "thinking_budget": 100,
        },
    }


def test_a_streaming_multimodal_request_the_openai_sdk_builds() -> None:
    sent = _capture_openai(
        model="qwen-vl-max",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": IMAGE}},
                    {"type": "text", "text": "What is depicted in the image?"},
                ],
            }
        ],
        stream=True,
        stream_options={"include_usage": True},
    )
    got = openai_request_to_dashscope(sent)
    assert (got.path, got.stream, got.multimodal) == (MULTIMODAL_PATH, True, True)
    assert got.headers["X-DashScope-SSE"] == "enable"
    assert got.body["parameters"] == {"result_format": "message", "incremental_output": True}
    assert got.body["input"]["messages"][0]["content"] == [
        {"image": IMAGE},
        {"text": "What is depicted in the image?"},
    ]
    assert dashscope_request_to_openai(got.body, stream=True) == sent


# ---------------------------------------------------------------- the dashscope SDK


class _Server(HTTPServer):
    seen: list[tuple[str, dict[str, str], Body]]
    reply: bytes
    content_type: str

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up; not needed here.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.seen.append((self.path, headers, json.loads(raw)))
        self.send_response(200)
        self.send_header("Content-Type", self.server.content_type)
        self.send_header("Content-Length", str(len(self.server.reply)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(self.server.reply)
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


@pytest.fixture(scope="module")
def native() -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        dashscope.close_shared_sync_session()


def _serve(server: _Server, reply: Body | bytes, content_type: str = "application/json") -> str:
    server.seen = []
    server.reply = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
    server.content_type = content_type
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/api/v1"


def test_a_request_the_dashscope_sdk_builds(native: _Server) -> None:
    openai_answer = {
        "id": "chatcmpl-r-42",
        "object": "chat.completion",
        "created": 1,
        "model": "qwen-plus",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": "晴", "refusal": None},
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
    }
    base = _serve(native, openai_response_to_dashscope(openai_answer))
    generate: Any = dashscope.Generation.call  # its stubs want its own Message type
    response: Any = generate(
        model="qwen-plus",
        api_key="sk-test-not-a-key",
        base_address=base,
        messages=[{"role": "system", "content": "s"}, USER],
        result_format="message",
        temperature=0.5,
        top_k=5,
        seed=3,
        max_tokens=10,
        stop=["x"],
        presence_penalty=0.1,
        repetition_penalty=1.1,
        enable_search=True,
        enable_thinking=False,
    )
    # the SDK reads our DashScope body
    assert response.status_code == 200
    assert response.request_id == "r-42"
    assert response.output.choices[0].message.content == "晴"
    assert response.usage.input_tokens == 5
    ((path, headers, sent),) = native.seen
    assert path == TEXT_GENERATION_PATH
    assert "x-dashscope-sse" not in headers
    got = dashscope_request_to_openai(sent, stream=False)
    assert got == {
        "model": "qwen-plus",
        "messages": [{"role": "system", "content": "s"}, USER],
        "max_tokens": 10,
        "temperature": 0.5,
        "top_k": 5,
        "seed": 3,
        "stop": ["x"],
        "presence_penalty": 0.1,
        "repetition_penalty": 1.1,
        "enable_search": True,
        "enable_thinking": False,
        "stream": False,
    }
    back = openai_request_to_dashscope(got)
    assert (back.path, back.body) == (path, sent)


def test_a_streaming_multimodal_request_the_dashscope_sdk_builds(native: _Server) -> None:
    answer = {
        "output": {
            "choices": [
                {
                    "message": {"content": [{"text": "dog"}], "role": "assistant"},
                    "finish_reason": "stop",
                }
            ]
        },
        "usage": {"input_tokens": 8, "output_tokens": 1},
        "request_id": "r",
    }
    data = json.dumps(answer, separators=(",", ":")).encode()
    frame = b"id:1\nevent:result\n:HTTP_STATUS/200\ndata:" + data + b"\n\n"
    base = _serve(native, frame, "text/event-stream;charset=UTF-8")
    messages = [{"role": "user", "content": [{"image": IMAGE}, {"text": "图里有什么？"}]}]
    responses: Any = dashscope.MultiModalConversation.call(
        model="qwen-vl-max",
        api_key="sk-test-not-a-key",
        base_address=base,
        messages=messages,
        stream=True,
        incremental_output=True,
    )
    assert [r.status_code for r in responses] == [200]
    ((path, headers, sent),) = native.seen
    assert path == MULTIMODAL_PATH
    stream = headers.get("x-dashscope-sse") == "enable"
    assert stream
    got = dashscope_request_to_openai(sent, stream=stream)
    assert got["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": IMAGE}},
                {"type": "text", "text": "图里有什么？"},
            ],
        }
    ]
    assert got["stream"] is True
    back = openai_request_to_dashscope(got)
    assert (back.path, back.stream, back.multimodal) == (MULTIMODAL_PATH, True, True)
    assert back.body["input"] == sent["input"]
    assert back.body["parameters"]["incremental_output"] is True


def test_the_module_is_exported_from_the_package() -> None:
    assert translate.openai_request_to_dashscope is openai_request_to_dashscope

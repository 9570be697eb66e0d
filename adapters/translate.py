"""Request, response and error bodies translated between OpenAI chat completions
and DashScope native text generation.

Strategy: pure functions from parsed JSON (``Mapping``) to fresh ``dict`` values,
no I/O. A gateway that speaks one protocol to its clients and the other to its
upstream calls, per exchange::

    openai_request_to_dashscope      client body   -> upstream path, headers, body
    dashscope_response_to_openai     upstream body -> client body (non-stream)
    dashscope_error_to_openai        upstream error (+ status) -> client error
    (streams go through adapters.decode / adapters.encode)

and the mirror image for the other direction. Each field either has a
counterpart (mapped), travels verbatim (documented policies below), is left out
because it can have no effect (a null, or OpenAI metadata such as ``user``), or
makes the call raise :class:`~adapters.EncodeError` with kind ``"untranslatable"``
naming it. Nothing is dropped silently: every left-out field is in the table of
``docs/translate.md``. A body that is not of the expected shape at all (``messages``
not a list, say) raises :class:`~adapters.DecodeError` with kind ``"invalid_body"``.

Policies, in one place:

* **Unknown top-level OpenAI fields go into DashScope ``parameters`` verbatim**,
  and unknown DashScope ``parameters`` come back as top-level OpenAI fields. That
  is how DashScope's OpenAI-compatible mode takes its extensions
  (``enable_search``, ``repetition_penalty``, ...: "extra_body" in its docs), so a
  body written for that mode translates as its author meant. ``extra="raise"``
  refuses fields this module does not know instead.
* **Unknown keys of a message, a content part, a choice or usage travel verbatim**
  (``cache_control`` on a part, DashScope's ``partial`` on an assistant message).
* **A null field is left out**: on both sides null means "the default".
* **Defaults are deterministic**: no clock, no randomness. A response id is
  ``"chatcmpl-" + request_id``, or a hash of the body when there is no request id.

Facts from the providers' documentation are cited next to the code that uses them.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from adapters._errors import DecodeError, EncodeError
from adapters._shape import type_name

__all__ = [
    "MULTIMODAL_PATH",
    "TEXT_GENERATION_PATH",
    "DashScopeRequest",
    "dashscope_error_to_openai",
    "dashscope_request_to_openai",
    "dashscope_response_to_openai",
    "is_multimodal",
    "openai_error_to_dashscope",
    "openai_request_to_dashscope",
    "openai_response_to_dashscope",
]

# https://help.aliyun.com/zh/model-studio/qwen-api-via-dashscope (API reference):
# text models and multimodal models have one endpoint each; posting a model to the
# wrong one fails with InvalidParameter "url error".
#: Endpoint of DashScope's text models (string message content).
TEXT_GENERATION_PATH = "/api/v1/services/aigc/text-generation/generation"
#: Endpoint of DashScope's multimodal models (list message content).
MULTIMODAL_PATH = "/api/v1/services/aigc/multimodal-generation/generation"

_JSON = "application/json"
# Same reference, `stream` parameter: "通过HTTP实现流式输出请在Header中指定
# X-DashScope-SSE为enable"; every client also sends Accept: text/event-stream.
_STREAM_HEADERS = {"X-DashScope-SSE": "enable", "Accept": "text/event-stream"}

#: OpenAI request fields DashScope reads under the same name in ``parameters``
#: (API reference, "parameters"; ``top_k``, ``enable_thinking`` and
#: ``thinking_budget`` are DashScope extensions of the OpenAI-compatible mode).
SAME_NAME_PARAMETERS = (
    "temperature",
    "top_p",
    "top_k",
    "seed",
    "presence_penalty",
    "n",
    "stop",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "logprobs",
    "top_logprobs",
    "enable_thinking",
    "thinking_budget",
)

#: DashScope-only parameters that OpenAI-compatible clients send as extra body
#: fields: known to ``extra="raise"``, carried like any unknown field otherwise.
DASHSCOPE_ONLY_PARAMETERS = (
    "repetition_penalty",
    "enable_search",
    "search_options",
    "enable_code_interpreter",
    "vl_high_resolution_images",
    "vl_enable_image_hw_output",
    "translation_options",
    "ocr_options",
)

# OpenAI request fields DashScope has no counterpart for. A value that asks for the
# OpenAI default is left out (it cannot change the answer); any other value raises.
# (The DashScope API reference documents presence_penalty and repetition_penalty
# but no frequency_penalty, in native and in OpenAI-compatible mode alike.)
_NO_COUNTERPART: dict[str, tuple[tuple[Any, ...], str]] = {
    "frequency_penalty": ((0, 0.0), "use presence_penalty or repetition_penalty"),
    "logit_bias": (({},), "DashScope cannot bias tokens"),
    "functions": (([],), "the legacy functions API: send tools instead"),
    "function_call": ((), "the legacy functions API: send tool_choice instead"),
    "audio": ((), "DashScope native text generation returns no audio"),
    "modalities": ((["text"],), "DashScope native text generation returns text only"),
    "prediction": ((), "DashScope has no predicted outputs"),
    "reasoning_effort": ((), "use enable_thinking and thinking_budget"),
    "web_search_options": ((), "use enable_search and search_options"),
    "verbosity": ((), "DashScope has no verbosity setting"),
}

# OpenAI request metadata that cannot change the generated answer and that DashScope
# has no place for: left out (listed in docs/translate.md).
_METADATA = ("user", "store", "metadata", "service_tier", "safety_identifier", "prompt_cache_key")

# Taken apart by the translation itself, never carried verbatim.
_OPENAI_STRUCTURAL = (
    "model",
    "messages",
    "stream",
    "stream_options",
    "max_tokens",
    "max_completion_tokens",
    "incremental_output",
    "result_format",
)

_TEXT_JOINER = ""
"""Text parts of one message are concatenated as they are (no separator added)."""

_MODEL_TOKEN = re.compile(r"[-_/:]")
# Multimodal families per the DashScope model list: qwen-vl-*, qwen2.5-vl-*,
# qwen3-vl-*, qvq-*, qwen-audio-*, qwen*-omni-*, and the natively multimodal
# qwen3.5 / qwen3.6 series (research notes: endpoints table).
_MM_TOKENS = frozenset({"vl", "audio", "omni", "asr"})
_MM_PREFIX = re.compile(r"^(qvq|qwen3\.[5-9])")

_OPENAI_PART_TYPES = {"text", "image_url", "video_url", "video", "input_audio"}
_DASHSCOPE_ITEM_KEYS = ("text", "image", "video", "audio")

Provider = Literal["openai", "dashscope"]


# ------------------------------------------------------------------ helpers


def _shape_error(provider: Provider, path: str, what: str, value: object) -> DecodeError:
    return DecodeError(
        f"{path}: expected {what}, got {type_name(value)}",
        kind="invalid_body",
        provider=provider,
    )


def _untranslatable(provider: Provider, path: str, why: str) -> EncodeError:
    """``provider`` is the format being written."""
    return EncodeError(f"{path}: {why}", kind="untranslatable", provider=provider)


def _mapping(value: object, provider: Provider, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _shape_error(provider, path, "an object", value)
    return value


def _list(value: object, provider: Provider, path: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise _shape_error(provider, path, "an array", value)
    return value


def _str(value: object, provider: Provider, path: str) -> str:
    if not isinstance(value, str):
        raise _shape_error(provider, path, "a string", value)
    return value


def _copy(value: Any) -> Any:
    """A deep copy, so that no output shares a mutable value with its input."""
    return copy.deepcopy(value)


def _extras(source: Mapping[str, Any], known: Iterable[str]) -> dict[str, Any]:
    skip = set(known)
    return {key: _copy(value) for key, value in source.items() if key not in skip}


def _is_url(data: str) -> bool:
    return re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", data) is not None


# ------------------------------------------------------------------ model routing


def is_multimodal(model: str, messages: Iterable[Mapping[str, Any]] = ()) -> bool:
    """Whether a request belongs on DashScope's multimodal endpoint.

    True for the multimodal model families (``qwen-vl-*``, ``qwen2.5-vl-*``,
    ``qwen3-vl-*``, ``qvq-*``, ``qwen-audio-*``, ``*-omni-*``, ``qwen3.5-*`` and
    ``qwen3.6-*``) and for any conversation holding an image, video or audio part,
    in either format (OpenAI ``{"type": "image_url", ...}`` or DashScope
    ``{"image": ...}``). Model names are matched case-insensitively.

    >>> is_multimodal("qwen-plus"), is_multimodal("qwen-vl-max"), is_multimodal("QVQ-Max")
    (False, True, True)
    >>> is_multimodal("qwen-plus", [{"role": "user", "content": [{"image": "https://x/a.png"}]}])
    True
    >>> is_multimodal("qwen-plus", [{"role": "user", "content": [{"type": "text", "text": "hi"}]}])
    False
    """
    name = model.lower()
    if _MM_PREFIX.match(name) or _MM_TOKENS.intersection(_MODEL_TOKEN.split(name)):
        return True
    for message in messages:
        content = message.get("content") if isinstance(message, Mapping) else None
        if not isinstance(content, list):
            continue
        for part in content:
            if not isinstance(part, Mapping):
                continue
            kind = part.get("type")
            if kind is not None and kind != "text":
                return True
            if kind is None and any(key in part for key in ("image", "video", "audio")):
                return True
    return False


# ------------------------------------------------------------------ content parts


def _part_to_dashscope(part: object, path: str) -> dict[str, Any]:
    """One OpenAI content part as a DashScope content item."""
    part = _mapping(part, "openai", path)
    kind = part.get("type")
    if kind not in _OPENAI_PART_TYPES:
        if not isinstance(kind, str):
            raise _shape_error("openai", f"{path}.type", "a string", kind)
        raise _untranslatable(
            "dashscope", f"{path}.type", f"DashScope has no {kind!r} content item"
        )
    rest = _extras(part, ("type", kind))
    value = part.get(kind)
    if kind == "text":
        return {"text": _str(value, "openai", f"{path}.text"), **rest}
    if kind == "video":  # DashScope compatible mode: a list of frame URLs
        return {"video": _copy(_list(value, "openai", f"{path}.video")), **rest}
    if kind == "input_audio":
        audio = _mapping(value, "openai", f"{path}.input_audio")
        data = _str(audio.get("data"), "openai", f"{path}.input_audio.data")
        fmt = audio.get("format")
        extra = _extras(audio, ("data", "format"))
        if extra:
            name = next(iter(extra))
            raise _untranslatable(
                "dashscope", f"{path}.input_audio.{name}", "DashScope audio items have no such key"
            )
        if not _is_url(data):  # OpenAI: bare base64 plus a format
            data = f"data:audio/{fmt if isinstance(fmt, str) else 'wav'};base64,{data}"
        return {"audio": data, **rest}
    # image_url / video_url: {"url": ..., "detail"?: ...}; some clients send a bare URL.
    if isinstance(value, str):
        return {kind.removesuffix("_url"): value, **rest}
    link = _mapping(value, "openai", f"{path}.{kind}")
    url = _str(link.get("url"), "openai", f"{path}.{kind}.url")
    # `detail` has no per-image counterpart (DashScope has the request-wide
    # vl_high_resolution_images): left out, as documented.
    extra = _extras(link, ("url", "detail"))
    if extra:
        name = next(iter(extra))
        raise _untranslatable(
            "dashscope", f"{path}.{kind}.{name}", "DashScope media items have no such key"
        )
    return {kind.removesuffix("_url"): url, **rest}


_DATA_AUDIO = re.compile(r"^data:audio/([A-Za-z0-9.+-]+);base64,(.*)$", re.DOTALL)
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{2,5})(?:[?#].*)?$")


def _item_to_openai(item: object, path: str) -> dict[str, Any]:
    """One DashScope content item as an OpenAI content part."""
    item = _mapping(item, "dashscope", path)
    keys = [key for key in _DASHSCOPE_ITEM_KEYS if key in item]
    if len(keys) != 1:
        what = "exactly one of text, image, video, audio"
        if not keys and item:
            name = next(iter(item))
            raise _untranslatable(
                "openai", f"{path}.{name}", "OpenAI has no content part for this item"
            )
        raise _shape_error("dashscope", path, f"an item with {what}", item)
    (key,) = keys
    rest = _extras(item, (key,))
    value = item[key]
    if key == "text":
        return {"type": "text", "text": _str(value, "dashscope", f"{path}.text"), **rest}
    if key == "image":
        url = _str(value, "dashscope", f"{path}.image")
        return {"type": "image_url", "image_url": {"url": url}, **rest}
    if key == "video":
        if isinstance(value, list):  # frames; the compatible mode's {"type": "video"}
            return {"type": "video", "video": _copy(value), **rest}
        url = _str(value, "dashscope", f"{path}.video")
        return {"type": "video_url", "video_url": {"url": url}, **rest}
    data = _str(value, "dashscope", f"{path}.audio")
    audio: dict[str, Any]
    inline = _DATA_AUDIO.match(data)
    if inline:
        audio = {"data": inline.group(2), "format": inline.group(1)}
    else:
        ext = _EXTENSION.search(data)
        audio = {"data": data, "format": ext.group(1).lower()} if ext else {"data": data}
    return {"type": "input_audio", "input_audio": audio, **rest}


def _is_plain_text(item: Mapping[str, Any]) -> bool:
    return set(item) == {"text"}


# ------------------------------------------------------------------ messages


_OPENAI_ROLES = {"system": "system", "developer": "system", "user": "user"}
_OPENAI_ROLES |= {"assistant": "assistant", "tool": "tool"}
_DASHSCOPE_ROLES = ("system", "user", "assistant", "tool")


def _message_to_dashscope(message: object, path: str, multimodal: bool) -> dict[str, Any]:
    message = _mapping(message, "openai", path)
    role = _str(message.get("role"), "openai", f"{path}.role")
    if role not in _OPENAI_ROLES:
        raise _untranslatable("dashscope", f"{path}.role", f"DashScope has no {role!r} role")
    out: dict[str, Any] = {"role": _OPENAI_ROLES[role]}
    content = message.get("content")
    if content is None:
        # OpenAI: "Required unless tool_calls or function_call is specified."
        out["content"] = [] if multimodal else ""
    elif isinstance(content, str):
        # the multimodal endpoint writes empty content as [] (research notes 4.2)
        out["content"] = ([{"text": content}] if content else []) if multimodal else content
    else:
        parts = _list(content, "openai", f"{path}.content")
        items = [_part_to_dashscope(p, f"{path}.content[{i}]") for i, p in enumerate(parts)]
        if not multimodal and all(_is_plain_text(item) for item in items):
            # text-generation wants a string (API reference, messages.content)
            out["content"] = _TEXT_JOINER.join(item["text"] for item in items)
        else:
            out["content"] = items
    for key, value in message.items():
        if key in ("role", "content"):
            continue
        if value is None:
            continue  # null asks for the default (refusal, audio, function_call...)
        out[key] = _copy(value)
    return out


def _content_to_openai(content: object, path: str) -> Any:
    if content is None or isinstance(content, str):
        return content
    items = _list(content, "dashscope", path)
    parts = [_item_to_openai(item, f"{path}[{i}]") for i, item in enumerate(items)]
    if not parts:
        return ""
    if len(parts) == 1 and set(parts[0]) == {"type", "text"}:
        return parts[0]["text"]
    return parts


def _message_to_openai(message: object, path: str) -> dict[str, Any]:
    message = _mapping(message, "dashscope", path)
    role = _str(message.get("role"), "dashscope", f"{path}.role")
    if role not in _DASHSCOPE_ROLES:
        raise _untranslatable("openai", f"{path}.role", f"OpenAI has no {role!r} role")
    out: dict[str, Any] = {"role": role}
    content = _content_to_openai(message.get("content"), f"{path}.content")
    if role == "assistant" and message.get("tool_calls") and content == "":
        content = None  # OpenAI writes tool-call turns with content null
    out["content"] = content
    out |= _extras(message, ("role", "content"))
    return out


# ------------------------------------------------------------------ requests


@dataclass(frozen=True, slots=True)
class DashScopeRequest:
    """A DashScope native request: where to send it and what to send.

    The ``Authorization`` header is the caller's to add.
    """

    #: :data:`TEXT_GENERATION_PATH` or :data:`MULTIMODAL_PATH`.
    path: str
    #: ``Content-Type``, plus ``X-DashScope-SSE: enable`` and
    #: ``Accept: text/event-stream`` when streaming.
    headers: dict[str, str] = field(hash=False)
    #: ``{"model", "input": {"messages"}, "parameters"}``.
    body: dict[str, Any] = field(hash=False)
    #: Whether the answer comes as an SSE stream.
    stream: bool
    #: Whether the request goes to the multimodal endpoint (list content).
    multimodal: bool


def openai_request_to_dashscope(
    body: Mapping[str, Any],
    *,
    incremental_output: bool | None = None,
    multimodal: bool | None = None,
    extra: Literal["parameters", "raise"] = "parameters",
) -> DashScopeRequest:
    """A DashScope native request for an OpenAI chat completions request body.

    :param incremental_output: for a streaming request, ask DashScope for deltas
        (``True``, the default when the body does not say) or for cumulative
        snapshots (``False``). A non-streaming request never sends the parameter
        (DashScope rejects it there), whatever this says.
    :param multimodal: force the endpoint; ``None`` decides with
        :func:`is_multimodal`.
    :param extra: what to do with a top-level field this module does not know:
        ``"parameters"`` carries it into DashScope ``parameters`` verbatim,
        ``"raise"`` raises :class:`~adapters.EncodeError`.
    :raises adapters.EncodeError: ``kind="untranslatable"``, naming a field
        DashScope cannot carry (``frequency_penalty``, ``logit_bias``, a ``file``
        content part, ...).
    :raises adapters.DecodeError: ``kind="invalid_body"``, when the body is not a
        chat completions request.

    >>> request = openai_request_to_dashscope({
    ...     "model": "qwen-plus",
    ...     "messages": [{"role": "developer", "content": "Be brief."},
    ...                  {"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
    ...     "max_completion_tokens": 64, "stream": True,
    ...     "stream_options": {"include_usage": True},
    ... })
    >>> request.path, request.stream, request.multimodal
    ('/api/v1/services/aigc/text-generation/generation', True, False)
    >>> request.body["input"]
    {'messages': [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}]}
    >>> request.body["parameters"]
    {'result_format': 'message', 'incremental_output': True, 'max_tokens': 64}
    """
    body = _mapping(body, "openai", "body")
    model = _str(body.get("model"), "openai", "model")
    messages = _list(body.get("messages"), "openai", "messages")
    stream = body.get("stream")
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise _shape_error("openai", "stream", "a boolean", stream)
    if multimodal is None:
        multimodal = is_multimodal(model, (m for m in messages if isinstance(m, Mapping)))
    parameters: dict[str, Any] = {"result_format": "message"}
    result_format = body.get("result_format")
    if result_format not in (None, "message"):
        raise _untranslatable(
            "dashscope",
            "result_format",
            "an OpenAI response is built from result_format 'message' only",
        )
    if stream:
        if incremental_output is None:
            incremental_output = body.get("incremental_output")
        if incremental_output is None:
            incremental_output = True
        if not isinstance(incremental_output, bool):
            raise _shape_error("openai", "incremental_output", "a boolean", incremental_output)
        parameters["incremental_output"] = incremental_output
    options = body.get("stream_options")
    if options is not None:
        # DashScope native streams always carry usage, on every event: include_usage
        # has nothing to switch on; nor has include_obfuscation (no padding there).
        for key in _mapping(options, "openai", "stream_options"):
            if key not in ("include_usage", "include_obfuscation"):
                raise _untranslatable(
                    "dashscope", f"stream_options.{key}", "DashScope has no stream options"
                )
    limits = {
        k: body[k] for k in ("max_tokens", "max_completion_tokens") if body.get(k) is not None
    }
    if len(set(map(repr, limits.values()))) > 1:
        raise _untranslatable(
            "dashscope",
            "max_completion_tokens",
            f"differs from max_tokens ({limits}); DashScope has one max_tokens",
        )
    if limits:
        parameters["max_tokens"] = next(iter(limits.values()))
    known = (*SAME_NAME_PARAMETERS, *DASHSCOPE_ONLY_PARAMETERS)
    for key, value in body.items():
        if key in _OPENAI_STRUCTURAL or value is None or key in _METADATA:
            continue
        if key in _NO_COUNTERPART:
            harmless, hint = _NO_COUNTERPART[key]
            if value in harmless:
                continue
            raise _untranslatable("dashscope", key, f"DashScope has no counterpart ({hint})")
        if extra == "raise" and key not in known:
            raise _untranslatable("dashscope", key, "not a field this translation knows")
        parameters[key] = _copy(value)
    out_messages = [
        _message_to_dashscope(message, f"messages[{i}]", multimodal)
        for i, message in enumerate(messages)
    ]
    headers = {"Content-Type": _JSON, **(_STREAM_HEADERS if stream else {})}
    return DashScopeRequest(
        path=MULTIMODAL_PATH if multimodal else TEXT_GENERATION_PATH,
        headers=headers,
        body={"model": model, "input": {"messages": out_messages}, "parameters": parameters},
        stream=stream,
        multimodal=multimodal,
    )


# DashScope parameters taken apart by the translation: result_format and
# incremental_output shape the response, not the answer (see docs/translate.md);
# stream is where the Python SDK puts the switch the HTTP API takes as a header.
_DASHSCOPE_STRUCTURAL = ("result_format", "incremental_output", "stream", "max_tokens")


def dashscope_request_to_openai(
    body: Mapping[str, Any],
    *,
    stream: bool | None = None,
    include_usage: bool = True,
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens",
) -> dict[str, Any]:
    """An OpenAI chat completions request body for a DashScope native request body.

    :param stream: whether the DashScope request streams: ``X-DashScope-SSE:
        enable``, which only the caller sees. ``None`` reads ``parameters.stream``
        (where the Python SDK puts it) and defaults to ``False``.
    :param include_usage: for a streaming request, ask for the usage chunk
        (``stream_options.include_usage``), since DashScope streams always carry usage.
    :param max_tokens_field: the OpenAI name to give DashScope's ``max_tokens``.
    :raises adapters.EncodeError: ``kind="untranslatable"``, naming what OpenAI
        cannot carry (an ``input`` key other than ``messages`` / ``prompt``, an
        unknown role or content item).
    :raises adapters.DecodeError: ``kind="invalid_body"``, when the body is not a
        DashScope text generation request.

    >>> dashscope_request_to_openai({
    ...     "model": "qwen-plus",
    ...     "input": {"messages": [{"role": "user", "content": "Hi"}]},
    ...     "parameters": {"result_format": "message", "incremental_output": True,
    ...                    "max_tokens": 64, "enable_search": True},
    ... }, stream=True)
    {'model': 'qwen-plus', 'messages': [{'role': 'user', 'content': 'Hi'}], 'max_tokens': 64,
    'enable_search': True, 'stream': True, 'stream_options': {'include_usage': True}}
    """
    body = _mapping(body, "dashscope", "body")
    for key in body:
        if key not in ("model", "input", "parameters"):
            raise _untranslatable("openai", key, "not part of a DashScope generation request")
    model = _str(body.get("model"), "dashscope", "model")
    source = _mapping(body.get("input"), "dashscope", "input")
    parameters = _mapping(body.get("parameters", {}), "dashscope", "parameters")
    messages: list[dict[str, Any]] = []
    for key, value in source.items():
        if key == "messages":
            items = _list(value, "dashscope", "input.messages")
            messages += [_message_to_openai(m, f"input.messages[{i}]") for i, m in enumerate(items)]
        elif key != "prompt":
            raise _untranslatable("openai", f"input.{key}", "OpenAI has no such input")
    if "prompt" in source:
        # API reference: input.prompt, the legacy single-turn form of a user message.
        if messages:
            raise _untranslatable(
                "openai", "input.prompt", "both prompt and messages: DashScope rejects this"
            )
        text = _str(source["prompt"], "dashscope", "input.prompt")
        messages.append({"role": "user", "content": text})
    if "messages" not in source and "prompt" not in source:
        raise _shape_error("dashscope", "input", "messages or prompt", source)
    out: dict[str, Any] = {"model": model, "messages": messages}
    if parameters.get("max_tokens") is not None:
        out[max_tokens_field] = _copy(parameters["max_tokens"])
    for key, value in parameters.items():
        if key in _DASHSCOPE_STRUCTURAL or value is None:
            continue
        if key in ("model", "messages", "stream_options") or (key in out and out[key] != value):
            raise _untranslatable("openai", f"parameters.{key}", "collides with an OpenAI field")
        out[key] = _copy(value)
    if stream is None:
        flag = parameters.get("stream")
        stream = flag if isinstance(flag, bool) else False
    out["stream"] = stream
    if stream and include_usage:
        out["stream_options"] = {"include_usage": True}
    return out


# ------------------------------------------------------------------ responses


def _finish_to_openai(value: object, path: str) -> str | None:
    if value is None or value == "null":  # DashScope's "null" string: still going
        return None
    return _str(value, "dashscope", path)


def _usage_to_openai(usage: Mapping[str, Any]) -> dict[str, Any]:
    prompt = usage.get("input_tokens", 0)
    completion = usage.get("output_tokens", 0)
    out: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion}
    # total_tokens is absent for some older VL / audio models (research notes 4.5).
    total = usage.get("total_tokens")
    out["total_tokens"] = total if total is not None else prompt + completion
    if usage.get("prompt_tokens_details") is not None:
        out["prompt_tokens_details"] = _copy(usage["prompt_tokens_details"])
    elif isinstance(usage.get("cached_tokens"), int):  # qwen-doc-turbo: top level
        out["prompt_tokens_details"] = {"cached_tokens": usage["cached_tokens"]}
    if usage.get("output_tokens_details") is not None:
        out["completion_tokens_details"] = _copy(usage["output_tokens_details"])
    known = ("input_tokens", "output_tokens", "total_tokens")
    out |= _extras(usage, (*known, "prompt_tokens_details", "output_tokens_details"))
    return out


def _default_id(body: Mapping[str, Any]) -> str:
    request_id = body.get("request_id")
    if isinstance(request_id, str) and request_id:
        return "chatcmpl-" + request_id
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "chatcmpl-" + hashlib.sha256(canonical.encode()).hexdigest()[:24]


def _choice_to_openai(choice: object, position: int) -> dict[str, Any]:
    path = f"output.choices[{position}]"
    choice = _mapping(choice, "dashscope", path)
    index = choice.get("index", position)
    message = _message_to_openai(choice.get("message"), f"{path}.message")
    message["refusal"] = None
    content = message["content"]
    if isinstance(content, list):  # a response's content is text only in OpenAI
        texts = [part.get("text") for part in content if set(part) == {"type", "text"}]
        if len(texts) != len(content):
            raise _untranslatable(
                "openai",
                f"{path}.message.content",
                "OpenAI response content is text only; this has other items",
            )
        message["content"] = _TEXT_JOINER.join(str(text) for text in texts)
    out: dict[str, Any] = {
        "index": index,
        "message": message,
        "logprobs": _copy(choice.get("logprobs")),
        "finish_reason": _finish_to_openai(choice.get("finish_reason"), f"{path}.finish_reason"),
    }
    out |= _extras(choice, ("index", "message", "logprobs", "finish_reason"))
    return out


# Keys the DashScope Python SDK adds to a response object (status_code 200, code
# "", message ""): not wire, left out when they say nothing.
_SDK_WRAPPER = ("status_code", "code", "message")


def dashscope_response_to_openai(
    body: Mapping[str, Any],
    *,
    model: str,
    created: int,
    id: str | None = None,  # noqa: A002 - OpenAI's name for it
) -> dict[str, Any]:
    """An OpenAI ``chat.completion`` for a DashScope non-streaming response body.

    DashScope answers carry no model name or creation time: the caller passes
    both. ``id`` defaults to ``"chatcmpl-" + request_id``, or, for a body without
    a request id, to ``"chatcmpl-"`` plus 24 hex digits of the SHA-256 of the body.

    :raises adapters.DecodeError: ``kind="invalid_body"``, for a body that is not a
        response (an error body goes to :func:`dashscope_error_to_openai`).
    :raises adapters.EncodeError: ``kind="untranslatable"``, for list content with
        items other than text (``ocr_result``, ...).

    >>> dashscope_response_to_openai({
    ...     "output": {"choices": [{"finish_reason": "stop",
    ...                             "message": {"role": "assistant", "content": "Hello"}}]},
    ...     "usage": {"input_tokens": 8, "output_tokens": 1, "total_tokens": 9},
    ...     "request_id": "d272255f",
    ... }, model="qwen-plus", created=1700000000)
    {'id': 'chatcmpl-d272255f', 'object': 'chat.completion', 'created': 1700000000, 'model':
    'qwen-plus', 'choices': [{'index': 0, 'message': {'role': 'assistant', 'content': 'Hello',
    'refusal': None}, 'logprobs': None, 'finish_reason': 'stop'}], 'usage': {'prompt_tokens': 8,
    'completion_tokens': 1, 'total_tokens': 9}}
    """
    body = _mapping(body, "dashscope", "body")
    if "output" not in body or body.get("code"):
        if body.get("code"):
            raise DecodeError(
                "an error body, not a response: use dashscope_error_to_openai",
                kind="invalid_body",
                provider="dashscope",
            )
        raise _shape_error("dashscope", "output", "an object", None)
    output = _mapping(body["output"], "dashscope", "output")
    if "choices" in output:
        choices = [
            _choice_to_openai(c, i)
            for i, c in enumerate(_list(output["choices"], "dashscope", "output.choices"))
        ]
        rest = _extras(output, ("choices",))
    elif "text" in output:  # result_format "text" (API reference, output.text)
        text = output["text"]
        message = {"role": "assistant", "content": text, "refusal": None}
        reason = _finish_to_openai(output.get("finish_reason"), "output.finish_reason")
        choices = [{"index": 0, "message": message, "logprobs": None, "finish_reason": reason}]
        rest = _extras(output, ("text", "finish_reason"))
    else:
        raise _shape_error("dashscope", "output", "choices or text", output)
    out: dict[str, Any] = {
        "id": id if id is not None else _default_id(body),
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": choices,
    }
    if body.get("usage") is not None:
        out["usage"] = _usage_to_openai(_mapping(body["usage"], "dashscope", "usage"))
    # output extras (search_info, tool_info, ...) and unknown top-level keys ride
    # along as top-level fields; OpenAI clients keep unknown fields.
    out |= {key: value for key, value in rest.items() if value is not None}
    for key, value in body.items():
        if key in ("output", "usage", "request_id") or value is None:
            continue
        if key in _SDK_WRAPPER and value in (200, ""):
            continue  # the Python SDK's response object: status_code, empty code / message
        out[key] = _copy(value)
    return out


_OPENAI_RESPONSE_KNOWN = ("id", "object", "created", "model", "choices", "usage")
_NULLABLE_TOP = ("system_fingerprint", "service_tier")


def _usage_to_dashscope(usage: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "input_tokens": usage.get("prompt_tokens", 0),
        "output_tokens": usage.get("completion_tokens", 0),
    }
    if usage.get("total_tokens") is not None:
        out["total_tokens"] = usage["total_tokens"]
    if usage.get("prompt_tokens_details") is not None:
        out["prompt_tokens_details"] = _copy(usage["prompt_tokens_details"])
    if usage.get("completion_tokens_details") is not None:
        out["output_tokens_details"] = _copy(usage["completion_tokens_details"])
    known = ("prompt_tokens", "completion_tokens", "total_tokens")
    out |= _extras(usage, (*known, "prompt_tokens_details", "completion_tokens_details"))
    return out


def _message_to_dashscope_response(
    message: Mapping[str, Any], path: str, multimodal: bool
) -> dict[str, Any]:
    out = _message_to_dashscope(message, path, multimodal)
    if "reasoning" in out and "reasoning_content" not in out:
        out["reasoning_content"] = out.pop("reasoning")  # vLLM / Ollama spelling
    if out.get("annotations") == []:
        del out["annotations"]
    return out


def openai_response_to_dashscope(
    body: Mapping[str, Any],
    *,
    result_format: Literal["message", "text"] = "message",
    request_id: str | None = None,
    multimodal: bool = False,
) -> dict[str, Any]:
    """A DashScope non-streaming response body for an OpenAI ``chat.completion``.

    :param result_format: the shape the DashScope caller asked for: ``"message"``
        (``output.choices``) or ``"text"`` (``output.text``; one choice, no tool
        calls, no reasoning).
    :param request_id: defaults to the OpenAI ``id`` without its ``chatcmpl-``
        prefix (so that a DashScope body translated there and back keeps its id).
    :param multimodal: write list content, as the multimodal endpoint does.
    :raises adapters.EncodeError: ``kind="untranslatable"``, for what
        ``result_format="text"`` cannot carry.
    :raises adapters.DecodeError: ``kind="invalid_body"``, for a body that is not
        a ``chat.completion``.

    >>> openai_response_to_dashscope({
    ...     "id": "chatcmpl-d272255f", "object": "chat.completion", "created": 1, "model": "m",
    ...     "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
    ...                  "message": {"role": "assistant", "content": "Hello", "refusal": None}}],
    ...     "usage": {"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9},
    ... })
    {'output': {'choices': [{'index': 0, 'finish_reason': 'stop', 'message': {'role':
    'assistant', 'content': 'Hello'}}]}, 'usage': {'input_tokens': 8, 'output_tokens': 1,
    'total_tokens': 9}, 'request_id': 'd272255f'}
    """
    body = _mapping(body, "openai", "body")
    kind = body.get("object", "chat.completion")
    if kind != "chat.completion":
        raise _shape_error("openai", "object", "'chat.completion'", kind)
    raw_choices = _list(body.get("choices"), "openai", "choices")
    choices: list[dict[str, Any]] = []
    for position, raw in enumerate(raw_choices):
        path = f"choices[{position}]"
        choice = _mapping(raw, "openai", path)
        message = _message_to_dashscope_response(
            _mapping(choice.get("message"), "openai", f"{path}.message"),
            f"{path}.message",
            multimodal,
        )
        reason = choice.get("finish_reason")
        out_choice: dict[str, Any] = {
            "index": choice.get("index", position),
            "finish_reason": "null" if reason is None else _str(reason, "openai", path),
            "message": message,
        }
        if choice.get("logprobs") is not None:
            out_choice["logprobs"] = _copy(choice["logprobs"])
        out_choice |= _extras(choice, ("index", "finish_reason", "message", "logprobs"))
        choices.append(out_choice)
    output: dict[str, Any]
    if result_format == "text":
        if len(choices) != 1:
            raise _untranslatable(
                "dashscope", "choices", "result_format 'text' carries exactly one choice"
            )
        (only,) = choices
        message = only["message"]
        for key in message:
            if key not in ("role", "content"):
                raise _untranslatable(
                    "dashscope", f"choices[0].message.{key}", "result_format 'text' has no place"
                )
        content = message["content"]
        if isinstance(content, list):
            content = _TEXT_JOINER.join(item.get("text", "") for item in content)
        output = {"text": content, "finish_reason": only["finish_reason"]}
    else:
        output = {"choices": choices}
    for key, value in body.items():
        if key in _OPENAI_RESPONSE_KNOWN or (key in _NULLABLE_TOP and value is None):
            continue
        output[key] = _copy(value)
    out: dict[str, Any] = {"output": output}
    if body.get("usage") is not None:
        out["usage"] = _usage_to_dashscope(_mapping(body["usage"], "openai", "usage"))
    if request_id is None:
        response_id = body.get("id")
        if isinstance(response_id, str) and response_id:
            request_id = response_id.removeprefix("chatcmpl-")
    if request_id is not None:
        out["request_id"] = request_id
    return out


# ------------------------------------------------------------------ errors

#: OpenAI error ``type`` for an HTTP status (anything else: ``"invalid_request_error"``
#: for 4xx, ``"server_error"`` for 5xx, ``"api_error"`` otherwise).
OPENAI_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "request_too_large",
    422: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    503: "service_unavailable_error",
}

# https://help.aliyun.com/zh/dashscope/developer-reference/return-status-code-description
#: DashScope error ``code`` for an HTTP status, used when the OpenAI error has no
#: code (anything else: ``"InvalidParameter"`` for 4xx, ``"InternalError"`` otherwise).
DASHSCOPE_ERROR_CODES = {
    400: "InvalidParameter",
    401: "InvalidApiKey",
    403: "AccessDenied",
    408: "RequestTimeOut",
    413: "BadRequest.TooLarge",
    429: "Throttling",
    500: "InternalError",
}


def openai_error_type(status: int) -> str:
    """The OpenAI error ``type`` for an HTTP status (:data:`OPENAI_ERROR_TYPES`).

    >>> openai_error_type(429), openai_error_type(418), openai_error_type(502)
    ('rate_limit_error', 'invalid_request_error', 'server_error')
    """
    if status in OPENAI_ERROR_TYPES:
        return OPENAI_ERROR_TYPES[status]
    if 400 <= status < 500:
        return "invalid_request_error"
    return "server_error" if 500 <= status < 600 else "api_error"


def dashscope_error_code(status: int) -> str:
    """The DashScope error ``code`` for an HTTP status (:data:`DASHSCOPE_ERROR_CODES`).

    >>> dashscope_error_code(429), dashscope_error_code(418), dashscope_error_code(502)
    ('Throttling', 'InvalidParameter', 'InternalError')
    """
    if status in DASHSCOPE_ERROR_CODES:
        return DASHSCOPE_ERROR_CODES[status]
    return "InvalidParameter" if 400 <= status < 500 else "InternalError"


def dashscope_error_to_openai(body: Mapping[str, Any], status: int) -> tuple[int, dict[str, Any]]:
    """An OpenAI error body for a DashScope error body; the status is kept.

    ``status`` is the real one: for an error inside an SSE stream, the number in
    the ``:HTTP_STATUS/NNN`` comment, not the HTTP 200 of the response. The OpenAI
    ``type`` comes from the status (:data:`OPENAI_ERROR_TYPES`) unless the body
    names one; ``code`` is DashScope's, verbatim; ``param`` is ``null`` unless the
    body names one. ``request_id`` stays beside ``error``, where DashScope's
    OpenAI-compatible mode puts it. A body that already is an OpenAI error comes
    back as it is.

    >>> dashscope_error_to_openai({"code": "InvalidApiKey", "message": "Invalid API-key provided.",
    ...                            "request_id": "a1c0561c"}, 401)
    (401, {'error': {'message': 'Invalid API-key provided.', 'type': 'authentication_error',
    'param': None, 'code': 'InvalidApiKey'}, 'request_id': 'a1c0561c'})
    """
    body = _mapping(body, "dashscope", "body")
    if isinstance(body.get("error"), Mapping):
        return status, _copy(dict(body))
    message = body.get("message", body.get("msg"))  # the Python SDK reads either
    error: dict[str, Any] = {
        "message": message if isinstance(message, str) else "",
        "type": body.get("type")
        if isinstance(body.get("type"), str)
        else openai_error_type(status),
        "param": _copy(body.get("param")),
        "code": body.get("code") if isinstance(body.get("code"), str) else None,
    }
    out: dict[str, Any] = {"error": error}
    if body.get("request_id") is not None:
        out["request_id"] = body["request_id"]
    return status, out


def openai_error_to_dashscope(
    body: Mapping[str, Any], status: int, *, request_id: str | None = None
) -> tuple[int, dict[str, Any]]:
    """A DashScope error body for an OpenAI error body; the status is kept.

    ``code`` is the OpenAI code, or :data:`DASHSCOPE_ERROR_CODES` for the status
    when it is null. ``request_id`` is the keyword, else a top-level
    ``request_id`` of the body, else left out. The OpenAI ``type`` and ``param``
    are kept (as ``type`` / ``param`` keys) when the status does not already say
    them, so that translating back gives the same error.

    >>> openai_error_to_dashscope({"error": {"message": "Rate limit reached", "type": "requests",
    ...                                      "param": None, "code": "rate_limit_exceeded"}}, 429)
    (429, {'code': 'rate_limit_exceeded', 'message': 'Rate limit reached', 'type': 'requests'})
    """
    body = _mapping(body, "openai", "body")
    error = _mapping(body.get("error"), "openai", "error")
    code = error.get("code")
    out: dict[str, Any] = {
        "code": code if isinstance(code, str) else dashscope_error_code(status),
        "message": str(error.get("message") or ""),
    }
    kind = error.get("type")
    if isinstance(kind, str) and kind != openai_error_type(status):
        out["type"] = kind
    if error.get("param") is not None:
        out["param"] = _copy(error["param"])
    if request_id is None and isinstance(body.get("request_id"), str):
        request_id = body["request_id"]
    if request_id is not None:
        out["request_id"] = request_id
    return status, out

"""Diagnose an LLM endpoint with one tiny request: is the key, the URL, the model and the mode right?

``icp llm check`` prints the diagnosis. Each failure names the setting to change, so an operator setting
up a local server (Ollama, llama-cpp-python, vLLM) or a new key knows what to fix without reading logs.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Literal, cast

import openai
from openai import OpenAI
from pydantic import BaseModel, ConfigDict, Field, field_validator

from icp.evaluators._modes import is_format_rejection
from icp.evaluators._response import RESPONSE_MODES
from icp.evaluators._retry import is_quota_error, retry_after_seconds
from icp.redact import redact
from icp.settings import Settings

logger = logging.getLogger(__name__)

__all__ = ["DiagnosisStatus", "EndpointDiagnosis", "check_endpoint", "diagnose_error"]

DiagnosisStatus = Literal[
    "ok",
    "bad_key",
    "wrong_base_url",
    "model_not_found",
    "no_json_schema",
    "rate_limited",
    "quota_exhausted",
    "timeout",
    "error",
]

_PROBE_SCHEMA: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "probe",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"ok": {"type": "boolean"}},
            "required": ["ok"],
            "additionalProperties": False,
        },
    },
}


class EndpointDiagnosis(BaseModel):
    """The outcome of probing the endpoint, for people (message, hint) and scripts (status)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: DiagnosisStatus
    message: str = Field(description="What happened.")
    hint: str = Field(default="", description="What to change, when something is wrong.")
    base_url: str
    model: str
    mode: str
    status_code: int | None = None
    request_id: str | None = None
    latency_ms: float = 0.0

    @field_validator("message", "hint", "base_url")
    @classmethod
    def _without_secrets(cls, value: str) -> str:
        return redact(value)

    @property
    def ok(self) -> bool:
        """True when the endpoint graded-ready: it answered the probe in the configured mode."""
        return self.status == "ok"


PROBE_MAX_TOKENS = 24
"""The probes' answer cap: ``{"ok": true}`` needs a handful of tokens; a runaway answer ends in seconds."""


def probe_format(mode: str) -> dict[str, Any]:
    """The probe's ``response_format`` in ``mode`` (a one-boolean schema)."""
    if mode == "json_schema":
        return _PROBE_SCHEMA
    if mode == "json_object_schema":
        return {"type": "json_object", "schema": _PROBE_SCHEMA["json_schema"]["schema"]}
    return {"type": "json_object"}


def send_probe(client: OpenAI, model: str, mode: str) -> Any:
    """The tiny capped request every probe sends: ``{"ok": true}`` asked for in ``mode``."""
    return client.chat.completions.create(
        model=model,
        messages=[
            {"role": "system", "content": "You are a connectivity check. Answer with JSON only."},
            {"role": "user", "content": 'Return the JSON object {"ok": true}.'},
        ],
        max_tokens=PROBE_MAX_TOKENS,
        response_format=cast(Any, probe_format(mode)),
    )


def check_endpoint(client: OpenAI, settings: Settings) -> EndpointDiagnosis:
    """Send one tiny chat request in the configured mode and explain the result.

    In ``auto`` mode a rejected response format is tried again in the next mode, as grading does.
    Never raises for an endpoint problem; every failure becomes a diagnosis.
    """
    probe = client.with_options(max_retries=0, timeout=min(settings.request_timeout_s, 30.0))
    base_url = str(client.base_url).rstrip("/")
    common: dict[str, Any] = {"base_url": base_url, "model": settings.model, "mode": settings.llm_mode}
    modes = list(RESPONSE_MODES) if settings.llm_mode == "auto" else [settings.llm_mode]
    started = time.perf_counter()
    for position, mode in enumerate(modes):
        started = time.perf_counter()
        try:
            completion = send_probe(probe, settings.model, mode)
        except openai.APIError as exc:
            if is_format_rejection(exc) and position + 1 < len(modes):
                continue
            common["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
            return _diagnose_error(exc, probe, settings, common)
        if settings.llm_mode == "auto":
            common["mode"] = f"auto: {mode}"
        break
    latency = round((time.perf_counter() - started) * 1000, 1)
    content = completion.choices[0].message.content if completion.choices else None
    request_id = getattr(completion, "_request_id", None)
    try:
        json.loads(content or "")
    except json.JSONDecodeError:
        return EndpointDiagnosis(
            status="ok",
            message=f"{settings.model} answered in {latency:.0f} ms, but not with JSON.",
            hint="Grading may need re-asks; if it keeps failing, try ICP_LLM_MODE=json_object or another model.",
            request_id=request_id,
            latency_ms=latency,
            **common,
        )
    return EndpointDiagnosis(
        status="ok",
        message=f"{settings.model} answered in {latency:.0f} ms with valid JSON ({common['mode']} mode).",
        request_id=request_id,
        latency_ms=latency,
        **common,
    )


def diagnose_error(exc: openai.APIError, client: OpenAI, settings: Settings) -> EndpointDiagnosis:
    """The diagnosis ``icp llm check`` gives for ``exc``, an error the endpoint answered a request with."""
    common: dict[str, Any] = {
        "base_url": str(client.base_url).rstrip("/"),
        "model": settings.model,
        "mode": settings.llm_mode,
    }
    return _diagnose_error(exc, client.with_options(max_retries=0), settings, common)


def _diagnose_error(
    exc: openai.APIError, client: OpenAI, settings: Settings, common: dict[str, Any]
) -> EndpointDiagnosis:
    detail = _detail(exc)
    base_url = common["base_url"]
    if isinstance(exc, openai.APITimeoutError):
        return EndpointDiagnosis(
            status="timeout",
            message=f"No answer from {base_url} within {min(settings.request_timeout_s, 30.0):g}s.",
            hint="Check that the server is up and not overloaded; raise ICP_REQUEST_TIMEOUT_S for slow local models.",
            **common,
        )
    if isinstance(exc, openai.APIConnectionError):
        return EndpointDiagnosis(
            status="wrong_base_url",
            message=f"Nothing answered at {base_url} (connection failed).",
            hint="Check ICP_OPENAI_BASE_URL (it usually ends in /v1, e.g. http://localhost:11434/v1) "
            "and that the server is running.",
            **common,
        )
    if not isinstance(exc, openai.APIStatusError):
        return EndpointDiagnosis(status="error", message=f"Unusable response: {detail}", **common)
    extra: dict[str, Any] = {"status_code": exc.status_code, "request_id": exc.request_id, **common}
    status = exc.status_code
    if status in (401, 403):
        return EndpointDiagnosis(
            status="bad_key",
            message=f"The endpoint rejected the API key ({status}): {detail}",
            hint="Check ICP_OPENAI_API_KEY (and the project/organisation it belongs to). "
            "For a local server without auth any value works.",
            **extra,
        )
    if status == 404:
        return _diagnose_not_found(client, settings, detail, extra)
    if status == 429:
        if is_quota_error(exc):
            return EndpointDiagnosis(
                status="quota_exhausted",
                message=f"The key works, but the account has no quota left: {detail}",
                hint="Add credit or raise the spending limit at the provider; retrying will not help.",
                **extra,
            )
        wait = retry_after_seconds(exc)
        return EndpointDiagnosis(
            status="rate_limited",
            message=f"The key and model work, but the endpoint is rate limiting right now: {detail}",
            hint=(f"It asked to wait {wait:g}s. " if wait else "")
            + "Lower ICP_REQUESTS_PER_MINUTE / ICP_CONCURRENCY if this persists.",
            **extra,
        )
    if is_format_rejection(exc):
        return EndpointDiagnosis(
            status="no_json_schema",
            message=f"The endpoint does not support {settings.llm_mode} structured outputs: {detail}",
            hint="Set ICP_LLM_MODE=auto (falls back to a format the server accepts) or ICP_LLM_MODE=json_object "
            "(plain JSON mode, validated by icp) for this server.",
            **extra,
        )
    return EndpointDiagnosis(status="error", message=f"The endpoint answered HTTP {status}: {detail}", **extra)


def _diagnose_not_found(client: OpenAI, settings: Settings, detail: str, extra: dict[str, Any]) -> EndpointDiagnosis:
    """A 404 means a wrong route or an unknown model: listing the models tells which."""
    try:
        models = [m.id for m in client.models.list().data]
    except openai.APIError:
        models = None
    if models is None and "model" not in detail.lower():
        return EndpointDiagnosis(
            status="wrong_base_url",
            message=f"{extra['base_url']} does not serve the chat completions route (404): {detail}",
            hint="Check ICP_OPENAI_BASE_URL: OpenAI-compatible servers usually expect the URL to end in /v1.",
            **extra,
        )
    shown = ""
    if models:
        shown = f" Models available there: {', '.join(models[:10])}{' …' if len(models) > 10 else ''}."
    return EndpointDiagnosis(
        status="model_not_found",
        message=f"The model {settings.model!r} was not found at {extra['base_url']}: {detail}",
        hint=f"Set ICP_MODEL to a model the endpoint serves (for Ollama, pull it first).{shown}",
        **extra,
    )


def _detail(exc: openai.APIError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])[:300]
    return str(exc.message)[:300]

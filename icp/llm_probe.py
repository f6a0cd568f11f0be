"""Know the server: which response formats, roles and APIs an endpoint really supports.

``icp llm check`` runs these probes after its connectivity check. Each probe is one tiny request with a
small ``max_tokens``, so even a slow local model answers them in seconds. From the answers come the
settings to use (``ICP_LLM_MODE``, ``ICP_LLM_SYSTEM_ROLE``, ``ICP_CONCURRENCY``), which ``--save`` writes
into ``.env`` next to what is already there. API keys are never written.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import openai
from openai import OpenAI
from pydantic import BaseModel, ConfigDict, Field, field_validator

from icp.evaluators._modes import is_format_rejection
from icp.evaluators._response import RESPONSE_MODES
from icp.llm_check import PROBE_MAX_TOKENS, probe_format, send_probe
from icp.redact import redact
from icp.settings import Settings

__all__ = ["SAVABLE_SETTINGS", "Capability", "EndpointProfile", "probe_endpoint", "save_settings"]

SAVABLE_SETTINGS = frozenset({"ICP_LLM_MODE", "ICP_LLM_SYSTEM_ROLE", "ICP_CONCURRENCY"})
"""The only keys ``--save`` writes: never a key, a URL or anything else."""

# Three requests sent together taking this many times one request's latency: the server ran them in turn
# (about 3x one at a time; about 1x with parallel slots).
PARALLEL_PROBES = 3
SERIAL_RATIO = 2.0
# Below this single-request latency the timing cannot tell a serial server from a parallel one.
MIN_TIMED_LATENCY_S = 0.15

_CODEWORD = "pelican"


class Capability(BaseModel):
    """One probed feature: whether it works (None: the probe could not tell) and what was seen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    works: bool | None
    detail: str

    @field_validator("detail")
    @classmethod
    def _without_secrets(cls, value: str) -> str:
        return redact(value)


class EndpointProfile(BaseModel):
    """What the endpoint supports and the settings that follow from it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    capabilities: tuple[Capability, ...]
    settings: dict[str, str] = Field(description="ICP_* name -> value to use with this endpoint.")
    notes: tuple[str, ...] = ()

    def capability(self, name: str) -> Capability | None:
        """The probe result called ``name``, if it ran."""
        return next((c for c in self.capabilities if c.name == name), None)


def probe_endpoint(client: OpenAI, settings: Settings) -> EndpointProfile:
    """Probe the endpoint with tiny requests and say which settings suit it. Never raises for an endpoint problem."""
    probe = client.with_options(max_retries=0, timeout=min(settings.request_timeout_s, 30.0))
    capabilities: list[Capability] = []
    latencies: list[float] = []
    working: list[str] = []
    for mode in RESPONSE_MODES:
        capability, latency = _probe_mode(probe, settings, mode)
        capabilities.append(capability)
        if capability.works:
            working.append(mode)
            latencies.append(latency)
    system = _probe_system_role(probe, settings, "json_object" if "json_object" in working else None)
    capabilities.append(system)
    capabilities.append(_probe_files(probe))
    local = is_local(str(client.base_url))
    serial = _probe_serial(probe, settings, working[0] if working else None, min(latencies, default=0.0))
    capabilities.append(serial)

    recommended: dict[str, str] = {}
    notes: list[str] = []
    if working:
        recommended["ICP_LLM_MODE"] = working[0]
    else:
        notes.append("No response format worked; fix the connectivity problem above first.")
    if system.works is not None:
        recommended["ICP_LLM_SYSTEM_ROLE"] = "keep" if system.works else "merge"
    if serial.works is False:  # "parallel requests" does not work: one at a time
        recommended["ICP_CONCURRENCY"] = "1"
    elif serial.works is None and local:
        recommended["ICP_CONCURRENCY"] = "1"
        notes.append(
            "A local server usually generates one answer at a time, so ICP_CONCURRENCY=1 is suggested; raise it "
            "if the server runs parallel slots (llama.cpp --parallel, vLLM, OLLAMA_NUM_PARALLEL)."
        )
    return EndpointProfile(capabilities=tuple(capabilities), settings=recommended, notes=tuple(notes))


def _probe_mode(client: OpenAI, settings: Settings, mode: str) -> tuple[Capability, float]:
    started = time.perf_counter()
    try:
        completion = send_probe(client, settings.model, mode)
    except openai.APIStatusError as exc:
        if is_format_rejection(exc):
            return Capability(name=mode, works=False, detail=f"rejected (HTTP {exc.status_code})"), 0.0
        return Capability(name=mode, works=None, detail=f"could not tell: HTTP {exc.status_code}"), 0.0
    except openai.APIError as exc:
        return Capability(name=mode, works=None, detail=f"could not tell: {type(exc).__name__}"), 0.0
    latency = time.perf_counter() - started
    content = completion.choices[0].message.content if completion.choices else None
    try:
        value = json.loads(content or "")
    except json.JSONDecodeError:
        return Capability(name=mode, works=False, detail="accepted, but the answer was not JSON"), latency
    if not isinstance(value, dict) or "ok" not in value:
        return Capability(name=mode, works=False, detail="accepted, but the answer ignored the schema"), latency
    return Capability(name=mode, works=True, detail=f"valid JSON in {latency * 1000:.0f} ms"), latency


def _probe_system_role(client: OpenAI, settings: Settings, mode: str | None) -> Capability:
    """The instruction is only in the system message: a server that drops that role answers without it."""
    name = "system role"
    extra: dict[str, Any] = {"response_format": probe_format(mode)} if mode else {}
    try:
        completion = client.chat.completions.create(
            model=settings.model,
            messages=[
                {"role": "system", "content": f'Return the JSON object {{"codeword": "{_CODEWORD}"}}.'},
                {"role": "user", "content": "Answer with the JSON object your instructions ask for."},
            ],
            max_tokens=PROBE_MAX_TOKENS,
            **extra,
        )
    except openai.APIError as exc:
        return Capability(name=name, works=None, detail=f"could not tell: {_short(exc)}")
    content = (completion.choices[0].message.content if completion.choices else None) or ""
    if _CODEWORD in content.lower():
        return Capability(name=name, works=True, detail="the system message's instruction was followed")
    return Capability(
        name=name,
        works=False,
        detail="an instruction given only in the system message was not followed (dropped by the chat template?)",
    )


def _probe_files(client: OpenAI) -> Capability:
    name = "batch API"
    try:
        client.files.list()
    except openai.NotFoundError:
        return Capability(name=name, works=False, detail="404 on /v1/files: no Batch API, grade live")
    except openai.APIError as exc:
        return Capability(name=name, works=None, detail=f"could not tell: {_short(exc)}")
    return Capability(name=name, works=True, detail="/v1/files answers: `icp batch submit` can be used")


def _probe_serial(client: OpenAI, settings: Settings, mode: str | None, single_s: float) -> Capability:
    """Three tiny requests at once: taking about three times one request's time means one at a time.

    "One request's time" is that same request sent alone, the fastest of three kept: a server's first answer
    to a new prompt includes reading the prompt (seconds on a CPU), which later identical requests skip, so
    the format probes' latencies would make three cached answers look parallel. "At once" is the faster of
    two rounds. Noise on a busy machine only ever slows a request, so the fastest times are the truest.
    """
    name = "parallel requests"
    if mode is None:
        return Capability(name=name, works=None, detail="not probed: no response format worked")
    if single_s < MIN_TIMED_LATENCY_S:
        return Capability(name=name, works=None, detail="could not tell: the server answers too fast to time")

    def one() -> float:
        started = time.perf_counter()
        client.chat.completions.create(
            model=settings.model,
            messages=[{"role": "user", "content": 'Return the JSON object {"ok": true}.'}],
            max_tokens=PROBE_MAX_TOKENS,
            response_format=cast(Any, probe_format(mode)),
        )
        return time.perf_counter() - started

    try:
        alone = min(one() for _ in range(3))
        if alone < MIN_TIMED_LATENCY_S:
            return Capability(name=name, works=None, detail="could not tell: the server answers too fast to time")
        with ThreadPoolExecutor(max_workers=PARALLEL_PROBES) as pool:
            together = min(max(pool.map(lambda _: one(), range(PARALLEL_PROBES))) for _ in range(2))
    except openai.APIError as exc:
        return Capability(name=name, works=None, detail=f"could not tell: {_short(exc)}")
    ratio = together / alone
    if ratio >= SERIAL_RATIO:
        return Capability(
            name=name,
            works=False,
            detail=f"{PARALLEL_PROBES} requests at once took {ratio:.1f}x one request's time: it serves one at a time",
        )
    return Capability(
        name=name, works=True, detail=f"{PARALLEL_PROBES} requests at once took {ratio:.1f}x one request's time"
    )


def _short(exc: openai.APIError) -> str:
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    return type(exc).__name__


def is_local(base_url: str) -> bool:
    """True for a server on this machine or a private network (where icp's data usually stays)."""
    host = urlsplit(base_url).hostname or ""
    if host in ("localhost", "host.docker.internal") or host.endswith((".local", ".internal", ".lan")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_unspecified


_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")


def save_settings(path: Path, values: dict[str, str]) -> list[str]:
    """Write ``values`` into the dotenv file at ``path``: replace those keys' lines, keep every other line.

    Only :data:`SAVABLE_SETTINGS` may be written; the file's other lines (keys included) are kept as they are.

    Returns:
        The keys written.

    Raises:
        ValueError: a key outside :data:`SAVABLE_SETTINGS` was given.
    """
    unknown = sorted(set(values) - SAVABLE_SETTINGS)
    if unknown:
        raise ValueError(f"refusing to write {', '.join(unknown)}: only {', '.join(sorted(SAVABLE_SETTINGS))}")
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    pending = dict(values)
    result: list[str] = []
    for line in lines:
        match = _ENV_LINE.match(line)
        key = match.group(1) if match else None
        if key in values:
            if key in pending:
                result.append(f"{key}={pending.pop(key)}")
            continue  # a duplicate of a key already written
        result.append(line)
    result.extend(f"{key}={value}" for key, value in pending.items())
    path.write_text("\n".join(result) + "\n", encoding="utf-8")
    return sorted(values)

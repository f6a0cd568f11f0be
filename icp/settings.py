"""Settings from arguments, then ``ICP_*`` environment variables (or a ``.env`` file), then defaults.

Built once at the edges (CLI, Streamlit app) and passed in; library code never reads the environment.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from icp.scoring import ScoringPolicy


class ModelPrice(BaseModel):
    """USD per million tokens."""

    input: float
    output: float
    cached_input: float | None = None


# Public list prices (USD per 1M tokens). Unknown models cost 0 and the CLI says so.
DEFAULT_PRICES: dict[str, ModelPrice] = {
    "gpt-4o-mini": ModelPrice(input=0.15, output=0.60, cached_input=0.075),
    "gpt-4o": ModelPrice(input=2.50, output=10.00, cached_input=1.25),
    "gpt-4.1-mini": ModelPrice(input=0.40, output=1.60, cached_input=0.10),
    "gpt-4.1-nano": ModelPrice(input=0.10, output=0.40, cached_input=0.025),
    "gpt-4.1": ModelPrice(input=2.00, output=8.00, cached_input=0.50),
}


# "-2024-07-18" or "-20240718" at the end of a model name: a dated snapshot of the base model.
_DATED_SNAPSHOT = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8})$")


class Webhook(BaseModel):
    """Where tier-change digests are posted. The URL is a secret (Slack's carries its token)."""

    model_config = ConfigDict(extra="forbid")

    url: SecretStr
    format: Literal["slack", "json"] = Field(
        default="slack", description="slack: an incoming-webhook message; json: the digest as data."
    )
    motion: str | None = Field(default=None, description="Only this motion's digests (default: every motion's).")
    owner: str | None = Field(default=None, description="Only this owner's digests (default: everyone's).")

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().lower().startswith(("http://", "https://")):
            raise ValueError("a webhook URL must start with http:// or https://")
        return value


RoleName = Literal["admin", "leader", "sdr", "evaluator", "viewer"]
"""The roles people hold in a team (see :mod:`icp.team.roles` for what each may do)."""


class Settings(BaseSettings):
    """Everything an operator can configure. Environment variables use the ``ICP_`` prefix."""

    model_config = SettingsConfigDict(env_prefix="ICP_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///icp.db",
        description="SQLAlchemy URL. Default: the SQLite file icp.db in the working directory.",
    )
    evaluator: Literal["offline", "llm", "hybrid"] | None = Field(
        default=None, description="Default evaluator; when unset: 'hybrid' if an API key is set, else 'offline'."
    )
    openai_base_url: str | None = Field(default=None, description="Any OpenAI-compatible endpoint, e.g. Ollama's.")
    openai_api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    llm_mode: Literal["auto", "json_schema", "json_object_schema", "json_object"] = Field(
        default="auto",
        description="How answers are constrained. auto: strict json_schema, falling back to json_object_schema "
        "(JSON mode with the schema, as llama.cpp accepts) and then plain json_object when the server rejects "
        "the format; the working mode is kept for the rest of the run.",
    )
    llm_system_role: Literal["keep", "merge", "auto"] = Field(
        default="keep",
        description="merge: put the system message into the first user turn, for chat templates that drop the "
        "system role; auto: as keep, and `icp llm check --save` writes what the server needs.",
    )
    max_output_tokens: int | None = Field(
        default=None,
        ge=16,
        description="max_tokens of every grading request; default sized from the number of criteria.",
    )
    prompt: str = Field(default="grade_company@v1", description="Prompt id used by the LLM evaluator.")
    request_timeout_s: float = 60.0
    max_retries: int = Field(default=4, ge=0, description="Transport/429/5xx retries per request.")
    max_output_retries: int = Field(default=2, ge=0, description="Re-asks after invalid model output.")
    circuit_breaker_failures: int = Field(
        default=5,
        ge=1,
        description="Consecutive unfixable LLM failures (rejected key, no quota, unknown model) that stop a cycle.",
    )
    concurrency: int = Field(default=8, ge=1)
    adaptive_concurrency: bool = Field(
        default=True,
        description="LLM requests in flight start at 2, grow while latency is stable and halve on timeouts, "
        "5xx and 429 (never above concurrency); false: always concurrency.",
    )
    requests_per_minute: int = Field(default=500, ge=1)
    tokens_per_minute: int = Field(default=2_000_000, ge=1)
    prices: dict[str, ModelPrice] = Field(default_factory=lambda: dict(DEFAULT_PRICES))
    prompts_dir: Path | None = Field(default=None, description="Where prompt files live; default: the shipped ones.")
    tier_thresholds: tuple[float, float] = Field(
        default=(80.0, 60.0), description="Default T1 and T2 minimum scores (a segment may set its own)."
    )
    signal_half_life_days: float = Field(default=14.0, gt=0)
    alert_webhooks: Annotated[list[Webhook], NoDecode] = Field(
        default_factory=list,
        description="Tier-change alerts after each cycle: webhook URLs separated by commas (Slack format), or a "
        'JSON list of {"url", "format": "slack"|"json", "motion", "owner"}.',
    )

    hubspot_token: SecretStr | None = Field(
        default=None, description="A HubSpot private app's access token (Settings > Integrations > Private Apps)."
    )
    hubspot_base_url: str = Field(
        default="https://api.hubapi.com", description="HubSpot's API host; tests point it at a local server."
    )
    crm_push_after_cycle: Literal["hubspot", "salesforce"] | None = Field(
        default=None,
        description="Write tiers, scores and tasks to this CRM after every finished cycle (as `icp crm push`).",
    )
    salesforce_instance_url: str | None = Field(
        default=None,
        description="Your org's My Domain URL, e.g. https://acme.my.salesforce.com (where the REST API, the "
        "client-credentials token and the username/password login are sent).",
    )
    salesforce_api_version: str = Field(default="62.0", description="Salesforce REST API version, e.g. 62.0.")
    salesforce_access_token: SecretStr | None = Field(
        default=None, description="A session id / OAuth access token used as is (no login)."
    )
    salesforce_client_id: str | None = Field(
        default=None, description="Consumer key of a connected app with the client-credentials flow enabled."
    )
    salesforce_client_secret: SecretStr | None = Field(default=None, description="That connected app's secret.")
    salesforce_username: str | None = Field(default=None, description="Username for a username/password login.")
    salesforce_password: SecretStr | None = None
    salesforce_security_token: SecretStr | None = Field(
        default=None,
        description="The user's security token (Settings > Reset My Security Token); appended to the "
        "password on login.",
    )
    salesforce_domain: str | None = Field(
        default=None,
        description="Where username/password logins go: login (production), test (sandbox) or a My Domain prefix "
        "such as acme.my; default: the instance URL.",
    )
    salesforce_ca_bundle: Path | None = Field(
        default=None,
        description="A PEM file of certificate authorities to trust for Salesforce (a TLS-inspecting proxy); "
        "default: the system's.",
    )

    cycle_schedule: str | None = Field(
        default=None,
        description="When `icp worker` runs cycles: a 5-field cron expression (minute hour day-of-month month "
        'day-of-week), e.g. "0 6 * * 1-5" for 06:00 on weekdays. Unset: the worker has nothing to run.',
    )
    cycle_timezone: str = Field(
        default="UTC", description="The IANA time zone the cycle schedule is read in, e.g. Europe/Berlin."
    )
    cycle_follow_ups: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["alerts", "crm"],
        description="What a scheduled cycle does after it finishes, in order, separated by commas: alerts "
        "(tier-change digests to ICP_ALERT_WEBHOOKS), crm:hubspot or crm:salesforce (push tiers, scores and "
        "tasks to that CRM); a bare crm pushes to ICP_CRM_PUSH_AFTER_CYCLE's CRM when that is set. The default "
        "does what `icp cycle run` does.",
    )
    cycle_catch_up_hours: float = Field(
        default=12.0,
        ge=0,
        description="A worker that starts after a scheduled run was missed (no worker was up) runs the latest "
        "missed one if it is at most this old; 0: never catch up.",
    )
    cycle_budget_usd: float | None = Field(
        default=None, ge=0, description="Spending limit of each scheduled cycle (LLM and hybrid evaluators)."
    )

    @field_validator("cycle_follow_ups", mode="before")
    @classmethod
    def _follow_ups_from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    roles: Annotated[dict[RoleName, list[str]], NoDecode] = Field(
        default_factory=dict,
        description="Who holds which role once the app has sign-in: e-mail addresses and @domains per role, as "
        'JSON (\'{"admin": ["ana@acme.com"], "leader": ["@acme.com"]}\') or as '
        "'admin=ana@acme.com; leader=@acme.com, lee@partner.io'.",
    )
    default_role: RoleName | None = Field(
        default=None,
        description="The role of a signed-in person no entry names (default: none; they are told whom to ask).",
    )

    @field_validator("roles", mode="before")
    @classmethod
    def _roles_from_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return {}
        if text.startswith("{"):
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"ICP_ROLES is not valid JSON ({exc.msg}); or write 'admin=ana@acme.com; leader=@acme.com'"
                ) from exc
        roles: dict[str, list[str]] = {}
        for part in text.split(";"):
            if not part.strip():
                continue
            role, sep, people = part.partition("=")
            if not sep:
                raise ValueError(f"ICP_ROLES entry {part.strip()!r} has no '='; write 'role=address, @domain; ...'")
            roles.setdefault(role.strip().lower(), []).extend(p.strip() for p in people.split(",") if p.strip())
        return roles

    @field_validator("alert_webhooks", mode="before")
    @classmethod
    def _webhooks_from_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"ICP_ALERT_WEBHOOKS is not valid JSON ({exc.msg}); or give URLs separated by commas"
                ) from exc
        return [{"url": url.strip()} for url in text.split(",") if url.strip()]

    def scoring_policy(self) -> ScoringPolicy:
        """The scoring policy with the configured default tier thresholds and signal half-life."""
        t1, t2 = self.tier_thresholds
        return ScoringPolicy(t1=t1, t2=t2, signal_half_life_days=self.signal_half_life_days)

    def price_of(self, model: str) -> ModelPrice | None:
        """The price of ``model``; a dated snapshot ("gpt-4o-mini-2024-07-18") costs what its base model costs."""
        if model in self.prices:
            return self.prices[model]
        base = _DATED_SNAPSHOT.sub("", model)
        return self.prices.get(base)

    def resolved_evaluator(self) -> Literal["offline", "llm", "hybrid"]:
        """The evaluator to use when none is named: hybrid with a key, offline without."""
        if self.evaluator is not None:
            return self.evaluator
        return "hybrid" if self.openai_api_key is not None else "offline"

"""Value types shared by every part of the product. Pure pydantic: no database, no provider, no UI.

The evaluator contract lives here: an evaluator reads a :class:`CompanyProfile` and a
:class:`~icp.criteria.CompiledSegment` and returns a :class:`Grade` — one :class:`CriterionResult`
per criterion plus the provenance of how the grade was produced. Scores and tiers are computed
from grades by :mod:`icp.scoring`, never by the evaluator.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from icp.hashing import canonical_json, content_hash


class Verdict(StrEnum):
    """How one criterion applies to one company.

    ``unknown`` means the company's data does not say; it is never counted as a failure.
    """

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


class CriterionKind(StrEnum):
    """Requirements gate membership; nice-to-haves only add to the score."""

    REQUIREMENT = "requirement"
    NICE_TO_HAVE = "nice_to_have"


class Tier(StrEnum):
    """Where a company lands in a segment. ``disqualified`` means: not a member."""

    T1 = "T1"
    T2 = "T2"
    T3 = "T3"
    DISQUALIFIED = "disqualified"

    @property
    def rank(self) -> int:
        """Sort key: T1 first, disqualified last."""
        return _TIER_RANK[self]

    @property
    def is_member(self) -> bool:
        """True for T1–T3."""
        return self is not Tier.DISQUALIFIED


_TIER_RANK = {Tier.T1: 0, Tier.T2: 1, Tier.T3: 2, Tier.DISQUALIFIED: 3}


class FitStatus(StrEnum):
    """How far the requirements are proven, whatever the score.

    ``qualified``: every requirement met. ``unverified``: none failed, but at least one is unknown — the
    account may fit, and someone must confirm what the data does not say. ``disqualified``: one failed.
    """

    QUALIFIED = "qualified"
    UNVERIFIED = "unverified"
    DISQUALIFIED = "disqualified"

    @property
    def rank(self) -> int:
        """Sort key within a tier: qualified before unverified."""
        return _STATUS_RANK[self]


_STATUS_RANK = {FitStatus.QUALIFIED: 0, FitStatus.UNVERIFIED: 1, FitStatus.DISQUALIFIED: 2}

GradeStatus = Literal["ok", "failed"]
VerdictSource = Literal["check", "keyword", "llm", "person", "none"]

# The company fields an evaluator may read. Their canonical JSON is the company's content hash,
# so any change to one of them (and only to them) causes a re-grade.
GRADED_FIELDS: tuple[str, ...] = (
    "name",
    "domain",
    "website",
    "industry",
    "employees",
    "revenue",
    "country",
    "region",
    "city",
    "description",
    "tags",
    "technologies",
    "funding_stage",
    "founded_year",
)


def normalize_domain(value: str) -> str:
    """Reduce a domain or URL to its bare lower-case host: ``https://www.Acme.com/about`` -> ``acme.com``."""
    host = value.strip().lower()
    for prefix in ("https://", "http://"):
        if host.startswith(prefix):
            host = host[len(prefix) :]
    host = host.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].split(":", 1)[0]
    if host.startswith("www."):
        host = host[4:]
    return host.strip(".")


class CompanyProfile(BaseModel):
    """What the product knows about one account: the only input an evaluator sees.

    Missing facts are ``None`` (or empty lists), never guessed: evaluators answer ``unknown`` for them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="Company name as the CRM knows it.")
    domain: str = Field(min_length=1, description="Normalised web domain; the company's identity.")
    website: str | None = None
    industry: str | None = None
    employees: int | None = Field(default=None, ge=0, description="Headcount.")
    revenue: float | None = Field(default=None, ge=0, description="Annual revenue (or ARR) in USD.")
    country: str | None = Field(default=None, description="Headquarters country, as given (name or ISO code).")
    region: str | None = Field(default=None, description="State, province or region of the headquarters.")
    city: str | None = None
    description: str | None = Field(default=None, description="Free text; untrusted, may contain anything.")
    tags: tuple[str, ...] = ()
    technologies: tuple[str, ...] = ()
    funding_stage: str | None = None
    founded_year: int | None = Field(default=None, ge=1600, le=2200)

    @field_validator("domain")
    @classmethod
    def _normalise_domain(cls, value: str) -> str:
        domain = normalize_domain(value)
        if "." not in domain or " " in domain:
            raise ValueError(f"domain must look like example.com; got {value!r}")
        return domain

    def graded_fields(self) -> dict[str, Any]:
        """The fields evaluators read, as plain JSON-ready values (``None`` and empty lists dropped)."""
        data = self.model_dump(mode="json")
        return {k: data[k] for k in GRADED_FIELDS if data.get(k) not in (None, "", [], ())}

    def content_hash(self) -> str:
        """Identity of the graded content: equal hashes mean a stored grade can be reused."""
        return content_hash(self.graded_fields())

    def to_prompt_json(self) -> str:
        """Compact, deterministic serialisation for prompts (same company -> same bytes -> cache hits)."""
        return canonical_json(self.graded_fields())


class Signal(BaseModel):
    """An intent or engagement signal (web visit, hiring, funding news...) that decays with age."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(min_length=1, description="Kind of signal, e.g. 'intent', 'hiring', 'funding', 'engagement'.")
    topic: str = Field(default="", description="What it is about, e.g. 'sales engagement software'.")
    strength: float = Field(default=1.0, ge=0, le=1, description="0..1, how strong the signal is when fresh.")
    observed_at: datetime


class CriterionResult(BaseModel):
    """The verdict on one criterion, with the evidence that supports it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Criterion id: R1..Rn for requirements, N1..Nm for nice-to-haves.")
    kind: CriterionKind
    text: str = Field(description="The criterion as the sales leader wrote it.")
    verdict: Verdict
    evidence: str = Field(
        default="", description="A quote or 'field: value' from the company's data; empty if unknown."
    )
    confidence: float = Field(default=1.0, ge=0, le=1)
    source: VerdictSource = Field(
        default="none", description="What decided: a structured check, keywords, the LLM, or a person who confirmed it."
    )
    note: str = Field(default="", description="Why the verdict is what it is, e.g. a demotion for ungrounded evidence.")


class Usage(BaseModel):
    """What producing one grade cost."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    attempts: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            tokens_in=self.tokens_in + other.tokens_in,
            tokens_out=self.tokens_out + other.tokens_out,
            tokens_cached=self.tokens_cached + other.tokens_cached,
            cost_usd=self.cost_usd + other.cost_usd,
            latency_ms=self.latency_ms + other.latency_ms,
            attempts=self.attempts + other.attempts,
        )


class EvaluatorIdentity(BaseModel):
    """Everything about an evaluator that can change a grade; part of every grade's input hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    evaluator: str = Field(description="'offline', 'llm' or 'hybrid'.")
    model: str | None = None
    prompt_id: str | None = Field(default=None, description="e.g. 'grade_company@v1'.")
    prompt_hash: str | None = None


class Grade(BaseModel):
    """One company graded against one segment version, with the audit trail of how."""

    model_config = ConfigDict(extra="forbid")

    status: GradeStatus = "ok"
    results: tuple[CriterionResult, ...] = ()
    summary: str = ""
    identity: EvaluatorIdentity
    usage: Usage = Field(default_factory=Usage)
    error: str | None = Field(default=None, description="Why grading failed (status 'failed') — readable by a person.")

    def result(self, criterion_id: str) -> CriterionResult | None:
        """The result for one criterion id, if graded."""
        return next((r for r in self.results if r.id == criterion_id), None)

    @property
    def failed_requirements(self) -> list[CriterionResult]:
        """Requirements judged not met: any one of them disqualifies."""
        return [r for r in self.results if r.kind is CriterionKind.REQUIREMENT and r.verdict is Verdict.NOT_MET]

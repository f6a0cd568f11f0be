"""Value types shared by every part of the product. Pure pydantic: no database, no provider, no UI.

The evaluator contract lives here: an evaluator reads a :class:`CompanyProfile` and a
:class:`~icp.criteria.CompiledSegment` and returns a :class:`Grade` — one :class:`CriterionResult`
per criterion plus the provenance of how the grade was produced. Scores and tiers are computed
from grades by :mod:`icp.scoring`, never by the evaluator.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

import idna
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
GradeFailure = Literal["unusable_output", "refusal", "truncation", "endpoint"]
"""Why a grade failed. The first three are the model's answers (a wrong answer in end-to-end terms);
``endpoint`` is the way to the model (connection, timeout, HTTP error), which says nothing about the model."""
MODEL_FAILURES: frozenset[str] = frozenset({"unusable_output", "refusal", "truncation"})
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


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_LDH_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
# Whitespace, C0/C1 controls, zero-width and text-direction characters (a right-to-left override can
# make one domain display as another).
_INVISIBLE = re.compile("[\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]")


def _host(value: str) -> str:
    """The host part of a domain, URL or e-mail address, lower-cased, without ``www.`` or a trailing dot."""
    host = value.strip().lower()
    host = _SCHEME.sub("", host, count=1)
    if host.startswith("mailto:"):
        host = host[len("mailto:") :]
    host = host.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = host.rsplit("@", 1)[-1]  # user@acme.com, or user:password@ in a URL
    if not host.startswith("["):  # an IPv6 literal keeps its colons (and is refused by validate_domain)
        host = host.split(":", 1)[0]
    if host.startswith("www."):
        host = host[4:]
    return host.strip(".")


def _to_ascii(host: str) -> str:
    """The IDNA (punycode) form of a host; raises ValueError when it is not a valid internationalised name."""
    if _LDH_HOST.fullmatch(host) and "xn--" not in host:
        return host  # plain ASCII letters, digits and hyphens: already canonical
    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"is not a valid domain name ({exc})") from None


def normalize_domain(value: str) -> str:
    """A company's identity key from a domain, URL or e-mail: ``https://www.Acme.com/about`` -> ``acme.com``.

    Internationalised names are keyed by their IDNA (punycode) form, so ``münchen.de`` and
    ``xn--mnchen-3ya.de`` are one company. Never raises: input that is not a valid domain comes back
    lower-cased and trimmed (so a lookup simply finds nothing); :func:`validate_domain` says what is wrong.
    """
    host = _host(value)
    try:
        return _to_ascii(host)
    except ValueError:
        return host


def validate_domain(value: str) -> str:
    """The normalised domain (see :func:`normalize_domain`), or ValueError saying why it is not a hostname.

    Refused: IP addresses, whitespace, control or invisible characters (text-direction overrides, NUL),
    empty labels (``a..b``), labels over 63 characters, names over 253, single labels and numeric
    top-level labels.

    Why the punycode form is the key: it is the name DNS resolves, unique per name under IDNA 2008
    (UTS 46 mapping), plain ASCII in every database and export, and it shows a look-alike
    (a Cyrillic 'а' in 'pаypal.com') as the different name it is.
    """
    shown = value if len(value) <= 80 else f"{value[:60]}… ({len(value):,} characters)"
    host = _host(value)
    if not host:
        raise ValueError(f"{shown!r} has no domain name in it")
    if _INVISIBLE.search(host):
        raise ValueError(f"{shown!r} contains whitespace, a control character or an invisible/direction character")
    if host.startswith("[") or _IPV4.fullmatch(host):
        raise ValueError(f"{shown!r} is an IP address; a company needs a domain name such as example.com")
    labels = host.split(".")
    if len(labels) < 2:
        raise ValueError(f"domain must look like example.com; got {shown!r}")
    if "" in labels:
        raise ValueError(f"{shown!r} has an empty label (two dots in a row)")
    ascii_host = _to_ascii(host) if all(len(label) <= 63 for label in labels) else host
    for label in ascii_host.split("."):
        if len(label) > 63:
            raise ValueError(f"{shown!r} has a label of {len(label)} characters; the limit is 63")
    if len(ascii_host) > 253:
        raise ValueError(f"{shown!r} is {len(ascii_host)} characters long; the limit is 253")
    if ascii_host.rsplit(".", 1)[-1].isdigit():
        raise ValueError(f"{shown!r} ends in a number, so it is not a domain name")
    return ascii_host


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
        return validate_domain(value)

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
    failure: GradeFailure | None = Field(
        default=None, description="For a failed grade: the model's answer failed, or the endpoint did."
    )
    note: str = Field(
        default="",
        description="What the product changed in the evaluator's answer and why, e.g. a summary replaced "
        "because it contradicted the company's data.",
    )

    def result(self, criterion_id: str) -> CriterionResult | None:
        """The result for one criterion id, if graded."""
        return next((r for r in self.results if r.id == criterion_id), None)

    @property
    def failed_requirements(self) -> list[CriterionResult]:
        """Requirements judged not met: any one of them disqualifies."""
        return [r for r in self.results if r.kind is CriterionKind.REQUIREMENT and r.verdict is Verdict.NOT_MET]

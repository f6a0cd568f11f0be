"""Persisted rows. SQLModel ``table=True`` models only; value types live in :mod:`icp.domain`.

Rules that keep history trustworthy:

- ``SegmentVersion`` rows are immutable: an edit of name, requirements or nice-to-haves adds a row.
- ``Grade`` rows are keyed by ``input_hash`` (company content, segment version, evaluator, model,
  prompt): the same inputs never cost a second evaluation.
- ``ProspectingTask`` rows copy the names they show (company, segment, version, motion), so editing
  or deleting a segment later never changes work already handed to SDRs.

Build rows with ``Model.model_validate({...})``: table models skip validation in ``__init__``.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Dialect, Index, Text, UniqueConstraint, text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now, stored as UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back timezone-aware datetimes (SQLite drops the zone otherwise)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JSONText(TypeDecorator[Any]):
    """JSON stored as text that also accepts an already-serialised string.

    Cycles serialise thousands of grade results per second with pydantic's native JSON encoder and
    hand the string straight to the database; reads always return Python objects.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, bytes):
            return value.decode("utf-8")
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


def _json_column(nullable: bool = False) -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=nullable))


class Segment(SQLModel, table=True):
    """The live, editable segment. Its content history is in ``SegmentVersion``."""

    __tablename__ = "segment"
    __table_args__ = (
        # Names are unique among live segments only: a deleted segment's name can be reused.
        Index(
            "uq_segment_live_name",
            "name_key",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(min_length=1, max_length=200)
    name_key: str = Field(max_length=200, description="Case-folded name, for uniqueness.")
    requirements: str = ""
    nice_to_haves: str = ""
    active: bool = True
    priority: int = Field(default=0, description="Higher wins when a company is in several segments.")
    version: int = Field(default=1, ge=1, description="Number of the current SegmentVersion.")
    t1_threshold: float | None = Field(default=None, ge=0, le=100)
    t2_threshold: float | None = Field(default=None, ge=0, le=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SegmentVersion(SQLModel, table=True):
    """An immutable snapshot of a segment's graded content."""

    __tablename__ = "segment_version"
    __table_args__ = (UniqueConstraint("segment_id", "version", name="uq_segment_version"),)

    id: int | None = Field(default=None, primary_key=True)
    segment_id: int = Field(foreign_key="segment.id", index=True)
    version: int = Field(ge=1)
    name: str
    requirements: str = ""
    nice_to_haves: str = ""
    content_hash: str = Field(index=True)
    author: str = Field(default="", description="Who saved this version (the signed-in person, or the local operator).")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Company(SQLModel, table=True):
    """An account, unique by normalised domain."""

    __tablename__ = "company"

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(unique=True, index=True, max_length=253)
    name: str = Field(min_length=1)
    website: str | None = None
    industry: str | None = None
    employees: int | None = Field(default=None, ge=0)
    revenue: float | None = Field(default=None, ge=0)
    country: str | None = None
    region: str | None = None
    city: str | None = None
    description: str | None = None
    tags: list[str] = _json_column()
    technologies: list[str] = _json_column()
    funding_stage: str | None = None
    founded_year: int | None = None
    owner: str | None = Field(default=None, index=True, description="The rep who owns the account (not graded).")
    content_hash: str = Field(index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Signal(SQLModel, table=True):
    """An intent or engagement signal about a company; its weight decays with age at scoring time."""

    __tablename__ = "signal"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True, ondelete="CASCADE")
    type: str
    topic: str = ""
    strength: float = Field(default=1.0, ge=0, le=1)
    observed_at: datetime = Field(sa_type=UTCDateTime)
    source: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Motion(SQLModel, table=True):
    """A prospecting motion: targets segments, turns members into tasks with a play per tier."""

    __tablename__ = "motion"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, min_length=1)
    description: str = ""
    capacity: int = Field(default=100, ge=0, description="Maximum open tasks at once.")
    plays: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    assignment: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False, server_default="{}"),
        description="Who gets the motion's new accounts: round-robin among reps, or territory rules (icp.owners).",
    )
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MotionSegment(SQLModel, table=True):
    """Which segments a motion targets (many-to-many)."""

    __tablename__ = "motion_segment"

    motion_id: int = Field(foreign_key="motion.id", primary_key=True, ondelete="CASCADE")
    segment_id: int = Field(foreign_key="segment.id", primary_key=True)


class Grade(SQLModel, table=True):
    """One evaluation of a company against a segment version, with its full audit trail."""

    __tablename__ = "grade"

    id: int | None = Field(default=None, primary_key=True)
    input_hash: str = Field(unique=True, index=True)
    company_id: int = Field(foreign_key="company.id", index=True, ondelete="CASCADE")
    segment_version_id: int = Field(foreign_key="segment_version.id", index=True)
    company_hash: str
    status: str = Field(default="ok", description="'ok' or 'failed'.")
    results: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONText, nullable=False))
    summary: str = ""
    note: str = Field(default="", description="What the product changed in the evaluator's answer and why.")
    error: str | None = None
    evaluator: str
    model: str | None = None
    prompt_id: str | None = None
    prompt_hash: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    attempts: int = 0
    base_score: float | None = Field(default=None, description="Score before signals, under policy_hash.")
    disqualified: bool = False
    fit_status: str | None = Field(
        default=None, description="qualified, unverified or disqualified, under policy_hash."
    )
    policy_hash: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Cycle(SQLModel, table=True):
    """One run of grading and task generation over the pinned segment versions."""

    __tablename__ = "cycle"

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default="running", description="running, completed, partial, interrupted or failed.")
    evaluator: str
    model: str | None = None
    prompt_id: str | None = None
    pinned: list[dict[str, Any]] = _json_column()
    pairs_total: int = 0
    pairs_graded: int = 0
    pairs_reused: int = 0
    pairs_failed: int = 0
    pairs_deferred: int = Field(default=0, description="Left for the next cycle (budget reached).")
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    budget_usd: float | None = None
    tasks_created: int = 0
    note: str = ""
    primary_basis: str | None = Field(
        default=None, description="The live segments and priorities the members' primary flags were chosen under."
    )
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Membership(SQLModel, table=True):
    """Where a company stood in a segment at the end of a cycle (members and non-members alike)."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("cycle_id", "segment_id", "company_id", name="uq_membership"),
        Index("ix_membership_queue", "cycle_id", "segment_id", "rank_key"),
        Index("ix_membership_rank", "cycle_id", "rank_key"),
        Index("ix_membership_primary", "cycle_id", "is_primary", "rank_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True, ondelete="CASCADE")
    segment_id: int = Field(foreign_key="segment.id", index=True)
    segment_version_id: int = Field(foreign_key="segment_version.id")
    company_id: int = Field(foreign_key="company.id", index=True, ondelete="CASCADE")
    grade_id: int = Field(foreign_key="grade.id")
    tier: str
    tier_rank: int = Field(description="0 for T1 .. 3 for disqualified.")
    status: str = Field(default="qualified", description="qualified or unverified (members only are stored).")
    score: float
    rank_key: float = Field(description="Tier, then status, then score (icp.scoring.rank_key): ascending is the queue.")
    confirmed: bool = Field(default=False, description="A person's confirmed verdict changed this standing.")
    is_primary: bool = Field(
        default=False,
        description="The account's primary segment in this cycle (icp.primary): where the work list shows it.",
    )


class ProspectingTask(SQLModel, table=True):
    """Work for an SDR. Copies what it shows so later segment edits or deletes never change it."""

    __tablename__ = "prospecting_task"
    __table_args__ = (Index("ix_task_open", "motion_id", "company_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    motion_id: int = Field(foreign_key="motion.id", index=True)
    motion_name: str
    company_id: int = Field(foreign_key="company.id", index=True)
    company_name: str
    company_domain: str
    segment_id: int | None = Field(default=None, description="Kept for reference only; may point to a deleted one.")
    segment_name: str
    segment_version: int
    tier: str
    fit_status: str = Field(default="qualified", description="The account's status when the task was made.")
    kind: str = Field(default="outreach", description="'outreach', or 'research': confirm what the data does not say.")
    owner: str | None = Field(default=None, index=True, description="The rep who works the task.")
    score: float
    rank: int
    play: str = ""
    channel: str = ""
    reasons: list[str] = _json_column()
    due_date: date
    status: str = Field(default="open", description="open or done.")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_by: str | None = Field(default=None, description="Who completed it: a person, or 'crm:hubspot'.")


class Feedback(SQLModel, table=True):
    """An SDR's judgement on a grade: agree, or wrong with the correct verdict per criterion."""

    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    grade_id: int = Field(foreign_key="grade.id", index=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    segment_version_id: int = Field(foreign_key="segment_version.id")
    kind: str = Field(description="'agree' or 'wrong'.")
    criterion_id: str | None = None
    correct_verdict: str | None = None
    note: str = ""
    author: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConfirmedVerdict(SQLModel, table=True):
    """A person's verdict on one criterion for one company; it overrides the evaluator's.

    Keyed by the criterion's text (normalised), so it holds in every segment that asks the same thing. It
    applies while the company's data is what the person saw (``company_hash``); once the data changes the
    company is re-graded and the confirmation is shown as stale.
    """

    __tablename__ = "confirmed_verdict"
    __table_args__ = (Index("ix_confirmed_verdict_company", "company_id", "criterion_key"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", ondelete="CASCADE")
    criterion_key: str = Field(description="The criterion text, case-folded with whitespace collapsed.")
    criterion_text: str
    verdict: str = Field(description="met, not_met or unknown.")
    evidence: str = ""
    note: str = ""
    author: str
    company_hash: str = Field(description="The company's content hash when it was confirmed.")
    grade_id: int | None = Field(default=None, description="The grade the person was looking at, if any.")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Outcome(SQLModel, table=True):
    """A deal or opportunity and how it ended: the ground truth segments are backtested against."""

    __tablename__ = "outcome"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = Field(unique=True, index=True, description="The CRM's id for the deal; re-imports update it.")
    company_id: int = Field(foreign_key="company.id", index=True, ondelete="CASCADE")
    name: str = ""
    stage: str = ""
    result: str = Field(description="won, lost or open.")
    amount: float | None = None
    created_on: date | None = Field(default=None, description="When the deal was created (judged by grades before).")
    closed_on: date | None = None
    source: str = Field(default="", description="The file or CRM it came from.")
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class EvalRun(SQLModel, table=True):
    """One run of a golden suite through an evaluator, with the manifest that makes it comparable."""

    __tablename__ = "eval_run"

    id: int | None = Field(default=None, primary_key=True)
    suite: str = Field(index=True)
    dataset_hash: str
    evaluator: str
    model: str | None = None
    prompt_id: str | None = None
    prompt_hash: str | None = None
    git_commit: str | None = None
    package_version: str | None = None
    repeat: int = Field(default=1, ge=1)
    status: str = Field(default="completed", description="running, completed or failed.")
    cases: int = 0
    unmeasured: int = 0
    accuracy: float | None = Field(default=None, description="Verdict accuracy over measured verdicts.")
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    manifest: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    blessed: bool = Field(default=False, index=True)
    blessed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    requests: int = Field(default=0, description="Provider requests made (cache misses).")
    cache_hits: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EvalResult(SQLModel, table=True):
    """One golden case graded once in an eval run (one row per case and repeat)."""

    __tablename__ = "eval_result"
    __table_args__ = (UniqueConstraint("run_id", "case_id", "repeat_index", name="uq_eval_result"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="eval_run.id", index=True, ondelete="CASCADE")
    case_id: str = Field(index=True)
    repeat_index: int = 0
    status: str = Field(
        default="ok",
        description="'ok', 'model_failure' (unusable, refused or cut-off answer) or 'unmeasured' (endpoint failed).",
    )
    unmeasured_reason: str | None = Field(default=None, description="Why the result has no verdicts.")
    error: str | None = None
    tags: list[str] = _json_column()
    critical: bool = False
    invariance_of: str | None = None
    verdicts: list[dict[str, Any]] = _json_column()
    expected: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    n_correct: int = 0
    n_criteria: int = 0
    member: bool | None = None
    tier: str | None = None
    score: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0


class LLMBatch(SQLModel, table=True):
    """A batch of LLM grading requests sent through the provider's Batch API (half price, up to 24 h).

    ``pairs`` maps each request's custom id (the pair's input hash) to ``[company_id, segment_version_id,
    company_hash]``, so answers can be stored as grades that the next cycle reuses.
    """

    __tablename__ = "llm_batch"

    id: int | None = Field(default=None, primary_key=True)
    provider_batch_id: str = Field(unique=True, index=True)
    status: str = Field(description="The provider's status: validating, in_progress, completed, expired...")
    collected: bool = Field(default=False, index=True, description="Answers stored as grades; nothing left to do.")
    evaluator: str
    model: str | None = None
    prompt_id: str | None = None
    prompt_hash: str | None = None
    input_file_id: str
    output_file_id: str | None = None
    error_file_id: str | None = None
    pairs: dict[str, list[Any]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    requests_total: int = 0
    requests_completed: int = 0
    requests_failed: int = 0
    grades_ok: int = 0
    grades_failed: int = 0
    unanswered: int = Field(default=0, description="Pairs the batch never answered (expired or cancelled).")
    cost_usd: float = 0.0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    collected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CycleLease(SQLModel, table=True):
    """Who may run a cycle on this database: one row per lease name, taken and renewed by conditional writes."""

    __tablename__ = "cycle_lease"

    name: str = Field(primary_key=True, description="The lease's name; 'cycle' for the one running cycle.")
    holder: str = Field(description="A random id of the process holding the lease.")
    host: str = ""
    pid: int = 0
    cycle_id: int | None = Field(default=None, description="The cycle the holder is running, once it has one.")
    acquired_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CrmSyncState(SQLModel, table=True):
    """How far icp has read one kind of CRM record: the watermark of finished pulls and a pull in progress.

    A pull commits its cursor after every page, so a pull that stops half-way resumes from the page after
    the last one it stored instead of reading everything again.
    """

    __tablename__ = "crm_sync_state"

    provider: str = Field(primary_key=True, description="hubspot or salesforce.")
    object: str = Field(primary_key=True, description="companies or deals.")
    watermark: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="The newest last-modified time a finished pull read."
    )
    cursor: str | None = Field(default=None, description="Where the pull in progress resumes; None when none is.")
    cursor_since: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="The watermark the pull in progress started from."
    )
    pending_watermark: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="The newest last-modified time the pull in progress read."
    )
    pages: int = Field(default=0, description="Pages the pull in progress has stored.")
    records: int = Field(default=0, description="Records the pull in progress has read.")
    status: str = Field(default="", description="running, completed or failed.")
    error: str = ""
    pulled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CrmAccount(SQLModel, table=True):
    """A CRM company/account linked to an icp company, and what icp last wrote on it."""

    __tablename__ = "crm_account"
    __table_args__ = (UniqueConstraint("provider", "crm_id", name="uq_crm_account"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str
    crm_id: str
    company_id: int = Field(foreign_key="company.id", index=True, ondelete="CASCADE")
    fingerprint: str | None = Field(default=None, description="Hash of the values last written; None: never.")
    written: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    written_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    pulled_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CrmTaskLink(SQLModel, table=True):
    """A prospecting task written to the CRM as a task (external id ``icp-task-<id>``)."""

    __tablename__ = "crm_task"
    __table_args__ = (UniqueConstraint("provider", "task_id", name="uq_crm_task"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str
    task_id: int = Field(foreign_key="prospecting_task.id", index=True, ondelete="CASCADE")
    crm_task_id: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="When a pull found it completed in the CRM."
    )


class ScheduledRun(SQLModel, table=True):
    """One firing of the cycle schedule: claimed by exactly one worker, whatever the number of workers.

    Keyed by the slot it was scheduled for (unique), so claiming a firing is a single insert that at most
    one worker wins; the row then records how that firing went.
    """

    __tablename__ = "scheduled_run"
    __table_args__ = (UniqueConstraint("slot", name="uq_scheduled_run_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    slot: datetime = Field(sa_type=UTCDateTime, description="The time the schedule named for this firing (UTC).")
    schedule: str = Field(default="", description="The cron expression and time zone the slot came from.")
    status: str = Field(
        default="claimed",
        description="claimed (waiting for the cycle lease), running, completed, partial, failed, interrupted "
        "or superseded (a later firing ran the cycle it was waiting for).",
    )
    worker: str = Field(default="", description="host:pid of the worker that ran it (the last one, when resumed).")
    attempts: int = Field(default=1, description="How many workers started it (more than 1: it was resumed).")
    cycle_id: int | None = Field(default=None, index=True)
    pairs_graded: int = 0
    pairs_reused: int = 0
    pairs_failed: int = 0
    tasks_created: int = 0
    cost_usd: float = 0.0
    follow_ups: list[dict[str, Any]] = _json_column()
    error: str = ""
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    """A person's role in the team, set by an admin (``icp members add`` or the Members page)."""

    __tablename__ = "member"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=320, description="Lower-cased e-mail address the person signs in with.")
    role: str = Field(description="admin, leader, sdr, evaluator or viewer.")
    name: str = Field(default="", max_length=200, description="The name tasks and accounts use as their owner.")
    added_by: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Who did what, when: append-only (the ORM refuses updates and deletes, see icp.team.audit)."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(index=True, description="E-mail of the signed-in person, 'local operator' for the CLI, ...")
    actor_role: str = ""
    action: str = Field(index=True, description="Dotted verb, e.g. segment.edit, task.done, cycle.start.")
    object_type: str = Field(default="", description="segment, motion, task, cycle, company, grade, member, ...")
    object_id: str | None = Field(default=None, description="The object's id or name, when there is one.")
    summary: str = ""
    before: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: Any = Field(default=None, sa_column=Column(JSON, nullable=True))


class GradeClaim(SQLModel, table=True):
    """A pair a cycle is about to pay for: taken before its request is sent, so no other cycle sends it too.

    Held by the claiming cycle's lease holder, renewed with its lease and deleted when it releases it; a
    claim whose holder stopped renewing expires, and the pair is graded by the next cycle.
    """

    __tablename__ = "grade_claim"

    input_hash: str = Field(primary_key=True, description="The pair's grade input hash.")
    holder: str = Field(index=True, description="The lease holder id of the cycle that claimed it.")
    expires_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

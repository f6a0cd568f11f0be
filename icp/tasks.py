"""Prospecting motions and the tasks each cycle generates for them.

A motion targets one or more segments and says, per tier, which play to run, on which channel and
within how many days (the SLA). After a cycle, each active motion receives tasks for the members of
its segments, best first (tier, then score), up to its capacity of open tasks:

- a company is worked under its **primary segment** — the highest-priority segment it is a member
  of, then the higher score — so one account is never prospected by two motions at once;
- a **qualified** member gets an outreach task with its tier's play; an **unverified** one (a requirement
  nobody could verify) gets a **research** task that names what to confirm and where to look — after the
  outreach tasks of its tier, within the same capacity;
- a company that already holds an open task in a motion gets no second one;
- a task copies the company, segment name and version, tier, score and reasons, so editing or
  deleting the segment later never changes work already handed out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from icp.domain import FitStatus, Tier
from icp.errors import ConflictError, InputError, NotFoundError
from icp.owners import Assignment, open_tasks_by_owner
from icp.queue import effective_results, needs_research
from icp.scoring import top_reasons
from icp.store import rows_by_id
from icp.store.tables import (
    Company,
    Grade,
    Membership,
    Motion,
    MotionSegment,
    ProspectingTask,
    Segment,
    SegmentVersion,
    utcnow,
)
from icp.team.audit import record
from icp.team.roles import LOCAL_OPERATOR, Actor, Permission, require, require_task_owner


class Play(BaseModel):
    """What to do with an account of one tier."""

    model_config = ConfigDict(extra="forbid")

    channel: str = "email"
    sla_days: int = Field(default=7, ge=0, le=365)
    play: str = ""


DEFAULT_PLAYS: dict[str, Play] = {
    "T1": Play(channel="phone + email", sla_days=2, play="Personal outreach to the economic buyer."),
    "T2": Play(channel="email sequence", sla_days=5, play="Targeted sequence to the buying team."),
    "T3": Play(channel="nurture", sla_days=14, play="Add to nurture; re-score next cycle."),
}


class MotionSpec(BaseModel):
    """A motion as written in a file or a form."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1)
    description: str = ""
    segments: list[str] = Field(min_length=1)
    capacity: int = Field(default=100, ge=0)
    plays: dict[Tier, Play] = Field(default_factory=lambda: {Tier(k): v for k, v in DEFAULT_PLAYS.items()})
    active: bool = True


class MotionInfo(BaseModel):
    """A motion as listed."""

    id: int
    name: str
    description: str
    segments: list[str]
    capacity: int
    open_tasks: int
    plays: dict[str, Play]
    active: bool


def _segment_ids(session: Session, names: Sequence[str]) -> list[int]:
    ids: list[int] = []
    for name in names:
        row = session.exec(
            select(Segment).where(Segment.name_key == name.strip().casefold(), col(Segment.deleted_at).is_(None))
        ).first()
        if row is None or row.id is None:
            raise NotFoundError(f"No segment named {name!r}; a motion can only target existing segments.")
        ids.append(row.id)
    return ids


def create_motion(session: Session, spec: MotionSpec, *, actor: Actor = LOCAL_OPERATOR) -> MotionInfo:
    """Create a motion targeting existing segments (``actor`` must be allowed to change motions)."""
    require(actor, Permission.EDIT_MOTIONS)
    if session.exec(select(Motion).where(Motion.name == spec.name)).first() is not None:
        raise ConflictError(f"A motion named {spec.name!r} already exists.")
    segment_ids = _segment_ids(session, spec.segments)
    plays = {
        **{k: v.model_dump() for k, v in DEFAULT_PLAYS.items()},
        **{k.value: v.model_dump() for k, v in spec.plays.items()},
    }
    plays.pop(Tier.DISQUALIFIED.value, None)
    motion = Motion.model_validate(
        {
            "name": spec.name,
            "description": spec.description,
            "capacity": spec.capacity,
            "plays": plays,
            "active": spec.active,
        }
    )
    session.add(motion)
    session.flush()
    assert motion.id is not None
    for segment_id in dict.fromkeys(segment_ids):
        session.add(MotionSegment.model_validate({"motion_id": motion.id, "segment_id": segment_id}))
    record(
        session,
        actor=actor,
        action="motion.create",
        object_type="motion",
        object_id=motion.id,
        summary=f"created motion {spec.name!r} for {', '.join(spec.segments)} (capacity {spec.capacity})",
        after=spec,
    )
    session.commit()
    return get_motion(session, spec.name)


def import_motions(session: Session, path: Path, *, actor: Actor = LOCAL_OPERATOR) -> list[str]:
    """Create the motions in a JSON list file that do not exist yet; returns the names created."""
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"Cannot read motions from {path}: {exc}") from exc
    created: list[str] = []
    for index, item in enumerate(items, start=1):
        try:
            spec = MotionSpec.model_validate(item)
        except ValidationError as exc:
            raise InputError(f"{path.name} item {index}: {exc.errors()[0]['msg']}") from exc
        if session.exec(select(Motion).where(Motion.name == spec.name)).first() is None:
            create_motion(session, spec, actor=actor)
            created.append(spec.name)
    return created


def _motion_info(session: Session, motion: Motion) -> MotionInfo:
    rows = session.exec(
        select(Segment)
        .join(MotionSegment, col(MotionSegment.segment_id) == col(Segment.id))
        .where(MotionSegment.motion_id == motion.id)
        .order_by(Segment.name)
    ).all()
    # A deleted segment stays linked (its tasks stay too) but is no longer worked: say so.
    names = [s.name if s.deleted_at is None else f"{s.name} (deleted)" for s in rows]
    open_count = session.exec(
        select(func.count())
        .select_from(ProspectingTask)
        .where(ProspectingTask.motion_id == motion.id, ProspectingTask.status == "open")
    ).one()
    assert motion.id is not None
    return MotionInfo(
        id=motion.id,
        name=motion.name,
        description=motion.description,
        segments=list(names),
        capacity=motion.capacity,
        open_tasks=int(open_count),
        plays={k: Play.model_validate(v) for k, v in motion.plays.items()},
        active=motion.active,
    )


def get_motion(session: Session, name: str) -> MotionInfo:
    """A motion by name."""
    motion = session.exec(select(Motion).where(Motion.name == name)).first()
    if motion is None:
        raise NotFoundError(f"No motion named {name!r}. See `icp motions list`.")
    return _motion_info(session, motion)


def list_motions(session: Session) -> list[MotionInfo]:
    """Every motion, by name."""
    return [_motion_info(session, m) for m in session.exec(select(Motion).order_by(Motion.name))]


class TaskInfo(BaseModel):
    """A prospecting task as shown to an SDR."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    motion_name: str
    rank: int
    company_name: str
    company_domain: str
    segment_name: str
    segment_version: int
    tier: str
    fit_status: str
    kind: str
    owner: str | None
    score: float
    play: str
    channel: str
    due_date: date
    status: str
    reasons: list[str]
    cycle_id: int
    created_at: datetime
    completed_at: datetime | None
    completed_by: str | None = None


def list_tasks(
    session: Session,
    *,
    motion: str | None = None,
    status: str | None = "open",
    limit: int | None = None,
    overdue: bool = False,
    by_due_date: bool = False,
    today: date | None = None,
    owner: str | None = None,
) -> list[TaskInfo]:
    """Tasks, best first within each motion (open ones by default); or, ``by_due_date``, the most urgent first.

    ``overdue`` keeps the open tasks whose due date has passed.
    """
    stmt = select(ProspectingTask)
    if motion:
        stmt = stmt.where(ProspectingTask.motion_name == motion)
    if owner:
        stmt = stmt.where(ProspectingTask.owner == owner)
    if overdue:
        status = "open"
        stmt = stmt.where(col(ProspectingTask.due_date) < (today or utcnow().date()))
    if status:
        stmt = stmt.where(ProspectingTask.status == status)
    if by_due_date or overdue:
        stmt = stmt.order_by(col(ProspectingTask.due_date), col(ProspectingTask.tier), col(ProspectingTask.rank))
    else:
        stmt = stmt.order_by(
            col(ProspectingTask.motion_name), col(ProspectingTask.cycle_id).desc(), col(ProspectingTask.rank)
        )
    if limit:
        stmt = stmt.limit(limit)
    return [TaskInfo.model_validate(t) for t in session.exec(stmt)]


def snooze_task(session: Session, task_id: int, days: int, *, actor: Actor = LOCAL_OPERATOR) -> TaskInfo:
    """Move an open task's due date ``days`` later (from today when it is already overdue).

    An SDR snoozes only their own tasks; leaders and admins anyone's.
    """
    if not 1 <= days <= 365:
        raise InputError(f"Snooze for 1 to 365 days, not {days}.")
    task = session.get(ProspectingTask, task_id)
    if task is None:
        raise NotFoundError(f"No task with id {task_id}. See `icp tasks list`.")
    if task.status != "open":
        raise ConflictError(f"Task {task_id} is {task.status}; only open tasks can be snoozed.")
    require_task_owner(actor, task.owner, task_id)
    before = task.due_date
    task.due_date = max(task.due_date, utcnow().date()) + timedelta(days=days)
    session.add(task)
    record(
        session,
        actor=actor,
        action="task.snooze",
        object_type="task",
        object_id=task_id,
        summary=f"snoozed task {task_id} ({task.company_domain}, {task.motion_name}) by {days} days to {task.due_date}",
        before={"due_date": before},
        after={"due_date": task.due_date},
    )
    session.commit()
    return TaskInfo.model_validate(task)


def complete_task(session: Session, task_id: int, *, actor: Actor = LOCAL_OPERATOR) -> TaskInfo:
    """Mark a task done; its company can receive a new task in that motion on a later cycle.

    An SDR completes only their own tasks; leaders and admins anyone's. ``actor`` is kept as ``completed_by``.
    """
    task = session.get(ProspectingTask, task_id)
    if task is None:
        raise NotFoundError(f"No task with id {task_id}. See `icp tasks list`.")
    require_task_owner(actor, task.owner, task_id)
    if task.status != "done":
        task.status = "done"
        task.completed_at = utcnow()
        task.completed_by = actor.name
        session.add(task)
        record(
            session,
            actor=actor,
            action="task.done",
            object_type="task",
            object_id=task_id,
            summary=f"marked task {task_id} done ({task.company_domain}, {task.motion_name}, "
            f"owner {task.owner or '-'})",
            before={"status": "open"},
            after={"status": "done"},
        )
        session.commit()
    return TaskInfo.model_validate(task)


def generate_tasks(session: Session, cycle_id: int, *, today: date | None = None) -> int:
    """Create the tasks of one cycle for every active motion; returns how many were created. Commits."""
    today = today or utcnow().date()
    memberships = session.exec(
        select(Membership, Segment.priority)
        .join(Segment, col(Segment.id) == col(Membership.segment_id))
        .where(Membership.cycle_id == cycle_id, col(Membership.tier_rank) < Tier.DISQUALIFIED.rank)
    ).all()
    # Primary segment per company: highest segment priority, then highest score, then lowest segment id.
    primary: dict[int, Membership] = {}
    primary_key: dict[int, tuple[int, float, int]] = {}
    for membership, priority in memberships:
        key = (priority, membership.score, -membership.segment_id)
        if membership.company_id not in primary or key > primary_key[membership.company_id]:
            primary[membership.company_id] = membership
            primary_key[membership.company_id] = key

    created = 0
    motions = session.exec(select(Motion).where(col(Motion.active).is_(True)).order_by(Motion.name)).all()
    for motion in motions:
        segment_ids = set(
            session.exec(select(MotionSegment.segment_id).where(MotionSegment.motion_id == motion.id)).all()
        )
        candidates = sorted(
            (m for m in primary.values() if m.segment_id in segment_ids), key=lambda m: (m.rank_key, m.company_id)
        )
        open_companies = set(
            session.exec(
                select(ProspectingTask.company_id).where(
                    ProspectingTask.motion_id == motion.id, ProspectingTask.status == "open"
                )
            ).all()
        )
        room = motion.capacity - len(open_companies)
        chosen = [m for m in candidates if m.company_id not in open_companies][: max(room, 0)]
        created += _write_tasks(session, motion, cycle_id, chosen, today)
    session.commit()
    return created


def _write_tasks(session: Session, motion: Motion, cycle_id: int, chosen: Sequence[Membership], today: date) -> int:
    if not chosen:
        return 0
    assert motion.id is not None
    companies = rows_by_id(session, Company, (m.company_id for m in chosen))
    grades = rows_by_id(session, Grade, (m.grade_id for m in chosen))
    versions = rows_by_id(session, SegmentVersion, (m.segment_version_id for m in chosen))
    effective = effective_results(session, list(grades.values()))
    plays: Mapping[str, Any] = motion.plays
    assignment = Assignment.model_validate(motion.assignment or {})
    open_tasks = open_tasks_by_owner(session, motion.id)
    for rank, membership in enumerate(chosen, start=1):
        company = companies[membership.company_id]
        if company.owner is None:
            company.owner = assignment.owner_for(company, open_tasks)  # the account keeps its first owner
            session.add(company)
        if company.owner is not None:
            open_tasks[company.owner] = open_tasks.get(company.owner, 0) + 1
        version = versions[membership.segment_version_id]
        results = effective[membership.grade_id][0]
        play = Play.model_validate(plays.get(membership.tier) or DEFAULT_PLAYS[membership.tier].model_dump())
        kind, reasons = "outreach", top_reasons(results)
        if membership.status == FitStatus.UNVERIFIED:
            research = needs_research(version, results)
            kind, reasons = "research", research + reasons
            ids = ", ".join(r.split(" ", 1)[0] for r in research)
            play = Play(
                channel="research",
                sla_days=play.sla_days,
                play=f"Confirm {ids} before outreach, then record the verdict (icp verdicts confirm).",
            )
        session.add(
            ProspectingTask.model_validate(
                {
                    "cycle_id": cycle_id,
                    "motion_id": motion.id,
                    "motion_name": motion.name,
                    "company_id": company.id,
                    "company_name": company.name,
                    "company_domain": company.domain,
                    "segment_id": membership.segment_id,
                    "segment_name": version.name,
                    "segment_version": version.version,
                    "tier": membership.tier,
                    "fit_status": membership.status,
                    "kind": kind,
                    "owner": company.owner,
                    "score": membership.score,
                    "rank": rank,
                    "play": play.play,
                    "channel": play.channel,
                    "reasons": reasons,
                    "due_date": today + timedelta(days=play.sla_days),
                }
            )
        )
    return len(chosen)

"""Segment service: create, edit (optimistic, versioned), activate, prioritise, soft delete, import.

Every change of name, requirements or nice-to-haves adds an immutable :class:`SegmentVersion`;
cycles grade against versions, so an edit takes effect on the next cycle and never rewrites history.
Edits are optimistic: each carries the version it was based on, and an edit based on a stale
version is refused (:class:`~icp.errors.StaleEditError`) instead of silently overwriting.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from icp.criteria import split_criteria
from icp.errors import ConflictError, InputError, NotFoundError, StaleEditError
from icp.hashing import content_hash
from icp.primary import rechoose_newest
from icp.store.tables import Segment, SegmentVersion, utcnow
from icp.team.audit import record
from icp.team.roles import LOCAL_OPERATOR, Actor, Permission, require


class SegmentInfo(BaseModel):
    """A segment as shown to people and scripts."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    requirements: str
    nice_to_haves: str
    active: bool
    priority: int
    version: int
    t1_threshold: float | None = None
    t2_threshold: float | None = None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class SegmentVersionInfo(BaseModel):
    """One immutable version of a segment."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    segment_id: int
    version: int
    name: str
    requirements: str
    nice_to_haves: str
    content_hash: str
    author: str = ""
    created_at: datetime


class SegmentSpec(BaseModel):
    """A segment definition as written in a form or an import file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, description="Required; unique among live segments.")
    requirements: str = ""
    nice_to_haves: str = ""
    active: bool = True
    priority: int = 0


def version_hash(name: str, requirements: str, nice_to_haves: str) -> str:
    """Content hash of what a grade depends on."""
    return content_hash({"name": name, "requirements": requirements, "nice_to_haves": nice_to_haves})


def _clean_name(name: str | None) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise InputError("Segment name is required. Give it a short, descriptive name such as 'Mid-Market B2B SaaS'.")
    if len(cleaned) > 200:
        raise InputError("Segment name is too long (200 characters at most).")
    return cleaned


MAX_CRITERIA_CHARS = 20_000
"""Longest Requirements or Nice to Haves text a segment accepts (a long page of criteria)."""
MAX_CRITERIA = 200
"""Most criteria (lines, bullets or sentences) in one Requirements or Nice to Haves text."""


def _clean_text(text: str | None, field: str = "criteria") -> str:
    cleaned = "\n".join(line.rstrip() for line in (text or "").strip().splitlines())
    if len(cleaned) > MAX_CRITERIA_CHARS:
        raise InputError(
            f"The {field} are too long: {len(cleaned):,} characters, {MAX_CRITERIA_CHARS:,} at most. A segment is "
            "graded against every account, so keep it to the criteria that decide fit, one per line."
        )
    count = len(split_criteria(cleaned))
    if count > MAX_CRITERIA:
        raise InputError(
            f"The {field} hold {count:,} criteria, {MAX_CRITERIA} at most. Keep the ones that decide fit, or split "
            "them into several segments."
        )
    return cleaned


def criteria_text_problem(text: str | None, field: str = "criteria") -> str | None:
    """Why saving would refuse this Requirements or Nice to Haves text (too long, too many criteria), or None.

    The form asks before it lints or previews a draft, so a pasted document is refused at once, as a save is.
    """
    try:
        _clean_text(text, field)
    except InputError as exc:
        return str(exc)
    return None


def _live(session: Session, name_key: str) -> Segment | None:
    stmt = select(Segment).where(Segment.name_key == name_key, col(Segment.deleted_at).is_(None))
    return session.exec(stmt).first()


def _find(session: Session, ref: str | int) -> Segment:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit() and _live(session, ref.casefold()) is None):
        row = session.get(Segment, int(ref))
        if row is None or row.deleted_at is not None:
            raise NotFoundError(f"No segment with id {ref}. See `icp segments list`.")
        return row
    row = _live(session, _clean_name(str(ref)).casefold())
    if row is None:
        raise NotFoundError(f"No segment named {ref!r}. See `icp segments list` for the names.")
    return row


def _audit_state(segment: Segment) -> dict[str, Any]:
    return {
        "name": segment.name,
        "requirements": segment.requirements,
        "nice_to_haves": segment.nice_to_haves,
        "active": segment.active,
        "priority": segment.priority,
        "version": segment.version,
        "t1_threshold": segment.t1_threshold,
        "t2_threshold": segment.t2_threshold,
    }


def _add_version(session: Session, segment: Segment, author: str) -> SegmentVersion:
    assert segment.id is not None
    version = SegmentVersion.model_validate(
        {
            "segment_id": segment.id,
            "version": segment.version,
            "name": segment.name,
            "requirements": segment.requirements,
            "nice_to_haves": segment.nice_to_haves,
            "content_hash": version_hash(segment.name, segment.requirements, segment.nice_to_haves),
            "author": author,
        }
    )
    session.add(version)
    return version


def create_segment(
    session: Session,
    name: str,
    requirements: str = "",
    nice_to_haves: str = "",
    *,
    active: bool = True,
    priority: int = 0,
    actor: Actor = LOCAL_OPERATOR,
) -> SegmentInfo:
    """Create a segment and its version 1. Names are unique among live segments (case-insensitive).

    ``actor`` must be allowed to edit segments; they are recorded as the version's author and in the audit trail.
    """
    require(actor, Permission.EDIT_SEGMENTS)
    clean = _clean_name(name)
    if _live(session, clean.casefold()) is not None:
        raise ConflictError(f"A segment named {clean!r} already exists. Pick another name or edit that segment.")
    segment = Segment.model_validate(
        {
            "name": clean,
            "name_key": clean.casefold(),
            "requirements": _clean_text(requirements, "requirements"),
            "nice_to_haves": _clean_text(nice_to_haves, "nice-to-haves"),
            "active": active,
            "priority": priority,
            "version": 1,
        }
    )
    session.add(segment)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create with the same name won the race
        session.rollback()
        raise ConflictError(f"A segment named {clean!r} already exists.") from exc
    _add_version(session, segment, actor.name)
    record(
        session,
        actor=actor,
        action="segment.create",
        object_type="segment",
        object_id=segment.id,
        summary=f"created segment {clean!r} (version 1)",
        after=_audit_state(segment),
    )
    session.commit()
    return SegmentInfo.model_validate(segment)


def get_segment(session: Session, ref: str | int) -> SegmentInfo:
    """A live segment by name (case-insensitive) or id."""
    return SegmentInfo.model_validate(_find(session, ref))


def list_segments(session: Session, *, include_deleted: bool = False, active_only: bool = False) -> list[SegmentInfo]:
    """Segments by priority (highest first), then name."""
    stmt = select(Segment)
    if not include_deleted:
        stmt = stmt.where(col(Segment.deleted_at).is_(None))
    if active_only:
        stmt = stmt.where(col(Segment.active).is_(True))
    stmt = stmt.order_by(col(Segment.priority).desc(), col(Segment.name_key))
    return [SegmentInfo.model_validate(row) for row in session.exec(stmt)]


def edit_segment(
    session: Session,
    ref: str | int,
    *,
    based_on_version: int | None = None,
    name: str | None = None,
    requirements: str | None = None,
    nice_to_haves: str | None = None,
    active: bool | None = None,
    priority: int | None = None,
    t1_threshold: float | None = None,
    t2_threshold: float | None = None,
    actor: Actor = LOCAL_OPERATOR,
) -> SegmentInfo:
    """Apply the given changes. A change of name/requirements/nice-to-haves creates a new version.

    ``based_on_version`` is the version the editor saw; when another save happened since, the edit is
    refused with :class:`StaleEditError` and nothing changes. Without it, the version read here is used,
    which still protects against a concurrent writer between this read and the write.
    """
    require(actor, Permission.EDIT_SEGMENTS)
    segment = _find(session, ref)
    assert segment.id is not None
    before = _audit_state(segment)
    expected = segment.version if based_on_version is None else based_on_version
    if expected != segment.version:
        raise StaleEditError(segment.name, expected, segment.version)

    new_name = _clean_name(name) if name is not None else segment.name
    new_req = _clean_text(requirements, "requirements") if requirements is not None else segment.requirements
    new_nice = _clean_text(nice_to_haves, "nice-to-haves") if nice_to_haves is not None else segment.nice_to_haves
    content_changed = (new_name, new_req, new_nice) != (segment.name, segment.requirements, segment.nice_to_haves)
    if new_name.casefold() != segment.name_key:
        clash = _live(session, new_name.casefold())
        if clash is not None and clash.id != segment.id:
            raise ConflictError(f"A segment named {new_name!r} already exists. Pick another name.")

    values: dict[str, Any] = {}
    if content_changed:
        values.update(
            name=new_name,
            name_key=new_name.casefold(),
            requirements=new_req,
            nice_to_haves=new_nice,
            version=segment.version + 1,
        )
    for field, value in (
        ("active", active),
        ("priority", priority),
        ("t1_threshold", t1_threshold),
        ("t2_threshold", t2_threshold),
    ):
        if value is not None and value != getattr(segment, field):
            values[field] = value
    if not values:
        return SegmentInfo.model_validate(segment)
    values["updated_at"] = utcnow()
    # Compare-and-set on the version: the database, not this process, decides who saved first.
    result = session.execute(
        update(Segment).where(col(Segment.id) == segment.id, col(Segment.version) == expected).values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        current = session.get(Segment, segment.id)
        raise StaleEditError(segment.name, expected, current.version if current else expected)
    session.refresh(segment)
    if content_changed:
        _add_version(session, segment, actor.name)
    if "priority" in values:
        rechoose_newest(session)  # the work list lists each account under its highest-priority segment
    changed = sorted(k for k in values if k in before and before[k] != values[k])
    action, summary = "segment.edit", f"edited segment {segment.name!r}: {', '.join(changed)}"
    if changed == ["active"]:
        action = "segment.activate" if segment.active else "segment.deactivate"
        summary = f"{'activated' if segment.active else 'deactivated'} segment {segment.name!r}"
    record(
        session,
        actor=actor,
        action=action,
        object_type="segment",
        object_id=segment.id,
        summary=summary + (f" (now version {segment.version})" if content_changed else ""),
        before={k: before[k] for k in changed},
        after={k: getattr(segment, k) for k in changed},
    )
    session.commit()
    return SegmentInfo.model_validate(segment)


def delete_segment(session: Session, ref: str | int, *, actor: Actor = LOCAL_OPERATOR) -> SegmentInfo:
    """Soft delete: the segment leaves lists and cycles; its versions, grades and tasks stay."""
    require(actor, Permission.EDIT_SEGMENTS)
    segment = _find(session, ref)
    before = _audit_state(segment)
    segment.deleted_at = utcnow()
    segment.active = False
    session.add(segment)
    session.flush()
    rechoose_newest(session)  # its accounts move to their next segment in the work list at once
    record(
        session,
        actor=actor,
        action="segment.delete",
        object_type="segment",
        object_id=segment.id,
        summary=f"deleted segment {segment.name!r}",
        before=before,
    )
    session.commit()
    return SegmentInfo.model_validate(segment)


def segment_history(session: Session, ref: str | int) -> list[SegmentVersionInfo]:
    """Every version of a segment, newest first."""
    segment = _find(session, ref)
    stmt = (
        select(SegmentVersion)
        .where(SegmentVersion.segment_id == segment.id)
        .order_by(col(SegmentVersion.version).desc())
    )
    return [SegmentVersionInfo.model_validate(v) for v in session.exec(stmt)]


class SegmentImportReport(BaseModel):
    """What ``import_segments`` did."""

    created: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    rejected: list[str] = Field(default_factory=list, description="'item N: reason' for each bad entry.")


def load_segment_specs(path: Path) -> list[Mapping[str, Any]]:
    """Read a JSON file holding a list of segment objects (or ``{"segments": [...]}``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"File not found: {path}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} is not valid JSON: {exc}. Nothing was imported.") from exc
    if isinstance(data, dict) and isinstance(data.get("segments"), list):
        data = data["segments"]
    if not isinstance(data, list):
        raise InputError(f"{path} must hold a JSON list of segments (objects with name, requirements, ...).")
    return data


def import_segments(
    session: Session, items: Iterable[Mapping[str, Any]], *, actor: Actor = LOCAL_OPERATOR
) -> SegmentImportReport:
    """Create or update segments by name; bad entries are reported by position and skipped."""
    require(actor, Permission.EDIT_SEGMENTS)
    report = SegmentImportReport()
    for index, item in enumerate(items, start=1):
        try:
            spec = SegmentSpec.model_validate(item)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in exc.errors())
            report.rejected.append(f"item {index}: {problems}")
            continue
        existing = _live(session, spec.name.casefold())
        if existing is None:
            create_segment(
                session,
                spec.name,
                spec.requirements,
                spec.nice_to_haves,
                active=spec.active,
                priority=spec.priority,
                actor=actor,
            )
            report.created.append(spec.name)
            continue
        before = (existing.version, existing.active, existing.priority)
        after = edit_segment(
            session,
            spec.name,
            requirements=spec.requirements,
            nice_to_haves=spec.nice_to_haves,
            active=spec.active,
            priority=spec.priority,
            actor=actor,
        )
        (report.unchanged if (after.version, after.active, after.priority) == before else report.updated).append(
            spec.name
        )
    return report

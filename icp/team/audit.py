"""The audit trail: who did what, when, to which object, with the state before and after where it fits.

Every service that changes something a person decided (segments, motions, cycles, tasks, feedback,
confirmed verdicts, imports, members, settings) calls :func:`record` in the same transaction as the
change, so the change and its record land together or not at all. The CLI records as ``local operator``,
the app as the signed-in person, scheduled and integration jobs under their own name
(``record(session, actor="worker", ...)``).

Events are append-only: the ORM refuses to update or delete one.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict
from sqlalchemy import event
from sqlmodel import Session, col, or_, select

from icp.errors import ConflictError
from icp.store.tables import AuditEvent
from icp.team.roles import Actor

SUMMARY_LIMIT = 2000


class AuditEventInfo(BaseModel):
    """One audit event as listed (``icp audit --format json`` prints these fields)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    actor_role: str
    action: str
    object_type: str
    object_id: str | None
    summary: str
    before: Any = None
    after: Any = None


def _plain(value: Any) -> Any:
    """JSON-safe copy (dates and enums become text), so any service can hand over what it has."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def record(
    session: Session,
    *,
    actor: Actor | str,
    action: str,
    object_type: str = "",
    object_id: str | int | None = None,
    summary: str = "",
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    """Add an audit event to ``session``; it is written with the caller's next commit.

    Args:
        actor: who acted: an :class:`Actor`, or a name for jobs that are not a person ("worker").
        action: a dotted verb: ``segment.edit``, ``task.done``, ``cycle.start``, ``crm.push``...
        object_type: what was acted on: ``segment``, ``task``, ``cycle``, ``company``...
        object_id: its id or name.
        summary: one line a person reads.
        before: the state before the change, where it fits (JSON-safe values, pydantic models).
        after: the state after.
    """
    name, role = (actor.name, actor.role.value if actor.role else "") if isinstance(actor, Actor) else (actor, "")
    row = AuditEvent.model_validate(
        {
            "actor": name[:320],
            "actor_role": role,
            "action": action,
            "object_type": object_type,
            "object_id": None if object_id is None else str(object_id),
            "summary": summary[:SUMMARY_LIMIT],
            "before": _plain(before),
            "after": _plain(after),
        }
    )
    session.add(row)
    return row


class ImportCounts(Protocol):
    """What an import report counts (companies and outcomes alike)."""

    created: int
    updated: int
    unchanged: int
    rejected: int


def record_import(
    session: Session, *, actor: Actor | str, what: str, object_type: str, source: str | None, report: ImportCounts
) -> AuditEvent:
    """The audit event of a file or CRM import: what was imported, from where, and its counts."""
    counts = {k: getattr(report, k) for k in ("created", "updated", "unchanged", "rejected")}
    return record(
        session,
        actor=actor,
        action=f"import.{what}",
        object_type=object_type,
        summary=f"imported {what}{f' from {source}' if source else ''}: {counts['created']} created, "
        f"{counts['updated']} updated, {counts['unchanged']} unchanged, {counts['rejected']} rejected",
        after={"source": source, **counts},
    )


def list_events(
    session: Session,
    *,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = 500,
) -> list[AuditEventInfo]:
    """Events, newest first. ``actor`` matches part of the name (case-insensitive); ``action`` a prefix."""
    stmt = select(AuditEvent)
    if actor:
        stmt = stmt.where(col(AuditEvent.actor).ilike(f"%{actor.strip()}%"))
    if object_type:
        stmt = stmt.where(col(AuditEvent.object_type) == object_type.strip().lower())
    if object_id:
        stmt = stmt.where(col(AuditEvent.object_id) == object_id.strip())
    if action:
        prefix = action.strip().lower()
        stmt = stmt.where(or_(col(AuditEvent.action) == prefix, col(AuditEvent.action).startswith(prefix + ".")))
    if since is not None:
        stmt = stmt.where(col(AuditEvent.at) >= since)
    if until is not None:
        stmt = stmt.where(col(AuditEvent.at) < until)
    stmt = stmt.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    if limit:
        stmt = stmt.limit(limit)
    return [AuditEventInfo.model_validate(row) for row in session.exec(stmt)]


def known_actors(session: Session) -> list[str]:
    """Everyone the trail names, for filters."""
    return sorted(set(session.exec(select(AuditEvent.actor).distinct())), key=str.casefold)


def _refuse_change(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    raise ConflictError(f"Audit event {target.id} cannot be changed or deleted: the audit trail is append-only.")


event.listen(AuditEvent, "before_update", _refuse_change)
event.listen(AuditEvent, "before_delete", _refuse_change)

"""``push``: the latest cycle's tier, score, primary segment, status and reason onto each linked CRM account,
and open prospecting tasks as CRM tasks.

- The values come from the work list (:func:`icp.worklist.account_queue`: primary segment, tier, status,
  score and the top reason), so the CRM shows exactly what the queue shows.
- Only accounts whose values changed since icp last wrote them are sent (a fingerprint per account); an
  account never written and in no segment is left alone. The cycle date written is that of the cycle
  that set the values, so a new cycle that changes nothing writes nothing.
- Open tasks of linked accounts are written once (external id ``icp-task-<id>``); a second push writes
  nothing.
- A dry run makes no write call: it reads which fields exist and prints counts and a sample of changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from icp.crm._provider import AccountFields, CrmError, CrmProvider, CrmTask, FieldSpec
from icp.crm._state import CrmSyncError, account_links, external_id, task_id_of, task_links
from icp.errors import ConfigError, InputError
from icp.queue import latest_cycle_id
from icp.store.tables import Company, CrmAccount, CrmTaskLink, Cycle, ProspectingTask, utcnow
from icp.team.audit import record
from icp.team.roles import LOCAL_OPERATOR, Actor, Permission, require
from icp.worklist import AccountRow, account_queue

WRITE_CHUNK = 500
TASK_CHUNK = 100
SAMPLE_SIZE = 10
REASON_CHARS = 250

Progress = Callable[[str, int, int], None]
"""Called after each written chunk with (what, done, total)."""


class AccountChange(BaseModel):
    """One account's values before and after, as a dry run shows it."""

    crm_id: str
    company: str
    domain: str
    changes: dict[str, list[Any]] = Field(description="field -> [what icp last wrote, what it writes now]")


class PushReport(BaseModel):
    """What a push wrote (or, in a dry run, would write)."""

    provider: str
    dry_run: bool = False
    cycle_id: int
    cycle_date: date
    accounts_linked: int = 0
    accounts_changed: int = 0
    accounts_written: int = 0
    accounts_unchanged: int = 0
    account_failures: list[tuple[str, str]] = Field(default_factory=list)
    tasks_new: int = 0
    tasks_written: int = 0
    task_failures: list[tuple[str, str]] = Field(default_factory=list)
    fields_missing: list[str] = Field(
        default_factory=list, description="Fields the CRM lacks (a dry run's 'would create')."
    )
    sample: list[AccountChange] = Field(default_factory=list)


def _values(row: AccountRow | None) -> dict[str, Any]:
    if row is None:
        return {"tier": None, "score": None, "segment": "", "status": "", "reason": ""}
    reason = " ".join(row.top_reason.split())
    return {
        "tier": row.tier,
        "score": round(row.score, 1),
        "segment": row.segment,
        "status": row.status,
        "reason": reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…",
    }


def fingerprint(values: dict[str, Any]) -> str:
    """A short hash of the values written on an account (the cycle date excluded on purpose)."""
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "b2:" + hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _standings(session: Session, cycle_id: int) -> dict[int, AccountRow]:
    found: dict[int, AccountRow] = {}
    offset = 0
    while True:
        page = account_queue(session, cycle_id=cycle_id, limit=2000, offset=offset)
        found.update((row.company_id, row) for row in page.rows)
        offset += len(page.rows)
        if not page.rows or offset >= page.total:
            return found


def _task_of(task: ProspectingTask, crm_account_id: str) -> CrmTask:
    reasons = "\n".join(f"- {r}" for r in task.reasons[:5])
    body = (
        f"{task.play}\n\nWhy {task.company_name} ({task.tier}, {task.fit_status}, score {task.score:.0f}) in "
        f"{task.segment_name}:\n{reasons}\n\nMotion: {task.motion_name}; channel: {task.channel or 'any'}."
    ).strip()
    kind = "Research" if task.kind == "research" else "Reach out to"
    owner = task.owner if task.owner and "@" in task.owner else None
    return CrmTask(
        external_id=external_id(task.id or 0),
        crm_account_id=crm_account_id,
        subject=f"{kind} {task.company_name} ({task.tier}, {task.segment_name})",
        body=body,
        due=task.due_date,
        owner_email=owner,
    )


def _ensure_fields(provider: CrmProvider, *, dry_run: bool, create_fields: bool) -> list[str]:
    create = not dry_run and (create_fields or bool(getattr(provider, "creates_fields", False)))
    try:
        missing = provider.ensure_fields(create=create)
    except CrmError as exc:
        raise CrmSyncError.of(exc) from None
    if missing and not dry_run:
        specs = {spec.name: spec for spec in provider.fields()}
        described = "; ".join(_describe(specs.get(name), name) for name in missing)
        raise ConfigError(
            f"{provider.name} lacks the fields icp writes: {described}. "
            + (
                "Create them in the CRM's settings (or ask an administrator), then run again."
                if create
                else "Run again with --create-fields to create them, or create them in the CRM's settings."
            )
        )
    return missing


def _describe(spec: FieldSpec | None, name: str) -> str:
    return f"{spec.name} ({spec.label}, {spec.kind})" if spec else name


def push(
    session: Session,
    provider: CrmProvider,
    *,
    dry_run: bool = False,
    create_fields: bool = False,
    progress: Progress | None = None,
    actor: Actor | str = LOCAL_OPERATOR,
) -> PushReport:
    """Write the latest cycle's standing of every linked account that changed, then new tasks (see module).

    ``actor`` (a person, who must be allowed to run cycles, or a job's name such as ``worker``) is recorded
    in the audit trail with what was written.
    """
    if isinstance(actor, Actor):
        require(actor, Permission.RUN_CYCLES)
    cycle_id = latest_cycle_id(session)
    if cycle_id is None:
        raise InputError("No finished cycle to push yet. Run `icp cycle run` first.")
    links = account_links(session, provider.name)
    if not links:
        raise InputError(
            f"No {provider.name} accounts are linked to icp companies yet. Run `icp crm pull {provider.name}` first."
        )
    cycle = session.get(Cycle, cycle_id)
    assert cycle is not None
    cycle_date = (cycle.finished_at or cycle.started_at).date()
    report = PushReport(provider=provider.name, dry_run=dry_run, cycle_id=cycle_id, cycle_date=cycle_date)
    report.accounts_linked = len(links)
    report.fields_missing = _ensure_fields(provider, dry_run=dry_run, create_fields=create_fields)
    standings = _standings(session, cycle_id)
    changed: list[tuple[CrmAccount, AccountFields, dict[str, Any], str]] = []
    for link in links.values():
        row = standings.get(link.company_id)
        values = _values(row)
        mark = fingerprint(values)
        if mark == link.fingerprint or (link.fingerprint is None and row is None):
            report.accounts_unchanged += 1
            continue
        fields = AccountFields(crm_id=link.crm_id, cycle_date=cycle_date, **values)
        changed.append((link, fields, values, mark))
    report.accounts_changed = len(changed)
    shown = [link.company_id for link, _, _, _ in changed[:SAMPLE_SIZE]]
    names = {
        company_id: (name, domain)
        for company_id, name, domain in session.exec(
            select(Company.id, Company.name, Company.domain).where(col(Company.id).in_(shown))
        )
    }
    for link, _, values, _ in changed[:SAMPLE_SIZE]:
        before = link.written or {}
        name, domain = names.get(link.company_id, ("", ""))
        report.sample.append(
            AccountChange(
                crm_id=link.crm_id,
                company=name,
                domain=domain,
                changes={k: [before.get(k), v] for k, v in values.items() if before.get(k) != v},
            )
        )
    tasks = _new_tasks(session, provider.name, links)
    report.tasks_new = len(tasks)
    if dry_run:
        return report
    try:
        _write_accounts(session, provider, changed, report, progress)
        _write_tasks(session, provider, tasks, report, progress)
    finally:
        record(
            session,
            actor=actor,
            action="crm.push",
            object_type="cycle",
            object_id=cycle_id,
            summary=f"Pushed cycle #{cycle_id} to {provider.name}: {report.accounts_written} of "
            f"{report.accounts_changed} changed accounts and {report.tasks_written} of {report.tasks_new} new tasks "
            f"written, {len(report.account_failures) + len(report.task_failures)} refused",
        )
        session.commit()
    return report


def _new_tasks(session: Session, provider: str, links: dict[str, CrmAccount]) -> list[CrmTask]:
    account_of: dict[int, str] = {}
    for link in links.values():
        account_of.setdefault(link.company_id, link.crm_id)
    written = task_links(session, provider)
    stmt = (
        select(ProspectingTask)
        .where(ProspectingTask.status == "open", col(ProspectingTask.company_id).in_(list(account_of)))
        .order_by(col(ProspectingTask.id))
    )
    return [
        _task_of(task, account_of[task.company_id])
        for task in session.exec(stmt)
        if task.id is not None and task.id not in written
    ]


def _write_accounts(
    session: Session,
    provider: CrmProvider,
    changed: Sequence[tuple[CrmAccount, AccountFields, dict[str, Any], str]],
    report: PushReport,
    progress: Progress | None,
) -> None:
    for start in range(0, len(changed), WRITE_CHUNK):
        chunk = changed[start : start + WRITE_CHUNK]
        try:
            result = provider.write_accounts([fields for _, fields, _, _ in chunk])
        except CrmError as exc:
            raise CrmSyncError.of(exc) from None
        written = set(result.written)
        now = utcnow()
        for link, fields, values, mark in chunk:
            if link.crm_id in written:
                link.fingerprint, link.written, link.written_at = (
                    mark,
                    {**values, "cycle_date": fields.cycle_date.isoformat()},
                    now,
                )
                session.add(link)
        session.commit()  # what was written is remembered chunk by chunk
        report.accounts_written += len(written)
        report.account_failures.extend(result.failed)
        if progress:
            progress("accounts", min(start + WRITE_CHUNK, len(changed)), len(changed))


def _write_tasks(
    session: Session, provider: CrmProvider, tasks: Sequence[CrmTask], report: PushReport, progress: Progress | None
) -> None:
    for start in range(0, len(tasks), TASK_CHUNK):
        chunk = tasks[start : start + TASK_CHUNK]
        try:
            result = provider.write_tasks(chunk, {})
        except CrmError as exc:
            raise CrmSyncError.of(exc) from None
        for external, crm_task_id in result.task_ids.items():
            task_id = task_id_of(external)
            if task_id is None:
                continue
            session.add(
                CrmTaskLink.model_validate({"provider": provider.name, "task_id": task_id, "crm_task_id": crm_task_id})
            )
        session.commit()
        report.tasks_written += len(result.task_ids)
        report.task_failures.extend(result.failed)
        if progress:
            progress("tasks", min(start + TASK_CHUNK, len(tasks)), len(tasks))

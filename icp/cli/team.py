"""``icp audit`` and ``icp members``: who did what, and who holds which role in the app.

The CLI runs on the machine that holds the database (or its URL), so it acts as the **local
operator**: an admin, recorded in the audit trail as ``local operator``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import typer
from sqlmodel import Session

from icp.cli._context import app_context
from icp.cli._output import FORMAT_OPTION_HELP, OutputFormat, console, emit, short_time
from icp.errors import InputError
from icp.team import LOCAL_OPERATOR, ROLE_DUTIES, Role, add_member, list_events, list_members, remove_member

members_app = typer.Typer(
    help=(
        "People and their roles in the app (when it has sign-in): admin, leader, sdr, evaluator, viewer. "
        "The CLI itself acts as the local operator (an admin), recorded as 'local operator' in `icp audit`."
    ),
    no_args_is_help=True,
)

_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """'7d', '12h', '30m', '2w', or an ISO date/time (UTC unless it says otherwise)."""
    text = value.strip().lower()
    match = _RELATIVE.match(text)
    if match:
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(
            f"--since {value!r} is neither a duration (30m, 12h, 7d, 2w) nor a date (2026-11-30 or 2026-11-30T09:00)."
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def audit(
    ctx: typer.Context,
    actor: str | None = typer.Option(None, "--actor", "-a", help="Only events by this person (part of the name)."),
    obj: str | None = typer.Option(
        None, "--object", "-o", help="Only this kind of object (segment, task, cycle...), or one: segment:3."
    ),
    action: str | None = typer.Option(
        None, "--action", help="Only this action or family: segment.edit, or segment for every segment action."
    ),
    since: str | None = typer.Option(None, "--since", help="Only events since: 30m, 12h, 7d, or a date (UTC)."),
    limit: int = typer.Option(200, "--limit", "-n", min=1, help="At most this many events (newest first)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help=FORMAT_OPTION_HELP),
) -> None:
    """The audit trail: who changed segments, motions, tasks, verdicts, imports, members and settings, and who ran
    cycles, newest first.

    Events are append-only. Actions of the CLI are recorded as 'local operator'; those of the app as the
    signed-in person. Example: `icp audit --object segment --since 7d --format json`
    """
    object_type, _, object_id = (obj or "").partition(":")
    since_at = parse_since(since) if since else None
    with Session(app_context(ctx).engine) as session:
        events = list_events(
            session,
            actor=actor,
            object_type=object_type or None,
            object_id=object_id or None,
            action=action,
            since=since_at,
            limit=limit,
        )
    rows = [
        {
            **e.model_dump(mode="json"),
            "object": f"{e.object_type}:{e.object_id}" if e.object_id else e.object_type,
            "when": short_time(e.at),
        }
        for e in events
    ]
    emit(
        rows,
        fmt,
        columns=["id", "when", "actor", "actor_role", "action", "object", "summary"],
        title="Audit trail (newest first)",
        empty_message="No audit events match. Every change made from the app or the CLI is recorded here.",
        json_payload=[e.model_dump(mode="json") for e in events],
        table_rows=[{k: r[k] for k in ("when", "actor", "action", "object", "summary")} for r in rows],
    )


@members_app.command("add")
def add(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The address the person signs in with."),
    role: Role = typer.Option(..., "--role", "-r", help="admin, leader, sdr, evaluator or viewer."),
    name: str = typer.Option(
        "", "--name", help="The name their tasks and accounts carry as owner (e.g. 'dana'), if not the address."
    ),
) -> None:
    """Give a person a role (or change the one they have). Recorded in the audit trail as the local operator."""
    with Session(app_context(ctx).engine) as session:
        info = add_member(session, email, role, name=name, actor=LOCAL_OPERATOR)
    owner = f" (owner name {info.name})" if info.name else ""
    console.print(f"{info.email} is {info.role}{owner}: {ROLE_DUTIES[role]}.", markup=False)


@members_app.command("remove")
def remove(ctx: typer.Context, email: str = typer.Argument(..., help="The member's address.")) -> None:
    """Remove a member; their role then comes from ICP_ROLES alone (or nothing lets them in)."""
    with Session(app_context(ctx).engine) as session:
        info = remove_member(session, email, actor=LOCAL_OPERATOR)
    console.print(f"Removed {info.email} (was {info.role}).", markup=False)


@members_app.command("list")
def list_(
    ctx: typer.Context,
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help=FORMAT_OPTION_HELP),
) -> None:
    """Members and their roles. ICP_ROLES may name more people (by address or @domain); see README 'Team use'."""
    with Session(app_context(ctx).engine) as session:
        members = list_members(session)
    rows = [{**m.model_dump(mode="json"), "since": short_time(m.created_at)} for m in members]
    emit(
        rows,
        fmt,
        columns=["email", "role", "name", "added_by", "since"],
        title="Members",
        empty_message="No members yet. Add one with `icp members add ana@acme.com --role admin`.",
        json_payload=[m.model_dump(mode="json") for m in members],
    )

"""``icp crm``: the CRM round trip — check the connection, pull accounts and deals, push tiers and tasks."""

from __future__ import annotations

from typing import Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlmodel import Session

from icp.cli._context import app_context
from icp.cli._output import FORMAT_OPTION_HELP, OutputFormat, console, emit, err_console, short_time, shown

app = typer.Typer(
    help="The CRM round trip with HubSpot or Salesforce: `icp crm check hubspot`, then `icp crm pull hubspot` "
    "(companies and deals in), `icp cycle run`, and `icp crm push hubspot` (tier, score, segment, status, reason "
    "and tasks out). Needs the CRM extra: `pip install -e '.[crm]'`. Settings: ICP_HUBSPOT_TOKEN; ICP_SALESFORCE_*.",
    no_args_is_help=True,
)
FORMAT = typer.Option(OutputFormat.table, "--format", "-f", help=FORMAT_OPTION_HELP)
CRM = typer.Argument(..., help="hubspot or salesforce.", metavar="CRM")
DRY_RUN_HELP = (
    "Read from the CRM and print what would change; write nothing (no write call to the CRM, nothing stored)."
)


def _pages(n: int) -> str:
    return f"{n} page" if n == 1 else f"{n} pages"


def _progress(show: bool) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not show,
    )


@app.command("check")
def check(ctx: typer.Context, crm: str = CRM, fmt: OutputFormat = FORMAT) -> None:
    """Check the connection: the token or login works, the scopes/permissions icp needs are granted, and where."""
    from icp.crm import connect

    result = connect(crm, app_context(ctx).settings).check()
    if fmt is not OutputFormat.table:
        emit(
            [{"provider": result.provider, "ok": result.ok, "account": result.account, "problems": result.problems}],
            fmt,
            json_payload={
                "provider": result.provider,
                "ok": result.ok,
                "account": result.account,
                "granted": result.granted,
                "problems": result.problems,
            },
        )
    else:
        where = f" ({shown(result.account)})" if result.account else ""
        if result.ok:
            console.print(f"[green]✓[/green] Connected to {result.provider}{where}; every scope icp needs is granted.")
            console.print(f"Next: `icp crm pull {result.provider}`.")
        else:
            console.print(f"[red]✗[/red] {result.provider}{where}: not ready.")
            for problem in result.problems:
                console.print(f"  - {shown(problem)}")
        if result.granted:
            console.print(f"[dim]Granted: {shown(', '.join(result.granted))}[/dim]")
    if not result.ok:
        raise typer.Exit(1)


@app.command("pull")
def pull(
    ctx: typer.Context,
    crm: str = CRM,
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
    full: bool = typer.Option(
        False, "--full", help="Read every company and deal again, not only those changed since the last pull."
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Read companies and deals changed since the last pull, and tasks completed in the CRM.

    Companies are mapped and validated like a file import (`icp companies import`) and matched by domain; deals go
    to the outcomes (`icp outcomes report`). Each page is stored with its cursor, so a pull that stops (a network
    failure, a daily limit, Ctrl-C) resumes where it stopped on the next run.
    """
    from icp.crm import connect
    from icp.crm import pull as pull_crm

    context = app_context(ctx)
    provider = connect(crm, context.settings)
    with _progress(fmt is OutputFormat.table) as bar, Session(context.engine) as session:
        task = bar.add_task(f"Reading from {provider.name}…")

        def progress(what: str, pages: int, records: int) -> None:
            bar.update(task, description=f"Reading {what} from {provider.name}: {records:,} records, {pages} pages")

        report = pull_crm(session, provider, dry_run=dry_run, full=full, progress=progress)
    if fmt is OutputFormat.json:
        emit([], fmt, json_payload=report.model_dump(mode="json"))
        return
    errors = [
        {"object": kind, **e.model_dump(mode="json")}
        for kind, found in (("company", report.companies.errors), ("deal", report.deals.errors))
        for e in found
    ]
    if fmt is OutputFormat.csv:
        emit(errors, fmt, columns=["object", "row", "reason", "name", "domain"])
        return
    c, d = report.companies, report.deals
    verb = "Would store" if dry_run else "Stored"
    if report.resumed:
        console.print(f"Resumed the interrupted pull of {', '.join(report.resumed)} from its stored cursor.")
    console.print(
        f"{verb} companies: {c.created} new, {c.updated} updated, {c.unchanged} unchanged, {c.rejected} rejected "
        f"({_pages(report.company_pages)})."
    )
    if dry_run:  # deals match companies the dry run did not store, so only what was read can be counted
        console.print(
            f"Would read deals: {d.won + d.lost + d.open} ({d.won} won, {d.lost} lost, {d.open} open), "
            f"{d.rejected} rejected ({_pages(report.deal_pages)})."
        )
    else:
        console.print(
            f"{verb} deals: {d.created} new, {d.updated} updated, {d.unchanged} unchanged, {d.rejected} rejected · "
            f"{d.won} won, {d.lost} lost, {d.open} open ({_pages(report.deal_pages)})."
        )
    if report.tasks_completed:
        done = "would be completed" if dry_run else "completed"
        console.print(f"Tasks {done} in icp because they are done in {provider.name}: {report.tasks_completed}.")
    if d.unknown_stages:
        stages = ", ".join(f"{shown(s)} ({n})" for s, n in sorted(d.unknown_stages.items()))
        console.print(f"Deal stages counted as open (not a closed stage icp knows): {stages}.")
    if errors:
        emit(errors[:50], OutputFormat.table, columns=["object", "row", "reason", "name"], title="Rejected records")
        if len(errors) > 50:
            console.print(f"…and {len(errors) - 50} more (`--format csv` lists them all).")
    if not dry_run and (c.created or c.updated):
        console.print("Next: `icp cycle run`, then `icp crm push " + provider.name + "`.")


@app.command("status")
def status(ctx: typer.Context, crm: str = CRM, fmt: OutputFormat = FORMAT) -> None:
    """Where the round trip stands: the last pull of companies and deals (or the one to resume), linked accounts,
    accounts and tasks written. Reads only the database: no call to the CRM."""
    from icp.crm import PROVIDERS, crm_status
    from icp.errors import InputError

    name = crm.strip().lower()
    if name not in PROVIDERS:
        raise InputError(f"Unknown CRM {crm!r}: use one of {', '.join(PROVIDERS)}.")
    with Session(app_context(ctx).engine) as session:
        found = crm_status(session, name)
    if fmt is not OutputFormat.table:
        emit(found.pulls, fmt, json_payload=found.model_dump(mode="json"))
        return
    if not found.pulls:
        console.print(f"Nothing pulled from {name} yet. Start with `icp crm check {name}`, then `icp crm pull {name}`.")
        return
    for pull_state in found.pulls:
        when = short_time(pull_state["pulled_at"]) or "never finished"
        line = f"{pull_state['object']}: last full pull {when}"
        if pull_state["in_progress"]:
            line += (
                f"; a pull stopped after {pull_state['records']:,} records resumes on the next `icp crm pull {name}`"
            )
        if pull_state["error"]:
            line += f" ({shown(pull_state['error'])})"
        console.print(line)
    console.print(
        f"{found.accounts_linked:,} accounts linked, {found.accounts_written:,} written by icp; "
        f"{found.tasks_written:,} tasks written, {found.tasks_completed_in_crm:,} completed in {name}."
    )


def _push_summary(report: Any) -> None:
    verb = "Would write" if report.dry_run else "Wrote"
    console.print(
        f"{verb} {report.accounts_changed if report.dry_run else report.accounts_written} of "
        f"{report.accounts_linked} linked accounts ({report.accounts_unchanged} unchanged) from cycle "
        f"#{report.cycle_id} ({report.cycle_date})."
    )
    tasks = report.tasks_new if report.dry_run else report.tasks_written
    console.print(f"{'Would create' if report.dry_run else 'Created'} {tasks} tasks.")
    if report.fields_missing:
        console.print(f"Fields to create first: {shown(', '.join(report.fields_missing))}.")
    failures = report.account_failures + report.task_failures
    if failures:
        emit(
            [{"id": i, "reason": r} for i, r in failures[:50]],
            OutputFormat.table,
            columns=["id", "reason"],
            title="Not written",
        )


@app.command("push")
def push(
    ctx: typer.Context,
    crm: str = CRM,
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
    create_fields: bool = typer.Option(
        False, "--create-fields", help="Create the fields icp writes where they are missing (needs the permission)."
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Write the latest cycle's tier, fit score, primary segment, status, reason and date on each linked account
    whose values changed, and open prospecting tasks as CRM tasks (once each).

    On HubSpot the tier goes into the native "Ideal Customer Profile Tier" property and the rest into icp_*
    properties, created on the first push. Set ICP_CRM_PUSH_AFTER_CYCLE=hubspot to push after every cycle.
    """
    from icp.crm import connect
    from icp.crm import push as push_crm

    context = app_context(ctx)
    provider = connect(crm, context.settings)
    with _progress(fmt is OutputFormat.table) as bar, Session(context.engine) as session:
        task = bar.add_task(f"Writing to {provider.name}…")

        def progress(what: str, done: int, total: int) -> None:
            bar.update(task, description=f"Writing {what} to {provider.name}: {done:,} of {total:,}")

        report = push_crm(session, provider, dry_run=dry_run, create_fields=create_fields, progress=progress)
    if fmt is not OutputFormat.table:
        rows = [
            {"crm_id": s.crm_id, "company": s.company, "domain": s.domain, "changes": s.changes} for s in report.sample
        ]
        emit(rows, fmt, columns=["crm_id", "company", "domain", "changes"], json_payload=report.model_dump(mode="json"))
        return
    _push_summary(report)
    if report.sample and dry_run:
        emit(
            [
                {
                    "crm_id": s.crm_id,
                    "company": s.company,
                    "changes": "; ".join(f"{k}: {_short(old)} → {_short(new)}" for k, (old, new) in s.changes.items()),
                }
                for s in report.sample
            ],
            OutputFormat.table,
            columns=["crm_id", "company", "changes"],
            title="Sample of changes",
        )
    if dry_run:
        console.print(f"Nothing was written. Run `icp crm push {provider.name}` to write it.")
    if report.account_failures or report.task_failures:
        raise typer.Exit(1)


def _short(value: Any) -> str:
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def push_after_cycle(ctx: typer.Context) -> None:
    """After a finished cycle, push to ICP_CRM_PUSH_AFTER_CYCLE's CRM; a failure is a warning, never an error."""
    from icp.crm import push_after_cycle as push_now
    from icp.errors import ICPError

    context = app_context(ctx)
    name = context.settings.crm_push_after_cycle
    if not name:
        return
    try:
        report = push_now(context.engine, context.settings)
    except ICPError as exc:
        err_console.print(
            f"CRM push to {name} failed: {exc} — the cycle itself is unaffected; run `icp crm push {name}`.",
            markup=False,
            highlight=False,
        )
        return
    if report is not None:
        failed = len(report.account_failures) + len(report.task_failures)
        err_console.print(
            f"CRM push to {name}: {report.accounts_written} accounts and {report.tasks_written} tasks written"
            + (f", {failed} not written (see `icp crm push {name}`)." if failed else "."),
            markup=False,
            highlight=False,
        )

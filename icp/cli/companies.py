"""``icp companies``: import and browse accounts."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from sqlmodel import Session

from icp import companies as svc
from icp.cli._context import app_context
from icp.cli._output import FORMAT_OPTION_HELP, OutputFormat, console, emit, shown

app = typer.Typer(help="Import and browse companies (accounts).", no_args_is_help=True)

FORMAT = typer.Option(OutputFormat.table, "--format", "-f", help=FORMAT_OPTION_HELP)


_SHOWN = 50  # row errors and warnings printed in the table view; --format csv/json list them all


def _print_problems(report: svc.ImportReport | svc.SignalImportReport) -> None:
    if report.ignored_columns:
        names = report.ignored_columns
        more = f" and {len(names) - 20:,} more" if len(names) > 20 else ""
        console.print(f"[dim]Ignored columns: {escape(', '.join(names[:20]))}{more}[/dim]")
    for warning in report.warnings[:_SHOWN]:
        where = f"row {warning.row}: " if warning.row is not None else ""
        console.print(f"  [yellow]warning[/yellow] {escape(where + warning.message)}")
    if len(report.warnings) > _SHOWN:
        console.print(f"  [yellow]… and {len(report.warnings) - _SHOWN:,} more warnings[/yellow] (see --format json)")
    for error in report.errors[:_SHOWN]:
        who = error.name or error.domain or ""
        console.print(f"  [red]row {error.row}[/red]{escape(f' ({who})' if who else '')}: {escape(error.reason)}")
    if len(report.errors) > _SHOWN:
        console.print(
            f"  [red]… and {len(report.errors) - _SHOWN:,} more rejected rows[/red] (--format csv lists them all)"
        )


def print_import_report(report: svc.ImportReport, source: str) -> None:
    """Summary line plus one line per rejected row (the first few dozen) and warnings."""
    verb = "Imported" if report.committed else "Checked (nothing imported)"
    console.print(
        f"{verb} {escape(source)}: [green]{report.created} created[/green], {report.updated} updated, "
        f"{report.unchanged} unchanged, [red]{report.rejected} rejected[/red]."
    )
    _print_problems(report)


def _emit_report(report: svc.ImportReport | svc.SignalImportReport, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.csv:
        emit([e.model_dump() for e in report.errors], fmt, columns=["row", "reason", "name", "domain"])
    else:
        emit([], fmt, json_payload=report.model_dump())


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV (CRM export headers are recognised), JSON list or JSONL file."),
    all_or_nothing: bool = typer.Option(
        False, "--all-or-nothing", help="Import nothing if any row is bad (default: good rows land)."
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Import companies, upserting by domain. Bad rows are reported with their row number and reason.

    Exits 1 when nothing landed: --all-or-nothing met a bad row, or every row was rejected.
    """
    with Session(app_context(ctx).engine) as session:
        report = svc.import_companies(session, file, all_or_nothing=all_or_nothing)
    if fmt is OutputFormat.table:
        print_import_report(report, file.name)
    else:
        _emit_report(report, fmt)
    if not report.committed or (report.rejected and not report.landed):
        raise typer.Exit(1)


@app.command("list")
def list_(
    ctx: typer.Context,
    search: str | None = typer.Option(None, "--search", "-s", help="Filter by name, domain or industry."),
    limit: int = typer.Option(50, "--limit", "-n", help="At most this many (0 = all)."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """List companies by name."""
    with Session(app_context(ctx).engine) as session:
        rows = [c.model_dump(mode="json") for c in svc.list_companies(session, search=search, limit=limit or None)]
    emit(
        rows,
        fmt,
        columns=["name", "domain", "industry", "employees", "revenue", "country", "region", "funding_stage"],
        title="Companies",
        empty_message="No companies yet. Import a file with `icp companies import FILE` or run `icp demo`.",
    )


@app.command("signals")
def signals(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., help="JSONL, JSON list or CSV of {domain, type, topic, strength, observed_at | days_ago}."
    ),
    all_or_nothing: bool = typer.Option(
        False, "--all-or-nothing", help="Import nothing if any row is bad (default: good rows land)."
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Import intent/engagement signals for known companies. Bad rows are reported with their number and reason.

    Exits 1 when nothing landed: the file could not be read, --all-or-nothing met a bad row, or every
    row was rejected (an unknown domain is a rejected row: import the companies first).
    """
    with Session(app_context(ctx).engine) as session:
        report = svc.import_signals(session, file, all_or_nothing=all_or_nothing)
    if fmt is OutputFormat.table:
        verb = "Imported" if report.committed else "Checked (nothing imported)"
        console.print(
            f"{verb} {escape(file.name)}: [green]{report.imported} signal{'' if report.imported == 1 else 's'}"
            "[/green], "
            f"[red]{report.rejected} rejected[/red]."
        )
        _print_problems(report)
    else:
        _emit_report(report, fmt)
    if not report.committed or (report.rejected and not report.imported):
        raise typer.Exit(1)


@app.command("show")
def show(
    ctx: typer.Context,
    domain: str = typer.Argument(..., help="Company domain or website URL."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """One company: its fields, signals, and where it stands in every segment in the latest cycle."""
    from icp.queue import company_memberships

    with Session(app_context(ctx).engine) as session:
        row = svc.get_company(session, domain)
        assert row.id is not None
        info = svc.CompanyInfo.model_validate(row, from_attributes=True)
        signals = svc.company_signals(session, row.id)
        memberships = company_memberships(session, row.id)
    if fmt is not OutputFormat.table:
        payload = {
            **info.model_dump(mode="json"),
            "signals": [s.model_dump(mode="json") for s in signals],
            "memberships": [m.model_dump(mode="json") for m in memberships],
        }
        emit([info.model_dump(mode="json")], fmt, json_payload=payload)
        return
    console.print(f"[bold]{shown(info.name)}[/bold] ({shown(info.domain)})")
    for field in ("industry", "employees", "revenue", "country", "region", "city", "funding_stage", "founded_year"):
        value = getattr(info, field)
        if value is None:
            continue
        value_text = f"{value:,.0f}" if field in ("employees", "revenue") else shown(value)
        console.print(f"  {field.replace('_', ' ')}: {value_text}")
    for field in ("technologies", "tags"):
        if getattr(info, field):
            console.print(f"  {field}: {shown(', '.join(getattr(info, field)))}")
    if info.description:
        console.print(f"  [dim]{shown(info.description)}[/dim]")
    emit(
        [s.model_dump(mode="json") for s in signals],
        OutputFormat.table,
        title="Signals",
        empty_message="No signals.",
    )
    emit(
        [m.model_dump(mode="json") for m in memberships],
        OutputFormat.table,
        columns=["segment", "segment_version", "tier", "status", "fit_score", "summary"],
        title="Segments (latest cycle)",
        empty_message="Not graded yet: run `icp cycle run`.",
    )


@app.command("assign")
def assign(
    ctx: typer.Context,
    domain: str = typer.Argument(..., help="The company's domain."),
    owner: str = typer.Option(..., "--owner", "-o", help="The rep who owns the account from now on."),
) -> None:
    """Give an account (and its open tasks) to a rep; every later task of the account goes to them too."""
    from icp.owners import assign_account

    with Session(app_context(ctx).engine) as session:
        moved = assign_account(session, domain, owner)
    console.print(f"{shown(domain)} now belongs to {shown(owner)}; {moved} open task{'s' * (moved != 1)} moved.")

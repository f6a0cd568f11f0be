"""``icp outcomes``: won and lost deals, and whether the segments pick the accounts that win."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlmodel import Session

from icp.cli._context import app_context
from icp.cli._output import FORMAT_OPTION_HELP, OutputFormat, console, emit

app = typer.Typer(
    help="Won, lost and open deals (from CRM exports), and the lift each segment's tiers show against them.",
    no_args_is_help=True,
)
FORMAT = typer.Option(OutputFormat.table, "--format", "-f", help=FORMAT_OPTION_HELP)


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV, JSON or JSONL deal export."),
    stage: list[str] = typer.Option(
        [],
        "--stage",
        help="A custom stage and what it means, e.g. 'Signed=won' or 'Churned=lost' (repeatable). "
        "'Closed Won' and 'Closed Lost' (and Won/Closed columns) are known already.",
    ),
    all_or_nothing: bool = typer.Option(False, "--all-or-nothing", help="Import nothing if any row is bad."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Import won, lost and open deals: HubSpot deal exports, Salesforce opportunity exports or canonical columns.

    Deals are matched to companies by domain, then by name, and updated by deal id on re-import. Rows that
    cannot be read or matched are listed with their row numbers; the good rows land.
    """
    from icp.errors import InputError
    from icp.outcomes import DealResult, OutcomeImportReport, read_deals, store_deals

    stage_map: dict[str, DealResult] = {}
    for item in stage:
        name, sep, meaning = item.rpartition("=")
        if not sep or not name.strip() or meaning.strip().lower() not in ("won", "lost", "open"):
            raise InputError(f"--stage must look like 'Signed=won' (won, lost or open); got {item!r}.")
        stage_map[name.strip()] = meaning.strip().lower()  # type: ignore[assignment]
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(f"Cannot read {file}: {exc.strerror or exc}.") from exc
    parsed = read_deals(data, file.name, stage_map=stage_map)
    report = OutcomeImportReport(
        rejected=len(parsed.errors),
        errors=list(parsed.errors),
        mapping=parsed.mapping,
        ignored_columns=parsed.ignored_columns,
    )
    with Session(app_context(ctx).engine) as session:
        report = store_deals(session, parsed.deals, source=file.name, report=report, all_or_nothing=all_or_nothing)
    report.errors.sort(key=lambda e: e.row)
    if fmt is OutputFormat.json:
        emit([], fmt, json_payload=report.model_dump(mode="json"))
    elif fmt is OutputFormat.csv:
        emit([e.model_dump(mode="json") for e in report.errors], fmt, columns=["row", "reason", "name", "domain"])
    else:
        for warning in parsed.warnings:
            console.print(f"[yellow]Warning:[/yellow] {warning.message}", highlight=False)
        landed = (
            "Imported nothing (--all-or-nothing and some rows are bad)."
            if not report.committed
            else (
                f"{report.created} new, {report.updated} updated, {report.unchanged} unchanged, "
                f"{report.rejected} rejected · {report.won} won, {report.lost} lost, {report.open} open."
            )
        )
        console.print(landed, highlight=False)
        if report.unknown_stages:
            stages = ", ".join(f"{s!r} ({n})" for s, n in sorted(report.unknown_stages.items()))
            console.print(
                f"Counted as open (not a closed stage icp knows): {stages}. "
                "Map them with --stage 'NAME=won|lost|open'.",
                markup=False,
            )
        if report.errors:
            emit(
                [e.model_dump(mode="json") for e in report.errors],
                OutputFormat.table,
                columns=["row", "reason", "name", "domain"],
                title="Rejected rows",
            )
        if report.committed and (report.created or report.updated):
            console.print("Next: `icp outcomes report` (win rate and lift per tier).")
    if not report.committed or not (report.created + report.updated + report.unchanged):
        raise typer.Exit(1)


@app.command("list")
def list_(
    ctx: typer.Context,
    result: str | None = typer.Option(None, "--result", help="Only won, lost or open deals."),
    limit: int = typer.Option(50, "--limit", "-n", help="0 = all."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Stored deals, newest first."""
    from icp.outcomes import list_outcomes

    with Session(app_context(ctx).engine) as session:
        found = list_outcomes(session, result=result, limit=limit or None)
    emit(
        [o.model_dump(mode="json") for o in found],
        fmt,
        columns=["deal_id", "name", "company_name", "domain", "result", "stage", "amount", "created_on", "closed_on"],
        title="Deals",
        empty_message="No deals yet. Import a deal export with `icp outcomes import FILE`.",
    )


@app.command("report")
def report(
    ctx: typer.Context,
    segment: str | None = typer.Option(None, "--segment", "-s", help="Only this segment."),
    regrade: bool = typer.Option(
        False,
        "--regrade",
        help="Deals with no grade from before they were created: grade today's data against the segment version "
        "then in force (offline), labelled as such, instead of leaving them out.",
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Win rate (95% Wilson interval), lift, won revenue and days to close per segment, tier and status.

    Each deal is judged against the grade its account had before the deal was created (the latest cycle that
    finished before its create date), so an outcome never grades itself; deals with no such grade are left
    out and counted. Groups with fewer than 10 closed deals are marked as too small to say.
    """
    from icp.outcomes import outcome_report

    with Session(app_context(ctx).engine) as session:
        found = outcome_report(
            session, segment=segment, regrade=regrade, policy=app_context(ctx).settings.scoring_policy()
        )
    if fmt is OutputFormat.json:
        emit([], fmt, json_payload=[s.model_dump(mode="json") for s in found])
        return
    rows = [
        {
            "segment": s.segment,
            "group": g.group,
            "accounts": g.accounts,
            "closed": g.closed,
            "won": g.won,
            "win_rate": None if g.win_rate is None else round(g.win_rate, 3),
            "interval": "" if g.win_rate_low is None else f"{g.win_rate_low:.0%}–{g.win_rate_high:.0%}",
            "lift": None if g.lift is None else round(g.lift, 2),
            "won_revenue": round(g.won_revenue, 2),
            "revenue_share": None if g.revenue_share is None else round(g.revenue_share, 3),
            "median_days_to_close": g.median_days_to_close,
            "enough": g.enough,
        }
        for s in found
        for g in s.groups
    ]
    if fmt is OutputFormat.csv:
        emit(rows, fmt)
        return
    if not found:
        console.print("No segments yet. Add one with `icp segments add`.")
        return
    emit(rows, fmt, title="Outcomes by tier", empty_message="No closed deal could be judged yet.")
    for s in found:
        left = f" {s.left_out} closed deals left out: no grade from before they were created." if s.left_out else ""
        again = f" {s.regraded} judged by re-grading today's data." if s.regraded else ""
        console.print(f"[bold]{s.segment}[/bold]: {s.reading}{left}{again}", highlight=False)

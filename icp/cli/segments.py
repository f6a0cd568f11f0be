"""``icp segments``: write and manage ICP segments."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlmodel import Session

from icp import segments as svc
from icp.cli._context import app_context
from icp.cli._output import FORMAT_OPTION_HELP, OutputFormat, console, emit, shown

app = typer.Typer(
    help="Write and manage ICP segments: a name, hard requirements and nice-to-haves in plain language. "
    "Every edit of the text creates a new version; cycles grade against versions, so edits take effect "
    "on the next cycle.",
    no_args_is_help=True,
)

FORMAT = typer.Option(OutputFormat.table, "--format", "-f", help=FORMAT_OPTION_HELP)
REQ_HELP = "Hard criteria, one per line, bullet or sentence (e.g. '200–2,000 employees; HQ in North America')."
NICE_HELP = "What makes a company an even stronger fit, same format as requirements."


def _row(info: svc.SegmentInfo) -> dict[str, object]:
    return info.model_dump(mode="json")


@app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", "-n", help="Segment name (required, unique)."),
    requirements: str = typer.Option("", "--requirements", "-r", help=REQ_HELP),
    nice_to_haves: str = typer.Option("", "--nice-to-haves", help=NICE_HELP),
    priority: int = typer.Option(0, "--priority", "-p", help="Higher wins when a company fits several segments."),
    inactive: bool = typer.Option(False, "--inactive", help="Create it switched off (not graded by cycles)."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Create a segment (version 1)."""
    with Session(app_context(ctx).engine) as session:
        info = svc.create_segment(session, name, requirements, nice_to_haves, active=not inactive, priority=priority)
    if fmt is OutputFormat.table:
        console.print(f"Created segment [bold]{shown(info.name)}[/bold] (version {info.version}).")
        _print_lint_hints(requirements, nice_to_haves)
    else:
        emit([_row(info)], fmt)


def _print_lint_hints(requirements: str, nice_to_haves: str) -> None:
    try:
        from icp.lint import lint_segment
    except ImportError:  # the linter ships with the grading core
        return
    findings = lint_segment(requirements, nice_to_haves)
    if findings:
        console.print(f"[yellow]{len(findings)} lint hint(s)[/yellow] — see `icp segments lint NAME`.")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., help="JSON file: a list of {name, requirements, nice_to_haves, active, priority}."
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Create or update segments from a JSON file (matched by name)."""
    specs = svc.load_segment_specs(file)
    with Session(app_context(ctx).engine) as session:
        report = svc.import_segments(session, specs)
    if fmt is OutputFormat.table:
        console.print(
            f"Segments: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, {len(report.rejected)} rejected."
        )
        for problem in report.rejected:
            console.print(f"  [red]✗[/red] {problem}")
    else:
        emit([], fmt, json_payload=report.model_dump())
    if report.rejected:
        raise typer.Exit(1)


@app.command("list")
def list_(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "--all", help="Include deleted segments."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """List segments by priority."""
    with Session(app_context(ctx).engine) as session:
        rows = [_row(s) for s in svc.list_segments(session, include_deleted=all_)]
    emit(
        rows,
        fmt,
        columns=["name", "active", "priority", "version", "requirements", "nice_to_haves", "updated_at"],
        title="Segments",
        empty_message="No segments yet. Add one with `icp segments add` or run `icp demo`.",
    )


@app.command("show")
def show(
    ctx: typer.Context, name: str = typer.Argument(..., help="Segment name or id."), fmt: OutputFormat = FORMAT
) -> None:
    """Show a segment, its compiled criteria and its version history."""
    from icp.criteria import compile_segment

    with Session(app_context(ctx).engine) as session:
        info = svc.get_segment(session, name)
        history = svc.segment_history(session, name)
    compiled = compile_segment(info.name, info.requirements, info.nice_to_haves)
    criteria = [
        {"id": c.id, "kind": c.kind.value, "text": c.text, "check": c.check.model_dump() if c.check else None}
        for c in compiled.criteria
    ]
    if fmt is OutputFormat.json:
        payload = {**_row(info), "criteria": criteria, "versions": [v.model_dump(mode="json") for v in history]}
        emit([], fmt, json_payload=payload)
        return
    if fmt is OutputFormat.csv:
        emit([v.model_dump(mode="json") for v in history], fmt)
        return
    state = "active" if info.active else "inactive"
    console.print(f"[bold]{shown(info.name)}[/bold]  version {info.version} · {state} · priority {info.priority}")
    emit(
        [{"id": c["id"], "criterion": c["text"], "structured": "yes" if c["check"] else "text only"} for c in criteria],
        OutputFormat.table,
        title="Criteria",
        empty_message="No criteria: add requirements with `icp segments edit`.",
    )
    emit(
        [v.model_dump(mode="json") for v in history],
        OutputFormat.table,
        columns=["version", "name", "requirements", "nice_to_haves", "author", "created_at"],
        title="Version history",
    )


@app.command("edit")
def edit(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Segment name or id."),
    new_name: str | None = typer.Option(None, "--name", "-n", help="Rename the segment."),
    requirements: str | None = typer.Option(None, "--requirements", "-r", help=REQ_HELP),
    nice_to_haves: str | None = typer.Option(None, "--nice-to-haves", help=NICE_HELP),
    priority: int | None = typer.Option(None, "--priority", "-p"),
    active: bool | None = typer.Option(None, "--active/--inactive", help="Switch grading on or off."),
    based_on: int | None = typer.Option(
        None, "--based-on-version", help="Refuse the edit if the segment changed since this version."
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Edit a segment. Text changes create a new version that the next cycle uses."""
    with Session(app_context(ctx).engine) as session:
        before = svc.get_segment(session, name)
        info = svc.edit_segment(
            session,
            name,
            based_on_version=based_on,
            name=new_name,
            requirements=requirements,
            nice_to_haves=nice_to_haves,
            active=active,
            priority=priority,
        )
    if fmt is not OutputFormat.table:
        emit([_row(info)], fmt)
    elif info.version != before.version:
        console.print(f"Saved [bold]{shown(info.name)}[/bold] as version {info.version}; the next cycle will use it.")
    elif info != before:
        console.print(f"Updated [bold]{shown(info.name)}[/bold] (version {info.version} unchanged).")
    else:
        console.print("Nothing changed.")


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Segment name or id."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a segment. Its history and the tasks already generated from it stay."""
    with Session(app_context(ctx).engine) as session:
        info = svc.get_segment(session, name)
        if not yes:
            typer.confirm(f"Delete segment {info.name!r}? Tasks already generated from it stay untouched.", abort=True)
        svc.delete_segment(session, info.id)
    console.print(f"Deleted segment [bold]{shown(info.name)}[/bold].")


@app.command("lint")
def lint(
    ctx: typer.Context, name: str = typer.Argument(..., help="Segment name or id."), fmt: OutputFormat = FORMAT
) -> None:
    """Check a segment's criteria: vague words, criteria no data can observe, contradictions, empty requirements."""
    from icp.lint import lint_segment

    with Session(app_context(ctx).engine) as session:
        info = svc.get_segment(session, name)
    findings = lint_segment(info.requirements, info.nice_to_haves)
    rows = [f.model_dump(mode="json") for f in findings]
    if fmt is OutputFormat.table and not findings:
        console.print(f"[green]No findings[/green] for {shown(info.name)}: every criterion is specific and observable.")
        return
    emit(rows, fmt, columns=["criterion_id", "severity", "message", "suggestion"], title=f"Lint: {shown(info.name)}")


@app.command("overlap")
def overlap(
    ctx: typer.Context,
    threshold: float = typer.Option(
        0.5, "--threshold", min=0, max=1, help="Minimum Jaccard similarity of member sets."
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Pairs of segments whose members (in the latest cycle) are largely the same accounts."""
    from icp.trends import segment_overlaps

    with Session(app_context(ctx).engine) as session:
        found = segment_overlaps(session, threshold=threshold)
    emit(
        [o.model_dump() for o in found],
        fmt,
        columns=["segment_a", "segment_b", "members_a", "members_b", "shared", "jaccard", "suggestion"],
        title="Overlapping segments",
        empty_message=f"No two segments share {threshold:.0%} or more of their members (Jaccard) in the latest cycle.",
    )


@app.command("backtest")
def backtest(
    ctx: typer.Context,
    segment: str | None = typer.Option(
        None, "--segment", "-s", help="A saved segment: backtest it, or compare your edits (options below) with it."
    ),
    name: str | None = typer.Option(None, "--name", "-n", help="The draft's name (default: the segment's)."),
    requirements: str | None = typer.Option(None, "--requirements", "-r", help=REQ_HELP),
    nice_to_haves: str | None = typer.Option(None, "--nice-to-haves", help=NICE_HELP),
    file: Path | None = typer.Option(
        None, "--file", exists=True, dir_okay=False, help="A JSON file with name, requirements, nice_to_haves."
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Would this draft have picked the accounts you won? Graded against every company with a closed deal.

    Shows, beside the saved version (with --segment): qualified / unverified / disqualified accounts, win
    rate and lift per tier, the share of won accounts it keeps, and per requirement how many won and lost
    accounts it excludes. Offline and free; nothing is saved. Examples:
    `icp segments backtest --segment "EU Fintech" --requirements $'Fintech company\\n50+ employees'`
    `icp segments backtest --name Draft --requirements "B2B SaaS company" --nice-to-haves "Uses Salesforce"`
    """
    import json

    from icp.errors import InputError
    from icp.outcomes import backtest_segment

    draft: dict[str, str] = {}
    if file is not None:
        try:
            loaded = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"Cannot read a segment draft from {file}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise InputError(f"{file} must hold one JSON object with name, requirements and nice_to_haves.")
        draft = {k: "\n".join(v) if isinstance(v, list) else str(v) for k, v in loaded.items() if v is not None}
    with Session(app_context(ctx).engine) as session:
        saved = svc.get_segment(session, segment) if segment else None
        text = {
            "name": name or draft.get("name") or (saved.name if saved else ""),
            "requirements": requirements if requirements is not None else draft.get("requirements"),
            "nice_to_haves": nice_to_haves if nice_to_haves is not None else draft.get("nice_to_haves"),
        }
        if saved is None and not text["requirements"]:
            raise InputError("Give a draft (--requirements, or --file) or a saved segment (--segment) to backtest.")
        edited = saved is not None and (text["requirements"] is not None or text["nice_to_haves"] is not None)
        result = backtest_segment(
            session,
            str(text["name"] or "Draft"),
            text["requirements"] if text["requirements"] is not None else (saved.requirements if saved else ""),
            text["nice_to_haves"] if text["nice_to_haves"] is not None else (saved.nice_to_haves if saved else ""),
            saved=(saved.name, saved.requirements, saved.nice_to_haves, saved.version) if edited and saved else None,
            policy=app_context(ctx).settings.scoring_policy(),
        )
    if fmt is OutputFormat.json:
        emit([], fmt, json_payload=result.model_dump(mode="json"))
        return
    sides = [s for s in (result.draft, result.saved) if s is not None]
    rows = [
        {
            "version": side.label,
            "group": g.group,
            "accounts": g.accounts,
            "won": g.won,
            "win_rate": None if g.win_rate is None else round(g.win_rate, 3),
            "interval": "" if g.win_rate_low is None else f"{g.win_rate_low:.0%}–{g.win_rate_high:.0%}",
            "lift": None if g.lift is None else round(g.lift, 2),
        }
        for side in sides
        for g in side.groups
    ]
    if fmt is OutputFormat.csv:
        emit(rows, fmt)
        return
    console.print(
        f"{result.accounts} accounts with closed deals ({result.won_accounts} won, {result.lost_accounts} lost). "
        f"{result.note}",
        markup=False,
    )
    if not result.accounts:
        return
    for side in sides:
        recall = "—" if side.won_recall is None else f"{side.won_recall:.0%}"
        console.print(
            f"\n[bold]{side.label}[/bold]: {side.qualified} qualified, {side.unverified} unverified, "
            f"{side.disqualified} disqualified; keeps {recall} of won accounts"
            + (
                f"; T1 won {side.t1_lift:.1f}× as often as the rest ({side.t1_lift_low:.1f}–{side.t1_lift_high:.1f}×)"
                if side.t1_lift is not None and side.t1_lift_low is not None and side.t1_lift_high is not None
                else ""
            )
        )
        for exclusion in side.exclusions:
            console.print(f"  {exclusion.sentence}", markup=False)
    emit(rows, fmt, title="Win rate by tier")

"""``icp grade``: grade one company against one segment now, and explain the score."""

from __future__ import annotations

import typer
from sqlmodel import Session

from icp.cli._context import app_context
from icp.cli._output import FORMAT_OPTION_HELP, OutputFormat, console, emit, err_console, shown
from icp.cli.cycle import EVALUATOR_HELP
from icp.cli.work import VERDICT_MARK
from icp.evaluators.factory import make_evaluator
from icp.explain import grade_company


def grade(
    ctx: typer.Context,
    segment: str = typer.Option(..., "--segment", "-s", help="Segment name."),
    company: str = typer.Option(..., "--company", "-c", help="Company domain (or website URL)."),
    evaluator: str | None = typer.Option(None, "--evaluator", "-e", help=EVALUATOR_HELP),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help=FORMAT_OPTION_HELP),
) -> None:
    """Grade one pair against the segment's current version: criteria, verdicts, evidence, score breakdown, tier."""
    context = app_context(ctx)
    chosen = make_evaluator(evaluator, context.settings)
    with Session(context.engine) as session:
        result = grade_company(session, chosen, segment, company, policy=context.settings.scoring_policy())
    g, b = result.grade, result.breakdown
    if fmt is OutputFormat.json:
        emit([], fmt, json_payload=result.model_dump(mode="json"))
    if b is None:  # a failed grade has no tier and no score, in every format
        err_console.print(f"[red]Grading failed:[/red] {shown(g.error)}", highlight=False)
        raise typer.Exit(1)
    if fmt is OutputFormat.json:
        return
    if fmt is OutputFormat.csv:
        emit([r.model_dump(mode="json") for r in g.results], fmt)
        return
    capped = (
        f" (its score alone earns {b.tier_capped_from.value}; {', '.join(b.unverified)} unverified)"
        if b.tier_capped_from
        else ""
    )
    console.print(
        f"[bold]{shown(result.company_name)}[/bold] ({shown(result.domain)}) in "
        f"[bold]{shown(result.segment)}[/bold] v{result.segment_version}: "
        f"[bold]{b.tier.value}[/bold] {b.status.value}{capped}, fit score {b.score:g} "
        f"(confidence {b.confidence:.0%}, {g.identity.evaluator})"
    )
    console.print(f"  {shown(g.summary)}")
    if g.note:
        console.print(f"  [yellow]Note:[/yellow] {shown(g.note)}", highlight=False)
    points = {c.id: c for c in b.contributions}
    rows = []
    for r in g.results:
        c = points.get(r.id)
        rows.append(
            {
                "": VERDICT_MARK[r.verdict.value],
                "id": r.id,
                "criterion": r.text,
                "verdict": r.verdict.value,
                "evidence": r.evidence or r.note,
                "points": f"{c.points:.1f}/{c.max_points:.1f}" if c else "",
            }
        )
    emit(rows, OutputFormat.table, title="Criteria")
    signal_rows = [c for c in b.contributions if c.kind == "signal"]
    console.print(
        f"Score: requirements {b.requirement_points:g} (unknown penalty −{b.unknown_penalty:g}) + nice-to-haves "
        f"{b.nice_to_have_points:g} + signals {b.signal_points:g}"
        + (f" ({'; '.join(c.note for c in signal_rows)})" if signal_rows else "")
        + (f" → disqualified by {', '.join(b.disqualified_by)}" if b.disqualified_by else "")
    )

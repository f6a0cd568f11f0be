"""``icp demo``: sample data, one offline cycle, the ranked queue — no API key, no network."""

from __future__ import annotations

import typer
from sqlmodel import Session

from icp.cli._context import app_context
from icp.cli._output import console, shown
from icp.cli.cycle import _run_with_progress, default_concurrency, print_cycle_report
from icp.cli.work import VERDICT_MARK, queue_table
from icp.demo import load_samples
from icp.outcomes import outcome_report
from icp.worklist import account_entries, account_queue


def demo(
    ctx: typer.Context,
    limit: int = typer.Option(15, "--limit", "-n", help="How many accounts of the queue to print."),
) -> None:
    """Load the sample segments, companies, signals and motions, run an offline cycle and print the ranked queue."""
    from icp.evaluators.offline import OfflineEvaluator

    context = app_context(ctx)
    engine = context.engine
    with Session(engine) as session:
        loaded = load_samples(session)
    c = loaded.companies
    console.print(
        f"[bold]Sample data[/bold] in {engine.url.render_as_string(hide_password=True)}: "
        f"{len(loaded.segments.created)} segments created "
        f"({len(loaded.segments.unchanged) + len(loaded.segments.updated)} already there), "
        f"{c.created} companies created, {c.unchanged + c.updated} already there, {c.rejected} rejected; "
        f"{loaded.signals} signals; {len(loaded.motions)} motions created; {loaded.deals} deals."
    )
    evaluator = OfflineEvaluator()
    report = _run_with_progress(
        engine,
        evaluator,
        default_concurrency(evaluator, 1),
        None,
        None,
        show=True,
        policy=context.settings.scoring_policy(),
    )
    print_cycle_report(report)
    with Session(engine) as session:
        page = account_queue(session, limit=limit)
        entries = account_entries(session, page)
    queue_table(
        entries,
        f"Work list (top {limit} of {page.total} accounts, each once under its primary segment)",
        {r.company_id: r.also_in for r in page.rows},
    )
    if entries:
        top = entries[0]
        console.print(
            f"\n[bold]Why is {shown(top.company_name)} {top.tier} in {shown(top.segment)}?[/bold] {shown(top.summary)}"
        )
        for criterion in top.criteria:
            evidence = f" — {shown(criterion.evidence)}" if criterion.evidence else ""
            console.print(f"  {VERDICT_MARK[criterion.verdict]} {criterion.id} {shown(criterion.text)}{evidence}")
    with Session(engine) as session:
        outcomes = outcome_report(session, regrade=True, policy=context.settings.scoring_policy())
    console.print(
        "\n[bold]Would the segments have picked the deals you won?[/bold] "
        "(sample deals; the demo has no earlier cycles, so today's data is graded against each segment)"
    )
    for segment in outcomes:
        console.print(f"  {shown(segment.segment)}: {segment.reading}", highlight=False)
    console.print(
        "\nNext: `icp queue --segment 'Mid-Market B2B SaaS' --explain`, `icp tasks list`, "
        "`icp grade --segment NAME --company DOMAIN`, `icp outcomes report --regrade`, "
        "`icp segments backtest --segment 'Mid-Market B2B SaaS'`.\n"
        "Open the app on the same database: `streamlit run ui/app.py`"
    )

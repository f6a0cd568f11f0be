"""``icp cycle``: run prospecting cycles and read their history."""

from __future__ import annotations

import time
from collections.abc import Callable

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import Engine
from sqlmodel import Session

from icp.cli._context import app_context
from icp.cli._output import FORMAT_OPTION_HELP, OutputFormat, console, emit, err_console, short_time
from icp.cli.alerts import send_after_cycle
from icp.cli.crm import push_after_cycle
from icp.cycle import (
    CycleProgress,
    CycleReport,
    UsageEstimator,
    default_concurrency,
    estimate_cycle,
    run_cycle,
    usage_estimator,
)
from icp.errors import InputError
from icp.evaluators.base import Evaluator
from icp.evaluators.factory import make_evaluator
from icp.lease import LeaseInfo
from icp.scoring import DEFAULT_POLICY, ScoringPolicy
from icp.trends import cycle_history, segment_overlaps

app = typer.Typer(
    help="Run prospecting cycles: grade what changed, snapshot memberships, generate ranked tasks.",
    no_args_is_help=True,
)

FORMAT = typer.Option(OutputFormat.table, "--format", "-f", help=FORMAT_OPTION_HELP)
BATCH_HINT_PAIRS = 500  # from here on, a dry run of an LLM cycle mentions the Batch API
EVALUATOR_HELP = (
    "offline (rules, free, no network), llm (OpenAI-compatible endpoint) or hybrid (rules first, LLM for the "
    "rest). Default: hybrid when ICP_OPENAI_API_KEY is set, else offline."
)


@app.command("run")
def run(
    ctx: typer.Context,
    evaluator: str | None = typer.Option(None, "--evaluator", "-e", help=EVALUATOR_HELP),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print how many pairs would be graded and the estimated cost; grade nothing."
    ),
    budget: float | None = typer.Option(
        None,
        "--budget",
        min=0,
        help="Stop grading before spending more than this many USD; the rest waits for the next cycle.",
    ),
    concurrency: int | None = typer.Option(
        None,
        "--concurrency",
        "-c",
        min=1,
        help="Pairs graded at once: requests in flight for LLM evaluators (default ICP_CONCURRENCY), "
        "worker processes for the offline rules (default: one per core).",
    ),
    wait: bool = typer.Option(
        False,
        "--wait",
        help="When another cycle is running on this database, wait for it to finish instead of exiting 3.",
    ),
    limit: int | None = typer.Option(
        None,
        "--limit",
        min=1,
        help="A trial: grade at most this many pairs (stored, and reused by the next cycle) and leave the queue, "
        "memberships and tasks as they are. Try a new model or endpoint on a few pairs first.",
    ),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Run a cycle: pin the current segment versions, grade what changed, write memberships and tasks.

    One cycle runs at a time per database: while another runs, this says which and since when and exits 3
    (or, with --wait, starts when it has finished).
    """
    context = app_context(ctx)
    chosen = make_evaluator(evaluator, context.settings)
    estimator = usage_estimator(chosen)
    if dry_run:
        estimate = estimate_cycle(context.engine, chosen, estimator=estimator)
        if fmt is OutputFormat.table:
            console.print(
                f"A cycle with the {estimate.evaluator} evaluator would grade "
                f"[bold]{estimate.pairs_to_grade}[/bold] of "
                f"{estimate.pairs_total} pairs ({estimate.pairs_reused} reused) "
                f"across {len(estimate.pinned)} segments.\n"
                f"Estimated cost: [bold]${estimate.estimated_cost_usd:.4f}[/bold] "
                f"({estimate.estimated_tokens_in:,} tokens in, {estimate.estimated_tokens_out:,} out; "
                f"{estimate.basis})."
            )
            if estimate.evaluator == "llm" and estimate.pairs_to_grade >= BATCH_HINT_PAIRS:
                console.print(
                    f"Tip: `icp batch submit` grades these pairs through the Batch API for about "
                    f"${estimate.estimated_cost_usd / 2:.4f} (half price, answers within 24 hours)."
                )
        else:
            emit(
                [estimate.model_dump(mode="json", exclude={"pinned"})],
                fmt,
                json_payload=estimate.model_dump(mode="json"),
            )
        return
    identity = chosen.identity
    unpriced = identity.model is not None and context.settings.price_of(identity.model) is None
    if budget is not None and identity.evaluator != "offline" and unpriced:
        raise InputError(
            f"--budget needs a price for {identity.model!r}, and icp has none. Set it in USD per million "
            f'tokens, e.g. ICP_PRICES=\'{{"{identity.model}": {{"input": 0.15, "output": 0.6}}}}\' '
            "(use 0 for a local server you do not pay per token), or run without --budget."
        )
    workers = concurrency or default_concurrency(chosen, context.settings.concurrency)
    report = _run_with_progress(
        context.engine,
        chosen,
        workers,
        budget,
        estimator,
        show=fmt is OutputFormat.table,
        policy=context.settings.scoring_policy(),
        wait=wait,
        limit=limit,
    )
    if report.status in ("completed", "partial"):
        send_after_cycle(ctx, report.cycle_id)
        push_after_cycle(ctx)
    if fmt is OutputFormat.table:
        print_cycle_report(report)
        with Session(context.engine) as session:
            for overlap in segment_overlaps(session, cycle_id=report.cycle_id):
                console.print(
                    f"[yellow]Overlap:[/yellow] {overlap.segment_a} and {overlap.segment_b} share {overlap.shared} "
                    f"members (Jaccard {overlap.jaccard:.2f}). {overlap.suggestion}"
                )
    else:
        emit(
            [report.model_dump(mode="json", exclude={"pinned", "failures"})],
            fmt,
            json_payload=report.model_dump(mode="json"),
        )
    if report.status not in ("completed", "partial", "trial"):
        raise typer.Exit(1)


def _run_with_progress(
    engine: Engine,
    evaluator: Evaluator,
    concurrency: int,
    budget: float | None,
    estimator: UsageEstimator | None,
    *,
    show: bool,
    policy: ScoringPolicy = DEFAULT_POLICY,
    wait: bool = False,
    limit: int | None = None,
) -> CycleReport:
    """Run a cycle with a progress bar (pairs done / total, reused, graded, failed, cost so far)."""
    progress = Progress(
        TextColumn("[bold]Grading[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not show,
    )
    last = 0.0
    with progress:
        task = progress.add_task("cycle", total=None, detail="")

        def on_progress(p: CycleProgress) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last < 0.1 and p.done < p.total:
                return
            last = now
            detail = f"reused {p.reused} · graded {p.graded} · failed {p.failed} · ${p.cost_usd:.4f}"
            progress.update(task, total=p.total, completed=p.done, detail=detail)

        report = run_cycle(
            engine,
            evaluator,
            concurrency=concurrency,
            budget_usd=budget,
            estimator=estimator,
            on_progress=on_progress,
            policy=policy,
            wait=wait,
            on_wait=_waiting_message(),
            limit=limit,
        )
        progress.update(task, completed=report.pairs_total - report.pairs_deferred)
    return report


def _waiting_message() -> Callable[[LeaseInfo], None]:
    """Say once which cycle this one waits for (again only when that changes), on stderr."""
    told: list[str] = []

    def on_wait(holder: LeaseInfo) -> None:
        if told and told[-1] == holder.holder:
            return
        told.append(holder.holder)
        err_console.print(
            f"Waiting for {holder.describe()} to finish; this cycle starts when it has "
            f"(its lease is renewed until {holder.expires_at.strftime('%H:%M:%S UTC')}). Ctrl-C to stop waiting."
        )

    return on_wait


def print_cycle_report(report: CycleReport) -> None:
    """A few lines a person can read after a cycle."""
    colour = "green" if report.status == "completed" else "yellow"
    console.print(
        f"Cycle {report.cycle_id} [{colour}]{report.status}[/{colour}] ({report.evaluator}): "
        f"{report.pairs_total} pairs — {report.pairs_graded} graded, {report.pairs_reused} reused, "
        f"{report.pairs_failed} failed, {report.pairs_deferred} deferred; "
        f"{report.tokens_in + report.tokens_out:,} tokens, ${report.cost_usd:.4f}; "
        f"{report.tasks_created} tasks created."
    )
    if report.note:
        console.print(f"  [yellow]note[/yellow] {report.note}")
    for failure in report.failures[:10]:
        console.print(f"  [red]failed[/red] {failure}")
    if len(report.failures) > 10:
        console.print(f"  … and {len(report.failures) - 10} more; they are retried by the next cycle.")


@app.command("history")
def history(ctx: typer.Context, limit: int = typer.Option(20, "--limit", "-n"), fmt: OutputFormat = FORMAT) -> None:
    """Past cycles, newest first: status, pairs graded/reused/failed, tokens and cost."""
    with Session(app_context(ctx).engine) as session:
        cycles = cycle_history(session, limit)
    rows = [c.model_dump(mode="json") for c in cycles]
    compact = [
        {
            "cycle": c.id,
            "started": short_time(c.started_at),
            "status": c.status,
            "evaluator": c.evaluator if not c.model or c.evaluator == "offline" else f"{c.evaluator} ({c.model})",
            "graded/reused/failed": f"{c.pairs_graded}/{c.pairs_reused}/{c.pairs_failed}"
            + (f" (+{c.pairs_deferred} deferred)" if c.pairs_deferred else ""),
            "cost": f"${c.cost_usd:.4f}",
            "tasks": c.tasks_created,
        }
        for c in cycles
    ]
    emit(
        rows,
        fmt,
        columns=[
            "id",
            "status",
            "evaluator",
            "segments",
            "pairs_total",
            "pairs_graded",
            "pairs_reused",
            "pairs_failed",
            "pairs_deferred",
            "cost_usd",
            "tasks_created",
            "started_at",
        ],
        title="Cycles",
        empty_message="No cycles yet. Run one with `icp cycle run`.",
        table_rows=compact,
    )

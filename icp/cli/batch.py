"""``icp batch``: grade a large LLM cycle through the provider's Batch API at half the price."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from icp.cli._context import app_context
from icp.cli._output import FORMAT_OPTION_HELP, OutputFormat, console, emit, short_time

if TYPE_CHECKING:
    from openai import OpenAI

    from icp.batch import BatchInfo
    from icp.evaluators.llm import LLMEvaluator

app = typer.Typer(
    help=(
        "Grade through the provider's Batch API: half the price, answers within 24 hours.\n\n"
        "`icp batch submit` sends every pair the next LLM cycle would grade; `icp batch collect` stores the "
        "answers as grades once the batch has finished; then `icp cycle run --evaluator llm` reuses them and "
        "pays for nothing twice. While a batch is open, cycles leave its pairs to it."
    ),
    no_args_is_help=True,
)
FORMAT = typer.Option(OutputFormat.table, "--format", "-f", help=FORMAT_OPTION_HELP)
COLUMNS = [
    "id", "provider_batch_id", "status", "collected", "pairs", "requests_completed", "requests_failed",
    "grades_ok", "grades_failed", "unanswered", "cost_usd", "created_at",
]  # fmt: skip


def _llm(ctx: typer.Context) -> tuple[LLMEvaluator, OpenAI]:
    from icp.evaluators.llm import LLMEvaluator, make_openai_client

    settings = app_context(ctx).settings
    client = make_openai_client(settings)
    return LLMEvaluator(client, settings), client


def _rows(batches: list[BatchInfo]) -> list[dict[str, Any]]:
    return [{**b.model_dump(), "created_at": short_time(b.created_at)} for b in batches]


@app.command("submit")
def submit(
    ctx: typer.Context,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Say how many pairs would be sent and the cost; send nothing."
    ),
    max_pairs: int | None = typer.Option(None, "--max-pairs", min=1, help="Send at most this many pairs."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Send every pair the next LLM cycle would grade as one batch (uses ICP_MODEL, ICP_PROMPT, the API key)."""
    from icp.batch import BatchPlan, submit_batch

    evaluator, client = _llm(ctx)
    try:
        result = submit_batch(app_context(ctx).engine, evaluator, client, dry_run=dry_run, max_pairs=max_pairs)
    finally:
        client.close()
    if fmt is OutputFormat.json:
        typer.echo(result.model_dump_json(indent=2))
        return
    if isinstance(result, BatchPlan):
        verb = "Would send" if dry_run else "Nothing to send:"
        console.print(
            f"{verb} [bold]{result.pairs_to_submit}[/bold] of {result.pairs_total} pairs "
            f"({result.pairs_reused} already graded, {result.pairs_waiting} in open batches) to {result.model}; "
            f"about ${result.estimated_cost_usd:.4f} at the batch price."
        )
        return
    console.print(
        f"Submitted batch #{result.id} ({result.provider_batch_id}): {result.pairs} pairs. "
        "Check it with `icp batch status`; store its answers with `icp batch collect`."
    )


@app.command("status")
def status(ctx: typer.Context, fmt: OutputFormat = FORMAT) -> None:
    """Ask the provider how the open batches are doing, then list every batch."""
    from sqlmodel import Session

    from icp.batch import list_batches, refresh_batches

    engine = app_context(ctx).engine
    with Session(engine) as session:
        open_batches = [b for b in list_batches(session) if not b.collected]
    if open_batches:
        evaluator, client = _llm(ctx)
        try:
            refresh_batches(engine, evaluator, client)
        finally:
            client.close()
    with Session(engine) as session:
        batches = list_batches(session)
    emit(
        _rows(batches),
        fmt,
        columns=COLUMNS,
        title="LLM batches",
        empty_message="No batches yet. Send one with `icp batch submit`.",
        json_payload=[b.model_dump(mode="json") for b in batches],
    )


@app.command("collect")
def collect(
    ctx: typer.Context,
    wait: bool = typer.Option(
        False, "--wait", help="Wait until every open batch has finished, showing progress, then collect."
    ),
    poll_seconds: float = typer.Option(60.0, "--poll-seconds", min=0.0, help="How often --wait asks the provider."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Store the answers of every finished batch as grades; the next `icp cycle run --evaluator llm` uses them."""
    from icp.batch import collect_batches

    settings = app_context(ctx).settings
    engine = app_context(ctx).engine
    evaluator, client = _llm(ctx)
    try:
        if wait:
            _wait_for_batches(engine, evaluator, client, poll_seconds, quiet=fmt is not OutputFormat.table)
        collected = collect_batches(engine, evaluator, client, policy=settings.scoring_policy())
    finally:
        client.close()
    emit(
        _rows(collected),
        fmt,
        columns=COLUMNS,
        title="Collected batches",
        empty_message="No finished batch to collect. `icp batch status` shows where they are.",
        json_payload=[b.model_dump(mode="json") for b in collected],
    )
    if collected and fmt is OutputFormat.table:
        console.print("Next: `icp cycle run --evaluator llm` reuses these grades and writes the queue and tasks.")


def _wait_for_batches(
    engine: Any, evaluator: LLMEvaluator, client: OpenAI, poll_seconds: float, *, quiet: bool
) -> None:
    """Poll the open batches until none is still running, with a progress bar of answered requests."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from icp.batch import FINAL_STATUSES, refresh_batches

    with Progress(
        TextColumn("Waiting for batches"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
    ) as progress:
        task = progress.add_task("", total=None)
        while True:
            batches = refresh_batches(engine, evaluator, client)
            running = [b for b in batches if b.status not in FINAL_STATUSES]
            done = sum(b.requests_completed + b.requests_failed for b in batches)
            total = sum(b.pairs for b in batches)
            statuses = ", ".join(sorted({b.status for b in batches})) or "none open"
            progress.update(task, completed=done, total=total or None, description=statuses)
            if not running:
                return
            time.sleep(poll_seconds)


@app.command("cancel")
def cancel(
    ctx: typer.Context, batch_id: int = typer.Argument(..., help="The batch number from `icp batch status`.")
) -> None:
    """Ask the provider to stop a batch; answers it already has are still collected."""
    from icp.batch import cancel_batch

    evaluator, client = _llm(ctx)
    try:
        info = cancel_batch(app_context(ctx).engine, evaluator, client, batch_id)
    finally:
        client.close()
    console.print(f"Batch #{info.id} is {info.status}. Collect what it answered with `icp batch collect`.")

"""``icp worker``: run cycles on the schedule in ICP_CYCLE_SCHEDULE, and show what the workers did."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import FrameType

import typer

from icp.cli._context import app_context
from icp.cli._output import FORMAT_OPTION_HELP, OutputFormat, console, emit, short_time, shown
from icp.cli.cycle import EVALUATOR_HELP
from icp.errors import ConfigError
from icp.evaluators.factory import make_evaluator
from icp.schedule import START_HINT, FiringOutcome, Worker, configured_schedule, schedule_status

logger = logging.getLogger("icp.schedule")

app = typer.Typer(
    help="Run prospecting cycles on a schedule, with their follow-ups (tier-change alerts, CRM push).\n\n"
    "`icp worker` runs until stopped: it sleeps until the next time ICP_CYCLE_SCHEDULE names (a cron "
    'expression such as "0 6 * * 1-5", read in ICP_CYCLE_TIMEZONE, default UTC), runs a cycle with the configured '
    "evaluator exactly as `icp cycle run` does, then the follow-ups in ICP_CYCLE_FOLLOW_UPS (default: alerts), "
    "and logs one line when each run starts and ends. Any number of workers may share one database: each "
    "scheduled run happens once. A run missed while no worker was up runs when one starts (if at most "
    "ICP_CYCLE_CATCH_UP_HOURS old); a run whose worker was killed mid-cycle is resumed by the next one.\n\n"
    "SIGTERM or Ctrl-C: a sleeping worker exits at once; one in a cycle stops the cycle as Ctrl-C stops "
    "`icp cycle run` (its grades are kept, the next run resumes it) and exits.",
    invoke_without_command=True,
    no_args_is_help=False,
)


@app.callback()
def worker(
    ctx: typer.Context,
    once: bool = typer.Option(
        False,
        "--once",
        help="Run the scheduled run that is due now (the latest slot, if no worker ran it and it is recent "
        "enough), then exit: for cron-driven setups and for trying the schedule out.",
    ),
    evaluator: str | None = typer.Option(None, "--evaluator", "-e", help=EVALUATOR_HELP),
    budget: float | None = typer.Option(
        None,
        "--budget",
        min=0,
        help="Spending limit of each scheduled cycle in USD (default ICP_CYCLE_BUDGET_USD, none when unset).",
    ),
) -> None:
    """Run cycles on the schedule (see `icp worker --help`)."""
    if ctx.invoked_subcommand is not None:
        return
    context = app_context(ctx)
    settings = context.settings
    schedule = configured_schedule(settings)
    if schedule is None:
        raise ConfigError(f"No cycle schedule is set. {START_HINT}")
    make_evaluator(evaluator, settings)  # a missing key or unknown evaluator stops here, before any run
    _log_with_times()
    runner = Worker(
        context.engine,
        settings,
        schedule,
        lambda: make_evaluator(evaluator, settings),
        budget_usd=budget,
    )
    with _stop_on_signals(runner):
        if once:
            outcome = runner.run_once()
            if outcome is None:
                console.print(
                    f"Nothing is due: the latest scheduled time, {_local(schedule.latest_at_or_before(_now()))}, is "
                    f"more than {settings.cycle_catch_up_hours:g} hours ago (ICP_CYCLE_CATCH_UP_HOURS). Next run: "
                    f"{_local(schedule.next_after(_now()))}.",
                    markup=False,
                )
                return
            _print_outcome(outcome)
            if outcome.report is None and outcome.action in ("ran", "resumed"):
                raise typer.Exit(1)
            if outcome.report is not None and outcome.report.status == "failed":
                raise typer.Exit(1)
            return
        runner.run_forever()


def _now() -> datetime:
    return datetime.now(UTC)


def _local(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _print_outcome(outcome: FiringOutcome) -> None:
    when = _local(outcome.slot)
    report = outcome.report
    if report is None:
        console.print(f"Scheduled run for {when}: {outcome.action} — {shown(outcome.detail)}")
        return
    console.print(
        f"Scheduled run for {when} {outcome.action}: cycle {report.cycle_id} {report.status} — "
        f"{report.pairs_total} pairs, {report.pairs_graded} graded, {report.pairs_reused} reused, "
        f"{report.pairs_failed} failed, {report.pairs_deferred} deferred; {report.tasks_created} tasks; "
        f"${report.cost_usd:.4f}."
    )
    for follow_up in outcome.follow_ups:
        console.print(f"  follow-up {shown(follow_up.name)}: {follow_up.status} ({shown(follow_up.detail)})")


def _log_with_times() -> None:
    """The worker is a service: its run lines carry a timestamp and show without --verbose."""
    logging.getLogger("icp.schedule").setLevel(logging.INFO)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler:
            handler.setFormatter(formatter)


@contextmanager
def _stop_on_signals(runner: Worker) -> Iterator[None]:
    """SIGTERM and SIGINT stop the worker: at once while it sleeps, by interrupting the cycle while one runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        in_cycle = runner.in_cycle
        if not runner.stopping:
            logger.info(
                "%s received: %s",
                signal.Signals(signum).name,
                "stopping the running cycle" if in_cycle else "stopping",
            )
        runner.stop()
        if in_cycle:
            raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@app.command("status")
def status(
    ctx: typer.Context,
    limit: int = typer.Option(10, "--limit", "-n", min=1, help="How many of the latest scheduled runs to list."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help=FORMAT_OPTION_HELP),
) -> None:
    """The schedule in words, the next scheduled runs and the latest runs of the workers."""
    context = app_context(ctx)
    found = schedule_status(context.engine, context.settings, _now(), limit=limit)
    if fmt is OutputFormat.json:
        emit([], fmt, json_payload=found.model_dump(mode="json"))
        return
    rows = [
        {
            "slot": short_time(r.slot),
            "status": r.status,
            "cycle": r.cycle_id,
            "graded/reused/failed": f"{r.pairs_graded}/{r.pairs_reused}/{r.pairs_failed}",
            "tasks": r.tasks_created,
            "cost": f"${r.cost_usd:.4f}",
            "worker": r.worker + (f" (attempt {r.attempts})" if r.attempts > 1 else ""),
            "follow-ups": ", ".join(f"{f.get('name')} {f.get('status')}" for f in r.follow_ups),
            "started": short_time(r.started_at),
            "finished": short_time(r.finished_at),
            "error": r.error,
        }
        for r in found.runs
    ]
    if fmt is OutputFormat.csv:
        emit(rows, fmt)
        return
    if found.expression is None:
        console.print(f"No cycle schedule. {START_HINT}", markup=False)
    else:
        console.print(f"Schedule: {found.description} — cron {found.expression!r}", markup=False)
        console.print("Next runs: " + ", ".join(_local(n) for n in found.next_runs), markup=False)
        console.print("Follow-ups: " + (", ".join(found.follow_ups) or "none"), markup=False)
    if found.running:
        console.print(f"Running now: {found.running}", markup=False)
    compact = [
        {
            k: row[k]
            for k in ("slot", "status", "cycle", "graded/reused/failed", "tasks", "worker", "follow-ups", "error")
        }
        for row in rows
    ]
    emit(
        rows,
        fmt,
        table_rows=compact,
        title="Scheduled runs (all times UTC)",
        empty_message="No scheduled runs yet. Start the worker with `icp worker` (or run one: `icp worker --once`).",
    )

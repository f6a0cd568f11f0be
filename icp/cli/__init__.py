"""The ``icp`` command. Thin: every command parses arguments, calls the library and prints.

Each command group lives in its own module and is registered here.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import typer
import typer.main
from rich.markup import escape

from icp.cli._context import AppContext
from icp.cli._output import as_typed, err_console
from icp.errors import ICPError, LeaseHeldError
from icp.redact import RedactingFilter, redact
from icp.settings import Settings

EXIT_BUSY = 3
"""Exit status when another cycle holds the database's cycle lease."""

app = typer.Typer(
    name="icp",
    help=(
        "Grade every account against your Ideal Customer Profile segments and turn fit into ranked prospecting "
        "tasks.\n\nStart with `icp demo`, which loads sample segments and companies, runs a cycle with the offline "
        "evaluator (no API key, no network) and prints the ranked queue.\n\n"
        "The command acts as the **local operator**: an admin, recorded as 'local operator' in the audit trail "
        "(`icp audit`)."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None,
        "--db",
        help="Database: a SQLite file path or a SQLAlchemy URL. Overrides ICP_DATABASE_URL (default: ./icp.db).",
        envvar=None,
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what is happening to stderr."),
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=lambda show: _show_version(show), help="Show the version and exit."
    ),
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:  # every log line leaves without credentials
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    overrides: dict[str, object] = {}
    if db:
        overrides["database_url"] = db if "://" in db else f"sqlite:///{db}"
    ctx.obj = AppContext(settings=Settings(**overrides))  # type: ignore[arg-type]


def _show_version(show: bool) -> None:
    if show:
        from importlib.metadata import version

        typer.echo(f"icp {version('icp')}")
        raise typer.Exit()


def _register() -> None:
    from icp.cli import (
        alerts,
        batch,
        companies,
        crm,
        cycle,
        demo,
        evals,
        grade,
        llm,
        outcomes,
        segments,
        team,
        verdicts,
        work,
        worker,
    )

    app.command("demo")(demo.demo)
    app.add_typer(segments.app, name="segments")
    app.add_typer(companies.app, name="companies")
    app.add_typer(cycle.app, name="cycle")
    app.command("queue")(work.queue)
    app.command("grade")(grade.grade)
    app.command("changes")(work.changes)
    app.add_typer(work.motions_app, name="motions")
    app.add_typer(work.tasks_app, name="tasks")
    app.add_typer(verdicts.app, name="verdicts")
    app.add_typer(outcomes.app, name="outcomes")
    app.add_typer(alerts.app, name="alerts")
    app.add_typer(crm.app, name="crm")
    app.add_typer(evals.app, name="evals")
    app.add_typer(llm.app, name="llm")
    app.add_typer(batch.app, name="batch")
    app.add_typer(worker.app, name="worker")
    app.add_typer(team.members_app, name="members")
    app.command("audit")(team.audit)


_register()


def _command() -> Any:
    """The command tree, with the hints in every help text ("Start with `icp demo`") written as they run from here."""
    command = typer.main.get_command(app)
    _retype(command)
    return command


def _retype(command: Any) -> None:
    command.help = as_typed(command.help) if command.help else command.help
    command.short_help = as_typed(command.short_help) if command.short_help else command.short_help
    for param in command.params:
        if getattr(param, "help", None):  # options have help; arguments have none
            param.help = as_typed(param.help)
    for sub in getattr(command, "commands", {}).values():
        _retype(sub)


def main() -> None:
    """Console-script entry point: runs the app and turns library errors into a readable message.

    Usage errors (an unknown option, a missing argument) print the usage line and exit 2; library
    errors print one line and exit 1 (3 when another cycle holds the database's cycle lease); none
    shows a traceback, and none shows a credential.
    """
    try:
        _command()()  # standalone: typer prints usage errors itself and exits with their code
    except LeaseHeldError as exc:
        err_console.print(f"[bold yellow]Busy:[/bold yellow] {escape(redact(str(exc)))}")
        sys.exit(EXIT_BUSY)
    except ICPError as exc:
        err_console.print(f"[bold red]Error:[/bold red] {escape(redact(str(exc)))}")
        sys.exit(1)

"""The ``icp`` command. Thin: every command parses arguments, calls the library and prints.

Each command group lives in its own module and is registered here.
"""

from __future__ import annotations

import logging
import sys

import click
import typer

from icp.cli._context import AppContext
from icp.cli._output import err_console
from icp.errors import ICPError
from icp.settings import Settings

app = typer.Typer(
    name="icp",
    help=(
        "Grade every account against your Ideal Customer Profile segments and turn fit into ranked prospecting "
        "tasks.\n\nStart with `icp demo`, which loads sample segments and companies, runs a cycle with the offline "
        "evaluator (no API key, no network) and prints the ranked queue."
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
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    overrides: dict[str, object] = {}
    if db:
        overrides["database_url"] = db if "://" in db else f"sqlite:///{db}"
    ctx.obj = AppContext(settings=Settings(**overrides))  # type: ignore[arg-type]


def _register() -> None:
    from icp.cli import companies, cycle, demo, evals, grade, llm, segments, work

    app.command("demo")(demo.demo)
    app.add_typer(segments.app, name="segments")
    app.add_typer(companies.app, name="companies")
    app.add_typer(cycle.app, name="cycle")
    app.command("queue")(work.queue)
    app.command("grade")(grade.grade)
    app.command("changes")(work.changes)
    app.add_typer(work.motions_app, name="motions")
    app.add_typer(work.tasks_app, name="tasks")
    app.add_typer(evals.app, name="evals")
    app.add_typer(llm.app, name="llm")


_register()


def main() -> None:
    """Console-script entry point: runs the app and turns library errors into a readable message."""
    try:
        code = app(standalone_mode=False)
    except ICPError as exc:
        err_console.print(f"[bold red]Error:[/bold red] {exc}")
        sys.exit(1)
    except typer.Abort:
        err_console.print("Aborted.")
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:  # usage errors arrive here in non-standalone mode
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)

"""``icp verdicts``: confirm or correct a criterion's verdict for a company, and list confirmations."""

from __future__ import annotations

import typer
from sqlmodel import Session

from icp.cli._context import app_context
from icp.cli._output import FORMAT_OPTION_HELP, OutputFormat, console, emit, short_time
from icp.confirmations import confirm_verdict, criterion_text, list_confirmations
from icp.domain import Verdict

app = typer.Typer(
    help="Confirmed verdicts: what a person found out about a criterion the data could not settle.",
    no_args_is_help=True,
)


@app.command("confirm")
def confirm(
    ctx: typer.Context,
    domain: str = typer.Argument(..., help="The company's domain, e.g. acme.io."),
    criterion: str = typer.Option(
        ..., "--criterion", "-c", help="The criterion: its id with --segment (R1, N2), or its text."
    ),
    verdict: Verdict = typer.Option(..., "--verdict", "-v", help="met, not_met or unknown."),
    author: str = typer.Option(..., "--author", "-a", help="Who confirms it (kept with the verdict)."),
    segment: str | None = typer.Option(None, "--segment", "-s", help="The segment whose criterion id you give."),
    note: str = typer.Option("", "--note", "-n", help="How you know, e.g. 'pricing page lists card payments'."),
    evidence: str = typer.Option("", "--evidence", "-e", help="A source or quote to show as the evidence."),
) -> None:
    """Record a person's verdict on one criterion for one company.

    It overrides the evaluator's verdict for that company wherever the same criterion text is asked, from
    the next cycle on, until the company's data changes (then the company is re-graded and the confirmation
    is shown as stale). Example: `icp verdicts confirm acme.io --segment "EU Fintech" --criterion R1
    --verdict met --author dana --note "card issuing is their product"`.
    """
    with Session(app_context(ctx).engine) as session:
        text = criterion_text(session, segment, criterion) if segment else criterion
        info = confirm_verdict(session, domain, text, verdict, author=author, note=note, evidence=evidence)
    console.print(
        f"Confirmed {info.criterion!r} = {info.verdict} for {info.company_name} ({info.domain}), by {info.author}. "
        "The next cycle (`icp cycle run`) uses it.",
        markup=False,
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    domain: str | None = typer.Option(None, "--company", help="Only this company's confirmations."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help=FORMAT_OPTION_HELP),
) -> None:
    """Confirmed verdicts, newest first; 'stale' ones no longer apply because the company's data changed."""
    with Session(app_context(ctx).engine) as session:
        found = list_confirmations(session, domain=domain)
    rows = [{**c.model_dump(mode="json"), "created_at": short_time(c.created_at)} for c in found]
    emit(
        rows,
        fmt,
        columns=["id", "domain", "criterion", "verdict", "stale", "author", "note", "created_at"],
        title="Confirmed verdicts",
        empty_message="No confirmed verdicts yet. Record one with `icp verdicts confirm DOMAIN ...`.",
        json_payload=[c.model_dump(mode="json") for c in found],
    )

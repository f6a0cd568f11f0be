"""``icp llm``: check the LLM endpoint the llm and hybrid evaluators use."""

from __future__ import annotations

import typer

from icp.cli._context import app_context
from icp.cli._output import OutputFormat, console, err_console
from icp.errors import ConfigError

app = typer.Typer(
    help="The LLM endpoint: check that the key, base URL, model and mode work before running a cycle.",
    no_args_is_help=True,
)


@app.command("check")
def check(
    ctx: typer.Context,
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help="table (for people) or json."),
) -> None:
    """Send one tiny request to the configured endpoint and say what is wrong, if anything.

    Uses ICP_OPENAI_BASE_URL, ICP_OPENAI_API_KEY, ICP_MODEL and ICP_LLM_MODE. Exits 1 unless the endpoint works.
    """
    from icp.evaluators.llm import make_openai_client  # the SDK loads only for the commands that use it
    from icp.llm_check import check_endpoint

    settings = app_context(ctx).settings
    try:
        client = make_openai_client(settings)
    except ConfigError as exc:
        err_console.print(f"[bold red]no_key[/bold red]: {exc}")
        raise typer.Exit(1) from exc
    try:
        diagnosis = check_endpoint(client, settings)
    finally:
        client.close()
    if fmt is OutputFormat.json:
        typer.echo(diagnosis.model_dump_json(indent=2))
    else:
        mark = "[bold green]ok[/bold green]" if diagnosis.ok else f"[bold red]{diagnosis.status}[/bold red]"
        console.print(f"Endpoint: {diagnosis.base_url}  model: {diagnosis.model}  mode: {diagnosis.mode}")
        console.print(f"{mark}: {diagnosis.message}", highlight=False)
        if diagnosis.hint:
            console.print(f"[dim]hint:[/dim] {diagnosis.hint}", highlight=False)
    raise typer.Exit(0 if diagnosis.ok else 1)

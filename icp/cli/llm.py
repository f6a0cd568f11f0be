"""``icp llm``: check the LLM endpoint the llm and hybrid evaluators use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from icp.cli._context import app_context
from icp.cli._output import OutputFormat, console, err_console
from icp.errors import ConfigError

if TYPE_CHECKING:
    from icp.llm_check import EndpointDiagnosis
    from icp.llm_probe import EndpointProfile

app = typer.Typer(
    help="The LLM endpoint: check that the key, base URL, model and mode work before running a cycle.",
    no_args_is_help=True,
)

# The endpoint answered, so what it supports can be probed (a bad key or URL fails every probe alike).
_PROBE_AFTER = ("ok", "no_json_schema", "error")


@app.command("check")
def check(
    ctx: typer.Context,
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help="table (for people) or json."),
    probe: bool = typer.Option(
        True, "--probe/--no-probe", help="Also probe response formats, system role, Batch API and parallelism."
    ),
    save: bool = typer.Option(
        False,
        "--save",
        help="Write the settings the probes chose (ICP_LLM_MODE, ICP_LLM_SYSTEM_ROLE, "
        "ICP_CONCURRENCY) into the .env file, keeping its other lines; never writes a key.",
    ),
    env_file: Path = typer.Option(Path(".env"), "--env-file", help="The file --save writes."),
) -> None:
    """Send tiny capped requests to the configured endpoint: say what is wrong and which settings suit it.

    Uses ICP_OPENAI_BASE_URL, ICP_OPENAI_API_KEY, ICP_MODEL and ICP_LLM_MODE. Exits 1 unless the endpoint works
    in the configured mode.
    """
    from icp.evaluators.llm import make_openai_client  # the SDK loads only for the commands that use it
    from icp.llm_check import check_endpoint
    from icp.llm_probe import probe_endpoint

    settings = app_context(ctx).settings
    try:
        client = make_openai_client(settings)
    except ConfigError as exc:
        err_console.print(f"[bold red]no_key[/bold red]: {exc}")
        raise typer.Exit(1) from exc
    profile: EndpointProfile | None = None
    try:
        diagnosis = check_endpoint(client, settings)
        if (probe or save) and diagnosis.status in _PROBE_AFTER:
            profile = probe_endpoint(client, settings)
    finally:
        client.close()
    if fmt is OutputFormat.json:
        payload = diagnosis.model_dump(mode="json")
        if profile is not None:
            payload["probe"] = profile.model_dump(mode="json")
        typer.echo(json.dumps(payload, indent=2))
    else:
        _print(diagnosis, profile)
    if save:
        _save(ctx, profile, env_file)
    raise typer.Exit(0 if diagnosis.ok else 1)


def _print(diagnosis: EndpointDiagnosis, profile: EndpointProfile | None) -> None:
    mark = "[bold green]ok[/bold green]" if diagnosis.ok else f"[bold red]{diagnosis.status}[/bold red]"
    console.print(f"Endpoint: {diagnosis.base_url}  model: {diagnosis.model}  mode: {diagnosis.mode}", highlight=False)
    console.print(f"{mark}: {diagnosis.message}", highlight=False)
    if diagnosis.hint:
        console.print(f"[dim]hint:[/dim] {diagnosis.hint}", highlight=False)
    if profile is None:
        return
    table = Table(title="What the endpoint supports")
    for column in ("probe", "works", "detail"):
        table.add_column(column)
    for capability in profile.capabilities:
        works = {True: "[green]yes[/green]", False: "[red]no[/red]", None: "[yellow]?[/yellow]"}[capability.works]
        table.add_row(capability.name, works, escape(capability.detail))
    console.print(table)
    if profile.settings:
        console.print("Settings to use with this endpoint:")
        for key, value in profile.settings.items():
            console.print(f"  {key}={value}", highlight=False)
    for note in profile.notes:
        console.print(f"[dim]note:[/dim] {escape(note)}", highlight=False)


def _save(ctx: typer.Context, profile: EndpointProfile | None, env_file: Path) -> None:
    from sqlmodel import Session

    from icp.llm_probe import save_settings
    from icp.team import LOCAL_OPERATOR, Permission, record, require

    if profile is None or not profile.settings:
        err_console.print("Nothing saved: the endpoint could not be probed (see the diagnosis above).")
        return
    require(LOCAL_OPERATOR, Permission.CHANGE_SETTINGS)
    written = save_settings(env_file, profile.settings)
    with Session(app_context(ctx).engine) as session:  # who changed which settings, never a key
        record(
            session,
            actor=LOCAL_OPERATOR,
            action="settings.change",
            object_type="settings",
            object_id=str(env_file),
            summary=f"saved {', '.join(written)} to {env_file} (icp llm check --save)",
            after={key: profile.settings[key] for key in written if key in profile.settings},
        )
        session.commit()
    err_console.print(f"Saved {', '.join(written)} to {env_file} (its other lines are unchanged).", highlight=False)

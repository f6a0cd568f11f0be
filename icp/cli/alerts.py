"""``icp alerts``: tier-change digests for SDRs, posted to webhooks after each cycle."""

from __future__ import annotations

import typer
from sqlmodel import Session

from icp.cli._context import app_context
from icp.cli._output import FORMAT_OPTION_HELP, OutputFormat, console, emit, err_console

app = typer.Typer(
    help="Tier-change alerts: after each cycle, accounts that entered T1, left a tier or changed status are "
    "posted to the webhooks in ICP_ALERT_WEBHOOKS (Slack incoming webhooks or a JSON body), one digest per "
    "motion and owner.",
    no_args_is_help=True,
)


def send_after_cycle(ctx: typer.Context, cycle_id: int) -> None:
    """Post a finished cycle's digests to the configured webhooks; a failure is a warning, never an error."""
    from icp.alerts import alert_cycle, delivery_summary

    context = app_context(ctx)
    webhooks = context.settings.alert_webhooks
    if not webhooks:
        return
    deliveries = alert_cycle(context.engine, cycle_id, webhooks)
    if deliveries:
        failed = any(not d.ok for d in deliveries)
        err_console.print(
            f"Alerts: {delivery_summary(deliveries)}" + (" — the cycle itself is unaffected." if failed else "."),
            markup=False,
            highlight=False,
        )


@app.command("show")
def show(
    ctx: typer.Context,
    cycle: int | None = typer.Option(None, "--cycle", help="A cycle id (default: the latest finished one)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help=FORMAT_OPTION_HELP),
) -> None:
    """The digests a cycle produced (or would send), without sending anything."""
    from icp.alerts import cycle_digests
    from icp.queue import latest_cycle_id

    with Session(app_context(ctx).engine) as session:
        cycle_id = cycle or latest_cycle_id(session)
        digests = cycle_digests(session, cycle_id) if cycle_id else []
    rows = [{"motion": d.motion, "owner": d.owner, **c.model_dump(mode="json")} for d in digests for c in d.changes]
    emit(
        rows,
        fmt,
        columns=["motion", "owner", "kind", "segment", "company_name", "from_tier", "to_tier", "to_status", "why"],
        title=f"Alerts of cycle #{cycle_id}" if cycle_id else "Alerts",
        empty_message="No tier or status changes to alert on (they need two finished cycles).",
        json_payload=[d.model_dump(mode="json") for d in digests],
    )


@app.command("test")
def test(ctx: typer.Context) -> None:
    """Send a sample digest to every configured webhook and say what each answered."""
    from icp.alerts import deliver, sample_digest, webhook_label

    webhooks = app_context(ctx).settings.alert_webhooks
    if not webhooks:
        err_console.print(
            "No webhooks configured. Set ICP_ALERT_WEBHOOKS, e.g. "
            "export ICP_ALERT_WEBHOOKS=https://hooks.slack.com/services/T000/B000/XXXX",
            markup=False,
        )
        raise typer.Exit(1)
    sample = sample_digest()
    deliveries = deliver([sample], [w.model_copy(update={"motion": None, "owner": None}) for w in webhooks])
    for webhook, delivery in zip(webhooks, deliveries, strict=True):
        label = webhook_label(webhook)
        if delivery.ok:
            console.print(f"✓ {label} ({webhook.format}): HTTP {delivery.status}", markup=False, highlight=False)
        else:
            console.print(f"✗ {label} ({webhook.format}): {delivery.error}", markup=False, highlight=False)
    if not all(d.ok for d in deliveries):
        raise typer.Exit(1)

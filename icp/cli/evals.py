"""``icp evals``: run golden suites, compare runs, bless baselines, gate releases, mine SDR feedback."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlmodel import Session

from icp.cli._context import app_context
from icp.cli._output import FORMAT_OPTION_HELP, OutputFormat, console, emit, err_console, shown
from icp.errors import ICPError, InputError
from icp.evals.cache import ResponseCache
from icp.evals.cases import default_evals_root, load_suite
from icp.evals.compare import compare_runs
from icp.evals.from_feedback import cases_from_feedback, write_candidates
from icp.evals.gate import EXIT_INFRASTRUCTURE, evaluate_gate, load_policy
from icp.evals.report import (
    comparison_html,
    comparison_junit,
    comparison_markdown,
    metrics_rows,
    run_markdown,
)
from icp.evals.runner import EvaluatorName, RunRecord, eval_settings, make_eval_evaluator, replay_server, run_suite
from icp.evals.store import bless_run, export_run, list_runs, resolve_run, save_run
from icp.redact import redact

app = typer.Typer(
    help=(
        "Prompt regression suites: grade golden cases with an evaluator, compare runs (McNemar, bootstrap), "
        "bless a baseline and gate a release on it."
    ),
    no_args_is_help=True,
)

FORMAT = typer.Option(OutputFormat.table, "--format", "-f", help=FORMAT_OPTION_HELP)
ROOT = typer.Option(None, "--root", help="The evals folder (default: ./evals, else the checkout's).")


def _root(root: Path | None) -> Path:
    return root or default_evals_root()


@app.command("validate")
def validate(
    suite: str = typer.Option("golden", "--suite", "-s", help="Suite name (evals/datasets/<name>) or a path."),
    root: Path | None = ROOT,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Check every case of a suite (errors name the file and line) and count cases per tag."""
    loaded = load_suite(suite, _root(root))
    rows = [{"tag": tag, "cases": n} for tag, n in loaded.tag_counts().items()]
    if fmt is OutputFormat.table:
        console.print(f"Suite [bold]{loaded.name}[/bold]: {len(loaded.cases)} valid cases ({loaded.dataset_hash}).")
    emit(rows, fmt, columns=["tag", "cases"], title="Cases per tag")


@app.command("run")
def run(
    ctx: typer.Context,
    suite: str = typer.Option("golden", "--suite", "-s", help="Suite name (evals/datasets/<name>) or a path."),
    evaluator: str = typer.Option("offline", "--evaluator", "-e", help="offline, llm or hybrid."),
    prompt: str | None = typer.Option(None, "--prompt", "-p", help="Prompt under test, e.g. grade_company@v2."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model under test (default: ICP_MODEL)."),
    repeat: int = typer.Option(1, "--repeat", "-k", min=1, help="Grade every case K times (stability)."),
    concurrency: int | None = typer.Option(
        None, "--concurrency", "-c", min=1, help="Grades in flight (default: ICP_CONCURRENCY; 1 offline)."
    ),
    cache: Path | None = typer.Option(
        None,
        "--cache",
        help="Response cache file (JSONL). Default: <evals>/.cache/llm-responses.jsonl. Point it at "
        "evals/recordings/<file>.jsonl to record.",
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ask the provider every time."),
    replay: Path | None = typer.Option(
        None, "--replay", help="Serve this recording from a local fake OpenAI server: no network, no key."
    ),
    export: Path | None = typer.Option(None, "--export", help="Also write the run as JSON (a portable baseline)."),
    limit: int | None = typer.Option(
        None, "--limit", "-n", min=1, help="Run only the first N cases (after --cases): a quick trial of a model."
    ),
    cases: str | None = typer.Option(
        None,
        "--cases",
        help="Run only cases whose id matches these globs, comma-separated (e.g. 'inj-*,mix-plg-*').",
    ),
    root: Path | None = ROOT,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Run a suite through an evaluator and store the run with its manifest and metrics.

    Answers the model got wrong in form (unusable output, refusals, cut-off answers) are *model failures*:
    counted apart and as wrong in the end-to-end accuracy. Failures of the endpoint (connection, timeout,
    HTTP errors) are *unmeasured*. Exits 1 when most results failed either way.
    """
    context = app_context(ctx)
    if evaluator not in ("offline", "llm", "hybrid"):
        raise InputError(f"Unknown evaluator {evaluator!r}: choose offline, llm or hybrid.")
    name: EvaluatorName = evaluator  # type: ignore[assignment]
    loaded = load_suite(suite, _root(root)).sliced(cases, limit)
    settings = eval_settings(context.settings, prompt=prompt, model=model)
    with ExitStack() as stack:
        response_cache: ResponseCache | None = None
        if name != "offline":
            if replay is not None:
                base_url = stack.enter_context(replay_server(replay))
                # The local replay server has no rate limits; the client-side limiter need not pace it.
                settings = settings.model_copy(
                    update={"openai_base_url": base_url, "requests_per_minute": 1_000_000, "tokens_per_minute": 10**9}
                )
                if settings.openai_api_key is None:
                    from pydantic import SecretStr

                    settings = settings.model_copy(update={"openai_api_key": SecretStr("replay")})
            cache_path = (
                None if no_cache or replay is not None else (cache or _root(root) / ".cache/llm-responses.jsonl")
            )
            response_cache = ResponseCache(cache_path)
        chosen, transport = make_eval_evaluator(name, settings, cache=response_cache)
        if transport is not None:
            stack.callback(transport.close)
        workers = concurrency or (1 if name == "offline" else settings.concurrency)
        show = fmt is OutputFormat.table
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=err_console,
            disable=not show,
            transient=True,
        ) as progress:
            task = progress.add_task(f"{loaded.name} / {name}", total=len(loaded.cases) * repeat, status="", start=True)
            wrong = failed = unmeasured = 0

            def on_result(result, done, total):  # type: ignore[no-untyped-def]
                nonlocal wrong, failed, unmeasured
                if result.model_failed:
                    failed += 1
                elif not result.measured:
                    unmeasured += 1
                elif result.n_correct != result.n_criteria:
                    wrong += 1
                progress.update(
                    task,
                    completed=done,
                    status=f"{wrong} with misses, {failed} model failures, {unmeasured} unmeasured",
                )

            record = run_suite(
                loaded, chosen, repeat=repeat, concurrency=workers, on_result=on_result, transport=transport
            )
    with Session(context.engine, expire_on_commit=False) as session:
        run_id = save_run(session, record)
    record = record.model_copy(update={"id": run_id})
    if export is not None:
        export_run(record, export)
    if fmt is OutputFormat.table:
        console.print(f"Stored eval run [bold]#{run_id}[/bold] ({record.label}).")
        _print_metrics(record)
        if export is not None:
            console.print(f"Exported to {export}.")
    else:
        emit([_summary_row(record)], fmt, json_payload=_run_payload(record))
    reason = mostly_failed(record)
    if reason is not None:
        err_console.print(
            f"[bold red]Run #{run_id} cannot judge the model:[/bold red] {shown(reason)}", highlight=False
        )
        raise typer.Exit(1)


def mostly_failed(record: RunRecord) -> str | None:
    """Why a run whose results mostly failed (model failures or unmeasured) judges nothing, else None."""
    m = record.metrics
    if not m.results or m.failed * 2 <= m.results:
        return None
    parts = []
    if m.model_failures:
        parts.append(f"{m.model_failures} model failure(s) ({_reasons(m.model_failures_by_reason)})")
    if m.unmeasured:
        parts.append(f"{m.unmeasured} unmeasured (the endpoint failed: {_reasons(m.unmeasured_by_reason)})")
    advice = (
        "the model's answers could not be used: try `icp llm check` for the mode and limits this server needs, "
        "or a larger model"
        if m.model_failures >= m.unmeasured
        else "the endpoint failed: check that the server is up and answering (`icp llm check`), then run again"
    )
    first_error = next((r.error for r in record.results if r.error), None)
    example = f" First error: {redact(first_error)[:300]}" if first_error else ""
    return f"{m.failed} of {m.results} results failed: {'; '.join(parts)}. {advice}.{example}"


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason.replace('_', ' ')} x{n}" for reason, n in sorted(counts.items()))


def _summary_row(record: RunRecord) -> dict[str, object]:
    m, x = record.manifest, record.metrics
    return {
        "id": record.id,
        "suite": m.suite,
        "evaluator": m.evaluator,
        "model": m.model,
        "prompt_id": m.prompt_id,
        "cases": x.cases,
        "accuracy": x.accuracy.rate,
        "end_to_end_accuracy": x.end_to_end_accuracy.rate,
        "model_failures": x.model_failures,
        "grounding": x.grounding.rate,
        "unmeasured": x.unmeasured,
        "tokens_in": int(x.tokens_in.total),
        "tokens_out": int(x.tokens_out.total),
        "requests": m.requests,
        "cache_hits": m.cache_hits,
        "cost_usd": x.cost_usd.total,
    }


def _run_payload(record: RunRecord) -> dict[str, object]:
    return {
        "id": record.id,
        "manifest": record.manifest.model_dump(mode="json"),
        "metrics": record.metrics.model_dump(mode="json"),
    }


def _print_metrics(record: RunRecord) -> None:
    emit([{"metric": k, "value": v} for k, v in metrics_rows(record.metrics)], OutputFormat.table)
    wrong = record.metrics.wrong_cases
    if wrong:
        shown = ", ".join(wrong[:15]) + (" ..." if len(wrong) > 15 else "")
        console.print(f"[yellow]{len(wrong)} case(s) with a wrong verdict:[/yellow] {shown}")


@app.command("runs")
def runs(
    ctx: typer.Context,
    suite: str | None = typer.Option(None, "--suite", "-s"),
    limit: int = typer.Option(50, "--limit", min=1),
    fmt: OutputFormat = FORMAT,
) -> None:
    """List stored eval runs, newest first."""
    with Session(app_context(ctx).engine) as session:
        rows = [r.model_dump(mode="json") for r in list_runs(session, suite=suite, limit=limit)]
    emit(
        rows,
        fmt,
        columns=[
            "id",
            "suite",
            "evaluator",
            "prompt_id",
            "model",
            "cases",
            "accuracy",
            "end_to_end_accuracy",
            "model_failures",
            "unmeasured",
            "cost_usd",
            "blessed",
            "git_commit",
        ],  # fmt: skip
        title="Eval runs",
        empty_message="No eval runs yet: try `icp evals run --suite golden --evaluator offline`.",
    )


@app.command("show")
def show(
    ctx: typer.Context,
    run_ref: str = typer.Argument(..., metavar="RUN", help="Run id, 'latest', 'blessed' or an exported .json."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Show one run's manifest, metrics and confusion matrix."""
    record = _resolve(ctx, run_ref)
    if fmt is OutputFormat.table:
        typer.echo(run_markdown(record))
    else:
        emit([_summary_row(record)], fmt, json_payload=_run_payload(record))


def _resolve(ctx: typer.Context, ref: str, *, suite: str | None = None, evaluator: str | None = None) -> RunRecord:
    if ref.endswith(".json") or "/" in ref:
        return resolve_run(None, ref)
    with Session(app_context(ctx).engine, expire_on_commit=False) as session:
        return resolve_run(session, ref, suite=suite, evaluator=evaluator)


@app.command("compare")
def compare(
    ctx: typer.Context,
    base: str = typer.Argument(..., metavar="BASE", help="Run id, 'blessed', 'latest' or an exported .json."),
    candidate: str = typer.Argument(..., metavar="CANDIDATE", help="Run id, 'latest' or an exported .json."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write report.md, report.html and junit.xml into this folder."
    ),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed (same seed, same interval)."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Paired per-case diff of two runs: fixed / broken / unchanged, McNemar, bootstrap, cost and latency."""
    base_run = _resolve(ctx, base)
    cand_run = _resolve(ctx, candidate)
    comparison = compare_runs(base_run, cand_run, seed=seed)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.md").write_text(comparison_markdown(comparison), encoding="utf-8")
        (out / "report.html").write_text(comparison_html(comparison), encoding="utf-8")
        (out / "junit.xml").write_text(comparison_junit(comparison), encoding="utf-8")
    if fmt is OutputFormat.table:
        typer.echo(comparison_markdown(comparison))
        if out is not None:
            console.print(f"Reports written to {out}/ (report.md, report.html, junit.xml).")
        return
    rows = [
        {
            "case_id": c.case_id,
            "change": c.change,
            "critical": c.critical,
            "base_correct": c.base_correct,
            "candidate_correct": c.candidate_correct,
            "total": c.total,
        }
        for c in comparison.cases
    ]
    emit(rows, fmt, json_payload=comparison.model_dump(mode="json"))


@app.command("bless")
def bless(
    ctx: typer.Context,
    run_ref: str = typer.Argument(..., metavar="RUN", help="Run id or 'latest'."),
    write: Path | None = typer.Option(
        None,
        "--write",
        help="Also export it as a committed baseline (default: evals/baselines/SUITE-EVALUATOR.json).",
    ),
    no_write: bool = typer.Option(False, "--no-write", help="Only mark it in the database."),
    root: Path | None = ROOT,
) -> None:
    """Mark a run as the baseline for its suite and evaluator (and export it for CI)."""
    with Session(app_context(ctx).engine, expire_on_commit=False) as session:
        ref = resolve_run(session, run_ref)
        if ref.id is None:
            raise InputError("Only a stored run can be blessed; run it first with `icp evals run`.")
        record = bless_run(session, ref.id)
    console.print(f"Eval run [bold]#{record.id}[/bold] is now the baseline for {record.manifest.suite}/"
                  f"{record.manifest.evaluator}.")  # fmt: skip
    if not no_write:
        path = write or _root(root) / "baselines" / f"{record.manifest.suite}-{record.manifest.evaluator}.json"
        export_run(record, path)
        console.print(f"Baseline written to {path}; commit it so CI gates on it.")


@app.command("gate")
def gate(
    ctx: typer.Context,
    candidate: str = typer.Option("latest", "--candidate", help="Run id, 'latest' or an exported .json."),
    baseline: str | None = typer.Option(
        None,
        "--baseline",
        help="Run id, 'blessed' or an exported .json. Default: the committed evals/baselines/SUITE-EVALUATOR.json, "
        "else the blessed run in the database.",
    ),
    policy: Path | None = typer.Option(None, "--policy", help="Gate policy (default: evals/gate.yaml)."),
    junit: Path | None = typer.Option(None, "--junit", help="Write JUnit XML here."),
    report: Path | None = typer.Option(None, "--report", help="Write the Markdown report here."),
    root: Path | None = ROOT,
) -> None:
    """Fail (exit 1) when the candidate regresses against the baseline; exit 2 when it cannot judge."""
    try:
        evals_root = _root(root)
        gate_policy = load_policy(policy or evals_root / "gate.yaml")
        cand = _resolve(ctx, candidate)
        if baseline is None:
            committed = evals_root / "baselines" / f"{cand.manifest.suite}-{cand.manifest.evaluator}.json"
            base = (
                resolve_run(None, str(committed))
                if committed.is_file()
                else _resolve(ctx, "blessed", suite=cand.manifest.suite, evaluator=cand.manifest.evaluator)
            )
        else:
            base = _resolve(ctx, baseline)
        comparison = compare_runs(base, cand)
    except ICPError as exc:
        err_console.print(f"[bold red]Gate could not judge:[/bold red] {exc}")
        raise typer.Exit(EXIT_INFRASTRUCTURE) from exc
    result = evaluate_gate(comparison, gate_policy)
    if junit is not None:
        junit.parent.mkdir(parents=True, exist_ok=True)
        junit.write_text(comparison_junit(comparison, result), encoding="utf-8")
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(comparison_markdown(comparison, result), encoding="utf-8")
    label = {0: "[green]PASS[/green]", 1: "[red]FAIL: regression[/red]", 2: "[red]ERROR: could not judge[/red]"}
    console.print(f"Gate {label[result.exit_code]} — {comparison.candidate_label} vs {comparison.base_label}")
    for line in (*result.regressions, *result.infrastructure):
        console.print(f"  - {line}")
    for line in result.notes:
        console.print(f"  [dim]note: {line}[/dim]")
    raise typer.Exit(result.exit_code)


@app.command("from-feedback")
def from_feedback(
    ctx: typer.Context,
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Where to write the candidates (default: evals/candidates/feedback-<date>.yaml)."
    ),
    segment: str | None = typer.Option(None, "--segment", help="Only feedback on this segment."),
    limit: int | None = typer.Option(None, "--limit", min=1),
    root: Path | None = ROOT,
) -> None:
    """Turn SDR feedback into candidate golden cases in a file, for review (never merged automatically)."""
    with Session(app_context(ctx).engine) as session:
        cases, problems = cases_from_feedback(session, segment=segment, limit=limit)
    for problem in problems:
        err_console.print(f"[yellow]skipped[/yellow] {problem}")
    if not cases:
        console.print("No feedback to turn into cases yet. SDRs give feedback from the queue page.")
        return
    path = out or _root(root) / "candidates" / f"feedback-{datetime.now(UTC):%Y%m%d-%H%M%S}.yaml"
    write_candidates(cases, path)
    console.print(
        f"Wrote {len(cases)} candidate case(s) to {path}. Review them, then move the good ones into "
        "evals/datasets/<suite>/."
    )

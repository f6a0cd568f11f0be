"""Reports for people and CI: a run summary and a comparison in Markdown, HTML and JUnit XML."""

from __future__ import annotations

import html
from xml.etree import ElementTree as ET

from icp.evals.compare import CaseDiff, Comparison
from icp.evals.gate import GateResult
from icp.evals.metrics import VERDICTS, Rate, RunMetrics
from icp.evals.runner import RunRecord


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _rate(rate: Rate) -> str:
    return f"{_pct(rate.rate)} ({rate.hits}/{rate.total})"


def _signed(value: float, fmt: str = "{:+.1%}") -> str:
    return fmt.format(value)


def _by_reason(counts: dict[str, int]) -> str:
    if not counts:
        return ""
    return "(" + ", ".join(f"{reason.replace('_', ' ')} {n}" for reason, n in sorted(counts.items())) + ")"


def metrics_rows(metrics: RunMetrics) -> list[tuple[str, str]]:
    """The headline metrics of a run as (name, value) rows."""
    m = metrics
    return [
        ("cases / results", f"{m.cases} / {m.results}"),
        ("model failures", f"{m.model_failures} {_by_reason(m.model_failures_by_reason)}".strip()),
        ("unmeasured (endpoint failed)", f"{m.unmeasured} {_by_reason(m.unmeasured_by_reason)}".strip()),
        ("verdict accuracy (measured cases)", _rate(m.accuracy)),
        ("end-to-end accuracy (model failures wrong)", _rate(m.end_to_end_accuracy)),
        *((f"accuracy when expected {v}", _rate(m.accuracy_by_expected.get(v, Rate()))) for v in VERDICTS),
        ("cases fully right", _rate(m.exact_cases)),
        ("membership precision", _pct(m.membership.precision)),
        ("membership recall", _pct(m.membership.recall)),
        ("tier agreement", _rate(m.tier_agreement)),
        ("evidence grounding", _rate(m.grounding)),
        ("invariance violations", f"{len(m.invariance_violations)} of {m.invariance_checked} variants checked"),
        ("stability (repeats agree)", f"{_pct(m.stability.agreement_rate)}; flaky: {len(m.stability.flaky_cases)}"),
        ("tokens per case (in/out)", f"{m.tokens_in.mean:.0f} / {m.tokens_out.mean:.0f}"),
        ("cost per case / total", f"${m.cost_usd.mean:.6f} / ${m.cost_usd.total:.4f}"),
        ("latency p50 / p95", f"{m.latency_ms.p50:.0f} ms / {m.latency_ms.p95:.0f} ms"),
    ]


def confusion_markdown(metrics: RunMetrics) -> str:
    """The confusion matrix (rows: expected, columns: actual) as a Markdown table."""
    lines = ["| expected \\ actual | " + " | ".join(VERDICTS) + " |", "|---|" + "---|" * len(VERDICTS)]
    for expected in VERDICTS:
        row = metrics.confusion.get(expected, {})
        lines.append(f"| {expected} | " + " | ".join(str(row.get(a, 0)) for a in VERDICTS) + " |")
    return "\n".join(lines)


def run_markdown(run: RunRecord) -> str:
    """A Markdown summary of one run."""
    m = run.manifest
    lines = [
        f"# Eval run {run.label}",
        "",
        f"suite `{m.suite}` (dataset `{m.dataset_hash}`), evaluator `{m.evaluator}`, model `{m.model}`, "
        f"prompt `{m.prompt_id}` (`{m.prompt_hash}`), repeat {m.repeat}, commit `{m.git_commit}`, "
        f"icp {m.package_version}; {m.requests} provider requests, {m.cache_hits} cache hits.",
        "",
        "| metric | value |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in metrics_rows(run.metrics)),
        "",
        "## Confusion matrix",
        "",
        confusion_markdown(run.metrics),
    ]
    wrong = run.metrics.wrong_cases
    if wrong:
        lines += ["", f"## Cases with a wrong verdict ({len(wrong)})", "", ", ".join(f"`{c}`" for c in wrong)]
    return "\n".join(lines) + "\n"


def _case_line(case: CaseDiff) -> str:
    changes = "; ".join(
        f"{v.criterion_id} “{v.text}”: {v.base} → {v.candidate} (expected {v.expected})" for v in case.verdicts
    )
    flag = " **critical**" if case.critical else ""
    tiers = f" tier {case.base_tier} → {case.candidate_tier}" if case.base_tier != case.candidate_tier else ""
    return f"- `{case.case_id}`{flag}: {changes or case.note}{tiers}"


def comparison_markdown(cmp: Comparison, gate: GateResult | None = None) -> str:
    """A Markdown report of a comparison (and the gate's verdict, when given)."""
    b, c = cmp.base_manifest, cmp.candidate_manifest
    boot = cmp.bootstrap
    lines = [
        f"# Eval comparison: {cmp.base_label} → {cmp.candidate_label}",
        "",
        f"- base: evaluator `{b.evaluator}`, prompt `{b.prompt_id}`, model `{b.model}`, commit `{b.git_commit}`",
        f"- candidate: evaluator `{c.evaluator}`, prompt `{c.prompt_id}`, model `{c.model}`, commit `{c.git_commit}`",
        f"- dataset: {'same' if cmp.same_dataset else 'DIFFERENT (paired on shared cases only)'} (`{c.dataset_hash}`)",
        "",
        "## Summary",
        "",
        "| | base | candidate | change |",
        "|---|---|---|---|",
        f"| verdict accuracy (paired) | {_pct(cmp.base_accuracy)} | {_pct(cmp.candidate_accuracy)} | "
        f"{_signed(boot.delta)} [{boot.confidence:.0%} CI {_signed(boot.low)}, {_signed(boot.high)}] |",
        f"| evidence grounding | {_pct(cmp.base_metrics.grounding.rate)} | {_pct(cmp.candidate_metrics.grounding.rate)}"
        " | |",
        f"| membership precision | {_pct(cmp.base_metrics.membership.precision)} | "
        f"{_pct(cmp.candidate_metrics.membership.precision)} | |",
        f"| membership recall | {_pct(cmp.base_metrics.membership.recall)} | "
        f"{_pct(cmp.candidate_metrics.membership.recall)} | |",
        f"| tier agreement | {_pct(cmp.base_metrics.tier_agreement.rate)} | "
        f"{_pct(cmp.candidate_metrics.tier_agreement.rate)} | |",
        f"| end-to-end accuracy | {_pct(cmp.base_metrics.end_to_end_accuracy.rate)} | "
        f"{_pct(cmp.candidate_metrics.end_to_end_accuracy.rate)} | |",
        f"| model failures | {cmp.base_metrics.model_failures} | {cmp.candidate_metrics.model_failures} | |",
        f"| unmeasured (endpoint failed) | {cmp.base_metrics.unmeasured} | {cmp.candidate_metrics.unmeasured} | |",
        f"| cost per case | ${cmp.base_metrics.cost_usd.mean:.6f} | ${cmp.candidate_metrics.cost_usd.mean:.6f} | "
        f"{_signed(cmp.cost_per_case_delta_usd, '{:+.6f}')} USD |",
        f"| latency p50 | {cmp.base_metrics.latency_ms.p50:.0f} ms | {cmp.candidate_metrics.latency_ms.p50:.0f} ms | "
        f"{cmp.latency_p50_delta_ms:+.0f} ms |",
        "",
        f"Verdicts: **{cmp.verdicts_fixed} fixed**, **{cmp.verdicts_broken} broken**, {cmp.verdicts_unchanged} "
        f"unchanged of {cmp.verdicts_paired} paired. McNemar ({cmp.mcnemar.method}): p = {cmp.mcnemar.p_value:.4g}.",
        "",
    ]
    if c.cache_hits or b.cache_hits:
        lines += [
            f"_Latency note: {b.cache_hits} base and {c.cache_hits} candidate responses came from the response "
            "cache, so their latency is not the provider's._",
            "",
        ]
    if gate is not None:
        verdict = {0: "PASS", 1: "FAIL (regression)", 2: "ERROR (could not judge)"}[gate.exit_code]
        lines += [f"## Gate: {verdict}", ""]
        lines += [f"- {r}" for r in (*gate.regressions, *gate.infrastructure)] or ["- no regressions"]
        lines += [f"- note: {n}" for n in gate.notes]
        lines.append("")
    for change, title in (("broken", "Broken"), ("fixed", "Fixed"), ("unmeasured", "Unmeasured")):
        cases = cmp.by_change(change)  # type: ignore[arg-type]
        if cases:
            lines += [f"## {title} ({len(cases)})", "", *(_case_line(x) for x in cases), ""]
    added, removed = cmp.by_change("added"), cmp.by_change("removed")
    if added or removed:
        lines += [f"New cases: {len(added)}; removed cases: {len(removed)}.", ""]
    return "\n".join(lines)


def comparison_html(cmp: Comparison, gate: GateResult | None = None) -> str:
    """A self-contained HTML page of the comparison (the Markdown report, rendered simply)."""
    body: list[str] = []
    in_table = False
    in_list = False
    for raw in comparison_markdown(cmp, gate).splitlines():
        line = html.escape(raw)
        if raw.startswith("|"):
            if raw.startswith("|---"):
                continue
            cells = [x.strip() for x in line.strip("|").split("|")]
            if not in_table:
                body.append("<table>")
                in_table = True
                body.append("<tr>" + "".join(f"<th>{x}</th>" for x in cells) + "</tr>")
            else:
                body.append("<tr>" + "".join(f"<td>{x}</td>" for x in cells) + "</tr>")
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if raw.startswith("- "):
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"<li>{_inline(line[2:])}</li>")
            continue
        if in_list:
            body.append("</ul>")
            in_list = False
        if raw.startswith("## "):
            body.append(f"<h2>{line[3:]}</h2>")
        elif raw.startswith("# "):
            body.append(f"<h1>{line[2:]}</h1>")
        elif raw.strip():
            body.append(f"<p>{_inline(line)}</p>")
    if in_table:
        body.append("</table>")
    if in_list:
        body.append("</ul>")
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
        "code{background:#f3f3f3;padding:0 3px}"
    )
    title = html.escape(f"Eval comparison: {cmp.base_label} -> {cmp.candidate_label}")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title><style>{style}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def _inline(text: str) -> str:
    out = []
    parts = text.split("`")
    for index, part in enumerate(parts):
        out.append(f"<code>{part}</code>" if index % 2 else part.replace("**", ""))
    return "".join(out)


def comparison_junit(cmp: Comparison, gate: GateResult | None = None) -> str:
    """JUnit XML for CI: one test case per eval case; broken cases fail, unmeasured ones are skipped."""
    suite = ET.Element("testsuite", name=f"evals.{cmp.candidate_manifest.suite}")
    failures = skipped = 0
    for case in cmp.cases:
        if case.change == "removed":
            continue
        element = ET.SubElement(suite, "testcase", classname=f"evals.{cmp.candidate_manifest.suite}", name=case.case_id)
        if case.change == "broken":
            failures += 1
            failure = ET.SubElement(
                element, "failure", message=f"{'critical ' if case.critical else ''}case broke", type="EvalRegression"
            )
            failure.text = "\n".join(
                f"{v.criterion_id} {v.text}: {v.base} -> {v.candidate} (expected {v.expected})" for v in case.verdicts
            )
        elif case.change == "unmeasured":
            skipped += 1
            ET.SubElement(element, "skipped", message=case.note)
    if gate is not None and gate.exit_code != 0:
        element = ET.SubElement(suite, "testcase", classname="evals.gate", name="gate")
        failures += 1
        failure = ET.SubElement(element, "failure", message="gate failed", type="EvalGate")
        failure.text = "\n".join((*gate.regressions, *gate.infrastructure))
    suite.set("tests", str(len(suite)))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("errors", "0")
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"

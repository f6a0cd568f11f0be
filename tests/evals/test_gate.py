"""The gate's exit codes through the CLI: 0 pass, 1 regression, 2 infrastructure error."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from icp.cli import app
from icp.evals.compare import compare_runs
from icp.evals.gate import GatePolicy, evaluate_gate
from icp.evals.report import comparison_html, comparison_junit, comparison_markdown
from icp.evals.store import export_run
from tests.evals.conftest import outcome, record, result

BASE = record(
    result("crit", outcome("R1", "met", "met"), tags=("critical",), critical=True),
    result("plain", outcome("R1", "not_met", "not_met"), outcome("R2", "met", "unknown")),
)
SAME = BASE
BROKEN = record(
    result("crit", outcome("R1", "met", "unknown"), tags=("critical",), critical=True),
    result("plain", outcome("R1", "not_met", "not_met"), outcome("R2", "met", "met")),
)


def _gate(tmp_path: Path, base: object, cand: object, *extra: str) -> int:
    base_file = export_run(base, tmp_path / "base.json")  # type: ignore[arg-type]
    cand_file = export_run(cand, tmp_path / "cand.json")  # type: ignore[arg-type]
    (tmp_path / "gate.yaml").write_text("grounding_floor: 0.5\n", encoding="utf-8")
    args = ["evals", "gate", "--baseline", str(base_file), "--candidate", str(cand_file)]
    args += ["--policy", str(tmp_path / "gate.yaml"), *extra]
    return CliRunner().invoke(app, args).exit_code


def test_gate_passes_on_an_unchanged_run(tmp_path: Path) -> None:
    assert _gate(tmp_path, BASE, SAME) == 0


def test_gate_fails_when_a_critical_case_breaks(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    assert _gate(tmp_path, BASE, BROKEN, "--junit", str(junit)) == 1
    xml = junit.read_text(encoding="utf-8")
    assert 'name="crit"' in xml and "EvalRegression" in xml and "EvalGate" in xml


def test_gate_cannot_judge_without_a_baseline(tmp_path: Path) -> None:
    cand = export_run(BASE, tmp_path / "cand.json")
    code = (
        CliRunner()
        .invoke(
            app,
            [
                "evals",
                "gate",
                "--baseline",
                str(tmp_path / "missing.json"),
                "--candidate",
                str(cand),
                "--policy",
                str(tmp_path / "none.yaml"),
            ],  # fmt: skip
        )
        .exit_code
    )
    assert code == 2


def test_gate_cannot_judge_a_mostly_unmeasured_run(tmp_path: Path) -> None:
    down = record(
        result("crit", status="unmeasured", unmeasured_reason="error", member=None, tier=None),
        result("plain", outcome("R1", "not_met", "not_met"), outcome("R2", "met", "unknown")),
    )
    assert _gate(tmp_path, BASE, down) == 2


def test_comparison_counts_fixed_and_broken_and_renders_reports() -> None:
    cmp = compare_runs(BASE, BROKEN)
    assert (cmp.verdicts_fixed, cmp.verdicts_broken, cmp.verdicts_unchanged) == (1, 1, 1)
    assert [c.change for c in cmp.cases] == ["broken", "fixed"]
    assert cmp.critical_broken[0].case_id == "crit"
    assert cmp.mcnemar.method == "exact" and cmp.mcnemar.p_value == 1.0
    gate = evaluate_gate(cmp, GatePolicy(grounding_floor=None))
    assert gate.exit_code == 1 and "critical case crit broke" in gate.regressions[0]
    assert "## Broken (1)" in comparison_markdown(cmp, gate)
    assert "<table>" in comparison_html(cmp, gate)
    assert 'failures="2"' in comparison_junit(cmp, gate)


def test_significant_accuracy_drop_fails_even_without_critical_cases() -> None:
    many = [result(f"c{i}", outcome("R1", "met", "met")) for i in range(30)]
    worse = [result(f"c{i}", outcome("R1", "met", "unknown" if i < 12 else "met")) for i in range(30)]
    gate = evaluate_gate(compare_runs(record(*many), record(*worse)), GatePolicy(grounding_floor=None))
    assert gate.exit_code == 1
    assert "McNemar" in gate.regressions[0]

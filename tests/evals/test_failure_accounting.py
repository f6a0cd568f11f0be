"""Evals tell the model's failures from the endpoint's, against the fake OpenAI server.

Unusable output, refusals and cut-off answers are *model failures*: counted apart and as wrong in the
end-to-end accuracy. A server error is *unmeasured*. Tokens and cost are kept for every attempt.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from icp.errors import InputError
from icp.evals import ResponseCache, load_suite, make_eval_evaluator, run_suite
from icp.evals.store import export_run, read_run_file
from icp.settings import Settings
from icp.testing.fake_openai import ChatRequest, FakeOpenAI, Reply, grade_answer
from tests.inprocess import run_icp

SEGMENT = '{name: S, requirements: ["200-2,000 employees", "Headquartered in Germany"]}'
KINDS = ("fit", "garbage", "refuse", "long", "down")
CASES = "defaults: {labelled_by: tester}\ncases:\n" + "".join(
    f"""  - id: {kind}-co
    segment: {SEGMENT}
    company: {{name: {kind.title()}, domain: {kind}.de, employees: 450, country: "DE"}}
    expected: {{verdicts: {{R1: met, R2: met}}}}
    rationale: fits
"""
    for kind in KINDS
)


def _respond(request: ChatRequest) -> Reply | dict[str, object]:
    """Each company gets one kind of answer, whatever order the cases run in."""
    kind = str(request.company.get("domain", "")).split(".")[0]
    if kind == "garbage":
        return Reply.text("Sure! Acme looks like a great fit.")
    if kind == "refuse":
        return Reply.refused()
    if kind == "long":
        return Reply.truncated()
    if kind == "down":
        return Reply.server_error(500)
    return grade_answer({"R1": ("met", "employees: 450"), "R2": ("met", "country: DE")}, ids=list(request.criteria))


def _suite_root(tmp_path: Path) -> Path:
    folder = tmp_path / "evals" / "datasets" / "mixed"
    folder.mkdir(parents=True)
    (folder / "cases.yaml").write_text(CASES, encoding="utf-8")
    return tmp_path / "evals"


def _settings(base_url: str) -> Settings:
    return Settings(
        openai_base_url=base_url,
        openai_api_key=SecretStr("test"),
        requests_per_minute=100_000,
        max_retries=0,
        max_output_retries=1,
        circuit_breaker_failures=100,
    )


def test_model_failures_are_counted_apart_and_wrong_end_to_end(tmp_path: Path) -> None:
    suite = load_suite("mixed", _suite_root(tmp_path))
    with FakeOpenAI(responder=_respond) as fake:
        evaluator, transport = make_eval_evaluator("llm", _settings(fake.base_url), cache=ResponseCache())
        run = run_suite(suite, evaluator, concurrency=2, transport=transport)
        assert transport is not None
        transport.close()
    m = run.metrics
    by_case = {r.case_id: r for r in run.results}
    assert {k: by_case[f"{k}-co"].status for k in KINDS} == {
        "fit": "ok",
        "garbage": "model_failure",
        "refuse": "model_failure",
        "long": "model_failure",
        "down": "unmeasured",
    }
    assert m.model_failures == 3
    assert m.model_failures_by_reason == {"unusable_output": 1, "refusal": 1, "truncation": 1}
    assert (m.unmeasured, m.unmeasured_by_reason) == (1, {"error": 1})
    # Over measured cases the model is perfect; end to end, 2 right of 2 + 3 failures x 2 criteria.
    assert (m.accuracy.hits, m.accuracy.total) == (2, 2)
    assert (m.end_to_end_accuracy.hits, m.end_to_end_accuracy.total) == (2, 8)
    # Tokens and cost of failed attempts are kept: the garbage answer was asked twice, the cut-off one twice.
    for kind in ("garbage", "refuse", "long"):
        failed = by_case[f"{kind}-co"]
        assert failed.tokens_in > 0 and failed.tokens_out > 0 and failed.cost_usd > 0, kind
    assert by_case["garbage-co"].tokens_in > by_case["refuse-co"].tokens_in  # two attempts against one
    assert m.tokens_in.total == sum(r.tokens_in for r in run.results)
    assert m.cost_usd.total == pytest.approx(sum(r.cost_usd for r in run.results))
    # The portable form keeps the distinction.
    again = read_run_file(export_run(run, tmp_path / "run.json"))
    assert again.metrics.model_failures_by_reason == m.model_failures_by_reason
    assert again.metrics.end_to_end_accuracy == m.end_to_end_accuracy


def _env(base_url: str) -> dict[str, str]:
    return {
        "ICP_OPENAI_BASE_URL": base_url,
        "ICP_OPENAI_API_KEY": "test",
        "ICP_MAX_RETRIES": "0",
        "ICP_MAX_OUTPUT_RETRIES": "1",
        "ICP_CIRCUIT_BREAKER_FAILURES": "100",
    }


def test_a_mostly_failed_run_exits_non_zero_and_says_why(tmp_path: Path) -> None:
    root = _suite_root(tmp_path)
    db = tmp_path / "icp.db"
    with FakeOpenAI(responder=_respond) as fake:
        ran = run_icp(
            db, "evals", "run", "--suite", "mixed", "--root", str(root), "--evaluator", "llm", "--no-cache",
            env=_env(fake.base_url), check=False,
        )  # fmt: skip
    assert ran.returncode == 1, ran.stdout + ran.stderr
    said = " ".join((ran.stdout + ran.stderr).split())
    assert "4 of 5 results failed" in said
    assert "3 model failure(s) (refusal x1, truncation x1, unusable output x1)" in said
    assert "1 unmeasured (the endpoint failed: error x1)" in said
    assert "Traceback" not in said
    # The run is stored all the same, with both accuracies side by side.
    listed = json.loads(run_icp(db, "evals", "runs", "--format", "json").stdout)
    assert listed[0]["model_failures"] == 3 and listed[0]["unmeasured"] == 1
    assert listed[0]["accuracy"] == 1.0 and listed[0]["end_to_end_accuracy"] == 0.25


def test_limit_and_cases_run_a_slice(tmp_path: Path) -> None:
    root = _suite_root(tmp_path)
    db = tmp_path / "icp.db"
    with FakeOpenAI(responder=_respond) as fake:
        ran = run_icp(
            db, "evals", "run", "--suite", "mixed", "--root", str(root), "--evaluator", "llm", "--no-cache",
            "--cases", "fit-*,garbage-*,long-*", "--limit", "2", "--format", "json", env=_env(fake.base_url),
            check=False,
        )  # fmt: skip
        asked = {ChatRequest(index=0, body=r.body).company.get("domain") for r in fake.chat_requests}
    payload = json.loads(ran.stdout)
    assert payload["manifest"]["cases"] == 2
    assert asked == {"fit.de", "garbage.de"}
    # One of two failed: not "most", so the run succeeds and reports the failure in its own column.
    assert ran.returncode == 0, ran.stderr
    assert payload["metrics"]["model_failures"] == 1 and payload["metrics"]["unmeasured"] == 0
    assert payload["metrics"]["tokens_in"]["total"] > 0


def test_a_pattern_matching_no_case_is_a_readable_error(tmp_path: Path) -> None:
    root = _suite_root(tmp_path)
    with pytest.raises(InputError, match=r"No case of suite mixed matches --cases 'nothing-\*'; case ids look like"):
        run_icp(tmp_path / "icp.db", "evals", "run", "--suite", "mixed", "--root", str(root), "--cases", "nothing-*")


def test_gate_fails_on_model_failures_and_cannot_judge_endpoint_failures(tmp_path: Path) -> None:
    from tests.evals.conftest import outcome, record, result

    good = [result(f"c{i}", outcome("R1", "met", "met"), outcome("R2", "met", "met")) for i in range(10)]
    base = record(*good)
    failing = record(
        *good[:8],
        *(
            result(
                f"c{i}", status="model_failure", failure_reason="unusable_output", unanswered=2, member=None, tier=None
            )  # fmt: skip
            for i in (8, 9)
        ),
    )
    down = record(
        *good[:8],
        *(result(f"c{i}", status="unmeasured", unmeasured_reason="error", member=None, tier=None) for i in (8, 9)),
    )
    policy = tmp_path / "gate.yaml"
    policy.write_text("grounding_floor: 0.5\nmax_model_failure_rate: 0.1\nmax_unmeasured_rate: 0.1\n", encoding="utf-8")

    def gate(candidate: object) -> tuple[int, str]:
        base_file = export_run(base, tmp_path / "base.json")
        cand_file = export_run(candidate, tmp_path / "cand.json")  # type: ignore[arg-type]
        ran = run_icp(
            tmp_path / "icp.db", "evals", "gate", "--baseline", str(base_file), "--candidate", str(cand_file),
            "--policy", str(policy), check=False,
        )  # fmt: skip
        return ran.returncode, " ".join((ran.stdout + ran.stderr).split())

    code, said = gate(failing)
    assert code == 1
    assert "2 of 10 results were model failures (unusable output x2), above the policy's 10%" in said
    assert "end-to-end accuracy 80.0% against 100.0% over measured cases" in said
    code, said = gate(down)
    assert code == 2
    assert "2 of 10 results were unmeasured (the endpoint failed: error x2)" in said


def test_a_case_the_candidate_model_failed_is_broken_and_fixed_the_other_way() -> None:
    from icp.evals import compare_runs
    from tests.evals.conftest import outcome, record, result

    graded = result("c", outcome("R1", "met", "met"), outcome("R2", "met", "not_met"), critical=True,
                    tags=("critical",))  # fmt: skip
    failed = result("c", status="model_failure", failure_reason="refusal", unanswered=2, member=None, tier=None,
                    critical=True, tags=("critical",))  # fmt: skip
    worse = compare_runs(record(graded), record(failed))
    (case,) = worse.cases
    assert case.change == "broken" and (case.base_correct, case.candidate_correct, case.total) == (1, 0, 2)
    assert [(v.criterion_id, v.candidate) for v in case.verdicts] == [("R1", "model failure (refusal)")]
    assert case.note == "candidate: model failure (refusal)"
    assert worse.verdicts_broken == 1 and worse.verdicts_unchanged == 1
    better = compare_runs(record(failed), record(graded))
    assert better.cases[0].change == "fixed" and better.verdicts_fixed == 1
    both = compare_runs(record(failed), record(failed))
    assert both.cases[0].change == "unchanged" and both.verdicts_paired == 0

"""CI gate: the golden suite, graded offline and by the replayed LLM evaluator, against the committed baselines."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from icp.evals import (
    ResponseCache,
    compare_runs,
    comparison_markdown,
    evaluate_gate,
    load_policy,
    load_suite,
    make_eval_evaluator,
    replay_server,
    run_suite,
)
from icp.evals.store import read_run_file
from icp.settings import Settings


def _gate(evals_root: Path, run, baseline: str) -> None:  # type: ignore[no-untyped-def]
    base = read_run_file(evals_root / "baselines" / baseline)
    comparison = compare_runs(base, run)
    result = evaluate_gate(comparison, load_policy(evals_root / "gate.yaml"))
    assert result.exit_code == 0, comparison_markdown(comparison, result)


def test_offline_evaluator_does_not_regress_on_the_golden_suite(evals_root: Path) -> None:
    suite = load_suite("golden", evals_root)
    evaluator, _ = make_eval_evaluator("offline", Settings())
    run = run_suite(suite, evaluator, concurrency=1)
    assert run.metrics.unmeasured == 0
    assert not run.metrics.invariance_violations
    _gate(evals_root, run, "golden-offline.json")


@pytest.mark.slow
def test_replayed_llm_evaluator_does_not_regress_on_the_golden_suite(evals_root: Path) -> None:
    suite = load_suite("golden", evals_root)
    recording = evals_root / "recordings" / "golden-grade_company@v1.jsonl"
    with replay_server(recording) as base_url:
        settings = Settings(
            openai_base_url=base_url,
            openai_api_key=SecretStr("replay"),
            prompt="grade_company@v1",
            requests_per_minute=1_000_000,
            tokens_per_minute=10**9,
            max_retries=0,
        )
        evaluator, transport = make_eval_evaluator("llm", settings, cache=ResponseCache())
        run = run_suite(suite, evaluator, concurrency=8, transport=transport)
        assert transport is not None
        transport.close()
    # One request per case, plus the re-ask of the answer that was cut off (the recording has no answer to it).
    assert run.manifest.requests == len(suite.cases) + 1
    assert run.metrics.model_failures_by_reason == {"refusal": 1, "truncation": 1}
    assert run.metrics.unmeasured == 0
    _gate(evals_root, run, "golden-llm.json")

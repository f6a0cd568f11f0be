"""Prompt regression suites: golden cases, runs, metrics, paired comparison, reports and a release gate.

Typical use (the CLI ``icp evals`` does exactly this)::

    suite = load_suite("golden")
    evaluator, transport = make_eval_evaluator("offline", settings)
    run = run_suite(suite, evaluator)
    comparison = compare_runs(read_run_file(Path("evals/baselines/golden-offline.json")), run)
    result = evaluate_gate(comparison, load_policy(Path("evals/gate.yaml")))
"""

from icp.evals.cache import CacheEntry, CachingTransport, ResponseCache, cache_key, read_entries, replay_responder
from icp.evals.cases import (
    CaseFileError,
    CaseProblem,
    CaseSegment,
    GoldenCase,
    Suite,
    default_evals_root,
    dump_cases,
    load_suite,
    parse_case_file,
)
from icp.evals.compare import CaseDiff, Comparison, compare_runs
from icp.evals.gate import (
    EXIT_INFRASTRUCTURE,
    EXIT_PASS,
    EXIT_REGRESSION,
    GatePolicy,
    GateResult,
    evaluate_gate,
    load_policy,
)
from icp.evals.metrics import RunMetrics, compute_metrics
from icp.evals.report import comparison_html, comparison_junit, comparison_markdown, run_markdown
from icp.evals.results import CaseResult, CriterionOutcome, RunManifest
from icp.evals.runner import RunRecord, eval_settings, grade_case, make_eval_evaluator, replay_server, run_suite
from icp.evals.stats import BootstrapResult, McNemarResult, mcnemar, paired_bootstrap

__all__ = [
    "EXIT_INFRASTRUCTURE",
    "EXIT_PASS",
    "EXIT_REGRESSION",
    "BootstrapResult",
    "CacheEntry",
    "CachingTransport",
    "CaseDiff",
    "CaseFileError",
    "CaseProblem",
    "CaseResult",
    "CaseSegment",
    "Comparison",
    "CriterionOutcome",
    "GatePolicy",
    "GateResult",
    "GoldenCase",
    "McNemarResult",
    "ResponseCache",
    "RunManifest",
    "RunMetrics",
    "RunRecord",
    "Suite",
    "cache_key",
    "compare_runs",
    "comparison_html",
    "comparison_junit",
    "comparison_markdown",
    "compute_metrics",
    "default_evals_root",
    "dump_cases",
    "eval_settings",
    "evaluate_gate",
    "grade_case",
    "load_policy",
    "load_suite",
    "make_eval_evaluator",
    "mcnemar",
    "paired_bootstrap",
    "parse_case_file",
    "read_entries",
    "replay_responder",
    "replay_server",
    "run_markdown",
    "run_suite",
]

"""Helpers for eval tests: the repository's evals folder and small hand-made runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from icp.domain import Tier, Verdict
from icp.evals.metrics import compute_metrics
from icp.evals.results import CaseResult, CriterionOutcome, RunManifest
from icp.evals.runner import RunRecord

EVALS_ROOT = Path(__file__).resolve().parents[2] / "evals"


@pytest.fixture
def evals_root() -> Path:
    """The committed evals folder (tests run in a temporary directory)."""
    return EVALS_ROOT


def outcome(cid: str, expected: str, actual: str, *, grounded: bool | None = True, kind: str = "requirement",
            text: str | None = None) -> CriterionOutcome:  # fmt: skip
    """One criterion outcome."""
    return CriterionOutcome(
        id=cid,
        kind=kind,
        text=text or f"criterion {cid}",
        expected=Verdict(expected),
        actual=Verdict(actual),
        evidence="employees: 1" if actual != "unknown" else "",
        grounded=None if actual == "unknown" else grounded,
    )


def result(case_id: str, *outcomes: CriterionOutcome, **kwargs: object) -> CaseResult:
    """A measured case result (member/tier default to a T1 member expected in T1)."""
    data: dict[str, object] = {
        "case_id": case_id,
        "criteria": outcomes,
        "expected_member": True,
        "member": True,
        "expected_tiers": (Tier.T1,),
        "tier": Tier.T1,
    }
    data.update(kwargs)
    return CaseResult.model_validate(data)


def record(*results: CaseResult, evaluator: str = "offline", dataset: str = "b2:x") -> RunRecord:
    """A run record around hand-made results."""
    manifest = RunManifest(
        suite="t", dataset_hash=dataset, evaluator=evaluator, cases=len({r.case_id for r in results})
    )
    return RunRecord(manifest=manifest, results=results, metrics=compute_metrics(results))

"""Backtest a segment draft against won and lost deals before it is published.

The draft is graded (offline: instant and free) against every company with a closed deal, on the
company's data as it is today — a draft has no history, and the result says so. Beside the saved version,
it shows how many accounts each would qualify, win rate and lift per tier, how many won accounts each
keeps (recall), and per requirement how many won and lost accounts it excludes: "R3 'Headquartered in
Europe' excluded 12 of 40 won accounts, 30 of 61 lost". Nothing is saved.
"""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from icp.companies import profile_of
from icp.criteria import CompiledSegment, compile_segment
from icp.domain import CriterionKind, Tier, Verdict
from icp.evaluators.offline import OfflineEvaluator
from icp.outcomes._report import GroupOutcomes, JudgedDeal, summarise_tiers
from icp.scoring import DEFAULT_POLICY, ScoringPolicy, score_grade
from icp.store.tables import Company, Outcome


class CriterionExclusion(BaseModel):
    """How many won and lost accounts one requirement shuts out (verdict not met)."""

    id: str
    text: str
    won_excluded: int
    won_total: int
    lost_excluded: int
    lost_total: int

    @property
    def sentence(self) -> str:
        """``R3 'Headquartered in Europe' excluded 12 of 40 won accounts, 30 of 61 lost``."""
        return (
            f"{self.id} {self.text!r} excluded {self.won_excluded} of {self.won_total} won accounts, "
            f"{self.lost_excluded} of {self.lost_total} lost"
        )


class BacktestSide(BaseModel):
    """One version of a segment (the draft, or the saved one) against the closed deals."""

    label: str
    qualified: int
    unverified: int
    disqualified: int
    won_recall: float | None = Field(description="Share of won accounts that are members.")
    t1_lift: float | None
    t1_lift_low: float | None
    t1_lift_high: float | None
    groups: list[GroupOutcomes]
    exclusions: list[CriterionExclusion]


class Backtest(BaseModel):
    """A draft beside the saved version, on the accounts with closed deals."""

    accounts: int
    won_accounts: int
    lost_accounts: int
    draft: BacktestSide
    saved: BacktestSide | None = None
    note: str


def _accounts(session: Session) -> tuple[list[Company], dict[int, bool], dict[int, float], dict[int, float | None]]:
    """Companies with a closed deal; won if any deal was won; won revenue; median-free days (the first won)."""
    won: dict[int, bool] = {}
    revenue: dict[int, float] = defaultdict(float)
    days: dict[int, float | None] = {}
    for deal in session.exec(select(Outcome).where(col(Outcome.result).in_(("won", "lost")))):
        is_won = deal.result == "won"
        won[deal.company_id] = won.get(deal.company_id, False) or is_won
        if is_won:
            revenue[deal.company_id] += deal.amount or 0.0
            if deal.closed_on and deal.created_on and days.get(deal.company_id) is None:
                days[deal.company_id] = float((deal.closed_on - deal.created_on).days)
    companies = list(session.exec(select(Company).where(col(Company.id).in_(list(won))).order_by(col(Company.id))))
    return companies, won, revenue, days


def _side(
    label: str,
    compiled: CompiledSegment,
    companies: list[Company],
    won: dict[int, bool],
    revenue: dict[int, float],
    days: dict[int, float | None],
    policy: ScoringPolicy,
) -> BacktestSide:
    evaluator = OfflineEvaluator()
    judged: list[JudgedDeal] = []
    statuses = {"qualified": 0, "unverified": 0, "disqualified": 0}
    excluded: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for company in companies:
        assert company.id is not None
        grade = evaluator.grade(profile_of(company), compiled)
        breakdown = score_grade(grade.results, policy=policy)
        statuses[breakdown.status.value] += 1
        is_won = won[company.id]
        for r in grade.results:
            if r.kind is CriterionKind.REQUIREMENT and r.verdict is Verdict.NOT_MET:
                excluded[r.id][0 if is_won else 1] += 1
        judged.append(
            JudgedDeal(
                company_id=company.id,
                tier=breakdown.tier.value,
                status=breakdown.status.value,
                won=is_won,
                amount=revenue.get(company.id, 0.0),
                days=days.get(company.id),
            )
        )
    n_won = sum(j.won for j in judged)
    summary = summarise_tiers(judged, by_status=False)
    members_won = sum(j.won for j in judged if j.tier != Tier.DISQUALIFIED.value)
    return BacktestSide(
        label=label,
        qualified=statuses["qualified"],
        unverified=statuses["unverified"],
        disqualified=statuses["disqualified"],
        won_recall=members_won / n_won if n_won else None,
        t1_lift=summary.t1_lift.value if summary.t1_lift else None,
        t1_lift_low=summary.t1_lift.low if summary.t1_lift else None,
        t1_lift_high=summary.t1_lift.high if summary.t1_lift else None,
        groups=summary.groups,
        exclusions=[
            CriterionExclusion(
                id=c.id,
                text=c.text,
                won_excluded=excluded[c.id][0],
                won_total=n_won,
                lost_excluded=excluded[c.id][1],
                lost_total=len(judged) - n_won,
            )
            for c in compiled.criteria
            if c.kind is CriterionKind.REQUIREMENT
        ],
    )


def backtest_segment(
    session: Session,
    name: str,
    requirements: str,
    nice_to_haves: str = "",
    *,
    saved: tuple[str, str, str, int] | None = None,
    policy: ScoringPolicy = DEFAULT_POLICY,
) -> Backtest:
    """Grade a draft (and, with ``saved`` = (name, requirements, nice-to-haves, version), the saved version)
    against every company with a closed deal, offline, on today's data. Stores nothing."""
    companies, won, revenue, days = _accounts(session)
    draft = compile_segment(name, requirements, nice_to_haves)
    n_won = sum(won.values())
    result = Backtest(
        accounts=len(companies),
        won_accounts=n_won,
        lost_accounts=len(companies) - n_won,
        draft=_side("draft", draft, companies, won, revenue, days, policy),
        note=(
            "Graded offline on each company's data as it is today (a draft has no earlier grades); "
            "an account counts as won if any of its deals was won."
            if companies
            else "No closed deals yet: import won and lost deals with `icp outcomes import FILE` to backtest."
        ),
    )
    if saved is not None:
        saved_name, saved_requirements, saved_nice, version = saved
        compiled = compile_segment(saved_name, saved_requirements, saved_nice)
        result.saved = _side(f"saved version {version}", compiled, companies, won, revenue, days, policy)
    return result
